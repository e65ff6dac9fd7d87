"""Where platforms differ, as data with its sources: what 127.x does beyond 127.0.0.1,
and whether a socket on ``::`` also takes IPv4 by default.

The Linux entries were observed on Debian 12 by the course's own experiments; the others
come from vendor documentation and bug reports, as each entry's source says. Lessons
print them beside what the learner's own machine did.

Introduced in notebooks/01-loopback-range.ipynb.
"""

from __future__ import annotations

import os
import platform
import sys

__all__ = ["LOOPBACK_RANGE_BY_PLATFORM", "PLATFORM_SOURCES", "DUAL_STACK_DEFAULTS",
           "expected_reach", "platform_notes", "this_platform", "hosts_file_path",
           "markdown_table", "loopback_range_table", "dual_stack_table"]

#: What each platform does with 127.x other than 127.0.0.1, with the source for each.
LOOPBACK_RANGE_BY_PLATFORM = {
    "Linux": ("every 127.x binds and answers (route `local 127.0.0.0/8 dev lo`)",
              "ip-route(8): `ip route show table local`; observed on Debian 12"),
    "Darwin": ("only 127.0.0.1 answers; binding 127.0.0.2 gives EADDRNOTAVAIL until "
               "`sudo ifconfig lo0 alias 127.0.0.2`",
               "iproute2mac issue 40; norouter issue 2"),
    "Windows": ("127.0.0.0/8 is on-link: 127.x is treated as local (a connection to an "
                "unbound 127.0.0.2 is refused); WSL2 supports only 127.0.0.1",
                "microsoft/WSL issue 11766; MicrosoftDocs/WSL issue 1337"),
}

#: The reports the platform notes rest on.
PLATFORM_SOURCES = {
    "iproute2mac#40": "https://github.com/brona/iproute2mac/issues/40",
    "norouter#2": "https://github.com/norouter/norouter/issues/2",
    "WSL#11766": "https://github.com/microsoft/WSL/issues/11766",
    "MicrosoftDocs/WSL#1337": "https://github.com/MicrosoftDocs/WSL/issues/1337",
    "Microsoft Learn: Dual-Stack Sockets for IPv6 Winsock Applications":
        "https://learn.microsoft.com/en-us/windows/win32/winsock/dual-stack-sockets",
    "XNU bsd/netinet6/in6_proto.c":
        "https://github.com/apple-oss-distributions/xnu/blob/main/bsd/netinet6/in6_proto.c",
}

#: Whether a socket on :: also accepts IPv4 by default, per platform, with the source.
DUAL_STACK_DEFAULTS = {
    "Linux": {"v6only": False,
              "text": "IPV6_V6ONLY starts from net.ipv6.bindv6only, default 0: a socket "
                      "on :: also accepts IPv4, seen as ::ffff:a.b.c.d (RFC 3493 section 5.3)",
              "source": "ipv6(7) and IPV6_V6ONLY(2const): 'The default value for this flag "
                        "is defined by the contents of the file /proc/sys/net/ipv6/"
                        "bindv6only. The default value for that file is 0'"},
    "Darwin": {"v6only": False,
               "text": "the sysctl net.inet6.ip6.v6only defaults to 0, as on Linux: a "
                       "socket on :: also accepts IPv4, seen as ::ffff:a.b.c.d",
               "source": "Apple's XNU kernel source bsd/netinet6/in6_proto.c "
                         "('int ip6_v6only = 0;')"},
    "Windows": {"v6only": True,
                "text": "IPV6_V6ONLY is on by default (Windows Vista and later): set it to 0 "
                        "before bind() for a dual-stack socket",
                "source": "Microsoft Learn, 'Dual-Stack Sockets for IPv6 Winsock "
                          "Applications' (learn.microsoft.com/en-us/windows/win32/winsock/"
                          "dual-stack-sockets)"},
    "FreeBSD": {"v6only": True,
                "text": "the sysctl net.inet6.ip6.v6only defaults to 1: a socket on :: takes "
                        "IPv6 only unless IPV6_V6ONLY is set to 0 (NetBSD likewise)",
                "source": "FreeBSD and NetBSD kernel source sys/netinet6/in6_proto.c "
                          "('int ip6_v6only = 1;'), ip6(4)"},
    "OpenBSD": {"v6only": True,
                "text": "no IPv4-mapped addresses at all: IPV6_V6ONLY is read-only and "
                        "always 1, so a server needs one socket per family",
                "source": "OpenBSD ip6(4) and inet6(4)"},
}


#: How a table names a platform whose ``platform.system()`` name learners may not know.
_SHOWN = {"Darwin": "macOS (Darwin)"}


def this_platform() -> str:
    """``platform.system()``: ``"Linux"``, ``"Darwin"`` (macOS) or ``"Windows"``.

    Introduced in notebooks/01-loopback-range.ipynb.
    """
    return platform.system()


