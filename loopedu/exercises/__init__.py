"""Exercises with instant feedback, hints on demand and local progress.

Introduced in notebooks/00-start-here.ipynb.

    >>> from loopedu.exercises import check, hint, catalog
    >>> check("00.kernel-transport", "0.0.0.0").passed
    False

- ``catalog()``                    ids of all exercises, by lesson
- ``check(exercise_id, answer)``   a ``Feedback`` (``.passed``, ``.message``); never raises
- ``hint(exercise_id, n=None)``    the next hint (or hint ``n``); never the solution
- ``progress()``, ``progress_report()``   what has been passed, as a ``Progress`` or as
  text (``progress_summary``; the file itself is kept by ``progress_store``)
- ``predict(prediction_id, value)``, ``reveal(prediction_id, actual, why)``   predict,
  then run: your prediction beside what the machine did (in memory, never graded)
- ``exercise`` and the ``expect_*`` helpers   for writing exercises (see ``lesson00.py``)
- ``loopedu.exercises.student.build_student_versions``   solutions out, for handing out

Exercises live in modules named ``lessonNN.py`` in this package; they are found and
imported on first use, so importing this package is cheap (nbformat, for the student
builder, is imported only by ``loopedu.exercises.student``).
"""

from .framework import Exercise, Feedback, Text, catalog, check, exercise, hint
from .helpers import expect_choice, expect_equal, expect_mapping, expect_set
from .predictions import predict, reveal
from .progress_summary import progress, progress_report

__all__ = [
    "Exercise", "Feedback", "Text", "catalog", "check", "exercise", "expect_choice",
    "expect_equal", "expect_mapping", "expect_set", "hint", "predict", "progress",
    "progress_report", "reveal",
]
