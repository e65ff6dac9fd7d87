"""`loopedu workspace`: the learner's own copy of the course, with no solutions, no
outputs and no jupytext sources, that never overwrites what the learner changed, and
that refuses to go where it would clash with the course or a git checkout."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import nbformat
import pytest

from loopedu import __version__, cli
from loopedu.keep_edits import MANIFEST
from loopedu.workspace import (
    INFO,
    WorkspaceError,
    check_workspace,
    default_workspace,
    update_workspace,
    workspace_version,
)

ROOT = Path(__file__).resolve().parents[1]
SECRET = "the kernel answers on 127.0.0.1, port 41234"  # a line of every solution
PNG = bytes(range(256))  # any bytes: copied as they are


def notebook(*cells) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook(cells=list(cells))
    nb.metadata.update(kernelspec={"name": "python3", "display_name": "Python 3",
                                   "language": "python"},
                       jupytext={"formats": "ipynb,py:percent"})
    return nb


def executed(source: str, count: int) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source, execution_count=count)
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=SECRET + "\n")]
    return cell


def write_nb(path: Path, nb) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))


@pytest.fixture
def course(tmp_path) -> Path:
    """A small course: two lessons (one with an example prediction between solution
    markers, both executed), a reference page, an exercise with a solution, their
    jupytext sources, a glossary, a figure, and the debris of running them."""
    root = tmp_path / "course"
    write_nb(root / "notebooks" / "00-start-here.ipynb", notebook(
        nbformat.v4.new_markdown_cell("Exercises: [here](../exercises/00-start-here-"
                                      "exercises.ipynb); words: [glossary](glossary.md)"),
        executed("prediction = None\n### BEGIN SOLUTION\n"
                 f"prediction = {SECRET!r}\n### END SOLUTION\nprint(prediction)", 1),
        nbformat.v4.new_markdown_cell(f"<!-- ### BEGIN SOLUTION -->\n{SECRET}\n"
                                      "<!-- ### END SOLUTION -->")))
    write_nb(root / "notebooks" / "01-range.ipynb", notebook(executed("print(1)", 7)))
    write_nb(root / "notebooks" / "claims.ipynb", notebook(executed("print('page')", 2)))
    write_nb(root / "exercises" / "00-start-here-exercises.ipynb", notebook(
        executed(f"answer = None\n### BEGIN SOLUTION\nanswer = {SECRET!r}\n"
                 "### END SOLUTION\ncheck('00.kernel', answer)", 3)))
    for source in ("notebooks/00-start-here.py", "notebooks/01-range.py",
                   "notebooks/claims.py", "exercises/00-start-here-exercises.py"):
        (root / source).write_text(f"# %%\nprint({SECRET!r})\n")
    (root / "notebooks" / "glossary.md").write_text("# Glossary\n\nloopback: lo\n")
    (root / "notebooks" / "figures").mkdir()
    (root / "notebooks" / "figures" / "loop.png").write_bytes(PNG)
    for debris in ("__pycache__/helper.cpython-311.pyc",
                   ".ipynb_checkpoints/00-start-here-checkpoint.ipynb", ".DS_Store"):
        (root / "notebooks" / debris).parent.mkdir(exist_ok=True)
        (root / "notebooks" / debris).write_text(SECRET)
    return root


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """A private home folder, and no LOOPEDU_WORKSPACE of the machine's."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("LOOPEDU_WORKSPACE", raising=False)
    return tmp_path / "home"


