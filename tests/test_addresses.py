"""Tests for loopedu.addresses, the shipped IANA registries, their refresh tool and the
classifier widget (lesson 01). Expected values come from the RFCs and registries cited
next to them (written here by hand or as integer arithmetic), from the C library's
inet_aton, or from the shipped files read directly; never from the code under test, and
never from Python's ipaddress for what loopedu.addresses corrects in it."""

import hashlib
import importlib.util
import ipaddress
import platform
import random
import re
import socket
import subprocess
import sys
import urllib.error
from fractions import Fraction
from importlib import resources
from pathlib import Path

import pytest

import loopedu
from loopedu import addresses
from loopedu.addresses import (
    classify,
    describe,
    is_loopback,
    mask_bits,
    parse_address,
    range_facts,
    slash8_map,
)
from loopedu.addresses import report as report_module
from loopedu.addresses.registries import _sources_rows

# the refresh tool is maintainer tooling, outside the package: tools/refresh_iana.py
_TOOL = importlib.util.spec_from_file_location(
    "refresh_iana", Path(__file__).resolve().parents[1] / "tools" / "refresh_iana.py")
refresh = importlib.util.module_from_spec(_TOOL)
_TOOL.loader.exec_module(refresh)

ROOT = Path(loopedu.__file__).parent.parent
DATA = ROOT / "loopedu" / "data"


def dotted(n):
    """An IPv4 address written from its 32-bit integer, without ipaddress."""
    return ".".join(str((n >> shift) & 0xFF) for shift in (24, 16, 8, 0))


def hex_groups(n):
    """An IPv6 address written from its 128-bit integer as 8 hex groups, without ipaddress."""
    return ":".join(f"{(n >> (112 - 16 * i)) & 0xFFFF:x}" for i in range(8))


def last_updated_in_sources_md(registry_name):
    """The last_updated cell of a registry's row in SOURCES.md, read with a regex."""
    text = (DATA / "SOURCES.md").read_text(encoding="utf-8")
    return re.search(rf"^\| {registry_name} \| [^|]+\| (\d{{4}}-\d{{2}}-\d{{2}}) \|", text, re.M)[1]


def entries(name):
    return {str(e.network): e for e in addresses.registry(name)}


# --------------------------------------------------------------------------------------
# The shipped data
# --------------------------------------------------------------------------------------

# The newest entries found (loopedu/data/SOURCES.md); a reverted, older file lacks some.
NEWEST = [
    ("IPv6", "100:0:0:1::/64", "Dummy IPv6 Prefix", "RFC 9780", "2025-04"),
    ("IPv6", "3fff::/20", "Documentation", "RFC 9637", "2024-07"),
    ("IPv6", "5f00::/16", "Segment Routing (SRv6) SIDs", "RFC 9602", "2024-04"),
    ("IPv6", "2001:1::3/128", "DNS-SD Service Registration Protocol Anycast", "RFC 9665",
     "2024-04"),
    ("IPv4", "192.88.99.2/32", "6a44-relay anycast address", "RFC 6751", "2012-10"),
    ("IPv4", "0.0.0.0/8", '"This network"', "RFC 791, Section 3.2", "1981-09"),
    ("IPv4", "0.0.0.0/32", '"This host on this network"', "RFC 1122, Section 3.2.1.3", "1981-09"),
    ("IPv4", "192.0.0.170/32", "NAT64/DNS64 Discovery", "RFC 8880, RFC 7050, Section 2.2",
     "2013-02"),
]


@pytest.mark.parametrize("reg, block, name, rfc, date", NEWEST)
def test_shipped_registries_hold_the_newest_entries_found(reg, block, name, rfc, date):
    entry = entries(reg)[block]
    assert (entry.name, entry.rfc, entry.allocation_date) == (name, rfc, date)


def test_shipped_registries_are_the_2025_10_09_versions():
    for name in ("IPv4", "IPv6"):
        assert addresses.registry_info(name).last_updated >= "2025-10-09"


def test_shipped_files_match_their_recorded_sha256():
    # SOURCES.md records the SHA-256 of each file; an edited or re-encoded file fails.
    for name in ("IPv4", "IPv6"):
        info = addresses.registry_info(name)
        data = (DATA / info.file).read_bytes()
        assert hashlib.sha256(data).hexdigest() == info.sha256


def test_shipped_files_keep_ianas_line_endings():
    # IANA ends each record with CRLF and puts a bare LF inside the two-line quoted cells;
    # an editor or Git that converted them would break the SHA-256 match with iana.org.
    for name in ("iana-ipv4-special-registry.csv", "iana-ipv6-special-registry.csv"):
        data = (DATA / name).read_bytes()
        assert data.endswith(b"\r\n") and data.count(b"\r\n") > 25
        assert data.replace(b"\r\n", b"").count(b"\n") >= 1  # the multi-line cells


