"""The lesson's experiment in one call, its recorded result for machines without
PostgreSQL, and the text the lesson prints.

Introduced in notebooks/06-loopback-at-work.ipynb.
"""

from __future__ import annotations

import datetime
import json
import platform
from pathlib import Path

from ..localhost import addresses_of
from ..sandbox import is_root
from .binaries import PostgresUnavailable, client_version
from .client import SOCKET_FOLDER, connect_ways, query_rtt
from .server import HBA, throwaway_cluster

__all__ = ["SOURCES", "MYSQL_LOCALHOST", "RECORDED_FILE", "machine_label",
           "localhost_addresses", "demo", "record", "recorded", "demo_or_recorded",
           "format_demo", "BRIEF_WAYS"]

#: The ways :func:`format_demo` prints with ``brief=True``: the three the lesson's
#: prediction asks about, and "no host", which the lesson's text reads.
BRIEF_WAYS = ("no host", SOCKET_FOLDER, "host=localhost", "host=127.0.0.1")

#: The primary sources behind the lesson, by what each settles.
SOURCES = {
    "libpq host": "PostgreSQL 15 documentation, 34.1.2 Parameter Key Words, `host` "
                  "https://www.postgresql.org/docs/15/libpq-connect.html"
                  "#LIBPQ-PARAMKEYWORDS",
    "libpq several addresses": "PostgreSQL 15 documentation, 34.1.1.3 Specifying "
                               "Multiple Hosts https://www.postgresql.org/docs/15/"
                               "libpq-connect.html#LIBPQ-MULTIPLE-HOSTS",
    "pg_hba.conf": "PostgreSQL 15 documentation, 21.1 The pg_hba.conf File "
                   "https://www.postgresql.org/docs/15/auth-pg-hba-conf.html",
    "listen_addresses": "PostgreSQL 15 documentation, 20.3.1 Connection Settings "
                        "https://www.postgresql.org/docs/15/runtime-config-connection.html",
    "inet_server_addr": "PostgreSQL 15 documentation, 9.26 System Information Functions "
                        "https://www.postgresql.org/docs/15/functions-info.html",
    "mysql localhost": "MySQL 8.4 Reference Manual, 6.2.4 Connecting to the MySQL Server "
                       "Using Command Options https://dev.mysql.com/doc/refman/8.4/en/"
                       "connecting.html",
    "mysql protocols": "MySQL 8.4 Reference Manual, 6.2.7 Connection Transport Protocols "
                       "https://dev.mysql.com/doc/refman/8.4/en/transport-protocols.html",
}

#: MySQL's different meaning of ``localhost``, as its manual states it.
MYSQL_LOCALHOST = (
    "MySQL reads the same word differently. Its client library treats the host name "
    "localhost specially: on Unix, `mysql -h localhost` (and no -h at all) connects "
    "through the Unix socket file (--socket, MYSQL_UNIX_PORT), not TCP; on Windows "
    "it is TCP to 127.0.0.1 unless the client asks for shared memory or a named pipe "
    "(--protocol=MEMORY or PIPE, which the server must enable). For TCP on Unix say "
    "-h 127.0.0.1, or "
    "--protocol=TCP, which makes even localhost TCP. libpq never does this: "
    "host=localhost is always TCP, and only no host (or a host that starts with /) is "
    "the Unix socket (on Windows, no host is TCP to localhost). Sources: "
    + SOURCES["mysql localhost"] + "; "
    + SOURCES["mysql protocols"] + ".")

#: The result of :func:`demo`, really run, shown when PostgreSQL is not installed.
RECORDED_FILE = (Path(__file__).resolve().parent.parent / "data"
                 / "postgres-06-recorded.json")


