"""The listening-socket audit: our own listeners appear, with the right exposure."""

import os
import socket
from contextlib import ExitStack

import psutil
import pytest

from loopedu import audit
from loopedu.servers import listener


def can_bind(address: str) -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind((address, 0))
        return True
    except OSError:
        return False


@pytest.fixture
def own_sockets():
    """TCP listeners and bound UDP sockets of this process: {(protocol, address): port}."""
    with ExitStack() as stack:
        found = {}
        hosts = ["127.0.0.1", "0.0.0.0"] + (["::1", "::"] if can_bind("::1") else [])
        for host in hosts:
            v6 = ":" in host
            srv = stack.enter_context(listener(host))
            found[("tcp6" if v6 else "tcp", host)] = srv.port
            udp = stack.enter_context(socket.socket(socket.AF_INET6 if v6 else socket.AF_INET,
                                                    socket.SOCK_DGRAM))
            udp.bind((host, 0))
            found[("udp6" if v6 else "udp", host)] = udp.getsockname()[1]
        yield found


def mine(rows, own):
    index = {(r.protocol, r.address, r.port): r for r in rows}
    return {key: index.get((key[0], key[1], port)) for key, port in own.items()}


def check_rows(rows, own):
    for (protocol, address), row in mine(rows, own).items():
        assert row is not None, (protocol, address)
        assert row.exposed is (address in ("0.0.0.0", "::"))
        assert row.pid == os.getpid()
        assert row.process == psutil.Process().name()


def test_own_listeners_appear_with_the_right_exposure(own_sockets):
    check_rows(audit.listening_sockets(), own_sockets)


def test_per_process_fallback_when_the_system_wide_list_is_refused(own_sockets, monkeypatch):
    def refuse(*args, **kwargs):
        raise psutil.AccessDenied()

    monkeypatch.setattr(psutil, "net_connections", refuse)
    result = audit.audit()
    assert result.method == "per-process"
    check_rows(result.sockets, own_sockets)


def test_a_connected_udp_socket_is_not_listening(own_sockets):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.connect(("127.0.0.1", own_sockets[("udp", "127.0.0.1")]))
        port = udp.getsockname()[1]
        rows = audit.listening_sockets()
    assert not [r for r in rows if r.port == port and r.protocol == "udp"]


@pytest.mark.parametrize("address,exposed", [
    ("127.0.0.1", False), ("127.9.9.9", False), ("::1", False), ("::ffff:127.0.0.1", False),
    ("0.0.0.0", True), ("::", True), ("198.18.0.1", True), ("fe80::1%eth0", True),
    ("::ffff:198.18.0.1", True), ("not-an-address", True)])
def test_is_exposed(address, exposed):
    assert audit.is_exposed(address) is exposed


def test_exposure_report_names_what_is_exposed(own_sockets):
    result = audit.audit()
    rows = [r for r in result.sockets if r.pid == os.getpid()]
    text = audit.exposure_report(rows, ["the sockets of 2 processes"])
    exposed_lines = text.split("\n")[1:1 + sum(r.exposed for r in rows)]
    assert text.startswith(f"{sum(r.exposed for r in rows)} of {len(rows)} listening")
    for (protocol, address), port in own_sockets.items():
        listed = any(f":{port}" in line and line.split()[0] == protocol for line in exposed_lines)
        assert listed is (address in ("0.0.0.0", "::"))
    local = sum(not r.exposed for r in rows)
    assert f"\n{local} listen" in text and "on loopback only" in text
    assert text.endswith("Not visible: the sockets of 2 processes.")


def test_format_audit_has_a_row_per_socket(own_sockets):
    result = audit.audit()
    table = audit.format_audit(result).split("\n\n")[0].splitlines()
    assert len(table) == 1 + len(result.sockets)


def test_experiments_listening_sockets_is_the_audit():
    from loopedu import experiments
    from loopedu.servers import listener

    with listener("0.0.0.0") as srv:
        rows = [r for r in experiments.listening_sockets()
                if r.port == srv.port and r.protocol.startswith("tcp")]
    assert rows and rows[0].exposed is True and rows[0].address == "0.0.0.0"
