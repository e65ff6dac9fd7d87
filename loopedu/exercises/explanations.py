"""The course's explanation of each prediction's experiment, kept here and not in the
lesson's cell, so that a learner reads it only after the reveal, and after a surprise only
after their own explanation (:func:`loopedu.exercises.reveal` finds it by the prediction's
id; :func:`loopedu.exercises.explain` shows it). A cell that showed it in its own code gave
the answer away before the question (issue 21's reviewers).

An explanation that depends on what the experiment showed is a function of it (the
``actual`` value the lesson passes to reveal).

Introduced in notebooks/00-start-here.ipynb.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["WHY", "why_of"]


def _binds_127_0_0_2(actual: Any) -> str:
    """``actual``: the address the server saw the client come from (a text), where 127.0.0.2
    bound and answered."""
    if isinstance(actual, str) and actual not in ("", "not run"):
        return ("This machine gives the whole of 127/8 to its loopback interface, so "
                "127.0.0.2 binds and answers like 127.0.0.1. The client's address is "
                "chosen by the route to 127.0.0.2, whose preferred source is 127.0.0.1.")
    return ("No interface of this machine has 127.0.0.2 (as on macOS, whose lo0 has only "
            "127.0.0.1), so there was nothing to bind or to reach.")


def _first_only(actual: Any) -> str:
    actual = actual if isinstance(actual, Mapping) else {}
    first = actual.get("first answer", "(nothing)")
    if first == actual.get("server listens on"):
        return f"the first answer was {first}, where the server listens, so both connect."
    return (f"the first answer was {first}, where nothing listens: the first-address "
            "client is refused, and create_connection tries the next address.")


def _naive_check(actual: Any) -> str:
    if actual is True:
        return ("this Python has the gh-117566 fix: is_loopback looks inside a mapped "
                "address.")
    return ("this Python lacks the gh-117566 fix: is_loopback is True for ::1 alone, so a "
            "local IPv4 client of a dual-stack server counts as remote.")


def _fastest(actual: Any) -> str:
    why = ("a Unix-domain socket passes bytes from one process to the other inside the "
           "kernel, with no IP, no TCP headers and no acknowledgements (unix(7)). UDP "
           "skips TCP's acknowledgements but still goes through IP and lo.")
    if actual == "unix":
        return why
    return (why + f" Here {actual} won, so something else cost more this run: another "
            "program, or medians a few microseconds apart. Run the cell again.")


#: Prediction id -> the course's explanation (a text, or a function of what was shown).
WHY: dict[str, str | Callable[[Any], str]] = {
    "00.kernel-address": (
        "Jupyter's kernels listen on 127.0.0.1 by default, so that only programs on "
        "this machine can reach them: anyone who reaches their ports and knows the "
        "signing key in the connection file could run code as you."),
    "00.closed-port": (
        "On loopback the kernel itself receives the request to connect. It finds no "
        "socket listening on that port and refuses at once (Linux and macOS; Windows "
        "retries for about 2 s before it reports the refusal)."),
    "01.slash8-size": (
        "Each of the 24 free bits doubles the count: 2^24 addresses."),
    "02.hosts-edit": (
        "glibc keeps no answer between lookups: each one opens the file anew, so the "
        "same process sees the edit."),
    "03.matrix": (
        "a listener answers only the addresses it bound; 0.0.0.0 is every IPv4 address "
        "of the machine (all of 127/8 on Linux) but no IPv6 one; a socket on :: is dual"
        " stack on Linux (net.ipv6.bindv6only=0) and takes IPv4 too."),
    "03.phone-reaches": (
        "the phone's packets arrive on the laptop's LAN interface, addressed to the LAN"
        " address; a socket bound to 127.0.0.1 or ::1 does not listen there, so the "
        "laptop's kernel answers with a reset. 0.0.0.0 and :: listen on every address."),
    "03.weak-host": (
        "Linux is a weak host (RFC 1122 section 3.3.4.2): an address belongs to the "
        "host, not to the interface it sits on, so a packet for 198.18.0.1 is accepted "
        "from lan1 too. A bind picks the destination address, not the network."),
    "04.counters": (
        "one kernel is both ends: lo counts each byte once sent, once received; no "
        "card sees them."),
    "04.lo-down": (
        "never up, lo has no address and no local table: no route, ENETUNREACH at once. "
        "Set down, the local route stays: the SYN goes to lo, which drops it."),
    "04.shadowing": (
        "the kernel gives a connection to the most specific matching listener: "
        "127.0.0.1 beats 0.0.0.0 for 127.0.0.1; 127.0.0.2 goes to the wildcard."),
    "05.canonical": (
        "both runs are two groups long, and on a tie RFC 5952 section 4.2.3 compresses "
        "the first one; the other run stays written out as 0:0."),
    "05.server-sees": (
        "the server's socket is AF_INET6, so the kernel must hand accept() an IPv6 "
        "address: it writes the client's 127.0.0.1 as an IPv4-mapped address (RFC 4291 "
        "section 2.5.5.2). Some tools print the same address as ::ffff:7f00:1."),
    "06.http-server-default": (
        "its own help says the default is all interfaces: anyone on the same Wi-Fi can "
        "browse the folder you started it in. Give it `--bind 127.0.0.1`."),
    "06.container": (
        "the container's 127.0.0.1 lives on the container's own lo: only its own "
        "processes reach it. The published port's proxy accepts on the host, cannot "
        "reach the server through the container's address, and resets the client."),
    "06.pod": (
        "the app and the sidecar run in one network namespace, as a pod's containers do, "
        "so they share one lo and one 127.0.0.1. \"other\" has a namespace of its own: "
        "its 127.0.0.1 is on another lo, where nothing listens on that port."),
    "06.tunnel-nowhere": (
        "the forwarder accepts the client first and only then connects to the target. "
        "That second connect is refused, so the forwarder resets the client's connection: "
        "the client reads ECONNRESET after a connect that worked."),
    "06.pg-ways": (
        "libpq makes host=localhost a TCP connection, so it meets the `host` rows, like"
        " 127.0.0.1; only the Unix-domain socket matches the `local` row."),
    "07.packet-count": (
        "TCP opens the connection with three packets (SYN, SYN-ACK, ACK), each side's "
        "data is acknowledged, and each side closes with a FIN that the other "
        "acknowledges. Loopback skips the wire, not TCP."),
    "07.small-writes": (
        "every send() and recv() is a system call with a fixed cost, however few bytes "
        "it carries; small writes pay that cost far more often per byte."),
    "07.nagle-stall": (
        "the body waits for the ACK of the header (Nagle), and the server delays that "
        "ACK (at least 40 ms on Linux: TCP_DELACK_MIN in include/net/tcp.h) because it "
        "has nothing to send until the body arrives."),
    "08.route-localnet": (
        "by default S's kernel drops a packet for 127.0.0.1 that arrives on its veth as"
        " a martian, so C's connect times out; with route_localnet=1 on that interface "
        "the packet is routed to lo and the listener on 127.0.0.1 accepts."),
    "08.rebinding": (
        "a server on 127.0.0.1 cannot tell a rebound request by where it comes from: it"
        " is the learner's own browser, on loopback. Only the Host header says which "
        "name the browser thought it was talking to."),
    "claims.verdicts": (
        "each verdict is what the primary sources in the table below show; the lesson "
        "named beside each claim shows it live on your machine."),
    "05.dual-stack-bind": (
        "with V6ONLY off the socket on :: also holds the IPv4 side of port P, so "
        "0.0.0.0 finds it taken; with V6ONLY on, the IPv4 side stays free."),
    "01.binds-127-0-0-2": _binds_127_0_0_2,
    "02.first-only": _first_only,
    "05.naive-check": _naive_check,
    "07.fastest": _fastest,
}


def why_of(prediction_id: str, actual: Any) -> str:
    """The course's explanation of ``prediction_id`` given what was shown (``actual``);
    "" where the course has none.

    >>> why_of("01.slash8-size", 16777216)
    'Each of the 24 free bits doubles the count: 2^24 addresses.'

    Introduced in notebooks/00-start-here.ipynb (through reveal).
    """
    why = WHY.get(prediction_id, "")
    return why(actual) if callable(why) else why
