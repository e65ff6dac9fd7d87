"""What a connection attempt gives: outcomes as types, errno names and what they mean.

:func:`connect` tries one TCP connection and returns an :class:`Attempt`: the
:class:`Outcome` (connected, refused, timeout, unreachable, or a failure with its errno
name) and the client's own address and port, so that a server can tell *this* client
from any other that happened to connect.

Introduced in notebooks/01-loopback-range.ipynb.
"""

from __future__ import annotations

import errno
import ipaddress
import socket
from dataclasses import dataclass
from enum import Enum

from .addresses import is_loopback

__all__ = ["EXPLAIN_ERRNO", "Kind", "Outcome", "Attempt", "connect",
           "connect_outcome", "hostport",
           "family_of", "errno_name", "same_endpoint", "is_lab_safe", "lab_socket",
           "LAB_NETWORKS"]

#: Where experiments may send traffic besides loopback: the benchmarking ranges (RFC 2544
#: and RFC 5180), used only inside network namespaces the course makes itself.
LAB_NETWORKS = (ipaddress.ip_network("198.18.0.0/15"), ipaddress.ip_network("2001:2::/48"))


def is_lab_safe(address: str) -> bool:
    """True for the addresses experiments may send to: loopback, the unspecified address
    (which Linux delivers to loopback) and the lab's benchmarking ranges.

    >>> is_lab_safe("127.0.0.2"), is_lab_safe("198.18.0.1"), is_lab_safe("192.0.2.1")
    (True, True, False)

    Introduced in notebooks/03-bind-address.ipynb.
    """
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return False
    ip = getattr(ip, "ipv4_mapped", None) or ip
    return (is_loopback(ip) or ip.is_unspecified
            or any(ip in net for net in LAB_NETWORKS if net.version == ip.version))

#: What the errors the experiments meet mean, in one line each (shown beside results).
EXPLAIN_ERRNO = {
    "EADDRNOTAVAIL": "no interface on this machine owns that address, so it cannot be bound",
    "EAFNOSUPPORT": "this kernel or Python has no IPv6 at all (compiled out, or the "
                    "kernel was booted with ipv6.disable=1)",
    "ECONNREFUSED": "the address answered with a refusal: nothing listens on that port "
                    "there, or a firewall REJECT rule refused it for the listener",
    "ENETUNREACH": "no route: for loopback, a network namespace whose `lo` was never up "
                   "(a `lo` set down after being up keeps its routes: connections time out)",
    "EADDRINUSE": "another socket already holds that address and port",
    "EACCES": "permission denied (ports below 1024 need privileges on most systems)",
    "ETIMEDOUT": "no answer in time: the packets were dropped somewhere",
}


