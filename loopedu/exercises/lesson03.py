"""Exercises of lesson 03, "127.0.0.1 versus 0.0.0.0".

Introduced in notebooks/03-bind-address.ipynb (exercises/03-bind-address-exercises.ipynb).

The answer keys are facts with their sources (ip(7), ipv6(7), observed on Linux):
tests/test_exercises_lesson03.py checks the matrix key against a live
``loopedu.reachability.reachability()`` run and the phone key against the virtual LAN.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, replace

from ..lan import own_networks
from ..sandbox import capabilities

from .bind_probe import check_serve
from .framework import Feedback, exercise
from .answers import expect_mapping, show

# ---- 03.predict-matrix ----------------------------------------------------------------

#: The binds and destinations of "03.predict-matrix". None of 127.0.0.53 and
#: 127.255.255.254 is in the lesson's measured matrix: the learner applies the rule, not
#: copies a cell. The two IPv6 rows are asked only where this machine has ::1
#: (``capabilities().ipv6_loopback``); the row of :: is Linux's (dual stack, ipv6(7)).
IPV4_BINDS = ("127.0.0.1", "0.0.0.0", "127.0.0.53")
IPV6_BINDS = ("::", "::1")
MATRIX_BINDS = IPV4_BINDS + IPV6_BINDS
MATRIX_TARGETS = ("127.0.0.1", "127.0.0.53", "127.255.255.254")


def matrix_key_name(bind: str, target: str) -> str:
    """The key of one cell of the prediction: ``"127.0.0.1 -> 127.0.0.2"``."""
    return f"{bind} -> {target}"


#: The answer key on Linux (ip(7), ipv6(7), observed on Debian 12): a listener accepts
#: connections to the address it bound; 0.0.0.0 (INADDR_ANY, ip(7)) to any IPv4 one; ::
#: to any, IPv4 too (dual stack while net.ipv6.bindv6only is 0, Linux's default); ::1
#: to no IPv4 address.
MATRIX_KEY = {
    matrix_key_name(b, t): ("connected" if b in (t, "0.0.0.0", "::") else "refused")
    for b in MATRIX_BINDS for t in MATRIX_TARGETS
}


def matrix_key() -> dict:
    """The cells asked on this machine: all of :data:`MATRIX_KEY` where it has IPv6
    loopback, the IPv4 rows only where it has not.

    Introduced in notebooks/03-bind-address.ipynb (exercise 03.predict-matrix).
    """
    if capabilities().ipv6_loopback:
        return dict(MATRIX_KEY)
    return {k: v for k, v in MATRIX_KEY.items() if k.split(" -> ")[0] in IPV4_BINDS}

_CONNECTED_WORDS = {"connected", "connects", "connect", "accepted", "accepts", "ok",
                    "yes", "true", "reached", "reaches", "success"}
_REFUSED_WORDS = {"refused", "refuses", "refuse", "connection refused", "econnrefused",
                  "rejected", "no", "false", "fails", "failed", "rst", "reset"}


def _outcome_word(value):
    """Read a predicted outcome leniently: "yes", True, "ECONNREFUSED"..."""
    if isinstance(value, bool):
        return "connected" if value else "refused"
    text = " ".join(str(value).split()).casefold()
    if text in _CONNECTED_WORDS:
        return "connected"
    if text in _REFUSED_WORDS:
        return "refused"
    return text


#: One sentence for every wrong 0.0.0.0 cell, so that it is said once (not per cell).
_ANY_ACCEPTS = ("0.0.0.0 in bind() is INADDR_ANY: the socket accepts connections to "
                "every address of this machine (ip(7)). On Linux, which addresses are "
                "those? Every 127.x is still inside 127.0.0.0/8 (lesson 01).")
def _specific(bind: str, targets: list[str]) -> str:
    others = " and ".join(targets)
    verb = "is another address" if len(targets) == 1 else "are other addresses"
    return (f"The listener on {bind} accepts only connections addressed to {bind}; "
            f"{others} {verb} on the same lo interface.")
_SAME = "The client goes exactly where the server listens."

_MATRIX_COMMON = {
    (matrix_key_name("127.0.0.1", "127.0.0.1"), "refused"): _SAME,
    (matrix_key_name("127.0.0.53", "127.0.0.53"), "refused"):
        _SAME + " On Linux every 127.x can be bound (lesson 01).",
    (matrix_key_name("0.0.0.0", "127.0.0.1"), "refused"):
        "Every interface includes the loopback interface.",
    (matrix_key_name("0.0.0.0", "127.0.0.53"), "refused"): _ANY_ACCEPTS,
    (matrix_key_name("0.0.0.0", "127.255.255.254"), "refused"): _ANY_ACCEPTS,
    (matrix_key_name("127.0.0.53", "127.0.0.1"), "connected"):
        "127.0.0.1 is no wildcard: it is one address like any other.",
}
_DUAL_STACK = ("On Linux a socket on :: is dual stack: it accepts IPv4 too, every address "
               "0.0.0.0 would (ipv6(7); lesson 05). The lesson's matrix has a :: row.")
_FAMILIES = ("::1 is IPv6 loopback. A client to a 127.x address speaks IPv4, and only :: "
             "takes both families.")
for _target in MATRIX_TARGETS:
    _MATRIX_COMMON[(matrix_key_name("::", _target), "refused")] = _DUAL_STACK
    _MATRIX_COMMON[(matrix_key_name("::1", _target), "connected")] = _FAMILIES


@exercise("03.predict-matrix", lesson=3,
          title="Predict the reachability matrix on Linux",
          hints=["Which one of the three bind addresses is not an address of its own "
                 "but a wildcard (ip(7))?",
                 "On Linux the whole of 127.0.0.0/8 belongs to this machine (lesson 01), "
                 "so a connection to any 127.x arrives; the question is only whether "
                 "some socket listens on that destination address."])
def _predict_matrix(answer):
    if isinstance(answer, dict):
        for key, value in answer.items():
            if value is None or value is Ellipsis:
                continue
            word = _outcome_word(value)
            if word not in ("connected", "refused", "timeout"):
                return Feedback(False, f"For {show(key, 30)}: {show(value, 30)} is not one of "
                                "the allowed answers, 'connected' or 'refused' (True or "
                                "False also work).")
        for value in answer.values():
            if value is not None and value is not Ellipsis and \
                    _outcome_word(value) == "timeout":
                return Feedback(False, "Nothing drops packets on loopback: when no socket "
                                "listens at the destination, the kernel answers with a "
                                "reset (RST), and on Linux connect() fails at once (the "
                                "question is about Linux; Windows retries for about 2 s, "
                                "then refuses too). Use the two outcomes the question "
                                "offers.")
    key, note = matrix_key(), ""
    if isinstance(answer, dict) and len(key) < len(MATRIX_KEY):
        answer = {k: v for k, v in answer.items()
                  if " ".join(str(k).split()).split(" -> ")[0] not in IPV6_BINDS}
        note = " (The :: and ::1 rows are not asked here: this machine has no ::1.)"
    feedback = expect_mapping(answer, key, coerce=_outcome_word,
                              normalize=lambda v: v, common=_MATRIX_COMMON,
                              right="Right: a listener answers only on the address it "
                                    "bound; 0.0.0.0 answers on every IPv4 address of the "
                                    "machine, and on Linux that is all of 127/8 (ip(7)). "
                                    "On Linux :: answers IPv4 too; ::1 answers no IPv4.")
    feedback = replace(feedback, message=feedback.message + note)
    if feedback.passed or not isinstance(answer, dict):
        return feedback
    # one sentence per specific listener the learner thought answers other addresses
    given = {" ".join(str(k).split()).casefold(): v for k, v in answer.items()}
    too_open: dict[str, list[str]] = {}
    for bind in (b for b in IPV4_BINDS if b != "0.0.0.0"):
        for target in MATRIX_TARGETS:
            said = given.get(matrix_key_name(bind, target))
            if target != bind and said not in (None, Ellipsis) \
                    and _outcome_word(said) == "connected":
                too_open.setdefault(bind, []).append(target)
    extra = " ".join(_specific(bind, targets) for bind, targets in too_open.items())
    return replace(feedback, message=f"{feedback.message} {extra}" if extra
                   else feedback.message)


# ---- 03.serve-local: the learner's own bind, probed by real connects (bind_probe) ----

@exercise("03.serve-local", lesson=3,
          title="Write serve(): a listener 127.0.0.1 reaches and another address does not",
          hints=["serve() makes a socket, binds it to (address, 0), calls listen(), and "
                 "returns it. Which address?",
                 "A listener answers only the address it bound; 0.0.0.0 answers every "
                 "address of this machine.",
                 "Do not use `with` inside serve(): it would close the socket on return."])
def _serve_local(answer):
    return check_serve(answer)


# ---- 03.choose-bind --------------------------------------------------------------------

#: The scenarios of "03.choose-bind", short key -> the situation, for the notebook.
SCENARIOS = {
    "dev server": "A development web server that only you use, from a browser on the "
                  "same laptop.",
    "phone test": "The same dev server, but now you want to open the site on your phone, "
                  "which is on the same Wi-Fi as the laptop.",
    "database": "A database used only by a web application running on the same host.",
    "app behind proxy": "A public website's application server, behind a reverse proxy "
                        "(nginx) on the same host; the proxy is what faces the Internet.",
    "metrics agent": "A metrics agent on a server in an office. A monitoring server, "
                     "another machine on the same private network, collects from it; the "
                     "office firewall lets only that machine in.",
}

BIND_KEY = {"dev server": "127.0.0.1", "phone test": "0.0.0.0",
            "database": "127.0.0.1", "app behind proxy": "127.0.0.1",
            "metrics agent": "0.0.0.0"}

#: Scenarios whose clients are other machines: their one network address is as right
#: as 0.0.0.0 (the lesson: a single network address keeps the service off the others).
_REMOTE_CLIENTS = ("phone test", "metrics agent")


def _bind_kind(value):
    """Read a bind address as its kind: loopback, any (wildcard), or one LAN address."""
    text = str(value).strip().strip("[]").casefold()
    if text in ("*", ""):
        return "any"
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return "unreadable: " + text
    ip = getattr(ip, "ipv4_mapped", None) or ip
    if ip.is_unspecified:
        return "any"
    if ip.is_loopback:
        return "loopback"
    return "one address"


_BIND_COMMON = {
    ("dev server", "0.0.0.0"): "That listens on every interface: anyone on the same café "
                               "or office network could open your unfinished app.",
    ("database", "0.0.0.0"): "Only a program on this host needs it. On every interface, "
                             "the whole network can try passwords against it (MySQL's "
                             "upstream default bind_address=* is the classic case).",
    ("app behind proxy", "0.0.0.0"): "The proxy faces the Internet and forwards to the "
                                     "app on this same host. If the app itself listens "
                                     "on every interface, clients can go around the proxy "
                                     "and its TLS, limits and access rules.",
    ("phone test", "127.0.0.1"): "The phone is another machine: it connects to the "
                                 "laptop's Wi-Fi address, and a listener on loopback "
                                 "refuses that (the virtual LAN in the lesson shows it).",
    ("metrics agent", "127.0.0.1"): "The monitoring server is another machine: its "
                                    "packets arrive addressed to this server's network "
                                    "address, and a listener on loopback refuses them. "
                                    "Something else here decides who may connect.",
}

for _scenario in ("dev server", "database", "app behind proxy"):
    _BIND_COMMON[(_scenario, "192.168.1.20")] = (
        "A LAN address is reachable from every machine on that LAN; who needs to connect "
        "here?")


@exercise("03.choose-bind", lesson=3,
          title="Choose the bind address for five scenarios",
          hints=["For each scenario ask: where does the client run, on this machine or "
                 "on another one?",
                 "The rule: the most restrictive bind that meets the need."])
def _choose_bind(answer):
    if isinstance(answer, dict):
        for key, value in answer.items():
            if isinstance(value, str) and value.strip().casefold() == "localhost":
                return Feedback(False, f"For {key!r}: 'localhost' is a name, not an "
                                "address. Lesson 02 showed it may resolve to ::1 first, so "
                                "the server may listen on IPv6 only. In bind(), give the "
                                "address itself.")
            if isinstance(value, str) and _bind_kind(value).startswith("unreadable"):
                return Feedback(False, f"For {key!r}: {value!r} is not a bind address. "
                                "Give an IP address in quotes, such as the ones the "
                                "lesson binds.")
        remote = {k: v for k, v in answer.items()
                  if isinstance(k, str) and " ".join(k.split()).casefold() in _REMOTE_CLIENTS}
        for key, value in remote.items():
            if isinstance(value, str) and _bind_kind(value) == "one address":
                answer = {**answer, key: "0.0.0.0"}  # the machine's LAN address works too
    return expect_mapping(answer, BIND_KEY, coerce=_bind_kind, normalize=lambda v: v,
                          common=_BIND_COMMON, noun="choice",
                          right="Right: loopback whenever every client runs on this "
                                "machine; all interfaces (or just the one network "
                                "address) when another machine must connect: behind a "
                                "firewall for the metrics agent, and only while the phone "
                                "test lasts, then back to loopback.")


# ---- 03.phone-reaches -------------------------------------------------------------------
# The lesson's virtual LAN asked who reaches a laptop's servers on 127.0.0.1, 0.0.0.0, ::1
# and ::. The exercise asks something new, on the learner's own machine: a server bound to
# its own LAN address, a client on the machine itself, and a second network (weak host).

#: The laptop of the lesson's LAN, for a machine with no network address of its own.
MADE_UP = ("wlan0", "198.18.0.1")


@dataclass(frozen=True)
class PhoneQuestion:
    """The question of "03.phone-reaches" on this machine: ``interface`` and ``address``
    are one of its own networks (the first that :func:`loopedu.lan.own_networks` lists;
    :data:`MADE_UP` where it has none, and ``made_up`` says so), ``other`` a second
    network of this machine (None where it has only one), ``addresses`` every IPv4
    address the question lists, 127.0.0.1 first.

    Introduced in notebooks/03-bind-address.ipynb (exercise 03.phone-reaches).
    """

    interface: str
    address: str
    other: tuple | None
    addresses: tuple
    made_up: bool

    @property
    def key(self) -> dict:
        """The expected answer: True where the connection is accepted (Linux: ip(7);
        the weak host model, RFC 1122 section 3.3.4.2, for "e"), and for "f" every
        address of this machine, which is what 0.0.0.0 means in bind()."""
        return {"a": True, "b": False, "c": False, "d": True, "e": True,
                "f": frozenset(self.addresses)}

    def text(self) -> str:
        """The question, in the words of this machine's own interfaces."""
        a, nic = self.address, self.interface
        other = (f"{self.other[0]}'s network (this machine is {self.other[1]} there)"
                 if self.other else "a second network of this machine (a VPN, a Docker "
                                    "bridge)")
        source = ("This machine has no network address, so take the lesson's laptop:"
                  if self.made_up else "This machine, as its interfaces say right now:")
        listed = ", ".join(self.addresses)
        return "\n".join([
            f"{source} IPv4 addresses {listed}; {a} is on {nic}.",
            f"Four servers run on it, bound to 127.0.0.1, {a}, 0.0.0.0 and ::, each on "
            "its own port. Answer for Linux: True if the connection is accepted.",
            f'  "a": a phone on the network of {nic} connects to {a}, to the server bound to {a}',
            f'  "b": the same phone connects to {a}, on the port of the server bound to '
            "127.0.0.1",
            f'  "c": a browser on this machine connects to 127.0.0.1, on the port of the '
            f"server bound to {a}",
            f'  "d": a browser on this machine connects to {a}, on the port of the server '
            "bound to 0.0.0.0",
            f'  "e": a machine on {other}, whose route sends {a} to this machine, connects '
            f"to the server bound to {a}",
            '  "f": a list: on which of the addresses above does the server bound to '
            "0.0.0.0 accept connections?"])

    def __str__(self) -> str:
        return self.text()


