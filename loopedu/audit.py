"""Which programs on this machine listen, and which of them the network can reach.

Read-only: it asks the OS (through psutil) for its listening TCP sockets and bound UDP
sockets and opens nothing. A socket is *exposed* when it listens beyond loopback: on
0.0.0.0 or :: (every interface) or on a non-loopback address.

Introduced in notebooks/04-loopback-interface.ipynb.
"""

from __future__ import annotations

import socket
import textwrap
from dataclasses import dataclass

from .addresses import is_loopback

__all__ = ["is_exposed", "Listening", "Audit", "audit", "listening_sockets",
           "exposure_report", "format_audit"]


def is_exposed(address: str) -> bool:
    """True when a socket bound to ``address`` can be reached from other machines: any
    address but loopback (127.0.0.0/8, ::1, and IPv4-mapped ``::ffff:127.x.y.z``, which
    some Python releases' ``ipaddress`` does not call loopback, gh-117566). An address
    that cannot be read is not called safe.

    >>> is_exposed("127.0.0.1"), is_exposed("0.0.0.0"), is_exposed("::"), is_exposed("::1")
    (False, True, True, False)

    Introduced in notebooks/03-bind-address.ipynb.
    """
    try:
        return not is_loopback(address.split("%")[0])
    except (ValueError, TypeError):
        return True


def _listening(conn) -> bool:
    if not conn.laddr:
        return False
    if conn.type == socket.SOCK_STREAM:
        return conn.status == "LISTEN"
    return not conn.raddr  # UDP: bound and not connected to one peer


@dataclass(frozen=True)
class Listening:
    """One listening TCP socket or bound UDP socket: ``protocol`` is ``"tcp"``,
    ``"tcp6"``, ``"udp"`` or ``"udp6"``; ``pid`` and ``process`` are None where this user
    may not see who owns it; ``exposed`` is :func:`is_exposed` of its address."""

    address: str
    port: int
    protocol: str
    pid: int | None
    process: str | None
    exposed: bool

    @property
    def who(self) -> str:
        """The owning process in words."""
        if not self.pid:
            return "an unknown process"
        return f"{self.process or '?'} (pid {self.pid})"

    def to_dict(self) -> dict:
        """Plain data: ``process`` is ``{"pid", "name"}`` or None."""
        return {"address": self.address, "port": self.port, "protocol": self.protocol,
                "process": {"pid": self.pid, "name": self.process} if self.pid else None,
                "exposed": self.exposed}


@dataclass(frozen=True)
class Audit:
    """The sockets (exposed ones first), how they were listed (``"system-wide"``, or
    ``"per-process"`` where the OS refuses the system-wide list, as macOS does without
    root), and what stayed hidden, in sentences."""

    sockets: tuple
    method: str
    could_not_see: tuple

    def to_dict(self) -> dict:
        """What ``loopedu audit --json`` prints."""
        return {"sockets": [r.to_dict() for r in self.sockets], "method": self.method,
                "could_not_see": list(self.could_not_see)}


def _row(conn, pid: int | None, name: str | None) -> Listening:
    tcp = conn.type == socket.SOCK_STREAM
    protocol = ("tcp" if tcp else "udp") + ("6" if conn.family == socket.AF_INET6 else "")
    return Listening(conn.laddr[0], conn.laddr[1], protocol, pid or None,
                     name if pid else None, is_exposed(conn.laddr[0]))


def _process_name(pid: int) -> str | None:
    import psutil

    try:
        return psutil.Process(pid).name()
    except (psutil.Error, OSError):
        return None


def _system_wide() -> list:
    """[(conn, pid)] from psutil.net_connections; raises psutil.AccessDenied on macOS
    without root."""
    import psutil

    return [(c, c.pid) for c in psutil.net_connections(kind="inet") if _listening(c)]


def _per_process(hidden: list) -> list:
    """[(conn, pid)] process by process, for the processes we may inspect; the others
    are appended to ``hidden``."""
    import psutil

    found = []
    for proc in psutil.process_iter(["name"]):
        lister = getattr(proc, "net_connections", None) or proc.connections  # psutil < 6
        try:
            found += [(c, proc.pid) for c in lister(kind="inet") if _listening(c)]
        except psutil.AccessDenied:
            hidden.append(f"{proc.info['name']} (pid {proc.pid})")
        except psutil.NoSuchProcess:
            pass
    return found


