"""Popular claims about loopback, checked: each claim with its verdict, what the primary
sources show, the lesson that shows it live, and, for the claims one machine can test in
a moment, what this machine did beside what the sources lead us to expect.

The verdicts are one of :data:`VERDICTS`. Checks only bind and connect on loopback and
read settings; nothing is sent anywhere else.

Introduced in notebooks/popular-claims.ipynb.
"""

from __future__ import annotations

import ipaddress
import platform
import socket
import time
from dataclasses import dataclass
from typing import Callable

from .connections import connect
from .localhost import addresses_of, multi_here
from .loopback_range import expected_reach, probe_loopback
from .measure import MB, counter_experiment
from .platforms import markdown_table
from .reachability import measure_here
from .sandbox import host_sysctl
from .servers import listener

__all__ = ["VERDICTS", "Claim", "CLAIMS", "claim", "claims_table", "Observation",
           "check_here", "observations_table"]

#: The three verdicts a claim can get.
VERDICTS = ("true", "true with conditions", "false")


@dataclass(frozen=True)
class Claim:
    """One popular claim: ``lesson`` is the notebook (``"03-bind-address"``) that shows
    it, ``sources`` the primary sources that settle it."""

    key: str
    claim: str
    verdict: str
    truth: str
    lesson: str
    sources: tuple[str, ...]


