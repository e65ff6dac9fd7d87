"""Reading what a learner types as one IPv4 or IPv6 address, and the loopback test.

:func:`parse_address` refuses, with a message saying what to do, everything that is not
exactly one address (host names, ports, CIDR blocks, inet_aton shorthand); :func:`is_loopback`
answers from the RFCs, whatever this Python's ``ipaddress`` says of mapped addresses.
Standard library only.

Introduced in notebooks/01-loopback-range.ipynb.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from typing import Union

Address = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]
Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]

__all__ = ["Address", "Network", "is_loopback", "parse_address"]

_HOSTNAME = re.compile(r"(?=.*[A-Za-z_])[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?"
                       r"(\.[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?)*\.?")
_NUMERIC_PART = re.compile(r"\d*|0[xX][0-9a-fA-F]*")
_ORDINALS = ("first", "second", "third", "fourth")


def _inet_aton(text: str) -> str | None:
    """How the C library's inet_aton reads text (shorthand, octal, hex), or None."""
    try:
        return str(ipaddress.IPv4Address(socket.inet_aton(text)))
    except (OSError, ValueError):
        return None


def _dotted_problem(text: str, parts: list[str]) -> str | None:
    """Why dotted numeric text is not a plain IPv4 address, or None if it is fine."""
    n = len(parts)
    aton = _inet_aton(text)
    if any(p == "" for p in parts):
        return (f"{text!r} has an empty octet (two dots in a row, or a dot at the start or "
                "end): write four numbers 0 to 255 separated by single dots, e.g. 127.0.0.1")
    if n > 4:
        return (f"{text!r} has too many octets ({n}): an IPv4 address has exactly 4, "
                "e.g. 127.0.0.1")
    hexed = [i for i, p in enumerate(parts) if p[:2].lower() == "0x"]
    if hexed:
        i = hexed[0]
        reading = f"; inet_aton reads the whole text as {aton}" if aton else ""
        return (f"the {_ORDINALS[i] if n == 4 else 'part ' + str(i + 1)} octet {parts[i]!r} is "
                f"hexadecimal, which Python's ipaddress rejects{reading}: write decimal octets")
    if n < 4:
        reading = (f"inet_aton (and so ping) reads this shorthand as {aton}, the last number "
                   f"filling the missing octets, but Python's ipaddress rejects it; write the "
                   f"full form {aton}") if aton else "write all four, e.g. 127.0.0.1"
        return f"{text!r} has too few octets ({n} of 4): {reading}"
    for i, p in enumerate(parts):
        if int(p) > 255:
            return (f"the {_ORDINALS[i]} octet ({p}) is over 255: each of the four octets of "
                    "an IPv4 address is 0 to 255")
    zeroed = [i for i, p in enumerate(parts) if len(p) > 1 and p[0] == "0"]
    if zeroed:
        i = zeroed[0]
        decimal = ".".join(str(int(p)) for p in parts)
        where = f"the {_ORDINALS[i]} octet {parts[i]!r} has a leading zero, which is ambiguous"
        if aton and aton != decimal:
            return (f"{where}: inet_aton reads a leading 0 as octal, so {text!r} means {aton} "
                    f"to it but {decimal} to a decimal reader, and Python's ipaddress rejects "
                    f"it; write the one you mean without leading zeros ({aton} or {decimal})")
        if aton is None:
            return (f"{where}: inet_aton reads a leading 0 as octal and rejects this text "
                    "(8 and 9 are not octal digits), and Python's ipaddress rejects it too; "
                    f"write {decimal}")
        return (f"{where}: inet_aton reads a leading 0 as octal (0177 would be 127) and Python's "
                f"ipaddress rejects it; here both readings give {decimal}, so write {decimal}")
    return None


