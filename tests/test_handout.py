"""`loopedu handout`: lessons, exercises and the glossary as handouts that read offline
and print: paper size, numbered pages, code that fits, icons in words, ruled lines to
write on, no example answer under a blank, the set as one book whose links resolve,
figures with their caption and data, and an exercises-only handout.

Most tests build small notebooks of their own (tmp_path), so they keep testing the
handout whatever the lessons say; the whole set is built once, with PDFs, as an
instructor builds it (``full_set``)."""

import html
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest
from shared_checks import skip_or_fail

from loopedu import cli

ROOT = Path(__file__).resolve().parents[1]
LESSON_01 = ROOT / "notebooks" / "01-loopback-range.ipynb"  # a figure and a widget
LESSON_02 = ROOT / "notebooks" / "02-localhost-is-a-name.ipynb"  # `this machine:` lines
EXERCISES_01 = ROOT / "exercises" / "01-loopback-range-exercises.ipynb"
GLOSSARY = ROOT / "notebooks" / "glossary.md"
LESSONS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SOLUTION = "answer = 2 ** (32 - 10)"  # exercise 01.loopback-size's solution line
FEEDBACK = "2^22 = 4,194,304 addresses"  # and the feedback its check printed
EXTERNAL = re.compile(r"<(?:script|link)\b[^>]*\b(?:src|href)\s*=\s*[\"']?\s*(?:https?:)?//",
                      re.IGNORECASE)
FIGURE = re.compile(r'<figure[^>]*>\s*<img\b[^>]*\bsrc="data:image/png;base64,[A-Za-z0-9+/=]+"'
                    r'[^>]*>\s*<figcaption[^>]*>([^<]+)</figcaption>', re.IGNORECASE)
ICONS = ("\U0001f52e", "\U0001f4a5", "\u270d", "\U0001f4ac")  # 🔮 💥 ✍ 💬
#: Pictographs (emoji) and the emoji variation selector: no text font draws them, so
#: where no emoji font is installed they print as empty boxes, whatever this machine has.
PICTOGRAPH = re.compile("[\U0001f000-\U0001faff\ufe0f]")
WRITE_LINE = 'class="loopedu-line"'
A4, LETTER = (595, 842), (612, 792)  # points, rounded


def chromium_or_skip() -> str:
    """Chromium's path; skip without it, but fail under CI=true."""
    from loopedu.handout import find_chromium

    found = find_chromium()
    if found is None:
        skip_or_fail("no chromium (sudo apt-get install chromium)")
    return found


def poppler(tool: str) -> str:
    """A poppler-utils program (pdftotext, pdffonts, pdfinfo, pdftohtml)."""
    found = shutil.which(tool)
    if found is None:
        skip_or_fail(f"no {tool} (sudo apt-get install poppler-utils)")
    return found


def pdf_pages(pdf: Path) -> list[str]:
    """The text of each page of ``pdf``, as pdftotext reads it."""
    done = subprocess.run([poppler("pdftotext"), "-layout", str(pdf), "-"],
                          capture_output=True, text=True, timeout=60, check=True)
    return done.stdout.split("\f")[:-1]


def pdf_size(pdf: Path) -> tuple[int, int]:
    info = subprocess.run([poppler("pdfinfo"), str(pdf)], capture_output=True, text=True,
                          timeout=60, check=True).stdout
    w, h = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups()
    return round(float(w)), round(float(h))


def make(tmp_path: Path, name: str, cells: list, folder: str = "src") -> Path:
    """A notebook of ``cells`` written as tmp_path/folder/name.ipynb."""
    where = tmp_path / folder
    where.mkdir(exist_ok=True)
    path = where / f"{name}.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    return path


def md(text):
    return nbformat.v4.new_markdown_cell(text)


def code(source, *outputs):
    cell = nbformat.v4.new_code_cell(source)
    cell.outputs = list(outputs)
    return cell


def stream(text):
    return nbformat.v4.new_output("stream", name="stdout", text=text)


def shown(obj):
    """The display_data output Jupyter stores for ``obj`` (its _repr_ methods)."""
    data = {"text/plain": str(obj)}
    if hasattr(obj, "_repr_mimebundle_"):
        data = obj._repr_mimebundle_()
    elif hasattr(obj, "_repr_html_"):
        data["text/html"] = obj._repr_html_()
    return nbformat.v4.new_output("display_data", data=data)


def handout(tmp_path: Path, *sources, args=(), out="out") -> Path:
    target = tmp_path / out
    assert cli.main(["handout", *map(str, sources), "-o", str(target), *args]) == 0
    return target


