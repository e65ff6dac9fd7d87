"""The class's standing from the learners' records: who passed what, where they
struggle, and what they predicted.

Introduced in notebooks/00-start-here.ipynb (the instructor's ``loopedu class-report``).

:func:`class_report` builds a :class:`ClassReport` from what
:func:`loopedu.class_progress.load_exports` read: the learners x exercises table, each
exercise's pass rate with where learners struggle
(:mod:`loopedu.class_progress.struggles`) and each prediction's poll
(:mod:`loopedu.class_progress.poll`). :func:`format_class_report` prints it,
:func:`report_csv` writes the table for a spreadsheet and :func:`class_chart` draws the
pass rate of every exercise.

A row is a file, keyed by its place (its path inside the folder read); the name inside
is what the learner declared, shown beside it: a file claiming another's name gets a row
of its own and the report says the names clash. CSV cells a spreadsheet would read as a
formula get a leading single quote (OWASP, "CSV Injection").
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .exports import LearnerExport, LoadedExports
from .poll import PredictionPoll, format_polls, prediction_polls
from .struggles import exercise_struggles

__all__ = ["ClassReport", "ExerciseStanding", "class_chart", "class_report",
           "format_class_report", "report_csv"]

PASSED_MARK, MISSED_MARK = "x", "."
#: What makes a spreadsheet read a cell as a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ExerciseStanding:
    """One exercise across the class: how many of ``learners`` passed it, how many
    ``tried`` it, the median failed attempts before a pass, how many used a hint or saw
    the worked answer, and the most common ``wrong_answers`` as ``(answer, learners)``
    (see :func:`loopedu.class_progress.struggles.exercise_struggles`)."""

    id: str
    lesson: int
    passed: int
    learners: int
    tried: int = 0
    median_failed_before_pass: float | None = None
    hints_used: int = 0
    solutions_viewed: int = 0
    wrong_answers: tuple[tuple[str, int], ...] = ()

    @property
    def rate(self) -> float:
        """The share of learners who passed it, 0 to 1 (0 with no learners)."""
        return self.passed / self.learners if self.learners else 0.0


@dataclass(frozen=True)
class ClassReport:
    """Exports x exercises, a row per file keyed by its place: ``names[place]`` is the
    learner name it declares, ``matrix[place][exercise_id]`` whether it passed that.

    ``exercises`` are in course order; ``skipped`` comes from :class:`LoadedExports`;
    ``clashes`` has a line per learner name that more than one file declares; ``polls``
    has each prediction's poll.
    """

    places: tuple[str, ...]
    names: Mapping[str, str]
    exercises: tuple[ExerciseStanding, ...]
    matrix: Mapping[str, Mapping[str, bool]]
    versions: Mapping[str, tuple[str | None, str | None]] = field(default_factory=dict)
    skipped: tuple[str, ...] = ()
    clashes: tuple[str, ...] = ()
    polls: tuple[PredictionPoll, ...] = ()

    @property
    def learners(self) -> tuple[str, ...]:
        """The declared learner names, row by row (a clashing name appears twice)."""
        return tuple(self.names[place] for place in self.places)

    @property
    def totals(self) -> dict[str, int]:
        """How many exercises each row passed, by place."""
        return {place: sum(self.matrix[place].values()) for place in self.places}

    @property
    def most_missed(self) -> tuple[ExerciseStanding, ...]:
        """The exercises some learner has not passed, lowest pass rate first (ties in
        course order)."""
        order = {row.id: i for i, row in enumerate(self.exercises)}
        return tuple(sorted((row for row in self.exercises if row.passed < row.learners),
                            key=lambda row: (row.rate, order[row.id])))

    def to_dict(self) -> dict[str, Any]:
        """Plain data, as ``loopedu class-report --json`` prints it."""
        return {"learners": [{"file": place, "learner": self.names[place],
                              "passed": self.totals[place],
                              "loopedu_version": self.versions.get(place, (None, None))[0],
                              "workspace_version": self.versions.get(place, (None, None))[1],
                              "exercises": dict(self.matrix[place])}
                             for place in self.places],
                "exercises": [{"id": row.id, "lesson": row.lesson, "passed": row.passed,
                               "learners": row.learners, "rate": row.rate,
                               "tried": row.tried,
                               "median_failed_before_pass": row.median_failed_before_pass,
                               "hints_used": row.hints_used,
                               "solutions_viewed": row.solutions_viewed,
                               "wrong_answers": [{"answer": a, "learners": n}
                                                 for a, n in row.wrong_answers]}
                              for row in self.exercises],
                "most_missed": [row.id for row in self.most_missed],
                "predictions": [poll.to_dict() for poll in self.polls],
                "skipped": list(self.skipped), "name_clashes": list(self.clashes)}


def _passed(export: LearnerExport) -> set[str]:
    """The exercises ``export`` passed, by their current ids (an older loopedu may have
    written an exercise under the id it had before a rename)."""
    from ..exercises.progress_summary import RENAMED

    return {RENAMED.get(ident, ident) for ident in export.passed}


def _course_order(exports: Iterable[LearnerExport]) -> list[tuple[str, int]]:
    """Every exercise of the installed catalog, then any other an export names."""
    from ..exercises import catalog
    from ..exercises.framework import get

    known = [(ident, get(ident).lesson) for ident in catalog()]
    seen = {ident for ident, _ in known}
    extra = {}
    for export in exports:
        for ident in _passed(export):
            if ident not in seen:
                extra[ident] = export.lessons.get(ident, 99)
    rank = {ident: i for i, (ident, _) in enumerate(known)}
    rows = known + sorted(extra.items(), key=lambda kv: (kv[1], kv[0]))
    return sorted(rows, key=lambda kv: (kv[1], rank.get(kv[0], len(rank))))


def _clashes(exports: Iterable[LearnerExport]) -> tuple[str, ...]:
    """One line per learner name (in any case) that more than one file declares."""
    by_name: dict[str, list[LearnerExport]] = {}
    for export in exports:
        by_name.setdefault(export.learner.casefold(), []).append(export)
    return tuple(f'"{same[0].learner}" is declared by {len(same)} files: '
                 + ", ".join(e.place for e in same) for same in by_name.values() if len(same) > 1)


def class_report(exports: LoadedExports | Iterable[LearnerExport]) -> ClassReport:
    """The class's standing from the learners' exports (see :class:`ClassReport`).

    Introduced in notebooks/00-start-here.ipynb.
    """
    loaded = exports if isinstance(exports, LoadedExports) else LoadedExports(tuple(exports))
    rows = loaded.exports
    order = _course_order(rows)
    matrix = {}  # by place, in row order
    for export in rows:
        passed = _passed(export)
        matrix[export.place] = {ident: ident in passed for ident, _ in order}
    struggles = exercise_struggles(rows, [ident for ident, _ in order])
    standings = tuple(ExerciseStanding(ident, lesson, sum(m[ident] for m in matrix.values()),
                                       len(matrix), **struggles[ident])
                      for ident, lesson in order)
    versions = {e.place: (e.loopedu_version, e.workspace_version) for e in rows}
    return ClassReport(tuple(matrix), {e.place: e.learner for e in rows}, standings, matrix,
                       versions, loaded.skipped, _clashes(rows), prediction_polls(rows))


def _lesson_groups(report: ClassReport) -> list[tuple[int, list[ExerciseStanding]]]:
    groups: dict[int, list[ExerciseStanding]] = {}
    for row in report.exercises:
        groups.setdefault(row.lesson, []).append(row)
    return list(groups.items())


def format_class_report(report: ClassReport, most_missed: int = 5) -> str:
    """A text table: one row per learner, the exercises in columns grouped by lesson
    (``x`` passed, ``.`` not), then each exercise's pass rate, where learners struggle
    and the most missed, then the predictions' polls.

    Introduced in notebooks/00-start-here.ipynb.
    """
    groups = _lesson_groups(report)
    width, where = (max([len(head), *map(len, column)]) for head, column
                    in (("learner", report.learners), ("file", report.places)))
    cols = [max(2, len(rows)) for _, rows in groups]
    head1 = ["learner".ljust(width), "file".ljust(where)] + [
        f"{lesson:02d}".ljust(w) for (lesson, _), w in zip(groups, cols)]
    head2 = [" " * (width + 2 + where)] + [
        "".join(str(i % 10) for i in range(1, len(rows) + 1)).ljust(w)
        for (_, rows), w in zip(groups, cols)]
    lines = [f"Class progress: {len(report.places)} learners, "
             f"{len(report.exercises)} exercises ({PASSED_MARK} passed, {MISSED_MARK} not)",
             "", "  ".join(head1 + ["passed"]), "  ".join(head2)]
    totals = report.totals
    for place in report.places:
        cells = ["".join(PASSED_MARK if report.matrix[place][row.id] else MISSED_MARK
                         for row in rows).ljust(w) for (_, rows), w in zip(groups, cols)]
        lines.append("  ".join([report.names[place].ljust(width), place.ljust(where), *cells,
                                f"{totals[place]}/{len(report.exercises)}"]))
    lines += ["", "Exercises (lesson, column: id, passed, rate; learners who tried it, the "
                  "median failed attempts before a pass, hints and worked answers used):"]
    for lesson, rows in groups:
        for i, row in enumerate(rows, 1):
            median = ("-" if row.median_failed_before_pass is None
                      else f"{row.median_failed_before_pass:g}")
            lines.append(f"  {lesson:02d}.{i % 10}  {row.id:<24} {row.passed}/{row.learners}"
                         f"  {row.rate:4.0%}  tried {row.tried}  failed before pass {median}"
                         f"  hints {row.hints_used}  solutions {row.solutions_viewed}")
            if row.wrong_answers:
                lines.append("          most common wrong answers: " + "; ".join(
                    f"{answer} ({n} learner{'s' if n != 1 else ''})"
                    for answer, n in row.wrong_answers))
    missed = report.most_missed[:most_missed]
    lines += ["", "Most missed: " + (", ".join(f"{row.id} ({row.rate:.0%})" for row in missed)
                                     if missed else "none: everyone passed everything")]
    lines += ["", *format_polls(report.polls)]
    lines += ["", *_version_lines(report)]
    if report.clashes:
        lines += ["", "Names clash (each file keeps its own row; ask who wrote which):"]
        lines += [f"  {note}" for note in report.clashes]
    for note in report.skipped:
        lines.append(f"skipped {note}")
    return "\n".join(line.rstrip() for line in lines)


def _version_lines(report: ClassReport) -> list[str]:
    """Which course version each learner's workspace was last updated from: one line
    when all agree, else one per version with its learners."""
    by_version: dict[str, list[str]] = {}
    for place in report.places:
        version = report.versions.get(place, (None, None))[1]
        by_version.setdefault(version or "not recorded", []).append(report.names[place])
    if len(by_version) <= 1:
        return [f"Workspace version: {version} (every learner)" for version in by_version]
    lines = ["Workspace versions (a learner on an older one has not pulled the course):"]
    for version, names in sorted(by_version.items(), key=lambda item: -len(item[1])):
        lines.append(f"  {version}: {len(names)} ({', '.join(names)})")
    return lines


def _cell(value: Any) -> Any:
    """``value`` as a CSV cell: text a spreadsheet would run as a formula is quoted."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


