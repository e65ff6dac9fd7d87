"""Exercises with instant feedback, hints on demand, worked answers, predictions and the
learner's own record of all of it.

Introduced in notebooks/00-start-here.ipynb.

    >>> from loopedu.exercises import check, hint, catalog
    >>> check("00.kernel-transport", "0.0.0.0").passed
    False

Exercises:

- ``catalog()``                    ids of all exercises, by lesson
- ``check(exercise_id, answer)``   a ``Feedback`` (``.passed``, ``.message``); never
  raises. A pass is recorded, and so is a failed attempt (a short summary of the answer)
- ``hint(exercise_id, n=None)``    the next hint (or hint ``n``); never the solution;
  each one shown is recorded
- ``solution(exercise_id)``        after the last hint: the worked answer and why, from
  the reference exercise notebook (``solutions``); recorded as viewed
- ``progress()``, ``progress_report()``   the learner's record, as a ``Progress`` or as
  text (``progress_summary``; the file itself is kept by ``progress_store``)

Predict, observe, explain (``predictions``, ``comparison``):

- ``predict(prediction_id, value, *, tolerance=None)``   before the experiment; kept
  with the time and the machine's fingerprint (``machine``). A number may state how
  close counts: ``predict("07.nagle-stall", 40, tolerance=within(factor=2))``
- ``reveal(prediction_id, actual, why="", *, recorded=None)``   after it: the prediction
  beside what the experiment showed. ``None``, ``"not run"`` or ``NOT_MEASURED`` (or an
  item missing from ``actual``) is "not measured on this machine", never a surprise;
  ``recorded=Recording(where="Linux 6.1 (Debian 12), as root", when="2026-11-29")`` (or
  the label as text) says the result comes from a recording, so it is never called
  "your machine"; ``recorded=SOURCES`` says it is what the primary sources say (a
  verdict, a date: nothing a machine measures). On a match the course's explanation
  follows at once (``why``, or the one ``explanations`` keeps for the id, so the lesson's
  cell does not show it before the question); after a surprise the learner is first
  asked for their own explanation
- ``explain(prediction_id, text)``   the learner's one-line explanation (``...`` skips
  it), then the course's ``why`` (kept by ``reveal`` in the progress file, so it works
  after a kernel restart too)
- ``within(factor=|percent=|absolute=|magnitude=)``   a ``Tolerance`` for numbers:
  ``within(factor=2)`` takes 40 for 47.6 but not 4

All of it lives in one file per learner (``progress_store``; ``$LOOPEDU_HOME``), written
under a lock so two kernels lose nothing, and ``loopedu progress --export`` hands it to
the instructor (``loopedu class-report``). Writing exercises: ``exercise`` and the
``expect_*`` helpers (see ``lesson00.py``); ``loopedu.exercises.student.build_student_versions``
takes the solutions out for handing out.

Exercises live in modules named ``lessonNN.py`` in this package; they are found and
imported on first use, so importing this package is cheap (nbformat, for the student
builder, is imported only by ``loopedu.exercises.student``).
"""

from .comparison import NOT_MEASURED, SOURCES, NotMeasured, Recording, Tolerance, within
from .framework import Exercise, Feedback, Text, catalog, check, exercise, hint
from .answers import expect_choice, expect_equal, expect_mapping, expect_set
from .predictions import explain, predict, reveal
from .progress_summary import progress, progress_report
from .solutions import solution

__all__ = [
    "Exercise", "Feedback", "NOT_MEASURED", "NotMeasured", "Recording", "SOURCES", "Text",
    "Tolerance", "catalog", "check", "exercise", "expect_choice", "expect_equal",
    "expect_mapping", "expect_set", "explain", "hint", "predict", "progress",
    "progress_report", "reveal", "solution", "within",
]