def files_in(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def git(*args: str, cwd: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env=env)


needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


# --- what the workspace holds ---------------------------------------------------------

def test_the_workspace_holds_lessons_exercises_and_files_without_solutions(course, tmp_path):
    ws = tmp_path / "ws"
    update_workspace(course, ws)
    assert files_in(ws) == {MANIFEST, INFO, "notebooks/00-start-here.ipynb",
                            "notebooks/01-range.ipynb", "notebooks/claims.ipynb",
                            "notebooks/glossary.md",
                            "notebooks/figures/loop.png",
                            "exercises/00-start-here-exercises.ipynb"}
    for name in files_in(ws):
        text = (ws / name).read_bytes().decode("utf-8", "replace")
        assert SECRET not in text and "SOLUTION" not in text, name
    assert (ws / "notebooks" / "figures" / "loop.png").read_bytes() == PNG
    lesson = nbformat.read(str(ws / "notebooks" / "00-start-here.ipynb"), as_version=4)
    assert lesson.cells[1].source == "prediction = None\n# YOUR CODE HERE\nprint(prediction)"
    assert "../exercises/00-start-here-exercises.ipynb" in lesson.cells[0].source
    assert "jupytext" not in lesson.metadata  # saving it never writes a .py beside it


@pytest.mark.parametrize("name", ["notebooks/00-start-here.ipynb", "notebooks/01-range.ipynb",
                                  "notebooks/claims.ipynb",
                                  "exercises/00-start-here-exercises.ipynb"])
def test_no_outputs_and_no_execution_counts(course, tmp_path, name):
    update_workspace(course, tmp_path / "ws")
    cells = nbformat.read(str(tmp_path / "ws" / name), as_version=4).cells
    code = [c for c in cells if c.cell_type == "code"]
    assert code and all(c.outputs == [] and c.execution_count is None for c in code)


@pytest.mark.parametrize("umask, file_mode, folder_mode",
                         [(0o022, 0o644, 0o755), (0o077, 0o600, 0o700)],
                         ids=["umask 022", "umask 077"])
def test_files_have_the_usual_permissions(course, tmp_path, umask, file_mode, folder_mode):
    old = os.umask(umask)
    try:
        update_workspace(course, tmp_path / "ws")
    finally:
        os.umask(old)
    for path in [p for p in (tmp_path / "ws").rglob("*")]:
        want = folder_mode if path.is_dir() else file_mode
        assert stat.S_IMODE(path.stat().st_mode) == want, path


def test_the_real_course_smoke(tmp_path):
    """Every lesson, reference page and exercise of this repository, whatever they are
    called now."""
    update = update_workspace(ROOT, tmp_path / "ws")
    wanted = {p.relative_to(ROOT).as_posix() for p in
              [*ROOT.glob("notebooks/*.ipynb"), *ROOT.glob("exercises/*.ipynb")]}
    names = files_in(tmp_path / "ws")
    assert wanted <= names and wanted == {n for n in names if n.endswith(".ipynb")}
    assert not [n for n in names if n.endswith(".py")]
    # less the manifest and the version record
    assert len(update.changed) == len(update.files) == len(names) - 2
    for name in wanted:
        text = (tmp_path / "ws" / name).read_text()
        assert "SOLUTION" not in text, name
        nb = nbformat.reads(text, as_version=4)
        assert all(c.outputs == [] and c.execution_count is None
                   for c in nb.cells if c.cell_type == "code"), name


# --- running it again ------------------------------------------------------------------

def test_a_second_run_with_nothing_new_reports_nothing_changed(course, tmp_path, capsys):
    ws = tmp_path / "ws"
    assert run(capsys, "workspace", str(ws), "--from", str(course))[0] == 0
    code, out, _ = run(capsys, "workspace", str(ws), "--from", str(course))
    assert code == 0
    # the fixture's course says no version: the installed loopedu's stands in
    assert out.splitlines() == [f"workspace {ws} (from {course}, version {__version__})",
                                "nothing changed: 6 files up to date"]


def test_an_edited_lesson_is_kept_and_the_new_version_goes_beside_it(course, tmp_path,
                                                                     capsys):
    ws = tmp_path / "ws"
    update_workspace(course, ws)
    mine = ws / "notebooks" / "00-start-here.ipynb"
    nb = nbformat.read(str(mine), as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("My own notes"))
    nbformat.write(nb, str(mine))
    edited = mine.read_bytes()

    code, out, _ = run(capsys, "workspace", str(ws), "--from", str(course))
    assert code == 0
    assert "nothing changed: 6 files up to date; 1 file you changed, kept as it is" in out
    assert mine.read_bytes() == edited and not (mine.with_suffix(".updated.ipynb")).exists()

    upstream = course / "notebooks" / "00-start-here.ipynb"
    nb = nbformat.read(str(upstream), as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("A new section"))
    nbformat.write(nb, str(upstream))
    code, out, _ = run(capsys, "workspace", str(ws), "--from", str(course))
    assert code == 0
    assert ("kept      notebooks/00-start-here.ipynb: you changed it, so it stays as it is; "
            "the new version is notebooks/00-start-here.updated.ipynb") in out.splitlines()
    assert out.splitlines()[-1] == ("1 new version beside your edits, 5 unchanged; "
                                    "1 file you changed, kept as it is")
    assert mine.read_bytes() == edited
    beside = (ws / "notebooks" / "00-start-here.updated.ipynb").read_text()
    assert "A new section" in beside and SECRET not in beside

    code, out, _ = run(capsys, "workspace", str(ws), "--from", str(course))
    assert out.splitlines()[1:] == ["nothing changed: 6 files up to date; 1 file you "
                                    "changed, kept as it is"]


def test_a_new_lesson_is_added_and_nothing_else_is_touched(course, tmp_path, capsys):
    ws = tmp_path / "ws"
    update_workspace(course, ws)
    write_nb(course / "notebooks" / "02-new.ipynb", notebook(executed("print(2)", 1)))
    code, out, _ = run(capsys, "workspace", str(ws), "--from", str(course))
    assert code == 0
    assert out.splitlines()[1:] == ["created   notebooks/02-new.ipynb",
                                    "1 created, 6 unchanged"]


def test_json_output(course, tmp_path, capsys):
    code, out, _ = run(capsys, "workspace", str(tmp_path / "ws"), "--from", str(course),
                       "--json")
    data = json.loads(out)
    assert code == 0 and data["workspace"] == str(tmp_path / "ws")
    assert data["summary"]["created"] == 6
    assert {f["name"] for f in data["files"]} == files_in(tmp_path / "ws") - {MANIFEST, INFO}


# --- where it goes ----------------------------------------------------------------------

def test_default_location_is_in_home_unless_loopedu_workspace_says(home, monkeypatch,
                                                                     tmp_path):
    assert default_workspace() == home / "loopedu-workspace"
    monkeypatch.setenv("LOOPEDU_WORKSPACE", str(tmp_path / "elsewhere"))
    assert default_workspace() == tmp_path / "elsewhere"


def test_the_command_writes_the_default_workspace(home, course, capsys):
    code, out, _ = run(capsys, "workspace", "--from", str(course))
    assert code == 0 and out.startswith(f"workspace {home / 'loopedu-workspace'} ")
    assert (home / "loopedu-workspace" / "notebooks" / "00-start-here.ipynb").is_file()


@pytest.mark.parametrize("where", [".", "notebooks", "notebooks/mine", "exercises",
                                   "exercises/ws"])
def test_refused_in_the_course_itself(course, capsys, where):
    before = files_in(course)
    code, _, err = run(capsys, "workspace", str(course / where), "--from", str(course))
    assert code == 2
    line = err.strip()
    assert "\n" not in line and "choose a folder outside it" in line
    assert files_in(course) == before and not (course / where / MANIFEST).exists()


def test_refused_the_real_checkouts_reference_folders():
    names = ["notebooks/00-start-here.ipynb"]
    for where in (ROOT, ROOT / "notebooks", ROOT / "exercises" / "mine"):
        with pytest.raises(WorkspaceError, match="choose a folder outside it"):
            check_workspace(where, ROOT, names)


@needs_git
def test_refused_in_a_git_checkout_unless_git_ignores_it(course, tmp_path, capsys):
    repo = tmp_path / "repo"
    repo.mkdir()
    git("init", "-q", cwd=repo)
    code, _, err = run(capsys, "workspace", str(repo / "ws"), "--from", str(course))
    assert code == 2 and f"inside the git checkout {repo}" in err
    assert f"add '/ws/' to {repo / '.gitignore'}" in err
    assert not (repo / "ws").exists()
    (repo / ".gitignore").write_text("/ws/\n")
    code, _, _ = run(capsys, "workspace", str(repo / "ws"), "--from", str(course))
    assert code == 0 and (repo / "ws" / "notebooks" / "00-start-here.ipynb").is_file()


@needs_git
def test_inside_a_course_checkout_only_where_git_ignores_it(course, capsys):
    git("init", "-q", cwd=course)
    code, _, err = run(capsys, "workspace", str(course / "ws"), "--from", str(course))
    assert code == 2 and "which does not ignore it" in err
    (course / ".git" / "info").mkdir(exist_ok=True)
    with open(course / ".git" / "info" / "exclude", "a") as exclude:  # as postBuild does
        exclude.write("/ws/\n")
    code, _, _ = run(capsys, "workspace", str(course / "ws"), "--from", str(course))
    assert code == 0 and (course / "ws" / "exercises").is_dir()


@needs_git
def test_a_workspace_its_learner_put_under_git_stays_usable(course, tmp_path, capsys):
    ws = tmp_path / "ws"
    update_workspace(course, ws)
    git("init", "-q", cwd=ws)
    code, out, _ = run(capsys, "workspace", str(ws), "--from", str(course))
    assert code == 0 and "nothing changed" in out


def test_a_course_without_lessons_is_one_line(tmp_path, capsys):
    (tmp_path / "empty" / "notebooks").mkdir(parents=True)
    code, _, err = run(capsys, "workspace", str(tmp_path / "ws"), "--from",
                       str(tmp_path / "empty"))
    assert code == 2 and "holds no lessons" in err and len(err.strip().splitlines()) == 1


@needs_git
def test_binder_postbuild_writes_the_workspace_git_ignores(course, tmp_path):
    """Binder's layout: the repository is the home folder. postBuild (with a stand-in
    pip) adds a local ignore rule, then builds ~/loopedu-workspace; twice, as a rebuild
    would, without adding the rule twice."""
    import sys

    git("init", "-q", cwd=course)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "pip").write_text("#!/bin/sh\nexit 0\n")
    (bin_dir / "loopedu").write_text(f'#!/bin/sh\nexec {sys.executable} -m loopedu.cli "$@"\n')
    for tool in bin_dir.iterdir():
        tool.chmod(0o755)
    env = {k: v for k, v in os.environ.items()
           if k != "LOOPEDU_WORKSPACE" and not k.startswith("GIT_")}
    env.update(HOME=str(course), PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    for _ in range(2):
        done = subprocess.run(["bash", str(ROOT / ".binder" / "postBuild")], cwd=course,
                              env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    assert (course / "loopedu-workspace" / "notebooks" / "00-start-here.ipynb").is_file()
    exclude = (course / ".git" / "info" / "exclude").read_text().splitlines()
    assert exclude.count("/loopedu-workspace/") == 1
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"],
                            cwd=course, env=env, capture_output=True, text=True).stdout
    assert "loopedu-workspace" not in status


@needs_git
def test_refused_as_the_top_of_some_other_git_checkout(course, tmp_path, capsys):
    project = tmp_path / "project"
    project.mkdir()
    git("init", "-q", cwd=project)
    code, _, err = run(capsys, "workspace", str(project), "--from", str(course))
    assert code == 2 and f"{project} is a git checkout" in err
    assert not (project / "notebooks").exists()


def test_a_course_without_git_accepts_a_subfolder(course, capsys):
    code, _, _ = run(capsys, "workspace", str(course / "mine"), "--from", str(course))
    assert code == 0 and (course / "mine" / "notebooks" / "01-range.ipynb").is_file()


def test_a_lesson_that_left_the_course_is_kept_and_named(tmp_path):
    course = tmp_path / "course"
    (course / "notebooks").mkdir(parents=True)
    (course / "exercises").mkdir()
    import nbformat
    for name in ("04-ipv6-loopback", "01-range"):
        nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("x")]),
                       str(course / "notebooks" / f"{name}.ipynb"))
    ws = tmp_path / "ws"
    update_workspace(course, ws)
    (course / "notebooks" / "04-ipv6-loopback.ipynb").rename(
        course / "notebooks" / "05-ipv6-loopback.ipynb")
    again = update_workspace(course, ws)
    assert again.retired == ("notebooks/04-ipv6-loopback.ipynb",)
    assert (ws / "notebooks" / "04-ipv6-loopback.ipynb").exists()   # nothing is deleted
    assert "retired   notebooks/04-ipv6-loopback.ipynb: no longer in the course" in again.report()
    assert again.to_dict()["retired"] == ["notebooks/04-ipv6-loopback.ipynb"]


