"""Shared loopback (FACTS §7, issue 19 item 5): processes in one network namespace, like
the containers of one pod, share one lo; a process in its own namespace finds nothing
on its 127.0.0.1. Live as root and in a user namespace, recorded elsewhere, nothing
left behind."""

import json

import pytest

from loopedu import pods, sandbox

needs_netns = pytest.mark.needs("network_namespaces")


def check_pod(result):
    assert result.reached == {"sidecar": True, "other": False}
    assert result.shares_namespace == {"sidecar": True, "other": False}
    sidecar, other = result.visits
    # three processes: the app, the sidecar, and the other container
    assert len({result.app_pid, sidecar.pid, other.pid}) == 3
    assert result.app_netns.startswith("net:[") and other.netns.startswith("net:[")
    # over the shared lo: the app saw the sidecar come from 127.0.0.1
    assert sidecar.server_saw == "127.0.0.1" and sidecar.outcome.connected
    # the same address and port on another lo: a kernel answer, nothing listens there
    assert other.port == sidecar.port and str(other.outcome) == "refused"
    assert other.server_saw is None


@needs_netns
def test_containers_of_one_pod_share_lo_and_others_do_not(namespaces_removed):
    result = pods.shared_loopback_details()
    check_pod(result)
    assert result.live and len(namespaces_removed) == 2
    assert result.mechanism == sandbox.capabilities().network_namespaces.mechanism
    text = pods.format_pod(result)
    assert text.startswith("[LIVE]") and "same namespace" in text and "refused" in text
    json.dumps(result.to_dict())


@needs_netns
def test_the_namespaces_go_even_when_the_demo_fails(namespaces_removed, fails_inside):
    with pytest.raises(sandbox.ChildError, match="made to fail"):
        pods.shared_loopback_details()
    assert len(namespaces_removed) == 2


def test_the_recording_teaches_the_same_and_says_where_and_when():
    result = pods.recorded_pod()
    assert result.mechanism == "recorded" and result.where.startswith("recorded on Linux ")
    check_pod(result)
    assert "[RECORDED]" in pods.format_pod(result)


def test_without_namespaces_the_recording_stands_in_and_says_why():
    no = sandbox.Capability(False, "without root, network namespaces are made inside a "
                                   "user namespace, and user namespaces are not available")
    with sandbox.assume(network_namespaces=no):
        result = pods.pod_demo()
    assert not result.live and "user namespaces are not available" in result.why_recorded
    assert pods.RECORDED_EXPLANATION in pods.format_pod(result)
