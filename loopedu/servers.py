"""Tiny experiment servers: ephemeral port, context-managed, always joined.

Every listener the course opens goes through :func:`listener`, :func:`echo_server` or
:func:`bound_socket`: they pass :func:`loopedu.listen_guard.check_listen` (loopback,
the course's own namespaces, or ``expose=True``) before they bind, bind port 0 (the
kernel picks a free ephemeral port, so 30 students on one JupyterHub never collide),
read the port back, serve from a daemon
thread (or, for :mod:`loopedu.measure`, a child process), and on leaving the ``with``
block close every socket and join the thread, even after an exception or a
KeyboardInterrupt. Every echo, in a thread or a process, is :func:`echo_loop`. A
listener remembers which clients it accepted, as the server saw them, and for how long
it was open: a listener beyond loopback is an :class:`Exposure` the lessons report.

Introduced in notebooks/01-loopback-range.ipynb.
"""

from __future__ import annotations

import errno
import os
import selectors
import shutil
import socket
import struct
import sys
import tempfile
import threading
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Iterator

from .connections import (
    Kind,
    Outcome,
    connect,
    errno_name,
    family_of,
    same_endpoint,
)
from .listen_guard import Exposure, check_listen

__all__ = ["Listener", "listener", "Probe", "probe", "EchoServer", "echo_server", "echo_loop",
           "bound_socket", "check_transport", "fd_io", "set_receive_timeout"]

#: accept() errors that mean "out of resources": retrying at once would spin at 100% CPU.
_RESOURCE_ERRORS = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}
_BACKOFF_SECONDS = 0.05


@dataclass
class Listener:
    """A listening TCP socket on an ephemeral port; created by :func:`listener`.

    ``peers`` collects the (address, port) of every client the server accepted, as the
    server saw it: the proof of which source address the kernel used.
    """

    host: str
    port: int
    family: socket.AddressFamily
    sock: socket.socket
    peers: list = field(default_factory=list)
    opened: float = field(default_factory=time.monotonic)
    closed: float | None = None
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)
    _accepted: threading.Condition = field(default_factory=threading.Condition, repr=False)

    @property
    def address(self) -> tuple:
        """The (host, port) a client connects to."""
        return (self.host, self.port)

    def wait_for_peers(self, count: int = 1, timeout: float = 2.0) -> list:
        """Wait until ``count`` clients were accepted (readiness, not sleep-and-hope)."""
        with self._accepted:
            self._accepted.wait_for(lambda: len(self.peers) >= count, timeout=timeout)
            return list(self.peers)

    def wait_for_peer(self, local: tuple, timeout: float = 2.0) -> tuple | None:
        """Wait until the client whose own address is ``local`` was accepted; return the
        peer as this server saw it, or None (another socket took that connection)."""
        def find():
            return next((p for p in self.peers if same_endpoint(p, local)), None)

        with self._accepted:
            self._accepted.wait_for(lambda: find() is not None, timeout=timeout)
            return find()

    def reach(self, target: str, timeout: float = 1.0) -> tuple[Outcome, tuple | None]:
        """Connect to ``target`` on this listener's port; return the outcome and the
        peer this listener saw. A connection some other socket accepted (same port
        number, other family or address) is ``connected to another socket``."""
        attempt = connect(target, self.port, timeout=timeout)
        if not attempt.outcome.connected:
            return attempt.outcome, None
        saw = self.wait_for_peer(attempt.local, timeout=timeout)
        if saw is None:
            return Outcome(Kind.OTHER_SOCKET), None
        return attempt.outcome, saw

    def exposure(self) -> Exposure | None:
        """How long this listener was reachable beyond loopback (None if it never was)."""
        return Exposure.since(self.host, self.port, self.opened, self.closed)

    def _serve(self, sel: selectors.BaseSelector) -> None:
        with sel:
            while not self._stop.is_set():
                if not sel.select(timeout=0.05):
                    continue
                try:
                    conn, peer = self.sock.accept()
                except OSError as exc:
                    if exc.errno in _RESOURCE_ERRORS:  # wait for a free descriptor
                        self._stop.wait(_BACKOFF_SECONDS)
                    continue
                with conn, self._accepted:
                    self.peers.append(tuple(peer[:2]))
                    self._accepted.notify_all()


