"""``lo`` down, both cases: a loopback that was never up, and one that was up and is then
set down, behave differently.

Two fresh network namespaces (:mod:`loopedu.sandbox`, as root or inside an unprivileged
user namespace; removed whatever happens):

- **never up**: a brand-new namespace, whose ``lo`` starts DOWN (network_namespaces(7)).
  It has no address at all and no local routing table: ``ip route show table local``
  says "FIB table does not exist". connect() to 127.0.0.1 fails at once with
  ENETUNREACH (no route), ping cannot even send. And bind() accepts any IPv4 address,
  198.51.100.7 as well as 127.0.0.1: with no local table the kernel's address-type
  lookup answers "broadcast", which bind allows (``__inet_dev_addr_type`` in
  net/ipv4/fib_frontend.c starts from RTN_BROADCAST and only looks further when the
  table exists). So "bind ok" proves nothing about 127/8 being configured.
- **up, then down**: ``ip link set lo up`` then ``ip link set lo down``, as on a real
  machine or a container whose ``lo`` has been up. 127.0.0.1/8 stays on ``lo`` and so
  do the ``local 127.0.0.0/8 dev lo`` routes: the kernel routes the SYN to ``lo``,
  which drops it, so connect() to 127.0.0.1 times out (there is no error to report)
  and ping gets no reply. 198.51.100.7 is now refused by bind (EADDRNOTAVAIL): the local
  table exists and it is not in it.

In both, ::1 is gone (EADDRNOTAVAIL): the kernel removes IPv6 addresses from an
interface that goes down and adds ::1 only when ``lo`` comes up (ipv6 addrconf).
A server listening on 127.0.0.1 inside the namespace changes none of this.

Only 127.0.0.1, ::1 and 198.51.100.7 (TEST-NET-2, RFC 5737, never bound to anything)
are used, inside the namespaces. Where namespaces cannot be made,
:func:`lo_down_demo` gives the result recorded on Linux, labelled with where and when.

Introduced in notebooks/04-loopback-interface.ipynb.
"""

from __future__ import annotations

import socket
import time
from dataclasses import asdict, dataclass

from .connections import errno_name
from .measure.icmp_echo import Ping, ping
from .sandbox import find_tool, namespaces
from .sandbox.recordings import Provenance, load_recording, measured_or_recorded, save_recording
from .sandbox.tools import run
from .servers import listener

__all__ = ["NEVER_UP", "UP_THEN_DOWN", "OTHER_ADDRESS", "RECORDING", "RECORDED_EXPLANATION",
           "LoState", "LoDown", "lo_state", "lo_down_cases", "recorded_lo_down",
           "lo_down_demo", "format_lo_down", "record"]

#: The two cases, by name.
NEVER_UP = "lo never up"
UP_THEN_DOWN = "lo up, then down"
#: An address no interface has: TEST-NET-2 (RFC 5737), only ever bound, never sent to.
OTHER_ADDRESS = "198.51.100.7"
#: The name of the recording (loopedu/data/lo-down-04-recorded.json).
RECORDING = "lo-down-04"

#: Why a recorded result is shown, in one paragraph.
RECORDED_EXPLANATION = (
    "This machine cannot make network namespaces (a Linux feature that needs root or "
    "unprivileged user namespaces), so the results below were recorded by running the "
    "same experiment on Linux; the label says where and when. They show Linux's own "
    "rules: a namespace whose lo was never up has no local table (ENETUNREACH at once, "
    "and bind accepts any IPv4 address), while a lo that was up and is then set down "
    "keeps 127.0.0.1 and its local routes, so a connection times out and ping gets no "
    "reply; ::1 is gone in both.")


