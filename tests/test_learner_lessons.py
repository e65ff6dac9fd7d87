"""The learner's version of every lesson (its example predictions and solution lines
removed) runs top to bottom in a fresh kernel, and says where a prediction was skipped."""

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from notebook_text import text_of

from loopedu.exercises.student import student_text

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.name for p in LESSONS])
def test_the_learners_lesson_runs_and_notes_skipped_predictions(lesson, tmp_path):
    nb = nbformat.reads(student_text(lesson), as_version=4)
    assert "### BEGIN SOLUTION" not in nbformat.writes(nb)
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(lesson.parent)}}).execute()
    code = [c for c in nb.cells if c.cell_type == "code"]
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert not errors, [f"{e.ename}: {e.evalue}" for e in errors]
    predicted = [c for c in code if re.search(r"^predict\(", c.source, flags=re.M)]
    revealed = [c for c in code if "reveal(" in c.source]
    assert len(predicted) >= 2 and len(revealed) >= len(predicted)
    for cell in predicted:
        assert "No prediction recorded" in text_of(cell), text_of(cell)
    for cell in revealed:
        assert "You made no prediction this time" in text_of(cell), text_of(cell)