CLAIMS = (
    Claim("bound-127-unreachable",
          "A service bound to 127.0.0.1 cannot be reached from other devices. Period.",
          "true with conditions",
          "With Linux's defaults, packets from other hosts to 127/8 are dropped as "
          "martians and a listener answers only its own address. It breaks when the "
          "host sets route_localnet=1 and a neighbour routes 127.0.0.1 to it (Kubernetes, "
          "CVE-2020-8558), when a DNAT rule or a forwarder (ssh -L/-R, a proxy, Docker's "
          "port publishing) hands traffic to it, and when a web page in the host's own "
          "browser is steered at it (DNS rebinding).",
          "08-when-loopback-leaks",
          ("RFC 1122 §3.2.1.3(g)", "RFC 1812 §5.3.7",
           "Linux Documentation/networking/ip-sysctl.rst (route_localnet)",
           "Kubernetes CVE-2020-8558 (kubernetes/kubernetes#92315)",
           "Project Zero issue 1447 (DNS rebinding, Transmission)")),
    Claim("physically-impossible",
          "Traffic sent to 127.0.0.1 physically cannot reach another device.",
          "false",
          "RFC 1122 is a rule hosts follow, not a physical limit: anyone can put a packet "
          "addressed to 127.0.0.1 on a wire, MPLS LSP Ping and BFD do it on purpose, and "
          "Linux accepts such packets on an interface with route_localnet=1.",
          "08-when-loopback-leaks",
          ("RFC 1122 §3.2.1.3(g)", "RFC 8029 (MPLS LSP Ping)", "RFC 5884 (BFD for MPLS)",
           "Linux Documentation/networking/ip-sysctl.rst (route_localnet)")),
    Claim("never-see-loopback",
          "You'd never see loopback traffic.",
          "false",
          "True of the wire, not of the host: lo counts every loopback byte, and a capture "
          "on lo (tcpdump -i lo, an AF_PACKET socket) sees every loopback packet.",
          "07-measuring-loopback",
          ("packet(7) (AF_PACKET)", "tcpdump(1) (-i lo)",
           "psutil net_io_counters(pernic=True)")),
    Claim("rfc776",
          "RFC 776 reserved 127.0.0.0/8 in 1981.",
          "false",
          "The earliest readable reservation is RFC 790 (September 1981): "
          "\"127.rrr.rrr.rrr Reserved\"; IANA dates 127/8 to 1981-09. RFC 990 (1986) first "
          "gives 127 the loopback function.",
          "01-loopback-range",
          ("RFC 790, Assigned Numbers", "RFC 990", "IANA IPv4 Address Space Registry")),
    Claim("every-os-127",
          "Every operating system answers on all of 127.0.0.0/8.",
          "false",
          "Linux routes the whole /8 to lo; macOS's lo0 carries only 127.0.0.1 until an "
          "alias is added (binding 127.0.0.2 gives EADDRNOTAVAIL); WSL2 forwards only "
          "127.0.0.1 between Windows and Linux.",
          "01-loopback-range",
          ("ip-route(8) (`ip route show table local`)", "iproute2mac issue 40",
           "norouter issue 2", "MicrosoftDocs/WSL issue 1337")),
    Claim("joy-leffler-1983",
          "Bill Joy and Sam Leffler chose 127.0.0.1 for 4.2BSD in 1983.",
          "false",
          "Only the .1 is from 1983 (Leffler: \"local host can't be zero, that's a "
          "broadcast\"). Joy wrote the loopback driver in 1981 on network 254; the move to "
          "127 in December 1981 was committed as user \"root\", so who made it is not "
          "recorded; network 127 itself came from Postel's registry (RFC 790).",
          "01-loopback-range",
          ("Berkeley SCCS history of sys/net/if_loop.c (CSRG archive)", "RFC 790")),
    Claim("rfc1122-mandatory",
          "RFC 1122 made loopback support mandatory.",
          "false",
          "RFC 1122 §3.2.1.3(g) says {127, <any>} is internal host loopback and MUST NOT "
          "appear outside a host: a rule about leaking, not an explicit \"MUST "
          "implement\".",
          "01-loopback-range",
          ("RFC 1122 §3.2.1.3(g)", "RFC 990")),
    Claim("localhost-is-127",
          "localhost and 127.0.0.1 are the same thing.",
          "false",
          "localhost is a name: nsswitch.conf decides who answers (the hosts file, then "
          "DNS), it often answers ::1 first, MySQL's client reads it as \"use the Unix "
          "socket\", and Windows answers it in its DNS client.",
          "02-localhost-is-a-name",
          ("nsswitch.conf(5)", "hosts(5)", "RFC 6761 §6.3",
           "MySQL Reference Manual, Connecting to the MySQL Server",
           "Microsoft KB 972034")),
    Claim("glibc-every-line",
          "glibc returns every matching line of /etc/hosts.",
          "true with conditions",
          "Only with `multi on` in /etc/host.conf (Debian and Ubuntu ship it; glibc's "
          "built-in default is off; RESOLV_MULTI overrides). Otherwise the files backend "
          "stops at the first matching line. musl always returns every matching line.",
          "02-localhost-is-a-name",
          ("host.conf(5)", "glibc nss/nss_files/files-hosts.c",
           "musl src/network/lookup_name.c")),
    Claim("windows-hosts-localhost",
          "Windows answers localhost from its hosts file.",
          "false",
          "Since Windows 7 the default hosts file has its localhost lines commented out: "
          "\"localhost name resolution is handled within DNS itself\".",
          "02-localhost-is-a-name",
          ("Microsoft KB 972034",)),
    Claim("zero-means-all",
          "0.0.0.0 means \"all interfaces\".",
          "true with conditions",
          "Only in bind(). A connect() to 0.0.0.0 reaches loopback on Linux and macOS, and "
          "the server sees 127.0.0.1; Winsock refuses it with WSAEADDRNOTAVAIL.",
          "03-bind-address",
          ("Linux net/ipv4/route.c (ip_route_output_key_hash_rcu)",
           "Linux net/ipv6/tcp_ipv6.c (tcp_v6_connect: \"connect() to INADDR_ANY means "
           "loopback (BSD'ism)\")", "Microsoft Learn, connect function (Winsock)")),
    Claim("docker-127-publish",
          "`docker run -p 127.0.0.1:8080:80` is reachable from this machine only.",
          "true with conditions",
          "Since Docker Engine 28. Before it, hosts on the same LAN could route packets to "
          "the container's own address and reach the service.",
          "03-bind-address",
          ("moby/moby issue 45610", "Docker Engine 28 release notes")),
    Claim("refused-instantly",
          "Connecting to a closed loopback port fails instantly.",
          "true with conditions",
          "On Linux and macOS the kernel answers the SYN with a reset at once. Windows "
          "retries the SYN after each reset, so a refused loopback connect takes about "
          "2 s.",
          "00-start-here",
          ("RFC 9293 §3.10.7.1", "libuv pull request 2896",
           "Microsoft Learn, SIO_TCP_INITIAL_RTO")),
    Claim("ping-proves-network",
          "ping 127.0.0.1 proves the network works.",
          "false",
          "It proves the host's IP stack and lo: no network card, cable or router takes "
          "part, and the counters of the real interfaces do not move.",
          "04-loopback-interface",
          ("ping(8)", "RFC 792 (ICMP echo)", "RFC 1122 §3.2.1.3(g)")),
    Claim("lo-always-up",
          "The loopback interface is always up.",
          "false",
          "A new network namespace (every container, before its runtime sets it up) starts "
          "with lo DOWN: binding 127.0.0.1 works, connecting gives ENETUNREACH, and ::1 "
          "does not exist (EADDRNOTAVAIL).",
          "04-loopback-interface",
          ("network_namespaces(7)", "ip-link(8)")),
    Claim("ipaddress-mapped",
          "Python's ipaddress knows that ::ffff:127.0.0.1 is loopback.",
          "true with conditions",
          "Only in releases with the gh-117566 fix: 3.13, the 3.12 backport (gh-118391), "
          "and 3.11.11 with the gh-122792 security backport. Older releases say False.",
          "05-ipv6-loopback",
          ("CPython issue gh-117566", "CPython gh-118391", "CPython gh-122792")),
    Claim("ipv6-smallest-scope",
          "::1 has the smallest scope of all IPv6 addresses.",
          "false",
          "RFC 4291 §2.5.3: ::1 \"is treated as having Link-Local scope\". The smallest "
          "scope is interface-local, which only multicast addresses have (§2.7).",
          "05-ipv6-loopback",
          ("RFC 4291 §2.5.3", "RFC 4291 §2.7")),
    Claim("multicast-never-internet",
          "Multicast (224.0.0.0/4) never appears on the public Internet.",
          "false",
          "Multicast is forwardable and crosses networks; the special-purpose registry "
          "even lists a block for Automatic Multicast Tunneling, which carries it across "
          "unicast-only networks.",
          "01-loopback-range",
          ("RFC 5771", "RFC 7450 (AMT)", "IANA IPv4 Special-Purpose Address Registry")),
)


