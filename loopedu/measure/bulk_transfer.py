"""Throughput over loopback: how many bytes per second one TCP (or Unix-domain)
connection carries from this process to a receiving child process.

The sender is this process, the receiver a child of its own
(:func:`loopedu.measure.far_end.sink_process`), so the two never share a GIL. The hot
loops are plain: blocking sockets with no Python timeout (``settimeout`` would add a
``poll()`` to every call), one preallocated page-aligned buffer sent again and again
with ``sendall``, and the receiver reading with ``recv_into`` into another of the same
size (:func:`~loopedu.measure.buffers.page_buffer`). The clock starts before the
first byte is sent and stops when the receiver has read the last one and said how many
it read, as iperf3's receiver figure does. A receiver that stops reading cannot hang the
sender: the kernel ends a send or a read that waited too long (``SO_SNDTIMEO``,
``SO_RCVTIMEO``: no extra system call) and the run raises
:class:`~loopedu.measure.far_end.FarEndGone`. :func:`buffer_sweep` repeats the run for
several buffer sizes: every ``send`` and ``recv`` is a system call, so small buffers
mean many calls per byte, and a lower throughput. One short run is one sample, and on a
small virtual machine another tenant, the scheduler or a cache can halve it: the sweep
runs every size several times, in rounds (each round goes through every size, the next
in the opposite order, so a slow moment hits every size alike), and
:func:`sweep_points` gives each size's median with the lowest and highest run.

Both measurements, round trips and throughput, show a :class:`ProgressBar` on runs of
2 s or more, in a Jupyter kernel only (ipywidgets is imported when a bar is shown,
never before).

Introduced in notebooks/07-measuring-loopback.ipynb.
"""

from __future__ import annotations

import math
import socket
import sys
import time
from dataclasses import dataclass

from ..listen_guard import may_listen
from ..servers import set_receive_timeout
from ..stats import percentile
from .buffers import page_buffer
from .cpus import Placement, pinned, plan_placement
from .far_end import COUNT, FAR_END_WAIT, FarEndGone, sink_process, watching

__all__ = ["Throughput", "throughput", "buffer_sweep", "format_throughput",
           "SWEEP_SIZES", "SweepPoint", "sweep_points", "ProgressBar", "in_kernel",
           "size_text"]

_TRANSPORTS = ("tcp", "unix")
#: The buffer sizes :func:`buffer_sweep` tries by default: 64 bytes to 256 KiB.
SWEEP_SIZES = (64, 256, 1024, 4096, 16384, 65536, 131072, 262144)
#: Bytes sent between two looks at the clock (and at the progress bar).
_BATCH_BYTES = 1 << 20
#: A run expected to last at least this long shows a progress bar (in a kernel).
LONG_RUN_SECONDS = 2.0


# ---- progress, for round trips and throughput ----

def in_kernel() -> bool:
    """True inside a Jupyter kernel (ipykernel), where a widget can be shown.

    >>> in_kernel()
    False

    Introduced in notebooks/07-measuring-loopback.ipynb.
    """
    if "ipykernel" not in sys.modules:
        return False
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


class ProgressBar:
    """A bar for a measurement that takes a while: shown only in a Jupyter kernel, and
    only when ``progress`` is True, or None (automatic) and the run is expected to take
    :data:`LONG_RUN_SECONDS` or more: ``expected`` seconds, or, when unknown (None),
    what the first :meth:`update` calls project. Updated at most ten times a second;
    removed by :meth:`close`.

    >>> with ProgressBar("measuring", expected=60) as bar:   # not in a kernel here
    ...     bar.update(0.5)
    >>> bar.shown
    False

    Introduced in notebooks/07-measuring-loopback.ipynb.
    """

    def __init__(self, description: str, expected: float | None = None,
                 progress: bool | None = None):
        self.description = description
        self.shown = False
        self._widget = None
        self._start = time.monotonic()
        self._last = 0.0
        self._decided = progress is False or not in_kernel()
        if not self._decided and (progress or (expected or 0) >= LONG_RUN_SECONDS):
            self._show()
        elif not self._decided and expected is not None:
            self._decided = True

    def _show(self) -> None:
        from IPython.display import display
        from ipywidgets import FloatProgress

        self._widget = FloatProgress(value=0.0, min=0.0, max=1.0,
                                     description=self.description,
                                     style={"description_width": "initial"})
        display(self._widget)
        self.shown = self._decided = True

    def update(self, fraction: float) -> None:
        """Record that ``fraction`` (0 to 1) of the run is done."""
        if self._decided and not self.shown:
            return
        now = time.monotonic()
        if now - self._last < 0.1:
            return
        self._last = now
        if not self._decided:
            elapsed = now - self._start
            if fraction <= 0 or elapsed < 0.2:
                return
            if elapsed / fraction < LONG_RUN_SECONDS:
                self._decided = True
                return
            self._show()
        self._widget.value = min(max(fraction, 0.0), 1.0)

    def close(self) -> None:
        """Remove the bar (the result is what stays on the page)."""
        if self._widget is not None:
            self._widget.close()
            self._widget = None

    def __enter__(self) -> "ProgressBar":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@dataclass(frozen=True)