def test_every_record_becomes_an_entry():
    # Counted from the raw bytes (records end with CRLF, header excluded), not with csv.
    # The 2025-10-09 versions have 25 records each (as users of those files counted them);
    # one IPv4 record holds two blocks, 192.0.0.170/32 and 192.0.0.171/32.
    records = {n: (DATA / f"iana-{n.lower()}-special-registry.csv").read_bytes().count(b"\r\n") - 1
               for n in ("IPv4", "IPv6")}
    assert records["IPv4"] >= 25 and records["IPv6"] >= 25
    assert len(addresses.registry("IPv4")) == records["IPv4"] + 1
    assert len(addresses.registry("IPv6")) == records["IPv6"]


def test_two_blocks_in_one_cell_become_two_entries():
    v4 = entries("IPv4")
    assert v4["192.0.0.170/32"].name == v4["192.0.0.171/32"].name == "NAT64/DNS64 Discovery"
    assert v4["192.0.0.171/32"].reserved_by_protocol is True


def test_multi_line_quoted_cells_are_read_whole():
    # RFC cell of 255.255.255.255/32 spans two lines: "[RFC8190]\n        [RFC919], Section 7"
    broadcast = entries("IPv4")["255.255.255.255/32"]
    assert broadcast.rfc == "RFC 8190, RFC 919, Section 7"
    assert broadcast.rfc_numbers == (8190, 919)
    assert entries("IPv6")["fc00::/7"].rfc == "RFC 4193, RFC 8190"


def test_footnote_markers_on_blocks_and_flags():
    v4, v6 = entries("IPv4"), entries("IPv6")
    # "192.0.0.0/24 [2]": the marker is not part of the block.
    assert [(n.marker, n.columns) for n in v4["192.0.0.0/24"].footnotes] == [
        (2, ("Address Block",))]
    assert "more specific reservation" in v4["192.0.0.0/24"].footnotes[0].text
    # "2002::/16 [3]" and "N/A [3]"
    assert v6["2002::/16"].footnotes[0].columns == ("Address Block", "Globally Reachable")
    assert v6["2002::/16"].globally_reachable is None


def test_127_8_flags_and_footnote():
    # RFC 6890 / IANA: Source, Destination, Forwardable, Globally Reachable False [1];
    # Reserved-by-Protocol True. Footnote [1]: exceptions such as RFC 8029 and RFC 5884.
    loop = entries("IPv4")["127.0.0.0/8"]
    assert (loop.source, loop.destination, loop.forwardable, loop.globally_reachable,
            loop.reserved_by_protocol) == (False, False, False, False, True)
    assert loop.rfc == "RFC 1122, Section 3.2.1.3" and loop.allocation_date == "1981-09"
    assert loop.termination_date is None and loop.registry == "IPv4"
    (note,) = loop.footnotes
    assert note.marker == 1
    assert note.columns == ("Source", "Destination", "Forwardable", "Globally Reachable")
    assert "RFC 8029" in note.text and "RFC 5884" in note.text


def test_every_footnote_marker_has_its_text():
    for name in ("IPv4", "IPv6"):
        for entry in addresses.registry(name):
            for note in entry.footnotes:
                assert (name, note.marker) in addresses.FOOTNOTES, (entry.network, note.marker)


def test_terminated_entries_have_no_flags():
    orchid = entries("IPv6")["2001:10::/28"]
    assert orchid.termination_date == "2014-03" and orchid.terminated
    assert set(orchid.flags().values()) == {None}


def test_parser_rejects_a_changed_format():
    with pytest.raises(ValueError, match="Address Block"):
        addresses.parse_registry_csv("Prefix,Name\n1.0.0.0/8,x\n", "IPv4")
    header = ("Address Block,Name,RFC,Allocation Date,Termination Date,Source,Destination,"
              "Forwardable,Globally Reachable,Reserved-by-Protocol\r\n")
    with pytest.raises(ValueError, match="Maybe"):
        addresses.parse_registry_csv(header + "10.0.0.0/8,P,[RFC1918],1996-02,N/A,"
                                     "Maybe,True,True,False,False\r\n", "IPv4")
    with pytest.raises(ValueError, match="IPv6 block"):
        addresses.parse_registry_csv(header + "::1/128,L,[RFC4291],2006-02,N/A,"
                                     "False,False,False,False,True\r\n", "IPv4")


def test_parser_reads_the_pre_rfc8190_global_column():
    # Before RFC 8190 (2017) the column was "Global" and markers had no space: "False[1]".
    old = ("Address Block,Name,RFC,Allocation Date,Termination Date,Source,Destination,"
           "Forwardable,Global,Reserved-by-Protocol\n"
           '127.0.0.0/8,Loopback,"[RFC1122], section 3.2.1.3",1981-09,N/A,'
           "False[1],False[1],False[1],False[1],True\n")
    (loop,) = addresses.parse_registry_csv(old, "IPv4")
    assert loop.globally_reachable is False and "Globally Reachable" in loop.footnotes[0].columns


