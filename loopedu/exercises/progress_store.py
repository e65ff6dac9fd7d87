"""Which exercises the learner has passed, kept in a small local JSON file.

Introduced in notebooks/00-start-here.ipynb.

The file is ``progress.json`` in ``$LOOPEDU_HOME`` when that is set, else in the
platform's user data folder (``$XDG_DATA_HOME/loopedu`` or ``~/.local/share/loopedu``
on Linux, ``~/Library/Application Support/loopedu`` on macOS, ``%APPDATA%\\loopedu`` on
Windows). It is written atomically (a temporary file, then ``os.replace``). Nothing
here raises because of the file: an unwritable folder or an unreadable file is
reported in words, passes are still remembered for this session, and a corrupt file is
moved aside, never deleted.

(This module is ``progress_store`` rather than ``progress`` so that the name
``loopedu.exercises.progress`` stays the function.)
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

__all__ = ["atomic_write_text", "data_dir", "progress", "progress_report",
           "record_pass", "store_path"]

FILE_NAME = "progress.json"
FORMAT = 1

# Passes of this session that could not be saved: still shown by progress().
_UNSAVED: dict[str, str] = {}


def data_dir() -> Path:
    """The folder that holds loopedu's local data (see the module docstring).

    Example::

        >>> import os; os.environ["LOOPEDU_HOME"] = "/tmp/loopedu-demo"
        >>> data_dir()
        PosixPath('/tmp/loopedu-demo')

    Introduced in notebooks/00-start-here.ipynb.
    """
    home = os.environ.get("LOOPEDU_HOME", "").strip()
    if home:
        return Path(home).expanduser()
    if sys.platform == "win32":
        appdata = os.environ.get("APPDATA", "").strip()
        base = Path(appdata) if appdata else Path.home() / "AppData" / "Roaming"
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        xdg = os.environ.get("XDG_DATA_HOME", "").strip()
        # The XDG spec says relative paths are invalid and must be ignored.
        base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".local" / "share"
    return base / "loopedu"


def store_path() -> Path:
    """The progress file: ``data_dir() / "progress.json"``.

    Example::

        >>> store_path().name
        'progress.json'

    Introduced in notebooks/00-start-here.ipynb.
    """
    return data_dir() / FILE_NAME


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old or the new file, whole.

    The text goes to a temporary file in the same folder, is flushed to disk, then
    replaces ``path`` with ``os.replace``; on any error the temporary file is removed
    and the error raised, and ``path`` is untouched. Creates missing folders.

    Example::

        >>> atomic_write_text(Path("/tmp/loopedu-demo.txt"), "hello\\n")

    Introduced in notebooks/00-start-here.ipynb.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


@dataclass(frozen=True)
class StoreStatus:
    """What happened to the progress file: ``problem`` is ``""`` when all went well."""

    path: Path
    passed: dict[str, str]
    problem: str = ""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


class _Corrupt(Exception):
    """The progress file exists but is not what this module writes."""


def _parse(text: str) -> dict[str, str]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise _Corrupt(f"not valid JSON ({exc})") from None
    passed = data.get("passed") if isinstance(data, dict) else None
    if not isinstance(passed, dict):
        raise _Corrupt('no "passed" table in it')
    result = {}
    for ident, entry in passed.items():
        when = entry.get("first_passed") if isinstance(entry, dict) else None
        if not isinstance(ident, str) or not isinstance(when, str):
            raise _Corrupt(f"the entry for {ident!r} is not understood")
        result[ident] = when
    return result


def _read(path: Path) -> dict[str, str]:
    """The recorded passes (``{}`` when there is no file yet).

    Raises ``_Corrupt`` for a file that cannot be understood and ``OSError`` for one
    that cannot be read.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _Corrupt("not UTF-8 text") from None
    return _parse(text)


def _move_aside(path: Path) -> Path:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while target.exists():
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
        n += 1
    os.replace(path, target)
    return target


def _dump(passed: dict[str, str]) -> str:
    data = {"format": FORMAT,
            "passed": {ident: {"first_passed": passed[ident]} for ident in sorted(passed)}}
    return json.dumps(data, indent=1, sort_keys=True) + "\n"


