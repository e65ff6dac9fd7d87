"""IPv6 notation for lesson 05, "IPv6 ::1": the 128 bits, expansion and compression.

RFC 4291 section 2.2 allows many spellings of one IPv6 address: leading zeros may be
dropped in each 16-bit group, one run of zero groups may be written ``::``, and the
last 32 bits may be written as an IPv4 address. RFC 5952 section 4 picks one canonical
spelling: lowercase, no leading zeros, the longest run of two or more zero groups
compressed (the first one on a tie), a single zero group never compressed; section 5
recommends the dotted form for IPv4-mapped addresses (``::ffff:127.0.0.1``).

:func:`expand`, :func:`compress` and :func:`compression_steps` take what a learner
types and raise ValueError saying exactly what is wrong with it (two ``::``, a group of five hex
digits, a character that is not hex, too many groups), reusing the messages of
:func:`loopedu.addresses.parse_address` for what is not IPv6 at all (empty text, a
port, a CIDR block, a host name). Pure functions, standard library only.

Introduced in notebooks/05-ipv6-loopback.ipynb.
"""

from __future__ import annotations

import ipaddress
import textwrap
from dataclasses import dataclass

from .addresses import parse_address

__all__ = ["Parsed", "parse", "expand", "compress", "compression_steps", "format_steps",
           "bit_rows", "format_bits", "zero_runs", "MAPPED_PREFIX"]

#: IPv4-mapped addresses (RFC 4291 section 2.5.5.2): 80 zero bits, 16 one bits, IPv4.
MAPPED_PREFIX = ipaddress.IPv6Network("::ffff:0:0/96")
_HEX = set("0123456789abcdefABCDEF")


@dataclass(frozen=True)
class Parsed:
    """An IPv6 address as written: its 8 groups, where ``::`` stood, its zone id.

    ``written`` is the groups as typed (a dotted IPv4 tail counts as one item),
    ``double_colon`` the index in the 8 groups where ``::`` began and ``filled`` how
    many zero groups it stood for (None and 0 without ``::``).

    >>> p = parse("2001:DB8::1")
    >>> p.groups, p.double_colon, p.filled
    ((8193, 3512, 0, 0, 0, 0, 0, 1), 2, 5)

    Introduced in notebooks/05-ipv6-loopback.ipynb.
    """

    text: str
    groups: tuple[int, ...]
    written: tuple[str, ...]
    double_colon: int | None
    filled: int
    zone: str | None
    ipv4_tail: str | None

    @property
    def address(self) -> ipaddress.IPv6Address:
        """The address as an ``ipaddress.IPv6Address`` (zone id dropped)."""
        return ipaddress.IPv6Address(b"".join(g.to_bytes(2, "big") for g in self.groups))


def _not_ipv6(addr) -> str:
    """Why an IPv4 address is not accepted where IPv6 is expected."""
    return (f"{str(addr)!r} is an IPv4 address, not IPv6; written as IPv6 it is the "
            f"IPv4-mapped address ::ffff:{addr} (RFC 4291 section 2.5.5.2)")


def _group_value(group: str, text: str) -> int:
    bad = [c for c in group if c not in _HEX]
    if bad:
        lookalike = " (o is not 0, l is not 1)" if bad[0] in "oOlL" else ""
        raise ValueError(f"{text!r}: group {group!r} has {bad[0]!r}, which is not a hex "
                         f"digit: groups use only 0-9 and a-f{lookalike}")
    if len(group) > 4:
        raise ValueError(f"{text!r}: group {group!r} has {len(group)} hex digits, but a group "
                         "holds 16 bits, at most 4 hex digits (RFC 4291 section 2.2)")
    return int(group, 16)


def _split_side(side: str, text: str) -> list[str]:
    if not side:
        return []
    parts = side.split(":")
    if "" in parts:
        raise ValueError(f"{text!r} has an empty group (two ':' with nothing between, "
                         "other than the one '::'): write each group")
    return parts


