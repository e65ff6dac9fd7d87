"""The Nagle stall: a request written in two small pieces waits for a delayed ACK.

Write-write-read: a client sends a request as two small writes, a header and then a
body, and waits for the reply. Nagle's algorithm (RFC 896; RFC 1122 section 4.2.3.4)
holds the second small segment back until the first is acknowledged. The server cannot
answer before the body arrives, and it delays its ACK (RFC 1122 section 4.2.3.2: at most
0.5 s) hoping to send it with a reply. Each waits for the other until the server's
delayed-ACK timer fires: on Linux at least ``TCP_DELACK_MIN``, ``HZ/25`` jiffies = 40 ms
(include/net/tcp.h), a little more with the timer's tick. A round trip that takes tens of
microseconds over loopback takes about 40 ms.

Two fixes: ``TCP_NODELAY`` on the client (tcp(7)) turns Nagle off; or ONE write of both
parts (``sendmsg``, i.e. writev, or one joined buffer) leaves nothing to hold back.
:func:`compare_nagle` measures all three cases.

Linux starts each connection in "quickack" mode, acknowledging at once, and leaves it
when the server starts answering (interactive "pingpong" mode), so a few untimed warm-up
rounds on the same connection come first. Other systems: the delayed-ACK timer differs
by OS. Windows documents 200 ms (the TcpDelAckTicks registry value, default 2 x 100 ms;
Microsoft KB 328890 on TcpAckFrequency); macOS's was not measured for this course.

:func:`time_client` times a write-write-read client written by the learner (exercise
07.nodelay) against the same server, and notes how it wrote each request: TCP_NODELAY,
one gather write (sendmsg(2)), Linux's TCP_CORK (tcp(7)) or MSG_MORE (send(2)), or the
two parts joined into one buffer.

Introduced in notebooks/07-measuring-loopback.ipynb.
"""

from __future__ import annotations

import selectors
import socket
import struct
import threading
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Iterator

from ..connections import family_of
from ..listen_guard import may_listen
from ..servers import bound_socket
from ..stats import Summary

__all__ = ["NAGLE_CASES", "NagleRun", "NagleComparison", "nagle_stall", "compare_nagle",
           "format_nagle", "ClientTiming", "time_client", "REPLY", "WAYS"]

#: The three cases :func:`compare_nagle` measures: label -> (writes, TCP_NODELAY).
NAGLE_CASES = {
    "two writes, Nagle on": (2, False),
    "two writes, TCP_NODELAY": (2, True),
    "one write, Nagle on": (1, False),
}

_HEADER = struct.Struct("!4sI")  # a magic word and the body's length
_MAGIC = b"NGL1"
_REPLY = b"done\r\n"
#: What the server answers each complete request with.
REPLY = _REPLY


def _label(writes: int, nodelay: bool) -> str:
    return f"{'one write' if writes == 1 else 'two writes'}, " \
           f"{'TCP_NODELAY' if nodelay else 'Nagle on'}"


@dataclass(frozen=True)
class NagleRun:
    """One case of the write-write-read experiment: every timed round in milliseconds
    (after ``warmup`` untimed rounds on the same connection), and the settings: how
    many writes a request took, whether the client set TCP_NODELAY, request bytes.

    Introduced in notebooks/07-measuring-loopback.ipynb.
    """

    label: str
    writes: int
    nodelay: bool
    rounds_ms: tuple
    warmup: int
    header_bytes: int
    body_bytes: int

    @property
    def summary(self) -> Summary:
        """Median, p90, p99, minimum and maximum of the rounds."""
        return Summary.of(self.rounds_ms)

    @property
    def median_ms(self) -> float:
        """The median round, in milliseconds."""
        return self.summary.median


@dataclass(frozen=True)
class NagleComparison:
    """The cases of :data:`NAGLE_CASES` measured side by side (label -> :class:`NagleRun`).

    Introduced in notebooks/07-measuring-loopback.ipynb.
    """

    runs: dict
    rounds: int
    warmup: int

    def median_ms(self, label: str) -> float:
        """The median round of one case, in milliseconds."""
        return self.runs[label].median_ms

    @property
    def stall_ms(self) -> float:
        """How much longer the Nagle case's median round took than the fastest case's."""
        medians = [run.median_ms for run in self.runs.values()]
        return self.median_ms("two writes, Nagle on") - min(medians)


