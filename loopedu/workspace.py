"""A learner's workspace: their own copy of every lesson and exercise, safe to edit.

Introduced in notebooks/00-start-here.ipynb.

``loopedu workspace [DIR]`` (and ``loopedu lab``, before it opens JupyterLab there)
writes into DIR, by default ``$LOOPEDU_WORKSPACE`` or else ``~/loopedu-workspace``:

- ``notebooks/NN-*.ipynb``: every lesson, outputs and execution counts cleared and
  solution blocks (example predictions) replaced by a placeholder; the other notebooks
  of ``notebooks/`` (reference pages such as ``popular-claims.ipynb``) the same way;
- ``exercises/*.ipynb``: the student version of every exercise notebook;
- the other files of the course's ``notebooks/`` (a glossary, figures), but not the
  jupytext ``.py`` sources, ``__pycache__``, checkpoints or hidden files.

The layout is the course's, so links between lessons and exercises keep working. The
notebooks are built by :func:`loopedu.exercises.student.student_text` and written by
:func:`loopedu.keep_edits.write_files`: running again adds what is new and replaces what
nobody changed, but never overwrites a file the learner changed; the new version goes
beside it as ``NAME.updated.ipynb``. Nothing is ever deleted.

The default lies outside the course checkout because on JupyterHub nbgitpuller pulls
the course into a git checkout and merges: files learners edit there get in the way of
the next pull. The checkout stays the instructor's; the workspace is the learner's.

Where a workspace may not go (:func:`check_workspace`, one line saying why and what to
do, before anything is written):

- the course checkout itself, or inside its ``notebooks/`` or ``exercises/`` (the
  workspace would overwrite the reference it is made from);
- inside a git checkout (any, the course's included), unless git ignores every file the
  workspace writes there: a pull would clash with the learner's edits, and a commit
  would take them in. A checkout is found by its ``.git``; ``git check-ignore`` decides
  (``.gitignore``, ``.git/info/exclude``). A workspace its learner made a git repository
  afterwards (``git init`` in it) is theirs and stays usable.

Anywhere else is fine: a course without ``.git`` (from a zip file, say) accepts a
workspace in any subfolder but those two.

Every run records which version of the course the workspace was last brought up to date
from in ``.loopedu-workspace.json`` (:func:`course_version`: the course's loopedu
version, and its git commit when the course is a git checkout, as on a hub after
nbgitpuller); :func:`workspace_version` reads it back, and ``loopedu progress
--export`` puts it in the learner's export so an instructor sees who has not pulled.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
from dataclasses import dataclass
from datetime import datetime, timezone
from fnmatch import fnmatch
from pathlib import Path

from .keep_edits import (
    MANIFEST,
    UPDATED_TAG,
    FileResult,
    OutputError,
    WriteOutcome,
    atomic_write_text,
    recorded,
    write_files,
    written_before,
)

__all__ = ["WorkspaceError", "WorkspaceUpdate", "check_workspace", "course_digest",
           "course_version",
           "default_workspace", "learner_files", "update_workspace", "workspace_version"]

ENV = "LOOPEDU_WORKSPACE"
DEFAULT_NAME = "loopedu-workspace"
INFO = ".loopedu-workspace.json"  # which course version the workspace was made from
_VERSION_LINE = re.compile(r'^__version__\s*=\s*["\']([^"\']+)["\']', re.MULTILINE)
LESSON_GLOB = "[0-9][0-9]-*.ipynb"
SOURCE_GLOB = "[0-9][0-9]-*.py"  # a lesson's jupytext source
_SKIPPED_FOLDERS = {"__pycache__", ".ipynb_checkpoints"}
_SKIPPED_ENDINGS = (".pyc", ".pyo", "~", ".ipynb")  # notebooks are built, not copied


class WorkspaceError(ValueError):
    """The workspace cannot be made as asked; the message says why and what to do.
    Nothing has been written when it is raised."""


def default_workspace() -> Path:
    """Where the learner's workspace goes: ``$LOOPEDU_WORKSPACE``, else
    ``~/loopedu-workspace``.

    Introduced in notebooks/00-start-here.ipynb.
    """
    chosen = os.environ.get(ENV, "").strip()
    if chosen:
        return Path(chosen).expanduser()
    try:
        return Path.home() / DEFAULT_NAME
    except (RuntimeError, KeyError):  # no home folder to be found
        raise WorkspaceError(f"cannot find your home folder; set {ENV} to the folder your "
                             "workspace should go in") from None


def _lessons(course: Path) -> list[Path]:
    return sorted(p for p in (course / "notebooks").glob(LESSON_GLOB) if p.is_file())


def _pages(course: Path) -> list[Path]:
    """The notebooks of ``notebooks/`` that are not lessons: reference pages."""
    return sorted(p for p in (course / "notebooks").glob("*.ipynb")
                  if p.is_file() and not fnmatch(p.name, LESSON_GLOB)
                  and not p.name.startswith("."))


def _exercises(course: Path) -> list[Path]:
    return sorted(p for p in (course / "exercises").glob("*.ipynb") if p.is_file())


def _is_source(path: Path) -> bool:
    """A jupytext source: a lesson's ``.py``, or a ``.py`` beside its notebook."""
    return path.suffix == ".py" and (fnmatch(path.name, SOURCE_GLOB)
                                     or path.with_suffix(".ipynb").exists())