def machine_label(server_major: int | str = "") -> str:
    """This machine in a few words, e.g. ``"Linux (Debian 12, PostgreSQL 15) as root,
    2026-11-29"``: what a recorded result is labelled with.

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """
    system = platform.system() or "unknown system"
    detail = ""
    if system == "Linux":
        try:
            release = platform.freedesktop_os_release()
            name = release.get("NAME", "Linux").split()[0]
            detail = f"{name} {release.get('VERSION_ID', '')}"
        except OSError:
            detail = platform.release()
    elif system == "Darwin":
        system, detail = "macOS", platform.mac_ver()[0]
    else:
        detail = platform.release()
    server = f"PostgreSQL {server_major}" if server_major else ""
    parts = [p.strip() for p in (detail, server) if p.strip()]
    who = "root" if is_root() else "an ordinary user"
    inner = f" ({', '.join(parts)})" if parts else ""
    return f"{system}{inner} as {who}, {datetime.date.today().isoformat()}"


def localhost_addresses() -> list:
    """The addresses ``localhost`` resolves to here, in the order libpq tries them
    (getaddrinfo, TCP): ``["127.0.0.1"]`` on a machine whose hosts file has no ::1
    line, ``["::1", "127.0.0.1"]`` on many others.

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """
    return list(dict.fromkeys(addresses_of("localhost")))


def demo(count: int = 500, search=None, ipv6: bool | None = None) -> dict:
    """The whole experiment of lesson 06, as plain data: start a throwaway server, try
    every way of connecting with pg_hba.conf "socket only" (``learner`` let in over the
    Unix socket, refused over TCP), then with "both", time ``count`` ``SELECT 1`` round
    trips over each, stop and remove it. Raises :class:`PostgresUnavailable` when
    PostgreSQL or psycopg is missing.

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """
    ways = {}
    with throwaway_cluster("socket only", search=search, ipv6=ipv6) as cluster:
        ways["socket only"] = [w.to_dict() for w in connect_ways(cluster)]
        cluster.use_hba("both")
        ways["both"] = [w.to_dict() for w in connect_ways(cluster)]
        rtt = query_rtt(cluster, count=count)
    server = cluster.to_dict()
    server["hba"] = "socket only, then both"
    server["timings_s"]["start_and_stop"] = round(sum(cluster.timings.values()), 3)
    return {"live": True, "recorded": "", "machine": machine_label(cluster.binaries.major),
            "server": server, "client": client_version(), "root": is_root(),
            "localhost_resolves_to": localhost_addresses(),
            "hba": {name: HBA[name] for name in ways}, "ways": ways, "rtt": rtt.to_dict()}


def record(path=RECORDED_FILE, count: int = 500) -> dict:
    """Run :func:`demo` here and save it, labelled ``"recorded on <machine_label()>"``,
    as the recording :func:`recorded` shows (``python -c "from loopedu.postgres
    import record; record()"``).

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """
    data = demo(count=count)
    data["recorded"] = f"recorded on {data['machine']}"
    data["live"] = False
    Path(path).write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    return data


def recorded() -> dict:
    """The recorded result of :func:`demo` (``live`` False, ``recorded`` saying where
    and when it was run).

    >>> data = recorded()
    >>> data["live"], data["recorded"].startswith("recorded on ")
    (False, True)

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """
    data = json.loads(RECORDED_FILE.read_text(encoding="utf-8"))
    data["live"] = False
    return data


def demo_or_recorded(count: int = 500, search=None) -> dict:
    """:func:`demo` where PostgreSQL can run; elsewhere the recorded result, with
    ``why_not_live`` and ``how_to_get`` saying why and what to install. Never raises
    for a missing or failing server.

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """
    try:
        return demo(count=count, search=search)
    except PostgresUnavailable as exc:
        why, how = exc.reason, exc.how_to_get
    except Exception as exc:  # the lesson goes on with the recording, and says why
        why, how = f"the live run failed ({type(exc).__name__}: {exc})", ""
    data = recorded()
    data.update(why_not_live=why, how_to_get=how)
    return data


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def _result(way: dict) -> str:
    if way["connected"]:
        return "connected"
    return "REFUSED" if way["server_message"] else "not reached"


