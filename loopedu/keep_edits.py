"""Write generated files into a learner's folder without ever losing their edits.

Introduced in notebooks/00-start-here.ipynb (``loopedu student``; later a learner's
workspace of every lesson).

:func:`write_files` writes a set of generated files (student versions of exercise
notebooks, say) into an output folder and remembers what it wrote: a small manifest,
``.loopedu-manifest.json`` in that folder, holds the SHA-256 of each file as written.
On the next run, for each file:

- missing: it is written (``CREATED``);
- already the new content: left alone (``UNCHANGED``);
- unchanged since it was written (its SHA-256 is the one in the manifest): replaced by
  the new version (``UPDATED``), keeping its permissions;
- anything else (edited since it was written, or there without a manifest entry and
  different): it is the learner's and is kept. The new version goes beside it, as
  ``NAME.updated.ipynb`` for ``NAME.ipynb`` (``NAME.updated-2.ipynb`` when that one
  was edited too), a name that sorts next to the original (``KEPT_EDIT``). When the
  new version is still the one it was edited from, there is nothing to write beside
  it (``KEPT_EDIT`` without ``new_version``).

Every write is atomic (:func:`atomic_write_text`): readers see the old file or the new
one, whole. New files get the usual permissions (``0o666`` less the umask), as an
editor would create them, and a replaced file keeps its mode.
"""

from __future__ import annotations

import enum
import errno
import hashlib
import json
import os
import secrets
import stat
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

__all__ = ["MANIFEST", "FileResult", "WriteOutcome", "OutputError", "written_before",
           "atomic_write_bytes",
           "atomic_write_text", "beside_name", "check_output_folder", "locked",
           "write_files"]

MANIFEST = ".loopedu-manifest.json"
FORMAT = 1
UPDATED_TAG = "updated"
_MAX_BESIDE = 100


class OutputError(Exception):
    """A file in the output folder could not be written; the message names it and says
    what to do. Files written before it are recorded, so running again is safe."""


class WriteOutcome(enum.Enum):
    """What :func:`write_files` did with one file."""

    CREATED = "created"
    UNCHANGED = "unchanged"
    UPDATED = "updated"
    KEPT_EDIT = "kept"