def page_text(path: Path) -> str:
    """What a handout says, tags stripped, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", path.read_text(encoding="utf-8")))


# ---- a practice lesson: a prediction and its reveal, an exercise, icons ----

PREDICTION = ('prediction = ...\n### BEGIN SOLUTION\nprediction = "0.0.0.0"  # an example\n'
              '### END SOLUTION\npredict("99.kernel-address", prediction)')
EXERCISE = ('answer = None  # replace None\n### BEGIN SOLUTION\nanswer = 2 ** 24\n'
            'total = answer + 0\n### END SOLUTION\ncheck("99.size", answer)')
EXPLANATION = ('# \U0001f4ac Your explanation, in one line:\nexplanation = ...\n'
               '### BEGIN SOLUTION\nexplanation = "kernels listen on loopback only"\n'
               '### END SOLUTION\nexplain("99.kernel-address", explanation)')


def practice(tmp_path: Path) -> Path:
    from loopedu.exercises.framework import Feedback
    from loopedu.exercises.predictions import Reveal

    reveal = Reveal("99.kernel-address", "0.0.0.0", "127.0.0.1", "Kernels listen on "
                    "127.0.0.1.", 1, ("expected '0.0.0.0', got '127.0.0.1'",), "surprise")
    return make(tmp_path, "99-practice", [
        md("# 99 · Practice\n\nA code cell marked \U0001f52e asks for a prediction.\n\n"
           "## \U0001f4a5 Break it on purpose\n\n\u270d\ufe0f **Your turn.** Write it."),
        code(PREDICTION, stream("Recorded your prediction for 99.kernel-address: '0.0.0.0'\n")),
        code('reveal("99.kernel-address", "127.0.0.1")', shown(reveal)),
        code(EXPLANATION, stream("Recorded your explanation for 99.kernel-address.\n")),
        code(EXERCISE, shown(Feedback(True, "2^24 = 16,777,216 addresses", "99.size"))),
        code('print("\U0001f4a5", "refused")', stream("\U0001f4a5 refused\n")),
    ])


def test_no_example_answer_under_a_blank_and_ruled_lines_to_write_on(tmp_path):
    out = handout(tmp_path, practice(tmp_path))
    page = out / "99-practice.html"
    text, raw = page_text(page), page.read_text(encoding="utf-8")
    assert "you predicted" not in text and "A surprise" not in text  # no reveal of it
    assert "0.0.0.0" not in text and "2 ** 24" not in text and "16,777,216" not in text
    assert "listen on loopback only" not in text  # the example explanation
    # 3 lines for the prediction; the answer took 2 lines and the explanation 1, so 3
    # (the least) for each
    assert raw.count(WRITE_LINE) == 3 + 3 + 3
    assert text.count("Your prediction:") == 1 and text.count("Your answer:") == 1
    assert text.count("Your explanation:") == 1
    assert text.count("Example answers and their outputs are left out") == 1
    assert "output of the example solution left out" not in text


def test_solutions_show_the_example_and_its_reveal(tmp_path):
    out = handout(tmp_path, practice(tmp_path), args=["--solutions"])
    text = page_text(out / "99-practice.html")
    assert "you predicted '0.0.0.0'" in text and "2 ** 24" in text
    assert "16,777,216" in text and WRITE_LINE not in (out / "99-practice.html").read_text()
    assert "left out" not in text


def test_icons_print_as_words(tmp_path):
    out = handout(tmp_path, practice(tmp_path))
    raw = (out / "99-practice.html").read_text(encoding="utf-8")
    assert not any(icon in raw for icon in ICONS)
    assert '<span class="loopedu-icon">Predict</span> asks' in raw
    text = page_text(out / "99-practice.html")
    assert re.search(r"<h2\b[^>]*>Break it on purpose", raw)  # its words say it already
    assert "Your turn. Write it." in " ".join(text.split())
    assert 'print("Break it:", "refused")' in text and "Break it: refused" in text
    assert "# Your explanation, in one line:" in text  # its words say it already


def test_the_pdf_has_no_box_glyph(tmp_path):
    """Every character of the PDF's text is drawn by a font the machine has (else
    Chromium draws an empty box), and every font is embedded."""
    chromium_or_skip()
    out = handout(tmp_path, practice(tmp_path), args=["--pdf"])
    pdf = out / "99-practice.pdf"
    text = "".join(pdf_pages(pdf))
    assert "Predict" in text and not any(icon in text for icon in ICONS)
    fonts = subprocess.run([poppler("pdffonts"), str(pdf)], capture_output=True, text=True,
                           timeout=60, check=True).stdout.splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts), fonts  # emb column
    # what Chromium cannot draw is left out of the PDF's text: read the HTML it printed too
    html_text = page_text(out / "99-practice.html")
    assert PICTOGRAPH.findall(html_text) == []
    missing = undrawable(text + html_text)
    assert missing == [], f"no font on this machine draws {missing}: they print as boxes"


def undrawable(text: str) -> list[str]:
    """The characters of ``text`` that no font of this machine draws (fontconfig)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        skip_or_fail("no fc-list (fontconfig)")

    def drawn(char: str) -> bool:
        return bool(subprocess.run([fc_list, f":charset={ord(char):x}", "family"],
                                   capture_output=True, text=True, timeout=30).stdout.strip())

    return [c for c in sorted(set(text)) if ord(c) > 0x7f and not c.isspace()
            and not drawn(c)]


