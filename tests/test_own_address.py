"""Traffic to your own non-loopback address goes over lo (FACTS §7, issue 19 missing
fact): ip route get says ``local ... dev lo``, it works with the card down, and only
lo's counters move. Live as root and in a user namespace, recorded elsewhere,
nothing left behind."""

import json

import pytest

from loopedu import measure, own_address, sandbox

needs_netns = pytest.mark.needs("network_namespaces")
MEGABYTE = 10**6
#: bytes an interface may count without having carried the megabyte (no IPv6 on the veth,
#: so nothing should count at all; any of the data would be 1000 kB)
NOISE = 10_000


def check_own_address(result):
    up, down, gone = result.steps
    assert (up.link, down.link, gone.link) == ("UP", "DOWN", "gone")
    for step in (up, down):
        assert step.route.startswith("local 198.18.0.1 dev lo")
        assert step.local_route.startswith("local 198.18.0.1 dev eth0")
        assert (step.outcome, step.moved) == ("connected", MEGABYTE)
        # lo counts the bytes (one counter, shown as both sent and received) ...
        assert step.lo["sent"] >= MEGABYTE and step.lo["recv"] >= MEGABYTE
        # ... the card does not
        assert step.nic["sent"] + step.nic["recv"] < NOISE
    # a veth pair goes as a whole: the address went with it
    assert "unreachable" in gone.route.lower() and gone.local_route == ""
    assert gone.outcome == "failed: EADDRNOTAVAIL" and gone.moved == 0
    assert gone.lo is None and gone.nic is None


@needs_netns
def test_own_address_goes_over_lo_even_with_the_card_down(namespaces_removed):
    result = own_address.own_address_details()
    check_own_address(result)
    assert result.live and len(namespaces_removed) == 2
    text = own_address.format_own_address(result)
    assert text.startswith("[LIVE]") and "dev lo" in text
    json.dumps(result.to_dict())


@needs_netns
def test_the_namespaces_go_even_when_the_demo_fails(namespaces_removed, fails_inside):
    with pytest.raises(sandbox.ChildError, match="made to fail"):
        own_address.own_address_details()
    assert len(namespaces_removed) == 2


def test_the_recording_teaches_the_same_and_says_where_and_when():
    result = own_address.recorded_own_address()
    assert result.mechanism == "recorded" and result.where.startswith("recorded on Linux ")
    check_own_address(result)
    assert "[RECORDED]" in own_address.format_own_address(result)


def test_without_namespaces_the_recording_stands_in_and_says_why():
    no = sandbox.Capability(False, "network namespaces are a Linux feature and this is "
                                   "darwin")
    with sandbox.assume(network_namespaces=no):
        result = own_address.own_address_demo()
    assert not result.live and "Linux feature" in result.why_recorded


def test_the_counter_experiment_refuses_a_lan_address_outside_the_namespaces():
    with pytest.raises(ValueError, match="not a loopback address"):
        measure.counter_experiment(1, host=own_address.ADDRESS)


def test_the_counter_experiment_says_where_the_bytes_went():
    result = measure.counter_experiment(0.1, host="127.0.0.1")
    assert result.host == "127.0.0.1" and result.bytes_moved == MEGABYTE // 10
    assert "over 127.0.0.1" in measure.format_counters(result)


def test_brief_own_address_keeps_the_route_and_the_counters_per_step():
    result = own_address.recorded_own_address()
    text = own_address.format_own_address(result, brief=True)
    steps = [line for line in text.splitlines() if " | " in line]
    assert len(steps) == len(result.steps) + 1        # the header, then one line a step
    assert "local 198.18.0.1 dev lo |" in text and "local table" not in text
    assert "local table" in own_address.format_own_address(result)
