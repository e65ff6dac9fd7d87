"""The learner's own connection URIs, tried for real: a function the learner writes,
``uris(folder, port)``, returns libpq connection URIs (``postgresql://...``), and each
is read by libpq and connected with against a throwaway server; each connection says
which transport it used.

libpq reads the URI itself (``PQconninfoParse``, through psycopg's
``conninfo_to_dict``), so what the checker reports is what libpq understood: host,
port, user and database (PostgreSQL 15 documentation, 34.1.1 "Connection Strings",
34.1.1.2 "Connection URIs"). Then libpq connects (``PQconnectdb``, as psql does), with
a connect timeout of 5 s added where the URI sets none. ``SELECT inet_server_addr()``
is NULL over a Unix-domain socket and the server's address over TCP (9.26 "System
Information Functions"); ``current_user`` says who logged in. Where PostgreSQL's
server is not installed, the function is still called, with a folder that holds no
socket and a port where nothing listens: libpq's error names what it tried
(``connection to server on socket "/folder/.s.PGSQL.5432" failed`` or ``connection to
server at "127.0.0.1", port 5432 failed``), which tells the transport and the address.

Introduced in notebooks/06-loopback-at-work.ipynb (exercise 06.pg-connect).
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from dataclasses import dataclass, field
from typing import Callable

from .binaries import PostgresUnavailable, psycopg_module
from .client import _ATTEMPT, _libpq_connect, _query
from .server import throwaway_cluster

__all__ = ["UriTry", "UriTries", "try_uris"]


@dataclass(frozen=True)
class UriTry:
    """What libpq made of one URI the learner gave (``name`` is its key): ``read``,
    the keywords libpq read from it (``{}`` when it could not; ``error`` then says
    why), whether it ``connected``, the ``transport`` used (``"unix socket"``,
    ``"tcp"``, ``""`` when unknown), ``server`` (the socket file, or the server's
    address), ``user`` (``current_user``; ``""`` when not logged in) and ``error``
    (libpq's message when it did not connect).

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """

    name: str
    uri: str
    read: dict = field(default_factory=dict)
    connected: bool = False
    transport: str = ""
    server: str = ""
    user: str = ""
    error: str = ""


@dataclass(frozen=True)
class UriTries:
    """Every :class:`UriTry` (``tries``, in the order the learner gave them);
    ``problem`` is set instead when the function failed or gave no dict of texts.
    ``live`` is True when a throwaway server answered (listening on ``listen``), False
    when none could run here (``note`` says why) and libpq's errors were read instead.

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """

    tries: tuple
    live: bool
    folder: str
    port: int
    listen: tuple = ()
    note: str = ""
    problem: str = ""


def _first_line(exc: BaseException | str) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]


def _failed(base: UriTry, text: str) -> UriTry:
    """A failed connection, read from libpq's message: what it tried last."""
    attempts = list(_ATTEMPT.finditer(text))
    last = attempts[-1] if attempts else None
    transport, server = "", ""
    if last is not None and last.group("socket"):
        transport, server = "unix socket", last.group("socket")
    elif last is not None:
        transport, server = "tcp", last.group("ip") or last.group("name")
    why = last.group("why").strip() if last is not None else _first_line(text)
    return UriTry(base.name, base.uri, base.read, False, transport, server, "", why)


def _try_one(name: str, uri) -> UriTry:
    """Read ``uri`` with libpq and connect with it (the connection is closed)."""
    psycopg = psycopg_module()
    if uri is None or uri is Ellipsis:
        return UriTry(name, "", error="no URI yet: replace None with one")
    if not isinstance(uri, str):
        return UriTry(name, repr(uri)[:200], error=f"it is a {type(uri).__name__}, not "
                                                    "a text")
    try:
        read = psycopg.conninfo.conninfo_to_dict(uri)
    except Exception as exc:   # libpq's own parse error
        return UriTry(name, uri, error=f"libpq could not read it: {_first_line(exc)}")
    base = UriTry(name, uri, {k: str(v) for k, v in read.items()})
    params = dict(base.read)
    params.setdefault("connect_timeout", "5")
    params.setdefault("gssencmode", "disable")
    try:
        pgconn, error = _libpq_connect(params)
    except Exception as exc:
        return _failed(base, str(exc))
    if pgconn is None:
        return _failed(base, error)
    try:
        server, user = _query(pgconn, b"SELECT host(inet_server_addr()), current_user")
        folder = pgconn.host.decode()
        port = pgconn.port.decode()
    except Exception as exc:
        return UriTry(name, uri, base.read, False, error=f"the connection failed: "
                                                         f"{_first_line(exc)}")
    finally:
        pgconn.finish()
    if server is None:  # NULL over a Unix-domain socket
        return UriTry(name, uri, base.read, True, "unix socket",
                      os.path.join(folder, f".s.PGSQL.{port}"), user or "")
    return UriTry(name, uri, base.read, True, "tcp", server, user or "")


def _tries(make: Callable, folder: str, port: int) -> tuple[tuple, str]:
    """Call the learner's ``make(folder, port)`` and try each URI it returns."""
    try:
        given = make(folder, port)
    except Exception as exc:   # the learner's code: every failure is a message
        return (), f"calling it raised {type(exc).__name__}: {_first_line(exc)}"
    if not isinstance(given, dict):
        return (), f"it returned {type(given).__name__}, not a dict of URIs"
    return tuple(_try_one(str(name), uri) for name, uri in given.items()), ""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def try_uris(make: Callable, search=None) -> UriTries:
    """Call ``make(folder, port)`` with a throwaway server's socket folder and port
    (pg_hba.conf "both": ``learner`` let in over the socket and over TCP), and connect
    with each URI of the dict it returns. Where no server can run (not installed, or it
    failed to start), call it with an empty folder and a free port and read libpq's
    errors (``live`` False). Raises :class:`PostgresUnavailable` only when psycopg
    itself is missing.

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """
    psycopg_module()
    try:
        with throwaway_cluster("both", search=search) as cluster:
            folder, port = str(cluster.folder), cluster.port
            tries, problem = _tries(make, folder, port)
            return UriTries(tries, True, folder, port, tuple(cluster.listen),
                            problem=problem)
    except PostgresUnavailable as exc:
        note = exc.reason
    folder, port = tempfile.mkdtemp(prefix="loopedu-pg-none-"), _free_port()
    try:
        tries, problem = _tries(make, folder, port)
        return UriTries(tries, False, folder, port, (), note, problem)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
