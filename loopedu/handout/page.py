"""One notebook, or one markdown page such as the glossary, as a handout page.

What it does to a notebook, on a copy:

- solution blocks (``### BEGIN SOLUTION`` ... ``### END SOLUTION``) are replaced as in
  the learner's workspace (:func:`loopedu.exercises.student.strip_solutions`), unless
  ``solutions=True``; every place the learner writes (a prediction, an explanation,
  an exercise's answer) then gets ruled lines instead of the example's output, the reveal of an
  example prediction is left out, and the banner says so once;
- test markers (``# NBVAL_CHECK_OUTPUT`` and the other ``# NBVAL_*`` lines) are gone;
- figures, widgets and icons print (:mod:`loopedu.handout.outputs`);
- each code cell's font is scaled so that its widest line fits the paper;
- a banner says where the outputs come from: the first ``this machine: ...`` line the
  notebook printed (:func:`loopedu.doctor.this_machine`), the course's reference copy,
  or this copy; a copy with no outputs (a learner's fresh workspace) says so instead;
- heading levels never skip one (h1, h3 becomes h1, h2); no script or stylesheet is
  fetched from anywhere (no require.js, MathJax or widget manager from a CDN).

Introduced in notebooks/00-start-here.ipynb (``loopedu handout``, for instructors).
"""

from __future__ import annotations

import copy
import html
import os
import re
from dataclasses import dataclass
from pathlib import Path

from .links import unique_ids
from .outputs import (
    break_long_words,
    expand,
    html_output,
    label_icons,
    static_outputs,
    write_marker,
    write_space,
)
from .style import code_size, footer_css, handout_css, size_class

__all__ = ["HandoutError", "HandoutPage", "handout_html", "read_source", "render_page"]

LEFT_OUT = ("Example answers and their outputs are left out: write yours on the lines "
            "(make the handout with --solutions to include them).")
NO_OUTPUTS = "This copy holds no outputs: run it in JupyterLab to see them."
_NBVAL = re.compile(r"^[ \t]*#[ \t]*NBVAL_[A-Z_]+[ \t]*(?:\n|$)", re.MULTILINE)
#: "this machine: <what doctor.this_machine() says>", up to the end of the line or to a
#: " | " that starts something else the cell printed on that line.
_MACHINE = re.compile(r"this machine:[ \t]*([^\s|](?:[^\n|]*[^\s|])?)")
_EXTERNAL = re.compile(r"<(script|link)\b[^>]*?\b(?:src|href)\s*=\s*[\"']?\s*(?:https?:)?//"
                       r"[^>]*>(?:\s*</script>)?", re.IGNORECASE)
_ANCHOR_LINK = re.compile(r'<a class="anchor-link" href="[^"]*">\u00b6</a>')
_PREDICT = re.compile(r"""\bpredict\(\s*["']([^"']+)["']""")
_CHECK = re.compile(r"\bcheck\(")
_EXPLAIN = re.compile(r"\bexplain\(")
_MARKERS = re.compile(r"^[ \t]*### (?:BEGIN|END) SOLUTION[ \t]*\n?", re.MULTILINE)
KEEP_TOGETHER_LINES = 12  # a code cell this short (input and text output) never splits
KEEP_INPUT_LINES = 30  # nor does code this short

_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block html_head_css -%}<style type="text/css">{{ resources.loopedu_css }}</style>
{%- endblock html_head_css -%}
{%- block body_header -%}{{ super() }}
{{ resources.loopedu_banner }}
{%- endblock body_header -%}
{%- block footer_js -%}{%- endblock footer_js -%}
"""


class HandoutError(ValueError):
    """A handout cannot be made as asked; the message says why and what to do.
    Nothing has been written when it is raised."""


@dataclass
class HandoutPage:
    """One handout: where it came from, its title, its whole HTML document, the
    banner at its top, and ``stem``, the name of its file without ``.html``."""
    source: Path
    title: str
    html: str
    banner: str = ""
    stem: str = ""

    def __post_init__(self):
        self.stem = self.stem or self.source.stem

    @property
    def name(self) -> str:
        return self.stem + ".html"

    @property
    def main(self) -> str:
        """The page's content: what its ``<main>`` holds."""
        start, end = self.html.find("<main>"), self.html.rfind("</main>")
        return self.html[start + len("<main>"):end] if start >= 0 <= end else self.html