# --------------------------------------------------------------------------------------
# classify
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("address, block, name", [
    ("127.0.0.1", "127.0.0.0/8", "Loopback"),
    ("127.255.255.254", "127.0.0.0/8", "Loopback"),
    ("0.0.0.0", "0.0.0.0/32", '"This host on this network"'),   # /32 inside 0/8
    ("0.1.2.3", "0.0.0.0/8", '"This network"'),
    ("10.1.2.3", "10.0.0.0/8", "Private-Use"),                  # RFC 1918
    ("172.31.255.255", "172.16.0.0/12", "Private-Use"),
    ("100.64.0.1", "100.64.0.0/10", "Shared Address Space"),    # RFC 6598
    ("169.254.169.254", "169.254.0.0/16", "Link Local"),        # RFC 3927
    ("192.0.0.9", "192.0.0.9/32", "Port Control Protocol Anycast"),
    ("192.0.0.100", "192.0.0.0/24", "IETF Protocol Assignments"),
    ("192.88.99.2", "192.88.99.2/32", "6a44-relay anycast address"),
    ("198.19.255.1", "198.18.0.0/15", "Benchmarking"),          # RFC 2544
    ("203.0.113.7", "203.0.113.0/24", "Documentation (TEST-NET-3)"),  # RFC 5737
    ("255.255.255.255", "255.255.255.255/32", "Limited Broadcast"),
    ("250.1.1.1", "240.0.0.0/4", "Reserved"),
    ("::1", "::1/128", "Loopback Address"),                     # RFC 4291
    ("::", "::/128", "Unspecified Address"),
    ("::ffff:127.0.0.1", "::ffff:0:0/96", "IPv4-mapped Address"),
    ("2001::1", "2001::/32", "TEREDO"),                         # inside 2001::/23
    ("2001:1::2", "2001:1::2/128", "Traversal Using Relays around NAT Anycast"),
    ("2001:100::1", "2001::/23", "IETF Protocol Assignments"),
    ("2001:db8::1", "2001:db8::/32", "Documentation"),          # RFC 3849
    ("3fff:fff::1", "3fff::/20", "Documentation"),              # RFC 9637
    ("fd00::1", "fc00::/7", "Unique-Local"),                    # RFC 4193
    ("fe80::1%lo", "fe80::/10", "Link-Local Unicast"),
])
def test_classify_returns_the_most_specific_entry(address, block, name):
    entry = classify(address)
    assert (str(entry.network), entry.name) == (block, name)
    assert ipaddress.ip_address(address.split("%")[0]) in entry.network


def test_more_specific_entries_override_their_parents():
    # 192.0.0.0/24 is not globally reachable, but PCP anycast 192.0.0.9/32 inside it is.
    assert classify("192.0.0.9").globally_reachable is True
    assert classify("192.0.0.11").globally_reachable is False


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "128.0.0.1", "126.255.255.255",
                                     "2606:4700:4700::1111", "224.0.0.1"])
def test_ordinary_and_multicast_addresses_have_no_entry(address):
    assert classify(address) is None


def test_classify_accepts_ipaddress_objects():
    assert classify(ipaddress.ip_address("127.0.0.1")).name == "Loopback"
    assert classify(ipaddress.IPv6Address("::1")).name == "Loopback Address"


def test_classify_finds_loopback_and_link_local_exactly_in_their_blocks():
    # 127.0.0.0/8 (RFC 1122 3.2.1.3) and 169.254.0.0/16 (RFC 3927), by integer arithmetic;
    # the registry lists nothing more specific inside either block.
    rng = random.Random(1)
    samples = [rng.getrandbits(32) for _ in range(2000)]
    samples += [0x7F000000 | rng.getrandbits(24) for _ in range(100)]
    samples += [0xA9FE0000 | rng.getrandbits(16) for _ in range(100)]
    samples += [0x7EFFFFFF, 0x7F000000, 0x7FFFFFFF, 0x80000000,
                0xA9FDFFFF, 0xA9FE0000, 0xA9FEFFFF, 0xA9FF0000]
    for n in samples:
        entry = classify(dotted(n))
        name = entry.name if entry is not None else None
        assert (name == "Loopback") is (n >> 24 == 127), dotted(n)
        assert (name == "Link Local") is (n >> 16 == 0xA9FE), dotted(n)


def test_special_purpose_is_frozen():
    with pytest.raises(AttributeError):
        classify("127.0.0.1").name = "x"


# --------------------------------------------------------------------------------------
# is_loopback
# --------------------------------------------------------------------------------------


def ipv6_is_loopback_by_the_rfcs(n):
    """RFC 4291 section 2.5.3: only ::1. Section 2.5.5.2: ::ffff:0:0/96 (80 zero bits, 16
    one bits) stands for the IPv4 address in its last 32 bits, so 127/8 there is loopback.
    Every other address embedding IPv4 (IPv4-compatible ::/96, NAT64 64:ff9b::/96) is not."""
    if n >> 32 == 0xFFFF:
        return (n & 0xFFFFFFFF) >> 24 == 127
    return n == 1