def family_of(host: str) -> socket.AddressFamily:
    """AF_INET6 for an IPv6 literal, AF_INET otherwise.

    >>> family_of("::1").name, family_of("127.0.0.1").name
    ('AF_INET6', 'AF_INET')

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


class Kind(Enum):
    """The kinds of outcome a connection attempt (or the bind before it) can have."""

    CONNECTED = "connected"
    REFUSED = "refused"
    TIMEOUT = "timeout"
    UNREACHABLE = "unreachable"
    FAILED = "failed"
    BIND_FAILED = "bind failed"
    OTHER_SOCKET = "connected to another socket"
    NOT_RUN = "not run"   # the course would not listen there (loopedu.listen_guard)


@dataclass(frozen=True)
class Outcome:
    """One outcome; ``str()`` gives the words the lessons print.

    >>> str(Outcome(Kind.BIND_FAILED, "EADDRNOTAVAIL"))
    'bind failed: EADDRNOTAVAIL'
    >>> Outcome(Kind.REFUSED).connected
    False

    Introduced in notebooks/01-loopback-range.ipynb.
    """

    kind: Kind
    errno: str | None = None

    def __str__(self) -> str:
        return f"{self.kind.value}: {self.errno}" if self.errno else self.kind.value

    @property
    def connected(self) -> bool:
        """True when this very connection was made."""
        return self.kind is Kind.CONNECTED

    @property
    def explain(self) -> str:
        """One line on what the errno means ('' when there is none to explain)."""
        return EXPLAIN_ERRNO.get(self.errno or "", "")

    @classmethod
    def of_error(cls, exc: BaseException, kind: Kind = Kind.FAILED) -> "Outcome":
        """The outcome of an OSError raised by ``connect`` (or by ``bind``, with
        ``kind=Kind.BIND_FAILED``)."""
        if kind is Kind.FAILED:
            if isinstance(exc, ConnectionRefusedError):
                return cls(Kind.REFUSED)
            if isinstance(exc, (socket.timeout, TimeoutError)):
                return cls(Kind.TIMEOUT)
            if getattr(exc, "errno", None) in (errno.ENETUNREACH, errno.EHOSTUNREACH):
                return cls(Kind.UNREACHABLE)
        return cls(kind, errno_name(exc))


@dataclass(frozen=True)
class Attempt:
    """A client's connection attempt: its outcome and, once bound, the client's own
    (address, port), which the server sees as the peer."""

    outcome: Outcome
    local: tuple | None = None


def hostport(host: str, port: int) -> str:
    """``host:port``, an IPv6 address in brackets (RFC 3986 3.2.2).

    >>> hostport("127.0.0.1", 8080), hostport("::1", 8080)
    ('127.0.0.1:8080', '[::1]:8080')

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def lab_socket(host: str) -> socket.socket:
    """A TCP socket of the right family for connecting to ``host``; ValueError when
    ``host`` is neither loopback nor a lab address, OSError when the family is missing.

    Introduced in notebooks/01-loopback-range.ipynb (through connect).
    """
    if not is_lab_safe(host):
        raise ValueError(f"{host} is neither loopback nor a lab address: experiments only "
                         "connect to this machine and to the namespaces the course makes")
    return socket.socket(family_of(host), socket.SOCK_STREAM)


def connect(host: str, port: int, timeout: float = 1.0, source: str | None = None) -> Attempt:
    """Try one TCP connection to (host, port) and close it; never raises for a network
    outcome. With ``source`` the client binds that address first. Only addresses
    :func:`is_lab_safe` allows are tried (ValueError otherwise): the course never sends
    anything beyond this machine and the namespaces it makes.

    >>> from loopedu.servers import listener
    >>> with listener("127.0.0.1") as srv:
    ...     attempt = connect(*srv.address)
    >>> attempt.outcome.connected, attempt.local[0]
    (True, '127.0.0.1')

    Introduced in notebooks/01-loopback-range.ipynb.
    """
    try:
        sock = lab_socket(host)
    except OSError as exc:
        return Attempt(Outcome.of_error(exc))
    with sock:
        sock.settimeout(timeout)
        if source is not None:
            try:
                sock.bind((source, 0))
            except OSError as exc:
                return Attempt(Outcome.of_error(exc, Kind.BIND_FAILED))
        try:
            sock.connect((host, port))
        except OSError as exc:
            return Attempt(Outcome.of_error(exc))
        return Attempt(Outcome(Kind.CONNECTED), tuple(sock.getsockname()[:2]))


def connect_outcome(host: str, port: int, timeout: float = 1.0,
                    source: str | None = None) -> str:
    """:func:`connect`, as the words: ``"connected"``, ``"refused"``, ``"timeout"``,
    ``"unreachable"``, ``"failed: ERRNO"`` or ``"bind failed: ERRNO"``.

    Introduced in notebooks/01-loopback-range.ipynb.
    """
    return str(connect(host, port, timeout, source).outcome)


def _unmapped(host: str) -> str:
    host = host.split("%", 1)[0].lower()
    if host.startswith("::ffff:") and "." in host:
        return host[len("::ffff:"):]
    return host


def same_endpoint(peer: tuple, local: tuple) -> bool:
    """True when the peer a server accepted is the client whose own address is
    ``local``, also when a dual-stack server sees it as ``::ffff:a.b.c.d``.

    >>> port = 40000   # the client's own ephemeral port
    >>> same_endpoint(("::ffff:127.0.0.1", port), ("127.0.0.1", port))
    True
    >>> same_endpoint(("127.0.0.1", port + 1), ("127.0.0.1", port))
    False

    Introduced in notebooks/03-bind-address.ipynb.
    """
    return peer[1] == local[1] and _unmapped(peer[0]) == _unmapped(local[0])
