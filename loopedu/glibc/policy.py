"""/etc/gai.conf: the RFC 3484 tables getaddrinfo sorts with.

Introduced in notebooks/02-localhost-is-a-name.ipynb.

Models ``sysdeps/posix/getaddrinfo.c`` (glibc 2.36): ``gaiconf_init`` (how gai.conf is
read), the built-in ``default_labels``, ``default_precedence`` and ``default_scopes``,
and ``get_label``, ``get_precedence`` and ``get_scope``.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Optional

from .ctext import ULONG_MAX, c_fields, strtoul
from .inet import AF_INET6, LOOPBACK6, is_linklocal6, is_sitelocal6, is_v4mapped, pton4, pton6

__all__ = ["Policy"]


def _table(spec: str) -> tuple:
    """gai.conf-style "prefix/bits value" items, comma-separated: (prefix, bits, value)."""
    entries = []
    for item in spec.split(","):
        prefix, value = item.split()
        address, bits = prefix.split("/")
        entries.append((socket.inet_pton(AF_INET6, address), int(bits), int(value)))
    return tuple(entries)


# First match wins; glibc's default_labels and default_precedence, in glibc's order.
_DEFAULT_LABELS = _table("::1/128 0, 2002::/16 2, ::/96 3, ::ffff:0:0/96 4, fec0::/10 5, "
                         "fc00::/7 6, 2001::/32 7, ::/0 1")
_DEFAULT_PRECEDENCE = _table("::1/128 50, 2002::/16 30, ::/96 20, ::ffff:0:0/96 10, ::/0 40")
# (network, netmask, scope) for IPv4 destinations, host byte order; default_scopes.
_DEFAULT_SCOPES = (
    (0xA9FE0000, 0xFFFF0000, 2),
    (0x7F000000, 0xFF000000, 2),
    (0x00000000, 0x00000000, 14),
)


def _prefix_match(addr16: bytes, prefix: bytes, bits: int) -> bool:
    whole, rest = divmod(bits, 8)
    if addr16[:whole] != prefix[:whole]:
        return False
    if rest == 0:
        return True
    mask = (0xFF00 >> rest) & 0xFF
    return (addr16[whole] & mask) == (prefix[whole] & mask)


def _prefix_entry(val1: bytes, val2: bytes) -> Optional[tuple[bytes, int, int]]:
    # add_prefixlist: "prefix[/bits] value"
    addr, slash, bits_text = val1.partition(b"/")
    prefix = pton6(addr)
    if prefix is None:
        return None
    bits = 128
    if slash:
        bits, rest, erange = strtoul(bits_text)
        if (bits == ULONG_MAX and erange) or rest:
            return None
    if bits > 128:
        return None
    val, rest, erange = strtoul(val2)
    if (val == ULONG_MAX and erange) or rest or val > 2**31 - 1:
        return None
    return prefix, bits, val


def _scope_entry(val1: bytes, val2: bytes) -> Optional[tuple[int, int, int]]:
    # the "scopev4" case of gaiconf_init
    addr, slash, bits_text = val1.partition(b"/")
    prefix6 = pton6(addr)
    if prefix6 is not None:
        if not is_v4mapped(prefix6):
            return None
        network, bits, low = int.from_bytes(prefix6[12:], "big"), 128, 96
    else:
        prefix4 = pton4(addr)
        if prefix4 is None:
            return None
        network, bits, low = int.from_bytes(prefix4, "big"), 32, 0
    if slash:
        bits, rest, erange = strtoul(bits_text)
        if (bits == ULONG_MAX and erange) or rest:
            return None
    if not low <= bits <= low + 32:
        return None
    val, rest, erange = strtoul(val2)
    if (val == ULONG_MAX and erange) or rest or val > 2**31 - 1:
        return None
    v4bits = bits - low
    netmask = (0xFFFFFFFF << (32 - v4bits)) & 0xFFFFFFFF if v4bits else 0
    return network & netmask, netmask, val


@dataclass(frozen=True)
class Policy:
    """The RFC 3484 tables glibc sorts with: labels, precedences and IPv4 scopes.

    Without /etc/gai.conf (or with only comments in it) these are glibc's built-in
    tables. A gai.conf with any ``precedence`` line replaces the whole precedence table
    (plus ``::/0`` 40), so ``precedence ::ffff:0:0/96 100`` alone also drops ``::1`` to 40.

    >>> Policy.default().precedence_of(socket.inet_pton(socket.AF_INET6, "::1"))
    50

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """

    labels: tuple = _DEFAULT_LABELS
    precedence: tuple = _DEFAULT_PRECEDENCE
    scopes: tuple = _DEFAULT_SCOPES

    @classmethod
    def default(cls) -> "Policy":
        """glibc's built-in tables.

        >>> Policy.default().label_of(socket.inet_pton(socket.AF_INET6, "::1"))
        0

        Introduced in notebooks/02-localhost-is-a-name.ipynb.
        """
        return cls()

    @classmethod
    def parse(cls, text: bytes | str) -> "Policy":
        """Build the tables from gai.conf text, with glibc's parsing rules.

        >>> p = Policy.parse("precedence ::ffff:0:0/96 100")
        >>> p.precedence_of(socket.inet_pton(socket.AF_INET6, "::1"))
        40

        Introduced in notebooks/02-localhost-is-a-name.ipynb.
        """
        if isinstance(text, str):
            text = text.encode("utf-8", "surrogateescape")
        labels, precedence, scopes = [], [], []
        for line in text.split(b"\n"):
            line = line.split(b"\0", 1)[0].split(b"#", 1)[0]
            command, val1, val2 = c_fields(line, 3)
            if command == b"label":
                entry = _prefix_entry(val1, val2)
                if entry:
                    labels.append(entry)
            elif command == b"precedence":
                entry = _prefix_entry(val1, val2)
                if entry:
                    precedence.append(entry)
            elif command == b"scopev4":
                entry = _scope_entry(val1, val2)
                if entry:
                    scopes.append(entry)
        # Each given table replaces the default; a catch-all is appended unless given,
        # then the entries are sorted most specific first (a stable merge sort).
        if labels:
            if not any(bits == 0 for _, bits, _ in labels):
                labels.append((bytes(16), 0, 1))
            labels.sort(key=lambda e: -e[1])
        if precedence:
            if not any(bits == 0 for _, bits, _ in precedence):
                precedence.append((bytes(16), 0, 40))
            precedence.sort(key=lambda e: -e[1])
        if scopes:
            if not any(mask == 0 for _, mask, _ in scopes):
                scopes.append((0, 0, 14))
            scopes.sort(key=lambda e: -e[1])
        return cls(
            labels=tuple(labels) or _DEFAULT_LABELS,
            precedence=tuple(precedence) or _DEFAULT_PRECEDENCE,
            scopes=tuple(scopes) or _DEFAULT_SCOPES,
        )

    @classmethod
    def from_system(cls, path: str = "/etc/gai.conf") -> "Policy":
        """Read /etc/gai.conf if present; the built-in tables otherwise.

        >>> isinstance(Policy.from_system(), Policy)
        True

        Introduced in notebooks/02-localhost-is-a-name.ipynb.
        """
        try:
            with open(path, "rb") as f:
                return cls.parse(f.read())
        except OSError:
            return cls()

    @staticmethod
    def _lookup(table: tuple, addr16: bytes) -> int:
        for prefix, bits, value in table:
            if _prefix_match(addr16, prefix, bits):
                return value
        return 0  # unreachable with glibc's tables, which end in ::/0

    def label_of(self, addr16: bytes) -> int:
        """Label of a 16-byte address (IPv4 as ``::ffff:a.b.c.d``).

        >>> Policy().label_of(socket.inet_pton(socket.AF_INET6, "::ffff:127.0.0.1"))
        4

        Introduced in notebooks/02-localhost-is-a-name.ipynb.
        """
        return self._lookup(self.labels, addr16)

    def precedence_of(self, addr16: bytes) -> int:
        """Precedence of a 16-byte address (IPv4 as ``::ffff:a.b.c.d``).

        >>> Policy().precedence_of(socket.inet_pton(socket.AF_INET6, "::ffff:127.0.0.1"))
        10

        Introduced in notebooks/02-localhost-is-a-name.ipynb.
        """
        return self._lookup(self.precedence, addr16)

    def scope_of(self, family: int, packed: bytes) -> int:
        """RFC 3484 scope as glibc's ``get_scope`` computes it (2 link, 5 site, 14 global).

        >>> Policy().scope_of(socket.AF_INET, bytes([127, 0, 0, 1]))
        2

        Introduced in notebooks/02-localhost-is-a-name.ipynb.
        """
        if family == AF_INET6:
            if packed[0] == 0xFF:
                return packed[1] & 0xF
            if is_linklocal6(packed) or packed == LOOPBACK6:
                return 2
            if is_sitelocal6(packed):
                return 5
            return 14
        word = int.from_bytes(packed, "big")
        for network, mask, scope in self.scopes:
            if word & mask == network:
                return scope
        return 14
