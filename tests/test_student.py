"""Tests of loopedu.exercises.student: the student-version builder."""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from loopedu.exercises.student import (
    StudentBuildError,
    build_student_versions,
    strip_solutions,
    student_notebook,
)
from loopedu.keep_edits import MANIFEST, WriteOutcome


def build(sources, out_dir) -> list[Path]:
    """Build, and return where each student version is."""
    return [result.current for result in build_student_versions(sources, out_dir)]

# Every piece of solution text in the synthetic notebook carries this word.
SECRET = "ZEBRASOLUTION"
PIXEL = base64.b64encode(b"\x89PNG ZEBRASOLUTION pixel").decode()


def exercise_notebook() -> nbformat.NotebookNode:
    """A small exercise notebook with solutions everywhere they could hide."""
    cells = [
        new_markdown_cell("# Lesson 99\n\nHow many addresses are in 127.0.0.0/8?",
                          metadata={"tags": ["intro"]}),
        new_code_cell(
            "answer = None  # replace None with your answer\n"
            "### BEGIN SOLUTION\n"
            f"answer = 2 ** 24  # {SECRET}\n"
            "### END SOLUTION\n"
            'check("99.loopback-size", answer)',
            execution_count=7,
            metadata={"nbgrader": {"solution": True, "grade_id": SECRET},
                      "tags": ["raises-exception", f"tag-{SECRET}"], "note": SECRET},
            outputs=[new_output("stream", name="stdout", text=f"{SECRET}\n"),
                     new_output("execute_result", data={"text/plain": SECRET},
                                execution_count=7)]),
        new_code_cell(
            "def classify(address):\n"
            "    \"\"\"Return the block of an address.\"\"\"\n"
            "    ### BEGIN SOLUTION\n"
            f"    return '{SECRET}'\n"
            "    ### END SOLUTION\n",
            execution_count=8),
        new_markdown_cell(
            "Why does a /8 hold that many?\n\n"
            "### BEGIN SOLUTION\n"
            f"Because 24 host bits remain. {SECRET} ![plot](attachment:plot.png)\n"
            "### END SOLUTION\n",
            attachments={"plot.png": {"image/png": PIXEL}}),
        new_markdown_cell("A kept picture: ![map](attachment:map.png)",
                          attachments={"map.png": {"image/png": "AAAA"},
                                       "unused.png": {"image/png": PIXEL}}),
    ]
    nb = new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
        "celltoolbar": SECRET, "nbgrader": {"secret": SECRET}, "widgets": {"x": SECRET},
    })
    for index, cell in enumerate(nb.cells):
        cell.id = f"cell{index}"
    nbformat.validate(nb)
    return nb


