"""Tiny experiment servers: ephemeral port, context-managed, always joined.

Every listener the course opens goes through :func:`listener`: it binds port 0 (the
kernel picks a free ephemeral port, so 30 students on one JupyterHub never collide),
reads the port back, runs its accept loop in a daemon thread, and on leaving the
``with`` block closes every socket and joins the thread, even after an exception or a
KeyboardInterrupt.

Introduced in notebooks/01-loopback-range.ipynb.
"""

from __future__ import annotations

import errno
import selectors
import socket
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator

__all__ = ["Listener", "listener", "connect_outcome", "family_of", "errno_name"]


def family_of(host: str) -> socket.AddressFamily:
    """Return AF_INET6 for an IPv6 literal and AF_INET otherwise.

    >>> family_of("::1") == socket.AF_INET6
    True

    Introduced in notebooks/01-loopback-range.ipynb.
    """
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def errno_name(exc: BaseException) -> str:
    """The symbolic errno of an OSError (``EADDRNOTAVAIL``), or its class name.

    >>> errno_name(OSError(errno.ECONNREFUSED, "refused"))
    'ECONNREFUSED'

    Introduced in notebooks/01-loopback-range.ipynb.
    """
    code = getattr(exc, "errno", None)
    if code is not None and code in errno.errorcode:
        return errno.errorcode[code]
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return "ETIMEDOUT"
    return type(exc).__name__


@dataclass
class Listener:
    """A listening TCP socket on an ephemeral port; created by :func:`listener`.

    ``peers`` collects the (address, port) of every client the server accepted, as the
    server saw it: the proof of which source address the kernel used.
    """

    host: str
    port: int
    family: socket.AddressFamily
    sock: socket.socket
    peers: list = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)
    _accepted: threading.Condition = field(default_factory=threading.Condition, repr=False)

    @property
    def address(self) -> tuple:
        """The (host, port) a client connects to."""
        return (self.host, self.port)

    def wait_for_peers(self, count: int = 1, timeout: float = 2.0) -> list:
        """Wait until ``count`` clients were accepted (readiness, not sleep-and-hope)."""
        with self._accepted:
            self._accepted.wait_for(lambda: len(self.peers) >= count, timeout=timeout)
            return list(self.peers)

    def _serve(self) -> None:
        with selectors.DefaultSelector() as sel:
            sel.register(self.sock, selectors.EVENT_READ)
            while not self._stop.is_set():
                if not sel.select(timeout=0.05):
                    continue
                try:
                    conn, peer = self.sock.accept()
                except OSError:
                    continue
                with conn, self._accepted:
                    self.peers.append(peer[:2])
                    self._accepted.notify_all()


@contextmanager
def listener(host: str = "127.0.0.1", *, reuseport: bool = False,
             v6only: bool | None = None, backlog: int = 16) -> Iterator[Listener]:
    """Listen on ``host`` at an ephemeral port; close and join on exit.

    Raises OSError (for example ``EADDRNOTAVAIL`` for 127.0.0.2 on macOS, or for ::1
    where IPv6 is disabled) with the socket already closed.

    >>> with listener("127.0.0.1") as srv:
    ...     connect_outcome(*srv.address)
    'connected'

    Introduced in notebooks/01-loopback-range.ipynb.
    """
    family = family_of(host)
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        if reuseport:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        if family == socket.AF_INET6 and v6only is not None:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, int(v6only))
        sock.bind((host, 0))
        sock.listen(backlog)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    srv = Listener(host=host, port=sock.getsockname()[1], family=family, sock=sock)
    srv._thread = threading.Thread(target=srv._serve, name=f"loopedu-listener-{srv.port}",
                                   daemon=True)
    srv._thread.start()
    try:
        yield srv
    finally:
        srv._stop.set()
        srv._thread.join(timeout=5)
        sock.close()


def connect_outcome(host: str, port: int, timeout: float = 1.0,
                    source: str | None = None) -> str:
    """Try one TCP connection and name the outcome.

    Returns ``"connected"``, ``"refused"``, ``"timeout"``, ``"unreachable"`` or
    ``"failed: ERRNO"``; with ``source`` the client binds that address first and a
    failure there is ``"bind failed: ERRNO"``.

    >>> with listener("127.0.0.1") as srv:
    ...     connect_outcome("127.0.0.1", srv.port)
    'connected'

    Introduced in notebooks/01-loopback-range.ipynb.
    """
    try:
        sock = socket.socket(family_of(host), socket.SOCK_STREAM)
    except OSError as exc:
        return f"failed: {errno_name(exc)}"
    with sock:
        sock.settimeout(timeout)
        if source is not None:
            try:
                sock.bind((source, 0))
            except OSError as exc:
                return f"bind failed: {errno_name(exc)}"
        try:
            sock.connect((host, port))
        except ConnectionRefusedError:
            return "refused"
        except (socket.timeout, TimeoutError):
            return "timeout"
        except OSError as exc:
            if exc.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
                return "unreachable"
            return f"failed: {errno_name(exc)}"
        return "connected"
