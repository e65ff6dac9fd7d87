"""Unit tests for loopedu.hosts and the glibc model behind it (loopedu.glibc), no root.

Where glibc can answer without a hosts file it is the oracle here too: ``inet_pton``,
``inet_aton`` and numeric getaddrinfo (``AI_NUMERICHOST``) come from the C library
through the socket module. The full comparison with /etc/hosts swapped in lives in
test_hosts_glibc.py (root). The rest checks that bad input never crashes and ends up in
``problems``, and that importing the modules has no side effects.
"""

from __future__ import annotations

import importlib
import pkgutil
import platform
import random
import socket
import subprocess
import sys
from pathlib import Path

import pytest

import loopedu.glibc
from loopedu import hosts
from loopedu.glibc.files import query_bytes
from loopedu.glibc.hostconf import HostConf
from loopedu.glibc.inet import inet_aton_exact, inet_pton
from loopedu.glibc.machine import Machine, SortResult
from loopedu.glibc.netlink import (
    ARPHRD_SIT,
    IN6AI_DEPRECATED,
    IN6AI_HOMEADDRESS,
    NO_INDEX,
)
from loopedu.glibc.policy import Policy
from loopedu.glibc.sort import reorder_ipv4, sort_addresses

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "tests" / "hosts_samples"
GLIBC = sys.platform == "linux" and platform.libc_ver()[0] == "glibc"
needs_glibc = pytest.mark.skipif(not GLIBC, reason="the oracle is this machine's glibc")
FAMILIES = (socket.AF_UNSPEC, socket.AF_INET, socket.AF_INET6)


def _fuzz_strings(alphabet: str, count: int, seed: int, max_len: int = 24) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, max_len)))
            for _ in range(count)]


ADDRESS_TEXTS = [
    "127.0.0.1", "0.0.0.0", "255.255.255.255", "256.0.0.1", "01.2.3.4", "1.2.3", "1.2.3.4.",
    "1..2.3", "127.1", "0x7f.0.0.1", " 1.2.3.4", "1.2.3.4 ", "::", "::1", ":::", "1::", "::1:",
    "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7::", "::1:2:3:4:5:6:7",
    "1::2::3", "::ffff:1.2.3.4", "::ffff:1.2.3.04", "::1.2.3.4", "1:2:3:4:5:6:1.2.3.4",
    "1:2:3:4:5:6:7:1.2.3.4", "fe80::1%lo", "FE80::ABCD", "12345::", "1:2:3:4:5:6:7:8:",
    "::ffff:256.1.1.1", "0:0:0:0:0:0:0:0", "g::1", "", ".", ":", "1.2.3.4::",
]
ADDRESS_TEXTS += _fuzz_strings("0123456789abcdefABCDEF:.", 3000, seed=1)
ADDRESS_TEXTS += _fuzz_strings("0123:.", 2000, seed=2, max_len=18)
ADDRESS_TEXTS += _fuzz_strings("0129.", 1500, seed=3, max_len=16)


@needs_glibc
def test_inet_pton_port_agrees_with_libc():
    wrong = []
    for text in ADDRESS_TEXTS:
        for family in (socket.AF_INET, socket.AF_INET6):
            try:
                expected = socket.inet_pton(family, text)
            except OSError:
                expected = None
            if inet_pton(family, text) != expected:
                wrong.append((family, text, expected))
    assert not wrong, wrong[:20]


NUMERIC_NAMES = [
    "127.1", "0x7f.1", "0X7F.0.0.1", "017700000001", "2130706433", "4294967295", "4294967296",
    "0x", "0x.1", "08.1", "07.1", "1.2.3.4.", "1.2.3.4.5", "255.255.65535", "1.16777216",
    "1.2.65536", "00000000000000000000001", "::1", "::ffff:127.0.0.1", "::ffff:1.2.3.4%5",
    "fe80::1%lo", "fe80::1%1", "fe80::1%", "fe80::1%nosuchif", "ff02::1%lo", "ff01::1%lo",
    "fd00::1%lo", "fd00::1%7", "fd00::1%4294967295", "fd00::1%4294967296", "fe80::1%1%2",
    "localhost", "", "1.2.3.4 ", "::1 ", "0.0.0.0", "::",
] + _fuzz_strings("0123456789xX.:%abcdefl", 1500, seed=4, max_len=14)


@needs_glibc
def test_numeric_names_agree_with_getaddrinfo():
    """Numeric host names never reach the hosts file: getaddrinfo(AI_NUMERICHOST) is
    the oracle for the model's handling of them (inet_aton shorthand, scope IDs)."""
    empty = hosts.parse(b"")
    wrong = []
    for name in NUMERIC_NAMES:
        for family in FAMILIES:
            try:
                infos = socket.getaddrinfo(name, None, family, socket.SOCK_STREAM, 0,
                                           socket.AI_NUMERICHOST)
                expected = [info[4][0] for info in infos]
            except socket.gaierror:
                expected = []
            except UnicodeError:
                continue
            if empty.lookup(name, family) != expected:
                wrong.append((name, family, expected, empty.lookup(name, family)))
    assert not wrong, wrong[:20]


@needs_glibc
def test_inet_aton_exact_agrees_with_libc_inet_aton():
    """glibc's inet_aton ignores what follows whitespace; without whitespace it is
    the exact form getaddrinfo uses."""
    wrong = []
    for text in NUMERIC_NAMES + ADDRESS_TEXTS:
        if any(c.isspace() for c in text):
            continue
        try:
            expected = socket.inet_aton(text)
        except OSError:
            expected = None
        if inet_aton_exact(text) != expected:
            wrong.append((text, expected))
    assert not wrong, wrong[:20]


QUERY_NAMES = ["localhost", "LOCALHOST.", "", ".", "..", "a..b", ".a", "a.", "x" * 63,
               "x" * 64, ("y" * 63 + ".") * 3, "b\u00fccher.example", "caf\u00e9", "\u00df",
               "a\u3002b", "localhost\0junk", "-", "a_b"]


@pytest.mark.parametrize("name", QUERY_NAMES)
def test_str_names_are_encoded_like_socket_getaddrinfo(name):
    """socket.getaddrinfo passes str hosts through the idna codec; so must the model."""
    try:
        expected = name.encode("idna").split(b"\0")[0]
    except UnicodeError:
        with pytest.raises(UnicodeError):
            query_bytes(name)
        return
    assert query_bytes(name) == expected


# glibc's own documentation of its built-in tables: the commented-out defaults of the
# gai.conf it ships (Debian's /etc/gai.conf), uncommented
GAI_CONF_DEFAULTS_AS_DOCUMENTED = """
label ::1/128       0
label ::/0          1
label 2002::/16     2
label ::/96         3
label ::ffff:0:0/96 4
label fec0::/10     5
label fc00::/7      6
label 2001:0::/32   7
precedence  ::1/128       50
precedence  ::/0          40
precedence  2002::/16     30
precedence ::/96          20
precedence ::ffff:0:0/96  10
scopev4 ::ffff:169.254.0.0/112  2
scopev4 ::ffff:127.0.0.0/104    2
scopev4 ::ffff:0.0.0.0/96       14
"""
SORT_PROBES = ["::1", "::2", "2002::1", "2001::1", "2001:db8::1", "::1.2.3.4", "::ffff:1.2.3.4",
               "::ffff:127.0.0.1", "fec0::1", "fc00::1", "fd00::1", "fe80::1", "ff02::1",
               "ff05::1", "ff0e::1", "2001:0:1::1", "3fff::1", "::ffff:169.254.9.9"]


