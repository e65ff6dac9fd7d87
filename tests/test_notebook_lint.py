"""Every lesson opens and closes the same way, and is committed executed and in sync."""

import re
from pathlib import Path

import jupytext
import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "notebooks").glob("*.ipynb"))
EXERCISES = sorted((ROOT / "exercises").glob("*.ipynb"))
ALL = LESSONS + EXERCISES
CURRICULUM = {f"{n:02d}" for n in range(7)}
NAME = re.compile(r"^(\d\d)-[a-z0-9]+(?:-[a-z0-9]+)*\.ipynb$")


def ids(paths):
    return [p.relative_to(ROOT).as_posix() for p in paths]


def test_there_are_lessons_and_exercises():
    assert LESSONS and EXERCISES


@pytest.mark.parametrize("path", ALL, ids=ids(ALL))
def test_name_is_lesson_number_and_slug(path):
    m = NAME.match(path.name)
    assert m, f"{path.name}: name notebooks NN-slug.ipynb"
    assert m.group(1) in CURRICULUM, f"{path.name}: NN must be a lesson of the curriculum"


@pytest.mark.parametrize("path", ALL, ids=ids(ALL))
def test_executed_in_order_with_python3_kernel(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata.kernelspec.name == "python3"
    code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    counts = [c.execution_count for c in code]
    assert None not in counts, f"{path.name}: commit it executed (tests/tools/execute_notebooks.py)"
    assert counts == list(range(1, len(counts) + 1)), f"{path.name}: run top to bottom in a fresh kernel"
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert not errors, f"{path.name}: committed with an error output"


@pytest.mark.parametrize("path", LESSONS, ids=ids(LESSONS))
def test_lesson_opens_with_title_objectives_prerequisites_minutes(path):
    first = nbformat.read(path, as_version=4).cells[0]
    assert first.cell_type == "markdown"
    assert re.match(r"^# \d\d · \S", first.source), "first line: '# NN · Title'"
    for part in ("**Objectives.**", "**Prerequisites.**"):
        assert part in first.source, f"missing {part}"
    assert re.search(r"\*\*Minutes:\*\* \d+", first.source), "missing **Minutes:** N"


@pytest.mark.parametrize("path", LESSONS, ids=ids(LESSONS))
def test_lesson_closes_with_key_points_and_sources(path):
    last = nbformat.read(path, as_version=4).cells[-1]
    assert last.cell_type == "markdown"
    assert "## Key points" in last.source and "## Sources" in last.source
    assert re.search(r"RFC \d+|https://", last.source.split("## Sources", 1)[1])


@pytest.mark.parametrize("path", LESSONS, ids=ids(LESSONS))
def test_lesson_breaks_something_on_purpose_and_asks_for_predictions(path):
    text = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells)
    assert "Break it on purpose" in text
    assert "**Predict" in text


@pytest.mark.parametrize("path", LESSONS, ids=ids(LESSONS))
def test_each_lesson_has_an_exercise_notebook(path):
    number = path.name[:2]
    assert any(e.name.startswith(number + "-") for e in EXERCISES), \
        f"no exercises/{number}-*.ipynb"


@pytest.mark.parametrize("path", EXERCISES, ids=ids(EXERCISES))
def test_exercise_notebook_has_solutions_and_checks(path):
    text = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells)
    assert text.count("### BEGIN SOLUTION") == text.count("### END SOLUTION") > 0
    assert "check(" in text


@pytest.mark.parametrize("path", ALL, ids=ids(ALL))
def test_paired_py_percent_source_is_in_sync(path):
    py = path.with_suffix(".py")
    assert py.is_file(), f"{py.name} missing: notebooks are written as jupytext py:percent"
    source = [(c.cell_type, c.source.strip()) for c in jupytext.read(py).cells]
    stored = [(c.cell_type, c.source.strip()) for c in nbformat.read(path, as_version=4).cells]
    assert source == stored, f"{path.name} is stale: run tests/tools/execute_notebooks.py {py.name}"
