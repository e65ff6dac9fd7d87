"""How glibc's getaddrinfo orders the addresses it found: RFC 3484 sorting and gai.conf.

Introduced in notebooks/02-localhost-is-a-name.ipynb.

This module models glibc 2.36 (Debian 12) as read from its source:

- address spellings: ``resolv/inet_pton.c`` (``inet_pton4``, ``inet_pton6``) and
  ``resolv/inet_addr.c`` (``__inet_aton_exact``, used for numeric host names);
- ``/etc/host.conf`` (``multi``, ``reorder``) and the ``RESOLV_*`` variables:
  ``resolv/res_hconf.c``;
- ``/etc/gai.conf`` and the sort itself: ``sysdeps/posix/getaddrinfo.c``
  (``gaiconf_init``, ``rfc3484_sort``, the source-address probing loop in
  ``getaddrinfo``) with ``stdlib/msort.c`` (the merge sort ``qsort_r`` uses), and
  ``sysdeps/unix/sysv/linux/check_pf.c`` / ``check_native.c`` (the interface data the
  sort consults).

The sort depends on the machine: glibc connects a UDP socket to every candidate to learn
whether it is reachable and from which source address. :class:`Machine` does the same
probing with real sockets, so the model answers for the machine (and network namespace)
it runs in. Importing this module only imports: nothing is read or probed until a
function or method is called.
"""

from __future__ import annotations

import dataclasses
import errno as _errno
import os
import re
import socket
import struct
from dataclasses import dataclass
from typing import Callable, Iterable, Optional, Sequence

__all__ = [
    "inet_pton",
    "inet_aton_exact",
    "HostConf",
    "Policy",
    "Machine",
    "Probe",
    "sort_addresses",
    "reorder_ipv4",
]

AF_INET = socket.AF_INET
AF_INET6 = socket.AF_INET6

# ----------------------------------------------------------------------------------------
# Address spellings (resolv/inet_pton.c, resolv/inet_addr.c)
# ----------------------------------------------------------------------------------------

_OCTET = rb"(0|[1-9][0-9]{0,2})"
_PTON4 = re.compile(_OCTET + (rb"\." + _OCTET) * 3)
_HEXVAL = {c: int(chr(c), 16) for c in b"0123456789abcdefABCDEF"}
_ATON_PART = re.compile(rb"0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*")
_ATON_MAX = (0xFFFFFFFF, 0xFFFFFF, 0xFFFF, 0xFF)


def _pton4(src: bytes) -> Optional[bytes]:
    # inet_pton4: exactly four decimal octets, no leading zeros, each <= 255.
    m = _PTON4.fullmatch(src)
    if m is None:
        return None
    octets = [int(g) for g in m.groups()]
    return bytes(octets) if max(octets) <= 255 else None


def _pton6(src: bytes) -> Optional[bytes]:
    # A line-by-line port of glibc's inet_pton6.
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
            quad = _pton4(src[curtok:])
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
        return _pton4(text)
    if family == AF_INET6:
        return _pton6(text)
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
            value = _c_number(part[2:], 16)
        elif part[:1] == b"0":
            value = _c_number(part, 8)
        else:
            value = _c_number(part, 10)
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


def _c_number(digits: bytes, base: int) -> int:
    """Digits as strtoul reads them, capped just above 2**64 (leading zeros may run on
    for megabytes; int() would refuse very long texts)."""
    digits = digits.lstrip(b"0")
    if len(digits) > 70:
        return _ULONG_MAX + 1
    return int(digits, base) if digits else 0


def _ntop(family: int, packed: bytes) -> str:
    return socket.inet_ntop(family, packed)


_V4MAPPED_PREFIX = bytes(10) + b"\xff\xff"
_LOOPBACK6 = bytes(15) + b"\x01"


def _is_v4mapped(a16: bytes) -> bool:
    return a16[:12] == _V4MAPPED_PREFIX


def _is_linklocal6(a16: bytes) -> bool:
    return a16[0] == 0xFE and (a16[1] & 0xC0) == 0x80


def _is_sitelocal6(a16: bytes) -> bool:
    return a16[0] == 0xFE and (a16[1] & 0xC0) == 0xC0


# ----------------------------------------------------------------------------------------
# C library helpers whose quirks the configuration parsers depend on
# ----------------------------------------------------------------------------------------