# --- which version of the course it holds --------------------------------------------

@needs_git
def test_the_workspace_records_the_course_version_and_commit_it_came_from(course, tmp_path,
                                                                            capsys):
    (course / "loopedu").mkdir()
    (course / "loopedu" / "__init__.py").write_text('"""x"""\n__version__ = "3.4.5"\n')
    ws = tmp_path / "ws"
    assert update_workspace(course, ws).version == "3.4.5"  # not a git checkout yet
    assert workspace_version(ws) == "3.4.5"
    git("init", "-q", cwd=course)
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "add", "-A", cwd=course)
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "one",
        cwd=course)

    def head() -> str:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=course, env=env, text=True,
                              capture_output=True, check=True).stdout.strip()

    first = head()
    code, out, _ = run(capsys, "workspace", str(ws), "--from", str(course))
    assert code == 0 and f"version 3.4.5+g{first[:12]})" in out.splitlines()[0]
    assert workspace_version(ws) == f"3.4.5+g{first[:12]}"
    (course / "loopedu" / "__init__.py").write_text('__version__ = "3.5.0"\n')
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qam", "two",
        cwd=course)
    assert head() != first
    update_workspace(course, ws)
    assert workspace_version(ws) == f"3.5.0+g{head()[:12]}"
    info = json.loads((ws / INFO).read_text())
    assert info["course"] == str(course.resolve()) and info["updated_at"].endswith("+00:00")


