"""Build student versions of exercise notebooks: solutions out, everything else kept.

Introduced in notebooks/00-start-here.ipynb.

An exercise notebook holds its solutions between two marker lines (nbgrader's)::

    answer = None  # replace None with your answer
    ### BEGIN SOLUTION
    answer = 2 ** 24
    ### END SOLUTION
    check("01.loopback-size", answer)

The student version replaces each marked block, markers included, with one line at the
marker's indentation: ``# YOUR CODE HERE`` in code (followed by ``pass`` when indented,
so a function body stays valid Python) and ``_Write your answer here._`` in markdown;
no line at all when the line above already is the blank to fill in
(``prediction = ...``).
It also clears every output and execution count, cell metadata (but for the
``raises-exception`` and ``skip-execution`` tags), attachments not used by what is left,
and notebook metadata but for ``kernelspec`` and ``language_info``. The output is
deterministic: building twice, or building from a student version, gives the same bytes.

Every source is read and checked before anything is written; a problem raises
:class:`StudentBuildError` with a one-line message that says what to do. The files are
written by :func:`loopedu.keep_edits.write_files`: building again replaces a student
version only if nobody changed it since; one a learner edited is kept, and the new
version is written beside it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import nbformat

from ..keep_edits import FileResult, OutputError, check_output_folder, write_files

__all__ = ["StudentBuildError", "build_student_versions", "student_notebook",
           "student_text"]

CODE_PLACEHOLDER = "# YOUR CODE HERE"
MARKDOWN_PLACEHOLDER = "_Write your answer here._"
KEPT_TAGS = ("raises-exception", "skip-execution")
KEPT_METADATA = ("kernelspec", "language_info")

# Anything that looks like a marker, and the one form a marker line may take:
# "### BEGIN SOLUTION" alone on its line (any number of #, or inside an HTML comment).
_ANY_MARKER = re.compile(r"\b(BEGIN|END)\s+SOLUTION\b", re.IGNORECASE)
_MARKER_LINE = re.compile(
    r"^(?P<indent>[ \t]*)(?:#+|<!--\s*#*)[ \t]*(?P<kind>BEGIN|END) SOLUTION[ \t]*"
    r"(?:-->)?\s*$", re.IGNORECASE)


# A blank the learner fills in already, just above a solution block: "prediction = ...".
_ELLIPSIS_BLANK = re.compile(r"^[ \t]*[A-Za-z_]\w* = \.\.\.[ \t]*(#.*)?$")


class StudentBuildError(ValueError):
    """A source cannot be turned into a student version; the message says why and
    what to do. Nothing has been written when it is raised."""


def _where(path: Path, index: int | None = None, cell_type: str = "",
           line: int | None = None) -> str:
    text = str(path)
    if index is not None:
        text += f", cell {index} ({cell_type})"
    if line is not None:
        text += f", line {line}"
    return text


def strip_solutions(source: str, placeholder: str,
                    where: str = "source") -> tuple[str, bool]:
    """``source`` with each marked solution block replaced by ``placeholder``.

    Returns the new text and whether any block was found. Raises
    :class:`StudentBuildError` for a marker that is not alone on its line, nested or
    unbalanced markers, naming ``where`` and the line.

    Example::

        >>> strip_solutions("a = None\\n### BEGIN SOLUTION\\na = 1\\n### END SOLUTION",
        ...                 "# YOUR CODE HERE")
        ('a = None\\n# YOUR CODE HERE', True)
        >>> strip_solutions("p = ...\\n### BEGIN SOLUTION\\np = 3\\n### END SOLUTION\\nf(p)",
        ...                 "# YOUR CODE HERE")
        ('p = ...\\nf(p)', True)

    Introduced in notebooks/00-start-here.ipynb.
    """
    out: list[str] = []
    opened: int | None = None
    found = False
    for number, line in enumerate(source.split("\n"), 1):
        if not _ANY_MARKER.search(line):
            if opened is None:
                out.append(line)
            continue
        marker = _MARKER_LINE.match(line)
        if marker is None:
            raise StudentBuildError(
                f"{where}, line {number}: a solution marker must stand alone on its line "
                "as '### BEGIN SOLUTION' or '### END SOLUTION'; move it to a line of "
                "its own (or reword text that only mentions it)")
        if marker.group("kind").upper() == "BEGIN":
            if opened is not None:
                raise StudentBuildError(
                    f"{where}, line {number}: '### BEGIN SOLUTION' inside the block "
                    f"opened on line {opened}; add '### END SOLUTION' before it")
            opened, found = number, True
            indent = marker.group("indent")
            if placeholder == CODE_PLACEHOLDER and out and _ELLIPSIS_BLANK.match(out[-1]):
                continue   # "prediction = ..." right above: that is where to write
            out.append(indent + placeholder)
            if indent and placeholder == CODE_PLACEHOLDER:
                out.append(indent + "pass")
        else:
            if opened is None:
                raise StudentBuildError(
                    f"{where}, line {number}: '### END SOLUTION' without a "
                    "'### BEGIN SOLUTION' before it; add the BEGIN line or remove this one")
            opened = None
    if opened is not None:
        raise StudentBuildError(
            f"{where}, line {opened}: '### BEGIN SOLUTION' is never closed; add "
            "'### END SOLUTION' after the solution")
    return "\n".join(out), found


def _attachments(cell: Any, source: str, had_solution: bool) -> dict | None:
    """The attachments the student's text still uses (none from a solution cell)."""
    attachments = cell.get("attachments") or {}
    if had_solution:
        return None
    kept = {name: data for name, data in attachments.items()
            if f"attachment:{name}" in source}
    return kept or None