def _other_files(course: Path) -> list[Path]:
    """The files of ``notebooks/`` learners need besides the lessons."""
    found = []
    for here, folders, names in os.walk(course / "notebooks"):
        folders[:] = sorted(f for f in folders
                            if f not in _SKIPPED_FOLDERS and not f.startswith("."))
        for name in sorted(names):
            path = Path(here, name)
            if not (name.startswith(".") or name.endswith(_SKIPPED_ENDINGS)
                    or _is_source(path)):
                found.append(path)
    return found


def learner_files(course: str | os.PathLike) -> list[tuple[str, str | bytes]]:
    """Every file of a workspace made from ``course``: ``(name, content)`` pairs, the
    name relative to the workspace (``notebooks/00-start-here.ipynb``); lessons first,
    then reference pages, exercises, and the other files of ``notebooks/``. Reads only.

    Raises :class:`WorkspaceError` when ``course`` holds no lesson, and
    :class:`loopedu.exercises.student.StudentBuildError` for a notebook whose solution
    markers do not pair up.

    Introduced in notebooks/00-start-here.ipynb.
    """
    from .exercises.student import student_text

    course = Path(course)
    lessons = _lessons(course)
    if not lessons:
        raise WorkspaceError(f"{course} holds no lessons (notebooks/NN-*.ipynb); pass the "
                             "folder you cloned the course into")
    files: list[tuple[str, str | bytes]] = []
    for path in lessons + _pages(course) + _exercises(course):
        files.append((path.relative_to(course).as_posix(), student_text(path)))
    for path in _other_files(course):
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise WorkspaceError(f"cannot read {path} ({exc.strerror or exc}); check the "
                                 "course's files") from None
        files.append((path.relative_to(course).as_posix(), data))
    return files


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _git_top(folder: Path) -> Path | None:
    """The top folder of the git work tree ``folder`` is in, if any."""
    for candidate in (folder, *folder.parents):
        try:
            if (candidate / ".git").exists():
                return candidate
        except OSError:  # a folder this user may not look into: not theirs to write
            continue
    return None


def _elsewhere() -> str:
    return f"choose a folder outside it, e.g. ~/{DEFAULT_NAME} (or set {ENV})"