def claim(key: str) -> Claim:
    """The claim called ``key``.

    >>> claim("rfc776").verdict
    'false'

    Introduced in notebooks/popular-claims.ipynb.
    """
    for c in CLAIMS:
        if c.key == key:
            return c
    raise KeyError(f"no claim {key!r}; the claims are: {', '.join(c.key for c in CLAIMS)}")


def claims_table(claims=CLAIMS, link: Callable[[str], str] | None = None) -> str:
    """Every claim as a markdown table: claim, verdict, what the sources show, the lesson
    that shows it, the sources. ``link`` turns a lesson name into a link target.

    >>> claims_table([claim("rfc776")]).splitlines()[2].split(" | ")[1]
    '**false**'

    Introduced in notebooks/popular-claims.ipynb.
    """
    link = link or (lambda lesson: f"{lesson}.ipynb")
    rows = [[f"“{c.claim}”", f"**{c.verdict}**", c.truth, f"[{c.lesson}]({link(c.lesson)})",
             "; ".join(c.sources)] for c in claims]
    return markdown_table(["claim", "verdict", "what the sources show", "shown in",
                           "sources"], rows)


# ---- this machine ------------------------------------------------------------------------


@dataclass(frozen=True)
class Observation:
    """What one machine did for one claim. ``expected`` is what the sources lead us to
    expect on ``system``; ``agrees`` is None when they expect nothing machine-specific
    (the observation is shown for what it is)."""

    key: str
    system: str
    expected: str
    observed: str
    agrees: bool | None


def _every_127(system: str) -> Observation:
    expected = expected_reach("127.0.0.2", system)
    observed = probe_loopback("127.0.0.2").outcome
    return Observation("every-os-127", system, f"bind and connect 127.0.0.2: {expected}",
                       f"bind and connect 127.0.0.2: {observed}",
                       None if expected == "unknown" else observed == expected)


def _route_localnet(system: str) -> Observation:
    names = ["all", "default"] + [name for _, name in socket.if_nameindex()]
    values = {name: host_sysctl(f"net.ipv4.conf.{name}.route_localnet") for name in names}
    values = {name: v for name, v in values.items() if v is not None}
    if system != "Linux" or not values:
        return Observation("bound-127-unreachable", system,
                           "route_localnet is a Linux setting",
                           "no route_localnet setting here", None)
    on = sorted(name for name, v in values.items() if v != "0")
    interfaces = len([name for name in values if name not in ("all", "default")])
    observed = (f"route_localnet=1 on {', '.join(on)}: 127/8 from the network is "
                "accepted there" if on else
                f"route_localnet=0 on all {interfaces} interfaces: 127/8 arriving from "
                "the network is dropped as martian")
    return Observation("bound-127-unreachable", system,
                       "route_localnet=0 everywhere (the kernel's default)", observed,
                       not on)


