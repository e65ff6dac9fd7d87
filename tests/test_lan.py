"""The laptop/phone LAN lab: who can connect, matched by the phone's own address and
port, and the same without root inside a user namespace."""

import ipaddress

import pytest
from shared_checks import run_as_nobody

from loopedu import lan, sandbox
from loopedu.connections import is_lab_safe

needs_netns = pytest.mark.needs("network_namespaces")


def check_classic_four(result):
    # ip(7)/ipv6(7): a socket on 127.0.0.1 (::1) is loopback only; 0.0.0.0 (::) listens on
    # every interface, and Linux's :: is dual stack (bindv6only=0 in a new namespace)
    assert result.reached == {"127.0.0.1": False, "0.0.0.0": True, "::1": False, "::": True}
    by = {(a.client, a.bind, a.target): a for a in result.attempts}
    # every server was up: the laptop reached each one over its own loopback
    assert all(a.outcome.connected for (who, _, _), a in by.items() if who == "laptop")
    # the laptop's kernel answered the phone (a reset), it did not drop the packets
    assert str(by[("phone", "127.0.0.1", "198.18.0.1")].outcome) == "refused"
    assert str(by[("phone", "::1", "2001:2::1")].outcome) == "refused"
    # and each server saw the phone's own LAN address, matched to that very attempt
    assert by[("phone", "0.0.0.0", "198.18.0.1")].server_saw == "198.18.0.2"
    assert by[("phone", "::", "2001:2::1")].server_saw == "2001:2::2"
    assert by[("phone", "::", "198.18.0.1")].server_saw == "::ffff:198.18.0.2"
    assert by[("laptop", "127.0.0.1", "127.0.0.1")].server_saw == "127.0.0.1"


@needs_netns
def test_phone_reaches_only_the_wildcard_binds():
    result = lan.lan_exposure_details()
    check_classic_four(result)
    assert result.mechanism == sandbox.capabilities().network_namespaces.mechanism
    data = result.to_dict()
    assert data["server_saw"]["0.0.0.0"] == ["127.0.0.1", "198.18.0.2"]


@pytest.mark.needs("root", "user_namespaces")
def test_the_lab_runs_without_root_inside_a_user_namespace():
    code = ("import json; from loopedu import lan; r = lan.lan_lab(); "
            "print(json.dumps(r.to_dict()))")
    done = run_as_nobody(code)
    assert done.returncode == 0, done.stderr
    import json
    data = json.loads(done.stdout)
    assert data["mechanism"] == "user namespace"
    assert data["reached"] == {"127.0.0.1": False, "0.0.0.0": True, "::1": False, "::": True}


@needs_netns
def test_lan_exposure_with_a_bind_that_fails():
    result = lan.lan_lab(["0.0.0.0", "198.18.0.2"])  # the phone's address: not the laptop's
    assert result.reached == {"0.0.0.0": True, "198.18.0.2": False}
    failed, = [a for a in result.attempts if a.bind == "198.18.0.2"]
    assert str(failed.outcome) == "bind failed: EADDRNOTAVAIL"


def test_lab_unavailable_says_why():
    no = sandbox.Capability(False, "network namespaces are a Linux feature and this is darwin")
    with sandbox.assume(network_namespaces=no):
        with pytest.raises(sandbox.NamespaceUnavailable, match="Linux feature"):
            lan.lan_exposure()


def test_lab_addresses_are_benchmarking_ranges():
    for host in (lan.LAPTOP, lan.PHONE):
        assert ipaddress.ip_address(host["ipv4"]) in ipaddress.ip_network("198.18.0.0/15")
        assert ipaddress.ip_address(host["ipv6"]) in ipaddress.ip_network("2001:2::/48")
        assert all(is_lab_safe(a) for a in host.values())


@pytest.mark.parametrize("address,safe", [
    ("127.0.0.1", True), ("127.255.0.9", True), ("::1", True), ("0.0.0.0", True),
    ("::", True), ("::ffff:127.0.0.1", True), ("198.19.255.255", True),
    ("198.20.0.1", False), ("192.168.1.20", False), ("2001:db8::1", False),
    ("2001:3::1", False), ("localhost", False), ("::127.0.0.1", False)])
def test_is_lab_safe(address, safe):
    assert is_lab_safe(address) is safe


def test_connect_all_refuses_what_it_should():
    with pytest.raises(ValueError, match="neither loopback nor a lab address"):
        lan.connect_all([("192.0.2.1", 80)])
