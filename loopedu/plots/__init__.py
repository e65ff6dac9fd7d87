"""matplotlib figures for the course. Each function returns a ``matplotlib.figure.Figure``
built with the object-oriented API (no pyplot state, safe on the Agg backend) and stores a
one-line alt text on it as ``fig.alt_text``. Functions take plain data from the other
modules and only draw it.

Shared style: the Okabe-Ito colour-blind-safe palette (Okabe and Ito, "Color Universal
Design", 2008), labelled axes, a legend, and text inside cells so that no meaning rests
on colour alone.

The figures of lesson 07's measurements are in :mod:`loopedu.plots.measurements`;
what every figure shares is in :mod:`loopedu.plots.figure`.

Introduced in notebooks/01-loopback-range.ipynb.
"""

from __future__ import annotations

from matplotlib.patches import Patch, Rectangle

from .. import addresses
from ..connections import Kind
from ..palette import OKABE_ITO
from .figure import HATCHES, SERIES, STYLES, CourseFigure, new_figure, set_alt_text, text_colour_on
from .measurements import rtt_bars, rtt_histogram, samples_histogram, throughput_by_buffer

__all__ = ["CourseFigure", "new_figure", "set_alt_text", "text_colour_on", "ipv4_map",
           "reachability_heatmap", "counters_bar", "rtt_comparison", "samples_histogram",
           "rtt_histogram", "rtt_bars", "throughput_by_buffer", "OKABE_ITO", "SERIES",
           "STYLES", "HATCHES", "CATEGORY_COLOURS", "OUTCOME_COLOURS", "NOT_SPECIAL",
           "PARTIAL_HATCH"]

GREY = "#999999"
LIGHT_GREY = "#DDDDDD"
NOT_SPECIAL = "#FFFFFF"

# One colour a category of special-purpose block; loopback gets the strongest.
CATEGORY_COLOURS = {
    "loopback": OKABE_ITO["vermillion"],
    "this network": OKABE_ITO["black"],
    "private": OKABE_ITO["blue"],
    "shared": OKABE_ITO["reddish purple"],
    "link-local": OKABE_ITO["bluish green"],
    "documentation": OKABE_ITO["yellow"],
    "benchmarking": OKABE_ITO["orange"],
    "multicast": OKABE_ITO["sky blue"],
    "reserved": GREY,
    "other special": LIGHT_GREY,
}
PARTIAL_HATCH = "////"


