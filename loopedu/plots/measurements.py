"""Figures of loopback measurements: round-trip histograms and bars, and throughput
against the buffer size (the median of repeated runs, with their spread).

Introduced in notebooks/07-measuring-loopback.ipynb.
"""

from __future__ import annotations

import numpy as np
from matplotlib.lines import Line2D

from ..stats import Summary
from .figure import HATCHES, SERIES, STYLES, CourseFigure, new_figure, set_alt_text

__all__ = ["samples_histogram", "rtt_histogram", "rtt_bars", "throughput_by_buffer"]


def _rtt_series(results) -> dict:
    """label -> Rtt from an Rtt, a list of them, a dict or an RttComparison."""
    results = getattr(results, "results", results)
    if isinstance(results, dict):
        return dict(results)
    runs = [results] if hasattr(results, "samples_us") else list(results)
    named = {}
    for r in runs:
        label = r.transport if r.transport == "unix" else f"{r.transport} {r.address}"
        named[label if label not in named else f"{label} ({len(named) + 1})"] = r
    return named


#: How a median and a p99 are marked: line style, width and a marker at the top of the
#: axes, so the two differ in greyscale too, not by dash style alone; each is labelled
#: on the plot as well.
_MARKS = {
    "median": ("dashed, ▼", {"linestyle": "--", "linewidth": 1.8, "marker": "v"}),
    "p99": ("dotted, ◆", {"linestyle": ":", "linewidth": 1.0, "marker": "D"}),
}


def _mark(ax, value: float, what: str, colour) -> None:
    """A vertical line at ``value``, its marker on top and its name written beside."""
    _, style = _MARKS[what]
    ax.axvline(value, color=colour, linestyle=style["linestyle"],
               linewidth=style["linewidth"])
    top = ax.get_xaxis_transform()      # x in data, y as a fraction of the axes
    ax.plot([value], [1.0], transform=top, marker=style["marker"], color=colour,
            markersize=7, clip_on=False, linestyle="none")
    ax.text(value, 0.96, what + " ", transform=top, rotation=90, ha="right", va="top",
            fontsize=7, color="black")


def samples_histogram(samples, label: str = "round trips", bins: int = 40,
                      marks: bool = False) -> CourseFigure:
    """A histogram of round-trip times in microseconds, one series per label when
    ``samples`` is a dict (label -> samples); ``marks`` draws each series' median
    (thick dashed, ▼ on top) and p99 (thin dotted, ◆ on top), each named on the plot
    and once in the legend, and only then does the alt text name them (without
    marks, a reader is to find them: the alt text says what the bars show). Bins are
    shared and span the samples up to twice the largest p99: slower samples are counted
    in the legend, not drawn.
    ``fig.histogram`` holds ``{label: (counts, edges)}``.

    >>> fig = samples_histogram([10.0, 11.0, 12.0, 30.0], bins=4)
    >>> fig.histogram["round trips"][0], fig.axes[0].get_xlabel()
    ([3, 0, 0, 1], 'round-trip time (µs)')

    Introduced in notebooks/07-measuring-loopback.ipynb.
    """
    series = {k: list(v) for k, v in (samples.items() if isinstance(samples, dict)
                                      else [(label, samples)]) if len(v)}
    summaries = {k: Summary.of(v) for k, v in series.items()}
    low = min((s.minimum for s in summaries.values()), default=0.0)
    high = max((min(s.maximum, 2 * s.p99) for s in summaries.values()), default=1.0)
    edges = np.linspace(low, max(high, low + 1e-9), bins + 1)
    fig = new_figure(8.0, 4.5)
    ax = fig.add_subplot()
    fig.histogram, described = {}, []
    for i, (name, values) in enumerate(series.items()):
        colour, style, s = SERIES[i % 6], STYLES[i % 4], summaries[name]
        counts, _ = np.histogram(values, edges)
        beyond = len(values) - int(counts.sum())
        fig.histogram[name] = (counts.tolist(), edges.tolist())
        text = name + (f" ({beyond} beyond {high:.0f} µs, not drawn)" if beyond else "")
        ax.hist(edges[:-1], edges, weights=counts, histtype="step", linewidth=1.8,
                linestyle=style, color=colour, label=text)
        if marks:
            for value, what in ((s.median, "median"), (s.p99, "p99")):
                _mark(ax, value, what, colour)
            described.append(f"{name} median {s.median:.1f} µs, p99 {s.p99:.1f} µs")
        else:   # what the bars show, not what a reader is asked to work out from them
            top = int(np.argmax(counts))
            described.append(f"{name}: {len(values):,} samples from {s.minimum:.1f} to "
                             f"{s.maximum:.1f} µs; the fullest bin, {edges[top]:.1f} to "
                             f"{edges[top + 1]:.1f} µs, holds {int(counts[top]):,}")
    if marks:
        fig.data_table = (("series", "samples", "median (µs)", "p99 (µs)"),
                          [(k, len(series[k]), f"{s.median:.1f}", f"{s.p99:.1f}")
                           for k, s in summaries.items()])
    else:   # the bars themselves: each bin that holds a sample
        names = list(fig.histogram)
        fig.data_table = (("from (µs)", "to (µs)", *names),
                          [(f"{edges[i]:.1f}", f"{edges[i + 1]:.1f}",
                            *(fig.histogram[n][0][i] for n in names))
                           for i in range(len(edges) - 1)
                           if any(fig.histogram[n][0][i] for n in names)])
    ax.set_xlabel("round-trip time (µs)")
    ax.set_ylabel("round trips per bin")
    sizes = {len(v) for v in series.values()}
    counted = (f"{sizes.pop():,} {label} for each of the {len(series)}" if len(series) > 1
               and len(sizes) == 1 else f"{sum(map(len, series.values())):,} {label}")
    ax.set_title(f"{counted}: how often each time came")
    if series:
        handles, _ = ax.get_legend_handles_labels()
        if marks:   # one entry per kind of mark, not one per series and mark
            handles += [Line2D([], [], color="black", label=f"{what} ({words})", **style)
                        for what, (words, style) in _MARKS.items()]
        ax.legend(handles=handles, frameon=False, fontsize=8)
    return set_alt_text(fig, "Histogram of round-trip times: "
                        + ("; ".join(described) or "no samples") + ".")


