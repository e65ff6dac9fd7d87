"""Exercises of lesson 05, "IPv6 ::1".

Introduced in notebooks/05-ipv6-loopback.ipynb (exercises/05-ipv6-loopback-exercises.ipynb).

The keys rest on RFC 4291 section 2.2 and RFC 5952 section 4 (notation), ipv6(7) and
Linux's default ``net.ipv6.bindv6only=0`` (dual stack), CPython gh-117566 (mapped
addresses and ``is_loopback``), and socket(2) and ipv6(7) with the course's observations
on Linux (IPv6 switched off). tests/test_exercises_lesson05.py checks the notation keys
against ``ipaddress`` and ``socket.inet_ntop``, the locality key against an
``ipaddress`` without the fix, and the IPv6-off key against plain socket calls in a
network namespace with IPv6 disabled, and the dual-stack key (which follows this
machine's own default) against plain sockets in namespaces with each default.
"""

from __future__ import annotations

from .. import ipv6
from .framework import Feedback, exercise
from .answers import expect_choice, expect_equal, expect_mapping
from .reading import read_errno

#: The address of "05.compress", as a careless tool might print it. (The lesson works
#: through 2001:0DB8:0000:0000:0001:0000:0000:0001, the tie rule; this one asks for the
#: longest run and a lone zero group.)
COMPRESS_QUESTION = "2001:0DB8:0000:0001:0000:0000:0000:00AB"
#: The address of "05.expand".
EXPAND_QUESTION = "2001:db8::ff00:42:8329"

#: What the lesson's demo showed on Linux: a listener on [::] (port 0) with IPV6_V6ONLY
#: "off" (0) or "on" (1), in the words of :func:`loopedu.dual_stack.dual_stack_key`.
DUAL_STACK_KEY = {
    "off: IPv4 to 127.0.0.1": "connected",
    "off: server sees": "::ffff:127.0.0.1",
    "off: bind 0.0.0.0 same port": "EADDRINUSE",
    "on: IPv4 to 127.0.0.1": "refused",
    "on: bind 0.0.0.0 same port": "ok",
}


def dual_stack_question() -> dict:
    """The expected answer of "05.dual-stack" on this machine. The exercise asks about a
    server that leaves IPV6_V6ONLY as the system sets it, so "here" follows this
    machine's own default: the option of a fresh AF_INET6 socket
    (:func:`loopedu.dual_stack.platform_dual_stack_default`; the documented default of
    this system where no such socket can be made, Linux's otherwise). "Windows" follows
    Microsoft's documentation (V6ONLY on), and a socket with V6ONLY 0 sees an IPv4 client
    as ::ffff:127.0.0.1 (RFC 4291 section 2.5.5.2).

    Introduced in notebooks/05-ipv6-loopback.ipynb (exercise 05.dual-stack).
    """
    from ..dual_stack import platform_dual_stack_default
    from ..platforms import DUAL_STACK_DEFAULTS

    here = platform_dual_stack_default()
    v6only = here.new_socket_v6only
    if v6only is None:
        v6only = (here.documented or DUAL_STACK_DEFAULTS["Linux"])["v6only"]
    return {"here: IPv4 to 127.0.0.1": "refused" if v6only else "connected",
            "here: bind 0.0.0.0 same port": "ok" if v6only else "EADDRINUSE",
            "Windows: IPv4 to 127.0.0.1": "refused",
            "V6ONLY 0: server sees": "::ffff:127.0.0.1"}


#: What each connection of the dual-stack predictions may be answered with.
CONNECT_WORDS = ("connected", "refused")
#: What a bind may end with: "ok", or the errno of bind(2) a learner may expect.
BIND_WORDS = ("ok", "EADDRINUSE", "EADDRNOTAVAIL", "EAFNOSUPPORT", "EACCES", "EINVAL")
#: The words of each key of "05.dual-stack" ("V6ONLY 0: server sees" takes any address).
DUAL_STACK_WORDS = {"here: IPv4 to 127.0.0.1": CONNECT_WORDS,
                    "here: bind 0.0.0.0 same port": BIND_WORDS,
                    "Windows: IPv4 to 127.0.0.1": CONNECT_WORDS}

_CONNECTED_WORDS = {"connected", "connects", "connect", "accepted", "yes", "true",
                    "reached", "reaches"}
_REFUSED_WORDS = {"refused", "refuses", "connection refused", "econnrefused", "rejected",
                  "no", "false"}