def test_ipv4_loopback_is_all_of_127_8():
    # RFC 1122 section 3.2.1.3 (g): {127, <any>} is the internal host loopback address.
    rng = random.Random(2)
    samples = [rng.getrandbits(32) for _ in range(3000)]
    samples += [0x7F000000 | rng.getrandbits(24) for _ in range(300)]
    samples += [0, 0x7EFFFFFF, 0x7F000000, 0x7F000001, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF]
    for n in samples:
        assert is_loopback(dotted(n)) is (n >> 24 == 127), dotted(n)
        assert is_loopback(ipaddress.IPv4Address(n)) is (n >> 24 == 127), dotted(n)


def test_ipv6_loopback_is_only_colon_colon_1_or_a_mapped_127_address():
    rng = random.Random(3)
    samples = [rng.getrandbits(128) for _ in range(2000)]
    samples += [(0xFFFF << 32) | rng.getrandbits(32) for _ in range(1000)]         # mapped
    samples += [(0xFFFF << 32) | (127 << 24) | rng.getrandbits(24) for _ in range(300)]
    samples += [rng.getrandbits(32) for _ in range(300)]                 # IPv4-compatible
    samples += [(0x64FF9B << 96) | rng.getrandbits(32) for _ in range(300)]         # NAT64
    samples += [0, 1, 2, 0x7F000001, (0xFFFF << 32) | 0x7EFFFFFF, (0xFFFF << 32) | 0x7F000000,
                (0xFFFF << 32) | 0x7FFFFFFF, (0xFFFF << 32) | 0x80000000,
                (0xFFFE << 32) | 0x7F000001, (0x1FFFF << 32) | 0x7F000001]
    for n in samples:
        assert is_loopback(hex_groups(n)) is ipv6_is_loopback_by_the_rfcs(n), hex_groups(n)


def test_ipv4_mapped_dotted_form_follows_the_ipv4_address():
    # RFC 4291 section 2.5.5.2, written as people write it (RFC 5952 section 5).
    rng = random.Random(4)
    samples = [rng.getrandbits(32) for _ in range(1000)]
    samples += [0x7F000000 | rng.getrandbits(24) for _ in range(200)]
    samples += [0, 0x7EFFFFFF, 0x7F000000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF]
    for n in samples:
        assert is_loopback(f"::ffff:{dotted(n)}") is (n >> 24 == 127), dotted(n)


@pytest.mark.parametrize("address, expected", [
    # RFC 1122 3.2.1.3: the whole /8, and nothing next to it
    ("127.0.0.1", True), ("127.0.0.0", True), ("127.255.255.255", True), ("127.42.0.7", True),
    ("126.255.255.255", False), ("128.0.0.0", False), ("0.0.0.0", False),
    # RFC 4291 2.5.3: only ::1; 2.5.2: :: is unspecified
    ("::1", True), ("::1%lo", True), ("0:0:0:0:0:0:0:1", True), ("[::1]", True),
    ("::", False), ("::2", False), ("fe80::1", False), ("2001:db8::1", False),
    # RFC 4291 2.5.5.2: IPv4-mapped, the IPv4 address decides
    ("::ffff:127.0.0.1", True), ("::ffff:127.1.2.3", True), ("::FFFF:7F00:1", True),
    ("::ffff:126.255.255.255", False), ("::ffff:128.0.0.0", False), ("::ffff:10.0.0.1", False),
    # RFC 4291 2.5.5.1: IPv4-compatible (deprecated) is not loopback
    ("::127.0.0.1", False), ("::7f00:1", False),
    # RFC 6052: the NAT64 well-known prefix goes to a translator
    ("64:ff9b::7f00:1", False), ("64:ff9b::127.0.0.1", False),
    # one bit off the mapped prefix: not mapped, so only ::1 would do
    ("::fffe:7f00:1", False), ("0:0:0:0:1:ffff:7f00:1", False),
])
def test_is_loopback_hand_written_cases(address, expected):
    assert is_loopback(address) is expected


def test_is_loopback_accepts_ipaddress_objects():
    assert is_loopback(ipaddress.IPv6Address("::ffff:127.0.0.1")) is True
    assert is_loopback(ipaddress.IPv6Address("::ffff:8.8.8.8")) is False


# --------------------------------------------------------------------------------------
# parse_address: every error names the problem and what to do
# --------------------------------------------------------------------------------------


def error_of(text):
    with pytest.raises(ValueError) as info:
        parse_address(text)
    return str(info.value)


def aton(text):
    """How the C library reads text: the reference for shorthand and octal."""
    return str(ipaddress.IPv4Address(socket.inet_aton(text)))


