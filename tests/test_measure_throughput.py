"""Throughput over loopback (lesson 07): a sending process, a receiving child, plausible
figures, loopback only, nothing left behind, CPU placement reported, and a progress bar
only inside a kernel. Real but short runs; speed itself is the benchmark's business
(tests/benchmarks/bench_vs_tools.py), never asserted here."""

import importlib
import os
import re
import threading
from contextlib import contextmanager, nullcontext

import pytest

from loopedu import measure
from loopedu.measure.bulk_transfer import ProgressBar, Throughput, in_kernel
from loopedu.measure.cpus import plan_placement
from loopedu.measure.far_end import COUNT
from loopedu.servers import EchoServer, bound_socket

throughput_module = importlib.import_module("loopedu.measure.bulk_transfer")


def test_throughput_is_plausible(nothing_left_behind):
    t = measure.throughput(seconds=0.2, buffer_size=65536)
    assert (t.transport, t.address, t.buffer_size) == ("tcp", "127.0.0.1", 65536)
    assert t.bytes > 0 and t.bytes % t.buffer_size == 0   # whole buffers only
    assert t.seconds >= 0.2                               # it sent for as long as asked
    assert "Gbit/s" in str(t) and "64 KiB writes" in str(t)


def test_the_figures_of_a_run():
    # 10**9 bytes in 0.5 s, 64 KiB at a time: 16 Gbit/s, 2000 MB/s, 15259 writes
    # (the last one partly filled), 0.5 s / 15259 = 32.77 us each
    t = Throughput("tcp", "127.0.0.1", 65536, 10**9, 0.5)
    assert (t.gbit_per_s, t.megabytes_per_s, t.writes) == (16.0, 2000.0, 15259)
    assert t.us_per_write == pytest.approx(32.7675, abs=1e-4)
    assert str(t) == ("tcp 127.0.0.1, 64 KiB writes: 16.00 Gbit/s (1.00 GB in 0.50 s, "
                      "32.77 us per write)")


class CountingSink:
    """A receiver in a thread standing in for the child: it reads one connection to its
    end, counting the bytes itself, and answers that count plus ``skew``."""

    def __init__(self, sock, address, skew: int = 0):
        self.server, self._sock, self.skew = EchoServer("tcp", address), sock, skew
        self.counted: list = []

    def _read(self) -> None:
        conn, _ = self._sock.accept()
        with conn:
            got = 0
            while data := conn.recv(1 << 20):
                got += len(data)
            self.counted.append(got)
            conn.sendall(COUNT.pack(got + self.skew))

    @contextmanager
    def receiver(self, size: int):
        thread = threading.Thread(target=self._read)
        thread.start()
        try:
            yield
        finally:
            thread.join(10)


@contextmanager
def counting_sink(monkeypatch, skew: int = 0):
    with bound_socket("tcp") as (sock, address):
        sink = CountingSink(sock, address, skew)
        monkeypatch.setattr(throughput_module, "sink_process",
                            lambda *args: nullcontext(sink))
        yield sink


def test_the_bytes_reported_are_the_bytes_the_receiver_read(monkeypatch):
    with counting_sink(monkeypatch) as sink:
        results = measure.buffer_sweep((4096, 65536), seconds=0.05, repeats=2)
    # grouped by size (4096, 4096, 65536, 65536); they ran in rounds (4096, 65536,
    # 65536, 4096)
    assert [t.buffer_size for t in results] == [4096, 4096, 65536, 65536]
    ran = [sink.counted[i] for i in (0, 3, 1, 2)]
    assert [t.bytes for t in results] == ran and all(sink.counted)


@pytest.mark.parametrize("skew", [-1, 1])
def test_a_receiver_that_read_another_count_is_an_error(monkeypatch, skew):
    with counting_sink(monkeypatch, skew) as sink, \
            pytest.raises(ConnectionError, match="bytes but the receiver read") as caught:
        measure.throughput(seconds=0.05)
    figures = re.fullmatch(r"sent (\d+) bytes but the receiver read (\d+)", str(caught.value))
    assert tuple(map(int, figures.groups())) == (sink.counted[0], sink.counted[0] + skew)


