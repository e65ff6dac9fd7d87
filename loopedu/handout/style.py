"""How a handout looks on screen and on paper: the paper size, the footer (the title
and page N of M, as CSS margin boxes, which Chromium prints since version 131), code
scaled to fit the line, colours that reach 4.5:1, links that do not rest on colour.

Introduced in notebooks/00-start-here.ipynb (``loopedu handout --paper``).
"""

from __future__ import annotations

import locale
import os
import re

__all__ = ["PAPERS", "LETTER_TERRITORIES", "default_paper", "handout_css", "footer_css",
           "code_size"]

#: The paper sizes ``--paper`` takes: CSS name, width in millimetres.
PAPERS = {"a4": ("A4", 210.0), "letter": ("letter", 215.9)}
#: Countries whose locales print on US Letter (glibc's LC_PAPER); A4 everywhere else.
LETTER_TERRITORIES = ("US", "CA", "MX", "PH", "CL", "CO", "VE", "PR", "CR", "GT", "DO",
                      "PA", "SV", "NI")
MARGIN_MM = {"top": 14, "side": 15, "bottom": 17}
#: Code font sizes in points, largest first: a code cell takes the largest its widest
#: line fits in; a line too wide even for the last wraps, at a space where it can.
#: Nothing smaller than 8 pt: a reviewer of issue 21 found 7 pt outputs too small to
#: read on A4, so a wider line wraps instead (lessons keep their outputs narrower).
CODE_SIZES = (9.0, 8.5, 8.0)
_MONO_ADVANCE = 0.602  # DejaVu Sans Mono's advance width, in em
#: What the printed text width loses before a code line starts, in CSS px (0.75 pt):
#: the body's margin on both sides (8 px, which the print CSS sets), and the code
#: pre's padding (4 px) and its editor's border (1 px) on both sides; an output's
#: padding (--jp-code-padding) is less than the last two. Left out, a line a
#: few characters short of the paper's width was sized to fit and wrapped instead.
_BODY_MARGIN_PX = 8
_CODE_CHROME_PT = (2 * _BODY_MARGIN_PX + 2 * (4 + 1)) * 0.75 + 1.0  # and 1 pt of room
_TERRITORY = re.compile(r"^[A-Za-z]{2,3}_([A-Z]{2})\b")


def default_paper(environ=None) -> str:
    """``"letter"`` where the locale's country prints on US Letter (the US, Canada,
    Mexico, ...: :data:`LETTER_TERRITORIES`), else ``"a4"``. The locale is the first of
    ``LC_ALL``, ``LC_PAPER`` and ``LANG`` that is set, as POSIX reads them (none set is
    the C locale: A4); on Windows, which sets none, the user's locale.

    >>> default_paper({"LANG": "en_US.UTF-8"}), default_paper({"LANG": "de_DE.UTF-8"})
    ('letter', 'a4')
    >>> default_paper({"LC_ALL": "C.UTF-8", "LANG": "en_US.UTF-8"})
    'a4'

    Introduced in notebooks/00-start-here.ipynb (``loopedu handout --paper``).
    """
    environ = os.environ if environ is None else environ
    name = next((environ[v] for v in ("LC_ALL", "LC_PAPER", "LANG") if environ.get(v)), "")
    if not name and os.name == "nt":
        # not on POSIX: Python reports the C locale there as en_US (its alias table)
        name = locale.getlocale()[0] or ""
        if "United States" in name or "Canada" in name:  # Windows spells it out
            return "letter"
    found = _TERRITORY.match(name)
    return "letter" if found and found.group(1) in LETTER_TERRITORIES else "a4"


def text_width_pt(paper: str) -> float:
    """The width of the printed text on ``paper``, in points."""
    return (PAPERS[paper][1] - 2 * MARGIN_MM["side"]) * 72 / 25.4


