"""The client side: libpq connecting to the throwaway server every way the lesson
compares, and timing ``SELECT 1`` over the Unix socket and over TCP.

Connections are made with libpq's own ``PQconnectdb`` (``psycopg.pq.PGconn.connect``),
as psql makes them, not with ``psycopg.connect()``: psycopg resolves a host name itself
and tries every address in turn, even after the server has refused one, whereas libpq
stops at the first address whose server refuses the login (PostgreSQL 15
documentation, 34.1.1.3 "Specifying Multiple Hosts"). The lesson shows libpq's rules.

Introduced in notebooks/06-loopback-at-work.ipynb.
"""

from __future__ import annotations

import ipaddress
import os
import re
import time
from dataclasses import asdict, dataclass

from ..stats import Summary
from .binaries import psycopg_module
from .server import LEARNER, Cluster, _conninfo, _params

__all__ = ["Way", "try_connect", "connect_ways", "matching_rule", "QueryRtt", "query_rtt",
           "SOCKET_FOLDER"]

#: The label of the connection that names the server's socket folder as its host.
SOCKET_FOLDER = "host=<socket folder>"


def matching_rule(hba_text: str, transport: str, client_address: str = "",
                  user: str = LEARNER, database: str = "postgres") -> str:
    """The pg_hba.conf row that decides a connection: the first whose type (``local``
    for a Unix socket, ``host`` for TCP), database, user and address match, as the
    server picks it (no fall-through to later rows).

    >>> from loopedu.postgres import HBA
    >>> hba = HBA["socket only"]
    >>> matching_rule(hba, "unix socket")
    'line 3: local all learner trust'
    >>> matching_rule(hba, "tcp", "::1")
    'line 5: host all learner ::1/128 reject'
    >>> matching_rule(hba, "tcp", "127.0.0.1", user="someone")
    'no row matches: refused with "no pg_hba.conf entry"'

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """
    for number, line in enumerate(hba_text.splitlines(), 1):
        fields = line.split("#", 1)[0].split()
        if len(fields) < 4:
            continue
        kind, databases, users = fields[0], fields[1].split(","), fields[2].split(",")
        if kind == "local":
            if transport != "unix socket":
                continue
        elif kind in ("host", "hostnossl"):
            if transport != "tcp" or len(fields) < 5 or not _address_in(client_address,
                                                                          fields[3]):
                continue
        else:
            continue
        if "all" in databases or database in databases:
            if "all" in users or user in users:
                return f"line {number}: {' '.join(fields)}"
    return 'no row matches: refused with "no pg_hba.conf entry"'


def _address_in(address: str, rule: str) -> bool:
    if rule == "all":
        return True
    try:
        ip, net = ipaddress.ip_address(address), ipaddress.ip_network(rule, strict=False)
    except ValueError:
        return False
    return ip.version == net.version and ip in net


@dataclass(frozen=True)
class Way:
    """One way of connecting and what happened: the ``conninfo`` given to libpq,
    ``connected`` or not, the ``transport`` used (``"unix socket"`` or ``"tcp"``), the
    server's address (TCP: ``inet_server_addr()``; Unix socket: the socket file) and
    the client's as the server saw it, the server's own error message when it said no,
    libpq's whole message (``error``), and the pg_hba.conf row that decided.

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """

    label: str
    conninfo: str
    connected: bool
    transport: str
    server_address: str
    client_address: str = ""
    server_message: str = ""
    error: str = ""
    hba_rule: str = ""

    def to_dict(self) -> dict:
        """Plain data."""
        return asdict(self)


_ATTEMPT = re.compile(r'connection to server (?:at "(?P<name>[^"]+)"(?: \((?P<ip>[^)]+)\))?'
                      r', port \d+|on socket "(?P<socket>[^"]+)") failed: (?P<why>[^\n]*)')
_FATAL = re.compile(r"FATAL:\s+([^\n]+)")
_CLIENT_HOST = re.compile(r'host "([^"]+)"')


def _libpq_connect(params: dict):
    """(PGconn, "") connected with libpq's PQconnectdb, or (None, libpq's message)."""
    psycopg = psycopg_module()
    pgconn = psycopg.pq.PGconn.connect(psycopg.conninfo.make_conninfo("", **params)
                                       .encode())
    if pgconn.status == psycopg.pq.ConnStatus.OK:
        return pgconn, ""
    message = pgconn.error_message.decode(errors="replace")
    pgconn.finish()
    return None, message