def test_builtin_tables_match_the_documented_defaults():
    documented = Policy.parse(GAI_CONF_DEFAULTS_AS_DOCUMENTED)
    builtin = Policy.default()
    for text in SORT_PROBES:
        a16 = socket.inet_pton(socket.AF_INET6, text)
        assert documented.label_of(a16) == builtin.label_of(a16), text
        assert documented.precedence_of(a16) == builtin.precedence_of(a16), text
    for text in ["127.0.0.1", "127.255.0.1", "169.254.1.1", "169.255.1.1", "10.0.0.1",
                 "0.0.0.0", "255.255.255.255"]:
        packed = socket.inet_aton(text)
        assert documented.scope_of(socket.AF_INET, packed) == builtin.scope_of(
            socket.AF_INET, packed), text


def test_a_precedence_line_replaces_the_whole_table():
    """gai.conf(5): the first precedence line discards the built-in table."""
    policy = Policy.parse("precedence ::ffff:0:0/96 100\n")
    loopback6 = socket.inet_pton(socket.AF_INET6, "::1")
    mapped = socket.inet_pton(socket.AF_INET6, "::ffff:127.0.0.1")
    assert policy.precedence_of(mapped) > policy.precedence_of(loopback6)
    assert policy.label_of(loopback6) == Policy.default().label_of(loopback6)


@pytest.mark.parametrize("text, environ, multi", [
    ("multi on\n", {}, True),
    ("MULTI On\n", {}, True),
    ("multi off\n", {}, False),
    ("", {}, False),
    ("multi on\nmulti off\n", {}, False),
    ("# multi on\n", {}, False),
    ("multi on\n", {"RESOLV_MULTI": "off"}, False),
    ("", {"RESOLV_MULTI": "on"}, True),
    ("order hosts,bind\nmulti on # comment\n", {}, True),
    ("multi maybe\n", {}, False),
])
def test_host_conf_multi(text, environ, multi):
    assert HostConf.parse(text, environ).multi is multi


# ----------------------------------------------------------------------------------------
# Bad input never crashes; it shows up in problems
# ----------------------------------------------------------------------------------------

BAD_INPUTS = {
    "empty": b"",
    "only newlines": b"\n\n\n",
    "only whitespace": b" \t\r\n\v\f",
    "nul bytes": b"\0\0\0\n127.0.0.1 a\0b\n\0",
    "nul then address": b"127.0.0.1\0 localhost\n",
    "non-utf8": b"127.0.0.1 caf\xe9 \xff\xfe\n",
    "megabyte line": b"127.0.0.1 " + b"a" * (1 << 20) + b"\n",
    "megabyte of nul": b"\0" * (1 << 20),
    "megabyte of names": b"10.0.0.1 " + b"n " * (1 << 19) + b"\n",
    "no newline at end": b"  10.0.0.1 lastline",
    "crlf": b"127.0.0.1 localhost\r\n::1 localhost\r\n",
    "cr only": b"127.0.0.1 a\r::1 b\r",
    "binary junk": bytes(range(256)) * 8,
    "utf-16": "127.0.0.1 localhost\n".encode("utf-16"),
    "comment only": b"#" * 1000,
    "huge address": b"1" * 100000 + b" name\n",
    "colons": b":" * 5000 + b" name\n",
}


# What glibc makes of each: the kinds of problem it must report, and how many lines it
# uses. Worked out by hand from the rules in loopedu/hosts.py, not by running the parser.
BAD_INPUT_OUTCOMES = {
    "empty": (set(), 0),
    "only newlines": (set(), 0),
    "only whitespace": (set(), 0),  # a blank last line is harmless, tail or not
    "nul bytes": ({"nul-byte"}, 1),  # lines 1 and 3 are only NULs; line 2 reads "... a"
    "nul then address": ({"nul-byte", "no-name"}, 1),  # glibc reads "127.0.0.1" alone
    "non-utf8": ({"not-utf8"}, 1),
    "megabyte line": ({"long-line", "idna-refused"}, 1),  # one label of a megabyte
    "megabyte of nul": ({"nul-byte"}, 0),
    "megabyte of names": ({"long-line"}, 1),
    "no newline at end": ({"readline-tail"}, 1),  # read as "10.0.0.1 lastlinene"
    "crlf": (set(), 2),  # "\r" is white space
    "cr only": ({"numeric-name"}, 1),  # one line, with "::1" among its names
    "binary junk": ({"nul-byte", "bad-address"}, 0),
    "utf-16": ({"nul-byte", "bad-address"}, 0),  # "\xff\xfe1" then NUL: no address
    "comment only": (set(), 0),
    "huge address": ({"bad-address"}, 0),
    "colons": ({"bad-address"}, 0),
}


def test_every_bad_input_has_an_outcome():
    assert set(BAD_INPUT_OUTCOMES) == set(BAD_INPUTS)


@pytest.mark.parametrize("label", sorted(BAD_INPUTS))
def test_bad_input_never_crashes(label):
    data = BAD_INPUTS[label]
    kinds, used = BAD_INPUT_OUTCOMES[label]
    hf = hosts.parse(data)
    assert {p.kind for p in hf.problems} == kinds
    assert len(hf) == len(hf.entries) == used
    for word in set(data.split()[:50]) | {b"", b"localhost", b"a", b"n"}:
        for family in FAMILIES:
            assert isinstance(hf.lookup(word, family), list)
    for problem in hf.problems:
        assert 1 <= problem.line <= data.count(b"\n") + 1
        assert problem.reason and problem.kind and isinstance(problem.text, str)
        assert len(problem.text) < 200


@pytest.mark.parametrize("data, line, kind, skipped", [
    (b"127.0.0.1 ok\n127.1 short\n", 2, "bad-address", True),
    (b"fe80::1%lo ll\n", 1, "bad-address", True),
    (b"localhost 127.0.0.1\n", 1, "bad-address", True),
    (b"\0 10.0.0.1 gone\n", 1, "nul-byte", True),
    (b"10.0.0.1 a\0b\n", 1, "nul-byte", False),
    (b"10.0.0.1 caf\xe9\n", 1, "not-utf8", False),
    ("10.0.0.1 b\u00fccher\n".encode(), 1, "non-ascii", False),
    (b"# c\n10.0.0.1\n", 2, "no-name", False),
    (b"10.0.0.1 " + b"x" * 70 + b"\n", 1, "idna-refused", False),
    (b"10.0.0.1 " + b"y" * (100 * 1024) + b"\n", 1, "long-line", False),
    (b"10.0.0.1 10.0.0.2\n", 1, "unreachable", False),
    (b"10.0.0.1 a 10.0.0.2\n", 1, "numeric-name", False),
    (b"10.0.0.1 300.1.2.3\n", 1, "ipv4-never-asks", False),
    (b"\n  10.0.0.1 tail", 2, "readline-tail", False),
])
def test_problem_kinds(data, line, kind, skipped):
    found = [(p.line, p.kind, p.skipped) for p in hosts.parse(data).problems]
    assert (line, kind, skipped) in found, found


def test_str_and_bytes_parse_alike():
    text = (SAMPLES / "debian.hosts").read_text()
    a, b = hosts.parse(text), hosts.parse(text.encode())
    assert a.entries == b.entries
    assert len(a.entries) == len([ln for ln in text.splitlines() if ln and ln[0] != "#"])
    # line 5 of the sample: "::1     localhost ip6-localhost ip6-loopback"
    assert a.lookup("ip6-loopback", socket.AF_INET6) == ["::1"]
    assert b.lookup("ip6-loopback", socket.AF_INET6) == ["::1"]


