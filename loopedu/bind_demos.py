"""Lesson 03's "break it on purpose" experiments: EADDRINUSE, port shadowing with
SO_REUSEPORT, and connecting to 0.0.0.0.

The shadowing demo listens on 0.0.0.0, so it runs in a network namespace of its own
wherever one can be made (:func:`loopedu.sandbox.isolated_call`); elsewhere only with
``expose=True`` (it says "not run" otherwise). Each connection is
matched to the listener that accepted it by the client's own address and port.

Introduced in notebooks/03-bind-address.ipynb.
"""

from __future__ import annotations

import select
import socket
import time
from contextlib import ExitStack
from dataclasses import dataclass

from .connections import EXPLAIN_ERRNO, Kind, connect, errno_name, same_endpoint
from .listen_guard import Exposure, check_listen, may_listen
from .reachability import measure_here
from .sandbox import isolated_call
from .servers import listener

__all__ = ["BindClash", "eaddrinuse_demo", "ShadowCase", "Shadowing",
           "port_shadowing_demo", "format_shadowing", "connect_to_any_demo"]


@dataclass(frozen=True)
class BindClash:
    """A second bind of an address and port a listener already holds (``second`` is
    ``"ok"`` or the errno name)."""

    address: str
    port: int
    second: str

    @property
    def explain(self) -> str:
        """What the second bind's error means."""
        return EXPLAIN_ERRNO.get(self.second, "")


def eaddrinuse_demo() -> BindClash:
    """Break it on purpose: bind 127.0.0.1 on a port a listener already holds.

    >>> eaddrinuse_demo().second
    'EADDRINUSE'

    Introduced in notebooks/03-bind-address.ipynb.
    """
    with listener("127.0.0.1") as srv, socket.socket() as second:
        try:
            second.bind(("127.0.0.1", srv.port))
            outcome = "ok"
        except OSError as exc:
            outcome = errno_name(exc)
    return BindClash("127.0.0.1", srv.port, outcome)


@dataclass(frozen=True)
class ShadowCase:
    """0.0.0.0:P, then 127.0.0.1:P, with one socket option (``SO_REUSEPORT`` or
    ``SO_REUSEADDR``) set on both: whether the second bind worked, and which listener
    accepted a connection to each target (``"0.0.0.0"``, ``"127.0.0.1"``, or the
    connection's outcome when none did). ``second_bind`` is ``"not run"`` (and the rest
    empty) where the course would not listen on 0.0.0.0 here."""

    option: str
    available: bool
    port: int | None = None
    second_bind: str = ""
    accepted_by: tuple = ()


@dataclass(frozen=True)
class Shadowing:
    """Both cases of :func:`port_shadowing_demo`, where they ran, what they exposed."""

    cases: tuple
    isolated: bool
    where: str
    exposures: tuple = ()


def _bound(host: str, port: int, option: str, expose: bool = False) -> socket.socket:
    check_listen(host, expose, what="the shadowing demo's listener")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, getattr(socket, option), 1)
        sock.bind((host, port))
        sock.listen(8)
    except BaseException:
        sock.close()
        raise
    return sock


def _accepted_by(socks: dict, target: str, port: int, timeout: float) -> str:
    """Connect to (target, port); name the listener of ``socks`` that accepted it."""
    for sock in socks.values():
        sock.setblocking(False)  # a connection gone before accept() must not block it
    attempt = connect(target, port, timeout=timeout)
    if not attempt.outcome.connected:
        return str(attempt.outcome)
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        for sock in select.select(list(socks.values()), [], [], left)[0]:
            try:
                conn, peer = sock.accept()
            except (BlockingIOError, ConnectionError):  # reset, or taken, since select
                continue
            conn.close()
            if same_endpoint(peer, attempt.local):
                return next(name for name, s in socks.items() if s is sock)
    return "nobody"


