"""The exercise registry, ``check`` and ``hint``.

Introduced in notebooks/00-start-here.ipynb.

An exercise is a function that receives the learner's answer and returns a
:class:`Feedback` (the ``expect_*`` helpers in :mod:`loopedu.exercises.answers` build
one) or a plain ``bool``. It is registered with :func:`exercise`. Lesson modules named
``lessonNN.py`` in this package register their exercises when they are imported, and
they are imported lazily: the first call to :func:`catalog`, :func:`check` or
:func:`hint` does it, never ``import loopedu``.

Nothing here raises on a learner's input: :func:`check` and :func:`hint` turn every
problem into a message.

After ``REPEATED_TRIES`` failed attempts at one exercise (the progress file counts
them: :mod:`loopedu.exercises.repeated_tries`), feedback that can be said without names
(``Feedback.general``, given by ``expect_mapping`` and ``expect_set``) stops naming
which keys or items are wrong: it says how many are, gives the idea of the exercise
(its ``idea``, else its first hint, then counted as seen), and points to the next hint,
or, after the last hint, to ``solution()``. Guessing key by key then stops paying.
"""

from __future__ import annotations

import difflib
import html
import importlib
import json
import pkgutil
import re
import warnings
from dataclasses import dataclass, replace
from typing import Any, Callable

from . import progress_store
from .repeated_tries import REPEATED_TRIES, failed_attempts, general_feedback

__all__ = ["Exercise", "Feedback", "Text", "catalog", "check", "exercise", "hint",
           "hints_seen", "summarize_answer"]

_ID_RE = re.compile(r"^(\d{2})\.[a-z0-9]+(?:-[a-z0-9]+)*$")
_LESSON_MODULE_RE = re.compile(r"^lesson(\d{2})$")
_MAX_EXCEPTION_TEXT = 300


