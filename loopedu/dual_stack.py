"""Lesson 05's live experiments: is IPv6 on, dual-stack sockets and IPV6_V6ONLY, the
"is this client local?" check that IPv4-mapped addresses break, and a machine with
IPv6 switched off.

The experiments that listen on ``::`` run in a network namespace of their own wherever
one can be made (:func:`loopedu.sandbox.isolated_call`), with this machine's IPv6
settings, so nothing is reachable from the network while they run; elsewhere they say
"not run" unless the learner passes ``expose=True``. :func:`ipv6_off_demo` makes a
namespace with IPv6 disabled.

Introduced in notebooks/05-ipv6-loopback.ipynb.
"""

from __future__ import annotations

import ipaddress
import platform
import socket
from dataclasses import dataclass, replace

from .addresses import is_loopback
from .connections import EXPLAIN_ERRNO, Kind, Outcome, errno_name
from .listen_guard import may_listen
from .platforms import DUAL_STACK_DEFAULTS
from .sandbox import ChildError, NamespaceUnavailable, capabilities, isolated_call, namespace
from .servers import listener, probe

NOT_RUN = Kind.NOT_RUN.value   # a case the course would not listen for here

__all__ = ["IPv6Status", "ipv6_status", "DualStackDefault", "platform_dual_stack_default",
           "DualStackCase", "DualStack", "dual_stack", "dual_stack_key", "format_dual_stack",
           "LocalityCheck", "locality_check_demo", "IPv6Off", "ipv6_off_demo",
           "IPV6_OFF_SYSCTLS"]


@dataclass(frozen=True)
class IPv6Status:
    """Can this machine use ::1? ``errno`` is None when ::1 binds and answers,
    ``EADDRNOTAVAIL`` where IPv6 is disabled (``disable_ipv6=1``, common in containers),
    ``EAFNOSUPPORT`` where it is compiled out or the kernel was booted with
    ``ipv6.disable=1``."""

    available: bool
    errno: str | None
    explain: str


def ipv6_status() -> IPv6Status:
    """Bind ::1 and connect to it; never raises.

    Introduced in notebooks/05-ipv6-loopback.ipynb.
    """
    result = probe("::1")
    if result.reached:
        return IPv6Status(True, None, "::1 binds and answers")
    code = result.bind if result.bind != "ok" else (result.connect.errno or str(result.connect))
    return IPv6Status(False, code, EXPLAIN_ERRNO.get(
        code, f"binding ::1 worked but connecting gave '{result.connect}'"))


@dataclass(frozen=True)
class DualStackDefault:
    """This platform's dual-stack default, measured and documented: ``bindv6only`` is
    the Linux sysctl (None elsewhere), ``new_socket_v6only`` the IPV6_V6ONLY of a fresh
    AF_INET6 socket here (None if none can be made), ``documented`` the entry of
    :data:`~loopedu.platforms.DUAL_STACK_DEFAULTS` (None without a source)."""

    system: str
    bindv6only: int | None
    new_socket_v6only: bool | None
    documented: dict | None


def _read_bindv6only() -> int | None:
    try:
        with open("/proc/sys/net/ipv6/bindv6only", encoding="ascii") as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def _new_socket_v6only() -> bool | None:
    try:
        sock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    except OSError:
        return None
    with sock:
        try:
            return bool(sock.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY))
        except (OSError, AttributeError):
            return None


def platform_dual_stack_default(system: str | None = None) -> DualStackDefault:
    """The dual-stack default of ``system`` (default: this one); measured only here.

    >>> platform_dual_stack_default("Windows").documented["v6only"]
    True

    Introduced in notebooks/05-ipv6-loopback.ipynb.
    """
    here = platform.system()
    system = system or here
    return DualStackDefault(system,
                            _read_bindv6only() if system == here == "Linux" else None,
                            _new_socket_v6only() if system == here else None,
                            DUAL_STACK_DEFAULTS.get(system))


@dataclass(frozen=True)
class DualStackCase:
    """A listener on ``::`` with IPV6_V6ONLY ``v6only``: the IPv4 client to 127.0.0.1
    and the IPv6 client to ::1 (outcome, and the address the server saw), and what
    binding 0.0.0.0 on the same port then gives. ``bind`` is ``"ok"``, the errno, or
    ``"not run"`` where the course would not listen on ``::`` here."""

    v6only: bool
    bind: str
    port: int | None = None
    ipv4_client: Outcome | None = None
    server_saw_ipv4: str | None = None
    ipv6_client: Outcome | None = None
    server_saw_ipv6: str | None = None
    second_bind: str | None = None


@dataclass(frozen=True)
class DualStack:
    """What :func:`dual_stack` measured, and where it ran."""

    ipv6: IPv6Status
    default: DualStackDefault
    cases: tuple
    isolated: bool
    where: str
    exposures: tuple = ()

    def case(self, v6only: bool) -> DualStackCase:
        """The case with IPV6_V6ONLY off (False) or on (True)."""
        return next(c for c in self.cases if c.v6only == v6only)