def _never_see(system: str) -> Observation:
    result = counter_experiment(1)
    loop = result.loopback
    if loop not in result.delta:
        return Observation("never-see-loopback", system,
                           "lo counts at least 1 MB sent and received",
                           result.note or "no loopback counters here", None)
    sent, recv = result.delta[loop]["sent"], result.delta[loop]["recv"]
    return Observation("never-see-loopback", system,
                       f"{loop} counts at least 1 MB sent and received",
                       f"{loop} counted {sent / MB:.1f} MB sent, {recv / MB:.1f} MB received "
                       "while 1 MB went over 127.0.0.1",
                       sent >= MB and recv >= MB)


def _zero_means_all(system: str) -> Observation:
    (row,), _ = measure_here(["127.0.0.1"], ["0.0.0.0"])
    observed = f"connect to 0.0.0.0: {row.outcome}"
    if row.server_saw:
        observed += f", the server on 127.0.0.1 saw {row.server_saw}"
    if system == "Windows":
        expected = "connect to 0.0.0.0 fails (WSAEADDRNOTAVAIL)"
        agrees = not row.outcome.connected
    elif system in ("Linux", "Darwin"):
        expected = "connect to 0.0.0.0 reaches the server on 127.0.0.1"
        agrees = row.outcome.connected
    else:
        expected, agrees = "no source for this system", None
    return Observation("zero-means-all", system, expected, observed, agrees)


def _refused(system: str) -> Observation:
    with listener("127.0.0.1") as srv:
        host, port = srv.address
    start = time.perf_counter()
    attempt = connect(host, port, timeout=5)
    ms = (time.perf_counter() - start) * 1000
    observed = f"{attempt.outcome} after {ms:.0f} ms"
    if system == "Windows":
        return Observation("refused-instantly", system, "refused after about 2 s",
                           observed, str(attempt.outcome) == "refused" and ms >= 1000)
    return Observation("refused-instantly", system, "refused in well under a second",
                       observed, str(attempt.outcome) == "refused" and ms < 1000)


def _glibc_multi(system: str) -> Observation:
    if system != "Linux" or platform.libc_ver()[0] != "glibc":
        return Observation("glibc-every-line", system, "a glibc setting",
                           "this is not glibc: host.conf's multi does not apply", None)
    multi = multi_here()
    return Observation("glibc-every-line", system,
                       "every matching line only with multi on",
                       f"/etc/host.conf (or RESOLV_MULTI) here: multi {'on' if multi else 'off'}"
                       f", so {'every matching line answers' if multi else 'only the first'}",
                       None)


def _localhost(system: str) -> Observation:
    answers = addresses_of("localhost")
    return Observation("localhost-is-127", system,
                       "a lookup, whose answers depend on the hosts file and its order",
                       f"getaddrinfo(\"localhost\") here: {', '.join(answers) or 'no answer'}",
                       None)


def _ipaddress(system: str) -> Observation:
    said = ipaddress.ip_address("::ffff:127.0.0.1").is_loopback
    return Observation("ipaddress-mapped", system,
                       "True with the gh-117566 fix, False without it",
                       f"Python {platform.python_version()}: "
                       f"ip_address('::ffff:127.0.0.1').is_loopback is {said}", None)


_CHECKS = (_every_127, _route_localnet, _never_see, _zero_means_all, _refused, _glibc_multi,
           _localhost, _ipaddress)


def check_here() -> list[Observation]:
    """Test, on this machine, the claims that can be tested in a moment (loopback only,
    about a second in all), each beside what the sources lead us to expect here.

    >>> {o.key for o in check_here()} <= {c.key for c in CLAIMS}
    True

    Introduced in notebooks/popular-claims.ipynb.
    """
    system = platform.system()
    return [check(system) for check in _CHECKS]


def observations_table(observations) -> str:
    """The observations as a markdown table beside their claims.

    Introduced in notebooks/popular-claims.ipynb.
    """
    mark = {True: "yes", False: "**no**", None: "–"}
    rows = [[f"“{claim(o.key).claim}”", o.expected, o.observed, mark[o.agrees]]
            for o in observations]
    return markdown_table(["claim", f"expected on {observations[0].system}" if observations
                           else "expected", "this machine did", "as expected?"], rows)
