"""Comparing a prediction with what an experiment showed, fairly.

Introduced in notebooks/00-start-here.ipynb.

- Text ignores case and surrounding space, ``"yes"``/``"no"`` read as True/False,
  numbers compare by value, mappings item by item, sets in any order.
- Numbers compare exactly unless the prediction states a :class:`Tolerance`:
  ``within(factor=2)``, ``within(percent=10)``, ``within(absolute=5)`` or
  ``within(magnitude=1)`` (the same order of magnitude: at most a factor of 10 apart).
- What was not measured here is never a difference: a value that is ``None``,
  ``"not run"`` (``loopedu.connections.Kind.NOT_RUN``, whose value it is, or text that
  starts with it), ``"not measured"`` or :data:`NOT_MEASURED`, and an item the
  experiment's result lacks, is "not measured on this machine". An item the learner did
  not predict (left out, or ``...``) is "not predicted", not a difference either.
- A result shown from a recording is described by a :class:`Recording`.

Everything is compared in the plain JSON form the progress file keeps
(:func:`plain_data`), so a comparison after a kernel restart gives what it gave before.
"""

from __future__ import annotations

import enum
import math
import re
from dataclasses import dataclass
from typing import Any

__all__ = ["SOURCES", "NOT_MEASURED", "Comparison", "NotMeasured", "Recording", "Tolerance",
           "compare", "is_not_measured", "plain_data", "within"]

_YES = {"true", "yes", "y"}
_NO = {"false", "no", "n"}
_MISSING = object()
_NOT_MEASURED_WORDS = ("not run", "not measured")


@dataclass(frozen=True)
class NotMeasured:
    """A value the experiment could not measure on this machine (``reason`` says why);
    :data:`NOT_MEASURED` is the one without a reason."""

    reason: str = ""

    def __str__(self) -> str:
        return f"not measured: {self.reason}" if self.reason else "not measured"


#: Put this where an experiment's value would be when it could not run here.
NOT_MEASURED = NotMeasured()


def is_not_measured(value: Any) -> bool:
    """Whether ``value`` stands for "not measured on this machine" (see the module
    docstring).

    >>> is_not_measured("not run: IPv6 is on here"), is_not_measured("refused")
    (True, False)

    Introduced in notebooks/00-start-here.ipynb.
    """
    if value is None or value is Ellipsis or isinstance(value, NotMeasured):
        return True
    kind = value if isinstance(value, enum.Enum) else getattr(value, "kind", None)
    if isinstance(kind, enum.Enum) and kind.value == "not run":
        return True
    if isinstance(value, str):
        text = " ".join(value.split()).casefold()
        return any(text == w or text.startswith((w + ":", w + " ", w + ","))
                   for w in _NOT_MEASURED_WORDS)
    return False


_RECORDED_LABEL = re.compile(r"^(?:recorded\s+(?:on|in)\s+)?(?P<where>.*?)"
                             r"(?:,\s*(?P<when>\d{4}-\d{2}-\d{2}))?$", re.S)


@dataclass(frozen=True)
class Recording:
    """A result shown from a recording rather than measured here: ``where`` it was
    recorded (a system and how: ``"Linux 6.1 (Debian 12), as root"``) and ``when``.

    >>> str(Recording.of("recorded on Linux (Debian 12) as root, 2026-11-29"))
    'a recording made on Linux (Debian 12) as root (2026-11-29)'

    Introduced in notebooks/00-start-here.ipynb.
    """

    where: str
    when: str | None = None
    sources: bool = False   # True: not a measurement at all, what the primary sources say

    @classmethod
    def of(cls, label: Any) -> "Recording":
        """A :class:`Recording` from itself, a mapping ``{"where", "when"}`` or a label
        such as the course's ``"recorded on Linux (Debian 12) as root, 2026-11-29"``."""
        if isinstance(label, Recording):
            return label
        if isinstance(label, dict):
            return cls(str(label.get("where") or "an unnamed machine"), label.get("when"),
                       bool(label.get("sources")))
        text = " ".join(str(label).split())
        match = _RECORDED_LABEL.match(text)
        where = (match.group("where") if match else text) or "an unnamed machine"
        return cls(where, match.group("when") if match else None)

    def __str__(self) -> str:
        when = f" ({self.when})" if self.when else ""
        if self.sources:
            return f"{self.where}{when}"
        return f"a recording made on {self.where}{when}"

    def to_dict(self) -> dict[str, Any]:
        """Plain data, as the progress file keeps it."""
        data = {"where": self.where, "when": self.when}
        return {**data, "sources": True} if self.sources else data


