"""Lesson 04's live experiments: is IPv6 on, dual-stack sockets and IPV6_V6ONLY, the
"is this client local?" check that IPv4-mapped addresses break, and zones.

The experiments that listen on ``::`` run in a network namespace of their own wherever
one can be made (:func:`loopedu.sandbox.isolated_call`), with this machine's IPv6
settings, so nothing is reachable from the network while they run.

Introduced in notebooks/04-ipv6-loopback.ipynb.
"""

from __future__ import annotations

import ipaddress
import platform
import socket
from dataclasses import dataclass

from .addresses import is_loopback
from .connections import EXPLAIN_ERRNO, Outcome, errno_name
from .platforms import DUAL_STACK_DEFAULTS
from .sandbox import isolated_call
from .servers import listener, probe

__all__ = ["IPv6Status", "ipv6_status", "DualStackDefault", "platform_dual_stack_default",
           "DualStackCase", "DualStack", "dual_stack", "dual_stack_key", "format_dual_stack",
           "LocalityCheck", "locality_check_demo", "ZoneDemo", "zone_demo"]


@dataclass(frozen=True)
class IPv6Status:
    """Can this machine use ::1? ``errno`` is None when ::1 binds and answers,
    ``EADDRNOTAVAIL`` where IPv6 is disabled (``disable_ipv6=1``, common in containers),
    ``EAFNOSUPPORT`` where it is compiled out."""

    available: bool
    errno: str | None
    explain: str


def ipv6_status() -> IPv6Status:
    """Bind ::1 and connect to it; never raises.

    Introduced in notebooks/04-ipv6-loopback.ipynb.
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

    Introduced in notebooks/04-ipv6-loopback.ipynb.
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
    binding 0.0.0.0 on the same port then gives. ``bind`` is ``"ok"`` or the errno."""

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


def dual_stack_here(timeout: float = 1.0) -> tuple[tuple, tuple]:
    """Both cases on this process's network stack; returns (cases, exposures)."""
    cases, exposures = [], []
    for v6only in (False, True):
        try:
            with listener("::", v6only=v6only) as srv:
                v4, saw4 = srv.reach("127.0.0.1", timeout)
                v6, saw6 = srv.reach("::1", timeout)
                cases.append(DualStackCase(v6only, "ok", srv.port, v4, saw4 and saw4[0], v6,
                                           saw6 and saw6[0], _second_bind(srv.port)))
        except OSError as exc:
            cases.append(DualStackCase(v6only, errno_name(exc)))
            continue
        exposures.append(srv.exposure())
    return tuple(cases), tuple(exposures)


def dual_stack(timeout: float = 1.0) -> DualStack:
    """A listener on ``::`` with IPV6_V6ONLY off, then on; what clients get.

    For each case an IPv4 client connects to 127.0.0.1 and an IPv6 client to ::1 on
    the listener's port; the server records whom it saw (``::ffff:127.0.0.1`` for the
    IPv4 client of a dual-stack socket); then 0.0.0.0 is bound on the same port (the
    EADDRINUSE that dual stack causes). Where IPv6 is disabled a socket on ``::`` still
    binds and still takes IPv4; only the ::1 client fails. Never raises.

    >>> str(dual_stack().case(v6only=False).second_bind)   # Linux
    'EADDRINUSE'

    Introduced in notebooks/04-ipv6-loopback.ipynb.
    """
    run = isolated_call("loopedu.dual_stack:dual_stack_here", timeout=timeout)
    cases, exposures = run.result
    return DualStack(ipv6_status(), platform_dual_stack_default(), cases, run.isolated,
                     run.reason, () if run.isolated else exposures)


def dual_stack_key(result: DualStack) -> dict:
    """The outcomes of :func:`dual_stack` in the words of exercise ``04.dual-stack``.

    Introduced in notebooks/04-ipv6-loopback.ipynb.
    """
    off, on = result.case(False), result.case(True)
    return {"off: IPv4 to 127.0.0.1": str(off.ipv4_client),
            "off: server sees": off.server_saw_ipv4,
            "off: bind 0.0.0.0 same port": off.second_bind,
            "on: IPv4 to 127.0.0.1": str(on.ipv4_client),
            "on: bind 0.0.0.0 same port": on.second_bind}