def test_lookup_rejects_unknown_families():
    with pytest.raises(ValueError):
        hosts.parse(b"").lookup("localhost", socket.AF_UNIX)


def test_hypothesis_fuzz_never_crashes():
    import hypothesis
    from hypothesis import strategies

    # database=None: no examples saved in the checkout, which another user's run of
    # the same checkout would share (and could not write)
    @hypothesis.settings(max_examples=300, deadline=None, database=None)
    @hypothesis.given(strategies.binary(max_size=400), strategies.binary(max_size=20))
    def check(data, name):
        hf = hosts.parse(data)
        for family in FAMILIES:
            assert isinstance(hf.lookup(name, family), list)
        skipped = {p.line for p in hf.problems if p.skipped}
        for entry in hf.entries:
            assert entry.line not in skipped
            family = socket.AF_INET6 if ":" in entry.address else socket.AF_INET
            socket.inet_pton(family, entry.address)  # libc accepts what glibc used

    check()


TRICKY_WORDS = [b"127.0.0.1", b"::1", b"0.0.0.0", b"fe80::1%lo", b"127.1", b"localhost",
                b"LocalHost", b"a", b"1.2.3.4", b"300.1.2.3", b"3com", b"ab:cd", b":x", b".lead",
                b"a..b", b"x" * 64, b"y" * 63, b"caf\xc3\xa9", b"\xff", b"\0", b"#", b"# 1.2",
                b"::ffff:1.2.3.4", b"name.example", b"0", b"1.2.3.4.", b"z" * 70 + b".w"]


def test_parse_reports_every_note_a_line_by_line_reading_finds():
    """parse() looks closely only at lines its whole-text scans pick out; reading every
    line closely must not find a note it missed."""
    from loopedu.glibc.hostsfile import readline_view
    from loopedu.glibc.problems import line_notes

    rng = random.Random(8)
    for _ in range(1500):
        words = [rng.choice(TRICKY_WORDS) for _ in range(rng.randint(0, 24))]
        data = b"".join(w + rng.choice([b" ", b"\t", b"\n", b"\n", b"  "]) for w in words)
        hf = hosts.parse(data)
        raw_lines = data.split(b"\n")
        has_newline = data.endswith(b"\n")
        expected = []
        for entry in hf.entries:
            raw = raw_lines[entry.line - 1]
            view = readline_view(raw, has_newline or entry.line < len(raw_lines))
            expected += line_notes(entry.line, raw, view)
        notes = [p for p in hf.problems if p.kind not in ("nul-byte", "readline-tail")
                 and not p.skipped]
        assert notes == expected, data


def test_reorder_reads_each_address_with_its_own_netmask(monkeypatch):
    """glibc asks SIOCGIFNETMASK with each address from SIOCGIFCONF, so a second address on
    an interface keeps its own netmask (psutil's net_if_addrs reports the same)."""
    import types

    import psutil

    from loopedu.glibc.machine import read_ipv4_ifaddrs

    def snic(family, address, netmask):
        return types.SimpleNamespace(family=family, address=address, netmask=netmask)

    fake = {"eth0": [snic(socket.AF_INET, "10.1.0.1", "255.255.255.0"),
                     snic(socket.AF_INET, "10.2.0.1", "255.255.0.0"),
                     snic(socket.AF_INET, "10.3.0.1", None),  # no netmask: glibc skips it
                     snic(socket.AF_INET6, "fd00::1", "ffff:ffff:ffff:ffff::"),
                     snic(socket.AF_INET, "10.4.0.1", "255.255.255.252")],
            "lo": [snic(socket.AF_INET, "127.0.0.1", "255.0.0.0")]}
    monkeypatch.setattr(psutil, "net_if_addrs", lambda: fake)
    assert sorted(read_ipv4_ifaddrs()) == [(0x0A010001, 0xFFFFFF00), (0x0A020001, 0xFFFF0000),
                                           (0x0A040001, 0xFFFFFFFC), (0x7F000001, 0xFF000000)]


# ----------------------------------------------------------------------------------------
# glibc 2.36 behaviour (nss/nss_files/files-hosts.c, observed on Debian 12), as a spec
# ----------------------------------------------------------------------------------------


def test_fact_ipv6_loopback_line_answers_ipv4_queries():
    hf = hosts.parse(b"127.0.0.1 localhost\n::1 localhost\n")
    assert hf.lookup("localhost", socket.AF_INET, machine=Machine(
        host_conf=HostConf(multi=True))) == ["127.0.0.1", "127.0.0.1"]


def test_fact_names_are_case_insensitive_and_scoped_lines_skipped():
    hf = hosts.parse(b"127.0.0.1 LocalHost\nfe80::1%lo scoped\n")
    assert hf.lookup("localhost") == ["127.0.0.1"]
    assert hf.lookup("scoped") == []


# ----------------------------------------------------------------------------------------
# Module hygiene
# ----------------------------------------------------------------------------------------

GLIBC_MODULES = sorted(m.name for m in pkgutil.iter_modules(loopedu.glibc.__path__,
                                                            "loopedu.glibc."))


