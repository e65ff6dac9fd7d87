"""Tests of loopedu.keep_edits: generated files written atomically, with the usual
permissions, and never over a learner's edit."""

from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path

import pytest

from loopedu import keep_edits
from loopedu.keep_edits import (
    MANIFEST,
    FileResult,
    OutputError,
    WriteOutcome,
    atomic_write_text,
    beside_name,
    locked,
    write_files,
)

POSIX = pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")


def outcomes(results: list[FileResult]) -> list[WriteOutcome]:
    return [r.outcome for r in results]


def listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_created_unchanged_updated(tmp_path):
    out = tmp_path / "out"
    assert outcomes(write_files(out, {"a.ipynb": "v1\n", "sub/b.txt": b"bytes"})) == [
        WriteOutcome.CREATED, WriteOutcome.CREATED]
    assert (out / "sub" / "b.txt").read_bytes() == b"bytes"
    assert outcomes(write_files(out, {"a.ipynb": "v1\n", "sub/b.txt": b"bytes"})) == [
        WriteOutcome.UNCHANGED, WriteOutcome.UNCHANGED]
    (result,) = write_files(out, {"a.ipynb": "v2\n"})
    assert result == FileResult(out / "a.ipynb", WriteOutcome.UPDATED)
    assert (out / "a.ipynb").read_text() == "v2\n"
    assert listing(out) == [MANIFEST, "a.ipynb", "sub/b.txt"]


def test_an_edited_file_is_kept_and_the_new_version_goes_beside_it(tmp_path):
    out = tmp_path / "out"
    write_files(out, {"a.ipynb": "v1\n"})
    (out / "a.ipynb").write_text("my work\n")
    (kept,) = write_files(out, {"a.ipynb": "v2\n"})
    assert kept.outcome is WriteOutcome.KEPT_EDIT and kept.path == out / "a.ipynb"
    assert kept.new_version == kept.current == out / "a.updated.ipynb"
    assert (out / "a.ipynb").read_text() == "my work\n"
    assert (out / "a.updated.ipynb").read_text() == "v2\n"
    assert str(kept).startswith("kept") and "a.updated.ipynb" in str(kept)
    # a newer version replaces the untouched file beside it, and still keeps the edit
    (again,) = write_files(out, {"a.ipynb": "v3\n"})
    assert again.outcome is WriteOutcome.KEPT_EDIT and again.new_version == out / "a.updated.ipynb"
    assert (out / "a.updated.ipynb").read_text() == "v3\n"
    # once the file beside it is edited too, the next one goes one further
    (out / "a.updated.ipynb").write_text("my work on v3\n")
    (third,) = write_files(out, {"a.ipynb": "v4\n"})
    assert third.new_version == out / "a.updated-2.ipynb"
    assert [(out / n).read_text() for n in ("a.ipynb", "a.updated.ipynb", "a.updated-2.ipynb")
            ] == ["my work\n", "my work on v3\n", "v4\n"]
    assert listing(out) == [MANIFEST, "a.ipynb", "a.updated-2.ipynb", "a.updated.ipynb"]


def test_files_there_before_the_manifest_are_the_learners(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "same.ipynb").write_text("v1\n")
    (out / "other.ipynb").write_text("mine\n")
    results = write_files(out, {"same.ipynb": "v1\n", "other.ipynb": "v1\n"})
    assert outcomes(results) == [WriteOutcome.UNCHANGED, WriteOutcome.KEPT_EDIT]
    assert (out / "other.ipynb").read_text() == "mine\n"
    # the identical one is now known as written: a new version may replace it
    assert outcomes(write_files(out, {"same.ipynb": "v2\n"})) == [WriteOutcome.UPDATED]


@pytest.mark.parametrize("manifest", ["{not json", "[]", '{"files": 3}', ""])
def test_an_unreadable_manifest_never_costs_an_edit(tmp_path, manifest):
    out = tmp_path / "out"
    write_files(out, {"a.ipynb": "v1\n"})
    (out / MANIFEST).write_text(manifest)
    (result,) = write_files(out, {"a.ipynb": "v2\n"})
    assert result.outcome is WriteOutcome.KEPT_EDIT
    assert (out / "a.ipynb").read_text() == "v1\n"
    assert json.loads((out / MANIFEST).read_text())["files"]["a.updated.ipynb"]


def test_something_else_at_the_name_is_left_alone(tmp_path):
    out = tmp_path / "out"
    (out / "a.ipynb").mkdir(parents=True)
    (result,) = write_files(out, {"a.ipynb": "v1\n"})
    assert result.outcome is WriteOutcome.KEPT_EDIT and (out / "a.ipynb").is_dir()


def test_the_manifest_records_the_sha256_of_what_was_written(tmp_path):
    import hashlib

    write_files(tmp_path, {"a.ipynb": "v1\n"})
    data = json.loads((tmp_path / MANIFEST).read_text())
    assert data["files"] == {"a.ipynb": hashlib.sha256(b"v1\n").hexdigest()}


@POSIX
@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_new_files_get_0666_less_the_umask(tmp_path, umask):
    old = os.umask(umask)
    try:
        write_files(tmp_path, {"a.ipynb": "v1\n", "sub/b.ipynb": "v1\n"})
        atomic_write_text(tmp_path / "c.txt", "c")
    finally:
        os.umask(old)
    for name in ("a.ipynb", "sub/b.ipynb", "c.txt", MANIFEST):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o666 & ~umask, name


