"""Dev servers and default binds: a real development web server on loopback, and what
the usual tools listen on when nobody says otherwise.

:func:`dev_server` is ``python -m http.server`` made safe for a notebook: it binds port 0
of a loopback address (not every interface, which is what ``python -m http.server``
does by default), serves a folder from a thread, logs nothing to stderr, and shuts down
and joins on exit. :func:`fetch` requests a URL from it with ``urllib``.

:data:`DEFAULT_BINDS` lists, for common dev servers and databases, the default bind
address and how to change it, each with the tool's own documentation and the versions
the statement applies to.

Introduced in notebooks/06-loopback-at-work.ipynb.
"""

from __future__ import annotations

import http.client
import http.server
import socketserver
import tempfile
import threading
import urllib.error
import urllib.parse
import urllib.request
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from .connections import Outcome, errno_name, family_of, hostport, is_lab_safe
from .listen_guard import check_listen

__all__ = ["DevServer", "dev_server", "Fetched", "fetch", "DefaultBind", "DEFAULT_BINDS",
           "INDEX_TEXT", "NoLookupBind", "serving"]

#: What the temporary folder's index.html says.
INDEX_TEXT = "<!doctype html><title>loopedu</title><p>Hello from a dev server on loopback."


class _Handler(http.server.SimpleHTTPRequestHandler):
    """SimpleHTTPRequestHandler that logs into the server's list, not to stderr."""

    timeout = 2  # a client that connects and says nothing cannot hold a thread

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        self.server.log.append(format % args)


class NoLookupBind:
    """Mix into a ``socketserver`` server class: bind through the course's listen guard
    (:func:`loopedu.listen_guard.check_listen`; set ``expose`` to listen beyond loopback
    on purpose) and without the ``getfqdn`` (a DNS query) that ``HTTPServer.server_bind``
    makes, and keep a client that hung up early off stderr.

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """

    #: set True on a server that may listen beyond loopback on purpose (see
    #: :func:`loopedu.listen_guard.check_listen`)
    expose = False

    def server_bind(self):
        check_listen(self.server_address[0], self.expose)
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request, client_address):
        pass


@contextmanager
def serving(server: socketserver.BaseServer, name: str,
            join_timeout: float = 5) -> Iterator[socketserver.BaseServer]:
    """Run ``server.serve_forever`` in a daemon thread called ``name``; on exit, whatever
    ends the block, shut it down, join the thread and close the server.

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """
    with ExitStack() as stack:
        stack.callback(server.server_close)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                  name=name, daemon=True)
        thread.start()
        stack.callback(thread.join, join_timeout)
        stack.callback(server.shutdown)
        yield server


class _Server(NoLookupBind, http.server.ThreadingHTTPServer):
    daemon_threads = False   # server_close() joins the request threads
    block_on_close = True

    def __init__(self, address, handler, family, expose: bool = False):
        self.address_family, self.expose = family, expose
        self.log: list = []
        super().__init__(address, handler)


@dataclass
class DevServer:
    """A running :func:`dev_server`: where it listens, the folder it serves, and the
    request lines it logged.

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """

    host: str
    port: int
    directory: str
    log: list = field(default_factory=list)

    @property
    def url(self) -> str:
        """The server's base URL (``http://127.0.0.1:PORT/``)."""
        return f"http://{hostport(self.host, self.port)}/"