# ---- page setup ----

@pytest.mark.parametrize("paper, size", [("a4", A4), ("letter", LETTER)])
def test_paper_size_page_numbers_and_title_in_the_footer(tmp_path, paper, size):
    chromium_or_skip()
    long = [md(f"## Part {i}\n\n" + "A sentence to fill the page. " * 60) for i in range(6)]
    path = make(tmp_path, "98-long", [md("# 98 · A long lesson"), *long])
    out = handout(tmp_path, path, args=["--pdf", "--paper", paper])
    pdf = out / "98-long.pdf"
    assert pdf_size(pdf) == size
    pages = pdf_pages(pdf)
    assert len(pages) >= 2
    for number, text in enumerate(pages, 1):
        footer = " ".join(text.split()[-12:])
        assert f"page {number} of {len(pages)}" in footer, footer
        assert "98 · A long lesson" in footer, footer


@pytest.mark.parametrize("environ, paper", [
    ({"LANG": "en_US.UTF-8"}, "letter"), ({"LANG": "en_CA.UTF-8"}, "letter"),
    ({"LANG": "de_DE.UTF-8"}, "a4"), ({"LANG": "en_GB.UTF-8"}, "a4"),
    ({"LC_PAPER": "en_US.UTF-8", "LANG": "fr_FR.UTF-8"}, "letter"),
    ({"LC_ALL": "C.UTF-8", "LANG": "en_US.UTF-8"}, "a4"),
    ({}, "a4")])  # none set: the C locale (Python would call it en_US)
def test_the_default_paper_follows_the_locale(environ, paper):
    from loopedu.handout import default_paper

    assert default_paper(environ) == paper


