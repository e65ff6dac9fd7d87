"""The IANA special-purpose address registries: their entries, where the shipped copies
came from, and the most specific entry holding an address.

The CSV files in ``loopedu/data`` are read with importlib.resources on first use and
cached; importing this module reads nothing. Standard library only.

Introduced in notebooks/01-loopback-range.ipynb.
"""

from __future__ import annotations

import csv
import functools
import io
import ipaddress
import re
from dataclasses import dataclass
from importlib import resources

from .parsing import Network, parse_address

__all__ = ["FOOTNOTES", "FOOTNOTE_EXPLANATIONS", "OTHER_BLOCKS", "REGISTRIES", "SOURCES_BEGIN",
           "SOURCES_END", "Footnote", "OtherBlock", "RegistryInfo", "SpecialPurpose", "classify",
           "parse_registry_csv", "registry", "registry_info"]

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
