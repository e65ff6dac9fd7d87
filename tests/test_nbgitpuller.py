"""The JupyterHub path, for real: nbgitpuller pulls the course, ``loopedu workspace``
builds the learner's copy, the instructor changes lessons upstream, nbgitpuller pulls
again and ``loopedu workspace`` runs again. No conflict, the learner's edits kept, the
update visible. Also: the JupyterHub section of instructors/README.md (its Helm values
snippet and its nbgitpuller link) matches the workspace layout.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from shared_checks import skip_or_fail

from loopedu import cli
from loopedu.workspace import DEFAULT_NAME, learner_files

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "instructors" / "README.md"
MARKER = "<" * 7 + " "  # a conflict marker, not written out so this file has none
INSTRUCTOR = ["-c", "user.name=Course Instructor", "-c", "user.email=instructor@example.org",
              "-c", "commit.gpgsign=false"]


def git_or_skip() -> str:
    """git's path; skip without it (under CI=true, fail: CI must run this test)."""
    git = shutil.which("git")
    if git is None:
        skip_or_fail("git is not installed")
    return git


def git(*args: str, cwd: Path) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
    return done.stdout


def with_conflict_markers(folder: Path) -> set[str]:
    """The files under ``folder`` (not ``.git``) holding a line that starts a conflict."""
    found = set()
    for path in folder.rglob("*"):
        if ".git" in path.relative_to(folder).parts or not path.is_file():
            continue
        data = path.read_bytes()
        if data.startswith(MARKER.encode()) or b"\n" + MARKER.encode() in data:
            found.add(path.relative_to(folder).as_posix())
    return found


def pull(url: str, into: Path, branch: str) -> list[str]:
    from nbgitpuller.pull import GitPuller

    return list(GitPuller(url, str(into), branch=branch).pull())


def workspace(ws: Path, course: Path, capsys) -> str:
    capsys.readouterr()
    assert cli.main(["workspace", str(ws), "--from", str(course)]) == 0
    return capsys.readouterr().out


def sources(path: Path) -> list[str]:
    import nbformat

    return [cell.source for cell in nbformat.read(path, as_version=4).cells]


def edit_notebook(path: Path, change) -> None:
    import nbformat

    nb = nbformat.read(path, as_version=4)
    change(nb)
    nbformat.write(nb, path)


