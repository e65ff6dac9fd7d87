"""Every container has its own loopback: a "host" and a "container" namespace on a veth
pair, as root and without root (inside a user namespace), the recorded stand-in for
machines without namespaces, and nothing left behind."""

import ipaddress
import json
import os
from contextlib import contextmanager

import psutil
import pytest
from shared_checks import run_as_nobody

from loopedu import containers, lan, sandbox
from loopedu.connections import Kind, is_lab_safe
from loopedu.forwarder import Ending

needs_netns = pytest.mark.needs("network_namespaces")

#: What the lesson teaches, as facts of Linux (network_namespaces(7), ip(7)): inside the
#: container its own 127.0.0.1 reaches both servers; the host's 127.0.0.1 is another lo
#: where nothing listens; the container's address reaches only the 0.0.0.0 server; a
#: port published on the host's 127.0.0.1 (a forwarder, like docker-proxy) reaches only
#: what the container's address reaches.
EXPECTED_REACHED = {
    "container loopback": {"127.0.0.1": True, "0.0.0.0": True},
    "host loopback": {"127.0.0.1": False, "0.0.0.0": False},
    "container address": {"127.0.0.1": False, "0.0.0.0": True},
    "published port": {"127.0.0.1": False, "0.0.0.0": True},
}


def check_the_lesson(result):
    assert result.reached == EXPECTED_REACHED
    rows = {(r.route, r.server): r for r in result.rows}
    assert len(rows) == len(result.rows) == 8
    for server in ("127.0.0.1", "0.0.0.0"):
        inside = rows[("container loopback", server)]
        assert inside.client == "container" and inside.outcome.reply == b"ping"
        # the host's own lo: a kernel answer (refused), on the very same port number
        host_lo = rows[("host loopback", server)]
        assert (host_lo.client, host_lo.target) == ("host", "127.0.0.1")
        assert host_lo.port == inside.port
        assert str(host_lo.outcome) == "refused"
    assert str(rows[("container address", "127.0.0.1")].outcome) == "refused"
    assert rows[("container address", "0.0.0.0")].outcome.reply == b"ping"
    # "works in the container, -p gives connection reset": the client's connect to the
    # published port succeeds, then the connection is reset (or closed) with no reply
    published = rows[("published port", "127.0.0.1")]
    assert published.target == "127.0.0.1" and published.via.startswith("198.18.1.2:")
    assert published.outcome.connect.connected
    assert published.outcome.after in ("reset", "closed")
    assert published.outcome.reply == b""
    assert published.forwarder.upstream.kind is Kind.REFUSED
    assert published.forwarder.ended is Ending.RESET_CLIENT
    working = rows[("published port", "0.0.0.0")]
    assert working.outcome.reply == b"ping"
    assert (working.forwarder.to_target, working.forwarder.to_client) == (4, 4)


def _normalised(data: dict) -> dict:
    """A live result's to_dict() the way RECORDED keeps it: ports 0, labelled."""
    data = json.loads(json.dumps(data))
    for row in data["rows"]:
        row["port"] = 0
        if row["via"]:
            row["via"] = row["via"].rsplit(":", 1)[0] + ":0"
    data["mechanism"], data["where"] = "recorded", containers.RECORDED_LABEL
    return data


def _still_held(pid: int, namespace: str) -> bool:
    """Whether the process ``pid`` still exists and is still in ``namespace``."""
    try:
        return os.readlink(f"/proc/{pid}/ns/net") == namespace
    except OSError:
        return False


