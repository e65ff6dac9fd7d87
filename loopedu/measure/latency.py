"""Round-trip times over loopback: TCP, UDP and Unix-domain sockets, one echo
(:func:`loopedu.servers.echo_loop`) and one statistics helper (:mod:`loopedu.stats`)
behind every figure.

A round trip is one small message sent and the same bytes read back, timed with
``time.perf_counter_ns``. The echo runs in a child process of its own (``echo=
"process"``, the default), so the client's Python and the server's never wait for each
other's GIL; ``echo="thread"`` runs it in a thread of this process instead, to show what
that costs. The timed loop is tight, on both sides: blocking sockets with no Python
timeout (which would add a ``poll()`` to every call), and the leanest calls Python has,
``os.write`` and ``os.read`` on the socket's descriptor (:func:`loopedu.servers.fd_io`).
An echo that stops answering still cannot hang the caller: the kernel ends a read that
waited too long (``SO_RCVTIMEO``, :func:`loopedu.servers.set_receive_timeout`, no extra
system call) and the measurement raises :class:`~loopedu.measure.far_end.FarEndGone`
saying so. UDP messages carry a sequence number, so a late echo is never timed as the
answer to a later message.
Untimed warm-up exchanges come first; comparisons interleave their cases in blocks, so
every case sees the same machine load. ``cpus`` pins both ends (see
:func:`loopedu.measure.cpus.plan_placement`). Numbers vary from run to run and
machine to machine: the ratios are the lesson.

Introduced in notebooks/07-measuring-loopback.ipynb.
"""

from __future__ import annotations

import socket
import time
from contextlib import ExitStack
from dataclasses import dataclass

from ..connections import errno_name
from ..listen_guard import may_listen
from ..servers import check_transport, echo_server, fd_io, set_receive_timeout
from ..stats import Summary
from .bulk_transfer import ProgressBar
from .cpus import Placement, pinned, plan_placement
from .far_end import FAR_END_WAIT, FarEndGone, echo_processes, watching

__all__ = ["Rtt", "rtt", "RttComparison", "compare_rtt", "format_rtt"]

_ECHOES = ("process", "thread")
#: Round trips timed in one go between two looks at the progress bar (one case), and
#: per case and turn when several cases are interleaved.
_BLOCK, _INTERLEAVED_BLOCK = 1000, 10
#: A UDP reply that has not come after this long is counted as lost.
_UDP_WAIT = 1.0
#: This many UDP messages lost in a row: the echo server is taken as gone.
_UDP_GIVE_UP = 5
#: Bytes of a UDP message that carry its sequence number (fewer in a shorter message).
_NUMBER_BYTES = 8


@dataclass(frozen=True)
class Rtt:
    """Round trips of one transport to one address: every sample in microseconds,
    how many UDP messages got no answer (``lost``), where both ends ran
    (``placement``, a :class:`~loopedu.measure.cpus.Placement`) and whether the
    echo was a child process or a thread (``echo``)."""

    transport: str
    address: str
    size: int
    samples_us: tuple
    lost: int = 0
    placement: Placement | None = None
    echo: str = "process"

    @property
    def samples(self) -> tuple:
        """The samples in microseconds (the same as ``samples_us``)."""
        return self.samples_us

    @property
    def summary(self) -> Summary:
        """Median, p90, p99, minimum and maximum of the samples."""
        return Summary.of(self.samples_us)

    @property
    def median_us(self) -> float:
        return self.summary.median

    @property
    def p90_us(self) -> float:
        return self.summary.p90

    @property
    def p99_us(self) -> float:
        return self.summary.p99


def _stream_trips(sock: socket.socket, payload: bytes, count: int, out: list) -> None:
    """``count`` timed round trips on a stream socket, appended to ``out`` (ns). Only
    the two system calls lie between the two clock readings; a 32-byte write into an
    idle connection is never cut short, and an echo that comes in pieces is completed
    (and timed) after the check."""
    clock = time.perf_counter_ns
    read, write, handle = fd_io(sock)
    size = len(payload)
    for _ in range(count):
        start = clock()
        sent = write(handle, payload)
        got = read(handle, size)
        end = clock()
        if sent != size or len(got) != size:
            end = _rest(read, write, handle, payload, sent, size - len(got), clock)
        out.append(end - start)


def _rest(read, write, handle, payload: bytes, sent: int, missing: int, clock) -> int:
    """Finish a round trip that came in pieces; the clock reading at its end."""
    if sent != len(payload):
        raise ConnectionError("a round trip's message was cut short")
    while missing:
        more = read(handle, missing)
        if not more:
            raise ConnectionError("it closed the connection")
        missing -= len(more)
    return clock()