def code_size(widest: int, paper: str) -> float:
    """The code font size (points) at which a line of ``widest`` characters fits the
    printed width of ``paper``: the largest of :data:`CODE_SIZES` that fits, else the
    smallest (and that code wraps).

    >>> code_size(80, "a4"), code_size(91, "a4"), code_size(96, "a4"), code_size(200, "a4")
    (9.0, 8.5, 8.0, 8.0)

    Introduced in notebooks/00-start-here.ipynb (``loopedu handout --paper``).
    """
    room = text_width_pt(paper) - _CODE_CHROME_PT
    return next((s for s in CODE_SIZES if widest * _MONO_ADVANCE * s <= room), CODE_SIZES[-1])


def size_class(where: str, size: float) -> str:
    """The cell tag that sets code of ``where`` ("in" or "out") to ``size`` points."""
    return f"loopedu-{where}-{round(size * 10)}"


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def footer_css(title: str, name: str = "") -> str:
    """The ``@page`` rule (of the named page ``name``, else every page) whose footer
    holds ``title`` on the left and "page N of M" on the right.

    Introduced in notebooks/00-start-here.ipynb (``loopedu handout --pdf``).
    """
    box = "font-family: 'DejaVu Sans', sans-serif; font-size: 8.5pt; color: #333;"
    return (f"@page {name} {{ @bottom-left {{ content: {_css_string(title)}; {box} }}\n"
            f"  @bottom-right {{ content: \"page \" counter(page) \" of \" counter(pages); "
            f"{box} }} }}\n")


#: Pygments colours (JupyterLab's light theme) that fall below 4.5:1 on the code
#: background (#f5f5f5), darkened: tests/test_accessibility.py runs axe-core over them.
_CODE_COLOURS = {"atom": "#5555cc", "bracket": "#5c5c3d", "comment": "#2f6363",
                 "error": "#c00000", "meta": "#7a1fd1", "operator": "#7a1fd1",
                 "number": "#006b00", "quote": "#006b00", "variable-3": "#005f5f"}

