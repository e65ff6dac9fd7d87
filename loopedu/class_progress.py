"""A class's progress from files the learners export: no server, no accounts.

Introduced in notebooks/00-start-here.ipynb (``loopedu progress``; the instructor's
side is ``loopedu class-report``).

- A learner runs ``loopedu progress --export FILE`` (:func:`export_progress`): a small
  JSON file with their name, the loopedu version, the workspace version when the
  workspace records one, the time of export and the exercises they have passed.
- The instructor collects those files (on a hub, from the users' folders) and runs
  ``loopedu class-report FILES_OR_DIR...``: :func:`load_exports` reads them (a broken or
  foreign JSON file is skipped with a reason, never fatal), :func:`class_report` builds
  the learners x exercises table, :func:`format_class_report` prints it,
  :func:`report_csv` writes it for a spreadsheet and :func:`class_chart` draws the pass
  rate of every exercise.

A row is a file, keyed by its place (its path inside the folder read); the name inside
is what the learner declared, shown beside it: a file claiming another's name gets a row
of its own and the report says the names clash. CSV cells a spreadsheet would read as a
formula get a leading single quote (OWASP, "CSV Injection").

The progress store records passes only, not failed attempts, so an export lists what
was passed; an exercise not in it has not been passed (or not yet tried).
"""

from __future__ import annotations

import csv
import getpass
import io
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from . import __version__
from .release import atomic_write_text

__all__ = ["ClassReport", "ExerciseStanding", "ExportError", "LearnerExport",
           "LoadedExports", "class_chart", "class_report", "export_data", "export_progress",
           "format_class_report", "load_exports", "read_export", "report_csv"]

FORMAT_NAME = "loopedu-progress"
FORMAT_VERSION = 1
PASSED_MARK, MISSED_MARK = "x", "."
#: What makes a spreadsheet read a cell as a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class ExportError(ValueError):
    """An export cannot be written, or a file is not a usable export; the message names
    the file and says what is wrong."""


def _learner_name() -> str:
    hub = os.environ.get("JUPYTERHUB_USER", "").strip()
    if hub:
        return hub
    try:
        return getpass.getuser()
    except Exception:  # no user name to be found (no passwd entry, no LOGNAME)
        return "unknown"


def export_data(learner: str | None = None,
                home: str | os.PathLike | None = None) -> dict[str, Any]:
    """The export of the progress kept in ``home`` (default: the learner's own) as
    plain data, as :func:`export_progress` writes it.

    Example::

        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as home:
        ...     data = export_data("ada", home)
        >>> data["format"], data["version"], data["learner"], data["passed"]
        ('loopedu-progress', 1, 'ada', [])

    Introduced in notebooks/00-start-here.ipynb.
    """
    from .exercises import progress
    from .workspace import workspace_version

    mine = progress(home)
    name = (learner if learner is not None else _learner_name()).strip()
    if not name:
        raise ExportError("the learner name is empty; give one with --learner NAME")
    return {"format": FORMAT_NAME, "version": FORMAT_VERSION, "learner": name,
            "loopedu_version": __version__, "workspace_version": workspace_version(),
            "exported_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "attempts_recorded": False,
            "passed": [{"id": row.id, "lesson": row.lesson,
                        "first_passed": row.first_passed}
                       for row in mine.exercises if row.passed],
            "catalog": [{"id": row.id, "lesson": row.lesson} for row in mine.exercises]}


def export_progress(path: str | os.PathLike, learner: str | None = None,
                    force: bool = False, home: str | os.PathLike | None = None) -> Path:
    """Write the learner's passed exercises to ``path`` (see :func:`export_data`),
    atomically; an existing file is refused unless ``force``. Returns the path.

    ``learner`` defaults to ``$JUPYTERHUB_USER``, else the user name of this account.

    Example::

        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     out = export_progress(Path(folder, "me.json"), "ada", home=folder)
        ...     read_export(out).learner
        'ada'

    Introduced in notebooks/00-start-here.ipynb.
    """
    target = Path(path).expanduser()
    if target.is_dir():
        raise ExportError(f"{target} is a folder; give a file name such as "
                          f"{target / 'progress-export.json'}")
    if target.exists() and not force:
        raise ExportError(f"{target} exists already; pass --force to replace it")
    text = json.dumps(export_data(learner, home), indent=1) + "\n"
    try:
        atomic_write_text(target, text)
    except OSError as exc:
        raise ExportError(f"cannot write {target} ({exc.strerror or exc})") from None
    return target


