"""The learner's record, kept in a small local JSON file: exercises passed, failed
attempts, hints and solutions seen, and every prediction with what the machine did.

Introduced in notebooks/00-start-here.ipynb.

Storage only: this module knows nothing about the exercise catalog or how predictions
are compared (what needs those is in :mod:`loopedu.exercises.progress_summary`,
:mod:`loopedu.exercises.framework` and :mod:`loopedu.exercises.predictions`). The file
is ``progress.json`` in a folder, ``home``: every function takes it explicitly, and when
it is left out it is :func:`data_dir`, which is ``$LOOPEDU_HOME`` when that is set, else
the platform's user data folder (``$XDG_DATA_HOME/loopedu`` or ``~/.local/share/loopedu``
on Linux, ``~/Library/Application Support/loopedu`` on macOS, ``%APPDATA%\\loopedu`` on
Windows).

The file (``"format": 2``; a format-1 file, passes only, is read as it is)::

    {"format": 2,
     "passed":       {ID: {"first_passed": TIME, "failed_before": N}},
     "attempts":     {ID: {"failed": N, "recent": [{"at": TIME, "answer": SUMMARY}]}},
     "hints":        {ID: {"total": N, "shown": [{"n": 1, "at": TIME}, ...]}},
     "solutions":    {ID: {"first_viewed": TIME, "views": N}},
     "predictions":  {PID: {"value": V, "tolerance": T, "at": TIME, "machine": M,
                            "earlier": [{"value", "tolerance", "at"}, ...]}},
     "reveals":      {PID: {"at", "actual", "source", "recording", "verdict",
                            "differences", "not_measured", "predicted", "tolerance",
                            "why", "machine", "runs"}},
     "explanations": {PID: {"text": S, "at": TIME, "earlier": [...]}}}

``ID`` is an exercise id, ``PID`` a prediction id, ``TIME`` ISO 8601 UTC, ``M`` the
machine's fingerprint (:mod:`loopedu.exercises.machine`); a withdrawn prediction has
``"value": null, "skipped": true``. Lists keep their most recent entries only
(:data:`KEEP`), so the file stays small.

The file is written atomically (see :func:`loopedu.keep_edits.atomic_write_text`), and
every change to it (read, change, write) holds the lock file ``.progress.json.lock``
beside it (:func:`loopedu.keep_edits.locked`), so two kernels of one learner recording at
once keep everything both recorded; reading takes no lock. Nothing here raises because
of the file: an unwritable folder or an unreadable file is reported in words, what
could not be saved is still remembered for this session (and written with the next
change that can be), and a corrupt file is moved aside, never deleted.

(This module is ``progress_store`` rather than ``progress`` so that the name
``loopedu.exercises.progress`` stays the function.)
"""

from __future__ import annotations

import copy
import json
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..keep_edits import atomic_write_text, locked

__all__ = ["SECTIONS", "StoreStatus", "data_dir", "load", "record", "record_attempt",
           "record_explanation", "record_hint", "record_pass", "record_prediction",
           "record_reveal", "record_solution_view", "store_path", "tell_once"]

FILE_NAME = "progress.json"
LOCK_NAME = ".progress.json.lock"
FORMAT = 2
#: The tables of the file besides ``passed`` (see the module docstring).
SECTIONS = ("attempts", "hints", "solutions", "predictions", "reveals", "explanations")
#: How many recent entries a list in the file keeps.
KEEP = 20

# Passes of this session that could not be saved, by progress file: still shown by
# load() for that file, and written with the next change that can be saved there.
_UNSAVED: dict[str, dict[str, str]] = {}
# The same for every other change: (section, key, change) in the order they were made.
_PENDING: dict[str, list[tuple[str, str, Callable]]] = {}
# Progress files whose "could not be saved" was told already (see tell_once).
_TOLD: set[str] = set()


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
    passed; ``ledger`` maps each of :data:`SECTIONS` to its table (see the module
    docstring), what this session could not save included; ``failed_before`` maps a
    passed exercise to the failed attempts recorded before its pass (where known).
    """

    path: Path
    passed: Mapping[str, str]
    problem: str = ""
    ledger: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    failed_before: Mapping[str, int] = field(default_factory=dict)

    def section(self, name: str) -> Mapping[str, Any]:
        """One table of the ledger (``{}`` when nothing is in it)."""
        return self.ledger.get(name, {})


def now() -> str:
    """The time now, as the file writes it (ISO 8601 UTC, to the second)."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


class _Corrupt(Exception):
    """The progress file exists but is not what this module writes."""


def _empty() -> dict[str, dict]:
    return {"passed": {}, **{name: {} for name in SECTIONS}}


def _parse(text: str) -> dict[str, dict]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise _Corrupt(f"not valid JSON ({exc})") from None
    passed = data.get("passed") if isinstance(data, dict) else None
    if not isinstance(passed, dict):
        raise _Corrupt('no "passed" table in it')
    for ident, entry in passed.items():
        when = entry.get("first_passed") if isinstance(entry, dict) else None
        if not isinstance(ident, str) or not isinstance(when, str):
            raise _Corrupt(f"the entry for {ident!r} is not understood")
    doc = _empty()
    doc["passed"] = passed
    for name in SECTIONS:
        table = data.get(name, {})
        if not isinstance(table, dict):
            raise _Corrupt(f'the "{name}" table is not a table')
        doc[name] = table
    return doc


