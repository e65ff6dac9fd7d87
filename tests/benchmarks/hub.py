"""A classroom JupyterHub on this machine, shaped like The Littlest JupyterHub, started
and removed by one command. Run as root from the repository root:

    .venv/bin/python tests/benchmarks/hub.py up --learners 3 [--dir DIR] [--plain]
    .venv/bin/python tests/benchmarks/hub.py down [--dir DIR | --all]

``up`` makes (and prints where to find):

- a state folder, ``DIR`` (default ``/tmp/loopedu-hub-ID``, ID six random hex digits;
  ``DIR`` must not exist yet): ``hub/`` (root only: ``hub.json``, the hub's database,
  cookie secret, pid files and log, and ``learners.json``, each learner's password),
  ``course.git`` (a bare git repository holding this checkout's HEAD as branch
  ``main``, which the learners pull), ``progress/NAME`` (each learner's LOOPEDU_HOME)
  and ``gitconfig`` (lets learners read root's repository);
- for each learner ``lhID-NN`` (NN = 01, 02, ...), the Unix user ``jupyter-lhID-NN``
  (TLJH's ``jupyter-`` prefix), with a home folder ``/home/jupyter-lhID-NN`` made by
  ``useradd --create-home`` and closed to others as TLJH does (``chmod o-rwx``), a
  random password, no root and no sudo; its progress folder is its own, in the group
  ``jupyter-lhID-ins`` (mode 2750);
- the instructor ``jupyter-lhID-teacher``, a Unix user in that group and nothing else;
- ``jupyterhub -f hub/jupyterhub_config.py`` (root, its own session), which starts
  configurable-http-proxy; hub, proxy, its API and every learner's server listen on
  127.0.0.1 only.

Every user it makes carries the comment ``loopedu-hub ID`` and the name prefix
``jupyter-lhID-``; ``down`` removes only users with both. ``up`` refuses to start when
any name or home folder it would use exists.

The shared environment is the Python running this script (``sys.prefix``: the
checkout's ``.venv``, where the bootstrap installed the course from this checkout at
the pinned versions, plus the ``hub`` extra). Learners need to run it: ``up`` checks,
as a learner, that it imports loopedu from this checkout and jupyterhub, and says what
to do when it cannot.

``down`` stops the hub (which stops the servers and the proxy), kills every process
left of the learners' and the instructor's users (kernels, namespace holders,
PostgreSQL servers), removes the users, their homes and groups, their files in /tmp,
/var/tmp and /dev/shm, and the state folder; then it checks that nothing of the hub is
still running or listening. ``up`` does the same when it fails or is interrupted.
Without ``--dir``, ``down`` removes the one hub there is (``--all``: every hub this
script made on this machine, found by their users' comment and their state folders).
"""

from __future__ import annotations

import argparse
import grp
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "hub" / "jupyterhub_config.py"
SYSTEM_PREFIX = "jupyter-"
COMMENT = "loopedu-hub"
STATE_PREFIX = "loopedu-hub-"
START_TIMEOUT = 120


class HubError(Exception):
    """The hub could not be made or removed; the message says why and what to do."""


# --------------------------------------------------------------------------- names

def hub_names(hub_id: str, learners: int) -> list[str]:
    """The learners' hub user names: ``lhID-01``, ``lhID-02``, ..."""
    return [f"lh{hub_id}-{i:02d}" for i in range(1, learners + 1)]


def system_name(hub_name: str) -> str:
    """TLJH's convention: hub user NAME is the Unix user jupyter-NAME."""
    return SYSTEM_PREFIX + hub_name


def instructor_name(hub_id: str) -> str:
    return f"{SYSTEM_PREFIX}lh{hub_id}-teacher"


def instructors_group(hub_id: str) -> str:
    return f"{SYSTEM_PREFIX}lh{hub_id}-ins"


def comment(hub_id: str) -> str:
    return f"{COMMENT} {hub_id}"


