"""Accessibility of what learners and handout readers see (WCAG 2.2 AA, the Notebooks
For All checklist), checked by machine where the course controls the page:

- every figure stored in a lesson has a one-line alt text (not matplotlib's
  "<Figure size ...>"); in JupyterLab a figure is an HTML ``<figure>`` whose ``<img>``
  carries that alt text and whose caption shows it; figures that show data carry it as
  a table; the figures use the colour-blind-safe palette, and their text reaches 4.5:1;
- each lesson has one H1 and headings that go down one level at a time;
- axe-core (from the npm registry, installed by .ci/run into .cache/axe; never a CDN)
  runs in headless Chromium through Playwright over every HTML handout, over a page of
  every kind of output the course shows, and over a workspace lesson open in JupyterLab
  after it ran: no violation of impact "serious" or "critical" in what the course
  writes; the full list, moderate and minor included, and JupyterLab's own, is printed
  and kept in tests/artifacts/;
- a learner answers a lesson's widget with the keyboard alone.
"""

import json
import os
import re
from collections import Counter
from pathlib import Path

import nbformat
import pytest
from shared_checks import skip_or_fail

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted(
    (ROOT / "exercises").glob("*.ipynb"))
#: Where .ci/run installs axe-core (`npm install --prefix .cache/axe axe-core@VERSION`).
AXE = Path(os.environ.get("LOOPEDU_AXE_CORE")
           or ROOT / ".cache" / "axe" / "node_modules" / "axe-core" / "axe.min.js")
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
BLOCKING = ("serious", "critical")
_IMG_ALT = re.compile(r'<img\b[^>]*\balt="([^"]*)"')


# ---- figures and headings in the stored notebooks ----

def _figures(nb):
    """The alt text of every figure stored in ``nb``: a plot stored as a PNG (its
    text/plain, the form before figures showed themselves as HTML), the alt of a course
    figure's <img>, a drawing's caption (loopedu.drawings shows an SVG figure with its
    alt text as caption)."""
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            page = data.get("text/html", "")
            page = page if isinstance(page, str) else "".join(page)
            if "image/png" in data and not page:
                alt = data.get("text/plain", "")
                yield alt if isinstance(alt, str) else "".join(alt)
            elif 'class="loopedu-figure"' in page:
                yield from _IMG_ALT.findall(page)
            if '<figure class="loopedu-drawing"' in page:
                caption = re.search(r"<figcaption[^>]*>(.*?)</figcaption>", page, re.S)
                yield re.sub(r"<[^>]+>", "", caption.group(1)).strip() if caption else ""


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_every_stored_figure_has_alt_text(path):
    nb = nbformat.read(path, as_version=4)
    for alt in _figures(nb):
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


# ---- the figures the course draws: in JupyterLab, their data, their contrast ----

def sample_figures() -> dict:
    """One figure of each function of loopedu.plots, from small made-up data."""
    from loopedu import plots
    from loopedu.connections import Kind, Outcome
    from loopedu.measure import Counters, Rtt, RttComparison, Throughput
    from loopedu.reachability import Matrix, Reach

    rtts = {"tcp 127.0.0.1": Rtt("tcp", "127.0.0.1", 32, (20.0, 21.0, 22.0, 30.0)),
            "unix": Rtt("unix", "", 32, (9.0, 10.0, 11.0, 14.0))}
    matrix = Matrix(tuple(Reach(b, t, 1, Outcome(Kind.CONNECTED if b in (t, "0.0.0.0")
                                                 else Kind.REFUSED))
                          for b in ("127.0.0.1", "0.0.0.0") for t in ("127.0.0.1", "10.0.0.5")),
                    False, "this machine")
    return {
        "ipv4_map": plots.ipv4_map(),
        "reachability_heatmap": plots.reachability_heatmap(matrix),
        "counters_bar": plots.counters_bar(Counters(10, 10**7, 0.1, "lo", {
            "lo": {"sent": 10**7, "recv": 10**7}, "eth0": {"sent": 12_000, "recv": 3_000}},
            {}, {})),
        "rtt_comparison": plots.rtt_comparison(RttComparison(4, 32, rtts,
                                                             {"::1": "EADDRNOTAVAIL"})),
        "rtt_histogram": plots.rtt_histogram(rtts, bins=4),
        "rtt_bars": plots.rtt_bars(rtts),
        "throughput_by_buffer": plots.throughput_by_buffer([
            Throughput("tcp", "127.0.0.1", 1024, 250_000_000, 1.0),
            Throughput("tcp", "127.0.0.1", 131072, 2_500_000_000, 1.0)]),
    }