def _serve(sel: selectors.BaseSelector, stop: threading.Event) -> None:
    """Answer each complete request (header, then its body) with one short reply."""
    pending: dict = {}
    while not stop.is_set():
        for key, _ in sel.select(timeout=0.05):
            sock = key.fileobj
            try:
                if key.data == "listen":
                    conn, _ = sock.accept()
                    conn.settimeout(5)
                    sel.register(conn, selectors.EVENT_READ, "conn")
                    pending[conn] = b""
                    continue
                data = sock.recv(65536)
                if not data:
                    raise ConnectionError("the client closed the connection")
                buffer = pending[sock] + data
                while len(buffer) >= _HEADER.size:
                    magic, length = _HEADER.unpack_from(buffer)
                    if magic != _MAGIC:
                        raise ConnectionError("not a request of this experiment")
                    if len(buffer) < _HEADER.size + length:
                        break  # wait for the rest of the body
                    buffer = buffer[_HEADER.size + length:]
                    sock.sendall(_REPLY)
                pending[sock] = buffer
            except OSError:
                if key.data == "conn":
                    sel.unregister(sock)
                    pending.pop(sock, None)
                    sock.close()
                else:  # accept failed (out of descriptors?): do not spin
                    stop.wait(0.05)


@contextmanager
def _request_server(host: str) -> Iterator[tuple]:
    """A server on (host, ephemeral port) that reads whole requests; everything is
    closed and its thread joined on exit, whatever ends the block."""
    stop = threading.Event()
    with ExitStack() as stack:
        sel = stack.enter_context(selectors.DefaultSelector())
        sock, address = stack.enter_context(bound_socket("tcp", host))
        sock.setblocking(False)
        sel.register(sock, selectors.EVENT_READ, "listen")

        def close_connections() -> None:
            for key in list(sel.get_map().values()):
                if key.data == "conn":
                    key.fileobj.close()

        stack.callback(close_connections)
        thread = threading.Thread(target=_serve, args=(sel, stop), daemon=True,
                                  name="loopedu-nagle-server")
        thread.start()
        stack.callback(thread.join, 5)
        stack.callback(stop.set)
        yield address


def _client(address: tuple, nodelay: bool, stack: ExitStack) -> socket.socket:
    sock = stack.enter_context(socket.socket(family_of(address[0]), socket.SOCK_STREAM))
    sock.settimeout(5)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, int(nodelay))
    sock.connect(address)
    return sock


def _round(sock: socket.socket, header: bytes, body: bytes, writes: int) -> float:
    """Send one request (in ``writes`` writes), read the reply; milliseconds."""
    start = time.perf_counter()
    if writes == 2:
        sock.sendall(header)
        sock.sendall(body)
    elif hasattr(sock, "sendmsg"):  # one system call for both parts: writev
        sent = sock.sendmsg([header, body])
        if sent < len(header) + len(body):
            sock.sendall((header + body)[sent:])
    else:
        sock.sendall(header + body)
    reply = b""
    while len(reply) < len(_REPLY):
        chunk = sock.recv(len(_REPLY) - len(reply))
        if not chunk:
            raise ConnectionError("the server closed the connection")
        reply += chunk
    return (time.perf_counter() - start) * 1000


def _check(rounds: int, warmup: int, body_bytes: int, host: str) -> None:
    if rounds < 1 or warmup < 0 or body_bytes < 1:
        raise ValueError("need rounds >= 1, warmup >= 0 and body_bytes >= 1")
    if not may_listen(host):
        raise ValueError(f"{host!r} is not a loopback IP address: the Nagle stall is "
                         "measured over loopback only (127.0.0.1 or ::1)")


def _measure(cases: dict, rounds: int, warmup: int, body_bytes: int, host: str) -> dict:
    """Each case (label -> (writes, nodelay)) on its own connection to one server,
    warmed up, then timed round by round, interleaved; label -> NagleRun."""
    _check(rounds, warmup, body_bytes, host)
    for writes, _ in cases.values():
        if writes not in (1, 2):
            raise ValueError(f"a request takes 1 or 2 writes, not {writes!r}")
    header, body = _HEADER.pack(_MAGIC, body_bytes), b"x" * body_bytes
    with _request_server(host) as address, ExitStack() as stack:
        clients = {label: _client(address, nodelay, stack)
                   for label, (_, nodelay) in cases.items()}
        for label, (writes, _) in cases.items():
            for _ in range(warmup):
                _round(clients[label], header, body, writes)
        samples: dict = {label: [] for label in cases}
        order = list(cases)
        for i in range(rounds):
            for label in (order if i % 2 == 0 else order[::-1]):
                samples[label].append(_round(clients[label], header, body, cases[label][0]))
    return {label: NagleRun(label, writes, nodelay, tuple(samples[label]), warmup,
                            len(header), body_bytes)
            for label, (writes, nodelay) in cases.items()}