def rtt_histogram(results, bins: int = 40) -> CourseFigure:
    """:func:`samples_histogram` of one or several :class:`~loopedu.measure.Rtt` (an
    Rtt, a list, a dict label -> Rtt, or an RttComparison), medians and p99 marked.

    Introduced in notebooks/07-measuring-loopback.ipynb.
    """
    series = {k: r.samples_us for k, r in _rtt_series(results).items()}
    return samples_histogram(series, "round trips", bins, marks=True)


def rtt_bars(results) -> CourseFigure:
    """One bar per :class:`~loopedu.measure.Rtt` (an Rtt, a list, a dict label -> Rtt,
    or an RttComparison): the median round trip, a whisker up to p99, both written
    above. ``fig.rtt_bars`` holds ``{label: (median, p99)}``.

    Introduced in notebooks/07-measuring-loopback.ipynb.
    """
    series = _rtt_series(results)
    fig = new_figure(max(5.0, 1.6 * len(series) + 2), 4.5)
    ax = fig.add_subplot()
    fig.rtt_bars = {k: (r.median_us, r.p99_us) for k, r in series.items()}
    fig.data_table = (("transport and address", "median (µs)", "p99 (µs)"),
                      [(k, f"{m:.1f}", f"{p:.1f}") for k, (m, p) in fig.rtt_bars.items()])
    labels, values = list(fig.rtt_bars), list(fig.rtt_bars.values())
    bars = ax.bar(labels, [m for m, _ in values], 0.6, edgecolor="black",
                  color=[SERIES[i % 6] for i in range(len(labels))],
                  yerr=[[0] * len(values), [p - m for m, p in values]], capsize=6,
                  error_kw={"ecolor": "black", "linewidth": 1.2})
    for i, bar in enumerate(bars):
        bar.set_hatch(HATCHES[i % 6])
    for x, (m, p) in enumerate(values):
        ax.text(x, p, f"median {m:.1f}\np99 {p:.1f}", ha="center", va="bottom", fontsize=8)
    ax.set_ylim(0, 1.25 * max((p for _, p in values), default=1.0))
    ax.set_ylabel("round-trip time (µs): bar median, whisker p99")
    ax.set_xlabel("transport and address")
    ax.set_title("Median round trip, whisker to p99")
    described = "; ".join(f"{k} median {m:.1f} µs, p99 {p:.1f} µs" for k, (m, p) in
                          fig.rtt_bars.items()) or "no results"
    return set_alt_text(fig, f"Bar chart of round-trip times: {described}.")