@pytest.fixture(scope="module")
def figures():
    return sample_figures()


def test_a_figure_in_jupyterlab_is_a_figure_with_its_alt_text_as_caption(figures):
    """JupyterLab shows text/html before image/png: an <img> with alt (what a screen
    reader says) and a <figcaption> (what everyone reads); no second copy as PNG."""
    import html

    for name, fig in figures.items():
        bundle = fig._repr_mimebundle_()
        assert set(bundle) == {"text/html", "text/plain"}, name
        page = bundle["text/html"]
        assert page.startswith("<figure") and page.endswith("</figure>"), name
        assert html.unescape(_IMG_ALT.search(page).group(1)) == fig.alt_text, name
        caption = re.search(r"<figcaption[^>]*>(.*?)</figcaption>", page).group(1)
        assert html.unescape(caption) == fig.alt_text, name


def table_rows(fig) -> list[tuple]:
    headers, rows = fig.data_table
    return [tuple(map(str, headers))] + [tuple(map(str, row)) for row in rows]


def test_figures_that_show_data_carry_it_as_a_table(figures):
    assert table_rows(figures["counters_bar"]) == [
        ("interface", "sent (MB)", "received (MB)"), ("lo", "10.00", "10.00"),
        ("eth0", "0.01", "0.00")]
    assert table_rows(figures["reachability_heatmap"]) == [
        ("bind address", "127.0.0.1", "10.0.0.5"), ("127.0.0.1", "connected", "refused"),
        ("0.0.0.0", "connected", "connected")]
    # 250 MB in 1 s is 2 Gbit/s; one run a size, so lowest and highest are the median;
    # 1 s over ceil(250e6 / 1024) = 244,141 writes is 4.10 µs a write, over
    # ceil(2.5e9 / 131072) = 19,074 writes 52.43 µs
    assert table_rows(figures["throughput_by_buffer"])[1:] == [
        ("tcp", "1 KiB", "1", "2.00", "2.00", "2.00", "4.10"),
        ("tcp", "128 KiB", "1", "20.00", "20.00", "20.00", "52.43")]
    # medians of (20, 21, 22, 30) and (9, 10, 11, 14): 21.5 and 10.5
    assert [r[:2] for r in table_rows(figures["rtt_bars"])[1:]] == [
        ("tcp 127.0.0.1", "21.5"), ("unix", "10.5")]
    assert [r[:3] for r in table_rows(figures["rtt_histogram"])[1:]] == [
        ("tcp 127.0.0.1", "4", "21.5"), ("unix", "4", "10.5")]
    assert [r[:2] for r in table_rows(figures["rtt_comparison"])[1:]] == [
        ("tcp 127.0.0.1", "21.5"), ("unix", "10.5")]
    loopback = [r for r in table_rows(figures["ipv4_map"]) if r[0] == "loopback"]
    assert loopback == [("loopback", "127", "1", "0")]
    for name, fig in figures.items():
        assert '<details class="loopedu-data">' in fig._repr_mimebundle_()["text/html"], name