def format_dual_stack(result: DualStack) -> str:
    """The text form of :func:`dual_stack`.

    Introduced in notebooks/04-ipv6-loopback.ipynb.
    """
    lines = []
    for case in result.cases:
        name = f"v6only {'on' if case.v6only else 'off'}"
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


def locality_here(timeout: float = 1.0) -> LocalityCheck:
    """:func:`locality_check_demo` on this process's network stack."""
    python = platform.python_version()
    try:
        with listener("::", v6only=False) as srv:
            _, saw = srv.reach("127.0.0.1", timeout)
    except OSError as exc:
        return LocalityCheck(errno_name(exc), python)
    if saw is None:
        return LocalityCheck("ok", python)
    peer = saw[0]
    return LocalityCheck("ok", python, peer, ipaddress.ip_address(peer).is_loopback,
                         is_loopback(peer))


def locality_check_demo(timeout: float = 1.0) -> LocalityCheck:
    """A real dual-stack server on ``::`` accepts a client from 127.0.0.1 and asks "is
    this client local?" two ways. Whether ``ipaddress`` unwraps the mapped address
    depends on the exact Python release (gh-117566, fixed in 3.13 and backported to
    some 3.12 and 3.11 patch releases): the result says what this one does.

    >>> locality_check_demo().loopedu
    True

    Introduced in notebooks/04-ipv6-loopback.ipynb.
    """
    return isolated_call("loopedu.dual_stack:locality_here", timeout=timeout).result


@dataclass(frozen=True)
class ZoneDemo:
    """What getaddrinfo, bind and connect do with ``fe80::1`` with and without a zone:
    a sockaddr or errno names (see :func:`zone_demo`)."""

    zone: str
    getaddrinfo: object
    bind_with_zone: str | None
    bind_string_zone: str
    connect_without_zone: str


def _attempt(action: str, address) -> str:
    try:
        sock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    except OSError as exc:
        return errno_name(exc)
    with sock:
        sock.settimeout(0.5)
        try:
            getattr(sock, action)(address)
            return "ok"
        except OSError as exc:
            return errno_name(exc)


def zone_here() -> ZoneDemo:
    """:func:`zone_demo` on this process's network stack."""
    try:
        names = [name for _, name in socket.if_nameindex()]
    except (OSError, AttributeError):  # no if_nameindex (older Windows Pythons)
        names = []
    lo = next((n for n in ("lo", "lo0") if n in names), "lo")
    try:
        info = socket.getaddrinfo(f"fe80::1%{lo}", 0, socket.AF_INET6, socket.SOCK_STREAM)
        sockaddr = info[0][4]
    except (OSError, UnicodeError) as exc:
        sockaddr = errno_name(exc) if isinstance(exc, OSError) and exc.errno \
            else f"gaierror: {exc}"
    return ZoneDemo(lo, sockaddr,
                    _attempt("bind", sockaddr) if isinstance(sockaddr, tuple) else None,
                    _attempt("bind", (f"fe80::1%{lo}", 0)),
                    _attempt("connect", ("fe80::1", 9)))


def zone_demo() -> ZoneDemo:
    """Link-local addresses need a zone. ``getaddrinfo('fe80::1%lo')`` gives a 4-tuple
    whose last item is the scope id (lo's interface index); binding that 4-tuple gives
    EADDRNOTAVAIL (nobody assigned fe80::1 to lo); passing the text ``'fe80::1%lo'``
    straight to bind() drops the zone (the 2-tuple form sets scope id 0) and gives EINVAL
    on Linux, as does connecting to ``fe80::1`` with no zone. Runs in a namespace of its
    own where one can be made, so not even a failed attempt reaches a real link. Never
    raises.

    >>> zone_demo().connect_without_zone   # Linux
    'EINVAL'

    Introduced in notebooks/04-ipv6-loopback.ipynb.
    """
    return isolated_call("loopedu.dual_stack:zone_here").result
