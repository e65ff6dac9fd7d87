"""Reading a learner's answer as the kind of value an exercise expects, and showing it
back briefly: the parts the ``expect_*`` checks of :mod:`loopedu.exercises.answers` are
made of.

Introduced in notebooks/00-start-here.ipynb.

Answers of the wrong kind are read leniently (``"16,777,216"`` for an int, ``"yes"`` for
``True``, surrounding spaces and letter case for text) and otherwise explained by an
``_Unreadable`` whose text says what to give instead. A value outside an exercise's
allowed ones (a typo) is said with the allowed ones and the closest of them.
"""

from __future__ import annotations

import difflib
import errno
import functools
import ipaddress
import math
import operator
import os
import re
from collections.abc import Iterable, Mapping
from itertools import islice
from typing import Any, Callable

__all__ = ["read_errno", "show"]

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

    >>> show("x" * 70, limit=5)
    "'xxxxx'... (70 characters)"

    Introduced in notebooks/00-start-here.ipynb.
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


# --- errno names, from their names or their texts -----------------------------------

#: glibc's strerror(3) texts of the errors the lessons meet, read on any system (the
#: lessons' stored outputs are Linux's; another C library words some of them otherwise).
_GLIBC_TEXTS = {
    "address already in use": "EADDRINUSE",
    "cannot assign requested address": "EADDRNOTAVAIL",
    "address family not supported by protocol": "EAFNOSUPPORT",
    "connection refused": "ECONNREFUSED",
    "network is unreachable": "ENETUNREACH",
    "no route to host": "EHOSTUNREACH",
    "network is down": "ENETDOWN",
    "connection timed out": "ETIMEDOUT",
    "permission denied": "EACCES",
    "operation not permitted": "EPERM",
    "invalid argument": "EINVAL",
    "protocol not supported": "EPROTONOSUPPORT",
}
_ERRNO_PREFIX = re.compile(r"^(?:[a-z]*error:\s*)?\[errno\s*(-?\d+)\]\s*(.*)$")


@functools.cache
def _error_texts() -> dict[str, str]:
    """This C library's text of every errno (``os.strerror``), then glibc's."""
    texts = {}
    for code, name in sorted(errno.errorcode.items()):
        texts.setdefault(" ".join(os.strerror(code).split()).casefold(), name)
    return {**texts, **_GLIBC_TEXTS}


def read_errno(value: Any) -> str | None:
    """The errno name a learner's text means, or None: a name in any case
    (``"eaddrinuse"``), an error's text as strerror(3) words it here or in glibc
    (``"Address already in use"``), or Python's rendering of an OSError
    (``"[Errno 98] Address already in use"``, the number read on this system).

    >>> read_errno("address family not supported by protocol"), read_errno("refused")
    ('EAFNOSUPPORT', None)

    Introduced in notebooks/04-loopback-interface.ipynb.
    """
    if not isinstance(value, str):
        return None
    text = " ".join(value.split()).strip(" .!'\"").casefold()
    match = _ERRNO_PREFIX.match(text)
    if match:
        code = int(match.group(1))
        return errno.errorcode.get(code) or read_errno(match.group(2))
    names = {name.casefold(): name for name in errno.errorcode.values()}
    return names.get(text) or _error_texts().get(text)


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



def _allowed_values(allowed: Iterable[Any] | None, take: Callable[[Any], Any]) -> list | None:
    """The allowed values read like an answer (None: any value may be given)."""
    if allowed is None:
        return None
    return [_prepare(item, take) for item in allowed]


def _not_allowed(value: Any, shown: Any, allowed: list | None) -> str | None:
    """"not one of the allowed values" for a ``value`` outside ``allowed`` (the learner
    wrote it as ``shown``), with the closest allowed one; None when it is allowed."""
    if allowed is None or any(_same(value, ok, 0.0) for ok in allowed):
        return None
    names = [str(ok) for ok in allowed]
    folded = {name.casefold(): name for name in names}  # a typo in any case is close
    close = difflib.get_close_matches(str(value).casefold(), list(folded), n=1, cutoff=0.6)
    listed = ", ".join(repr(n) for n in names)
    return (f"{show(shown, 40)} is not one of the allowed values ({listed})"
            + (f"; did you mean {folded[close[0]]!r}?" if close else "."))


def _unique(parts: Iterable[str]) -> list[str]:
    """``parts`` in order, each message once."""
    seen: set[str] = set()
    return [p for p in parts if p and not (p in seen or seen.add(p))]


def _plural(n: int, one: str, many: str) -> str:
    return one if n == 1 else many


def _items(answer: Any) -> list[Any]:
    """The items of a list answer. One string is split on its commas (or semicolons),
    each item stripped, so ``"reserved by protocol, destination"`` is two items; a string
    with no comma is split on spaces (``"4 6"``)."""
    if isinstance(answer, str):
        separator = r"[,;]" if re.search(r"[,;]", answer) else r"\s+"
        return [part.strip() for part in re.split(separator, answer) if part.strip()]
    if isinstance(answer, Mapping) or not isinstance(answer, Iterable):
        raise _Unreadable(f"Expected a list or set of values, got {show(answer)}.")
    items = list(islice(iter(answer), _MAX_ITEMS + 1))
    if len(items) > _MAX_ITEMS:
        raise _Unreadable(f"That is more than {_MAX_ITEMS} items; far too many.")
    return items


def _sorted_shown(values: Iterable[Any], most: int = 6) -> str:
    shown = sorted(show(v, 60) for v in values)
    extra = f" and {len(shown) - most} more" if len(shown) > most else ""
    return ", ".join(shown[:most]) + extra
