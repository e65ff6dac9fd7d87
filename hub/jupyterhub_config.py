"""JupyterHub configuration of a classroom hub on one machine, shaped like The Littlest
JupyterHub (TLJH): every learner NAME of the hub is the Unix user ``jupyter-NAME``
without root, whose single-user server is a process of this machine started by
JupyterHub's LocalProcessSpawner, all from one shared Python environment, behind
configurable-http-proxy, everything bound to 127.0.0.1.

``tests/benchmarks/hub.py up`` writes the state folder this file reads
(``$LOOPEDU_HUB_STATE/hub/hub.json``: learners, ports, the shared environment, the
course's git repository) and starts ``jupyterhub -f hub/jupyterhub_config.py``; read
that script (and the instructor guide, "A classroom hub on one machine") before using
this file for a hub of your own. What it sets, and why:

- Sign-in: PAM (JupyterHub's default authenticator, the Unix password of
  ``jupyter-NAME``), for hub names listed in hub.json only. A learner signs in with the
  login form or through the hub's API (``POST /hub/api/users/NAME/tokens`` with
  ``{"auth": {"username", "password"}}``) and uses the token it gets.
- Each start of a learner's server first pulls the course with nbgitpuller into
  ``~/loopedu`` and runs ``loopedu workspace --from ~/loopedu``, which writes
  ``~/loopedu-workspace`` the first time and brings it up to date after (never over the
  learner's edits); a failure there is logged and the server starts anyway.
- ``LOOPEDU_HOME`` (the learner's progress and predictions) is the learner's folder in
  ``progress/`` of the state folder, made by hub.py with the instructors' group and mode
  2750: the instructors can read every learner's progress (``loopedu class-report``),
  no learner can read another's.
- Memory: kernels that sit idle are shut down (``cull_idle_timeout``), and the
  single-user server loads only the extensions the course uses (see ``SERVER_ARGS``).
"""

import json
import os
import pwd
from pathlib import Path

from jupyterhub.auth import PAMAuthenticator
from jupyterhub.spawner import LocalProcessSpawner, set_user_setuid

c = get_config()  # noqa: F821  (JupyterHub defines it when it reads this file)

STATE = Path(os.environ["LOOPEDU_HUB_STATE"])
HUB = json.loads((STATE / "hub" / "hub.json").read_text())
#: TLJH's convention: hub user NAME is the Unix user jupyter-NAME.
SYSTEM_PREFIX = HUB["system_prefix"]
VENV = Path(HUB["venv"])
#: Idle kernels are shut down after this many seconds (a learner who left a lesson
#: open); the benchmark closes each lesson's kernel when the lesson ends.
CULL_IDLE_S = 20 * 60
#: Single-user server extensions the course does not use, not loaded even when the
#: shared environment has them (the same as `loopedu lab` leaves out): a learner needs
#: JupyterLab, terminals and nbgitpuller, not the language-server bridge, jupytext's
#: server side or the classic notebook's shim.
from loopedu.lab import UNUSED_EXTENSIONS  # noqa: E402


def system_name(hub_name: str) -> str:
    return SYSTEM_PREFIX + hub_name


class LearnerAuthenticator(PAMAuthenticator):
    """PAM, for the Unix user jupyter-NAME of each hub user NAME (TLJH's mapping)."""

    def system_user_exists(self, user):
        try:
            pwd.getpwnam(system_name(user.name))
        except KeyError:
            return False
        return True

    async def authenticate(self, handler, data):
        name = (data or {}).get("username", "")
        if name not in HUB["hub_names"]:
            return None
        done = await super().authenticate(handler, {**data, "username": system_name(name)})
        return name if done else None


class LearnerSpawner(LocalProcessSpawner):
    """LocalProcessSpawner that runs hub user NAME's server as jupyter-NAME."""

    def make_preexec_fn(self, name):
        return set_user_setuid(system_name(name))

    def user_env(self, env):
        entry = pwd.getpwnam(system_name(self.user.name))
        env.update(USER=entry.pw_name, LOGNAME=entry.pw_name, HOME=entry.pw_dir,
                   SHELL=entry.pw_shell)
        return env