class Throughput:
    """One throughput run: ``bytes`` the receiver read in ``seconds`` (from the first
    byte sent to the receiver's count of the last), written ``buffer_size`` bytes at a
    time over ``transport`` to ``address``; ``placement`` says where both ends ran.

    >>> t = Throughput("tcp", "127.0.0.1", 131072, 2_500_000_000, 2.0)
    >>> t.gbit_per_s, t.writes
    (10.0, 19074)

    Introduced in notebooks/07-measuring-loopback.ipynb.
    """

    transport: str
    address: str
    buffer_size: int
    bytes: int
    seconds: float
    placement: Placement | None = None

    @property
    def gbit_per_s(self) -> float:
        """Gigabits (10**9 bits) per second."""
        return self.bytes * 8 / self.seconds / 1e9

    @property
    def megabytes_per_s(self) -> float:
        """Megabytes (10**6 bytes) per second."""
        return self.bytes / self.seconds / 1e6

    @property
    def writes(self) -> int:
        """How many ``sendall`` calls of ``buffer_size`` bytes the sender made."""
        return math.ceil(self.bytes / self.buffer_size)

    @property
    def us_per_write(self) -> float:
        """Microseconds per write: the cost of one call and its bytes."""
        return self.seconds / self.writes * 1e6

    def __str__(self) -> str:
        return (f"{self.transport} {self.address}, {size_text(self.buffer_size)} writes: "
                f"{self.gbit_per_s:.2f} Gbit/s ({self.bytes / 1e9:.2f} GB in "
                f"{self.seconds:.2f} s, {self.us_per_write:.2f} us per write)")


def size_text(n: int) -> str:
    """A byte count as the course writes it: whole MiB or KiB, else bytes.

    >>> size_text(128 * 1024), size_text(1 << 20), size_text(1536)
    ('128 KiB', '1 MiB', '1536 B')

    Introduced in notebooks/07-measuring-loopback.ipynb.
    """
    for unit, scale in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale and n % scale == 0:
            return f"{n // scale} {unit}"
    return f"{n} B"


@dataclass(frozen=True)
class SweepPoint:
    """Every run of one buffer size in a sweep: the median throughput (what the figure
    draws), the lowest and highest run (its spread) and the median time per write.

    >>> runs = tuple(Throughput("tcp", "127.0.0.1", 1024, n, 1.0)
    ...              for n in (10**9, 2 * 10**9, 3 * 10**9))
    >>> point = SweepPoint("tcp", 1024, runs)
    >>> point.median_gbit_per_s, point.lowest_gbit_per_s, point.highest_gbit_per_s
    (16.0, 8.0, 24.0)

    Introduced in notebooks/07-measuring-loopback.ipynb.
    """

    transport: str
    buffer_size: int
    runs: tuple

    @property
    def gbit_per_s(self) -> tuple:
        """Each run's Gbit/s, in the order they ran."""
        return tuple(t.gbit_per_s for t in self.runs)

    @property
    def median_gbit_per_s(self) -> float:
        """The median run's Gbit/s."""
        return percentile(self.gbit_per_s, 0.5)

    @property
    def lowest_gbit_per_s(self) -> float:
        """The slowest run's Gbit/s."""
        return min(self.gbit_per_s)

    @property
    def highest_gbit_per_s(self) -> float:
        """The fastest run's Gbit/s."""
        return max(self.gbit_per_s)

    @property
    def us_per_write(self) -> float:
        """The median time per write, in microseconds."""
        return percentile([t.us_per_write for t in self.runs], 0.5)


