"""The capability report behind lesson 00 and ``loopedu doctor``: what this machine
allows (measured by :mod:`loopedu.sandbox`), and lesson by lesson what runs live here.

Introduced in notebooks/00-start-here.ipynb.
"""

from __future__ import annotations

import socket
import sys
import textwrap
from dataclasses import dataclass, field, fields

from .localhost import addresses_of
from .platforms import hosts_file_path
from .sandbox import (
    Capabilities,
    Capability,
    NamespaceUnavailable,
    capabilities,
    find_tool,
    namespace,
)
from .sandbox.tools import last_line

__all__ = ["Report", "LessonPlan", "Part", "Tools", "LESSONS", "report", "tools",
           "lesson_plan", "format_report", "hosts_file_path", "localhost_addresses",
           "this_machine"]

#: The lessons that exist, by number and slug (the notebooks in notebooks/).
LESSONS = (("00", "start-here", "start here"),
           ("01", "loopback-range", "the loopback range"),
           ("02", "localhost-is-a-name", "localhost is a name"),
           ("03", "bind-address", "127.0.0.1 versus 0.0.0.0"),
           ("04", "loopback-interface", "lo, an interface like any other"),
           ("05", "ipv6-loopback", "IPv6 ::1"),
           ("06", "loopback-at-work", "loopback at work"),
           ("07", "measuring-loopback", "measuring loopback"),
           ("08", "when-loopback-leaks", "when loopback leaks"))

#: The report's capabilities under the names ``loopedu doctor --json`` has always used.
_KEYS = {"ipv6_loopback": "ipv6_loopback", "whole_127_range": "whole_127_range",
         "netns_lab": "network_namespaces", "mount_namespaces": "mount_namespaces",
         "user_namespaces": "user_namespaces"}

#: What a lesson's experiment may need, in words ("needs ..."), by report key.
_NEEDS = {"whole_127_range": "all of 127.0.0.0/8 on lo",
          "mount_namespaces": "a mount namespace",
          "netns_lab": "network namespaces", "ipv6_loopback": "IPv6 on loopback",
          "ping": "ICMP echo from this user", "nft": "nft in a network namespace",
          "postgres": "a PostgreSQL server", "af_unix": "Unix-domain sockets in Python"}


@dataclass(frozen=True)
class Tools:
    """What the lessons need beyond :class:`~loopedu.sandbox.Capabilities`, measured by
    :func:`tools`: ``ping`` (lesson 04: ICMP echo from this user), ``nft`` (lesson 08:
    nftables rules in a network namespace), ``postgres`` (lesson 06: a server to start)."""

    ping: Capability
    nft: Capability
    postgres: Capability


@dataclass(frozen=True)
class Part:
    """One experiment of a lesson: ``needs`` is the report key of what it lacks on this
    machine (``""`` when it runs here), ``instead`` what the lesson shows in its place."""

    what: str
    needs: str = ""
    instead: str = ""


@dataclass(frozen=True)
class LessonPlan:
    """One lesson on this machine: ``mode`` is ``"live"`` when every one of its
    ``parts`` runs here, else ``"partly live"``; ``why`` says which, in words."""

    number: str
    slug: str
    title: str
    mode: str
    why: str
    parts: tuple = ()

    @property
    def not_here(self) -> tuple:
        """The parts that do not run on this machine."""
        return tuple(p for p in self.parts if p.needs)