@dataclass(frozen=True)
class LearnerExport:
    """One export, read back: ``learner`` is the name declared in it, ``place`` where it
    was found (a report's row key); ``passed`` maps exercise id to the time it was first
    passed (``None`` when unknown); ``lessons`` maps every id it names to its lesson."""

    path: Path
    learner: str
    exported_at: datetime
    loopedu_version: str | None
    workspace_version: str | None
    passed: Mapping[str, str | None]
    lessons: Mapping[str, int]
    place: str = ""


def _entries(data: dict, key: str, required: bool) -> list[tuple[str, int, Any]]:
    rows = data.get(key, None if required else [])
    if not isinstance(rows, list):
        raise ValueError(f'"{key}" is not a list')
    found = []
    for row in rows:
        ident = row.get("id") if isinstance(row, dict) else None
        lesson = row.get("lesson") if isinstance(row, dict) else None
        if not isinstance(ident, str) or not isinstance(lesson, int):
            raise ValueError(f'an entry of "{key}" has no string "id" and int "lesson"')
        found.append((ident, lesson, row.get("first_passed")))
    return found


def _validate(path: Path, data: Any) -> LearnerExport:
    if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
        raise ValueError(f'not a loopedu progress export (no "format": "{FORMAT_NAME}")')
    version = data.get("version")
    if not isinstance(version, int) or version < 1:
        raise ValueError('no usable "version" number')
    if version > FORMAT_VERSION:
        raise ValueError(f"written by a newer loopedu (format version {version}); "
                         "update loopedu to read it")
    learner = data.get("learner")
    if not isinstance(learner, str) or not learner.strip():
        raise ValueError('no "learner" name')
    try:
        when = datetime.fromisoformat(str(data.get("exported_at")))
    except ValueError:
        raise ValueError('no ISO 8601 "exported_at" time') from None
    when = when if when.tzinfo else when.replace(tzinfo=timezone.utc)
    passed = _entries(data, "passed", required=True)
    lessons = {ident: lesson for ident, lesson, _ in _entries(data, "catalog", False)}
    lessons.update({ident: lesson for ident, lesson, _ in passed})
    versions = [data.get(k) for k in ("loopedu_version", "workspace_version")]
    return LearnerExport(path, learner.strip(), when,
                         *(str(v) if v is not None else None for v in versions),
                         {ident: t if isinstance(t, str) else None
                          for ident, _, t in passed}, lessons, path.as_posix())