def test_importing_does_nothing_but_import():
    code = f"""
import builtins, io, os, socket, sys
def refuse(*args, **kwargs):
    raise AssertionError("I/O while importing")
builtins.open = io.open = refuse
socket.socket = socket.create_connection = socket.getaddrinfo = refuse
os.listdir = os.scandir = refuse
import loopedu.hosts
for name in {GLIBC_MODULES!r}:
    __import__(name)
print("psutil" in sys.modules, len({GLIBC_MODULES!r}))
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=REPO, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    assert proc.stdout.split() == ["False", str(len(GLIBC_MODULES))], proc.stderr
    assert len(GLIBC_MODULES) >= 5  # the model is split into modules, not one file


def test_the_glibc_package_imports_nothing_else_from_loopedu():
    """loopedu.glibc is a leaf: the standard library (and psutil, lazily) only."""
    for name in GLIBC_MODULES + ["loopedu.glibc"]:
        source = Path(importlib.import_module(name).__file__).read_text()
        assert "import loopedu" not in source, name
        assert "from loopedu" not in source.replace("from loopedu.glibc", ""), name
        assert "from .." not in source, name
        assert source.count("\n") < 500, name


@pytest.mark.parametrize("name", ["loopedu.hosts"] + GLIBC_MODULES)
def test_public_api_points_to_the_notebook(name):
    module = importlib.import_module(name)
    assert "notebooks/02-localhost-is-a-name.ipynb" in (module.__doc__ or ""), name
    for public in getattr(module, "__all__", ()):
        doc = getattr(module, public).__doc__ or ""
        assert "notebooks/02-localhost-is-a-name.ipynb" in doc, public


def test_hosts_keeps_its_public_names():
    assert sorted(hosts.__all__) == ["Entry", "HostsFile", "Match", "Problem", "load", "parse"]
    assert hosts.parse("10.0.0.1 a\n").entries == [hosts.Entry(1, "10.0.0.1", ("a",))]
    assert isinstance(hosts.parse(""), hosts.HostsFile)


# ----------------------------------------------------------------------------------------
# RFC 3484's rules one at a time, on a machine described by hand (no privilege, no
# network): each pair below ties on every rule before the one it is named after, so only
# that rule can order it; both input orders are tried, so rule 10 (keep the order) cannot
# hide a wrong answer. Expected orders are RFC 3484 section 6's, as glibc applies them.
# ----------------------------------------------------------------------------------------

ETHER = 1  # ARPHRD_ETHER


def _a6(text: str) -> bytes:
    return socket.inet_pton(socket.AF_INET6, text)


class HandMachine(Machine):
    """A Machine whose probes and link types are given: {packed: SortResult fields}."""

    def __init__(self, probes: dict, link_types: dict | None = None, policy=None):
        super().__init__(host_conf=HostConf(), policy=policy or Policy())
        self._given, self._types = probes, link_types or {}

    def probe(self, candidates):
        return [SortResult(family, packed, **self._given[packed])
                for family, packed in candidates]

    def is_native(self, index: int) -> int:
        return int(self._types[index] != ARPHRD_SIT)


def _sorted_both_ways(machine, first: str, second: str) -> list[list[str]]:
    """The sort of [first, second] and of [second, first], as text."""
    pair = [(socket.AF_INET6, _a6(first)), (socket.AF_INET6, _a6(second))]
    return [[socket.inet_ntop(f, p) for f, p in sort_addresses(order, machine)]
            for order in (pair, pair[::-1])]


def _global(source: str, **fields) -> dict:
    return dict(got_source=True, source_family=socket.AF_INET6, source=_a6(source),
                **{"prefixlen": 64, "index": 2, **fields})


@pytest.mark.parametrize("rule, worse, better", [
    ("1: a destination with no route goes last",
     dict(got_source=False), _global("2001:db8::1")),
    ("3: a deprecated source goes after a preferred one",
     _global("2001:db8::1", flags=IN6AI_DEPRECATED), _global("2001:db8::1")),
    ("3 ties when both sources are deprecated (then 4 decides)",
     _global("2001:db8::1", flags=IN6AI_DEPRECATED),
     _global("2001:db8::1", flags=IN6AI_DEPRECATED | IN6AI_HOMEADDRESS)),
    ("4: a home address goes before a care-of address",
     _global("2001:db8::1"), _global("2001:db8::1", flags=IN6AI_HOMEADDRESS)),
    ("7: a tunnel (sit) goes after native transport",
     _global("2001:db8::1", index=7), _global("2001:db8::1", index=2)),
    ("7: a source on no known interface counts as not native",
     _global("2001:db8::1", index=NO_INDEX), _global("2001:db8::1", index=2)),
])
def test_rfc3484_rule_orders_a_pair_that_ties_before_it(rule, worse, better):
    # two global unicast destinations: same scope, label 1 and precedence 40 as their
    # sources; destinations equally far from the source (rule 9 ties: both differ from
    # it first in the last word, at the same bit)
    w, b = "2001:db8::8:1", "2001:db8::8:2"
    machine = HandMachine({_a6(w): worse, _a6(b): better}, {2: ETHER, 7: ARPHRD_SIT})
    assert _sorted_both_ways(machine, w, b) == [[b, w], [b, w]], rule


def test_rule_9_compares_the_first_32_bit_word_where_either_differs():
    # the source is 2001:db8:0:1::1; "near" differs from it first in byte 7 (word 1),
    # "far" in byte 4 (also word 1, earlier): near shares the longer prefix
    source = "2001:db8:0:1::1"
    near, far = "2001:db8:0:3::1", "2001:db8:100:1::1"
    machine = HandMachine({_a6(near): _global(source), _a6(far): _global(source)})
    assert _sorted_both_ways(machine, near, far) == [[near, far], [near, far]]


def test_rule_9_for_ipv4_counts_bits_only_inside_the_source_subnet():
    """glibc's IPv4 rule 9: common leading bits if the destination is in the source's
    subnet (its prefix length), else 0: a /1 neighbour sharing one bit beats a
    destination outside the subnet that shares none it may count."""
    def v4(text):
        return socket.inet_aton(text)

    source = v4("192.0.0.1")  # 1100 0000 ...
    inside = v4("128.0.0.1")  # 1000 0000: one common bit, inside 128.0.0.0/1
    outside = v4("64.0.0.1")  # 0100 0000: no common bit
    probes = {p: dict(got_source=True, source_family=socket.AF_INET, source=source,
                      prefixlen=1, index=2) for p in (inside, outside)}
    machine = HandMachine(probes, {2: ETHER})
    for order in ([inside, outside], [outside, inside]):
        got = sort_addresses([(socket.AF_INET, p) for p in order], machine)
        assert [p for _, p in got] == [inside, outside]


def test_sort_addresses_without_a_machine_probes_this_one():
    pair = [(socket.AF_INET6, _a6("::1")), (socket.AF_INET, socket.inet_aton("127.0.0.1"))]
    assert sort_addresses(pair) == sort_addresses(pair, Machine(host_conf=HostConf()))


def test_reorder_does_nothing_unless_host_conf_asks_for_it():
    far, near = socket.inet_aton("203.0.113.9"), socket.inet_aton("127.0.0.2")
    off = Machine(host_conf=HostConf(reorder=False))
    assert reorder_ipv4([far, near], off) == [far, near]
    on = Machine(host_conf=HostConf(reorder=True))
    assert reorder_ipv4([far, near], on) == [near, far]
    assert reorder_ipv4([], on) == []


# ----------------------------------------------------------------------------------------
# What the sort reads from the kernel (netlink), against what the kernel says elsewhere
# ----------------------------------------------------------------------------------------

def _ones(netmask: str) -> int:
    return sum(bin(b).count("1") for b in socket.inet_pton(
        socket.AF_INET6 if ":" in netmask else socket.AF_INET, netmask))


@pytest.mark.skipif(sys.platform != "linux", reason="netlink is Linux's")
def test_interface_addresses_read_over_netlink_are_the_ones_psutil_lists():
    """Every address psutil (getifaddrs) lists, with its prefix length and interface
    index, keyed as glibc's __check_pf keys it (IPv4 as ::ffff:a.b.c.d); None when the
    machine has no IPv6 address but ::1."""
    import psutil

    from loopedu.glibc.netlink import read_in6ai

    expected = {}
    for name, snics in psutil.net_if_addrs().items():
        for snic in snics:
            if snic.family not in (socket.AF_INET, socket.AF_INET6) or not snic.netmask:
                continue
            address = snic.address.split("%")[0]
            key = (_a6(address) if snic.family == socket.AF_INET6
                   else _a6("::ffff:" + address))
            expected[key] = (_ones(snic.netmask), socket.if_nametoindex(name))
    table = read_in6ai()
    if set(expected) <= {_a6("::1")} | {k for k in expected if k[:12] == _a6("::ffff:0:0")[:12]}:
        assert table is None
        return
    assert {k: (v.prefixlen, v.index) for k, v in table.items()} == expected


@pytest.mark.skipif(not Path("/sys/class/net").is_dir(), reason="needs Linux's sysfs")
def test_link_types_read_over_netlink_are_the_ones_sysfs_shows():
    from loopedu.glibc.netlink import read_link_types

    sysfs = {int((d / "ifindex").read_text()): int((d / "type").read_text())
             for d in Path("/sys/class/net").iterdir() if (d / "type").exists()}
    assert read_link_types() == sysfs
    lo = socket.if_nametoindex("lo")
    assert sysfs[lo] == 772  # ARPHRD_LOOPBACK: not a tunnel, so native (rule 7)
    machine = Machine(host_conf=HostConf())
    assert machine.is_native(lo) == 1 and machine.is_native(max(sysfs) + 1000) == 0


def test_tunnels_are_not_native_transport(monkeypatch):
    """check_native.c: an interface of type ARPHRD_TUNNEL, ARPHRD_TUNNEL6 or ARPHRD_SIT is
    not native; any other type is; an index the kernel does not list is not."""
    from loopedu.glibc import machine as machine_module

    types = {1: 772, 2: 1, 3: 768, 4: 769, 5: 776}
    monkeypatch.setattr(machine_module, "read_link_types", lambda: types)
    machine = Machine(host_conf=HostConf())
    assert [machine.is_native(i) for i in (1, 2, 3, 4, 5, 6)] == [1, 1, 0, 0, 0, 0]


@pytest.mark.needs("network_namespaces")
def test_deprecated_and_home_flags_prefixes_and_indexes_read_in_a_namespace():
    """In a namespace set up here: an address with preferred_lft 0 is deprecated, one
    added with ``home`` is a home address (IN6AI_DEPRECATED, IN6AI_HOMEADDRESS), each with
    the prefix length and interface it was given."""
    from loopedu.sandbox import namespace

    with namespace("in6ai") as ns:
        ns.ip("link", "add", "d0", "type", "veth", "peer", "name", "d1")
        ns.ip("addr", "add", "fd00:1::1/64", "dev", "d0", "nodad", "preferred_lft", "0")
        ns.ip("addr", "add", "fd00:2::1/48", "dev", "d0", "nodad", "home")
        ns.ip("addr", "add", "fd00:3::1/56", "dev", "d0", "nodad")
        ns.ip("addr", "add", "10.9.0.1/16", "dev", "d0")
        d0 = int(ns.run("ip", "-o", "link", "show", "d0").stdout.split(":")[0])
        d1 = int(ns.run("ip", "-o", "link", "show", "d1").stdout.split(":")[0])
        lo = int(ns.run("ip", "-o", "link", "show", "lo").stdout.split(":")[0])
        table = ns.call("loopedu.glibc.netlink:read_in6ai")
        types = ns.call("loopedu.glibc.netlink:read_link_types")
    got = {socket.inet_ntop(socket.AF_INET6, k): (v.flags, v.prefixlen, v.index)
           for k, v in table.items() if k[:2] != _a6("fe80::")[:2]}
    assert got == {"::1": (0, 128, lo), "::ffff:127.0.0.1": (0, 8, lo),
                   "fd00:1::1": (IN6AI_DEPRECATED, 64, d0),
                   "fd00:2::1": (IN6AI_HOMEADDRESS, 48, d0),
                   "fd00:3::1": (0, 56, d0), "::ffff:10.9.0.1": (0, 16, d0)}
    assert types == {lo: 772, d0: 1, d1: 1}  # loopback, and veths are ARPHRD_ETHER


@pytest.mark.needs("network_namespaces")
def test_no_ipv6_address_but_loopback_reads_as_no_table():
    """__check_pf reports no IPv6 (the sort then uses no interface data) when ::1 is the
    only IPv6 address, however many IPv4 addresses there are."""
    from loopedu.sandbox import namespace

    with namespace("in6ai") as ns:
        ns.ip("link", "add", "d0", "type", "veth", "peer", "name", "d1")
        ns.ip("addr", "add", "10.9.0.1/16", "dev", "d0")
        assert ns.call("loopedu.glibc.netlink:read_in6ai") is None
        ns.ip("addr", "add", "fd00:3::1/56", "dev", "d0", "nodad")
        assert ns.call("loopedu.glibc.netlink:read_in6ai") is not None


# ----------------------------------------------------------------------------------------
# gai.conf and host.conf as glibc 2.36 reads them (gaiconf_init in
# sysdeps/posix/getaddrinfo.c, res_hconf.c), and the C functions they rely on
# ----------------------------------------------------------------------------------------

def _libc_strtoul(text: bytes):
    """The C library's own strtoul(text, &end, 10): (value, text from end, ERANGE)."""
    import ctypes
    import errno

    libc = ctypes.CDLL(None, use_errno=True)
    libc.strtoul.restype = ctypes.c_ulong
    libc.strtoul.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p), ctypes.c_int]
    buf = ctypes.create_string_buffer(text)
    end = ctypes.c_void_p()
    ctypes.set_errno(0)
    value = libc.strtoul(ctypes.addressof(buf), ctypes.byref(end), 10)
    return value, text[end.value - ctypes.addressof(buf):], ctypes.get_errno() == errno.ERANGE


