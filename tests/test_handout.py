"""`loopedu handout`: lessons as HTML files that read offline, and print to PDF."""

import html
import re
import subprocess
from pathlib import Path

import pytest
from shared_checks import skip_or_fail

from loopedu import cli
from loopedu.handout import OFFLINE_FLAGS, WIDGET_NOTE, _sandbox_flags, find_chromium

ROOT = Path(__file__).resolve().parents[1]
LESSON_01 = ROOT / "notebooks" / "01-loopback-range.ipynb"  # a figure and a widget
LESSON_02 = ROOT / "notebooks" / "02-localhost-is-a-name.ipynb"  # `this machine:` lines
EXERCISES_01 = ROOT / "exercises" / "01-loopback-range-exercises.ipynb"
SOLUTION = "answer = 2 ** (32 - 8)"  # exercise 01.loopback-size's solution line
FEEDBACK = "2^24 = 16,777,216 addresses"  # and the feedback its check printed
EXTERNAL = re.compile(r"<(?:script|link)\b[^>]*\b(?:src|href)\s*=\s*[\"']?\s*(?:https?:)?//",
                      re.IGNORECASE)
FIGURE = re.compile(r'<figure[^>]*>\s*<img\b[^>]*\bsrc="data:image/png;base64,[A-Za-z0-9+/=]+"'
                    r'[^>]*>\s*<figcaption>([^<]+)</figcaption>', re.IGNORECASE)


def chromium_or_skip() -> str:
    """Chromium's path; skip without it, but fail under CI=true."""
    found = find_chromium()
    if found is None:
        skip_or_fail("no chromium (sudo apt-get install chromium)")
    return found


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("handouts")
    assert cli.main(["handout", str(LESSON_01), str(LESSON_02), "-o", str(out)]) == 0
    return out


def test_each_lesson_has_its_title_a_captioned_figure_and_no_markers(built):
    one = (built / "01-loopback-range.html").read_text(encoding="utf-8")
    two = (built / "02-localhost-is-a-name.html").read_text(encoding="utf-8")
    assert "<title>01 · The loopback range</title>" in one
    assert "<title>02 · localhost is a name</title>".lower() in two.lower()
    captions = [html.unescape(c) for c in FIGURE.findall(one)]
    assert any(c.startswith("Grid of the 256 IPv4 /8 blocks") for c in captions), captions
    alt = re.search(r'<img\b[^>]*\balt="(Grid of the 256[^"]*)"', one)
    assert alt and html.unescape(alt.group(1)) in captions
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
    two = (built / "02-localhost-is-a-name.html").read_text(encoding="utf-8")
    one = (built / "01-loopback-range.html").read_text(encoding="utf-8")
    assert "Outputs recorded on Linux, as root, IPv6 on." in two
    assert re.search(r"Outputs recorded on [^<]+\.</p>", one)
    index = (built / "index.html").read_text(encoding="utf-8")
    assert 'href="01-loopback-range.html"' in index
    assert 'href="02-localhost-is-a-name.html"' in index


def test_a_widget_becomes_its_saved_value_and_a_note(built):
    one = (built / "01-loopback-range.html").read_text(encoding="utf-8")
    assert "VBox(children=" not in one
    widget = one[one.index('class="loopedu-widget"'):]
    widget = widget[:widget.index(WIDGET_NOTE) + len(WIDGET_NOTE)]
    assert "<code>127.0.0.1</code>" in widget  # the address typed in the box
    assert "Registry entry: 127.0.0.0/8 Loopback" in widget  # what it showed for it


def test_headings_never_skip_a_level_and_print_is_readable(built):
    one = (built / "01-loopback-range.html").read_text(encoding="utf-8")
    levels = [int(n) for n in re.findall(r"<h([1-6])\b", one)]
    assert levels[0] == 1
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:])), levels
    assert re.search(r"@media print\s*{\s*body\s*{\s*font-size:\s*11pt", one)


def test_solutions_only_when_asked(tmp_path):
    assert cli.main(["handout", str(EXERCISES_01), "-o", str(tmp_path / "plain")]) == 0
    assert cli.main(["handout", str(EXERCISES_01), "-o", str(tmp_path / "full"),
                     "--solutions"]) == 0
    name = "01-loopback-range-exercises.html"
    plain = html.unescape((tmp_path / "plain" / name).read_text(encoding="utf-8"))
    full = html.unescape((tmp_path / "full" / name).read_text(encoding="utf-8"))
    assert SOLUTION not in re.sub(r"<[^>]+>", "", plain)
    assert FEEDBACK not in plain  # the solution's output would give it away
    assert SOLUTION in re.sub(r"<[^>]+>", "", full)
    assert FEEDBACK in full
    assert not (tmp_path / "plain" / "index.html").exists()  # one notebook, no index


@pytest.mark.parametrize("case", ["not-a-notebook", "missing", "output-is-a-file"])
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, case):
    out = tmp_path / "out"
    source = str(LESSON_01)
    if case == "not-a-notebook":
        source = str(ROOT / "README.md")
    elif case == "missing":
        source = str(tmp_path / "nope.ipynb")
    else:
        out.write_text("a file")
    assert cli.main(["handout", str(LESSON_01), source, "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("loopedu handout: error: ") and err.count("\n") == 1
    assert "Traceback" not in err
    if case == "output-is-a-file":
        assert out.read_text() == "a file"
    else:
        assert not out.exists()  # nothing written half


def test_pdf_without_chromium_says_how_to_get_it(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr("loopedu.handout.os.access", lambda *a, **k: False)
    assert cli.main(["handout", str(LESSON_01), "-o", str(tmp_path / "out"), "--pdf"]) == 2
    assert "apt-get install chromium" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("euid", [0, 1000])
def test_chromium_keeps_its_sandbox_unless_run_as_root(tmp_path, monkeypatch, euid):
    """The command line print_pdf gives Chromium: --no-sandbox only as root (Chromium
    will not start as root with its sandbox); every other user keeps the sandbox."""
    from loopedu import handout

    calls = []

    def fake_run(cmd, **kwargs):
        calls.append(cmd)
        pdf = next(a.split("=", 1)[1] for a in cmd if a.startswith("--print-to-pdf="))
        Path(pdf).write_bytes(b"%PDF-1.4 stand-in")
        return subprocess.CompletedProcess(cmd, 0, "", "")

    monkeypatch.setattr(handout.os, "geteuid", lambda: euid, raising=False)
    monkeypatch.setattr(handout.subprocess, "run", fake_run)
    page = tmp_path / "page.html"
    page.write_text("<!DOCTYPE html><title>t</title>")
    out = handout.print_pdf(page, tmp_path / "page.pdf", chromium="chromium-stand-in")
    assert out.read_bytes().startswith(b"%PDF")
    (cmd,) = calls
    assert cmd[:2] == ["chromium-stand-in", "--headless"]
    assert ("--no-sandbox" in cmd) is (euid == 0)
    assert set(OFFLINE_FLAGS) <= set(cmd) and cmd[-1] == page.resolve().as_uri()


def test_chromium_renders_it_offline(built):
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
    assert "<figcaption>Grid of the 256 IPv4 /8 blocks" in dom


def test_pdf(tmp_path):
    chromium_or_skip()
    assert cli.main(["handout", str(LESSON_01), "-o", str(tmp_path), "--pdf"]) == 0
    pdf = (tmp_path / "01-loopback-range.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