def load() -> StoreStatus:
    """Read the progress file without changing anything; never raises."""
    path = store_path()
    try:
        passed = _read(path)
    except _Corrupt as exc:
        return StoreStatus(path, dict(_UNSAVED), f"Progress file {path} could not be "
                           f"understood ({exc}); it will be moved aside to "
                           f"{path.name}.corrupt-<time> when you next pass an exercise.")
    except Exception as exc:  # OSError and anything else: never break a lesson
        return StoreStatus(path, dict(_UNSAVED),
                           f"Progress file {path} could not be read ({_error(exc)}).")
    merged = dict(_UNSAVED)
    merged.update(passed)
    return StoreStatus(path, merged)


def record_pass(exercise_id: str, when: str | None = None) -> StoreStatus:
    """Remember that ``exercise_id`` was passed; keeps the first time. Never raises.

    Example::

        >>> record_pass("00.kernel-transport").problem
        ''

    Introduced in notebooks/00-start-here.ipynb.
    """
    when = when or _now()
    path = store_path()
    notes = []
    try:
        try:
            passed = _read(path)
        except _Corrupt as exc:
            aside = _move_aside(path)
            notes.append(f"Progress file {path} could not be understood ({exc}); it was "
                         f"moved aside to {aside.name} and a new one started.")
            passed = {}
        pending = dict(_UNSAVED)  # passes of this session that could not be saved
        pending.setdefault(exercise_id, when)
        new = {ident: t for ident, t in pending.items() if ident not in passed}
        if new:
            passed.update(new)
            atomic_write_text(path, _dump(passed))
        _UNSAVED.clear()
        return StoreStatus(path, passed, " ".join(notes))
    except Exception as exc:
        _UNSAVED.setdefault(exercise_id, when)
        notes.append(f"Your progress could not be saved to {path} ({_error(exc)}); it is "
                     "kept for this session only. Set LOOPEDU_HOME to a folder you can "
                     "write to.")
        return StoreStatus(path, dict(_UNSAVED), " ".join(notes))


def progress() -> dict[str, Any]:
    """Plain data on the learner's progress through every exercise.

    Returns ``{"path": str, "problem": str, "passed": int, "total": int,
    "exercises": [{"id", "title", "lesson", "passed", "first_passed"}, ...]}``, the
    exercises in course order, ``first_passed`` an ISO 8601 UTC time or ``None``.
    ``problem`` says in words when the file could not be read (else ``""``).

    Example::

        >>> from loopedu.exercises import progress
        >>> progress()["exercises"][0]["id"]
        '00.kernel-transport'

    Introduced in notebooks/00-start-here.ipynb.
    """
    from .framework import catalog, get

    status = load()
    rows = []
    for ident in catalog():
        ex = get(ident)
        when = status.passed.get(ident)
        rows.append({"id": ident, "title": ex.title, "lesson": ex.lesson,
                     "passed": when is not None, "first_passed": when})
    return {"path": str(status.path), "problem": status.problem,
            "passed": sum(row["passed"] for row in rows), "total": len(rows),
            "exercises": rows}


def progress_report() -> str:
    """A short text table of :func:`progress`, for ``loopedu progress``.

    Example::

        >>> print(progress_report())                   # doctest: +ELLIPSIS
        Passed ... of ... exercises. Progress file: ...

    Introduced in notebooks/00-start-here.ipynb.
    """
    from .framework import Text

    data = progress()
    rows = [("lesson", "exercise", "passed", "first passed (UTC)", "title")]
    for row in data["exercises"]:
        when = (row["first_passed"] or "")[:16].replace("T", " ")
        rows.append((f"{row['lesson']:02d}", row["id"], "yes" if row["passed"] else "-",
                     when, row["title"]))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = [f"Passed {data['passed']} of {data['total']} exercises. "
             f"Progress file: {data['path']}", ""]
    for r in rows:
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(r, widths)) + "  " + r[4])
    if data["problem"]:
        lines += ["", data["problem"]]
    return Text("\n".join(line.rstrip() for line in lines))
