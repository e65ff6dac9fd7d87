"""Predict, then run: record what the learner expects before an experiment, then show it
beside what the machine did, and why.

Introduced in notebooks/00-start-here.ipynb.

    >>> predict("00.demo", {"127.0.0.1": True, "0.0.0.0": False})
    Recorded your prediction for 00.demo: {'127.0.0.1': True, '0.0.0.0': False}
    >>> print(reveal("00.demo", {"127.0.0.1": True, "0.0.0.0": True},
    ...              why="0.0.0.0 in bind() means every address of this machine."))
    00.demo: you predicted {'127.0.0.1': True, '0.0.0.0': False}; your machine did {'127.0.0.1': True, '0.0.0.0': True}.
    A surprise: 1 of 2 differ (0.0.0.0: you said False, it was True).
    Why: 0.0.0.0 in bind() means every address of this machine.

Predictions live in memory, for this kernel only: they are a thinking tool, not a grade,
and nothing is written anywhere. A prediction left as ``...`` or None is noted as
skipped, never an error: the experiment runs and the reveal says what happened.
Comparison is lenient where a learner would be: text ignores case and surrounding
space, ``"yes"``/``"no"`` read as True/False, numbers compare by value, and mappings
and sequences are compared item by item.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

from .framework import Text

__all__ = ["predict", "reveal", "Reveal", "forget_predictions"]

_ID = re.compile(r"^\d\d\.[a-z0-9]+(?:-[a-z0-9]+)*$")
_PREDICTIONS: dict[str, Any] = {}
_YES = {"true", "yes", "y"}
_NO = {"false", "no", "n"}


def _check_id(prediction_id: Any) -> str:
    if not isinstance(prediction_id, str) or not _ID.match(prediction_id):
        raise ValueError(f"a prediction id looks like '03.phone-reaches' (lesson, a dot, "
                         f"words joined by hyphens), not {prediction_id!r}")
    return prediction_id


def _skipped(value: Any) -> bool:
    if value is None or value is Ellipsis:
        return True
    if isinstance(value, (dict, list, tuple)):
        items = value.values() if isinstance(value, dict) else value
        return bool(items) and all(_skipped(v) for v in items)
    return False


def predict(prediction_id: str, value: Any) -> Text:
    """Record your prediction ``value`` for ``prediction_id``, before the experiment
    that :func:`reveal` then compares it with. Returns a one-line receipt.

    Introduced in notebooks/00-start-here.ipynb.
    """
    _check_id(prediction_id)
    if _skipped(value):
        _PREDICTIONS.pop(prediction_id, None)
        return Text(f"No prediction recorded for {prediction_id}: replace ... with what "
                    "you expect, then run this cell again (or just run on: the "
                    "experiment does not need it).")
    _PREDICTIONS[prediction_id] = value
    return Text(f"Recorded your prediction for {prediction_id}: {value!r}")


def forget_predictions() -> None:
    """Forget every prediction of this kernel (to start a lesson over).

    Introduced in notebooks/00-start-here.ipynb.
    """
    _PREDICTIONS.clear()


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
    if isinstance(value, (set, frozenset)):
        return sorted(map(_plain, value), key=repr)
    return _plain(str(value))


def _differences(predicted: Any, actual: Any) -> tuple[int, list[str]]:
    """(items compared, "key: you said X, it was Y" for each that differs)."""
    if isinstance(predicted, dict) and isinstance(actual, dict):
        keys = list(dict.fromkeys([*actual, *predicted]))
        diffs = []
        for key in keys:
            p, a = predicted.get(key, "(nothing)"), actual.get(key, "(nothing)")
            if _plain(p) != _plain(a):
                diffs.append(f"{key}: you said {p}, it was {a}")
        return len(keys), diffs
    same = _plain(predicted) == _plain(actual)
    return 1, [] if same else [f"you said {predicted!r}, it was {actual!r}"]


@dataclass(frozen=True)
class Reveal:
    """Your prediction beside what the machine did: ``predicted`` is None when none was
    recorded; ``differences`` lists what differed (empty: as you expected)."""

    prediction_id: str
    predicted: Any
    actual: Any
    why: str
    compared: int
    differences: tuple

    @property
    def recorded(self) -> bool:
        """Whether a prediction had been recorded."""
        return self.predicted is not None

    @property
    def matched(self) -> bool:
        """True when a recorded prediction agreed with the machine in every item."""
        return self.recorded and not self.differences

    def _verdict(self) -> str:
        if not self.recorded:
            return ("You made no prediction this time (that is fine: predicting first "
                    "makes the result stick).")
        if self.matched:
            return "As you predicted."
        if self.compared > 1:
            return (f"A surprise: {len(self.differences)} of {self.compared} differ ("
                    + "; ".join(self.differences) + ").")
        return f"A surprise: {self.differences[0]}."

    def __str__(self) -> str:
        said = f"you predicted {self.predicted!r}; " if self.recorded else ""
        lines = [f"{self.prediction_id}: {said}your machine did {self.actual!r}.",
                 self._verdict()]
        if self.why:
            lines.append(f"Why: {self.why}")
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_pretty_(self, printer, cycle) -> None:  # IPython's text/plain
        printer.text(str(self))

    def _repr_html_(self) -> str:
        symbol = "\u2714" if self.matched else ("\u2728" if self.recorded else "\u2022")
        body = "<br>".join(html.escape(line) for line in str(self).splitlines())
        return (f'<div class="loopedu-reveal" role="status" style="border-left:6px solid '
                f'#0072B2;background:#eef5fb;color:#1a1a1a;padding:0.5em 0.8em;'
                f'margin:0.3em 0"><strong><span aria-hidden="true">{symbol}</span> '
                f'Predicted, then ran</strong><br>{body}</div>')


def reveal(prediction_id: str, actual: Any, why: str = "") -> Reveal:
    """What the machine did (``actual``) beside the prediction recorded for
    ``prediction_id``, and ``why``.

    Introduced in notebooks/00-start-here.ipynb.
    """
    _check_id(prediction_id)
    predicted = _PREDICTIONS.get(prediction_id)
    if predicted is None:
        return Reveal(prediction_id, None, actual, why, 0, ())
    compared, diffs = _differences(predicted, actual)
    return Reveal(prediction_id, predicted, actual, why, compared, tuple(diffs))
