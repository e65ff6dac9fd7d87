"""Which exercises the learner has passed, kept in a small local JSON file.

Introduced in notebooks/00-start-here.ipynb.

Storage only: this module knows nothing about the exercise catalog (what needs both is
in :mod:`loopedu.exercises.progress_summary`). The file is ``progress.json`` in a
folder, ``home``: every function takes it explicitly, and when it is left out it is
:func:`data_dir`, which is ``$LOOPEDU_HOME`` when that is set, else the platform's user
data folder (``$XDG_DATA_HOME/loopedu`` or ``~/.local/share/loopedu`` on Linux,
``~/Library/Application Support/loopedu`` on macOS, ``%APPDATA%\\loopedu`` on Windows).

The file is written atomically (see :func:`loopedu.release.atomic_write_text`), and
every change to it (read, change, write) holds the lock file ``.progress.json.lock``
beside it (:func:`loopedu.release.locked`), so two kernels of one learner passing
exercises at once keep both passes; reading takes no lock. Nothing here raises because
of the file: an unwritable folder or an unreadable file is reported in words, passes
are still remembered for this session, and a corrupt file is moved aside, never
deleted.

(This module is ``progress_store`` rather than ``progress`` so that the name
``loopedu.exercises.progress`` stays the function.)
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ..release import atomic_write_text, locked

__all__ = ["StoreStatus", "data_dir", "load", "record_pass", "store_path"]

FILE_NAME = "progress.json"
LOCK_NAME = ".progress.json.lock"
FORMAT = 1

# Passes of this session that could not be saved, by progress file: still shown by
# load() for that file, and written with the next pass that can be saved there.
_UNSAVED: dict[str, dict[str, str]] = {}


def data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The folder that holds loopedu's local data (see the module docstring).

    ``environ`` is where the variables are read (``os.environ`` when left out).

    Example::

        >>> data_dir({"LOOPEDU_HOME": "~/course-data"}) == Path.home() / "course-data"
        True

    Introduced in notebooks/00-start-here.ipynb.
    """
    env = os.environ if environ is None else environ
    home = env.get("LOOPEDU_HOME", "").strip()
    if home:
        return Path(home).expanduser()
    if sys.platform == "win32":
        appdata = env.get("APPDATA", "").strip()
        base = Path(appdata) if appdata else Path.home() / "AppData" / "Roaming"
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        xdg = env.get("XDG_DATA_HOME", "").strip()
        # The XDG spec says relative paths are invalid and must be ignored.
        base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".local" / "share"
    return base / "loopedu"


def store_path(home: str | os.PathLike | None = None) -> Path:
    """The progress file: ``progress.json`` in ``home`` (default :func:`data_dir`).

    Example::

        >>> store_path("course-data") == Path("course-data", "progress.json")
        True

    Introduced in notebooks/00-start-here.ipynb.
    """
    return (data_dir() if home is None else Path(home)) / FILE_NAME


@dataclass(frozen=True)
class StoreStatus:
    """What happened to the progress file: ``problem`` is ``""`` when all went well.

    ``passed`` maps each passed exercise id to the ISO 8601 UTC time it was first
    passed.
    """

    path: Path
    passed: Mapping[str, str]
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


def _dump(passed: Mapping[str, str]) -> str:
    data = {"format": FORMAT,
            "passed": {ident: {"first_passed": passed[ident]} for ident in sorted(passed)}}
    return json.dumps(data, indent=1, sort_keys=True) + "\n"


def load(home: str | os.PathLike | None = None) -> StoreStatus:
    """Read the progress file in ``home`` without changing anything; never raises.

    Example::

        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as home:
        ...     dict(load(home).passed)
        {}

    Introduced in notebooks/00-start-here.ipynb.
    """
    path = store_path(home)
    unsaved = _UNSAVED.get(str(path), {})
    try:
        passed = _read(path)
    except _Corrupt as exc:
        return StoreStatus(path, dict(unsaved), f"Progress file {path} could not be "
                           f"understood ({exc}); it will be moved aside to "
                           f"{path.name}.corrupt-<time> when you next pass an exercise.")
    except Exception as exc:  # OSError and anything else: never break a lesson
        return StoreStatus(path, dict(unsaved),
                           f"Progress file {path} could not be read ({_error(exc)}).")
    merged = dict(unsaved)
    merged.update(passed)
    return StoreStatus(path, merged)


def record_pass(exercise_id: str, when: str | None = None,
                home: str | os.PathLike | None = None) -> StoreStatus:
    """Remember in ``home`` that ``exercise_id`` was passed; keeps the first time.

    Never raises: a file that cannot be written is reported in ``problem`` and the pass
    is kept in memory, to be saved with the next pass that can be.

    Example::

        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as home:
        ...     record_pass("00.kernel-transport", home=home).problem
        ...     sorted(load(home).passed)
        ''
        ['00.kernel-transport']

    Introduced in notebooks/00-start-here.ipynb.
    """
    when = when or _now()
    path = store_path(home)
    key = str(path)
    notes = []
    try:
        with locked(path.with_name(LOCK_NAME)):  # no other change between read and write
            try:
                passed = _read(path)
            except _Corrupt as exc:
                aside = _move_aside(path)
                notes.append(f"Progress file {path} could not be understood ({exc}); it "
                             f"was moved aside to {aside.name} and a new one started.")
                passed = {}
            pending = dict(_UNSAVED.get(key, {}))  # passes that could not be saved before
            pending.setdefault(exercise_id, when)
            new = {ident: t for ident, t in pending.items() if ident not in passed}
            if new:
                passed.update(new)
                atomic_write_text(path, _dump(passed))
        _UNSAVED.pop(key, None)
        return StoreStatus(path, passed, " ".join(notes))
    except Exception as exc:
        unsaved = _UNSAVED.setdefault(key, {})
        unsaved.setdefault(exercise_id, when)
        notes.append(f"Your progress could not be saved to {path} ({_error(exc)}); it is "
                     "kept for this session only. Set LOOPEDU_HOME to a folder you can "
                     "write to.")
        return StoreStatus(path, dict(unsaved), " ".join(notes))