def sweep_points(results) -> tuple:
    """The runs of a sweep (:class:`Throughput`, in any order) gathered by transport and
    buffer size, one :class:`SweepPoint` each, in the order each first appears.

    >>> runs = [Throughput("tcp", "127.0.0.1", size, 10**9, 1.0) for size in (64, 1024, 64)]
    >>> [(p.buffer_size, len(p.runs)) for p in sweep_points(runs)]
    [(64, 2), (1024, 1)]

    Introduced in notebooks/07-measuring-loopback.ipynb.
    """
    groups: dict = {}
    for t in results:
        groups.setdefault((t.transport, t.buffer_size), []).append(t)
    return tuple(SweepPoint(transport, size, tuple(runs))
                 for (transport, size), runs in groups.items())


def _check(seconds: float, address: str, buffer_size: int, transport: str) -> None:
    if transport not in _TRANSPORTS:
        raise ValueError(f"transport must be 'tcp' or 'unix', not {transport!r}")
    if not seconds > 0:
        raise ValueError(f"seconds must be more than 0, not {seconds!r}")
    if not isinstance(buffer_size, int) or buffer_size < 1:
        raise ValueError(f"buffer_size must be a whole number of bytes, at least 1, not "
                         f"{buffer_size!r}")
    if transport != "unix" and not may_listen(address):
        raise ValueError(f"{address!r} is not a loopback IP address: throughput is "
                         "measured over loopback only (127.0.0.1 or ::1)")


