"""What every figure of the course shares: a ``Figure`` that shows itself in Jupyter
without pyplot (an HTML figure: the image with its one-line alt text, as caption too,
and the data it shows as a table), readable text colours and the series styles.

Introduced in notebooks/01-loopback-range.ipynb.
"""

from __future__ import annotations

import base64
import html
import io

from matplotlib.colors import to_rgb
from matplotlib.figure import Figure

from ..palette import OKABE_ITO

__all__ = ["CourseFigure", "new_figure", "set_alt_text", "text_colour_on", "SERIES",
           "STYLES", "HATCHES"]

#: Colours, then line styles and hatches, one each per series: meaning never rests on colour.
SERIES = [OKABE_ITO[c] for c in ("blue", "orange", "bluish green", "reddish purple",
                                 "vermillion", "sky blue")]
STYLES, HATCHES = ["-", "--", "-.", ":"], ["", "//", "..", "xx", "\\\\", "++"]


class CourseFigure(Figure):
    """A ``matplotlib.figure.Figure`` that shows itself in Jupyter without pyplot, as an
    HTML figure: the PNG, its one-line alt text (:func:`set_alt_text`) both as the
    image's ``alt`` (what a screen reader says) and as a visible caption, and the data
    it shows as a table (``data_table``, folded in JupyterLab, open in handouts). The
    alt text is also the output's plain-text version. No separate PNG is stored, so a
    notebook holds each figure once.

    ``data_table`` is ``(headers, rows)``, set by the function that draws the figure.

    >>> fig = CourseFigure(figsize=(2, 1))
    >>> fig.alt_text = "A blank test figure"
    >>> fig.data_table = (("x", "y"), [(1, 2)])
    >>> bundle = fig._repr_mimebundle_()
    >>> sorted(bundle), bundle["text/plain"]
    (['text/html', 'text/plain'], 'A blank test figure')
    >>> '<figcaption' in bundle["text/html"], '<th scope="col">x</th>' in bundle["text/html"]
    (True, True)

    Introduced in notebooks/01-loopback-range.ipynb.
    """

    alt_text = ""
    savefig_metadata: dict = {}
    data_table: tuple | None = None
    MAX_TABLE_ROWS = 40

    def png(self) -> bytes:
        """The figure as PNG bytes (100 dpi), its alt text in the PNG's metadata."""
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=100,
                     metadata=self.savefig_metadata.get("png"))
        return buffer.getvalue()

    def _table_html(self) -> str:
        if not self.data_table:
            return ""
        headers, rows = self.data_table
        rows = list(rows)
        head = "".join(f'<th scope="col">{html.escape(str(h))}</th>' for h in headers)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row)
                       + "</tr>" for row in rows[:self.MAX_TABLE_ROWS])
        more = len(rows) - self.MAX_TABLE_ROWS
        tail = f"<p>... and {more} more rows.</p>" if more > 0 else ""
        return ('<details class="loopedu-data"><summary>The data in this figure, as a '
                f'table</summary><table><thead><tr>{head}</tr></thead><tbody>{body}'
                f"</tbody></table>{tail}</details>")

    def _repr_mimebundle_(self, include=None, exclude=None):
        alt = self.alt_text or "A figure without a description"
        png = base64.b64encode(self.png()).decode("ascii")
        caption = (f'<figcaption style="font-style:italic;color:#1a1a1a;max-width:760px">'
                   f"{html.escape(self.alt_text)}</figcaption>" if self.alt_text else "")
        figure = (f'<figure class="loopedu-figure" style="margin:0.5em 0">'
                  f'<img src="data:image/png;base64,{png}" alt="{html.escape(alt)}" '
                  f'style="max-width:100%;height:auto">{caption}{self._table_html()}'
                  "</figure>")
        return {"text/html": figure, "text/plain": self.alt_text or repr(self)}


def new_figure(width: float = 10.0, height: float = 7.0) -> CourseFigure:
    """A Figure detached from pyplot, so creating many never leaks memory or needs a GUI.

    >>> isinstance(new_figure(), Figure)
    True

    Introduced in notebooks/01-loopback-range.ipynb.
    """
    return CourseFigure(figsize=(width, height), layout="constrained")


def set_alt_text(fig: Figure, text: str) -> Figure:
    """Store a one-line alt text on ``fig`` (``fig.alt_text``) and in the metadata that
    ``fig.savefig`` writes for PNG/SVG/PDF (via ``savefig_metadata``).

    Introduced in notebooks/01-loopback-range.ipynb.
    """
    if "\n" in text:
        raise ValueError("alt text must be one line")
    fig.alt_text = text
    fig.savefig_metadata = {"png": {"Description": text}, "svg": {"Description": text},
                            "pdf": {"Subject": text}}
    return fig


def text_colour_on(face: str) -> str:
    """Black or white, whichever reads better on ``face`` (WCAG relative luminance).

    >>> text_colour_on("#000000"), text_colour_on("#F0E442")
    ('white', 'black')

    Introduced in notebooks/01-loopback-range.ipynb.
    """
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in to_rgb(face))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "white" if luminance < 0.179 else "black"
