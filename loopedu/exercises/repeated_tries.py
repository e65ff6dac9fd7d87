"""After repeated wrong tries at one exercise, feedback that names which keys or items
are wrong stops doing so: the learner is told how many are wrong, the idea of the
exercise, and the way on (the next hint, or after the last one the worked answer).

Introduced in notebooks/00-start-here.ipynb.

Changing one answer at a time until a check passes teaches little; after
:data:`REPEATED_TRIES` failed attempts (the progress file counts them, so a restarted
kernel counts them too) only the idea helps. ``check`` uses it for a checker's
``Feedback.general`` (``expect_mapping`` and ``expect_set`` give one).
"""

from __future__ import annotations

from collections.abc import Sequence, Set

from . import progress_store

__all__ = ["REPEATED_TRIES", "failed_attempts", "general_feedback"]

#: After this many failed attempts at one exercise, the feedback stops naming which keys
#: or items are wrong: the fourth wrong try on is answered in numbers, with the idea.
REPEATED_TRIES = 3


def failed_attempts(exercise_id: str) -> int:
    """How many failed attempts at ``exercise_id`` the progress file holds (0 when it
    cannot be read).

    >>> failed_attempts("99.never-tried")
    0

    Introduced in notebooks/00-start-here.ipynb.
    """
    entry = progress_store.load().section("attempts").get(exercise_id)
    failed = entry.get("failed") if isinstance(entry, dict) else 0
    return failed if isinstance(failed, int) and not isinstance(failed, bool) else 0


def general_feedback(exercise_id: str, hints: Sequence[str], idea: str, general: str,
                     tries: int, seen: Set[int]) -> str:
    """The message after ``tries`` failed attempts: ``general`` (the verdict in numbers,
    naming nothing), the exercise's ``idea`` (else its first hint), and the way on: the
    next hint while one of ``hints`` is not in ``seen``, else the worked answer.

    >>> print(general_feedback("99.x", ["Look at the prefix."], "", "1 of 3 right.", 3,
    ...                        {1}))  # doctest: +NORMALIZE_WHITESPACE
    1 of 3 right.
    This is try 4: after 3 wrong tries the feedback no longer says which ones, because
    changing one answer at a time until it passes teaches little. Think about the idea
    instead: Look at the prefix. You have seen every hint: solution('99.x') shows the
    worked answer.

    Introduced in notebooks/00-start-here.ipynb.
    """
    parts = [f"This is try {tries + 1}: after {REPEATED_TRIES} wrong tries the feedback "
             "no longer says which ones, because changing one answer at a time until it "
             "passes teaches little."]
    idea = idea or (hints[0] if hints else "")
    if idea:
        parts.append(f"Think about the idea instead: {idea}")
    if set(range(1, len(hints) + 1)) - set(seen):
        parts.append(f"hint({exercise_id!r}) points further.")
    elif hints:
        parts.append(f"You have seen every hint: solution({exercise_id!r}) shows the "
                     "worked answer.")
    return f"{general}\n" + " ".join(parts)