def audit() -> Audit:
    """This machine's listening sockets, and what could not be seen (read-only).

    >>> from loopedu.servers import listener
    >>> with listener("127.0.0.1") as srv:
    ...     mine = [r for r in audit().sockets if r.port == srv.port]
    >>> mine[0].protocol, mine[0].exposed
    ('tcp', False)

    Introduced in notebooks/04-loopback-interface.ipynb.
    """
    import psutil

    hidden: list[str] = []
    try:
        found, method = _system_wide(), "system-wide"
    except psutil.AccessDenied:
        found, method = _per_process(hidden), "per-process"
    names: dict = {}
    rows, seen = [], set()
    for conn, pid in found:
        if pid and pid not in names:
            names[pid] = _process_name(pid)
        row = _row(conn, pid, names.get(pid))
        key = (row.protocol, row.address, row.port, pid)
        if key not in seen:  # a socket shared by forked workers is listed once each
            seen.add(key)
            rows.append(row)
    rows.sort(key=lambda r: (not r.exposed, r.protocol, r.port, r.address))
    could_not_see = []
    if hidden:
        could_not_see.append(
            f"the sockets of {len(hidden)} processes this user may not inspect (run as "
            f"administrator to see them): {', '.join(hidden[:8])}"
            + (" ..." if len(hidden) > 8 else ""))
    unknown = sum(1 for r in rows if r.pid is None)
    if unknown:
        could_not_see.append(f"which process owns {unknown} of the sockets (another "
                             "user's, or one outside this container's view)")
    return Audit(tuple(rows), method, tuple(could_not_see))


def listening_sockets() -> list[Listening]:
    """This machine's listening TCP sockets and bound UDP sockets, exposed ones first
    (:func:`audit`'s sockets).

    Introduced in notebooks/04-loopback-interface.ipynb.
    """
    return list(audit().sockets)


def exposure_report(rows, could_not_see=()) -> str:
    """A short text: what on this machine is open to the network, and why that matters.

    >>> report = exposure_report([Listening("0.0.0.0", 8000, "tcp", None, None, True)])
    >>> for line in report.splitlines()[:2]:
    ...     print(line)
    1 of 1 listening sockets can be reached from other machines:
      tcp  0.0.0.0:8000   an unknown process, on every interface

    Introduced in notebooks/04-loopback-interface.ipynb.
    """
    exposed = [r for r in rows if r.exposed]
    lines = [f"{len(exposed)} of {len(rows)} listening sockets can be reached from "
             "other machines:"]
    for row in exposed:
        where = "every interface" if row.address in ("0.0.0.0", "::") else "a network address"
        host = f"[{row.address}]" if ":" in row.address else row.address
        lines.append(f"  {row.protocol:<5}{host}:{row.port:<6} {row.who}, on {where}")
    if exposed:
        lines.append("Anyone on the same network (café Wi-Fi, a classroom, other "
                     "containers) can try to connect to these, unless a firewall stops "
                     "them. Services only this machine uses should bind 127.0.0.1 or ::1: "
                     "the most restrictive bind that meets the need.")
    else:
        lines.append("  none: everything listens on loopback only.")
    local = len(rows) - len(exposed)
    lines.append(f"{local} listen{'s' if local == 1 else ''} on loopback only: programs on "
                 "this machine can reach them, nothing on the network can.")
    lines += [f"Not visible: {what}." for what in could_not_see]
    return "\n".join(lines)


def format_audit(result: Audit, report: bool = True, brief: bool = False) -> str:
    """The text form of :func:`audit` (``loopedu audit``): a table, then the report
    (:func:`exposure_report`); with ``report=False``, the table and one line of counts.
    ``brief=True`` (with ``report=False``) lists the exposed sockets one by one and the
    loopback ones as one line per address (the lesson's main path).
    The address column is as wide as the longest address, so that the table prints
    in large type.

    >>> rows = (Listening("0.0.0.0", 22, "tcp", 9, "sshd", True),
    ...         Listening("127.0.0.1", 5432, "tcp", 7, "postgres", False))
    >>> print(format_audit(Audit(rows, "system-wide", ()), report=False))
    proto address     port  exposed process
    tcp   0.0.0.0       22  yes     sshd (pid 9)
    tcp   127.0.0.1   5432  no      postgres (pid 7)
    1 of 2 listening sockets can be reached from other machines (exposed: yes).

    Introduced in notebooks/04-loopback-interface.ipynb.
    """
    width = max([len("address"), *(len(row.address) for row in result.sockets)]) + 2
    lines = [f"{'proto':<6}{'address':<{width}}{'port':>5}  {'exposed':<8}process"]
    for row in result.sockets:
        if not (brief and not row.exposed):
            lines.append(f"{row.protocol:<6}{row.address:<{width}}{row.port:>5}  "
                         f"{'yes' if row.exposed else 'no':<8}{row.who}")
    if brief:
        inside = sorted({row.address for row in result.sockets if not row.exposed})
        for address in inside:
            count = sum(1 for row in result.sockets if row.address == address)
            plural = "s" if count > 1 else ""
            lines.append(f"{'':<6}{address:<{width}}{'':>5}  {'no':<8}{count} socket{plural}")
    if not report:
        exposed = sum(1 for row in result.sockets if row.exposed)
        lines.append(f"{exposed} of {len(result.sockets)} listening sockets can be reached "
                     "from other machines (exposed: yes).")
        lines += [textwrap.fill(f"Not visible: {what}.", 88, subsequent_indent="  ")
                  for what in result.could_not_see]
        return "\n".join(lines)
    lines.append("")
    # prose lines wrapped at 90 characters, so that a printed handout does not clip them
    lines += [textwrap.fill(line, 90) if len(line) > 90 and not line.startswith(" ")
              else line for line in
              exposure_report(result.sockets, result.could_not_see).splitlines()]
    return "\n".join(lines)
