"""The course's drawings (loopedu.drawings): valid SVG that a screen reader can name
(title and description), an alt text that says what the drawing shows, text that reaches
the WCAG contrast for text, only colour-blind-safe colours, and a width that prints."""

import re
import xml.etree.ElementTree as ET
from html import escape
from pathlib import Path

import pytest

from loopedu import drawings
from loopedu.drawings.canvas import FILLS, LINES
from loopedu.palette import OKABE_ITO, PAPER, TEXT, contrast_ratio, tint

SVG = "{http://www.w3.org/2000/svg}"
NAMES = [f.__name__ for f in drawings.ALL]

#: What each drawing must show, in words a reader (and a screen reader) gets.
MUST_SAY = {
    "packet_path": ["127.0.0.1", "local 127.0.0.0/8 dev lo", "lo", "network card"],
    "bind_matrix": ["127.0.0.1", "0.0.0.0", "::", "127.0.0.2", "::1", "refused"],
    "localhost_trap": ["::1", "127.0.0.1", "RFC 6724", "ECONNREFUSED"],
    # named as the lesson's pod demo names them (it printed "container B/C" before)
    "container_loopbacks": ["own lo", "pod", "--network host", "127.0.0.1", "app",
                            "sidecar", "other"],
    "ssh_tunnels": ["ssh -L", "ssh -R", "GatewayPorts no", "every program"],
    "dns_rebinding": ["127.0.0.1", "Host", "203.0.113.7", "TTL"],
}


@pytest.mark.parametrize("name", NAMES)
def test_the_drawing_is_named_for_a_screen_reader_and_says_what_it_shows(name):
    d = getattr(drawings, name)()
    root = ET.fromstring(d.svg)
    assert root.get("role") == "img" and root.get("aria-labelledby") == "t d"
    assert root.find(f"{SVG}title").text == d.title
    assert root.find(f"{SVG}desc").text == d.alt
    assert len(d.alt) >= 150 and d.alt.endswith(".")
    words = d.alt + " " + " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    for phrase in MUST_SAY[name]:
        assert phrase in words, (name, phrase)
    assert not re.search(r"container [A-Z]\b", words), "name containers as the lesson does"
    assert int(root.get("width")) <= 720, "wider than a printed page"
    html = d._repr_html_()
    assert "<figcaption" in html and escape(d.alt) in html


@pytest.mark.parametrize("name", NAMES)
def test_text_reaches_the_contrast_for_text(name):
    d = getattr(drawings, name)()
    # every text of the drawing is TEXT on the colour recorded behind it
    canvas_texts = re.findall(r'<text [^>]*fill="(#[0-9A-Fa-f]{6})"', d.svg)
    assert canvas_texts and set(canvas_texts) == {TEXT}
    for fill in list(FILLS.values()) + [PAPER]:
        assert contrast_ratio(TEXT, fill) >= 4.5, fill


@pytest.mark.parametrize("name", NAMES)
def test_only_colour_blind_safe_colours(name):
    d = getattr(drawings, name)()
    allowed = {c.upper() for c in OKABE_ITO.values()} | {TEXT.upper(), PAPER.upper()}
    allowed |= {f.upper() for f in FILLS.values()}
    used = {c.upper() for c in re.findall(r'(?:fill|stroke)="(#[0-9A-Fa-f]{6})"', d.svg)}
    assert used and used <= allowed, used - allowed
    assert all(tint(c, 0.75) for c in OKABE_ITO.values())


def test_a_meaning_is_never_colour_alone():
    """A refused or blocked arrow is dashed or ends in a cross, and has a word near it in
    the drawing or its alt text; the two line colours that carry meaning differ in
    lightness enough to tell apart in greyscale."""
    for f in drawings.ALL:
        svg = f().svg
        refused = re.findall(rf'<line [^>]*stroke="{LINES["refused"]}"[^>]*>', svg)
        ok = re.findall(rf'<line [^>]*stroke="{LINES["ok"]}"[^>]*>', svg)
        if refused and ok:
            assert any("stroke-dasharray" in line for line in refused) or "✗" in svg, f
    assert abs(contrast_ratio(LINES["ok"], PAPER) - contrast_ratio(LINES["refused"], PAPER)) > 0.5


def test_drawings_save_as_svg_files(tmp_path):
    for f in drawings.ALL:
        path = f().save(tmp_path)
        ET.parse(path)
    assert sorted(p.stem for p in tmp_path.iterdir()) == sorted(f().name for f in drawings.ALL)


# ---- no line crosses a word (review: the rebinding drawing's lifelines crossed labels) ----

def _dejavu(style: str) -> str:
    """DejaVu Sans as matplotlib ships it (a dependency of the course): on every machine."""
    import matplotlib

    return str(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / f"DejaVuSans{style}.ttf")


def _text_boxes(root):
    """(index in drawing order, left, right, top, bottom, words) of each text, its width
    measured with DejaVu Sans, the drawing's first font (Pillow)."""
    from PIL import ImageFont as font_module  # Pillow: a dependency of matplotlib

    boxes = []
    for i, el in enumerate(root):
        if el.tag != f"{SVG}text" or not el.text:
            continue
        size = float(el.get("font-size"))
        style = "-Bold" if el.get("font-weight") else "-Oblique" if el.get("font-style") else ""
        width = font_module.truetype(_dejavu(style), round(size)).getlength(el.text)
        x, y = float(el.get("x")), float(el.get("y"))
        left = {"middle": x - width / 2, "end": x - width}.get(el.get("text-anchor"), x)
        boxes.append((i, left, left + width, y - size * 0.45, y + size * 0.45, el.text))
    return boxes


@pytest.mark.parametrize("name", NAMES)
def test_no_line_crosses_a_word(name):
    """A line drawn under a text must stop at it: a rectangle of paper painted after
    the line and before the text covers the text's box."""
    root = ET.fromstring(getattr(drawings, name)().svg)
    parts = list(root)
    crossed = []
    for i, left, right, top, bottom, words in _text_boxes(root):
        for j, line in enumerate(parts[:i]):
            if line.tag != f"{SVG}line":
                continue
            x1, y1, x2, y2 = (float(line.get(a)) for a in ("x1", "y1", "x2", "y2"))
            if x1 != x2 or not left < x1 < right or not min(y1, y2) < top < max(y1, y2):
                continue
            covered = any(
                r.tag == f"{SVG}rect" and r.get("fill", "").upper() == PAPER.upper()
                and float(r.get("x")) <= left + 1
                and float(r.get("x")) + float(r.get("width")) >= right - 1
                and float(r.get("y")) <= top and float(r.get("y")) + float(r.get("height"))
                >= bottom for r in parts[j + 1:i])
            if not covered:
                crossed.append((words, x1))
    assert not crossed, crossed
