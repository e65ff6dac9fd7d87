"""The learner's own connect lines, tried for real: a function the learner writes,
``connect(over, folder, port)``, connecting to PostgreSQL over its Unix-domain socket
(``over="socket"``) or over TCP to 127.0.0.1 (``over="tcp"``), is called both ways
against a throwaway server, and each connection says which transport it used.

``SELECT inet_server_addr()`` is NULL over a Unix-domain socket and the server's
address over TCP (PostgreSQL 15 documentation, 9.26 "System Information Functions");
``current_user`` says who logged in. Where PostgreSQL's server is not installed, the
functions are still called, with a folder that holds no socket and a port where nothing
listens: libpq's error names what it tried (``connection to server on socket
"/folder/.s.PGSQL.5432" failed`` or ``connection to server at "127.0.0.1", port 5432
failed``), which tells the transport and the address, though not the user.

Introduced in notebooks/06-loopback-at-work.ipynb.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from dataclasses import dataclass
from typing import Callable

from .binaries import PostgresUnavailable, psycopg_module
from .client import _ATTEMPT
from .server import throwaway_cluster

__all__ = ["ConnectLine", "ConnectLines", "try_connect_lines"]


@dataclass(frozen=True)
class ConnectLine:
    """What one call of the learner's function did: ``transport`` (``"unix socket"``,
    ``"tcp"`` or ``""`` when unknown), ``server`` (the socket file, or the server's
    address), ``user`` (``current_user``; ``""`` when not logged in), ``error`` (why it
    did not connect, or what it returned instead of a connection; ``""`` when it did),
    ``host`` (over TCP, the host the learner named: ``"localhost"``, ``"::1"``...;
    ``""`` when unknown).

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """

    name: str
    connected: bool
    transport: str = ""
    server: str = ""
    user: str = ""
    error: str = ""
    host: str = ""


@dataclass(frozen=True)
class ConnectLines:
    """Both calls' :class:`ConnectLine` (``socket`` and ``tcp``); ``live`` is True
    when a throwaway server answered, False when no server could run here (``note``
    says why) and libpq's errors were read instead.

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """

    socket: ConnectLine
    tcp: ConnectLine
    live: bool
    folder: str
    port: int
    note: str = ""


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]


def _read_error(name: str, exc: BaseException) -> ConnectLine:
    """A failed connection, read from libpq's message: what it tried."""
    text = str(exc)
    attempts = list(_ATTEMPT.finditer(text))
    last = attempts[-1] if attempts else None
    if last is not None and last.group("socket"):
        return ConnectLine(name, False, "unix socket", last.group("socket"), "",
                           _first_line(exc))
    if last is not None:
        return ConnectLine(name, False, "tcp", last.group("ip") or last.group("name"), "",
                           _first_line(exc), last.group("name"))
    return ConnectLine(name, False, error=f"{type(exc).__name__}: {_first_line(exc)}")


def _call(name: str, func: Callable, args: tuple) -> ConnectLine:
    """Call the learner's ``func(*args)``; what its connection used (it is closed)."""
    psycopg = psycopg_module()
    try:
        conn = func(*args)
    except Exception as exc:   # the learner's code: every failure is a message
        return _read_error(name, exc)
    if not isinstance(conn, psycopg.Connection):
        if conn is not None and hasattr(conn, "close"):
            conn.close()
        return ConnectLine(name, False, error=f"it returned {type(conn).__name__}, not the "
                           "connection psycopg.connect(...) gives")
    try:
        with conn:
            server, user = conn.execute(
                "SELECT host(inet_server_addr()), current_user").fetchone()
            folder = conn.info.host
    except Exception as exc:
        return ConnectLine(name, False, error=f"the connection failed: {_first_line(exc)}")
    if server is None:
        return ConnectLine(name, True, "unix socket",
                           os.path.join(folder, f".s.PGSQL.{args[-1]}"), user)
    return ConnectLine(name, True, "tcp", server, user, host=folder or "")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def try_connect_lines(connect: Callable, search=None) -> ConnectLines:
    """Call ``connect("socket", folder, port)`` and ``connect("tcp", folder, port)``
    against a throwaway server (pg_hba.conf "both": ``learner`` let in either way), each
    expected to return an open ``psycopg`` connection; say what each used. Where no
    server can run (not installed, or it failed to start), call it with an empty folder
    and a free port and read libpq's errors (``live`` False). Raises
    :class:`PostgresUnavailable` only when psycopg itself is missing.

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """
    psycopg_module()
    try:
        with throwaway_cluster("both", search=search) as cluster:
            folder, port = str(cluster.folder), cluster.port
            return ConnectLines(_call("socket", connect, ("socket", folder, port)),
                                _call("tcp", connect, ("tcp", folder, port)), True,
                                folder, port)
    except PostgresUnavailable as exc:
        note = exc.reason
    folder, port = tempfile.mkdtemp(prefix="loopedu-pg-none-"), _free_port()
    try:
        return ConnectLines(_call("socket", connect, ("socket", folder, port)),
                            _call("tcp", connect, ("tcp", folder, port)), False, folder,
                            port, note)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