_CSS = """
:root { %(code_colours)s }
.jp-RenderedHTMLCommon a:link, .jp-RenderedHTMLCommon a:visited, .loopedu-index a {
  text-decoration: underline; }
.loopedu-banner { border-left: 6px solid #0072B2; background: #eef5fb; color: #1a1a1a;
  padding: 0.4em 0.8em; margin: 0.5em 0 1em; }
.loopedu-banner p { margin: 0.2em 0; }
figure.loopedu-figure, figure.loopedu-drawing { margin: 0.5em 0; }
figure.loopedu-figure img { max-width: 100%%; height: auto; }
figure.loopedu-figure figcaption, figure.loopedu-drawing figcaption {
  font-style: italic; color: #333; margin-top: 0.3em; }
.loopedu-data table { border-collapse: collapse; font-size: 0.9em; margin: 0.3em 0; }
.loopedu-data th, .loopedu-data td { border: 1px solid #777; padding: 0.1em 0.5em;
  text-align: left; }
.loopedu-widget { border: 1px dashed #777; padding: 0.4em 0.8em; }
.loopedu-note { color: #444; font-style: italic; }
.loopedu-icon { font-weight: bold; border: 1px solid #555; border-radius: 3px;
  padding: 0 0.25em; font-size: 0.9em; white-space: nowrap; }
.loopedu-write { margin: 0.4em 0 0.8em; }
.loopedu-write p { margin: 0 0 0.2em; font-weight: bold; }
.loopedu-line { border-bottom: 1px solid #555; height: 2.1em; }
.loopedu-index li { margin: 0.4em 0; line-height: 1.9; }
@page { size: %(paper)s; margin: %(top)smm %(side)smm %(bottom)smm; }
@media print {
  /* no space after the last line: a page that ended a few px above its bottom margin
     had the body's bottom margin (and the last cell's padding) spill onto a page of
     its own, printed blank but for the footer */
  body { font-size: 10.5pt; line-height: 1.35; color: #000; padding: 0 !important;
    margin: %(body_margin)spx %(body_margin)spx 0 !important; }
  main > .jp-Cell:last-child { padding-bottom: 0 !important; margin-bottom: 0 !important; }
  main > .jp-Cell:last-child .jp-RenderedHTMLCommon > :last-child,
  main > .jp-Cell:last-child .jp-OutputArea-output > :last-child {
    margin-bottom: 0 !important; padding-bottom: 0 !important; }
  .jp-RenderedHTMLCommon { font-size: 10.5pt; }
  .jp-RenderedHTMLCommon h1 { font-size: 19pt; margin-top: 0.2em; }
  .jp-RenderedHTMLCommon h2 { font-size: 14pt; }
  .jp-RenderedHTMLCommon h3 { font-size: 12pt; }
  pre, code { font-size: 9pt; }
  pre { white-space: pre-wrap; overflow-wrap: anywhere; }
  /* JupyterLab breaks output text anywhere (word-break: break-all): on paper a line
     then ends in the middle of a word, or of an address; break between words, and
     inside one only when it is wider than the line */
  .jp-OutputArea-output pre { word-break: normal !important; }
  h1, h2, h3, h4 { break-after: avoid; }
  .jp-OutputArea-child, .jp-Cell, .jp-Cell-outputWrapper, .jp-Cell-inputWrapper {
    break-inside: auto; }
  figure, img, tr, .loopedu-write, .loopedu-banner { break-inside: avoid; }
  .celltag_loopedu-keep, .celltag_loopedu-keep-input .jp-Cell-inputWrapper {
    break-inside: avoid; }
  /* a block (not JupyterLab's table cell) so that a long output can break across
     pages; its width (100%%) then holds its padding too, or its right edge overhangs
     the output area, whose overflow: hidden cut the last character of each line */
  .jp-OutputArea-output { display: block !important; overflow: visible !important;
    box-sizing: border-box; }
  /* nbconvert's .jp-MarkdownOutput.jp-RenderedHTMLCommon { overflow: auto } made each
     markdown cell a scroll container: one taller than a page printed a grey scroll bar
     beside it and left a blank last page */
  .jp-MarkdownOutput, .jp-MarkdownOutput.jp-RenderedHTMLCommon {
    overflow: visible !important; }
  /* a table's header repeats on each page it runs over, and no row splits; the header
     stays with the first row */
  thead { display: table-header-group; break-inside: avoid; break-after: avoid; }
  .jp-RenderedHTMLCommon table { width: 100%%; table-layout: auto; font-size: 8.5pt; }
  .jp-RenderedHTMLCommon td, .jp-RenderedHTMLCommon th { overflow-wrap: break-word;
    max-width: none; }
  figure.loopedu-figure img { max-height: 105mm; width: auto; }
  a.anchor-link { display: none; }
  .jp-Cell { padding: 2px 0; }
  details.loopedu-data > summary { list-style: none; font-weight: bold; }
%(sizes)s
}
"""


def handout_css(paper: str) -> str:
    """The CSS every handout carries (on top of JupyterLab's): page size and margins
    for ``paper``, print sizes, the course's classes, and code colours that reach 4.5:1.

    Introduced in notebooks/00-start-here.ipynb (``loopedu handout``).
    """
    if paper not in PAPERS:
        raise ValueError(f"paper must be one of {', '.join(PAPERS)}, not {paper!r}")
    sizes = []
    for size in CODE_SIZES:
        sizes.append(f"  .celltag_{size_class('in', size)} .jp-InputArea pre "
                     f"{{ font-size: {size}pt !important; }}")
        sizes.append(f"  .celltag_{size_class('out', size)} .jp-OutputArea pre "
                     f"{{ font-size: {size}pt !important; }}")
    colours = " ".join(f"--jp-mirror-editor-{k}-color: {v};" for k, v in _CODE_COLOURS.items())
    return _CSS % {"paper": PAPERS[paper][0], "sizes": "\n".join(sizes),
                   "code_colours": colours, "body_margin": _BODY_MARGIN_PX,
                   **MARGIN_MM}
