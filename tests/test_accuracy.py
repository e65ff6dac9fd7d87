"""Corrections that must not come undone. A network engineer's review (issue 10) found
statements that the primary sources contradict; each was corrected in the lessons, the
exercises' messages, the glossary and the docstrings. Here each wrong wording is kept
out of everything a learner reads, and each correction is required where it belongs.

The wrong wordings may appear only where the course quotes popular claims on purpose:
loopedu/claims/catalog.py, the page built from it, and this file.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
QUOTES_CLAIMS = {"loopedu/claims/catalog.py", "notebooks/popular-claims.py"}


def learner_text() -> dict[str, str]:
    """Every file a learner or instructor reads, by path: lesson and exercise sources,
    the package (docstrings and checker messages), the glossary and the guides."""
    paths = [*ROOT.glob("notebooks/*.py"), *ROOT.glob("notebooks/*.md"),
             *ROOT.glob("exercises/*.py"), *ROOT.glob("loopedu/**/*.py"),
             ROOT / "README.md", *ROOT.glob("instructors/*.md")]
    texts = {}
    for path in paths:
        name = path.relative_to(ROOT).as_posix()
        if name not in QUOTES_CLAIMS:
            # one line per sentence fragment: jupytext comments and wrapped strings joined
            raw = path.read_text(encoding="utf-8")
            texts[name] = re.sub(r'"\s*\n\s*"|\n#\s*', " ", raw)
    return texts


#: (wrong wording, what the sources say instead)
WRONG = [
    (r"sys/netinet/if_loop\.c", "the CSRG path is sys/net/if_loop.c"),
    (r"(created by|Registry\*? \()RFC 6890", "RFC 5736 (IPv4) and RFC 4773 (IPv6) created "
     "the registries; RFC 6890 replaced both"),
    (r"values are those of the loopback", "footnote [1]: 'Several protocols have been "
     "granted exceptions to this rule. For examples, see RFC 8029 and RFC 5884'"),
    (r"smallest scope", "RFC 4291 2.5.3: ::1 is treated as having link-local scope"),
    (r"1812.{0,40}\bmust not forward", "RFC 1812 5.3.7 says SHOULD NOT, with a check "
     "that MUST default to on"),
    (r"until (Python )?3\.13", "gh-117566 was backported: the answer depends on the patch "
     "release"),
    (r"WHATWG", "the localhost rule is in W3C Secure Contexts"),
    (r"curl \(2022\)|curl \(7\.78\.0, 2022\)", "curl 7.78.0 is from 2021 (PR 7039); "
     "7.85.0 (2022) added *.localhost"),
    (r"cannot appear on a wire|never leaves? (the host|this machine|it\b)",
     "RFC 1122 is a rule hosts follow, not a physical limit (route_localnet, "
     "CVE-2020-8558)"),
    (r"(?i)multicast.{0,60}?never.{0,30}?public Internet",
     "multicast is forwardable and crosses networks (AMT, RFC 7450)"),
    (r"MySQL and PostgreSQL clients, localhost means", "libpq's host=localhost is TCP"),
    (r"glibc answers every matching hosts line", "only with multi on in /etc/host.conf"),
    (r"(?i)windows.{0,40}?reads? (the|its) hosts file first",
     "since Windows 7 localhost is answered by the DNS client (KB 972034)"),
    (r"Joy.{0,60}?(then|and then) 127", "the move to 127 was committed as 'root'"),
    (r"(?i)a hosts file cannot express a zone", "true of glibc only: older macOS shipped "
     "fe80::1%lo0 localhost"),
    (r"not in the course's sources", "macOS is dual stack by default: XNU "
     "bsd/netinet6/in6_proto.c `int ip6_v6only = 0;`"),
    (r"when only one network needs it", "Linux is a weak host (RFC 1122 3.3.4.2): one LAN "
     "address does not keep other attached networks out"),
    (r"(?i)with lo down the namespace has no route", "only a lo that was never up has no "
     "route; one set down keeps 127.0.0.1/8 and its local route, and connect() times out"),
    # the second review (issue 19)
    (r"this machine, and nothing else", "a rule hosts follow: lesson 08 shows the ways in"),
    (r"Redis'?s? default is `?bind 127", "that is the shipped redis.conf; the compiled-in "
     "default is CONFIG_DEFAULT_BINDADDR {\"*\", \"-::*\"} with protected mode"),
    (r"(?i)every container has its own (loopback|lo\b)", "only with its own network "
     "namespace: a pod's containers, --network host and container:X share one"),
    (r"the address is right, but nothing listens", "a firewall REJECT gives ECONNREFUSED "
     "too; only DROP gives a timeout"),
    (r"(?i)default-on (milestone )?[^.]{0,30}not confirmed", "Chrome 142 shipped Local "
     "Network Access by default (chromestatus 5152728072060928)"),
    (r"no 0\.0\.0\.0 block announced", "Firefox is rolling out its own local-network "
     "permission (Mozilla support; policy LocalNetworkAccess)"),
    (r"(?<!By default )a socket can bind only an address", "by default only: IP_FREEBIND, "
     "IP_TRANSPARENT, ip_nonlocal_bind, and "
     "a fresh namespace bind others (ip(7))"),
    (r"its kernel only needs a route", "the client also removed 127.0.0.1/8 from its lo and "
     "set route_localnet=1 to accept the replies"),
    (r"(?i)tcp[^.]{0,60}computes? (the )?checksums? (on|over) (lo|loopback)",
     "lo has checksum offload (NETIF_F_HW_CSUM): TCP over lo computes none"),
]


@pytest.mark.parametrize("pattern, correction", WRONG, ids=[w[0][:30] for w in WRONG])
def test_a_corrected_statement_does_not_come_back(pattern, correction):
    found = [f"{name}: ...{m.group(0)}..." for name, text in learner_text().items()
             for m in re.finditer(pattern, text)]
    assert found == [], f"the sources say: {correction}"


#: (file, wording the correction needs there)
REQUIRED = [
    ("notebooks/00-start-here.py", r"Windows[^.]{0,80}2 (s|seconds)"),
    ("notebooks/00-start-here.py", r"not a law of physics|not a physical limit"),
    ("notebooks/01-loopback-range.py", r"RFC 5736"),
    ("notebooks/01-loopback-range.py", r"RFC 4773"),
    ("notebooks/01-loopback-range.py", r"granted exceptions to this rule"),
    ("notebooks/01-loopback-range.py", r"sys/net/if_loop\.c"),
    ("notebooks/01-loopback-range.py", r"committed as user \"root\""),
    ("notebooks/01-loopback-range.py", r"SHOULD NOT forward"),
    ("notebooks/02-localhost-is-a-name.py", r"multi on"),
    ("notebooks/02-localhost-is-a-name.py", r"musl"),
    ("notebooks/02-localhost-is-a-name.py", r"RFC 6724"),
    ("notebooks/02-localhost-is-a-name.py", r"972034"),
    ("notebooks/02-localhost-is-a-name.py", r"7\.85\.0"),
    ("notebooks/02-localhost-is-a-name.py", r"Secure Contexts"),
    ("notebooks/02-localhost-is-a-name.py", r"libpq, `localhost` is TCP"),
    ("notebooks/03-bind-address.py", r"route_localnet"),
    ("notebooks/03-bind-address.py", r"CVE-2020-8558"),
    ("notebooks/03-bind-address.py", r"Engine 28"),
    ("notebooks/03-bind-address.py", r"ip_route_output_key_hash_rcu"),
    ("notebooks/03-bind-address.py", r"WSAEADDRNOTAVAIL"),
    ("notebooks/03-bind-address.py", r"weak host model"),
    ("notebooks/03-bind-address.py", r"RFC 1122 §3\.3\.4\.2"),
    ("notebooks/03-bind-address.py", r"SO_BINDTODEVICE"),
    ("notebooks/03-bind-address.py", r"CVE-2025-54388"),
    ("notebooks/03-bind-address.py", r"moby/moby#41872"),
    ("notebooks/03-bind-address.py", r"allow-direct-routing"),
    ("notebooks/04-loopback-interface.py", r"never up"),
    ("notebooks/04-loopback-interface.py", r"`connect\(\)` times out"),
    ("notebooks/04-loopback-interface.py", r"icmp_echo_ignore_all"),
    ("notebooks/04-loopback-interface.py", r"local 198\.18\.0\.1 dev lo"),
    ("notebooks/04-loopback-interface.py", r"CONFIG_DEFAULT_BINDADDR"),
    ("notebooks/05-ipv6-loopback.py", r"Link-Local scope"),
    ("notebooks/05-ipv6-loopback.py", r"interface-local scope exists only for multicast"),
    ("notebooks/05-ipv6-loopback.py", r"ip6_v6only = 0"),
    ("loopedu/platforms.py", r"int ip6_v6only = 0;"),
    ("loopedu/exercises/lesson04.py", r"network is unreachable"),
    ("notebooks/05-ipv6-loopback.py", r"ipv6\.disable=1"),
    ("notebooks/05-ipv6-loopback.py", r"FreeBSD"),
    ("notebooks/05-ipv6-loopback.py", r"gh-118391"),
    ("loopedu/exercises/lesson01.py", r"SHOULD NOT forward"),
    ("loopedu/exercises/lesson03.py", r"Windows retries"),
    # the second review (issue 19)
    ("notebooks/00-start-here.py", r"REJECT"),
    ("notebooks/01-loopback-range.py", r"IP_FREEBIND"),
    ("notebooks/01-loopback-range.py", r"LOHOST"),
    ("notebooks/01-loopback-range.py", r"224\.0\.0\.0/4"),
    ("notebooks/02-localhost-is-a-name.py", r"nscd"),
    ("notebooks/02-localhost-is-a-name.py", r"CONFIG_DEFAULT_BINDADDR"),
    ("notebooks/02-localhost-is-a-name.py", r"autoSelectFamily"),
    ("notebooks/06-loopback-at-work.py", r"pod"),
    ("notebooks/06-loopback-at-work.py", r"GatewayPorts"),
    ("notebooks/06-loopback-at-work.py", r"-g"),
    ("notebooks/06-loopback-at-work.py", r"CVE-2025-54388"),
    ("notebooks/06-loopback-at-work.py", r"abstract"),
    ("notebooks/07-measuring-loopback.py", r"loopback_get_stats64"),
    ("notebooks/07-measuring-loopback.py", r"NETIF_F_HW_CSUM"),
    ("notebooks/07-measuring-loopback.py", r"GSO"),
    ("notebooks/08-when-loopback-leaks.py", r"Local Network Access"),
    ("notebooks/08-when-loopback-leaks.py", r"Private Network Access"),
    ("notebooks/08-when-loopback-leaks.py", r"moby/moby#41872|moby#41872"),
    ("notebooks/08-when-loopback-leaks.py", r"weak host"),
    ("loopedu/exercises/lesson08.py", r"GatewayPorts"),
]


@pytest.mark.parametrize("name, pattern", REQUIRED, ids=[f"{n}:{p[:20]}" for n, p in REQUIRED])
def test_a_correction_is_where_it_belongs(name, pattern):
    assert re.search(pattern, learner_text()[name]), f"{name} lost: {pattern}"


def test_every_lesson_links_the_claims_page_or_is_linked_from_it():
    page = (ROOT / "notebooks" / "popular-claims.py").read_text(encoding="utf-8")
    for lesson in sorted(ROOT.glob("notebooks/[0-9][0-9]-*.ipynb")):
        assert f"]({lesson.name})" in page, f"the claims page does not link {lesson.name}"