@contextmanager
def dev_server(directory: str | None = None, host: str = "127.0.0.1", *,
               expose: bool = False) -> Iterator[DevServer]:
    """Serve ``directory`` (default: a fresh temporary folder holding an index.html)
    over HTTP on an ephemeral port of ``host``, from a thread; shut down, close and join
    on exit. Raises ValueError for a host beyond loopback unless ``expose=True``.

    >>> with dev_server() as srv:
    ...     got = fetch(srv.url)
    >>> got.status, b"Hello" in got.body
    (200, True)

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """
    with ExitStack() as stack:
        if directory is None:
            directory = stack.enter_context(tempfile.TemporaryDirectory(prefix="loopedu-dev-"))
            Path(directory, "index.html").write_text(INDEX_TEXT + "\n", encoding="utf-8")
        folder = str(Path(directory).resolve())

        def handler(*args, **kwargs):
            return _Handler(*args, directory=folder, **kwargs)

        server = _Server((host, 0), handler, family_of(host), expose)
        port = server.server_address[1]
        stack.enter_context(serving(server, f"loopedu-dev-server-{port}"))
        yield DevServer(host, port, folder, server.log)


@dataclass(frozen=True)
class Fetched:
    """What :func:`fetch` got: the HTTP status (None when no HTTP answer came), the first
    bytes of the body, and the error when the request failed.

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """

    url: str
    status: int | None
    body: bytes = b""
    error: str = ""

    def __str__(self) -> str:
        if self.status is None:
            return f"{self.url}: no answer ({self.error})"
        return f"{self.url}: HTTP {self.status}, {len(self.body)} bytes: {self.body[:60]!r}"


