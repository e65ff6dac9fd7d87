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
from loopedu.glibc.machine import Machine
from loopedu.glibc.policy import Policy

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
                     snic(socket.AF_INET6, "fd00::1", "ffff:ffff:ffff:ffff::")],
            "lo": [snic(socket.AF_INET, "127.0.0.1", "255.0.0.0")]}
    monkeypatch.setattr(psutil, "net_if_addrs", lambda: fake)
    assert sorted(read_ipv4_ifaddrs()) == [(0x0A010001, 0xFFFFFF00), (0x0A020001, 0xFFFF0000),
                                           (0x7F000001, 0xFF000000)]


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
