"""The loopback port forwarder (the `ssh -L` / docker-proxy idea): bytes relayed both ways
and byte for byte, half-close passed on, a refused target seen by the client as a reset
after a successful connect, the course's address rules, and nothing left behind."""

import os
import socket
import struct
import threading

import psutil
import pytest

from loopedu.connections import Kind
from loopedu.forwarder import Ending, Exchange, exchange, forward
from loopedu.servers import echo_server, listener


def _sockets() -> set:
    return {(c.family, c.laddr, c.raddr, c.status)
            for c in psutil.Process().net_connections(kind="inet")}


@pytest.fixture
def no_leaks():
    """Every thread and socket a test opens is gone when it ends."""
    threads, sockets = set(threading.enumerate()), _sockets()
    yield
    assert set(threading.enumerate()) == threads
    assert _sockets() == sockets


def _closed_port() -> int:
    """A loopback port nothing listens on (a listener's, after it closed)."""
    with listener("127.0.0.1") as srv:
        return srv.port


@pytest.fixture
def half_close_target():
    """A target that reads until the client's end of stream, then answers with how many
    bytes it got: it can answer only if the forwarder passed the half-close on."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(2)

    def serve():
        try:
            conn, _ = server.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(2)
            total = 0
            while data := conn.recv(65536):
                total += len(data)
            conn.sendall(f"got {total} bytes".encode())

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        yield server.getsockname()[:2]
    finally:
        server.close()
        thread.join(5)


def test_a_request_and_its_reply_pass_through(no_leaks):
    with echo_server() as srv, forward(*srv.address) as fwd:
        assert fwd.address == ("127.0.0.1", fwd.port) and fwd.port != srv.address[1]
        got = exchange(*fwd.address, timeout=5, payload=b"hello")
        done = fwd.wait_for(1, timeout=5)
    assert got.worked and got.reply == b"hello"
    assert fwd.accepted == 1
    assert (fwd.bytes_to_target, fwd.bytes_to_client) == (5, 5)
    (record,) = done
    assert record.upstream.connected and record.ended is Ending.CLOSED
    assert (record.to_target, record.to_client) == (5, 5)
    assert record.client[0] == "127.0.0.1"
    assert str(fwd).endswith(f"-> 127.0.0.1:{srv.address[1]}")
    assert fwd.exposure() is None


def test_a_megabyte_comes_back_byte_for_byte(no_leaks):
    data = os.urandom(1 << 20)
    with echo_server() as srv, forward(*srv.address) as fwd:
        with socket.create_connection(fwd.address, timeout=5) as client:
            def send():  # send while reading, or both directions' buffers fill up
                client.sendall(data)
                client.shutdown(socket.SHUT_WR)

            sender = threading.Thread(target=send)
            sender.start()
            got = bytearray()
            while chunk := client.recv(65536):
                got += chunk
            sender.join(5)
        (record,) = fwd.wait_for(1, timeout=5)
    assert bytes(got) == data
    assert (record.to_target, record.to_client) == (len(data), len(data))
    assert record.ended is Ending.CLOSED


def test_half_close_reaches_the_target_and_its_answer_comes_back(no_leaks,
                                                                   half_close_target):
    with forward(*half_close_target) as fwd:
        with socket.create_connection(fwd.address, timeout=2) as client:
            client.sendall(b"x" * 1000)
            client.shutdown(socket.SHUT_WR)   # "I am done sending", still reading
            answer = b""
            while chunk := client.recv(100):
                answer += chunk
        (record,) = fwd.wait_for(1, timeout=5)
    assert answer == b"got 1000 bytes"
    assert (record.to_target, record.to_client) == (1000, len(answer))
    assert record.ended is Ending.CLOSED


def test_a_refused_target_gives_a_reset_after_a_successful_connect(no_leaks):
    port = _closed_port()
    with forward("127.0.0.1", port) as fwd:
        got = exchange(*fwd.address, timeout=5)
        (record,) = fwd.wait_for(1, timeout=5)
    # the forwarder accepted, so the client's own connect worked...
    assert got.connect.connected
    # ...and then the connection was reset, with no reply: "connection reset by peer"
    assert (got.after, got.reply) == ("reset", b"")
    assert str(got) == "connected, then reset (ECONNRESET)"
    assert record.upstream.kind is Kind.REFUSED
    assert record.ended is Ending.RESET_CLIENT
    assert (record.to_target, record.to_client) == (0, 0)


def test_on_refused_close_is_a_plain_close(no_leaks):
    with forward("127.0.0.1", _closed_port(), on_refused="close") as fwd:
        with socket.create_connection(fwd.address, timeout=2) as client:
            assert client.recv(10) == b""   # the end of stream: closed, not reset
        (record,) = fwd.wait_for(1, timeout=5)
    assert record.ended is Ending.CLOSED_CLIENT


def test_a_client_reset_is_recorded(no_leaks):
    with echo_server() as srv, forward(*srv.address) as fwd:
        client = socket.create_connection(fwd.address, timeout=2)
        client.sendall(b"ping")
        assert client.recv(4) == b"ping"
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        client.close()   # SO_LINGER 0: an RST, not a FIN
        (record,) = fwd.wait_for(1, timeout=5)
    assert record.ended is Ending.CLIENT_RESET
    assert (record.to_target, record.to_client) == (4, 4)


@pytest.mark.parametrize("listen", ["0.0.0.0", "::", "198.18.0.1", "192.0.2.1"])
def test_refuses_to_listen_beyond_loopback_unless_asked(listen, no_leaks):
    with pytest.raises(ValueError, match="not a loopback address.*expose=True"):
        with forward("127.0.0.1", 9, listen=listen):
            pass


def test_listen_must_be_an_address(no_leaks):
    with pytest.raises(ValueError, match="IP address"):
        with forward("127.0.0.1", 9, listen="localhost"):
            pass


@pytest.mark.parametrize("target", ["192.0.2.1", "10.0.0.1", "8.8.8.8", "2001:db8::1",
                                    "example.com"])
def test_refuses_targets_outside_loopback_and_the_lab(target, no_leaks):
    with pytest.raises(ValueError, match="neither loopback nor a lab address"):
        with forward(target, 80):
            pass


def test_bad_options_are_refused(no_leaks):
    with pytest.raises(ValueError, match="on_refused"):
        with forward("127.0.0.1", 80, on_refused="ignore"):
            pass
    with pytest.raises(ValueError, match="target_port"):
        with forward("127.0.0.1", 0):
            pass


@pytest.mark.needs("whole_127_range")
def test_any_loopback_address_needs_no_permission(no_leaks):
    with echo_server() as srv, forward(*srv.address, listen="127.0.0.2") as fwd:
        assert fwd.address[0] == "127.0.0.2" and fwd.exposure() is None
        assert exchange(*fwd.address, timeout=5).worked


def test_everything_is_closed_after_an_exception_in_the_block(no_leaks):
    with echo_server() as srv:
        with pytest.raises(RuntimeError):
            with forward(*srv.address) as fwd:
                client = socket.create_connection(fwd.address, timeout=2)
                client.sendall(b"ping")
                assert client.recv(4) == b"ping"   # a connection in the middle of use
                raise RuntimeError("the learner's cell failed")
        with client:
            try:
                assert client.recv(10) == b""
            except ConnectionResetError:
                pass
        (record,) = fwd.connections
        assert record.ended is Ending.STOPPED
        assert exchange(*fwd.address, timeout=5).connect.kind is Kind.REFUSED   # nothing listens


def test_a_keyboard_interrupt_still_closes_and_joins(no_leaks):
    with pytest.raises(KeyboardInterrupt):
        with forward("127.0.0.1", 9) as fwd:
            raise KeyboardInterrupt
    assert fwd.closed is not None
    assert exchange(*fwd.address, timeout=5).connect.kind is Kind.REFUSED


@pytest.mark.needs("ipv6_loopback")
def test_ipv6_loopback_both_sides(no_leaks):
    with echo_server(host="::1") as srv, forward("::1", srv.address[1], listen="::1") as fwd:
        assert exchange(*fwd.address, timeout=5).reply == b"ping"
        assert str(fwd).startswith("[::1]:")


def test_exchange_never_raises_for_a_network_outcome():
    assert str(exchange("127.0.0.1", _closed_port())) == "refused"
    assert not Exchange(exchange("127.0.0.1", _closed_port()).connect).worked
    with pytest.raises(ValueError, match="neither loopback nor a lab address"):
        exchange("192.0.2.1", 80)
