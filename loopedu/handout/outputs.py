"""What a handout prints in place of what only works in JupyterLab: figures with their
alt text as caption and their data as a table, widgets as they were saved, words for
the course's icons (an emoji prints as an empty box where no emoji font is installed),
ruled lines to write on, and no reveal of an example prediction that was left out.

Introduced in notebooks/00-start-here.ipynb (``loopedu handout``, for instructors).
"""

from __future__ import annotations

import html
import re

__all__ = ["WIDGET_MIME", "WIDGET_NOTE", "ICONS", "label_icons", "static_outputs",
           "write_space", "write_marker", "expand", "html_output",
           "break_long_words"]

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
WIDGET_NOTE = "(interactive widget: open the lesson in JupyterLab to use it)"
#: The course's icons and the words a handout prints for them.
ICONS = {"\U0001f52e": "Predict", "\U0001f4a5": "Break it", "\u270d": "Your turn",
         "\U0001f4ac": "Explain"}
#: Words after an icon that already say what it means: the icon is then dropped.
_SAID = {"Predict": ("predict", "your prediction"), "Break it": ("break it",),
         "Your turn": ("your turn", "write"), "Explain": ("explain", "your explanation")}
_ICON = re.compile("(" + "|".join(ICONS) + ")\ufe0f?[ \t]*")
#: Text that says nothing to a reader: a widget's or a matplotlib Figure's repr.
_USELESS_REPR = re.compile(r"^\s*(?:[A-Z][A-Za-z]*\((?:children|value|description)=|"
                           r"<Figure size )")
#: Widgets that only showed a cell running (a progress bar): a handout leaves them out.
_TRANSIENT_WIDGETS = ("FloatProgressModel", "IntProgressModel")
#: A symbol that only repeats the words beside it (the course's feedback and reveals).
_HIDDEN_SYMBOL = re.compile(r'<span aria-hidden="true">[^<]{1,2}</span>\s?')
#: Stand-ins written into markdown and replaced in the finished HTML (nbconvert's
#: image embedding empties inline HTML elements written in markdown).
_LABEL, _WRITE = re.compile("\ue000([^\ue001]*)\ue001"), re.compile(
    "(?:<p>)?\ue002([^\ue003]*)\ue003(\\d+)\ue003(?:</p>)?")
_REVEAL_TEXT = re.compile(r"^\s*(?P<id>[\w.-]+): (?:you predicted|your machine did|not measured)")


def label_icons(text: str, markdown: bool) -> str:
    """``text`` with each icon replaced by its word (a boxed label in markdown and
    HTML, once :func:`expand` has run), or dropped where the words after it already say
    it ("💥 Break it on purpose").

    >>> label_icons("## \\U0001f4a5 Break it on purpose", True)
    '## Break it on purpose'
    >>> label_icons('print("\\U0001f4a5", err)', False)
    'print("Break it:", err)'

    Introduced in notebooks/00-start-here.ipynb (``loopedu handout``).
    """
    def replace(match: re.Match) -> str:
        label = ICONS[match.group(1)]
        after = text[match.end():].lstrip("*_ \t").lower()
        if after.startswith(_SAID[label]):
            return ""
        if markdown:
            return f"\ue000{label}\ue001 "
        return f"{label}:" + (" " if match.group(0)[-1:] in " \t" else "")

    return _ICON.sub(replace, text)


def write_space(label: str, lines: int) -> str:
    """HTML that prints ``label`` over ``lines`` ruled lines to write on.

    >>> write_space("Your answer:", 2).count('class="loopedu-line"')
    2

    Introduced in notebooks/00-start-here.ipynb (``loopedu handout``).
    """
    rules = '<div class="loopedu-line"></div>' * lines
    return f'<div class="loopedu-write"><p>{html.escape(label)}</p>{rules}</div>'


def write_marker(label: str, lines: int) -> str:
    """A stand-in for :func:`write_space` inside markdown (see :func:`expand`).

    Introduced in notebooks/00-start-here.ipynb (``loopedu handout``).
    """
    return f"\ue002{label}\ue003{lines}\ue003"


def expand(text: str) -> str:
    """The finished HTML ``text`` with the stand-ins of :func:`label_icons` and
    :func:`write_marker` made into their HTML.

    >>> expand(label_icons("marked \U0001f52e asks", True))
    'marked <span class="loopedu-icon">Predict</span> asks'

    Introduced in notebooks/00-start-here.ipynb (``loopedu handout``).
    """
    text = _LABEL.sub(lambda m: f'<span class="loopedu-icon">{m.group(1)}</span>', text)
    return _WRITE.sub(lambda m: write_space(html.unescape(m.group(1)), int(m.group(2))), text)


_CELL = re.compile(r"(<td\b[^>]*>)(.*?)(</td>)", re.DOTALL)
_LONG = re.compile(r"[^\s<>]{16,}")