_CSPACE = b" \t\n\v\f\r"  # isspace() in the C and UTF-8 locales
_ULONG_MAX = 2**64 - 1


def _strtoul(text: bytes) -> tuple[int, bytes, bool]:
    """C ``strtoul(text, &end, 10)``: (value, rest at end, ERANGE)."""
    i = 0
    while i < len(text) and text[i] in _CSPACE:
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
    value = _c_number(text[i:j], 10)
    if value > _ULONG_MAX:
        return _ULONG_MAX, text[j:], True
    if negative:
        value = (-value) & _ULONG_MAX
    return value, text[j:], False


def _c_fields(line: bytes, count: int) -> list[bytes]:
    """The first ``count`` whitespace-separated words of a C string (missing ones are b'')."""
    words = line.split(None, count)[:count]
    return words + [b""] * (count - len(words))


# ----------------------------------------------------------------------------------------
# /etc/host.conf (resolv/res_hconf.c)
# ----------------------------------------------------------------------------------------


def _arg_bool(args: bytes, current: bool) -> bool:
    lowered = args.lower()
    if lowered.startswith(b"on"):
        return True
    if lowered.startswith(b"off"):
        return False
    return current  # glibc prints "expected `on' or `off'" and keeps the old value


@dataclass(frozen=True)
class HostConf:
    """The two /etc/host.conf switches that change what the files backend returns.

    ``multi``: return every matching hosts line, not only the first (Debian ships
    ``multi on``; glibc's own default is off). ``reorder``: for IPv4 lookups, move an
    address on a local subnet to the front.

    >>> HostConf.parse("multi on\\n").multi
    True

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """

    multi: bool = False
    reorder: bool = False

    @classmethod
    def parse(cls, text: bytes | str, environ: Optional[dict] = None) -> "HostConf":
        """Read host.conf text and, like glibc, let RESOLV_MULTI/RESOLV_REORDER override it.

        >>> HostConf.parse("multi on", {"RESOLV_MULTI": "off"}).multi
        False

        Introduced in notebooks/02-localhost-is-a-name.ipynb.
        """
        if isinstance(text, str):
            text = text.encode("utf-8", "surrogateescape")
        flags = {b"multi": False, b"reorder": False}
        # fgets(buf, 256): a longer line is read as several lines.
        chunks = []
        for physical in text.split(b"\n"):
            chunks.extend(physical[k:k + 255] for k in range(0, max(len(physical), 1), 255))
        for chunk in chunks:
            chunk = chunk.split(b"\0", 1)[0].lstrip(_CSPACE)
            if not chunk or chunk[:1] == b"#":
                continue
            m = re.match(rb"[^ \t\n\v\f\r#,]*", chunk)
            command = m.group(0).lower()
            if command not in flags:
                continue  # "order", "trim" and unknown commands do not matter here
            args = chunk[m.end():].lstrip(_CSPACE)
            flags[command] = _arg_bool(args, flags[command])
        environ = os.environ if environ is None else environ
        for key, name in ((b"multi", "RESOLV_MULTI"), (b"reorder", "RESOLV_REORDER")):
            value = environ.get(name)
            if value is not None:
                flags[key] = _arg_bool(os.fsencode(value), flags[key])
        return cls(multi=flags[b"multi"], reorder=flags[b"reorder"])

    @classmethod
    def from_system(cls) -> "HostConf":
        """Read the file glibc reads (``$RESOLV_HOST_CONF`` or /etc/host.conf) and the environment.

        >>> isinstance(HostConf.from_system().multi, bool)
        True

        Introduced in notebooks/02-localhost-is-a-name.ipynb.
        """
        path = os.environ.get("RESOLV_HOST_CONF", "/etc/host.conf")
        try:
            with open(path, "rb") as f:
                text = f.read()
        except OSError:
            text = b""
        return cls.parse(text)


# ----------------------------------------------------------------------------------------
# /etc/gai.conf (sysdeps/posix/getaddrinfo.c: gaiconf_init and the default tables)
# ----------------------------------------------------------------------------------------


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
    prefix = _pton6(addr)
    if prefix is None:
        return None
    bits = 128
    if slash:
        bits, rest, erange = _strtoul(bits_text)
        if (bits == _ULONG_MAX and erange) or rest:
            return None
    if bits > 128:
        return None
    val, rest, erange = _strtoul(val2)
    if (val == _ULONG_MAX and erange) or rest or val > 2**31 - 1:
        return None
    return prefix, bits, val


