"""Finding the hosts-file lines that need a closer look, with scans of the whole text.

Introduced in notebooks/02-localhost-is-a-name.ipynb (through :func:`.hostsfile.parse`).

Most lines of a large hosts file are ``address name``; the parser reads them in one short
loop. The few that glibc reads in a surprising way, and the few that may earn a note in
``problems``, are found here with ``bytes.translate``, ``bytes.find`` and literal regular
expressions, which run at C speed over the whole text, instead of a check on every line.
"""

from __future__ import annotations

import re
from typing import Union

from .ctext import CSPACE
from .problems import LONG_LINE


def odd_lines(data: bytes, count: int, last_has_newline: bool) -> list:
    """Line numbers whose reading needs __nss_readline's details (see
    :func:`.hostsfile.readline_view`): NUL bytes, and a last line without newline that
    starts with whitespace.

    >>> odd_lines(b"a\\n\\0b\\n  c", count=3, last_has_newline=False)
    [2, 3]

    Introduced in notebooks/02-localhost-is-a-name.ipynb (through :func:`.hostsfile.parse`).
    """
    odd = _line_numbers(data, _hits(data, data, b"\0")) if b"\0" in data else []
    if count and not last_has_newline:
        first = data[data.rfind(b"\n") + 1:][:1]
        if first and first in CSPACE and (not odd or odd[-1] != count):
            odd.append(count)
    return odd


def split_lines(data: bytes, count: int) -> list:
    """The first ``count`` lines of ``data``, without copying the rest when they are few.

    >>> split_lines(b"a\\nb\\nc", 2)
    [b'a', b'b']

    Introduced in notebooks/02-localhost-is-a-name.ipynb (through :func:`.hostsfile.parse`).
    """
    if 0 < count < 4096:
        end = 0
        for _ in range(count):
            end = data.find(b"\n", end) + 1
            if not end:  # fewer lines than that
                return data.split(b"\n")[:count]
        return data[:end - 1].split(b"\n")
    return data.split(b"\n", count)[:count]


# bytes.translate tables: white space but "\n" -> " ", digits and "." -> "0", anything
# else -> "a" (a needle " 0" then never spans two lines); white space and "." -> " ",
# anything else -> "a"; non-ASCII -> 0x80, anything else -> "a"
_SHAPE = bytes(c if c == 0x0A else 0x20 if c in CSPACE else 0x30 if c in b"0123456789."
               else 0x61 for c in range(256))
_LABELS = bytes(0x20 if c in CSPACE or c == 0x2E else 0x61 for c in range(256))
_NON_ASCII = bytes(0x80 if c > 0x7F else 0x61 for c in range(256))
# re finds these two-byte needles faster than bytes.find, which wins for one byte and for
# the long one
_TWO_DOTS, _SPACE_DIGIT = re.compile(rb"\.\."), re.compile(b" 0")
_LONG_LABEL = b"a" * 64


def lines_to_check(data: bytes, seen: bytes, views: list) -> set:
    """Line numbers that may have notes (see :func:`.problems.line_notes`): those where
    ``seen``, the text as the parser sees it, has a word that starts with a digit or '.',
    a ':', '..', a non-ASCII byte or 64 bytes without a dot or white space, and the lines
    of ``data`` over 64 KiB.

    Introduced in notebooks/02-localhost-is-a-name.ipynb (through :func:`.hostsfile.parse`).
    """
    positions = _hits(seen, seen, b":") + _hits(seen, seen, _TWO_DOTS)
    positions += _hits(seen, seen.translate(_SHAPE), _SPACE_DIGIT)
    if not seen.isascii():
        positions += _hits(seen, seen.translate(_NON_ASCII), b"\x80")
    if max(map(len, views), default=0) >= 64:
        positions += _hits(seen, seen.translate(_LABELS), _LONG_LABEL)
    positions.sort()
    return set(_line_numbers(seen, positions)) | set(long_lines(data))


def long_lines(data: bytes) -> list:
    """Line numbers of the lines longer than 64 KiB.

    Such a line covers a multiple of 32 KiB, so only the lines at those offsets are
    measured: a few finds, however large the file.

    >>> long_lines(b"a\\n" + b"b" * 70000 + b"\\nc")
    [2]

    Introduced in notebooks/02-localhost-is-a-name.ipynb (through :func:`.hostsfile.parse`).
    """
    starts = []
    at = 0
    while at < len(data):
        start = data.rfind(b"\n", 0, at) + 1
        end = data.find(b"\n", at)
        end = len(data) if end < 0 else end
        if end - start > LONG_LINE:
            starts.append(start)
        at = max(at + LONG_LINE // 2, end + 1)
    return _line_numbers(data, starts)


def _line_numbers(text: bytes, positions: list) -> list:
    """The line number of each position in ``text`` (positions in ascending order)."""
    numbers = []
    lineno, scanned = 1, 0
    for at in positions:
        lineno += text.count(b"\n", scanned, at)
        scanned = at
        numbers.append(lineno)
    return numbers


def _hits(seen: bytes, text: bytes, needle: Union[bytes, re.Pattern]) -> list:
    """Where ``needle`` first occurs in each line of ``text`` (``seen`` or a translation)."""
    if isinstance(needle, bytes):
        def find(pos: int) -> int:
            return text.find(needle, pos)
    else:
        def find(pos: int) -> int:
            hit = needle.search(text, pos)
            return -1 if hit is None else hit.start()
    positions = []
    at = find(0)
    while at >= 0:
        positions.append(at)
        end = seen.find(b"\n", at)
        at = find(end) if end >= 0 else -1
    return positions
