"""The hosts-file lines glibc skips, or reads differently from how they look.

Introduced in notebooks/02-localhost-is-a-name.ipynb.

Each :class:`Problem` names a line and what glibc 2.36 makes of it: an address
``inet_pton`` refuses (``files-hosts.c`` skips the line), a NUL byte or the
``__nss_readline`` tail quirk (``nss/nss_readline.c``), names that getaddrinfo answers
without reading the file (``text_to_binary_address``) or that AF_INET lookups never look
up (``nss/digits_dots.c``), and names ``socket.getaddrinfo`` cannot send as str.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from .ctext import CSPACE
from .files import IDNA_REFUSED, digits_dots_refuses, numeric_host
from .inet import AF_INET6, inet_aton_exact, inet_pton

__all__ = ["Problem"]

AF_UNSPEC = 0
LONG_LINE = 64 * 1024


@dataclass(frozen=True)
class Problem:
    """A line glibc skips, or reads differently from how it looks.

    ``skipped`` is True when glibc ignores the whole line for every lookup; otherwise
    the line is read and ``reason`` says what is surprising about it. ``kind`` is a short
    code: ``bad-address``, ``nul-byte``, ``readline-tail``, ``no-name``, ``unreachable``
    (every name is numeric, so getaddrinfo never reads the file for it),
    ``numeric-name``, ``ipv4-never-asks``, ``long-line``, ``not-utf8``, ``non-ascii``,
    ``idna-refused``.

    >>> from loopedu.glibc.hostsfile import parse
    >>> p = parse("127.1 short\\n").problems[0]
    >>> p.kind, p.skipped
    ('bad-address', True)

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """

    line: int
    kind: str
    reason: str
    skipped: bool
    text: str


def show(raw: bytes, limit: int = 120) -> str:
    """Bytes of a line as text for a message: undecodable bytes escaped, long text cut.

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    text = raw.decode("utf-8", "backslashreplace").replace("\0", "\\x00")
    return text if len(text) <= limit else text[:limit] + "..."


def bad_address(lineno: int, raw: bytes, line: bytes) -> Problem:
    """The problem of a line whose first word ``inet_pton`` refuses (glibc skips it).

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    field = line.split()[0]
    shown = show(field, 60)
    if b"%" in field and inet_pton(AF_INET6, field.split(b"%", 1)[0]):
        why = "a scope ID (%name) is not accepted in hosts files"
    elif inet_aton_exact(field) is not None:
        why = "IPv4 shorthand like 127.1 or 0x7f.0.0.1 is accepted in queries, not in hosts files"
    elif re.fullmatch(rb"[0-9.]+", field):
        why = "not four decimal parts 0-255 without leading zeros"
    elif re.fullmatch(rb"[0-9A-Fa-f:.]+", field):
        why = "not valid IPv6 text"
    else:
        why = "the line does not start with an address"
    reason = f"bad address {shown!r}: {why}; glibc skips the line"
    return Problem(lineno, "bad-address", reason, True, show(raw))


def line_notes(lineno: int, raw: bytes, line: bytes) -> list[Problem]:
    """Problems of a line glibc reads: what it does that the line does not show.

    ``line`` is what glibc's parser sees of ``raw`` (comment cut). Only a line that
    has a name starting with a digit or ``.``, a ``:``, ``..``, a non-ASCII byte, a run
    of 64 bytes without a dot, no name, or more than 64 KiB can have any.

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    shown = show(raw)
    notes = []
    names = line.split()[1:] or [b""]

    def note(kind: str, reason: str) -> None:
        notes.append(Problem(lineno, kind, reason, False, shown))

    if names == [b""]:
        note("no-name", "only an address: glibc keeps the line with an empty name, which "
             "only the query '' matches")
    numeric = [n for n in names if n and numeric_host(n, AF_UNSPEC) is not None]
    if numeric and len(numeric) == len(names):
        note("unreachable", "every name is an address, which getaddrinfo answers itself "
             "without reading the file: this line can never answer")
    elif numeric:
        note("numeric-name", f"names that are addresses ({show(b' '.join(numeric), 60)}): "
             "getaddrinfo answers them itself without reading the file")
    refused = [n for n in names if n not in numeric and digits_dots_refuses(n)]
    if refused:
        note("ipv4-never-asks", f"names that look numeric ({show(b' '.join(refused), 60)}): "
             "AF_INET lookups (the digits_dots check of gethostbyname2_r) never read the file "
             "for them")
    if len(raw) > LONG_LINE:
        note("long-line", f"line is {len(raw):,} bytes long: glibc reads it whole (its buffer "
             "doubles until the line fits), on every lookup")
    if not line.isascii():
        try:
            line.decode("utf-8")
            note("non-ascii", "a non-ASCII name: socket.getaddrinfo(str) sends IDNA (xn--...) "
                 "text, which never matches it; only a bytes query does")
        except UnicodeDecodeError:
            note("not-utf8", "bytes that are not UTF-8: glibc compares names byte for byte, "
                 "so only a bytes query can match them")
    if any(IDNA_REFUSED.search(n) for n in names):
        note("idna-refused", "a name with an empty label or a label over 63 bytes: "
             "socket.getaddrinfo(str) refuses it with UnicodeError before glibc sees it; a "
             "bytes query reaches it")
    return notes


def odd_line(lineno: int, raw: bytes, view: Optional[bytes]) -> Optional[Problem]:
    """A line with a NUL byte, or a last line whose leading whitespace glibc mishandles.

    ``view`` is what glibc reads of it (None: nothing). None when that is harmless.

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    nul = raw.find(b"\0")
    plain = raw.split(b"#", 1)[0].split()
    if nul >= 0:
        kind = "nul-byte"
        reason = f"NUL byte at column {nul + 1}: glibc ignores the rest of the line"
        if view is None:
            return Problem(lineno, kind, reason + ", which leaves nothing to read", True,
                           show(raw))
    else:
        kind, reason = "readline-tail", "leading whitespace on a last line without a newline"
    if view is not None and view.split() != plain:
        reason += f"; glibc 2.36 reads it as {show(view, 80)!r}"
        if raw[:1] in CSPACE:
            reason += " (__nss_readline moves the text left without its terminating NUL)"
    elif nul < 0:
        return None  # harmless: glibc reads what the line shows
    return Problem(lineno, kind, reason, False, show(raw))