class Text(str):
    """A ``str`` that Jupyter and the REPL show as plain text, without quotes.

    ``hint`` and ``progress_report`` return it, so that a notebook cell shows the text
    itself rather than ``'Hint 1 of 2: ...'`` with escaped quotes. It is a ``str`` in
    every other way.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return str.__str__(self)

    def _repr_pretty_(self, printer, cycle) -> None:  # IPython
        printer.text(str.__str__(self))


class ShownAsText:
    """For a result whose ``str()`` is what a notebook and the REPL should show: its
    ``repr`` and IPython's text/plain are that text (a dataclass using it passes
    ``repr=False``)."""

    def __repr__(self) -> str:
        return str(self)

    def _repr_pretty_(self, printer, cycle) -> None:  # IPython's text/plain
        printer.text(str(self))


@dataclass(frozen=True, repr=False)
class Feedback(ShownAsText):
    """The result of checking one answer.

    ``passed`` says whether the answer is right, ``message`` why (or a hint, never the
    solution), ``exercise_id`` which exercise it was. ``note`` carries anything about
    the learner's saved progress (empty when all went well). ``general``, where the
    checker gives it, is the same verdict without naming which keys or items are wrong:
    :func:`check` shows it instead of ``message`` after ``REPEATED_TRIES`` failed
    attempts (:mod:`loopedu.exercises.repeated_tries`). ``bool(feedback)`` is
    ``feedback.passed``.

    Example::

        >>> Feedback(False, "You gave 256; that is not it.", "01.loopback-size")
        Not yet (01.loopback-size): You gave 256; that is not it.

    Introduced in notebooks/00-start-here.ipynb.
    """

    passed: bool
    message: str
    exercise_id: str | None = None
    note: str = ""
    general: str = ""

    @property
    def verdict(self) -> str:
        """``"Correct"`` or ``"Not yet"``: the words that carry the result."""
        return "Correct" if self.passed else "Not yet"

    def __bool__(self) -> bool:
        return bool(self.passed)

    def __str__(self) -> str:
        head = self.verdict
        if self.exercise_id:
            head += f" ({self.exercise_id})"
        text = f"{head}: {self.message}" if self.message else head
        if self.note:
            text += f"\n{self.note}"
        return text

    def _repr_html_(self) -> str:
        # Green/red are backed by a symbol and the words "Correct"/"Not yet", so the
        # result never depends on seeing colour.
        if self.passed:
            symbol, border, background = "\u2714", "#1b7837", "#e7f4ea"
        else:
            symbol, border, background = "\u2718", "#b2182b", "#fbeaea"
        ident = (f' <code>{html.escape(self.exercise_id)}</code>'
                 if self.exercise_id else "")
        lines = [html.escape(line) for line in self.message.splitlines()]
        if self.note:
            lines.append(f"<em>{html.escape(self.note)}</em>")
        body = "<br>".join(lines)
        return (
            f'<div class="loopedu-feedback" role="status" style="border-left:6px solid '
            f'{border};background:{background};color:#1a1a1a;padding:0.5em 0.8em;'
            f'margin:0.3em 0">'
            f'<strong><span aria-hidden="true">{symbol}</span> {self.verdict}</strong>'
            f'{ident}<br>{body}</div>'
        )


@dataclass(frozen=True)
class Exercise:
    """One registered exercise (see :func:`exercise`)."""

    id: str
    lesson: int
    title: str
    hints: tuple[str, ...]
    checker: Callable[[Any], Any]
    module: str
    idea: str = ""


# id -> Exercise, in registration order (which is course order within a lesson).
_REGISTRY: dict[str, Exercise] = {}
# lesson module name -> "ExceptionType: message" for modules that failed to import.
_LOAD_ERRORS: dict[str, str] = {}
_LOADED: set[str] = set()
# exercise id -> how many hints were shown in this session (per kernel, in memory).
_HINTS_SHOWN: dict[str, int] = {}


def exercise(exercise_id: str, *, title: str, lesson: int | None = None,
             hints: tuple[str, ...] | list[str] = (), idea: str = "") -> Callable:
    """Register the decorated function as the checker of ``exercise_id``.

    The function receives the learner's answer (never ``None`` or ``...``: ``check``
    answers those itself) and returns a :class:`Feedback` or a ``bool``. ``lesson``
    defaults to the two digits that start the id. Hints are given in order by
    :func:`hint` and must never contain the solution. ``idea`` is the one sentence
    said after ``REPEATED_TRIES`` wrong tries, when the feedback stops naming keys
    (without it, the first hint is said, and counted as seen).

    Example::

        @exercise("01.loopback-size", lesson=1, title="How many addresses in 127/8?",
                  hints=["A /8 leaves 32-8 bits for hosts.", "Each bit doubles it."])
        def _(answer):
            return expect_equal(answer, 2**24)

    Introduced in notebooks/00-start-here.ipynb.
    """
    match = _ID_RE.match(exercise_id) if isinstance(exercise_id, str) else None
    if not match:
        raise ValueError(
            f"exercise id {exercise_id!r} must look like '01.loopback-size': two digits "
            "for the lesson, a dot, then lower-case words joined by hyphens")
    prefix = int(match.group(1))
    if lesson is None:
        lesson = prefix
    if lesson != prefix:
        raise ValueError(f"exercise {exercise_id!r} starts with {match.group(1)} but "
                         f"says lesson={lesson}; make them agree")
    if isinstance(hints, str):
        raise TypeError(f"hints of {exercise_id!r} must be a list of strings, not one "
                        "string")
    hints = tuple(hints)

    def register(func: Callable[[Any], Any]) -> Callable[[Any], Any]:
        module = getattr(func, "__module__", None) or "?"
        old = _REGISTRY.get(exercise_id)
        if old is not None and old.module != module:
            raise ValueError(f"exercise {exercise_id!r} is already defined in "
                             f"{old.module}; pick another id")
        _REGISTRY[exercise_id] = Exercise(exercise_id, lesson, title, hints, func, module,
                                          idea)
        return func

    return register


def lesson_modules() -> list[str]:
    """Names of the ``lessonNN`` modules in this package, sorted."""
    from loopedu import exercises  # the package is already imported: framework is in it

    return sorted(info.name for info in pkgutil.iter_modules(exercises.__path__)
                  if _LESSON_MODULE_RE.match(info.name))


def _load(names: list[str]) -> None:
    for name in names:
        if name in _LOADED:
            continue
        _LOADED.add(name)
        try:
            importlib.import_module(f"loopedu.exercises.{name}")
        except Exception as exc:  # a broken lesson must not break the others
            _LOAD_ERRORS[name] = _describe(exc)
            warnings.warn(f"loopedu.exercises.{name} could not be imported "
                          f"({_LOAD_ERRORS[name]}); its exercises are missing",
                          RuntimeWarning, stacklevel=3)


def _load_all() -> None:
    _load(lesson_modules())


def _load_for(exercise_id: str) -> None:
    match = _ID_RE.match(exercise_id)
    if match:
        _load([name for name in lesson_modules() if name == f"lesson{match.group(1)}"])


def catalog() -> list[str]:
    """The ids of all exercises, sorted by lesson (course order within a lesson).

    Example::

        >>> from loopedu.exercises import catalog
        >>> catalog()[:2]
        ['00.kernel-transport', '00.predict-first']

    Introduced in notebooks/00-start-here.ipynb.
    """
    _load_all()
    order = {ident: i for i, ident in enumerate(_REGISTRY)}
    return sorted(_REGISTRY, key=lambda ident: (_REGISTRY[ident].lesson, order[ident]))


def get(exercise_id: str) -> Exercise | None:
    """The registered :class:`Exercise` for an id (loading its lesson), or ``None``."""
    if not isinstance(exercise_id, str):
        return None
    key = exercise_id.strip().lower()
    if key not in _REGISTRY:
        _load_for(key)
    if key not in _REGISTRY:
        _load_all()
    return _REGISTRY.get(key)


def _describe(exc: BaseException) -> str:
    """``"ValueError: message"``, short and safe even if ``str(exc)`` misbehaves."""
    try:
        text = str(exc)
    except Exception:
        text = "(the error's message could not be shown)"
    if len(text) > _MAX_EXCEPTION_TEXT:
        text = text[:_MAX_EXCEPTION_TEXT] + "..."
    name = type(exc).__name__
    return f"{name}: {text}" if text else name


def _unknown(exercise_id: Any) -> str:
    if not isinstance(exercise_id, str):
        return (f"The exercise id must be a string like '01.loopback-size', not "
                f"{type(exercise_id).__name__}. catalog() lists them all.")
    shown = exercise_id if len(exercise_id) <= 60 else exercise_id[:60] + "..."
    message = f"There is no exercise {shown!r}."
    close = difflib.get_close_matches(exercise_id.strip().lower()[:200], catalog(),
                                      n=3, cutoff=0.6)
    if close:
        message += " Did you mean " + " or ".join(repr(c) for c in close) + "?"
    else:
        message += " catalog() lists them all."
    match = _ID_RE.match(exercise_id.strip().lower())
    broken = match and _LOAD_ERRORS.get(f"lesson{match.group(1)}")
    if broken:
        message += (f" (loopedu.exercises.lesson{match.group(1)} could not be imported: "
                    f"{broken})")
    return message


def _missing_answer(answer: Any) -> str:
    shown = "None" if answer is None else "..."
    return (f"No answer yet: `answer` is still `{shown}`. Replace `{shown}` with your "
            "answer, run that cell, then run the check again.")


def check(exercise_id: str, answer: Any) -> Feedback:
    """Check ``answer`` against exercise ``exercise_id`` and return :class:`Feedback`.

    Never raises: an unknown id, a missing answer (``None`` or ``...``), an answer of
    the wrong kind and a checker that fails all come back as ``passed=False`` with a
    message. A passed exercise is recorded in the progress file (see ``progress()``),
    and so is a failed attempt at a registered exercise (a short summary of the answer,
    :func:`summarize_answer`, and the time); a file that cannot be written is said once,
    in ``Feedback.note``.

    Example::

        >>> from loopedu.exercises import check
        >>> check("00.kernel-transport", "0.0.0.0").passed
        False

    Introduced in notebooks/00-start-here.ipynb.
    """
    try:
        return _check(exercise_id, answer)
    except Exception as exc:  # the last line of defence: check never raises
        ident = exercise_id if isinstance(exercise_id, str) else None
        return Feedback(False, f"Could not check this answer: {_describe(exc)}", ident)


def _check(exercise_id: Any, answer: Any) -> Feedback:
    ex = get(exercise_id)
    if ex is None:
        ident = exercise_id if isinstance(exercise_id, str) else None
        return Feedback(False, _unknown(exercise_id), ident)
    if answer is None or answer is Ellipsis:
        return Feedback(False, _missing_answer(answer), ex.id)
    tries = failed_attempts(ex.id)
    try:
        result = ex.checker(answer)
    except Exception as exc:
        return Feedback(False, f"Could not check this answer: {_describe(exc)}", ex.id)
    if isinstance(result, Feedback):
        feedback = replace(result, exercise_id=ex.id, passed=bool(result.passed))
    elif result is True or result is False:
        feedback = Feedback(result, "That's right." if result else "That is not it.",
                            ex.id)
    else:
        return Feedback(False, "Could not check this answer: the checker returned "
                        f"{type(result).__name__}, not a Feedback or bool", ex.id)
    if not feedback.passed and feedback.general and tries >= REPEATED_TRIES:
        if not ex.idea and ex.hints:  # its first hint is said as the idea: count it seen
            _HINTS_SHOWN[ex.id] = max(_HINTS_SHOWN.get(ex.id, 0), 1)
            progress_store.record_hint(ex.id, 1, len(ex.hints))
        feedback = replace(feedback, message=general_feedback(
            ex.id, ex.hints, ex.idea, feedback.general, tries, hints_seen(ex.id)))
    elif not feedback.passed and ex.hints:
        feedback = replace(feedback, message=(
            f"{feedback.message}\nStuck? hint({ex.id!r}) gives a hint."))
    if feedback.passed:
        status = progress_store.record_pass(ex.id)
        if status.problem:
            feedback = replace(feedback, note=status.problem)
    else:
        note = progress_store.tell_once(progress_store.record_attempt(
            ex.id, summarize_answer(answer)))
        if note:
            feedback = replace(feedback, note=note)
    return feedback


#: The longest summary of an answer kept with a failed attempt, in characters.
SUMMARY_LIMIT = 160


def _summary_data(value: Any, depth: int = 0) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if depth < 4 and isinstance(value, dict):
        return {str(k): _summary_data(v, depth + 1) for k, v in value.items()}
    if depth < 4 and isinstance(value, (list, tuple)):
        return [_summary_data(v, depth + 1) for v in value]
    if depth < 4 and isinstance(value, (set, frozenset)):
        return sorted((_summary_data(v, depth + 1) for v in value), key=repr)
    if callable(value):
        return f"a {type(value).__name__}"
    return f"a {type(value).__name__} object"


def summarize_answer(answer: Any) -> str:
    """A short, deterministic text of a learner's answer, as a failed attempt keeps it
    (and the class report groups wrong answers by): compact JSON for plain data, sets
    sorted, text cut at :data:`SUMMARY_LIMIT` characters; a function or another object
    by its kind only. Never raises.

    Example::

        >>> summarize_answer({"b": {2, 1}, "a": "x"})
        '{"a": "x", "b": [1, 2]}'

    Introduced in notebooks/00-start-here.ipynb.
    """
    try:
        text = json.dumps(_summary_data(answer), sort_keys=True, ensure_ascii=False,
                          default=str)
    except Exception:  # a value whose parts cannot even be listed or compared
        text = f"a {type(answer).__name__} object"
    return text if len(text) <= SUMMARY_LIMIT else text[:SUMMARY_LIMIT - 3] + "..."


def hint(exercise_id: str, n: int | None = None) -> Text:
    """The next hint for ``exercise_id`` not yet shown, or hint number ``n`` (from 1).

    Hints guide; they never give the solution. After the last one it says there are
    no more, and that ``solution(exercise_id)`` shows the worked answer. "The next" counts
    the hints shown in this session; every hint shown is also kept in the progress file
    (which number, when), for the learner's record and the instructor's report.

    Example::

        >>> from loopedu.exercises import hint
        >>> print(hint("00.kernel-transport", 1))        # doctest: +ELLIPSIS
        Hint 1 of 3 for 00.kernel-transport: ...

    Introduced in notebooks/00-start-here.ipynb.
    """
    try:
        return Text(_hint(exercise_id, n))
    except Exception as exc:
        return Text(f"Could not give a hint: {_describe(exc)}")


def _hint(exercise_id: Any, n: Any) -> str:
    ex = get(exercise_id)
    if ex is None:
        return _unknown(exercise_id)
    total = len(ex.hints)
    if total == 0:
        return f"There are no hints for {ex.id}."
    if n is None:
        shown = _HINTS_SHOWN.get(ex.id, 0)
        if shown >= total:
            return (f"No more hints for {ex.id}: you have seen all {total}. "
                    f"hint({ex.id!r}, 1) shows the first again; solution({ex.id!r}) "
                    "shows the worked answer.")
        n = shown + 1
    elif isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= total:
        return (f"{ex.id} has {total} hint{'s' if total != 1 else ''}: ask for n from 1 "
                f"to {total}, e.g. hint({ex.id!r}, 1).")
    _HINTS_SHOWN[ex.id] = max(_HINTS_SHOWN.get(ex.id, 0), n)
    text = f"Hint {n} of {total} for {ex.id}: {ex.hints[n - 1]}"
    if n == total:
        text += (f"\n(That was the last hint: solution({ex.id!r}) shows the worked answer, "
                 "if you want it.)")
    note = progress_store.tell_once(progress_store.record_hint(ex.id, n, total))
    return f"{text}\n{note}" if note else text


def hints_seen(exercise_id: str) -> set[int]:
    """The numbers of the hints of ``exercise_id`` shown so far: in this session, or in
    any other (the progress file keeps them).

    Introduced in notebooks/00-start-here.ipynb.
    """
    stored = progress_store.load().section("hints").get(exercise_id) or {}
    seen = {item.get("n") for item in stored.get("shown", []) if isinstance(item, dict)}
    return {n for n in seen if isinstance(n, int)} | set(
        range(1, _HINTS_SHOWN.get(exercise_id, 0) + 1))