def test_the_help_says_which_paper_is_the_default(monkeypatch, capsys):
    for name in ("LC_ALL", "LC_PAPER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    with pytest.raises(SystemExit):
        cli.main(["handout", "--help"])
    assert "here: letter" in " ".join(capsys.readouterr().out.split())


def test_code_fits_the_line_and_never_wraps_inside_a_string(tmp_path):
    """A 95-character line ending in a string literal: JupyterLab's 13 px code font would
    wrap it at a space inside the string; the handout scales the cell to fit."""
    chromium_or_skip()
    words = "the client connects to the server on its loopback address and port, then sends"
    line = f'note = "{words}"'
    line = line[:-1] + "." * (95 - len(line)) + '"'
    assert len(line) == 95
    path = make(tmp_path, "97-code", [md("# 97 · Code"), code(line)])
    out = handout(tmp_path, path, args=["--pdf", "--paper", "a4"])
    text = "\n".join(pdf_pages(out / "97-code.pdf"))
    assert any(line in ln for ln in text.splitlines()), text[:2000]


def squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def word_boxes(pdf: Path) -> list[tuple[float, float, float, str]]:
    """Each word pdftotext finds in ``pdf``: its left and right edges and its bottom
    (points from the top of its page), and its text."""
    done = subprocess.run([poppler("pdftotext"), "-bbox", str(pdf), "-"],
                          capture_output=True, text=True, timeout=60, check=True)
    return [(float(a), float(b), float(y), html.unescape(w)) for a, b, y, w in re.findall(
        r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>',
        done.stdout)]


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_no_character_of_a_long_line_is_lost_or_clipped(tmp_path, paper):
    """Printed, each wrapped output line lost its last character (the output, a block
    100% wide plus its padding, overhung the output area, which clips), and a code line
    of 91 characters was sized to fit and wrapped: its string, kept whole, went to the
    next line at column 0. Every character must print, inside the text width; a line
    that fits the smallest code size prints on one line."""
    from loopedu.handout.style import CODE_SIZES, MARGIN_MM, PAPERS, text_width_pt

    chromium_or_skip()
    words = " ".join(f"w{i:02d}{'abcdefghij'[i % 10] * (i % 7)}" for i in range(90))
    output = f"The doctor says: {words}; every letter of it prints.\n"
    # the widest line the smallest size fits, the body's margins, the pre's padding and
    # border (19.5 pt) and a little room taken off the text width
    room = text_width_pt(paper) - 21
    capacity = max(n for n in range(80, 200) if n * 0.602 * CODE_SIZES[-1] <= room)
    lines = {}
    for width in (91, 96, capacity):  # an indented string, as lessons 03 and 05 write
        text = " ".join(f"s{width}x{i:02d}" for i in range(width))
        lines[width] = f'           "{text[:width - 14]}")'
        assert len(lines[width]) == width
    long_string = f'why = "{words}"'  # wider than the line even at the smallest size
    cells = [md("# 95 · Long lines"), code('print("The doctor says:", words)', stream(output))]
    cells += [code(f"x = 1\nreveal(x,\n{line}") for line in lines.values()]
    cells.append(code(long_string))
    path = make(tmp_path, "95-long", cells)
    out = handout(tmp_path, path, args=["--pdf", "--paper", paper])
    pdf = out / "95-long.pdf"
    text = "\n".join(pdf_pages(pdf))
    assert squeezed(output) in squeezed(text), text[:3000]
    assert squeezed(long_string) in squeezed(text), text[:3000]
    # an output wraps between words, never inside one (JupyterLab breaks output anywhere:
    # "this m / achine" in lesson 03's printed exercise, an independent reviewer found)
    printed_output = text[text.index("The doctor says: w00"):text.index("every letter")]
    assert printed_output.split()[3:] == (words + ";").split(), printed_output
    printed = [" ".join(ln.split()) for ln in text.splitlines()]
    for width, line in lines.items():
        assert " ".join(line.split()) in printed, (width, text[:3000])
    left = MARGIN_MM["side"] * 72 / 25.4
    right = PAPERS[paper][1] * 72 / 25.4 - left
    bottom = pdf_size(pdf)[1] - MARGIN_MM["bottom"] * 72 / 25.4  # the footer below it
    outside = [w for w in word_boxes(pdf)
               if w[2] < bottom and (w[0] < left - 0.5 or w[1] > right + 0.5)]
    assert not outside, outside[:5]


def font_sizes(pdf: Path) -> dict[float, list[str]]:
    """Each font size of ``pdf``'s text, in points (to a third of a point), with the
    first words printed in it. pdftohtml's largest zoom (3) keeps a third of a point
    that zoom 1 would round away."""
    xml = subprocess.run([poppler("pdftohtml"), "-xml", "-i", "-stdout", "-q", "-zoom", "3",
                          str(pdf)], capture_output=True, text=True, timeout=60,
                         check=True).stdout
    spec = {i: int(size) / 3 for i, size in
            re.findall(r'<fontspec id="(\d+)" size="(\d+)"', xml)}
    sizes: dict[float, list[str]] = {}
    for font, words in re.findall(r'<text [^>]*font="(\d+)"[^>]*>(.*?)</text>', xml):
        sizes.setdefault(spec[font], []).append(html.unescape(re.sub("<[^>]+>", "", words)))
    return sizes


def test_no_text_prints_below_8_points(tmp_path):
    """Issue 21's reviewer found lessons 03 and 05's handouts printing wide outputs and
    code at 7 pt, too small to read on A4: an output or a code line too wide for 8 pt
    now wraps at 8 pt, and every character still prints."""
    chromium_or_skip()
    row = "  bound to 198.18.0.1 + nft drop iifname lan1  other -> 198.18.0.1:56993  " \
          "connected (server saw 198.19.0.2)"
    line = "x = " + " + ".join(f"value_{i:02d}" for i in range(12))
    assert len(row) > 105 and len(line) > 130  # wider than 8 pt fits on A4 or Letter
    path = make(tmp_path, "94-wide", [md("# 94 · Wide outputs\n\nSome text first."),
                                      code(line, stream(row + "\n"))])
    out = handout(tmp_path, path, args=["--pdf", "--paper", "a4"])
    pdf = out / "94-wide.pdf"
    small = {size: words[:5] for size, words in font_sizes(pdf).items() if size < 7.9}
    assert not small, small
    text = squeezed("\n".join(pdf_pages(pdf)))
    assert squeezed(row) in text and squeezed(line) in text, text[:2000]


def claims_table(rows: int) -> str:
    """A markdown table like the claims page's: five columns, long paths in the last."""
    lines = ["| claim | verdict | what the sources show | shown in | sources |",
             "|---|---|---|---|---|"]
    lines += [f"| claim{i:03d} | true with conditions | {'a reason in words ' * 8}"
              "net.ipv4.conf.all.route_localnet=1,net.ipv4.conf.lo.rp_filter=0 | "
              "04-loopback-interface/08-when-loopback-leaks | "
              "Documentation/networking/ip-sysctl.rst/route_localnet_and_rp_filter; "
              "net/ipv4/route.c (ip_route_output_key_hash_rcu) |" for i in range(rows)]
    return "\n".join(lines)


@pytest.mark.parametrize("kind", ["text", "table"])
def test_a_long_output_starts_on_the_first_page(tmp_path, kind):
    """JupyterLab's print CSS keeps each output on one page, so a long one (the claims
    table) left the first page two-thirds empty."""
    chromium_or_skip()
    if kind == "text":
        output = stream("".join(f"claim {i:03d}: a line of the table\n" for i in range(120)))
    else:
        output = nbformat.v4.new_output("execute_result", data={
            "text/markdown": claims_table(30), "text/plain": "<Markdown>"}, execution_count=1)
    path = make(tmp_path, "96-table", [md("# 96 · A table\n\nOne paragraph first."),
                                       code("table", output)])
    out = handout(tmp_path, path, args=["--pdf", "--paper", "a4"])
    first = pdf_pages(out / "96-table.pdf")[0]
    assert re.search(r"claim ?000", first) and re.search(r"claim ?001", first)


def test_a_wide_table_fits_the_page(tmp_path):
    chromium = chromium_or_skip()
    from playwright.sync_api import sync_playwright

    table = nbformat.v4.new_output("execute_result", data={
        "text/markdown": claims_table(3), "text/plain": "<Markdown>"}, execution_count=1)
    path = make(tmp_path, "94-wide", [md("# 94 · A wide table"), code("table", table)])
    out = handout(tmp_path, path, args=["--paper", "a4"])
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True,
                                    args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 680, "height": 900})  # A4's text
            page.emulate_media(media="print")
            page.goto((out / "94-wide.html").as_uri())
            overflow = page.evaluate("""() => [...document.querySelectorAll('table')].map(
                t => t.getBoundingClientRect().right - document.documentElement.clientWidth)""")
            words = page.evaluate("""() => [...document.querySelectorAll('td')].map(
                td => td.getBoundingClientRect().width)""")
        finally:
            browser.close()
    assert overflow and max(overflow) <= 0, overflow
    assert min(words) > 50  # no column squeezed to a letter a line


