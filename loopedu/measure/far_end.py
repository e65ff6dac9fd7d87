"""The far end of a measurement in a child process of its own.

- :func:`echo_processes` the echo side of a round trip as a child process running
  :func:`loopedu.servers.echo_loop` (the course's one echo), so that the client's Python
  and the server's never take turns on one GIL;
- :func:`sink_process` the receiving side of a throughput run, also a child;
- on the CPUs :mod:`loopedu.measure.cpus` chose.

Every child is a fresh interpreter started by :mod:`loopedu.sandbox.children` (about
0.3 s), in a session of its own, never a ``fork()`` of this process: a Jupyter kernel
has threads, and a forked copy of a process with threads can hang on a lock one of them
held (Python 3.12 warns about it). Its echo answers as fast as a forked one did (the
median TCP round trip against sockperf's, tests/benchmarks/bench_vs_tools.py, moved
less than sockperf's own from one run to the next).

Introduced in notebooks/07-measuring-loopback.ipynb.
"""

from __future__ import annotations

import errno
import os
import select
import shutil
import socket
import struct
import sys
from contextlib import ExitStack, contextmanager
from typing import Iterator

from ..connections import errno_name
from ..sandbox import children
from ..servers import EchoServer, bound_socket, echo_loop
from .buffers import page_buffer
from .cpus import _pin_self

__all__ = ["echo_process", "echo_processes", "echo_child", "Sink", "sink_process",
           "sink_child", "COUNT", "FarEndGone", "FAR_END_WAIT", "watching"]


#: How the receiving child reports the bytes it read: one unsigned 64-bit integer.
COUNT = struct.Struct("!Q")


#: Seconds a far end (an echo server, a receiving child) may stay silent before a
#: measurement gives up on it: the kernel ends the waiting call (``SO_RCVTIMEO``,
#: ``SO_SNDTIMEO``), which costs no system call while the far end answers.
FAR_END_WAIT = 10.0


class FarEndGone(ConnectionError):
    """The far end of a measurement (the echo server of round trips, the receiving
    child of a throughput run) stopped in the middle: its process ended, or it has
    answered nothing for a while. The message says which.

    Introduced in notebooks/07-measuring-loopback.ipynb.
    """


@contextmanager
def watching(who: str, wait: float) -> Iterator[None]:
    """Inside the block, what a stopped far end does to a blocking call becomes
    :class:`FarEndGone` naming ``who``: the kernel's timeout (``SO_RCVTIMEO``,
    ``SO_SNDTIMEO``, set to ``wait`` seconds) expiring, or a reset, refused or closed
    connection.

    Introduced in notebooks/07-measuring-loopback.ipynb.
    """
    try:
        yield
    except BlockingIOError:
        raise FarEndGone(f"{who} answered nothing for {wait:g} s: it has stopped") from None
    except FarEndGone:
        raise
    except ConnectionError as exc:
        why = errno_name(exc) if exc.errno else str(exc)
        raise FarEndGone(f"{who} is gone ({why})") from None


def _accept(sock: socket.socket, parent_gone, also: tuple = ()) -> socket.socket | None:
    """The first connection, or None once the parent is gone or shut ``sock`` down
    (``also``: more files whose readiness means the parent is done)."""
    sock.setblocking(False)   # a connection gone before accept() must not block it
    while True:
        try:
            ready = select.select([sock, *also], [], [], 0.5)[0]
        except (OSError, ValueError):   # no select() on pipes (Windows): just wait
            ready, also = [sock], ()
            sock.setblocking(True)
        if sock in ready:
            try:
                conn = sock.accept()[0]
            except BlockingIOError:
                continue
            except OSError:   # the parent shut the listening socket down
                return None
            conn.setblocking(True)
            return conn
        if ready or parent_gone():
            return None


def _echo_work(sock: socket.socket, transport: str, size: int, parent_gone,
               also: tuple = ()) -> int:
    """Echo one connection (or UDP datagrams until an empty one) with the course's one
    echo, :func:`loopedu.servers.echo_loop`."""
    if transport == "udp":   # no end of stream: wake every 0.5 s to see the parent
        return echo_loop(sock, transport, (0.5, parent_gone), size)
    conn = _accept(sock, parent_gone, also)
    if conn is None:
        return 0
    with conn:
        if transport == "tcp":
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return echo_loop(conn, transport, None, size)


def _sink_work(sock: socket.socket, size: int, parent_gone, also: tuple = ()) -> int:
    """Read one connection to its end with ``recv_into`` of ``size`` bytes into one
    preallocated buffer, answer with the count (:data:`COUNT`), return it."""
    conn = _accept(sock, parent_gone, also)
    if conn is None:
        return 0
    with conn, page_buffer(size) as view:
        receive, got = conn.recv_into, 0
        while n := receive(view):
            got += n
        conn.sendall(COUNT.pack(got))
    return got


def _parent_done() -> bool:
    """True once the parent closed our stdin or wrote to it: time to stop."""
    try:
        return bool(select.select([sys.stdin], [], [], 0)[0])
    except (OSError, ValueError):
        return False


def _own_session() -> None:
    """Leave the parent's session for one of this child's own, as a server started from
    a terminal of its own runs (iperf3's and sockperf's, in the benchmark). Where Linux
    shares CPU time out by session (autogroup, sched(7)), the far end then gets a share
    of its own on a machine others keep busy, instead of a part of the measuring
    process's: on a shared two-CPU machine, two-CPU throughput went from about 0.9x
    iperf3's to parity (tests/benchmarks/bench_vs_tools.py)."""
    if hasattr(os, "setsid"):
        try:
            os.setsid()
        except OSError:   # already a session or group leader
            pass