def _second_bind(port: int) -> str:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("0.0.0.0", port))
            return "ok"
        except OSError as exc:
            return errno_name(exc)


def dual_stack_here(timeout: float = 1.0, expose: bool = False) -> tuple[tuple, tuple]:
    """Both cases on this process's network stack; returns (cases, exposures). Both
    are ``"not run"`` where the course may not listen on ``::`` here."""
    cases, exposures = [], []
    for v6only in (False, True):
        if not may_listen("::", expose):
            cases.append(DualStackCase(v6only, NOT_RUN))
            continue
        try:
            with listener("::", v6only=v6only, expose=expose) as srv:
                v4, saw4 = srv.reach("127.0.0.1", timeout)
                v6, saw6 = srv.reach("::1", timeout)
                cases.append(DualStackCase(v6only, "ok", srv.port, v4, saw4 and saw4[0], v6,
                                           saw6 and saw6[0], _second_bind(srv.port)))
        except OSError as exc:
            cases.append(DualStackCase(v6only, errno_name(exc)))
            continue
        exposures += [e for e in [srv.exposure()] if e]
    return tuple(cases), tuple(exposures)


def dual_stack(timeout: float = 1.0, *, expose: bool = False) -> DualStack:
    """A listener on ``::`` with IPV6_V6ONLY off, then on; what clients get.

    For each case an IPv4 client connects to 127.0.0.1 and an IPv6 client to ::1 on
    the listener's port; the server records whom it saw (``::ffff:127.0.0.1`` for the
    IPv4 client of a dual-stack socket); then 0.0.0.0 is bound on the same port (the
    EADDRINUSE that dual stack causes). Where IPv6 is disabled a socket on ``::`` still
    binds and still takes IPv4; only the ::1 client fails. Never raises.

    >>> str(dual_stack().case(v6only=False).second_bind)   # Linux
    'EADDRINUSE'

    Introduced in notebooks/05-ipv6-loopback.ipynb.
    """
    run = isolated_call("loopedu.dual_stack:dual_stack_here", timeout, expose=expose)
    cases, exposures = run.result
    return DualStack(ipv6_status(), platform_dual_stack_default(), cases, run.isolated,
                     run.reason, () if run.isolated else exposures)


def dual_stack_key(result: DualStack) -> dict:
    """The outcomes of :func:`dual_stack` in the words of the lesson's demo
    (``loopedu.exercises.lesson05.DUAL_STACK_KEY``).

    Introduced in notebooks/05-ipv6-loopback.ipynb.
    """
    off, on = result.case(False), result.case(True)
    return {"off: IPv4 to 127.0.0.1": str(off.ipv4_client),
            "off: server sees": off.server_saw_ipv4,
            "off: bind 0.0.0.0 same port": off.second_bind,
            "on: IPv4 to 127.0.0.1": str(on.ipv4_client),
            "on: bind 0.0.0.0 same port": on.second_bind}


def format_dual_stack(result: DualStack) -> str:
    """The text form of :func:`dual_stack`.

    Introduced in notebooks/05-ipv6-loopback.ipynb.
    """
    lines = []
    for case in result.cases:
        name = f"v6only {'on' if case.v6only else 'off'}"
        if case.bind == NOT_RUN:
            lines.append(f"{name}: not run (it listens on ::, see below)")
            continue
        if case.bind != "ok":
            lines.append(f"{name}: binding :: failed with {case.bind}: "
                         f"{EXPLAIN_ERRNO.get(case.bind, '')}")
            continue
        lines.append(f"{name} (listener on [::] port {case.port}):")
        lines.append(f"  IPv4 client -> 127.0.0.1: {str(case.ipv4_client):<22} server saw "
                     f"{case.server_saw_ipv4 or '-'}")
        lines.append(f"  IPv6 client -> ::1:       {str(case.ipv6_client):<22} server saw "
                     f"{case.server_saw_ipv6 or '-'}")
        lines.append(f"  then bind 0.0.0.0 on that port: {case.second_bind}")
    if not result.ipv6.available:
        lines.append(f"IPv6 loopback is off here ({result.ipv6.errno}: {result.ipv6.explain})")
    lines.append(f"({result.where})")
    lines += [f"note: {e}" for e in result.exposures]
    return "\n".join(lines)


@dataclass(frozen=True)
class LocalityCheck:
    """A dual-stack server's view of a client from 127.0.0.1, judged two ways:
    ``naive`` is ``ipaddress.ip_address(peer).is_loopback`` on this Python, ``loopedu``
    is :func:`loopedu.addresses.is_loopback`. ``bind`` is ``"ok"`` or the errno when no
    dual-stack socket can be made (then the other values are None)."""

    bind: str
    python: str
    server_saw: str | None = None
    naive: bool | None = None
    loopedu: bool | None = None


