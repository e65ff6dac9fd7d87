"""Exercises of lesson 01, "the loopback range".

Introduced in notebooks/01-loopback-range.ipynb (exercises/01-loopback-range-exercises.ipynb).

The answer keys are facts with their sources (the CSRG SCCS history of if_loop.c, the
IANA registry, iproute2mac issue 40); tests/test_exercises_lesson01.py checks them
against ``loopedu.addresses`` as well. "01.bind-127" checks the learner's own sockets,
live, against what this machine allows (``loopedu.sandbox.capabilities``).
"""

from __future__ import annotations

import ipaddress

from ..sandbox import capabilities
from .answers import expect_choice, expect_equal, expect_mapping, expect_set
from .framework import Feedback, exercise
from .lesson00 import _client_problem, _ip, _pair_problem, _server_problem

#: Addresses of "01.is-loopback", with the key (True: loopback). None of them is one the
#: lesson classified: the same ideas, other addresses and another notation.
IS_LOOPBACK_KEY = {
    "127.1.2.3": True,
    "126.255.255.255": False,
    "128.0.0.1": False,
    "0:0:0:0:0:0:0:1": True,
    "::ffff:127.8.9.10": True,
    "::ffff:10.0.0.1": False,
    "::2": False,
    "::": False,
}

REGISTRY_FLAGS = ("source", "destination", "forwardable", "globally_reachable",
                  "reserved_by_protocol")

#: The claims of "01.history": the popular sentence "Joy and Leffler chose 127.0.0.1 in
#: 1983, and RFC 1122 made loopback mandatory", taken apart. Key: which the sources
#: bear out (RFC 790, the SCCS history of if_loop.c, RFC 1122 section 3.2.1.3).
HISTORY_CLAIMS = {
    "network 127 was first set aside in 1983, for BSD": False,
    "Joy wrote BSD's loopback driver": True,
    "Leffler chose the .1 in 1983": True,
    "RFC 1122 says a host MUST implement loopback": False,
    "RFC 1122 says 127/8 must not appear outside a host": True,
}

#: "01.macos-127-0-0-2": a new setting for the lesson's macOS fact.
MACOS_SITUATION = (
    "A colleague's test suite starts its test servers on 127.0.0.2, 127.0.0.3 and "
    "127.0.0.4, port 0. It passes on Linux. On their Mac, with default settings, every "
    "server fails at bind(). What is the fix that keeps the servers reachable from this "
    "machine only?")
MACOS_OPTIONS = {
    "a": "Run the tests with sudo: only root may bind a 127.x other than 127.0.0.1.",
    "b": "Add each address to lo0 first: `sudo ifconfig lo0 alias 127.0.0.3`, and so on.",
    "c": "Bind the servers to 0.0.0.0 instead: every address of the Mac, so it works.",
    "d": "Give connect() a longer timeout: the Mac's loopback answers slowly.",
}

#: For a size minus two: the learner counted host numbers, not addresses.
_HOSTS_NOT_ADDRESSES = (
    "That counts hosts, not addresses. RFC 1122 (section 3.2.1.3) does not allow a host "
    "number of all zeros or all ones (all ones is the broadcast address), so no host may "
    "have those two; the question asks how many addresses the block holds, all of them.")


#: The block of "01.loopback-size": one the lesson did not count, the shared address
#: space of carrier-grade NAT (RFC 6598), so the learner computes, not recalls.
SIZE_BLOCK = "100.64.0.0/10"


@exercise("01.loopback-size", lesson=1,
          title=f"How many addresses are in {SIZE_BLOCK}, the shared address space?",
          hints=["The /10 fixes the first 10 of the 32 bits.",
                 "Each free bit doubles the number of addresses: 2 to the power of the "
                 "number of free bits."])
