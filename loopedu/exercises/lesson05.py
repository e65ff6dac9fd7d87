"""Exercises of lesson 04, "IPv6 ::1".

Introduced in notebooks/04-ipv6-loopback.ipynb (exercises/04-ipv6-loopback-exercises.ipynb).

The keys rest on RFC 4291 section 2.2 and RFC 5952 section 4 (notation), ipv6(7) and
Linux's default ``net.ipv6.bindv6only=0`` (dual stack), and CPython gh-117566 (mapped
addresses and ``is_loopback``). tests/test_exercises_lesson04.py checks the notation
keys against ``ipaddress`` and ``socket.inet_ntop``, and tests/test_dual_stack.py the
dual-stack key against a live run of ``loopedu.experiments.dual_stack``.
"""

from __future__ import annotations

from .. import ipv6
from .framework import exercise
from .helpers import expect_choice, expect_equal, expect_mapping

#: The address of "04.compress", as a careless tool might print it.
COMPRESS_QUESTION = "2001:0DB8:0000:0000:0001:0000:0000:0001"
#: The address of "04.expand".
EXPAND_QUESTION = "2001:db8::ff00:42:8329"

#: The predictions of "04.dual-stack": a listener on [::] (port 0, Linux defaults) with
#: IPV6_V6ONLY "off" (0) or "on" (1); the keys are the columns of the notebook's table.
DUAL_STACK_KEY = {
    "off: IPv4 to 127.0.0.1": "connected",
    "off: server sees": "::ffff:127.0.0.1",
    "off: bind 0.0.0.0 same port": "EADDRINUSE",
    "on: IPv4 to 127.0.0.1": "refused",
    "on: bind 0.0.0.0 same port": "ok",
}
#: The words the dual-stack predictions are made of.
DUAL_STACK_WORDS = ("connected", "refused", "ok", "EADDRINUSE", "EADDRNOTAVAIL",
                    "127.0.0.1", "::ffff:127.0.0.1", "::1")

#: "04.locality-check": each option is the body of ``def is_local(host): return ...``
#: where ``host`` is ``conn.getpeername()[0]`` of a server listening on [::].
LOCALITY_OPTIONS = {
    "a": "ipaddress.ip_address(host).is_loopback",
    "b": "loopedu.addresses.is_loopback(host)",
    "c": "(ipaddress.ip_address(host).ipv4_mapped or ipaddress.ip_address(host)).is_loopback",
    "d": "ipaddress.ip_address(host) in ipaddress.ip_network('::ffff:127.0.0.0/104') "
         "or ipaddress.ip_address(host).is_loopback",
}


def _notation_problem(value: str) -> str | None:
    """Which RFC 5952 rule a spelling of the right address breaks, or None."""
    if value != value.lower():
        return "That is the right address, but RFC 5952 section 4.3 wants lowercase hex."
    groups = value.replace("::", ":").strip(":").split(":")
    if any(len(g) > 1 and g.startswith("0") for g in groups):
        return ("That is the right address, but a group still has a leading zero "
                "(RFC 5952 section 4.1).")
    if "::" not in value:
        return ("That is the right address, but a run of zero groups is still written "
                "out: compress one with '::' (RFC 5952 section 4.2.1).")
    head, tail = value.split("::")
    written = len([g for g in (head + ":" + tail).split(":") if g])
    if 8 - written == 1:
        return ("That is the right address, but '::' stands for a single zero group "
                "here, which RFC 5952 section 4.2.2 forbids.")
    return ("That is the right address, but '::' replaced the wrong run of zeros: the "
            "longest run, and the first one when two are equally long (RFC 5952 "
            "section 4.2.3).")


def _compress_wrong(value: str) -> str:
    try:
        same = ipv6.expand(value) == ipv6.expand(COMPRESS_QUESTION)
    except ValueError as exc:
        return f"That is not a valid IPv6 address: {exc}"
    if not same:
        return ("That is a different address: expand your answer with "
                "loopedu.ipv6.expand() and compare it group by group with the question.")
    return _notation_problem(value) or "That is not it."


@exercise("04.compress", lesson=4,
          title=f"Write {COMPRESS_QUESTION} in its RFC 5952 canonical form",
          hints=["Lowercase, and drop the leading zeros of every group first.",
                 "There are two runs of two zero groups. RFC 5952 section 4.2.3 says "
                 "which one gets the '::'.",
                 "Only one '::' is allowed in an address."])