def _scope_entry(val1: bytes, val2: bytes) -> Optional[tuple[int, int, int]]:
    # the "scopev4" case of gaiconf_init
    addr, slash, bits_text = val1.partition(b"/")
    prefix6 = _pton6(addr)
    if prefix6 is not None:
        if not _is_v4mapped(prefix6):
            return None
        network, bits, low = int.from_bytes(prefix6[12:], "big"), 128, 96
    else:
        prefix4 = _pton4(addr)
        if prefix4 is None:
            return None
        network, bits, low = int.from_bytes(prefix4, "big"), 32, 0
    if slash:
        bits, rest, erange = _strtoul(bits_text)
        if (bits == _ULONG_MAX and erange) or rest:
            return None
    if not low <= bits <= low + 32:
        return None
    val, rest, erange = _strtoul(val2)
    if (val == _ULONG_MAX and erange) or rest or val > 2**31 - 1:
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
            command, val1, val2 = _c_fields(line, 3)
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
            if _is_linklocal6(packed) or packed == _LOOPBACK6:
                return 2
            if _is_sitelocal6(packed):
                return 5
            return 14
        word = int.from_bytes(packed, "big")
        for network, mask, scope in self.scopes:
            if word & mask == network:
                return scope
        return 14


# ----------------------------------------------------------------------------------------
# The machine: interface data (netlink) and source-address probes (UDP connect)
# ----------------------------------------------------------------------------------------

_RTM_NEWLINK, _RTM_GETLINK, _RTM_NEWADDR, _RTM_GETADDR = 16, 18, 20, 22
_NLMSG_ERROR, _NLMSG_DONE = 2, 3
_IFA_ADDRESS, _IFA_LOCAL = 1, 2
_IFA_F_OPTIMISTIC, _IFA_F_HOMEADDRESS, _IFA_F_DEPRECATED = 0x04, 0x10, 0x20
_ARPHRD_TUNNEL, _ARPHRD_TUNNEL6, _ARPHRD_SIT = 768, 769, 776
_IN6AI_DEPRECATED, _IN6AI_HOMEADDRESS = 1, 2
_NO_INDEX = 0xFFFFFFFF


def _netlink_dump(msg_type: int) -> list[tuple[int, bytes]]:
    """(type, payload) of every message a NETLINK_ROUTE dump request returns."""
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0) as s:
        s.bind((0, 0))
        seq = 1
        header = struct.pack("=IHHII", 20, msg_type, 0x301, seq, 0)  # REQUEST|ROOT|MATCH
        s.sendto(header + b"\0\0\0\0", (0, 0))
        messages = []
        while True:
            data = s.recv(1 << 16)
            offset = 0
            while offset + 16 <= len(data):
                length, kind, _flags, got_seq, _pid = struct.unpack_from("=IHHII", data, offset)
                if length < 16:
                    return messages
                if got_seq == seq:
                    if kind in (_NLMSG_DONE, _NLMSG_ERROR):
                        return messages
                    messages.append((kind, data[offset + 16:offset + length]))
                offset += (length + 3) & ~3


def _rtattrs(payload: bytes, offset: int) -> Iterable[tuple[int, bytes]]:
    while offset + 4 <= len(payload):
        length, kind = struct.unpack_from("=HH", payload, offset)
        if length < 4:
            return
        yield kind, payload[offset + 4:offset + length]
        offset += (length + 3) & ~3


@dataclass(frozen=True)
class _AddrInfo:
    flags: int
    prefixlen: int
    index: int