def read_source(path: Path):
    """The notebook at ``path``; a markdown page (``.md``) becomes a notebook of one
    markdown cell. Raises :class:`HandoutError` for anything else.

    Introduced in notebooks/00-start-here.ipynb (``loopedu handout``).
    """
    import nbformat

    if path.suffix not in (".ipynb", ".md"):
        raise HandoutError(f"{path} is neither a notebook (.ipynb) nor a markdown page "
                           "(.md); name a lesson such as notebooks/01-loopback-range.ipynb "
                           "or the glossary, notebooks/glossary.md")
    if not path.is_file():
        raise HandoutError(f"{path}: no such {'page' if path.suffix == '.md' else 'notebook'}")
    try:
        if path.suffix == ".md":
            text = path.read_text(encoding="utf-8")
            return nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(text)])
        return nbformat.read(path, as_version=4)
    except Exception as exc:  # not JSON, not a notebook, not UTF-8
        raise HandoutError(f"{path} cannot be read "
                           f"({type(exc).__name__}: {' '.join(str(exc).split())[:120]})"
                           ) from None


def _title(nb, path: Path) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            found = re.search(r"^#\s+(.+?)\s*#*\s*$", cell.source, re.MULTILINE)
            if found:
                return label_icons(found.group(1), markdown=False).strip()
    return path.stem


def _text(value) -> str:
    return value if isinstance(value, str) else "".join(value or [])


def _machine(nb) -> str | None:
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            for text in (output.get("text", ""), output.get("data", {}).get("text/plain", "")):
                found = _MACHINE.search(_text(text))
                if found:
                    return found.group(1).strip()
    return None


def _in_course(path: Path) -> bool:
    """Whether ``path`` is one of the course's own (reference) notebooks."""
    from ..course import CourseNotFound, course_root, packaged_course

    try:
        roots = [course_root() / "notebooks", course_root() / "exercises", packaged_course()]
    except CourseNotFound:
        roots = [packaged_course()]
    where = path.resolve()
    return any(root.resolve() in where.parents for root in roots)


def banner(nb, path: Path, left_out: bool) -> str:
    """The note at the top of a handout: where its outputs come from, and that example
    answers were left out (once)."""
    lines = []
    if path.suffix == ".ipynb":
        if not any(cell.get("outputs") for cell in nb.cells):
            lines.append(NO_OUTPUTS)
        elif _machine(nb):
            lines.append(f"Outputs recorded on {_machine(nb)}.")
        elif _in_course(path):
            lines.append("Outputs as recorded when the course's reference copy was run.")
        else:
            lines.append("Outputs as saved in this copy of the notebook.")
    if left_out:
        lines.append(LEFT_OUT)
    if not lines:
        return ""
    body = "".join(f"<p>{html.escape(line)}</p>" for line in lines)
    return f'<div class="loopedu-banner" role="note">{body}</div>'


def _widest(lines: list[str]) -> int:
    return max((len(line.expandtabs(4)) for line in lines), default=0)


def _output_lines(outputs: list) -> list[str]:
    lines = []
    for output in outputs:
        data = output.get("data", {})
        if output.get("output_type") == "stream":
            lines += _text(output.get("text", "")).splitlines()
        elif set(data) <= {"text/plain"}:
            lines += _text(data.get("text/plain", "")).splitlines()
    return lines


def _tag(cell, *tags: str) -> None:
    cell.setdefault("metadata", {}).setdefault("tags", [])
    cell.metadata.tags = [t for t in cell.metadata.tags if not t.startswith("loopedu-")]
    cell.metadata.tags += list(tags)


def _answer_lines(solution: str) -> int:
    """Ruled lines for an answer whose example solution was ``solution``: one more
    than it took, 3 to 8."""
    found = re.search(r"### BEGIN SOLUTION[ \t]*\n(.*?)^[ \t]*### END SOLUTION", solution,
                      re.DOTALL | re.MULTILINE)
    used = len([ln for ln in found.group(1).splitlines() if ln.strip()]) if found else 3
    return max(3, min(8, used + 1))


def is_exercise(cell) -> bool:
    """Whether ``cell`` asks for a checked answer: a code cell calling ``check(`` (not a
    prediction), or markdown with a solution block or the place for one."""
    from ..exercises.student import MARKDOWN_PLACEHOLDER

    source = cell.get("source", "")
    if cell.cell_type == "code":
        return bool(_CHECK.search(source)) and not _PREDICT.search(source)
    return "BEGIN SOLUTION" in source or MARKDOWN_PLACEHOLDER in source


