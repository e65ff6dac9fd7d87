"""Exercises of lesson 04, "lo, an interface like any other".

Introduced in notebooks/04-loopback-interface.ipynb
(exercises/04-loopback-interface-exercises.ipynb).

The answer keys are facts with their sources: interface counters (the kernel counts a
packet on each interface it crosses, observed), a namespace's lo starting down
(network_namespaces(7), observed: bind 127.0.0.1 works, connect ENETUNREACH, bind ::1
EADDRNOTAVAIL), SO_REUSEPORT (socket(7), observed) and ip(7) for the audit.
tests/test_exercises_lesson04.py checks them against live runs.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import islice

from .framework import exercise
from .answers import expect_mapping, expect_set

# ---- 04.counters -----------------------------------------------------------------------

#: "04.counters": 5 MB (10**6 bytes) cross 127.0.0.1 from a client to a server on this
#: machine. By how many MB, at least, do these counters grow?
COUNTERS_KEY = {"lo sent": 5, "lo received": 5, "network card sent": 0,
                "network card received": 0}

_COUNTERS_COMMON = {
    ("lo sent", 10): "Each byte leaves the client once: lo counts it once as sent.",
    ("lo received", 10): "Each byte arrives at the server once: lo counts it once as "
                         "received.",
    ("lo sent", 0): "lo is the interface the bytes go through: it counts them.",
    ("lo received", 0): "The same kernel sends and receives over lo: it counts both.",
    ("network card sent", 5): "Loopback traffic is handed straight back up the stack; no "
                              "network card's driver sees it.",
    ("network card received", 5): "Loopback traffic is handed straight back up the stack; "
                                   "no network card's driver sees it.",
}


@exercise("04.counters", lesson=4, title="Which counters count 5 MB sent over 127.0.0.1?",
          hints=["The client and the server are on this machine: which interface carries "
                 "127.0.0.1?",
                 "That interface sends the bytes and receives them again."])
def _counters(answer):
    return expect_mapping(answer, COUNTERS_KEY, common=_COUNTERS_COMMON, noun="count",
                          right="Right: lo counts the 5 MB once sent and once received "
                                "(plus TCP/IP headers); network cards count none of it.")


# ---- 04.lo-down --------------------------------------------------------------------------

#: "04.lo-down": in a fresh network namespace, lo is DOWN. What do these give?
LO_DOWN_KEY = {"bind 127.0.0.1": "ok", "connect to 127.0.0.1": "ENETUNREACH",
               "bind ::1": "EADDRNOTAVAIL"}

_LO_DOWN_COMMON = {
    ("bind 127.0.0.1", "EADDRNOTAVAIL"): "Binding only needs the address to belong to the "
                                         "namespace; 127/8 is configured on lo even while "
                                         "it is down.",
    ("connect to 127.0.0.1", "ECONNREFUSED"): "A refusal needs a kernel to answer with a "
                                              "reset; with lo down the packet has no route "
                                              "to go anywhere.",
    ("connect to 127.0.0.1", "ETIMEDOUT"): "Nothing is dropped silently: the kernel knows "
                                           "at once that there is no route.",
    ("bind ::1", "ok"): "::1 is only assigned to lo when lo comes up.",
}


def _errno_word(value) -> str:
    text = " ".join(str(value).split()).upper()
    return "ok" if text in ("OK", "WORKS", "SUCCESS", "0") else text


@exercise("04.lo-down", lesson=4,
          title="In a namespace whose lo is down, what do bind and connect give?",
          hints=["Bind and connect fail for different reasons: an address that does not "
                 "exist here, or no route to it.",
                 "The lesson's ping with lo down shows the two errno names."])
def _lo_down(answer):
    return expect_mapping(answer, LO_DOWN_KEY, coerce=_errno_word, normalize=lambda v: v,
                          common=_LO_DOWN_COMMON, noun="answer",
                          right="Right: 127.0.0.1 is configured but unroutable "
                                "(ENETUNREACH) and ::1 does not exist yet (EADDRNOTAVAIL) "
                                "until `ip link set lo up`.")


# ---- 04.shadowing ------------------------------------------------------------------------

#: "04.shadowing": one program listens on 0.0.0.0:P, another binds 127.0.0.1:P.
SHADOW_KEY = {"SO_REUSEPORT on both: 127.0.0.1:P goes to": "127.0.0.1",
              "SO_REUSEPORT on both: 127.0.0.2:P goes to": "0.0.0.0",
              "SO_REUSEADDR only: the second bind gives": "EADDRINUSE"}

_SHADOW_COMMON = {
    ("SO_REUSEPORT on both: 127.0.0.1:P goes to", "0.0.0.0"):
        "The kernel hands a connection to the most specific listener that matches its "
        "destination.",
    ("SO_REUSEPORT on both: 127.0.0.2:P goes to", "127.0.0.1"):
        "127.0.0.2 is another address: the 127.0.0.1 listener does not match it.",
    ("SO_REUSEADDR only: the second bind gives", "OK"):
        "SO_REUSEADDR does not let two listeners share an address and port on Linux.",
}


def _shadow_word(value) -> str:
    text = " ".join(str(value).split())
    return text.upper() if text.upper().startswith("E") or text.upper() == "OK" else text


@exercise("04.shadowing", lesson=4,
          title="Who gets a loopback connection when two programs share a port?",
          hints=["Among listeners on one port, the kernel prefers the most specific bind.",
                 "socket(7): with SO_REUSEPORT every socket sharing the port must set it."])
def _shadowing(answer):
    return expect_mapping(answer, SHADOW_KEY, coerce=_shadow_word, normalize=lambda v: v,
                          common=_SHADOW_COMMON, noun="answer",
                          right="Right: the 127.0.0.1 listener shadows the wildcard for "
                                "127.0.0.1; 127.0.0.2 still goes to 0.0.0.0; without "
                                "SO_REUSEPORT the second bind is refused.")


# ---- 04.read-audit ---------------------------------------------------------------------

#: A made-up audit of a made-up laptop, in the form loopedu.audit.audit() returns rows.
AUDIT_ROWS = [
    {"protocol": "tcp", "address": "0.0.0.0", "port": 22, "process": "sshd"},
    {"protocol": "tcp", "address": "127.0.0.53", "port": 53, "process": "systemd-resolved"},
    {"protocol": "tcp", "address": "127.0.0.1", "port": 5432, "process": "postgres"},
    {"protocol": "tcp6", "address": "::1", "port": 5432, "process": "postgres"},
    {"protocol": "tcp", "address": "0.0.0.0", "port": 3306, "process": "mysqld"},
    {"protocol": "tcp", "address": "127.0.0.1", "port": 6379, "process": "redis-server"},
    {"protocol": "tcp6", "address": "::", "port": 8000, "process": "python3"},
    {"protocol": "tcp", "address": "192.168.1.20", "port": 3000, "process": "node"},
    {"protocol": "tcp6", "address": "::1", "port": 631, "process": "cupsd"},
    {"protocol": "udp", "address": "0.0.0.0", "port": 5353, "process": "avahi-daemon"},
    {"protocol": "tcp", "address": "127.0.0.1", "port": 8888, "process": "jupyter-lab"},
]

EXPOSED_KEY = {"sshd", "mysqld", "python3", "node", "avahi-daemon"}


def format_audit_rows(rows=AUDIT_ROWS) -> str:
    """The made-up audit as a table, like ``loopedu audit`` prints one.

    Introduced in notebooks/04-loopback-interface.ipynb.
    """
    lines = [f"{'proto':<6}{'address':<16}{'port':>6}  process"]
    lines += [f"{r['protocol']:<6}{r['address']:<16}{r['port']:>6}  {r['process']}"
              for r in rows]
    return "\n".join(lines)


_AUDIT_COMMON = {
    "systemd-resolved": "127.0.0.53 is inside 127.0.0.0/8: all of it is loopback.",
    "postgres": "Both of its sockets are on loopback addresses, IPv4 and IPv6.",
    "cupsd": "::1 is IPv6 loopback.",
    "redis-server": "Look at its address again: it is loopback.",
    "jupyter-lab": "Look at its address again: it is loopback.",
}

#: Why each exposed service is reachable, named when a learner leaves it out.
_WHY_EXPOSED = {
    "sshd": "sshd listens on 0.0.0.0: every interface",
    "mysqld": "mysqld listens on 0.0.0.0: every interface",
    "python3": "python3 listens on ::, which on Linux also takes IPv4",
    "node": "node listens on 192.168.1.20, a LAN address",
    "avahi-daemon": "avahi-daemon's UDP socket on 0.0.0.0 receives datagrams from the "
                    "network",
}


def _names(answer) -> set[str]:
    """The process names an answer gives (at most a few dozen are read)."""
    items = answer.replace(",", " ").split() if isinstance(answer, str) else answer
    try:
        return {str(item).strip().casefold() for item in islice(iter(items), 50)}
    except Exception:  # not iterable, or an iteration or str() that fails: no names
        return set()


@exercise("04.read-audit", lesson=4,
          title="Which services in this audit can other machines reach?",
          hints=["Loopback is all of 127.0.0.0/8 and ::1. Anything else can be reached "
                 "from some network.",
                 "0.0.0.0 and :: are not addresses of a network: in a listening socket "
                 "they mean every interface.",
                 "UDP counts too: a bound UDP socket receives datagrams from the network."])
def _read_audit(answer):
    feedback = expect_set(
        answer, EXPOSED_KEY, normalize=lambda s: s.strip().casefold(),
        common=_AUDIT_COMMON,
        right="Right: five services listen beyond loopback, on every interface or on the "
              "LAN address. A firewall may still stop packets, but the bind does not.")
    missing = sorted(EXPOSED_KEY - _names(answer)) if not feedback.passed else []
    if missing and len(missing) < len(EXPOSED_KEY):
        feedback = replace(feedback, message=feedback.message + " Missing: "
                           + "; ".join(_WHY_EXPOSED[name] for name in missing) + ".")
    return feedback