@contextmanager
def listener(host: str = "127.0.0.1", *, reuseport: bool = False,
             v6only: bool | None = None, backlog: int = 16,
             expose: bool = False, device: str | None = None,
             port: int = 0) -> Iterator[Listener]:
    """Listen on ``host`` at an ephemeral port; close and join on exit. With ``device``
    the socket is bound to that interface too (SO_BINDTODEVICE, socket(7); Linux only):
    it accepts only connections that arrive over it. ``port`` is for a second listener
    on another address at the port a first one was given (bind it, or EADDRINUSE).

    Raises ValueError, binding nothing, for an address beyond loopback outside the
    course's namespaces unless ``expose=True`` (:func:`loopedu.listen_guard.check_listen`).
    Raises OSError (for example ``EADDRNOTAVAIL`` for 127.0.0.2 on macOS, or for ::1
    where IPv6 is disabled) with the socket already closed.

    >>> with listener("127.0.0.1") as srv:
    ...     outcome, saw = srv.reach("127.0.0.1")
    >>> str(outcome), saw[0]
    ('connected', '127.0.0.1')

    Introduced in notebooks/01-loopback-range.ipynb.
    """
    check_listen(host, expose)
    family = family_of(host)
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        if reuseport:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        if device is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, device.encode())
        if family == socket.AF_INET6 and v6only is not None:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, int(v6only))
        sock.bind((host, port))
        sock.listen(backlog)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    srv = Listener(host=host, port=sock.getsockname()[1], family=family, sock=sock)
    sel = selectors.DefaultSelector()
    sel.register(sock, selectors.EVENT_READ)
    thread = threading.Thread(target=srv._serve, args=(sel,), daemon=True,
                              name=f"loopedu-listener-{srv.port}")
    try:
        thread.start()
        yield srv
    finally:
        srv._stop.set()
        try:  # wakes the accept loop at once (Linux); elsewhere it wakes within 50 ms
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()
        srv.closed = time.monotonic()
        if thread.ident is None:  # never started: nothing else will close the selector
            sel.close()
        elif thread.is_alive():
            thread.join(timeout=5)


@dataclass(frozen=True)
class Probe:
    """Bind an address, connect to it: what happened (see :func:`probe`)."""

    address: str
    bind: str                 # "ok" or the errno name of the failed bind
    connect: Outcome | None   # None when the bind failed
    server_saw: str | None    # the client address the server accepted

    @property
    def reached(self) -> bool:
        """True when the bind worked and the listener accepted the connection."""
        return self.connect is not None and self.connect.connected

    @property
    def outcome(self) -> str:
        """The result in words: ``"bind ok, connected"`` or the bind's errno name."""
        return f"bind ok, {self.connect}" if self.bind == "ok" else self.bind


def probe(address: str, timeout: float = 1.0) -> Probe:
    """Bind a listener on ``address`` (port 0) and connect to it; never raises for a
    network outcome. An address beyond loopback is refused with ValueError before
    anything is bound (except inside the course's namespaces, where nothing beyond
    them can reach it).

    On Linux a connection to 127.0.0.2 comes *from* 127.0.0.1: the route ``local
    127.0.0.0/8 dev lo src 127.0.0.1`` names the source (``ip route show table local``).

    >>> p = probe("127.0.0.1")
    >>> p.outcome, p.server_saw
    ('bind ok, connected', '127.0.0.1')

    Introduced in notebooks/01-loopback-range.ipynb.
    """
    check_listen(address, what="the probe's listener", name="address")
    try:
        with listener(address) as srv:
            outcome, saw = srv.reach(address, timeout=timeout)
    except OSError as exc:
        return Probe(address, errno_name(exc), None, None)
    return Probe(address, "ok", outcome, saw[0] if saw else None)


# ---- one echo server for every round-trip measurement ----

@dataclass(frozen=True)
class EchoServer:
    """Where an :func:`echo_server` listens: ``transport`` is ``"tcp"``, ``"udp"`` or
    ``"unix"``; ``address`` is (host, port) or the socket file's path."""

    transport: str
    address: object

    @property
    def family(self) -> int:
        """The address family a client needs."""
        if self.transport == "unix":
            return socket.AF_UNIX
        return family_of(self.address[0])

    def client(self, timeout: float = 5.0) -> socket.socket:
        """A client socket connected to this server (TCP_NODELAY for TCP, so Nagle
        never holds a small message back); the caller closes it."""
        kind = socket.SOCK_DGRAM if self.transport == "udp" else socket.SOCK_STREAM
        sock = socket.socket(self.family, kind)
        try:
            sock.settimeout(timeout)
            sock.connect(self.address)
            if self.transport == "tcp":
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except BaseException:
            sock.close()
            raise
        return sock


_TRANSPORTS = ("tcp", "udp", "unix")
_ECHO_BUFFER = 65536