def ipv4_map(highlight: int = 127) -> CourseFigure:
    """The IPv4 space as a 16 x 16 grid of its 256 /8 blocks, special blocks coloured by
    category (hatched where only part of the /8 is special), the ``highlight`` block
    (127/8, loopback) outlined and annotated with its size.

    Each cell's rectangle has gid ``"cell-<octet>"`` and its text gid ``"label-<octet>"``,
    so the figure can be checked through its data.

    >>> fig = ipv4_map()
    >>> fig.alt_text.startswith("Grid of the 256 IPv4 /8 blocks")
    True

    Introduced in notebooks/01-loopback-range.ipynb.
    """
    rows = addresses.slash8_map()
    if not 0 <= highlight <= 255:
        raise ValueError(f"highlight must be a first octet 0 to 255, not {highlight!r}")
    fig = new_figure(12.0, 8.5)
    ax = fig.add_subplot()
    for row in rows:
        col, line = row.first_octet % 16, row.first_octet // 16
        face = CATEGORY_COLOURS[row.category] if row.category else NOT_SPECIAL
        ink = text_colour_on(face)
        chosen = row.first_octet == highlight
        ax.add_patch(Rectangle(
            (col, 15 - line), 1, 1, facecolor=face, gid=f"cell-{row.first_octet}",
            edgecolor="black" if chosen else "#555555", linewidth=3.0 if chosen else 0.5,
            zorder=3 if chosen else 2))
        if row.category and not row.whole:
            # A separate unfilled patch, so the hatch contrasts with any face colour.
            ax.add_patch(Rectangle((col, 15 - line), 1, 1, facecolor="none", edgecolor=ink,
                                   hatch=PARTIAL_HATCH, linewidth=0, alpha=0.6,
                                   gid=f"hatch-{row.first_octet}", zorder=2.5))
        text = str(row.first_octet) + (f"\n{row.category}" if chosen and row.category else "")
        ax.text(col + 0.5, 15 - line + 0.5, text, ha="center", va="center",
                fontsize=6 if chosen else 8, fontweight="bold" if chosen else "normal",
                color=ink, gid=f"label-{row.first_octet}", zorder=4,
                bbox={"facecolor": face, "edgecolor": "none", "pad": 0.5}
                if row.category and not row.whole else None)
    chosen_row = rows[highlight]
    facts = addresses.range_facts(chosen_row.network)
    what = chosen_row.category or "not special"
    ax.annotate(
        f"{chosen_row.network}: {what}\n{facts.num_addresses:,} addresses\n"
        f"= 2^{facts.network.max_prefixlen - facts.prefixlen}, {facts.fraction_of_space} of IPv4",
        xy=(highlight % 16 + 1, 15 - highlight // 16 + 0.5), xytext=(16.5, 2.5),
        va="center", fontsize=9, annotation_clip=False,
        arrowprops={"arrowstyle": "->", "color": "black"})
    ax.set_xlim(0, 16)
    ax.set_ylim(0, 16)
    ax.set_aspect("equal")
    ax.set_xticks([c + 0.5 for c in range(16)], [f"+{c}" for c in range(16)], fontsize=7)
    ax.set_yticks([15 - r + 0.5 for r in range(16)], [str(16 * r) for r in range(16)], fontsize=7)
    ax.set_xlabel("first octet: column adds 0 to 15 to the row's start")
    ax.set_ylabel("first octet: row starts at")
    ax.set_title("The IPv4 address space in 256 /8 blocks (first octet 0 to 255)")
    present = [c for c in addresses.CATEGORIES if any(r.category == c for r in rows)]
    handles = [Patch(facecolor=CATEGORY_COLOURS[c], edgecolor="#555555", label=c) for c in present]
    handles.append(Patch(facecolor=LIGHT_GREY, edgecolor="#555555", hatch=PARTIAL_HATCH,
                         label="hatched: only part of the /8 is special"))
    handles.append(Patch(facecolor=NOT_SPECIAL, edgecolor="#555555", label="not special"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8,
              title="special-purpose block", title_fontsize=8, frameon=False)
    whole = sum(1 for r in rows if r.category and r.whole)
    partial = sum(1 for r in rows if r.category and not r.whole)
    fig.data_table = (("category", "first octets", "/8s wholly special", "/8s partly special"),
                      [(c, _octet_ranges([r.first_octet for r in rows if r.category == c]),
                        sum(1 for r in rows if r.category == c and r.whole),
                        sum(1 for r in rows if r.category == c and not r.whole))
                       for c in present])
    fig.supxlabel("Sources: IANA IPv4 Special-Purpose Address Registry "
                  f"(last updated {addresses.registry_info('IPv4').last_updated}); "
                  "multicast from the IANA IPv4 Address Space registry (RFC 5771)", fontsize=7)
    return set_alt_text(fig, (
        f"Grid of the 256 IPv4 /8 blocks, 16 per row; {chosen_row.network} ({what}) is outlined: "
        f"{facts.num_addresses:,} addresses, {facts.fraction_of_space} of the space; "
        f"{whole} /8s are wholly special-purpose and {partial} partly."))


def _octet_ranges(octets: list[int]) -> str:
    """``[0, 10, 224, 225, 226]`` as ``"0, 10, 224-226"``."""
    runs: list[list[int]] = []
    for octet in sorted(octets):
        if runs and octet == runs[-1][-1] + 1:
            runs[-1].append(octet)
        else:
            runs.append([octet])
    return ", ".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)


# ---- lesson 03: reachability matrix and interface counters ----

#: One Okabe-Ito colour per kind of connection outcome; every cell also carries the word.
OUTCOME_COLOURS = {
    Kind.CONNECTED: OKABE_ITO["bluish green"],
    Kind.REFUSED: OKABE_ITO["vermillion"],
    Kind.TIMEOUT: OKABE_ITO["orange"],
    Kind.UNREACHABLE: OKABE_ITO["reddish purple"],
    Kind.BIND_FAILED: GREY,
    Kind.FAILED: OKABE_ITO["sky blue"],
    Kind.OTHER_SOCKET: OKABE_ITO["sky blue"],
}


def reachability_heatmap(matrix) -> CourseFigure:
    """The reachability matrix (a :class:`loopedu.reachability.Matrix`) as coloured cells
    with the outcome written in each: rows are bind addresses, columns destinations.

    Cell ``(bind, target)`` has gid ``"cell-<bind>-<target>"`` and its text
    ``"label-<bind>-<target>"``, so the figure can be checked through its data.

    >>> from loopedu.reachability import reachability_matrix
    >>> fig = reachability_heatmap(reachability_matrix(["127.0.0.1"], ["127.0.0.2"]))
    >>> print(fig.alt_text)   # doctest: +NORMALIZE_WHITESPACE
    Reachability matrix, 1 bind addresses by 1 destinations: 0 of 1 pairs connected;
    127.0.0.1 accepted none.

    Introduced in notebooks/03-bind-address.ipynb.
    """
    outcomes = {(r.bind, r.target): r.outcome for r in matrix.rows}
    binds = list(dict.fromkeys(b for b, _ in outcomes))
    targets = list(dict.fromkeys(t for _, t in outcomes))
    fig = new_figure(1.9 * len(targets) + 3.5, 0.6 * len(binds) + 2.2)
    ax = fig.add_subplot()
    for row, bind in enumerate(binds):
        for col, target in enumerate(targets):
            outcome = outcomes.get((bind, target))
            face = OUTCOME_COLOURS[outcome.kind] if outcome else "white"
            y = len(binds) - 1 - row
            ax.add_patch(Rectangle((col, y), 1, 1, facecolor=face, edgecolor="white",
                                   linewidth=2, gid=f"cell-{bind}-{target}"))
            ax.text(col + 0.5, y + 0.5, str(outcome or "").replace(": ", ":\n"),
                    ha="center", va="center", fontsize=8, color=text_colour_on(face),
                    gid=f"label-{bind}-{target}")
    ax.set_xlim(0, len(targets))
    ax.set_ylim(0, len(binds))
    ax.set_xticks([c + 0.5 for c in range(len(targets))], targets)
    ax.set_yticks([len(binds) - 0.5 - r for r in range(len(binds))], binds)
    ax.xaxis.tick_top()
    ax.xaxis.set_label_position("top")
    ax.set_xlabel("client connects to (destination address)")
    ax.set_ylabel("server listens on (bind address)")
    present = list(dict.fromkeys(o.kind for o in outcomes.values()))
    ax.legend(handles=[Patch(facecolor=OUTCOME_COLOURS[k], label=k.value) for k in present],
              loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False, title="outcome")
    accepted = "; ".join(
        f"{b} accepted "
        f"{', '.join(t for t in targets if outcomes[(b, t)].connected) or 'none'}"
        for b in binds)
    total = sum(1 for o in outcomes.values() if o.connected)
    fig.data_table = (("bind address", *targets),
                      [(b, *(str(outcomes.get((b, t), "")) for t in targets)) for b in binds])
    return set_alt_text(fig, (
        f"Reachability matrix, {len(binds)} bind addresses by {len(targets)} destinations: "
        f"{total} of {len(outcomes)} pairs connected; {accepted}."))


def counters_bar(result) -> CourseFigure:
    """Grouped bars of how much each interface's sent and received counters grew during
    :func:`loopedu.measure.counter_experiment` (a :class:`~loopedu.measure.Counters`),
    in MB (10**6 bytes), with the amount moved drawn as a dashed line. The bar
    containers are labelled ``"sent"`` and ``"received"``, their bars in the order of
    the x tick labels.

    >>> from loopedu.measure import Counters
    >>> grew = {"lo": {"sent": 10**6, "recv": 10**6}}
    >>> fig = counters_bar(Counters(1, 10**6, 0.01, "lo", grew, {}, {}))
    >>> [float(p.get_height()) for p in fig.axes[0].containers[0]]
    [1.0]

    Introduced in notebooks/04-loopback-interface.ipynb.
    """
    from ..measure import MB

    loop, delta = result.loopback, result.delta
    nics = sorted(delta, key=lambda nic: (nic != loop, nic))
    fig = new_figure(max(6.0, 1.2 * len(nics) + 3), 4.5)
    ax = fig.add_subplot()
    width = 0.38
    xs = range(len(nics))
    bars = {}
    for shift, key, label, colour, hatch in ((-1, "sent", "sent", OKABE_ITO["blue"], None),
                                              (1, "recv", "received", OKABE_ITO["orange"], "//")):
        bars[key] = ax.bar([x + shift * width / 2 for x in xs],
                           [delta[n][key] / MB for n in nics], width, label=label,
                           color=colour, hatch=hatch, edgecolor="black")
        ax.bar_label(bars[key], fmt="%.2f", fontsize=8)
    ax.axhline(result.megabytes, color="black", linestyle="--",
               label=f"data moved over 127.0.0.1: {result.megabytes:g} MB")
    ax.set_xticks(list(xs), [f"{n}\n(loopback)" if n == loop else n for n in nics])
    ax.set_xlabel("network interface")
    ax.set_ylabel("counter growth during the experiment (MB = 10^6 bytes)")
    ax.set_title(f"{result.megabytes:g} MB over 127.0.0.1: which interfaces counted it?")
    ax.set_ylim(0, 1.2 * max([result.megabytes] + [p.get_height() for b in bars.values()
                                                    for p in b]))
    ax.legend(loc="center right", frameon=False)
    fig.data_table = (("interface", "sent (MB)", "received (MB)"),
                      [(n, f"{delta[n]['sent'] / MB:.2f}", f"{delta[n]['recv'] / MB:.2f}")
                       for n in nics])
    others = [n for n in nics if n != loop]
    top_other = max(others, key=result.grew, default=None)
    lo_text = (f"{loop} counted {delta[loop]['sent'] / MB:.1f} MB sent and "
               f"{delta[loop]['recv'] / MB:.1f} MB received" if loop in delta
               else "the loopback interface reports no counters here")
    other_text = (f"; the busiest other interface, {top_other}, "
                  f"{result.grew(top_other) / MB:.2f} MB" if top_other else "")
    return set_alt_text(fig, (
        f"Bar chart: {result.megabytes:g} MB moved over 127.0.0.1; {lo_text}{other_text}."))


# ---- round trips: Unix socket versus TCP, 127.0.0.1 versus ::1 ----

def rtt_comparison(result) -> CourseFigure:
    """Round-trip times from :func:`loopedu.measure.compare_rtt` (an
    :class:`~loopedu.measure.RttComparison`): one box (and the individual points) per
    case, median and p90 written beside each, in microseconds. A case that could not run
    is listed in the title instead of drawn. The x tick labels name the cases in order;
    ``fig.rtt_summary`` holds ``{label: (median, p90)}``.

    >>> from loopedu.measure import Rtt, RttComparison
    >>> fig = rtt_comparison(RttComparison(3, 32, {
    ...     "127.0.0.1": Rtt("tcp", "127.0.0.1", 32, (20.0, 21.0, 30.0))},
    ...     {"::1": "EADDRNOTAVAIL"}))
    >>> fig.rtt_summary
    {'127.0.0.1': (21.0, 28.2)}

    Round trips are introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    runs = result.results
    fig = new_figure(8.0, 4.5)
    ax = fig.add_subplot()
    colours = SERIES[:3]
    labels = list(runs)
    summaries = {label: runs[label].summary for label in labels}
    if labels:
        ax.boxplot([runs[a].samples_us for a in labels], whis=(5, 95), showfliers=False,
                   widths=0.5, medianprops={"color": "black"})
        for i, label in enumerate(labels, 1):
            samples, s = runs[label].samples_us, summaries[label]
            xs = [i + 0.18 * ((k % 7) / 6 - 0.5) for k in range(len(samples))]
            ax.scatter(xs, samples, s=6, alpha=0.5, color=colours[(i - 1) % 3],
                       marker="o" if i == 1 else "^")
            ax.text(i + 0.3, s.median, f"median {s.median:.1f} µs\np90 {s.p90:.1f} µs",
                    va="center", fontsize=8)
        ax.set_xticks(range(1, len(labels) + 1), labels)
        ax.set_xlim(0.5, len(labels) + 0.9)
        ax.set_ylim(0, 2 * max(s.p90 for s in summaries.values()))
    ax.set_ylabel("round-trip time of one exchange (µs)")
    ax.set_xlabel("box 25-75 %, whiskers 5-95 %, points: every round trip")
    title = f"{result.count} round trips of {result.size} bytes on loopback"
    if result.errors:
        title += "; not run: " + ", ".join(f"{a} ({e})" for a, e in result.errors.items())
    ax.set_title(title)
    fig.rtt_summary = {a: (round(s.median, 1), round(s.p90, 1)) for a, s in summaries.items()}
    fig.data_table = (("case", "median (µs)", "p90 (µs)"),
                      [(a, f"{m:.1f}", f"{p:.1f}") for a, (m, p) in fig.rtt_summary.items()])
    described = "; ".join(f"{a} median {m:.1f} µs, p90 {p:.1f} µs"
                          for a, (m, p) in fig.rtt_summary.items()) or "no case could run"
    return set_alt_text(fig, f"Box plot of loopback round-trip times: {described}.")