@dataclass(frozen=True)
class Report:
    """The capability report (see :func:`report`): ``capabilities`` as measured (each a
    :class:`~loopedu.sandbox.Capability`, true when available), what the lessons need
    besides (``tools``), the hosts file, what ``localhost`` resolves to here, and the
    lesson plan."""

    capabilities: Capabilities
    tools: Tools
    hosts_file: str
    localhost_addresses: tuple
    lessons: tuple = field(default_factory=tuple)

    def measured(self) -> dict:
        """Every measured capability and tool, by its report key, in report order."""
        found = {key: getattr(self.capabilities, name) for key, name in _KEYS.items()}
        found.update((f.name, getattr(self.tools, f.name)) for f in fields(Tools))
        return found

    @property
    def reasons(self) -> dict:
        """Why each capability (and tool) is there or not, by its report key."""
        return {key: cap.reason for key, cap in self.measured().items()}

    @property
    def mechanisms(self) -> dict:
        """How the namespace capabilities are provided (``"root"``, ``"user namespace"``,
        or ``""`` where they are not)."""
        return {key: getattr(self.capabilities, name).mechanism for key, name in _KEYS.items()
                if key not in ("ipv6_loopback", "whole_127_range")}

    def to_dict(self) -> dict:
        """What ``loopedu doctor --json`` prints."""
        caps = self.capabilities
        data = {"platform": caps.platform, "platform_release": caps.platform_release,
                "python": caps.python, "root": caps.root}
        data.update({key: bool(cap) for key, cap in self.measured().items()})
        data.update(hosts_file=self.hosts_file,
                    localhost_addresses=list(self.localhost_addresses),
                    reasons=self.reasons, mechanisms=self.mechanisms,
                    lessons=[{"lesson": p.number, "slug": p.slug, "title": p.title,
                              "mode": p.mode, "why": p.why,
                              "not_here": [{"experiment": x.what, "needs": x.needs,
                                            "instead": x.instead} for x in p.not_here]}
                             for p in self.lessons])
        return data


def this_machine(caps: Capabilities | None = None) -> str:
    """One line saying what made these outputs, for cells whose result depends on the
    platform or on privilege: ``"Linux, as root, IPv6 on"``.

    >>> import dataclasses
    >>> from loopedu.sandbox import Capability
    >>> caps = dataclasses.replace(capabilities(), platform="Linux", root=False,
    ...                            ipv6_loopback=Capability(False, "off"))
    >>> this_machine(caps)
    'Linux, as an ordinary user, IPv6 off'

    Introduced in notebooks/01-loopback-range.ipynb.
    """
    caps = caps or capabilities()
    who = "as root" if caps.root else "as an ordinary user"
    return f"{caps.platform}, {who}, IPv6 {'on' if caps.ipv6_loopback else 'off'}"


def localhost_addresses(name: str = "localhost") -> list[str]:
    """What getaddrinfo returns for ``name`` here, in order, duplicates kept.

    Introduced in notebooks/00-start-here.ipynb.
    """
    return addresses_of(name)


def _how(cap: Capability) -> str:
    """How a namespace capability is provided, as a phrase to add; "" where it is not."""
    if not cap:
        return ""
    return ", as root" if cap.mechanism == "root" else ", without root, in a user namespace"


#: A ping's method, in words.
_PINGED_BY = {"datagram": "an unprivileged ICMP socket", "raw": "a raw ICMP socket",
              "system": "the system ping command"}


def _ping() -> Capability:
    """Whether this user can ping 127.0.0.1: one echo request, by the lesson's own code."""
    from .measure import ping

    result = ping("127.0.0.1", count=1, timeout=1.0)
    if result.failure:
        return Capability(False, result.failure)
    return Capability(True, f"127.0.0.1 answered a ping sent with {_PINGED_BY[result.method]}")


def _nft(netns: Capability) -> Capability:
    """Whether nft can add a table in a network namespace, as lesson 08 does."""
    nft = find_tool("nft")
    if nft is None:
        return Capability(False, "the nft command is not installed: on Debian and Ubuntu, "
                                 "sudo apt install nftables")
    if not netns:
        return Capability(True, f"{nft} is installed; lesson 08 runs it only in network "
                                "namespaces, which this machine cannot make")
    try:
        with namespace("doctor") as ns:
            done = ns.run(nft, "add", "table", "ip", "loopedu")
    except NamespaceUnavailable as exc:
        return Capability(False, f"no network namespace to try nft in: {exc}")
    if done.returncode != 0:
        return Capability(False, f"`nft add table` failed in a network namespace, saying: "
                                 f"{last_line(done)}. The kernel may lack nf_tables: "
                                 "an administrator loads it with `sudo modprobe nf_tables`")
    return Capability(True, "added a table in a network namespace")