def phone_question() -> PhoneQuestion:
    """The question of "03.phone-reaches", read from this machine's interfaces now.

    Introduced in notebooks/03-bind-address.ipynb (exercise 03.phone-reaches).
    """
    networks = own_networks()
    made_up = not networks
    if made_up:
        networks = (MADE_UP,)
    nic, address = networks[0]
    other = next(((n, a) for n, a in networks[1:] if n != nic), None)
    addresses = tuple(dict.fromkeys(["127.0.0.1", *(a for _, a in networks)]))
    return PhoneQuestion(nic, address, other, addresses, made_up)


def _reach_value(value):
    """True/False for "a" to "e" (read leniently), a set of addresses for "f"."""
    if isinstance(value, (list, tuple, set, frozenset)):
        out = set()
        for item in value:
            text = str(item).strip().strip("[]")
            try:
                out.add(str(ipaddress.ip_address(text)))
            except ValueError:
                out.add(text)
        return frozenset(out)
    return _outcome_word(value) == "connected" if not isinstance(value, frozenset) else value


def _phone_common(q: PhoneQuestion) -> dict:
    a = q.address
    return {
        ("a", False): f"The phone's packets are addressed to {a}, and that server listens on "
                      f"exactly {a}.",
        ("b", True): f"The phone's packets are addressed to {a}; a listener on 127.0.0.1 "
                     "answers only connections addressed to 127.0.0.1.",
        ("c", True): f"A server bound to {a} answers only connections addressed to {a}: "
                     "127.0.0.1 is another address, even on the same machine.",
        ("d", False): f"0.0.0.0 in bind() is every address of this machine, {a} included, "
                      "whatever network the client is on.",
        ("e", False): "Binding an address chooses which destination address the server "
                      "answers, not which network the packet arrives from: look again at "
                      "the lesson's weak host demo.",
    }