def throughput_by_buffer(results) -> CourseFigure:
    """Throughput (Gbit/s) against the buffer size per write and read (log scale), one
    line per transport through each size's median run, from
    :func:`loopedu.measure.buffer_sweep`'s :class:`~loopedu.measure.Throughput` runs:
    a bar from the lowest to the highest run of each size and a small dot per run show
    the spread. ``fig.throughput_points`` holds ``{transport: [(buffer bytes, median
    Gbit/s), ...]}``, ``fig.throughput_spread`` ``{transport: [(buffer bytes, lowest,
    highest), ...]}``. Its data table gives each size's runs, and the median time of one
    write (µs per write).

    Introduced in notebooks/07-measuring-loopback.ipynb.
    """
    from ..measure.bulk_transfer import size_text, sweep_points

    points = sorted(sweep_points(results), key=lambda p: p.buffer_size)
    lines: dict = {}
    for p in points:
        lines.setdefault(p.transport, []).append(p)
    fig = new_figure(8.0, 4.5)
    ax = fig.add_subplot()
    fig.throughput_points, fig.throughput_spread = {}, {}
    runs = max((len(p.runs) for p in points), default=0)
    for i, (name, line) in enumerate(lines.items()):
        xs = [p.buffer_size for p in line]
        ys = [p.median_gbit_per_s for p in line]
        low = [y - p.lowest_gbit_per_s for y, p in zip(ys, line)]
        high = [p.highest_gbit_per_s - y for y, p in zip(ys, line)]
        colour = SERIES[i % 6]
        ax.errorbar(xs, ys, yerr=[low, high], marker="osD^"[i % 4], linestyle=STYLES[i % 4],
                    color=colour, capsize=4, label=f"{name}: median of {runs} runs"
                    if runs > 1 else name)
        for p in line:
            ax.plot([p.buffer_size] * len(p.runs), p.gbit_per_s, linestyle="none",
                    marker=".", markersize=4, alpha=0.5, color=colour)
        for x, y in zip(xs, ys):
            ax.annotate(f"{y:.1f}", (x, y), textcoords="offset points", xytext=(8, -3),
                        fontsize=7)
        fig.throughput_points[name] = list(zip(xs, ys))
        fig.throughput_spread[name] = [(p.buffer_size, p.lowest_gbit_per_s,
                                        p.highest_gbit_per_s) for p in line]
    sizes = sorted({p.buffer_size for p in points})
    fig.data_table = (("transport", "buffer size", "runs", "median (Gbit/s)", "lowest",
                       "highest", "µs per write"),
                      [(p.transport, size_text(p.buffer_size), len(p.runs),
                        f"{p.median_gbit_per_s:.2f}", f"{p.lowest_gbit_per_s:.2f}",
                        f"{p.highest_gbit_per_s:.2f}", f"{p.us_per_write:.2f}")
                       for line in lines.values() for p in line])
    ax.set_xscale("log", base=2)
    ax.set_xticks(sizes, [size_text(s) for s in sizes], fontsize=8)
    ax.set_ylim(0, 1.15 * max((p.highest_gbit_per_s for p in points), default=1.0))
    ax.set_xlabel("buffer size per write and read (bytes, log scale)")
    ax.set_ylabel("throughput (Gbit/s)")
    ax.set_title("Small buffers mean many system calls per byte"
                 + ("\nline: median run; bar: lowest to highest; dots: each run"
                    if runs > 1 else ""))
    if lines:
        ax.legend(frameon=False, title="transport")
    described = "; ".join(
        f"{n} median from {p[0].median_gbit_per_s:.1f} Gbit/s with "
        f"{size_text(p[0].buffer_size)} buffers to {p[-1].median_gbit_per_s:.1f} Gbit/s "
        f"with {size_text(p[-1].buffer_size)}, highest median "
        f"{max(q.median_gbit_per_s for q in p):.1f} Gbit/s at "
        f"{size_text(max(p, key=lambda q: q.median_gbit_per_s).buffer_size)}"
        for n, p in lines.items()) or "no results"
    return set_alt_text(fig, f"Line chart of loopback throughput against buffer size, "
                        f"{runs} run{'s' if runs != 1 else ''} a size: {described}.")
