"""C library string functions whose quirks glibc's configuration parsers depend on.

Introduced in notebooks/02-localhost-is-a-name.ipynb (through /etc/gai.conf and
/etc/host.conf): ``isspace`` in the C and UTF-8 locales, ``strtoul`` and the
"first words of a line" that ``gaiconf_init`` reads with ``strtok``-like scanning.
"""

from __future__ import annotations

CSPACE = b" \t\n\v\f\r"  # isspace() in the C and UTF-8 locales; also bytes.split()'s set
ULONG_MAX = 2**64 - 1


def c_number(digits: bytes, base: int) -> int:
    """Digits as ``strtoul`` reads them, capped just above ``ULONG_MAX``.

    Leading zeros may run on for megabytes, and ``int()`` refuses very long texts, so
    they are dropped first.

    >>> c_number(b"0" * 5000 + b"17", 8)
    15

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    digits = digits.lstrip(b"0")
    if len(digits) > 70:
        return ULONG_MAX + 1
    return int(digits, base) if digits else 0


def strtoul(text: bytes) -> tuple[int, bytes, bool]:
    """C ``strtoul(text, &end, 10)``: (value, the rest from ``end``, ERANGE).

    Leading white space and a sign are accepted; a minus sign wraps around, as in C.

    >>> strtoul(b" -1x")
    (18446744073709551615, b'x', False)

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    i = 0
    while i < len(text) and text[i] in CSPACE:
        i += 1
    negative = False
    if i < len(text) and text[i] in b"+-":
        negative = text[i] == 0x2D
        i += 1
    j = i
    while j < len(text) and 0x30 <= text[j] <= 0x39:
        j += 1
    if j == i:
        return 0, text, False  # no digits: end points at the start
    value = c_number(text[i:j], 10)
    if value > ULONG_MAX:
        return ULONG_MAX, text[j:], True
    if negative:
        value = (-value) & ULONG_MAX
    return value, text[j:], False


def c_fields(line: bytes, count: int) -> list[bytes]:
    """The first ``count`` whitespace-separated words of a C string (missing ones are b'').

    >>> c_fields(b"label ::1/128", 3)
    [b'label', b'::1/128', b'']

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    words = line.split(None, count)[:count]
    return words + [b""] * (count - len(words))
