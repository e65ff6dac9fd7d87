"""Exercises of lesson 01, "the loopback range".

Introduced in notebooks/01-loopback-range.ipynb (exercises/01-loopback-range-exercises.ipynb).

The answer keys are facts with their sources (the CSRG SCCS history of if_loop.c, the
IANA registry, iproute2mac issue 40); tests/test_exercises_lesson01.py checks them
against ``loopedu.addresses`` as well.
"""

from __future__ import annotations

from .framework import exercise
from .answers import expect_choice, expect_equal, expect_mapping, expect_set

#: Addresses of "01.is-loopback", with the key (True: loopback).
IS_LOOPBACK_KEY = {
    "127.0.0.1": True,
    "127.255.255.254": True,
    "128.0.0.1": False,
    "0.0.0.0": False,
    "::1": True,
    "::ffff:127.0.0.1": True,
    "fe80::1": False,
    "::": False,
}

REGISTRY_FLAGS = ("source", "destination", "forwardable", "globally_reachable",
                  "reserved_by_protocol")

HISTORY_OPTIONS = {
    "a": "Jon Postel, in RFC 1122 (1989), which made loopback mandatory.",
    "b": "Bill Joy, when he wrote the BSD loopback driver in 1981.",
    "c": "Sam Leffler, in 1983: \"local host can't be zero, that's a broadcast\".",
    "d": "The IETF, in RFC 990 (1986), the first RFC to name 127 loopback.",
}

MACOS_OPTIONS = {
    "a": "It works: every 127.x address is loopback on every system.",
    "b": "bind() fails with EADDRNOTAVAIL: no interface owns 127.0.0.2.",
    "c": "bind() works, but connect() times out.",
    "d": "bind() fails with EACCES: only root may bind 127.0.0.2.",
}


#: For a size minus two: the learner counted host numbers, not addresses.
_HOSTS_NOT_ADDRESSES = (
    "That counts hosts, not addresses. RFC 1122 (section 3.2.1.3) does not allow a host "
    "number of all zeros or all ones (all ones is the broadcast address), so no host may "
    "have those two; the question asks how many addresses the block holds, all of them.")


@exercise("01.loopback-size", lesson=1, title="How many addresses are in 127.0.0.0/8?",
          hints=["The /8 fixes the first 8 of the 32 bits.",
                 "Each free bit doubles the number of addresses: 2 to the power of the "
                 "number of free bits."])
def _loopback_size(answer):
    return expect_equal(
        answer, 2 ** 24,
        common={
            2 ** 8: "That is how many /8 blocks IPv4 has, not the size of one.",
            2 ** 24 - 2: _HOSTS_NOT_ADDRESSES,
            2 ** 32: "That is the whole IPv4 space.",
            24: "That is the number of free bits; how many addresses do they make?",
        },
        right="2^24 = 16,777,216 addresses, 1/256 of IPv4, all loopback.")


@exercise("01.slash16-size", lesson=1,
          title="How many addresses would 127.0.0.0/16 keep for loopback?",
          hints=["A /16 leaves 32 - 16 bits free.",
                 "Compare with 2^24 for the /8: how many times smaller is it?"])
def _slash16_size(answer):
    return expect_equal(
        answer, 2 ** 16,
        common={2 ** 16 - 2: _HOSTS_NOT_ADDRESSES,
                2 ** 24 - 2 ** 16: "That is how many the draft would free for unicast, "
                                   "not how many it keeps for loopback.",
                16: "That is the prefix length; count the free bits instead.",
                2 ** 24: "That is the whole /8 the registry reserves today."},
        right="65,536 addresses: draft-schoen-intarea-unicast-127 would keep 127.0.0.0/16 "
              "and make the remaining 16,711,680 ordinary unicast addresses.")