def _missing_addresses(q: PhoneQuestion, given) -> str:
    """A sentence about what the learner's "f" left out or added (no list of answers)."""
    if not isinstance(given, frozenset):
        return ""
    parts = []
    if "127.0.0.1" not in given and "127.0.0.1" in q.addresses:
        parts.append("Loopback is an address of this machine too.")
    if q.address not in given and not q.made_up:
        parts.append(f"{q.address}, the address of {q.interface}, is one of this machine's "
                     "own addresses.")
    elif q.address not in given:
        parts.append(f"{q.address}, the laptop's address on {q.interface}, is one of its own "
                     "addresses.")
    if q.other and q.other[1] not in given:
        parts.append(f"{q.other[0]}'s address belongs to this machine as much as {q.address} "
                     "does.")
    strangers = sorted(given - set(q.addresses))
    if strangers:
        parts.append(f"Not among the addresses listed: {', '.join(strangers[:3])} (the "
                     "addresses are read again at each check: print the question again if "
                     "your network changed).")
    return " ".join(parts)


@exercise("03.phone-reaches", lesson=3,
          title="Your own machine: who reaches a server bound to its LAN address, and what "
                "does 0.0.0.0 listen on?",
          hints=["For each connection ask: which address is the packet addressed to, and "
                 "does that server listen on that very address?",
                 "0.0.0.0 in bind() is every address of this machine, on every interface.",
                 "Binding an address picks the destination address a server answers, not "
                 "the network a packet comes from (the lesson's weak host demo)."])
def _phone_reaches(answer):
    q = phone_question()
    if isinstance(answer, dict):
        for key, value in answer.items():
            letter = " ".join(str(key).split()).casefold()
            if letter in "abcde" and len(letter) == 1 and value not in (None, Ellipsis) \
                    and not isinstance(value, (list, tuple, set, frozenset)) \
                    and _outcome_word(value) not in ("connected", "refused"):
                return Feedback(False, f"For {show(key, 30)}: {show(value, 30)} is not one "
                                "of the allowed answers, True or False.")
    feedback = expect_mapping(answer, q.key, coerce=_reach_value, normalize=lambda v: v,
                              common=_phone_common(q), noun="answer",
                              right="Right: a listener answers only the address it bound, "
                                    "from any network that delivers packets for it (Linux "
                                    "is a weak host); 0.0.0.0 is every address this "
                                    "machine has, loopback included.")
    if feedback.passed or not isinstance(answer, dict):
        return feedback
    given = {" ".join(str(k).split()).casefold(): v for k, v in answer.items()}
    if given.get("f") is None:
        return feedback
    try:
        extra = _missing_addresses(q, _reach_value(given["f"]))
    except Exception:
        extra = ""
    return replace(feedback, message=f"{feedback.message} {extra}".strip())
