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
ignoring case and extra spaces but shown as the learner wrote them.
"""

from __future__ import annotations

import ipaddress
import math
import operator
import re
from collections.abc import Iterable, Mapping
from itertools import islice
from typing import Any, Callable

from .framework import Feedback

__all__ = ["expect_choice", "expect_equal", "expect_mapping", "expect_set"]

RIGHT = "That's right."
_MAX_ITEMS = 10_000
_MAX_DIGITS = 4_000
_TRUE = {"true", "yes", "y", "t", "1"}
_FALSE = {"false", "no", "n", "f", "0"}
_IP_TYPES = (ipaddress.IPv4Address, ipaddress.IPv6Address)
_NET_TYPES = (ipaddress.IPv4Network, ipaddress.IPv6Network)
_COLLECTIONS = (list, tuple, set, frozenset)


class _Unreadable(Exception):
    """The answer could not be read as the expected kind; the text says why."""


# --- showing a learner's value, deterministically and briefly ------------------------

def show(value: Any, limit: int = 60) -> str:
    """A short, deterministic description of ``value`` for a message.

    Long text is cut, containers show their first items (sets sorted), and objects
    show only their type: no memory addresses, no ``__repr__`` that might fail.
    """
    return _show(value, limit, depth=0)


def _show(value: Any, limit: int, depth: int) -> str:
    if value is None or value is Ellipsis or isinstance(value, (bool, float)):
        return repr(value)
    if isinstance(value, int):
        if value.bit_length() > 200:
            return f"a number with about {int(value.bit_length() * 0.30103) + 1} digits"
        return repr(value)
    if isinstance(value, str):
        if len(value) <= limit:
            return repr(value)
        return f"{value[:limit]!r}... ({len(value)} characters)"
    if isinstance(value, _IP_TYPES + _NET_TYPES):
        return repr(value)
    if isinstance(value, (list, tuple, set, frozenset, dict)):
        kind = type(value).__name__
        if depth >= 2 or len(value) > 6:
            return f"a {kind} of {len(value)} items"
        if isinstance(value, dict):
            parts = [f"{_show(k, 20, depth + 1)}: {_show(v, 20, depth + 1)}"
                     for k, v in value.items()]
            return "{" + ", ".join(parts) + "}"
        parts = [_show(item, 20, depth + 1) for item in value]
        if isinstance(value, (set, frozenset)):
            return "{" + ", ".join(sorted(parts)) + "}" if parts else f"{kind}()"
        if isinstance(value, tuple):
            return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"
        return "[" + ", ".join(parts) + "]"
    return f"a {type(value).__name__} object"


# --- reading an answer as the kind of value expected ----------------------------------

def _squash(text: str) -> str:
    """Text compared leniently: surrounding and repeated spaces and case ignored."""
    return " ".join(text.split()).casefold()


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and _squash(value) in _TRUE | _FALSE:
        return _squash(value) in _TRUE
    raise _Unreadable(f"Expected True or False (yes/no), got {show(value)}.")


def _as_int(value: Any) -> int:
    if isinstance(value, bool):
        raise _Unreadable(f"Expected a whole number, not {value}.")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise _Unreadable(f"Expected a whole number; {show(value)} is not one.")
    if isinstance(value, str):
        digits = re.sub(r"[\s_,]", "", value)
        if re.fullmatch(r"[+-]?\d+", digits):
            if len(digits) > _MAX_DIGITS:
                raise _Unreadable("That number has far too many digits to be right.")
            return int(digits)
        if re.search(r"\d\s*(\*\*|\^|\*|<<|\+|-)", value):
            raise _Unreadable(
                f"{show(value)} is text, not a number: remove the quotes so that Python "
                "computes it (in Python, a power is written **).")
        raise _Unreadable(f"Expected a whole number; {show(value)} is not one.")
    try:
        return operator.index(value)  # numpy integers and the like
    except Exception:
        raise _Unreadable(f"Expected a whole number, got {show(value)}.") from None


def _as_float(value: Any) -> float:
    if isinstance(value, bool):
        raise _Unreadable(f"Expected a number, not {value}.")
    try:
        number = float(re.sub(r"[\s_,]", "", value) if isinstance(value, str) else value)
    except Exception:
        raise _Unreadable(f"Expected a number, got {show(value)}.") from None
    if math.isnan(number):
        raise _Unreadable("NaN (not a number) is never equal to anything, even itself.")
    return number


def _as_str(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, _IP_TYPES + _NET_TYPES):
        return str(value)
    raise _Unreadable(f"Expected text in quotes, got {show(value)}.")


def _as_ip(value: Any, network: bool) -> Any:
    kind = ("a network (an address, a slash, a prefix length)" if network
            else "an IP address")
    if isinstance(value, bool) or not isinstance(value, (str, int) + _IP_TYPES + _NET_TYPES):
        raise _Unreadable(f"Expected {kind}, got {show(value)}.")
    text = value.strip() if isinstance(value, str) else value
    try:
        return ipaddress.ip_network(text) if network else ipaddress.ip_address(text)
    except ValueError as exc:
        reason = str(exc)
        reason = "; it has host bits set" if "host bits set" in reason else ""
        raise _Unreadable(f"{show(value)} is not {kind}{reason}.") from None


def _loose(value: Any) -> Any:
    return _squash(value) if isinstance(value, str) else value


def _give_a_list(value: Any) -> str:
    """The message for an answer that should have been a list (or set) of items."""
    if isinstance(value, str):
        example = f"[{value.strip()!r}]" if value.strip() and len(value) <= 60 else "['...']"
        return (f"Expected a list of items, but this is one string: {show(value)}. "
                f"Please give a list in square brackets, even for a single item "
                f"(like {example}), or [] for none.")
    return (f"Expected a list of items in square brackets (or [] for none), got "
            f"{show(value)}; please give a list.")


def _converter(like: Any, coerce: bool | Callable[[Any], Any]) -> Callable[[Any], Any]:
    """How to read an answer as the type of ``like`` (the expected value)."""
    if callable(coerce):
        return coerce
    if not coerce:
        return lambda value: value
    for kind, convert in ((bool, _as_bool), (int, _as_int), (float, _as_float),
                          (str, _as_str)):
        if isinstance(like, kind):
            return convert
    if isinstance(like, _IP_TYPES + _NET_TYPES):
        network = isinstance(like, _NET_TYPES)
        return lambda value: _as_ip(value, network)
    if isinstance(like, (set, frozenset)):
        return lambda value: type(like)(value)       # any order, duplicates ignored
    if isinstance(like, (list, tuple)):
        return lambda value: type(like)(value)       # a tuple for a list, or the reverse
    return lambda value: value


def _reading(like: Any, coerce: bool | Callable[[Any], Any],
             normalize: Callable[[Any], Any] | None) -> Callable[[Any], Any]:
    """A function that reads and normalises an answer, raising only ``_Unreadable``."""
    convert = _converter(like, coerce)
    norm = normalize or (_loose if isinstance(like, str) else (lambda value: value))
    wants_items = isinstance(like, _COLLECTIONS)

    def take(value: Any) -> Any:
        if wants_items and not isinstance(value, _COLLECTIONS):
            raise _Unreadable(_give_a_list(value))
        try:
            return norm(convert(value))
        except _Unreadable:
            raise
        except Exception:
            raise _Unreadable(f"Could not read {show(value)} as the kind of value this "
                              "exercise expects.") from None

    return take


def _same(a: Any, b: Any, rel_tol: float) -> bool:
    """``a == b`` that never raises (numbers compared with a relative tolerance)."""
    try:
        if isinstance(a, float) or isinstance(b, float):
            if isinstance(a, (int, float)) and isinstance(b, (int, float)):
                return math.isclose(a, b, rel_tol=rel_tol)
        return bool(a == b)
    except Exception:
        raise _Unreadable(f"Could not compare {show(a)} with the expected value.") from None


def _prepare(raw: Any, take: Callable[[Any], Any]) -> Any:
    """An author's value (expected, accepted, known wrong) read like an answer."""
    try:
        return take(raw)
    except _Unreadable:
        return raw


