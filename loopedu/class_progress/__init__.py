"""A class's progress from files the learners export (or their progress folders on a
hub): no server, no accounts.

Introduced in notebooks/00-start-here.ipynb (``loopedu progress``; the instructor's
side is ``loopedu class-report``).

- A learner runs ``loopedu progress --export FILE`` (:func:`export_progress`): a small
  JSON file with their name, the loopedu version, the workspace version when the
  workspace records one, the time of export and their whole record: exercises passed,
  failed attempts, hints, worked answers seen, predictions with the machine's
  fingerprint, what each reveal showed, and their own explanations
  (:mod:`loopedu.class_progress.exports`).
- The instructor collects those files, or points at the learners' progress folders on a
  hub, and runs ``loopedu class-report FILES_OR_DIR...``: :func:`load_exports` reads them
  (a broken or foreign JSON file is skipped with a reason, never fatal),
  :func:`class_report` builds the learners x exercises table with where learners
  struggle (:mod:`~loopedu.class_progress.struggles`) and the class's predictions beside
  what the machines measured (:mod:`~loopedu.class_progress.poll`);
  :func:`format_class_report` prints it, :func:`report_csv` writes it for a spreadsheet,
  :func:`class_chart` draws the pass rates and :func:`prediction_chart` one prediction's
  poll (:mod:`~loopedu.class_progress.report`).
- In the classroom, ``loopedu class-report --watch DIR`` redraws the poll as the
  learners' records change (:mod:`~loopedu.class_progress.watch`).
"""

from .exports import (
                      ExportError,
                      LearnerExport,
                      LoadedExports,
                      export_data,
                      export_progress,
                      load_exports,
                      read_export,
                      read_store,
)
from .poll import ItemPoll, PredictionPoll, format_polls, prediction_chart, prediction_polls
from .report import (
                      ClassReport,
                      ExerciseStanding,
                      class_chart,
                      class_report,
                      format_class_report,
                      report_csv,
)
from .watch import Frame, render_frame, watch

__all__ = ["ClassReport", "ExerciseStanding", "ExportError", "Frame", "ItemPoll",
           "LearnerExport", "LoadedExports", "PredictionPoll", "class_chart", "class_report",
           "export_data", "export_progress", "format_class_report", "format_polls",
           "load_exports", "prediction_chart", "prediction_polls", "read_export",
           "read_store", "render_frame", "report_csv", "watch"]