#: The answer of a question no machine measures (a verdict, a date): what the primary
#: sources say. ``reveal(..., recorded=SOURCES)`` never calls it "your machine".
SOURCES = Recording("the primary sources", sources=True)


_KINDS = {"factor": "within a factor of {:g}", "percent": "within {:g}%",
          "absolute": "within {:g} either way",
          "magnitude": "within {:g} order{} of magnitude (a factor of {:g})"}


@dataclass(frozen=True)
class Tolerance:
    """How close a number must be to count as predicted; make one with :func:`within`.

    Introduced in notebooks/00-start-here.ipynb.
    """

    kind: str
    amount: float

    def words(self) -> str:
        """The tolerance in words: ``"within a factor of 2"``."""
        if self.kind == "magnitude":
            return _KINDS["magnitude"].format(self.amount, "" if self.amount == 1 else "s",
                                              10 ** self.amount)
        return _KINDS[self.kind].format(self.amount)

    __str__ = words

    def accepts(self, predicted: float, actual: float) -> bool:
        """Whether ``predicted`` is close enough to ``actual``."""
        p, a = float(predicted), float(actual)
        if not (math.isfinite(p) and math.isfinite(a)):
            return p == a
        if p == a:
            return True
        slack = 1e-9 * max(abs(p), abs(a))
        if self.kind == "absolute":
            return abs(p - a) <= self.amount + slack
        if self.kind == "percent":
            return abs(p - a) <= self.amount / 100 * abs(a) + slack
        if p * a <= 0:  # a factor or a magnitude needs two numbers of one sign
            return False
        ratio = abs(math.log10(abs(p)) - math.log10(abs(a)))
        limit = math.log10(self.amount) if self.kind == "factor" else self.amount
        return ratio <= limit + 1e-12

    def to_dict(self) -> dict[str, Any]:
        """Plain data, as the progress file keeps it (``words`` included)."""
        return {"kind": self.kind, "amount": self.amount, "words": self.words()}

    @classmethod
    def from_dict(cls, data: Any) -> "Tolerance | None":
        """The tolerance :meth:`to_dict` wrote (``None`` for anything else)."""
        if isinstance(data, dict) and data.get("kind") in _KINDS:
            try:
                return within(**{data["kind"]: data.get("amount")})
            except (TypeError, ValueError):
                return None
        return None


def within(*, factor: float | None = None, percent: float | None = None,
           absolute: float | None = None, magnitude: float | None = None) -> Tolerance:
    """A :class:`Tolerance` for a numeric prediction; give exactly one of:
    ``factor`` (at most that many times bigger or smaller), ``percent`` (of the measured
    value), ``absolute`` (either way, in the value's own unit) or ``magnitude`` (orders
    of magnitude apart: ``magnitude=1``, at most a factor of 10).

    >>> within(factor=2).accepts(40, 47.6), within(factor=2).accepts(4, 47.6)
    (True, False)
    >>> within(percent=10).words()
    'within 10%'

    Introduced in notebooks/01-loopback-range.ipynb (the first numeric prediction).
    """
    given = {k: v for k, v in (("factor", factor), ("percent", percent),
                               ("absolute", absolute), ("magnitude", magnitude))
             if v is not None}
    if len(given) != 1:
        raise ValueError("give exactly one of factor=, percent=, absolute= or magnitude=, "
                         "e.g. within(factor=2)")
    (kind, amount), = given.items()
    if isinstance(amount, bool) or not isinstance(amount, (int, float)) \
            or not math.isfinite(amount) or amount <= 0:
        raise ValueError(f"within({kind}=...) needs a positive number, not {amount!r}")
    if kind == "factor" and amount < 1:
        raise ValueError(f"within(factor={amount!r}): a factor is 1 or more (2 means "
                         "half to double)")
    return Tolerance(kind, float(amount))