def _read_in6ai() -> Optional[dict[bytes, _AddrInfo]]:
    """__check_pf: every interface address (IPv4 as mapped), or None without IPv6."""
    table: dict[bytes, _AddrInfo] = {}
    seen_ipv6 = False
    for kind, payload in _netlink_dump(_RTM_GETADDR):
        if kind != _RTM_NEWADDR or len(payload) < 8:
            continue
        family, prefixlen, ifa_flags, _scope, index = struct.unpack_from("=BBBBI", payload)
        if family not in (AF_INET, AF_INET6):
            continue
        address = local = None
        for attr, value in _rtattrs(payload, 8):
            if attr == _IFA_LOCAL and local is None:
                local = value
            elif attr == _IFA_ADDRESS:
                address = value
                break
        address = address if address is not None else local
        if address is None:
            continue
        if family == AF_INET:
            key = _V4MAPPED_PREFIX + address[:4]
        else:
            key = address[:16]
            seen_ipv6 = seen_ipv6 or key != _LOOPBACK6
        flags = 0
        if ifa_flags & (_IFA_F_DEPRECATED | _IFA_F_OPTIMISTIC):
            flags |= _IN6AI_DEPRECATED
        if ifa_flags & _IFA_F_HOMEADDRESS:
            flags |= _IN6AI_HOMEADDRESS
        table.setdefault(key, _AddrInfo(flags, prefixlen, index))
    return table if seen_ipv6 else None


def _read_link_types() -> dict[int, int]:
    types = {}
    for kind, payload in _netlink_dump(_RTM_GETLINK):
        if kind == _RTM_NEWLINK and len(payload) >= 16:
            _family, link_type, index = struct.unpack_from("=BxHi", payload)
            types[index] = link_type
    return types


def _read_ipv4_ifaddrs() -> list[tuple[int, int]]:
    """(address, netmask) per SIOCGIFCONF entry, as _res_hconf_reorder_addrs reads them."""
    import array
    import fcntl

    siocgifconf, siocgifnetmask, ifreq_size = 0x8912, 0x891B, 40
    result = []
    with socket.socket(AF_INET, socket.SOCK_DGRAM) as s:
        count = 64
        while True:
            buf = array.array("B", bytes(ifreq_size * count))
            ifc = struct.pack("iL", len(buf), buf.buffer_info()[0])
            length = struct.unpack("iL", fcntl.ioctl(s.fileno(), siocgifconf, ifc))[0]
            if length < len(buf):
                break
            count *= 2
        raw = buf.tobytes()[:length]
        for k in range(0, length, ifreq_size):
            ifr = raw[k:k + ifreq_size]
            family = struct.unpack_from("H", ifr, 16)[0]
            if family != AF_INET:
                continue
            address = int.from_bytes(ifr[20:24], "big")
            try:
                answer = fcntl.ioctl(s.fileno(), siocgifnetmask, ifr[:16] + bytes(24))
            except OSError:
                continue
            result.append((address, int.from_bytes(answer[20:24], "big")))
    return result


@dataclass
class Probe:
    """What glibc's sort learns about one candidate (its ``struct sort_result``).

    ``got_source`` is False when the UDP connect failed (RFC 3484 rule 1: such
    addresses go last); ``flags``, ``prefixlen`` and ``index`` come from the interface
    address that is the source (deprecated/home flags, rules 3, 4, 7 and 9).

    >>> Probe(socket.AF_INET, bytes(4)).got_source
    False

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """

    family: int
    packed: bytes
    got_source: bool = False
    source_family: int = 0
    source: bytes = b""
    flags: int = 0
    prefixlen: int = 0
    index: int = _NO_INDEX