# ---- figures ----

def test_figures_print_with_caption_and_their_data(tmp_path):
    from loopedu import plots
    from loopedu.measure import Counters

    fig = plots.counters_bar(Counters(10, 10**7, 0.1, "lo", {
        "lo": {"sent": 10**7, "recv": 10**7}, "eth0": {"sent": 12_000, "recv": 3_000}},
        {}, {}))
    path = make(tmp_path, "95-figure", [md("# 95 · A figure"), code("fig", shown(fig))])
    out = handout(tmp_path, path)
    raw = (out / "95-figure.html").read_text(encoding="utf-8")
    caption = html.unescape(FIGURE.search(raw).group(1))
    assert caption == fig.alt_text and "10 MB moved over 127.0.0.1" in caption
    alt = re.search(r'<img\b[^>]*\balt="([^"]*)"', raw).group(1)
    assert html.unescape(alt) == caption
    table = raw[raw.index('<details class="loopedu-data" open'):]
    table = page_text_of(table[:table.index("</details>")])
    assert "interface sent (MB) received (MB)" in table
    assert "lo 10.00 10.00" in table and "eth0 0.01 0.00" in table


def page_text_of(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def test_a_figure_stored_as_png_still_gets_its_caption(built):
    one = (built / "01-loopback-range.html").read_text(encoding="utf-8")
    captions = [html.unescape(c) for c in FIGURE.findall(one)]
    assert any(c.startswith("Grid of the 256 IPv4 /8 blocks") for c in captions), captions


# ---- two lessons: titles, banner, widgets, headings, nothing fetched ----

@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("handouts")
    assert cli.main(["handout", str(LESSON_01), str(LESSON_02), "-o", str(out)]) == 0
    return out


def test_each_lesson_has_its_title_and_no_markers(built):
    one = (built / "01-loopback-range.html").read_text(encoding="utf-8")
    two = (built / "02-localhost-is-a-name.html").read_text(encoding="utf-8")
    assert "<title>01 · The loopback range</title>" in one
    assert "<title>02 · localhost is a name</title>".lower() in two.lower()
    for text in (one, two):
        assert "NBVAL_" not in text
        assert "BEGIN SOLUTION" not in text and "an example prediction" not in text


def test_nothing_is_fetched_from_the_network(built):
    for page in built.glob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert not EXTERNAL.search(text), page.name
        assert "mathjax" not in text.lower() and "require.js" not in text.lower()
        assert "@import url(http" not in text


def test_machine_banner_and_index(built):
    two = page_text(built / "02-localhost-is-a-name.html")
    assert "Outputs recorded on Linux, as root, IPv6 on." in two
    index = (built / "index.html").read_text(encoding="utf-8")
    assert 'href="01-loopback-range.html"' in index
    assert 'href="02-localhost-is-a-name.html"' in index


def test_a_workspace_copy_never_claims_the_reference_machine(tmp_path):
    """A learner's copy has no outputs until it runs; run, its outputs are its own."""
    from loopedu.exercises.student import student_text

    fresh = tmp_path / "workspace" / "notebooks" / "01-loopback-range.ipynb"
    fresh.parent.mkdir(parents=True)
    fresh.write_text(student_text(LESSON_01), encoding="utf-8")
    ran = make(tmp_path, "01-ran", [md("# 01 · Run here"), code("1 + 1", stream("2\n"))],
               folder="workspace")
    out = handout(tmp_path, fresh, ran)
    for name in ("01-loopback-range.html", "01-ran.html"):
        assert "reference" not in page_text(out / name)
    assert "This copy holds no outputs" in page_text(out / "01-loopback-range.html")
    assert "Outputs as saved in this copy" in page_text(out / "01-ran.html")


def test_a_widget_becomes_its_saved_value_and_a_note(built):
    from loopedu.handout.outputs import WIDGET_NOTE

    one = (built / "01-loopback-range.html").read_text(encoding="utf-8")
    assert "VBox(children=" not in one
    widget = one[one.index('class="loopedu-widget"'):]
    widget = widget[:widget.index(WIDGET_NOTE) + len(WIDGET_NOTE)]
    assert "<code>127.0.0.1</code>" in widget  # the address typed in the box
    assert "Registry entry: 127.0.0.0/8 Loopback" in widget  # what it showed for it


def test_a_progress_bar_is_left_out_and_no_widget_prints_its_repr(tmp_path):
    """A progress bar (lesson 07's throughput sweep) only showed the cell running; a
    widget whose state was not saved prints its note, not Python's repr of it."""
    from loopedu.handout.outputs import WIDGET_MIME, WIDGET_NOTE

    def widget(model_id, text):
        return nbformat.v4.new_output("display_data", data={
            WIDGET_MIME: {"model_id": model_id, "version_major": 2, "version_minor": 0},
            "text/plain": text})

    bar = ("FloatProgress(value=0.0, description='throughput', max=1.0, "
           "style=ProgressStyle(description_width='initial'))")
    path = make(tmp_path, "93-widgets", [
        md("# 93 · Widgets"),
        code("sweep()", widget("aaa", bar), stream("tcp 64 B 0.15 Gbit/s\n")),
        code("slider()", widget("bbb", "IntSlider(value=3, description='n')"))])
    nb = nbformat.read(path, as_version=4)
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {
        "aaa": {"model_name": "FloatProgressModel", "state": {"value": 0.97}}}}}
    nbformat.write(nb, path)
    text = page_text(handout(tmp_path, path) / "93-widgets.html")
    assert "FloatProgress(" not in text and "IntSlider(" not in text
    assert "tcp 64 B 0.15 Gbit/s" in text  # the result the bar stood for stays
    assert text.count(WIDGET_NOTE) == 1  # the slider's note; none for the bar


