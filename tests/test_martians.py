"""When loopback leaks: 127.0.0.1 routed to a neighbour is a martian until route_localnet=1,
a KUBE-FIREWALL-style rule blocks it again, a DNAT to 127.0.0.1 needs route_localnet=1
too; as root and inside a user namespace, nothing left behind, the host untouched."""

import ipaddress
import json
import os
from contextlib import contextmanager

import psutil
import pytest
from shared_checks import run_as_nobody

from loopedu import containers, lan, martians, sandbox
from loopedu.connections import is_lab_safe
from loopedu.sandbox import host_sysctl

needs_netns = pytest.mark.needs("network_namespaces")
#: nft as the doctor measures it: adding a table in a network namespace
needs_nft = pytest.mark.needs("nft")
FAST = 0.5  # a SYN over a veth pair answers in microseconds; a drop is a timeout

#: FACTS §3 / ip-sysctl.rst: 127/8 arriving on a non-loopback interface is martian with
#: the default route_localnet=0 (the probe times out) and accepted with 1; DNAT to
#: 127.0.0.1 likewise needs route_localnet=1.
EXPECTED = {"default": False, "route_localnet": True}
HOST_KEYS = [f"net.ipv4.conf.{d}.{k}" for d in ("all", "default", "lo")
             for k in ("route_localnet", "log_martians")]


def _held(pid: int, ns: str) -> bool:
    try:
        return os.readlink(f"/proc/{pid}/ns/net") == ns
    except OSError:
        return False


@pytest.fixture
def watched(monkeypatch):
    """Record the namespaces the demo makes; afterwards check none is left, no child
    remains and this machine's own sysctls did not change."""
    made, real = [], martians.martian_link

    @contextmanager
    def link():
        with real() as (server, client):
            made.extend((ns.pid, os.readlink(f"/proc/{ns.pid}/ns/net"))
                        for ns in (server, client))
            yield server, client

    monkeypatch.setattr(martians, "martian_link", link)
    before = {k: host_sysctl(k) for k in HOST_KEYS}
    kids = set(psutil.Process().children(recursive=True))
    yield made
    assert {k: host_sysctl(k) for k in HOST_KEYS} == before
    assert set(psutil.Process().children(recursive=True)) == kids
    assert not any(_held(pid, ns) for pid, ns in made)
    spaces = {ns for _, ns in made}
    assert made and len(spaces) == len(made) and os.readlink("/proc/self/ns/net") not in spaces


def check_route_localnet(result, nft: bool):
    assert result.demo == "route_localnet" and result.reached == EXPECTED
    default, on, firewall = result.rows
    assert str(default.outcome) == "timeout" and default.server_saw is None
    assert on.outcome.connected and on.server_saw == martians.CLIENT
    assert default.target == on.target == "127.0.0.1" and default.port == on.port
    if nft:  # the KUBE-FIREWALL-style drop blocks it again, route_localnet=1 or not
        assert str(firewall.outcome) == "timeout" and result.blocked_again is True
    else:
        assert firewall.outcome is None and firewall.note.startswith("not run")
        assert result.blocked_again is None


def check_evidence(ev, log_readable: bool):
    assert ev.martian_dst_delta is None or ev.martian_dst_delta >= 1
    if log_readable:
        assert ev.log_lines or "rate-limits" in ev.log_note
        assert all(martians.LOG_LINE in line for line in ev.log_lines)
    else:
        assert not ev.log_lines and "not readable" in ev.log_note


@needs_netns
@needs_nft
def test_route_localnet_lets_127_in_and_the_firewall_rule_blocks_it(watched):
    result = martians.route_localnet_details(timeout=FAST)
    check_route_localnet(result, nft=True)
    assert result.rows[0].port > 0
    assert result.mechanism == sandbox.capabilities().network_namespaces.mechanism
    assert result.live and result.where.startswith("measured here")
    check_evidence(result.evidence, log_readable=sandbox.is_root())
    assert len(watched) == 2
    text = martians.format_route_localnet(result)
    assert text.startswith("[LIVE]") and "blocked it again" in text
    json.dumps(result.to_dict())


@needs_netns
@needs_nft
def test_dnat_to_127_needs_route_localnet(watched):
    result = martians.dnat_demo(timeout=FAST)
    assert result.demo == "dnat" and result.reached == EXPECTED
    default, on = result.rows
    assert (default.target, default.port) == (on.target, on.port) == \
        (martians.SERVER, martians.PUBLIC_PORT)
    assert str(default.outcome) == "timeout" and on.server_saw == martians.CLIENT
    check_evidence(result.evidence, log_readable=sandbox.is_root())
    assert martians.format_dnat(result).startswith("[LIVE]")


