"""The laptop/phone LAN lab: who can connect, and nothing left behind, even when killed."""

import os
import signal
import subprocess
import sys

import pytest

from loopedu import experiments, netlab
from netns_helpers import needs_netns


def our_namespaces(pid: int) -> list[str]:
    done = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, timeout=20)
    return [line.split()[0] for line in done.stdout.splitlines()
            if line.startswith(netlab.NETNS_PREFIX) and f"-{pid}-" in line]


@needs_netns()
def test_phone_reaches_only_the_wildcard_binds():
    result = experiments.lan_exposure_details()
    # FACTS 5: a socket on 127.0.0.1 (::1) is loopback only; 0.0.0.0 (::) listens on
    # every interface, and Linux's :: is dual stack (bindv6only=0 in a new namespace)
    assert result.reached == {"127.0.0.1": False, "0.0.0.0": True, "::1": False, "::": True}
    by = {(a["from"], a["bind"], a["target"]): a["outcome"] for a in result.attempts}
    # every server was up: the laptop reached each one over its own loopback
    assert all(o == "connected" for (who, _, _), o in by.items() if who == "laptop")
    # the laptop's kernel answered the phone (a reset), it did not drop the packets
    assert by[("phone", "127.0.0.1", "198.18.0.1")] == "refused"
    assert by[("phone", "::1", "2001:2::1")] == "refused"
    assert by[("phone", "::", "198.18.0.1")] == "connected"
    # and the servers saw the phone's own LAN address
    assert netlab.PHONE["ipv4"] in result.server_saw["0.0.0.0"]
    assert netlab.PHONE["ipv6"] in result.server_saw["::"]
    assert "::ffff:" + netlab.PHONE["ipv4"] in result.server_saw["::"]
    assert result.server_saw["127.0.0.1"] == ["127.0.0.1"]
    assert our_namespaces(os.getpid()) == []


@needs_netns()
def test_lan_exposure_with_a_bind_that_fails():
    reached = experiments.lan_exposure(["0.0.0.0", "198.18.0.2"])  # the phone's address
    assert reached == {"0.0.0.0": True, "198.18.0.2": False}
    assert our_namespaces(os.getpid()) == []


@needs_netns()
def test_namespace_name_and_cleanup_on_error():
    with pytest.raises(RuntimeError, match="boom"):
        with netlab.namespace("unit") as name:
            assert name.startswith(f"{netlab.NETNS_PREFIX}unit-{os.getpid()}-")
            assert our_namespaces(os.getpid()) == [name]
            raise RuntimeError("boom")
    assert our_namespaces(os.getpid()) == []


@needs_netns()
def test_call_in_runs_inside_the_namespace_and_keeps_tuple_keys():
    with netlab.namespace("unit", lo_up=False) as ns:
        result = netlab.call_in(ns, "loopedu.experiments:reachability", ["127.0.0.1"],
                                ["127.0.0.1"])
        netlab.link_up(ns, "lo")
        after = netlab.call_in(ns, "loopedu.experiments:reachability", ["127.0.0.1"],
                               ["127.0.0.1"])
    # lo down in there (FACTS 2), while this process's own loopback works
    assert result == {("127.0.0.1", "127.0.0.1"): "unreachable"}
    assert after == experiments.reachability(["127.0.0.1"], ["127.0.0.1"]) == \
        {("127.0.0.1", "127.0.0.1"): "connected"}


HOLDER = """
import sys, time
from loopedu import netlab
with netlab.namespace("held") as ns:
    print(ns, flush=True)
    time.sleep(60)
"""


def start_holder():
    proc = subprocess.Popen([sys.executable, "-c", HOLDER], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    name = proc.stdout.readline().strip()
    assert name in our_namespaces(proc.pid), proc.stderr.read()
    return proc, name


@needs_netns()
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_namespace_removed_when_the_process_is_signalled(sig):
    proc, name = start_holder()
    try:
        proc.send_signal(sig)
        proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode != 0
    assert our_namespaces(proc.pid) == []


@needs_netns()
def test_stale_namespace_of_a_killed_process_is_reaped():
    proc, name = start_holder()
    proc.kill()  # SIGKILL: no handler runs, the namespace stays behind
    proc.wait()
    try:
        assert our_namespaces(proc.pid) == [name]
        with netlab.namespace("live") as mine:
            assert name not in our_namespaces(proc.pid)  # reaped on start
            assert netlab.reap_stale() == []  # our own, live namespace is kept
            assert our_namespaces(os.getpid()) == [mine]
    finally:
        subprocess.run(["ip", "netns", "delete", name], capture_output=True)


def test_lab_unavailable_says_why(monkeypatch):
    monkeypatch.setattr(netlab.shutil, "which", lambda cmd: None)
    monkeypatch.setattr(netlab.sys, "platform", "linux")
    monkeypatch.setattr(netlab.os, "geteuid", lambda: 0, raising=False)
    with pytest.raises(netlab.LabUnavailable, match="iproute2"):
        experiments.lan_exposure()
    monkeypatch.setattr(netlab.os, "geteuid", lambda: 1000, raising=False)
    with pytest.raises(RuntimeError, match="needs root"):
        with netlab.namespace("never"):
            pass
    monkeypatch.setattr(netlab.sys, "platform", "darwin")
    assert "Linux feature" in netlab.lab_unavailable_reason()


def test_lab_addresses_are_benchmarking_ranges():
    import ipaddress

    for host in (netlab.LAPTOP, netlab.PHONE):
        assert ipaddress.ip_address(host["ipv4"]) in ipaddress.ip_network("198.18.0.0/15")
        assert ipaddress.ip_address(host["ipv6"]) in ipaddress.ip_network("2001:2::/48")
        assert all(netlab.is_lab_safe(a) for a in host.values())


@pytest.mark.parametrize("address,safe", [
    ("127.0.0.1", True), ("127.255.0.9", True), ("::1", True), ("0.0.0.0", True),
    ("::", True), ("::ffff:127.0.0.1", True), ("198.19.255.255", True),
    ("198.20.0.1", False), ("192.168.1.20", False), ("2001:db8::1", False),
    ("2001:3::1", False), ("localhost", False)])
def test_is_lab_safe(address, safe):
    assert netlab.is_lab_safe(address) is safe


def test_call_in_and_connect_all_refuse_what_they_should():
    with pytest.raises(ValueError):
        netlab.call_in("loopedu-x", "os:system", "true")
    with pytest.raises(ValueError):
        netlab.connect_all([("192.0.2.1", 80)])
    with pytest.raises(ValueError):
        with netlab.namespace("Bad-Name"):
            pass
