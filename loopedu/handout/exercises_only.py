"""A handout of just the exercises (``loopedu handout --exercises-only``): from each
notebook named, every cell that asks for a checked answer (a ``check(...)`` cell, or
markdown with a solution block), with the cells that set its question (back to the
markdown cell before it), under the notebook's title; ruled lines to write on unless
``--solutions``. Predictions stay in the lessons: they belong beside their experiment.

Introduced in notebooks/00-start-here.ipynb (``loopedu handout --exercises-only``).
"""

from __future__ import annotations

import re
from pathlib import Path

from .page import HandoutError, HandoutPage, banner, is_exercise, prepare, read_source, render_page
from .page import _title as title_of

__all__ = ["exercise_cells", "exercises_page", "TITLE"]

TITLE = "Exercises"
STEM = "exercises"
_MD_LINK = re.compile(r"(\]\()([^)\s]+)(\))")
_HTML_HREF = re.compile(r'(href=")([^"]+)(")')


def exercise_cells(nb) -> list[int]:
    """The indices of the cells of ``nb`` an exercises-only handout keeps: each
    exercise and the cells before it back to a markdown cell (not past the exercise
    before it).

    Introduced in notebooks/00-start-here.ipynb (``loopedu handout --exercises-only``).
    """
    keep: list[int] = []
    for index, cell in enumerate(nb.cells):
        if not is_exercise(cell):
            continue
        start = index
        while start > 0 and start - 1 not in keep and nb.cells[start].cell_type != "markdown":
            start -= 1
        keep += [i for i in range(start, index + 1) if i not in keep]
    return keep


def _absolute(match: re.Match, base: Path) -> str:
    href = match.group(2)
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:|^#", href):
        return match.group(0)
    path, _, fragment = href.partition("#")
    uri = (base / path).resolve().as_uri() + (f"#{fragment}" if fragment else "")
    return match.group(1) + uri + match.group(3)


def _moved(source: str, base: Path) -> str:
    """Markdown ``source`` one heading level down, its relative links made absolute
    (the cells of several folders end up in one page)."""
    lines, fenced = [], False
    for line in source.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        lines.append("#" + line if not fenced and re.match(r"^#{1,5} ", line) else line)
    text = "\n".join(lines)
    for pattern in (_MD_LINK, _HTML_HREF):
        text = pattern.sub(lambda m: _absolute(m, base), text)
    return text


def exercises_page(paths: list[Path], solutions: bool, paper: str) -> HandoutPage:
    """One handout of the exercises of every notebook in ``paths``, in order.

    Introduced in notebooks/00-start-here.ipynb (``loopedu handout --exercises-only``).
    """
    import nbformat

    cells = [nbformat.v4.new_markdown_cell(
        f"# {TITLE}\n\nThe exercises of each lesson, in order. Run them in JupyterLab to "
        "have each answer checked at once.")]
    left_out = False
    for path in paths:
        nb = read_source(path)
        keep = exercise_cells(nb)
        if not keep:
            continue
        part = nbformat.v4.new_notebook(cells=[nb.cells[i] for i in keep],
                                        metadata=nb.metadata)
        shown, had = prepare(part, path, solutions, paper)
        left_out |= had
        cells.append(nbformat.v4.new_markdown_cell(f"## {title_of(nb, path)}"))
        for cell in shown.cells:
            if cell.cell_type == "markdown":
                cell.source = _moved(cell.source, path.parent)
            cells.append(cell)
    if len(cells) == 1:
        raise HandoutError("none of these notebooks holds an exercise (a cell that calls "
                           "check(...)); name the exercise notebooks, such as "
                           "exercises/01-loopback-range-exercises.ipynb")
    note = banner(nbformat.v4.new_notebook(), Path(f"{STEM}.md"), left_out)
    source = paths[0].parent / STEM
    html = render_page(nbformat.v4.new_notebook(cells=cells), STEM, TITLE, note, paper)
    return HandoutPage(source, TITLE, html, note, STEM)
