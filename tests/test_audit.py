"""The listening-socket audit: our own listeners appear, with the right exposure."""

import os
import re
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


def open_own_sockets(stack: ExitStack, hosts, expose: bool = False) -> dict:
    """TCP listeners and bound UDP sockets of this process on each of ``hosts``:
    {(protocol, address): port}."""
    found = {}
    for host in hosts:
        v6 = ":" in host
        srv = stack.enter_context(listener(host, expose=expose))
        found[("tcp6" if v6 else "tcp", host)] = srv.port
        udp = stack.enter_context(socket.socket(socket.AF_INET6 if v6 else socket.AF_INET,
                                                socket.SOCK_DGRAM))
        udp.bind((host, 0))
        found[("udp6" if v6 else "udp", host)] = udp.getsockname()[1]
    return found


@pytest.fixture
def own_sockets():
    """Loopback listeners and bound UDP sockets of this process (the ones on every
    interface are made in a namespace: test_wildcard_sockets_are_exposed)."""
    with ExitStack() as stack:
        yield open_own_sockets(stack, ["127.0.0.1"] + (["::1"] if can_bind("::1") else []))


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


#: Run behind a namespace without the course's mark: sockets on every interface (which
#: reach nothing real there), audited system-wide, per process, and as a report.
_WILDCARD = """
import os, socket
from contextlib import ExitStack
import psutil
from loopedu import audit
from test_audit import can_bind, open_own_sockets
with ExitStack() as stack:
    hosts = ["127.0.0.1", "0.0.0.0"] + (["::1", "::"] if can_bind("::1") else [])
    own = open_own_sockets(stack, hosts, expose=True)
    wide = audit.audit()
    real = psutil.net_connections
    psutil.net_connections = lambda *a, **k: (_ for _ in ()).throw(psutil.AccessDenied())
    narrow = audit.audit()
    psutil.net_connections = real
rows = [r for r in wide.sockets if r.pid == os.getpid()]
result = (own, wide.sockets, narrow.method, narrow.sockets, os.getpid(),
          psutil.Process().name(), audit.exposure_report(rows, ["the sockets of 2 processes"]),
          [r for r in rows])
"""


@pytest.mark.needs("network_namespaces")
def test_wildcard_sockets_are_exposed():
    from netns_helpers import run_as_host_without_namespaces

    from loopedu.sandbox import namespace

    with namespace("audit") as ns:
        own, wide, method, narrow, pid, name, text, rows = run_as_host_without_namespaces(
            ns, _WILDCARD)
    assert method == "per-process"
    for sockets in (wide, narrow):
        for (protocol, address), row in mine(sockets, own).items():
            assert row is not None, (protocol, address)
            assert row.exposed is (address in ("0.0.0.0", "::"))
            assert (row.pid, row.process) == (pid, name)
    exposed_lines = text.split("\n")[1:1 + sum(r.exposed for r in rows)]
    assert text.startswith(f"{sum(r.exposed for r in rows)} of {len(rows)} listening")
    for (protocol, address), port in own.items():
        listed = any(f":{port}" in line and line.split()[0] == protocol for line in exposed_lines)
        assert listed is (address in ("0.0.0.0", "::"))
    local = sum(not r.exposed for r in rows)
    assert f"\n{local} listen" in text and "on loopback only" in text
    assert text.endswith("Not visible: the sockets of 2 processes.")


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
    assert text.startswith(f"0 of {len(rows)} listening")
    for (protocol, address), port in own_sockets.items():
        assert f":{port}" not in text.split("\n")[0]
    assert f"\n{len(rows)} listen" in text and "on loopback only" in text
    assert text.endswith("Not visible: the sockets of 2 processes.")


def test_format_audit_wraps_its_prose_at_90_characters_and_keeps_every_word():
    # review of lessons 03-05: a prose line of the audit was clipped in the printed handout
    rows = (audit.Listening("0.0.0.0", 2024, "tcp", None, None, True),
            audit.Listening("127.0.0.1", 5432, "tcp", 77, "postgres", False))
    result = audit.Audit(rows, "system-wide", ("which process owns 1 of the sockets",))
    text = audit.format_audit(result)
    report = audit.exposure_report(rows, result.could_not_see)
    assert max(len(line) for line in report.splitlines()) > 90   # there is prose to wrap
    assert all(len(line) <= 90 for line in text.splitlines()), text
    assert " ".join(text.split()).endswith(" ".join(report.split()))


def test_the_table_alone_counts_the_exposed_and_fits_a_printed_line():
    # issue 21: lesson 04's main path prints the table and a count; the advice is the
    # report's (loopedu audit), and the 40-character address column printed small
    rows = (audit.Listening("2001:db8:1234:5678:9abc:def0:1234:5678", 8000, "tcp6", None,
                            None, True),
            audit.Listening("0.0.0.0", 22, "tcp", 9, "sshd", True),
            audit.Listening("127.0.0.1", 5432, "tcp", 77, "postgres", False))
    hidden = ("the sockets of 3 processes this user may not inspect (run as administrator "
              "to see them): a, b, c",)
    text = audit.format_audit(audit.Audit(rows, "per-process", hidden), report=False)
    assert "2 of 3 listening sockets can be reached" in text
    assert "Anyone on the same network" not in text  # the report's advice is left out
    assert " ".join(text.split()).endswith(f"Not visible: {hidden[0]}.")
    assert all(len(line) <= 90 for line in text.splitlines()), text
    short = audit.format_audit(audit.Audit(rows[1:], "system-wide", ()), report=False)
    assert max(map(len, short.splitlines())) < 80, short  # narrow when addresses are


def test_brief_audit_lists_exposed_sockets_and_counts_loopback_ones_by_address():
    rows = (audit.Listening("0.0.0.0", 22, "tcp", 9, "sshd", True),
            audit.Listening("127.0.0.1", 5432, "tcp", 7, "postgres", False),
            audit.Listening("127.0.0.1", 6379, "tcp", 8, "redis", False),
            audit.Listening("::1", 631, "tcp6", 6, "cupsd", False))
    text = audit.format_audit(audit.Audit(rows, "system-wide", ()), report=False, brief=True)
    assert "sshd" in text and "postgres" not in text and "cupsd" not in text
    assert re.search(r"127\.0\.0\.1 +no +2 sockets", text), text
    assert re.search(r"::1 +no +1 socket$", text, re.M), text
    assert "1 of 4 listening sockets" in text