def parse(text) -> Parsed:
    """Read IPv6 text into its 8 groups, or raise ValueError saying what is wrong.

    Accepts a zone id (``fe80::1%lo``), URL brackets (``[::1]``), any letter case,
    leading zeros, and a dotted IPv4 tail (``::ffff:127.0.0.1``).

    >>> parse("::1").groups
    (0, 0, 0, 0, 0, 0, 0, 1)
    >>> parse("1::2::3")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: '1::2::3' has '::' twice: '::' stands for one run of zero groups, ...

    Introduced in notebooks/05-ipv6-loopback.ipynb.
    """
    if isinstance(text, ipaddress.IPv6Address):
        text = str(text)
    if not isinstance(text, str) or ":" not in text or text.strip().startswith("[") \
            or "/" in text or not text.strip() or any(c.isspace() for c in text.strip()):
        try:  # brackets, CIDR, spaces, ports, host names: parse_address says it best
            addr = parse_address(text)
        except ValueError as exc:
            raise ValueError(str(exc)) from None
        if addr.version == 4:
            raise ValueError(_not_ipv6(addr))
        text = str(text).strip().strip("[]")
    s = text.strip()
    zone = None
    if "%" in s:
        s, zone = s.split("%", 1)
        if not zone:
            raise ValueError(f"{text!r} has an empty zone id: drop the '%' or name an "
                             "interface, e.g. fe80::1%lo")
    if ":::" in s:
        raise ValueError(f"{text!r} has three colons in a row: '::' is exactly two")
    if s.count("::") > 1:
        raise ValueError(f"{text!r} has '::' twice: '::' stands for one run of zero groups, "
                         "and with two nobody can tell how many zeros each one holds "
                         "(RFC 4291 section 2.2)")
    if (s.startswith(":") and not s.startswith("::")) or \
            (s.endswith(":") and not s.endswith("::")):
        raise ValueError(f"{text!r} starts or ends with a single ':': a colon at either end "
                         "is only allowed as part of '::'")
    if "::" in s:
        head, tail = s.split("::")
        left, right = _split_side(head, text), _split_side(tail, text)
    else:
        left, right = _split_side(s, text), []
    written = left + right
    ipv4_tail = None
    for i, part in enumerate(written):
        if "." in part:
            if i != len(written) - 1 or not s.endswith(part):
                raise ValueError(f"{text!r}: a dotted IPv4 part ({part}) may only be the "
                                 "last 32 bits of an address (RFC 4291 section 2.2)")
            ipv4_tail = part
    values: list[int] = []
    for part in written:
        if part is ipv4_tail:
            try:
                v4 = parse_address(part)
            except ValueError as exc:
                raise ValueError(f"{text!r}: its IPv4 tail is not valid: {exc}") from None
            if v4.version != 4:
                raise ValueError(f"{text!r}: the tail {part!r} is not an IPv4 address")
            values += [int(v4) >> 16, int(v4) & 0xFFFF]
        else:
            values.append(_group_value(part, text))
    n = len(values)
    counted = f"{n} groups" + (" (the IPv4 tail counts as 2)" if ipv4_tail else "")
    if "::" in s:
        if n > 7:
            raise ValueError(f"{text!r} has too many groups: {counted} written plus '::', "
                             "which stands for at least one zero group, makes more than 8")
        at, filled = len(left), 8 - n
        values = values[:at] + [0] * filled + values[at:]
    else:
        if n > 8:
            raise ValueError(f"{text!r} has too many groups: {counted}, but an IPv6 address "
                             "has exactly 8 (128 bits = 8 x 16)")
        if n < 8:
            raise ValueError(f"{text!r} has only {counted} and no '::' to stand for the "
                             "missing zero groups: an IPv6 address has 8")
        at, filled = None, 0
    return Parsed(text=text, groups=tuple(values), written=tuple(written), double_colon=at,
                  filled=filled, zone=zone, ipv4_tail=ipv4_tail)


def _full(groups) -> str:
    return ":".join(f"{g:04x}" for g in groups)


def _with_zone(text: str, parsed: Parsed) -> str:
    return text + (f"%{parsed.zone}" if parsed.zone else "")


