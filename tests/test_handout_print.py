"""How a handout prints when a markdown cell is taller than a page (review of issue 21's
handouts: nbconvert's ``.jp-MarkdownOutput.jp-RenderedHTMLCommon { overflow: auto }``
printed a grey scroll bar beside it and left a blank last page), and a long table keeps
its header with its rows.

Each test builds its own small notebook in tmp_path."""

import re

import pytest
from test_handout import chromium_or_skip, handout, make, md, pdf_pages

#: A markdown cell about three A4 pages long: numbered paragraphs, the last one marked.
LONG_MARKDOWN = "\n\n".join(
    f"Paragraph {i:03d}. The loopback interface carries traffic a host sends to itself; "
    "this sentence only fills the page so that the cell runs over several of them."
    for i in range(90)) + "\n\nTHE LAST PARAGRAPH."

#: A markdown table longer than a page.
LONG_TABLE = ("| row | address | meaning |\n|---|---|---|\n" + "\n".join(
    f"| {i:03d} | 127.0.0.{i % 250 + 1} | loopback, line {i:03d} of the table |"
    for i in range(120)))


def _body(page: str) -> list[str]:
    """The page's lines of text without its footer (the title and "page N of M")."""
    return [ln for ln in page.splitlines() if ln.strip() and not re.search(
        r"page \d+ of \d+\s*$", ln)]


def test_a_markdown_cell_longer_than_a_page_prints_every_line(tmp_path):
    chromium_or_skip()
    path = make(tmp_path, "93-long-text", [md("# 93 · A long text"), md(LONG_MARKDOWN)])
    out = handout(tmp_path, path, args=["--pdf", "--paper", "a4"])
    pages = pdf_pages(out / "93-long-text.pdf")
    assert len(pages) >= 2, "the cell should run over more than one page"
    blank = [n + 1 for n, page in enumerate(pages) if not _body(page)]
    assert not blank, f"pages {blank} of {len(pages)} print only the footer"
    text = "\n".join(pages)
    assert "THE LAST PARAGRAPH." in text
    assert all(f"Paragraph {i:03d}." in text for i in range(90))


#: The height of A4's printed area (297 mm less the 14 mm and 17 mm margins), in CSS px.
A4_ROOM_PX = (297 - 14 - 17) / 25.4 * 96


def _ending(height: float) -> list:
    """A lesson's last cell, a list, after a gap of ``height`` px."""
    return [md("# 90 · The end"), md(f'<div style="height: {height:.2f}px"></div>\n\n'
                                     "Some text.\n\n- the last item\n- THE END")]


def test_a_lesson_ending_just_above_the_bottom_margin_has_no_blank_last_page(tmp_path):
    """Lesson 04's handout ended a few px above page 8's bottom margin, and printed a page
    9 with nothing but its footer: the body's bottom margin spilled over."""
    end = _printed_styles(tmp_path, _ending(0), """() =>
        [...document.querySelectorAll('li')].pop().getBoundingClientRect().bottom""")
    gaps = (1, 3, 6)   # px between the last line and the bottom margin
    paths = [make(tmp_path, f"90-gap{gap}", _ending(A4_ROOM_PX - end - gap))
             for gap in gaps]
    out = handout(tmp_path, *paths, args=["--pdf", "--paper", "a4"], out="pdf")
    for gap, path in zip(gaps, paths):
        pages = pdf_pages(out / f"{path.stem}.pdf")
        assert "THE END" in pages[0], (gap, pages[0][-300:])
        assert len(pages) == 1, f"{gap} px above the margin: {len(pages)} pages"


def _printed_styles(tmp_path, cells, script):
    """``script`` evaluated in the handout of ``cells``, as Chromium prints it."""
    chromium = chromium_or_skip()
    from playwright.sync_api import sync_playwright

    path = make(tmp_path, "92-print", cells)
    out = handout(tmp_path, path, args=["--paper", "a4"])
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True,
                                    args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 680, "height": 900})
            page.emulate_media(media="print")
            page.goto((out / "92-print.html").as_uri())
            return page.evaluate(script)
        finally:
            browser.close()


def test_markdown_prints_without_a_scroll_bar(tmp_path):
    found = _printed_styles(tmp_path, [md("# 92 · Print"), md(LONG_MARKDOWN)], """() =>
        [...document.querySelectorAll('.jp-MarkdownOutput')].map(e => {
            const s = getComputedStyle(e);
            return [s.overflowX, s.overflowY, e.scrollHeight - e.clientHeight]; })""")
    assert found, "no markdown output in the handout"
    assert all(x == "visible" and y == "visible" for x, y, _ in found), found


@pytest.mark.parametrize("script, want", [
    ("() => [...document.querySelectorAll('thead')].map(e => getComputedStyle(e).display)",
     "table-header-group"),
    ("() => [...document.querySelectorAll('tr')].map(e => getComputedStyle(e).breakInside)",
     "avoid"),
])
def test_a_long_table_keeps_its_header_and_rows_whole(tmp_path, script, want):
    found = _printed_styles(tmp_path, [md("# 92 · Print"), md(LONG_TABLE)], script)
    assert found and set(found) == {want}, found


def test_a_table_longer_than_a_page_repeats_its_header(tmp_path):
    chromium_or_skip()
    path = make(tmp_path, "91-long-table", [md("# 91 · A long table"), md(LONG_TABLE)])
    out = handout(tmp_path, path, args=["--pdf", "--paper", "a4"])
    pages = [p for p in pdf_pages(out / "91-long-table.pdf") if "loopback, line" in p]
    assert len(pages) >= 2, "the table should run over more than one page"
    for page in pages:
        assert re.search(r"row\s+address\s+meaning", page), page[:300]
    assert "line 119 of the table" in "\n".join(pages)