def parse_address(text) -> Address:
    """Parse one IPv4 or IPv6 address, or raise ValueError saying what is wrong and what to do.

    Accepts a string or an ``ipaddress`` address object. Surrounding whitespace is ignored.
    IPv6 zone ids are kept (``fe80::1%lo``). A bracketed IPv6 literal as written in URLs
    (``[::1]``, RFC 3986) is accepted and the brackets dropped; with a port (``[::1]:8080``)
    it is refused like ``127.0.0.1:8080``. Everything inet_aton tolerates but Python's
    ipaddress does not (``127.1``, ``0177.0.0.1``, ``0x7f.0.0.1``) is refused with the
    reading inet_aton would have made, because it is ambiguous.

    >>> parse_address("127.0.0.1")
    IPv4Address('127.0.0.1')
    >>> parse_address("[::1]")
    IPv6Address('::1')
    >>> parse_address("127.0.0.1:8080")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: '127.0.0.1:8080' is an address with a port: drop the port ':8080' and ...

    Introduced in notebooks/01-loopback-range.ipynb.
    """
    if isinstance(text, (ipaddress.IPv4Interface, ipaddress.IPv6Interface)):
        raise ValueError(f"{str(text)!r} is an interface (address plus prefix length): "
                         "pass its .ip for the address or its .network for the block")
    if isinstance(text, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
        return text
    if isinstance(text, (ipaddress.IPv4Network, ipaddress.IPv6Network)):
        return parse_address(str(text))  # a CIDR block: the message below explains
    if not isinstance(text, str):
        hint = ": for an integer use ipaddress.ip_address(n)" if isinstance(text, int) else ""
        raise TypeError(f"expected a str or an ipaddress address, not {type(text).__name__}{hint}")
    s = text.strip()
    if not s:
        raise ValueError("empty input: type an address such as 127.0.0.1 or ::1")
    if any(c.isspace() for c in s):
        raise ValueError(f"{s!r} contains a space: type one address, such as 127.0.0.1")
    if s.startswith("["):
        m = re.fullmatch(r"\[([^\[\]]*)\](?::(\d*))?", s)
        if not m:
            raise ValueError(f"{s!r} has unbalanced brackets: write [::1] or just ::1")
        if m[2] is not None:
            raise ValueError(f"{s!r} is an address with a port: drop the port ':{m[2]}' and "
                             f"pass {m[1]} (ports go to bind/connect, not into the address)")
        if ":" not in m[1]:
            raise ValueError(f"{s!r}: brackets are only for IPv6 literals in URLs (RFC 3986); "
                             f"write {m[1]} without them")
        s = m[1]
    if "/" in s:
        try:
            first = f"such as {ipaddress.ip_network(s, strict=False).network_address}"
        except ValueError:
            first = "without the /prefix"
        raise ValueError(f"{s!r} is a CIDR block (network/prefix length), not one address: pass "
                         f"one address {first}, or use range_facts({s!r}) or "
                         "ipaddress.ip_network() for the block")
    if "%" in s:
        host, zone = s.split("%", 1)
        if ":" not in host:
            raise ValueError(f"{s!r}: a zone id (%{zone}) belongs to an IPv6 link-local "
                             f"address; IPv4 has none, so drop '%{zone}'")
        if not zone:
            raise ValueError(f"{s!r} has an empty zone id: drop the '%' or name an interface, "
                             "e.g. fe80::1%lo")
    m = re.fullmatch(r"([^:]+):(\d+)", s)
    if m:
        if _HOSTNAME.fullmatch(m[1]):
            raise ValueError(f"{s!r} is a host name with a port: drop ':{m[2]}', then resolve "
                             f"the name first, e.g. socket.getaddrinfo({m[1]!r}, None) "
                             "(lesson 02), and classify the addresses it returns")
        raise ValueError(f"{s!r} is an address with a port: drop the port ':{m[2]}' and pass "
                         f"{m[1]} (ports go to bind/connect, not into the address)")
    if ":" in s:
        try:
            return ipaddress.IPv6Address(s)
        except ValueError as exc:
            raise ValueError(f"{s!r} is not a valid IPv6 address ({exc}): write up to 8 groups "
                             "of 1 to 4 hex digits with at most one '::', e.g. ::1") from None
    parts = s.split(".")
    if all(_NUMERIC_PART.fullmatch(p) for p in parts) and any(c.isdigit() for c in s):
        problem = _dotted_problem(s, parts)
        if problem:
            raise ValueError(problem)
        return ipaddress.IPv4Address(s)
    if _HOSTNAME.fullmatch(s):
        raise ValueError(f"{s!r} is a host name, not an address: resolve it first, e.g. "
                         f"socket.getaddrinfo({s!r}, None) (lesson 02), and classify the "
                         "addresses it returns")
    raise ValueError(f"{s!r} is not an IP address: write IPv4 as four numbers 0 to 255 "
                     "(127.0.0.1) or IPv6 as hex groups (::1)")


def is_loopback(address) -> bool:
    """True when packets to ``address`` loop back inside this host.

    - IPv4: all of 127.0.0.0/8 (RFC 1122 section 3.2.1.3), not only 127.0.0.1.
    - IPv6: only ``::1`` (RFC 4291 section 2.5.3).
    - IPv4-mapped IPv6 (``::ffff:127.0.0.1``, RFC 4291 section 2.5.5.2): the mapped IPv4
      address decides, so this is loopback. A dual-stack socket bound to ``::`` sees IPv4
      loopback clients this way. Whether Python's own ``ipaddress`` agrees depends on the
      exact patch release: the fix, gh-117566, is in 3.13, was backported to 3.12
      (gh-118391) and is reported in 3.11.11 through the gh-122792 security backport;
      releases without it (3.11.7, for one) say False for every mapped address, which
      breaks "is this client local?" checks. This function gives the same answer on every
      release; :func:`describe` reports what this interpreter's ``ipaddress`` says.
    - ``::127.0.0.1`` is NOT loopback: it is an IPv4-compatible address, a form RFC 4291
      section 2.5.5.1 deprecated; no stack delivers it to 127.0.0.1, and it is not ``::1``.
    - ``64:ff9b::7f00:1`` is NOT loopback: it is the NAT64 well-known prefix (RFC 6052),
      whose packets go out to a translator; RFC 6052 section 3.1 forbids using that
      prefix for non-global IPv4 addresses such as 127.0.0.1.

    >>> is_loopback("127.42.0.7"), is_loopback("::1"), is_loopback("::ffff:127.0.0.1")
    (True, True, True)
    >>> is_loopback("::127.0.0.1"), is_loopback("64:ff9b::7f00:1")
    (False, False)

    Introduced in notebooks/01-loopback-range.ipynb.
    """
    addr = parse_address(address)
    if addr.version == 6 and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    # Both checks reduce to "inside 127.0.0.0/8" and "== ::1", which ipaddress gets right.
    return addr.is_loopback