def check_transport(transport: str) -> None:
    """Raise ValueError unless ``transport`` is ``"tcp"``, ``"udp"`` or ``"unix"``, and
    OSError where this Python has no Unix-domain sockets.

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    if transport not in _TRANSPORTS:
        raise ValueError(f"transport must be one of {', '.join(_TRANSPORTS)}, "
                         f"not {transport!r}")
    if transport == "unix" and not hasattr(socket, "AF_UNIX"):
        raise OSError("this Python has no Unix-domain sockets (AF_UNIX)")


@contextmanager
def bound_socket(transport: str = "tcp", host: str = "127.0.0.1",
                 folder: str | None = None, *, expose: bool = False
                 ) -> Iterator[tuple[socket.socket, object]]:
    """A server socket and its address: TCP (listening) or UDP on ``host`` at an
    ephemeral port, or a listening Unix-domain stream socket in a fresh private folder
    (inside ``folder`` if given). Closed, and the folder removed, on exit. ``host``
    passes :func:`loopedu.listen_guard.check_listen` first (``expose``: see there).

    >>> with bound_socket("udp") as (sock, address):
    ...     address[0], address[1] > 0
    ('127.0.0.1', True)

    Introduced in notebooks/07-measuring-loopback.ipynb.
    """
    check_transport(transport)
    if transport != "unix":
        check_listen(host, expose)
    with ExitStack() as stack:
        if transport == "unix":
            tmp = tempfile.mkdtemp(prefix="loopedu-unix-", dir=folder)
            stack.callback(shutil.rmtree, tmp, ignore_errors=True)
            address = os.path.join(tmp, "echo.sock")
            sock = stack.enter_context(socket.socket(socket.AF_UNIX, socket.SOCK_STREAM))
            sock.bind(address)
        else:
            kind = socket.SOCK_DGRAM if transport == "udp" else socket.SOCK_STREAM
            sock = stack.enter_context(socket.socket(family_of(host), kind))
            sock.bind((host, 0))
            address = tuple(sock.getsockname()[:2])
        if transport != "udp":
            sock.listen(16)
        yield sock, address


def set_receive_timeout(sock: socket.socket, seconds: float, send: bool = False) -> bool:
    """Let the kernel end a blocking receive on ``sock`` after ``seconds`` without data
    (``SO_RCVTIMEO``, socket(7)): the call then raises BlockingIOError. Unlike Python's
    ``settimeout``, which makes every call wait in ``poll()`` first, it adds no system
    call. ``send=True``: a send that could hand nothing over for as long (the peer
    stopped reading) ends too (``SO_SNDTIMEO``). False where an option cannot be set.

    Introduced in notebooks/07-measuring-loopback.ipynb.
    """
    sock.settimeout(None)
    value = (struct.pack("I", int(seconds * 1000)) if sys.platform == "win32" else
             struct.pack("ll", int(seconds), int(seconds % 1 * 1_000_000)))
    try:
        for option in (socket.SO_RCVTIMEO, socket.SO_SNDTIMEO)[:1 + send]:
            sock.setsockopt(socket.SOL_SOCKET, option, value)
    except OSError:
        return False
    return True


def fd_io(sock: socket.socket) -> tuple:
    """``(read, write, handle)`` for the cheapest blocking calls on ``sock``:
    ``read(handle, n)`` gives up to ``n`` bytes (b"" at the end), ``write(handle, data)``
    the number of bytes written. Where a socket is a file descriptor (POSIX) they are
    ``os.read`` and ``os.write`` on it, the two leanest calls Python has (no keyword
    parsing, no timeout logic); elsewhere the socket's own ``recv`` and ``send``.

    Introduced in notebooks/07-measuring-loopback.ipynb.
    """
    if os.name == "posix":
        return os.read, os.write, sock.fileno()
    return socket.socket.recv, socket.socket.send, sock


def echo_loop(sock: socket.socket, transport: str, idle: tuple | None = None,
              buffer_size: int = _ECHO_BUFFER) -> int:
    """Send back what arrives on ``sock`` until the peer ends: the end of a stream
    (``"tcp"``, ``"unix"``; a reset counts as an end) or an empty datagram (``"udp"``).
    This is the one echo of the course, in :func:`echo_server`'s threads and in the
    child processes of :mod:`loopedu.measure`: blocking calls with no Python timeout
    (see :func:`fd_io`), so each message costs one receive and one send, nothing more;
    it reads ``buffer_size`` bytes at most at a time. ``idle``: ``(seconds, stop)``,
    the kernel wakes the loop after ``seconds`` without data and it ends if ``stop()``
    is true. Returns how many messages it echoed.

    >>> a, b = socket.socketpair()
    >>> a.sendall(b"ping"); a.shutdown(socket.SHUT_WR)
    >>> echo_loop(b, "unix"), a.recv(16)
    (1, b'ping')
    >>> a.close(); b.close()

    Introduced in notebooks/07-measuring-loopback.ipynb.
    """
    count = 0
    if idle is None:
        sock.settimeout(None)
    elif not set_receive_timeout(sock, idle[0]):
        idle = None
    datagram = transport == "udp"
    buffer = bytearray(buffer_size if datagram else 0)
    view = memoryview(buffer)
    read, write, handle = fd_io(sock)
    while True:
        try:
            if datagram:
                size, peer = sock.recvfrom_into(buffer)
                if not size:
                    return count
                sock.sendto(view[:size], peer)
            else:
                data = read(handle, buffer_size)
                if not data:
                    return count
                sent = write(handle, data)
                if sent != len(data):   # a write cut short (a signal): send the rest
                    sock.sendall(memoryview(data)[sent:])
        except BlockingIOError:  # idle: the kernel's receive timeout expired
            if idle is None or idle[1]():
                return count
            continue
        except OSError:          # reset by the peer, or shut down by the server's owner
            return count
        count += 1


def _accept_loop(sock: socket.socket, stop: threading.Event, transport: str,
                 serve) -> None:
    with selectors.DefaultSelector() as sel:
        sel.register(sock, selectors.EVENT_READ)
        while not stop.is_set():
            if not sel.select(timeout=0.05):
                continue
            try:
                conn, _ = sock.accept()
            except OSError as exc:
                if exc.errno in _RESOURCE_ERRORS:  # wait for a free descriptor
                    stop.wait(_BACKOFF_SECONDS)
                continue
            if transport == "tcp":
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            serve(conn)


@contextmanager
def echo_server(transport: str = "tcp", host: str = "127.0.0.1",
                folder: str | None = None, *, expose: bool = False) -> Iterator[EchoServer]:
    """An echo server: TCP or UDP on ``host`` at an ephemeral port, or a Unix-domain
    stream socket in a fresh private folder (``folder``: where to make it), each
    connection served by :func:`echo_loop` in a thread of its own (an empty datagram
    ends a UDP server early). Everything is closed, joined and removed on exit. Listens
    beyond loopback only inside the course's namespaces or with ``expose=True``
    (:func:`loopedu.listen_guard.check_listen`).

    >>> with echo_server("udp") as srv, srv.client() as c:
    ...     _ = c.send(b"ping")
    ...     c.recv(16)
    b'ping'

    Introduced in notebooks/06-loopback-at-work.ipynb (it answered the round trips of
    notebooks/02-localhost-is-a-name.ipynb before).
    """
    stop = threading.Event()
    threads: list = []
    connections: list = []
    lock = threading.Lock()

    def run(target, *args) -> None:
        thread = threading.Thread(target=target, args=args, name="loopedu-echo",
                                  daemon=True)
        threads.append(thread)
        thread.start()

    def serve(conn: socket.socket) -> None:
        with lock:
            if stop.is_set():
                conn.close()
                return
            connections.append(conn)
            run(_echo_then_end, conn, transport)

    with bound_socket(transport, host, folder, expose=expose) as (sock, address):
        server = EchoServer(transport, address)
        try:
            if transport == "udp":
                run(echo_loop, sock, transport)
            else:
                sock.setblocking(False)   # a connection gone before accept() never blocks
                run(_accept_loop, sock, stop, transport, serve)
            yield server
        finally:
            with lock:
                stop.set()
            if transport == "udp":
                _wake_udp(server, sock)
            elif threads:
                threads[0].join(5)  # the accept loop: no connection comes after this
            for conn in connections:
                try:   # wakes its echo_loop at once: its receive returns the end
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            for thread in threads:
                thread.join(5)
            for conn in connections:
                conn.close()


def _echo_then_end(conn: socket.socket, transport: str) -> None:
    echo_loop(conn, transport)
    try:   # the client sees the end of the stream; the owner closes the socket
        conn.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def _wake_udp(server: EchoServer, sock: socket.socket) -> None:
    """An empty datagram ends a UDP :func:`echo_loop`; a shutdown also wakes it (Linux)."""
    try:
        with socket.socket(server.family, socket.SOCK_DGRAM) as waker:
            waker.sendto(b"", server.address)
    except OSError:
        pass
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:   # ENOTCONN for an unconnected socket, after waking it
        pass