def luminance(colour) -> float:
    from matplotlib.colors import to_rgb

    def channel(c):
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in to_rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a, b) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_text_in_figures_reaches_4_5_to_1(figures):
    """Every piece of text in every figure against what is behind it: its own box, the
    cell it labels (gid label-X on cell-X), else the white of the axes and figure."""
    from matplotlib.patches import Patch

    checked = 0
    for name, fig in figures.items():
        fig.canvas.draw()
        cells = {p.get_gid()[len("cell-"):]: p.get_facecolor() for ax in fig.axes
                 for p in ax.patches
                 if isinstance(p, Patch) and (p.get_gid() or "").startswith("cell-")}
        for text in fig.findobj(lambda a: hasattr(a, "get_text") and hasattr(a, "get_color")):
            if not text.get_text().strip() or not text.get_visible():
                continue
            box = text.get_bbox_patch()
            gid = text.get_gid() or ""
            if box is not None and box.get_facecolor()[3] > 0:
                behind = box.get_facecolor()
            elif gid.startswith("label-") and gid[len("label-"):] in cells:
                behind = cells[gid[len("label-"):]]
            else:
                behind = fig.get_facecolor()
            ratio = contrast(text.get_color(), behind)
            assert ratio >= 4.5, f"{name}: {text.get_text()!r} at {ratio:.2f}:1"
            checked += 1
    assert checked > 300  # the 256 cells of the IPv4 map alone


# ---- axe-core in headless Chromium ----

def axe_or_skip() -> str:
    if not AXE.is_file():
        skip_or_fail(f"axe-core is not installed at {AXE} (run .ci/run, or: npm install "
                     "--no-save --prefix .cache/axe axe-core)")
    return AXE.read_text(encoding="utf-8")


def browser_or_skip():
    from test_browser_e2e import chromium_or_skip

    return chromium_or_skip()


