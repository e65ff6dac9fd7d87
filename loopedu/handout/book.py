"""The set of handouts as one book: every page written, links pointing inside the set,
an index page, and ``book.html``, the whole set as one document (a contents page, then
every handout, each starting on a new page with its own title in the footer) whose PDF,
``book.pdf``, keeps every link inside the set as a link inside the PDF.

Introduced in notebooks/00-start-here.ipynb (``loopedu handout``, for instructors).
"""

from __future__ import annotations

import html
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .exercises_only import exercises_page
from .links import demote_headings, prefix_ids, rewrite_links, unlink_files
from .page import HandoutError, HandoutPage, handout_html
from .pdf import INSTALL_HINT, find_chromium, footer_note, print_pdf
from .style import PAPERS, default_paper, footer_css

__all__ = ["Handouts", "build_handouts", "BOOK_TITLE"]

BOOK_TITLE = "loopedu handouts"
INDEX, BOOK = "index", "book"

_INDEX_CSS = """body { font-family: 'DejaVu Sans', sans-serif; max-width: 42em; margin: 2em auto;
  color: #1a1a1a; line-height: 1.5; padding: 0 1em; }
a { color: #0d47a1; text-decoration: underline; }
li { margin: 0.6em 0; }
@media print { body { font-size: 11pt; } }"""


@dataclass
class Handouts:
    """What :func:`build_handouts` wrote (``written``, in order) and what the
    instructor should know (``notes``, one line each)."""
    written: list = field(default_factory=list)
    notes: list = field(default_factory=list)


def _index(pages: list[HandoutPage], pdf: bool, book: bool) -> str:
    items = []
    for page in pages:
        title = html.escape(page.title)
        item = f'<a href="{html.escape(page.name)}">{title}</a>'
        if pdf:
            item += f' (<a href="{html.escape(page.stem)}.pdf">{title}, PDF</a>)'
        items.append(f"<li>{item}</li>")
    whole = ""
    if book:
        whole = (f'<p>The whole set in one file: <a href="{BOOK}.html">all the handouts as '
                 "one page</a>" + (f', and <a href="{BOOK}.pdf">all the handouts as one PDF'
                                   "</a>, to print" if pdf else "") + ".</p>\n")
    return ('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{BOOK_TITLE}</title>\n<style>{_INDEX_CSS}</style>\n</head>\n<body>\n"
            f'<main class="loopedu-index">\n<h1>{BOOK_TITLE}</h1>\n{whole}<ol>\n'
            + "\n".join(items) + "\n</ol>\n</main>\n</body>\n</html>\n")


def _book(pages: list[HandoutPage], targets: dict) -> str:
    """Every page in one document, every link inside the set an anchor in it."""
    first = pages[0].html
    head = first[first.index("<head>") + len("<head>"):first.index("</head>")]
    head = re.sub(r"<title>.*?</title>", f"<title>{BOOK_TITLE}</title>", head, flags=re.DOTALL)
    body_tag = re.search(r"<body\b[^>]*>", first).group(0)
    rules = [footer_css(BOOK_TITLE)]
    contents, parts = [], []
    for number, page in enumerate(pages, 1):
        rules.append(footer_css(page.title, f"part{number}"))
        rules.append(f"section.loopedu-part{number} {{ page: part{number}; }}")
        contents.append(f'<li><a href="#{page.stem}">{html.escape(page.title)}</a></li>')
        text = rewrite_links(page.main, page.source.parent, targets, page.stem, book=True)
        parts.append(f'<section class="loopedu-part{number}" id="{page.stem}">'
                     f"{demote_headings(prefix_ids(text, page.stem))}</section>")
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>{head}<style>{"".join(rules)}</style>'
            f"</head>\n{body_tag}\n<main>\n<h1>{BOOK_TITLE}</h1>\n"
            f'<nav aria-label="contents" class="loopedu-index"><ol>{"".join(contents)}</ol>'
            "</nav>\n" + "\n".join(parts) + "\n</main>\n</body>\n</html>\n")


def _check_output(out_dir: Path, pages: list[HandoutPage]) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise HandoutError(f"{out_dir} is a file, not a folder; choose a folder for the "
                           "handouts with -o")
    names = [p.name for p in pages]
    twice = sorted({n for n in names if names.count(n) > 1} | (
        {f"{INDEX}.html", f"{BOOK}.html"} & set(names) if len(pages) > 1 else set()))
    if twice:
        raise HandoutError(f"two handouts would both be written as {twice[0]}; make "
                           "their handouts with separate -o folders")
    sources = {p.source.resolve().parent for p in pages}
    if out_dir.resolve() in sources:
        raise HandoutError(f"{out_dir} holds the notebooks themselves; choose another "
                           "folder with -o")


def build_handouts(sources, out_dir: str | os.PathLike, pdf: bool = False,
                   solutions: bool = False, paper: str | None = None,
                   exercises_only: bool = False) -> Handouts:
    """Write the handout of each notebook or markdown page in ``sources`` into
    ``out_dir`` (made if needed), laid out for ``paper`` (default:
    :func:`~loopedu.handout.style.default_paper`); with several, ``index.html`` and
    ``book.html`` too; with ``pdf`` a PDF of each (and ``book.pdf``). With
    ``exercises_only``, one handout, ``exercises.html``, of just their exercises.

    Every source is read and rendered, and Chromium found, before anything is written;
    :class:`HandoutError` says what is wrong.

    Introduced in notebooks/00-start-here.ipynb (``loopedu handout``, for instructors).
    """
    paths = [Path(sources)] if isinstance(sources, (str, os.PathLike)) else [
        Path(s) for s in sources]
    if not paths:
        raise HandoutError("name at least one notebook")
    paper = paper or default_paper()
    if paper not in PAPERS:
        raise HandoutError(f"--paper takes {' or '.join(PAPERS)}, not {paper!r}")
    out_dir = Path(out_dir)
    chromium = find_chromium() if pdf else None
    if pdf and chromium is None:
        raise HandoutError(f"--pdf needs Chromium and none was found; {INSTALL_HINT}")
    if exercises_only:
        pages = [exercises_page(paths, solutions, paper)]
    else:
        pages = [handout_html(path, solutions, paper) for path in paths]
    _check_output(out_dir, pages)
    targets = {p.source.resolve(): p.stem for p in pages}
    several = len(pages) > 1
    book = _book(pages, targets) if several else ""
    for page in pages:
        page.html = rewrite_links(page.html, page.source.parent, targets, page.stem)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise HandoutError(f"cannot make the folder {out_dir}: {exc.strerror}") from None
    done = Handouts()
    for page in pages:
        (out_dir / page.name).write_text(page.html, encoding="utf-8")
        done.written.append(out_dir / page.name)
    if several:
        for stem, text in ((INDEX, _index(pages, pdf, True)), (BOOK, book)):
            (out_dir / f"{stem}.html").write_text(text, encoding="utf-8")
            done.written.append(out_dir / f"{stem}.html")
    if pdf:
        note = footer_note(chromium)
        done.notes += [note] if note else []
        with tempfile.TemporaryDirectory(prefix="loopedu-handout-") as scratch:
            for page in pages:  # one handout's PDF: links to the others would be file://
                alone = Path(scratch) / page.name
                alone.write_text(unlink_files(page.html), encoding="utf-8")
                done.written.append(print_pdf(alone, out_dir / f"{page.stem}.pdf", chromium))
        if several:
            done.written.append(print_pdf(out_dir / f"{BOOK}.html", out_dir / f"{BOOK}.pdf",
                                          chromium))
    return done
