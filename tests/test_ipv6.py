"""loopedu.ipv6 (lesson 05 notation), cross-checked with Python's ipaddress and the C
library's inet_pton/inet_ntop (glibc's inet_ntop implements RFC 5952 compression), and
the ipv6_notation widget and the bits figure."""

import ipaddress
import random
import socket

import pytest

from loopedu import ipv6, widgets
from loopedu.ipv6 import compress, compression_steps, expand, parse


def random_address(rng: random.Random) -> str:
    """A random IPv6 address rich in zero runs (the interesting cases)."""
    groups = [rng.choice([0, 0, 0, 1, 0xffff, rng.randrange(1 << 16)]) for _ in range(8)]
    return ":".join(f"{g:x}" for g in groups)


def spellings(address: str, rng: random.Random) -> list[str]:
    """Other valid spellings of ``address``: full, upper case, leading zeros, a '::'."""
    full = ipaddress.IPv6Address(address).exploded
    groups = full.split(":")
    out = [full, full.upper(), ":".join(g.lstrip("0") or "0" for g in groups)]
    zeros = [i for i, g in enumerate(groups) if g == "0000"]
    if zeros:
        start = rng.choice(zeros)
        end = start
        while end + 1 < 8 and groups[end + 1] == "0000" and rng.random() < 0.7:
            end += 1
        out.append(":".join(groups[:start]) + "::" + ":".join(groups[end + 1:]))
    return out


def all_hex(ntop: str) -> str:
    """inet_ntop's text with a dotted IPv4 tail written as its two hex groups instead.

    glibc prints IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d, a form RFC
    4291 section 2.5.5.1 deprecated) addresses dotted; the rest of its text is RFC 5952's.
    """
    if "." not in ntop:
        return ntop
    head, tail = ntop.rsplit(":", 1)
    a, b, c, d = (int(x) for x in tail.split("."))
    return f"{head}:{(a << 8) | b:x}:{(c << 8) | d:x}"


def test_all_hex_helper():
    assert all_hex("::ffff:127.0.0.1") == "::ffff:7f00:1"
    assert all_hex("::127.0.0.1") == "::7f00:1"
    assert all_hex("::ffff:0.0.0.1") == "::ffff:0:1"
    assert all_hex("2001:db8::1") == "2001:db8::1"


@pytest.mark.parametrize("text, full, canonical", [
    ("::1", "0000:0000:0000:0000:0000:0000:0000:0001", "::1"),
    ("::", "0000:0000:0000:0000:0000:0000:0000:0000", "::"),
    ("0:0:0:0:0:0:0:1", "0000:0000:0000:0000:0000:0000:0000:0001", "::1"),
    # RFC 5952 section 4.2.3: the longest run; the first on a tie
    ("2001:db8:0:0:1:0:0:1", "2001:0db8:0000:0000:0001:0000:0000:0001", "2001:db8::1:0:0:1"),
    ("2001:0:0:1:0:0:0:1", "2001:0000:0000:0001:0000:0000:0000:0001", "2001:0:0:1::1"),
    # section 4.2.2: one zero group is not compressed
    ("2001:db8:0:1:1:1:1:1", "2001:0db8:0000:0001:0001:0001:0001:0001", "2001:db8:0:1:1:1:1:1"),
    # sections 4.1 and 4.3: leading zeros dropped, lowercase
    ("2001:0DB8::0001", "2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
    # section 5: IPv4-mapped keeps the dotted quad
    ("::FFFF:7F00:1", "0000:0000:0000:0000:0000:ffff:7f00:0001", "::ffff:127.0.0.1"),
    ("fe80::1%lo", "fe80:0000:0000:0000:0000:0000:0000:0001%lo", "fe80::1%lo"),
    ("[::1]", "0000:0000:0000:0000:0000:0000:0000:0001", "::1"),
    ("1:2:3:4:5:6:7::", "0001:0002:0003:0004:0005:0006:0007:0000", "1:2:3:4:5:6:7:0"),
])
def test_expand_and_compress_examples(text, full, canonical):
    assert expand(text) == full
    assert compress(text) == canonical


def test_agrees_with_ipaddress_and_inet_ntop_on_random_addresses():
    rng = random.Random(4291)
    for _ in range(3000):
        address = random_address(rng)
        expected = ipaddress.IPv6Address(address)
        ntop = socket.inet_ntop(socket.AF_INET6, expected.packed)
        # RFC 5952 section 5: only IPv4-mapped addresses keep the dotted tail.
        canonical = ntop if expected in ipaddress.IPv6Network("::ffff:0:0/96") else all_hex(ntop)
        for spelling in spellings(address, rng):
            assert expand(spelling) == expected.exploded, spelling
            assert compress(spelling, mixed=False) == all_hex(ntop), spelling
            assert compress(spelling) == canonical, spelling
            assert socket.inet_pton(socket.AF_INET6, compress(spelling)) == expected.packed


def test_mixed_notation_matches_inet_ntop_for_every_mapped_address_kind():
    for v4 in ["127.0.0.1", "0.0.0.0", "0.0.0.1", "255.255.255.255", "10.0.0.1"]:
        packed = ipaddress.IPv6Address(f"::ffff:{v4}").packed
        assert compress(f"::ffff:{v4}") == socket.inet_ntop(socket.AF_INET6, packed)


def test_accepts_exactly_what_ipaddress_accepts():
    """Random strings over the IPv6 alphabet: valid for loopedu iff valid for ipaddress,
    and then the same address."""
    rng = random.Random(5952)
    alphabet = "0123456789abcdefABCDEF:::::.g"
    valid = 0
    for _ in range(20000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 20)))
        try:
            want = ipaddress.IPv6Address(text)
            valid += 1
        except ValueError:
            want = None
        try:
            got = parse(text).address
        except ValueError:
            got = None
        assert got == want, text
    assert valid >= 100  # the sample holds both kinds, so the comparison says something


