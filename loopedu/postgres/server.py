"""A private, throwaway PostgreSQL server: started in a fresh temporary folder on a free
port, as an unprivileged user, and stopped and removed whatever ends the ``with``.

Introduced in notebooks/06-loopback-at-work.ipynb.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from ..listen_guard import check_listen
from ..sandbox import capabilities, is_root
from ..sandbox.tools import last_line, pid_alive
from .binaries import PostgresUnavailable, ServerBinaries, _run, find_server, psycopg_module

__all__ = ["HBA", "SUPERUSER", "LEARNER", "Cluster", "throwaway_cluster",
           "create_learner", "reload_hba"]

#: The cluster's superuser (used only over its Unix socket) and the lesson's user.
SUPERUSER, LEARNER = "loopedu", "learner"


def _hba(tcp: str) -> str:
    rows = [("# TYPE", "DATABASE", "USER", "ADDRESS", "METHOD"),
            ("local", "all", SUPERUSER, "", "trust"),
            ("local", "all", LEARNER, "", "trust"),
            ("host", "all", LEARNER, "127.0.0.1/32", tcp),
            ("host", "all", LEARNER, "::1/128", tcp)]
    return "".join(f"{a:<8}{b:<10}{c:<9}{d:<14}{e}\n" for a, b, c, d, e in rows)


#: The two pg_hba.conf files of the lesson: the same user, ``learner``, let in over the
#: Unix socket (``local``) and refused over TCP (``host``), or let in both ways.
HBA = {"socket only": _hba("reject"), "both": _hba("trust")}

_SERVER_ACCOUNTS = ("postgres", "nobody")  # whom root runs the server as, in this order


def _server_account() -> tuple | None:
    """None to run the server as ourselves; as root (which PostgreSQL refuses to run
    as), Debian's ``postgres`` user if there is one, else ``nobody``."""
    if os.name != "posix" or not is_root():
        return None
    import pwd
    for name in _SERVER_ACCOUNTS:
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        return (name, entry.pw_uid, entry.pw_gid)
    raise PostgresUnavailable("PostgreSQL refuses to run as root, and this machine has "
                              "no 'postgres' or 'nobody' user to run it as",
                              "Run the course as an ordinary user.")


def _free_port(addresses: tuple) -> int:
    """A port free on every address (bind port 0 on the first, then the same port on
    the others); the server binds it a moment later, and a rare collision is retried.
    The addresses pass the course's listen guard first (the server will listen there)."""
    for address in addresses:
        check_listen(address, what="PostgreSQL")
    for _ in range(50):
        socks = []
        try:
            for address in addresses:
                family = socket.AF_INET6 if ":" in address else socket.AF_INET
                sock = socket.socket(family, socket.SOCK_STREAM)
                socks.append(sock)
                sock.bind((address, socks[0].getsockname()[1] if len(socks) > 1 else 0))
            return socks[0].getsockname()[1]
        except OSError:
            continue
        finally:
            for sock in socks:
                sock.close()
    raise OSError(f"found no port free on {', '.join(addresses)}")


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