def ours(entry: pwd.struct_passwd, hub_id: str | None = None) -> bool:
    """A Unix user this script made (for hub ``hub_id``, or any of its hubs)."""
    gecos = entry.pw_gecos.split(",")[0]
    if hub_id is None:
        parts = gecos.split()
        return (len(parts) == 2 and parts[0] == COMMENT
                and entry.pw_name.startswith(f"{SYSTEM_PREFIX}lh{parts[1]}-"))
    return gecos == comment(hub_id) and entry.pw_name.startswith(f"{SYSTEM_PREFIX}lh{hub_id}-")


# --------------------------------------------------------------------------- the hub

@dataclass
class Hub:
    """What ``up`` made; saved as ``DIR/hub/hub.json`` (read by the hub's config)."""

    id: str
    dir: Path
    learners: list[str]
    ports: dict = field(default_factory=dict)
    venv: str = sys.prefix
    service_token: str = ""
    lean: bool = True
    pid: int = 0
    users: list[str] = field(default_factory=list)    # Unix users made, in order
    groups: list[str] = field(default_factory=list)   # groups made (not users' own)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.ports['public']}"

    @property
    def state(self) -> Path:
        return self.dir / "hub"

    @property
    def course_repo(self) -> str:
        return (self.dir / "course.git").as_uri()

    def save(self) -> None:
        data = {"id": self.id, "dir": str(self.dir), "hub_names": self.learners,
                "system_prefix": SYSTEM_PREFIX, "ports": self.ports, "venv": self.venv,
                "service_token": self.service_token, "lean": self.lean, "pid": self.pid,
                "users": self.users, "groups": self.groups, "course_repo": self.course_repo,
                "proxy_command": shutil.which("configurable-http-proxy") or ""}
        path = self.state / "hub.json"
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(data, out, indent=1)
        os.replace(tmp, path)

    @classmethod
    def load(cls, folder: Path) -> Hub:
        try:
            data = json.loads((Path(folder) / "hub" / "hub.json").read_text())
        except (OSError, ValueError) as exc:
            raise HubError(f"{folder} holds no hub made by this script ({exc})") from None
        hub = cls(data["id"], Path(data["dir"]), data["hub_names"], data["ports"],
                  data["venv"], data["service_token"], data.get("lean", True),
                  data.get("pid", 0), data.get("users", []), data.get("groups", []))
        return hub

    def passwords(self) -> dict[str, str]:
        return json.loads((self.state / "learners.json").read_text())

    def home(self, hub_name: str) -> Path:
        return Path(pwd.getpwnam(system_name(hub_name)).pw_dir)

    def uid(self, hub_name: str) -> int:
        return pwd.getpwnam(system_name(hub_name)).pw_uid

    def uids(self) -> set[int]:
        """The uids of every user this hub made (learners and instructor)."""
        found = set()
        for name in self.users:
            try:
                found.add(pwd.getpwnam(name).pw_uid)
            except KeyError:
                pass
        return found

    def api(self, method: str, path: str, body=None, token: str | None = None,
            timeout: float = 30):
        """A request to the hub's REST API (``/hub/api`` + ``path``); the JSON answer."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.url}/hub/api{path}", data=data, method=method,
            headers={"Authorization": f"token {token or self.service_token}",
                     "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            text = answer.read()
        return json.loads(text) if text else None


# --------------------------------------------------------------------------- up

def run(*cmd: str, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, **kwargs)
    if done.returncode != 0:
        raise HubError(f"`{' '.join(cmd)}` failed: {(done.stderr or done.stdout).strip()}")
    return done


def free_port() -> int:
    """A port free on 127.0.0.1 now (the hub and the proxy need a number up front)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def check_machine() -> str:
    """configurable-http-proxy's path; HubError when this machine cannot run the hub."""
    if sys.platform != "linux":
        raise HubError("the hub needs Linux (Unix users, LocalProcessSpawner)")
    if os.geteuid() != 0:
        raise HubError("run as root: the hub makes Unix users and starts their servers "
                       "(sudo .venv/bin/python tests/benchmarks/hub.py up ...)")
    for tool in ("useradd", "userdel", "groupadd", "groupdel", "chpasswd", "git"):
        if shutil.which(tool) is None:
            raise HubError(f"`{tool}` is missing (Debian: apt-get install passwd git)")
    proxy = shutil.which("configurable-http-proxy")
    if proxy is None:
        raise HubError("configurable-http-proxy is missing: npm install -g "
                       "configurable-http-proxy (needs Node.js: apt-get install nodejs npm)")
    try:
        import jupyterhub  # noqa: F401
    except ImportError:
        raise HubError("jupyterhub is not installed in this environment: "
                       f"{sys.executable} -m pip install -c constraints.txt -e '.[hub]'") \
            from None
    return proxy


