"""Where a class struggles with an exercise: who tried it, how many failed attempts came
before a pass, the hints and worked answers used, and the wrong answers most learners
gave.

Introduced in notebooks/00-start-here.ipynb (the instructor's ``loopedu class-report``).

Wrong answers are grouped by their summary as the learner's progress file keeps it
(:func:`loopedu.exercises.framework.summarize_answer`), read leniently (letter case and
spacing ignored), and counted once per learner: "3 learners answered 256", not "256 was
tried 9 times".
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from .exports import LearnerExport

__all__ = ["exercise_struggles", "normalise_answer"]

#: How many of the most common wrong answers a report lists per exercise.
WRONG_ANSWERS = 3


def normalise_answer(summary: Any) -> str:
    """A wrong answer's summary as the report groups it: spacing and letter case
    ignored, surrounding quotes of a bare text dropped.

    >>> normalise_answer('"  Refused "'), normalise_answer('{"A": 1}')
    ('refused', '{"a": 1}')

    Introduced in notebooks/00-start-here.ipynb.
    """
    text = " ".join(str(summary).split()).casefold()
    if len(text) >= 2 and text[0] == text[-1] == '"' and '"' not in text[1:-1]:
        text = text[1:-1].strip()
    return text


def _renamed(part: Mapping[str, Any]) -> dict[str, Any]:
    from ..exercises.progress_summary import RENAMED

    return {RENAMED.get(ident, ident): entry for ident, entry in part.items()}


def exercise_struggles(exports: Iterable[LearnerExport],
                       ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """For each exercise id: ``tried`` (learners with a failed attempt or a pass),
    ``median_failed_before_pass`` (over the learners who passed it where that is
    recorded; None when no one did), ``hints_used`` (learners who saw a hint),
    ``solutions_viewed`` (learners who saw the worked answer) and ``wrong_answers`` (the
    :data:`WRONG_ANSWERS` most common, as ``(answer, learners)``, most learners first).

    Introduced in notebooks/00-start-here.ipynb.
    """
    from ..exercises.progress_summary import RENAMED

    exports = list(exports)
    tables = [{name: _renamed(export.part(name)) for name in ("attempts", "hints",
                                                              "solutions")}
              for export in exports]
    passes = [{RENAMED.get(i, i) for i in export.passed} for export in exports]
    failed_before = [_renamed(export.failed_before) for export in exports]
    result = {}
    for ident in ids:
        wrong: Counter[str] = Counter()
        tried = hints = solutions = 0
        before = []
        for table, passed, failed in zip(tables, passes, failed_before):
            attempt = table["attempts"].get(ident) or {}
            tried += bool(attempt.get("failed")) or ident in passed
            hints += bool((table["hints"].get(ident) or {}).get("shown"))
            solutions += ident in table["solutions"]
            if ident in passed and isinstance(failed.get(ident), int):
                before.append(failed[ident])
            answers = {normalise_answer(item.get("answer")) for item
                       in attempt.get("recent", []) if isinstance(item, dict)}
            wrong.update(answers - {""})
        ranked = sorted(wrong.items(), key=lambda kv: (-kv[1], kv[0]))
        result[ident] = {"tried": tried, "hints_used": hints, "solutions_viewed": solutions,
                         "median_failed_before_pass": statistics.median(before)
                         if before else None,
                         "wrong_answers": tuple(ranked[:WRONG_ANSWERS])}
    return result
