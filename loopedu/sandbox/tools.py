"""The system tools the sandbox drives (``unshare``, ``nsenter``, ``ip``), found where
they live even when ``PATH`` leaves out the sbin folders, as an ordinary user's often does.

Introduced in notebooks/00-start-here.ipynb.
"""

from __future__ import annotations

import os
import shutil
import subprocess

__all__ = ["ROOT", "USER", "find_tool", "run", "last_line"]

#: The two ways the course makes namespaces: as root, or inside an unprivileged user
#: namespace of its own (``unshare --user --map-root-user``, user_namespaces(7)).
ROOT = "root"
USER = "user namespace"

_SBIN = ("/usr/sbin", "/sbin", "/usr/local/sbin")


def find_tool(name: str) -> str | None:
    """The path of a command, looked up in ``PATH`` and then the sbin folders.

    >>> find_tool("sh").endswith("/sh"), find_tool("no-such-tool-here")
    (True, None)

    Introduced in notebooks/00-start-here.ipynb.
    """
    return shutil.which(name) or shutil.which(name, path=os.pathsep.join(_SBIN))


def last_line(done: subprocess.CompletedProcess) -> str:
    """The last line a command printed (stderr first), or its exit status.

    Introduced in notebooks/00-start-here.ipynb.
    """
    lines = [line for line in (done.stderr or done.stdout or "").strip().splitlines()
             if line.strip()]
    return lines[-1] if lines else f"exit status {done.returncode}"


def pid_alive(pid: int) -> bool:
    """Whether a process ``pid`` exists (one of another user's counts too).

    Introduced in notebooks/03-bind-address.ipynb.
    """
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def run(cmd: list, timeout: float = 20) -> subprocess.CompletedProcess:
    """Run a command, capturing its text output; never raises for a failing command
    (missing programs and timeouts come back as exit status 127 and 124).

    Introduced in notebooks/00-start-here.ipynb.
    """
    try:
        return subprocess.run([str(c) for c in cmd], capture_output=True, text=True,
                              timeout=timeout)
    except OSError as exc:
        return subprocess.CompletedProcess(cmd, 127, "", f"{cmd[0]}: {exc}")
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(cmd, 124, "", f"{cmd[0]}: no answer in {timeout} s")