def _common_message(value: Any, common: Mapping | None, take: Callable[[Any], Any],
                    rel_tol: float) -> str | None:
    for known, message in (common or {}).items():
        try:
            if _same(value, _prepare(known, take), rel_tol):
                return message
        except _Unreadable:
            continue
    return None


# --- the helpers ----------------------------------------------------------------------

def expect_equal(answer: Any, expected: Any, *, also: Iterable[Any] = (),
                 coerce: bool | Callable[[Any], Any] = True,
                 normalize: Callable[[Any], Any] | None = None,
                 common: Mapping[Any, str] | None = None,
                 wrong: str | Callable[[Any], str | None] | None = None,
                 right: str | None = None, rel_tol: float = 1e-9) -> Feedback:
    """Pass if ``answer`` equals ``expected`` (or one of ``also``).

    The answer is first read as the type of ``expected`` (``coerce=True``): an int from
    ``"16777216"`` or ``"16_777_216"``, a float within ``rel_tol``, a bool from
    ``"yes"``, an ``ipaddress`` object from text; ``coerce`` may instead be a function
    or ``False``. Text is compared ignoring case and extra spaces unless ``normalize``
    says otherwise. ``common`` maps known wrong answers to a tailored message;
    ``wrong`` is the message for any other wrong answer (a string, or a function of
    the read answer returning a string or None); ``right`` is shown on success.

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
        message = (_common_message(value, common, take, rel_tol)
                   or (wrong(value) if callable(wrong) else wrong) or "That is not it.")
    except _Unreadable as exc:
        return Feedback(False, str(exc))
    return Feedback(False, f"You gave {show(answer)}. {message}")


def _items(answer: Any) -> list[Any]:
    if isinstance(answer, str):
        return [part for part in re.split(r"[,;\s]+", answer) if part]
    if isinstance(answer, Mapping) or not isinstance(answer, Iterable):
        raise _Unreadable(f"Expected a list or set of values, got {show(answer)}.")
    items = list(islice(iter(answer), _MAX_ITEMS + 1))
    if len(items) > _MAX_ITEMS:
        raise _Unreadable(f"That is more than {_MAX_ITEMS} items; far too many.")
    return items


def _sorted_shown(values: Iterable[Any], most: int = 6) -> str:
    shown = sorted(show(v, 30) for v in values)
    extra = f" and {len(shown) - most} more" if len(shown) > most else ""
    return ", ".join(shown[:most]) + extra


def expect_set(answer: Any, expected: Iterable[Any], *,
               coerce: bool | Callable[[Any], Any] = True,
               normalize: Callable[[Any], Any] | None = None,
               common: Mapping[Any, str] | None = None,
               right: str | None = None) -> Feedback:
    """Pass if ``answer`` holds exactly the items of ``expected``, in any order.

    ``answer`` may be a list, tuple, set or any iterable, or one string of items
    separated by commas or spaces (a string whose items cannot be read is told to give
    a list instead). Items are read as the type of the expected ones
    (when those share one type), duplicates are ignored. A wrong answer is told how
    many items are right, how many are missing (never which) and which of its items
    do not belong; ``common`` maps a known wrong item to a tailored message.

    Example::

        >>> expect_set(["127.0.0.1", "0.0.0.0"], {"127.0.0.1", "::1"})
        Not yet: 1 of 2 right; 1 missing. Does not belong: '0.0.0.0'.

    Introduced in notebooks/00-start-here.ipynb.
    """
    expected = list(expected)
    kinds = {type(item) for item in expected}
    like = expected[0] if len(kinds) == 1 else None
    take = _reading(like, coerce, normalize)
    try:
        want = {_prepare(item, take) for item in expected}
        got = set()
        for item in _items(answer):
            try:
                value = take(item)
                hash(value)
            except _Unreadable as exc:
                advice = (" Please give a list in square brackets, one item each, "
                          "like [first, second]." if isinstance(answer, str) else "")
                raise _Unreadable(f"Item {show(item, 30)}: {exc}{advice}") from None
            except Exception:
                raise _Unreadable(f"Each item must be a single value such as text or a "
                                  f"number; found {show(item, 30)}.") from None
            got.add(value)
        if got == want:
            return Feedback(True, right or RIGHT)
        good, missing, extra = got & want, want - got, got - want
    except _Unreadable as exc:
        return Feedback(False, str(exc))
    except Exception:
        return Feedback(False, "Could not compare the items of your answer with the "
                        "expected ones; use text or numbers.")
    parts = [f"{len(good)} of {len(want)} right"]
    if missing:
        parts[0] += f"; {len(missing)} missing"
    parts[0] += "."
    if extra:
        parts.append(f"Does not belong: {_sorted_shown(extra)}.")
        for item in sorted(extra, key=show):
            tailored = _common_message(item, common, take, 0.0)
            if tailored:
                parts.append(tailored)
    return Feedback(False, " ".join(parts))


def _key_lookup(answer: Mapping) -> dict[Any, tuple[Any, Any]]:
    """Keys read leniently (case and spaces ignored) -> (the key as written, its value)."""
    return {_loose(k): (k, v) for k, v in answer.items()}


def expect_mapping(answer: Any, expected: Mapping[Any, Any], *,
                   coerce: bool | Callable[[Any], Any] = True,
                   normalize: Callable[[Any], Any] | None = None,
                   common: Mapping[tuple[Any, Any], str] | None = None,
                   right: str | None = None, noun: str = "prediction") -> Feedback:
    """Pass if the dict ``answer`` gives the expected value for every key.

    Made for predictions (``{"127.0.0.1": True, "0.0.0.0": False}``). Each value is
    read as the type of its expected value (``"yes"`` for ``True``...). A wrong answer
    is told how many are right and which keys to look at again, never their values;
    missing keys (or keys still set to ``None``) and unexpected keys are named. Keys
    match ignoring case and extra spaces, and are named as the learner wrote them.
    Where an expected value is a list (or tuple, set), a bare string is answered with
    "give a list". ``common`` maps ``(key, wrong value)`` to a tailored message.

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
                wrong_keys.append(mine)
                reasons.append(f"For {show(mine, 30)}: {exc}")
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
    parts = [f"{good} of {len(wanted)} {plural} right."]
    if wrong_keys:
        parts.append(f"Look again at: {', '.join(show(k, 30) for k in wrong_keys)}.")
    if missing:
        parts.append(f"No {noun} for: {', '.join(show(k, 30) for k in missing)}.")
    if extra:
        parts.append(f"Not asked about: {_sorted_shown(extra)}.")
    return Feedback(False, " ".join(parts + reasons + tailored))


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