@pytest.mark.parametrize("text, says", [
    ("1::2::3", "'::' twice"),
    ("2001:db8::12345", "5 hex digits"),
    ("2001:db8::g", "not a hex digit"),
    ("1:2:3:4:5:6:7:8:9", "too many groups: 9"),
    ("1:2:3:4::5:6:7:8", "at least one zero group"),
    ("1:2:3", "only 3 groups and no '::'"),
    (":::1", "three colons"),
    ("1:", "single ':'"),
    ("::1.2.3.256", "over 255"),
    ("1.2.3.4::", "last 32 bits"),
    ("fe80::1%", "empty zone id"),
    # parse_address's own messages, reused
    ("127.0.0.1", "IPv4-mapped address ::ffff:127.0.0.1"),
    ("localhost", "host name"),
    ("::1/128", "CIDR block"),
    ("[::1]:8080", "with a port"),
    ("", "empty input"),
])
def test_invalid_text_says_what_is_wrong(text, says):
    with pytest.raises(ValueError) as err:
        expand(text)
    assert says in str(err.value)
    with pytest.raises(OSError):
        socket.inet_pton(socket.AF_INET6, text)  # the C library refuses it too


def test_compression_steps_walk_to_the_canonical_form():
    steps = compression_steps("2001:0DB8:0000:0000:0001:0000:0000:0001")
    assert steps[-1].endswith("2001:db8::1:0:0:1")
    assert "first on a tie" in steps[-1]
    assert "never written '::'" in compression_steps("2001:db8:0:1:1:1:1:1")[-1]
    assert "RFC 5952 section 5" in compression_steps("::ffff:127.0.0.1")[-1]


def test_bits_of_loopback():
    rows = ipv6.bit_rows("::1")
    assert "".join(bits for _, _, bits in rows) == f"{1:0128b}"
    grid = ipv6.format_bits("::1").splitlines()
    assert len(grid) == 8 and grid[-1].startswith("group 8  0001  0000 0000 0000 0001")


def test_widget_expands_compresses_and_reports_errors():
    box = widgets.ipv6_notation("::1")
    text, panel = box.children
    assert "0000:0000:0000:0000:0000:0000:0000:0001" in panel.value
    text.value = "2001:0DB8:0:0:1:0:0:1"
    assert "2001:db8::1:0:0:1" in panel.value
    text.value = "2001:db8::12345"
    assert "Not a valid IPv6 address" in panel.value and "5 hex digits" in panel.value
    text.value = ""
    assert "empty input" in panel.value


def test_mixed_false_gives_the_hex_spelling_and_this_python_prints_one_of_the_two():
    # Which spelling ipaddress prints depends on the Python release: ask this one.
    assert compress("::ffff:127.0.0.1", mixed=False) == "::ffff:7f00:1"
    assert str(ipaddress.ip_address("::ffff:127.0.0.1")) in {
        compress("::ffff:127.0.0.1", mixed=False), compress("::ffff:127.0.0.1")}


@pytest.mark.parametrize("typed", ["2001:0DB8:0000:0000:0001:0000:0000:0001",
                                   "::ffff:127.0.0.1", "fe80::1%eth0", "1:2:3:4:5:6:7:8"])
def test_the_printed_steps_fit_9_point_type_and_say_the_same(typed):
    # issue 21: lesson 05's steps, up to 107 characters a line, printed at 7 pt on A4;
    # 90 characters print at 9 pt
    text = ipv6.format_steps(typed)
    assert all(len(line) <= 88 for line in text.splitlines()), text
    assert text.split() == " ".join(compression_steps(typed)).split()
    assert len(text.splitlines()) > len(compression_steps(typed))  # some did wrap
