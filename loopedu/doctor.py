"""The capability report behind lesson 00 and ``loopedu doctor``: what this machine
allows (measured by :mod:`loopedu.sandbox`), and lesson by lesson what runs live here.

Introduced in notebooks/00-start-here.ipynb.
"""

from __future__ import annotations

import socket
import sys
from dataclasses import dataclass, field

from .localhost import addresses_of
from .platforms import hosts_file_path
from .sandbox import Capabilities, capabilities

__all__ = ["Report", "LessonPlan", "LESSONS", "report", "lesson_plan", "format_report",
           "hosts_file_path", "localhost_addresses", "this_machine"]

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


@dataclass(frozen=True)
class LessonPlan:
    """One lesson on this machine: ``mode`` is ``"live"`` or ``"partly live"``."""

    number: str
    slug: str
    title: str
    mode: str
    why: str


@dataclass(frozen=True)
class Report:
    """The capability report (see :func:`report`): ``capabilities`` as measured (each a
    :class:`~loopedu.sandbox.Capability`, true when available), the hosts file, what
    ``localhost`` resolves to here, and the lesson plan."""

    capabilities: Capabilities
    hosts_file: str
    localhost_addresses: tuple
    lessons: tuple = field(default_factory=tuple)

    @property
    def reasons(self) -> dict:
        """Why each capability is there or not, by its report key."""
        return {key: getattr(self.capabilities, name).reason for key, name in _KEYS.items()}

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
        data.update({key: bool(getattr(caps, name)) for key, name in _KEYS.items()})
        data.update(hosts_file=self.hosts_file,
                    localhost_addresses=list(self.localhost_addresses),
                    reasons=self.reasons, mechanisms=self.mechanisms,
                    lessons=[{"lesson": p.number, "slug": p.slug, "title": p.title,
                              "mode": p.mode, "why": p.why} for p in self.lessons])
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


def _how(cap) -> str:
    return "as root" if cap.mechanism == "root" else "without root, in a user namespace"


def lesson_plan(caps: Capabilities) -> list[LessonPlan]:
    """Lesson by lesson: what runs live on a machine with these capabilities, and why.

    >>> from loopedu.sandbox import Capability
    >>> no = Capability(False, "needs Linux")
    >>> caps = capabilities()
    >>> import dataclasses
    >>> bare = dataclasses.replace(caps, network_namespaces=no, mount_namespaces=no)
    >>> [p.mode for p in lesson_plan(bare)][2:4]
    ['partly live', 'partly live']

    Introduced in notebooks/00-start-here.ipynb.
    """
    def plan(index: int, mode: str, why: str) -> LessonPlan:
        number, slug, title = LESSONS[index]
        return LessonPlan(number, slug, title, mode, why)

    netns, mountns = caps.network_namespaces, caps.mount_namespaces
    plans = [plan(0, "live", "this report, and the kernel's own loopback ports")]
    plans.append(plan(1, "live", "binds and connects across 127.0.0.0/8")
                 if caps.whole_127_range else
                 plan(1, "partly live", "only 127.0.0.1 answers here (as on macOS lo0); "
                                        "the other 127.x addresses are explained"))
    unix = hasattr(socket, "AF_UNIX") and sys.platform != "win32"
    extra = "" if unix else "; Unix-domain sockets explained (this Python has none)"
    plans.append(plan(2, "live", f"the ::1-first trap with a private hosts file, "
                                 f"{_how(mountns)}{extra}")
                 if mountns else
                 plan(2, "partly live", "your own resolver live; the ::1-first trap with "
                                        f"the resolver model, because {mountns.reason}{extra}"))
    plans.append(plan(3, "live", "reachability matrix and a virtual LAN of network "
                                 f"namespaces, {_how(netns)}")
                 if netns else
                 plan(3, "partly live", "reachability matrix live (its 0.0.0.0 listeners "
                                        "briefly on your real interfaces); the laptop/phone "
                                        f"LAN explained, because {netns.reason}"))
    plans.append(plan(4, "live", "interface counters, ping, and lo taken down in a "
                                 f"namespace, {_how(netns)}")
                 if netns else
                 plan(4, "partly live", "interface counters and ping live; lo taken down is "
                                        f"explained, because {netns.reason}"))
    plans.append(plan(5, "live", "dual-stack sockets on ::1 and ::")
                 if caps.ipv6_loopback else
                 plan(5, "partly live", f"IPv6 is off here ({caps.ipv6_loopback.reason}); "
                                        "the lesson shows what that breaks"))
    plans.append(_plan_06(plan, netns))
    capture = caps.root or netns
    plans.append(plan(7, "live", "a capture on lo "
                                 + ("as root" if caps.root else _how(netns))
                                 + ", round trips, throughput and the Nagle stall")
                 if capture else
                 plan(7, "partly live", "round trips, throughput and the Nagle stall live; "
                                        "the capture on lo is a recording, because it needs "
                                        f"root or namespaces ({netns.reason})"))
    plans.append(plan(8, "live", f"route_localnet and a DNAT in two namespaces {_how(netns)}, "
                                 "DNS rebinding against your own loopback servers")
                 if netns else
                 plan(8, "partly live", "DNS rebinding and 0.0.0.0 live; route_localnet is a "
                                        f"recording, because {netns.reason}"))
    return plans


def _plan_06(plan, netns) -> LessonPlan:
    """Lesson 06 on this machine: the container demo needs namespaces, the database
    demo a PostgreSQL server."""
    from . import postgres

    try:
        postgres.find_server()
        pg = ""
    except postgres.PostgresUnavailable as exc:
        pg = f"PostgreSQL is a recording ({exc.reason})"
    container = "" if netns else f"the container demo is a recording ({netns.reason})"
    missing = "; ".join(m for m in (container, pg) if m)
    if not missing:
        return plan(6, "live", f"a dev server, a container {_how(netns)}, a tunnel and a "
                               "throwaway PostgreSQL server")
    return plan(6, "partly live", f"a dev server and a tunnel live; {missing}")


def report(refresh: bool = False) -> Report:
    """Measure what this machine allows (once per process, unless ``refresh``) and plan
    the lessons.

    >>> [p.number for p in report().lessons] == [n for n, _, _ in LESSONS]
    True

    Introduced in notebooks/00-start-here.ipynb.
    """
    caps = capabilities(refresh=refresh)
    return Report(caps, hosts_file_path(), tuple(localhost_addresses()),
                  tuple(lesson_plan(caps)))


def format_report(rep: Report) -> str:
    """The text form of ``loopedu doctor``: capabilities, then the lesson plan.

    Introduced in notebooks/00-start-here.ipynb.
    """
    caps = rep.capabilities
    lines = [f"platform            {caps.platform} {caps.platform_release}",
             f"python              {caps.python}",
             f"root                {'yes' if caps.root else 'no'}"]
    for key, name in _KEYS.items():
        lines.append(f"{key:<20}{getattr(caps, name)}")
    lines.append(f"hosts_file          {rep.hosts_file}")
    shown = ", ".join(rep.localhost_addresses) or "(nothing: localhost does not resolve)"
    lines.append(f"localhost_addresses {shown}")
    lines.append("")
    lines.append("What runs live on this machine:")
    width = max((len(p.title) for p in rep.lessons), default=0) + 2
    for p in rep.lessons:
        lines.append(f"  {p.number} {p.title:<{width}}{p.mode:<13}{p.why}")
    return "\n".join(lines)
