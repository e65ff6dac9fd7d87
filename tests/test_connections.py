"""Connection outcomes as types, and the course's rule: traffic only to loopback and to
the lab's own benchmarking ranges."""

import errno
import socket

import pytest

from loopedu.connections import (
    Kind,
    Outcome,
    connect,
    connect_outcome,
    errno_name,
    is_lab_safe,
    same_endpoint,
)
from loopedu.servers import listener


@pytest.mark.parametrize("exc,words", [
    (ConnectionRefusedError(errno.ECONNREFUSED, "x"), "refused"),
    (socket.timeout("timed out"), "timeout"),
    (OSError(errno.ENETUNREACH, "x"), "unreachable"),
    (OSError(errno.EHOSTUNREACH, "x"), "unreachable"),
    (OSError(errno.EADDRNOTAVAIL, "x"), "failed: EADDRNOTAVAIL"),
])
def test_outcome_of_a_connect_error(exc, words):
    assert str(Outcome.of_error(exc)) == words


def test_outcome_of_a_bind_error_keeps_its_errno():
    outcome = Outcome.of_error(OSError(errno.EADDRINUSE, "x"), Kind.BIND_FAILED)
    assert (outcome.kind, outcome.errno, str(outcome)) == \
        (Kind.BIND_FAILED, "EADDRINUSE", "bind failed: EADDRINUSE")
    assert outcome.explain == "another socket already holds that address and port"
    assert not outcome.connected


def test_connect_gives_the_clients_own_address():
    with listener("127.0.0.1") as srv:
        attempt = connect("127.0.0.1", srv.port)
        assert attempt.outcome.connected
        assert srv.wait_for_peer(attempt.local) == attempt.local
    assert connect_outcome("127.0.0.1", srv.port) == "refused"   # closed now


@pytest.mark.parametrize("target", ["192.0.2.1", "8.8.8.8", "2001:db8::1", "10.0.0.1"])
def test_connect_refuses_to_leave_the_machine(target):
    with pytest.raises(ValueError, match="neither loopback nor a lab address"):
        connect(target, 80)


def test_same_endpoint_sees_through_mapped_addresses():
    assert same_endpoint(("::ffff:127.0.0.1", 5), ("127.0.0.1", 5))
    assert same_endpoint(("::1", 5), ("::1", 5))
    assert not same_endpoint(("127.0.0.2", 5), ("127.0.0.1", 5))
    assert not same_endpoint(("::ffff:127.0.0.1", 6), ("127.0.0.1", 5))


def test_errno_name():
    assert errno_name(OSError(errno.EADDRINUSE, "x")) == "EADDRINUSE"
    assert errno_name(socket.timeout()) == "ETIMEDOUT"
    assert errno_name(ValueError("x")) == "ValueError"


@pytest.mark.parametrize("address,safe", [("127.3.4.5", True), ("::1", True),
                                          ("198.18.0.1", True), ("2001:2::1", True),
                                          ("198.17.255.255", False), ("fe80::1", False)])
def test_lab_safe_boundaries(address, safe):
    # RFC 2544: 198.18.0.0/15 ends at 198.19.255.255; RFC 5180: 2001:2::/48
    assert is_lab_safe(address) is safe