def plain_data(value: Any) -> Any:
    """``value`` as plain JSON data: an enum as its value, a set as a sorted list, a
    tuple as a list, mapping keys as text, ``...`` as None, a number that is not finite
    and any other object as its text, and "not measured" values (:func:`is_not_measured`) as text
    that still says so.

    >>> plain_data({"a": {3, 1}, "b": (1, 2.5)})
    {'a': [1, 3], 'b': [1, 2.5]}

    Introduced in notebooks/00-start-here.ipynb.
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if value is Ellipsis:  # a prediction left as ...: not made
        return None
    if isinstance(value, NotMeasured):
        return str(value)
    if isinstance(value, enum.Enum):
        return plain_data(value.value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, dict):
        return {str(k): plain_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_data(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((plain_data(v) for v in value), key=lambda v: repr(_plain(v)))
    return str(value)


def _plain(value: Any) -> Any:
    """``value`` as the comparison reads it."""
    if isinstance(value, str):
        text = " ".join(value.split()).casefold()
        if text in _YES:
            return True
        if text in _NO:
            return False
        return text
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return _plain(str(value))


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.replace(",", "").replace("_", "").strip())
        except ValueError:
            return None
    return None


@dataclass(frozen=True)
class Comparison:
    """One prediction against one result: how many items were ``compared``, the
    ``differences`` (``"key: you said X, it was Y"``), the items ``not_measured`` here
    and those ``not_predicted`` (``""`` names a value that is not a mapping), and
    whether a number matched only ``approximately`` (within the tolerance)."""

    compared: int
    differences: tuple[str, ...] = ()
    not_measured: tuple[str, ...] = ()
    not_predicted: tuple[str, ...] = ()
    approximately: bool = False


def _same(predicted: Any, actual: Any, tolerance: Tolerance | None) -> tuple[bool, bool]:
    """(same, only within the tolerance)."""
    if _plain(predicted) == _plain(actual):
        return True, False
    p, a = _number(predicted), _number(actual)
    if tolerance is not None and p is not None and a is not None \
            and not isinstance(actual, str):
        return tolerance.accepts(p, a), True
    return False, False


def _skipped(value: Any) -> bool:
    return value is _MISSING or value is None or value is Ellipsis


def compare(predicted: Any, actual: Any, tolerance: Tolerance | None = None) -> Comparison:
    """Compare ``predicted`` with ``actual`` (see the module docstring).

    >>> compare({"a": 40, "b": "yes"}, {"a": 47.6, "b": "not run"}, within(factor=2))
    Comparison(compared=1, differences=(), not_measured=('b',), not_predicted=(), approximately=True)

    Introduced in notebooks/00-start-here.ipynb.
    """
    predicted, actual = plain_data(predicted), plain_data(actual)
    miss = f" (not {tolerance.words()})" if tolerance else ""
    if isinstance(predicted, dict) and isinstance(actual, dict):
        keys = list(dict.fromkeys([*actual, *predicted]))
        diffs, unmeasured, unpredicted, near, compared = [], [], [], False, 0
        for key in keys:
            p, a = predicted.get(key, _MISSING), actual.get(key, _MISSING)
            if a is _MISSING or is_not_measured(a):
                if not _skipped(p):
                    unmeasured.append(key)
                continue
            if _skipped(p):
                unpredicted.append(key)
                continue
            compared += 1
            same, approximate = _same(p, a, tolerance)
            near |= same and approximate
            if not same:
                diffs.append(f"{key}: you said {p}, it was {a}"
                             + (miss if approximate else ""))
        return Comparison(compared, tuple(diffs), tuple(unmeasured), tuple(unpredicted), near)
    if is_not_measured(actual):
        return Comparison(0, not_measured=("",))
    same, approximate = _same(predicted, actual, tolerance)
    if same:
        return Comparison(1, approximately=approximate)
    return Comparison(1, (f"you said {predicted!r}, it was {actual!r}"
                          + (miss if approximate else ""),))
