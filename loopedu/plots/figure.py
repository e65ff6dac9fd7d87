"""What every figure of the course shares: a ``Figure`` that shows itself in Jupyter
without pyplot, its one-line alt text, readable text colours and the series styles.

Introduced in notebooks/01-loopback-range.ipynb.
"""

from __future__ import annotations

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
    """A ``matplotlib.figure.Figure`` that shows itself in Jupyter without pyplot: a PNG,
    with its one-line alt text as the plain-text version of the output."""

    alt_text = ""
    savefig_metadata: dict = {}

    def _repr_mimebundle_(self, include=None, exclude=None):
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=100,
                     metadata=self.savefig_metadata.get("png"))
        return {"image/png": buffer.getvalue(),
                "text/plain": self.alt_text or repr(self)}


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