def fetch(url: str, limit: int = 200, timeout: float = 2.0) -> Fetched:
    """GET ``url`` with urllib (no proxy, whatever the environment says) and return the
    status and the first ``limit`` bytes; never raises for a network outcome. Only URLs
    on loopback or lab addresses (ValueError otherwise).

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "http" or not parts.hostname or not is_lab_safe(parts.hostname):
        raise ValueError(f"{url} is not an http:// URL on a loopback or lab address: "
                         "experiments only talk to this machine")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout) as response:
            return Fetched(url, response.status, response.read(limit))
    except urllib.error.HTTPError as exc:
        with exc:
            return Fetched(url, exc.code, exc.read(limit))
    except urllib.error.URLError as exc:
        reason = exc.reason
        why = str(Outcome.of_error(reason)) if isinstance(reason, OSError) else str(reason)
        return Fetched(url, None, error=why)
    except (OSError, http.client.HTTPException) as exc:
        return Fetched(url, None, error=errno_name(exc))


# ---- what tools listen on by default ----

@dataclass(frozen=True)
class DefaultBind:
    """One tool's default bind address: ``default`` as its documentation writes it,
    whether that listens on every interface, how to change it, the versions the
    statement applies to, and the primary source.

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """

    tool: str
    default: str
    all_interfaces: bool
    change: str
    applies_to: str
    source: str
    note: str = ""


#: Default bind addresses of common dev servers and databases, each from the tool's own
#: documentation (or, for Redis, the redis.conf it ships).
DEFAULT_BINDS = (
    DefaultBind(
        "python -m http.server", "all interfaces (0.0.0.0, or :: dual stack)", True,
        "--bind 127.0.0.1 (-b)", "Python 3.4+ (--bind added in 3.4, IPv6 in 3.8)",
        "https://docs.python.org/3/library/http.server.html#http-server-cli",
        "docs: 'By default, the server binds itself to all interfaces.'"),
    DefaultBind(
        "Flask (flask run)", "127.0.0.1:5000", False, "flask run --host 0.0.0.0",
        "Flask 2.x and 3.x",
        "https://flask.palletsprojects.com/en/stable/quickstart/"
        "#externally-visible-server",
        "the CLI option: --host, default 127.0.0.1 (src/flask/cli.py)"),
    DefaultBind(
        "Django (manage.py runserver)", "127.0.0.1:8000", False,
        "manage.py runserver 0.0.0.0:8000", "Django 3.x to 5.x",
        "https://docs.djangoproject.com/en/stable/ref/django-admin/#runserver"),
    DefaultBind(
        "Vite dev server", "localhost", False, "server.host in vite.config, or --host",
        "Vite 4 and later",
        "https://vite.dev/config/server-options#server-host",
        "localhost may resolve to ::1 first; --host alone means every address"),
    DefaultBind(
        "Jupyter Server (JupyterLab, Notebook 7)", "localhost", False,
        "--ServerApp.ip (or --ip)", "jupyter_server 2.x",
        "https://jupyter-server.readthedocs.io/en/latest/other/full-config.html",
        "falls back to 127.0.0.1 where localhost cannot be bound"),
    DefaultBind(
        "PostgreSQL", "localhost", False, "listen_addresses in postgresql.conf",
        "current documentation (PostgreSQL 17)",
        "https://www.postgresql.org/docs/current/runtime-config-connection.html"
        "#GUC-LISTEN-ADDRESSES",
        "clients (libpq) with no host use the Unix socket, except on Windows: TCP to "
        "localhost"),
    DefaultBind(
        "MySQL", "* (every IPv4 and IPv6 interface)", True,
        "bind_address (bind-address in my.cnf)", "MySQL 8.0, 8.4 and 9.x",
        "https://dev.mysql.com/doc/refman/8.4/en/server-system-variables.html"
        "#sysvar_bind_address",
        "the upstream default; distribution packages may set bind-address in their "
        "config files. Clients: localhost is the Unix socket on Unix, TCP 127.0.0.1 on "
        "Windows unless shared memory or a named pipe is asked for (--protocol)"),
    DefaultBind(
        "Redis (with the shipped redis.conf)", "127.0.0.1 -::1", False,
        "bind in redis.conf", "redis.conf of Redis 6.2 and later",
        "https://github.com/redis/redis/blob/7.0/redis.conf",
        "without a bind line Redis listens on every interface, and protected mode then "
        "accepts only loopback clients while no password is set"),
    DefaultBind(
        "MongoDB (mongod, mongos)", "localhost", False, "net.bindIp or --bind_ip",
        "MongoDB 3.6 and later",
        "https://www.mongodb.com/docs/manual/core/security-mongodb-configuration/"),
    DefaultBind(
        "Memcached", "every address getaddrinfo(NULL, AI_PASSIVE) gives: 0.0.0.0 and ::",
        True, "-l 127.0.0.1", "memcached 1.6 (1.6.45); UDP off by default since 1.5.6",
        "https://github.com/memcached/memcached/blob/master/memcached.c (server_socket)",
        "memcached(1) says 'default to INADDR_ANY'; the code binds each passive "
        "getaddrinfo result, so [::] too where IPv6 is on"),
    DefaultBind(
        "Elasticsearch", "_local_ (loopback addresses)", False,
        "network.host (or http.host) in elasticsearch.yml", "Elasticsearch 7.x only",
        "https://www.elastic.co/guide/en/elasticsearch/reference/7.17/"
        "modules-network.html",
        "8.x security auto-configuration is reported to write http.host: 0.0.0.0 into "
        "elasticsearch.yml on first start: check the file"),
    DefaultBind(
        "Node.js server.listen(port)", ":: (or 0.0.0.0 without IPv6)", True,
        "server.listen(port, '127.0.0.1')", "Node.js 18, 20 and 22",
        "https://nodejs.org/api/net.html#serverlistenport-host-backlog-callback",
        "listening on :: may also accept IPv4 (dual stack)"),
    DefaultBind(
        "Docker (docker run -p 8080:80)", "0.0.0.0 and [::]", True,
        "-p 127.0.0.1:8080:80, or the daemon's \"ip\" setting",
        "Docker Engine (current documentation)",
        "https://docs.docker.com/engine/network/port-publishing/",
        "-p 127.0.0.1:... keeps LAN hosts out only since Engine 28.0.0 (moby/moby#45610), "
        "not in 28.0 to 28.3.2 after a firewalld reload (CVE-2025-54388), nor with the "
        "daemon's allow-direct-routing or trusted_host_interfaces (moby/moby#49832); a "
        "crafted packet to 127.0.0.1 can be DNAT-ed in (moby/moby#41872), as of 2026-12"),
)