def expand(text) -> str:
    """The full form: 8 groups of 4 lowercase hex digits (RFC 4291 section 2.2, form 1).

    >>> expand("::1")
    '0000:0000:0000:0000:0000:0000:0000:0001'
    >>> expand("::ffff:127.0.0.1")
    '0000:0000:0000:0000:0000:ffff:7f00:0001'

    Introduced in notebooks/05-ipv6-loopback.ipynb.
    """
    parsed = parse(text)
    return _with_zone(_full(parsed.groups), parsed)


def zero_runs(groups) -> list[tuple[int, int]]:
    """Every run of zero groups as ``(start, length)``, left to right.

    >>> zero_runs((0x2001, 0xdb8, 0, 0, 1, 0, 0, 1))
    [(2, 2), (5, 2)]

    Introduced in notebooks/05-ipv6-loopback.ipynb.
    """
    runs, start = [], None
    for i, g in enumerate(list(groups) + [1]):
        if g == 0 and start is None:
            start = i
        elif g != 0 and start is not None:
            runs.append((start, i - start))
            start = None
    return runs


def _best_run(groups) -> tuple[int, int] | None:
    """The run RFC 5952 section 4.2 compresses: longest, first on a tie, at least 2."""
    best = None
    for start, length in zero_runs(groups):
        if length >= 2 and (best is None or length > best[1]):
            best = (start, length)
    return best


def _hex_form(groups, run) -> str:
    words = [f"{g:x}" for g in groups]
    if run is None:
        return ":".join(words)
    start, length = run
    return ":".join(words[:start]) + "::" + ":".join(words[start + length:])


def compress(text, mixed: bool = True) -> str:
    """The RFC 5952 canonical text of an IPv6 address.

    Lowercase, leading zeros dropped, the longest run of two or more zero groups written
    ``::`` (the first on a tie), a lone zero group kept as ``0``. With ``mixed`` (the
    default) an IPv4-mapped address keeps its last 32 bits dotted, ``::ffff:127.0.0.1``,
    as RFC 5952 section 5 recommends and glibc's inet_ntop prints; ``mixed=False`` gives
    all-hex ``::ffff:7f00:1``, what some Python releases' ``ipaddress`` prints.

    >>> compress("0000:0000:0000:0000:0000:0000:0000:0001")
    '::1'
    >>> compress("2001:DB8:0:0:1:0:0:1")
    '2001:db8::1:0:0:1'
    >>> compress("2001:db8:0:1:1:1:1:1")
    '2001:db8:0:1:1:1:1:1'

    Introduced in notebooks/05-ipv6-loopback.ipynb.
    """
    return _canonical(parse(text), mixed)


def _canonical(parsed: Parsed, mixed: bool = True) -> str:
    """What :func:`compress` returns, for text already parsed."""
    groups = parsed.groups
    if mixed and parsed.address in MAPPED_PREFIX:
        v4 = ipaddress.IPv4Address((groups[6] << 16) | groups[7])
        return _with_zone(f"::ffff:{v4}", parsed)
    return _with_zone(_hex_form(groups, _best_run(groups)), parsed)


