"""Unix-domain sockets: what MySQL and libpq use for "localhost" on Unix, guarded by a
file's permissions instead of an address.

Introduced in notebooks/02-localhost-is-a-name.ipynb.
"""

from __future__ import annotations

import os
import socket
import stat
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Iterator

from .connections import errno_name
from .sandbox import is_root
from .servers import echo_server

__all__ = ["UnixAndTcp", "unix_and_tcp_server", "SocketFile", "socket_file_permissions"]


@dataclass(frozen=True)
class UnixAndTcp:
    """Where :func:`unix_and_tcp_server` listens: a socket file and (host, port)."""

    unix: str
    tcp: tuple


@contextmanager
def unix_and_tcp_server(folder: str | None = None) -> Iterator[UnixAndTcp]:
    """One echo service on a Unix-domain socket *and* on TCP 127.0.0.1 (port 0), as
    MySQL and PostgreSQL listen on Unix. The socket file lives in a fresh private folder
    (inside ``folder`` if given); everything is closed, joined and removed on exit.
    Raises OSError where AF_UNIX is missing (old Windows Pythons).

    >>> with unix_and_tcp_server() as srv:
    ...     os.path.basename(srv.unix), srv.tcp[0]
    ('echo.sock', '127.0.0.1')

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    with ExitStack() as stack:
        unix = stack.enter_context(echo_server("unix", folder=folder))
        tcp = stack.enter_context(echo_server("tcp", "127.0.0.1"))
        yield UnixAndTcp(unix.address, tcp.address)


@dataclass(frozen=True)
class SocketFile:
    """What guards a Unix-domain socket: the socket file's type and mode as the server
    made it, and what connecting gave after ``chmod 000``, as this user (``root``)."""

    type: str
    mode: str
    root: bool
    after_chmod_000: str
    tcp_needs_no_file: str


def _connect(family: int, address) -> str:
    with socket.socket(family, socket.SOCK_STREAM) as client:
        client.settimeout(2)
        try:
            client.connect(address)
            return "connected"
        except OSError as exc:
            return errno_name(exc)


def socket_file_permissions() -> SocketFile:
    """Connecting to a Unix-domain socket needs write permission on its file (unix(7)).
    Root bypasses file permissions (CAP_DAC_OVERRIDE, capabilities(7)), so as root the
    connection after ``chmod 000`` still succeeds; as an ordinary user it fails with
    EACCES.

    >>> r = socket_file_permissions()
    >>> r.after_chmod_000 == ("connected" if r.root else "EACCES")
    True

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    with unix_and_tcp_server() as srv:
        st = os.stat(srv.unix)
        kind = "socket" if stat.S_ISSOCK(st.st_mode) else "other"
        os.chmod(srv.unix, 0)
        return SocketFile(kind, stat.filemode(st.st_mode),
                          is_root(),
                          _connect(socket.AF_UNIX, srv.unix),
                          _connect(socket.AF_INET, srv.tcp))
