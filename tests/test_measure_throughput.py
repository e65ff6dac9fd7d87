"""Throughput over loopback (lesson 07): a sending process, a receiving child, plausible
figures, loopback only, nothing left behind, CPU placement reported, and a progress bar
only inside a kernel. Real but short runs; speed itself is the benchmark's business
(tests/benchmarks/bench_vs_tools.py), never asserted here."""

import importlib
import os

import pytest

from loopedu import measure
from loopedu.measure.placement import plan_placement
from loopedu.measure.throughput import ProgressBar, in_kernel

# the module, not the function loopedu.measure.throughput of the same name
throughput_module = importlib.import_module("loopedu.measure.throughput")


def test_throughput_is_plausible(far_end, nothing_left_behind):
    t = measure.throughput(seconds=0.2, buffer_size=65536)
    assert (t.transport, t.address, t.buffer_size) == ("tcp", "127.0.0.1", 65536)
    assert t.bytes > 0 and t.bytes % t.buffer_size == 0   # whole buffers only
    assert t.seconds >= 0.2                               # it sent for as long as asked
    assert t.gbit_per_s == pytest.approx(t.bytes * 8 / t.seconds / 1e9)
    assert t.megabytes_per_s == pytest.approx(t.bytes / t.seconds / 1e6)
    assert t.writes == -(-t.bytes // 65536)
    assert "Gbit/s" in str(t) and "64 KiB writes" in str(t)


def test_throughput_over_a_unix_socket_in_a_private_folder(tmp_path, far_end,
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


def test_buffer_sweep_keeps_the_order_of_sizes(far_end, nothing_left_behind):
    results = measure.buffer_sweep((4096, 1024), seconds=0.05, cpus="same")
    assert [t.buffer_size for t in results] == [4096, 1024]
    assert all(t.bytes > 0 and t.placement == results[0].placement for t in results)
    text = measure.format_throughput(results)
    assert text.splitlines()[1].startswith("4 KiB") and "1 KiB" in text
    with pytest.raises(ValueError, match="at least one buffer size"):
        measure.buffer_sweep(())


@pytest.mark.parametrize("error", [RuntimeError("a cell failed"), KeyboardInterrupt()])
def test_nothing_is_left_after_an_error(monkeypatch, tmp_path, error, far_end,
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