@dataclass(frozen=True)
class LoState:
    """One namespace, measured from inside. ``addresses`` are the lines of ``ip -o addr
    show dev lo``; ``local_table`` those of ``ip route show table local`` (empty, and
    ``local_table_error`` says why, when ``ip`` fails: "FIB table does not exist").
    ``bind_127`` is the bind of a listener on 127.0.0.1 (port 0); ``connect`` what a
    connect() to that listener gave (``"connected"``, ``"timeout"`` or an errno name
    such as ``"ENETUNREACH"``) after ``connect_ms``; ``ping`` a
    :func:`loopedu.measure.icmp_echo.ping` of 127.0.0.1; ``bind_v6`` and ``bind_other`` the binds
    of ``::1`` and of :data:`OTHER_ADDRESS` (``"ok"`` or an errno name).

    Introduced in notebooks/04-loopback-interface.ipynb.
    """

    case: str
    addresses: tuple
    local_table: tuple
    local_table_error: str
    bind_127: str
    connect: str
    connect_ms: float
    ping: Ping
    bind_v6: str
    bind_other: str

    @property
    def ping_outcome(self) -> str:
        """The ping in words: ``"reply"``, ``"no reply"``, the errno of a send that
        failed (``"ENETUNREACH"``), or ``"not run: ..."`` where ICMP is not allowed."""
        if self.ping.method is None:
            return "not run: " + "; ".join(f"{m}: {w}" for m, w in self.ping.tried.items())
        if self.ping.replies:
            return "reply"
        return self.ping.error if self.ping.sent == 0 and self.ping.error else "no reply"

    @property
    def outcomes(self) -> dict:
        """What the lesson compares, in words."""
        return {"127.0.0.1 on lo": any(" 127.0.0.1/8 " in f" {a} " for a in self.addresses),
                "local table": not self.local_table_error,
                "connect 127.0.0.1": self.connect, "ping 127.0.0.1": self.ping_outcome,
                "bind ::1": self.bind_v6, f"bind {OTHER_ADDRESS}": self.bind_other}


@dataclass(frozen=True)
class LoDown(Provenance):
    """Both cases (:data:`NEVER_UP`, then :data:`UP_THEN_DOWN`), and where the result
    comes from (:class:`~loopedu.sandbox.recordings.Provenance`).

    Introduced in notebooks/04-loopback-interface.ipynb.
    """

    cases: tuple

    @property
    def outcomes(self) -> dict:
        """``{case: LoState.outcomes}``."""
        return {state.case: state.outcomes for state in self.cases}

    def to_dict(self) -> dict:
        """Plain data, ready for json.dumps."""
        return {**super().to_dict(),
                "cases": [{**asdict(s), "ping": s.ping.to_dict(), "outcomes": s.outcomes}
                          for s in self.cases]}


def _lines(text: str) -> tuple:
    return tuple(line.rstrip() for line in text.splitlines() if line.strip())


def _bind(family: int, address: str) -> str:
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((address, 0))
        except OSError as exc:
            return errno_name(exc)
    return "ok"


def _connect(port: int, timeout: float) -> tuple[str, float]:
    start = time.perf_counter()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect(("127.0.0.1", port))
            outcome = "connected"
        except (socket.timeout, TimeoutError):
            outcome = "timeout"
        except OSError as exc:
            outcome = errno_name(exc)
    return outcome, (time.perf_counter() - start) * 1000


def lo_state(case: str, connect_timeout: float = 2.0, ping_timeout: float = 1.0) -> LoState:
    """Measure this namespace's ``lo`` (run inside one, in a child): what ``ip`` lists,
    a connect() to a listener on 127.0.0.1 (``connect_timeout`` seconds at most), one
    ping of 127.0.0.1, and the binds of ::1 and :data:`OTHER_ADDRESS`.

    Introduced in notebooks/04-loopback-interface.ipynb.
    """
    ip = find_tool("ip") or "ip"
    addresses = _lines(run([ip, "-o", "addr", "show", "dev", "lo"]).stdout)
    table = run([ip, "route", "show", "table", "local"])
    error = "" if table.returncode == 0 else (_lines(table.stderr) or ("failed",))[0]
    try:
        with listener("127.0.0.1") as srv:
            connect, ms = _connect(srv.port, connect_timeout)
        bind_127 = "ok"
    except OSError as exc:
        bind_127, connect, ms = errno_name(exc), "not run: no listener", 0.0
    echo = ping("127.0.0.1", 1, ping_timeout)
    return LoState(case, addresses, _lines(table.stdout) if not error else (), error,
                   bind_127, connect, round(ms, 1), echo,
                   _bind(socket.AF_INET6, "::1"), _bind(socket.AF_INET, OTHER_ADDRESS))


