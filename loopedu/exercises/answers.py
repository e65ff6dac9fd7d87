"""Reading a learner's answer and comparing it with the expected one: the ``expect_*``
checks that exercises are built from.

Introduced in notebooks/00-start-here.ipynb.

Each ``expect_*`` function compares a learner's answer with the expected one and
returns a :class:`~loopedu.exercises.framework.Feedback`. A wrong answer gets a message
that helps (what was wrong, how many were right, a tailored word for a known mistake);
it never contains the expected value. Answers of the wrong kind are read leniently
(``"16,777,216"`` for an int, ``"yes"`` for ``True``, surrounding spaces and letter case
for text) and otherwise explained, never raised: where a list (or a set) is expected, a
bare string gets "give a list" rather than being read letter by letter. Keys are compared
ignoring case and extra spaces but shown as the learner wrote them, in full.

Where an answer is one of a few words (``"connected"``, ``"refused"``), ``allowed=``
names them: a value outside them (a typo such as ``"conected"``) is told it is not one
of the allowed values, which those are, and the closest one (``expect_mapping`` takes
them per key too). ``expect_mapping`` and ``expect_set`` also give
``Feedback.general``: the same verdict in numbers only, naming no key and no item,
which ``check`` shows instead after repeated wrong tries
(:data:`loopedu.exercises.repeated_tries.REPEATED_TRIES`).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from typing import Any, Callable

from .framework import Feedback
from .reading import (
    RIGHT,
    _allowed_values,
    _common_message,
    _items,
    _loose,
    _not_allowed,
    _plural,
    _prepare,
    _reading,
    _same,
    _sorted_shown,
    _squash,
    _unique,
    _Unreadable,
    show,
)

__all__ = ["expect_choice", "expect_equal", "expect_mapping", "expect_set"]


def expect_equal(answer: Any, expected: Any, *, also: Iterable[Any] = (),
                 coerce: bool | Callable[[Any], Any] = True,
                 normalize: Callable[[Any], Any] | None = None,
                 common: Mapping[Any, str] | None = None,
                 wrong: str | Callable[[Any], str | None] | None = None,
                 right: str | None = None, rel_tol: float = 1e-9,
                 allowed: Iterable[Any] | None = None) -> Feedback:
    """Pass if ``answer`` equals ``expected`` (or one of ``also``).

    The answer is first read as the type of ``expected`` (``coerce=True``): an int from
    ``"16777216"`` or ``"16_777_216"``, a float within ``rel_tol``, a bool from
    ``"yes"``, an ``ipaddress`` object from text; ``coerce`` may instead be a function
    or ``False``. Text is compared ignoring case and extra spaces unless ``normalize``
    says otherwise. ``common`` maps known wrong answers to a tailored message;
    ``wrong`` is the message for any other wrong answer (a string, or a function of
    the read answer returning a string or None); ``right`` is shown on success.
    ``allowed`` lists the values an answer may take at all: another one (a typo) is
    told so, with the allowed ones.

    Example::

        >>> expect_equal("256", 2**24, common={2**8: "That is the number of /8 blocks."})
        Not yet: You gave '256'. That is the number of /8 blocks.

    Introduced in notebooks/00-start-here.ipynb.
    """
    take = _reading(expected, coerce, normalize)
    try:
        value = take(answer)
        for accepted in (expected, *also):
            if _same(value, _prepare(accepted, take), rel_tol):
                return Feedback(True, right or RIGHT)
        outside = _not_allowed(value, answer, _allowed_values(allowed, take))
        if outside:
            return Feedback(False, outside)
        message = (_common_message(value, common, take, rel_tol)
                   or (wrong(value) if callable(wrong) else wrong) or "That is not it.")
    except _Unreadable as exc:
        return Feedback(False, str(exc))
    return Feedback(False, f"You gave {show(answer)}. {message}")


def _set_verdict(given: int, good: int, extra: list, missing: int, named: bool) -> str:
    """How a list answer compares, counted against what the learner gave: "1 of your 2
    items is right; 1 does not belong: 'x'." (``named``: the items that do not belong
    are shown)."""
    if given == 0:
        return (f"Your list is empty; {missing} "
                f"{_plural(missing, 'item belongs', 'items belong')} in it.")
    if good == given:
        head = ("Your item is right" if given == 1 else
                f"All {given} of your items are right")
    else:
        head = (f"{good} of your {given} {_plural(given, 'item', 'items')} "
                f"{_plural(good, 'is', 'are')} right")
    parts = [head]
    if extra:
        parts.append(f"{len(extra)} {_plural(len(extra), 'does', 'do')} not belong"
                     + (f": {_sorted_shown(extra)}" if named else ""))
    if missing:
        parts.append(f"{missing} missing")
    return "; ".join(parts) + "."


def _whole_or_items(answer: Any, take: Callable[[Any], Any], want: set,
                    permitted: list | None) -> list[Any]:
    """The items of ``answer``; a string without commas that, read whole, is an expected
    or allowed item is that one item."""
    if isinstance(answer, str) and not re.search(r"[,;]", answer):
        try:
            whole = take(answer.strip())
            if whole in want or any(_same(whole, ok, 0.0) for ok in permitted or ()):
                return [answer.strip()]
        except Exception:  # unreadable or unhashable: read item by item below
            pass
    return _items(answer)


def expect_set(answer: Any, expected: Iterable[Any], *,
               coerce: bool | Callable[[Any], Any] = True,
               normalize: Callable[[Any], Any] | None = None,
               common: Mapping[Any, str] | None = None,
               right: str | None = None,
               allowed: Iterable[Any] | None = None) -> Feedback:
    """Pass if ``answer`` holds exactly the items of ``expected``, in any order.

    ``answer`` may be a list, tuple, set or any iterable, or one string of items
    separated by commas (or, with no comma, spaces, unless the whole string is one item
    the exercise knows: ``"reserved by protocol"``); a string whose items cannot be read
    is told to give a list instead. Items are read as the type of the expected ones
    (when those share one type), duplicates are ignored. A wrong answer is told, out
    of the items it gave, how many are right, which of them do not belong and how many
    are missing (never which); ``common`` maps a known wrong item to a tailored
    message. ``allowed`` lists every item an answer may hold: another one (a typo) is
    told so, with the allowed ones. ``Feedback.general`` says the same in numbers only.

    Example::

        >>> expect_set(["127.0.0.1", "0.0.0.0"], {"127.0.0.1", "::1"})
        Not yet: 1 of your 2 items is right; 1 does not belong: '0.0.0.0'; 1 missing.

    Introduced in notebooks/00-start-here.ipynb.
    """
    expected = list(expected)
    kinds = {type(item) for item in expected}
    like = expected[0] if len(kinds) == 1 else None
    take = _reading(like, coerce, normalize)
    try:
        want = {_prepare(item, take) for item in expected}
        permitted = _allowed_values(allowed, take)
        got, outside = set(), []
        for item in _whole_or_items(answer, take, want, permitted):
            try:
                value = take(item)
                hash(value)
            except _Unreadable as exc:
                advice = (" Please give a list in square brackets, one item each, "
                          "like [first, second]." if isinstance(answer, str) else "")
                raise _Unreadable(f"Item {show(item, 60)}: {exc}{advice}") from None
            except Exception:
                raise _Unreadable(f"Each item must be a single value such as text or a "
                                  f"number; found {show(item, 60)}.") from None
            problem = _not_allowed(value, item, permitted)
            if problem:
                outside.append(problem)
            got.add(value)
        if outside:
            return Feedback(False, " ".join(_unique(outside)))
        if got == want:
            return Feedback(True, right or RIGHT)
        good, missing, extra = got & want, want - got, got - want
        extra = sorted(extra, key=show)
    except _Unreadable as exc:
        return Feedback(False, str(exc))
    except Exception:
        return Feedback(False, "Could not compare the items of your answer with the "
                        "expected ones; use text or numbers.")
    tailored = [_common_message(item, common, take, 0.0) for item in extra]
    message = " ".join(_unique([_set_verdict(len(got), len(good), extra, len(missing),
                                             True), *filter(None, tailored)]))
    general = _set_verdict(len(got), len(good), extra, len(missing), False)
    return Feedback(False, message, general=general)


def _key_lookup(answer: Mapping) -> dict[Any, tuple[Any, Any]]:
    """Keys read leniently (case and spaces ignored) -> (the key as written, its value)."""
    return {_loose(k): (k, v) for k, v in answer.items()}


def _key(key: Any) -> str:
    """A key as the learner wrote it, in full (only a key too long to be one is cut)."""
    return repr(key) if isinstance(key, str) and len(key) <= 200 else show(key, 200)


def _keys(keys: Iterable[Any]) -> str:
    return ", ".join(_key(k) for k in keys)


def _close_key(key: Any, candidates: Iterable[Any]) -> str:
    """" (did you mean 'x'?)" for a key close to one of ``candidates``."""
    names = {str(c): c for c in candidates}
    close = difflib.get_close_matches(str(key), list(names), n=1, cutoff=0.75)
    return f" (did you mean {_key(names[close[0]])}?)" if close else ""


def expect_mapping(answer: Any, expected: Mapping[Any, Any], *,
                   coerce: bool | Callable[[Any], Any] = True,
                   normalize: Callable[[Any], Any] | None = None,
                   common: Mapping[tuple[Any, Any], str] | None = None,
                   right: str | None = None, noun: str = "prediction",
                   allowed: Iterable[Any] | Mapping[Any, Iterable[Any]] | None = None,
                   at_most: int | None = None) -> Feedback:
    """Pass if the dict ``answer`` gives the expected value for every key.

    Made for predictions (``{"127.0.0.1": True, "0.0.0.0": False}``). Each value is
    read as the type of its expected value (``"yes"`` for ``True``...). A wrong answer
    is told how many are right and which keys to look at again, never their values;
    missing keys (or keys still set to ``None``) and unexpected keys are named (an
    unexpected key close to an expected one with "did you mean"). Keys match ignoring
    case and extra spaces, and are named in full as the learner wrote them; no message
    is said twice. Where an expected value is a list (or tuple, set), a bare string is
    answered with "give a list". ``common`` maps ``(key, wrong value)`` to a tailored
    message, or to a tuple of sentences: a sentence already said for another key is
    not said again. ``at_most`` caps how many tailored reasons one message gives (the
    rest are counted, not shown). ``allowed`` lists the values any key may take (``"connected"``,
    ``"refused"``...): another value, such as a typo, is told it is not one of them.
    Where keys take values of different kinds, ``allowed`` maps a key to its own
    values (``{"flags of the first": ("SYN", "ACK")}``); a key it does not name may
    take any value.
    ``Feedback.general`` is the verdict without naming the wrong keys (how many are
    wrong, and any missing, unexpected or unreadable ones).

    Example::

        >>> expect_mapping({"a": True, "b": "yes"}, {"a": True, "b": False})
        Not yet: 1 of 2 predictions right. Look again at: 'b'.

    Introduced in notebooks/00-start-here.ipynb.
    """
    if not isinstance(answer, Mapping):
        return Feedback(False, f"Expected a dict like {{key: value, ...}}, got "
                        f"{show(answer)}.")
    try:
        given = _key_lookup(answer)
        wanted = _key_lookup(expected)
        by_key = ({_loose(k): v for k, v in allowed.items()}
                  if isinstance(allowed, Mapping) else None)
        good, wrong_keys, missing, reasons, tailored = 0, [], [], [], []
        for key, (written, want) in wanted.items():
            mine, said = given.get(key, (written, None))
            if said is None or said is Ellipsis:
                missing.append(written)
                continue
            take = _reading(want, coerce, normalize)
            try:
                value = take(said)
            except _Unreadable as exc:
                reasons.append(f"For {_key(mine)}: {exc}")
                continue
            permitted = by_key.get(key) if by_key is not None else allowed
            outside = _not_allowed(value, said, _allowed_values(permitted, take))
            if outside:
                reasons.append(f"For {_key(mine)}: {outside}")
                continue
            if _same(value, _prepare(want, take), 1e-9):
                good += 1
                continue
            wrong_keys.append(mine)
            for (known_key, known_value), message in (common or {}).items():
                if _loose(known_key) == key and _same(value, _prepare(known_value, take),
                                                      1e-9):
                    tailored.append(message)
        extra = [mine for key, (mine, _) in given.items() if key not in wanted]
    except _Unreadable as exc:
        return Feedback(False, str(exc))
    except Exception:
        return Feedback(False, "Could not compare your dict with the expected one; use "
                        "text or numbers as keys and values.")
    if good == len(wanted) and not extra:
        return Feedback(True, right or RIGHT)
    plural = noun if len(wanted) == 1 else noun + "s"
    if len(missing) == len(wanted) and wanted and not extra:
        return Feedback(False, f"No {noun}s yet: give a value for each of the "
                        f"{len(wanted)} keys (replace each None).")
    head = f"{good} of {len(wanted)} {plural} right."
    form = []
    if missing:
        form.append(f"No {noun} for: {_keys(missing)}.")
    if extra:
        unasked = sorted(extra, key=_key)
        form.append("Not asked about: " + ", ".join(
            _key(k) + _close_key(k, missing) for k in unasked) + ".")
    form += reasons
    named = [head] + ([f"Look again at: {_keys(wrong_keys)}."] if wrong_keys else [])
    message = " ".join(_unique(named + form + _reasons(tailored, at_most)))
    n = len(wrong_keys)
    counted = (f"{good} of {len(wanted)} {plural} right"
               + (f"; {n} {_plural(n, 'is', 'are')} not" if n else "") + ".")
    general = " ".join(_unique([counted] + form))
    return Feedback(False, message, general=general)


def _reasons(tailored: Iterable[str | tuple[str, ...]], at_most: int | None) -> list[str]:
    """Tailored messages, each a text or a tuple of sentences, with no sentence said
    twice; past ``at_most`` of them, the rest counted in one sentence."""
    said: list[str] = []
    shown, held = [], 0
    for message in tailored:
        fresh = [part for part in ((message,) if isinstance(message, str) else message)
                 if part not in said]
        if not fresh:
            continue
        if at_most is not None and len(shown) >= at_most:
            held += 1
            continue
        said += fresh
        shown.append(" ".join(fresh))
    if held:
        shown.append(f"{held} more wrong {_plural(held, 'answer has', 'answers have')} "
                     f"{_plural(held, 'its own reason', 'their own reasons')}, told once "
                     f"{_plural(len(shown), 'this one is', 'these are')} fixed.")
    return shown


def _letters(options: Mapping[str, str] | Iterable[str]) -> dict[str, str]:
    if isinstance(options, Mapping):
        return {str(letter).strip().casefold(): str(text)
                for letter, text in options.items()}
    return {chr(ord("a") + i): str(text) for i, text in enumerate(options)}


def expect_choice(answer: Any, correct: str, options: Mapping[str, str] | Iterable[str],
                  *, common: Mapping[str, str] | None = None,
                  right: str | None = None) -> Feedback:
    """Pass if ``answer`` picks option ``correct`` of a multiple-choice question.

    ``options`` maps letters to option texts (a list gets letters a, b, c...). The
    answer may be the letter in any case, with or without brackets (``"B"``,
    ``"(b)"``, ``"b)"``), or the option's text. ``common`` maps a wrong letter to a
    tailored message.

    Example::

        >>> expect_choice("a", "b", {"a": "Run first", "b": "Predict first"})
        Not yet: (a) is not it.

    Introduced in notebooks/00-start-here.ipynb.
    """
    choices = _letters(options)
    correct = correct.strip().casefold()
    if correct not in choices:
        raise ValueError(f"the correct option {correct!r} is not one of the options")
    listed = ", ".join(f"'{letter}'" for letter in choices)
    if not isinstance(answer, str):
        return Feedback(False, f"Answer with the letter of one option, in quotes "
                        f"({listed}); got {show(answer)}.")
    match = re.fullmatch(r"\(?\s*([a-z])\s*[).:]?", _squash(answer))
    if match:
        letter = match.group(1)
    else:
        by_text = {_squash(text): letter for letter, text in choices.items()}
        letter = by_text.get(_squash(answer))
    if letter is None:
        return Feedback(False, f"Answer with the letter of one option ({listed}); got "
                        f"{show(answer)}.")
    if letter not in choices:
        return Feedback(False, f"There is no option ({letter}); choose one of {listed}.")
    if letter == correct:
        return Feedback(True, right or RIGHT)
    tailored = {str(k).strip().casefold(): v for k, v in (common or {}).items()}
    return Feedback(False, " ".join(filter(None, [f"({letter}) is not it.",
                                                  tailored.get(letter)])))
