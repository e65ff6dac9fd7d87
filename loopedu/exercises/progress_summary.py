"""The learner's standing across every exercise: ``progress()`` and ``progress_report()``.

Introduced in notebooks/00-start-here.ipynb.

This module joins the two below it: the catalog (:mod:`loopedu.exercises.framework`)
and the stored passes (:mod:`loopedu.exercises.progress_store`, which knows nothing of
the catalog). ``loopedu progress [--json]`` prints what these functions return.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import progress_store
from .framework import Text, catalog, get

__all__ = ["ExerciseProgress", "Progress", "progress", "progress_report", "RENAMED"]

#: Exercises that moved when lessons were renumbered (old id -> new id): a pass recorded
#: under the old id still counts.
RENAMED = {"04.compress": "05.compress", "04.expand": "05.expand",
           "04.dual-stack": "05.dual-stack", "04.locality-check": "05.locality-check",
           "03.read-audit": "04.read-audit"}


@dataclass(frozen=True)
class ExerciseProgress:
    """One exercise in :class:`Progress`; ``first_passed`` is ISO 8601 UTC or ``None``;
    ``failed`` counts the failed attempts, ``hints_seen`` the hints shown (of
    ``hints_total``), ``solution_viewed`` is when the worked answer was first shown and
    ``failed_before`` how many attempts failed before the pass (None: not recorded)."""

    id: str
    title: str
    lesson: int
    first_passed: str | None = None
    failed: int = 0
    hints_seen: int = 0
    hints_total: int = 0
    solution_viewed: str | None = None
    failed_before: int | None = None

    @property
    def passed(self) -> bool:
        """Whether the exercise has been passed."""
        return self.first_passed is not None

    def to_dict(self) -> dict[str, Any]:
        """Plain data: ``{"id", "title", "lesson", "passed", "first_passed"}``."""
        return {"id": self.id, "title": self.title, "lesson": self.lesson,
                "passed": self.passed, "first_passed": self.first_passed}


@dataclass(frozen=True)
class Progress:
    """The learner's progress: every exercise in course order, and where it is kept;
    the predictions, what their reveals showed and the learner's explanations, by
    prediction id, as the progress file keeps them (see
    :mod:`loopedu.exercises.progress_store`).

    ``problem`` says in words when the progress file could not be read (else ``""``).
    """

    path: Path
    exercises: tuple[ExerciseProgress, ...]
    problem: str = ""
    predictions: Mapping[str, Any] = field(default_factory=dict)
    reveals: Mapping[str, Any] = field(default_factory=dict)
    explanations: Mapping[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> int:
        """How many exercises have been passed."""
        return sum(row.passed for row in self.exercises)

    @property
    def total(self) -> int:
        """How many exercises there are."""
        return len(self.exercises)

    def to_dict(self) -> dict[str, Any]:
        """Plain data, as ``loopedu progress --json`` prints it: ``{"path", "problem",
        "passed", "total", "exercises": [...]}`` (its shape is kept as it was; the whole
        record, attempts and predictions included, is in ``loopedu progress --export``)."""
        return {"path": str(self.path), "problem": self.problem, "passed": self.passed,
                "total": self.total, "exercises": [row.to_dict() for row in self.exercises]}


def progress(home: str | os.PathLike | None = None) -> Progress:
    """The learner's progress through every exercise, as a :class:`Progress`.

    ``home`` is the folder of the progress file (default: the learner's own, see
    :func:`loopedu.exercises.progress_store.data_dir`).

    Example::

        >>> import tempfile
        >>> from loopedu.exercises import progress
        >>> from loopedu.exercises.progress_store import record_pass
        >>> with tempfile.TemporaryDirectory() as home:
        ...     _ = record_pass("00.kernel-transport", home=home)
        ...     mine = progress(home)
        >>> mine.exercises[0].id, mine.exercises[0].passed, mine.passed
        ('00.kernel-transport', True, 1)

    Introduced in notebooks/00-start-here.ipynb.
    """
    status = progress_store.load(home)
    passed = {RENAMED.get(ident, ident): when for ident, when in status.passed.items()}
    passed.update({ident: when for ident, when in status.passed.items() if ident not in RENAMED})
    failed_before = _renamed(status.failed_before, int)
    attempts, hints, solutions = (_renamed(status.section(name))
                                  for name in ("attempts", "hints", "solutions"))
    rows = []
    for ident in catalog():
        ex = get(ident)
        shown = {item.get("n") for item in (hints.get(ident) or {}).get("shown", [])
                 if isinstance(item, dict)}
        rows.append(ExerciseProgress(
            ident, ex.title, ex.lesson, passed.get(ident),
            int((attempts.get(ident) or {}).get("failed", 0) or 0),
            len(shown & set(range(1, len(ex.hints) + 1))), len(ex.hints),
            (solutions.get(ident) or {}).get("first_viewed"), failed_before.get(ident)))
    return Progress(status.path, tuple(rows), status.problem,
                    *(dict(status.section(name))
                      for name in ("predictions", "reveals", "explanations")))


def _renamed(table: Mapping[str, Any], kind: type = dict) -> dict[str, Any]:
    """The entries of ``table`` that are a ``kind``, by current exercise ids (see
    :data:`RENAMED`)."""
    kept = {ident: entry for ident, entry in table.items() if isinstance(entry, kind)}
    out = {RENAMED.get(ident, ident): entry for ident, entry in kept.items()}
    out.update({ident: entry for ident, entry in kept.items() if ident not in RENAMED})
    return out


def progress_report(home: str | os.PathLike | None = None) -> Text:
    """A short text summary of :func:`progress`, for ``loopedu progress``: a table of
    the exercises (passed, when, failed attempts, hints seen, worked answer seen), then
    one of the predictions (what was predicted, what the experiment showed, the
    verdict, whether the learner explained it).

    Example::

        >>> import tempfile
        >>> from loopedu.exercises import progress_report
        >>> with tempfile.TemporaryDirectory() as home:
        ...     print(progress_report(home))  # doctest: +ELLIPSIS +NORMALIZE_WHITESPACE
        Passed 0 of ... exercises. Progress file: ...progress.json
        <BLANKLINE>
        lesson  exercise             passed  first passed (UTC)  failed  hints  solution  title
        00      00.kernel-transport  -                           0       0/3    -         ...
        ...
        No predictions recorded yet.

    Introduced in notebooks/00-start-here.ipynb.
    """
    data = progress(home)
    rows = [("lesson", "exercise", "passed", "first passed (UTC)", "failed", "hints",
             "solution", "title")]
    for row in data.exercises:
        rows.append((f"{row.lesson:02d}", row.id, "yes" if row.passed else "-",
                     _minute(row.first_passed), str(row.failed),
                     f"{row.hints_seen}/{row.hints_total}",
                     "seen" if row.solution_viewed else "-", row.title))
    tried = sum(1 for row in data.exercises if row.failed or row.passed)
    lines = [f"Passed {data.passed} of {data.total} exercises. "
             f"Progress file: {data.path}", "", *_table(rows), "",
             f"Tried {tried}; {sum(r.failed for r in data.exercises)} failed attempts, "
             f"{sum(r.hints_seen for r in data.exercises)} hints, "
             f"{sum(bool(r.solution_viewed) for r in data.exercises)} worked answers seen.",
             "", *_prediction_lines(data)]
    if data.problem:
        lines += ["", data.problem]
    return Text("\n".join(line.rstrip() for line in lines))


def _minute(when: str | None) -> str:
    return (when or "")[:16].replace("T", " ")


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    """Columns padded to their widest cell; the last column is not padded."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    return ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)) + "  " + r[-1]
            for r in rows]


