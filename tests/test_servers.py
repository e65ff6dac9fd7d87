"""The experiment servers: ephemeral ports, real outcomes, nothing left behind."""

import errno
import socket
import threading

import pytest

from loopedu.experiments import expected_reach, probe_addresses, probe_loopback
from loopedu.servers import connect_outcome, errno_name, listener


def test_listener_binds_an_ephemeral_port_and_records_the_peer():
    with listener("127.0.0.1") as srv:
        assert srv.port >= 1024  # the kernel's ephemeral range, never a fixed port
        with socket.create_connection(srv.address, timeout=2) as client:
            local = client.getsockname()
        peers = srv.wait_for_peers(1)
    assert peers == [local]


def test_two_listeners_get_different_ports():
    with listener() as a, listener() as b:
        assert a.port != b.port


def test_listener_closes_socket_and_joins_thread_on_error():
    before = threading.active_count()
    with pytest.raises(RuntimeError):
        with listener("127.0.0.1") as srv:
            sock = srv.sock
            raise RuntimeError("boom")
    assert sock.fileno() == -1
    assert not srv._thread.is_alive()
    assert threading.active_count() == before


def test_closed_port_is_refused():
    with listener("127.0.0.1") as srv:
        port = srv.port
    assert connect_outcome("127.0.0.1", port) == "refused"


def test_unbindable_address_raises_with_socket_closed():
    # 192.0.2.1 (TEST-NET-1, RFC 5737) is on no interface of this machine
    with pytest.raises(OSError) as info:
        with listener("192.0.2.1"):
            pass
    assert errno_name(info.value) == "EADDRNOTAVAIL"


def test_client_bind_failure_is_named():
    with listener("127.0.0.1") as srv:
        assert connect_outcome("127.0.0.1", srv.port, source="192.0.2.1") == \
            "bind failed: EADDRNOTAVAIL"


def test_errno_name():
    assert errno_name(OSError(errno.EADDRINUSE, "x")) == "EADDRINUSE"
    assert errno_name(socket.timeout()) == "ETIMEDOUT"
    assert errno_name(ValueError("x")) == "ValueError"


def test_probe_reports_bind_failure_and_success():
    ok, bad = probe_addresses(["127.0.0.1", "192.0.2.1"])
    assert ok == {"address": "127.0.0.1", "bind": "ok", "connect": "connected",
                  "server_saw": "127.0.0.1", "outcome": "bind ok, connected"}
    assert bad["bind"] == "EADDRNOTAVAIL" and bad["connect"] is None
    assert bad["outcome"] == "EADDRNOTAVAIL"


def test_expected_reach_matches_this_linux_machine():
    import platform
    if platform.system() != "Linux":
        pytest.skip("the observation is of Linux")
    for address in ("127.0.0.1", "127.0.0.2", "127.255.255.254"):
        assert probe_loopback(address)["outcome"] == expected_reach(address)
    assert expected_reach("127.0.0.2", "Darwin") == "EADDRNOTAVAIL"
    assert expected_reach("127.0.0.1", "Darwin") == "bind ok, connected"


@pytest.mark.skipif(not socket.has_ipv6, reason="Python built without IPv6")
def test_probe_ipv6_matches_a_direct_bind():
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        expected = "connected"
    except OSError:
        expected = None
    assert probe_loopback("::1")["connect"] == expected
