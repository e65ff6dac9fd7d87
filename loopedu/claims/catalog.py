"""Popular claims about loopback, and what the primary sources show: each claim with its
verdict, the lesson that shows it live (``lesson``, and ``term``, a phrase that lesson
uses where it shows it), its sources, and, for a claim that depends on versions or
dates, the day it was last checked (``as_of``).

Introduced in notebooks/popular-claims.ipynb.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..platforms import markdown_table

__all__ = ["VERDICTS", "Claim", "CLAIMS", "claim", "claims_table", "quiz_table", "read_verdicts",
           "verdicts"]

#: The verdicts a claim can get: "partly true" when part of it holds and part does not,
#: "true with conditions" when it holds only in the situations the truth names.
VERDICTS = ("true", "true with conditions", "partly true", "false")


@dataclass(frozen=True)
class Claim:
    """One popular claim: ``lesson`` is the notebook (``"03-bind-address"``) that shows
    it and ``term`` a phrase that lesson uses where it does (tests/test_claims.py checks
    it is there), ``sources`` the primary sources that settle it, ``as_of`` the day a
    claim that depends on versions or dates was last checked (``""``: it does not)."""

    key: str
    claim: str
    verdict: str
    truth: str
    lesson: str
    term: str
    sources: tuple[str, ...]
    as_of: str = ""


_CHECKED = "2026-12-07"   # the second accuracy review (issue 19)

CLAIMS = (
    Claim("bound-127-unreachable",
          "A service bound to 127.0.0.1 cannot be reached from other devices. Period.",
          "true with conditions",
          "With Linux's defaults, packets from other hosts to 127/8 are dropped as "
          "martians and a listener answers only its own address. It breaks when the "
          "host sets route_localnet=1 and a neighbour routes 127.0.0.1 to it (Kubernetes, "
          "CVE-2020-8558), when a DNAT rule or a forwarder hands traffic to it (ssh -L; "
          "ssh -R, whose port on the server's loopback every program there reaches; a "
          "proxy; Docker's port publishing), and when a web page in the host's own browser "
          "is steered at it (DNS rebinding, where the browser does not ask first).",
          "08-when-loopback-leaks", "route_localnet",
          ("RFC 1122 §3.2.1.3(g)", "RFC 1812 §5.3.7",
           "Linux Documentation/networking/ip-sysctl.rst (route_localnet)",
           "Kubernetes CVE-2020-8558 (kubernetes/kubernetes#92315)",
           "sshd_config(5) (GatewayPorts)",
           "Project Zero issue 1447 (DNS rebinding, Transmission)")),
    Claim("physically-impossible",
          "Traffic sent to 127.0.0.1 physically cannot reach another device.",
          "false",
          "RFC 1122 is a rule hosts follow, not a physical limit: anyone can put a packet "
          "addressed to 127.0.0.1 on a wire, MPLS LSP Ping and BFD do it on purpose, and "
          "Linux accepts such packets on an interface with route_localnet=1.",
          "08-when-loopback-leaks", "martian",
          ("RFC 1122 §3.2.1.3(g)", "RFC 8029 (MPLS LSP Ping)", "RFC 5884 (BFD for MPLS)",
           "Linux Documentation/networking/ip-sysctl.rst (route_localnet)")),
    Claim("link-layer-intercept",
          "The operating system intercepts traffic to 127.0.0.1 at the link layer.",
          "false",
          "It is the IP routing decision: the kernel's local table has `local "
          "127.0.0.0/8 dev lo`, a route of type local, so the packet is sent to lo, "
          "which hands it straight back to the receive path. The same happens to this "
          "host's own network addresses. lo even builds a (fake) Ethernet header.",
          "04-loopback-interface", "table local",
          ("ip-route(8) (route types, table local)", "Linux drivers/net/loopback.c",
           "Linux net/ipv4/route.c")),
    Claim("never-see-loopback",
          "You'd never see loopback traffic.",
          "false",
          "True of the wire, not of the host: lo counts every loopback byte, and a capture "
          "on lo (tcpdump -i lo, an AF_PACKET socket) sees every loopback packet.",
          "07-measuring-loopback", "AF_PACKET",
          ("packet(7) (AF_PACKET)", "tcpdump(1) (-i lo)",
           "psutil net_io_counters(pernic=True)")),
    Claim("rfc776",
          "RFC 776 reserved 127.0.0.0/8 in 1981.",
          "false",
          "The earliest readable reservation is RFC 790 (September 1981): "
          "\"127.rrr.rrr.rrr Reserved\"; IANA dates 127/8 to 1981-09. RFC 990 (1986) first "
          "gives 127 the loopback function.",
          "01-loopback-range", "RFC 790",
          ("RFC 790, Assigned Numbers", "RFC 990", "IANA IPv4 Address Space Registry")),
    Claim("every-os-127",
          "Every operating system answers on all of 127.0.0.0/8.",
          "false",
          "Linux routes the whole /8 to lo; macOS's lo0 carries only 127.0.0.1 until an "
          "alias is added (binding 127.0.0.2 gives EADDRNOTAVAIL); WSL2 forwards only "
          "127.0.0.1 between Windows and Linux.",
          "01-loopback-range", "127.0.0.2",
          ("ip-route(8) (`ip route show table local`)", "iproute2mac issue 40",
           "norouter issue 2", "MicrosoftDocs/WSL issue 1337")),
    Claim("bind-only-own-address",
          "A socket can bind only an address one of this machine's interfaces has.",
          "true with conditions",
          "By default on Linux, yes (EADDRNOTAVAIL). IP_FREEBIND, IP_TRANSPARENT or "
          "net.ipv4.ip_nonlocal_bind=1 let a socket bind an address the host does not "
          "have, and in a brand-new network namespace, whose lo was never up and which has "
          "no local table yet, bind() accepts any IPv4 address.",
          "01-loopback-range", "IP_FREEBIND",
          ("ip(7) (IP_FREEBIND, IP_TRANSPARENT)",
           "Linux Documentation/networking/ip-sysctl.rst (ip_nonlocal_bind)",
           "network_namespaces(7)")),
    Claim("joy-leffler-1983",
          "Bill Joy and Sam Leffler chose 127.0.0.1 for 4.2BSD in 1983.",
          "partly true",
          "The .1 is Leffler's and from 1983: he set LOHOST to 1 (\"local host can't be "
          "zero, that's a broadcast\", 1983-05-27) for the 4.2 distribution. The rest is "
          "older: Joy wrote the loopback driver in 1981, on network 254; the move to 127 in "
          "December 1981 was committed as user \"root\", so who made it is not recorded; "
          "and network 127 came from Postel's registry (RFC 790, 1981).",
          "01-loopback-range", "LOHOST",
          ("Berkeley SCCS history of sys/net/if_loop.c (CSRG archive)", "RFC 790")),
    Claim("rfc1122-mandatory",
          "RFC 1122 made loopback support mandatory.",
          "partly true",
          "RFC 1122 §3.2.1.3(g) defines {127, <any>} as the internal host loopback address "
          "and says it MUST NOT appear outside a host; §3.2.1.3 also has hosts silently "
          "discard datagrams with such a source. It presumes hosts loop 127 back, but "
          "nowhere says \"a host MUST implement loopback\"; RFC 990 (1986) had given "
          "network 127 that function.",
          "01-loopback-range", "RFC 1122",
          ("RFC 1122 §3.2.1.3", "RFC 990")),
    Claim("localhost-is-127",
          "localhost and 127.0.0.1 are the same thing.",
          "false",
          "localhost is a name: nsswitch.conf decides who answers (the hosts file, then "
          "DNS), it often answers ::1 first, MySQL's client reads it as \"use the Unix "
          "socket\", and Windows answers it in its DNS client.",
          "02-localhost-is-a-name", "nsswitch.conf",
          ("nsswitch.conf(5)", "hosts(5)", "RFC 6761 §6.3",
           "MySQL Reference Manual, Connecting to the MySQL Server",
           "Microsoft KB 972034")),
    Claim("glibc-every-line",
          "glibc returns every matching line of /etc/hosts.",
          "true with conditions",
          "Only with `multi on` in /etc/host.conf (Debian and Ubuntu ship it; glibc's "
          "built-in default is off; RESOLV_MULTI overrides). Otherwise the files backend "
          "stops at the first matching line. musl always returns every matching line.",
          "02-localhost-is-a-name", "multi on",
          ("host.conf(5)", "glibc nss/nss_files/files-hosts.c",
           "musl src/network/lookup_name.c")),
    Claim("hosts-cached",
          "Answers from /etc/hosts are cached after the first lookup.",
          "false",
          "Not by glibc: its files backend reads the file on every lookup, so an edit is "
          "seen by the next one, in the same process too. Caching needs a caching daemon "
          "in front of it, such as nscd or systemd-resolved.",
          "02-localhost-is-a-name", "nscd",
          ("glibc nss/nss_files/files-hosts.c", "nscd(8)",
           "systemd-resolved.service(8)")),
    Claim("windows-hosts-localhost",
          "Windows answers localhost from its hosts file.",
          "false",
          "Since Windows 7 the default hosts file has its localhost lines commented out: "
          "\"localhost name resolution is handled within DNS itself\".",
          "02-localhost-is-a-name", "972034",
          ("Microsoft KB 972034",)),
    Claim("zero-means-all",
          "0.0.0.0 means \"all interfaces\".",
          "true with conditions",
          "Only in bind(). A connect() to 0.0.0.0 reaches loopback on Linux and macOS, and "
          "the server sees 127.0.0.1; Winsock refuses it with WSAEADDRNOTAVAIL.",
          "03-bind-address", "WSAEADDRNOTAVAIL",
          ("Linux net/ipv4/route.c (ip_route_output_key_hash_rcu)",
           "Linux net/ipv6/tcp_ipv6.c (tcp_v6_connect: \"connect() to INADDR_ANY means "
           "loopback (BSD'ism)\")", "Microsoft Learn, connect function (Winsock)")),
    Claim("bind-lan-address",
          "Binding a service to one LAN address keeps other networks out.",
          "false",
          "Not on Linux, which follows the weak host model (RFC 1122 §3.3.4.2): a host on "
          "another attached network that routes that address via this host reaches the "
          "service, and rp_filter does not stop it. A firewall rule on the incoming "
          "interface, or SO_BINDTODEVICE, restricts by interface.",
          "03-bind-address", "weak host",
          ("RFC 1122 §3.3.4.2", "socket(7) (SO_BINDTODEVICE)",
           "Linux Documentation/networking/ip-sysctl.rst (rp_filter)")),
    Claim("docker-127-publish",
          "`docker run -p 127.0.0.1:8080:80` is reachable from this machine only.",
          "true with conditions",
          "Only since Docker Engine 28 and with its defaults. Before 28, hosts on the same "
          "LAN could route packets to the container's own address (moby#45610). Engine "
          "28.0 to 28.3.2 lost the protecting rules when firewalld reloaded "
          "(CVE-2025-54388, fixed in 28.3.3); the daemon options allow-direct-routing "
          "and trusted_host_interfaces open direct routing again (moby#49832); and a "
          "crafted packet to 127.0.0.1 at the host's MAC address can be DNAT-ed into the "
          "container (moby#41872, open as far as checked).",
          "03-bind-address", "Engine 28",
          ("moby/moby issue 45610", "CVE-2025-54388 (GHSA, Docker Engine 28.3.3)",
           "moby/moby pull request 49832", "moby/moby issue 41872",
           "Docker Engine 28 release notes"), _CHECKED),
    Claim("container-own-loopback",
          "Every container has its own loopback.",
          "true with conditions",
          "Only a container with a network namespace of its own. The containers of one "
          "Kubernetes or podman pod share one namespace and one lo, and reach each other's "
          "127.0.0.1 services; so do containers run with --network host (the host's lo) "
          "or --network container:X (X's lo).",
          "06-loopback-at-work", "pod",
          ("network_namespaces(7)", "Kubernetes documentation, Pods (shared network "
           "namespace)", "docker run reference (--network)")),
    Claim("ssh-r-private",
          "ssh -R with GatewayPorts no keeps the forwarded service private.",
          "false",
          "GatewayPorts no only keeps the forwarded port on the server's loopback; every "
          "program of every user on the server reaches it, and through it the service on "
          "the laptop. (ssh -g, for local -L forwards, has no effect on -R.)",
          "06-loopback-at-work", "GatewayPorts",
          ("sshd_config(5) (GatewayPorts)", "ssh(1) (-R, -g)")),
    Claim("refused-instantly",
          "Connecting to a closed loopback port fails instantly.",
          "true with conditions",
          "On Linux and macOS the kernel answers the SYN with a reset at once. Windows "
          "retries the SYN after each reset, so a refused loopback connect takes about "
          "2 s.",
          "00-start-here", "about 2 seconds",
          ("RFC 9293 §3.10.7.1", "libuv pull request 2896",
           "Microsoft Learn, SIO_TCP_INITIAL_RTO")),
    Claim("refused-nothing-listens",
          "ECONNREFUSED means nothing listens on that port.",
          "true with conditions",
          "Or a firewall REJECT rule answered for the listener: with an ICMP port "
          "unreachable or a TCP reset, on lo too. Only a DROP rule gives a timeout "
          "instead.",
          "00-start-here", "REJECT",
          ("Linux net/ipv4/icmp.c (icmp_err_convert[])", "nft(8) (reject, drop)",
           "RFC 9293 §3.10.7.1")),
    Claim("ping-proves-network",
          "ping 127.0.0.1 proves the network works.",
          "false",
          "It proves the host's IP stack and lo: no network card, cable or router takes "
          "part, and the counters of the real interfaces do not move.",
          "04-loopback-interface", "ping",
          ("ping(8)", "RFC 792 (ICMP echo)", "RFC 1122 §3.2.1.3(g)")),
    Claim("ping-proves-stack",
          "ping 127.0.0.1 proves the TCP/IP stack works.",
          "partly true",
          "It proves IP, ICMP and lo, not TCP. And it can fail while TCP works: with "
          "net.ipv4.icmp_echo_ignore_all=1, or a firewall rule on lo that drops ICMP.",
          "04-loopback-interface", "icmp_echo_ignore_all",
          ("ping(8)", "Linux Documentation/networking/ip-sysctl.rst "
           "(icmp_echo_ignore_all)")),
    Claim("lo-always-up",
          "The loopback interface is always up.",
          "false",
          "lo can be down. A brand-new network namespace (every container, before its "
          "runtime sets it up) starts with lo never up: no address, no local table, so "
          "connect() to 127.0.0.1 fails at once with ENETUNREACH. A host or namespace "
          "whose lo was up and is then set down keeps 127.0.0.1/8 and its local route: "
          "connect() to 127.0.0.1 times out and ping gets no answer. ::1 is gone in both "
          "cases (EADDRNOTAVAIL).",
          "04-loopback-interface", "ENETUNREACH",
          ("network_namespaces(7)", "ip-link(8)", "ip-route(8) (table local)")),
    Claim("ipaddress-mapped",
          "Python's ipaddress knows that ::ffff:127.0.0.1 is loopback.",
          "true with conditions",
          "Only in releases with the gh-117566 fix: 3.13, the 3.12 backport (gh-118391), "
          "and 3.11.11 with the gh-122792 security backport. Older releases say False.",
          "05-ipv6-loopback", "gh-117566",
          ("CPython issue gh-117566", "CPython gh-118391", "CPython gh-122792"), _CHECKED),
    Claim("ipv6-smallest-scope",
          "::1 has the smallest scope of all IPv6 addresses.",
          "false",
          "RFC 4291 §2.5.3: ::1 \"is treated as having Link-Local scope\". The smallest "
          "scope is interface-local, which only multicast addresses have (§2.7).",
          "05-ipv6-loopback", "Link-Local scope",
          ("RFC 4291 §2.5.3", "RFC 4291 §2.7")),
    Claim("browsers-block-localhost",
          "Browsers stop web pages from reaching services on localhost.",
          "true with conditions",
          "Chrome asks the user first since Chrome 142 (Local Network Access); Firefox "
          "asks Enhanced Tracking Protection 'Strict' users since 147 and is rolling the "
          "prompt out to everyone; no Safari block was found. Older browsers, a granted "
          "permission, pages served from the local network themselves, and every "
          "non-browser client still reach loopback.",
          "08-when-loopback-leaks", "Local Network Access",
          ("chromestatus feature 5152728072060928", "Mozilla Support, 'Control personal "
           "device and local network permissions in Firefox'",
           "mozilla/policy-templates pull request 1288"), _CHECKED),
    Claim("multicast-never-internet",
          "Multicast (224.0.0.0/4) never appears on the public Internet.",
          "false",
          "Multicast is forwardable and crosses networks; the special-purpose registry "
          "even lists a block for Automatic Multicast Tunneling, which carries it across "
          "unicast-only networks.",
          "01-loopback-range", "224.0.0.0/4",
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
             "; ".join(c.sources) + (f" (checked {c.as_of})" if c.as_of else "")]
            for c in claims]
    return markdown_table(["claim", "verdict", "what the sources show", "shown in",
                           "sources"], rows)


#: Short words a learner may write for each verdict.
_SHORT = {"t": "true", "true": "true", "yes": "true",
          "c": "true with conditions", "conditions": "true with conditions",
          "with conditions": "true with conditions", "true with conditions": "true with conditions",
          "p": "partly true", "partly": "partly true", "partly true": "partly true",
          "f": "false", "false": "false", "no": "false"}


def quiz_table(claims=CLAIMS) -> str:
    """The claims as a markdown table without their verdicts: for a learner to predict
    each verdict before reading it (the claims page's quiz).

    >>> quiz_table([claim("rfc776")]).splitlines()[2]
    '| `rfc776` | “RFC 776 reserved 127.0.0.0/8 in 1981.” |'

    Introduced in notebooks/popular-claims.ipynb.
    """
    return markdown_table(["key", "claim"], [[f"`{c.key}`", f"“{c.claim}”"] for c in claims])


def read_verdicts(answers: dict) -> dict:
    """A learner's predicted verdicts, ``{claim key: verdict}``, with short words read as
    the verdicts they stand for (``"c"``, ``"conditions"``: true with conditions;
    ``"p"``, ``"partly"``: partly true); ``...`` stays ``...`` (not predicted), and
    anything else stays as written (it will not match).

    >>> read_verdicts({"rfc776": "F", "lo-always-up": "partly", "hosts-cached": ...})
    {'rfc776': 'false', 'lo-always-up': 'partly true', 'hosts-cached': Ellipsis}

    Introduced in notebooks/popular-claims.ipynb.
    """
    read = {}
    for key, value in answers.items():
        text = " ".join(value.split()).casefold() if isinstance(value, str) else None
        read[key] = _SHORT.get(text, value) if text is not None else value
    return read


def verdicts(claims=CLAIMS) -> dict:
    """``{claim key: verdict}`` of ``claims``.

    Introduced in notebooks/popular-claims.ipynb.
    """
    return {c.key: c.verdict for c in claims}