def _postgres() -> Capability:
    """Whether a PostgreSQL server is installed for lesson 06's throwaway one."""
    from . import postgres

    try:
        found = postgres.find_server()
    except postgres.PostgresUnavailable as exc:
        return Capability(False, str(exc))
    return Capability(True, f"PostgreSQL {found.version} in {found.bin_dir}")


def tools(caps: Capabilities | None = None) -> Tools:
    """Measure what the lessons need besides ``caps`` (default: :func:`capabilities`):
    a ping to 127.0.0.1, an nft table in a namespace, a PostgreSQL server.

    >>> tools().ping.reason != ""
    True

    Introduced in notebooks/00-start-here.ipynb.
    """
    caps = caps or capabilities()
    return Tools(_ping(), _nft(caps.network_namespaces), _postgres())


#: What an experiment that listens beyond loopback does where no namespace can be made.
_EXPOSE = ("not run unless you pass expose=True, which runs it briefly on your real "
           "network interfaces")


def _parts(caps: Capabilities, found: Tools) -> dict[int, list[Part]]:
    """Every lesson's experiments, each with what it lacks here (see :class:`Part`)."""
    have = {key: bool(getattr(caps, name)) for key, name in _KEYS.items()}
    have.update((f.name, bool(getattr(found, f.name))) for f in fields(Tools))
    have["af_unix"] = hasattr(socket, "AF_UNIX") and sys.platform != "win32"

    def need(*keys: str) -> str:
        return next((key for key in keys if not have[key]), "")

    netns, mountns = caps.network_namespaces, caps.mount_namespaces
    return {
        0: [Part("this report, and the kernel's own loopback ports")],
        1: [Part("binds and connects on 127.0.0.1"),
            Part("the rest of 127.0.0.0/8", need("whole_127_range"),
                 "explained: only 127.0.0.1 answers here, as on macOS lo0")],
        2: [Part("your own resolver"),
            Part(f"a name with two addresses, in a private hosts file{_how(mountns)}",
                 need("mount_namespaces"), "shown with the resolver model"),
            Part("Unix-domain sockets", need("af_unix"), "explained")],
        3: [Part("the reachability matrix" + ("" if netns else " for the loopback binds")),
            Part("its rows for 0.0.0.0 and ::", need("netns_lab"), _EXPOSE),
            Part(f"a virtual LAN of network namespaces{_how(netns)}", need("netns_lab"),
                 "explained")],
        4: [Part("interface counters"),
            Part("ping 127.0.0.1 and ::1", need("ping"), "not run"),
            Part(f"lo taken down in a namespace{_how(netns)}", need("netns_lab"),
                 "explained"),
            Part("port shadowing on 0.0.0.0", need("netns_lab"), _EXPOSE)],
        5: [Part("dual-stack sockets on ::1 and ::", need("ipv6_loopback"),
                 "explained: IPv6 is off here, and the lesson shows what that breaks"),
            Part("the experiments that listen on ::", need("netns_lab"), _EXPOSE)],
        6: [Part("a dev server"),
            Part(f"a container{_how(netns)}", need("netns_lab"), "a recording"),
            Part("a tunnel"),
            Part("a throwaway PostgreSQL server", need("postgres"), "a recording")],
        7: [Part("a capture on lo" + (", as root" if caps.root else _how(netns)),
                 "" if caps.root else need("netns_lab"), "a recording"),
            Part("round trips, throughput and the Nagle stall")],
        8: [Part(f"route_localnet in two namespaces{_how(netns)}", need("netns_lab"),
                 "a recording"),
            Part("a KUBE-FIREWALL-style drop and a DNAT, with nft", need("netns_lab", "nft"),
                 "a recording" if not netns else "not run"),
            Part("DNS rebinding against your own loopback servers, and 0.0.0.0")],
    }