STRTOUL_TEXTS = ["", " ", "0", "7", " \t\n\v\f\r42rest", "+5", "-5", "-", "+", "+-1", " -1x",
                 "x1", "12:30", "9/", "18446744073709551615", "18446744073709551616",
                 "-18446744073709551615", "-18446744073709551616", "0" * 5000 + "17",
                 "0" * 80 + "1" * 70, "1" * 70, "1" * 71, "00018446744073709551616",
                 "  007 8"] + _fuzz_strings(" \t+-0123456789:/x", 2000, seed=9, max_len=30)


@needs_glibc
def test_strtoul_agrees_with_libc_strtoul():
    from loopedu.glibc.ctext import strtoul

    wrong = [(t, strtoul(t.encode()), _libc_strtoul(t.encode())) for t in STRTOUL_TEXTS
             if strtoul(t.encode()) != _libc_strtoul(t.encode())]
    assert not wrong, wrong[:10]


def test_c_fields_are_the_first_words_of_a_line():
    from loopedu.glibc.ctext import c_fields

    assert c_fields(b" label\t::1/128   5 and more words ", 3) == [b"label", b"::1/128", b"5"]
    assert c_fields(b"a b c d e f", 2) == [b"a", b"b"]
    assert c_fields(b"  ", 2) == [b"", b""]


def _a4(text: str) -> int:
    return int.from_bytes(socket.inet_aton(text), "big")


PREFIX_LINES = [  # (a precedence line, the precedence it gives ::1, or None: glibc refuses it)
    ("precedence ::1/128 60", 60),
    ("precedence ::1 60", 60),  # no /bits: 128
    ("precedence  \t ::1/128 \t 60   and the rest of the line", 60),
    ("precedence ::1/128 60#comment#more", 60),  # a comment starts at the first #
    ("precedence ::1/128 6\0trailing\0bytes", 6),  # C strings end at the NUL
    ("precedence ::1/128 2147483647", 2**31 - 1),  # INT_MAX
    ("precedence ::1/128", 0),  # strtoul("") is 0 with nothing left over
    ("precedence ::1/128 2147483648", None),
    ("precedence ::1/128 -1", None),  # wraps to ULONG_MAX
    ("precedence ::1/128 99999999999999999999999", None),  # ERANGE
    ("precedence ::1/128 60x", None),
    ("precedence ::1/abc 60", None),
    ("precedence ::1/128x 60", None),
    ("precedence ::1/129 60", None),
    ("precedence ::1/99999999999999999999999 60", None),
    ("precedence 127.0.0.1/8 60", None),  # not IPv6 text
    ("precedences ::1/128 60", None),
]


@pytest.mark.parametrize("line, value", PREFIX_LINES)
def test_gai_conf_prefix_lines_glibc_accepts_and_refuses(line, value):
    policy = Policy.parse(line + "\n")
    if value is None:
        assert policy == Policy()
    else:
        assert policy.precedence_of(_a6("::1")) == value
        assert policy.precedence_of(_a6("2001:db8::1")) == 40  # the catch-all added
        assert policy.labels == Policy().labels