def _loopback_size(answer):
    return expect_equal(
        answer, 2 ** 22,
        common={
            2 ** 24: "That is the size of 127.0.0.0/8, the block the lesson counted. A "
                     "/10 fixes two more bits than a /8.",
            2 ** 10: "That is 2 to the prefix length: the prefix counts fixed bits, not "
                     "free ones.",
            2 ** 22 - 2: _HOSTS_NOT_ADDRESSES,
            2 ** 22 - 1: "Off by one: counting 100.64.0.0 as number 0, that is the number "
                         "of the last address, 100.127.255.255. How many numbers run "
                         "from 0 to it?",
            2 ** 22 + 1: "Off by one, one too many: no address may be counted twice.",
            2 ** 32: "That is the whole IPv4 space.",
            22: "That is the number of free bits; how many addresses do they make?",
            10: "That is the prefix length; count the free bits instead.",
        },
        right="2^22 = 4,194,304 addresses, from 100.64.0.0 to 100.127.255.255: a quarter "
              "of 127/8's 2^24. RFC 6598 reserves them for carrier-grade NAT.")


@exercise("01.slash16-size", lesson=1,
          title="How many addresses would 127.0.0.0/16 keep for loopback?",
          hints=["A /16 leaves 32 - 16 bits free.",
                 "Compare with 2^24 for the /8: how many times smaller is it?"])
def _slash16_size(answer):
    return expect_equal(
        answer, 2 ** 16,
        common={2 ** 16 - 2: _HOSTS_NOT_ADDRESSES,
                2 ** 16 - 1: "Off by one: counting 127.0.0.0 as number 0, that is the "
                             "number of the last address, 127.0.255.255. How many "
                             "numbers run from 0 to it?",
                2 ** 24 - 2 ** 16: "That is how many the draft would free for unicast, "
                                   "not how many it keeps for loopback.",
                16: "That is the prefix length; count the free bits instead.",
                2 ** 8: "That is a /24, which leaves 8 free bits; a /16 leaves 16 free "
                        "bits.",
                2 ** 24: "That is the whole /8 the registry reserves today."},
        right="65,536 addresses: draft-schoen-intarea-unicast-127 would keep 127.0.0.0/16 "
              "and make the remaining 16,711,680 ordinary unicast addresses.")


@exercise("01.is-loopback", lesson=1, title="Which of these addresses are loopback?",
          hints=["IPv4 loopback is a whole /8; IPv6 loopback is a single address, "
                 "however it is written.",
                 "An IPv4-mapped IPv6 address (::ffff:a.b.c.d) stands for the IPv4 "
                 "address inside it.",
                 "0.0.0.0 and :: are 'unspecified' addresses: meaningful for bind(), "
                 "not as a destination."])
def _is_loopback(answer):
    return expect_mapping(
        answer, IS_LOOPBACK_KEY,
        common={("::ffff:127.8.9.10", False): "Python's ipaddress says so too in releases "
                "without the gh-117566 fix, but the packet behind a mapped address came "
                "from 127.8.9.10.",
                ("128.0.0.1", True): "127/8 ends at 127.255.255.255.",
                ("126.255.255.255", True): "127/8 starts at 127.0.0.0.",
                ("0:0:0:0:0:0:0:1", False): "Written out in full, with every zero: which "
                "address is that, compressed?",
                ("::2", True): "IPv6 has a single loopback address, not a block."},
        right="Right: 127/8, ::1, and the IPv4-mapped form of a 127/8 address.")


#: The block of "01.registry-flags": one the lesson named (link-local, in its classify
#: cell) but whose flags it did not print, so the learner reads them, not recalls them.
REGISTRY_FLAGS_BLOCK = "169.254.0.0/16"
#: Its True flags, from the IANA registry (loopedu/data/iana-ipv4-special-registry.csv,
#: source RFC 3927); tests/test_exercises_lesson01.py checks them against the copy.
REGISTRY_FLAGS_KEY = frozenset({"source", "destination", "reserved_by_protocol"})


def _flag_name(text: str) -> str:
    return "_".join(str(text).strip().lower().replace("-", " ").split())


def _flag_names(answer) -> set[str] | None:
    """The flag names of an answer given as a list or a comma-separated string, else
    None (the general check then says how to give it)."""
    if isinstance(answer, str):
        answer = answer.split(",")
    if not isinstance(answer, (list, tuple, set, frozenset)):
        return None
    return {_flag_name(item) for item in answer if str(item).strip()}


