"""`loopedu` errors: a user's mistake is one line and exit 2; a bug says it is one,
leaves its traceback in a log file and exits 1."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from shared_checks import skip_or_fail

import loopedu.exercises as exercises
from loopedu import cli

ROOT = Path(__file__).resolve().parents[1]
EXERCISE = ROOT / "exercises" / "00-start-here-exercises.ipynb"


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch) -> Path:
    """A private loopedu data folder, and no debug output unless a test asks."""
    monkeypatch.setenv("LOOPEDU_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("LOOPEDU_DEBUG", raising=False)
    return tmp_path / "home"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def a_bug(exc: BaseException):
    def raising(*args, **kwargs):
        raise exc
    return raising


# --- user errors ---------------------------------------------------------------------

def test_a_source_that_is_not_there_is_a_one_line_user_error(capsys, tmp_path):
    code, _, err = run(capsys, "student", str(tmp_path / "nope.ipynb"), "-o",
                       str(tmp_path / "out"))
    assert code == 2
    assert "nope.ipynb does not exist" in one_line(err)


def test_an_unwritable_output_folder_is_a_one_line_user_error(capsys, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    code, out, err = run(capsys, "student", str(EXERCISE), "-o", str(blocker / "student"))
    assert code == 2 and out == ""
    line = one_line(err)
    assert line.startswith("loopedu student: error: cannot write") and "a-file" in line
    assert "choose an output folder you can write to" in line


@pytest.mark.skipif(os.name != "posix", reason="runs the command as the nobody user")
def test_an_output_folder_of_another_user_is_a_user_error(tmp_path):
    """As a user who may not write there (root may write anywhere, so run as nobody)."""
    if os.geteuid() != 0 or not Path("/usr/sbin/runuser").exists():
        skip_or_fail("needs root and runuser to act as nobody")
    probe = subprocess.run(["/usr/sbin/runuser", "-u", "nobody", "--", sys.executable, "-c",
                            f"import os; os.listdir({str(ROOT)!r})"],
                           capture_output=True, text=True, timeout=60)
    if probe.returncode != 0:
        skip_or_fail(f"nobody cannot run this Python in this checkout: {probe.stderr[:200]}")
    os.chmod(tmp_path, 0o755)
    out = tmp_path / "root-only"
    out.mkdir(mode=0o755)
    done = subprocess.run(
        ["/usr/sbin/runuser", "-u", "nobody", "--", sys.executable, "-m", "loopedu.cli",
         "student", str(EXERCISE), "-o", str(out)],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
        env={**os.environ, "LOOPEDU_HOME": str(tmp_path / "nobody-home")})
    assert done.returncode == 2, done.stderr
    assert "Permission denied" in one_line(done.stderr)
    assert list(out.iterdir()) == []


def test_an_export_into_a_missing_folder_is_refused_in_one_line(capsys, tmp_path):
    target = tmp_path / "nonexistent" / "dir" / "file.json"
    code, out, err = run(capsys, "progress", "--export", str(target))
    assert code == 2 and out == ""
    line = one_line(err)
    assert line.startswith("loopedu progress: error: the folder ")
    assert f"{target.parent} does not exist" in line
    assert not (tmp_path / "nonexistent").exists()   # no folder made behind the learner


@pytest.mark.skipif(os.name != "posix", reason="a pipe whose reader is gone")
@pytest.mark.parametrize("argv", [["doctor"], ["progress", "--json"]])
def test_a_reader_that_left_is_exit_1_and_nothing_on_stderr(argv, home):
    """`loopedu doctor | head -1` where head is gone before the first write: the recipe
    of Python's signal documentation (Note on SIGPIPE): exit 1, no traceback, no
    "Exception ignored" at exit, and stderr still open for what follows."""
    read, write = os.pipe()
    os.close(read)
    try:
        done = subprocess.run([sys.executable, "-m", "loopedu.cli", *argv], stdout=write,
                              stderr=subprocess.PIPE, text=True, cwd=ROOT, timeout=120,
                              env={**os.environ, "LOOPEDU_HOME": str(home)})
    finally:
        os.close(write)
    assert (done.returncode, done.stderr) == (1, "")


@pytest.mark.skipif(os.name != "posix", reason="a shell pipeline")
def test_doctor_into_head_prints_its_first_line_and_no_error(home):
    done = subprocess.run(f"{sys.executable} -m loopedu.cli doctor | head -1", shell=True,
                          capture_output=True, text=True, cwd=ROOT, timeout=120,
                          env={**os.environ, "LOOPEDU_HOME": str(home)})
    assert done.stdout.startswith("platform ") and done.stdout.count("\n") == 1
    assert done.stderr == ""


# --- bugs ----------------------------------------------------------------------------

@pytest.mark.parametrize("exc", [RuntimeError("boom"), ValueError("bad value inside"),
                                 PermissionError(13, "Permission denied", "/x"),
                                 KeyError("k")])
def test_an_unexpected_error_is_reported_as_a_bug_with_a_log(capsys, home, monkeypatch,
                                                             exc):
    monkeypatch.setattr(exercises, "progress", a_bug(exc))
    code, _, err = run(capsys, "progress", "--json")
    assert code == 1
    line = one_line(err)
    assert "internal error, a bug in loopedu" in line and type(exc).__name__ in line
    (log,) = (home / "logs").iterdir()
    assert str(log) in line and "please report" in line
    text = log.read_text()
    assert "Traceback (most recent call last)" in text and "raising" in text
    assert "loopedu progress" in text
    if os.name == "posix":
        assert stat.S_IMODE(log.stat().st_mode) == 0o600


def test_loopedu_debug_also_prints_the_traceback(capsys, home, monkeypatch):
    monkeypatch.setenv("LOOPEDU_DEBUG", "1")
    monkeypatch.setattr(exercises, "progress", a_bug(RuntimeError("boom")))
    code, _, err = run(capsys, "progress", "--json")
    assert code == 1
    assert "internal error, a bug in loopedu" in err.splitlines()[0]
    assert "Traceback (most recent call last)" in err and "RuntimeError: boom" in err
    assert len(list((home / "logs").iterdir())) == 1


def test_the_log_falls_back_to_a_private_temporary_file(capsys, tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    monkeypatch.setenv("LOOPEDU_HOME", str(blocker / "home"))
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    monkeypatch.setattr(exercises, "progress_report", a_bug(RuntimeError("boom")))
    code, _, err = run(capsys, "progress")
    assert code == 1
    (log,) = temp.iterdir()
    assert str(log) in one_line(err) and log.name.startswith("loopedu-progress-")
    assert "RuntimeError: boom" in log.read_text()
    if os.name == "posix":
        assert stat.S_IMODE(log.stat().st_mode) == 0o600


def test_a_bug_in_student_is_not_taken_for_a_user_error(capsys, home, monkeypatch,
                                                        tmp_path):
    from loopedu.exercises import student

    monkeypatch.setattr(student, "write_files", a_bug(OSError(5, "Input/output error")))
    code, _, err = run(capsys, "student", str(EXERCISE), "-o", str(tmp_path / "out"))
    assert code == 1 and "a bug in loopedu" in one_line(err)


# --- what the commands print -----------------------------------------------------------

def test_progress_json_shape(capsys, home):
    code, out, _ = run(capsys, "progress", "--json")
    data = json.loads(out)
    assert code == 0
    assert data["path"] == str(home / "progress.json") and data["problem"] == ""
    assert data["passed"] == 0 and data["total"] == len(data["exercises"]) > 0
    assert set(data["exercises"][0]) == {"id", "title", "lesson", "passed", "first_passed"}
    assert not home.exists()  # reading progress writes nothing


def test_student_says_what_it_did_with_each_file(capsys, tmp_path):
    out = tmp_path / "out"
    code, first, _ = run(capsys, "student", str(EXERCISE), "-o", str(out))
    assert code == 0 and first.split() == ["created", str(out / EXERCISE.name)]
    target = out / EXERCISE.name
    target.write_text(target.read_text().replace("# YOUR CODE HERE", "answer = 1", 1))
    edited = target.read_text()
    code, again, _ = run(capsys, "student", str(EXERCISE), "-o", str(out))
    assert code == 0 and again.startswith(f"kept      {target}")
    assert "nothing new" in again and len(list(out.glob("*.ipynb"))) == 1
    # a new version of the source, over a file the learner edited: kept, and said so
    source = tmp_path / "src" / EXERCISE.name
    source.parent.mkdir()
    source.write_text(EXERCISE.read_text().replace("Lesson", "Lesson (new)"))
    code, third, _ = run(capsys, "student", str(source), "-o", str(out))
    beside = out / EXERCISE.name.replace(".ipynb", ".updated.ipynb")
    assert code == 0 and third.startswith(f"kept      {target}") and str(beside) in third
    assert target.read_text() == edited and beside.is_file()