def run_axe(page, axe: str, context=None) -> list[dict]:
    """axe-core's violations on ``page`` (within ``context``, a list of CSS selectors),
    WCAG 2.2 A and AA and axe's best practices."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=axe)
    found = page.evaluate(
        """([context, tags]) => axe.run(context ? {include: context.map(s => [s])} : document,
               {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})
             .then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                 nodes: v.nodes.map(n => ({target: n.target.join(' '),
                     summary: n.failureSummary}))})))""", [context, WCAG_22_AA])
    return found


def report(title: str, violations: list[dict]) -> str:
    counts = Counter(v["impact"] for v in violations for _ in v["nodes"])
    lines = [f"{title}: " + (", ".join(f"{counts[i]} {i}" for i in
                                      ("critical", "serious", "moderate", "minor") if counts[i])
                             or "no violations")]
    for v in violations:
        lines.append(f"  {v['impact']:<9} {v['id']} ({len(v['nodes'])}): {v['help']}")
        lines += [f"      {n['target']}" for n in v["nodes"][:5]]
    return "\n".join(lines)


def keep_report(name: str, text: str, tmp_path: Path) -> None:
    from test_browser_e2e import artifacts_dir

    print(text)
    (artifacts_dir(tmp_path) / name).write_text(text + "\n", encoding="utf-8")


def blocking(violations: list[dict]) -> list[dict]:
    return [v for v in violations if v["impact"] in BLOCKING]


def course_outputs_notebook(path: Path, figures: dict) -> Path:
    """A notebook holding one output of every kind the course shows: each figure, each
    drawing, a passed and a failed check, a reveal of each verdict, a hint."""
    from loopedu import drawings
    from loopedu.exercises.framework import Feedback
    from loopedu.exercises.predictions import Reveal

    def shown(obj):
        bundle = (obj._repr_mimebundle_() if hasattr(obj, "_repr_mimebundle_")
                  else {"text/html": obj._repr_html_(), "text/plain": str(obj)})
        return nbformat.v4.new_output("display_data", data=bundle)

    outputs = [shown(f) for f in figures.values()]
    outputs += [shown(draw()) for draw in drawings.ALL]
    outputs += [shown(Feedback(True, "2^24 = 16,777,216 addresses", "01.loopback-size")),
                shown(Feedback(False, "Not yet: count the addresses.", "01.loopback-size"))]
    outputs += [shown(Reveal("99.a", 1, 1, "Why.", 1, (), "match")),
                shown(Reveal("99.b", 1, 2, "Why.", 1, ("expected 1, got 2",), "surprise")),
                shown(Reveal("99.c", None, "not measured", "", 0, (), "not measured"))]
    cells = [nbformat.v4.new_markdown_cell("# 99 · Every output of the course")]
    for index, output in enumerate(outputs):
        cell = nbformat.v4.new_code_cell(f"output_{index}")
        cell.outputs = [output]
        cells.append(cell)
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    return path


@pytest.fixture(scope="module")
def handout_set(tmp_path_factory, figures):
    """Every lesson, exercise notebook and the glossary as handouts (HTML), the
    exercises-only handout, and a page of every kind of output (with solutions)."""
    from loopedu import cli

    out = tmp_path_factory.mktemp("handouts")
    sources = [*NOTEBOOKS, ROOT / "notebooks" / "glossary.md"]
    assert cli.main(["handout", *map(str, sources), "-o", str(out / "set")]) == 0
    assert cli.main(["handout", *map(str, NOTEBOOKS), "-o", str(out / "only"),
                     "--exercises-only"]) == 0
    page = course_outputs_notebook(out / "99-outputs.ipynb", figures)
    assert cli.main(["handout", str(page), "-o", str(out / "outputs"), "--solutions"]) == 0
    return out


def test_axe_finds_nothing_serious_in_any_handout(handout_set, tmp_path):
    axe = axe_or_skip()
    chromium = browser_or_skip()
    from playwright.sync_api import sync_playwright

    pages = sorted(handout_set.rglob("*.html"))
    assert len(pages) >= len(NOTEBOOKS) + 4
    reports, failing = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True,
                                    args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            for html_file in pages:
                page.goto(html_file.as_uri())
                violations = run_axe(page, axe)
                name = str(html_file.relative_to(handout_set))
                reports.append(report(name, violations))
                failing += [f"{name}: {v['impact']} {v['id']} ({len(v['nodes'])})"
                            for v in blocking(violations)]
        finally:
            browser.close()
    keep_report("axe-handouts.txt", "\n".join(reports), tmp_path)
    assert failing == [], "\n".join(failing)


def test_no_id_repeats_on_a_page(handout_set):
    """A repeated id breaks links to it and the names screen readers read."""
    repeated = []
    for page in sorted(handout_set.rglob("*.html")):
        ids = Counter(re.findall(r'\sid="([^"]+)"', page.read_text(encoding="utf-8")))
        repeated += [f"{page.name}: {i} x{n}" for i, n in ids.items() if n > 1]
    assert repeated == [], repeated[:20]


def drawings_named_outside(page: str) -> tuple[list[str], list[str]]:
    """The titles of the drawings (SVGs) on ``page``, and each name their
    aria-labelledby gives that is not an id inside the same drawing."""
    found = re.findall(r'<svg\b[^>]*\baria-labelledby="([^"]*)"[^>]*>(.*?)</svg>', page,
                       flags=re.DOTALL)
    outside = [name for names, inside in found for name in names.split()
               if f'id="{name}"' not in inside]
    titles = [re.search(r"<title[^>]*>(.*?)</title>", inside).group(1) for _, inside in found]
    return titles, outside


def test_each_drawing_is_named_by_its_own_title(handout_set, figures):
    """A drawing's SVG is labelled (aria-labelledby) by the title and description inside
    it, not by another drawing's on the same page."""
    from loopedu import drawings

    page = (handout_set / "outputs" / "99-outputs.html").read_text(encoding="utf-8")
    titles, outside = drawings_named_outside(page)
    assert len(titles) == len(set(titles)) == len(drawings.ALL)
    assert outside == [], "these name something outside their drawing"


