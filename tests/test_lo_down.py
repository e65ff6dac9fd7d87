"""lo down, both cases (FACTS §7, issue 19 item 1): a namespace whose lo was never up
(no local table: ENETUNREACH at once, bind accepts any IPv4 address) and one whose lo
was up and is then set down (127.0.0.1/8 and its local routes stay: connect times out,
ping gets no reply); ::1 gone in both. Live as root and in a user namespace, recorded
elsewhere, nothing left behind."""

import json
import socket

import pytest

from loopedu import lo_down, sandbox
from loopedu.sandbox.recordings import recording_path

needs_netns = pytest.mark.needs("network_namespaces")
CONNECT_TIMEOUT = 1.0


def _v6_bind_error() -> str:
    """What binding ::1 in a namespace whose lo is down gives: EADDRNOTAVAIL, or
    EAFNOSUPPORT where this kernel has no IPv6 at all."""
    try:
        socket.socket(socket.AF_INET6, socket.SOCK_STREAM).close()
    except OSError:
        return "EAFNOSUPPORT"
    return "EADDRNOTAVAIL"


#: FACTS §7, as observed on Linux 6.x and as the kernel's sources explain it.
NEVER_UP = {"127.0.0.1 on lo": False, "local table": False,
            "connect 127.0.0.1": "ENETUNREACH", "ping 127.0.0.1": "ENETUNREACH",
            "bind 198.51.100.7": "ok"}
UP_THEN_DOWN = {"127.0.0.1 on lo": True, "local table": True,
                "connect 127.0.0.1": "timeout", "ping 127.0.0.1": "no reply",
                "bind 198.51.100.7": "EADDRNOTAVAIL"}


def check_both_cases(result, connect_timeout: float):
    never, down = result.cases
    assert (never.case, down.case) == ("lo never up", "lo up, then down")
    outcomes = result.outcomes
    v6 = outcomes["lo never up"].pop("bind ::1"), outcomes["lo up, then down"].pop("bind ::1")
    assert v6 == (_v6_bind_error(),) * 2
    assert outcomes == {"lo never up": NEVER_UP, "lo up, then down": UP_THEN_DOWN}
    # never up: nothing on lo, no local table at all, and yet 127.0.0.1 binds
    assert never.addresses == () and "does not exist" in never.local_table_error
    assert never.bind_127 == "ok" and never.connect_ms < 500   # refused at once
    assert never.ping.sent == 0
    # up, then down: the address and the local routes stay; the SYN is dropped on lo
    assert any("inet 127.0.0.1/8" in line for line in down.addresses)
    assert any(line.startswith("local 127.0.0.0/8 dev lo") for line in down.local_table)
    assert down.connect_ms >= connect_timeout * 1000 * 0.9
    assert (down.ping.sent, down.ping.replies) == (1, 0)
    assert down.bind_127 == "ok"


@needs_netns
def test_both_cases_live(namespaces_removed):
    result = lo_down.lo_down_cases(connect_timeout=CONNECT_TIMEOUT, ping_timeout=0.5)
    check_both_cases(result, CONNECT_TIMEOUT)
    assert result.live and result.mechanism == sandbox.capabilities().network_namespaces.mechanism
    assert len(namespaces_removed) == 2
    text = lo_down.format_lo_down(result)
    assert text.startswith("[LIVE]") and "ENETUNREACH" in text and "timeout after" in text
    json.dumps(result.to_dict())


@needs_netns
def test_the_namespaces_go_even_when_the_experiment_fails(namespaces_removed, fails_inside):
    with pytest.raises(sandbox.ChildError, match="made to fail"):
        lo_down.lo_down_cases(connect_timeout=CONNECT_TIMEOUT)
    assert len(namespaces_removed) == 2


def test_the_recording_teaches_the_same_and_says_where_and_when():
    result = lo_down.recorded_lo_down()
    assert not result.live and result.mechanism == "recorded"
    check_both_cases(result, 1.0)   # recorded with a longer timeout than 1 s
    data = json.loads(recording_path(lo_down.RECORDING).read_text())
    assert data["system"] == "Linux" and data["kernel"] and data["date"]
    assert data["how"].startswith("in network namespaces made as ")
    assert result.where == data["label"]
    assert data["kernel"] in result.where and data["date"] in result.where
    assert "[RECORDED]" in lo_down.format_lo_down(result)


def test_without_namespaces_the_recording_stands_in_and_says_why():
    no = sandbox.Capability(False, "network namespaces are a Linux feature and this is "
                                   "darwin")
    with sandbox.assume(network_namespaces=no):
        with pytest.raises(sandbox.NamespaceUnavailable, match="Linux feature"):
            lo_down.lo_down_cases()
        result = lo_down.lo_down_demo()
    assert not result.live and "Linux feature" in result.why_recorded
    text = lo_down.format_lo_down(result)
    assert lo_down.RECORDED_EXPLANATION in text and "Linux feature" in text


def test_only_test_net_and_loopback_addresses():
    import ipaddress
    assert ipaddress.ip_address(lo_down.OTHER_ADDRESS) in ipaddress.ip_network("198.51.100.0/24")



def test_the_errno_explanation_does_not_blame_any_lo_down_for_enetunreach():
    """Shown beside every ENETUNREACH: it comes from a lo that was never up; a lo set
    down after being up gives a timeout instead."""
    from loopedu.connections import EXPLAIN_ERRNO
    text = EXPLAIN_ERRNO["ENETUNREACH"]
    assert "never up" in text and "time out" in text


def test_brief_lo_down_keeps_what_the_lesson_discusses():
    result = lo_down.recorded_lo_down()
    brief = lo_down.format_lo_down(result, brief=True)
    for row in ("address on lo:", "local table:", "connect 127.0.0.1:", "ping 127.0.0.1:",
                "bind ::1:"):
        assert brief.count(row) == 2, brief
    assert lo_down.OTHER_ADDRESS not in brief and lo_down.OTHER_ADDRESS in \
        lo_down.format_lo_down(result)