def _numbered(number: int, size: int) -> bytes:
    """Message ``number`` of ``size`` bytes: the number first (big-endian, modulo what
    the first ``min(size, 8)`` bytes hold), then padding."""
    width = min(size, _NUMBER_BYTES)
    return (number % (1 << 8 * width)).to_bytes(width, "big") + b"x" * (size - width)


def _datagram_trips(sock: socket.socket, size: int, first: int, count: int,
                    out: list) -> int:
    """``count`` timed UDP round trips, messages numbered from ``first``, appended to
    ``out`` (ns); returns how many got no answer of their own within the kernel's
    receive timeout. A reply carrying another number (the late echo of an earlier,
    already lost message) is read and dropped, never timed as this message's answer.
    Raises :class:`FarEndGone` after :data:`_UDP_GIVE_UP` losses in a row."""
    clock = time.perf_counter_ns
    read, write, handle = fd_io(sock)
    lost = in_a_row = 0
    for number in range(first, first + count):
        message = _numbered(number, size)
        start = clock()
        write(handle, message)
        try:
            reply = read(handle, size)
            end = clock()
            while reply != message:    # a late echo of an earlier message: not ours
                reply = read(handle, size)
                end = clock()
        except BlockingIOError:   # SO_RCVTIMEO expired: no answer
            lost += 1
            in_a_row += 1
            if in_a_row >= _UDP_GIVE_UP:
                raise FarEndGone(f"the udp echo server did not answer {in_a_row} messages "
                                 f"in a row ({_UDP_WAIT:g} s each): it has stopped") from None
            continue
        in_a_row = 0
        out.append(end - start)
    return lost


def _check(count: int, size: int, transport: str, address: str) -> None:
    if count < 1 or size < 1:
        raise ValueError("count and size must be at least 1")
    check_transport(transport)
    if transport != "unix" and not may_listen(address):
        raise ValueError(f"{address!r} is not a loopback IP address: round trips are "
                         "measured over loopback only (127.0.0.1 or ::1)")


@dataclass(frozen=True)
class RttComparison:
    """Several :class:`Rtt` measured interleaved, by label; ``errors`` holds the
    cases that could not run (label -> errno name, e.g. ::1 with IPv6 off)."""

    count: int
    size: int
    results: dict
    errors: dict
    placement: Placement | None = None

    def ratio(self, slower: str, faster: str) -> float:
        """Median of ``slower`` over median of ``faster``."""
        return self.results[slower].median_us / self.results[faster].median_us


class _Case:
    """One case's connected client, its messages and what it measured."""

    def __init__(self, sock: socket.socket, transport: str, size: int):
        self.sock, self.transport, self.size = sock, transport, size
        self.stream = transport != "udp"
        self.payload = b"x" * size
        self.samples: list = []
        self.lost = 0
        self.sent = 0    # UDP messages numbered so far
        set_receive_timeout(sock, FAR_END_WAIT if self.stream else _UDP_WAIT)

    def run(self, count: int, keep: bool = True) -> None:
        out = self.samples if keep else []
        with watching(f"the {self.transport} echo server", FAR_END_WAIT):
            if self.stream:
                _stream_trips(self.sock, self.payload, count, out)
                return
            first, self.sent = self.sent, self.sent + count
            lost = _datagram_trips(self.sock, self.size, first, count, out)
        self.lost += lost if keep else 0

    def end(self) -> None:
        """Tell the echo we are done: the end of the stream, or an empty datagram."""
        try:
            if not self.stream:
                self.sock.send(b"")
        except OSError:
            pass
        self.sock.close()


def _servers(stack: ExitStack, cases: dict, echo: str, placement: Placement,
             folder: str | None, size: int, errors: dict) -> dict:
    """Start every case's echo server (the children all at once); label -> EchoServer.
    A case whose server cannot bind goes to ``errors``."""
    if echo == "process":
        started = stack.enter_context(echo_processes(cases, placement.server, folder,
                                                     size))
    else:
        started = {}
        for label, (transport, address) in cases.items():
            try:
                started[label] = stack.enter_context(echo_server(transport, address,
                                                                 folder))
            except OSError as exc:
                started[label] = exc
    errors.update({label: errno_name(s) for label, s in started.items()
                   if isinstance(s, OSError)})
    return {label: s for label, s in started.items() if not isinstance(s, OSError)}