def _git_env() -> dict:
    """This environment without GIT_* variables (a hook's GIT_DIR would point git at
    another repository)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}


def _git_ignores(top: Path, paths: list[Path]) -> bool:
    """Whether git ignores every one of ``paths`` in the work tree at ``top``."""
    names = [p.relative_to(top).as_posix() for p in paths]
    try:
        done = subprocess.run(["git", "-C", str(top), "check-ignore", "-z", "--stdin"],
                              input="\0".join(names) + "\0", capture_output=True,
                              text=True, env=_git_env(), timeout=60)
    except (OSError, subprocess.SubprocessError) as exc:
        reason = f"git could not be run ({exc})"
    else:
        if done.returncode in (0, 1):  # 1: none of them is ignored
            return set(names) <= set(done.stdout.split("\0"))
        reason = f"git failed: {(done.stderr.strip().splitlines() or ['?'])[0]}"
    raise WorkspaceError(f"{paths[0].parent} is inside the git checkout {top}, and {reason} "
                         f"to check that it ignores the workspace; {_elsewhere()}")


def check_workspace(workspace: str | os.PathLike, course: str | os.PathLike,
                    names: list[str] | tuple[str, ...] = ()) -> None:
    """Raise :class:`WorkspaceError` if ``workspace`` may not hold a workspace made from
    ``course`` whose files are ``names`` (see the module docstring). Writes nothing.

    Introduced in notebooks/00-start-here.ipynb.
    """
    ws = Path(workspace).expanduser().resolve()
    course = Path(course).resolve()
    if ws == course:
        raise WorkspaceError(f"{ws} is the course checkout itself: the workspace would "
                             f"overwrite its notebooks/ and exercises/; {_elsewhere()}")
    for folder in ("notebooks", "exercises"):
        if _inside(ws, course / folder):
            raise WorkspaceError(f"{ws} is inside the course's {folder}/, the reference the "
                                 f"workspace is made from; {_elsewhere()}")
    top = _git_top(ws)
    if top is None or (top == ws and (ws / MANIFEST).is_file()):
        return  # no git here, or a workspace its learner put under git
    if top == ws:
        raise WorkspaceError(f"{ws} is a git checkout: a pull would clash with your edits; "
                             f"{_elsewhere()}")
    if not _git_ignores(top, [ws / MANIFEST, ws / INFO, *(ws / name for name in names)]):
        where = ws.relative_to(top).as_posix()
        raise WorkspaceError(
            f"{ws} is inside the git checkout {top}, which does not ignore it: a pull would "
            f"clash with your edits; {_elsewhere()}, or add '/{where}/' to "
            f"{top / '.gitignore'}")


@dataclass(frozen=True)
class WorkspaceUpdate:
    """What :func:`update_workspace` did: the workspace ``path``, the ``course`` it was
    made from, and a :class:`loopedu.keep_edits.FileResult` per file (``wrote`` says which
    ones this run wrote).

    Introduced in notebooks/00-start-here.ipynb.
    """

    path: Path
    course: Path
    files: tuple[FileResult, ...]
    retired: tuple[str, ...] = ()
    version: str | None = None

    def name(self, path: Path) -> str:
        """``path`` relative to the workspace, as written in reports."""
        return path.relative_to(self.path).as_posix()

    @property
    def changed(self) -> tuple[FileResult, ...]:
        """The files this run wrote (a new version beside an edit counts)."""
        return tuple(r for r in self.files if r.wrote)

    def counts(self) -> dict[str, int]:
        """How many files were created, updated, got a new version beside the learner's
        edit, or were left as they were; and how many hold the learner's edits."""
        wrote = [r for r in self.files if r.wrote]
        return {"created": sum(r.outcome is WriteOutcome.CREATED for r in wrote),
                "updated": sum(r.outcome is WriteOutcome.UPDATED for r in wrote),
                "new_version_beside_your_edit": sum(r.outcome is WriteOutcome.KEPT_EDIT
                                                    for r in wrote),
                "unchanged": len(self.files) - len(wrote),
                "your_edits": sum(r.outcome is WriteOutcome.KEPT_EDIT for r in self.files)}

    def line(self, result: FileResult) -> str:
        """One line for a file this run wrote."""
        if result.outcome is WriteOutcome.KEPT_EDIT:
            return (f"kept      {self.name(result.path)}: you changed it, so it stays as it "
                    f"is; the new version is {self.name(result.current)}")
        return f"{result.outcome.value:<9} {self.name(result.path)}"

    def summary(self) -> str:
        """One line: what changed, or that nothing did."""
        n = self.counts()
        edits = n["your_edits"]
        kept = (f"; {edits} file{'s' if edits > 1 else ''} you changed, kept as "
                f"{'they are' if edits > 1 else 'it is'}") if edits else ""
        if not self.changed:
            return f"nothing changed: {len(self.files)} files up to date{kept}"
        beside = n["new_version_beside_your_edit"]
        parts = [f"{n['created']} created", f"{n['updated']} updated",
                 f"{beside} new version{'s' if beside > 1 else ''} beside your edits",
                 f"{n['unchanged']} unchanged"]
        return ", ".join(part for part in parts if not part.startswith("0 ")) + kept

    def report(self) -> str:
        """The workspace, a line per file this run wrote, the files the course no longer
        has (kept: they are the learner's), and the summary."""
        made = f"{self.course}, version {self.version}" if self.version else self.course
        lines = [f"workspace {self.path} (from {made})"]
        lines += [self.line(r) for r in self.changed]
        lines += [f"retired   {name}: no longer in the course (a lesson renamed or "
                  "removed); kept for you, delete it when you like" for name in self.retired]
        return "\n".join(lines + [self.summary()])

    def to_dict(self) -> dict:
        """The update as JSON-ready data."""
        return {"workspace": str(self.path), "course": str(self.course),
                "version": self.version, "summary": self.counts(),
                "files": [{"name": self.name(r.path), "outcome": r.outcome.value,
                           "new_version": self.name(r.new_version) if r.new_version
                           else None, "wrote": r.wrote} for r in self.files],
                "retired": list(self.retired)}