def student_notebook(nb: Any, path: Path | str = "notebook") -> nbformat.NotebookNode:
    """The student version of notebook ``nb`` (a v4 ``NotebookNode``), in memory.

    ``path`` only names the notebook in error messages. See the module docstring for
    what is removed.

    Example::

        >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        ...     "answer = None\\n### BEGIN SOLUTION\\nanswer = 1\\n### END SOLUTION")])
        >>> student_notebook(nb).cells[0].source
        'answer = None\\n# YOUR CODE HERE'

    Introduced in notebooks/00-start-here.ipynb.
    """
    path = Path(path)
    with_ids = (nb.nbformat, nb.nbformat_minor) >= (4, 5)
    cells = []
    for index, cell in enumerate(nb.cells, 1):
        kind = cell.get("cell_type")
        placeholder = CODE_PLACEHOLDER if kind == "code" else MARKDOWN_PLACEHOLDER
        source, had = strip_solutions(cell.get("source", ""), placeholder,
                                      _where(path, index, kind))
        tags = [tag for tag in cell.get("metadata", {}).get("tags", []) if tag in KEPT_TAGS]
        new: dict[str, Any] = {"cell_type": kind, "source": source,
                               "metadata": {"tags": tags} if tags else {}}
        if with_ids:
            new["id"] = cell.get("id") or f"cell-{index}"
        if kind == "code":
            new["source"] = _without_test_markers(source)
            new.update(execution_count=None, outputs=[])
        else:
            attachments = _attachments(cell, source, had)
            if attachments:
                new["attachments"] = attachments
        cells.append(new)
    metadata = {key: nb.metadata[key] for key in KEPT_METADATA if key in nb.metadata}
    return nbformat.from_dict({"nbformat": nb.nbformat, "nbformat_minor": nb.nbformat_minor,
                               "metadata": metadata, "cells": cells})


def _without_test_markers(source: str) -> str:
    r"""``source`` without the lines that only tell the test suite what to do with a cell
    (``# NBVAL_CHECK_OUTPUT`` and nbval's other markers): a learner's copy is not a test.

    >>> _without_test_markers("# NBVAL_CHECK_OUTPUT\nprint(1)")
    'print(1)'
    """
    return "\n".join(line for line in source.split("\n")
                     if not line.strip().startswith("# NBVAL_"))


def _expand(sources: Any) -> list[Path]:
    if isinstance(sources, (str, os.PathLike)):
        sources = [sources]
    paths: list[Path] = []
    for source in sources:
        path = Path(source)
        if not path.exists():
            raise StudentBuildError(f"{path} does not exist; check the path of the "
                                    "exercise notebook")
        if path.is_dir():
            found = sorted(p for p in path.glob("*.ipynb") if p.is_file())
            if not found:
                raise StudentBuildError(f"{path} is a folder with no .ipynb notebooks in "
                                        "it; pass the notebooks or their folder")
            paths.extend(found)
        elif path.suffix != ".ipynb":
            raise StudentBuildError(f"{path} is not a notebook (.ipynb); pass only "
                                    "exercise notebooks")
        else:
            paths.append(path)
    if not paths:
        raise StudentBuildError("no source notebooks given; pass one or more .ipynb paths")
    return list(dict.fromkeys(paths))