#: 127/8's True flags: what a learner who recalls the lesson's table gives.
_LOOPBACK_FLAGS = {"reserved_by_protocol"}


@exercise("01.registry-flags", lesson=1,
          title="Which of the registry's five flags are True for 169.254.0.0/16?",
          hints=[f"The five flags: {', '.join(REGISTRY_FLAGS)}. The lesson's classify "
                 "cell named 169.254.1.1's block: Link Local.",
                 "Link-local means valid on one link only. Which flags are about a "
                 "packet on its own link, and which about crossing to another one?",
                 "Read the registry itself: addresses.classify(\"169.254.1.1\") returns "
                 "the entry, with one attribute per flag (or type the address into the "
                 "lesson's classifier box)."])
def _registry_flags(answer):
    if _flag_names(answer) == _LOOPBACK_FLAGS:
        return Feedback(False, (
            "That is the lesson's answer for 127/8, which is not valid as a source or "
            "destination on any network. Link-local is looser: a 169.254 address is "
            "used on its own link. Which flags describe a packet on that link?"))
    return expect_set(
        answer, set(REGISTRY_FLAGS_KEY), allowed=REGISTRY_FLAGS, normalize=_flag_name,
        common={"forwardable": "Link-local addresses are valid on one link only: a "
                               "router must not forward a packet from or to one (RFC "
                               "3927 §2.7, the block's source in the registry).",
                "globally_reachable": "Reachable from anywhere on the Internet? A "
                                      "link-local address is not even reachable from "
                                      "the next link."},
        right="Source, Destination and Reserved-by-Protocol. On its own link a "
              "169.254 address may send and receive like any other, but a router must "
              "not forward it, so it is reachable from nowhere else; and IP "
              "implementations must treat it specially (RFC 6890's Reserved-by-Protocol). "
              "127/8 is stricter: not a valid source or destination on any network, and "
              "a router SHOULD NOT forward a packet to it except over a loopback "
              "interface (RFC 1812 section 5.3.7).")


#: What "01.history" says for a claim judged wrong (claim, the learner's value).
HISTORY_WRONG = {
    ("network 127 was first set aside in 1983, for BSD", True):
        "RFC 790, September 1981, already lists network 127 as \"Reserved\"; BSD moved "
        "its loopback driver to it in December 1981.",
    ("Joy wrote BSD's loopback driver", False):
        "The SCCS history of if_loop.c records Bill Joy writing the driver in November "
        "1981, on network 254. What is not recorded is who moved it to 127.",
    ("Leffler chose the .1 in 1983", False):
        "Sam Leffler's May 1983 delta sets LOHOST to 1: \"local host can't be zero, "
        "that's a broadcast\".",
    ("RFC 1122 says a host MUST implement loopback", True):
        "Look for the MUST in RFC 1122 section 3.2.1.3: it is about where 127 may not "
        "appear, not about implementing it.",
    ("RFC 1122 says 127/8 must not appear outside a host", False):
        "RFC 1122 section 3.2.1.3(g): {127, <any>} \"MUST NOT appear outside a host\".",
}
HISTORY_RIGHT = ("Right. The popular sentence is partly true: the .1 is Leffler's (1983); "
                 "network 127 was reserved in 1981 and Joy's driver is older; RFC 1122 "
                 "keeps 127/8 inside a host but never says \"implement loopback\".")
#: The same for "01.macos-127-0-0-2".
MACOS_WRONG = {
    "a": "Permission is not the problem: bind() fails with EADDRNOTAVAIL, not EACCES. "
         "The address is missing, not forbidden.",
    "c": "That makes the servers reachable from every network the Mac is on, which the "
         "tests never needed. The missing piece is the address on lo0.",
    "d": "The failure comes earlier than connect(): bind() itself fails.",
}
MACOS_RIGHT = ("macOS's lo0 carries only 127.0.0.1, so bind() fails with EADDRNOTAVAIL "
               "until each address is added: `sudo ifconfig lo0 alias 127.0.0.3` "
               "(iproute2mac #40, norouter #2). Linux needs none: its local route covers "
               "the whole /8.")