def _compress(answer):
    return expect_equal(
        answer, ipv6.compress(COMPRESS_QUESTION), normalize=lambda s: s.strip(),
        wrong=_compress_wrong,
        right="Canonical: lowercase, no leading zeros, and of two equal runs of zeros "
              "the first one is written '::'.")


def _expand_wrong(value: str) -> str:
    groups = value.split(":")
    if "::" in value:
        return "That is still compressed: the full form writes every group, no '::'."
    if len(groups) != 8:
        return (f"Your answer has {len(groups)} groups; the full form has exactly 8. "
                "Count how many zero groups the '::' stands for.")
    short = [g for g in groups if len(g) != 4]
    if short:
        return (f"In the full form every group has exactly 4 hex digits; {short[0]!r} "
                "does not: put the leading zeros back.")
    try:
        ipv6.parse(value)
    except ValueError as exc:
        return f"That is not a valid IPv6 address: {exc}"
    return ("Those are 8 groups of 4 digits, but not the same address: check where the "
            "'::' sat and how many zero groups it stood for.")


@exercise("04.expand", lesson=4, title=f"Write {EXPAND_QUESTION} in full",
          hints=["The full form has 8 groups of exactly 4 hex digits.",
                 "Count the groups written on each side of '::': it stands for the "
                 "zero groups that are missing to make 8."])
def _expand(answer):
    return expect_equal(
        answer, ipv6.expand(EXPAND_QUESTION), normalize=lambda s: s.strip().lower(),
        wrong=_expand_wrong,
        right="Eight groups of four: '::' stood for three zero groups here.")


@exercise("04.dual-stack", lesson=4,
          title="Predict what a listener on [::] does with IPV6_V6ONLY off and on (Linux)",
          hints=["With IPV6_V6ONLY off, one IPv6 socket serves IPv4 clients too.",
                 "A socket of family AF_INET6 can only report an IPv6 address as its peer.",
                 "A dual-stack socket on [::]:P also holds 0.0.0.0:P."])
def _dual_stack(answer):
    return expect_mapping(
        answer, DUAL_STACK_KEY,
        common={("off: IPv4 to 127.0.0.1", "refused"):
                "Linux's default net.ipv6.bindv6only=0 makes a socket on :: accept IPv4 "
                "too; V6ONLY off is that default.",
                ("off: server sees", "127.0.0.1"):
                "The server's socket is AF_INET6: the kernel has to hand it an IPv6 "
                "address, so it maps the IPv4 one (RFC 4291 section 2.5.5.2).",
                ("off: server sees", "::1"):
                "The client connected to 127.0.0.1 over IPv4, not to ::1.",
                ("off: bind 0.0.0.0 same port", "ok"):
                "A dual-stack [::]:P already takes IPv4 on port P.",
                ("on: IPv4 to 127.0.0.1", "connected"):
                "With V6ONLY on the socket hears only IPv6; nothing listens on the IPv4 "
                "side of that port.",
                ("on: bind 0.0.0.0 same port", "EADDRINUSE"):
                "V6ONLY on leaves the IPv4 side of the port free: that is how a server "
                "runs one socket per family (Windows' and OpenBSD's way)."},
        right="Right: dual stack takes IPv4 as ::ffff:127.0.0.1 and holds the IPv4 "
              "port too; V6ONLY on gives both back.")


@exercise("04.locality-check", lesson=4,
          title="Which is_local(host) wrongly rejects a local IPv4 client of a "
                "dual-stack server on a Python without the gh-117566 fix (3.11.7, say)?",
          hints=["Start a server on [::], connect to 127.0.0.1: what is the peer address?",
                 "Try each expression with host = '::ffff:127.0.0.1' on Python 3.11.7."])
def _locality(answer):
    return expect_choice(
        answer, "a", LOCALITY_OPTIONS,
        common={"b": "loopedu.addresses.is_loopback looks inside a mapped address first.",
                "c": "ipv4_mapped turns ::ffff:127.0.0.1 into 127.0.0.1 before the test.",
                "d": "::ffff:127.0.0.0/104 is exactly the mapped form of 127.0.0.0/8."},
        right="Without the gh-117566 fix, ip_address('::ffff:127.0.0.1').is_loopback is "
              "False: a dual-stack server using it calls its own local clients remote. "
              "The fix is in 3.13 and was backported, so which releases have it depends "
              "on the exact patch release (3.11.7 lacks it).")
