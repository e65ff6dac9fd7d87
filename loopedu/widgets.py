"""ipywidgets front ends over the pure functions of the other modules.

ipywidgets is imported inside each function, so importing this module costs nothing.
Callbacks write to the ``.value`` of an ``HTML`` widget (never ``with out: print``):
nbval ignores widget comm messages, and a value is what a test can read back.

Introduced in notebooks/01-loopback-range.ipynb.
"""

from __future__ import annotations

import html

from . import addresses


def classifier(value: str = "127.0.0.1"):
    """A Text box and an HTML report: type an address, read its IANA special-purpose
    registry entry, flags, loopback verdict and sources (``addresses.describe``).
    Returns the VBox of :func:`live_report`.

    Introduced in notebooks/01-loopback-range.ipynb.
    """
    return live_report("Address:", value, _pre_report(addresses.describe, "describe"),
                       placeholder="127.0.0.1, ::1, ::ffff:127.0.0.1, fe80::1%lo")


def _notation_text(text: str) -> str:
    """Full form, canonical form and the steps for ``text``, or what is wrong with it."""
    from . import ipv6

    try:
        return "\n".join([f"full form:      {ipv6.expand(text)}",
                          f"canonical form: {ipv6.compress(text)}   (RFC 5952)", "",
                          *ipv6.compression_steps(text)])
    except (ValueError, TypeError) as exc:
        return f"Not a valid IPv6 address: {exc}"


def ipv6_notation(value: str = "2001:0DB8:0000:0000:0001:0000:0000:0001"):
    """A Text box and an HTML panel: type an IPv6 address in any spelling, read its full
    form, its RFC 5952 canonical form and the steps between (``loopedu.ipv6``), or what
    is wrong with it (two '::', a group over 4 hex digits, a non-hex character...).
    Returns the VBox of :func:`live_report`.

    Introduced in notebooks/05-ipv6-loopback.ipynb.
    """
    return live_report("IPv6:", value, _pre_report(_notation_text, "read"), width="40em",
                       placeholder="::1, 0:0:0:0:0:0:0:1, ::ffff:127.0.0.1, fe80::1%lo")


def live_report(description: str, value: str, render, placeholder: str = "",
                width: str = "32em"):
    """A Text box over an HTML panel that shows ``render(text)`` as the learner types.

    ``render`` takes the text and returns HTML, and must never raise. Returns an
    ``ipywidgets.VBox`` whose children are the Text and the HTML widget. (The shape of
    :func:`classifier`, for any pure text-to-report function.)

    >>> box = live_report("Echo:", "a", lambda t: f"<b>{t}</b>")
    >>> box.children[0].value = "b"
    >>> box.children[1].value
    '<b>b</b>'

    Introduced in notebooks/05-ipv6-loopback.ipynb.
    """
    import ipywidgets as widgets

    text = widgets.Text(value=value, description=description, placeholder=placeholder,
                        continuous_update=True, layout=widgets.Layout(width=width))
    panel = widgets.HTML(value=render(value))

    def update(change) -> None:
        panel.value = render(change["new"])

    text.observe(update, names="value")
    return widgets.VBox([text, panel])


def _pre(text: str) -> str:
    return f"<pre style='white-space: pre-wrap'>{html.escape(text)}</pre>"


def _pre_report(report, verb: str):
    """A ``render`` for :func:`live_report`: ``report(text)``, plain text, escaped into a
    ``<pre>``; never raises (a bug's message becomes the report, not a traceback)."""

    def render(text: str) -> str:
        try:
            body = report(text)
        except Exception as exc:  # a bug must not print a traceback into the notebook
            body = f"Could not {verb} {text!r}: {type(exc).__name__}: {exc}"
        return _pre(body)

    return render


#: The hosts text the sandbox starts with: one loopback line and a printer, so that it
#: answers none of the questions lesson 02 and its exercises ask; the learner edits it.
SANDBOX_HOSTS = "127.0.0.1    localhost\n192.0.2.10   printer.test printer\n"


def hosts_sandbox(text: str = SANDBOX_HOSTS, names: str = "localhost printer"):
    """A hosts-file editor that answers like getaddrinfo as you type.

    A Textarea holds the hosts text (the real /etc/hosts is never read or written),
    a Text box the names to look up; the HTML panel shows, for each name, what glibc's
    getaddrinfo would return for AF_UNSPEC, AF_INET and AF_INET6, and the lines glibc
    would skip (``localhost.resolve_report``). Returns an ``ipywidgets.VBox`` of the
    Textarea, the Text and the HTML widget.

    >>> box = hosts_sandbox("127.0.0.1 localhost\\n", "localhost")
    >>> box.children[0].value = "::1 localhost\\n"
    >>> "AF_INET   -&gt; 127.0.0.1" in box.children[2].value
    True

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    import ipywidgets as widgets

    from .localhost import resolve_report

    area = widgets.Textarea(value=text, description="hosts:", continuous_update=True,
                            layout=widgets.Layout(width="44em", height="9em"))
    asked = widgets.Text(value=names, description="names:", continuous_update=True,
                         layout=widgets.Layout(width="44em"))
    panel = widgets.HTML(value=_pre(resolve_report(text, names)))

    def update(_change) -> None:
        panel.value = _pre(resolve_report(area.value, asked.value))

    area.observe(update, names="value")
    asked.observe(update, names="value")
    return widgets.VBox([area, asked, panel])