@pytest.mark.parametrize("text, octet, value", [
    ("127.0.0.256", "fourth", "256"), ("300.0.0.1", "first", "300"), ("1.999.0.0", "second", "999"),
])
def test_octet_over_255_is_named(text, octet, value):
    message = error_of(text)
    assert f"{octet} octet ({value})" in message and "over 255" in message


@pytest.mark.parametrize("name", ["localhost", "example.com", "ip6-localhost", "LOCALHOST."])
def test_a_name_says_resolve_it_first(name):
    message = error_of(name)
    assert "host name" in message and "resolve it first" in message
    assert "socket.getaddrinfo" in message


def test_name_with_port():
    message = error_of("localhost:8080")
    assert "':8080'" in message and "resolve" in message and "getaddrinfo" in message


@pytest.mark.parametrize("text, address", [("127.0.0.1:8080", "127.0.0.1"), ("[::1]:8080", "::1")])
def test_an_address_with_a_port_says_drop_the_port(text, address):
    message = error_of(text)
    assert "port" in message and "drop the port ':8080'" in message and f"pass {address}" in message


@pytest.mark.parametrize("text", ["127.0.0.0/8", "::1/128", "127.0.0.1/8"])
def test_a_cidr_block_is_not_an_address(text):
    message = error_of(text)
    assert "CIDR block" in message and "not one address" in message and "range_facts" in message


def test_a_network_object_is_not_an_address():
    assert "CIDR block" in error_of(ipaddress.ip_network("127.0.0.0/8"))
    assert ".ip" in error_of(ipaddress.ip_interface("127.0.0.1/8"))


@pytest.mark.parametrize("text", ["", "   ", "\n"])
def test_empty_input(text):
    assert "empty input" in error_of(text) and "127.0.0.1" in error_of(text)


@pytest.mark.parametrize("text, octal, decimal", [
    ("0177.0.0.1", "127.0.0.1", "177.0.0.1"), ("010.0.0.1", "8.0.0.1", "10.0.0.1"),
])
def test_leading_zeros_read_two_ways_are_ambiguous(text, octal, decimal):
    assert aton(text) == octal  # the premise the message teaches: inet_aton reads octal
    message = error_of(text)
    assert "leading zero" in message and "octal" in message and "ambiguous" in message
    assert f"({octal} or {decimal})" in message and "without leading zeros" in message


def test_leading_zeros_read_one_way_are_still_refused():
    assert aton("127.000.000.001") == "127.0.0.1"  # octal 000 and 001 are 0 and 1
    message = error_of("127.000.000.001")
    assert "leading zero" in message and "ambiguous" in message and "write 127.0.0.1" in message


def test_leading_zero_that_is_not_octal():
    with pytest.raises(OSError):
        socket.inet_aton("08.0.0.1")
    message = error_of("08.0.0.1")
    assert "not octal digits" in message and "write 8.0.0.1" in message


def test_leading_zero_reads_as_octal_in_inet_aton():
    assert aton("0177.0.0.1") == "127.0.0.1"  # the premise the message teaches
    assert "127.0.0.1" in error_of("0177.0.0.1")


@pytest.mark.parametrize("text, reading", [
    # inet(3): the last number fills the missing octets; 2130706433 = 127 * 2**24 + 1
    ("127.1", "127.0.0.1"), ("1.2.3", "1.2.0.3"), ("2130706433", "127.0.0.1"),
])
def test_shorthand_is_refused_with_inet_atons_reading(text, reading):
    assert aton(text) == reading
    message = error_of(text)
    assert "too few octets" in message and "shorthand" in message
    assert f"full form {reading}" in message


def test_too_many_octets():
    message = error_of("1.2.3.4.5")
    assert "too many octets (5)" in message and "exactly 4" in message


@pytest.mark.parametrize("text", ["127..0.1", "127.0.0.1.", ".127.0.0.1"])
def test_empty_octet(text):
    assert "empty octet" in error_of(text)


def test_hex_octet():
    message = error_of("0x7f.0.0.1")
    assert "hexadecimal" in message and aton("0x7f.0.0.1") in message


def test_brackets_are_accepted_for_ipv6_only():
    assert parse_address("[::1]") == ipaddress.IPv6Address("::1")
    assert parse_address(" [fe80::1%eth0] ").scope_id == "eth0"
    assert "only for IPv6" in error_of("[127.0.0.1]")
    assert "unbalanced" in error_of("[::1")


def test_zone_ids_are_kept():
    address = parse_address("fe80::1%lo")
    assert address.scope_id == "lo" and str(address) == "fe80::1%lo"
    assert "IPv4 has none" in error_of("127.0.0.1%lo")
    assert "empty zone id" in error_of("fe80::1%")


def test_bad_ipv6():
    message = error_of("::1::2")
    assert "not a valid IPv6 address" in message and "'::'" in message


def test_spaces_and_types():
    assert parse_address("  127.0.0.1\n") == ipaddress.IPv4Address("127.0.0.1")
    assert "space" in error_of("127.0.0 .1")
    with pytest.raises(TypeError, match="ipaddress.ip_address"):
        parse_address(2130706433)