@exercise("01.history", lesson=1,
          title="Which parts of the popular history of 127.0.0.1 do the sources bear out?",
          hints=["Set True for each claim the sources bear out, False for the others.",
                 "The history table gives a date and a source for each event: compare "
                 "each claim's date and name with it.",
                 "For RFC 1122, the lesson quotes what its MUST is about."])
def _history(answer):
    return expect_mapping(answer, HISTORY_CLAIMS, common=HISTORY_WRONG,
                          right=HISTORY_RIGHT, noun="answer")


@exercise("01.macos-127-0-0-2", lesson=1,
          title="A test suite binds 127.0.0.2-4 and fails on a Mac: the fix?",
          hints=["On macOS, `ifconfig lo0` lists the addresses configured on loopback.",
                 "By default, a socket can only bind an address that some interface "
                 "owns."])
def _macos(answer):
    return expect_choice(answer, "b", MACOS_OPTIONS, common=MACOS_WRONG, right=MACOS_RIGHT)


# ---- 01.bind-127: the learner's own bind and connect on another 127.x ----------------

_OTHER_127 = ("Pick an address of 127.0.0.0/8 other than 127.0.0.1: this machine gives "
              "loopback the whole block, so any other one works the same way.")


def _only_127_0_0_1(reason: str) -> str:
    return (f"This machine gives loopback only 127.0.0.1 (the course measured it: "
            f"{reason}), as macOS does until `sudo ifconfig lo0 alias 127.0.0.2`.")


def _address_problem(server, whole_range) -> str | None:
    """What is wrong with the address the server is bound to, for this machine."""
    name = server.getsockname()
    address = _ip(name[0]) if name and name[1] else None
    if address is None:
        return None  # _server_problem says "not bound"
    if address.version == 6:
        return ("IPv6 has a single loopback address, ::1; this exercise is about IPv4's "
                "127.0.0.0/8. Make the sockets with socket.AF_INET.")
    if address not in ipaddress.ip_network("127.0.0.0/8"):
        where = ("the unspecified address: in bind() it means every interface of this "
                 "machine, so other machines on your network could connect to it too"
                 if address.is_unspecified else
                 "an address of one of this machine's network interfaces: other machines "
                 "on that network could connect to it")
        pointer = (_OTHER_127 if whole_range else
                   _only_127_0_0_1(whole_range.reason) + " So 127.0.0.1 is the one here.")
        return (f"The server is bound to {name[0]}, {where}. This exercise binds one "
                f"address of 127.0.0.0/8, the loopback block. {pointer}")
    if str(address) == "127.0.0.1" and whole_range:
        return "127.0.0.1 is the address lesson 00 used. " + _OTHER_127
    if str(address) == "127.0.0.2" and whole_range:
        return ("127.0.0.2 is the address the lesson bound. Pick one of your own: any "
                "other address of 127.0.0.0/8 works the same way here.")
    return None


@exercise("01.bind-127", lesson=1,
          title="Bind a server to a 127.x address of your choice, then connect to it",
          hints=["bind() takes a tuple (address, port). The address is text, any of "
                 "127.0.0.0/8 this machine has; the port 0, so the kernel picks one.",
                 "listen() after bind(), then connect() the client to the address and "
                 "port the server got.",
                 "server.getsockname() gives the address and port the server got."])
def _bind_127(answer):
    whole_range = capabilities().whole_127_range
    problem = _pair_problem(answer, "01.bind-127")
    if problem is None:
        server, client = answer
        problem = _address_problem(server, whole_range)
    if problem is None:
        problem = _server_problem(server) or _client_problem(server, client)
        if problem and "not bound" in problem and not whole_range:
            problem += " " + _only_127_0_0_1(whole_range.reason)
    if problem:
        return Feedback(False, problem)
    name, own = server.getsockname(), client.getsockname()
    where = ("" if whole_range else
             " " + _only_127_0_0_1(whole_range.reason) + " So 127.0.0.1 is the one.")
    seen = (" (not the address you connected to: the route's preferred source, `src "
            "127.0.0.1` in `ip route show table local`)" if own[0] != name[0] else "")
    return Feedback(True, (
        f"Your server on {name[0]} port {name[1]} has a client, which came from "
        f"{own[0]}{seen}.{where}"))