def read_export(path: str | os.PathLike) -> LearnerExport:
    """Read and check one export file; :class:`ExportError` names the file and what is
    wrong with it.

    Introduced in notebooks/00-start-here.ipynb.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ExportError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise ExportError(f"{path}: not UTF-8 text") from None
    except ValueError as exc:
        raise ExportError(f"{path}: not valid JSON ({exc})") from None
    try:
        return _validate(path, data)
    except ValueError as exc:
        raise ExportError(f"{path}: {exc}") from None


@dataclass(frozen=True)
class LoadedExports:
    """What :func:`load_exports` found: every export, one per file, and the files
    skipped (with why, one line each)."""

    exports: tuple[LearnerExport, ...]
    skipped: tuple[str, ...] = ()


def _hidden(path: Path, top: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(top).parts)


def _json_files(paths_or_dir: str | os.PathLike | Iterable[str | os.PathLike]
                ) -> dict[Path, str]:
    """Each file to read, once, with its place: its path inside the folder given, or
    the path as given; a place two files would share becomes their whole paths."""
    if isinstance(paths_or_dir, (str, os.PathLike)):
        paths_or_dir = [paths_or_dir]
    found: dict[Path, tuple[Path, str]] = {}  # by the file itself: given twice, read once
    for item in paths_or_dir:
        path = Path(item).expanduser()
        if path.is_dir():  # hidden files (a workspace manifest, checkpoints) are not exports
            files = [(p, p.relative_to(path).as_posix()) for p in sorted(path.rglob("*.json"))
                     if p.is_file() and not _hidden(p, path)]
        elif path.exists():
            files = [(path, path.as_posix())]
        else:
            raise ExportError(f"{path} does not exist; give export files or a folder "
                              "holding them")
        for file, place in files:
            found.setdefault(file.resolve(), (file, place))
    places = [place for _, place in found.values()]
    return {file: place if places.count(place) == 1 else file.as_posix()
            for file, place in found.values()}


def _clashes(exports: Iterable[LearnerExport]) -> tuple[str, ...]:
    """One line per learner name (in any case) that more than one file declares."""
    by_name: dict[str, list[LearnerExport]] = {}
    for export in exports:
        by_name.setdefault(export.learner.casefold(), []).append(export)
    return tuple(f'"{same[0].learner}" is declared by {len(same)} files: '
                 + ", ".join(e.place for e in same) for same in by_name.values() if len(same) > 1)


def load_exports(paths_or_dir: str | os.PathLike | Iterable[str | os.PathLike]
                 ) -> LoadedExports:
    """Read every export among the files given, or the ``*.json`` files of a folder
    (searched recursively, hidden ones left out): one per file, with its place (see
    the module docstring). A file that is not a valid export is skipped with the reason.

    Introduced in notebooks/00-start-here.ipynb.
    """
    exports, skipped = [], []
    for path, place in _json_files(paths_or_dir).items():
        try:
            exports.append(replace(read_export(path), place=place))
        except ExportError as exc:
            skipped.append(str(exc))
    ordered = tuple(sorted(exports, key=lambda e: (e.learner.casefold(), e.place)))
    return LoadedExports(ordered, tuple(skipped))


@dataclass(frozen=True)
class ExerciseStanding:
    """One exercise across the class: how many of ``learners`` passed it."""

    id: str
    lesson: int
    passed: int
    learners: int

    @property
    def rate(self) -> float:
        """The share of learners who passed it, 0 to 1 (0 with no learners)."""
        return self.passed / self.learners if self.learners else 0.0


@dataclass(frozen=True)
class ClassReport:
    """Exports x exercises, a row per file keyed by its place: ``names[place]`` is the
    learner name it declares, ``matrix[place][exercise_id]`` whether it passed that.

    ``exercises`` are in course order; ``skipped`` comes from :class:`LoadedExports`;
    ``clashes`` has a line per learner name that more than one file declares.
    """

    places: tuple[str, ...]
    names: Mapping[str, str]
    exercises: tuple[ExerciseStanding, ...]
    matrix: Mapping[str, Mapping[str, bool]]
    versions: Mapping[str, tuple[str | None, str | None]] = field(default_factory=dict)
    skipped: tuple[str, ...] = ()
    clashes: tuple[str, ...] = ()

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
                               "learners": row.learners, "rate": row.rate}
                              for row in self.exercises],
                "most_missed": [row.id for row in self.most_missed],
                "skipped": list(self.skipped), "name_clashes": list(self.clashes)}


def _passed(export: LearnerExport) -> set[str]:
    """The exercises ``export`` passed, by their current ids (an older loopedu may have
    written an exercise under the id it had before a rename)."""
    from .exercises.progress_summary import RENAMED

    return {RENAMED.get(ident, ident) for ident in export.passed}


def _course_order(exports: Iterable[LearnerExport]) -> list[tuple[str, int]]:
    """Every exercise of the installed catalog, then any other an export names."""
    from .exercises import catalog
    from .exercises.framework import get

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
    standings = tuple(ExerciseStanding(ident, lesson, sum(m[ident] for m in matrix.values()),
                                       len(matrix)) for ident, lesson in order)
    versions = {e.place: (e.loopedu_version, e.workspace_version) for e in rows}
    return ClassReport(tuple(matrix), {e.place: e.learner for e in rows}, standings, matrix,
                       versions, loaded.skipped, _clashes(rows))


def _lesson_groups(report: ClassReport) -> list[tuple[int, list[ExerciseStanding]]]:
    groups: dict[int, list[ExerciseStanding]] = {}
    for row in report.exercises:
        groups.setdefault(row.lesson, []).append(row)
    return list(groups.items())


def format_class_report(report: ClassReport, most_missed: int = 5) -> str:
    """A text table: one row per learner, the exercises in columns grouped by lesson
    (``x`` passed, ``.`` not), then each exercise's pass rate and the most missed.

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
    lines += ["", "Exercises (lesson, column: id, passed, rate):"]
    for lesson, rows in groups:
        for i, row in enumerate(rows, 1):
            lines.append(f"  {lesson:02d}.{i % 10}  {row.id:<24} {row.passed}/{row.learners}"
                         f"  {row.rate:4.0%}")
    missed = report.most_missed[:most_missed]
    lines += ["", "Most missed: " + (", ".join(f"{row.id} ({row.rate:.0%})" for row in missed)
                                     if missed else "none: everyone passed everything")]
    lines += _version_lines(report)
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
    from .plots import OKABE_ITO, new_figure, set_alt_text

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
    worst = report.most_missed[0] if report.most_missed else None
    set_alt_text(fig, f"Horizontal bars of the share of {len(report.learners)} learners "
                 f"who passed each of {len(rows)} exercises, in lesson order; "
                 + (f"least passed: {worst.id} ({worst.rate:.0%})." if worst
                    else "every learner passed every exercise."))
    return fig