def _query(pgconn, sql: bytes) -> list:
    """The first row of ``sql`` as text (None for NULL); RuntimeError if it failed."""
    psycopg = psycopg_module()
    result = pgconn.exec_(sql)
    if result.status != psycopg.pq.ExecStatus.TUPLES_OK:
        raise RuntimeError(f"{sql.decode()} failed: "
                           f"{pgconn.error_message.decode(errors='replace')}")
    return [None if (v := result.get_value(0, col)) is None else v.decode()
            for col in range(result.nfields)]


def _refused(label: str, params: dict, text: str, hba_text: str, ours: str) -> Way:
    """A Way that failed, read from libpq's message: the last address it tried, and
    the server's FATAL line when the server itself said no."""
    text = text.strip()
    attempts = list(_ATTEMPT.finditer(text))
    last = attempts[-1] if attempts else None
    transport, server = "", ""
    if last is not None and last.group("socket"):
        transport, server = "unix socket", last.group("socket")
    elif last is not None:
        transport, server = "tcp", last.group("ip") or last.group("name")
    fatal = _FATAL.search(text)
    message = fatal.group(1).strip() if fatal else ""
    client = _CLIENT_HOST.search(message)
    client_address = client.group(1) if client and client.group(1) != "[local]" else ""
    reached = bool(fatal) and (transport == "tcp" or server == ours)
    rule = ""
    if reached:
        rule = matching_rule(hba_text, transport, client_address or server, params["user"])
    return Way(label, _conninfo(params), False, transport, server, client_address,
               message, text, rule)


def _ways(cluster: Cluster) -> list:
    ways = [("no host", None), (SOCKET_FOLDER, str(cluster.folder)),
            ("host=localhost", "localhost"), ("host=127.0.0.1", "127.0.0.1")]
    if "::1" in cluster.listen:
        ways.append(("host=::1", "::1"))
    return ways


def try_connect(host: str | None, port: int, user: str = LEARNER, hba_text: str = "",
                socket_path: str = "", label: str = "") -> Way:
    """Connect once with libpq (``host=None``: no host at all) and say what happened.
    ``hba_text`` (the server's pg_hba.conf) names the deciding row; ``socket_path``
    (the server's socket file) tells its refusals from another server's.

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """
    label = label or ("no host" if host is None else f"host={host}")
    params = _params(port, host, user)
    pgconn, error = _libpq_connect(params)
    if pgconn is None:
        return _refused(label, params, error, hba_text, socket_path)
    try:
        server, client = _query(pgconn, b"SELECT host(inet_server_addr()), "
                                        b"host(inet_client_addr())")
        socket_dir = pgconn.host.decode()
    finally:
        pgconn.finish()
    if server is None:  # NULL over a Unix-domain socket
        path = os.path.join(socket_dir, f".s.PGSQL.{port}")
        return Way(label, _conninfo(params), True, "unix socket", path, "", "", "",
                   matching_rule(hba_text, "unix socket", "", user))
    return Way(label, _conninfo(params), True, "tcp", server, client, "", "",
               matching_rule(hba_text, "tcp", client, user))


def connect_ways(cluster: Cluster, user: str = LEARNER) -> tuple:
    """Connect to ``cluster`` as ``user`` every way the lesson compares, and say for
    each what happened (a :class:`Way`): no host (libpq's default: a Unix socket in
    the folder compiled into libpq, where this private server is *not*; PGHOST in the
    environment would change that), ``host=<socket folder>`` (its Unix socket),
    ``host=localhost``, ``host=127.0.0.1`` and, when the server listens there,
    ``host=::1`` (TCP).

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """
    results = []
    for label, host in _ways(cluster):
        if host is None and os.environ.get("PGHOST"):
            label = f"no host (PGHOST={os.environ['PGHOST']} is set)"
        results.append(try_connect(host, cluster.port, user, cluster.hba_text,
                                   cluster.socket_path, label))
    return tuple(results)