def test_throughput_over_a_unix_socket_in_a_private_folder(tmp_path,
                                                           nothing_left_behind):
    t = measure.throughput(seconds=0.1, transport="unix", folder=str(tmp_path))
    assert (t.transport, t.address) == ("unix", "unix socket") and t.bytes > 0
    assert list(tmp_path.iterdir()) == []   # the socket's folder is gone


@pytest.mark.parametrize("kwargs, message", [
    ({"address": "192.0.2.1"}, "not a loopback IP address"),
    ({"address": "8.8.8.8"}, "not a loopback IP address"),
    ({"address": "0.0.0.0"}, "not a loopback IP address"),
    ({"transport": "udp"}, "transport must be 'tcp' or 'unix'"),
    ({"buffer_size": 0}, "buffer_size must be"),
    ({"seconds": 0}, "seconds must be more than 0"),
    ({"cpus": "nearby"}, "cpus must be None, 'same', 'different'"),
])
def test_throughput_refuses_what_it_should(kwargs, message, nothing_left_behind):
    with pytest.raises(ValueError, match=message):
        measure.throughput(**{"seconds": 0.1, **kwargs})


def test_buffer_sweep_keeps_the_order_of_sizes(nothing_left_behind):
    results = measure.buffer_sweep((4096, 1024), seconds=0.05, cpus="same", repeats=1)
    assert [t.buffer_size for t in results] == [4096, 1024]
    assert all(t.bytes > 0 for t in results)
    if hasattr(os, "sched_setaffinity"):   # both ends on this process's last CPU
        last = (max(os.sched_getaffinity(0)),)
        assert all((t.placement.client, t.placement.server) == (last, last)
                   for t in results)
    text = measure.format_throughput(results)
    assert text.splitlines()[1].startswith("4 KiB") and "1 KiB" in text
    with pytest.raises(ValueError, match="at least one buffer size"):
        measure.buffer_sweep(())


@pytest.mark.parametrize("repeats", [0, -1, 1.5, True, "3"])
def test_buffer_sweep_refuses_a_bad_number_of_repeats(repeats):
    with pytest.raises(ValueError, match="repeats must be a whole number"):
        measure.buffer_sweep((1024,), seconds=0.01, repeats=repeats)


def test_buffer_sweep_runs_every_size_in_rounds_and_gives_each_its_median(monkeypatch):
    """Issue 21: a sweep of one 0.2 s run a size zigzagged on a small VM. Each size now
    runs `repeats` times, in rounds that alternate direction (a slow moment hits every
    size alike); the summary is the median run with the lowest and highest."""
    ran, speeds = [], iter([5, 50, 500, 400, 40, 4, 6, 60, 600])   # bytes a run

    def fake_run(sink, size, seconds, placement, bar, before, share):
        ran.append(size)
        return Throughput("tcp", "127.0.0.1", size, next(speeds), 1.0, placement)

    monkeypatch.setattr(throughput_module, "_run", fake_run)
    monkeypatch.setattr(throughput_module, "sink_process", lambda *a: nullcontext(None))
    results = measure.buffer_sweep((1, 2, 3), seconds=0.01, repeats=3)
    assert ran == [1, 2, 3, 3, 2, 1, 1, 2, 3]
    assert [(t.buffer_size, t.bytes) for t in results] == [
        (1, 5), (1, 4), (1, 6), (2, 50), (2, 40), (2, 60), (3, 500), (3, 400), (3, 600)]
    points = measure.sweep_points(results)
    assert [(p.buffer_size, round(p.median_gbit_per_s * 1e9 / 8), round(p.lowest_gbit_per_s
             * 1e9 / 8), round(p.highest_gbit_per_s * 1e9 / 8)) for p in points] == [
        (1, 5, 4, 6), (2, 50, 40, 60), (3, 500, 400, 600)]
    text = measure.format_throughput(results).splitlines()
    assert text[0].split() == ["buffer", "Gbit/s", "µs", "per", "write", "lowest",
                               "highest", "runs"]
    assert [line.split()[-1] for line in text[1:]] == ["3", "3", "3"]