def test_a_workspace_without_a_readable_record_has_no_version(course, tmp_path, home):
    assert workspace_version(tmp_path / "nowhere") is None
    assert workspace_version() is None  # the default workspace does not exist yet
    ws = tmp_path / "ws"
    update_workspace(course, ws)
    assert workspace_version(ws)  # the installed loopedu's version: the course has none
    for broken in ("{not json", "[1, 2]", '{"course_version": 7}', '{"course_version": ""}'):
        (ws / INFO).write_text(broken)
        assert workspace_version(ws) is None, broken


# --- starting again is instant -----------------------------------------------------------

def test_a_rerun_with_nothing_new_builds_nothing(course, tmp_path):
    """The second run reads digests only: it does not even import nbformat (whose
    import and validation took seconds on every `loopedu lab`)."""
    import sys

    ws = tmp_path / "ws"
    update_workspace(course, ws)
    probe = ("import sys; from loopedu.workspace import update_workspace; "
             f"u = update_workspace({str(course)!r}, {str(ws)!r}); "
             "print(u.summary()); print('nbformat' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["nothing changed: 6 files up to date", "False"]


def test_a_file_the_learner_deleted_comes_back_and_a_change_is_seen(course, tmp_path):
    ws = tmp_path / "ws"
    update_workspace(course, ws)
    (ws / "notebooks" / "00-start-here.ipynb").unlink()
    again = update_workspace(course, ws)
    assert [again.name(r.path) for r in again.changed] == ["notebooks/00-start-here.ipynb"]
    upstream = course / "notebooks" / "01-range.ipynb"
    nb = nbformat.read(str(upstream), as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("A new section"))
    nbformat.write(nb, str(upstream))
    third = update_workspace(course, ws)
    assert [third.name(r.path) for r in third.changed] == ["notebooks/01-range.ipynb"]
    assert "A new section" in (ws / "notebooks" / "01-range.ipynb").read_text()


def test_a_new_workspace_is_private(course, tmp_path):
    """On a shared machine (a hub) another learner cannot read a new workspace."""
    import stat as st

    ws = tmp_path / "ws"
    update_workspace(course, ws)
    assert st.S_IMODE(ws.stat().st_mode) & 0o077 == 0
