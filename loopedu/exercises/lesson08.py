"""Exercises of lesson 08, "when loopback leaks".

Introduced in notebooks/08-when-loopback-leaks.ipynb
(exercises/08-when-loopback-leaks-exercises.ipynb).

The answer keys are facts with their sources: Linux Documentation/networking/
ip-sysctl.rst (route_localnet), RFC 1812 §5.3.7 and RFC 1122 §3.2.1.3 (martians),
Kubernetes CVE-2020-8558 (kubernetes/kubernetes#92315: kube-proxy's route_localnet=1 and
the KUBE-FIREWALL drop rule of the fix), Project Zero issue 1447 (DNS rebinding), Docker's
"Packet filtering and firewalls" (published ports and ufw) and moby/moby#45610, and
sshd_config(5) (GatewayPorts). tests/test_exercises_lesson08.py checks the route_localnet
key against two real namespaces (route_localnet on lo only, a reject rule, a drop rule, a closed
port) and the Host check against a live service, whose battery comes from this machine
(its name, IPv6 loopback: loopedu.exercises.fix_host) and resolves names with the
attacker's DNS (loopedu.attacker_dns), not the machine's.
"""

from __future__ import annotations

from .answers import expect_set
from .framework import Feedback, exercise
from .lesson06 import expect_words

# ---- 08.route-localnet -----------------------------------------------------------------------

#: "08.route-localnet": hosts C and S share a LAN; S runs a service bound to 127.0.0.1,
#: port P, and C has prepared itself as in the lesson (127.0.0.1/8 taken off its own lo,
#: a route "127.0.0.1 via S", route_localnet=1 on its own link for S's replies). What
#: does C get? The lesson measured the direct route with and without route_localnet, the
#: KUBE-FIREWALL rule and a DNAT rule; these are other setups of the same rules
#: (ip-sysctl.rst, route_localnet: a setting of the interface the packet arrives on;
#: nft(8): drop sends nothing back, reject answers with an ICMP error, which connect(2)
#: reports as ECONNREFUSED; a closed port answers with a reset).
ROUTE_LOCALNET_KEY = {
    "route_localnet=1 on S's lo only (eth0 keeps 0); C connects to 127.0.0.1:P":
        "timeout",
    "route_localnet=1 on eth0 and the nft rule iifname \"eth0\" ip daddr 127.0.0.0/8 "
    "reject; C connects to 127.0.0.1:P": "refused",
    "route_localnet=1 and the nft rule iifname \"eth0\" ip daddr 127.0.0.0/8 drop; C "
    "connects to 127.0.0.1:P": "timeout",
    "route_localnet=1, no rule; C connects to 127.0.0.1 on a port where nothing listens":
        "refused",
}
_LO_ONLY, _REJECT, _IIF_DROP, _CLOSED = ROUTE_LOCALNET_KEY

_TIMEOUT_WORDS = {"timeout", "timed out", "times out", "time out", "etimedout", "dropped",
                  "drop", "no answer", "silence"}
_CONNECTED_WORDS = {"connected", "connects", "connect", "ok", "reached", "works", "yes",
                    "served", "accepted"}
_REFUSED_WORDS = {"refused", "econnrefused", "connection refused", "reset", "rst"}


def _outcome(value) -> str:
    text = " ".join(str(value).split()).casefold().strip(".!")
    if text in _TIMEOUT_WORDS:
        return "timeout"
    if text in _CONNECTED_WORDS:
        return "connected"
    if text in _REFUSED_WORDS:
        return "refused"
    return text


_ROUTE_COMMON = {
    (_LO_ONLY, "connected"):
        "route_localnet is read on the interface the packet arrives on (ip-sysctl.rst): "
        "the SYN arrives on eth0, not on lo.",
    (_LO_ONLY, "refused"):
        "A refusal is an answer. A martian is dropped silently (RFC 1122 §3.2.1.3): "
        "which interface's setting decides whether this SYN is one?",
    (_REJECT, "timeout"):
        "drop is silent; reject sends an error back (nft(8)), and connect() reports it "
        "at once.",
    (_REJECT, "connected"):
        "The rule matches every packet for 127.0.0.0/8 that comes in on eth0, before "
        "TCP sees it.",
    (_IIF_DROP, "connected"):
        "It is the KUBE-FIREWALL rule in another form: what does it do to a packet for "
        "127.0.0.1 that comes in on eth0?",
    (_IIF_DROP, "refused"):
        "drop sends nothing back; reject would.",
    (_CLOSED, "timeout"):
        "With route_localnet=1 the SYN reaches S's TCP, and a port where nothing listens "
        "answers at once.",
    (_CLOSED, "connected"):
        "Nothing listens on that port: what does a kernel answer to a SYN for a closed "
        "port?",
}

_ROUTE_WORDS = {"timeout": _TIMEOUT_WORDS, "connected": _CONNECTED_WORDS,
                "refused": _REFUSED_WORDS}


