"""Learners' records as files: the export a learner writes, and reading exports (or
learners' progress folders) back.

Introduced in notebooks/00-start-here.ipynb (``loopedu progress --export``).

An export (``"format": "loopedu-progress"``, version 1) holds the learner's name, the
loopedu and workspace versions, the time of export, and the learner's whole record:
``passed`` (each with ``first_passed`` and ``failed_before``, the failed attempts before
the pass), ``attempts`` (failed attempts: how many, and the recent answers as short
summaries), ``hints`` (which were shown), ``solutions`` (worked answers viewed),
``predictions`` (each with its time, tolerance and the machine's fingerprint),
``reveals`` (what the experiment showed: measured here, a recording or not measured, and
the verdict) and ``explanations`` (the learner's own words), each a list of entries with
an ``"id"``, as the progress file keeps them (:mod:`loopedu.exercises.progress_store`).
Exports from before these were recorded have ``passed`` only and still read.

A learner's progress folder (a ``LOOPEDU_HOME``, holding ``progress.json``) reads as the
export its learner would write, named after the folder (see :func:`load_exports`), so an
instructor on a hub can read the folders without asking anyone to export.
"""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .. import __version__
from ..keep_edits import atomic_write_text

__all__ = ["ExportError", "LearnerExport", "LoadedExports", "export_data",
           "export_progress", "load_exports", "read_export", "read_store"]

FORMAT_NAME = "loopedu-progress"
FORMAT_VERSION = 1
#: The parts of an export beyond ``passed``: the learner's record, as lists of entries.
LEDGER = ("attempts", "hints", "solutions", "predictions", "reveals", "explanations")
#: Where a learner's progress file is inside their folder: as ``LOOPEDU_HOME`` itself,
#: or a home folder with the Linux default data folder.
STORE_PLACES = ("progress.json", ".local/share/loopedu/progress.json")


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


def export_data(learner: str | None = None, home: str | os.PathLike | None = None,
                workspace: bool = True) -> dict[str, Any]:
    """The export of the record kept in ``home`` (default: the learner's own) as plain
    data, as :func:`export_progress` writes it; ``workspace=False`` leaves the version
    of this account's workspace out (it is not the learner's, when an instructor reads
    a learner's folder).

    Example::

        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as home:
        ...     data = export_data("ada", home)
        >>> data["format"], data["version"], data["learner"], data["passed"]
        ('loopedu-progress', 1, 'ada', [])

    Introduced in notebooks/00-start-here.ipynb.
    """
    from ..exercises import progress
    from ..exercises.progress_store import load
    from ..workspace import workspace_version

    mine = progress(home)
    name = (learner if learner is not None else _learner_name()).strip()
    if not name:
        raise ExportError("the learner name is empty; give one with --learner NAME")
    stored = load(home)
    data = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "learner": name,
            "loopedu_version": __version__,
            "workspace_version": workspace_version() if workspace else None,
            "exported_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "attempts_recorded": True,
            "passed": [{"id": row.id, "lesson": row.lesson,
                        "first_passed": row.first_passed,
                        "failed_before": row.failed_before}
                       for row in mine.exercises if row.passed],
            "catalog": [{"id": row.id, "lesson": row.lesson} for row in mine.exercises]}
    for part in LEDGER:
        data[part] = [{"id": ident, "lesson": _lesson(ident), **entry}
                      for ident, entry in sorted(stored.section(part).items())
                      if isinstance(entry, dict)]
    return data


