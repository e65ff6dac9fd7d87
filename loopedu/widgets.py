"""ipywidgets front ends over the pure functions of the other modules.

ipywidgets is imported inside each function, so importing this module costs nothing.
Callbacks write to the ``.value`` of an ``HTML`` widget (never ``with out: print``):
nbval ignores widget comm messages, and a value is what a test can read back.
"""

from __future__ import annotations

import html

from . import addresses


def _report_html(text: str) -> str:
    """``addresses.describe(text)`` as HTML; never raises (errors become the report)."""
    try:
        report = addresses.describe(text)
    except Exception as exc:  # a bug must not print a traceback into the notebook
        report = f"Could not describe {text!r}: {type(exc).__name__}: {exc}"
    return f"<pre style='white-space: pre-wrap'>{html.escape(report)}</pre>"


def classifier(value: str = "127.0.0.1"):
    """A Text box and an HTML report: type an address, read its IANA special-purpose
    registry entry, flags, loopback verdict and sources (``addresses.describe``).

    Returns an ``ipywidgets.VBox`` whose children are the Text and the HTML widget.

    >>> box = classifier("::1")
    >>> box.children[0].value = "::ffff:127.0.0.1"
    >>> "Loopback: yes" in box.children[1].value
    True

    Introduced in notebooks/01-loopback-range.ipynb.
    """
    import ipywidgets as widgets

    text = widgets.Text(value=value, description="Address:",
                        placeholder="127.0.0.1, ::1, ::ffff:127.0.0.1, fe80::1%lo",
                        continuous_update=True, layout=widgets.Layout(width="32em"))
    report = widgets.HTML(value=_report_html(value))

    def update(change) -> None:
        report.value = _report_html(change["new"])

    text.observe(update, names="value")
    return widgets.VBox([text, report])
