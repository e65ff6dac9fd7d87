"""The plain-text report on one address that the lesson 01 classifier widget shows:
registry entry, flags and footnotes, loopback verdict and sources. Standard library only.

Introduced in notebooks/01-loopback-range.ipynb.
"""

from __future__ import annotations

import ipaddress
import platform

from .parsing import Address, is_loopback, parse_address
from .registries import (
    FOOTNOTE_EXPLANATIONS,
    OTHER_BLOCKS,
    OtherBlock,
    SpecialPurpose,
    classify,
    registry_info,
)

__all__ = ["describe"]


def _other_block(addr: Address) -> OtherBlock | None:
    return next((b for b in OTHER_BLOCKS if b.network.version == addr.version
                 and addr in b.network), None)


def _flag_text(entry: SpecialPurpose) -> str:
    marks: dict[str, list[int]] = {}
    for note in entry.footnotes:
        for column in note.columns:
            marks.setdefault(column, []).append(note.marker)
    parts = []
    for column, value in entry.flags().items():
        shown = "N/A" if value is None and not entry.terminated else (
            "(blank: terminated)" if value is None else str(value))
        parts.append(f"{column} {shown}" + "".join(f" [{m}]" for m in marks.get(column, [])))
    return ", ".join(parts)


def _entry_lines(entry: SpecialPurpose, indent: str = "") -> list[str]:
    dates = f"allocated {entry.allocation_date}"
    if entry.terminated:
        dates += f", terminated {entry.termination_date}"
    lines = [f"{indent}Registry entry: {entry.network} {entry.name} ({entry.rfc}; {dates})",
             f"{indent}Flags: {_flag_text(entry)}"]
    for note in entry.footnotes:
        lines.append(f"{indent}  {note}")
        extra = FOOTNOTE_EXPLANATIONS.get((entry.registry, note.marker))
        if extra and entry.network == ipaddress.ip_network("127.0.0.0/8"):
            lines.append(f"{indent}  {extra}")
    return lines


_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_NAT64_WELL_KNOWN = ipaddress.ip_network("64:ff9b::/96")


def _shown(addr: Address) -> str:
    """The address as people write it: IPv4-mapped ones in ::ffff:a.b.c.d form."""
    if addr.version == 6 and addr.ipv4_mapped is not None:
        return f"::ffff:{addr.ipv4_mapped}" + (f"%{addr.scope_id}" if addr.scope_id else "")
    return str(addr)


def _mapped_note(mapped: ipaddress.IPv4Address, said: bool, fixed: bool, version: str) -> str:
    """The loopback note of an IPv4-mapped address, given what the ``ipaddress`` of Python
    ``version`` says of it (``said``) and whether that ``ipaddress`` has the gh-117566 fix."""
    return (f" (decided by the mapped IPv4 address {mapped}; this Python's ipaddress "
            f"({version}) {'has' if fixed else 'lacks'} the gh-117566 fix and says "
            f"is_loopback={said}: for mapped addresses its answer depends on the exact "
            "patch release)")


def _loopback_note(addr: Address) -> str:
    """Why the loopback answer may surprise, for the three IPv6 forms that embed IPv4."""
    if addr.version != 6:
        return ""
    if addr.ipv4_mapped is not None:
        said = ipaddress.ip_address(str(addr)).is_loopback
        fixed = ipaddress.ip_address("::ffff:127.0.0.1").is_loopback
        return _mapped_note(addr.ipv4_mapped, said, fixed, platform.python_version())
    if addr in _IPV4_COMPATIBLE and int(addr) > 1:
        embedded = ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
        return (f" (an IPv4-compatible address embedding {embedded}, a form RFC 4291 "
                "deprecated; only ::1 is IPv6 loopback)")
    if addr in _NAT64_WELL_KNOWN:
        embedded = ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
        return (f" (NAT64 well-known prefix embedding {embedded}: packets go to a translator, "
                "and RFC 6052 forbids this prefix for non-global IPv4 addresses)")
    return ""


def describe(text) -> str:
    """A plain-text report on ``text``: registry entry, flags, loopback or not, and sources.

    Never raises for bad input: the ValueError message is the report.

    >>> print(describe("127.0.0.1").splitlines()[1])
    Registry entry: 127.0.0.0/8 Loopback (RFC 1122, Section 3.2.1.3; allocated 1981-09)
    >>> print(describe("localhost").splitlines()[0])  # doctest: +ELLIPSIS
    Not an address: 'localhost' is a host name, not an address: resolve it first, ...

    Introduced in notebooks/01-loopback-range.ipynb.
    """
    try:
        addr = parse_address(text)
    except (ValueError, TypeError) as exc:
        return f"Not an address: {exc}"
    lines = [f"{_shown(addr)} (IPv{addr.version})"]
    entry = classify(addr)
    if entry is not None:
        lines += _entry_lines(entry)
    else:
        other = _other_block(addr)
        if other is not None:
            lines.append(f"Registry entry: none; {other.network} is {other.name} ({other.rfc}), "
                         f"listed in the {other.source}")
        else:
            lines.append("Registry entry: none (not a special-purpose address)")
    sources = [registry_info(f"IPv{addr.version}").citation()]
    mapped = addr.ipv4_mapped if addr.version == 6 else None
    if mapped is not None:
        inner = classify(mapped)
        lines.append(f"IPv4-mapped: stands for the IPv4 address {mapped}")
        lines += _entry_lines(inner, "  ") if inner else ["  Registry entry: none"]
        sources.append(registry_info("IPv4").citation())
    lines.append(f"Loopback: {'yes' if is_loopback(addr) else 'no'}{_loopback_note(addr)}")
    lines.append("Source: " + "; ".join(sources))
    return "\n".join(lines)