def break_long_words(text: str) -> str:
    """``text`` with a place to break (``<wbr>``) after each ``/``, ``_``, ``.`` and
    ``,`` of a long word in a table cell (a path, an address), so a table of sources fits
    the page without breaking ordinary words.

    >>> break_long_words("<td>net/ipv4/route.c</td>")
    '<td>net/<wbr>ipv4/<wbr>route.<wbr>c</td>'

    Introduced in notebooks/00-start-here.ipynb (``loopedu handout``).
    """
    def cell(match: re.Match) -> str:
        parts = re.split(r"(<[^>]+>)", match.group(2))
        for i in range(0, len(parts), 2):
            parts[i] = _LONG.sub(lambda w: re.sub(r"([/_.,])(?=\S)", r"\1<wbr>", w.group(0)),
                                 parts[i])
        return match.group(1) + "".join(parts) + match.group(3)

    return _CELL.sub(cell, text)


def html_output(fragment: str):
    """A notebook output that shows the HTML ``fragment``.

    Introduced in notebooks/00-start-here.ipynb (``loopedu handout``).
    """
    import nbformat

    return nbformat.v4.new_output("display_data", data={"text/html": fragment})


def _text(value) -> str:
    return value if isinstance(value, str) else "".join(value or [])


def _figure_from_png(data: dict) -> str:
    """A figure stored as a PNG with its alt text as ``text/plain`` (the form before
    :class:`loopedu.plots.CourseFigure` showed itself as HTML)."""
    alt = _text(data.get("text/plain", ""))
    alt = "" if _USELESS_REPR.match(alt) else " ".join(alt.split())
    png = "".join(_text(data["image/png"]).split())
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


def _widget_state(output, nb) -> tuple[str, dict]:
    """The model id of the widget ``output`` shows, and the widget state ``nb`` saved."""
    model_id = (output.get("data", {}).get(WIDGET_MIME) or {}).get("model_id", "")
    return model_id, (nb.metadata.get("widgets", {})
                      .get("application/vnd.jupyter.widget-state+json", {}).get("state", {}))


def _transient(output, nb) -> bool:
    """Whether ``output`` is a progress bar (saved as one, or its repr says so)."""
    model_id, state = _widget_state(output, nb)
    name = state.get(model_id, {}).get("model_name", "")
    text = _text(output.get("data", {}).get("text/plain", ""))
    return name in _TRANSIENT_WIDGETS or text.lstrip().startswith(("FloatProgress(",
                                                                    "IntProgress("))


def _widget(output, nb) -> str:
    data = output.get("data", {})
    model_id, state = _widget_state(output, nb)
    parts = _widget_parts(state, model_id) if model_id else []
    text = _text(data.get("text/plain", ""))
    if not parts and text and not _USELESS_REPR.match(text):
        parts = [f"<pre>{html.escape(text)}</pre>"]
    lead = "<p>As saved, with its starting value:</p>" if parts else ""
    return (f'<div class="loopedu-widget" role="group" aria-label="interactive widget">'
            f'{lead}{"".join(parts)}<p class="loopedu-note">{WIDGET_NOTE}</p></div>')


def _reveals(output, hidden: set) -> bool:
    """Whether ``output`` reveals a prediction of ``hidden`` (ids whose example
    prediction was left out): the course's reveal box, or its text."""
    data = output.get("data", {})
    text = _text(data.get("text/plain", "")) or _text(output.get("text", ""))
    found = _REVEAL_TEXT.match(text)
    if found and found.group("id") in hidden:
        return True
    shown = _text(data.get("text/html", ""))
    return 'class="loopedu-reveal"' in shown and any(f"{i}:" in shown for i in hidden)


def _own_drawing_ids(page: str) -> str:
    """A drawing saved before it had ids of its own (``<title id="t">``), given ids
    from its title: else a lesson with two drawings names the second by the first's."""
    from ..drawings.canvas import own_ids

    title = re.search(r'<title id="t">([^<]*)</title>', page)
    if title is None:
        return page
    return own_ids(page, "drawing-" + "-".join(re.findall(r"[a-z0-9]+", title.group(1).lower())))


def _labelled(output):
    """``output`` with the course's icons in words (a copy where anything changed)."""
    import nbformat

    if output.get("output_type") == "stream":
        text = _text(output.get("text", ""))
        new = label_icons(text, markdown=False)
        return output if new == text else nbformat.from_dict({**output, "text": new})
    data = dict(output.get("data", {}))
    for key in ("text/plain", "text/html", "text/markdown"):
        if key in data:
            data[key] = label_icons(_text(data[key]), markdown=key != "text/plain")
    if "text/html" in data:
        data["text/html"] = _own_drawing_ids(_HIDDEN_SYMBOL.sub("", data["text/html"]).replace(
            '<details class="loopedu-data"', '<details class="loopedu-data" open'))
    return nbformat.from_dict({**output, "data": data})


def static_outputs(outputs: list, nb, hidden: set = frozenset()) -> list:
    """``outputs`` as a handout prints them: widgets and PNG figures as static HTML
    (progress bars left out), icons in words, and no reveal of a prediction of
    ``hidden``.

    Introduced in notebooks/00-start-here.ipynb (``loopedu handout``).
    """
    result = []
    for output in outputs:
        data = output.get("data", {})
        if hidden and _reveals(output, hidden):
            continue
        if WIDGET_MIME in data and _transient(output, nb):
            continue  # a progress bar showed the cell running; its result follows
        if WIDGET_MIME in data:
            result.append(html_output(_widget(output, nb)))
        elif "image/png" in data and "text/html" not in data:
            result.append(html_output(_figure_from_png(data)))
        else:
            result.append(_labelled(output))
    return result
