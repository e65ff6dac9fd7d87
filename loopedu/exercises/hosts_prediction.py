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

#: The hosts file of "02.predict-hosts": ::1 listed first, a name on two lines, a host.
PREDICT_HOSTS = ("::1         localhost ip6-localhost\n"
                 "127.0.0.1   localhost\n"
                 "127.0.1.1   laptop.example laptop\n")

#: The queries of "02.predict-hosts": query text -> (name, family).
PREDICT_QUERIES = {
    "localhost AF_INET": ("localhost", socket.AF_INET),
    "localhost AF_INET6": ("localhost", socket.AF_INET6),
    "ip6-localhost AF_INET": ("ip6-localhost", socket.AF_INET),
    "LAPTOP AF_INET6": ("LAPTOP", socket.AF_INET6),
    "localhost. AF_INET": ("localhost.", socket.AF_INET),
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


_NO_IPV4_LINE = ("An IPv6-only query (AF_INET6) gets no IPv4 line, not even written as "
                 "an IPv6 address: the lesson's rule.")


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
    """Tailored messages for the known wrong answers, with this machine's setting."""
    other = predict_key(not multi)["localhost AF_INET"]
    setting = ("That is glibc's answer with multi off, when only the first matching line "
               "answers; this machine's /etc/host.conf says multi on, so every line that "
               "names localhost answers." if multi else
               "That is glibc's answer with multi on, when every matching line answers; "
               "this machine's /etc/host.conf leaves multi off (glibc's default), so the "
               "first line that matches answers, and no other.")
    return {("localhost AF_INET", tuple(other)): setting,
            ("ip6-localhost AF_INET", ()): "The ::1 line is not skipped for an IPv4 "
            "query: glibc answers it as the IPv4 loopback address.",
            ("localhost AF_INET6", ("::1", "::ffff:127.0.0.1")): _NO_IPV4_LINE,
            ("LAPTOP AF_INET6", ("::ffff:127.0.1.1",)): _NO_IPV4_LINE,
            ("LAPTOP AF_INET6", ("127.0.1.1",)): "The name matches (case is ignored), but "
            "an AF_INET6 query asks for IPv6 answers only, and that line has none.",
            ("localhost. AF_INET", tuple(predict_key(multi)["localhost AF_INET"])):
            "The files backend compares the text as given; the trailing dot is not "
            "stripped.",
            **_order_common(multi, key["localhost AF_UNSPEC"])}


@exercise("02.predict-hosts", lesson=2,
          title="What does getaddrinfo answer from this hosts file, on this machine?",
          hints=["An AF_INET query asks for IPv4 answers only; glibc's files backend turns a "
                 "::1 line into 127.0.0.1 for such a query. An AF_INET6 query gets no "
                 "IPv4 line at all.",
                 "This machine's /etc/host.conf decides how many lines answer: with multi "
                 "on, every line that names the name answers; with multi off, only the "
                 "first. The question printed which one this machine has.",
                 "Names are compared ignoring case, but a trailing dot is part of the text "
                 "the files backend compares.",
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


