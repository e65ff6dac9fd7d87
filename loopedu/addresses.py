"""Addresses for lesson 01, "the loopback range": parsing, the IANA special-purpose
registries, loopback tests and the 127.0.0.0/8 range math.

Everything here returns plain data; plots and widgets render it elsewhere. Importing this
module only imports the standard library: the registry CSV files in ``loopedu/data`` are
read on first use and cached.

Introduced in notebooks/01-loopback-range.ipynb.
"""

from __future__ import annotations

import csv
import functools
import io
import ipaddress
import re
import socket
from dataclasses import dataclass
from fractions import Fraction
from importlib import resources
from typing import Union

Address = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]
Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]

__all__ = [
    "Footnote",
    "OtherBlock",
    "RangeFacts",
    "RegistryInfo",
    "SpecialPurpose",
    "Slash8",
    "category_of",
    "classify",
    "describe",
    "is_loopback",
    "mask_bits",
    "parse_address",
    "parse_registry_csv",
    "range_facts",
    "registry",
    "registry_info",
    "slash8_map",
]

# --------------------------------------------------------------------------------------
# Where the registries live (see loopedu/data/SOURCES.md)
# --------------------------------------------------------------------------------------

REGISTRIES = {
    "IPv4": {
        "title": "IANA IPv4 Special-Purpose Address Registry",
        "page_url": "https://www.iana.org/assignments/iana-ipv4-special-registry/",
        "csv_url": "https://www.iana.org/assignments/iana-ipv4-special-registry/"
        "iana-ipv4-special-registry-1.csv",
        "xml_url": "https://www.iana.org/assignments/iana-ipv4-special-registry/"
        "iana-ipv4-special-registry.xml",
        "file": "iana-ipv4-special-registry.csv",
    },
    "IPv6": {
        "title": "IANA IPv6 Special-Purpose Address Registry",
        "page_url": "https://www.iana.org/assignments/iana-ipv6-special-registry/",
        "csv_url": "https://www.iana.org/assignments/iana-ipv6-special-registry/"
        "iana-ipv6-special-registry-1.csv",
        "xml_url": "https://www.iana.org/assignments/iana-ipv6-special-registry/"
        "iana-ipv6-special-registry.xml",
        "file": "iana-ipv6-special-registry.csv",
    },
}

# The CSV files carry footnote markers ("False [1]", "192.0.0.0/24 [2]") but not the
# footnotes themselves, which only the registry pages (XHTML/XML) print. Transcribed from
# those pages; the registry's own "[RFC8029]" references are written "RFC 8029" here.
FOOTNOTES = {
    ("IPv4", 1): "Several protocols have been granted exceptions to this rule. "
    "For examples, see RFC 8029 and RFC 5884.",
    ("IPv4", 2): "Not useable unless by virtue of a more specific reservation.",
    ("IPv6", 1): "Unless allowed by a more specific allocation.",
    ("IPv6", 2): "See Section 5 of RFC 4380 for details.",
    ("IPv6", 3): "See RFC 3056 for details.",
    ("IPv6", 4): "See RFC 4193 for more details on the routability of Unique-Local "
    "addresses. The Unique-Local prefix is drawn from the IPv6 Global Unicast Address "
    "range, but is specified as not globally routed.",
}

# What footnote [1] of 127/8 means for a learner (RFC 8029 section 2.1 and RFC 5884).
FOOTNOTE_EXPLANATIONS = {
    ("IPv4", 1): "For 127/8 this means: MPLS LSP Ping (RFC 8029) and BFD for MPLS LSPs "
    "(RFC 5884) put 127/8 destinations in probe packets on purpose, so that a probe "
    "that leaves its label-switched path is never forwarded as ordinary IP.",
}

_FLAG_COLUMNS = {
    "Source": "source",
    "Destination": "destination",
    "Forwardable": "forwardable",
    "Globally Reachable": "globally_reachable",
    "Global": "globally_reachable",  # the column's name before RFC 8190 (2017)
    "Reserved-by-Protocol": "reserved_by_protocol",
}
# The metadata table of loopedu/data/SOURCES.md sits between these two lines.
SOURCES_BEGIN = "<!-- BEGIN registry-metadata -->"
SOURCES_END = "<!-- END registry-metadata -->"
_REQUIRED_COLUMNS = ("Address Block", "Name", "RFC", "Allocation Date", "Termination Date")
_MARKER = re.compile(r"\s*\[(\d+)\]")