def update_workspace(course: str | os.PathLike,
                     workspace: str | os.PathLike | None = None) -> WorkspaceUpdate:
    """Write or bring up to date the learner's workspace made from the course checkout
    ``course``: in ``workspace``, by default :func:`default_workspace`. See the module
    docstring; refusals raise :class:`WorkspaceError` before anything is written.

    Example::

        >>> import tempfile
        >>> from loopedu.course import course_root
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     first = update_workspace(course_root(), folder)
        ...     second = update_workspace(course_root(), folder)
        ...     print(first.line(first.files[0]))
        ...     print(second.summary())                      # doctest: +ELLIPSIS
        created   notebooks/00-start-here.ipynb
        nothing changed: ... files up to date

    Introduced in notebooks/00-start-here.ipynb.
    """
    course = Path(course).expanduser()
    if not course.is_dir():
        raise WorkspaceError(f"{course} is not a folder; pass the folder you cloned the "
                             "course into")
    ws = Path(workspace).expanduser() if workspace is not None else default_workspace()
    digest, version = course_digest(course), course_version(course)
    unchanged = _unchanged_since_last_run(ws, course, digest, version)
    if unchanged is not None:
        return unchanged
    files = learner_files(course)
    check_workspace(ws, course, [name for name, _ in files])
    ws.mkdir(mode=0o700, parents=True, exist_ok=True)   # a learner's work: private when new
    ws = ws.resolve()
    results = tuple(write_files(ws, files))
    current = {name for name, _ in files} | {r.new_version.relative_to(ws).as_posix()
                                              for r in results if r.new_version}
    retired = sorted(name for name in written_before(ws) - current
                     if (ws / name).exists() and ".updated" not in name)
    info = {"format": 1, "about": "The course version this workspace was last brought up "
                                  "to date from; loopedu progress --export reports it.",
            "course_version": version, "course": str(course.resolve()),
            "course_digest": digest,
            "updated_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    try:
        atomic_write_text(ws / INFO, json.dumps(info, indent=1) + "\n")
    except OSError as exc:
        raise OutputError(f"cannot write {ws / INFO} ({exc.strerror or exc}); the lessons "
                          "were written, check the folder's permissions and run again"
                          ) from None
    return WorkspaceUpdate(ws, course.resolve(), results, tuple(retired), version)


def course_digest(course: str | os.PathLike) -> str:
    """A SHA-256 of everything a workspace is made from: each file of the course that
    :func:`learner_files` reads (name and bytes), and the code that turns them into the
    learner's versions. Reading it costs a few milliseconds; building the workspace
    costs seconds.

    Introduced in notebooks/00-start-here.ipynb.
    """
    from . import __version__

    course = Path(course)
    digest = hashlib.sha256(f"loopedu {__version__}\0".encode())
    builder = Path(__file__).resolve().parent / "exercises" / "student.py"
    for path in [builder, *_lessons(course), *_pages(course), *_exercises(course),
                 *_other_files(course)]:
        digest.update(path.name.encode() + b"\0")
        try:
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        except OSError:
            digest.update(b"unreadable")
    return digest.hexdigest()


def _unchanged_since_last_run(ws: Path, course: Path, digest: str,
                              version: str) -> WorkspaceUpdate | None:
    """The update of a workspace that is already what ``course`` makes: the last run
    recorded the same :func:`course_digest` and course version, and every file it wrote
    is still there (one the learner deleted is written again by a full run). None when a
    full run is needed."""
    try:
        info = json.loads((ws / INFO).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    wrote = recorded(ws)
    if (not isinstance(info, dict) or info.get("course_digest") != digest or not wrote
            or info.get("course") != str(course.resolve())
            or info.get("course_version") != version
            or not all((ws / name).is_file() for name in wrote)):
        return None
    check_workspace(ws, course, sorted(wrote))
    ws = ws.resolve()
    results = []
    for name in sorted(wrote):
        if f".{UPDATED_TAG}" in Path(name).name:
            continue   # the new version beside an edit: reported with the edit
        path = ws / name
        if hashlib.sha256(path.read_bytes()).hexdigest() == wrote[name]:
            results.append(FileResult(path, WriteOutcome.UNCHANGED))
            continue
        stem, suffix = Path(name).stem, Path(name).suffix
        beside = sorted(n for n in wrote if Path(n).parent == Path(name).parent
                        and Path(n).name.startswith(f"{stem}.{UPDATED_TAG}")
                        and n.endswith(suffix))
        results.append(FileResult(path, WriteOutcome.KEPT_EDIT,
                                  ws / beside[-1] if beside else None))
    return WorkspaceUpdate(ws, course.resolve(), tuple(results), (), version)


def course_version(course: str | os.PathLike) -> str:
    """The version of the course checkout ``course``: the ``__version__`` its
    ``loopedu/__init__.py`` writes (else this loopedu's), with ``+g`` and the commit's
    first 12 hex digits when ``course`` is a git checkout whose HEAD git can read.

    Example::

        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     Path(folder, "loopedu").mkdir()
        ...     _ = Path(folder, "loopedu", "__init__.py").write_text('__version__ = "9.1"')
        ...     course_version(folder)
        '9.1'

    Introduced in notebooks/00-start-here.ipynb.
    """
    course = Path(course)
    try:
        found = _VERSION_LINE.search((course / "loopedu" / "__init__.py").read_text())
    except (OSError, UnicodeDecodeError):
        found = None
    if found is None:
        from . import __version__ as version
    else:
        version = found.group(1)
    if _git_top(course.resolve()) is None:
        return version
    try:
        done = subprocess.run(["git", "-C", str(course), "rev-parse", "--verify", "-q", "HEAD"],
                              capture_output=True, text=True, env=_git_env(), timeout=30)
    except (OSError, subprocess.SubprocessError):
        return version
    commit = done.stdout.strip()
    if done.returncode != 0 or not re.fullmatch(r"[0-9a-f]{40,64}", commit):
        return version
    return f"{version}+g{commit[:12]}"


def workspace_version(workspace: str | os.PathLike | None = None) -> str | None:
    """The course version ``workspace`` (default: :func:`default_workspace`) was last
    brought up to date from, as :func:`course_version` gave it; ``None`` when it records
    none (no workspace, or one made before loopedu recorded versions).

    Introduced in notebooks/00-start-here.ipynb.
    """
    try:
        ws = Path(workspace) if workspace is not None else default_workspace()
        data = json.loads((ws / INFO).read_text(encoding="utf-8"))
    except (OSError, ValueError, WorkspaceError):
        return None
    version = data.get("course_version") if isinstance(data, dict) else None
    return version if isinstance(version, str) and version.strip() else None