def _lesson(ident: str) -> int:
    head = ident.split(".", 1)[0]
    return int(head) if head.isdigit() else 99


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
    passed (``None`` when unknown); ``lessons`` maps every id it names to its lesson;
    ``failed_before`` maps a passed exercise to the failed attempts before its pass
    (where recorded); ``ledger`` maps each part of :data:`LEDGER` to its entries by id
    (empty for an export from before they were recorded)."""

    path: Path
    learner: str
    exported_at: datetime
    loopedu_version: str | None
    workspace_version: str | None
    passed: Mapping[str, str | None]
    lessons: Mapping[str, int]
    place: str = ""
    failed_before: Mapping[str, int] = field(default_factory=dict)
    ledger: Mapping[str, Mapping[str, Mapping[str, Any]]] = field(default_factory=dict)

    def part(self, name: str) -> Mapping[str, Mapping[str, Any]]:
        """One part of the record (``attempts``, ``predictions``, ...), by id."""
        return self.ledger.get(name, {})


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


def _ledger_part(data: dict, key: str) -> dict[str, dict[str, Any]]:
    rows = data.get(key, [])
    if not isinstance(rows, list):
        raise ValueError(f'"{key}" is not a list')
    part = {}
    for row in rows:
        if not isinstance(row, dict) or not isinstance(row.get("id"), str):
            raise ValueError(f'an entry of "{key}" has no string "id"')
        part[row["id"]] = {k: v for k, v in row.items() if k not in ("id", "lesson")}
    return part


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
    failed = {row["id"]: row["failed_before"] for row in data["passed"]
              if isinstance(row.get("failed_before"), int)
              and not isinstance(row.get("failed_before"), bool)}
    return LearnerExport(path, learner.strip(), when,
                         *(str(v) if v is not None else None for v in versions),
                         {ident: t if isinstance(t, str) else None
                          for ident, _, t in passed}, lessons, path.as_posix(), failed,
                         {key: _ledger_part(data, key) for key in LEDGER})


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


def _is_store(path: Path) -> bool:
    """Whether ``path`` is a learner's progress file rather than an export."""
    if path.name != "progress.json":
        return False
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (isinstance(data, dict) and data.get("format") != FORMAT_NAME
            and isinstance(data.get("passed"), dict))


def _stores_below(folder: Path) -> list[Path]:
    """The progress files of the learners' folders in ``folder`` (see
    :data:`STORE_PLACES`), hidden data folders included; a learner's folder this user
    may not read is left out (as the search for ``*.json`` leaves it out)."""
    found = []
    for learner in sorted(p for p in folder.iterdir() if p.is_dir()
                          and not p.name.startswith(".")):
        for place in STORE_PLACES[1:]:
            try:
                if (learner / place).is_file():
                    found.append(learner / place)
            except PermissionError:   # another learner's folder: not ours to read
                break
    return found


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
            files += [(p, p.relative_to(path).as_posix()) for p in _stores_below(path)]
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


def read_store(path: str | os.PathLike, learner: str) -> LearnerExport:
    """A learner's progress file (``progress.json`` in their ``LOOPEDU_HOME``), read as
    the export ``learner`` would write; :class:`ExportError` when it cannot be read.

    Introduced in notebooks/00-start-here.ipynb.
    """
    from ..exercises.progress_store import load

    path = Path(path)
    problem = load(path.parent).problem
    if problem:
        raise ExportError(f"{path}: {problem}")
    data = export_data(learner, path.parent, workspace=False)
    return _validate(path, data)


def _store_learner(place: str, path: Path) -> str:
    """The learner a progress file belongs to: the first folder of its place inside the
    folder read (``alice/progress.json``: alice), else its own folder's name."""
    parts = Path(place).parts
    return parts[0] if len(parts) > 1 and not Path(place).is_absolute() \
        else path.parent.name


def load_exports(paths_or_dir: str | os.PathLike | Iterable[str | os.PathLike]
                 ) -> LoadedExports:
    """Read every export among the files given, or the ``*.json`` files of a folder
    (searched recursively, hidden ones left out): one per file, with its place (see
    the module docstring). A file that is not a valid export is skipped with the reason.

    A learner's progress file (``progress.json`` that is not an export) is read as the
    export its learner would write (:func:`read_store`), named after the first folder
    of its place: a hub's folder of ``LOOPEDU_HOME`` folders (``alice/progress.json``)
    or of home folders (``alice/.local/share/loopedu/progress.json``) reads as a class.

    Introduced in notebooks/00-start-here.ipynb.
    """
    exports, skipped = [], []
    for path, place in _json_files(paths_or_dir).items():
        try:
            if _is_store(path):
                export = read_store(path, _store_learner(place, path))
            else:
                export = read_export(path)
            exports.append(replace(export, place=place))
        except ExportError as exc:
            skipped.append(str(exc))
    ordered = tuple(sorted(exports, key=lambda e: (e.learner.casefold(), e.place)))
    return LoadedExports(ordered, tuple(skipped))


