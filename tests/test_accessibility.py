"""Accessibility of what learners and handout readers see: every figure stored in a
lesson has a one-line alt text (not matplotlib's "<Figure size ...>"), the figures use
the course's colour-blind-safe palette, and each lesson's headings go down one level at
a time."""

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted(
    (ROOT / "exercises").glob("*.ipynb"))


def _figures(nb):
    """The alt text of every figure stored in ``nb``: a plot's text/plain, a drawing's
    caption (loopedu.drawings shows an SVG figure with its alt text as caption)."""
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "image/png" in data:
                yield data.get("text/plain", "")
            page = data.get("text/html", "")
            page = page if isinstance(page, str) else "".join(page)
            if '<figure class="loopedu-drawing"' in page:
                caption = re.search(r"<figcaption[^>]*>(.*?)</figcaption>", page, re.S)
                yield re.sub(r"<[^>]+>", "", caption.group(1)).strip() if caption else ""


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_every_stored_figure_has_alt_text(path):
    nb = nbformat.read(path, as_version=4)
    for alt in _figures(nb):
        alt = alt if isinstance(alt, str) else "".join(alt)
        assert alt.strip() and "\n" not in alt.strip(), f"{path.name}: a figure without alt text"
        assert not alt.startswith("<Figure size"), f"{path.name}: matplotlib's repr, no alt text"
        assert len(alt) >= 20, f"{path.name}: alt text too short to describe a figure: {alt!r}"


def test_lessons_with_figures_exist():
    counts = {p.name: sum(1 for _ in _figures(nbformat.read(p, as_version=4)))
              for p in NOTEBOOKS}
    assert sum(counts.values()) >= 5, counts


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_headings_go_down_one_level_at_a_time(path):
    nb = nbformat.read(path, as_version=4)
    levels = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        inside_code = False
        for line in cell.source.splitlines():
            if line.startswith("```"):
                inside_code = not inside_code
            match = re.match(r"^(#{1,6}) \S", line)
            if match and not inside_code:
                levels.append(len(match.group(1)))
    assert levels and levels[0] == 1, f"{path.name} must open with one # title"
    assert levels.count(1) == 1, f"{path.name} has more than one # title"
    for before, after in zip(levels, levels[1:]):
        assert after <= before + 1, f"{path.name}: a heading skips from h{before} to h{after}"


def test_course_figures_use_the_colour_blind_safe_palette():
    from loopedu import plots

    palette = {c.lower() for c in plots.OKABE_ITO.values()}
    # Okabe and Ito's eight colours (Color Universal Design), the course's palette
    okabe_ito = {"#000000", "#e69f00", "#56b4e9", "#009e73", "#f0e442", "#0072b2",
                 "#d55e00", "#cc79a7"}
    assert palette and palette <= okabe_ito, palette
