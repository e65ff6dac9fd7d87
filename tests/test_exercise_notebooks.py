"""Exercise notebooks: the solutions pass every check; the student versions hold no
solution, still run top to bottom, and every check in them fails with a hint. The
learner's versions of the lessons are run in test_learner_lessons.py."""

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from notebook_text import text_of

from loopedu.exercises import catalog
from loopedu.exercises.student import build_student_versions

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT / "exercises").glob("*.ipynb"))
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
CHECK = re.compile(r"""check\(\s*["']([0-9]{2}\.[a-z0-9-]+)["']""")


def check_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code" and CHECK.search(c.source)]


@pytest.mark.parametrize("path", SOURCES, ids=[p.name for p in SOURCES])
def test_committed_solutions_pass_every_check(path):
    nb = nbformat.read(path, as_version=4)
    cells = check_cells(nb)
    assert cells, "an exercise notebook without check() calls"
    for cell in cells:
        exercise_id = CHECK.search(cell.source).group(1)
        assert exercise_id in catalog(), f"{exercise_id} is not a known exercise"
        assert text_of(cell).startswith(f"Correct ({exercise_id})"), text_of(cell)
        assert "# NBVAL_CHECK_OUTPUT" in cell.source  # so nbval re-checks it in CI


def test_every_exercise_is_in_a_notebook():
    used = {CHECK.search(c.source).group(1)
            for p in SOURCES + LESSONS for c in check_cells(nbformat.read(p, as_version=4))}
    assert used == set(catalog())


@pytest.fixture(scope="module")
def student_versions(tmp_path_factory):
    out = tmp_path_factory.mktemp("student")
    return [result.current for result in build_student_versions(SOURCES, out)]


def solution_lines(path) -> list[str]:
    """Lines found only inside solution blocks (a starter line such as `answer = {`
    may legitimately appear both inside and outside)."""
    inside_lines, outside_lines, inside = [], set(), False
    for cell in nbformat.read(path, as_version=4).cells:
        for line in cell.source.splitlines():
            if line.strip() == "### BEGIN SOLUTION":
                inside = True
            elif line.strip() == "### END SOLUTION":
                inside = False
            elif inside and line.strip():
                inside_lines.append(line.strip())
            else:
                outside_lines.add(line.strip())
    return [line for line in inside_lines if line not in outside_lines]


@pytest.mark.parametrize("index", range(len(SOURCES)), ids=[p.name for p in SOURCES])
def test_student_version_has_no_solution_and_every_check_fails_helpfully(
        student_versions, index):
    source, student = SOURCES[index], student_versions[index]
    raw = student.read_text(encoding="utf-8")
    for line in solution_lines(source):
        assert line not in raw, f"solution text survived: {line}"
    nb = nbformat.read(student, as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(source.parent)}}).execute()
    for cell in nb.cells:
        assert not [o for o in cell.get("outputs", []) if o.output_type == "error"]
    for cell in check_cells(nb):
        exercise_id = CHECK.search(cell.source).group(1)
        feedback = text_of(cell)
        assert feedback.startswith(f"Not yet ({exercise_id})"), feedback
        assert "hint(" in feedback or "Replace `None` with your answer" in feedback