@pytest.mark.parametrize("error", [RuntimeError("a cell failed"), KeyboardInterrupt()])
def test_nothing_is_left_after_an_error(monkeypatch, tmp_path, error,
                                        nothing_left_behind):
    def fails(*args, **kwargs):
        raise error

    monkeypatch.setattr(throughput_module, "_send_for", fails)
    before = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    for transport in ("tcp", "unix"):
        with pytest.raises(type(error)):
            measure.throughput(seconds=0.1, transport=transport, cpus="same",
                               folder=str(tmp_path))
    assert list(tmp_path.iterdir()) == []
    if before is not None:
        assert os.sched_getaffinity(0) == before   # this thread's CPUs are back


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="no CPU pinning here")
def test_placement_is_reported_and_undone():
    before = os.sched_getaffinity(0)
    same = measure.throughput(seconds=0.05, cpus="same").placement
    assert same.requested == "same" and same.pinned and same.same_cpu
    assert same.client == same.server and same.client[0] in before
    two = measure.throughput(seconds=0.05, cpus="different").placement
    if len(before) > 1:
        assert two.pinned and two.client != two.server and not two.note
    else:
        assert "both ends share it" in two.note
    assert os.sched_getaffinity(0) == before
    assert measure.throughput(seconds=0.05).placement == measure.Placement()


def test_placement_says_why_when_it_cannot_pin(monkeypatch):
    if hasattr(os, "sched_setaffinity"):
        monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {3})
        one = plan_placement("different")
        assert (one.client, one.server) == ((3,), (3,))
        assert "only CPU 3 is available" in one.note and "share it" in str(one)
        with pytest.raises(ValueError, match="CPU 5 is not available"):
            plan_placement((3, 5))
        monkeypatch.delattr(os, "sched_setaffinity")
    none = plan_placement("same")
    assert not none.pinned and "no os.sched_setaffinity" in none.note
    assert str(none).startswith("not pinned: ")
    assert str(plan_placement(None)) == "not pinned: the scheduler placed both ends"


def test_no_progress_bar_outside_a_kernel():
    assert in_kernel() is False
    for progress in (None, True, False):
        with ProgressBar("measuring", expected=60, progress=progress) as bar:
            bar.update(0.5)
        assert bar.shown is False


def test_progress_bar_in_a_kernel_only_for_long_runs(monkeypatch):
    monkeypatch.setattr(throughput_module, "in_kernel", lambda: True)
    shown = []
    monkeypatch.setattr(ProgressBar, "_show", lambda self: shown.append(self) or
                        setattr(self, "shown", True) or setattr(self, "_decided", True))
    assert ProgressBar("short", expected=0.5).shown is False
    assert ProgressBar("never", expected=60, progress=False).shown is False
    long = ProgressBar("long", expected=60)
    assert long.shown is True and shown == [long]
    unknown = ProgressBar("unknown", expected=None)   # decided by how fast it goes
    unknown._start -= 1.0
    unknown.update(0.9)                                # 1 s for 90 %: short, no bar
    assert unknown.shown is False


def test_a_shown_bar_is_an_ipywidget_that_goes_away(monkeypatch):
    pytest.importorskip("ipywidgets")
    monkeypatch.setattr(throughput_module, "in_kernel", lambda: True)
    monkeypatch.setattr("IPython.display.display", lambda *objs: None)
    bar = ProgressBar("long run", expected=10)
    widget = bar._widget
    bar._last = 0.0
    bar.update(0.25)
    assert (type(widget).__name__, widget.value, widget.description) == \
        ("FloatProgress", 0.25, "long run")
    bar.close()
    assert bar._widget is None