@dataclass(frozen=True)
class Footnote:
    """A registry footnote and the columns of one entry that carry its marker.

    >>> print(classify("127.0.0.1").footnotes[0])  # doctest: +ELLIPSIS
    [1] on Source, Destination, Forwardable, Globally Reachable: Several protocols ...

    Introduced in notebooks/01-loopback-range.ipynb.
    """

    marker: int
    columns: tuple[str, ...]
    text: str

    def __str__(self) -> str:
        return f"[{self.marker}] on {', '.join(self.columns)}: {self.text}"


@dataclass(frozen=True)
class SpecialPurpose:
    """One entry (one address block) of an IANA special-purpose address registry.

    The five flags are ``True``/``False``, or ``None`` where the registry says "N/A" or
    leaves the cell blank (terminated entries). ``rfc`` is readable ("RFC 1122, Section
    3.2.1.3"); ``rfc_raw`` is the cell as IANA writes it.

    >>> entry = classify("127.0.0.1")
    >>> entry.network, entry.name, entry.rfc
    (IPv4Network('127.0.0.0/8'), 'Loopback', 'RFC 1122, Section 3.2.1.3')
    >>> entry.destination, entry.reserved_by_protocol
    (False, True)

    Introduced in notebooks/01-loopback-range.ipynb.
    """

    network: Network
    name: str
    rfc: str
    allocation_date: str
    termination_date: str | None
    registry: str
    source: bool | None
    destination: bool | None
    forwardable: bool | None
    globally_reachable: bool | None
    reserved_by_protocol: bool | None
    footnotes: tuple[Footnote, ...] = ()
    rfc_raw: str = ""

    @property
    def rfc_numbers(self) -> tuple[int, ...]:
        """RFC numbers cited, in order: ``(1122,)`` for 127/8."""
        return tuple(int(n) for n in re.findall(r"\[RFC(\d+)\]", self.rfc_raw))

    @property
    def terminated(self) -> bool:
        """True when the registry gives a termination date (the block was retired)."""
        return self.termination_date is not None

    def flags(self) -> dict[str, bool | None]:
        """The five flags by their registry column names."""
        return {
            "Source": self.source,
            "Destination": self.destination,
            "Forwardable": self.forwardable,
            "Globally Reachable": self.globally_reachable,
            "Reserved-by-Protocol": self.reserved_by_protocol,
        }


@dataclass(frozen=True)
class OtherBlock:
    """A special block that the special-purpose registries do not list (multicast)."""

    network: Network
    name: str
    rfc: str
    source: str


# Multicast is governed by the address-space registries, not the special-purpose ones.
OTHER_BLOCKS = (
    OtherBlock(
        ipaddress.ip_network("224.0.0.0/4"),
        "Multicast",
        "RFC 5771",
        "IANA IPv4 Address Space Registry (224/8 to 239/8: Multicast, formerly "
        "'Class D'), https://www.iana.org/assignments/ipv4-address-space/",
    ),
    OtherBlock(
        ipaddress.ip_network("ff00::/8"),
        "Multicast",
        "RFC 4291, Section 2.7",
        "IANA IPv6 Address Space Registry, https://www.iana.org/assignments/ipv6-address-space/",
    ),
)


@dataclass(frozen=True)
class RegistryInfo:
    """Where a shipped registry file came from (read from ``loopedu/data/SOURCES.md``).

    >>> info = registry_info("IPv4")
    >>> info.page_url
    'https://www.iana.org/assignments/iana-ipv4-special-registry/'

    Introduced in notebooks/01-loopback-range.ipynb.
    """

    registry: str
    title: str
    page_url: str
    csv_url: str
    file: str
    last_updated: str
    retrieved: str
    sha256: str

    def citation(self) -> str:
        """One line naming the registry, its "Last Updated" date and its URL."""
        return f"{self.title}, last updated {self.last_updated} ({self.page_url})"


# --------------------------------------------------------------------------------------
# Reading the registries
# --------------------------------------------------------------------------------------