def write(nb, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


def code_cell(source: str) -> nbformat.NotebookNode:
    return new_notebook(cells=[new_code_cell(source)])


@pytest.fixture
def source(tmp_path) -> Path:
    return write(exercise_notebook(), tmp_path / "exercises" / "99-lesson.ipynb")


def test_solution_text_is_absent_from_the_student_file(source, tmp_path):
    out = tmp_path / "student"
    written = build([source], out)
    assert written == [out / "99-lesson.ipynb"]
    raw = written[0].read_bytes()
    assert SECRET.encode() not in raw
    assert b"2 ** 24" not in raw and b"24 host bits" not in raw
    assert b"BEGIN SOLUTION" not in raw and b"END SOLUTION" not in raw
    assert PIXEL.encode() not in raw


def test_student_version_is_a_valid_cleared_notebook(source, tmp_path):
    (path,) = build(source, tmp_path / "student")
    nb = nbformat.read(str(path), as_version=4)
    nbformat.validate(nb)
    assert set(nb.metadata) == {"kernelspec", "language_info"}
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
        assert set(cell.metadata) <= {"tags"}
    assert nb.cells[1].metadata == {"tags": ["raises-exception"]}
    assert nb.cells[0].metadata == {}
    assert [c.id for c in nb.cells] == [f"cell{i}" for i in range(5)]


def test_student_version_keeps_the_exercise_around_the_solution(source, tmp_path):
    (path,) = build(source, tmp_path / "student")
    cells = nbformat.read(str(path), as_version=4).cells
    assert cells[1].source == ("answer = None  # replace None with your answer\n"
                               "# YOUR CODE HERE\n"
                               'check("99.loopback-size", answer)')
    assert cells[2].source == ("def classify(address):\n"
                               "    \"\"\"Return the block of an address.\"\"\"\n"
                               "    # YOUR CODE HERE\n"
                               "    pass\n")
    compile(cells[2].source, "cell", "exec")  # still valid Python
    assert cells[3].source == "Why does a /8 hold that many?\n\n_Write your answer here._\n"
    assert "attachments" not in cells[3]
    assert cells[4].attachments == {"map.png": {"image/png": "AAAA"}}
    assert cells[0].source.startswith("# Lesson 99")


def test_output_is_deterministic_and_idempotent(source, tmp_path):
    (first,) = build(source, tmp_path / "one")
    (second,) = build(source, tmp_path / "two")
    assert first.read_bytes() == second.read_bytes()
    (again,) = build(first, tmp_path / "three")
    assert again.read_bytes() == first.read_bytes()
    (rebuilt,) = build_student_versions(source, tmp_path / "one")
    assert rebuilt.outcome is WriteOutcome.UNCHANGED
    assert rebuilt.path.read_bytes() == second.read_bytes()
    assert first.read_bytes().endswith(b"}\n")


def test_the_source_is_never_changed(source, tmp_path):
    before = source.read_bytes()
    build_student_versions(source, tmp_path / "student")
    assert source.read_bytes() == before


def test_a_folder_of_sources_and_old_nbformat(tmp_path):
    folder = tmp_path / "exercises"
    old = code_cell("### BEGIN SOLUTION\nx = 1\n### END SOLUTION")
    old.nbformat_minor = 4
    del old.cells[0]["id"]
    write(old, folder / "b.ipynb")
    write(code_cell("y = 2"), folder / "a.ipynb")
    (folder / "notes.txt").write_text("not a notebook, ignored inside a folder")
    written = build(folder, tmp_path / "student")
    assert [p.name for p in written] == ["a.ipynb", "b.ipynb"]
    nb = nbformat.read(str(written[1]), as_version=4)
    nbformat.validate(nb)
    assert "id" not in nb.cells[0] and nb.cells[0].source == "# YOUR CODE HERE"


def test_strip_solutions_handles_variants():
    assert strip_solutions("a\n# BEGIN SOLUTION\nb\n#END SOLUTION\nc", "X") == ("a\nX\nc",
                                                                                  True)
    assert strip_solutions("a\r\n### BEGIN SOLUTION\r\nb\r\n### END SOLUTION\r\n", "X") == (
        "a\r\nX\n", True)
    assert strip_solutions("<!-- ### BEGIN SOLUTION -->\nb\n<!-- ### END SOLUTION -->",
                           "X") == ("X", True)
    assert strip_solutions("### begin solution\nb\n### end solution", "X") == ("X", True)
    assert strip_solutions("nothing here", "X") == ("nothing here", False)


def test_student_notebook_in_memory():
    nb = code_cell("answer = None\n### BEGIN SOLUTION\nanswer = 1\n### END SOLUTION")
    assert student_notebook(nb).cells[0].source == "answer = None\n# YOUR CODE HERE"


# --- building again: never over the learner's edits ----------------------------------

def test_a_second_build_keeps_an_edited_student_version(source, tmp_path):
    out = tmp_path / "student"
    (first,) = build_student_versions(source, out)
    assert first.outcome is WriteOutcome.CREATED
    mine = first.path.read_text().replace("# YOUR CODE HERE", "answer = 2 ** 24", 1)
    first.path.write_text(mine)
    nb = exercise_notebook()
    nb.cells[0].source += "\n\nA new sentence in the lesson."
    write(nb, source)
    (second,) = build_student_versions(source, out)
    assert second.outcome is WriteOutcome.KEPT_EDIT
    assert second.path.read_text() == mine  # the learner's work is untouched
    assert second.new_version == out / "99-lesson.updated.ipynb"
    assert "A new sentence" in second.new_version.read_text()
    assert "kept" in str(second) and "99-lesson.updated.ipynb" in str(second)
    assert sorted(p.name for p in out.iterdir()) == [
        MANIFEST, "99-lesson.ipynb", "99-lesson.updated.ipynb"]


def test_a_second_build_updates_an_untouched_student_version(source, tmp_path):
    out = tmp_path / "student"
    build_student_versions(source, out)
    nb = exercise_notebook()
    nb.cells[0].source += "\n\nA new sentence in the lesson."
    write(nb, source)
    (second,) = build_student_versions(source, out)
    assert second.outcome is WriteOutcome.UPDATED and second.new_version is None
    assert "A new sentence" in second.path.read_text()


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_student_versions_get_the_usual_permissions(source, tmp_path, umask):
    old = os.umask(umask)
    try:
        (path,) = build(source, tmp_path / "student")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask


# --- errors: clear, one line, and nothing written ------------------------------------

def snapshot(folder: Path) -> dict[str, bytes]:
    if not folder.is_dir():
        return {}
    return {str(p): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def assert_refused(sources, out_dir: Path, *fragments: str) -> str:
    """The build raises a one-line StudentBuildError and writes nothing."""
    before = snapshot(out_dir)
    existed = out_dir.exists()
    with pytest.raises(StudentBuildError) as info:
        build_student_versions(sources, out_dir)
    message = str(info.value)
    assert isinstance(info.value, ValueError)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, message
    assert out_dir.exists() == existed and snapshot(out_dir) == before
    return message


@pytest.mark.parametrize("source_text, fragments", [
    ("a = None\n### BEGIN SOLUTION\na = 1",
     ["cell 2 (code), line 2", "never closed", "### END SOLUTION"]),
    ("a = 1\n### END SOLUTION",
     ["cell 2 (code), line 2", "without a '### BEGIN SOLUTION'"]),
    ("### BEGIN SOLUTION\na = 1\n### BEGIN SOLUTION\nb\n### END SOLUTION",
     ["cell 2 (code), line 3", "opened on line 1"]),
    ("a = 1  ### BEGIN SOLUTION\nb\n### END SOLUTION",
     ["cell 2 (code), line 1", "alone on its line"]),
])
def test_bad_markers_name_the_cell_and_line(tmp_path, source_text, fragments):
    nb = new_notebook(cells=[new_markdown_cell("intro"), new_code_cell(source_text)])
    bad = write(nb, tmp_path / "src" / "bad.ipynb")
    message = assert_refused([bad], tmp_path / "student", str(bad), *fragments)
    assert message.count(";") >= 1  # says what to do


def test_bad_markers_in_markdown(tmp_path):
    nb = new_notebook(cells=[new_markdown_cell("Answer:\n### BEGIN SOLUTION\nsecret")])
    bad = write(nb, tmp_path / "src" / "md.ipynb")
    assert_refused(bad, tmp_path / "student", "cell 1 (markdown), line 2")


def test_a_bad_source_stops_the_whole_build(source, tmp_path):
    bad = write(code_cell("### END SOLUTION"), tmp_path / "other" / "z.ipynb")
    assert_refused([source, bad], tmp_path / "student", "z.ipynb")


def test_missing_and_non_notebook_sources(tmp_path):
    out = tmp_path / "student"
    assert_refused([tmp_path / "nope.ipynb"], out, "does not exist")
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    assert_refused([text], out, "is not a notebook")
    broken = tmp_path / "src" / "broken.ipynb"
    broken.parent.mkdir()
    broken.write_text("{ not json")
    assert_refused([broken], out, "is not a valid notebook", "save it again")
    not_nb = tmp_path / "src" / "list.ipynb"
    not_nb.write_text(json.dumps([1, 2, 3]))
    assert_refused([not_nb], out, "is not a valid notebook")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert_refused([empty], out, "no .ipynb")
    assert_refused([], out, "no source notebooks")


def test_out_dir_must_not_be_a_source_folder_or_overwrite_a_source(source, tmp_path):
    assert_refused(source, source.parent, "is the folder of the source")
    assert_refused(source, source.parent / "sub" / "..", "is the folder of the source")
    other = write(exercise_notebook(), tmp_path / "student" / "99-lesson.ipynb")
    assert_refused([source, other], tmp_path / "student", "would overwrite the source")
    twin = write(exercise_notebook(), tmp_path / "twin" / "99-lesson.ipynb")
    assert_refused([source, twin], tmp_path / "out", "are both named 99-lesson.ipynb")
    afile = tmp_path / "a-file"
    afile.write_text("x")
    assert_refused(source, afile, "is a file, not a folder")


def test_the_learners_copy_holds_no_test_markers():
    """A learner's copy is not a test: no `# NBVAL_CHECK_OUTPUT` (nor other nbval marker)
    survives in the workspace's lessons and exercises."""
    from loopedu.exercises.student import student_text

    root = Path(__file__).resolve().parents[1]
    sources = sorted(root.glob("notebooks/[0-9][0-9]-*.ipynb")) + sorted(
        root.glob("exercises/*.ipynb"))
    marked = [p for p in sources if "NBVAL_CHECK_OUTPUT" in p.read_text(encoding="utf-8")]
    assert marked, "the reference notebooks mark checked cells"
    for path in marked:
        assert "NBVAL_" not in student_text(path), path.name


def test_a_blank_already_there_gets_no_second_marker():
    """``prediction = ...`` is the blank; a '# YOUR CODE HERE' under it says it twice
    (found reading a learner's workspace). Other solution blocks keep the marker."""
    from loopedu.exercises.student import strip_solutions

    cell = ("prediction = ...\n### BEGIN SOLUTION\nprediction = 256\n### END SOLUTION\n"
            'predict("01.slash8-size", prediction)')
    assert strip_solutions(cell, "# YOUR CODE HERE") == (
        'prediction = ...\npredict("01.slash8-size", prediction)', True)
    kept = "answer = None\n### BEGIN SOLUTION\nanswer = 1\n### END SOLUTION\ncheck(answer)"
    assert strip_solutions(kept, "# YOUR CODE HERE")[0] == \
        "answer = None\n# YOUR CODE HERE\ncheck(answer)"
    text = "x = ...\n### BEGIN SOLUTION\nx = 1\n### END SOLUTION"
    assert strip_solutions(text, "_Write your answer here._")[0] == \
        "x = ...\n_Write your answer here._"