def compression_steps(text) -> list[str]:
    """Step by step, from what was typed to the full form and to the canonical form.

    Each step is one line naming the rule it applies and its source.

    >>> for step in compression_steps("2001:0DB8:0000:0000:0001:0000:0000:0001"):
    ...     print(step)  # doctest: +NORMALIZE_WHITESPACE
    1. Read 8 groups: 2001 0DB8 0000 0000 0001 0000 0000 0001
    2. Full form: 8 groups of 4 hex digits (RFC 4291 section 2.2), lowercase (RFC 5952
       section 4.3): 2001:0db8:0000:0000:0001:0000:0000:0001
    3. Drop leading zeros, a zero group stays 0 (RFC 5952 section 4.1): 2001:db8:0:0:1:0:0:1
    4. Zero runs: groups 3-4 (2 groups), groups 6-7 (2 groups)
    5. Write the longest run as '::', the first on a tie (RFC 5952 sections 4.2.1 and
       4.2.3): 2001:db8::1:0:0:1

    Introduced in notebooks/05-ipv6-loopback.ipynb.
    """
    parsed = parse(text)
    groups = parsed.groups
    steps = []
    shown = " ".join(parsed.written) or "(none)"
    read = f"Read {len(parsed.written)} written item(s): {shown}"
    if parsed.double_colon is not None:
        read += (f"; '::' stands for {parsed.filled} zero group"
                 f"{'s' if parsed.filled != 1 else ''} (RFC 4291 section 2.2)")
    elif len(parsed.written) == 8:
        read = f"Read 8 groups: {shown}"
    if parsed.ipv4_tail:
        read += f"; the IPv4 tail {parsed.ipv4_tail} is the last 2 groups"
    if parsed.zone:
        read += f"; zone id %{parsed.zone} kept aside (RFC 4007 section 11)"
    steps.append(read)
    full = _full(groups)
    steps.append("Full form: 8 groups of 4 hex digits (RFC 4291 section 2.2), lowercase "
                 f"(RFC 5952 section 4.3): {full}")
    short = _hex_form(groups, None)
    steps.append(f"Drop leading zeros, a zero group stays 0 (RFC 5952 section 4.1): {short}")
    if parsed.address in MAPPED_PREFIX:
        steps.append("IPv4-mapped (::ffff:0:0/96, RFC 4291 section 2.5.5.2): RFC 5952 "
                     f"section 5 recommends the dotted tail: {_canonical(parsed)}")
        return [f"{i}. {s}" for i, s in enumerate(steps, 1)]
    runs = zero_runs(groups)
    if not runs:
        steps.append(f"No zero group, nothing to compress: {short}")
    else:
        listed = ", ".join(f"group {s + 1}" if n == 1 else f"groups {s + 1}-{s + n}"
                           f" ({n} groups)" for s, n in runs)
        steps.append(f"Zero runs: {listed}")
        best = _best_run(groups)
        if best is None:
            steps.append("A single zero group is never written '::' (RFC 5952 section 4.2.2): "
                         f"{short}")
        else:
            tie = sum(1 for r in runs if r[1] == best[1]) > 1
            rule = ", the first on a tie" if tie else ""
            steps.append(f"Write the longest run as '::'{rule} (RFC 5952 sections 4.2.1 and "
                         f"4.2.3): {_canonical(parsed)}")
    return [f"{i}. {s}" for i, s in enumerate(steps, 1)]


def format_steps(text, width: int = 88) -> str:
    """:func:`compression_steps` as text, each step wrapped at ``width`` characters
    under its number, so that a printed handout keeps its 9 pt type.

    >>> print(format_steps("2001:0DB8:0000:0000:0001:0000:0000:0001").splitlines()[-1])
       4.2.3): 2001:db8::1:0:0:1

    Introduced in notebooks/05-ipv6-loopback.ipynb.
    """
    return "\n".join(textwrap.fill(step, width, subsequent_indent="   ",
                                    break_long_words=False, break_on_hyphens=False)
                     for step in compression_steps(text))


def bit_rows(text="::1") -> list[tuple[int, str, str]]:
    """The 128 bits, one row per 16-bit group: ``(group number 1-8, hex, 16 bits)``.

    >>> bit_rows("::1")[-1]
    (8, '0001', '0000000000000001')

    Introduced in notebooks/05-ipv6-loopback.ipynb.
    """
    return [(i, f"{g:04x}", f"{g:016b}") for i, g in enumerate(parse(text).groups, 1)]


def format_bits(text="::1") -> str:
    """The 128 bits as a text grid, one group a line, bits in fours.

    >>> print(format_bits("::1").splitlines()[-1])
    group 8  0001  0000 0000 0000 0001   bits 113-128

    Introduced in notebooks/05-ipv6-loopback.ipynb.
    """
    lines = []
    for i, hexed, bits in bit_rows(text):
        quads = " ".join(bits[j:j + 4] for j in range(0, 16, 4))
        lines.append(f"group {i}  {hexed}  {quads}   bits {16 * i - 15}-{16 * i}")
    return "\n".join(lines)