def nagle_stall(rounds: int = 5, nodelay: bool = False, *, writes: int = 2, warmup: int = 3,
                body_bytes: int = 32, host: str = "127.0.0.1") -> NagleRun:
    """Time ``rounds`` write-write-read requests over one loopback connection (after
    ``warmup`` untimed ones): header and body in two writes (``writes=1``: one), with
    Nagle on (``nodelay=True``: TCP_NODELAY). On Linux, with Nagle on and two writes,
    each round takes about 40 ms (the server's delayed ACK); otherwise microseconds.

    >>> r = nagle_stall(rounds=3, nodelay=True)
    >>> len(r.rounds_ms), r.label
    (3, 'two writes, TCP_NODELAY')

    Introduced in notebooks/07-measuring-loopback.ipynb.
    """
    label = _label(writes, nodelay)
    return _measure({label: (writes, nodelay)}, rounds, warmup, body_bytes, host)[label]


def compare_nagle(rounds: int = 5, *, warmup: int = 3, body_bytes: int = 32,
                  host: str = "127.0.0.1") -> NagleComparison:
    """The three cases of :data:`NAGLE_CASES` (two writes with Nagle on, two writes with
    TCP_NODELAY, one write with Nagle on), each on its own connection to one server,
    rounds interleaved. About ``(warmup + rounds) * 40`` ms on Linux.

    Introduced in notebooks/07-measuring-loopback.ipynb.
    """
    runs = _measure(NAGLE_CASES, rounds, warmup, body_bytes, host)
    return NagleComparison(runs, rounds, warmup)


def format_nagle(result: NagleComparison | NagleRun) -> str:
    """One line per case: the median round and the range of the rounds.

    >>> run = NagleRun("two writes, Nagle on", 2, False, (44.0, 43.9, 44.1), 3, 8, 32)
    >>> print(format_nagle(run))
    write-write-read over loopback, 3 timed rounds after 3 warm-up rounds (8 + 32 bytes):
      two writes, Nagle on      median  44.000 ms  (43.900 to 44.100)

    Introduced in notebooks/07-measuring-loopback.ipynb.
    """
    runs = list(result.runs.values()) if isinstance(result, NagleComparison) else [result]
    first = runs[0]
    lines = [f"write-write-read over loopback, {len(first.rounds_ms)} timed rounds after "
             f"{first.warmup} warm-up rounds ({first.header_bytes} + {first.body_bytes} "
             "bytes):"]
    for run in runs:
        s = run.summary
        lines.append(f"  {run.label:<25} median {s.median:>7.3f} ms  "
                     f"({s.minimum:.3f} to {s.maximum:.3f})")
    if isinstance(result, NagleComparison) and result.stall_ms >= 10:
        lines.append(f"the two small writes waited about {result.stall_ms:.0f} ms per round "
                     "for the server's delayed ACK (Linux: at least 40 ms)")
    elif isinstance(result, NagleComparison):
        lines.append("no stall here: this system acknowledged the first write at once")
    return "\n".join(lines)


#: How a request can leave as one segment while Nagle stays on and header and body stay
#: two buffers: one gather write, sendmsg(2) (writev(2) with a socket's flags); the cork
#: of tcp(7), TCP_CORK, put in before the writes and taken out after them; MSG_MORE on
#: the header's send(2), "more to come". "one buffer": the two parts joined (copied) into
#: one buffer first.
WAYS = ("gather", "cork", "more", "one buffer")


class _Watched(socket.socket):
    """The client socket handed to a learner's ``ask``: it notes how each request was
    written (which of :data:`WAYS`), and whether TCP_NODELAY was on during a write
    (``nodelay_writing``), and passes every call on unchanged."""

    def start(self, header: bytes, body: bytes) -> None:
        self.parts, self.ways = (bytes(header), bytes(body)), set()
        self.nodelay_writing = False

    def _note(self, buffers, flags: int = 0) -> None:
        if _tcp_option(self, "TCP_NODELAY"):
            self.nodelay_writing = True
        try:
            data = [bytes(b) for b in buffers]
        except Exception:      # not bytes-like: the call itself will say so
            return
        joined = self.parts[0] + self.parts[1]
        if any(joined in d for d in data):
            self.ways.add("one buffer")
        elif len(data) > 1:
            self.ways.add("gather")
        if flags & getattr(socket, "MSG_MORE", 0):
            self.ways.add("more")

    def send(self, data, *args):
        self._note([data], args[0] if args else 0)
        return super().send(data, *args)

    def sendall(self, data, *args):
        self._note([data], args[0] if args else 0)
        return super().sendall(data, *args)

    def sendmsg(self, buffers, *args):
        buffers = list(buffers)
        self._note(buffers, args[1] if len(args) > 1 else 0)
        return super().sendmsg(buffers, *args)

    def setsockopt(self, level, option, *value):
        cork = getattr(socket, "TCP_CORK", None)
        if level == socket.IPPROTO_TCP and cork is not None and option == cork \
                and value and value[0]:
            self.ways.add("cork")
        return super().setsockopt(level, option, *value)