def _short(value: Any, limit: int = 28) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


#: How a reveal's verdict reads in the table.
VERDICT_WORDS = {"match": "as predicted", "surprise": "surprise",
                 "not measured": "not measured here", "no prediction": "no prediction"}


def _prediction_lines(data: Progress) -> list[str]:
    ids = sorted(set(data.predictions) | set(data.reveals))
    made = [i for i in ids if data.predictions.get(i, {}).get("value") is not None]
    if not ids:
        return ["No predictions recorded yet."]
    verdicts = [data.reveals[i].get("verdict") for i in ids if i in data.reveals]
    explained = [i for i in ids if (data.explanations.get(i) or {}).get("text")]
    lines = [f"Predictions: {len(made)} made, {len(verdicts)} revealed ("
             f"{verdicts.count('match')} as predicted, {verdicts.count('surprise')} "
             f"surprises, {verdicts.count('not measured')} not measured here); "
             f"{len(explained)} explained in your own words.", ""]
    rows = [("prediction", "you predicted", "the experiment showed", "verdict", "explained")]
    for ident in ids:
        said = data.predictions.get(ident, {})
        shown = data.reveals.get(ident)
        result = "-" if shown is None else _short(shown.get("actual"))
        if shown and shown.get("source") == "recording":
            result += " (a recording)"
        rows.append((ident, _short(said.get("value")) if said.get("value") is not None
                     else "-", result,
                     VERDICT_WORDS.get((shown or {}).get("verdict"), "not revealed yet"),
                     "yes" if ident in explained else "-"))
    return lines + _table(rows)