@exercise("01.is-loopback", lesson=1, title="Which of these addresses are loopback?",
          hints=["IPv4 loopback is a whole /8; IPv6 loopback is a single address.",
                 "An IPv4-mapped IPv6 address (::ffff:a.b.c.d) stands for the IPv4 "
                 "address inside it.",
                 "0.0.0.0 and :: are 'unspecified' addresses: meaningful for bind(), "
                 "not as a destination."])
def _is_loopback(answer):
    return expect_mapping(
        answer, IS_LOOPBACK_KEY,
        common={("::ffff:127.0.0.1", False): "Python's ipaddress says so too in releases "
                "without the gh-117566 fix, but the packet behind a mapped address came "
                "from 127.0.0.1.",
                ("128.0.0.1", True): "127/8 ends at 127.255.255.255."},
        right="Right: 127/8, ::1, and the IPv4-mapped form of a 127/8 address.")


@exercise("01.registry-flags", lesson=1,
          title="Which of the registry's five flags are True for 127.0.0.0/8?",
          hints=[f"The five flags: {', '.join(REGISTRY_FLAGS)}.",
                 "RFC 1122: 127/8 addresses MUST NOT appear outside a host. Which flags "
                 "describe packets outside a host?"])
def _registry_flags(answer):
    return expect_set(
        answer, {"reserved_by_protocol"},
        normalize=lambda s: s.strip().lower().replace("-", "_").replace(" ", "_"),
        common={"destination": "A 127/8 destination is only valid inside the host; on "
                               "a network it is not.",
                "source": "A packet with a 127/8 source address must never be sent "
                          "onto a network (RFC 1122 3.2.1.3).",
                "forwardable": "RFC 1812 section 5.3.7: a router SHOULD NOT forward a "
                               "packet to 127/8 except over a loopback interface, and that "
                               "check MUST be on by default."},
        right="Only Reserved-by-Protocol: the IP specification itself fixes 127/8's "
              "meaning, and none of it may travel between hosts.")


#: What each wrong answer of "01.history" gets, then what the right one gets.
HISTORY_WRONG = {
    "a": "RFC 1122 says 127/8 MUST NOT appear outside a host; it made no choice of .1, and "
         "Postel's registry had reserved 127 in 1981.",
    "b": "Joy wrote the driver in 1981, on network 254. The move to network 127 (host part "
         "0) in December 1981 was committed as user \"root\", so who made it is not "
         "recorded; the .1 came later.",
    "d": "RFC 990 named the function in 1986, three years after 4.2BSD shipped with "
         "127.0.0.1.",
}
HISTORY_RIGHT = ("Sam Leffler, May 1983, in the SCCS history of if_loop.c: host 0 looked "
                 "like a broadcast, so it became 127.0.0.1.")
#: The same for "01.macos-127-0-0-2".
MACOS_WRONG = {
    "a": "That is Linux, which routes the whole /8 to lo; macOS's lo0 carries only 127.0.0.1 "
         "unless you add an alias.",
    "c": "The failure comes earlier than connect().",
    "d": "Permission is not the problem: the address is.",
}
MACOS_RIGHT = ("EADDRNOTAVAIL until `sudo ifconfig lo0 alias 127.0.0.2` (iproute2mac #40, "
               "norouter #2).")


@exercise("01.history", lesson=1, title="Who chose the .1 in 127.0.0.1?",
          hints=["The driver existed before the .1 did.",
                 "Look at the May 1983 entry in the lesson's history table."])
def _history(answer):
    return expect_choice(answer, "c", HISTORY_OPTIONS, common=HISTORY_WRONG,
                         right=HISTORY_RIGHT)


@exercise("01.macos-127-0-0-2", lesson=1,
          title="On a Mac with default settings, what does binding 127.0.0.2 do?",
          hints=["On macOS, `ifconfig lo0` lists the addresses configured on loopback.",
                 "A socket can only bind an address that some interface owns."])
def _macos(answer):
    return expect_choice(answer, "b", MACOS_OPTIONS, common=MACOS_WRONG, right=MACOS_RIGHT)
