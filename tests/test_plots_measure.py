"""Tests for lesson 07's figures (round-trip histogram, round-trip bars, throughput
against buffer size), through the data of the Figure (bins, bars, lines, labels, alt
text), not pixels. Made-up results: no measurement runs here."""

import pytest

matplotlib = pytest.importorskip("matplotlib")
from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.container import BarContainer, ErrorbarContainer  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from loopedu import plots  # noqa: E402
from loopedu.measure import Rtt, RttComparison, Throughput  # noqa: E402

TCP = Rtt("tcp", "127.0.0.1", 32, tuple([10.0] * 90 + [12.0] * 9 + [400.0]))
UNIX = Rtt("unix", "", 32, tuple([6.0] * 50 + [7.0] * 50))


def one_line(fig) -> bool:
    return bool(fig.alt_text) and "\n" not in fig.alt_text


def test_histogram_of_several_rtt_shares_its_bins():
    fig = plots.rtt_histogram([TCP, UNIX], bins=30)
    assert isinstance(fig, Figure) and set(fig.histogram) == {"tcp 127.0.0.1", "unix"}
    ax = fig.axes[0]
    assert ax.get_xlabel() == "round-trip time (µs)"
    assert ax.get_ylabel() == "round trips per bin"
    (tcp_counts, edges), (unix_counts, unix_edges) = fig.histogram.values()
    assert len(edges) == 31 and len(tcp_counts) == 30 and edges == unix_edges
    # the 400 µs outlier lies beyond twice the p99 (so beyond the axis): counted, not drawn
    assert sum(tcp_counts) == 99 and sum(unix_counts) == 100
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert f"tcp 127.0.0.1 (1 beyond {2 * TCP.p99_us:.0f} µs, not drawn)" in legend
    # a short legend: one entry per series, then one per kind of mark (the values are
    # in the alt text and the data table)
    assert legend[1:] == ["unix", "median (dashed, ▼)", "p99 (dotted, ◆)"], legend
    # median and p99 differ in more than dash style: width and marker too (greyscale),
    # and each is named on the plot
    median = [line for line in ax.lines if line.get_marker() == "v"]
    p99 = [line for line in ax.lines if line.get_marker() == "D"]
    assert len(median) == len(p99) == 2
    widths = {line.get_linewidth() for line in ax.lines if line.get_marker() in ("None", "")}
    assert len(widths) == 2, widths
    written = [t.get_text().strip() for t in ax.texts]
    assert written.count("median") == 2 and written.count("p99") == 2
    assert one_line(fig) and "unix median 6.5 µs" in fig.alt_text


def test_histogram_accepts_one_rtt_a_dict_or_a_comparison():
    assert list(plots.rtt_histogram(TCP).histogram) == ["tcp 127.0.0.1"]
    assert list(plots.rtt_histogram({"mine": UNIX}).histogram) == ["mine"]
    comparison = RttComparison(100, 32, {"a": TCP, "b": UNIX}, {})
    assert list(plots.rtt_histogram(comparison).histogram) == ["a", "b"]
    same_twice = plots.rtt_histogram([UNIX, UNIX]).histogram
    assert list(same_twice) == ["unix", "unix (2)"]


def test_samples_histogram_draws_raw_samples_without_giving_the_answers_away():
    fig = plots.samples_histogram([20.0] * 95 + [200.0] * 5, "round trips of a machine",
                                  bins=10)
    counts, edges = fig.histogram["round trips of a machine"]
    assert sum(counts) == 100 and len(edges) == 11
    assert not fig.axes[0].lines          # no median or p99 line unless marks=True
    alt = fig.alt_text                    # nor in the words a screen reader says
    assert "median" not in alt and "p99" not in alt, alt
    assert "100 samples from 20.0 to 200.0 µs; the fullest bin, 20.0 to 38.0 µs, holds 95" \
        in alt, alt
    header, rows = fig.data_table         # the table under it: the bars, no answers
    assert header == ("from (µs)", "to (µs)", "round trips of a machine")
    assert rows == [("20.0", "38.0", 95), ("182.0", "200.0", 5)]
    marked = plots.samples_histogram([20.0] * 95 + [200.0] * 5, marks=True)
    assert "median 20.0 µs" in marked.alt_text, marked.alt_text
    assert marked.data_table[1] == [("round trips", 100, "20.0", "200.0")]
    assert "100 round trips of a machine" in fig.axes[0].get_title()
    assert one_line(plots.samples_histogram([], bins=5))