class Machine:
    """What glibc's getaddrinfo reads from this machine besides /etc/hosts.

    host.conf switches, the gai.conf tables, interface addresses (netlink) and, for each
    candidate address, a UDP ``connect`` that tells whether it is reachable and from which
    source address. host.conf is read when the object is made, gai.conf and the
    interface data when a sort first needs them; probes are remembered for the life of
    the object (a snapshot). Pass ``host_conf``/``policy`` to model another
    configuration on this machine's network.

    >>> m = Machine(host_conf=HostConf(multi=True), policy=Policy())
    >>> m.host_conf.multi
    True

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """

    def __init__(self, *, host_conf: Optional[HostConf] = None, policy: Optional[Policy] = None):
        self.host_conf = host_conf if host_conf is not None else HostConf.from_system()
        self._policy = policy
        self._in6ai: object = _UNREAD
        self._link_types: object = _UNREAD
        self._ipv4_ifaddrs: object = _UNREAD
        self._connects: dict = {}
        self._sockets: dict = {}

    @property
    def policy(self) -> Policy:
        """The gai.conf tables (read from /etc/gai.conf on first use unless given).

        >>> Machine(policy=Policy()).policy == Policy()
        True

        Introduced in notebooks/02-localhost-is-a-name.ipynb.
        """
        if self._policy is None:
            self._policy = Policy.from_system()
        return self._policy

    # -- interface data -------------------------------------------------------------
    def _in6ai_table(self) -> Optional[dict]:
        if self._in6ai is _UNREAD:
            try:
                self._in6ai = _read_in6ai()
            except (OSError, AttributeError):  # no netlink (not Linux)
                self._in6ai = None
        return self._in6ai  # type: ignore[return-value]

    def _native(self, index: int) -> int:
        if self._link_types is _UNREAD:
            try:
                self._link_types = _read_link_types()
            except (OSError, AttributeError):
                self._link_types = {}
        link_type = self._link_types.get(index)  # type: ignore[union-attr]
        if link_type is None:
            return 0
        return int(link_type not in (_ARPHRD_TUNNEL, _ARPHRD_TUNNEL6, _ARPHRD_SIT))

    def ipv4_ifaddrs(self) -> list:
        """IPv4 (address, netmask) integer pairs from SIOCGIFCONF, used by ``reorder``.

        >>> isinstance(Machine(host_conf=HostConf()).ipv4_ifaddrs(), list)
        True

        Introduced in notebooks/02-localhost-is-a-name.ipynb.
        """
        if self._ipv4_ifaddrs is _UNREAD:
            try:
                self._ipv4_ifaddrs = _read_ipv4_ifaddrs()
            except (OSError, ImportError):
                self._ipv4_ifaddrs = []
        return self._ipv4_ifaddrs  # type: ignore[return-value]

    @staticmethod
    def if_nametoindex(name: bytes) -> int:
        """Interface index for a scope name, 0 if there is none (as glibc's if_nametoindex).

        >>> Machine.if_nametoindex(b"no-such-interface")
        0

        Introduced in notebooks/02-localhost-is-a-name.ipynb.
        """
        try:
            return socket.if_nametoindex(os.fsdecode(name))
        except (OSError, ValueError, UnicodeError):
            return 0

    # -- probes ---------------------------------------------------------------------
    def _socket_opens(self, family: int) -> tuple[bool, int]:
        if family not in self._sockets:
            try:
                socket.socket(family, socket.SOCK_DGRAM).close()
                self._sockets[family] = (True, 0)
            except OSError as exc:
                self._sockets[family] = (False, exc.errno or _errno.EAFNOSUPPORT)
        return self._sockets[family]

    def _connect(self, sock_family: int, family: int, packed: bytes) -> tuple[Optional[bytes], int]:
        """connect() a fresh UDP socket (what glibc's reset connect amounts to) and
        getsockname(); (16- or 4-byte source, 0) or (None, errno)."""
        key = (sock_family, family, packed)
        if key not in self._connects:
            self._connects[key] = self._connect_now(sock_family, family, packed)
        return self._connects[key]

    @staticmethod
    def _connect_now(sock_family: int, family: int, packed: bytes) -> tuple[Optional[bytes], int]:
        try:
            s = socket.socket(sock_family, socket.SOCK_DGRAM)
        except OSError as exc:
            return None, exc.errno or 0
        with s:
            try:
                if sock_family == AF_INET6:
                    if family == AF_INET:
                        # glibc passes the sockaddr_in itself; the kernel refuses that
                        # with EAFNOSUPPORT on an IPv6-only socket.
                        if s.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY):
                            return None, _errno.EAFNOSUPPORT
                        packed = _V4MAPPED_PREFIX + packed
                    s.connect((_ntop(AF_INET6, packed), 0, 0, 0))
                    source = socket.inet_pton(AF_INET6, s.getsockname()[0].split("%")[0])
                else:
                    s.connect((_ntop(AF_INET, packed), 0))
                    source = socket.inet_pton(AF_INET, s.getsockname()[0])
            except OSError as exc:
                return None, exc.errno or 0
        return source, 0

    def probe(self, candidates: Sequence[tuple[int, bytes]]) -> list[Probe]:
        """Replay glibc's loop that finds each candidate's source address.

        One socket, reused; it is reopened as IPv6 when an IPv6 candidate follows IPv4
        ones, so IPv4 candidates after an IPv6 one are probed as ``::ffff:a.b.c.d``.

        >>> Machine(host_conf=HostConf()).probe([])
        []

        Introduced in notebooks/02-localhost-is-a-name.ipynb.
        """
        in6ai = self._in6ai_table() if candidates else None
        probes: list[Probe] = []
        sock_family = 0
        sock_ok = False
        sock_errno = 0
        for i, (family, packed) in enumerate(candidates):
            if i and candidates[i - 1] == (family, packed):
                probes.append(dataclasses.replace(probes[-1]))  # glibc copies the result
                continue
            result = Probe(family, packed)
            probes.append(result)
            if not sock_ok or (sock_family == AF_INET and family == AF_INET6):
                sock_family = family
                sock_ok, sock_errno = self._socket_opens(family)
            # try_connect
            while True:
                source, err = (None, sock_errno)
                if sock_ok:
                    source, err = self._connect(sock_family, family, packed)
                if source is not None:
                    break
                if err == _errno.EAFNOSUPPORT and sock_family == AF_INET6 and family == AF_INET:
                    sock_family = AF_INET
                    sock_ok, sock_errno = self._socket_opens(AF_INET)
                    continue
                break
            if source is None:
                continue
            result.got_source = True
            if in6ai is not None:
                if family == AF_INET and sock_family == AF_INET:
                    key = _V4MAPPED_PREFIX + (b"\x7f\0\0\x01" if source[0] == 127 else source)
                else:
                    key = source
                found = in6ai.get(key)
                if found is not None:
                    result.flags, result.prefixlen, result.index = (
                        found.flags, found.prefixlen, found.index)
            if family == AF_INET and sock_family == AF_INET6:
                source = source[12:]
            result.source_family = AF_INET6 if len(source) == 16 else AF_INET
            result.source = source
        return probes