@needs_netns
def test_the_container_has_its_own_loopback(monkeypatch):
    made, real_link = [], containers.container_link

    @contextmanager
    def watched_link():
        with real_link() as (host, container):
            made.extend((ns.pid, os.readlink(f"/proc/{ns.pid}/ns/net"))
                        for ns in (host, container))
            yield host, container

    monkeypatch.setattr(containers, "container_link", watched_link)
    children = set(psutil.Process().children(recursive=True))
    result = containers.container_loopback_demo()
    check_the_lesson(result)
    assert result.mechanism == sandbox.capabilities().network_namespaces.mechanism
    assert result.where.startswith("measured here")
    # two namespaces of their own, neither of them this process's
    namespaces = {ns for _, ns in made}
    assert len(namespaces) == 2 and os.readlink("/proc/self/ns/net") not in namespaces
    # and none is left: each lives exactly as long as its holder process, now gone
    assert set(psutil.Process().children(recursive=True)) == children
    assert not any(_still_held(pid, ns) for pid, ns in made)
    text = containers.format_containers(result)
    assert "it works in the container" in text
    assert "through -p, only the server on 0.0.0.0 answered" in text
    # and the recorded stand-in is this very run, ports normalised
    assert _normalised(result.to_dict()) == containers.RECORDED


@pytest.mark.needs("root", "user_namespaces")
def test_the_demo_runs_without_root_inside_a_user_namespace():
    code = ("import json; from loopedu import containers; "
            "print(json.dumps(containers.container_loopback_demo().to_dict()))")
    done = run_as_nobody(code)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["mechanism"] == "user namespace"
    assert data["reached"] == EXPECTED_REACHED
    published = [r for r in data["rows"] if r["route"] == "published port"]
    assert [(r["connect"], r["after"] in ("reset", "closed")) for r in published] == \
        [("connected", True), ("connected", False)]


def test_the_recorded_result_is_labelled_and_teaches_the_same():
    result = containers.recorded_container_demo()
    check_the_lesson(result)
    assert result.mechanism == "recorded"
    assert result.where == containers.RECORDED_LABEL == \
        "recorded on Linux (Debian 12) as root, 2026-11-29"
    assert all(row.port == 0 for row in result.rows)          # ports normalised
    assert result.to_dict() == containers.RECORDED
    json.dumps(containers.RECORDED)                           # plain data
    text = containers.format_containers(result)
    assert containers.RECORDED_LABEL in text and containers.RECORDED_EXPLANATION in text
    assert "127.0.0.1:<port>" in text


def test_the_brief_text_shows_only_what_the_lesson_discusses():
    """The lesson's prediction asks about four clients of the server bound to 127.0.0.1;
    its text then says only the server bound to 0.0.0.0 answered through -p. The brief
    text prints those five rows and no summary lines; the full text keeps all eight."""
    result = containers.recorded_container_demo()
    full = containers.format_containers(result)
    brief = containers.format_containers(result, brief=True)
    rows = [line.split() for line in brief.splitlines() if line.startswith("  ")][1:]
    # (from, server on, through -p?) of each row
    shown = [(r[0], r[5] if "(-p)" in r else r[2], "(-p)" in r) for r in rows]
    assert shown == [("container", "127.0.0.1", False), ("host", "127.0.0.1", False),
                     ("host", "127.0.0.1", False), ("host", "127.0.0.1", True),
                     ("host", "0.0.0.0", True)], shown
    assert "it works in the container" not in brief and "only the server on" not in brief
    assert len([line for line in full.splitlines() if line.startswith("  ")]) == 9
    assert "it works in the container" in full


def test_without_namespaces_the_recorded_result_stands_in():
    no = sandbox.Capability(False, "network namespaces are a Linux feature and this is "
                                   "darwin")
    with sandbox.assume(network_namespaces=no):
        with pytest.raises(sandbox.NamespaceUnavailable, match="Linux feature"):
            containers.container_loopback_demo()
        result = containers.container_demo()
    assert result.mechanism == "recorded" and result.reached == EXPECTED_REACHED


def test_the_addresses_are_a_lab_range_apart_from_the_lan_lab():
    net = ipaddress.ip_network(f"{containers.HOST}/24", strict=False)
    assert ipaddress.ip_address(containers.CONTAINER) in net
    assert net.subnet_of(ipaddress.ip_network("198.18.0.0/15"))
    assert ipaddress.ip_address(lan.LAPTOP["ipv4"]) not in net
    assert is_lab_safe(containers.HOST) and is_lab_safe(containers.CONTAINER)
    assert "lan0" not in (containers.HOST_LINK, containers.CONTAINER_LINK)
    assert all(len(name) <= 15 for name in (containers.HOST_LINK, containers.CONTAINER_LINK))
