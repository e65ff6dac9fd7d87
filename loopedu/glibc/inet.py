"""Address spellings as glibc reads them, and the address classes the resolver tests.

Introduced in notebooks/02-localhost-is-a-name.ipynb.

Models ``resolv/inet_pton.c`` (``inet_pton4``, ``inet_pton6``: what a hosts file and
gai.conf accept) and ``resolv/inet_addr.c`` (``__inet_aton_exact``: the shorthand
getaddrinfo accepts for numeric host names), from glibc 2.36.
"""

from __future__ import annotations

import re
import socket
from typing import Optional

from .ctext import c_number

__all__ = ["inet_pton", "inet_aton_exact"]

AF_INET = socket.AF_INET
AF_INET6 = socket.AF_INET6

V4MAPPED_PREFIX = bytes(10) + b"\xff\xff"  # ::ffff:0:0/96
LOOPBACK6 = bytes(15) + b"\x01"  # ::1
LOOPBACK4 = b"\x7f\0\0\x01"  # 127.0.0.1

_OCTET = rb"(0|[1-9][0-9]{0,2})"
_PTON4 = re.compile(_OCTET + (rb"\." + _OCTET) * 3)
_HEXVAL = {c: int(chr(c), 16) for c in b"0123456789abcdefABCDEF"}
_ATON_PART = re.compile(rb"0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*")
_ATON_MAX = (0xFFFFFFFF, 0xFFFFFF, 0xFFFF, 0xFF)


def pton4(src: bytes) -> Optional[bytes]:
    """inet_pton4: exactly four decimal octets, no leading zeros, each <= 255.

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    m = _PTON4.fullmatch(src)
    if m is None:
        return None
    octets = [int(g) for g in m.groups()]
    return bytes(octets) if max(octets) <= 255 else None


def pton6(src: bytes) -> Optional[bytes]:
    """inet_pton6, ported line by line: 16 bytes, or None where glibc says no.

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    end = len(src)
    if end == 0:
        return None
    i = 0
    if src[0] == 0x3A:  # leading "::" needs special handling
        if end == 1 or src[1] != 0x3A:
            return None
        i = 1
    tmp = bytearray(16)
    tp = 0
    colonp = None
    curtok = i
    xdigits = 0
    val = 0
    while i < end:
        ch = src[i]
        i += 1
        digit = _HEXVAL.get(ch)
        if digit is not None:
            if xdigits == 4:
                return None
            val = (val << 4) | digit
            xdigits += 1
            continue
        if ch == 0x3A:  # ':'
            curtok = i
            if xdigits == 0:
                if colonp is not None:
                    return None
                colonp = tp
                continue
            if i == end:
                return None
            if tp + 2 > 16:
                return None
            tmp[tp], tmp[tp + 1] = val >> 8, val & 0xFF
            tp += 2
            xdigits = val = 0
            continue
        if ch == 0x2E and tp + 4 <= 16:  # '.': an embedded dotted quad ends the text
            quad = pton4(src[curtok:])
            if quad is not None:
                tmp[tp:tp + 4] = quad
                tp += 4
                xdigits = 0
                break
        return None
    if xdigits > 0:
        if tp + 2 > 16:
            return None
        tmp[tp], tmp[tp + 1] = val >> 8, val & 0xFF
        tp += 2
    if colonp is not None:
        if tp == 16:  # "::" would stand for zero groups
            return None
        n = tp - colonp
        tmp[16 - n:16] = tmp[colonp:tp]
        tmp[colonp:16 - n] = bytes(16 - n - colonp)
        tp = 16
    return bytes(tmp) if tp == 16 else None


def inet_pton(family: int, text: bytes | str) -> Optional[bytes]:
    """Parse an address the way glibc's ``inet_pton`` does; None where glibc says no.

    Strict: IPv4 needs four decimal parts without leading zeros; IPv6 takes no ``%scope``.

    >>> inet_pton(socket.AF_INET, "127.0.0.1")
    b'\\x7f\\x00\\x00\\x01'
    >>> inet_pton(socket.AF_INET, "127.1") is None
    True

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    if isinstance(text, str):
        text = text.encode("utf-8", "surrogateescape")
    if family == AF_INET:
        return pton4(text)
    if family == AF_INET6:
        return pton6(text)
    raise ValueError(f"unsupported address family {family!r}")


def inet_aton_exact(text: bytes | str) -> Optional[bytes]:
    """Parse IPv4 shorthand the way getaddrinfo does for numeric names (``__inet_aton_exact``).

    Accepts ``127.1``, ``0x7f.1``, ``017700000001`` and ``2130706433``; nothing may follow.

    >>> inet_aton_exact("0x7f.1")
    b'\\x7f\\x00\\x00\\x01'
    >>> inet_aton_exact("127.0.0.1.") is None
    True

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    if isinstance(text, str):
        text = text.encode("utf-8", "surrogateescape")
    parts = text.split(b".")
    if len(parts) > 4:
        return None
    values = []
    for part in parts:
        if _ATON_PART.fullmatch(part) is None:
            return None
        if part[:2] in (b"0x", b"0X"):
            value = c_number(part[2:], 16)
        elif part[:1] == b"0":
            value = c_number(part, 8)
        else:
            value = c_number(part, 10)
        if value > 0xFFFFFFFF:
            return None
        values.append(value)
    *front, last = values
    if any(v > 0xFF for v in front) or last > _ATON_MAX[len(front)]:
        return None
    word = last
    for k, v in enumerate(front):
        word |= v << (24 - 8 * k)
    return word.to_bytes(4, "big")


def is_v4mapped(a16: bytes) -> bool:
    """``IN6_IS_ADDR_V4MAPPED``: ``::ffff:a.b.c.d``.

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    return a16[:12] == V4MAPPED_PREFIX


def is_linklocal6(a16: bytes) -> bool:
    """``IN6_IS_ADDR_LINKLOCAL``: fe80::/10.

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    return a16[0] == 0xFE and (a16[1] & 0xC0) == 0x80


def is_sitelocal6(a16: bytes) -> bool:
    """``IN6_IS_ADDR_SITELOCAL``: fec0::/10.

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    return a16[0] == 0xFE and (a16[1] & 0xC0) == 0xC0


def as16(family: int, packed: bytes) -> bytes:
    """A packed address as the 16 bytes the sort compares (IPv4 as ``::ffff:a.b.c.d``).

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    return packed if family == AF_INET6 else V4MAPPED_PREFIX + packed