def test_gai_conf_tables_most_specific_first_with_a_catch_all():
    policy = Policy.parse("label ::/0 7\nlabel 2001:db8::/32 8\nlabel ::1/128 9\n")
    assert [policy.label_of(_a6(a)) for a in ("::1", "2001:db8::1", "fd00::1")] == [9, 8, 7]
    policy = Policy.parse("label ::1/128 9\n")  # no ::/0 given: glibc adds it with label 1
    assert [policy.label_of(_a6(a)) for a in ("::1", "2001:db8::1")] == [9, 1]
    policy = Policy.parse("precedence ::1/ 60\n")  # "/" then nothing: 0 bits, matches all
    assert policy.precedence_of(_a6("2001:db8::1")) == 60


SCOPE_LINES = [  # (a scopev4 line, {address: scope}), or None: glibc refuses it
    ("scopev4 192.0.2.0/24 5", {"192.0.2.9": 5, "192.0.3.9": 14, "127.0.0.1": 14}),
    ("scopev4 192.0.2.7 5", {"192.0.2.7": 5, "192.0.2.6": 14}),  # no /bits: 32
    ("scopev4 ::ffff:192.0.2.7 5", {"192.0.2.7": 5, "192.0.2.6": 14}),  # no /bits: 128
    ("scopev4 ::ffff:192.0.2.0/120 5", {"192.0.2.200": 5, "192.0.3.1": 14}),
    ("scopev4 0.0.0.0/0 7", {"10.0.0.1": 7, "127.0.0.1": 7}),
    ("scopev4 ::ffff:0.0.0.0/96 7", {"10.0.0.1": 7, "255.255.255.255": 7}),
    ("scopev4 192.0.2.0/24 2147483647", {"192.0.2.1": 2**31 - 1}),
    ("scopev4 192.0.2.0/33 5", None),
    ("scopev4 ::ffff:192.0.2.0/129 5", None),
    ("scopev4 ::ffff:192.0.2.0/95 5", None),
    ("scopev4 ::1/128 5", None),  # IPv6 but not v4-mapped
    ("scopev4 192.0.2.0/x 5", None),
    ("scopev4 192.0.2.0/24x 5", None),
    ("scopev4 192.0.2.0/99999999999999999999999 5", None),
    ("scopev4 192.0.2.0/24 2147483648", None),
    ("scopev4 192.0.2.0/24 5x", None),
    ("scopev4 192.0.2.0/24 99999999999999999999999", None),
    ("scopev4 192.0.2.0/24 -1", None),
    ("scopev4 192.0.2.256/24 5", None),
]


@pytest.mark.parametrize("line, scopes", SCOPE_LINES)
def test_gai_conf_scopev4_lines_glibc_accepts_and_refuses(line, scopes):
    policy = Policy.parse(line + "\n")
    if scopes is None:
        assert policy == Policy()
        return
    got = {a: policy.scope_of(socket.AF_INET, socket.inet_aton(a)) for a in scopes}
    assert got == scopes


def test_gai_conf_str_with_undecodable_bytes_reads_like_bytes():
    raw = b"label ::1/128 9 \xff\nprecedence ::1/128 60\n"
    text = raw.decode("utf-8", "surrogateescape")
    assert Policy.parse(text) == Policy.parse(raw) != Policy()


def _fake_open(monkeypatch, module, content: bytes) -> list:
    """Make ``open`` in ``module`` return ``content`` and record (path, mode)."""
    import io

    opened = []

    def fake(path, mode="r", *args, **kwargs):
        opened.append((path, mode))
        return io.BytesIO(content) if "b" in mode else io.StringIO(content.decode())

    monkeypatch.setattr(module, "open", fake, raising=False)
    return opened


def test_gai_conf_is_read_from_etc_gai_conf(monkeypatch):
    from loopedu.glibc import policy as policy_module

    opened = _fake_open(monkeypatch, policy_module, b"precedence ::1/128 60\n")
    assert Policy.from_system().precedence_of(_a6("::1")) == 60
    assert opened == [("/etc/gai.conf", "rb")]