def report_csv(report: ClassReport) -> str:
    """The matrix as CSV: a row per export (declared name, file, a column per exercise:
    1 passed, 0 not, then its total); a last row of pass rates. Text a spreadsheet
    would read as a formula is neutralised (see the module docstring).

    Introduced in notebooks/00-start-here.ipynb.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180; a CR in a cell is quoted
    rows = [["learner", "file", *(row.id for row in report.exercises), "passed"]]
    for place in report.places:
        rows.append([report.names[place], place,
                     *(int(report.matrix[place][row.id]) for row in report.exercises),
                     report.totals[place]])
    rows.append(["pass rate", "", *(f"{row.rate:.3f}" for row in report.exercises), ""])
    writer.writerows([_cell(value) for value in row] for row in rows)
    return out.getvalue()


def class_chart(report: ClassReport):
    """Horizontal bars of each exercise's pass rate, in lesson order (top to bottom),
    coloured by lesson, each bar labelled with its count; a ``CourseFigure`` with alt
    text. Each bar has gid ``"bar-<exercise id>"``, so the data can be checked.

    Introduced in notebooks/00-start-here.ipynb.
    """
    from ..plots import OKABE_ITO, new_figure, set_alt_text

    rows = list(report.exercises)
    palette = [OKABE_ITO[c] for c in ("blue", "orange", "bluish green", "vermillion",
                                      "sky blue", "reddish purple", "black")]
    fig = new_figure(9.0, max(3.0, 0.28 * len(rows) + 1.5))
    ax = fig.add_subplot()
    for y, row in enumerate(rows):
        ax.barh(y, row.rate, color=palette[row.lesson % len(palette)], gid=f"bar-{row.id}",
                edgecolor="black", linewidth=0.4)
        ax.text(min(row.rate, 1.0) + 0.01, y, f"{row.passed}/{row.learners}",
                va="center", fontsize=8)
    ax.set_yticks(range(len(rows)), [row.id for row in rows], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.12)
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0], ["0%", "25%", "50%", "75%", "100%"])
    ax.set_xlabel(f"Share of the {len(report.learners)} learners who passed")
    ax.set_ylabel("Exercise (lesson order; colour = lesson)")
    ax.set_title("Class progress: pass rate per exercise")
    fig.data_table = (("exercise", "passed", "learners", "share passed"),
                      [(row.id, row.passed, row.learners, f"{row.rate:.0%}") for row in rows])
    worst = report.most_missed[0] if report.most_missed else None
    set_alt_text(fig, f"Horizontal bars of the share of {len(report.learners)} learners "
                 f"who passed each of {len(rows)} exercises, in lesson order; "
                 + (f"least passed: {worst.id} ({worst.rate:.0%})." if worst
                    else "every learner passed every exercise."))
    return fig