def lo_down_cases(connect_timeout: float = 2.0, ping_timeout: float = 1.0) -> LoDown:
    """Measure both cases in two fresh namespaces (see the module's text): one whose
    ``lo`` was never up, one whose ``lo`` was brought up and then set down. On Linux the
    connect gives ENETUNREACH in the first and ``"timeout"`` (after
    ``connect_timeout``) in the second. Raises
    :class:`loopedu.sandbox.NamespaceUnavailable` where namespaces cannot be made
    (:func:`lo_down_demo` shows the recorded result then).

    Introduced in notebooks/04-loopback-interface.ipynb.
    """
    child = 30 + connect_timeout + ping_timeout
    with namespaces("lonever", "lodown", lo_up=False) as (never, down):
        down.ip("link", "set", "lo", "up")
        down.ip("link", "set", "lo", "down")
        cases = tuple(ns.call("loopedu.lo_down:lo_state", case, connect_timeout,
                              ping_timeout, timeout=child)
                      for ns, case in ((never, NEVER_UP), (down, UP_THEN_DOWN)))
        mechanism = never.mechanism
    return LoDown(cases, mechanism=mechanism,
                  where=f"measured here, in two network namespaces made as {mechanism}")


def recorded_lo_down() -> LoDown:
    """The result recorded on Linux (``loopedu/data/lo-down-04-recorded.json``; its
    ``where`` says where, when and how), for machines that cannot make namespaces.

    >>> recorded_lo_down().outcomes["lo never up"]["connect 127.0.0.1"]
    'ENETUNREACH'

    Introduced in notebooks/04-loopback-interface.ipynb.
    """
    return load_recording(RECORDING)


def lo_down_demo(connect_timeout: float = 2.0, ping_timeout: float = 1.0) -> LoDown:
    """:func:`lo_down_cases` where namespaces can be made; elsewhere
    :func:`recorded_lo_down`, with ``why_recorded`` saying why.

    Introduced in notebooks/04-loopback-interface.ipynb.
    """
    return measured_or_recorded(lo_down_cases, RECORDING, connect_timeout, ping_timeout)


def record(path=None) -> dict:
    """Run :func:`lo_down_cases` here and save it as the recording (Linux, best as root:
    ``python -c "from loopedu import lo_down; lo_down.record()"``).

    Introduced in notebooks/04-loopback-interface.ipynb.
    """
    return save_recording(RECORDING, lo_down_cases(), path=path)


def format_lo_down(result: LoDown, brief: bool = False) -> str:
    """Text for a :class:`LoDown`: what ``ip`` lists, then each operation, per case.
    ``brief=True`` keeps lo's address, the local table's 127/8 route, the connect, the
    ping and ``bind ::1`` (the lesson's main path).

    Introduced in notebooks/04-loopback-interface.ipynb.
    """
    lines = result.provenance_lines(RECORDED_EXPLANATION)
    if brief:
        for state in result.cases:
            address = "; ".join(" ".join(a.split("\\")[0].split()[2:4])
                                for a in state.addresses) or "(nothing)"
            wide = [r for r in state.local_table if "127.0.0.0/8" in r]
            table = (" ".join(wide[0].split()[:4]) if wide else
                     "(none)" if state.local_table_error else "(no 127/8 route)")
            wait = f" after {state.connect_ms / 1000:.1f} s" \
                if state.connect == "timeout" else ""
            rows = [("address on lo", address), ("local table", table),
                    ("connect 127.0.0.1", state.connect + wait),
                    ("ping 127.0.0.1", state.ping_outcome), ("bind ::1", state.bind_v6)]
            lines.append(f"{state.case}:")
            lines += [f"  {what + ':':<20}{value}" for what, value in rows]
        return "\n".join(lines)
    for state in result.cases:
        lines.append(f"{state.case}:")
        lines.append("  ip -o addr show dev lo: "
                     + ("; ".join(a.split("\\")[0].split(None, 2)[-1].strip()
                                  for a in state.addresses) or "(nothing)"))
        lines.append("  ip route show table local: "
                     + (state.local_table_error or f"{len(state.local_table)} routes"))
        lines += [f"    {route}" for route in state.local_table]
        wait = f" after {state.connect_ms / 1000:.1f} s" if state.connect == "timeout" else ""
        rows = [("bind 127.0.0.1 (a listener)", state.bind_127),
                ("connect to it", state.connect + wait),
                ("ping 127.0.0.1", state.ping_outcome), ("bind ::1", state.bind_v6),
                (f"bind {OTHER_ADDRESS}", state.bind_other)]
        lines += [f"  {what + ':':<30}{value}" for what, value in rows]
    return "\n".join(lines)
