"""The experiment servers: ephemeral ports, real outcomes, peers matched by the client's
own address, exposure measured, no spinning on EMFILE, nothing left behind."""

import errno
import os
import socket
import sys
import threading
import time

import pytest

from loopedu.connections import connect_outcome, errno_name
from loopedu.listen_guard import Exposure
from loopedu.loopback_range import probe_addresses
from loopedu.platforms import expected_reach
from loopedu.servers import echo_server, listener, probe


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
    assert threading.active_count() == before


def test_wait_for_peer_finds_this_client_among_others():
    with listener("127.0.0.1") as srv:
        clients = [socket.create_connection(srv.address, timeout=2) for _ in range(3)]
        try:
            wanted = clients[1].getsockname()
            assert srv.wait_for_peer(wanted) == wanted
            assert srv.wait_for_peer(("127.0.0.1", 1), timeout=0.2) is None
        finally:
            for c in clients:
                c.close()


def test_exposure_only_beyond_loopback():
    with listener("127.0.0.1") as local:
        pass
    assert local.exposure() is None
    # a listener beyond loopback is made where nothing can reach it: a namespace without
    # the course's mark, where the guard behaves as on a real host (test_listen_guard.py)
    assert Exposure.since("127.0.0.1", 1, 0.0, 1.0) is None
    wide = Exposure.since("0.0.0.0", 41234, 10.0, 10.25)
    assert (wide.address, wide.port, round(wide.ms)) == ("0.0.0.0", 41234, 250)


def test_listener_beyond_loopback_needs_expose():
    with pytest.raises(ValueError, match="pass expose=True"):
        with listener("0.0.0.0"):
            pass


class _AcceptFails:
    """A listening socket whose accept() always fails with EMFILE (no descriptor left)."""

    def __init__(self, sock):
        self.sock, self.calls = sock, 0

    def accept(self):
        self.calls += 1
        raise OSError(errno.EMFILE, "Too many open files")

    def __getattr__(self, name):
        return getattr(self.sock, name)


def test_accept_loop_backs_off_when_out_of_descriptors():
    with listener("127.0.0.1") as srv:
        failing = _AcceptFails(srv.sock)
        srv.sock = failing
        with socket.create_connection(srv.address, timeout=2):
            time.sleep(0.5)   # the pending connection keeps the socket readable
        calls = failing.calls
    # a retry at once would spin through thousands of calls in half a second
    assert 1 <= calls <= 30, calls


@pytest.mark.parametrize("transport", ["tcp", "udp", "unix"])
def test_echo_server_echoes_and_cleans_up(transport):
    before = threading.active_count()
    with echo_server(transport) as srv:
        with srv.client() as c:
            c.sendall(b"ping")
            assert c.recv(16) == b"ping"
        folder = os.path.dirname(srv.address) if transport == "unix" else None
    assert threading.active_count() == before
    if folder:
        assert not os.path.exists(folder)


def test_closed_port_is_refused():
    with listener("127.0.0.1") as srv:
        port = srv.port
    assert connect_outcome("127.0.0.1", port) == "refused"


def _macos_like(monkeypatch):
    """Binding 127.0.0.2 fails as on macOS (lo0 has only 127.0.0.1); returns the list of
    sockets that tried, to check each was closed."""
    tried, real = [], socket.socket.bind

    def bind(sock, address):
        if address[0] == "127.0.0.2":
            tried.append(sock)
            raise OSError(errno.EADDRNOTAVAIL, "Can't assign requested address")
        return real(sock, address)

    monkeypatch.setattr(socket.socket, "bind", bind)
    return tried


def test_unbindable_address_raises_with_socket_closed(monkeypatch):
    tried = _macos_like(monkeypatch)
    with pytest.raises(OSError) as info:
        with listener("127.0.0.2"):
            pass
    assert errno_name(info.value) == "EADDRNOTAVAIL"
    assert len(tried) == 1 and tried[0].fileno() == -1


def test_client_bind_failure_is_named():
    with listener("127.0.0.1") as srv:
        assert connect_outcome("127.0.0.1", srv.port, source="192.0.2.1") == \
            "bind failed: EADDRNOTAVAIL"