def _read(path: Path) -> dict[str, dict]:
    """The whole file as tables (all empty when there is no file yet).

    Raises ``_Corrupt`` for a file that cannot be understood and ``OSError`` for one
    that cannot be read.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return _empty()
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


def _dump(doc: Mapping[str, dict]) -> str:
    # Tables sorted by id; inside an entry the order is kept (a prediction's items stay
    # in the order the learner wrote them).
    data = {"format": FORMAT, **{name: dict(sorted(doc[name].items()))
                                 for name in ("passed", *SECTIONS)
                                 if doc[name] or name == "passed"}}
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


def _apply(doc: dict, passes: Mapping[str, str], changes) -> bool:
    """Make the passes and changes in ``doc``; whether anything changed."""
    changed = False
    for ident, when in passes.items():
        if ident not in doc["passed"]:
            failed = doc["attempts"].get(ident, {}).get("failed", 0)
            doc["passed"][ident] = {"first_passed": when, "failed_before": failed}
            changed = True
    for section, key, change in changes:
        old = doc[section].get(key)
        new = change(copy.deepcopy(old))
        if new is None:
            changed |= doc[section].pop(key, None) is not None
        elif new != old:
            doc[section][key] = new
            changed = True
    return changed


def _status(path: Path, doc: Mapping[str, dict], problem: str = "") -> StoreStatus:
    failed = {ident: entry["failed_before"] for ident, entry in doc["passed"].items()
              if isinstance(entry.get("failed_before"), int)}
    return StoreStatus(path, _passes(doc), problem, {name: doc[name] for name in SECTIONS},
                       failed)


def _passes(doc: Mapping[str, dict]) -> dict[str, str]:
    return {ident: entry["first_passed"] for ident, entry in doc["passed"].items()}


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
    key = str(path)
    problem = ""
    try:
        doc = _read(path)
    except _Corrupt as exc:
        doc, problem = _empty(), (f"Progress file {path} could not be understood ({exc}); "
                                  f"it will be moved aside to {path.name}.corrupt-<time> "
                                  "when you next pass an exercise.")
    except Exception as exc:  # OSError and anything else: never break a lesson
        doc, problem = _empty(), f"Progress file {path} could not be read ({_error(exc)})."
    unsaved = dict(_UNSAVED.get(key, {}))
    for ident in doc["passed"]:
        unsaved.pop(ident, None)
    _apply(doc, unsaved, _PENDING.get(key, []))
    return _status(path, doc, problem)


def _commit(home, passes: Mapping[str, str], changes: list) -> StoreStatus:
    """Save ``passes`` and ``changes`` (and whatever this session could not save
    before) under the lock; never raises (see the module docstring)."""
    path = store_path(home)
    key = str(path)
    notes = []
    try:
        # a learner's record is theirs alone: a new folder is private (on a shared hub too)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with locked(path.with_name(LOCK_NAME)):  # no other change between read and write
            try:
                doc = _read(path)
            except _Corrupt as exc:
                aside = _move_aside(path)
                notes.append(f"Progress file {path} could not be understood ({exc}); it "
                             f"was moved aside to {aside.name} and a new one started.")
                doc = _empty()
            pending = dict(_UNSAVED.get(key, {}))  # kept from before: the first time wins
            for ident, when in passes.items():
                pending.setdefault(ident, when)
            if _apply(doc, pending, _PENDING.get(key, []) + list(changes)):
                atomic_write_text(path, _dump(doc))
        _UNSAVED.pop(key, None)
        _PENDING.pop(key, None)
        _TOLD.discard(key)
        return _status(path, doc, " ".join(notes))
    except Exception as exc:
        unsaved = _UNSAVED.setdefault(key, {})
        for ident, when in passes.items():
            unsaved.setdefault(ident, when)
        _PENDING.setdefault(key, []).extend(changes)
        notes.append(f"Your progress could not be saved to {path} ({_error(exc)}); it is "
                     "kept for this session only. Set LOOPEDU_HOME to a folder you can "
                     "write to.")
        return replace(load(home), problem=" ".join(notes))


def tell_once(status: StoreStatus) -> str:
    """``status.problem`` the first time a change to its file could not be saved in this
    session, else ``""`` (a learner told once is not told at every answer); after a
    change is saved again, a new problem is told again.

    Introduced in notebooks/00-start-here.ipynb.
    """
    if not status.problem or str(status.path) in _TOLD:
        return ""
    if "could not be saved" in status.problem:
        _TOLD.add(str(status.path))
    return status.problem


def record_pass(exercise_id: str, when: str | None = None,
                home: str | os.PathLike | None = None) -> StoreStatus:
    """Remember in ``home`` that ``exercise_id`` was passed; keeps the first time, and
    how many failed attempts came before it.

    Never raises: a file that cannot be written is reported in ``problem`` and the pass
    is kept in memory, to be saved with the next change that can be.

    Example::

        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as home:
        ...     record_pass("00.kernel-transport", home=home).problem
        ...     sorted(load(home).passed)
        ''
        ['00.kernel-transport']

    Introduced in notebooks/00-start-here.ipynb.
    """
    return _commit(home, {exercise_id: when or now()}, [])


def record(section: str, key: str, change: Callable[[Any], Any],
           home: str | os.PathLike | None = None) -> StoreStatus:
    """Change entry ``key`` of table ``section`` (one of :data:`SECTIONS`) under the
    lock: ``change`` gets the entry as it is in the file (``None`` when there is none)
    and returns the new one (``None`` removes it). It may be called again later, on the
    file as it then is, when this write fails: make it depend on its argument only.

    Example::

        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as home:
        ...     _ = record("solutions", "01.x", lambda old: {"views": 1}, home)
        ...     dict(load(home).section("solutions"))
        {'01.x': {'views': 1}}

    Introduced in notebooks/00-start-here.ipynb.
    """
    if section not in SECTIONS:
        raise ValueError(f"no table {section!r} in the progress file; one of {SECTIONS}")
    return _commit(home, {}, [(section, key, change)])


def _recent(items: list, item: Any) -> list:
    return (list(items or []) + [item])[-KEEP:]


def record_attempt(exercise_id: str, summary: str, when: str | None = None,
                   home: str | os.PathLike | None = None) -> StoreStatus:
    """One failed attempt at ``exercise_id``: its count, and ``summary`` (a short text
    of the answer) among the recent ones.

    Introduced in notebooks/00-start-here.ipynb.
    """
    when = when or now()

    def change(old):
        old = old or {"failed": 0, "recent": []}
        return {"failed": old.get("failed", 0) + 1,
                "recent": _recent(old.get("recent"), {"at": when, "answer": summary})}
    return record("attempts", exercise_id, change, home)


def record_hint(exercise_id: str, n: int, total: int, when: str | None = None,
                home: str | os.PathLike | None = None) -> StoreStatus:
    """Hint ``n`` of ``total`` was shown for ``exercise_id`` (the first time counts).

    Introduced in notebooks/00-start-here.ipynb.
    """
    when = when or now()

    def change(old):
        shown = list((old or {}).get("shown", []))
        if n not in {item.get("n") for item in shown}:
            shown = sorted(shown + [{"n": n, "at": when}], key=lambda item: item["n"])
        return {"total": total, "shown": shown}
    return record("hints", exercise_id, change, home)


def record_solution_view(exercise_id: str, when: str | None = None,
                         home: str | os.PathLike | None = None) -> StoreStatus:
    """The worked answer of ``exercise_id`` was shown.

    Introduced in notebooks/00-start-here.ipynb.
    """
    when = when or now()

    def change(old):
        old = old or {}
        return {"first_viewed": old.get("first_viewed", when),
                "views": old.get("views", 0) + 1}
    return record("solutions", exercise_id, change, home)


def record_prediction(prediction_id: str, value: Any, tolerance: Any = None,
                      machine: Mapping | None = None, when: str | None = None,
                      home: str | os.PathLike | None = None) -> StoreStatus:
    """The prediction ``value`` (plain JSON data; ``None`` withdraws the current one)
    for ``prediction_id``; the one it replaces goes to ``earlier``.

    Introduced in notebooks/00-start-here.ipynb.
    """
    when = when or now()

    def change(old):
        if value is None and (old is None or old.get("value") is None):
            return old  # nothing to withdraw
        earlier = list((old or {}).get("earlier", []))
        if old is not None and old.get("value") is not None:
            earlier = _recent(earlier, {k: old.get(k) for k in ("value", "tolerance", "at")})
        entry = {"value": value, "tolerance": tolerance, "at": when,
                 "machine": dict(machine or {}), "earlier": earlier}
        if value is None:
            entry["skipped"] = True
        return entry
    return record("predictions", prediction_id, change, home)


def record_reveal(prediction_id: str, entry: Mapping[str, Any],
                  home: str | os.PathLike | None = None) -> StoreStatus:
    """What the experiment of ``prediction_id`` showed, as ``entry`` (plain JSON data,
    see the module docstring); ``runs`` counts how often it was revealed.

    Introduced in notebooks/00-start-here.ipynb.
    """
    def change(old):
        return {**entry, "runs": (old or {}).get("runs", 0) + 1}
    return record("reveals", prediction_id, change, home)


def record_explanation(prediction_id: str, text: str | None, when: str | None = None,
                       home: str | os.PathLike | None = None) -> StoreStatus:
    """The learner's own explanation of what ``prediction_id`` showed (``None``: they
    chose to skip it); an earlier one goes to ``earlier``.

    Introduced in notebooks/00-start-here.ipynb.
    """
    when = when or now()

    def change(old):
        earlier = list((old or {}).get("earlier", []))
        if old is not None and old.get("text"):
            earlier = _recent(earlier, {"text": old["text"], "at": old.get("at")})
        entry = {"text": text, "at": when, "earlier": earlier}
        if text is None:
            entry["skipped"] = True
        return entry
    return record("explanations", prediction_id, change, home)