def test_headings_never_skip_a_level(built):
    one = (built / "01-loopback-range.html").read_text(encoding="utf-8")
    levels = [int(n) for n in re.findall(r"<h([1-6])\b", one)]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:])), levels


def test_solutions_only_when_asked(tmp_path):
    plain = handout(tmp_path, EXERCISES_01, out="plain")
    full = handout(tmp_path, EXERCISES_01, out="full", args=["--solutions"])
    name = "01-loopback-range-exercises.html"
    assert SOLUTION not in page_text(plain / name)
    assert FEEDBACK not in page_text(plain / name)  # the solution's output would give it away
    assert SOLUTION in page_text(full / name) and FEEDBACK in page_text(full / name)
    assert not (plain / "index.html").exists()  # one notebook, no index


# ---- the set as one book ----

class Links(HTMLParser):
    """Every id and every link target of an HTML file."""

    def __init__(self, text: str):
        super().__init__()
        self.ids, self.hrefs = set(), []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("href") is not None:
            self.hrefs.append(attrs["href"])


def dead_links(folder: Path) -> tuple[int, list[str]]:
    """How many links the HTML files of ``folder`` hold, and those that do not resolve:
    a file of the set that exists, and an id in it."""
    pages = {p.name: Links(p.read_text(encoding="utf-8")) for p in folder.glob("*.html")}
    count, dead = 0, []
    for name, page in pages.items():
        for href in page.hrefs:
            count += 1
            parts = urlsplit(href)
            if parts.scheme in ("http", "https", "mailto"):
                continue
            target = unquote(parts.path) or name
            if parts.scheme or parts.netloc or "/" in target:
                dead.append(f"{name}: {href} (leaves the set)")
            elif target.endswith(".pdf"):
                if not (folder / target).is_file():
                    dead.append(f"{name}: {href}")
            elif target not in pages:
                dead.append(f"{name}: {href} (no such handout)")
            elif parts.fragment and not ({parts.fragment, unquote(parts.fragment)}
                                         & pages[target].ids):
                dead.append(f"{name}: {href} (no such anchor)")
    return count, dead