_UNREAD = object()


# ----------------------------------------------------------------------------------------
# rfc3484_sort and the merge sort glibc's qsort_r runs it in
# ----------------------------------------------------------------------------------------


def _clz32(word: int) -> int:
    """glibc's ``fls``: leading zero bits of a 32-bit word (32 for 0)."""
    return 32 - word.bit_length()


def _word(packed: bytes, offset: int) -> int:
    return int.from_bytes(packed[offset:offset + 4], "big")


def _ipv4_common_bits(probe: "Probe") -> int:
    """Rule 9 for IPv4: common leading bits, counted only inside the source's subnet."""
    dst, src = _word(probe.packed, 0), _word(probe.source, 0)
    # 0xffffffff << 32 is a no-op on x86 and arm, so prefixlen 0 means all ones.
    mask = (0xFFFFFFFF << ((32 - probe.prefixlen) & 31)) & 0xFFFFFFFF
    return _clz32(dst ^ src) if (src & mask) == (dst & mask) else 0


def _as16(family: int, packed: bytes) -> bytes:
    return packed if family == AF_INET6 else _V4MAPPED_PREFIX + packed


def _merge_sort(items: list, cmp: Callable) -> list:
    """stdlib/msort.c: top-down merge sort, left run first unless cmp > 0."""
    if len(items) <= 1:
        return list(items)
    half = len(items) // 2
    left, right = _merge_sort(items[:half], cmp), _merge_sort(items[half:], cmp)
    out = []
    i = j = 0
    while i < len(left) and j < len(right):
        if cmp(left[i], right[j]) <= 0:
            out.append(left[i])
            i += 1
        else:
            out.append(right[j])
            j += 1
    return out + left[i:] + right[j:]


