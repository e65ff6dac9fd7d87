"""Predict, observe, explain: record what the learner expects before an experiment,
show it beside what the experiment did, and after a surprise ask for the learner's own
explanation before the course's.

Introduced in notebooks/00-start-here.ipynb.

    >>> predict("00.demo", {"127.0.0.1": True, "0.0.0.0": False})
    Recorded your prediction for 00.demo: {'127.0.0.1': True, '0.0.0.0': False}
    >>> print(reveal("00.demo", {"127.0.0.1": True, "0.0.0.0": True},
    ...              why="0.0.0.0 in bind() means every address of this machine."))
    00.demo: you predicted {'127.0.0.1': True, '0.0.0.0': False}; your machine did {'127.0.0.1': True, '0.0.0.0': True}.
    A surprise: 1 of 2 differ (0.0.0.0: you said False, it was True).
    What do you think happened? Say it in one line, then run it: explain('00.demo', '...'). The course's explanation follows.
    >>> print(explain("00.demo", "0.0.0.0 covers 127.0.0.1 too"))
    Recorded your explanation for 00.demo: '0.0.0.0 covers 127.0.0.1 too'
    The course's explanation: 0.0.0.0 in bind() means every address of this machine.

Everything is kept in the learner's progress file (:mod:`loopedu.exercises.progress_store`,
``$LOOPEDU_HOME``): the prediction with the time and the machine's fingerprint
(:mod:`loopedu.exercises.machine`), what the reveal showed (measured here, shown from a
recording, or not measured) with the course's ``why``, and the explanation. So a kernel
restart loses nothing, a second kernel of the same learner sees the same predictions, an
``explain`` after a restart still shows the course's ``why`` (the reveal kept it), and
``loopedu progress --export`` hands all of it to the instructor. A later ``predict`` for
the same id replaces the earlier one (which is kept in the file's history). A prediction
left as ``...`` or None is noted as skipped, never an error. The comparison is in
:mod:`loopedu.exercises.comparison`: numbers within the prediction's ``tolerance``, what
was not measured here never a surprise, a recording described as one. Predictions are a
thinking tool, never graded.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

from . import progress_store
from .comparison import (Comparison, Recording, Tolerance, compare, is_not_measured,
                         plain_data)
from .explanations import why_of
from .framework import ShownAsText, Text
from .machine import fingerprint

__all__ = ["predict", "reveal", "explain", "Reveal", "forget_predictions"]

_ID = re.compile(r"^(?:\d\d|claims)\.[a-z0-9]+(?:-[a-z0-9]+)*$")  # lesson, or the claims page
#: The longest explanation kept, in characters (one line is asked for).
MAX_EXPLANATION = 500
NO_PREDICTION, NOT_MEASURED, MATCH, SURPRISE = ("no prediction", "not measured", "match",
                                                "surprise")


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


def _with_note(text: str, status: progress_store.StoreStatus) -> Text:
    note = progress_store.tell_once(status)
    return Text(f"{text}\n{note}" if note else text)


def predict(prediction_id: str, value: Any, *, tolerance: Tolerance | None = None) -> Text:
    """Record your prediction ``value`` for ``prediction_id``, before the experiment
    that :func:`reveal` then compares it with. Returns a one-line receipt.

    ``tolerance`` (``within(factor=2)``, ``within(percent=10)``, ...) says how close a
    number must be to count as predicted; without it numbers compare exactly.

    Introduced in notebooks/00-start-here.ipynb.
    """
    _check_id(prediction_id)
    if tolerance is not None and not isinstance(tolerance, Tolerance):
        raise ValueError(f"tolerance= takes within(...), e.g. within(factor=2), not "
                         f"{tolerance!r}")
    if _skipped(value):
        status = progress_store.record_prediction(prediction_id, None)
        return _with_note(f"No prediction recorded for {prediction_id}: replace ... with "
                          "what you expect, then run this cell again (or just run on: "
                          "the experiment does not need it).", status)
    status = progress_store.record_prediction(
        prediction_id, plain_data(value), tolerance.to_dict() if tolerance else None,
        fingerprint().to_dict())
    within = f" (right if {tolerance.words()} of the measured value)" if tolerance else ""
    return _with_note(f"Recorded your prediction for {prediction_id}: {value!r}{within}",
                      status)


def forget_predictions(lesson: int | None = None) -> None:
    """Withdraw every current prediction (of ``lesson`` only, when given), to start a
    lesson over; the file keeps them in each prediction's history.

    Introduced in notebooks/00-start-here.ipynb.
    """
    prefix = "" if lesson is None else f"{int(lesson):02d}."
    for ident, entry in progress_store.load().section("predictions").items():
        if ident.startswith(prefix) and entry.get("value") is not None:
            progress_store.record_prediction(ident, None)


@dataclass(frozen=True, repr=False)
class Reveal(ShownAsText):
    """Your prediction beside what the experiment showed: ``predicted`` is None when
    none was recorded; ``verdict`` is ``"match"``, ``"surprise"``, ``"not measured"``
    (nothing could be compared: not measured on this machine) or ``"no prediction"``;
    ``differences`` lists what differed; ``recording`` is set when the result was shown
    from a :class:`~loopedu.exercises.comparison.Recording`; ``note`` says when the
    progress file could not be written."""

    prediction_id: str
    predicted: Any
    actual: Any
    why: str
    compared: int
    differences: tuple
    verdict: str = NO_PREDICTION
    tolerance: Tolerance | None = None
    recording: Recording | None = None
    not_measured: tuple = ()
    not_predicted: tuple = ()
    approximately: bool = False
    note: str = ""

    @property
    def recorded(self) -> bool:
        """Whether a prediction had been recorded."""
        return self.predicted is not None

    @property
    def matched(self) -> bool:
        """True when a recorded prediction agreed with the result in every item compared."""
        return self.verdict == MATCH

    @property
    def surprise(self) -> bool:
        """True when something measured (or recorded) differed from the prediction."""
        return self.verdict == SURPRISE

    def _shown(self) -> str:
        actual = _brief(self.actual)
        if self.recording is not None:
            return f"{self.recording} {'say' if self.recording.sources else 'shows'} {actual}"
        if self.verdict == NOT_MEASURED or (not self.recorded and _all_unmeasured(self.actual)):
            said = "" if self.actual is None else str(plain_data(self.actual))
            reason = "" if said in ("", "not measured") else f" ({said})"
            return f"not measured on this machine{reason}"
        return f"your machine did {actual}"

    def _verdict(self) -> list[str]:
        if not self.recorded:
            return ["You made no prediction this time (that is fine: predicting first "
                    "makes the result stick)."]
        if self.verdict == NOT_MEASURED:
            return ["Not measured on this machine, so there is nothing to compare: not a "
                    "surprise, and not counted as one."]
        lines = []
        if self.matched:
            close = f" ({self.tolerance.words()})" if self.approximately else ""
            whose = "The sources agree" if self.recording and self.recording.sources else \
                "The recording agrees"
            lines.append(f"{whose} with your prediction{close}."
                         if self.recording else f"As you predicted{close}.")
        else:
            whose = "" if not self.recording else (
                "the sources differ from your prediction" if self.recording.sources
                else "the recording differs from your prediction")
            if self.compared > 1:
                count = f"{len(self.differences)} of {self.compared}"
                lines.append(f"A surprise: {whose} in {count} (" if whose else
                             f"A surprise: {count} differ (")
                lines[-1] += "; ".join(self.differences) + ")."
            else:
                lines.append(f"A surprise: {whose + ': ' if whose else ''}"
                             f"{self.differences[0]}.")
        if self.not_measured:
            lines.append("Not measured on this machine (not counted): "
                         + ", ".join(map(str, self.not_measured)) + ".")
        if self.not_predicted:
            lines.append("Not predicted: " + ", ".join(map(str, self.not_predicted)) + ".")
        return lines

    def __str__(self) -> str:
        said = ""
        if self.recorded:
            said = f"you predicted {_brief(self.predicted)}"
            said += f" ({self.tolerance.words()}); " if self.tolerance else "; "
        lines = [f"{self.prediction_id}: {said}{self._shown()}.", *self._verdict()]
        if self.surprise:
            lines.append("What do you think happened? Say it in one line, then run it: "
                         f"explain('{self.prediction_id}', '...'). The course's "
                         "explanation follows.")
        elif self.why:
            lines.append(f"Why: {self.why}")
        if self.note:
            lines.append(self.note)
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        # The verdict is in words; the symbol only repeats it (aria-hidden), and the
        # colours (#1a1a1a on #eef5fb, 16:1) carry no meaning of their own.
        symbol, label = {MATCH: ("\u2714", "As predicted"), SURPRISE: ("\u2728", "A surprise"),
                         NOT_MEASURED: ("\u2205", "Not measured here")}.get(
            self.verdict, ("\u2022", "No prediction"))
        body = "<br>".join(html.escape(line) for line in str(self).splitlines())
        return (f'<div class="loopedu-reveal" role="status" style="border-left:6px solid '
                f'#0072B2;background:#eef5fb;color:#1a1a1a;padding:0.5em 0.8em;'
                f'margin:0.3em 0"><strong><span aria-hidden="true">{symbol}</span> '
                f'Predicted, then ran: {label}</strong><br>{body}</div>')


def _brief(value: Any) -> str:
    """``value`` as the reveal writes it: whole, or for a mapping of more than six items
    its size (the differences then name the items that matter)."""
    if isinstance(value, dict) and len(value) > 6:
        return f"{len(value)} answers"
    return repr(value)


def _all_unmeasured(actual: Any) -> bool:
    if isinstance(actual, dict):
        return bool(actual) and all(is_not_measured(v) for v in actual.values())
    return is_not_measured(actual)


def _verdict_of(comparison: Comparison | None) -> str:
    if comparison is None:
        return NO_PREDICTION
    if comparison.compared == 0:
        return NOT_MEASURED
    return SURPRISE if comparison.differences else MATCH


def _source(verdict: str, recording: Recording | None, actual: Any) -> str:
    if recording is not None:
        return "recording"
    if verdict == NOT_MEASURED or (verdict == NO_PREDICTION and _all_unmeasured(actual)):
        return "not measured"
    return "this machine"


def reveal(prediction_id: str, actual: Any, why: str = "", *,
           recorded: Recording | str | None = None) -> Reveal:
    """What the experiment showed (``actual``) beside the prediction recorded for
    ``prediction_id``, compared fairly (see :mod:`loopedu.exercises.comparison`). On a
    match the course's explanation follows at once (``why``, or where it is not given the
    one :mod:`loopedu.exercises.explanations` keeps for ``prediction_id``, so a lesson's
    cell does not show it before the question); after a surprise the learner is first
    asked for their own explanation (:func:`explain`). ``recorded`` says the result was
    shown from a recording (a :class:`~loopedu.exercises.comparison.Recording` or its
    label, e.g. ``"recorded on Linux (Debian 12) as root, 2026-11-29"``), so it is never
    called "your machine". What it showed is kept in the progress file.

    Introduced in notebooks/00-start-here.ipynb.
    """
    _check_id(prediction_id)
    why = why or why_of(prediction_id, actual)
    recording = None if recorded is None else Recording.of(recorded)
    entry = progress_store.load().section("predictions").get(prediction_id) or {}
    predicted = entry.get("value")
    tolerance = Tolerance.from_dict(entry.get("tolerance"))
    comparison = None if predicted is None else compare(predicted, actual, tolerance)
    verdict = _verdict_of(comparison)
    comparison = comparison or Comparison(0)
    status = progress_store.record_reveal(prediction_id, {
        "at": progress_store.now(), "actual": plain_data(actual),
        "source": _source(verdict, recording, actual),
        "recording": recording.to_dict() if recording else None, "verdict": verdict,
        "differences": list(comparison.differences),
        "not_measured": list(comparison.not_measured), "predicted": predicted,
        "tolerance": tolerance.to_dict() if tolerance else None, "why": str(why or ""),
        "machine": fingerprint().to_dict()})
    return Reveal(prediction_id, predicted, actual, str(why or ""), comparison.compared,
                  comparison.differences, verdict, tolerance, recording,
                  tuple(k for k in comparison.not_measured if k),
                  comparison.not_predicted, comparison.approximately,
                  progress_store.tell_once(status))


def explain(prediction_id: str, text: Any) -> Text:
    """Record your own one-line explanation of what the experiment of ``prediction_id``
    showed, then see the course's. ``...`` or None skips it (nothing is recorded but
    the skip) and shows the course's explanation at once.

    Introduced in notebooks/00-start-here.ipynb.
    """
    _check_id(prediction_id)
    shown = progress_store.load().section("reveals").get(prediction_id)
    if shown is None:
        return Text(f"Nothing has been revealed for {prediction_id} yet: run the "
                    "experiment's cell (the one that calls reveal) first, then explain "
                    "what you saw.")
    why = shown.get("why") or ""
    course = (f"The course's explanation: {why}" if why else
              "The course gives no explanation in this cell: read on in the lesson.")
    words = "" if text is None or text is Ellipsis else " ".join(str(text).split())
    if not words or words == "...":
        status = progress_store.record_explanation(prediction_id, None)
        return _with_note(f"No explanation recorded for {prediction_id} (that is fine).\n"
                          f"{course}", status)
    if len(words) > MAX_EXPLANATION:
        words = words[:MAX_EXPLANATION - 3] + "..."
    status = progress_store.record_explanation(prediction_id, words)
    return _with_note(f"Recorded your explanation for {prediction_id}: {words!r}\n{course}",
                      status)