def pdf_links(pdf: Path) -> list[str]:
    """The targets of the links in ``pdf`` as pdftohtml writes them: ``NAME.html#PAGE``
    for a link inside the PDF, the address for any other."""
    xml = subprocess.run([poppler("pdftohtml"), "-xml", "-i", "-stdout", "-q", str(pdf)],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    return [html.unescape(h) for h in re.findall(r'<a href="([^"]*)"', xml)]


@pytest.fixture(scope="module")
def full_set(tmp_path_factory):
    """What an instructor builds for a workshop, exactly as issue 22 asks."""
    chromium_or_skip()
    out = tmp_path_factory.mktemp("set")
    assert cli.main(["handout", *map(str, LESSONS), str(GLOSSARY), "-o", str(out), "--pdf",
                     "--paper", "a4"]) == 0
    return out


def test_the_whole_set_is_built(full_set):
    for source in [*LESSONS, GLOSSARY]:
        assert (full_set / f"{source.stem}.html").is_file()
        assert (full_set / f"{source.stem}.pdf").read_bytes().startswith(b"%PDF")
    assert (full_set / "book.pdf").is_file() and (full_set / "index.html").is_file()
    glossary = page_text(full_set / "glossary.html")
    assert "Glossary" in glossary and "<title>Glossary</title>" in (
        full_set / "glossary.html").read_text()


def test_every_link_of_every_handout_resolves(full_set):
    count, dead = dead_links(full_set)
    assert count > 100 and dead == [], dead[:20]
    lesson = (full_set / "00-start-here.html").read_text(encoding="utf-8")
    assert re.search(r'href="glossary\.html#[a-z-]+"', lesson)  # was glossary.md#...


def test_the_book_is_one_document_with_links_inside_it(full_set):
    book = (full_set / "book.html").read_text(encoding="utf-8")
    assert book.count("<h1") == 1
    ids = re.findall(r'\bid="([^"]+)"', book)
    assert len(ids) == len(set(ids)), "ids repeat across the parts of the book"
    assert all(h.startswith("#") or h.startswith(("http:", "https:", "mailto:"))
               for h in Links(book).hrefs)
    links = pdf_links(full_set / "book.pdf")
    pages = len(pdf_pages(full_set / "book.pdf"))
    inside = [int(m.group(1)) for h in links if (m := re.fullmatch(r"[^:/]*\.html#(\d+)", h))]
    assert len(inside) > 100 and all(1 <= p <= pages for p in inside)


def test_no_pdf_links_to_a_file_of_this_machine(full_set):
    for pdf in sorted(full_set.glob("*.pdf")):
        leaving = [h for h in pdf_links(pdf) if not re.fullmatch(r"[^:/]*\.html#\d+", h)
                   and not h.startswith(("http:", "https:", "mailto:"))]
        assert leaving == [], f"{pdf.name}: {leaving[:5]}"


def test_every_page_is_numbered_and_nothing_prints_as_a_box(full_set):
    everything = []
    for pdf in sorted(full_set.glob("*.pdf")):
        pages = pdf_pages(pdf)
        for number, text in enumerate(pages, 1):
            assert f"page {number} of {len(pages)}" in text, f"{pdf.name}, page {number}"
        assert not any(icon in "".join(pages) for icon in ICONS), pdf.name
        everything += pages
    assert undrawable("".join(everything)) == []
    # the PDF's text leaves out what Chromium could not draw: read the HTML's too
    for page in sorted(full_set.glob("*.html")):
        text = page_text(page)
        assert PICTOGRAPH.findall(text) == [], page.name
        assert undrawable(text) == [], page.name


def test_no_lesson_handout_reveals_an_example_prediction(full_set):
    for source in LESSONS:
        assert "you predicted" not in page_text(full_set / f"{source.stem}.html"), source.name


# ---- exercises only ----

def test_exercises_only(tmp_path):
    sources = sorted((ROOT / "exercises").glob("*.ipynb"))
    out = handout(tmp_path, *sources, args=["--exercises-only"])
    assert sorted(p.name for p in out.iterdir()) == ["exercises.html"]
    raw = (out / "exercises.html").read_text(encoding="utf-8")
    checks = sum(len(re.findall(r'\bcheck\("', cell.source))
                 for nb in (nbformat.read(s, as_version=4) for s in sources) for cell in nb.cells
                 if cell.cell_type == "code")
    assert checks > 10 and raw.count("Your answer:") == checks
    assert raw.count("<h1") == 1 and SOLUTION not in page_text(out / "exercises.html")
    lesson = handout(tmp_path, LESSON_01, EXERCISES_01, out="two", args=["--exercises-only"])
    text = page_text(lesson / "exercises.html")
    assert "Key points" not in text and "How many addresses are in 100.64.0.0/10" in text


# ---- bad input, Chromium ----

@pytest.mark.parametrize("case", ["not-a-notebook", "missing", "output-is-a-file", "paper"])
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, case):
    out = tmp_path / "out"
    source, extra = str(LESSON_01), []
    if case == "not-a-notebook":
        source = str(ROOT / "pyproject.toml")
    elif case == "missing":
        source = str(tmp_path / "nope.ipynb")
    elif case == "paper":
        extra = ["--paper", "a5"]
    else:
        out.write_text("a file")
    status = None
    try:
        status = cli.main(["handout", str(LESSON_01), source, "-o", str(out), *extra])
    except SystemExit as exc:  # argparse refuses a paper it does not know
        status = exc.code
    assert status == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 or case == "paper"
    assert "error:" in err and "Traceback" not in err
    if case == "output-is-a-file":
        assert out.read_text() == "a file"
    else:
        assert not out.exists()  # nothing written half