def _read(path: Path) -> nbformat.NotebookNode:
    try:
        nb = nbformat.read(str(path), as_version=4)
        nbformat.validate(nb)
    except Exception as exc:
        reason = " ".join(f"{type(exc).__name__}: {exc}".split())[:200]
        raise StudentBuildError(f"{path} is not a valid notebook ({reason}); open it in "
                                "Jupyter and save it again") from None
    return nb


def student_text(path: str | os.PathLike) -> str:
    """The student version of the notebook at ``path``, as the text of a ``.ipynb``
    file: what :func:`build_student_versions` writes for it (and ``loopedu workspace``
    for each lesson and exercise). Raises :class:`StudentBuildError` as that does.

    Introduced in notebooks/00-start-here.ipynb.
    """
    path = Path(path)
    student = student_notebook(_read(path), path)
    try:
        nbformat.validate(student)
    except Exception as exc:  # should not happen: the source itself was valid
        raise StudentBuildError(f"{path}: the student version is not a valid notebook "
                                f"({type(exc).__name__}); report this bug") from None
    text = nbformat.writes(student)
    if not text.endswith("\n"):
        text += "\n"
    if _ANY_MARKER.search(text):  # belt and braces: no marker may survive
        raise StudentBuildError(f"{path}: solution marker text survived the build; "
                                "report this bug")
    return text


def _targets(paths: list[Path], out_dir: Path) -> list[Path]:
    try:
        check_output_folder(out_dir)
    except OutputError as exc:
        raise StudentBuildError(str(exc)) from None
    out = out_dir.resolve()
    resolved = {p.resolve() for p in paths}
    targets: dict[Path, Path] = {}
    for path in paths:
        if path.resolve().parent == out:
            raise StudentBuildError(f"{out_dir} is the folder of the source {path}; choose "
                                    "another folder, e.g. a 'student' subfolder")
        target = out / path.name
        if target.resolve() in resolved:
            raise StudentBuildError(f"writing {target} would overwrite the source "
                                    f"{target.resolve()}; choose another folder")
        if target in targets:
            raise StudentBuildError(f"{targets[target]} and {path} are both named "
                                    f"{path.name}; build them into different folders")
        targets[target] = path
    return list(targets)


def build_student_versions(sources: str | os.PathLike | Iterable[str | os.PathLike],
                           out_dir: str | os.PathLike) -> list[FileResult]:
    """Write the student version of each source notebook into ``out_dir``.

    ``sources`` is a notebook path, a folder of notebooks, or a list of either. Each
    student version has the source's file name. Every source is read and checked
    first: a missing source, a non-notebook, unbalanced or nested markers (naming the
    cell and line), or an ``out_dir`` that is a source's own folder or would overwrite
    a source raise :class:`StudentBuildError` before anything is written. Returns a
    :class:`loopedu.keep_edits.FileResult` per source, in the order of the sources
    (``.current`` is the student version's path); a folder that cannot be written
    raises :class:`loopedu.keep_edits.OutputError`.

    Example::

        >>> import tempfile
        >>> from loopedu.course import course_root
        >>> source = course_root() / "exercises" / "01-loopback-range-exercises.ipynb"
        >>> with tempfile.TemporaryDirectory() as out:
        ...     print(*build_student_versions(source, out))      # doctest: +ELLIPSIS
        ...     print(*build_student_versions(source, out))      # doctest: +ELLIPSIS
        created   ...01-loopback-range-exercises.ipynb
        unchanged ...01-loopback-range-exercises.ipynb

    Introduced in notebooks/00-start-here.ipynb.
    """
    paths = _expand(sources)
    targets = _targets(paths, Path(out_dir))
    texts = [student_text(path) for path in paths]
    return write_files(out_dir, [(target.name, text) for target, text in zip(targets, texts)])
