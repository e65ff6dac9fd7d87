"""A small SVG canvas for the course's drawings: boxes, text, arrows and lines, written
as plain SVG 1.1 (no library, no fonts to embed), in the course's palette.

Every shape that carries meaning carries a word too (an arrow's label, a box's text), so
nothing rests on colour alone; text is :data:`loopedu.palette.TEXT` on light tints, which
tests/test_drawings.py checks reaches 4.5:1.

Introduced in notebooks/02-localhost-is-a-name.ipynb (the first drawing).
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from pathlib import Path

from ..palette import OKABE_ITO, PAPER, TEXT, tint

__all__ = ["Canvas", "Drawing", "FILLS", "LINES", "FONT", "own_ids"]

#: Light fills, each a tint of an Okabe-Ito colour, by meaning.
FILLS = {"host": tint(OKABE_ITO["sky blue"], 0.8), "lo": tint(OKABE_ITO["orange"], 0.75),
         "net": tint(OKABE_ITO["bluish green"], 0.8), "kernel": tint(OKABE_ITO["blue"], 0.85),
         "program": PAPER, "other": tint(OKABE_ITO["reddish purple"], 0.8),
         "danger": tint(OKABE_ITO["vermillion"], 0.8)}
#: Line colours, each paired with a dash pattern and a word wherever it carries meaning.
LINES = {"ok": OKABE_ITO["blue"], "refused": OKABE_ITO["vermillion"], "plain": TEXT}
FONT = "DejaVu Sans, Liberation Sans, Arial, sans-serif"


def _attr(value) -> str:
    return html.escape(str(value), quote=True)


@dataclass
class Canvas:
    """A ``width`` x ``height`` drawing, built shape by shape, written by :meth:`svg`.

    >>> c = Canvas(200, 60)
    >>> c.box(10, 10, 80, 40, "lo", fill="lo")
    >>> c.arrow(90, 30, 190, 30, "SYN")
    >>> c.svg("A box and an arrow", "A box named lo with an arrow labelled SYN.")[:4]
    '<svg'
    """

    width: int
    height: int
    parts: list = field(default_factory=list)
    texts: list = field(default_factory=list)   # (text, fill behind it) for the tests

    def text(self, x: float, y: float, words: str, *, size: int = 13, anchor: str = "middle",
             bold: bool = False, on: str = PAPER, italic: bool = False,
             backed: bool = False) -> None:
        """``words`` (one line; ``\\n`` starts another) centred at (x, y) by default;
        ``on`` is the colour behind it (recorded for the contrast test). ``backed``
        paints a rectangle of ``on`` behind each line first, so that a line drawn
        earlier (a lifeline) stops at the text instead of crossing it."""
        lines = words.split("\n")
        top = y - (len(lines) - 1) * size * 0.6
        for i, line in enumerate(lines):
            self.texts.append((line, on))
            if backed and line:
                # DejaVu Sans averages under 0.6 em a character; 0.64 and a pad of 3 px
                # on each side cover bold and capitals too
                w = len(line) * size * (0.7 if bold else 0.64) + 6
                left = {"middle": x - w / 2, "end": x - w + 3}.get(anchor, x - 3)
                ry = top + i * size * 1.2 - size * 0.7
                self.parts.append(f'<rect x="{left:.1f}" y="{ry:.1f}" width="{w:.1f}" '
                                  f'height="{size * 1.4:.1f}" fill="{on}"/>')
            style = (' font-weight="bold"' if bold else "") + \
                    (' font-style="italic"' if italic else "")
            self.parts.append(
                f'<text x="{x:.1f}" y="{top + i * size * 1.2:.1f}" font-size="{size}" '
                f'text-anchor="{anchor}" dominant-baseline="middle" fill="{TEXT}"{style}>'
                f'{html.escape(line)}</text>')

    def box(self, x: float, y: float, w: float, h: float, label: str = "", *,
            fill: str = "program", dashed: bool = False, size: int = 13,
            label_at: str = "middle", bold: bool = False) -> None:
        """A rounded box filled with :data:`FILLS` ``fill`` (or a colour), its label
        centred (``label_at="top"``: along the top edge, for a box that holds others)."""
        colour = FILLS.get(fill, fill)
        dash = ' stroke-dasharray="6 4"' if dashed else ""
        self.parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" '
                          f'rx="6" fill="{colour}" stroke="{TEXT}" stroke-width="1.2"{dash}/>')
        if label:
            ty = y + 14 if label_at == "top" else y + h / 2
            self.text(x + w / 2, ty, label, size=size, on=colour, bold=bold)

    def line(self, x1: float, y1: float, x2: float, y2: float, *, kind: str = "plain",
             dashed: bool = False, width: float = 1.5) -> None:
        """A straight line of :data:`LINES` ``kind``."""
        dash = ' stroke-dasharray="7 5"' if dashed else ""
        self.parts.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                          f'stroke="{LINES[kind]}" stroke-width="{width}"{dash}/>')

    def arrow(self, x1: float, y1: float, x2: float, y2: float, label: str = "", *,
              kind: str = "plain", dashed: bool = False, label_side: float = -10,
              both: bool = False, blocked: bool = False, size: int = 12,
              backed: bool = False) -> None:
        """An arrow from (x1, y1) to (x2, y2), its ``label`` beside the middle;
        ``blocked`` ends it in a cross instead of a head (refused, dropped); ``backed``
        as in :meth:`text`."""
        self.line(x1, y1, x2, y2, kind=kind, dashed=dashed, width=2)
        angle = math.atan2(y2 - y1, x2 - x1)
        ends = [(x2, y2, angle)] + ([(x1, y1, angle + math.pi)] if both else [])
        for ex, ey, a in ends:
            if blocked:
                for d in (math.pi / 4, -math.pi / 4):
                    self.line(ex - 8 * math.cos(a + d), ey - 8 * math.sin(a + d),
                              ex + 8 * math.cos(a + d), ey + 8 * math.sin(a + d),
                              kind=kind, width=2.5)
                continue
            left = (ex - 11 * math.cos(a - 0.45), ey - 11 * math.sin(a - 0.45))
            right = (ex - 11 * math.cos(a + 0.45), ey - 11 * math.sin(a + 0.45))
            self.parts.append(f'<polygon points="{ex:.1f},{ey:.1f} {left[0]:.1f},{left[1]:.1f} '
                              f'{right[0]:.1f},{right[1]:.1f}" fill="{LINES[kind]}"/>')
        if label:
            mx, my = (x1 + x2) / 2, (y1 + y2) / 2
            nx, ny = -math.sin(angle), math.cos(angle)
            self.text(mx + nx * label_side, my + ny * label_side, label, size=size,
                      backed=backed)

    def svg(self, title: str, description: str) -> str:
        """The drawing as an SVG document whose ``<title>`` and ``<desc>`` (and
        ``aria-label``) are ``title`` and ``description``: what a screen reader says."""
        return (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" '
                f'width="{self.width}" height="{self.height}" '
                f'viewBox="0 0 {self.width} {self.height}" aria-labelledby="t d" '
                f'font-family="{_attr(FONT)}">'
                f'<title id="t">{html.escape(title)}</title>'
                f'<desc id="d">{html.escape(description)}</desc>'
                f'<rect width="100%" height="100%" fill="{PAPER}"/>'
                + "".join(self.parts) + "</svg>")


def own_ids(svg: str, name: str) -> str:
    """``svg`` (a drawing, whose title and description have the ids ``t`` and ``d``)
    with ids of its own, ``NAME-title`` and ``NAME-desc``: a page showing two drawings
    must not hold two ``id="t"``, or the second is named by the first one's title.

    >>> print(own_ids('<svg aria-labelledby="t d"><title id="t">T</title>', "lo"))
    <svg aria-labelledby="lo-title lo-desc"><title id="lo-title">T</title>

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    svg = svg.replace('aria-labelledby="t d"', f'aria-labelledby="{name}-title {name}-desc"', 1)
    svg = svg.replace('<title id="t">', f'<title id="{name}-title">', 1)
    return svg.replace('<desc id="d">', f'<desc id="{name}-desc">', 1)


@dataclass(frozen=True)
class Drawing:
    """One drawing: ``name`` (a file name stem), ``title``, ``alt`` (what it shows, in
    sentences: the text a screen reader reads and the printed caption), ``svg``.
    Jupyter shows it as a figure with the alt text as its caption."""

    name: str
    title: str
    alt: str
    svg: str

    def _repr_html_(self) -> str:
        return (f'<figure class="loopedu-drawing" style="margin:0.5em 0">'
                f'{own_ids(self.svg, self.name)}'
                f'<figcaption style="color:{TEXT};font-size:0.9em;max-width:720px">'
                f'<strong>{html.escape(self.title)}.</strong> {html.escape(self.alt)}'
                f'</figcaption></figure>')

    def save(self, folder) -> Path:
        """Write ``NAME.svg`` into ``folder``; returns its path."""
        path = Path(folder) / f"{self.name}.svg"
        path.write_text(self.svg + "\n", encoding="utf-8")
        return path


def drawing(canvas: Canvas, name: str, title: str, alt: str) -> Drawing:
    """The :class:`Drawing` of ``canvas``, its SVG titled ``title`` and described by
    ``alt``."""
    return Drawing(name, title, alt, canvas.svg(title, alt))