def _send_for(sock: socket.socket, buffer_size: int, seconds: float,
              bar: ProgressBar, before: float = 0.0, share: float = 1.0) -> int:
    """Send one preallocated buffer again and again for ``seconds``; bytes sent.
    ``before`` and ``share``: where this run sits in the progress bar."""
    with page_buffer(buffer_size, fill=True) as data:
        send, clock = sock.sendall, time.perf_counter
        batch = range(max(1, _BATCH_BYTES // buffer_size))
        per_batch = len(batch) * buffer_size
        sent = 0
        start = clock()
        end = start + seconds
        while True:
            for _ in batch:
                send(data)
            sent += per_batch
            now = clock()
            if now >= end:
                return sent
            bar.update(before + share * (now - start) / seconds)


def _run(sink, buffer_size: int, seconds: float, placement: Placement, bar: ProgressBar,
         before: float, share: float) -> Throughput:
    """One connection to the receiving child: send for ``seconds``, then read its count."""
    server = sink.server
    with watching("the receiving child", FAR_END_WAIT), sink.receiver(buffer_size), \
            socket.socket(server.family, socket.SOCK_STREAM) as sock:
        sock.settimeout(FAR_END_WAIT)
        sock.connect(server.address)
        set_receive_timeout(sock, FAR_END_WAIT, send=True)   # still blocking, with no
        # poll() before each call: the kernel ends a call that waits too long
        start = time.perf_counter()
        sent = _send_for(sock, buffer_size, seconds, bar, before, share)
        sock.shutdown(socket.SHUT_WR)
        got = _count(sock)
        elapsed = time.perf_counter() - start
    if got != sent:
        raise ConnectionError(f"sent {sent} bytes but the receiver read {got}")
    address = server.address[0] if server.transport == "tcp" else "unix socket"
    return Throughput(server.transport, address, buffer_size, got, elapsed, placement)


def _count(sock: socket.socket) -> int:
    """The receiver's count of the bytes it read (:data:`COUNT`)."""
    answer = b""
    while len(answer) < COUNT.size:
        chunk = sock.recv(COUNT.size - len(answer))
        if not chunk:
            raise FarEndGone("the receiving child closed without saying what it read")
        answer += chunk
    return COUNT.unpack(answer)[0]


def buffer_sweep(sizes=SWEEP_SIZES, seconds: float = 0.1, address: str = "127.0.0.1",
                 transport: str = "tcp", *, repeats: int = 5, cpus=None,
                 progress: bool | None = None, folder: str | None = None) -> tuple:
    """``repeats`` :func:`throughput` runs per buffer size in ``sizes`` (bytes per write
    and per read), ``seconds`` each, to the same receiving child, in rounds: each round
    runs every size once, every other round in the opposite order. A tuple of
    :class:`Throughput` grouped in the order of ``sizes``, each size's runs in the
    order they ran; :func:`sweep_points` gives each size's median and spread.
    ``cpus``, ``progress`` and ``folder`` as for :func:`throughput`.

    >>> small, large = buffer_sweep((1024, 65536), seconds=0.05, repeats=1)
    >>> (small.buffer_size, large.buffer_size), small.bytes > 0
    ((1024, 65536), True)

    Introduced in notebooks/07-measuring-loopback.ipynb.
    """
    sizes = tuple(sizes)
    if not sizes:
        raise ValueError("give at least one buffer size")
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        raise ValueError(f"repeats must be a whole number, at least 1, not {repeats!r}")
    for size in sizes:
        _check(seconds, address, size, transport)
    placement = plan_placement(cpus)
    order = [i if r % 2 == 0 else len(sizes) - 1 - i
             for r in range(repeats) for i in range(len(sizes))]
    share = 1 / len(order)
    runs: dict = {i: [] for i in range(len(sizes))}
    with sink_process(transport, address, placement.server, folder) as sink, \
            pinned(placement.client), \
            ProgressBar("throughput", seconds * len(order), progress) as bar:
        for n, i in enumerate(order):
            runs[i].append(_run(sink, sizes[i], seconds, placement, bar, n * share, share))
    return tuple(t for i in range(len(sizes)) for t in runs[i])


def throughput(seconds: float = 1.0, address: str = "127.0.0.1", buffer_size: int = 131072,
               transport: str = "tcp", *, cpus=None, progress: bool | None = None,
               folder: str | None = None) -> Throughput:
    """Send for ``seconds`` over one ``transport`` connection (``"tcp"`` to
    ``address``, or ``"unix"``) to a receiving child process, ``buffer_size`` bytes per
    write and per read. ``cpus``: None (the scheduler places both ends), ``"same"``,
    ``"different"`` or ``(sender_cpu, receiver_cpu)``; ``progress``: None shows a bar
    in Jupyter for runs of 2 s or more, False never; ``folder``: where a Unix socket is
    made.

    >>> t = throughput(seconds=0.05)
    >>> t.transport, t.buffer_size, t.bytes > 0, t.gbit_per_s > 0
    ('tcp', 131072, True, True)

    Introduced in notebooks/07-measuring-loopback.ipynb.
    """
    (result,) = buffer_sweep((buffer_size,), seconds, address, transport, repeats=1,
                             cpus=cpus, progress=progress, folder=folder)
    return result


def format_throughput(results) -> str:
    """One line per buffer size (:func:`sweep_points`): the median Gbit/s and time per
    write and, where a size ran more than once, the lowest and highest run.

    >>> print(format_throughput([Throughput("tcp", "127.0.0.1", 1024, 10**9, 1.0)]))
    buffer     Gbit/s   µs per write
    1 KiB        8.00           1.02
    >>> print(format_throughput([Throughput("tcp", "127.0.0.1", 1024, n, 1.0)
    ...                          for n in (10**9, 2 * 10**9, 3 * 10**9)]))
    buffer     Gbit/s   µs per write   lowest  highest  runs
    1 KiB       16.00           0.51     8.00    24.00     3

    Introduced in notebooks/07-measuring-loopback.ipynb.
    """
    points = sweep_points(results)
    spread = any(len(p.runs) > 1 for p in points)
    head = f"{'buffer':<10}{'Gbit/s':>7}{'µs per write':>15}"
    lines = [head + (f"{'lowest':>9}{'highest':>9}{'runs':>6}" if spread else "")]
    for p in points:
        line = f"{size_text(p.buffer_size):<10}{p.median_gbit_per_s:>7.2f}{p.us_per_write:>15.2f}"
        if spread:
            line += (f"{p.lowest_gbit_per_s:>9.2f}{p.highest_gbit_per_s:>9.2f}"
                     f"{len(p.runs):>6}")
        lines.append(line)
    return "\n".join(lines)