def test_rtt_bars_show_medians_with_p99_whiskers():
    fig = plots.rtt_bars(RttComparison(100, 32, {"tcp": TCP, "unix": UNIX}, {}))
    ax = fig.axes[0]
    (bars,) = [c for c in ax.containers if isinstance(c, BarContainer)]
    (errors,) = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert len(bars) == 2
    assert [round(b.get_height(), 1) for b in bars] == [TCP.median_us, UNIX.median_us]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["tcp", "unix"]
    assert fig.rtt_bars == {"tcp": (TCP.median_us, TCP.p99_us),
                            "unix": (UNIX.median_us, UNIX.p99_us)}
    whiskers = errors.lines[2][0].get_segments()   # the error bars' vertical lines
    assert [round(seg[1][1], 2) for seg in whiskers] == [round(TCP.p99_us, 2),
                                                         round(UNIX.p99_us, 2)]
    colours = {to_hex(b.get_facecolor()) for b in bars}
    assert len(colours) == 2 and {b.get_hatch() for b in bars} == {"", "//"}
    assert "µs" in ax.get_ylabel() and "p99" in ax.get_ylabel()
    assert one_line(fig) and "tcp median 10.0 µs" in fig.alt_text


def test_throughput_chart_one_line_per_transport_on_a_log_axis():
    results = [Throughput("tcp", "127.0.0.1", size, size * 10_000, 1.0)
               for size in (65536, 1024, 64)]
    results.append(Throughput("unix", "unix socket", 1024, 10**9, 1.0))
    fig = plots.throughput_by_buffer(results)
    ax = fig.axes[0]
    (tcp, unix) = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert [c.get_label() for c in (tcp, unix)] == ["tcp", "unix"]   # one run: no "median"
    line = tcp.lines[0]
    assert list(line.get_xdata()) == [64, 1024, 65536]          # sorted by buffer size
    assert [round(y, 6) for y in line.get_ydata()] == [
        round(s * 10_000 * 8 / 1e9, 6) for s in (64, 1024, 65536)]
    assert fig.throughput_points["unix"] == [(1024, 8.0)]
    assert ax.get_xscale() == "log"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["64 B", "1 KiB", "64 KiB"]
    assert "Gbit/s" in ax.get_ylabel() and "bytes" in ax.get_xlabel()
    assert line.get_marker() != unix.lines[0].get_marker()      # not colour alone
    assert one_line(fig) and fig.alt_text.startswith("Line chart of loopback throughput")


def test_throughput_chart_draws_the_median_of_repeated_runs_and_their_spread():
    """Issue 21: one short run a size gave a zigzag; the chart draws each size's median
    run, with a bar from the lowest to the highest run and a dot per run."""
    import statistics

    gbits = {1024: (0.10, 0.29, 0.31, 0.33, 0.30), 131072: (18.8, 3.8, 17.5, 16.9, 18.1)}
    results = [Throughput("tcp", "127.0.0.1", size, int(g * 1e9 / 8), 1.0)
               for size, runs in gbits.items() for g in runs]
    fig = plots.throughput_by_buffer(results)
    ax = fig.axes[0]
    (bars,) = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    medians = [statistics.median(runs) for runs in gbits.values()]
    assert [round(y, 6) for y in bars.lines[0].get_ydata()] == [round(m, 6) for m in medians]
    segments = bars.lines[2][0].get_segments()    # the vertical bars, lowest to highest
    assert [(round(a[1], 6), round(b[1], 6)) for a, b in segments] == [
        (round(min(r), 6), round(max(r), 6)) for r in gbits.values()]
    dots = [line for line in ax.lines if line.get_marker() == "."]
    assert sorted(round(y, 6) for d in dots for y in d.get_ydata()) == sorted(
        round(g, 6) for runs in gbits.values() for g in runs)
    assert bars.get_label() == "tcp: median of 5 runs"
    assert "5 runs a size" in fig.alt_text and "highest median 17.5 Gbit/s at 128 KiB" \
        in fig.alt_text