def test_drawings_saved_before_they_had_ids_of_their_own(tmp_path):
    """A lesson whose stored outputs hold two drawings in the form they had before
    (both ``<title id="t">``): in the handout each is still named by its own title."""
    from loopedu import cli, drawings
    from loopedu.drawings.canvas import TEXT

    def saved(drawing):  # what Drawing._repr_html_ wrote before
        page = (f'<figure class="loopedu-drawing" style="margin:0.5em 0">{drawing.svg}'
                f'<figcaption style="color:{TEXT}">{drawing.alt}</figcaption></figure>')
        return nbformat.v4.new_output("display_data", data={"text/html": page,
                                                            "text/plain": drawing.title})

    cells = [nbformat.v4.new_markdown_cell("# 98 · Two drawings")]
    for draw in drawings.ALL[:2]:
        cells.append(nbformat.v4.new_code_cell("drawing()"))
        cells[-1].outputs = [saved(draw())]
    source = tmp_path / "98-two.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=cells), source)
    assert all('<title id="t">' in c.outputs[0].data["text/html"] for c in cells[1:])
    assert cli.main(["handout", str(source), "-o", str(tmp_path / "out")]) == 0
    titles, outside = drawings_named_outside((tmp_path / "out" / "98-two.html").read_text())
    assert titles == [draw().title for draw in drawings.ALL[:2]]
    assert outside == [], "the second drawing is named by the first one's title"


#: Link texts that say nothing about where the link goes (WCAG 2.4.4).
VAGUE_LINKS = {"here", "click here", "this", "link", "this link", "more", "read more",
               "see here", "this page", "page"}


def test_every_link_says_where_it_goes(handout_set):
    from html.parser import HTMLParser

    class Texts(HTMLParser):
        def __init__(self):
            super().__init__()
            self.open, self.found = None, []

        def handle_starttag(self, tag, attrs):
            if tag == "a" and dict(attrs).get("href") is not None:
                self.open = []

        def handle_data(self, data):
            if self.open is not None:
                self.open.append(data)

        def handle_endtag(self, tag):
            if tag == "a" and self.open is not None:
                self.found.append(" ".join("".join(self.open).split()))
                self.open = None

    vague = []
    count = 0
    for page in sorted(handout_set.rglob("*.html")):
        texts = Texts()
        texts.feed(page.read_text(encoding="utf-8"))
        count += len(texts.found)
        vague += [f"{page.name}: {t!r}" for t in texts.found
                  if len(t) < 2 or t.lower().strip(".:") in VAGUE_LINKS]
    assert count > 100 and vague == [], vague[:20]


def test_axe_would_see_a_violation(tmp_path):
    """The check itself: axe-core, as run here, reports what the handouts avoid."""
    axe = axe_or_skip()
    chromium = browser_or_skip()
    from playwright.sync_api import sync_playwright

    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><html><head><title>t</title></head><body><main>'
                   '<p style="color:#999;background:#fff">faint</p><img src="x.png">'
                   '<a href="#x"></a></main></body></html>')
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True,
                                    args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            page.goto(bad.as_uri())
            found = {v["id"] for v in blocking(run_axe(page, axe))}
        finally:
            browser.close()
    assert {"color-contrast", "image-alt", "link-name", "html-has-lang"} <= found


# ---- JupyterLab: a workspace lesson after it ran ----

LESSON = "notebooks/01-loopback-range.ipynb"
COURSE_REGIONS = [".jp-OutputArea-output", ".jp-MarkdownOutput"]