def _way_lines(way: dict, brief: bool = False) -> list:
    result = _result(way)
    where = f"{way['transport']} {way['server_address']}".strip()
    lines = [f"  {way['label']:<21} {result:<11} {where}"]
    pad = " " * 23
    if way["connected"] and way["client_address"]:
        lines[0] += f" (from {way['client_address']})"
    if way["hba_rule"]:
        lines.append(f"{pad}pg_hba.conf {way['hba_rule']}")
    if brief:
        return lines
    if way["server_message"]:
        lines.append(f"{pad}the server said: {way['server_message']}")
    elif not way["connected"]:
        lines.append(f"{pad}libpq said: {_first_line(way['error'])}")
    if way["label"].startswith("no host") and way["transport"] == "unix socket":
        lines.append(f"{pad}no host = a Unix socket in libpq's compiled-in folder; this "
                     "private server's socket is in its own folder")
    return lines


def format_demo(data: dict, brief: bool = False) -> str:
    """The lesson's text for :func:`demo` or :func:`recorded` data; recorded output is
    labelled as such, first. ``brief=True`` (the lesson's main path) prints the first
    pg_hba.conf file only, and in it only the ways of :data:`BRIEF_WAYS` (the lesson's
    prediction asks about three of them), each with the row that decided it and without
    the messages of libpq and the server; it leaves the other file, the start and stop
    timings, the round trips (lesson 07 asks which transport is fastest) and MySQL to
    Going further.

    >>> text = format_demo(recorded())
    >>> text.startswith("RECORDED OUTPUT"), "pg_hba.conf rejects connection" in text
    (True, True)

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """
    lines = []
    if not data.get("live"):
        lines.append(f"RECORDED OUTPUT, not from this machine: {data['recorded']}.")
        if data.get("why_not_live"):
            lines.append(f"Not live here: {data['why_not_live']}.")
        if data.get("how_to_get"):
            lines.append(data["how_to_get"])
        lines.append("")
    server, times = data["server"], data["server"]["timings_s"]
    lines += [f"PostgreSQL {server['version']}, a throwaway server run as "
              f"{server['run_as']}: TCP port {server['port']} on "
              f"{', '.join(server['listen'])}, Unix socket {server['socket']}"]
    if not brief:
        lines.append(f"initdb {times['initdb']:.2f} s, start {times['start']:.2f} s, stop "
                     f"and remove {times['stop']:.2f} s: {times['start_and_stop']:.2f} s "
                     "in all")
    lines.append(f"client: {data['client']}; localhost resolves to "
                 f"{', '.join(data['localhost_resolves_to']) or 'nothing'}")
    for number, (name, ways) in enumerate(data["ways"].items()):
        if brief and number:
            continue
        lines += ["", f'pg_hba.conf "{name}":']
        lines += [f"    {row}" for row in data["hba"][name].splitlines()]
        for way in ways:
            if not brief or way["label"] in BRIEF_WAYS:
                lines += _way_lines(way, brief)
    if brief:
        return "\n".join(lines)
    rtt = data["rtt"]
    lines += ["", f"{rtt['query']} round trips, {rtt['count']} each, interleaved after "
                  f"{rtt['warmup']} untimed:"]
    for label, s in rtt["summaries_us"].items():
        lines.append(f"  {label:<14} median {s['median']:.1f} us, p90 {s['p90']:.1f} us, "
                     f"p99 {s['p99']:.1f} us")
    pinned = (f" (client and server kept on CPU {rtt['cpu']})"
              if rtt.get("cpu") is not None else "")
    lines += [f"  TCP takes {rtt['tcp_over_unix']:.2f}x the Unix socket's median{pinned}."]
    lines += ["", MYSQL_LOCALHOST]
    return "\n".join(lines)