@pytest.fixture
def hub_home(tmp_path, monkeypatch) -> Path:
    """A learner's home folder on a hub: git sees no global or system configuration and
    no GIT_* variables of whoever runs the tests."""
    home = tmp_path / "home"
    home.mkdir()
    for name in list(os.environ):
        if name.startswith("GIT_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("NBGITPULLER_DEPTH", "1")
    return home


@pytest.mark.slow
def test_nbgitpuller_round_trip_keeps_the_learners_edits_and_shows_the_update(
        tmp_path, hub_home, capsys):
    pytest.importorskip("nbgitpuller")
    nbformat = pytest.importorskip("nbformat")
    git_or_skip()

    # The instructor's repository: a copy of the course as committed.
    upstream = tmp_path / "upstream"
    git("clone", "-q", "--depth", "1", ROOT.as_uri(), str(upstream), cwd=tmp_path)
    git("checkout", "-q", "-B", "main", cwd=upstream)
    url = upstream.as_uri()

    # First visit of the nbgitpuller link, then the workspace (the hub's postStart step).
    course = hub_home / "loopedu"
    ws = hub_home / DEFAULT_NAME
    pull(url, course, "main")
    assert (course / "notebooks" / "03-bind-address.ipynb").is_file()
    first = workspace(ws, course, capsys)
    assert "created   notebooks/03-bind-address.ipynb" in first

    # The learner works in the workspace: a prediction written into a code cell of 03.
    lesson03 = ws / "notebooks" / "03-bind-address.ipynb"
    learner_note = "# my prediction: only 127.0.0.1 answers\n"

    def predict(nb):
        cell = next(c for c in nb.cells if c.cell_type == "code" and c.source.strip())
        cell.source = learner_note + cell.source

    edit_notebook(lesson03, predict)
    edited = sources(lesson03)

    # ... and also opens the pulled copy and changes lesson 01's first cell there.
    pulled01 = course / "notebooks" / "01-loopback-range.ipynb"
    pulled_note = "My notes on the pulled copy.\n\n"

    def annotate(nb):
        nb.cells[0].source = pulled_note + nb.cells[0].source

    edit_notebook(pulled01, annotate)

    # The instructor adds a cell to 03 and to 01 (at its end, far from the learner's
    # change), and a new file, and commits.
    new_in_03 = "**Update:** a new note from the instructor on lesson 03."
    new_in_01 = "**Update:** a new closing note from the instructor on lesson 01."

    def insert_after_first(text):
        return lambda nb: nb.cells.insert(1, nbformat.v4.new_markdown_cell(text))

    edit_notebook(upstream / "notebooks" / "03-bind-address.ipynb",
                  insert_after_first(new_in_03))
    edit_notebook(upstream / "notebooks" / "01-loopback-range.ipynb",
                  lambda nb: nb.cells.append(nbformat.v4.new_markdown_cell(new_in_01)))
    (upstream / "notebooks" / "hub-notes.md").write_text("# Notes for the hub\n")
    git("add", "-A", cwd=upstream)
    git(*INSTRUCTOR, "commit", "-q", "-m", "Lesson updates", cwd=upstream)

    # Second visit of the link: nbgitpuller merges, then the workspace is brought up to
    # date.
    progress = pull(url, course, "main")
    assert not any(line.startswith("CONFLICT") for line in progress), progress
    assert git("ls-files", "--unmerged", cwd=course) == ""
    assert git("rev-parse", "origin/main", cwd=course).strip() == \
        git("rev-parse", "HEAD", cwd=upstream).strip()
    assert with_conflict_markers(course) == with_conflict_markers(upstream)
    # nbgitpuller's merge: the learner's change to the pulled copy and the instructor's
    # change to the same notebook are both there.
    pulled = sources(pulled01)
    assert pulled[0].startswith(pulled_note) and pulled[-1] == new_in_01
    assert (course / "notebooks" / "hub-notes.md").read_text() == "# Notes for the hub\n"

    second = workspace(ws, course, capsys)
    assert with_conflict_markers(ws) == set()

    # The learner's edit in the workspace is intact.
    assert sources(lesson03) == edited
    assert any(s.startswith(learner_note) for s in edited)
    assert new_in_03 not in sources(lesson03)
    # The update to the lesson the learner edited appears beside it, and the output
    # says so.
    beside = ws / "notebooks" / "03-bind-address.updated.ipynb"
    assert new_in_03 in sources(beside)
    assert not any(s.startswith(learner_note) for s in sources(beside))
    assert ("kept      notebooks/03-bind-address.ipynb: you changed it, so it stays as it "
            "is; the new version is notebooks/03-bind-address.updated.ipynb") in second
    # The lesson the learner did not touch in the workspace is simply updated.
    ws01 = sources(ws / "notebooks" / "01-loopback-range.ipynb")
    assert ws01[-1] == new_in_01
    assert "updated   notebooks/01-loopback-range.ipynb" in second
    # The new file arrived in the workspace too.
    assert (ws / "notebooks" / "hub-notes.md").read_text() == "# Notes for the hub\n"
    assert "created   notebooks/hub-notes.md" in second
    assert "1 new version beside your edits" in second.splitlines()[-1]


# --- the JupyterHub section of the instructor guide ---------------------------------


def hub_section() -> str:
    text = GUIDE.read_text()
    m = re.search(r"^## On JupyterHub\n(.*?)(?=^## |\Z)", text, flags=re.M | re.S)
    assert m, "instructors/README.md has no '## On JupyterHub' section"
    return m.group(1)


def test_the_helm_values_snippet_parses_and_builds_the_workspace():
    yaml = pytest.importorskip("yaml")
    blocks = re.findall(r"```yaml\n(.*?)```", hub_section(), flags=re.S)
    values = [yaml.safe_load(b) for b in blocks]
    helm = next((v for v in values if isinstance(v, dict) and "singleuser" in v), None)
    assert helm, "no Helm values (singleuser: ...) in the JupyterHub section"
    single = helm["singleuser"]
    assert {"name", "tag"} <= set(single["image"])
    assert single["defaultUrl"] == "/lab"
    command = single["lifecycleHooks"]["postStart"]["exec"]["command"]
    assert isinstance(command, list) and all(isinstance(part, str) for part in command)
    script = " ".join(command)
    assert "gitpuller" in script
    assert re.search(r"loopedu workspace --from \S*loopedu\b", script)
    # nbgitpuller's pull comes first, the workspace is built from what it pulled
    assert script.index("gitpuller") < script.index("loopedu workspace")


def test_the_nbgitpuller_link_opens_a_lesson_of_the_workspace():
    links = re.findall(r"https://[^\s`)>]*/hub/user-redirect/git-pull\?[^\s`)>]+",
                       hub_section())
    assert links, "no nbgitpuller link in the JupyterHub section"
    names = {name for name, _ in learner_files(ROOT)}
    for link in links:
        query = parse_qs(urlsplit(link).query)
        assert query["repo"][0].startswith("https://github.com/")
        assert query["branch"] == ["main"]
        urlpath = query["urlpath"][0]
        prefix = f"lab/tree/{DEFAULT_NAME}/"
        assert urlpath.startswith(prefix), urlpath
        assert urlpath[len(prefix):] in names, f"{urlpath}: no such file in a workspace"
        # the link pulls into ~/loopedu, the folder the postStart hook builds from
        assert query.get("targetPath", query.get("targetpath")) == ["loopedu"]
