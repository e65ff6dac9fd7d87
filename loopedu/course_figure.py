"""How the course's matplotlib figures show themselves: :class:`CourseFigure`, the
Figure that every function of :mod:`loopedu.plots` returns, shown in JupyterLab (and in
handouts) as an HTML figure with its alt text and its data.

Introduced in notebooks/01-loopback-range.ipynb.
"""

from __future__ import annotations

import base64
import html
import io

from matplotlib.figure import Figure

__all__ = ["CourseFigure"]


class CourseFigure(Figure):
    """A ``matplotlib.figure.Figure`` that shows itself in Jupyter without pyplot, as an
    HTML figure: the PNG, its one-line alt text (:func:`loopedu.plots.set_alt_text`) both as the
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