def _bound_here(channel, transport: str, host: str, cpus: tuple, folder, stack):
    _own_session()
    _pin_self(tuple(cpus))
    try:
        sock, address = stack.enter_context(bound_socket(transport, host, folder))
    except OSError as exc:
        channel.send(errno_name(exc))
        return None
    channel.send(EchoServer(transport, address))
    return sock


def echo_child(channel, transport: str = "tcp", host: str = "127.0.0.1",
               cpus: tuple = (), folder: str | None = None, size: int = 65536) -> int:
    """The child of :func:`echo_processes`: bind, send the :class:`EchoServer` (or the
    errno name of a failed bind), echo one connection (or UDP until an empty datagram),
    return how many messages it echoed.

    Introduced in notebooks/07-measuring-loopback.ipynb.
    """
    with ExitStack() as stack:
        sock = _bound_here(channel, transport, host, cpus, folder, stack)
        return 0 if sock is None else _echo_work(sock, transport, size, _parent_done,
                                                 (sys.stdin,))


def sink_child(channel, transport: str = "tcp", host: str = "127.0.0.1",
               cpus: tuple = (), folder: str | None = None) -> int:
    """The child of :func:`sink_process`: bind, send the address (or the errno name of a
    failed bind); then for each buffer size the parent sends, read one connection (see
    ``_sink_work``). Returns the bytes read in all.

    Introduced in notebooks/07-measuring-loopback.ipynb.
    """
    total = 0
    with ExitStack() as stack:
        sock = _bound_here(channel, transport, host, cpus, folder, stack)
        while sock is not None and (size := channel.receive()) is not None:
            total += _sink_work(sock, size, _parent_done, (sys.stdin,))
    return total


def _started(child: children.Child) -> EchoServer:
    """The child's address, or the OSError its bind met."""
    reply = child.receive(timeout=30)
    if isinstance(reply, str):
        raise OSError(getattr(errno, reply, None), f"the child could not bind: {reply}")
    return reply


@contextmanager
def _sandboxed(func: str, specs: dict, cpus: tuple, folder: str | None,
               *more) -> Iterator[dict]:
    """One sandbox child per spec (label -> (transport, host)), started all at once;
    yields label -> (child, EchoServer or the OSError its bind met)."""
    with ExitStack() as folders, ExitStack() as stack:   # folders go after the children
        started = {label: stack.enter_context(children.start(
            [], f"loopedu.measure.far_end:{func}", transport, host, tuple(cpus), folder,
            *more)) for label, (transport, host) in specs.items()}
        where = {}
        for label, child in started.items():
            try:
                where[label] = (child, _started(child))
            except OSError as exc:
                where[label] = (child, exc)
                continue
            if specs[label][0] == "unix":   # a killed child leaves its socket folder
                folders.callback(shutil.rmtree, os.path.dirname(where[label][1].address),
                                 ignore_errors=True)
        yield where


@contextmanager
def echo_processes(specs: dict, cpus: tuple = (), folder: str | None = None,
                   size: int = 65536) -> Iterator[dict]:
    """One echo server in a child process per spec (label -> ``(transport, host)``),
    pinned to ``cpus`` (if any), reading ``size`` bytes at most at a time (best: the
    message size of the round trips): yields label -> its
    :class:`~loopedu.servers.EchoServer`, or the OSError its bind met. One client may
    connect to each. Close the clients before the block ends (for UDP, send an empty
    datagram first); the children are stopped and reaped whatever ends the block.

    Introduced in notebooks/07-measuring-loopback.ipynb.
    """
    with _sandboxed("echo_child", specs, cpus, folder, size) as where:
        yield {label: server for label, (_, server) in where.items()}


@contextmanager
def echo_process(transport: str = "tcp", host: str = "127.0.0.1", cpus: tuple = (),
                 folder: str | None = None, size: int = 65536) -> Iterator[EchoServer]:
    """One echo server in a child process (see :func:`echo_processes`); raises the
    OSError its bind met.

    >>> with echo_process("tcp") as srv:
    ...     with srv.client() as c:
    ...         c.sendall(b"ping")
    ...         c.recv(16)
    b'ping'

    Introduced in notebooks/07-measuring-loopback.ipynb.
    """
    with echo_processes({0: (transport, host)}, cpus, folder, size) as servers:
        if isinstance(servers[0], OSError):
            raise servers[0]
        yield servers[0]


class Sink:
    """Where a receiving child listens (``server``); :meth:`receiver` readies it for
    one connection read ``size`` bytes at a time. Made by :func:`sink_process`.

    Introduced in notebooks/07-measuring-loopback.ipynb.
    """

    def __init__(self, server: EchoServer, child: children.Child):
        self.server, self._child = server, child

    @contextmanager
    def receiver(self, size: int) -> Iterator[None]:
        """The child reading the next connection with ``recv_into`` of ``size`` bytes."""
        self._child.send(size)
        yield


@contextmanager
def sink_process(transport: str = "tcp", host: str = "127.0.0.1", cpus: tuple = (),
                 folder: str | None = None) -> Iterator[Sink]:
    """A receiving side in a child process pinned to ``cpus`` (if any): yields a
    :class:`Sink`; raises the OSError its bind met.

    Introduced in notebooks/07-measuring-loopback.ipynb.
    """
    with _sandboxed("sink_child", {0: (transport, host)}, cpus, folder) as where:
        child, server = where[0]
        if isinstance(server, OSError):
            raise server
        yield Sink(server, child)

