"""Exercises of lesson 04, "lo, an interface like any other".

Introduced in notebooks/04-loopback-interface.ipynb
(exercises/04-loopback-interface-exercises.ipynb).

The answer keys are facts with their sources: ``lo`` down in both of its cases (a
brand-new namespace whose lo was never up has no route at all: ENETUNREACH; a lo that
was up and then set down keeps 127.0.0.1/8 and its local route, so TCP times out and UDP
loses its datagram silently; ::1 is gone in both: network_namespaces(7), observed),
SO_REUSEPORT (socket(7), observed) and ip(7) for the audit. Two exercises check the
learner's own code live: a counter measurement (``04.counters``, judged against the
checker's own counter reads) and two sockets sharing one loopback port (``04.share-port``).
tests/test_exercises_lesson04.py checks the keys against plain sockets in namespaces.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import islice

from .answers import expect_mapping, expect_set, show
from .framework import Feedback, exercise
from .reading import read_errno
from .shared_port import SHARE_CONNECTIONS, binds_problem, pair_problem, spread

# ---- 04.counters -----------------------------------------------------------------------
# The lesson read the counters around 1 MB sent to 127.0.0.1. The learner writes that
# measurement: growth(address, nbytes) reads psutil's counters before and after
# send_bytes() sends to an address the lesson did not use (::1, else 127.0.0.2). The
# checker runs it live between reads of its own (exercises/interface_growth.py).

@exercise("04.counters", lesson=4,
          title="Write it: measure which interface carries bytes sent to another "
                "loopback address",
          hints=["Read psutil.net_io_counters(pernic=True) once, call send_bytes(address, "
                 "nbytes), read it again: two dicts of counters, one per interface.",
                 "Each counter has bytes_sent, bytes_recv, packets_sent... The growth is "
                 "after[name].bytes_recv - before[name].bytes_recv.",
                 "Return one number per interface, for every name in both readings: "
                 "{name: after[name].bytes_recv - before[name].bytes_recv "
                 "for name in after if name in before}."])
def _counters(answer):
    from .interface_growth import check_growth

    return Feedback(*check_growth(answer))


# ---- 04.ping -----------------------------------------------------------------------------
# The lesson: a ping reply proves IP, ICMP and lo, not the network card and not TCP. The
# exercise turns it round: ping 127.0.0.1 gets no reply; which causes could explain it?

#: "04.ping": could this cause alone explain that ``ping 127.0.0.1`` gets no reply (Linux)?
#: The echo request never reaches a card (the local table routes it to lo); lo set down
#: keeps its route and drops the packet (observed: the lesson's second lo-down case);
#: ``icmp_echo_ignore_all=1`` makes the kernel "ignore all ICMP ECHO requests sent to it"
#: (ip-sysctl.rst); the kernel answers the echo itself, no program listens (RFC 792).
#: tests/test_exercises_lesson04.py pings with plain sockets in namespaces to confirm.
PING_KEY = {"Wi-Fi card switched off": False, "lo set down": True,
            "icmp_echo_ignore_all = 1": True, "web server on 127.0.0.1 crashed": False}

_PING_COMMON = {
    ("Wi-Fi card switched off", True):
        "A packet to 127.0.0.1 never reaches a network card: the local table sends it to "
        "lo (the lesson's drawing), so no card, on or off, takes part.",
    ("lo set down", False):
        "Set down, lo keeps 127.0.0.1 and its local route: the echo request is routed to "
        "lo, and a lo that is down drops it (the lesson's second lo-down case).",
    ("icmp_echo_ignore_all = 1", False):
        "ip-sysctl.rst: with icmp_echo_ignore_all set, the kernel ignores every ICMP echo "
        "request sent to it, loopback included.",
    ("web server on 127.0.0.1 crashed", True):
        "No program answers a ping: the kernel writes the echo reply itself (ICMP, RFC "
        "792). So a reply says nothing about TCP or any server either.",
}


@exercise("04.ping", lesson=4,
          title="ping 127.0.0.1 gets no reply: which causes could explain it?",
          hints=["Follow the echo request: which interface carries it, and who writes the "
                 "reply, a program or the kernel?",
                 "The lesson's lo-down cases each printed a ping line; and the lesson "
                 "named a sysctl that switches echo replies off."])
def _ping(answer):
    return expect_mapping(answer, PING_KEY, common=_PING_COMMON, noun="answer",
                          right="Right: a ping of 127.0.0.1 needs only lo, IP and the "
                                "kernel's ICMP. lo set down or echo replies switched off "
                                "silence it. No network card and no TCP server takes part, "
                                "so a reply proves nothing about them.")


# ---- 04.lo-down --------------------------------------------------------------------------
# The lesson shows a TCP connect to 127.0.0.1, a ping and the binds of ::1 and another
# address, in both cases. The exercise asks the same two cases about other addresses and
# another protocol: 127.0.0.2, ::1, and a UDP datagram.

#: The two cases, as the keys name them: A, a brand-new network namespace whose lo was
#: never up; B, a namespace (or a host, a container) whose lo was up and then set down.
LO_CASES = {"A": "a brand-new network namespace: its lo was never up",
            "B": "lo was up, then someone ran `ip link set lo down`"}

#: "04.lo-down": what each gives, on Linux (observed in namespaces; the test runs these
#: very calls in both cases). "timeout": connect() waited its full timeout; "ok": no error.
LO_DOWN_KEY = {
    "A: connect 127.0.0.2": "ENETUNREACH",
    "A: UDP to 127.0.0.1": "ENETUNREACH",
    "B: connect 127.0.0.2": "timeout",
    "B: UDP to 127.0.0.1": "ok",
    "B: connect ::1": "EADDRNOTAVAIL",
}

#: The words an answer may use, and what each means.
LO_DOWN_WORDS = ("ok", "timeout", "ECONNREFUSED", "ENETUNREACH", "EADDRNOTAVAIL",
                 "EHOSTUNREACH", "ENETDOWN")

#: Other spellings, read as the word they mean (an errno's name or strerror(3) text is
#: read by :func:`~loopedu.exercises.reading.read_errno`; ETIMEDOUT is "timeout").
_LO_DOWN_SYNONYMS = {
    "timed out": "timeout", "times out": "timeout", "time out": "timeout",
    "timeouterror": "timeout", "socket.timeout": "timeout", "hangs": "timeout",
    "works": "ok", "no error": "ok", "success": "ok", "sent": "ok", "0": "ok",
    "refused": "ECONNREFUSED",
}

_NO_LOCAL_TABLE = ("In a namespace whose lo was never up there is no address and no local "
                   "routing table at all (`ip route show table local` says the table does "
                   "not exist): the kernel finds no route and fails at once.")
_ROUTE_STAYS = ("Setting lo down keeps 127.0.0.1/8 and the route `local 127.0.0.0/8 dev "
                "lo` (the lesson's second case listed both): the kernel still routes the "
                "packet to lo, which drops it.")

#: A message that shares a sentence with another is a tuple of sentences: when both
#: keys are wrong, the shared sentence is said once (expect_mapping).
_LO_DOWN_COMMON = {
    ("A: connect 127.0.0.2", "timeout"): (_NO_LOCAL_TABLE, "A timeout needs a packet "
                                          "that was sent and then lost."),
    ("A: connect 127.0.0.2", "ECONNREFUSED"): (_NO_LOCAL_TABLE,),
    ("A: UDP to 127.0.0.1", "ok"): "sendto() needs a route as much as connect() does: "
        "in a namespace whose lo was never up, is there any?",
    ("B: connect 127.0.0.2", "ENETUNREACH"): (_ROUTE_STAYS, "So no error comes back: "
        "what does connect() do while nothing answers its SYN?"),
    ("B: connect 127.0.0.2", "ECONNREFUSED"): ("A refusal is a reset sent by the kernel "
                                               "that received the SYN.", _ROUTE_STAYS),
    ("B: UDP to 127.0.0.1", "ENETUNREACH"): (_ROUTE_STAYS, "sendto() only needs that "
                                             "route."),
    ("B: UDP to 127.0.0.1", "timeout"): "sendto() never waits for an answer: "
        "UDP has no handshake.",
    ("B: UDP to 127.0.0.1", "ECONNREFUSED"): "A refusal would need a kernel "
        "that received the datagram and answered (ICMP port unreachable).",
    ("B: connect ::1", "timeout"): "IPv6 addresses leave an interface that "
        "goes down: the kernel has no ::1 to send from, and says so at once.",
    ("B: connect ::1", "ENETUNREACH"): "Look at the lesson's `bind ::1` line "
        "for this case: the kernel complains about the address, not the route.",
}


def _lo_down_word(value) -> str:
    """An answer read as one of :data:`LO_DOWN_WORDS` ("network is unreachable" reads as
    ENETUNREACH, "ETIMEDOUT" and "timed out" as timeout); anything else as given."""
    if value is True:
        return "ok"
    text = " ".join(str(value).split()).strip(" .'\"")
    folded = text.casefold()
    if folded in _LO_DOWN_SYNONYMS:
        return _LO_DOWN_SYNONYMS[folded]
    named = read_errno(text)              # "[Errno 101] Network is unreachable" too
    if named:
        return "timeout" if named == "ETIMEDOUT" else named
    upper = text.upper()
    if upper in LO_DOWN_WORDS:
        return upper
    return "ok" if folded == "ok" else ("timeout" if folded == "timeout" else text)


def _unknown_lo_down_word(answer) -> str | None:
    """The message for a value that is none of the allowed words, or None."""
    import difflib

    if not isinstance(answer, dict):
        return None
    asked = {" ".join(k.split()).casefold() for k in LO_DOWN_KEY}
    for key, value in answer.items():
        if value is None or value is Ellipsis or \
                " ".join(str(key).split()).casefold() not in asked:
            continue
        word = _lo_down_word(value)
        if word not in LO_DOWN_WORDS:
            allowed = ", ".join(repr(w) for w in LO_DOWN_WORDS)
            close = difflib.get_close_matches(str(word).upper(), LO_DOWN_WORDS, n=1,
                                              cutoff=0.75)
            mean = f" Did you mean {close[0]!r}?" if close else ""
            return (f"For {show(key, 40)}: {show(value, 30)} is not one of the allowed "
                    f"answers ({allowed}; strerror texts such as 'network is unreachable' "
                    f"work too).{mean}")
    return None


@exercise("04.lo-down", lesson=4,
          title="lo never up, and lo set down: what do other addresses and UDP get?",
          hints=["First ask, for each case: is there still a route for 127/8, and is "
                 "there still an address ::1 (the lesson's `ip` lines and `bind ::1`)?",
                 "With a route, the kernel sends and the packet is lost on lo; without "
                 "one, the call fails at once. What does TCP do when its SYN gets no "
                 "answer, and what does UDP?",
                 "UDP's sendto() returns once the datagram is handed on: it waits for "
                 "nothing."])
def _lo_down(answer):
    unknown = _unknown_lo_down_word(answer)
    if unknown:
        return Feedback(False, unknown)
    return expect_mapping(answer, LO_DOWN_KEY, coerce=_lo_down_word, normalize=lambda v: v,
                          common=_LO_DOWN_COMMON, noun="answer", at_most=2,
                          right="Right: never up, there is no route at all (ENETUNREACH at "
                                "once, for 127.0.0.2 and UDP alike); set down, the route "
                                "stays, so TCP waits for an answer that never comes and UDP "
                                "loses its datagram without a word, while ::1 is simply "
                                "gone (EADDRNOTAVAIL).")


# ---- 04.shadowing ------------------------------------------------------------------------
# The lesson's demo shadows 0.0.0.0:P with 127.0.0.1:P. The exercise asks about another
# address, and about a first listener that did not opt in.

#: "04.shadowing": listeners on 0.0.0.0:P and 127.0.0.2:P, both with SO_REUSEPORT (Linux,
#: socket(7); the test runs it in a namespace). Keys stay short: feedback names them.
SHADOW_KEY = {"127.0.0.2 goes to": "127.0.0.2", "127.0.0.3 goes to": "0.0.0.0",
              "first without it: bind": "EADDRINUSE"}

_SHADOW_COMMON = {
    ("127.0.0.2 goes to", "0.0.0.0"):
        "The kernel hands a connection to the most specific listener that matches its "
        "destination.",
    ("127.0.0.3 goes to", "127.0.0.2"):
        "127.0.0.3 is another address: the 127.0.0.2 listener does not match it.",
    ("first without it: bind", "ok"):
        "socket(7): every socket that shares the port must set SO_REUSEPORT, the first "
        "one too.",
}

#: What each key of "04.shadowing" may be answered with: one of the two listeners; "ok"
#: or the errno of a bind (socket(7), bind(2)). Another value is told it is not one.
_SHADOW_ALLOWED = {"127.0.0.2 goes to": ("127.0.0.2", "0.0.0.0"),
                   "127.0.0.3 goes to": ("127.0.0.2", "0.0.0.0"),
                   "first without it: bind": ("ok", "EADDRINUSE", "EADDRNOTAVAIL",
                                              "EACCES", "EINVAL")}


def _shadow_word(value) -> str:
    """An address as written, "ok" in any case, an errno by its name or its text
    ("address already in use" is EADDRINUSE)."""
    named = read_errno(str(value))
    if named:
        return named
    text = " ".join(str(value).split()).strip("[]")
    if text.casefold() == "ok":
        return "ok"
    return text.upper() if text.upper().startswith("E") else text


@exercise("04.shadowing", lesson=4,
          title="Who gets a loopback connection when 0.0.0.0 and 127.0.0.2 share a port?",
          hints=["Among listeners on one port, the kernel prefers the most specific bind "
                 "that matches the destination.",
                 "socket(7): with SO_REUSEPORT, every socket sharing the port must set it."])
def _shadowing(answer):
    return expect_mapping(answer, SHADOW_KEY, coerce=_shadow_word, normalize=lambda v: v,
                          common=_SHADOW_COMMON, noun="answer", allowed=_SHADOW_ALLOWED,
                          right="Right: the 127.0.0.2 listener shadows the wildcard for "
                                "127.0.0.2 only; every other 127.x still goes to 0.0.0.0; "
                                "a listener that never set SO_REUSEPORT cannot be shared.")


# ---- 04.share-port ----------------------------------------------------------------------
# The learner's own code: two sockets that set SO_REUSEPORT and listen on one loopback
# address and port. The checker inspects them (it never changes an option), connects to
# them over loopback only, and accepts what arrives, to see which socket each went to.
# Nothing here listens beyond loopback: a wildcard or network address is refused first.

@exercise("04.share-port", lesson=4,
          title="Write it: two listeners on one loopback address and port",
          hints=["One socket option lets two sockets bind one address and port; the lesson "
                 "set it with setsockopt(socket.SOL_SOCKET, ..., 1).",
                 "socket(7): every socket that shares the port sets the option, before "
                 "bind(), the first one too.",
                 "Bind the first to 127.0.0.1 port 0, then the second to exactly "
                 "first.getsockname(); both listen()."])
def _share_port(answer):
    problem = pair_problem(answer)
    if problem is None:
        problem = binds_problem(*answer)
    if problem:
        return Feedback(False, problem)
    to_first, to_second, problem = spread(*answer, SHARE_CONNECTIONS)
    if problem:
        return Feedback(False, problem)
    if to_first + to_second < SHARE_CONNECTIONS:
        return Feedback(False, "Some of the checker's connections were never accepted by "
                        "either socket: are both still listening?")
    both = (f"the kernel spread the checker's {SHARE_CONNECTIONS} connections over both "
            "(socket(7): SO_REUSEPORT balances TCP connections across the sockets)"
            if to_first and to_second else
            f"this kernel gave all {SHARE_CONNECTIONS} of the checker's connections to one "
            "of them (the BSDs and macOS do not balance)")
    return Feedback(True, "Both your sockets listen on one loopback address and port, and "
                    f"{both}. A second program of the same user can do this to any service "
                    "that sets SO_REUSEPORT; one that does not set it cannot be shared.")


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

#: What kind of exposed service each is, said of one a learner leaves out without
#: naming it (the learner finds it in the table): in the order of AUDIT_ROWS.
_KIND_OF_EXPOSED = {
    "sshd": "a remote-login server bound to a wildcard address",
    "mysqld": "a database bound to a wildcard address",
    "python3": "a service listening on every IPv6 address (::, which on Linux takes IPv4 too)",
    "node": "a service bound to a LAN address, not a loopback one",
    "avahi-daemon": "a UDP socket on a wildcard address (UDP receives datagrams "
                    "from the network too)",
}


def _missing_kinds(missing: set[str]) -> str:
    """What kind of service each missing one is, in the table's order, naming none."""
    kinds = [kind for name, kind in _KIND_OF_EXPOSED.items() if name in missing]
    if not kinds:
        return ""
    if len(kinds) == 1:
        return f" The missing one is {kinds[0]}."
    return f" Of the {len(kinds)} missing: " + "; ".join(f"one is {k}" for k in kinds) + "."


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
    missing = EXPOSED_KEY - _names(answer) if not feedback.passed else set()
    if missing and len(missing) < len(EXPOSED_KEY):
        feedback = replace(feedback, message=feedback.message + _missing_kinds(missing))
    return feedback
