"""Handouts: lessons and exercise notebooks as HTML files (and PDFs) read offline.

``loopedu handout NOTEBOOK... -o DIR [--pdf] [--solutions]`` writes ``DIR/<name>.html``
for each notebook, from the committed (executed) reference version, and
``DIR/index.html`` linking them when there are several. Each file stands alone:

- the CSS is inside it, figures are PNG ``data:`` URIs, and no script or stylesheet is
  fetched from anywhere (no require.js, MathJax or widget manager from a CDN);
- a figure's alt text (:func:`loopedu.plots.set_alt_text`, stored as the output's
  ``text/plain``) is both the ``<img>``'s ``alt`` and a visible ``<figcaption>``;
- a widget becomes what was saved of it: its inputs' starting values and the text it
  showed for them, with a note that it is interactive in JupyterLab;
- test markers (``# NBVAL_CHECK_OUTPUT`` and the other ``# NBVAL_*`` lines) are gone;
- a banner says which machine recorded the outputs: the first ``this machine: ...``
  line the lesson printed (:func:`loopedu.doctor.this_machine`), else "the reference
  machine";
- solution blocks (``### BEGIN SOLUTION`` ... ``### END SOLUTION``) are replaced as in the
  learner's workspace (:func:`loopedu.exercises.student.strip_solutions`) and the
  outputs they produced left out, unless ``solutions=True``;
- heading levels never skip one (h1, h3 becomes h1, h2) and print uses an 11pt body.

``--pdf`` prints each HTML file with headless Chromium, with its network shut off.

Introduced in notebooks/00-start-here.ipynb (``loopedu handout``, for instructors).
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["HandoutError", "HandoutPage", "build_handouts", "find_chromium",
           "handout_html", "print_pdf"]

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
WIDGET_NOTE = "(interactive widget: open the lesson in JupyterLab to use it)"
LEFT_OUT_NOTE = ("(output of the example solution left out: run the cell in JupyterLab, "
                 "or make the handout with --solutions)")
REFERENCE_MACHINE = "the reference machine"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
INSTALL_HINT = ("on Debian or Ubuntu: sudo apt-get install chromium (or install Google "
                "Chrome), then run the command again")
#: Flags that keep Chromium off every network while it renders a local file.
OFFLINE_FLAGS = ("--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
                 "--host-resolver-rules=MAP * ~NOTFOUND")
_NBVAL = re.compile(r"^[ \t]*#[ \t]*NBVAL_[A-Z_]+[ \t]*(?:\n|$)", re.MULTILINE)
_MACHINE = re.compile(r"this machine:[ \t]*(\S[^\n]*)")
_USELESS_REPR = re.compile(r"^\s*(?:[A-Z][A-Za-z]*Box\(children=|<Figure size )")
_EXTERNAL = re.compile(r"<(script|link)\b[^>]*?\b(?:src|href)\s*=\s*[\"']?\s*(?:https?:)?//"
                       r"[^>]*>(?:\s*</script>)?", re.IGNORECASE)

_CSS = """
.loopedu-banner { border-left: 6px solid #0072B2; background: #eef5fb; color: #1a1a1a;
  padding: 0.4em 0.8em; margin: 0.5em 0 1em; }