@dataclass(frozen=True)
class QueryRtt:
    """Round trips of one query over each transport, in microseconds (label ->
    samples), measured interleaved after ``warmup`` untimed ones; ``cpu`` is the CPU
    the client and both server processes were kept on (None: not pinned).

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """

    query: str
    count: int
    warmup: int
    samples_us: dict
    cpu: int | None = None

    @property
    def summaries(self) -> dict:
        """Label -> :class:`loopedu.stats.Summary` of its samples."""
        return {label: Summary.of(s) for label, s in self.samples_us.items()}

    def ratio(self, slower: str = "tcp 127.0.0.1", faster: str = "unix socket") -> float:
        """Median of ``slower`` over median of ``faster``."""
        s = self.summaries
        return s[slower].median / s[faster].median

    def to_dict(self) -> dict:
        """Plain data: the summaries (not every sample) and the TCP/Unix ratio."""
        return {"query": self.query, "count": self.count, "warmup": self.warmup,
                "cpu": self.cpu,
                "summaries_us": {label: {k: round(v, 2) if isinstance(v, float) else v
                                         for k, v in asdict(s).items()}
                                 for label, s in self.summaries.items()},
                "tcp_over_unix": round(self.ratio(), 2)}


def _pin(pids: list) -> tuple:
    """Keep this thread and the server processes ``pids`` on one CPU (Linux); returns
    (that CPU or None, this thread's old CPU set to restore)."""
    get = getattr(os, "sched_getaffinity", None)
    put = getattr(os, "sched_setaffinity", None)
    if get is None or put is None:
        return None, None
    old = get(0)
    cpu = min(old)
    try:
        for pid in pids:
            put(pid, {cpu})
        put(0, {cpu})
    except OSError:
        return None, old
    return cpu, old


def query_rtt(cluster: Cluster, count: int = 500, warmup: int = 50,
              user: str = LEARNER, same_cpu: bool = True) -> QueryRtt:
    """Round trips of ``SELECT 1`` over the Unix socket and over TCP 127.0.0.1, one
    connection each, interleaved (alternating which goes first), after ``warmup``
    untimed ones. Each is libpq's ``PQexec``: the simple query protocol, one message
    out and the reply back. The user must be let in both ways (``use_hba("both")``);
    ValueError says so otherwise.

    With ``same_cpu`` (Linux) this thread and both server processes are kept on one
    CPU while timing, so that the figures compare the transports, not where the
    scheduler happened to put the processes: on a two-CPU virtual machine a round trip
    that wakes the other CPU was seen to cost 100 us more, and unpinned medians
    swapped places from run to run. The thread's own CPU set is restored afterwards.

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """
    if count < 1 or warmup < 0:
        raise ValueError("count must be at least 1 and warmup at least 0")
    psycopg = psycopg_module()
    cases = {"unix socket": str(cluster.folder), "tcp 127.0.0.1": "127.0.0.1"}
    conns: dict = {}
    cpu, restore = None, None
    try:
        for label, host in cases.items():
            conns[label], error = _libpq_connect(_params(cluster.port, host, user))
            if conns[label] is None:
                fatal = _FATAL.search(error)
                raise ValueError(f"cannot time the {label}: "
                                 f"{fatal.group(1) if fatal else error.strip()}; let "
                                 f"{user} in both ways first: cluster.use_hba('both')")
        ok = psycopg.pq.ExecStatus.TUPLES_OK
        if same_cpu:
            cpu, restore = _pin([c.backend_pid for c in conns.values()])
        samples: dict = {label: [] for label in cases}
        order = list(cases)
        for i in range(warmup + count):
            for label in (order if i % 2 == 0 else order[::-1]):
                pgconn = conns[label]
                began = time.perf_counter()
                result = pgconn.exec_(b"SELECT 1")
                took = (time.perf_counter() - began) * 1e6
                if result.status != ok:
                    raise RuntimeError(f"SELECT 1 over the {label} failed: "
                                       f"{pgconn.error_message.decode(errors='replace')}")
                if i >= warmup:
                    samples[label].append(took)
    finally:
        for conn in conns.values():
            if conn is not None:
                conn.finish()
        if restore:
            os.sched_setaffinity(0, restore)
    return QueryRtt("SELECT 1", count, warmup,
                    {label: tuple(s) for label, s in samples.items()}, cpu)
