"""A way out for a stuck learner: after the last hint, the worked answer.

Introduced in notebooks/00-start-here.ipynb.

:func:`solution` takes the answer from the reference exercise notebook
(``exercises/NN-*-exercises.ipynb`` of the course, :func:`loopedu.course.course_root`,
or the lesson itself for an exercise it holds, such as ``00.first-connection``):
the code between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` in the cell that calls
``check("ID", ...)``, and the explanation the checker gave it there (that cell's stored
output, ``Correct (ID): ...``), so nothing is written twice. It is shown only after the
last hint (the hints come first: they teach more than an answer does), and each showing
is kept in the progress file. Where the reference copy is not there (a loopedu installed
without its course), it says so.
"""

from __future__ import annotations

import html
import json
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

from . import progress_store
from .framework import ShownAsText, _describe, _unknown, get, hints_seen

__all__ = ["WorkedAnswer", "solution", "worked_answer"]

_BLOCK = re.compile(r"^[ \t]*### BEGIN SOLUTION[ \t]*\n(.*?)^[ \t]*### END SOLUTION",
                    re.M | re.S)


@dataclass(frozen=True, repr=False)
class WorkedAnswer(ShownAsText):
    """What :func:`solution` shows: ``code`` (the reference solution), ``explanation``
    (the checker's words for it), ``source`` (the notebook they come from), or, when
    they are not shown, ``message`` saying why; ``note`` says when the progress file
    could not be written."""

    exercise_id: str
    code: str = ""
    explanation: str = ""
    source: str = ""
    message: str = ""
    note: str = ""

    @property
    def shown(self) -> bool:
        """Whether the worked answer is in it."""
        return bool(self.code)

    def __str__(self) -> str:
        if not self.shown:
            lines = [self.message]
        else:
            lines = [f"Worked answer for {self.exercise_id} (from {self.source}):", "",
                     self.code.rstrip(), "", f"Why: {self.explanation}"]
        if self.note:
            lines.append(self.note)
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        if not self.shown:
            body = html.escape(str(self)).replace("\n", "<br>")
            return f'<div class="loopedu-solution" role="status">{body}</div>'
        note = f"<br><em>{html.escape(self.note)}</em>" if self.note else ""
        return (f'<div class="loopedu-solution" role="status" style="border-left:6px solid '
                f'#555555;background:#f4f4f4;color:#1a1a1a;padding:0.5em 0.8em">'
                f'<strong>Worked answer for <code>{html.escape(self.exercise_id)}</code>'
                f'</strong> (from {html.escape(self.source)})'
                f'<pre><code>{html.escape(self.code.rstrip())}</code></pre>'
                f'Why: {html.escape(self.explanation)}{note}</div>')


def _text(output: dict) -> str:
    text = output.get("text") or output.get("data", {}).get("text/plain") or ""
    return text if isinstance(text, str) else "".join(text)


def worked_answer(exercise_id: str, course: Path | None = None) -> tuple[str, str, str]:
    """(solution code, the checker's explanation, the notebook's path inside the course)
    for ``exercise_id``, read from the reference exercise notebook of ``course`` (default
    :func:`loopedu.course.course_root`). Raises ``LookupError`` saying what is missing.

    Introduced in notebooks/00-start-here.ipynb.
    """
    from ..course import course_root

    root = course_root() if course is None else Path(course)
    lesson = exercise_id[:2]
    # the exercise notebook first; then the lesson itself (00.first-connection is there)
    books = [p for folder in ("exercises", "notebooks")
             for p in sorted((root / folder).glob(f"{lesson}-*.ipynb"))
             if ".updated" not in p.name]
    if not books:
        raise LookupError(f"no reference exercise notebook for lesson {lesson} in "
                          f"{root / 'exercises'}")
    call = re.compile(r"""\bcheck\(\s*["']""" + re.escape(exercise_id) + r"""["']""")
    for book in books:
        cells = json.loads(book.read_text(encoding="utf-8")).get("cells", [])
        for cell in cells:
            source = cell.get("source", "")
            source = source if isinstance(source, str) else "".join(source)
            if cell.get("cell_type") != "code" or not call.search(source):
                continue
            block = _BLOCK.search(source)
            if block is None:
                raise LookupError(f"{book.name} has no solution block in the cell that "
                                  f"checks {exercise_id} (a student version?)")
            head = f"Correct ({exercise_id}): "
            said = [t for t in map(_text, cell.get("outputs", [])) if t.startswith(head)]
            explanation = (said[0][len(head):].strip() if said else
                           "(the reference notebook holds no stored output for this check; "
                           "run the code above and check it to read the explanation)")
            return (textwrap.dedent(block.group(1)), explanation,
                    f"{book.parent.name}/{book.name}")
    raise LookupError(f"no cell of {', '.join(b.name for b in books)} checks {exercise_id}")


def solution(exercise_id: str) -> WorkedAnswer:
    """The worked answer of ``exercise_id``, with its explanation, once every hint has
    been shown (else how many remain and how to see them); recorded as viewed. Never
    raises.

    Introduced in notebooks/00-start-here.ipynb.
    """
    try:
        return _solution(exercise_id)
    except Exception as exc:  # the last line of defence, as check and hint have
        ident = exercise_id if isinstance(exercise_id, str) else "?"
        return WorkedAnswer(ident, message=f"Could not show the worked answer: "
                                           f"{_describe(exc)}")


def _solution(exercise_id) -> WorkedAnswer:
    ex = get(exercise_id)
    if ex is None:
        return WorkedAnswer(str(exercise_id), message=_unknown(exercise_id))
    left = len(ex.hints) - len(hints_seen(ex.id) & set(range(1, len(ex.hints) + 1)))
    if left:
        return WorkedAnswer(ex.id, message=(
            f"The worked answer of {ex.id} comes after its hints: {left} of "
            f"{len(ex.hints)} not seen yet. hint({ex.id!r}) shows the next; try again "
            "after the last one."))
    try:
        code, explanation, source = worked_answer(ex.id)
    except Exception as exc:  # CourseNotFound, LookupError, an unreadable notebook
        return WorkedAnswer(ex.id, message=(
            f"The worked answer of {ex.id} is not available here: the reference exercise "
            f"notebook could not be read ({_describe(exc)}). Your instructor, or the "
            "course's repository, has the reference copy."))
    note = progress_store.tell_once(progress_store.record_solution_view(ex.id))
    return WorkedAnswer(ex.id, code, explanation, source, note=note)