figure.loopedu-figure { margin: 0.5em 0; }
figure.loopedu-figure img { max-width: 100%; height: auto; }
figure.loopedu-figure figcaption { font-style: italic; color: #333; margin-top: 0.3em; }
.loopedu-widget { border: 1px dashed #777; padding: 0.4em 0.8em; }
.loopedu-note { color: #444; font-style: italic; }
@media print {
  body { font-size: 11pt; line-height: 1.4; color: #000; }
  pre, code { font-size: 9.5pt; white-space: pre-wrap; word-break: break-word; }
  h1, h2, h3, h4 { page-break-after: avoid; break-after: avoid; }
  figure, img, pre { page-break-inside: avoid; break-inside: avoid; }
  a.anchor-link { display: none; }
}
"""

_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block html_head_css -%}<style type="text/css">""" + _CSS + """</style>
{%- endblock html_head_css -%}
{%- block body_header -%}{{ super() }}
<p class="loopedu-banner" role="note">Outputs recorded on {{ resources.loopedu_machine | e }}.</p>
{%- endblock body_header -%}
{%- block footer_js -%}{%- endblock footer_js -%}
"""


class HandoutError(ValueError):
    """A handout cannot be made as asked; the message says why and what to do.
    Nothing has been written when it is raised."""


@dataclass
class HandoutPage:
    """One notebook's handout: where it came from, its title and its HTML text."""
    source: Path
    title: str
    html: str
    machine: str

    @property
    def name(self) -> str:
        return self.source.stem + ".html"


def _read(path: Path):
    import nbformat

    if path.suffix != ".ipynb":
        raise HandoutError(f"{path} is not a notebook (.ipynb); name a lesson such as "
                           "notebooks/01-loopback-range.ipynb")
    if not path.is_file():
        raise HandoutError(f"{path}: no such notebook")
    try:
        return nbformat.read(path, as_version=4)
    except Exception as exc:  # not JSON, not a notebook
        raise HandoutError(f"{path} cannot be read as a notebook "
                           f"({type(exc).__name__}: {' '.join(str(exc).split())[:120]})"
                           ) from None


def _title(nb, path: Path) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            found = re.search(r"^#\s+(.+?)\s*#*\s*$", cell.source, re.MULTILINE)
            if found:
                return found.group(1)
    return path.stem


def _machine(nb) -> str:
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            texts = [output.get("text", "")]
            texts.append(output.get("data", {}).get("text/plain", ""))
            for text in texts:
                found = _MACHINE.search(text if isinstance(text, str) else "".join(text))
                if found:
                    return found.group(1).strip()
    return REFERENCE_MACHINE


def _html_output(fragment: str):
    import nbformat

    return nbformat.v4.new_output("display_data", data={"text/html": fragment})


def _figure(data: dict) -> str:
    alt = data.get("text/plain", "")
    alt = "" if _USELESS_REPR.match(alt) else " ".join(alt.split())
    png = "".join(data["image/png"].split())
    caption = f"<figcaption>{html.escape(alt)}</figcaption>" if alt else ""
    return (f'<figure class="loopedu-figure"><img src="data:image/png;base64,{png}" '
            f'alt="{html.escape(alt or "figure without a description")}">{caption}</figure>')


def _widget_parts(state: dict, model_id: str, depth: int = 0) -> list[str]:
    """The saved inputs and shown text of widget ``model_id`` and its children."""
    model = state.get(model_id, {}).get("state", {})
    name = state.get(model_id, {}).get("model_name", "")
    if depth > 10 or not model:
        return []
    parts: list[str] = []
    for child in model.get("children", []):
        if isinstance(child, str) and child.startswith("IPY_MODEL_"):
            parts += _widget_parts(state, child[len("IPY_MODEL_"):], depth + 1)
    label = html.escape(str(model.get("description") or "")).strip()
    value = model.get("value")
    if name in ("TextModel", "TextareaModel", "IntTextModel", "FloatTextModel",
                "DropdownModel", "CheckboxModel", "IntSliderModel", "FloatSliderModel"):
        shown = html.escape(str(value))
        body = (f"<pre>{shown}</pre>" if name == "TextareaModel"
                else f"<code>{shown}</code>")
        parts.append(f"<p><strong>{label or 'Input'}</strong> {body}</p>")
    elif name in ("HTMLModel", "HTMLMathModel") and value:
        parts.append(str(value))
    elif name == "LabelModel" and value:
        parts.append(f"<p>{html.escape(str(value))}</p>")
    return parts


def _widget(output, nb) -> str:
    data = output.get("data", {})
    model_id = (data.get(WIDGET_MIME) or {}).get("model_id", "")
    state = (nb.metadata.get("widgets", {})
             .get("application/vnd.jupyter.widget-state+json", {}).get("state", {}))
    parts = _widget_parts(state, model_id) if model_id else []
    text = data.get("text/plain", "")
    if not parts and text and not _USELESS_REPR.match(text):
        parts = [f"<pre>{html.escape(text)}</pre>"]
    lead = "<p>As saved, with its starting value:</p>" if parts else ""
    return (f'<div class="loopedu-widget" role="group" aria-label="interactive widget">'
            f'{lead}{"".join(parts)}<p class="loopedu-note">{WIDGET_NOTE}</p></div>')


def _static_outputs(outputs: list, nb) -> list:
    result = []
    for output in outputs:
        data = output.get("data", {})
        if WIDGET_MIME in data:
            result.append(_html_output(_widget(output, nb)))
        elif "image/png" in data:
            result.append(_html_output(_figure(data)))
        else:
            result.append(output)
    return result


def _prepare(nb, path: Path, solutions: bool):
    """The notebook as the handout shows it (a copy; ``nb`` is left as it was)."""
    import copy

    from .exercises.student import (
        CODE_PLACEHOLDER,
        MARKDOWN_PLACEHOLDER,
        StudentBuildError,
        strip_solutions,
    )

    nb = copy.deepcopy(nb)
    for index, cell in enumerate(nb.cells, 1):
        source = cell.get("source", "")
        had = False
        if not solutions:
            placeholder = CODE_PLACEHOLDER if cell.cell_type == "code" else MARKDOWN_PLACEHOLDER
            try:
                source, had = strip_solutions(source, placeholder,
                                              f"{path}, cell {index} ({cell.cell_type})")
            except StudentBuildError as exc:
                raise HandoutError(str(exc)) from None
        if cell.cell_type == "code":
            source = _NBVAL.sub("", source)
            if had and cell.get("outputs"):
                cell.outputs = [_html_output(f'<p class="loopedu-note">{LEFT_OUT_NOTE}</p>')]
            else:
                cell.outputs = _static_outputs(cell.get("outputs", []), nb)
        # with solutions shown, their markers go: the text reads as it would be typed
        cell.source = re.sub(r"^[ \t]*### (?:BEGIN|END) SOLUTION[ \t]*\n?", "", source,
                             flags=re.MULTILINE)
    nb.metadata.pop("widgets", None)  # no widget manager to load
    return nb


def _ordered_headings(text: str) -> str:
    """Renumber <h1>..<h6> so that no level is skipped (h1, h3 -> h1, h2)."""
    stack: list[tuple[int, int]] = []

    def renumber(match: re.Match) -> str:
        level = int(match.group(1))
        while stack and stack[-1][0] >= level:
            stack.pop()
        new = stack[-1][1] + 1 if stack else 1
        stack.append((level, new))
        return f"<h{new}{match.group(2)}>{match.group(3)}</h{new}>"

    return re.sub(r"<h([1-6])(\b[^>]*)>(.*?)</h\1>", renumber, text, flags=re.DOTALL)


def _exporter():
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    return HTMLExporter(template_name="lab", template_file="loopedu_handout.html.j2",
                        extra_loaders=[DictLoader({"loopedu_handout.html.j2": _TEMPLATE})],
                        embed_images=True, exclude_input_prompt=True,
                        exclude_output_prompt=True)


def handout_html(path: str | os.PathLike, solutions: bool = False) -> HandoutPage:
    """The handout of the notebook at ``path`` (see the module docstring), in memory.

    Raises :class:`HandoutError` when ``path`` is not a readable notebook.

    Introduced in notebooks/00-start-here.ipynb (``loopedu handout``, for instructors).
    """
    path = Path(path)
    nb = _read(path)
    title, machine = _title(nb, path), _machine(nb)
    shown = _prepare(nb, path, solutions)
    shown.metadata["title"] = title
    text, _ = _exporter().from_notebook_node(
        shown, resources={"metadata": {"name": path.stem}, "loopedu_machine": machine})
    text = _EXTERNAL.sub("", _ordered_headings(text))
    return HandoutPage(path, title, text, machine)


def _index(pages: list[HandoutPage]) -> str:
    items = "\n".join(f'<li><a href="{html.escape(p.name)}">{html.escape(p.title)}</a></li>'
                      for p in pages)
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<title>loopedu handouts</title>\n<style>body { font-family: sans-serif; "
            "max-width: 40em; margin: 2em auto; } @media print { body { font-size: 11pt; "
            "} }</style>\n</head>\n<body>\n<main>\n<h1>loopedu handouts</h1>\n<ol>\n"
            f"{items}\n</ol>\n</main>\n</body>\n</html>\n")


def find_chromium() -> str | None:
    """The Chromium (or Chrome) program that prints PDFs, or ``None`` if there is none.

    Introduced in notebooks/00-start-here.ipynb (``loopedu handout --pdf``).
    """
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None


def _sandbox_flags() -> list[str]:
    """``--no-sandbox`` as root only: Chromium refuses to run as root with its sandbox,
    and anyone else keeps it (the page is the course's own, but a sandbox costs nothing)."""
    geteuid = getattr(os, "geteuid", None)  # none on Windows, where the sandbox works
    return ["--no-sandbox"] if geteuid is not None and geteuid() == 0 else []


def print_pdf(html_file: Path, pdf_file: Path, chromium: str | None = None,
              timeout: float = 60) -> Path:
    """Print ``html_file`` to ``pdf_file`` with headless Chromium, offline.

    Introduced in notebooks/00-start-here.ipynb (``loopedu handout --pdf``).
    """
    chromium = chromium or find_chromium()
    if chromium is None:
        raise HandoutError(f"--pdf needs Chromium and none was found; {INSTALL_HINT}")
    with tempfile.TemporaryDirectory(prefix="loopedu-chromium-") as profile:
        cmd = [chromium, "--headless", *_sandbox_flags(), "--disable-gpu",
               "--no-pdf-header-footer", f"--user-data-dir={profile}", *OFFLINE_FLAGS,
               f"--print-to-pdf={pdf_file}", Path(html_file).resolve().as_uri()]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise HandoutError(f"Chromium could not print {html_file}: {exc}") from None
    if not pdf_file.is_file() or pdf_file.read_bytes()[:4] != b"%PDF":
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise HandoutError(f"Chromium printed no PDF for {html_file} (exit status "
                           f"{done.returncode}: {last[:200]})")
    return pdf_file


def _check_output(out_dir: Path, pages: list[HandoutPage]) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise HandoutError(f"{out_dir} is a file, not a folder; choose a folder for the "
                           "handouts with -o")
    names = [p.name for p in pages]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise HandoutError(f"two notebooks would both be written as {twice[0]}; make "
                           "their handouts with separate -o folders")
    sources = {p.source.resolve().parent for p in pages}
    if out_dir.resolve() in sources:
        raise HandoutError(f"{out_dir} holds the notebooks themselves; choose another "
                           "folder with -o")


def build_handouts(sources, out_dir: str | os.PathLike, pdf: bool = False,
                   solutions: bool = False) -> list[Path]:
    """Write the handout of each notebook in ``sources`` into ``out_dir`` (made if
    needed), with ``index.html`` when there are several and a PDF of each with ``pdf``.

    Returns the paths written. Every notebook is read and rendered, and Chromium found,
    before anything is written; :class:`HandoutError` says what is wrong.

    Introduced in notebooks/00-start-here.ipynb (``loopedu handout``, for instructors).
    """
    paths = [Path(sources)] if isinstance(sources, (str, os.PathLike)) else [
        Path(s) for s in sources]
    if not paths:
        raise HandoutError("name at least one notebook")
    out_dir = Path(out_dir)
    chromium = find_chromium() if pdf else None
    if pdf and chromium is None:
        raise HandoutError(f"--pdf needs Chromium and none was found; {INSTALL_HINT}")
    pages = [handout_html(path, solutions) for path in paths]
    _check_output(out_dir, pages)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise HandoutError(f"cannot make the folder {out_dir}: {exc.strerror}") from None
    written = []
    for page in pages:
        target = out_dir / page.name
        target.write_text(page.html, encoding="utf-8")
        written.append(target)
    if len(pages) > 1:
        index = out_dir / "index.html"
        index.write_text(_index(pages), encoding="utf-8")
        written.append(index)
    if pdf:
        for page in pages:
            written.append(print_pdf(out_dir / page.name,
                                     out_dir / (page.source.stem + ".pdf"), chromium))
    return written