@exercise("08.route-localnet", lesson=8,
          title="127.0.0.1 from the network: the wrong interface, reject, drop, a closed port",
          hints=["Which answers are silence, which are a reset, which are a connection?",
                 "route_localnet is a setting of the interface a packet arrives on; a "
                 "reject rule answers, a drop rule does not.",
                 "Once route_localnet lets a packet for 127.0.0.1 in, S's TCP answers it "
                 "like any other: a listener accepts, a closed port resets."])
def _route_localnet(answer):
    return expect_words(
        answer, ROUTE_LOCALNET_KEY, _ROUTE_WORDS, _outcome, common=_ROUTE_COMMON,
        right="Right: a packet for 127.0.0.1 from a network is a martian, however it got "
              "that address, until route_localnet=1 on the interface it arrives on; then "
              "S's TCP answers it like any other, and only a firewall rule keeps it out "
              "(drop: silence; reject: refused at once).")


# ---- 08.exposes ----------------------------------------------------------------------------

#: "08.exposes": in which of these setups can someone else reach the service: another
#: machine, another user of the machine, or a web page from the internet?
SETUPS = {
    "a": "A service on 127.0.0.1 on a laptop with Linux's default settings.",
    "b": "A service on 127.0.0.1 on a Kubernetes node whose kube-proxy set route_localnet=1 "
         "(before the CVE-2020-8558 fix), with other machines on the node's network.",
    "c": "A service on 127.0.0.1 that serves any Host header, on the laptop you browse the "
         "web with, in a browser that does not ask before a page reaches loopback.",
    "d": "docker run -p 8080:80 on a host whose ufw firewall denies port 8080.",
    "e": "docker run -p 127.0.0.1:8080:80 on Docker Engine 27, with other hosts on the same "
         "LAN segment.",
    "f": "ssh -R 8080:127.0.0.1:3000 server, where the server's sshd keeps GatewayPorts no.",
    "g": "A service on ::1 on a laptop with IPv6 on.",
}
EXPOSES_KEY = frozenset({"b", "c", "d", "e", "f"})

_EXPOSES_COMMON = {
    "a": "With the defaults, packets for 127/8 from other machines are martians, and "
         "nothing else forwards to it.",
    "g": "::1 is loopback too: with nothing forwarding to it, only this machine's own "
         "programs reach it (IPv6 hosts drop ::1 from the network, RFC 4291 §2.5.3).",
}


def _letter(value) -> str:
    return " ".join(str(value).split()).casefold().strip("() .:")


@exercise("08.exposes", lesson=8, title="Which setups expose a loopback service?",
          hints=["Ways in: a neighbour's route with route_localnet, a browser steered by "
                 "DNS, a port published through the NAT table, a container address routed "
                 "from the LAN, and a tunnel that ends on another machine.",
                 "Who can connect to the port sshd opens on the server's loopback with "
                 "ssh -R? Every program, of every user, on the server (sshd_config(5), "
                 "GatewayPorts)."])
def _exposes(answer):
    return expect_set(answer, sorted(EXPOSES_KEY), coerce=_letter, normalize=lambda v: v,
                      common=_EXPOSES_COMMON, allowed=list(SETUPS),
                      right="Right: route_localnet with a neighbour; DNS rebinding through "
                            "your own browser (where it does not ask before a page reaches "
                            "loopback: Chrome asks since 142); Docker's NAT rules that "
                            "bypass ufw; Engine 27's published ports, reachable through the "
                            "container's address (moby/moby#45610); and ssh -R, whose port "
                            "on the server's loopback every program and user there can "
                            "reach. Binding 127.0.0.1 is a good start, not the whole "
                            "defence.")


# ---- 08.fix-host ---------------------------------------------------------------------------

#: The one sentence said after repeated wrong tries (repeated_tries.py).
FIX_HOST_IDEA = ("List the service's names and addresses on this machine; split the port "
                 "off the end, drop one trailing dot, and compare the whole name, in "
                 "lower case, with that list, and the port with the server's.")


@exercise("08.fix-host", lesson=8, idea=FIX_HOST_IDEA,
          title="A Host check for a service on this machine's names",
          hints=["Print this_service(): the names and addresses it lists are the ones to "
                 "serve, with the server's own port. Is ::1 among them on this machine?",
                 "A trailing dot writes the same name absolutely: 'localhost.' is "
                 "localhost. Compare names in lower case (RFC 3986 §3.2.2).",
                 "Split the port off the end (rpartition(':')) and compare the whole name: "
                 "a name that starts or ends with yours, or holds an '@', is someone "
                 "else's (RFC 9110 §7.2)."])
def _fix_host(answer):
    if not callable(answer):
        return Feedback(False, "Give your function itself, `is_allowed` (no parentheses): "
                        "the check runs a live server that calls it for each request.")
    from .fix_host import check_service, general_verdict

    result = check_service(answer)
    if result.passed:
        return Feedback(True, "Right: the live service, on every address it listens on, "
                              "served its own names with its port and refused the rest, "
                              "rebound names and look-alike names included.")
    return Feedback(False, result.message, general=general_verdict(result))