def hosts_file_path() -> str:
    """Where this OS keeps its hosts file
    (Windows: ``%SystemRoot%\\System32\\drivers\\etc\\hosts``).

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    if sys.platform == "win32":
        root = os.environ.get("SystemRoot", r"C:\Windows")
        return root + r"\System32\drivers\etc\hosts"
    return "/etc/hosts"


def expected_reach(address: str, system: str | None = None) -> str:
    """What we expect binding ``address`` and connecting to it to do on ``system``
    (default: this one): ``"bind ok, connected"`` or ``"EADDRNOTAVAIL"``, or
    ``"unknown"`` for an OS the course has no source for. Printed beside what the
    machine actually did.

    >>> expected_reach("127.0.0.2", "Linux"), expected_reach("127.0.0.2", "Darwin")
    ('bind ok, connected', 'EADDRNOTAVAIL')

    Introduced in notebooks/01-loopback-range.ipynb.
    """
    system = system or this_platform()
    if address == "127.0.0.1" or system in ("Linux", "Windows"):
        return "bind ok, connected"
    if system == "Darwin":
        return "EADDRNOTAVAIL"
    return "unknown"


def platform_notes() -> dict:
    """Where lesson 03's results differ by platform, with sources, as data.

    Returns ``{platform: {"loopback_range", "dual_stack", "sources": [{"name", "url"}],
    "applies_here"}}`` for ``Linux``, ``Darwin`` (macOS), ``Windows`` and ``WSL2``.

    >>> platform_notes()["Darwin"]["sources"][0]["name"]
    'iproute2mac#40'

    Introduced in notebooks/03-bind-address.ipynb.
    """
    system, release = this_platform(), platform.release().lower()
    texts = {
        "Linux": (LOOPBACK_RANGE_BY_PLATFORM["Linux"][0],
                  "net.ipv6.bindv6only=0: a socket on :: also accepts IPv4, seen as "
                  "::ffff:127.0.0.1", []),
        "Darwin": ("lo0 carries only 127.0.0.1: binding 127.0.0.2 or 127.42.42.42 gives "
                   "EADDRNOTAVAIL until `sudo ifconfig lo0 alias 127.0.0.2`, so the "
                   "matrix shows 'bind failed' there",
                   "net.inet6.ip6.v6only=0 by default, as on Linux: a socket on :: "
                   "also accepts IPv4",
                   ["iproute2mac#40", "norouter#2", "XNU bsd/netinet6/in6_proto.c"]),
        "Windows": ("127.0.0.0/8 is treated as local: a connection to 127.0.0.2 with "
                    "nothing bound there is refused",
                    "IPV6_V6ONLY defaults to 1: a socket on :: does not accept IPv4",
                    ["WSL#11766",
                     "Microsoft Learn: Dual-Stack Sockets for IPv6 Winsock Applications"]),
        "WSL2": ("only 127.0.0.1 is forwarded between Windows and WSL2 (mirrored "
                 "networking too): a WSL listener on 127.0.0.2 is refused from Windows",
                 "as on Linux, inside WSL", ["MicrosoftDocs/WSL#1337", "WSL#11766"]),
    }
    here = {system} | ({"WSL2"} if "microsoft" in release else set())
    return {name: {"loopback_range": rng, "dual_stack": dual,
                   "sources": [{"name": s, "url": PLATFORM_SOURCES[s]} for s in sources],
                   "applies_here": name in here}
            for name, (rng, dual, sources) in texts.items()}


def markdown_table(headers, rows) -> str:
    """A Markdown table (for ``IPython.display.Markdown``): ``|`` in cells is escaped.

    >>> print(markdown_table(["OS", "127.0.0.2"], [["Linux", "answers"]]))
    | OS | 127.0.0.2 |
    |---|---|
    | Linux | answers |

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """
    def cell(value) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(cell(h) for h in headers) + " |",
             "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def loopback_range_table() -> str:
    """:data:`LOOPBACK_RANGE_BY_PLATFORM` as a Markdown table, this platform marked.

    Introduced in notebooks/01-loopback-range.ipynb.
    """
    here = this_platform()
    return markdown_table(
        ["platform", "what 127.x beyond 127.0.0.1 does", "source"],
        [[name + (" (this machine)" if name == here else ""), what, source]
         for name, (what, source) in LOOPBACK_RANGE_BY_PLATFORM.items()])


def dual_stack_table() -> str:
    """:data:`DUAL_STACK_DEFAULTS` as a Markdown table, this platform marked.

    Introduced in notebooks/05-ipv6-loopback.ipynb.
    """
    here = this_platform()
    return markdown_table(
        ["platform", "IPV6_V6ONLY by default", "what it means", "source"],
        [[_SHOWN.get(name, name) + (" (this machine)" if name == here else ""),
          "on" if entry["v6only"] else "off", entry["text"], entry["source"]]
         for name, entry in DUAL_STACK_DEFAULTS.items()])