def test_errno_name():
    assert errno_name(OSError(errno.EADDRINUSE, "x")) == "EADDRINUSE"
    assert errno_name(socket.timeout()) == "ETIMEDOUT"
    assert errno_name(ValueError("x")) == "ValueError"


def test_probe_reports_bind_failure_and_success(monkeypatch):
    ok, = probe_addresses(["127.0.0.1"])
    assert (ok.address, ok.bind, str(ok.connect), ok.server_saw, ok.outcome) == \
        ("127.0.0.1", "ok", "connected", "127.0.0.1", "bind ok, connected")
    with pytest.raises(ValueError, match="loopback addresses only"):
        probe_addresses(["192.0.2.1"])
    # beyond loopback the probe refuses before it binds (a bind there would expose it)
    with pytest.raises(ValueError, match="not a loopback address"):
        probe("192.0.2.1")
    _macos_like(monkeypatch)
    bad = probe("127.0.0.2")  # a bind failure is data, as on macOS
    assert (bad.bind, bad.connect, bad.outcome, bad.reached) == \
        ("EADDRNOTAVAIL", None, "EADDRNOTAVAIL", False)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the observation is of Linux")
def test_expected_reach_matches_this_linux_machine():
    for address in ("127.0.0.1", "127.0.0.2", "127.255.255.254"):
        assert probe(address).outcome == expected_reach(address)
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
    got = probe("::1").connect
    assert (str(got) if got else None) == expected


# ---- the one echo loop: in echo_server's threads and in measure's child processes ----

def test_echo_loop_echoes_a_stream_until_its_end():
    from loopedu.servers import echo_loop

    a, b = socket.socketpair()
    with a, b:
        data = os.urandom(200_000)   # more than one read, more than the buffer
        sender = threading.Thread(target=lambda: (a.sendall(data), a.shutdown(socket.SHUT_WR)))
        sender.start()
        got = bytearray()
        echoed = threading.Thread(target=lambda: got.extend(_read_all(a)))
        echoed.start()
        count = echo_loop(b, "unix", buffer_size=4096)
        b.shutdown(socket.SHUT_WR)
        sender.join(5)
        echoed.join(5)
    assert bytes(got) == data and count >= len(data) // 4096


def _read_all(sock) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def test_echo_loop_ends_a_udp_echo_on_an_empty_datagram():
    from loopedu.servers import bound_socket, echo_loop

    with bound_socket("udp") as (sock, address), \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        client.settimeout(2)
        client.connect(address)
        client.send(b"one")
        client.send(b"two")
        client.send(b"")
        assert echo_loop(sock, "udp") == 2
        assert (client.recv(16), client.recv(16)) == (b"one", b"two")


def test_echo_loop_wakes_when_idle_and_asks_whether_to_stop():
    from loopedu.servers import echo_loop

    asked = []
    a, b = socket.socketpair()
    with a, b:
        assert echo_loop(b, "unix", idle=(0.05, lambda: asked.append(1) or len(asked) == 2)) == 0
    assert asked == [1, 1]


def test_fd_io_reads_and_writes_the_socket():
    from loopedu.servers import fd_io

    a, b = socket.socketpair()
    with a, b:
        read, write, handle = fd_io(a)
        assert write(handle, b"hello") == 5 and b.recv(16) == b"hello"
        b.sendall(b"back")
        assert read(handle, 16) == b"back"


def test_bound_socket_makes_and_removes_a_private_folder(tmp_path):
    from loopedu.servers import bound_socket

    with bound_socket("unix", folder=str(tmp_path)) as (sock, path):
        assert os.path.dirname(os.path.dirname(path)) == str(tmp_path) and os.path.exists(path)
    assert list(tmp_path.iterdir()) == [] and sock.fileno() == -1
    with pytest.raises(ValueError, match="transport must be one of"):
        with bound_socket("sctp"):
            pass


@pytest.mark.parametrize("transport", ["tcp", "udp", "unix"])
def test_echo_server_stops_with_clients_still_connected(transport):
    before = threading.active_count()
    with echo_server(transport) as srv:
        clients = [srv.client() for _ in range(3)]
        for c in clients:
            c.send(b"ping")
            assert c.recv(16) == b"ping"
    assert threading.active_count() == before   # every echo thread was woken and joined
    for c in clients:
        c.close()