@pytest.mark.slow
def test_a_workspace_lesson_in_jupyterlab(tmp_path):
    """Lesson 01, run in the learner's JupyterLab: axe over what the course wrote
    (outputs, widgets, rendered markdown: nothing serious or critical) and over the
    whole page (JupyterLab's own, printed for reference); then the learner answers the
    lesson's address widget with the keyboard alone."""
    axe = axe_or_skip()
    chromium = browser_or_skip()
    from playwright.sync_api import expect, sync_playwright
    from test_browser_e2e import PANEL, Lab, artifacts_dir, open_lesson, restart_and_run_all

    lab = Lab(tmp_path)
    try:
        base = lab.base_url()
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=chromium, headless=True,
                args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                      "--disable-background-networking", "--no-first-run"])
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.set_default_timeout(60_000)
                open_lesson(page, f"{base}/lab/tree/{LESSON}?token={lab.token}")
                page.locator(f"{PANEL} .jp-CodeCell .cm-content").first.click()  # current
                restart_and_run_all(page, lab)
                expect(page.locator(f"{PANEL} .jupyter-widgets input[type=text]").first
                       ).to_be_visible(timeout=30_000)
                show_every_cell(page)
                shown_cells = page.evaluate(
                    "(panel) => document.querySelectorAll(panel + ' .jp-Cell').length", PANEL)
                course = run_axe(page, axe, [f"{PANEL} {s}" for s in COURSE_REGIONS])
                whole = run_axe(page, axe)
                keep_report("axe-jupyterlab.txt", report(
                    f"{LESSON} in JupyterLab, what the course wrote", course) + "\n"
                    + report("the whole JupyterLab page, JupyterLab's own included "
                             "(for reference)", whole), tmp_path)
                answered = answer_the_widget_with_keys(page)
            finally:  # kept on failure too, in tests/artifacts/ (test_browser_e2e's folder)
                try:
                    page.screenshot(path=str(artifacts_dir(tmp_path) / "axe-jupyterlab.png"))
                except Exception as exc:  # noqa: BLE001 - a failed screenshot hides nothing
                    print(f"no screenshot: {exc}")
                browser.close()
    finally:
        print("`loopedu lab` said, last lines:\n" + lab.tail())
        lab.stop()
    cells = len(nbformat.read(lab.workspace / LESSON, as_version=4).cells)
    assert shown_cells == cells, "axe saw only the cells JupyterLab had rendered"
    assert blocking(course) == [], json.dumps(blocking(course), indent=1)[:3000]
    assert answered.startswith("::1\n::1 (IPv6)") and "Loopback: yes" in answered


def show_every_cell(page) -> None:
    """Scroll the notebook from top to bottom, so that JupyterLab has rendered every
    cell (it renders the cells in view first)."""
    from test_browser_e2e import PANEL

    page.evaluate("""async (panel) => {
        const box = document.querySelector(panel + ' .jp-WindowedPanel-outer')
                    || document.querySelector(panel + ' .jp-Notebook');
        for (let y = 0; y <= box.scrollHeight; y += 600) {
            box.scrollTop = y; await new Promise(r => setTimeout(r, 50)); }
        box.scrollTop = 0; }""", PANEL)


def answer_the_widget_with_keys(page) -> str:
    """Tab from the notebook to the address box of lesson 01's classifier (keys only:
    no click), replace its text (127.0.0.1) with ::1, and return the box's value and
    what the widget then shows."""
    from playwright.sync_api import expect
    from test_browser_e2e import PANEL

    box = f"{PANEL} .jupyter-widgets input[type=text]"
    page.locator(f"{PANEL} .jp-Notebook").focus()
    page.keyboard.press("Escape")
    for _ in range(600):
        if page.evaluate("(s) => document.activeElement === document.querySelector(s)", box):
            break
        page.keyboard.press("Tab")
    else:
        pytest.fail("Tab never reached the widget's text box: not operable by keyboard")
    page.keyboard.press("Control+a")
    page.keyboard.type("::1")
    report_panel = page.locator(f"{PANEL} .jupyter-widgets pre").first
    expect(report_panel).to_contain_text("::1/128 Loopback Address", timeout=30_000)
    expect(page.locator(box).first).to_have_value("::1")
    return page.locator(box).first.input_value() + "\n" + report_panel.inner_text()