def check_free(hub_id: str, learners: list[str]) -> None:
    names = [system_name(n) for n in learners] + [instructor_name(hub_id)]
    for name in names:
        for exists, what in ((_user_exists, "user"), (_group_exists, "group")):
            if exists(name):
                raise HubError(f"a {what} named {name} exists already; nothing was changed")
        if Path("/home", name).exists():
            raise HubError(f"/home/{name} exists already; nothing was changed")
    if _group_exists(instructors_group(hub_id)):
        raise HubError(f"a group named {instructors_group(hub_id)} exists already")


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _group_exists(name: str) -> bool:
    try:
        grp.getgrnam(name)
    except KeyError:
        return False
    return True


def add_user(hub: Hub, name: str, *groups: str) -> pwd.struct_passwd:
    """A Unix user as TLJH makes one (useradd --create-home, home closed to others)."""
    hub.users.append(name)   # first: down removes it even if useradd stops half-way
    hub.save()
    extra = ["--groups", ",".join(groups)] if groups else []
    run("useradd", "--create-home", "--shell", "/bin/bash", "--comment", comment(hub.id),
        *extra, name)
    entry = pwd.getpwnam(name)
    home = Path(entry.pw_dir)
    home.chmod(home.stat().st_mode & ~0o007)   # TLJH: chmod o-rwx
    return entry


def check_environment(hub: Hub, learner: str) -> None:
    """As ``learner``, the shared environment's Python imports loopedu (this checkout's)
    and jupyterhub."""
    code = "import loopedu, jupyterhub; print(loopedu.__file__)"
    done = subprocess.run(
        [shutil.which("runuser") or "/usr/sbin/runuser", "-u", system_name(learner), "--",
         f"{hub.venv}/bin/python", "-c", code],
        capture_output=True, text=True, timeout=120, cwd="/",
        env={"PATH": f"{hub.venv}/bin:/usr/bin:/bin", "HOME": str(hub.home(learner))})
    expected = str(ROOT / "loopedu" / "__init__.py")
    if done.returncode != 0 or done.stdout.strip() != expected:
        why = (done.stderr.strip().splitlines() or [done.stdout.strip()])[-1]
        raise HubError(f"a learner cannot use the shared environment {hub.venv} ({why}); "
                       f"it must be readable by all and import loopedu from {ROOT} "
                       "(python3 -m loopedu.bootstrap setup, then pip install -e '.[hub]')")


def make_course_repo(hub: Hub) -> str:
    """``course.git``: this checkout's HEAD as branch main, readable by all."""
    repo = hub.dir / "course.git"
    run("git", "init", "--quiet", "--bare", str(repo))
    run("git", "-C", str(ROOT), "push", "--quiet", str(repo), "HEAD:refs/heads/main")
    run("git", "--git-dir", str(repo), "symbolic-ref", "HEAD", "refs/heads/main")
    # learners run git in root's repository: allow it (git's safe.directory), and keep
    # their own ~/.gitconfig
    (hub.dir / "gitconfig").write_text(f"[safe]\n\tdirectory = {repo}\n"
                                       "[include]\n\tpath = ~/.gitconfig\n")
    for path in [repo, *repo.rglob("*"), hub.dir / "gitconfig"]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return run("git", "--git-dir", str(repo), "rev-parse", "--short", "main").stdout.strip()


