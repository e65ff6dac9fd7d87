"""The course's colours: the Okabe-Ito colour-blind-safe palette (Okabe and Ito, "Color
Universal Design", 2008), and the WCAG 2.2 contrast ratio that text on them must reach
(4.5:1 for text, success criterion 1.4.3).

Introduced in notebooks/01-loopback-range.ipynb (through the figures).
"""

from __future__ import annotations

__all__ = ["OKABE_ITO", "TEXT", "PAPER", "contrast_ratio", "tint"]

OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky blue": "#56B4E9",
    "bluish green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish purple": "#CC79A7",
}
#: Text and page colours of the drawings and handouts.
TEXT = "#1A1A1A"
PAPER = "#FFFFFF"


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def _luminance(colour: str) -> float:
    colour = colour.lstrip("#")
    r, g, b = (int(colour[i:i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_ratio(foreground: str, background: str) -> float:
    """The WCAG contrast ratio of two ``#RRGGBB`` colours (1 to 21).

    >>> round(contrast_ratio("#000000", "#FFFFFF"), 1), round(contrast_ratio(TEXT, TEXT), 1)
    (21.0, 1.0)

    Introduced in notebooks/01-loopback-range.ipynb.
    """
    lighter, darker = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def tint(colour: str, amount: float = 0.8) -> str:
    """``colour`` mixed with white (``amount`` 0: the colour, 1: white): a light fill on
    which :data:`TEXT` stays readable.

    >>> tint("#0072B2", 1.0)
    '#FFFFFF'

    Introduced in notebooks/01-loopback-range.ipynb.
    """
    colour = colour.lstrip("#")
    rgb = [int(colour[i:i + 2], 16) for i in (0, 2, 4)]
    return "#" + "".join(f"{round(c + (255 - c) * amount):02X}" for c in rgb)