def compare_rtt(cases: dict, count: int = 200, size: int = 32, warmup: int = 100, *,
                cpus=None, echo: str = "process", progress: bool | None = None,
                folder: str | None = None) -> RttComparison:
    """Measure each case (label -> ``(transport, address)``) with its own echo server
    and connection, ``count`` timed round trips of ``size`` bytes, interleaved.
    ``cpus``: None, ``"same"``, ``"different"`` or ``(client_cpu, server_cpu)``;
    ``echo``: ``"process"`` or ``"thread"``; ``progress``: None shows a bar in Jupyter
    for a run of 2 s or more, False never; ``folder``: where Unix sockets are made.

    >>> r = compare_rtt({"tcp": ("tcp", "127.0.0.1"), "udp": ("udp", "127.0.0.1")}, count=20)
    >>> sorted(r.results), r.results["tcp"].size
    (['tcp', 'udp'], 32)

    Introduced in notebooks/07-measuring-loopback.ipynb.
    """
    for transport, address in cases.values():
        _check(count, size, transport, address)
    if echo not in _ECHOES:
        raise ValueError(f"echo must be 'process' or 'thread', not {echo!r}")
    placement = plan_placement(cpus)
    errors: dict = {}
    measured: dict = {}
    with ExitStack() as stack:
        servers = _servers(stack, cases, echo, placement, folder, size, errors)
        for label, server in servers.items():
            try:
                sock = server.client(timeout=5.0)
            except OSError as exc:
                errors[label] = errno_name(exc)
                continue
            measured[label] = _Case(sock, server.transport, size)
            stack.callback(measured[label].end)
        _interleave(list(measured.values()), count, warmup, placement, progress)
    order = [label for label in cases if label in measured]
    results = {label: Rtt(cases[label][0], cases[label][1], size,
                          tuple(ns / 1000 for ns in measured[label].samples),
                          measured[label].lost, placement, echo)
               for label in order if measured[label].samples}
    errors.update({label: "every message was lost" for label in order
                   if not measured[label].samples})
    return RttComparison(count, size, results, errors, placement)


def _interleave(cases: list, count: int, warmup: int, placement: Placement,
                progress: bool | None) -> None:
    """Warm up, then time ``count`` round trips per case, in blocks, turn by turn (the
    order reversed every other turn)."""
    if not cases:
        return
    block = _BLOCK if len(cases) == 1 else _INTERLEAVED_BLOCK
    with pinned(placement.client), ProgressBar("round trips", None, progress) as bar:
        for case in cases:
            if warmup:
                case.run(warmup, keep=False)
        done = 0
        while done < count:
            n = min(block, count - done)
            for case in cases if (done // block) % 2 == 0 else cases[::-1]:
                case.run(n)
            done += n
            bar.update(done / count)


def rtt(count: int = 1000, transport: str = "tcp", address: str = "127.0.0.1",
        size: int = 32, warmup: int = 100, *, cpus=None, echo: str = "process",
        progress: bool | None = None, folder: str | None = None) -> Rtt:
    """Round-trip times of ``count`` exchanges of ``size`` bytes over ``transport``
    (``"tcp"``, ``"udp"`` or ``"unix"``) to an echo server on ``address`` (ignored for
    ``"unix"``, whose socket file lives in a private folder). ``cpus``, ``echo``,
    ``progress`` and ``folder`` as for :func:`compare_rtt`; the result's ``placement``
    says where both ends ran.

    >>> r = rtt(count=50)
    >>> len(r.samples_us), r.median_us <= r.p99_us, r.echo
    (50, True, 'process')

    Introduced in notebooks/07-measuring-loopback.ipynb.
    """
    comparison = compare_rtt({transport: (transport, address)}, count, size, warmup,
                             cpus=cpus, echo=echo, progress=progress, folder=folder)
    if transport in comparison.errors:
        raise OSError(f"no round trips over {transport} to {address}: "
                      f"{comparison.errors[transport]}")
    return comparison.results[transport]


def format_rtt(result: RttComparison) -> str:
    """One line per case: median, p90 and p99 in microseconds.

    >>> print(format_rtt(RttComparison(2, 32, {}, {"::1": "EADDRNOTAVAIL"})))
    2 round trips of 32 bytes each, interleaved:
      ::1             could not run: EADDRNOTAVAIL

    Introduced in notebooks/07-measuring-loopback.ipynb.
    """
    lines = [f"{result.count} round trips of {result.size} bytes each, interleaved:"]
    for label, r in result.results.items():
        s = r.summary
        lost = f", {r.lost} lost" if r.lost else ""
        lines.append(f"  {label:<15} {r.transport:<4} median {s.median:.1f} us, "
                     f"p90 {s.p90:.1f} us, p99 {s.p99:.1f} us{lost}")
    for label, error in result.errors.items():
        lines.append(f"  {label:<15} could not run: {error}")
    if result.placement is not None and result.placement.requested is not None:
        lines.append(f"  placement: {result.placement}")
    return "\n".join(lines)