def _why(parts: list[Part]) -> str:
    """A lesson's line: what runs, and what does not, naming the report line that says
    why (the cause is said once, there)."""
    live = "; ".join(p.what for p in parts if not p.needs)
    missing = [f"{p.what}, {p.instead} (needs {_NEEDS[p.needs]}"
               + (f", see {p.needs} above)" if p.needs != "af_unix" else ")")
               for p in parts if p.needs]
    if not missing:
        return live
    return (f"live: {live}. " if live else "") + "Not here: " + "; ".join(missing)


def lesson_plan(caps: Capabilities, found: Tools | None = None) -> list[LessonPlan]:
    """Lesson by lesson: what runs live on a machine with these capabilities (and
    ``found``, default :func:`tools`), and what does not. A lesson is ``"live"`` only
    when every one of its experiments runs here.

    >>> from loopedu.sandbox import Capability
    >>> no = Capability(False, "needs Linux")
    >>> caps = capabilities()
    >>> import dataclasses
    >>> bare = dataclasses.replace(caps, network_namespaces=no, mount_namespaces=no)
    >>> [p.mode for p in lesson_plan(bare)][2:4]
    ['partly live', 'partly live']

    Introduced in notebooks/00-start-here.ipynb.
    """
    found = found or tools(caps)
    plans = []
    for index, parts in _parts(caps, found).items():
        number, slug, title = LESSONS[index]
        mode = "partly live" if any(p.needs for p in parts) else "live"
        plans.append(LessonPlan(number, slug, title, mode, _why(parts), tuple(parts)))
    return plans


def report(refresh: bool = False) -> Report:
    """Measure what this machine allows (once per process, unless ``refresh``) and what
    the lessons need besides (each time), and plan the lessons.

    >>> [p.number for p in report().lessons] == [n for n, _, _ in LESSONS]
    True

    Introduced in notebooks/00-start-here.ipynb.
    """
    caps = capabilities(refresh=refresh)
    found = tools(caps)
    return Report(caps, found, hosts_file_path(), tuple(localhost_addresses()),
                  tuple(lesson_plan(caps, found)))


def _state(cap: Capability) -> str:
    """``yes, as root: why`` or ``no: why``, for one line of the report."""
    return f"{'yes' if cap else 'no'}{_how(cap) if cap.mechanism else ''}: {cap.reason}"


#: The widest line of :func:`format_report`'s lesson plan (a handout prints 90 columns).
REPORT_WIDTH = 88


def format_report(rep: Report) -> str:
    """The text form of ``loopedu doctor``: what was measured (each with why, said
    once), then the lesson plan, whose lines name the measurement a lesson lacks.

    Introduced in notebooks/00-start-here.ipynb.
    """
    caps = rep.capabilities
    lines = [f"platform            {caps.platform} {caps.platform_release}",
             f"python              {caps.python}",
             f"root                {'yes' if caps.root else 'no'}"]
    lines += [f"{key:<20}{_state(cap)}" for key, cap in rep.measured().items()]
    lines.append(f"hosts_file          {rep.hosts_file}")
    shown = ", ".join(rep.localhost_addresses) or "(nothing: localhost does not resolve)"
    lines.append(f"localhost_addresses {shown}")
    lines.append("")
    lines.append("What runs live on this machine:")
    width = max((len(p.title) for p in rep.lessons), default=0) + 2
    for p in rep.lessons:
        head = f"  {p.number} {p.title:<{width}}{p.mode:<13}"
        # wrapped at REPORT_WIDTH, so that a printed page (90 columns) breaks no line
        lines += textwrap.wrap(p.why, REPORT_WIDTH, initial_indent=head,
                               subsequent_indent=" " * len(head),
                               break_long_words=False) or [head.rstrip()]
    return "\n".join(lines)
