"""What this machine allows: the capability report behind lesson 00 and ``loopedu doctor``.

Every value is measured, not assumed: ``ipv6_loopback`` binds and reaches ::1,
``whole_127_range`` binds and reaches 127.0.0.2, ``netns_lab`` creates (and at once
removes) a network namespace. Each capability that is missing carries its reason.

Introduced in notebooks/00-start-here.ipynb.
"""

from __future__ import annotations

import os
import platform
import socket
import subprocess
import sys
from dataclasses import asdict, dataclass, field

from .experiments import EXPLAIN_ERRNO, probe_loopback

__all__ = ["Report", "report", "hosts_file_path", "localhost_addresses", "lesson_plan",
           "format_report", "NETNS_PREFIX"]

#: Every network namespace the course creates starts with this, so stale ones can be found.
NETNS_PREFIX = "loopedu-"


@dataclass
class Report:
    """The capability report; ``asdict(report)`` is what ``loopedu doctor --json`` prints."""

    platform: str
    platform_release: str
    python: str
    root: bool
    ipv6_loopback: bool
    whole_127_range: bool
    netns_lab: bool
    mount_namespaces: bool
    hosts_file: str
    localhost_addresses: list
    reasons: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """Plain data, ready for json.dumps."""
        return asdict(self)


def hosts_file_path() -> str:
    """Where this OS keeps its hosts file.

    >>> hosts_file_path() in ("/etc/hosts", r"C:\\Windows\\System32\\drivers\\etc\\hosts")
    True

    Introduced in notebooks/00-start-here.ipynb.
    """
    if sys.platform == "win32":
        root = os.environ.get("SystemRoot", r"C:\Windows")
        return root + r"\System32\drivers\etc\hosts"
    return "/etc/hosts"


def localhost_addresses(name: str = "localhost") -> list[str]:
    """What getaddrinfo returns for ``name`` here, in order, duplicates kept.

    >>> "127.0.0.1" in localhost_addresses() or "::1" in localhost_addresses()
    True

    Introduced in notebooks/00-start-here.ipynb.
    """
    try:
        infos = socket.getaddrinfo(name, None, socket.AF_UNSPEC, socket.SOCK_STREAM)
    except socket.gaierror:
        return []
    return [info[4][0] for info in infos]


def _is_root() -> bool:
    geteuid = getattr(os, "geteuid", None)
    if geteuid is not None:
        return geteuid() == 0
    try:  # Windows: an elevated prompt is the nearest equivalent
        import ctypes
        return bool(ctypes.windll.shell32.IsUserAnAdmin())  # type: ignore[attr-defined]
    except Exception:
        return False


def _loopback_capability(address: str) -> tuple[bool, str]:
    result = probe_loopback(address)
    if result["connect"] == "connected":
        return True, f"bound and reached {address}"
    if result["bind"] != "ok":
        why = EXPLAIN_ERRNO.get(result["bind"], "")
        return False, f"binding {address} failed with {result['bind']}: {why}".rstrip(": ")
    return False, f"bound {address} but connecting gave '{result['connect']}'"


def _netns_capability(root: bool) -> tuple[bool, str]:
    from .netlab import LabUnavailable, lab_unavailable_reason, namespace

    if sys.platform.startswith("linux") and not root:
        return False, "creating network namespaces needs root (CAP_SYS_ADMIN)"
    why = lab_unavailable_reason()
    if why:
        return False, why
    try:
        with namespace("doctor", lo_up=False):
            pass
    except (LabUnavailable, OSError, subprocess.SubprocessError) as exc:
        return False, str(exc)
    return True, "created and removed a test namespace"


def _mount_ns_capability(root: bool) -> tuple[bool, str]:
    from .localhost import private_mount_unavailable_reason

    if sys.platform.startswith("linux") and not root:
        return False, "a private mount namespace (unshare -m) needs root"
    why = private_mount_unavailable_reason()
    if why:
        return False, why
    try:
        ok = subprocess.run(["unshare", "-m", "true"], capture_output=True, timeout=10)
    except (OSError, subprocess.SubprocessError) as exc:
        return False, f"`unshare -m` could not run: {exc}"
    if ok.returncode != 0:
        return False, "`unshare -m` was refused (a container without CAP_SYS_ADMIN?)"
    return True, "unshare -m works"