def _word_or_address(value) -> str:
    """A predicted value read leniently: any spelling of an IPv6 address becomes its RFC
    5952 text (so ``::ffff:7f00:1`` reads as ``::ffff:127.0.0.1``), ``"yes"`` or True
    reads as ``"connected"``, an errno's name or text its name (``"address already in
    use"`` is ``"EADDRINUSE"``); other text is compared ignoring case and spaces."""
    if isinstance(value, bool):
        return "connected" if value else "refused"
    text = " ".join(str(value).split())
    try:
        return ipv6.compress(text)
    except ValueError:
        pass
    folded = text.casefold()
    if folded in _CONNECTED_WORDS:
        return "connected"
    if folded in _REFUSED_WORDS:
        return "refused"
    return read_errno(text) or folded


def _given(answer, key: str):
    """The learner's value for ``key`` of a dict answer (keys compared loosely)."""
    want = " ".join(key.split()).casefold()
    return next((v for k, v in answer.items()
                 if isinstance(k, str) and " ".join(k.split()).casefold() == want), None)


def _mapped_spelling_note(given) -> str:
    """Why another spelling of ::ffff:127.0.0.1 is the same address ("" if none)."""
    if not isinstance(given, str) or " ".join(given.split()).lower() == "::ffff:127.0.0.1":
        return ""
    return (f" You wrote {given.strip()!r}: the same 128 bits. An IPv4-mapped address is "
            "::ffff: followed by the 32 bits of the IPv4 address (RFC 4291 section "
            "2.5.5.2), and 7f00:0001 is 127.0.0.1 in hex (7f = 127). RFC 5952 section 5 "
            "recommends writing those 32 bits dotted, ::ffff:127.0.0.1, as inet_ntop "
            "does; some Python releases print the hex form ::ffff:7f00:1.")

#: "05.locality-check": each option is the body of ``def is_local(host): return ...``
#: where ``host`` is ``conn.getpeername()[0]`` of a server listening on [::]. None of
#: them is the lesson's own check or its fix: the learner tries each on the peers below.
LOCALITY_OPTIONS = {
    "a": 'host in ("127.0.0.1", "::1")',
    "b": 'host.startswith("127.") or host == "::1"',
    "c": "ipaddress.ip_address(host).ipv4_mapped.is_loopback",
    "d": "ipaddress.ip_address(host).is_private",
    "e": 'ipaddress.ip_address(host.removeprefix("::ffff:")).is_loopback',
}
#: Peers such a server sees from this machine, and from other machines.
LOCALITY_LOCAL = ("::1", "::ffff:127.0.0.1", "::ffff:127.9.9.9")
LOCALITY_REMOTE = ("::ffff:192.0.2.1", "2001:db8::1", "fe80::1")
#: Which bodies answer every peer above right, on every Python release (with or without
#: the gh-117566 fix): getpeername() of an AF_INET6 socket gives an IPv4 client as a
#: mapped address (RFC 4291 section 2.5.5.2, written dotted as inet_ntop does, RFC 5952
#: section 5); ``ipv4_mapped`` is None for an address that is not mapped; ``is_private``
#: is True for RFC 1918, documentation and link-local addresses (Python's ipaddress
#: documentation, the IANA special-purpose registries).
LOCALITY_KEY = {"a": "wrong", "b": "wrong", "c": "wrong", "d": "wrong", "e": "right"}

_RIGHT_WORDS = {"right", "correct", "ok", "works", "yes", "true", "good"}
_WRONG_WORDS = {"wrong", "incorrect", "broken", "fails", "no", "false", "bad"}


def _right_or_wrong(value) -> str:
    """A verdict read leniently: True/"correct" is "right", False/"broken" "wrong"."""
    if isinstance(value, bool):
        return "right" if value else "wrong"
    text = " ".join(str(value).split()).casefold()
    if text in _RIGHT_WORDS:
        return "right"
    if text in _WRONG_WORDS:
        return "wrong"
    return text


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
    if value.startswith("[") or value.endswith("]"):
        return ("The brackets are not part of the address: they set an IPv6 address "
                "apart from a port, in a URL or beside one ([::1]:8080, RFC 3986 section "
                "3.2.2). Give the address alone.")
    try:
        same = ipv6.expand(value) == ipv6.expand(COMPRESS_QUESTION)
    except ValueError as exc:
        return f"That is not a valid IPv6 address: {exc}"
    if not same:
        return ("That is a different address: expand your answer with "
                "loopedu.ipv6.expand() and compare it group by group with the question.")
    return _notation_problem(value) or "That is not it."


@exercise("05.compress", lesson=5,
          title=f"Write {COMPRESS_QUESTION} in its RFC 5952 canonical form",
          hints=["Lowercase, and drop the leading zeros of every group first.",
                 "Find every run of zero groups and count how long each one is. RFC 5952 "
                 "section 4.2.1 says which one gets the '::', section 4.2.2 what happens "
                 "to a zero group standing alone.",
                 "Only one '::' is allowed in an address."])