@dataclass(frozen=True)
class FileResult:
    """One file of :func:`write_files`: ``path`` is where it belongs; for ``KEPT_EDIT``
    ``new_version`` is where the new version went, beside the learner's own file
    (``None`` when the learner edited the version that is still the newest).
    ``wrote`` says whether this run wrote a file (``path``, or the new version beside
    it): false when all was already as it should be (it is left out of comparisons).

    Example::

        >>> print(FileResult(Path("out", "a.ipynb"), WriteOutcome.KEPT_EDIT,
        ...                  Path("out", "a.updated.ipynb")))   # doctest: +ELLIPSIS
        kept      out...a.ipynb (it differs from what loopedu wrote there); the new version is ...

    Introduced in notebooks/00-start-here.ipynb.
    """

    path: Path
    outcome: WriteOutcome
    new_version: Path | None = None
    wrote: bool = field(default=False, compare=False, repr=False)

    @property
    def current(self) -> Path:
        """The file to open for the newest version: the one beside, else ``path``."""
        return self.new_version or self.path

    def __str__(self) -> str:
        head = f"{self.outcome.value:<9} {self.path}"
        if self.outcome is WriteOutcome.KEPT_EDIT and self.new_version is None:
            head += " (it differs from what loopedu wrote there; nothing new to add)"
        elif self.outcome is WriteOutcome.KEPT_EDIT:
            head += (f" (it differs from what loopedu wrote there); the new version is "
                     f"{self.new_version}")
        return head


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _open_temp(path: Path) -> tuple[int, Path]:
    """A new temporary file beside ``path``, created with mode 0o666 so that the
    kernel applies the umask (and any default ACL) as for any new file."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {path}")


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old or the new file, whole.

    The bytes go to a temporary file in the same folder, are flushed to disk, then
    replace ``path`` with ``os.replace``, and the folder is flushed too (POSIX), so the
    new name survives a crash; on any error before the replace the temporary file is
    removed, the error raised and ``path`` is untouched. Creates missing folders. A new
    file gets ``0o666`` less the umask; a replaced one keeps its mode (and, where this
    process may, its owner).

    Introduced in notebooks/00-start-here.ipynb.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        old = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        old = None
    fd, tmp = _open_temp(path)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if old is not None:
            os.chmod(tmp, stat.S_IMODE(old.st_mode))
            new = os.stat(tmp)
            if hasattr(os, "chown") and (new.st_uid, new.st_gid) != (old.st_uid, old.st_gid):
                try:
                    os.chown(tmp, old.st_uid, old.st_gid)
                except OSError:
                    pass  # not allowed: the file becomes this user's, as with an editor
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _sync_folder(path.parent)


#: fsync() of a folder that the file system cannot flush that way: nothing to do.
_NO_FOLDER_SYNC = {errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EBADF}


def _sync_folder(folder: Path) -> None:
    """Flush ``folder``'s entries to disk, so that a rename in it is durable (POSIX;
    Windows has no such call and needs none for ``os.replace``)."""
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return  # a folder this user may write but not read: the rename stands unflushed
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in _NO_FOLDER_SYNC:
            raise
    finally:
        os.close(fd)


#: Lock errors that mean "another process holds it": wait and try again.
_LOCK_BUSY = {errno.EAGAIN, errno.EWOULDBLOCK, errno.EACCES, errno.EDEADLK}
#: Lock errors that mean "this file system has no locks": go on without one.
_NO_LOCKS = {errno.ENOLCK, errno.ENOTSUP, errno.EOPNOTSUPP}


def _try_lock(fd: int) -> bool:
    """Take the lock on ``fd`` if it is free; False when another process holds it."""
    try:
        if os.name == "nt":
            import msvcrt

            os.lseek(fd, 0, os.SEEK_SET)  # msvcrt locks bytes from the file position
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in _LOCK_BUSY:
            return False
        raise
    return True


def _unlock(fd: int) -> None:
    if os.name == "nt":
        import msvcrt

        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
    # POSIX: closing the descriptor releases the flock


@contextmanager
def locked(lock_file: str | os.PathLike, timeout: float = 10.0) -> Iterator[None]:
    """Hold an exclusive lock on ``lock_file`` (created if missing, never removed)
    while the ``with`` block reads, changes and writes a file beside it: another
    process, or another thread, taking the same lock waits until it is released.

    ``fcntl.flock`` on POSIX, ``msvcrt.locking`` on Windows; the lock goes when the
    block ends or the process dies. ``TimeoutError`` after ``timeout`` seconds of
    waiting. On a file system without locks (ENOLCK) the block runs unlocked.

    Example::

        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     with locked(Path(folder, ".notes.lock")):
        ...         atomic_write_text(Path(folder, "notes.txt"), "mine\\n")
        ...     sorted(p.name for p in Path(folder).iterdir())
        ['.notes.lock', 'notes.txt']

    Introduced in notebooks/00-start-here.ipynb.
    """
    path = Path(lock_file)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o666)
    try:
        deadline, pause = time.monotonic() + timeout, 0.001
        try:
            while not _try_lock(fd):
                if time.monotonic() >= deadline:
                    raise TimeoutError(f"another process held the lock {path} for more "
                                       f"than {timeout:g} s")
                time.sleep(pause)
                pause = min(pause * 2, 0.05)
            held = True
        except OSError as exc:
            if exc.errno not in _NO_LOCKS:
                raise
            held = False  # this file system cannot lock: the block runs unlocked
        try:
            yield
        finally:
            if held:
                _unlock(fd)
    finally:
        os.close(fd)


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """:func:`atomic_write_bytes` for text: UTF-8, ``\\n`` line ends.

    Example::

        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     atomic_write_text(Path(folder, "notes", "hello.txt"), "hello\\n")
        ...     Path(folder, "notes", "hello.txt").read_text()
        'hello\\n'

    Introduced in notebooks/00-start-here.ipynb.
    """
    atomic_write_bytes(path, text.encode("utf-8"))


def beside_name(name: str, n: int = 1) -> str:
    """The name of the ``n``-th new version written beside the learner's ``name``.

    It keeps the suffix (so Jupyter still opens it) and sorts next to ``name``.

    Example::

        >>> beside_name("lessons/01-range.ipynb"), beside_name("01-range.ipynb", 2)
        ('lessons/01-range.updated.ipynb', '01-range.updated-2.ipynb')

    Introduced in notebooks/00-start-here.ipynb.
    """
    pure = PurePosixPath(name)
    tag = UPDATED_TAG if n == 1 else f"{UPDATED_TAG}-{n}"
    return str(pure.with_name(f"{pure.stem}.{tag}{pure.suffix}"))


def _check_name(name: str) -> str:
    if (not isinstance(name, str) or not name or PurePosixPath(name).is_absolute()
            or "\\" in name or ":" in name or name == MANIFEST
            or any(part in ("", ".", "..") for part in name.split("/"))):
        raise ValueError(f"{name!r} is not a relative file name inside the output folder "
                         "(use forward slashes, no '..', not the manifest's name)")
    return name


def _read_manifest(out: Path) -> dict[str, str]:
    """What was written before, by name; ``{}`` when there is no usable manifest (then
    every existing file that differs is treated as the learner's: nothing is lost)."""
    try:
        data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        files = data["files"]
        return {name: digest for name, digest in files.items()
                if isinstance(name, str) and isinstance(digest, str)}
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return {}


def recorded(out_dir: str | os.PathLike) -> dict[str, str]:
    """What loopedu recorded writing into ``out_dir`` on earlier runs: name (relative
    path) -> the SHA-256 of the content it wrote; empty without a manifest.

    Introduced in notebooks/00-start-here.ipynb.
    """
    return _read_manifest(Path(out_dir))


def written_before(out_dir: str | os.PathLike) -> set[str]:
    """The names (relative paths) loopedu recorded writing into ``out_dir`` on earlier
    runs; empty without a manifest.

    Introduced in notebooks/00-start-here.ipynb.
    """
    return set(_read_manifest(Path(out_dir)))


def _dump_manifest(files: Mapping[str, str]) -> str:
    data = {"format": FORMAT,
            "about": "What loopedu wrote here, so that it never overwrites your edits. "
                     "Safe to delete: files that differ are then kept as yours.",
            "files": dict(sorted(files.items()))}
    return json.dumps(data, indent=1) + "\n"


def _current_digest(path: Path) -> str | None:
    """The SHA-256 of the file at ``path``; ``None`` when there is none; ``""`` when
    something is there that cannot be read as a file (a folder, say): not ours."""
    try:
        os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise OutputError(f"cannot look at {path} ({exc.strerror or exc}); choose an "
                          "output folder you can read and write") from exc
    try:
        return _sha256(path.read_bytes())
    except OSError:
        return ""


def _place(out: Path, name: str, data: bytes, manifest: dict[str, str]) -> FileResult:
    digest = _sha256(data)
    if manifest.get(name) == digest and _current_digest(out / name) not in (None, digest):
        return FileResult(out / name, WriteOutcome.KEPT_EDIT)  # edited, and nothing is new
    for n in range(_MAX_BESIDE + 1):
        candidate = name if n == 0 else beside_name(name, n)
        path = out / candidate
        now = _current_digest(path)
        if now is None or (now and now == manifest.get(candidate) and now != digest):
            outcome = WriteOutcome.CREATED if now is None else WriteOutcome.UPDATED
            try:
                atomic_write_bytes(path, data)
            except OSError as exc:
                raise OutputError(f"cannot write {path} ({exc.strerror or exc}); choose an "
                                  "output folder you can write to") from exc
        elif now == digest:
            outcome = WriteOutcome.UNCHANGED
        else:
            continue  # the learner's file: keep it, try the next name beside it
        manifest[candidate] = digest
        wrote = outcome is not WriteOutcome.UNCHANGED
        if n == 0:
            return FileResult(out / name, outcome, wrote=wrote)
        return FileResult(out / name, WriteOutcome.KEPT_EDIT, path, wrote=wrote)
    raise OutputError(f"{out / name} and {_MAX_BESIDE} versions beside it were all changed "
                      "by hand; move some of them away and run again")


def check_output_folder(out_dir: str | os.PathLike) -> None:
    """Raise :class:`OutputError` if ``out_dir`` cannot be an output folder: it is a
    file, or it cannot be looked at. A folder that does not exist yet is fine.

    Introduced in notebooks/00-start-here.ipynb.
    """
    out = Path(out_dir)
    try:
        not_a_folder = out.exists() and not out.is_dir()
    except OSError as exc:
        raise OutputError(f"cannot look at {out} ({exc.strerror or exc}); choose an output "
                          "folder you can read and write") from exc
    if not_a_folder:
        raise OutputError(f"{out} is a file, not a folder; choose a folder for the output")


def write_files(out_dir: str | os.PathLike,
                files: Mapping[str, str | bytes] | Iterable[tuple[str, str | bytes]],
                ) -> list[FileResult]:
    """Write ``files`` (relative name -> text or bytes) into ``out_dir``, never over an
    edit; return a :class:`FileResult` per file, in order. See the module docstring.

    Raises ``ValueError`` for a name that is not relative and inside ``out_dir`` (before
    writing anything) and :class:`OutputError` when the folder cannot be written.

    Example::

        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as out:
        ...     [r.outcome.name for r in write_files(out, {"a.ipynb": "v1\\n"})]
        ...     _ = Path(out, "a.ipynb").write_text("my answer\\n")      # the learner
        ...     [r.outcome.name for r in write_files(out, {"a.ipynb": "v2\\n"})]
        ...     sorted(p.name for p in Path(out).iterdir())
        ['CREATED']
        ['KEPT_EDIT']
        ['.loopedu-manifest.json', 'a.ipynb', 'a.updated.ipynb']

    Introduced in notebooks/00-start-here.ipynb.
    """
    items = list(files.items() if isinstance(files, Mapping) else files)
    payload = []
    for name, content in items:
        data = content.encode("utf-8") if isinstance(content, str) else bytes(content)
        payload.append((_check_name(name), data))
    if len({name for name, _ in payload}) != len(payload):
        raise ValueError("the same file name is given twice; give each file once")
    out = Path(out_dir)
    check_output_folder(out)
    before = _read_manifest(out)
    manifest = dict(before)
    results: list[FileResult] = []
    try:
        for name, data in payload:
            results.append(_place(out, name, data, manifest))
    finally:
        if manifest != before:
            try:
                atomic_write_text(out / MANIFEST, _dump_manifest(manifest))
            except OSError as exc:
                if len(results) == len(payload):  # else the first error is the news
                    raise OutputError(f"cannot write {out / MANIFEST} ({exc.strerror or exc}"
                                      "); choose an output folder you can write to") from exc
    return results