def shadowing_here(timeout: float = 1.0, expose: bool = False) -> tuple[tuple, tuple]:
    """Both cases on this process's network stack; returns (cases, exposures)."""
    cases, exposures = [], []
    for option in ("SO_REUSEPORT", "SO_REUSEADDR"):
        if not hasattr(socket, option):
            cases.append(ShadowCase(option, False))
            continue
        if not may_listen("0.0.0.0", expose):
            cases.append(ShadowCase(option, True, second_bind=Kind.NOT_RUN.value))
            continue
        with ExitStack() as stack:
            wild = stack.enter_context(_bound("0.0.0.0", 0, option, expose))
            opened, port = time.monotonic(), wild.getsockname()[1]
            socks = {"0.0.0.0": wild}
            try:
                socks["127.0.0.1"] = stack.enter_context(_bound("127.0.0.1", port, option))
                second = "ok"
            except OSError as exc:
                second = errno_name(exc)
            accepted = tuple((t, _accepted_by(socks, t, port, timeout))
                             for t in ("127.0.0.1", "127.0.0.2"))
        exposure = Exposure.since("0.0.0.0", port, opened, time.monotonic())
        exposures += [exposure] if exposure else []
        cases.append(ShadowCase(option, True, port, second, accepted))
    return tuple(cases), tuple(exposures)


def port_shadowing_demo(timeout: float = 1.0, *, expose: bool = False) -> Shadowing:
    """Break it on purpose: two listeners on one port, 0.0.0.0:P and 127.0.0.1:P.

    With SO_REUSEPORT both binds succeed and the more specific 127.0.0.1 listener takes
    the connections to 127.0.0.1 (the wildcard still gets 127.0.0.2): a program can
    shadow another's loopback traffic. With SO_REUSEADDR only, the second bind is
    EADDRINUSE (Linux, socket(7)). Where no namespace can be made both cases are "not
    run" unless ``expose=True`` (see :func:`loopedu.sandbox.isolated_call`).

    >>> [c.second_bind for c in port_shadowing_demo().cases]
    ['ok', 'EADDRINUSE']

    Introduced in notebooks/04-loopback-interface.ipynb.
    """
    # the connect timeout goes to the experiment; the child's own deadline is longer (a
    # child in a namespace starts Python first, slow on a busy classroom server)
    run = isolated_call("loopedu.bind_demos:shadowing_here", timeout, timeout=60 + 4 * timeout,
                        expose=expose)
    cases, exposures = run.result
    return Shadowing(cases, run.isolated, run.reason, () if run.isolated else exposures)


def format_shadowing(shadow: Shadowing, option: str = "SO_REUSEPORT") -> str:
    """Text for one case of :func:`port_shadowing_demo`: the second bind, then which
    listener accepted each connection, where it ran, and what it exposed.

    >>> case = ShadowCase("SO_REUSEPORT", True, 5000, "ok",
    ...                   (("127.0.0.1", "127.0.0.1"), ("127.0.0.2", "0.0.0.0")))
    >>> print(format_shadowing(Shadowing((case,), True, "in a namespace")))
    with SO_REUSEPORT on both: binding 127.0.0.1 second gave ok
      a connection to 127.0.0.1 was accepted by the listener on 127.0.0.1
      a connection to 127.0.0.2 was accepted by the listener on 0.0.0.0
    (in a namespace)

    Introduced in notebooks/04-loopback-interface.ipynb.
    """
    case = next(c for c in shadow.cases if c.option == option)
    if not case.available:
        return f"{option}: this OS has no such option"
    lines = [f"with {option} on both: binding 127.0.0.1 second gave {case.second_bind}"]
    lines += [f"  a connection to {target} was accepted by the listener on {who}"
              for target, who in case.accepted_by]
    lines.append(f"({shadow.where})")
    return "\n".join(lines + [f"note: {exposure}" for exposure in shadow.exposures])


def connect_to_any_demo(timeout: float = 1.0) -> dict:
    """Connecting to 0.0.0.0 (or ``::``) is not an error on Linux: it reaches a listener
    on 127.0.0.1 (or ::1), and the server sees the client as 127.0.0.1 (or ::1).
    Returns ``{target: Reach}``; the listeners are on loopback only.

    >>> connect_to_any_demo()["0.0.0.0"].server_saw
    '127.0.0.1'

    Introduced in notebooks/08-when-loopback-leaks.ipynb (lesson 03,
    notebooks/03-bind-address.ipynb, points to it under Going further).
    """
    rows = [*measure_here(["127.0.0.1"], ["0.0.0.0"], timeout)[0],
            *measure_here(["::1"], ["::"], timeout)[0]]
    return {row.target: row for row in rows}