@pytest.mark.parametrize("text, version, value", [
    ("127.0.0.1", 4, 0x7F000001), ("0.0.0.0", 4, 0), ("255.255.255.255", 4, 0xFFFFFFFF),
    ("::1", 6, 1), ("::", 6, 0), ("::ffff:127.0.0.1", 6, 0xFFFF_7F00_0001),
    ("2001:db8::8:800:200c:417a", 6, 0x2001_0DB8_0000_0000_0008_0800_200C_417A),  # RFC 4291
    ("FE80::1", 6, (0xFE80 << 112) | 1),
])
def test_valid_forms_parse_to_their_numbers(text, version, value):
    address = parse_address(text)
    assert (address.version, int(address)) == (version, value)


# --------------------------------------------------------------------------------------
# Range math
# --------------------------------------------------------------------------------------


def test_range_facts_for_127_8():
    facts = range_facts()
    # A /8 leaves 24 host bits: 2^24 = 16,777,216 addresses, 1/256 of the IPv4 space.
    assert facts.num_addresses == 2 ** 24 == 16_777_216
    assert facts.fraction_of_space == Fraction(1, 256)
    assert isinstance(facts.fraction_of_space, Fraction)
    assert (facts.netmask, facts.prefixlen, facts.hostmask) == ("255.0.0.0", 8, "0.255.255.255")
    assert facts.mask_bits == "11111111.00000000.00000000.00000000"
    assert (str(facts.first), str(facts.last)) == ("127.0.0.0", "127.255.255.255")
    # RFC 1122 3.2.1.3: host numbers all-zeros and all-ones are not host addresses.
    assert facts.usable_hosts_rfc1122 == 2 ** 24 - 2
    # RFC 5735 section 3: "ordinarily implemented using only 127.0.0.1/32".
    assert facts.ordinarily_used == ipaddress.ip_network("127.0.0.1/32")
    assert "RFC 5735" in facts.ordinarily_used_source


