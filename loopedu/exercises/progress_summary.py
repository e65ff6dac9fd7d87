"""The learner's standing across every exercise: ``progress()`` and ``progress_report()``.

Introduced in notebooks/00-start-here.ipynb.

This module joins the two below it: the catalog (:mod:`loopedu.exercises.framework`)
and the stored passes (:mod:`loopedu.exercises.progress_store`, which knows nothing of
the catalog). ``loopedu progress [--json]`` prints what these functions return.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
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
    """One exercise in :class:`Progress`; ``first_passed`` is ISO 8601 UTC or ``None``."""

    id: str
    title: str
    lesson: int
    first_passed: str | None = None

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
    """The learner's progress: every exercise in course order, and where it is kept.

    ``problem`` says in words when the progress file could not be read (else ``""``).
    """

    path: Path
    exercises: tuple[ExerciseProgress, ...]
    problem: str = ""

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
        "passed", "total", "exercises": [...]}``."""
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
    rows = []
    for ident in catalog():
        ex = get(ident)
        rows.append(ExerciseProgress(ident, ex.title, ex.lesson, passed.get(ident)))
    return Progress(status.path, tuple(rows), status.problem)


def progress_report(home: str | os.PathLike | None = None) -> Text:
    """A short text table of :func:`progress`, for ``loopedu progress``.

    Example::

        >>> import tempfile
        >>> from loopedu.exercises import progress_report
        >>> with tempfile.TemporaryDirectory() as home:
        ...     print(progress_report(home))  # doctest: +ELLIPSIS +NORMALIZE_WHITESPACE
        Passed 0 of ... exercises. Progress file: ...progress.json
        <BLANKLINE>
        lesson  exercise             passed  first passed (UTC)  title
        00      00.kernel-transport  -                           ...

    Introduced in notebooks/00-start-here.ipynb.
    """
    data = progress(home)
    rows = [("lesson", "exercise", "passed", "first passed (UTC)", "title")]
    for row in data.exercises:
        when = (row.first_passed or "")[:16].replace("T", " ")
        rows.append((f"{row.lesson:02d}", row.id, "yes" if row.passed else "-", when,
                     row.title))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = [f"Passed {data.passed} of {data.total} exercises. "
             f"Progress file: {data.path}", ""]
    for r in rows:
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(r, widths)) + "  " + r[4])
    if data.problem:
        lines += ["", data.problem]
    return Text("\n".join(line.rstrip() for line in lines))