c.JupyterHub.authenticator_class = LearnerAuthenticator
c.Authenticator.allowed_users = set(HUB["hub_names"])
c.PAMAuthenticator.open_sessions = False
c.JupyterHub.spawner_class = LearnerSpawner

# Everything on 127.0.0.1, ports chosen by hub.py.
c.JupyterHub.bind_url = f"http://127.0.0.1:{HUB['ports']['public']}"
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = HUB["ports"]["hub"]
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{HUB['ports']['proxy_api']}"
c.ConfigurableHTTPProxy.command = [HUB["proxy_command"]]
c.ConfigurableHTTPProxy.pid_file = str(STATE / "hub" / "jupyterhub-proxy.pid")
c.Spawner.ip = "127.0.0.1"

# The hub's own files, all in the state folder.
c.JupyterHub.db_url = f"sqlite:///{STATE / 'hub' / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "hub" / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(STATE / "hub" / "jupyterhub.pid")
c.JupyterHub.cleanup_servers = True   # stopping the hub stops every learner's server

# hub.py's own access: start, stop and read servers (a service token, root only).
c.JupyterHub.services = [{"name": "loopedu-hub", "api_token": HUB["service_token"]}]
c.JupyterHub.load_roles = [{"name": "loopedu-hub", "services": ["loopedu-hub"],
                            "scopes": ["admin:users", "admin:servers", "list:users",
                                       "read:users"]}]

# A class starting at once on a small machine: give slow starts time.
c.Spawner.start_timeout = 900
c.Spawner.http_timeout = 900
c.JupyterHub.concurrent_spawn_limit = 0   # no limit: the class starts together

# One shared environment: its Python, its commands first on PATH.
c.Spawner.environment = {
    "PATH": f"{VENV / 'bin'}:/usr/local/bin:/usr/bin:/bin",
    "LOOPEDU_HOME": lambda spawner: str(STATE / "progress" / spawner.user.name),
    # the course's repository is root's: git lets learners read it (safe.directory)
    "GIT_CONFIG_GLOBAL": str(STATE / "gitconfig"),
    "LOOPEDU_COURSE_REPO": HUB["course_repo"],
    # each learner's kernels take ports from a block of its own (hub/kernel_ports.py)
    "JUPYTER_CONFIG_PATH": str(Path(__file__).resolve().parent / "singleuser"),
    "LOOPEDU_KERNEL_PORTS": lambda spawner: HUB.get("kernel_ports", {}).get(
        spawner.user.name, ""),
}
c.Spawner.env_keep = ["LANG", "LC_ALL"]
c.Spawner.default_url = "/lab"

#: At each start: pull the course (nbgitpuller's gitpuller: repository, branch,
#: folder), then write or update the workspace, then become the single-user server.
START = ('gitpuller "$LOOPEDU_COURSE_REPO" main "$HOME/loopedu" '
         '&& loopedu workspace --from "$HOME/loopedu" >/dev/null '
         '|| echo "loopedu-hub: pulling the course or writing the workspace failed" >&2; '
         'exec "$@"')
c.Spawner.cmd = ["/bin/sh", "-c", START, "loopedu-hub-start",
                 str(VENV / "bin" / "jupyterhub-singleuser")]
#: The course's memory savings (hub.py up --plain leaves them out, to measure them).
LEAN_ARGS = [
    f"--MappingKernelManager.cull_idle_timeout={CULL_IDLE_S}",
    "--MappingKernelManager.cull_interval=60",
    *(f"--ServerApp.jpserver_extensions={name}=False" for name in UNUSED_EXTENSIONS),
]
c.Spawner.args = LEAN_ARGS if HUB.get("lean", True) else []
if HUB.get("lean", True):
    # glibc's malloc keeps up to 8 arenas per CPU for a threaded process (mallopt(3),
    # M_ARENA_MAX); the server and its kernels (which inherit its environment) run a
    # few threads each and need no more than two.
    c.Spawner.environment["MALLOC_ARENA_MAX"] = "2"