@pytest.mark.parametrize("block, size, fraction, usable, netmask", [
    ("10.0.0.0/8", 2 ** 24, Fraction(1, 256), 2 ** 24 - 2, "255.0.0.0"),
    ("192.168.0.0/16", 65_536, Fraction(1, 65_536), 65_534, "255.255.0.0"),
    ("203.0.113.0/24", 256, Fraction(1, 2 ** 24), 254, "255.255.255.0"),
    ("127.0.0.1/32", 1, Fraction(1, 2 ** 32), 1, "255.255.255.255"),
    ("::1/128", 1, Fraction(1, 2 ** 128), 1, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
])
def test_range_facts_are_computed_for_any_block(block, size, fraction, usable, netmask):
    facts = range_facts(block)
    assert (facts.num_addresses, facts.fraction_of_space, facts.usable_hosts_rfc1122) == (
        size, fraction, usable)
    assert facts.netmask == netmask


def test_ordinarily_used_only_for_loopback_blocks():
    assert range_facts("10.0.0.0/8").ordinarily_used is None
    assert range_facts("::1/128").ordinarily_used == ipaddress.ip_network("::1/128")


def test_range_facts_bad_input():
    message = str(pytest.raises(ValueError, range_facts, "127.0.0.1/8").value)
    assert "not a network block" in message and "127.0.0.0/8" in message


def test_mask_bits_are_the_netmask_in_binary():
    for prefix in range(33):
        bits = mask_bits(prefix)
        octets = bits.split(".")
        assert len(octets) == 4 and all(len(o) == 8 for o in octets)
        assert bits.replace(".", "") == "1" * prefix + "0" * (32 - prefix)
        mask = (0xFFFFFFFF << (32 - prefix)) & 0xFFFFFFFF
        assert ".".join(str(int(o, 2)) for o in octets) == dotted(mask)
    assert mask_bits(20) == "11111111.11111111.11110000.00000000"  # 255.255.240.0
    assert mask_bits(64, version=6).split(":")[3:5] == ["1" * 16, "0" * 16]


@pytest.mark.parametrize("bad", [33, -1, "8", 8.0, True])
def test_mask_bits_rejects_bad_prefix_lengths(bad):
    with pytest.raises(ValueError, match="0 to 32"):
        mask_bits(bad)


# --------------------------------------------------------------------------------------
# The /8 map
# --------------------------------------------------------------------------------------


def test_slash8_map_has_every_first_octet_once():
    rows = slash8_map()
    assert [r.first_octet for r in rows] == list(range(256))
    assert all(str(r.network) == f"{r.first_octet}.0.0.0/8" for r in rows)


def test_slash8_map_categories():
    rows = slash8_map()
    assert (rows[127].category, rows[127].whole) == ("loopback", True)
    assert (rows[0].category, rows[0].whole) == ("this network", True)
    assert (rows[10].category, rows[10].whole) == ("private", True)
    # 224.0.0.0/4 is 16 /8s of multicast (RFC 5771), 240.0.0.0/4 16 reserved (RFC 1112).
    assert [r.first_octet for r in rows if r.category == "multicast"] == list(range(224, 240))
    assert all(r.whole for r in rows[224:240])
    assert [r.first_octet for r in rows if r.category == "reserved"] == list(range(240, 256))
    partial = {r.first_octet: r.category for r in rows if r.category and not r.whole}
    assert partial == {100: "shared", 169: "link-local", 172: "private", 192: "private",
                       198: "benchmarking", 203: "documentation"}
    assert rows[8].category is None and rows[8].label == "" and rows[8].blocks == ()


def test_slash8_map_labels_and_sources():
    rows = slash8_map()
    assert "127.0.0.0/8" in rows[127].label and "Loopback" in rows[127].label
    assert "Private-Use 192.168.0.0/16" in rows[192].label
    assert "Documentation (TEST-NET-1) 192.0.2.0/24" in rows[192].label
    assert "Documentation (TEST-NET-2)" in rows[198].label
    assert "255.255.255.255/32 Limited Broadcast" in rows[255].blocks
    assert rows[230].source.startswith("IANA IPv4 Address Space Registry")  # RFC 5771
    assert "Special-Purpose" in rows[127].source


# --------------------------------------------------------------------------------------
# describe and the widget
# --------------------------------------------------------------------------------------


def test_describe_a_loopback_address():
    report = describe("127.0.0.1")
    assert "127.0.0.0/8 Loopback" in report and "RFC 1122" in report
    assert "Destination False [1]" in report and "Reserved-by-Protocol True" in report
    assert "RFC 8029" in report
    assert "Loopback: yes" in report
    assert "https://www.iana.org/assignments/iana-ipv4-special-registry/" in report
    assert f"last updated {last_updated_in_sources_md('IPv4')}" in report


def test_describe_a_mapped_address_shows_both_registries():
    report = describe("::ffff:127.0.0.1")
    assert report.startswith("::ffff:127.0.0.1 (IPv6)")
    assert "::ffff:0:0/96 IPv4-mapped Address" in report and "127.0.0.0/8 Loopback" in report
    assert "Loopback: yes (decided by the mapped IPv4 address 127.0.0.1;" in report
    assert "iana-ipv6-special-registry" in report and "iana-ipv4-special-registry" in report


@pytest.mark.parametrize("fixed, says", [
    (True, "this Python's ipaddress (3.13.1) has the gh-117566 fix and says is_loopback=True"),
    (False, "this Python's ipaddress (3.11.7) lacks the gh-117566 fix and says "
            "is_loopback=False"),
])
def test_mapped_note_for_a_python_with_and_without_the_fix(fixed, says):
    version = "3.13.1" if fixed else "3.11.7"
    note = report_module._mapped_note(ipaddress.IPv4Address("127.0.0.1"), fixed, fixed, version)
    assert says in note and "depends on the exact patch release" in note
    assert "before 3.13" not in note


def test_describe_reports_what_this_pythons_ipaddress_says():
    # The report's subject here is ipaddress itself: what it answers on this interpreter.
    said = ipaddress.ip_address("::ffff:127.0.0.1").is_loopback
    report = describe("::ffff:127.0.0.1")
    assert f"this Python's ipaddress ({platform.python_version()})" in report
    assert f"says is_loopback={said}:" in report


def test_describe_explains_the_lookalikes():
    assert "Loopback: no" in describe("::127.0.0.1") and "deprecated" in describe("::127.0.0.1")
    assert "RFC 6052" in describe("64:ff9b::7f00:1")


def test_describe_ordinary_and_multicast():
    assert "Registry entry: none (not a special-purpose address)" in describe("8.8.8.8")
    assert "Multicast" in describe("224.0.0.251") and "RFC 5771" in describe("224.0.0.251")


@pytest.mark.parametrize("bad, says", [
    ("localhost", "host name"), ("127.0.0.256", "over 255"), ("", "empty input"),
    ("127.0.0.1:80", "drop the port"),
])
def test_describe_bad_input_shows_the_message_not_a_traceback(bad, says):
    report = describe(bad)
    assert report == f"Not an address: {error_of(bad)}"
    assert says in report and "Traceback" not in report


def test_describe_a_non_string_shows_the_type_error():
    assert describe(None) == "Not an address: expected a str or an ipaddress address, not NoneType"


def test_classifier_widget_updates_its_html():
    pytest.importorskip("ipywidgets")
    from loopedu import widgets

    box = widgets.classifier()
    text, html = box.children
    assert "Loopback: yes" in html.value
    text.value = "::ffff:127.0.0.1"
    assert "127.0.0.0/8 Loopback" in html.value and "Loopback: yes" in html.value
    text.value = "127.0.0.1:8080"
    assert "Not an address" in html.value and "drop the port" in html.value
    text.value = "<b>"
    assert "&lt;b&gt;" in html.value and "<b>" not in html.value


# --------------------------------------------------------------------------------------
# Refresh (no network: a fake opener, or a urlopen that fails)
# --------------------------------------------------------------------------------------


def test_refresh_parser_reads_the_shipped_files():
    for name, meta in addresses.REGISTRIES.items():
        parsed = refresh.check_csv((DATA / meta["file"]).read_bytes(), name)
        assert [e.network for e in parsed] == [e.network for e in addresses.registry(name)]


def test_refresh_rejects_a_page_that_is_not_the_registry():
    with pytest.raises(refresh.RefreshError, match="did not parse"):
        refresh.check_csv(b"<html><body>Service unavailable</body></html>", "IPv4")


def test_updated_date():
    xml = b"<registry><updated>2025-10-09</updated></registry>"
    assert refresh.updated_date(xml) == "2025-10-09"
    assert refresh.updated_date(b"<registry/>") is None


def served_csvs():
    return {meta["csv_url"]: (DATA / meta["file"]).read_bytes()
            for meta in addresses.REGISTRIES.values()}


@pytest.fixture
def data_copy(tmp_path):
    for name in ("iana-ipv4-special-registry.csv", "iana-ipv6-special-registry.csv", "SOURCES.md"):
        (tmp_path / name).write_bytes((DATA / name).read_bytes())
    return tmp_path


def test_refresh_rewrites_files_and_metadata(data_copy):
    served = served_csvs()
    served.update({meta["xml_url"]: b"<updated>2026-01-02</updated>"
                   for meta in addresses.REGISTRIES.values()})
    (data_copy / "iana-ipv6-special-registry.csv").write_bytes(b"stale")
    report = refresh.refresh(data_copy, opener=lambda url, timeout: served[url], today="2026-02-03")
    assert "last updated 2026-01-02" in report[0] and report[-1].startswith("wrote")
    for meta in addresses.REGISTRIES.values():
        assert (data_copy / meta["file"]).read_bytes() == served[meta["csv_url"]]
    text = (data_copy / "SOURCES.md").read_text()
    rows = _sources_rows(text)
    assert rows["IPv6"]["last_updated"] == "2026-01-02"
    assert rows["IPv6"]["retrieved"] == "2026-02-03"
    served_v4 = served[addresses.REGISTRIES["IPv4"]["csv_url"]]
    assert rows["IPv4"]["sha256"] == hashlib.sha256(served_v4).hexdigest()
    assert "## How to refresh" in text  # the prose around the table survives


def test_refresh_offline_prints_one_line_and_changes_nothing(data_copy, monkeypatch, capsys):
    before = {p.name: p.read_bytes() for p in data_copy.iterdir()}

    def offline(*args, **kwargs):
        raise urllib.error.URLError(socket.gaierror(-2, "Name or service not known"))

    monkeypatch.setattr(refresh.urllib.request, "urlopen", offline)
    assert refresh.main(["--data-dir", str(data_copy)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot reach www.iana.org" in err
    assert "nothing was changed" in err
    assert {p.name: p.read_bytes() for p in data_copy.iterdir()} == before


def test_refresh_dry_run_writes_nothing(data_copy):
    before = {p.name: p.read_bytes() for p in data_copy.iterdir()}
    served = served_csvs()

    def opener(url, timeout):
        if url in served:
            return served[url]
        raise refresh.RefreshError("no XML today")

    report = refresh.refresh(data_copy, dry_run=True, opener=opener)
    assert report[-1] == "dry run: nothing written" and "no Last Updated date" in report[0]
    assert {p.name: p.read_bytes() for p in data_copy.iterdir()} == before


# --------------------------------------------------------------------------------------
# Style: import does nothing but import, and only the standard library
# --------------------------------------------------------------------------------------


def test_importing_loads_nothing_heavy_and_reads_no_file():
    code = ("import sys, loopedu, loopedu.addresses as a, loopedu.widgets\n"
            "heavy = [m for m in ('matplotlib', 'ipywidgets') if m in sys.modules]\n"
            "print(heavy, a.registry.cache_info().currsize, a.registry_info.cache_info().currsize)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True).stdout
    assert out.split() == ["[]", "0", "0"]


def test_the_package_imports_only_the_standard_library():
    code = ("import sys\n"
            "before = set(sys.modules)\n"
            "import loopedu.addresses\n"
            "new = {m.split('.')[0] for m in set(sys.modules) - before}\n"
            "print(sorted(new - set(sys.stdlib_module_names) - {'loopedu'}))\n"
            "print(sorted(m for m in sys.modules if m.startswith('loopedu.')\n"
            "             and not m.startswith('loopedu.addresses')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True).stdout
    assert out.split("\n")[:2] == ["[]", "[]"]


def test_data_files_are_package_resources():
    assert resources.files("loopedu.data").joinpath("iana-ipv4-special-registry.csv").is_file()
