"""Exercise "02.predict-hosts" of lesson 02, "localhost is a name": what getaddrinfo
answers from a hosts file, on this machine.

Introduced in notebooks/02-localhost-is-a-name.ipynb (exercises/02-localhost-is-a-name-exercises.ipynb).

The key is what glibc's getaddrinfo answers with this machine's own /etc/host.conf
(``multi on``, as Debian and Ubuntu ship it, or glibc's default, off) and, for the
``AF_UNSPEC`` query, this machine's IPv6 (the sort puts an unusable ``::1`` last),
computed at check time from the resolver model (loopedu.hosts); so two learners whose
machines differ get different, checkable questions. tests/test_exercises_lesson02.py
checks the key against glibc itself where the machine allows a private hosts file, and
the order against RFC 6724's default policy table. Split out of lesson02.py (the
500-line cap), which imports it.
"""

from __future__ import annotations

import ipaddress
import socket

from ..glibc.hostconf import HostConf
from ..glibc.machine import Machine
from ..hosts import parse
from ..localhost import multi_here
from .answers import expect_mapping
from .framework import exercise

__all__ = ["PREDICT_HOSTS", "PREDICT_QUERIES", "predict_key"]

#: The hosts file of "02.predict-hosts": ::1 listed first, names on two lines, a host.
PREDICT_HOSTS = ("::1         localhost ip6-localhost\n"
                 "127.0.0.1   localhost\n"
                 "127.0.1.1   laptop.example laptop\n"
                 "127.0.0.2   app.test\n"
                 "127.0.0.3   app.test\n")

#: The queries of "02.predict-hosts": query text -> (name, family). Each needs only the
#: rules of the lesson's main path: the families (its first cell), skipped lines and
#: ``multi``, case (the sandbox's try), and the sort of the trap. The glibc details of
#: its Going further (a trailing dot; an IPv4 query answered from a ::1 line) are not
#: asked.
PREDICT_QUERIES = {
    "app.test AF_INET": ("app.test", socket.AF_INET),
    "LAPTOP AF_INET": ("LAPTOP", socket.AF_INET),
    "localhost AF_INET6": ("localhost", socket.AF_INET6),
    "localhost AF_UNSPEC": ("localhost", socket.AF_UNSPEC),
}


def predict_key(multi: bool) -> dict[str, list[str]]:
    """What glibc's getaddrinfo answers for each query of "02.predict-hosts" with
    ``multi`` on or off, on this machine (the resolver model, tested against glibc; the
    ``AF_UNSPEC`` order probes this machine's IPv6, as glibc's sort does).

    Introduced in notebooks/02-localhost-is-a-name.ipynb (its exercises).
    """
    parsed, machine = parse(PREDICT_HOSTS), Machine(host_conf=HostConf(multi=multi))
    return {query: parsed.lookup(name, family, machine=machine)
            for query, (name, family) in PREDICT_QUERIES.items()}


def _address_text(value) -> str:
    """An address as one text per value: ``"0:0:0:0:0:0:0:1"`` and ``"::1"`` are both
    ``"::1"`` (ipaddress's form); anything that is not an address, stripped."""
    text = str(value).strip()
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return text


def _listish(value) -> tuple:
    """A list of addresses, read as a tuple of address texts (order kept), compared by
    value. The helpers have already answered a bare string with "give a list"."""
    return tuple(_address_text(v) for v in value)


_IPV6_ONLY = ("AF_INET6 asks for IPv6 addresses only (the lesson's first cell): the "
              "127.0.0.1 line has none, not even written as an IPv6 address.")