def _rfc3484_compare(machine: Machine, probes: list[Probe]) -> Callable[[int, int], int]:
    policy = machine.policy
    natives: dict[int, int] = {}

    def native(index: int) -> int:
        if index not in natives:
            natives[index] = 0 if index == _NO_INDEX else machine._native(index)
        return natives[index]

    def compare(i1: int, i2: int) -> int:
        a1, a2 = probes[i1], probes[i2]
        # Rule 1: avoid unusable destinations.
        if a1.got_source != a2.got_source:
            return -1 if a1.got_source else 1
        a1_dst_scope = policy.scope_of(a1.family, a1.packed)
        a2_dst_scope = policy.scope_of(a2.family, a2.packed)
        if a1.got_source:
            # Rule 2: prefer matching scope.
            m1 = a1_dst_scope == policy.scope_of(a1.source_family, a1.source)
            m2 = a2_dst_scope == policy.scope_of(a2.source_family, a2.source)
            if m1 != m2:
                return -1 if m1 else 1
            # Rule 3: avoid deprecated addresses.
            d1, d2 = a1.flags & _IN6AI_DEPRECATED, a2.flags & _IN6AI_DEPRECATED
            if bool(d1) != bool(d2):
                return 1 if d1 else -1
            # Rule 4: prefer home addresses.
            h1, h2 = a1.flags & _IN6AI_HOMEADDRESS, a2.flags & _IN6AI_HOMEADDRESS
            if bool(h1) != bool(h2):
                return -1 if h1 else 1
            # Rule 5: prefer matching label.
            l1 = policy.label_of(_as16(a1.family, a1.packed)) == policy.label_of(
                _as16(a1.source_family, a1.source))
            l2 = policy.label_of(_as16(a2.family, a2.packed)) == policy.label_of(
                _as16(a2.source_family, a2.source))
            if l1 != l2:
                return -1 if l1 else 1
        # Rule 6: prefer higher precedence.
        p1 = policy.precedence_of(_as16(a1.family, a1.packed))
        p2 = policy.precedence_of(_as16(a2.family, a2.packed))
        if p1 != p2:
            return -1 if p1 > p2 else 1
        # Rule 7: prefer native transport (only when the interfaces differ).
        if a1.got_source and a1.index != a2.index:
            n1, n2 = native(a1.index), native(a2.index)
            if n1 != n2:
                return -1 if n1 else 1
        # Rule 8: prefer smaller scope.
        if a1_dst_scope != a2_dst_scope:
            return -1 if a1_dst_scope < a2_dst_scope else 1
        # Rule 9: longest matching prefix (glibc's variant).
        if a1.got_source and a1.family == a2.family:
            bit1 = bit2 = 0
            if a1.family == AF_INET:
                bit1, bit2 = _ipv4_common_bits(a1), _ipv4_common_bits(a2)
            else:
                for k in range(0, 16, 4):
                    w1 = _word(a1.packed, k) ^ _word(a1.source, k)
                    w2 = _word(a2.packed, k) ^ _word(a2.source, k)
                    if w1 or w2:
                        bit1, bit2 = _clz32(w1), _clz32(w2)
                        break
            if bit1 != bit2:
                return -1 if bit1 > bit2 else 1
        # Rule 10: keep the order the services returned.
        return -1 if i1 < i2 else 1

    return compare


def sort_addresses(candidates: Sequence[tuple[int, bytes]], machine: Optional[Machine] = None
                   ) -> list[tuple[int, bytes]]:
    """Order (family, packed address) pairs the way getaddrinfo would on this machine.

    glibc sorts only when there are two or more results; it probes each candidate with
    a UDP connect (rule 1, unreachable last) and then applies the RFC 3484 rules with the
    gai.conf tables.

    >>> one = [(socket.AF_INET, bytes([127, 0, 0, 1]))]
    >>> sort_addresses(one) == one   # a single result is never sorted (or probed)
    True

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    candidates = list(candidates)
    if len(candidates) < 2:
        return candidates
    machine = machine if machine is not None else Machine()
    probes = machine.probe(candidates)
    order = _merge_sort(list(range(len(candidates))), _rfc3484_compare(machine, probes))
    return [candidates[i] for i in order]


def reorder_ipv4(addresses: list[bytes], machine: Machine) -> list[bytes]:
    """host.conf ``reorder``: swap the first address on a local subnet into first place.

    >>> reorder_ipv4([b"\\x01\\x02\\x03\\x04"], Machine(host_conf=HostConf()))
    [b'\\x01\\x02\\x03\\x04']

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    if not machine.host_conf.reorder or not addresses:
        return addresses
    interfaces = machine.ipv4_ifaddrs()
    for i, packed in enumerate(addresses):
        word = int.from_bytes(packed, "big")
        if any(((word ^ address) & mask) == 0 for address, mask in interfaces):
            swapped = list(addresses)
            swapped[0], swapped[i] = swapped[i], swapped[0]
            return swapped
    return addresses
