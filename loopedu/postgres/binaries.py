"""What is installed: PostgreSQL's server programs (found where the packages put
them) and the Python client psycopg; when either is missing, a message saying how to
get it.

Introduced in notebooks/06-loopback-at-work.ipynb.
"""

from __future__ import annotations

import glob
import os
import re
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

from ..sandbox import find_tool

__all__ = ["HOW_TO_GET", "PostgresUnavailable", "ServerBinaries", "candidate_dirs",
           "find_server", "psycopg_module", "client_version"]

#: How to install PostgreSQL's server, shown whenever it is missing.
HOW_TO_GET = ("To run this live, install PostgreSQL's server: Debian/Ubuntu "
              "`sudo apt-get install postgresql`; macOS (Homebrew) "
              "`brew install postgresql`; Windows: the installer from "
              "https://www.postgresql.org/download/windows/ . Then run the cell again.")

_NAMES = ("initdb", "pg_ctl", "postgres")


class PostgresUnavailable(RuntimeError):
    """PostgreSQL cannot run here: ``reason`` says why, ``how_to_get`` what to do.

    >>> print(PostgresUnavailable("no server", "install it"))
    no server. install it

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """

    def __init__(self, reason: str, how_to_get: str = HOW_TO_GET):
        super().__init__(f"{reason}. {how_to_get}")
        self.reason = reason
        self.how_to_get = how_to_get


@dataclass(frozen=True)
class ServerBinaries:
    """Where ``initdb``, ``pg_ctl`` and ``postgres`` are (one folder), and the version.

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """

    bin_dir: str
    version: str

    def tool(self, name: str) -> str:
        """The full path of one of the server's programs."""
        return str(Path(self.bin_dir, name + (".exe" if os.name == "nt" else "")))

    @property
    def major(self) -> int:
        """The major version (15 for "15.18")."""
        found = re.search(r"(\d+)", self.version)
        return int(found.group(1)) if found else 0

    def to_dict(self) -> dict:
        """Plain data."""
        return asdict(self)


def _major_key(path: str) -> float:
    found = re.search(r"(\d+(?:\.\d+)?)", Path(path).parent.name + Path(path).name)
    return float(found.group(1)) if found else 0.0


def candidate_dirs() -> list[str]:
    """Folders that may hold the server programs, in the order they are tried: where
    ``PATH`` finds ``pg_ctl`` (symbolic links followed), then Debian and Ubuntu
    (/usr/lib/postgresql/<major>/bin, newest first), Fedora and RHEL, Homebrew,
    Postgres.app and the Windows installer.

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """
    found = []
    on_path = find_tool("pg_ctl")
    if on_path:
        found += [str(Path(on_path).resolve().parent), str(Path(on_path).parent)]
    for pattern in ("/usr/lib/postgresql/*/bin", "/usr/pgsql-*/bin",
                    "/opt/homebrew/opt/postgresql*/bin", "/usr/local/opt/postgresql*/bin",
                    "/Applications/Postgres.app/Contents/Versions/*/bin",
                    "C:/Program Files/PostgreSQL/*/bin"):
        found += sorted(glob.glob(pattern), key=_major_key, reverse=True)
    return list(dict.fromkeys(found))


def find_server(search=None) -> ServerBinaries:
    """The first folder of ``search`` (default: :func:`candidate_dirs`) holding all of
    ``initdb``, ``pg_ctl`` and ``postgres``; raises :class:`PostgresUnavailable` (saying
    how to install it) when there is none.

    >>> find_server(search=[])
    Traceback (most recent call last):
    ...
    loopedu.postgres.binaries.PostgresUnavailable: PostgreSQL's server ...

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """
    folders = candidate_dirs() if search is None else [str(s) for s in search]
    for folder in folders:
        binaries = ServerBinaries(folder, "")
        if all(os.access(binaries.tool(n), os.X_OK) for n in _NAMES):
            done = _run([binaries.tool("postgres"), "--version"], timeout=20)
            if done.returncode == 0:
                line = done.stdout.strip()
                found = re.search(r"\(PostgreSQL\)\s*(\S+)", line)
                return ServerBinaries(folder, found.group(1) if found else line)
    where = ", ".join(folders) if folders else "no folder"
    raise PostgresUnavailable(f"PostgreSQL's server (initdb, pg_ctl, postgres) is not "
                              f"installed here (looked in {where})")


def _run(cmd: list, account: tuple | None = None, cwd=None, timeout: float = 60
         ) -> subprocess.CompletedProcess:
    """Run a server program (as ``account`` = (name, uid, gid) when given); never
    raises for a failing program. PG* variables are left out so that the learner's own
    PGDATA or PGPORT cannot steer the throwaway server."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(LC_ALL="C", LANG="C")
    user = {}
    if account is not None:
        user = dict(user=account[1], group=account[2], extra_groups=[])
        env.update(HOME=str(cwd or "/"), USER=account[0], LOGNAME=account[0])
    try:
        return subprocess.run([str(c) for c in cmd], capture_output=True, text=True,
                              timeout=timeout, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                              **user)
    except (OSError, subprocess.SubprocessError) as exc:
        return subprocess.CompletedProcess(cmd, 127, "", f"{Path(str(cmd[0])).name}: {exc}")


_CLIENT_HOW = ("Install the Python client into the course's environment: "
               "`python -m pip install 'psycopg[binary]'` (`python3 -m loopedu.bootstrap "
               "lab` installs it with the rest of the course).")


def psycopg_module():
    """The ``psycopg`` module (psycopg 3, whose binary wheel bundles libpq), imported
    now; raises :class:`PostgresUnavailable` saying how to install it when it is missing.

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """
    try:
        import psycopg
    except ImportError as exc:
        raise PostgresUnavailable(f"the Python client psycopg is not installed ({exc})",
                                  _CLIENT_HOW) from None
    return psycopg


def client_version() -> str:
    """psycopg's version and the libpq it uses, e.g. ``"psycopg 3.3.9, libpq 18.0"``.

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """
    psycopg = psycopg_module()
    number = psycopg.pq.version()
    return f"psycopg {psycopg.__version__}, libpq {number // 10000}.{number % 100}"