def _compress(answer):
    return expect_equal(
        answer, ipv6.compress(COMPRESS_QUESTION), normalize=lambda s: s.strip(),
        wrong=_compress_wrong,
        right="Canonical: lowercase, no leading zeros, the longest run of zero groups "
              "written '::', and a zero group standing alone kept as 0.")


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


@exercise("05.expand", lesson=5, title=f"Write {EXPAND_QUESTION} in full",
          hints=["The full form has 8 groups of exactly 4 hex digits.",
                 "Count the groups written on each side of '::': it stands for the "
                 "zero groups that are missing to make 8."])
def _expand(answer):
    return expect_equal(
        answer, ipv6.expand(EXPAND_QUESTION), normalize=lambda s: s.strip().lower(),
        wrong=_expand_wrong,
        right="Eight groups of four: '::' stood for three zero groups here.")


_HERE = ("This machine's default decides: the lesson names it for Linux, macOS and "
         "Windows (Going further has a table of five platforms), and on Linux "
         "/proc/sys/net/ipv6/bindv6only holds it (0: dual stack).")


@exercise("05.dual-stack", lesson=5,
          title="A server on [::] that leaves IPV6_V6ONLY alone: on this machine, and on "
                "Windows",
          hints=["No setsockopt means the system's default: which is this machine's? The "
                 "lesson names the defaults of Linux, macOS and Windows.",
                 "A socket of family AF_INET6 can only report an IPv6 address as its peer.",
                 "A dual-stack [::]:P also holds 0.0.0.0:P; a V6ONLY one leaves it free."])
def _dual_stack(answer):
    key = dual_stack_question()
    dual = key["here: IPv4 to 127.0.0.1"] == "connected"
    feedback = expect_mapping(
        answer, key, normalize=_word_or_address, allowed=DUAL_STACK_WORDS,
        common={("here: IPv4 to 127.0.0.1", "refused" if dual else "connected"): _HERE,
                ("here: bind 0.0.0.0 same port", "ok" if dual else "EADDRINUSE"):
                "A dual-stack [::]:P holds the IPv4 side of port P too; a V6ONLY one "
                "leaves it free. Which of the two is this machine's default?",
                ("Windows: IPv4 to 127.0.0.1", "connected"):
                "Windows' default is not Linux's: the lesson names it, just before the "
                "dual-stack experiment. What is it?",
                ("V6ONLY 0: server sees", "127.0.0.1"):
                "The server's socket is AF_INET6: the kernel has to hand it an IPv6 "
                "address, so it maps the IPv4 one (RFC 4291 section 2.5.5.2).",
                ("V6ONLY 0: server sees", "::1"):
                "The client connected to 127.0.0.1 over IPv4, not to ::1."},
        right="Right: with no setsockopt a server gets its system's default: dual stack "
              "on Linux and macOS (IPv4 seen as ::ffff:127.0.0.1, the IPv4 port held too), "
              "IPv6 only on Windows." + ("" if dual else " This machine's default is "
                                         "V6ONLY on: its servers need one socket per family "
                                         "or an explicit setsockopt."))
    if feedback.passed:
        note = _mapped_spelling_note(_given(answer, "V6ONLY 0: server sees"))
        return Feedback(True, feedback.message + note)
    return feedback


@exercise("05.locality-check", lesson=5,
          title="Which is_local(host) answers every local and remote peer of a "
                "dual-stack server right, on every Python release?",
          hints=["Write down what getpeername() gives for an IPv4 client of 127.0.0.1 "
                 "on a socket bound to [::], then run each body on it in your head.",
                 "Try every body on ::1 too, and on a remote peer such as "
                 "::ffff:192.0.2.1: a check can also fail by letting a remote client in, "
                 "or by raising an exception."])
def _locality(answer):
    return expect_mapping(
        answer, LOCALITY_KEY, normalize=_right_or_wrong, coerce=False, noun="verdict",
        allowed=("right", "wrong"),
        common={("a", "right"): "An IPv4 client reaches a socket on [::] as a mapped "
                                "address: is its peer text one of those two strings?",
                ("b", "right"): "What does the peer text of an IPv4 client of a socket "
                                "on [::] start with?",
                ("c", "right"): "What is ipv4_mapped for ::1, an address that is not "
                                "mapped? Can that value have .is_loopback?",
                ("d", "right"): "is_private is not is_loopback: is a machine on your "
                                "LAN, 192.168.x.x or ::ffff:192.168.x.x, private?",
                ("e", "wrong"): "Run it on each peer by hand: what text is left after "
                                "removeprefix for ::1, for ::ffff:127.0.0.1, for "
                                "2001:db8::1?"},
        right="Right. A dual-stack server sees an IPv4 client as ::ffff:127.0.0.1, so "
              "string tests miss it; ipv4_mapped is None for ::1; is_private lets in "
              "your whole LAN. e unwraps the mapped form first, so it works with or "
              "without the gh-117566 fix, but only on text written dotted, as "
              "getpeername() gives it (inet_ntop, RFC 5952 section 5): on "
              "'::ffff:7f00:1', the hex form str() of an IPv6Address prints on Python "
              "3.11, it raises ValueError. Prefer the lesson's form, which reads the "
              "address, not its text: (ip.ipv4_mapped or ip).is_loopback.")