def report() -> Report:
    """Measure what this machine allows and return a :class:`Report`.

    Takes well under a second; creates nothing that outlives the call.

    >>> isinstance(report().ipv6_loopback, bool)
    True

    Introduced in notebooks/00-start-here.ipynb.
    """
    root = _is_root()
    reasons = {}
    ipv6, reasons["ipv6_loopback"] = _loopback_capability("::1")
    whole, reasons["whole_127_range"] = _loopback_capability("127.0.0.2")
    netns, reasons["netns_lab"] = _netns_capability(root)
    mountns, reasons["mount_namespaces"] = _mount_ns_capability(root)
    return Report(
        platform=platform.system() or sys.platform,
        platform_release=platform.release(),
        python=platform.python_version(),
        root=root,
        ipv6_loopback=ipv6,
        whole_127_range=whole,
        netns_lab=netns,
        mount_namespaces=mountns,
        hosts_file=hosts_file_path(),
        localhost_addresses=localhost_addresses(),
        reasons=reasons,
    )


def lesson_plan(rep: Report) -> list[tuple[str, str, str]]:
    """Lesson by lesson: (lesson, "live" / "partly live" / "explained", what and why).

    >>> plan = lesson_plan(report())
    >>> plan[0][0]
    '00 start here'

    Introduced in notebooks/00-start-here.ipynb.
    """
    unix = hasattr(socket, "AF_UNIX") and sys.platform != "win32"
    plan = [("00 start here", "live", "this report, and the kernel's own loopback ports")]
    if rep.whole_127_range:
        plan.append(("01 the loopback range", "live",
                     "binds and connects across 127.0.0.0/8"))
    else:
        plan.append(("01 the loopback range", "partly live",
                     "only 127.0.0.1 answers here (as on macOS lo0); the other 127.x "
                     "addresses are explained"))
    if rep.mount_namespaces:
        plan.append(("02 localhost is a name", "live",
                     "the ::1-first trap reproduced with a private hosts file (unshare -m)"))
    else:
        plan.append(("02 localhost is a name", "partly live",
                     "your own resolver live; the ::1-first trap with the resolver model, "
                     f"because {rep.reasons['mount_namespaces']}"))
    if rep.netns_lab:
        plan.append(("03 127.0.0.1 versus 0.0.0.0", "live",
                     "reachability matrix and a virtual LAN of network namespaces"))
    else:
        plan.append(("03 127.0.0.1 versus 0.0.0.0", "partly live",
                     "reachability matrix live; the laptop/phone LAN is explained, because "
                     f"{rep.reasons['netns_lab']}"))
    if rep.ipv6_loopback:
        plan.append(("04 IPv6 ::1", "live", "dual-stack sockets on ::1 and ::"))
    else:
        plan.append(("04 IPv6 ::1", "partly live",
                     f"IPv6 is off here ({rep.reasons['ipv6_loopback']}); the lesson shows "
                     "what that breaks"))
    plan.append(("05 loopback at work", "live" if unix else "partly live",
                 "RTT and throughput measured" + ("" if unix else
                                                   "; Unix-domain sockets explained")))
    if rep.netns_lab:
        plan.append(("06 when loopback leaks", "live",
                     "martians and route_localnet in network namespaces"))
    else:
        plan.append(("06 when loopback leaks", "partly live",
                     "DNS rebinding live on loopback; route_localnet explained, because "
                     f"{rep.reasons['netns_lab']}"))
    return plan


def format_report(rep: Report) -> str:
    """The text form of ``loopedu doctor``: capabilities, then the lesson plan.

    >>> "ipv6_loopback" in format_report(report())
    True

    Introduced in notebooks/00-start-here.ipynb.
    """
    yes = {True: "yes", False: "no"}
    lines = [
        f"platform            {rep.platform} {rep.platform_release}",
        f"python              {rep.python}",
        f"root                {yes[rep.root]}",
    ]
    for key in ("ipv6_loopback", "whole_127_range", "netns_lab", "mount_namespaces"):
        lines.append(f"{key:<20}{yes[getattr(rep, key)]:<4}({rep.reasons[key]})")
    lines.append(f"hosts_file          {rep.hosts_file}")
    shown = ", ".join(rep.localhost_addresses) or "(nothing: localhost does not resolve)"
    lines.append(f"localhost_addresses {shown}")
    lines.append("")
    lines.append("What runs live on this machine:")
    for lesson, mode, why in lesson_plan(rep):
        lines.append(f"  {lesson:<29}{mode:<13}{why}")
    return "\n".join(lines)