def test_host_conf_is_read_from_resolv_host_conf_or_etc_host_conf(monkeypatch, tmp_path):
    from loopedu.glibc import hostconf

    for name in ("RESOLV_HOST_CONF", "RESOLV_MULTI", "RESOLV_REORDER"):
        monkeypatch.delenv(name, raising=False)
    opened = _fake_open(monkeypatch, hostconf, b"multi on\nreorder on\n")
    assert HostConf.from_system() == HostConf(multi=True, reorder=True)
    assert opened == [("/etc/host.conf", "rb")]
    monkeypatch.undo()
    for name in ("RESOLV_MULTI", "RESOLV_REORDER"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "host.conf"
    path.write_bytes(b"reorder on\n")
    monkeypatch.setenv("RESOLV_HOST_CONF", str(path))
    assert HostConf.from_system() == HostConf(multi=False, reorder=True)
    monkeypatch.setenv("RESOLV_HOST_CONF", str(tmp_path / "missing"))
    assert HostConf.from_system() == HostConf()


@pytest.mark.parametrize("text, environ, conf", [
    ("  multi on\n", {}, HostConf(multi=True)),  # leading white space is skipped
    ("# a comment\n\nmulti on\n", {}, HostConf(multi=True)),  # and so are comments, blanks
    ("reorder on\n", {}, HostConf(reorder=True)),
    ("multi on\n", {"RESOLV_MULTI": "maybe"}, HostConf(multi=True)),  # keeps the file's
    ("", {"RESOLV_REORDER": "on"}, HostConf(reorder=True)),
    # fgets(buf, 256): a 300-byte line is read as 255 bytes, then the rest as a line
    ("#" + "x" * 254 + "multi on\n", {}, HostConf(multi=True)),
    ("#" + "x" * 253 + "multi on\n", {}, HostConf()),
    ("multi on\udcff\n", {}, HostConf(multi=True)),  # undecodable bytes, as str
])
def test_host_conf_lines(text, environ, conf):
    assert HostConf.parse(text, environ) == conf


# ----------------------------------------------------------------------------------------
# The probes: glibc's UDP connect to each candidate, on this machine's loopback and on a
# machine described by hand
# ----------------------------------------------------------------------------------------

def _lo_in6ai(address: str) -> tuple:
    """(flags, prefix length, interface index) of a loopback address, from psutil."""
    import psutil

    for snic in psutil.net_if_addrs()["lo"]:
        if snic.address.split("%")[0] == address:
            return 0, _ones(snic.netmask), socket.if_nametoindex("lo")
    raise AssertionError(f"{address} is not on lo")


@pytest.mark.needs("ipv6_loopback")
@pytest.mark.skipif(sys.platform != "linux", reason="the probe reads netlink")
def test_probe_connects_like_glibc_on_loopback():
    """One socket, reopened as IPv6 when an IPv6 candidate follows IPv4 ones; after that
    IPv4 candidates are connected to as ::ffff:a.b.c.d and their source read back as IPv4;
    a source in 127/8 is looked up as 127.0.0.1 (lo's address)."""
    v4, v4b, v6 = socket.inet_aton("127.0.0.1"), socket.inet_aton("127.0.0.2"), _a6("::1")
    probes = Machine(host_conf=HostConf()).probe(
        [(socket.AF_INET, v4), (socket.AF_INET6, v6), (socket.AF_INET, v4b),
         (socket.AF_INET, v4b)])
    lo4, lo6 = _lo_in6ai("127.0.0.1"), _lo_in6ai("::1")
    assert [(p.got_source, p.source_family, p.source, (p.flags, p.prefixlen, p.index))
            for p in probes] == [
        (True, socket.AF_INET, v4, lo4),
        (True, socket.AF_INET6, v6, lo6),
        (True, socket.AF_INET, v4, lo4),  # 127.0.0.2 is reached from lo's 127.0.0.1
        (True, socket.AF_INET, v4, lo4),  # the same candidate again: the same result
    ]


@pytest.mark.needs("ipv6_loopback")
def test_connect_now_reports_the_source_or_the_errno():
    import errno

    connect = Machine._connect_now
    v4 = socket.inet_aton("127.0.0.1")
    assert connect(socket.AF_INET, socket.AF_INET, v4) == (v4, 0)
    assert connect(socket.AF_INET6, socket.AF_INET6, _a6("::1")) == (_a6("::1"), 0)
    assert connect(socket.AF_INET6, socket.AF_INET, v4) == (_a6("::ffff:127.0.0.1"), 0)
    # a link-local destination with no scope ID (as a hosts file gives it) cannot be
    # connected to: glibc finds no source for it
    assert connect(socket.AF_INET6, socket.AF_INET6, _a6("fe80::1")) == (None, errno.EINVAL)


def test_socket_opens_says_which_families_this_machine_has():
    import errno

    machine = Machine(host_conf=HostConf())
    assert machine._socket_opens(socket.AF_INET) == (True, 0)
    assert machine._socket_opens(12345) == (False, errno.EAFNOSUPPORT)


class ConnectsGiven(Machine):
    """A Machine whose sockets, UDP connects and interface table are given."""

    def __init__(self, connects: dict, in6ai=None, sockets=(socket.AF_INET, socket.AF_INET6)):
        super().__init__(host_conf=HostConf(), policy=Policy())
        self._given, self._families, self._in6ai = connects, sockets, in6ai

    def _socket_opens(self, family):
        import errno

        return (True, 0) if family in self._families else (False, errno.EAFNOSUPPORT)

    def _connect_now(self, sock_family, family, packed):
        return self._given[(sock_family, family, packed)]


def test_probe_falls_back_to_an_ipv4_socket_when_ipv6_sockets_are_ipv6_only():
    """glibc's close_retry: EAFNOSUPPORT connecting an IPv6 socket to an IPv4 candidate
    reopens the socket as IPv4 and tries again."""
    import errno

    from loopedu.glibc.netlink import AddrInfo

    v6, v4, src4 = _a6("2001:db8::9"), socket.inet_aton("198.51.100.7"), socket.inet_aton(
        "198.51.100.1")
    machine = ConnectsGiven({
        (socket.AF_INET6, socket.AF_INET6, v6): (_a6("2001:db8::1"), 0),
        (socket.AF_INET6, socket.AF_INET, v4): (None, errno.EAFNOSUPPORT),
        (socket.AF_INET, socket.AF_INET, v4): (src4, 0),
    }, in6ai={_a6("::ffff:198.51.100.1"): AddrInfo(0, 24, 3),
              _a6("2001:db8::1"): AddrInfo(IN6AI_HOMEADDRESS, 64, 2)})
    first, second = machine.probe([(socket.AF_INET6, v6), (socket.AF_INET, v4)])
    assert (first.got_source, first.source, first.flags, first.prefixlen, first.index) == (
        True, _a6("2001:db8::1"), IN6AI_HOMEADDRESS, 64, 2)
    assert (second.got_source, second.source_family, second.source, second.prefixlen,
            second.index) == (True, socket.AF_INET, src4, 24, 3)


def test_probe_without_a_socket_or_a_route_finds_no_source():
    import errno

    v4, v4b = socket.inet_aton("198.51.100.7"), socket.inet_aton("198.51.100.8")
    machine = ConnectsGiven({(socket.AF_INET, socket.AF_INET, v4): (None, errno.ENETUNREACH),
                             (socket.AF_INET, socket.AF_INET, v4b): (v4, 0)})
    assert [p.got_source for p in machine.probe([(socket.AF_INET, v4),
                                                 (socket.AF_INET, v4b)])] == [False, True]
    no_ipv6 = ConnectsGiven({}, sockets=(socket.AF_INET,))
    (probe,) = no_ipv6.probe([(socket.AF_INET6, _a6("2001:db8::9"))])
    assert (probe.got_source, probe.index) == (False, NO_INDEX)


def test_a_source_in_127_8_is_looked_up_as_127_0_0_1():
    from loopedu.glibc.netlink import AddrInfo

    dest, src = socket.inet_aton("127.0.0.9"), socket.inet_aton("127.0.0.9")
    machine = ConnectsGiven({(socket.AF_INET, socket.AF_INET, dest): (src, 0)},
                            in6ai={_a6("::ffff:127.0.0.1"): AddrInfo(0, 8, 1)})
    (probe,) = machine.probe([(socket.AF_INET, dest)])
    assert (probe.source, probe.prefixlen, probe.index) == (src, 8, 1)


def test_interface_data_that_cannot_be_read_counts_as_none(monkeypatch):
    from loopedu.glibc import machine as machine_module

    def unreadable():
        raise OSError("no netlink here")

    for name in ("read_in6ai", "read_link_types", "read_ipv4_ifaddrs"):
        monkeypatch.setattr(machine_module, name, unreadable)
    machine = Machine(host_conf=HostConf())
    assert machine._in6ai_table() is None
    assert machine.is_native(1) == 0
    assert machine.ipv4_ifaddrs() == []
    (probe,) = machine.probe([(socket.AF_INET, socket.inet_aton("127.0.0.1"))])
    assert probe.got_source and (probe.prefixlen, probe.index) == (0, NO_INDEX)


# ----------------------------------------------------------------------------------------
# Address text, lines and look-ups: more of glibc's edges
# ----------------------------------------------------------------------------------------

def _structured_ipv6_texts(count: int, seed: int) -> list[str]:
    """IPv6-like texts built from groups: 1 to 10 groups of 0 to 5 hex digits, maybe one
    or two "::", maybe a dotted quad at the end (what a character fuzz rarely makes)."""
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        groups = ["".join(rng.choice("0123456789abcdefABCDEF") for _ in range(
            rng.choice([1, 1, 2, 3, 4, 4, 4, 0, 5]))) for _ in range(rng.randint(1, 10))]
        if rng.random() < 0.3:
            groups[-1] = ".".join(str(rng.choice([0, 1, 9, 127, 255, 256]))
                                  for _ in range(rng.choice([4, 4, 4, 3, 5])))
        text = ":".join(groups)
        for _ in range(rng.choice([0, 1, 1, 2])):
            cut = rng.randint(0, len(text))
            text = text[:cut] + rng.choice(["::", ":", ":::"]) + text[cut:]
        texts.append(text)
    return texts


@needs_glibc
def test_inet_pton_agrees_with_libc_on_texts_built_from_groups():
    wrong = []
    for text in _structured_ipv6_texts(20000, seed=10) + [
            "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8", "1:2:3:4:5:6::7", "1:2:3:4:5:6:7:8::",
            "1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:7:1.2.3.4", "1:2:3:4:5::1.2.3.4",
            "::1.2.3.4", "1::1.2.3.4", "1:2:3:4:5:6:7:8:1.2.3.4", "::ffff:1.2.3.4.5"]:
        try:
            expected = socket.inet_pton(socket.AF_INET6, text)
        except OSError:
            expected = None
        if inet_pton(socket.AF_INET6, text) != expected:
            wrong.append((text, expected))
    assert not wrong, wrong[:20]


def test_inet_pton_takes_str_with_undecodable_bytes():
    assert inet_pton(socket.AF_INET, "1.2.3.4\udcff") is None
    assert inet_pton(socket.AF_INET6, "::1\udcff") is None
    assert inet_pton(socket.AF_INET6, "::1") == _a6("::1")


def test_link_and_site_local_classes_match_the_ipaddress_module():
    import ipaddress

    from loopedu.glibc.inet import is_linklocal6, is_sitelocal6

    for first in (0xFE, 0xFF, 0xFD, 0x7E):
        for second in range(256):
            a16 = bytes([first, second]) + bytes(13) + b"\x01"
            address = ipaddress.IPv6Address(a16)
            assert is_linklocal6(a16) == address.is_link_local, address
            assert is_sitelocal6(a16) == address.is_site_local, address


def test_a_nul_ends_the_queried_name():
    assert query_bytes(b"localhost\0x\0y") == b"localhost"
    assert query_bytes("localhost\0x\0y") == b"localhost"


def test_a_name_repeated_on_a_line_answers_once():
    hf = hosts.parse(b"10.0.0.1 a\n10.0.0.2 a\n10.0.0.3 a A a\n10.0.0.4 b a\n")
    multi = Machine(host_conf=HostConf(multi=True), policy=Policy())
    assert sorted(hf.lookup("a", socket.AF_INET, machine=multi)) == [
        "10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"]
    assert [m.line for m in hf.matches("a", socket.AF_INET, machine=multi)] == [1, 2, 3, 4]


def test_without_multi_the_first_matching_line_answers():
    hf = hosts.parse(b"10.0.0.1 a\n10.0.0.2 a\n")
    one = Machine(host_conf=HostConf(multi=False), policy=Policy())
    assert hf.lookup("a", socket.AF_INET, machine=one) == ["10.0.0.1"]


def test_only_a_name_with_two_or_more_lines_reads_host_conf(monkeypatch):
    def no_reading():
        raise AssertionError("host.conf read for a name with one answer")

    monkeypatch.setattr(HostConf, "from_system", staticmethod(no_reading))
    hf = hosts.parse(b"10.0.0.1 a\n127.0.0.1 b\n::1 b\n")
    assert hf.lookup("a") == ["10.0.0.1"]
    monkeypatch.setattr(HostConf, "from_system", staticmethod(lambda: HostConf(multi=True)))
    assert sorted(hf.lookup("b")) == ["127.0.0.1", "::1"]  # no machine given: this one


def test_star_is_getaddrinfo_s_null_name():
    """getaddrinfo turns the name "*" into NULL (then EAI_NONAME without a service)."""
    hf = hosts.parse(b"10.0.0.1 * star\n")
    assert hf.lookup("*") == [] and hf.lookup("star") == ["10.0.0.1"]


def test_names_that_look_numeric_are_never_looked_up_for_ipv4_only():
    hf = hosts.parse(b"10.0.0.1 300.1.2.3 ab:cd\n")
    for name in ("300.1.2.3", "ab:cd"):
        assert hf.lookup(name, socket.AF_INET) == []
        assert hf.lookup(name, socket.AF_UNSPEC) == ["10.0.0.1"]


def test_scope_ids_are_names_only_for_link_local_and_multicast_link_or_node_local():
    empty = hosts.parse(b"")
    for text in ("fd01::1%lo", "2001::1%lo", "fe80::1%no-such-if", "ff05::1%lo"):
        assert empty.lookup(text) == [], text
    for text in ("fe80::1%lo", "ff02::1%lo", "ff01::1%lo", "fd01::1%7"):
        assert empty.lookup(text) == [text.split("%")[0]], text


def test_entries_show_what_glibc_reads_of_each_line():
    """A line with leading white space reads as it looks, unless it is the last line and
    has no newline: then __nss_readline leaves the old tail visible (ab reads as abab)."""
    names = [e.names for e in hosts.parse(b"127.0.0.1 a\n  10.0.0.2 cd\n  10.0.0.1 ab").entries]
    assert names == [("a",), ("cd",), ("abab",)]
    names = [e.names for e in hosts.parse(b"127.0.0.1 a\n  10.0.0.1 ab\n").entries]
    assert names == [("a",), ("ab",)]


def test_readline_view_of_ordinary_lines():
    from loopedu.glibc.hostsfile import readline_view

    assert readline_view(b"  10.0.0.1 ab", has_newline=True) == b"10.0.0.1 ab"
    assert readline_view(b"10.0.0.1 ab # c", has_newline=True) == b"10.0.0.1 ab "
    assert readline_view(b"   # only a comment", has_newline=True) is None
    assert readline_view(b"#c", has_newline=False) is None
    assert readline_view(b" \t ", has_newline=True) is None


@pytest.mark.parametrize("line, because", [
    (b"fe80::1%lo scoped", "scope ID"),
    (b"fe80::1%a%b scoped", "scope ID"),
    (b"bogus%lo x", "does not start with an address"),
    (b"127.1 short", "shorthand"),
    (b"0x7f.0.0.1 hex", "shorthand"),
    (b"1.2.3.256 big", "not four decimal parts"),
    (b"01.2.3.4.5 five", "not four decimal parts"),
    (b"FFFFF::1 upper", "not valid IPv6"),
    (b"fffff::1 lower", "not valid IPv6"),
    (b"1:2:3 short", "not valid IPv6"),
    (b"localhost 127.0.0.1", "does not start with an address"),
])
def test_a_skipped_line_says_why_its_address_is_refused(line, because):
    (problem,) = hosts.parse(line + b"\n").problems
    assert (problem.kind, problem.skipped) == ("bad-address", True)
    assert because in problem.reason, problem.reason


def test_a_nul_byte_is_reported_at_its_column():
    (problem,) = [p for p in hosts.parse(b"10.0.0.1 abc\0def\0\n").problems
                  if p.kind == "nul-byte"]
    assert "column 13" in problem.reason and not problem.skipped


# Found by mutation testing (mutmut on loopedu/glibc/sort.py): the leading-zero count and
# rule 9's subnet mask for IPv4, checked on values worked out by hand.

def test_leading_zero_bits_of_a_32_bit_word():
    from loopedu.glibc.sort import _clz32

    assert [_clz32(w) for w in (0, 1, 0x00010000, 0x80000000, 0xFFFFFFFF)] == [32, 31, 15, 0, 0]


@pytest.mark.parametrize("dst, src, prefixlen, common", [
    ("10.1.2.3", "10.9.9.9", 8, 12),     # same /8: 0x0A01.. ^ 0x0A09.. = 0x0008..: 12 bits
    ("10.1.3.1", "10.1.2.1", 24, 0),     # outside the source's /24: not counted
    ("10.1.2.9", "10.1.2.1", 24, 28),    # same /24: they differ first in bit 29 (0x08)
    ("10.1.2.1", "10.1.2.1", 0, 32),     # prefixlen 0: glibc's shift by 32 is a no-op,
    ("10.1.2.2", "10.1.2.1", 0, 0),      # so the mask is all ones: only itself matches
])
def test_rule_9_counts_common_bits_only_inside_the_sources_subnet(dst, src, prefixlen,
                                                                  common):
    from loopedu.glibc.sort import _ipv4_common_bits

    probe = SortResult(socket.AF_INET, socket.inet_aton(dst), got_source=True,
                       source_family=socket.AF_INET, source=socket.inet_aton(src),
                       prefixlen=prefixlen)
    assert _ipv4_common_bits(probe) == common