def _order_common(multi: bool, key: tuple) -> dict:
    """Messages for the wrong orders of "localhost AF_UNSPEC", in the lesson's words,
    for this machine's key (``multi``; IPv6 on when ``::1`` is sorted first)."""
    query, both = "localhost AF_UNSPEC", [("::1", "127.0.0.1"), ("127.0.0.1", "::1")]
    if not multi:
        why = ("This machine's /etc/host.conf leaves multi off: only the first line that "
               "names localhost answers, whatever the family.")
        return {(query, wrong): why for wrong in both}
    ipv6_on = key[:1] == ("::1",)
    why = ("An AF_UNSPEC answer is sorted, not given in the file's order: the default "
           "policy table ranks ::1 above every IPv4 address (the lesson's trap)."
           if ipv6_on else
           "IPv6 is off on this machine, so ::1 is unusable: getaddrinfo puts it last.")
    common = {(query, wrong): why for wrong in both if wrong != key}
    common[(query, ("::1",))] = ("With multi on, every line that names localhost answers: "
                                 "both families here, sorted.")
    return common


def _predict_common(multi: bool, key: dict) -> dict:
    """Tailored messages for the known wrong answers, in the lesson's words, with this
    machine's setting."""
    setting = ("That is glibc's answer with multi off, when only the first matching line "
               "answers; this machine's /etc/host.conf says multi on, so every line that "
               "names app.test answers." if multi else
               "That is glibc's answer with multi on, when every matching line answers; "
               "this machine's /etc/host.conf leaves multi off (glibc's default), so the "
               "first line that matches answers, and no other.")
    case = ("The name matches: glibc compares names without regard to case, as "
            "LOCALHOST found localhost in the lesson's sandbox. Then the laptop line "
            "answers, and it is IPv4.")
    laptop = ("LAPTOP is the name on the third line only (case is ignored); the other "
              "lines name localhost and app.test.")
    first_only = ("With multi off only the first line that names app.test answers, and "
                  "127.0.0.2 is listed first.")
    apps = ({("127.0.0.2",): setting, ("127.0.0.3",): setting,
             ("127.0.0.3", "127.0.0.2"): "Both lines answer, in the file's order here: "
             "127.0.0.2 is listed first."} if multi else
            {("127.0.0.2", "127.0.0.3"): setting, ("127.0.0.3", "127.0.0.2"): setting,
             ("127.0.0.3",): first_only})
    return {**{("app.test AF_INET", wrong): why for wrong, why in apps.items()},
            ("LAPTOP AF_INET", ()): case,
            ("LAPTOP AF_INET", ("127.0.0.1",)): laptop,
            ("LAPTOP AF_INET", ("127.0.1.1", "127.0.0.1")): laptop,
            ("localhost AF_INET6", ("::1", "::ffff:127.0.0.1")): _IPV6_ONLY,
            ("localhost AF_INET6", ("::1", "127.0.0.1")): _IPV6_ONLY,
            ("localhost AF_INET6", ()): "The ::1 line names localhost, and ::1 is an "
            "IPv6 address: an AF_INET6 query gets it.",
            **_order_common(multi, key["localhost AF_UNSPEC"])}


@exercise("02.predict-hosts", lesson=2,
          title="What does getaddrinfo answer from this hosts file, on this machine?",
          hints=["AF_INET asks for IPv4 addresses only, AF_INET6 for IPv6 only (the "
                 "lesson's first cell).",
                 "This machine's /etc/host.conf decides how many lines answer: with multi "
                 "on, every line that names the name answers; with multi off, only the "
                 "first. The question printed which one this machine has.",
                 "Names are compared without regard to case (the sandbox's LOCALHOST "
                 "try).",
                 "An AF_UNSPEC query gets both families, sorted: with IPv6 on, ::1 ranks "
                 "above every IPv4 address; with IPv6 off, ::1 goes last."])
def _predict_hosts(answer):
    multi = multi_here()
    key = {query: tuple(addresses) for query, addresses in predict_key(multi).items()}
    return expect_mapping(
        answer, key, coerce=_listish, common=_predict_common(multi, key),
        right="Right: that is what glibc answers from that file with this machine's "
              "/etc/host.conf and IPv6. A client that tries only the first address of "
              "localhost AF_UNSPEC tries that one.")