def locality_here(timeout: float = 1.0, expose: bool = False) -> LocalityCheck:
    """:func:`locality_check_demo` on this process's network stack."""
    python = platform.python_version()
    if not may_listen("::", expose):
        return LocalityCheck(NOT_RUN, python)
    try:
        with listener("::", v6only=False, expose=expose) as srv:
            _, saw = srv.reach("127.0.0.1", timeout)
    except OSError as exc:
        return LocalityCheck(errno_name(exc), python)
    if saw is None:
        return LocalityCheck("ok", python)
    peer = saw[0]
    return LocalityCheck("ok", python, peer, ipaddress.ip_address(peer).is_loopback,
                         is_loopback(peer))


def locality_check_demo(timeout: float = 1.0, *, expose: bool = False) -> LocalityCheck:
    """A real dual-stack server on ``::`` accepts a client from 127.0.0.1 and asks "is
    this client local?" two ways. Whether ``ipaddress`` unwraps the mapped address
    depends on the exact Python release (gh-117566, fixed in 3.13, backported to 3.12,
    reported in 3.11.11): the result says what this one does.

    >>> locality_check_demo().loopedu
    True

    Introduced in notebooks/05-ipv6-loopback.ipynb.
    """
    return isolated_call("loopedu.dual_stack:locality_here", timeout, expose=expose).result


#: The switches that turn IPv6 off in a network namespace, as containers often do.
IPV6_OFF_SYSCTLS = ("net.ipv6.conf.all.disable_ipv6", "net.ipv6.conf.default.disable_ipv6",
                    "net.ipv6.conf.lo.disable_ipv6")


@dataclass(frozen=True)
class IPv6Off:
    """A network stack with IPv6 switched off (``disable_ipv6=1``), measured.

    ``bind_loopback`` is what binding ::1 gave (``"ok"`` or an errno name);
    ``dual_stack_bind`` what binding ``::`` with IPV6_V6ONLY off gave, and
    ``ipv4_client``/``server_saw`` what an IPv4 client to 127.0.0.1 got from that
    socket and whom the server saw. ``ran`` is False (the rest None) where no such
    stack was at hand; ``where`` says where it ran, or why it did not."""

    ran: bool
    where: str
    bind_loopback: str | None = None
    dual_stack_bind: str | None = None
    ipv4_client: Outcome | None = None
    server_saw: str | None = None


def _bind_loopback6() -> str:
    try:
        sock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    except OSError as exc:
        return errno_name(exc)
    with sock:
        try:
            sock.bind(("::1", 0))
            return "ok"
        except OSError as exc:
            return errno_name(exc)


def ipv6_off_here(timeout: float = 1.0, expose: bool = False) -> IPv6Off:
    """:func:`ipv6_off_demo`'s measurements on this process's network stack."""
    bound = _bind_loopback6()
    if not may_listen("::", expose):
        return IPv6Off(True, "here", bound, NOT_RUN)
    try:
        with listener("::", v6only=False, expose=expose) as srv:
            outcome, saw = srv.reach("127.0.0.1", timeout)
    except OSError as exc:
        return IPv6Off(True, "here", bound, errno_name(exc))
    return IPv6Off(True, "here", bound, "ok", outcome, saw[0] if saw else None)


def ipv6_off_demo(timeout: float = 1.0, *, expose: bool = False) -> IPv6Off:
    """What fails on a machine with IPv6 disabled, and what does not: binding ::1, and a
    socket on ``::`` (IPV6_V6ONLY off) taking an IPv4 client.

    Runs in a network namespace of its own with ``disable_ipv6=1`` (only ``lo``, so
    nothing is reachable from the network); where IPv6 is already off here, in an
    isolated copy of this machine's settings. Observed on Linux: ::1 gives
    EADDRNOTAVAIL, while the socket on ``::`` still binds and still takes IPv4, seen
    as ``::ffff:127.0.0.1``. Never raises: ``ran`` is False where IPv6 is on and no
    namespace can be made; where IPv6 is off here and no namespace can be made, the
    socket on ``::`` is "not run" unless ``expose=True``.

    >>> r = ipv6_off_demo()   # Linux with network namespaces
    >>> r.bind_loopback, str(r.ipv4_client), r.server_saw
    ('EADDRNOTAVAIL', 'connected', '::ffff:127.0.0.1')

    Introduced in notebooks/05-ipv6-loopback.ipynb.
    """
    if not ipv6_status().available:
        run = isolated_call("loopedu.dual_stack:ipv6_off_here", timeout, expose=expose)
        return replace(run.result,
                       where=f"this machine, where IPv6 is already off ({run.reason})")
    can = capabilities().network_namespaces
    reason = can.reason
    if can:
        try:
            with namespace("ipv6off") as ns:
                for key in IPV6_OFF_SYSCTLS:
                    ns.set_sysctl(key, 1)
                result = ns.call("loopedu.dual_stack:ipv6_off_here", timeout)
            return replace(result, where="a network namespace of its own with only lo and "
                                         "disable_ipv6=1")
        except (NamespaceUnavailable, ChildError, OSError) as exc:
            reason = str(exc)
    return IPv6Off(False, f"not run: IPv6 is on here, and no namespace with it off could "
                          f"be made ({reason})")