def start_hub(hub: Hub) -> None:
    log = open(hub.state / "jupyterhub.log", "ab")
    env = {"PATH": f"{hub.venv}/bin:{os.environ.get('PATH', '/usr/bin:/bin')}",
           "LOOPEDU_HUB_STATE": str(hub.dir), "LANG": "C.UTF-8",
           "HOME": str(hub.state)}
    proc = subprocess.Popen([f"{hub.venv}/bin/jupyterhub", "-f", str(CONFIG)],
                            cwd=hub.state, env=env, stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    log.close()
    hub.pid = proc.pid
    hub.save()
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise HubError(f"jupyterhub exited ({proc.returncode}):\n" + log_tail(hub))
        try:
            hub.api("GET", "/users", timeout=5)
            return
        except (OSError, urllib.error.URLError, ValueError):
            time.sleep(0.5)
    raise HubError(f"the hub did not answer in {START_TIMEOUT} s:\n" + log_tail(hub))


def log_tail(hub: Hub, lines: int = 25) -> str:
    try:
        text = (hub.state / "jupyterhub.log").read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def up(learners: int, folder: Path | None = None, lean: bool = True,
       say=print) -> Hub:
    """Make and start a hub with ``learners`` learners; removes everything it made and
    raises HubError (or the interruption) when anything fails."""
    if not 1 <= learners <= 99:
        raise HubError("--learners must be between 1 and 99")
    check_machine()
    hub_id = secrets.token_hex(3)
    names = hub_names(hub_id, learners)
    check_free(hub_id, names)
    if folder is None:
        folder = Path(tempfile.gettempdir()) / f"{STATE_PREFIX}{hub_id}"
    folder = Path(folder).absolute()
    try:
        folder.mkdir(mode=0o711)
    except FileExistsError:
        raise HubError(f"{folder} exists already: give a new folder to --dir") from None
    folder.chmod(0o711)   # learners pass through to course.git and their progress
    hub = Hub(hub_id, folder, names, lean=lean)
    try:
        hub.state.mkdir(mode=0o700)
        hub.ports = {"public": free_port(), "hub": free_port(), "proxy_api": free_port()}
        hub.service_token = secrets.token_hex(32)
        hub.save()
        commit = make_course_repo(hub)
        teachers = instructors_group(hub_id)
        hub.groups.append(teachers)
        hub.save()
        run("groupadd", teachers)
        add_user(hub, instructor_name(hub_id), teachers)
        progress = folder / "progress"
        progress.mkdir(mode=0o755)
        passwords = {}
        for name in names:
            entry = add_user(hub, system_name(name))
            passwords[name] = secrets.token_urlsafe(12)
            mine = progress / name
            mine.mkdir()
            os.chown(mine, entry.pw_uid, grp.getgrnam(teachers).gr_gid)
            mine.chmod(0o2750)   # the learner writes, the instructors read, nobody else
        run("chpasswd", input="".join(f"{system_name(n)}:{p}\n" for n, p in passwords.items()))
        fd = os.open(hub.state / "learners.json", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(passwords, out, indent=1)
        check_environment(hub, names[0])
        say(f"hub {hub_id}: course at commit {commit} (this checkout's HEAD; uncommitted "
            "changes are not in the learners' copy)")
        start_hub(hub)
    except BaseException:
        say(f"hub {hub_id}: could not start; removing what was made", file=sys.stderr)
        down(hub, say=lambda *a, **k: None)
        raise
    return hub


# --------------------------------------------------------------------------- down

def _processes_of(uids: set[int]) -> list:
    import psutil

    found = []
    for proc in psutil.process_iter(["uids"]):
        try:
            if proc.info["uids"] and proc.info["uids"].real in uids:
                found.append(proc)
        except psutil.Error:
            pass
    return found


def kill_users_processes(uids: set[int], wait: float = 10) -> None:
    """SIGTERM then SIGKILL every process of ``uids`` until none is left."""
    import psutil

    if not uids:
        return
    for sig, grace in ((signal.SIGTERM, 3.0), (signal.SIGKILL, wait)):
        procs = _processes_of(uids)
        for proc in procs:
            try:
                proc.send_signal(sig)
            except psutil.Error:
                pass
        psutil.wait_procs(procs, timeout=grace)
    left = _processes_of(uids)
    if left:
        raise HubError(f"processes of the hub's users survived SIGKILL: "
                       f"{[p.pid for p in left]}")


def stop_hub(hub: Hub) -> None:
    """SIGTERM to the hub (it stops the servers and the proxy), then kill its session."""
    import psutil

    if hub.pid <= 0:
        return
    try:
        proc = psutil.Process(hub.pid)
        if "jupyterhub" not in " ".join(proc.cmdline()):
            return   # not ours any more (a pid reused after a crash)
        session = os.getsid(hub.pid)
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except psutil.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    except (psutil.Error, ProcessLookupError):
        session = None
    if session:
        for other in psutil.process_iter():
            try:
                if os.getsid(other.pid) == session:
                    other.kill()
            except (psutil.Error, OSError):
                pass
    # the proxy, should it have left the hub's session
    pid_file = hub.state / "jupyterhub-proxy.pid"
    try:
        proxy = psutil.Process(int(pid_file.read_text()))
        if "configurable-http-proxy" in " ".join(proxy.cmdline()):
            proxy.kill()
    except (OSError, ValueError, psutil.Error):
        pass


def remove_users_files(uids: set[int]) -> None:
    """What the hub's users left in the machine's shared temporary folders."""
    for top in ("/tmp", "/var/tmp", "/dev/shm"):
        try:
            entries = list(Path(top).iterdir())
        except OSError:
            continue
        for path in entries:
            try:
                if path.lstat().st_uid not in uids:
                    continue
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink()
            except OSError:
                pass


def down(hub: Hub, say=print) -> list[str]:
    """Remove everything ``hub`` made; returns what could not be removed (empty: all)."""
    problems = []
    stop_hub(hub)
    uids = hub.uids()
    try:
        kill_users_processes(uids)
    except HubError as exc:
        problems.append(str(exc))
    remove_users_files(uids)
    for name in reversed(hub.users):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        if not ours(entry, hub.id):
            problems.append(f"user {name} is not one this hub made: left alone")
            continue
        done = subprocess.run(["userdel", "--remove", name], capture_output=True, text=True)
        if done.returncode not in (0, 12):   # 12: home could not be removed (see below)
            problems.append(f"userdel {name}: {done.stderr.strip()}")
        if Path(entry.pw_dir).exists() and Path(entry.pw_dir).name == name:
            shutil.rmtree(entry.pw_dir, ignore_errors=True)
    for group in hub.groups:
        if _group_exists(group):
            done = subprocess.run(["groupdel", group], capture_output=True, text=True)
            if done.returncode != 0:
                problems.append(f"groupdel {group}: {done.stderr.strip()}")
    if made_by(hub):
        shutil.rmtree(hub.dir, ignore_errors=True)
    problems += leftovers(hub, uids)
    for line in problems:
        say(f"hub {hub.id}: {line}", file=sys.stderr)
    if not problems:
        say(f"hub {hub.id}: removed (users, homes, processes, state folder)")
    return problems


def made_by(hub: Hub) -> bool:
    """Whether ``hub.dir`` is the state folder of this hub (its hub.json says so, or
    it holds nothing but what ``up`` makes before writing it)."""
    try:
        return json.loads((hub.dir / "hub" / "hub.json").read_text())["id"] == hub.id
    except (OSError, ValueError, KeyError):
        pass
    try:
        return {p.name for p in hub.dir.iterdir()} <= {"hub"} and not any(
            (hub.dir / "hub").glob("*"))
    except OSError:
        return False


def leftovers(hub: Hub, uids: set[int]) -> list[str]:
    """Anything of ``hub`` still there after down."""
    import psutil

    left = [f"process left: pid {p.pid}" for p in _processes_of(uids)]
    left += [f"user left: {n}" for n in hub.users if _user_exists(n)]
    left += [f"group left: {g}" for g in hub.groups if _group_exists(g)]
    left += [f"home left: /home/{n}" for n in hub.users if Path("/home", n).exists()]
    if hub.dir.exists():
        left.append(f"state folder left: {hub.dir}")
    ports = set(hub.ports.values())
    try:
        for conn in psutil.net_connections(kind="tcp"):
            if conn.status == psutil.CONN_LISTEN and conn.laddr.port in ports and (
                    conn.pid is None or conn.pid == hub.pid):
                left.append(f"listening: {conn.laddr.ip}:{conn.laddr.port}")
    except psutil.Error:
        pass
    try:
        proc = psutil.Process(hub.pid)
        if "jupyterhub" in " ".join(proc.cmdline()):
            left.append(f"the hub is still running: pid {hub.pid}")
    except (psutil.Error, ValueError):
        pass
    return left


def all_hubs() -> list[Hub]:
    """Every hub this script made that is still on this machine: state folders in the
    temporary folder, and users with the comment whose hub has no state folder any
    more (a crash half-way through ``up``)."""
    hubs = {}
    for folder in Path(tempfile.gettempdir()).glob(f"{STATE_PREFIX}*"):
        try:
            hub = Hub.load(folder)
        except HubError:
            continue
        hubs[hub.id] = hub
    for entry in pwd.getpwall():
        if ours(entry):
            hub_id = entry.pw_gecos.split(",")[0].split()[1]
            if hub_id not in hubs:
                hubs[hub_id] = Hub(hub_id, Path(tempfile.gettempdir(),
                                                 f"{STATE_PREFIX}{hub_id}"), [])
            if entry.pw_name not in hubs[hub_id].users:
                hubs[hub_id].users.append(entry.pw_name)
    for hub in hubs.values():
        group = instructors_group(hub.id)
        if _group_exists(group) and group not in hub.groups:
            hub.groups.append(group)
    return list(hubs.values())


# --------------------------------------------------------------------------- command

def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    start = sub.add_parser("up", help="make and start a hub")
    start.add_argument("--learners", type=int, default=3)
    start.add_argument("--dir", type=Path, help="state folder to make (must not exist)")
    start.add_argument("--plain", action="store_true",
                       help="leave out the course's memory savings (to measure them)")
    stop = sub.add_parser("down", help="remove a hub and everything it made")
    stop.add_argument("--dir", type=Path, help="the hub's state folder")
    stop.add_argument("--all", action="store_true", help="every hub this script made")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        if args.command == "up":
            hub = up(args.learners, args.dir, lean=not args.plain)
            print(f"hub {hub.id}: {hub.url}/hub/login   (state folder {hub.dir})")
            print(f"learners: {', '.join(hub.learners)}; passwords in "
                  f"{hub.state / 'learners.json'} (root only)")
            print(f"instructor (group {instructors_group(hub.id)}): "
                  f"{instructor_name(hub.id)}; progress folders in {hub.dir / 'progress'}")
            print(f"remove it: {sys.executable} {Path(__file__).relative_to(ROOT)} "
                  f"down --dir {hub.dir}")
            return 0
        check_machine()
        if args.dir:
            hubs = [Hub.load(args.dir)]
        else:
            hubs = all_hubs()
            if len(hubs) > 1 and not args.all:
                raise HubError("several hubs on this machine: "
                               + ", ".join(str(h.dir) for h in hubs)
                               + "; give --dir, or --all")
            if not hubs:
                print("no hub made by this script on this machine")
                return 0
        return 1 if any([down(hub) for hub in hubs]) else 0
    except HubError as exc:
        print(f"hub.py: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
