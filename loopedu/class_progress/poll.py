"""Poll the room: the class's predictions beside what the learners' machines measured.

Introduced in notebooks/00-start-here.ipynb (the instructor's ``loopedu class-report``).

For each prediction of the course, :func:`prediction_polls` counts, over the learners'
records: who predicted, what they predicted (the distribution, item by item for a
prediction with several parts), what their machines measured, what learners whose
machine could not run it saw from a recording, how many could not run it at all, and how
many were surprised and explained it in their own words. :func:`format_polls` prints it;
:func:`prediction_chart` draws one prediction for the projector.

Answers are grouped as the comparison reads them (:mod:`loopedu.exercises.comparison`):
text without letter case or extra spaces, ``yes``/``no`` as True/False, numbers by value.
Numbers spread over more than :data:`MAX_NUMBERS` values are grouped by order of
magnitude (``10-100``).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .exports import LearnerExport

__all__ = ["ItemPoll", "PredictionPoll", "answer_label", "format_polls",
           "prediction_chart", "prediction_polls"]

#: More distinct numbers than this are grouped by order of magnitude.
MAX_NUMBERS = 8


def answer_label(value: Any) -> str:
    """How a predicted or measured value is shown and grouped.

    >>> answer_label(" Refused"), answer_label("yes"), answer_label(40.0), answer_label([1, 2])
    ('refused', 'True', '40', '[1, 2]')

    Introduced in notebooks/00-start-here.ipynb.
    """
    from ..exercises.comparison import _plain

    plain = _plain(value)
    if isinstance(plain, bool):
        return str(plain)
    if isinstance(plain, float):
        return f"{plain:g}" if math.isfinite(plain) else str(plain)
    if isinstance(plain, str):
        return plain
    return json.dumps(_whole(plain), sort_keys=True, ensure_ascii=False)


def _whole(value: Any) -> Any:
    """Numbers that are whole written without ``.0``, inside lists and mappings too."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_whole(v) for v in value]
    if isinstance(value, dict):
        return {k: _whole(v) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class ItemPoll:
    """One item of a prediction (``item`` is ``""`` for a prediction of one value):
    ``predicted``, ``measured`` (on the learners' machines) and ``recorded`` (shown from
    a recording) as ``(answer, learners)`` pairs."""

    item: str
    predicted: tuple[tuple[str, int], ...]
    measured: tuple[tuple[str, int], ...]
    recorded: tuple[tuple[str, int], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain data, for ``--json``."""
        return {"item": self.item, "predicted": dict(self.predicted),
                "measured": dict(self.measured), "recorded": dict(self.recorded)}


@dataclass(frozen=True)
class PredictionPoll:
    """One prediction across the class (see the module docstring): counts of learners,
    and the distributions item by item; ``explanations`` are ``(learner, text)``."""

    id: str
    learners: int
    predicted: int
    revealed: int
    measured: int
    not_measured: int
    recording_only: int
    matched: int
    surprised: int
    explained: int
    items: tuple[ItemPoll, ...]
    explanations: tuple[tuple[str, str], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain data, for ``--json``."""
        return {"id": self.id, "learners": self.learners, "predicted": self.predicted,
                "revealed": self.revealed, "measured": self.measured,
                "not_measured": self.not_measured, "recording_only": self.recording_only,
                "matched": self.matched, "surprised": self.surprised,
                "explained": self.explained, "items": [i.to_dict() for i in self.items],
                "explanations": [{"learner": who, "text": text}
                                 for who, text in self.explanations]}


def _items(value: Any) -> dict[str, Any]:
    return {str(k): v for k, v in value.items()} if isinstance(value, dict) else {"": value}


def _numeric(labels: Iterable[str]) -> bool:
    try:
        [float(label) for label in labels]
    except ValueError:
        return False
    return True


def _magnitude(label: str) -> str:
    value = float(label)
    if value <= 0 or not math.isfinite(value):
        return "0 or less" if value <= 0 else label
    low = 10 ** math.floor(math.log10(value))
    return f"{low:g}-{low * 10:g}"


def _ranked(counts: Counter, numeric: bool) -> tuple[tuple[str, int], ...]:
    if numeric:
        def key(kv):
            head = kv[0].split("-")[0] if kv[0][0].isdigit() else kv[0]
            try:
                return (0, float(head), "")
            except ValueError:
                return (-1, 0.0, kv[0])
        return tuple(sorted(counts.items(), key=key))
    return tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _item_poll(item: str, predicted: list, measured: list, recorded: list) -> ItemPoll:
    everything = [*predicted, *measured, *recorded]
    numeric = bool(everything) and _numeric(everything)
    grouped = numeric and len(set(everything)) > MAX_NUMBERS
    parts = [Counter(_magnitude(v) if grouped else v for v in values)
             for values in (predicted, measured, recorded)]
    return ItemPoll(item, *(_ranked(c, numeric) for c in parts))


def _poll(ident: str, exports: list[LearnerExport]) -> PredictionPoll:
    from ..exercises.comparison import is_not_measured

    said: dict[str, list] = {}
    seen: dict[str, list] = {}
    replayed: dict[str, list] = {}
    counts = Counter()
    explanations = []
    for export in exports:
        guess = (export.part("predictions").get(ident) or {}).get("value")
        shown = export.part("reveals").get(ident)
        words = (export.part("explanations").get(ident) or {}).get("text")
        if guess is not None:
            counts["predicted"] += 1
            for item, value in _items(guess).items():
                if value is not None:
                    said.setdefault(item, []).append(answer_label(value))
        if words:
            counts["explained"] += 1
            explanations.append((export.learner, str(words)))
        if not isinstance(shown, dict):
            continue
        counts["revealed"] += 1
        counts[f"verdict {shown.get('verdict')}"] += 1
        source = shown.get("source")
        counts[f"source {source}"] += 1
        target = {"this machine": seen, "recording": replayed}.get(source)
        if target is None:
            continue
        skipped = set(shown.get("not_measured") or ())
        for item, value in _items(shown.get("actual")).items():
            if item not in skipped and not is_not_measured(value):
                target.setdefault(item, []).append(answer_label(value))
    items = list(dict.fromkeys([*said, *seen, *replayed]))
    return PredictionPoll(
        ident, len(exports), counts["predicted"], counts["revealed"],
        counts["source this machine"], counts["source not measured"],
        counts["source recording"], counts["verdict match"], counts["verdict surprise"],
        counts["explained"],
        tuple(_item_poll(item, said.get(item, []), seen.get(item, []),
                         replayed.get(item, [])) for item in items),
        tuple(explanations))


def prediction_polls(exports: Iterable[LearnerExport]) -> tuple[PredictionPoll, ...]:
    """A :class:`PredictionPoll` for every prediction any learner made or revealed, in
    lesson order.

    Introduced in notebooks/00-start-here.ipynb.
    """
    exports = list(exports)
    ids = {ident for export in exports for part in ("predictions", "reveals")
           for ident in export.part(part)}
    return tuple(_poll(ident, exports) for ident in sorted(ids))


def _pairs(pairs: tuple[tuple[str, int], ...]) -> str:
    return ", ".join(f"{label} ({n})" for label, n in pairs) or "-"


def format_polls(polls: Iterable[PredictionPoll], only: str | None = None) -> list[str]:
    """Text lines of the polls (of the prediction ``only``, when given), as
    ``loopedu class-report`` prints them.

    Introduced in notebooks/00-start-here.ipynb.
    """
    polls = [p for p in polls if only is None or p.id == only]
    if not polls:
        return ["Predictions: none recorded yet" + (f" for {only}" if only else "") + "."]
    lines = ["Predictions (answers with how many learners gave them):"]
    for p in polls:
        lines.append(
            f"  {p.id}: {p.predicted} of {p.learners} learners predicted; measured on "
            f"{p.measured} machines, {p.not_measured} could not run it, "
            f"{p.recording_only} saw a recording; {p.matched} as predicted, "
            f"{p.surprised} surprised, {p.explained} explained")
        for item in p.items:
            indent = "    "
            if item.item:
                lines.append(f"    {item.item}")
                indent = "      "
            lines.append(f"{indent}predicted  {_pairs(item.predicted)}")
            lines.append(f"{indent}measured   {_pairs(item.measured)}")
            if item.recorded:
                lines.append(f"{indent}recording  {_pairs(item.recorded)}")
    return lines


def prediction_chart(poll: PredictionPoll):
    """One prediction for the projector: for each item, horizontal bars of how many
    learners predicted each answer beside how many machines measured it (and how many
    learners saw it in a recording), in the Okabe-Ito palette with hatching, so no
    meaning rests on colour; a ``CourseFigure`` with alt text. Each bar has gid
    ``"<series>-<item>-<answer>"`` (series ``predicted``, ``measured``, ``recorded``).

    Introduced in notebooks/00-start-here.ipynb.
    """
    from ..plots import OKABE_ITO, new_figure, set_alt_text

    series = (("predicted", "the class predicted", OKABE_ITO["blue"], ""),
              ("measured", "machines measured", OKABE_ITO["orange"], "//"),
              ("recorded", "seen in a recording", OKABE_ITO["sky blue"], ".."))
    items = list(poll.items) or [ItemPoll("", (), ())]
    heights = [max(1, len({label for name, *_ in series
                           for label, _ in getattr(item, name)})) for item in items]
    fig = new_figure(9.0, max(3.0, 0.45 * sum(heights) + 1.2 * len(items) + 1.0))
    axes = fig.subplots(len(items), 1, squeeze=False, height_ratios=heights)[:, 0]
    used = [s for s in series if any(getattr(item, s[0]) for item in items)]
    width = 0.8 / max(1, len(used))
    most = max([n for item in items for name, *_ in used for _, n in getattr(item, name)]
               or [1])
    for ax, item in zip(axes, items):
        labels = list(dict.fromkeys(label for name, *_ in used
                                    for label, _ in getattr(item, name)))
        for k, (name, legend, colour, hatch) in enumerate(used):
            counts = dict(getattr(item, name))
            for y, label in enumerate(labels):
                n = counts.get(label, 0)
                pos = y + (k - (len(used) - 1) / 2) * width
                ax.barh(pos, n, height=width, color=colour, hatch=hatch, edgecolor="black",
                        linewidth=0.5, gid=f"{name}-{item.item}-{label}",
                        label=legend if y == 0 else None)
                if n:
                    ax.text(n + 0.05, pos, str(n), va="center", fontsize=8)
        ax.set_yticks(range(len(labels)), labels, fontsize=9)
        ax.set_xlim(0, most * 1.12 + 0.2)  # room for the counts
        ax.invert_yaxis()
        ax.set_xlabel("Learners")
        ax.set_ylabel(f"Answer: {item.item}" if item.item else "Answer")
        ax.xaxis.get_major_locator().set_params(integer=True)
    axes[0].set_title(f"{poll.id}: what {poll.predicted} learners predicted, beside what "
                      f"{poll.measured} machines measured")
    if used:
        fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center",
                   ncols=len(used), fontsize=9)
    fig.data_table = (("item", "answer", *(name for name, *_ in series)),
                      [(item.item, label, *(dict(getattr(item, name)).get(label, 0)
                                            for name, *_ in series))
                       for item in items for label in dict.fromkeys(
                           label for name, *_ in series for label, _ in getattr(item, name))])
    top = [f"{item.item + ': ' if item.item else ''}most predicted "
           f"{max(item.predicted, key=lambda kv: kv[1])[0] if item.predicted else 'nothing'}"
           f", most measured "
           f"{max(item.measured, key=lambda kv: kv[1])[0] if item.measured else 'nothing'}"
           for item in items[:4]]
    set_alt_text(fig, f"Bars of the answers {poll.predicted} learners predicted for "
                 f"{poll.id} beside what {poll.measured} machines measured "
                 f"({poll.not_measured} could not run it, {poll.recording_only} saw a "
                 f"recording); " + "; ".join(top) + ".")
    return fig