def _tcp_option(sock: socket.socket, name: str) -> bool | None:
    """Whether TCP option ``name`` is on (None: not on this system, or unreadable)."""
    option = getattr(socket, name, None)
    try:
        return None if option is None else bool(sock.getsockopt(socket.IPPROTO_TCP, option))
    except OSError:
        return None


@dataclass(frozen=True)
class ClientTiming:
    """A learner's client timed by :func:`time_client`: each timed round in
    milliseconds; ``nodelay``, whether TCP_NODELAY was on after any request (None if it
    could not be read); the replies its ``ask`` returned that were not the server's;
    ``ways``, how its requests were written (of :data:`WAYS`); ``corked``, whether a
    TCP_CORK was still in after a request; ``problem``: why it could not be timed
    (``""`` when it was); and ``nodelay_writing``, whether TCP_NODELAY was on during
    one of its writes (even if switched off again before ``ask`` returned).

    Introduced in notebooks/07-measuring-loopback.ipynb.
    """

    rounds_ms: tuple = ()
    nodelay: bool | None = None
    wrong_replies: tuple = ()
    problem: str = ""
    ways: frozenset = frozenset()
    corked: bool = False
    nodelay_writing: bool = False

    @property
    def median_ms(self) -> float | None:
        """The median round, in milliseconds (None when nothing was timed)."""
        return Summary.of(self.rounds_ms).median if self.rounds_ms else None


def time_client(ask, rounds: int = 5, *, warmup: int = 3, body_bytes: int = 32,
                host: str = "127.0.0.1") -> ClientTiming:
    """Time a write-write-read request written by the learner: ``ask(sock, header,
    body)`` sends one request on ``sock``, a TCP connection to the experiment's server
    (Nagle on, as a new socket starts), and returns the reply (:data:`REPLY`). After
    ``warmup`` untimed requests (Linux starts each connection acknowledging at once),
    ``rounds`` timed ones on the same connection. After each request it reads whether
    the socket has TCP_NODELAY (and a TCP_CORK still in), and the socket notes how the
    request was written (:data:`WAYS`) and whether TCP_NODELAY was on as it wrote. The
    socket gets a 2 s timeout, so a request that waits for a reply that never comes ends
    with a ``problem``; nothing the learner's code raises escapes.

    >>> def ask(sock, header, body):
    ...     sock.sendall(header + body)
    ...     return sock.recv(64)
    >>> timing = time_client(ask, rounds=2)
    >>> len(timing.rounds_ms), timing.nodelay, timing.problem, sorted(timing.ways)
    (2, False, '', ['one buffer'])

    Introduced in notebooks/07-measuring-loopback.ipynb.
    """
    _check(rounds, warmup, body_bytes, host)
    header, body = _HEADER.pack(_MAGIC, body_bytes), b"x" * body_bytes
    took, wrong, ways, nodelay, corked, writing = [], [], set(), False, False, False
    with _request_server(host) as address, \
            _Watched(family_of(address[0]), socket.SOCK_STREAM) as sock:
        sock.settimeout(2)
        sock.connect(address)

        def so_far(problem: str = "") -> ClientTiming:
            return ClientTiming(tuple(took), nodelay, tuple(wrong), problem,
                                frozenset(ways), corked, writing)

        for i in range(warmup + rounds):
            sock.start(header, body)
            start = time.perf_counter()
            try:
                reply = ask(sock, header, body)
            except TimeoutError:
                return so_far("it waited 2 s for a reply that never came: did it send "
                              "the whole request, header and body?")
            except Exception as exc:   # the learner's code: every failure is a message
                return so_far(f"it raised {type(exc).__name__}: {exc}")
            if i >= warmup:
                took.append((time.perf_counter() - start) * 1000)
            if reply != _REPLY:
                wrong.append(reply)
            ways |= sock.ways
            writing = writing or sock.nodelay_writing
            on = _tcp_option(sock, "TCP_NODELAY")
            nodelay = None if on is None and not nodelay else bool(nodelay or on)
            corked = corked or bool(_tcp_option(sock, "TCP_CORK"))
        return so_far()
