"""Links in a set of handouts: a link to a lesson, an exercise notebook or the glossary
that is in the set points to its handout (``glossary.md#port`` becomes
``glossary.html#port``, or ``#glossary--port`` inside the book); a link to a file that
is not in the set becomes plain text, so no handout holds a dead link; links to the web
stay as they are.

Introduced in notebooks/00-start-here.ipynb (``loopedu handout``, for instructors).
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit
from urllib.request import url2pathname

__all__ = ["rewrite_links", "prefix_ids", "unlink_files", "demote_headings", "unique_ids"]

_LINK = re.compile(r'<a\b(?P<before>[^>]*?)\bhref="(?P<href>[^"]*)"(?P<after>[^>]*)>'
                   r'(?P<inner>.*?)</a>', re.DOTALL | re.IGNORECASE)
_ID_ATTRS = re.compile(r'(?<![\w-])(id|for|aria-labelledby|aria-describedby|aria-controls)'
                       r'="([^"]*)"')
_HEADING = re.compile(r"<(/?)h([1-6])\b")


def _outside(inner: str) -> str:
    return f'<span class="loopedu-outside">{inner}</span>'


def _target(href: str, base: Path) -> tuple[str, Path | None, str]:
    """("web" | "here" | "file", the file's resolved path, the fragment) of ``href``."""
    parts = urlsplit(href)
    if parts.scheme == "file":
        return "file", Path(url2pathname(parts.path)).resolve(), parts.fragment
    if parts.scheme or parts.netloc:
        return "web", None, ""
    if not parts.path:
        return "here", None, parts.fragment
    return "file", (base / unquote(parts.path)).resolve(), parts.fragment


def rewrite_links(text: str, base: Path, targets: dict, own: str, book: bool = False) -> str:
    """``text`` (a handout whose source lies in ``base``) with its links pointing
    inside the set: ``targets`` maps each source file in the set (resolved) to the name
    of its handout without ``.html``; ``own`` is this handout's. With ``book`` every
    link becomes an anchor in one document (``#name--fragment``, ``#name``).

    Introduced in notebooks/00-start-here.ipynb (``loopedu handout``).
    """
    def replace(match: re.Match) -> str:
        kind, path, fragment = _target(match.group("href"), base)
        if kind == "web":
            return match.group(0)
        if kind == "here":
            name = own
        elif path in targets:
            name = targets[path]
        else:
            return _outside(match.group("inner"))
        if book:
            href = f"#{name}--{fragment}" if fragment else f"#{name}"
        else:
            href = (f"#{fragment}" if name == own else f"{quote(name)}.html"
                    + (f"#{fragment}" if fragment else ""))
        return (f'<a{match.group("before")}href="{href}"{match.group("after")}>'
                f'{match.group("inner")}</a>')

    return _LINK.sub(replace, text)


def unlink_files(text: str) -> str:
    """``text`` with links to other files made plain text (for a PDF of one handout:
    Chromium would write them as ``file://`` addresses of this machine); links inside
    the page and to the web stay.

    Introduced in notebooks/00-start-here.ipynb (``loopedu handout --pdf``).
    """
    def replace(match: re.Match) -> str:
        kind, _, _ = _target(match.group("href"), Path("."))
        return match.group(0) if kind in ("web", "here") else _outside(match.group("inner"))

    return _LINK.sub(replace, text)


def prefix_ids(text: str, prefix: str) -> str:
    """``text`` with every id (and every attribute that names one) prefixed with
    ``prefix--``, so that pages put together in one document keep them unique.

    >>> prefix_ids('<h2 id="Key-points">', "03-bind-address")
    '<h2 id="03-bind-address--Key-points">'

    Introduced in notebooks/00-start-here.ipynb (``loopedu handout``).
    """
    def replace(match: re.Match) -> str:
        ids = " ".join(f"{prefix}--{i}" for i in match.group(2).split())
        return f'{match.group(1)}="{ids}"'

    return _ID_ATTRS.sub(replace, text)


def unique_ids(text: str) -> str:
    """``text`` with each id kept on its first element only (the glossary's
    ``<a id="loopback">`` anchors sit just above headings nbconvert gives the same id).

    >>> unique_ids('<a id="lo"></a><h3 id="lo">lo</h3>')
    '<a id="lo"></a><h3>lo</h3>'

    Introduced in notebooks/00-start-here.ipynb (``loopedu handout``).
    """
    seen: set = set()

    def first_only(match: re.Match) -> str:
        if match.group(1) in seen:
            return ""
        seen.add(match.group(1))
        return match.group(0)

    return re.sub(r'\s(?<![\w-])id="([^"]*)"', first_only, text)


def demote_headings(text: str) -> str:
    """Every heading one level down (h1 becomes h2; h6 stays h6).

    >>> demote_headings("<h1>T</h1><h6>x</h6>")
    '<h2>T</h2><h6>x</h6>'

    Introduced in notebooks/00-start-here.ipynb (``loopedu handout``).
    """
    return _HEADING.sub(lambda m: f"<{m.group(1)}h{min(6, int(m.group(2)) + 1)}", text)