def _check_registry_name(registry_name: str) -> None:
    if registry_name not in REGISTRIES:
        raise ValueError(f"registry must be 'IPv4' or 'IPv6', not {registry_name!r}")


def _readable_rfc(raw: str) -> str:
    text = " ".join(raw.split())
    refs = [re.sub(r"^RFC(\d+)$", r"RFC \1", ref) for ref in re.findall(r"\[([^\]]+)\]", text)]
    rest = re.sub(r"\[[^\]]+\]", "", text).strip(" ,")
    return ", ".join(refs + ([rest] if rest else []))


def _split_markers(cell: str) -> tuple[str, tuple[int, ...]]:
    markers = tuple(int(m) for m in _MARKER.findall(cell))
    return _MARKER.sub("", cell).strip(), markers


def _flag(value: str, column: str, block: str) -> bool | None:
    if value in ("True", "False"):
        return value == "True"
    if value in ("N/A", ""):
        return None
    raise ValueError(f"registry row {block!r}: column {column!r} holds {value!r}, "
                     "expected True, False, N/A or nothing")


def parse_registry_csv(text: str, registry_name: str) -> list[SpecialPurpose]:
    """Parse the text of an IANA special-purpose registry CSV into entries.

    Handles IANA's format: quoted cells spanning two lines, footnote markers such as
    ``"192.0.0.0/24 [2]"`` and ``"False [1]"``, and one cell holding two blocks
    (``"192.0.0.170/32, 192.0.0.171/32"``, which becomes two entries). Raises ValueError
    naming the row if the format changed.

    >>> rows = parse_registry_csv(
    ...     'Address Block,Name,RFC,Allocation Date,Termination Date,Source,Destination,'
    ...     'Forwardable,Globally Reachable,Reserved-by-Protocol\\r\\n'
    ...     '127.0.0.0/8,Loopback,"[RFC1122], Section 3.2.1.3",1981-09,N/A,'
    ...     'False [1],False [1],False [1],False [1],True\\r\\n', "IPv4")
    >>> rows[0].network, rows[0].forwardable, rows[0].footnotes[0].marker
    (IPv4Network('127.0.0.0/8'), False, 1)

    Introduced in notebooks/01-loopback-range.ipynb.
    """
    _check_registry_name(registry_name)
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    header = reader.fieldnames or []
    missing = [c for c in _REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ValueError(f"{registry_name} registry CSV has no column {missing[0]!r}: "
                         f"the header is {header!r}; IANA may have changed the format")
    flag_columns = [c for c in header if c in _FLAG_COLUMNS]
    if len({_FLAG_COLUMNS[c] for c in flag_columns}) != 5:
        raise ValueError(f"{registry_name} registry CSV lacks some of the five flag columns "
                         f"{sorted(set(_FLAG_COLUMNS) - {'Global'})}: the header is {header!r}")
    version = 4 if registry_name == "IPv4" else 6
    entries = []
    for row in reader:
        block_cell, block_markers = _split_markers(row["Address Block"])
        flags: dict[str, bool | None] = dict.fromkeys(set(_FLAG_COLUMNS.values()))
        marked: dict[int, list[str]] = {m: ["Address Block"] for m in block_markers}
        for column in flag_columns:
            value, markers = _split_markers(row[column] or "")
            flags[_FLAG_COLUMNS[column]] = _flag(value, column, block_cell)
            for m in markers:
                marked.setdefault(m, []).append(
                    "Globally Reachable" if column == "Global" else column)
        footnotes = tuple(
            Footnote(m, tuple(cols), FOOTNOTES.get(
                (registry_name, m), "(text not transcribed: see the registry page)"))
            for m, cols in sorted(marked.items()))
        termination = row["Termination Date"].strip()
        for block in block_cell.split(","):
            try:
                network = ipaddress.ip_network(block.strip())
            except ValueError as exc:
                raise ValueError(
                    f"{registry_name} registry: bad address block {block!r}: {exc}") from None
            if network.version != version:
                raise ValueError(
                    f"{registry_name} registry holds {network}, an IPv{network.version} block")
            entries.append(SpecialPurpose(
                network=network,
                name=" ".join(row["Name"].split()),
                rfc=_readable_rfc(row["RFC"]),
                allocation_date=row["Allocation Date"].strip(),
                termination_date=None if termination in ("N/A", "") else termination,
                registry=registry_name,
                footnotes=footnotes,
                rfc_raw=row["RFC"],
                **flags,
            ))
    if not entries:
        raise ValueError(f"{registry_name} registry CSV has no rows")
    return entries


def _data_text(name: str) -> str:
    # newline="" keeps IANA's CRLF record ends and the LF inside quoted cells apart.
    path = resources.files("loopedu.data").joinpath(name)
    with path.open("r", encoding="utf-8", newline="") as f:
        return f.read()


@functools.lru_cache(maxsize=None)
def registry(registry_name: str = "IPv4") -> tuple[SpecialPurpose, ...]:
    """All entries of the shipped IPv4 or IPv6 special-purpose registry, in IANA's order.

    >>> [str(e.network) for e in registry("IPv6")][:2]
    ['::1/128', '::/128']

    Introduced in notebooks/01-loopback-range.ipynb.
    """
    _check_registry_name(registry_name)
    return tuple(parse_registry_csv(_data_text(REGISTRIES[registry_name]["file"]), registry_name))


def _sources_rows(text: str) -> dict[str, dict[str, str]]:
    """The metadata table between the registry-metadata markers of SOURCES.md."""
    block = text.split(SOURCES_BEGIN, 1)[1].split(SOURCES_END, 1)[0]
    lines = [ln.strip() for ln in block.splitlines() if ln.strip().startswith("|")]
    cells = [[c.strip() for c in ln.strip("|").split("|")] for ln in lines]
    header, rows = cells[0], cells[2:]
    return {row[header.index("registry")]: dict(zip(header, row)) for row in rows}


@functools.lru_cache(maxsize=None)
def registry_info(registry_name: str = "IPv4") -> RegistryInfo:
    """Source URL, IANA "Last Updated" date, retrieval date and SHA-256 of a shipped file.

    >>> registry_info("IPv6").csv_url.endswith("iana-ipv6-special-registry-1.csv")
    True

    Introduced in notebooks/01-loopback-range.ipynb.
    """
    _check_registry_name(registry_name)
    row = _sources_rows(_data_text("SOURCES.md"))[registry_name]
    meta = REGISTRIES[registry_name]
    return RegistryInfo(registry_name, meta["title"], meta["page_url"], meta["csv_url"],
                        row["file"], row["last_updated"], row["retrieved"], row["sha256"])


# --------------------------------------------------------------------------------------
# Parsing what a learner types
# --------------------------------------------------------------------------------------

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
    >>> parse_address("127.0.0.1:8080")
    Traceback (most recent call last):
    ...
    ValueError: '127.0.0.1:8080' is an address with a port: drop the port ':8080' and pass 127.0.0.1 (ports go to bind/connect, not into the address)

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


# --------------------------------------------------------------------------------------
# Classifying
# --------------------------------------------------------------------------------------


def classify(address) -> SpecialPurpose | None:
    """The most specific IANA special-purpose registry entry holding ``address``, or None.

    IPv4 addresses are looked up in the IPv4 registry, IPv6 addresses (IPv4-mapped ones
    included, which land in ``::ffff:0:0/96``) in the IPv6 registry.

    >>> classify("127.255.0.1").name
    'Loopback'
    >>> str(classify("192.0.0.9").network)   # inside 192.0.0.0/24, the /32 wins
    '192.0.0.9/32'
    >>> classify("8.8.8.8") is None
    True

    Introduced in notebooks/01-loopback-range.ipynb.
    """
    addr = parse_address(address)
    holding = [e for e in registry(f"IPv{addr.version}") if addr in e.network]
    return max(holding, key=lambda e: e.network.prefixlen, default=None)


def _other_block(addr: Address) -> OtherBlock | None:
    return next((b for b in OTHER_BLOCKS if b.network.version == addr.version
                 and addr in b.network), None)


def is_loopback(address) -> bool:
    """True when packets to ``address`` loop back inside this host.

    - IPv4: all of 127.0.0.0/8 (RFC 1122 section 3.2.1.3), not only 127.0.0.1.
    - IPv6: only ``::1`` (RFC 4291 section 2.5.3).
    - IPv4-mapped IPv6 (``::ffff:127.0.0.1``): the mapped IPv4 address decides, so this is
      loopback. A dual-stack socket bound to ``::`` sees IPv4 loopback clients this way.
      Python 3.11's ``ipaddress`` says False here (fixed in 3.13, gh-117566), which breaks
      "is this client local?" checks; this function does not depend on the version.
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


def _loopback_note(addr: Address) -> str:
    """Why the loopback answer may surprise, for the three IPv6 forms that embed IPv4."""
    if addr.version != 6:
        return ""
    if addr.ipv4_mapped is not None:
        said = ipaddress.ip_address(str(addr)).is_loopback
        return (f" (decided by the mapped IPv4 address {addr.ipv4_mapped}; this Python's "
                f"ipaddress says is_loopback={said}: before 3.13 it ignored mapped "
                "addresses, gh-117566)")
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


# --------------------------------------------------------------------------------------
# Range math
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RangeFacts:
    """Computed facts about one address block (see :func:`range_facts`)."""

    network: Network
    version: int
    prefixlen: int
    num_addresses: int
    fraction_of_space: Fraction
    netmask: str
    hostmask: str
    mask_bits: str
    first: Address
    last: Address
    usable_hosts_rfc1122: int
    ordinarily_used: Network | None
    ordinarily_used_source: str | None


def mask_bits(prefixlen: int, version: int = 4) -> str:
    """The netmask of a prefix length written in binary, one group per octet (IPv4) or
    per 16-bit group (IPv6).

    >>> mask_bits(8)
    '11111111.00000000.00000000.00000000'
    >>> mask_bits(20)
    '11111111.11111111.11110000.00000000'

    Introduced in notebooks/01-loopback-range.ipynb.
    """
    width, group, sep = (32, 8, ".") if version == 4 else (128, 16, ":")
    if version not in (4, 6):
        raise ValueError(f"version must be 4 or 6, not {version!r}")
    if isinstance(prefixlen, bool) or not isinstance(prefixlen, int) or not 0 <= prefixlen <= width:
        raise ValueError(f"prefix length must be a whole number 0 to {width} for IPv{version}, "
                         f"not {prefixlen!r}")
    bits = "1" * prefixlen + "0" * (width - prefixlen)
    return sep.join(bits[i:i + group] for i in range(0, width, group))


def range_facts(network="127.0.0.0/8") -> RangeFacts:
    """Size, share of the address space, masks, first/last and usable hosts of a block,
    computed with ``ipaddress`` (nothing here is a stored number).

    ``usable_hosts_rfc1122`` leaves out the all-zeros and all-ones host numbers, which
    RFC 1122 section 3.2.1.3 forbids as host addresses (IPv4 blocks up to /30; IPv6 has no
    broadcast, so every address counts). ``ordinarily_used`` is what RFC 5735 section 3 says
    stacks ordinarily configure inside 127.0.0.0/8: only 127.0.0.1/32 (Linux routes all
    of it to ``lo``; macOS configures only 127.0.0.1), and ``::1/128`` for IPv6.

    >>> facts = range_facts()
    >>> facts.num_addresses, facts.fraction_of_space, facts.netmask
    (16777216, Fraction(1, 256), '255.0.0.0')
    >>> str(facts.first), str(facts.last), facts.usable_hosts_rfc1122
    ('127.0.0.0', '127.255.255.255', 16777214)

    Introduced in notebooks/01-loopback-range.ipynb.
    """
    try:
        net = ipaddress.ip_network(str(network), strict=True)
    except ValueError as exc:
        raise ValueError(f"{str(network)!r} is not a network block ({exc}): write it as "
                         "first-address/prefix-length, e.g. 127.0.0.0/8") from None
    width = net.max_prefixlen
    if net.version == 4 and net.prefixlen <= 30:
        usable = net.num_addresses - 2
    else:
        usable = net.num_addresses
    ordinary, ordinary_source = None, None
    loopback_host = ipaddress.ip_address("127.0.0.1" if net.version == 4 else "::1")
    ends = (net.network_address, net.broadcast_address)
    if loopback_host in net and all(is_loopback(a) for a in ends):
        ordinary = ipaddress.ip_network(f"{loopback_host}/{width}")
        ordinary_source = ("RFC 5735, Section 3: 'ordinarily implemented using only 127.0.0.1/32'"
                           if net.version == 4 else "RFC 4291, Section 2.5.3: one loopback address")
    return RangeFacts(
        network=net,
        version=net.version,
        prefixlen=net.prefixlen,
        num_addresses=net.num_addresses,
        fraction_of_space=Fraction(net.num_addresses, 2 ** width),
        netmask=str(net.netmask),
        hostmask=str(net.hostmask),
        mask_bits=mask_bits(net.prefixlen, net.version),
        first=net.network_address,
        last=net.broadcast_address,
        usable_hosts_rfc1122=usable,
        ordinarily_used=ordinary,
        ordinarily_used_source=ordinary_source,
    )


# --------------------------------------------------------------------------------------
# The IPv4 space in /8 blocks
# --------------------------------------------------------------------------------------

CATEGORIES = ("loopback", "this network", "private", "shared", "link-local", "documentation",
              "benchmarking", "multicast", "reserved", "other special")
_CATEGORY_WORDS = (("loopback", "loopback"), ("this network", "this network"),
                   ("this host", "this network"), ("private", "private"), ("shared", "shared"),
                   ("link local", "link-local"), ("link-local", "link-local"),
                   ("documentation", "documentation"), ("benchmark", "benchmarking"),
                   ("multicast", "multicast"), ("reserved", "reserved"))


def category_of(name: str) -> str:
    """The teaching category of a registry entry name.

    >>> category_of("Private-Use"), category_of("AMT")
    ('private', 'other special')

    Introduced in notebooks/01-loopback-range.ipynb.
    """
    lowered = name.lower()
    return next((cat for word, cat in _CATEGORY_WORDS if word in lowered), "other special")


@dataclass(frozen=True)
class Slash8:
    """One /8 block of the IPv4 space and the special blocks inside or around it."""

    first_octet: int
    network: ipaddress.IPv4Network
    category: str | None
    label: str
    whole: bool
    blocks: tuple[str, ...]
    source: str


def slash8_map() -> list[Slash8]:
    """The 256 /8 blocks of IPv4, each with the special-purpose blocks that touch it.

    ``whole`` is True when one special block covers the whole /8 (then ``category`` is that
    block's); otherwise ``category`` is that of the largest special block inside, or None
    when there is none. Built from the IPv4 special-purpose registry plus multicast
    224.0.0.0/4, which that registry does not list (IANA IPv4 Address Space, RFC 5771).

    >>> row = slash8_map()[127]
    >>> row.category, row.whole, row.label
    ('loopback', True, 'Loopback 127.0.0.0/8')

    Introduced in notebooks/01-loopback-range.ipynb.
    """
    entries = [(e.network, e.name, registry_info("IPv4").title) for e in registry("IPv4")]
    entries += [(b.network, b.name, b.source) for b in OTHER_BLOCKS if b.network.version == 4]
    rows = []
    for octet in range(256):
        slash8 = ipaddress.IPv4Network(f"{octet}.0.0.0/8")
        covering = [e for e in entries if slash8.subnet_of(e[0])]
        inside = sorted((e for e in entries if e[0].subnet_of(slash8) and e[0] != slash8),
                        key=lambda e: e[0])
        blocks = tuple(f"{net} {name}" for net, name, _ in covering + inside)
        if covering:
            net, name, source = max(covering, key=lambda e: e[0].prefixlen)
            rows.append(Slash8(octet, slash8, category_of(name), f"{name} {net}", True,
                               blocks, source))
        elif inside:
            top = [e for e in inside
                   if not any(o is not e and e[0].subnet_of(o[0]) for o in inside)]
            net, name, source = max(top, key=lambda e: e[0].num_addresses)
            label = "; ".join(f"{n} {nt}" for nt, n, _ in top)
            rows.append(Slash8(octet, slash8, category_of(name), label, False, blocks, source))
        else:
            rows.append(Slash8(octet, slash8, None, "", False, (), ""))
    return rows