def test_pdf_without_chromium_says_how_to_get_it(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr("loopedu.handout.pdf.os.access", lambda *a, **k: False)
    assert cli.main(["handout", str(LESSON_01), "-o", str(tmp_path / "out"), "--pdf"]) == 2
    assert "apt-get install chromium" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("euid", [0, 1000])
def test_chromium_keeps_its_sandbox_unless_run_as_root(tmp_path, monkeypatch, euid):
    """The command line print_pdf gives Chromium: --no-sandbox only as root (Chromium
    will not start as root with its sandbox); every other user keeps the sandbox."""
    from loopedu.handout import pdf as printing

    calls = []

    def fake_run(cmd, **kwargs):
        calls.append(cmd)
        target = next(a.split("=", 1)[1] for a in cmd if a.startswith("--print-to-pdf="))
        Path(target).write_bytes(b"%PDF-1.4 stand-in")
        return subprocess.CompletedProcess(cmd, 0, "", "")

    monkeypatch.setattr(printing.os, "geteuid", lambda: euid, raising=False)
    monkeypatch.setattr(printing.subprocess, "run", fake_run)
    page = tmp_path / "page.html"
    page.write_text("<!DOCTYPE html><title>t</title>")
    out = printing.print_pdf(page, tmp_path / "page.pdf", chromium="chromium-stand-in")
    assert out.read_bytes().startswith(b"%PDF")
    (cmd,) = calls
    assert cmd[:2] == ["chromium-stand-in", "--headless"]
    assert ("--no-sandbox" in cmd) is (euid == 0)
    assert set(printing.OFFLINE_FLAGS) <= set(cmd) and cmd[-1] == page.resolve().as_uri()


def test_an_old_chromium_is_told_it_prints_no_page_numbers(tmp_path, monkeypatch):
    from loopedu.handout import pdf as printing

    def fake_run(cmd, **kwargs):
        return subprocess.CompletedProcess(cmd, 0, "Chromium 120.0.6099.71 built on Debian\n", "")

    monkeypatch.setattr(printing.subprocess, "run", fake_run)
    assert "page numbers" in printing.footer_note("chromium") and "131" in \
        printing.footer_note("chromium")
    monkeypatch.setattr(printing.subprocess, "run", lambda cmd, **kw: subprocess.CompletedProcess(
        cmd, 0, "Chromium 156.0.8078.129 built on Debian\n", ""))
    assert printing.footer_note("chromium") == ""


def test_chromium_renders_it_offline(built):
    from loopedu.handout.pdf import OFFLINE_FLAGS, _sandbox_flags

    chromium = chromium_or_skip()
    page = built / "01-loopback-range.html"
    done = subprocess.run(
        [chromium, "--headless", *_sandbox_flags(), "--disable-gpu", *OFFLINE_FLAGS,
         f"--user-data-dir={built / 'chromium-profile'}", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-500:]
    dom = done.stdout
    assert "<title>01 · The loopback range</title>" in dom
    assert re.search(r'<img\b[^>]*src="data:image/png;base64,', dom)
    assert re.search(r"<figcaption[^>]*>Grid of the 256 IPv4 /8 blocks", dom)


@pytest.mark.parametrize("printed, machine", [
    ("this machine: Linux, as root, IPv6 on\n", "Linux, as root, IPv6 on"),
    ("this machine: Linux, as root, IPv6 on | the server received 1000000 bytes\n",
     "Linux, as root, IPv6 on"),
    ("note\nthis machine:   macOS 15, IPv6 off  \nmore", "macOS 15, IPv6 off"),
])
def test_the_banner_names_the_machine_and_nothing_else_the_cell_printed(printed, machine):
    """Lesson 04 prints the machine and a byte count on one line; the banner read
    'Outputs recorded on Linux, as root, IPv6 on | the server received 1000000 bytes'
    (an independent reviewer's finding)."""
    import nbformat

    from loopedu.handout.page import _machine

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "print(...)", outputs=[nbformat.v4.new_output("stream", name="stdout",
                                                      text=printed)])])
    assert _machine(nb) == machine