@pytest.mark.needs("root", "user_namespaces")
@pytest.mark.parametrize("demo", ["route_localnet", "dnat"])
@needs_nft
def test_both_demos_inside_a_forced_user_namespace(watched, demo):
    user = sandbox.Capability(True, "forced for this test", sandbox.USER)
    with sandbox.assume(network_namespaces=user):
        result = (martians.route_localnet_details if demo == "route_localnet"
                  else martians.dnat_demo)(timeout=FAST)
    assert result.mechanism == "user namespace" and result.reached == EXPECTED
    if demo == "route_localnet":
        check_route_localnet(result, nft=True)


@pytest.mark.needs("root", "user_namespaces")
def test_without_root_the_kernel_log_is_explained():
    code = ("import json; from loopedu import martians; "
            "print(json.dumps(martians.route_localnet_details(timeout=0.5).to_dict()))")
    done = run_as_nobody(code, timeout=60)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["mechanism"] == "user namespace" and data["reached"] == EXPECTED
    ev = data["evidence"]
    # kernel.dmesg_restrict=1: root inside a user namespace may not read the kernel log
    if open("/proc/sys/kernel/dmesg_restrict").read().strip() == "1":
        assert ev["log_lines"] == [] and "not readable" in ev["log_note"]
    else:
        assert ev["log_lines"] or ev["log_note"]


@needs_netns
def test_without_nft_the_rows_say_why(monkeypatch, watched):
    real = martians.find_tool
    monkeypatch.setattr(martians, "find_tool", lambda name: None if name == "nft"
                        else real(name))
    result = martians.route_localnet_details(timeout=FAST)
    check_route_localnet(result, nft=False)
    assert result.rows[2].note == ("not run: nft not installed (Debian: apt-get install "
                                   "nftables)")
    assert "not run: nft not installed" in martians.format_route_localnet(result)


def test_dnat_without_nft_is_explained(monkeypatch):
    monkeypatch.setattr(martians, "find_tool", lambda name: None)
    result = martians.dnat_demo()
    assert result.mechanism == "not run" and not result.live
    assert result.reached == {} and result.rows == ()
    assert result.where.startswith("not run: nft not installed")
    assert martians.format_dnat(result).startswith("[NOT RUN]")


def test_without_namespaces():
    no = sandbox.Capability(False, "network namespaces are a Linux feature and this is "
                                   "darwin")
    with sandbox.assume(network_namespaces=no):
        with pytest.raises(sandbox.NamespaceUnavailable, match="Linux feature"):
            martians.route_localnet_demo()
        dnat = martians.dnat_demo()
    if sandbox.find_tool("nft") is not None:
        assert dnat.mechanism == "not run" and "Linux feature" in dnat.where


def test_the_recorded_results_are_labelled_and_teach_the_same():
    recorded = martians.route_localnet_fallback()
    assert set(recorded) == {"route_localnet", "dnat"}
    assert martians.RECORDED_LABEL == "recorded on Linux (Debian 12) as root, 2026-11-29"
    for name, result in recorded.items():
        assert result.reached == EXPECTED and result.mechanism == "recorded"
        assert result.where == martians.RECORDED_LABEL and not result.live
        assert result.to_dict() == martians.RECORDED[name]
        assert all(r.port in (0, martians.PUBLIC_PORT) for r in result.rows)
        assert [str(r.outcome) for r in result.rows][:2] == ["timeout", "connected"]
        assert all(martians.LOG_LINE in x for x in result.evidence.log_lines)
    json.dumps(martians.RECORDED)
    check_route_localnet(recorded["route_localnet"], nft=True)
    text = martians.format_route_localnet(recorded["route_localnet"])
    assert text.startswith("[RECORDED]") and martians.RECORDED_LABEL in text
    assert martians.RECORDED_EXPLANATION in text and "127.0.0.1:<port>" in text
    assert "[RECORDED]" in martians.format_dnat(recorded["dnat"])


def test_the_addresses_are_a_lab_range_apart_from_the_other_labs():
    net = ipaddress.ip_network("198.18.2.0/24")
    assert {ipaddress.ip_address(a) for a in (martians.SERVER, martians.CLIENT)} <= set(net)
    for other in (lan.LAPTOP["ipv4"], containers.HOST):
        assert ipaddress.ip_address(other) not in net
    assert is_lab_safe(martians.SERVER) and is_lab_safe(martians.CLIENT)
    links = (martians.SERVER_LINK, martians.CLIENT_LINK)
    assert all(len(n) <= 15 for n in links)
    assert not set(links) & {"lan0", containers.HOST_LINK, containers.CONTAINER_LINK}
