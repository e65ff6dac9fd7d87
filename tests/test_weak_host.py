"""The weak host model (FACTS §7, RFC 1122 §3.3.4.2, issue 19 item 4): a server bound to
the laptop's lan0 address is reached from lan1's network with strict rp_filter on;
SO_BINDTODEVICE and an nft rule on the incoming interface restrict it. Live as root
and in a user namespace, recorded elsewhere, nothing left behind."""

import importlib
import ipaddress
import json

import pytest

from loopedu import containers, martians, sandbox, weak_host
from loopedu.connections import is_lab_safe

needs_netns = pytest.mark.needs("network_namespaces")
FAST = 0.5

PLAIN, BOUND, FIREWALLED = weak_host.SETUPS
#: Linux is a weak host: binding an address restricts the address, not the network.
EXPECTED = {PLAIN: {"phone": True, "other": True},
            BOUND: {"phone": True, "other": False},
            FIREWALLED: {"phone": True, "other": False}}


def check_weak_host(result, nft: bool = True):
    expected = dict(EXPECTED)
    if not nft:
        expected[FIREWALLED] = {"phone": None, "other": None}
    assert result.reached == expected
    rows = {(a.setup, a.client, a.target): a for a in result.attempts}
    assert len(rows) == len(result.attempts) == 7
    # "other" really came from lan1's network: the server saw its own address, no NAT
    other = rows[(PLAIN, "other", "198.18.0.1")]
    assert other.server_saw == "198.19.0.2" and str(other.outcome) == "connected"
    assert rows[(PLAIN, "phone", "198.18.0.1")].server_saw == "198.18.0.2"
    # the server is bound to 198.18.0.1 only: the laptop's lan1 address has no server
    assert str(rows[(PLAIN, "other", "198.19.0.1")].outcome) == "refused"
    # SO_BINDTODEVICE lan0: a SYN arriving on lan1 finds no socket (a reset)
    assert str(rows[(BOUND, "other", "198.18.0.1")].outcome) == "refused"
    if nft:  # a drop: no answer at all
        assert str(rows[(FIREWALLED, "other", "198.18.0.1")].outcome) == "timeout"
        assert rows[(FIREWALLED, "phone", "198.18.0.1")].server_saw == "198.18.0.2"
    # strict reverse-path filtering was on, and did not stop it
    assert result.rp_filter == {"all": "1", "lan0": "1", "lan1": "1"}
    assert "via 198.19.0.1 dev lan1" in result.route


@needs_netns
@pytest.mark.needs("nft")
def test_a_lan0_server_is_reached_from_lan1_until_restricted_by_interface(
        namespaces_removed):
    result = weak_host.weak_host_details(timeout=FAST)
    check_weak_host(result)
    assert result.live and len(namespaces_removed) == 3
    text = weak_host.format_weak_host(result)
    assert text.startswith("[LIVE]") and "rp_filter: all=1" in text
    json.dumps(result.to_dict())


@pytest.mark.needs("root", "user_namespaces", "nft")
def test_inside_a_forced_user_namespace(namespaces_removed):
    user = sandbox.Capability(True, "forced for this test", sandbox.USER)
    with sandbox.assume(network_namespaces=user):
        result = weak_host.weak_host_details(timeout=FAST)
    assert result.mechanism == "user namespace"
    check_weak_host(result)


@needs_netns
def test_without_nft_the_rows_say_why(monkeypatch, namespaces_removed):
    holders = importlib.import_module("loopedu.sandbox.holders")
    real = holders.find_tool
    monkeypatch.setattr(holders, "find_tool", lambda name: None if name == "nft"
                        else real(name))
    result = weak_host.weak_host_details(timeout=FAST)
    check_weak_host(result, nft=False)
    notes = {a.note for a in result.attempts if a.setup == FIREWALLED}
    assert notes == {"not run: nft not installed (Debian: apt-get install nftables)"}
    assert "not run: nft not installed" in weak_host.format_weak_host(result)


@needs_netns
def test_the_namespaces_go_even_when_the_demo_fails(namespaces_removed, fails_inside):
    with pytest.raises(sandbox.ChildError, match="made to fail"):
        weak_host.weak_host_details(timeout=FAST)
    assert len(namespaces_removed) == 3


def test_the_recording_teaches_the_same_and_says_where_and_when():
    result = weak_host.recorded_weak_host()
    assert result.mechanism == "recorded" and result.where.startswith("recorded on Linux ")
    check_weak_host(result)
    assert "[RECORDED]" in weak_host.format_weak_host(result)


def test_without_namespaces_the_recording_stands_in_and_says_why():
    no = sandbox.Capability(False, "network namespaces are a Linux feature and this is "
                                   "win32")
    with sandbox.assume(network_namespaces=no):
        result = weak_host.weak_host_demo()
    assert not result.live and "Linux feature" in result.why_recorded
    assert " ".join(weak_host.RECORDED_EXPLANATION.split()) in \
        " ".join(weak_host.format_weak_host(result).split())


def test_the_two_networks_are_lab_ranges_apart_from_the_other_labs():
    lan0 = ipaddress.ip_network(f"{weak_host.LAPTOP_LAN0}/24", strict=False)
    lan1 = ipaddress.ip_network(f"{weak_host.LAPTOP_LAN1}/24", strict=False)
    assert lan0 != lan1 and not lan0.overlaps(lan1)
    for address in (weak_host.LAPTOP_LAN0, weak_host.PHONE_LAN0, weak_host.LAPTOP_LAN1,
                    weak_host.OTHER_LAN1):
        assert is_lab_safe(address)
        assert ipaddress.ip_address(address) in ipaddress.ip_network("198.18.0.0/15")
    for other in (containers.HOST, martians.SERVER):
        assert ipaddress.ip_address(other) not in lan0 and ipaddress.ip_address(other) \
            not in lan1


def test_the_header_of_the_text_fits_a_printed_line():
    # review of lessons 03-05: the first line was clipped in the printed handout
    text = weak_host.format_weak_host(weak_host.recorded_weak_host())
    header = text.split("\nother's route:")[0]
    assert all(len(line) <= 90 for line in header.splitlines()), header
    for name in ("198.18.0.1", "lan0", "198.19.0.1", "lan1", "other"):
        assert name in header


def test_every_row_fits_a_printed_line_at_9_points():
    # issue 21: rows of 107 characters printed at 7 pt on A4; 90 characters print at 9 pt
    result = weak_host.recorded_weak_host()
    text = weak_host.format_weak_host(result)
    wide = [line for line in text.splitlines() if len(line) > 90]
    assert not wide, wide
    for a in result.attempts:  # every attempt still shown, under its own setup
        block = text.split(f"\n{a.setup}:\n")[1].split(":\n")[0]
        assert f"  {a.client:<6}-> {a.target}:{a.port} " in block, (a, block)