# ---- 05.ipv6-off ----------------------------------------------------------------------

#: "05.ipv6-off", cases the lesson did not run: on a machine with IPv6 disabled
#: (``disable_ipv6=1``, as in many containers) a client connects to ::1; a client calls
#: ``socket.create_connection(("localhost", P))`` where localhost resolves to ::1 first,
#: then 127.0.0.1, and a server listens on 127.0.0.1:P; and on a kernel with IPv6
#: compiled out a server binds ``::``. Sources: socket(2) (EAFNOSUPPORT), connect(2)
#: and ipv6(7) (EADDRNOTAVAIL: no source address can be given to ::1, observed on Linux
#: in a network namespace with disable_ipv6=1), the Python documentation of
#: ``socket.create_connection`` (tries every address getaddrinfo returns, in order).
IPV6_OFF_KEY = {
    "IPv6 disabled: connect to ::1": "EADDRNOTAVAIL",
    "IPv6 disabled: create_connection to localhost": "connected",
    "IPv6 compiled out: bind ::": "EAFNOSUPPORT",
}

#: What each key of "05.ipv6-off" may be answered with.
IPV6_OFF_WORDS = {"IPv6 disabled: connect to ::1":
                  (*CONNECT_WORDS, *BIND_WORDS, "ENETUNREACH", "ETIMEDOUT"),
                  "IPv6 disabled: create_connection to localhost":
                  (*CONNECT_WORDS, *BIND_WORDS, "ENETUNREACH", "ETIMEDOUT"),
                  "IPv6 compiled out: bind ::": (*BIND_WORDS, "refused")}


@exercise("05.ipv6-off", lesson=5,
          title="What a client meets where IPv6 is disabled, and what fails where it is "
                "compiled out",
          hints=["disable_ipv6=1 takes the IPv6 addresses off the interfaces, ::1 "
                 "included; the kernel itself still speaks IPv6. Which address would a "
                 "connection to ::1 leave from?",
                 "socket.create_connection does not stop at the first address "
                 "getaddrinfo returns.",
                 "Compiled out, the kernel has no AF_INET6 at all: which call fails "
                 "first, socket() or bind()? Does it matter which address is bound?"])
def _ipv6_off(answer):
    return expect_mapping(
        answer, IPV6_OFF_KEY, normalize=_word_or_address, allowed=IPV6_OFF_WORDS,
        common={("IPv6 disabled: connect to ::1", "refused"):
                "A refusal is a reset from a host that got the SYN. Can the SYN even "
                "leave? It needs a source address, and lo has no IPv6 address left.",
                ("IPv6 disabled: connect to ::1", "EAFNOSUPPORT"):
                "disable_ipv6 switches IPv6 off on the interfaces, not in the kernel: "
                "socket(AF_INET6) still works.",
                ("IPv6 disabled: connect to ::1", "ENETUNREACH"):
                "The route to ::1 is not what is missing first: the socket needs a "
                "source address, and no interface has an IPv6 address any more.",
                ("IPv6 disabled: create_connection to localhost", "EADDRNOTAVAIL"):
                "That is what the first address gives. What does create_connection do "
                "when the first address fails and getaddrinfo returned another?",
                ("IPv6 disabled: create_connection to localhost", "refused"):
                "Which address does the server listen on, and does create_connection "
                "ever try it?",
                ("IPv6 compiled out: bind ::", "ok"):
                "On a machine with IPv6 disabled, :: binds. A kernel without IPv6 is "
                "another case: can it make the AF_INET6 socket that bind() needs?",
                ("IPv6 compiled out: bind ::", "EADDRNOTAVAIL"):
                ":: needs no address on any interface. Which call fails before bind() "
                "where the kernel has no IPv6?"},
        right="Right: with IPv6 disabled, a connection to ::1 has no IPv6 source address "
              "to leave from (EADDRNOTAVAIL), but create_connection goes on to the next "
              "address, 127.0.0.1; a client that tries only the first address fails. "
              "A kernel without IPv6 refuses the AF_INET6 socket itself, whatever it "
              "would bind (EAFNOSUPPORT).")