def prepare(nb, path: Path, solutions: bool, paper: str):
    """The notebook as the handout shows it (a copy; ``nb`` is left as it was), and
    whether any example answer was left out."""
    from ..exercises.student import (
        CODE_PLACEHOLDER,
        MARKDOWN_PLACEHOLDER,
        StudentBuildError,
        strip_solutions,
    )

    nb = copy.deepcopy(nb)
    hidden: set = set()  # predictions whose example was left out: no reveal of those
    left_out = False
    for index, cell in enumerate(nb.cells, 1):
        original = cell.get("source", "")
        source, had = original, False
        markdown = cell.cell_type == "markdown"
        if not solutions:
            placeholder = MARKDOWN_PLACEHOLDER if markdown else CODE_PLACEHOLDER
            try:
                source, had = strip_solutions(source, placeholder,
                                              f"{path}, cell {index} ({cell.cell_type})")
            except StudentBuildError as exc:
                raise HandoutError(str(exc)) from None
        left_out |= had
        # where the learner writes: an example left out, or the place for an answer
        # in a copy that has not run it (a learner's ran answer and outputs stay)
        waiting = (MARKDOWN_PLACEHOLDER if markdown else CODE_PLACEHOLDER) in source
        blank = not solutions and (had or (waiting and not cell.get("outputs")))
        if markdown and blank:
            source = source.replace(MARKDOWN_PLACEHOLDER, "\n\n" + write_marker(
                "Your answer:", _answer_lines(original)) + "\n\n")
        if cell.cell_type == "code":
            source = _NBVAL.sub("", source)
            prediction = _PREDICT.search(source)
            if blank and prediction:
                hidden.add(prediction.group(1))
                cell.outputs = [html_output(write_space("Your prediction:", 3))]
            elif blank:
                label = "Your explanation:" if _EXPLAIN.search(source) else "Your answer:"
                cell.outputs = [html_output(write_space(label, _answer_lines(original)))]
            else:
                cell.outputs = static_outputs(cell.get("outputs", []), nb, hidden)
            lines, out = source.splitlines(), _output_lines(cell.outputs)
            tags = [size_class("in", code_size(_widest(lines), paper)),
                    size_class("out", code_size(_widest(out), paper))]
            text_only = all(o.get("output_type") in ("stream", "error")
                            or set(o.get("data", {})) <= {"text/plain"} for o in cell.outputs)
            if text_only and len(lines) + len(out) <= KEEP_TOGETHER_LINES:
                tags.append("loopedu-keep")  # a short cell and its text output, whole
            elif len(lines) <= KEEP_INPUT_LINES:
                tags.append("loopedu-keep-input")
            _tag(cell, *tags)
        # with solutions shown, their markers go: the text reads as it would be typed
        cell.source = label_icons(_MARKERS.sub("", source), markdown=markdown)
    nb.metadata.pop("widgets", None)  # no widget manager to load
    return nb, left_out


def ordered_headings(text: str) -> str:
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


def render_page(nb, name: str, title: str, banner_html: str, paper: str) -> str:
    """The HTML document of the prepared notebook ``nb``.

    Introduced in notebooks/00-start-here.ipynb (``loopedu handout``).
    """
    nb.metadata["title"] = title
    css = handout_css(paper) + footer_css(title)
    text, _ = _exporter().from_notebook_node(nb, resources={
        "metadata": {"name": name}, "loopedu_css": css, "loopedu_banner": banner_html})
    text = expand(_ANCHOR_LINK.sub("", _EXTERNAL.sub("", ordered_headings(text))))
    text = break_long_words(unique_ids(text))
    return text.replace("<html>", '<html lang="en">', 1)


def handout_html(path: str | os.PathLike, solutions: bool = False,
                 paper: str = "a4") -> HandoutPage:
    """The handout of the notebook or markdown page at ``path`` (see the module
    docstring), in memory, laid out for ``paper`` ("a4" or "letter").

    Raises :class:`HandoutError` when ``path`` is not a readable notebook or page.

    Introduced in notebooks/00-start-here.ipynb (``loopedu handout``, for instructors).
    """
    path = Path(path)
    nb = read_source(path)
    title = _title(nb, path)
    shown, left_out = prepare(nb, path, solutions, paper)
    note = banner(nb, path, left_out)
    return HandoutPage(path, title, render_page(shown, path.stem, title, note, paper), note)