@dataclass
class Cluster:
    """A running throwaway server (see :func:`throwaway_cluster`): its folder (which
    also holds the Unix socket), TCP addresses and port, the user it runs as, the
    pg_hba.conf in force, and how long it took (``timings``, seconds).

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """

    binaries: ServerBinaries
    folder: Path
    listen: tuple
    account: tuple | None
    port: int = 0
    hba: str = ""
    pid: int | None = None
    timings: dict = field(default_factory=dict)

    @property
    def data(self) -> Path:
        """The data directory (initdb's ``-D``)."""
        return self.folder / "data"

    @property
    def socket_path(self) -> str:
        """The Unix socket file: ``.s.PGSQL.<port>`` in the folder."""
        return str(self.folder / f".s.PGSQL.{self.port}")

    @property
    def run_as(self) -> str:
        """The user the server runs as."""
        if self.account:
            return self.account[0]
        try:
            import getpass
            return getpass.getuser()
        except Exception:
            return "this user"

    def log(self) -> str:
        """The server's log so far."""
        try:
            return (self.folder / "server.log").read_text(errors="replace")
        except OSError:
            return ""

    def _own(self, path: Path) -> None:
        if self.account:
            os.chown(path, self.account[1], self.account[2])

    def _server(self, *args, timeout: float = 60) -> subprocess.CompletedProcess:
        return _run(list(args), self.account, cwd=self.folder, timeout=timeout)

    def _start(self) -> None:
        began = time.perf_counter()
        self._own(self.folder)
        if self.account:  # the client (root) must reach the socket in the folder
            self.folder.chmod(0o711)
        done = self._server(self.binaries.tool("initdb"), "-D", self.data, "-A", "trust",
                            "-U", SUPERUSER, "--no-sync", "-E", "UTF8", "--locale=C")
        if done.returncode != 0:
            raise PostgresUnavailable(f"initdb failed: {last_line(done)}", _FAILED)
        settings = {"listen_addresses": ",".join(self.listen),
                    "unix_socket_directories": str(self.folder),
                    "fsync": "off", "synchronous_commit": "off", "full_page_writes": "off",
                    "shared_buffers": "16MB", "max_connections": "20",
                    "max_wal_senders": "0", "wal_level": "minimal",
                    "huge_pages": "off", "logging_collector": "off"}
        with open(self.data / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write("\n# loopedu: a throwaway server for lesson 06\n")
            conf.writelines(f"{k} = {_quote(v)}\n" for k, v in settings.items())
        self._write_hba(self.hba)
        self.timings["initdb"] = time.perf_counter() - began
        began = time.perf_counter()
        for _attempt in range(5):
            self.port = _free_port(self.listen)
            done = self._server(self.binaries.tool("pg_ctl"), "-D", self.data, "-l",
                                self.folder / "server.log", "-w", "-t", "60",
                                "-o", f"-p {self.port}", "start", timeout=90)
            if done.returncode == 0:
                break
            if "already in use" not in self.log():
                raise PostgresUnavailable(f"the server did not start: {last_line(done)}; its "
                                          f"log: {self.log().strip()[-600:]}", _FAILED)
        else:
            raise PostgresUnavailable("the server found no free port in 5 tries", _FAILED)
        self.pid = int((self.data / "postmaster.pid").read_text().split()[0])
        # an address the server could not bind after all is only a WARNING in its log
        bound = tuple(a for a in self.listen
                      if f'address "{a}", port {self.port}' in self.log())
        self.listen = bound or self.listen
        self.timings["start"] = time.perf_counter() - began

    def use_hba(self, name: str) -> None:
        """Put another pg_hba.conf in force (a key of :data:`HBA` or the text of one):
        written, checked, reloaded, and waited for until new connections see it."""
        reload_hba(self, name)

    def _write_hba(self, name: str) -> None:
        path = self.data / "pg_hba.conf"
        path.write_text(HBA.get(name, name), encoding="utf-8")
        self._own(path)
        self.hba = name

    @property
    def hba_text(self) -> str:
        """The pg_hba.conf in force."""
        return HBA.get(self.hba, self.hba)

    def stop(self) -> None:
        """Stop the server at once (``pg_ctl stop -m immediate``) and remove its folder;
        safe to call twice. The ``with`` block of :func:`throwaway_cluster` calls it."""
        began = time.perf_counter()
        if self.binaries.bin_dir and (self.data / "postmaster.pid").exists():
            self._server(self.binaries.tool("pg_ctl"), "-D", self.data, "-m", "immediate",
                         "-w", "-t", "30", "stop", timeout=60)
        _kill_leftovers(self.pid, str(self.data))
        shutil.rmtree(self.folder, ignore_errors=True)
        with _lock:
            _live.pop(id(self), None)
        self.timings.setdefault("stop", time.perf_counter() - began)

    def to_dict(self) -> dict:
        """Plain data: where it ran and how long it took."""
        return {"version": self.binaries.version, "bin_dir": self.binaries.bin_dir,
                "folder": str(self.folder), "socket": self.socket_path,
                "listen": list(self.listen), "port": self.port, "run_as": self.run_as,
                "hba": self.hba, "timings_s": {k: round(v, 3)
                                               for k, v in self.timings.items()}}


_FAILED = "The lesson shows the recorded output instead; the message above says why."


def _kill_leftovers(pid: int | None, data: str) -> None:
    """The backstop when ``pg_ctl stop`` did not end it (or the start was cut short):
    kill every process whose command line names the data directory, and its children."""
    if (pid is not None and not pid_alive(pid)) or (pid is None and not os.path.isdir(data)):
        return
    import psutil
    killed = []
    for proc in psutil.process_iter(["pid", "cmdline"]):
        if data in " ".join(proc.info["cmdline"] or ()):  # never a reused pid
            try:
                for each in proc.children(recursive=True) + [proc]:
                    each.kill()
                    killed.append(each)
            except psutil.Error:
                pass
    psutil.wait_procs(killed, timeout=5)


_lock = threading.Lock()
_live: dict = {}
_registered: list = []


def _reap_stale() -> None:
    """Stop and remove what a Python that was killed (not stopped) left behind: a
    ``loopedu-pg-*`` folder of this user whose owner process is gone, and its server."""
    if os.name != "posix":
        return
    for folder in Path(tempfile.gettempdir()).glob("loopedu-pg-*"):
        try:
            owner = folder / "owner"
            if owner.stat().st_uid != os.getuid() or pid_alive(int(owner.read_text())):
                continue
        except (OSError, ValueError):
            continue
        try:
            pid = int((folder / "data" / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            pid = None
        Cluster(ServerBinaries(_pg_ctl_dir(folder), ""), folder, (), _server_account(),
                pid=pid).stop()


def _pg_ctl_dir(folder: Path) -> str:
    try:
        return (folder / "bin").read_text().strip()
    except OSError:
        return ""


def _stop_all_at_exit() -> None:
    with _lock:
        clusters = list(_live.values())
    for cluster in clusters:
        cluster.stop()


def _params(port: int, host: str | None, user: str) -> dict:
    """libpq's keywords for one connection; ``host=None`` leaves host out entirely."""
    params = {} if host is None else {"host": host}
    params.update(port=str(port), user=user, dbname="postgres",
                  connect_timeout="5", sslmode="disable", gssencmode="disable")
    return params


def _conninfo(params: dict) -> str:
    keep = ("host", "port", "user", "dbname")
    return " ".join(f"{k}={params[k]}" for k in keep if k in params)


def _admin(cluster: Cluster, sql: str) -> list:
    """Run one statement as the superuser, over the Unix socket."""
    psycopg = psycopg_module()
    with psycopg.connect(**_params(cluster.port, str(cluster.folder), SUPERUSER),
                         autocommit=True) as conn:
        cur = conn.execute(sql)
        return cur.fetchall() if cur.description else []


def create_learner(cluster: Cluster) -> None:
    """Make the lesson's login role, ``learner`` (no password), in a new cluster.

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """
    _admin(cluster, f"CREATE ROLE {LEARNER} LOGIN")


def reload_hba(cluster: Cluster, name: str, timeout: float = 10) -> None:
    """Write another pg_hba.conf (a key of :data:`HBA`, or the text of one), check it
    (``pg_hba_file_rules``; ValueError and the old file back if a row is wrong), reload
    it, and wait until new sessions see the reload (``pg_conf_load_time()``).

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """
    before, old = _admin(cluster, "SELECT pg_conf_load_time()")[0][0], cluster.hba
    cluster._write_hba(name)
    wrong = _admin(cluster, "SELECT line_number, error FROM pg_hba_file_rules "
                            "WHERE error IS NOT NULL")
    if wrong:
        cluster._write_hba(old)
        raise ValueError("pg_hba.conf not changed: " + "; ".join(
            f"line {n}: {error}" for n, error in wrong))
    _admin(cluster, "SELECT pg_reload_conf()")
    deadline = time.monotonic() + timeout
    while _admin(cluster, "SELECT pg_conf_load_time()")[0][0] == before:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the server did not reload pg_hba.conf in {timeout} s")
        time.sleep(0.01)


@contextmanager
def throwaway_cluster(hba: str = "socket only", *, search=None,
                      ipv6: bool | None = None) -> Iterator[Cluster]:
    """Start a private PostgreSQL server and stop and remove it when the ``with`` block
    ends, also on an error or Ctrl+C (and, as a backstop, when Python exits).

    initdb makes a cluster in a fresh temporary folder; the server listens on its Unix
    socket in that folder and on TCP 127.0.0.1 (and ::1 when this machine has IPv6
    loopback, or as ``ipv6`` says) at a free port, never the system's 5432, with fsync
    off. As root it runs as Debian's ``postgres`` user (else ``nobody``), because
    PostgreSQL refuses to run as root. ``hba`` is a key of :data:`HBA` or the text of a
    pg_hba.conf. Raises :class:`PostgresUnavailable` when the server is not installed or
    does not start.

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """
    binaries = find_server(search)
    psycopg_module()  # no client, no lesson: say so before starting anything
    account = _server_account()
    if ipv6 is None:
        ipv6 = bool(capabilities().ipv6_loopback)
    listen = ("127.0.0.1", "::1") if ipv6 else ("127.0.0.1",)
    _reap_stale()
    cluster = Cluster(binaries, Path(tempfile.mkdtemp(prefix="loopedu-pg-")), listen,
                      account, hba=hba)
    with _lock:
        _live[id(cluster)] = cluster
        if not _registered:
            atexit.register(_stop_all_at_exit)
            _registered.append(True)
    try:
        # who made it and with which pg_ctl, for _reap_stale if this Python is killed
        (cluster.folder / "owner").write_text(f"{os.getpid()}\n")
        (cluster.folder / "bin").write_text(binaries.bin_dir + "\n")
        cluster._start()
        began = time.perf_counter()
        create_learner(cluster)
        cluster.timings["start"] += time.perf_counter() - began
        yield cluster
    finally:
        cluster.stop()