@POSIX
def test_a_replaced_file_keeps_its_mode(tmp_path):
    write_files(tmp_path, {"a.ipynb": "v1\n", "run.sh": "v1\n"})
    os.chmod(tmp_path / "a.ipynb", 0o640)
    os.chmod(tmp_path / "run.sh", 0o755)
    assert outcomes(write_files(tmp_path, {"a.ipynb": "v2\n", "run.sh": "v2\n"})) == [
        WriteOutcome.UPDATED, WriteOutcome.UPDATED]
    assert stat.S_IMODE((tmp_path / "a.ipynb").stat().st_mode) == 0o640
    assert stat.S_IMODE((tmp_path / "run.sh").stat().st_mode) == 0o755


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    write_files(tmp_path, {"a.ipynb": "v1\n"})
    before = listing(tmp_path)

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(keep_edits.os, "replace", broken_replace)
    with pytest.raises(OutputError, match="No space left on device") as info:
        write_files(tmp_path, {"a.ipynb": "v2\n"})
    assert "a.ipynb" in str(info.value) and "\n" not in str(info.value)
    assert (tmp_path / "a.ipynb").read_text() == "v1\n"
    assert listing(tmp_path) == before


def test_an_unwritable_output_folder_is_an_output_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(OutputError, match="is a file, not a folder"):
        write_files(blocker, {"a.ipynb": "v1\n"})
    with pytest.raises(OutputError, match="choose an output folder you can write to"):
        write_files(blocker / "sub", {"a.ipynb": "v1\n"})
    assert blocker.read_text() == "x"


@pytest.mark.parametrize("name", ["/abs.ipynb", "../up.ipynb", "a/../b", "", "a//b",
                                  MANIFEST, "back\\slash", "c:drive"])
def test_names_must_stay_inside_the_folder(tmp_path, name):
    with pytest.raises(ValueError, match="relative file name"):
        write_files(tmp_path / "out", [("ok.ipynb", "x"), (name, "x")])
    assert not (tmp_path / "out").exists()  # checked before anything is written


def test_a_name_given_twice_is_refused(tmp_path):
    with pytest.raises(ValueError, match="twice"):
        write_files(tmp_path, [("a", "1"), ("a", "2")])


def test_beside_names_sort_next_to_the_original():
    names = ["a-2.ipynb", "a.ipynb", beside_name("a.ipynb"), beside_name("a.ipynb", 2),
             "a0.ipynb", "b.ipynb"]
    around = sorted(names)
    i = around.index("a.ipynb")
    assert set(around[i:i + 3]) == {"a.ipynb", "a.updated.ipynb", "a.updated-2.ipynb"}
    assert beside_name("README") == "README.updated"


def test_an_edited_file_with_nothing_new_gets_nothing_beside_it(tmp_path):
    write_files(tmp_path, {"a.ipynb": "v1\n"})
    (tmp_path / "a.ipynb").write_text("my work\n")
    (result,) = write_files(tmp_path, {"a.ipynb": "v1\n"})
    assert result == FileResult(tmp_path / "a.ipynb", WriteOutcome.KEPT_EDIT)
    assert "nothing new" in str(result) and result.current == tmp_path / "a.ipynb"
    assert listing(tmp_path) == [MANIFEST, "a.ipynb"]
    assert (tmp_path / "a.ipynb").read_text() == "my work\n"


@pytest.mark.skipif(os.name != "posix", reason="Windows has no fsync of a folder")
def test_the_folder_is_flushed_after_the_rename(tmp_path, monkeypatch):
    """The new name is on disk, not only the new bytes: after os.replace, the folder
    that holds the file is fsync'ed."""
    events, real_fsync, real_replace = [], os.fsync, os.replace

    def fsync(fd):
        info = os.fstat(fd)
        events.append(("fsync", stat.S_ISDIR(info.st_mode), info.st_ino))
        real_fsync(fd)

    def replace(src, dst):
        events.append(("replace",))
        real_replace(src, dst)

    monkeypatch.setattr(keep_edits.os, "fsync", fsync)
    monkeypatch.setattr(keep_edits.os, "replace", replace)
    atomic_write_text(tmp_path / "sub" / "a.txt", "a\n")
    renamed = events.index(("replace",))
    folder = (tmp_path / "sub").stat().st_ino
    assert ("fsync", True, folder) in events[renamed:]
    assert ("fsync", False) == events[0][:2]  # the file's bytes first, as before


def test_a_lock_another_holder_keeps_is_waited_for_then_given_up(tmp_path):
    lock = tmp_path / "data" / ".x.lock"
    held, release_it = threading.Event(), threading.Event()

    def holder():
        with locked(lock):
            held.set()
            release_it.wait(30)

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert held.wait(10)
        with pytest.raises(TimeoutError, match=r"held the lock .*\.x\.lock"):
            with locked(lock, timeout=0.2):
                pass
    finally:
        release_it.set()
        thread.join(10)
    with locked(lock, timeout=5):  # free again
        pass
    assert lock.exists()  # a lock file is never removed (a waiter may hold it open)
