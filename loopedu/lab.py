"""What ``loopedu lab`` runs: JupyterLab on a loopback address only, stopped cleanly
however the terminal goes away.

- :func:`lab_command` the JupyterLab command line (127.0.0.1 unless the learner names
  another loopback address; anything else is refused by :func:`listen_address`);
- :func:`serve` JupyterLab in this process (``python -m loopedu.lab``, what
  ``loopedu lab`` becomes on POSIX). jupyter_server stops its kernels and removes its
  runtime files on SIGTERM and SIGINT; a hang-up (SIGHUP: the terminal was closed) would
  kill it on the spot and leave both behind, so here a hang-up is a SIGTERM.

Introduced in notebooks/00-start-here.ipynb.
"""

from __future__ import annotations

import os
import re
import signal
import sys
from fnmatch import fnmatch
from pathlib import Path

from .listen_guard import check_listen

__all__ = ["HIDDEN_SOURCES", "DEFAULT_IP", "listen_address", "lab_command", "serve"]

#: Where JupyterLab listens unless the learner names another loopback address.
DEFAULT_IP = "127.0.0.1"

#: What ``loopedu lab --reference`` hides from the file browser besides JupyterLab's own
#: defaults: the lessons' jupytext sources (``notebooks/NN-slug.py``), and those of the
#: other notebooks found beside them (:func:`_paired_sources`).
HIDDEN_SOURCES = "[0-9][0-9]-*.py"
_JUPYTER_HIDE_GLOBS = ["__pycache__", "*.pyc", "*.pyo", ".DS_Store", "*~"]  # if unknown

#: The options that set a listening address: ``--ip`` and ``--<Class>.ip``. The server's
#: are ``--ip``, ``--ServerApp.ip`` and the NotebookApp and LabApp spellings
#: jupyter_server passes on to it; others (``--KernelManager.ip``) are checked and kept.
_IP_OPTION = re.compile(r"--(?:([A-Za-z_]\w*)\.)?ip(?:=(.*))?", re.DOTALL)
_SERVER = {None, "ServerApp", "NotebookApp", "LabApp"}

_EXPOSE_INSTEAD = ("loopedu lab listens on loopback only, so that nothing on your "
                   "network can reach a server that runs code as you. To use it from "
                   "another machine, leave it on loopback and forward a port over SSH "
                   "from that machine (ssh -N -L 8888:127.0.0.1:PORT you@this-machine, "
                   "lesson 06)")


def listen_address(extra: list[str]) -> tuple[str, list[str]]:
    """The address JupyterLab is to listen on (:data:`DEFAULT_IP` unless ``extra`` sets
    one with ``--ip``, ``--ServerApp.ip`` and the like), and ``extra`` without those
    options. ValueError, in one line, for an address that is not loopback.

    >>> listen_address(["--no-browser", "--ip", "::1"])
    ('::1', ['--no-browser'])

    Introduced in notebooks/00-start-here.ipynb.
    """
    address, rest, args = DEFAULT_IP, [], iter(extra)
    for arg in args:
        match = _IP_OPTION.fullmatch(arg)
        if not match:
            rest.append(arg)
            continue
        option, value = f"--{match.group(1) + '.' if match.group(1) else ''}ip", match.group(2)
        if value is None:
            value = next(args, "")
        try:
            check_listen(value)
        except ValueError:
            raise ValueError(f"{option}={value}: {value or 'an empty address'} is not a "
                             "loopback IP address (use 127.0.0.1, ::1 or another 127.x "
                             f"address). {_EXPOSE_INSTEAD}") from None
        if match.group(1) in _SERVER:
            address = value
        else:
            rest.append(f"{option}={value}")
    return address, rest


def _default_hide_globs() -> list[str]:
    """jupyter_server's own ``ContentsManager.hide_globs``, from the installed version."""
    try:
        from jupyter_server.services.contents.manager import ContentsManager

        return list(ContentsManager.class_traits()["hide_globs"].default())
    except Exception:  # not importable here: the defaults of jupyter_server 2
        return list(_JUPYTER_HIDE_GLOBS)


def _paired_sources(root: Path) -> list[str]:
    """The names of the jupytext sources beside the notebooks of ``root/notebooks`` that
    :data:`HIDDEN_SOURCES` does not already match (``popular-claims.py``)."""
    folder = root / "notebooks"
    if not folder.is_dir():
        return []
    return sorted(p.with_suffix(".py").name for p in folder.glob("*.ipynb")
                  if p.with_suffix(".py").is_file()
                  and not fnmatch(p.with_suffix(".py").name, HIDDEN_SOURCES))


#: Server extensions the learner's JupyterLab does not use (the language-server bridge,
#: jupytext's server side, the classic notebook's shim); the classroom hub leaves the same
#: out (hub/jupyterhub_config.py).
UNUSED_EXTENSIONS = ("jupyter_lsp", "jupyterlab_jupytext", "notebook_shim")


def lab_command(extra: list[str], root: Path, is_root: bool,
                reference: bool = False) -> list[str]:
    """The JupyterLab command line ``loopedu lab`` runs, serving the folder ``root``
    (the learner's workspace; the course checkout with ``reference``, where the
    lessons' jupytext sources are hidden from the file browser).

    It listens on 127.0.0.1, or on the loopback address ``extra`` names with ``--ip``, so
    only programs on this machine can reach the server; any other address is refused
    (ValueError, see :func:`listen_address`). The learner's other arguments come last.

    >>> lab_command([], Path("/c"), False)[-1]
    '--ServerApp.root_dir=/c'

    Introduced in notebooks/00-start-here.ipynb.
    """
    address, rest = listen_address(extra)
    cmd = [sys.executable, "-m", "loopedu.lab", f"--ServerApp.ip={address}",
           "--LabApp.default_url=/lab/tree/notebooks/00-start-here.ipynb"]
    if is_root:
        cmd.append("--allow-root")
    # server extensions a learner's lab does not use: not loaded, a faster start
    # (jupytext's stays on for the reference copy, whose lessons have .py sources)
    cmd += [f"--ServerApp.jpserver_extensions={name}=False" for name in UNUSED_EXTENSIONS
            if not (reference and name == "jupyterlab_jupytext")]
    if reference:  # a list option given once per item; the learner's own add to it
        cmd += [f"--ContentsManager.hide_globs={pattern}"
                for pattern in [*_default_hide_globs(), HIDDEN_SOURCES,
                                *_paired_sources(root)]]
    cmd.append(f"--ServerApp.root_dir={root}")
    return cmd + rest


def _hang_up(signum, frame) -> None:
    """A hang-up stops JupyterLab the way SIGTERM does (jupyter_server's own handler).

    The terminal is gone: what JupyterLab prints while it stops goes to the null device
    instead, since a write to a hung-up terminal fails (EIO) and a Python whose last
    flush of stdout fails exits with status 120, not 0."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        for fd in (1, 2):
            os.dup2(devnull, fd)
        os.close(devnull)
    except OSError:
        pass
    signal.raise_signal(signal.SIGTERM)


def course_path(path: str) -> str:
    """``path`` (a ``PATH`` value) with the folder of this Python's programs first: the
    ``loopedu`` command and the course's own ``python``, for the terminals JupyterLab
    opens (they inherit its environment).

    >>> course_path("/usr/bin").split(os.pathsep)[0] == os.path.dirname(sys.executable)
    True

    Introduced in notebooks/00-start-here.ipynb.
    """
    here = os.path.dirname(sys.executable)
    rest = [p for p in path.split(os.pathsep) if p and p != here]
    return os.pathsep.join([here, *rest])


def serve(argv: list[str] | None = None) -> int:
    """Run JupyterLab here with ``argv`` (default: this command's arguments) until it
    stops; a hang-up stops it like SIGTERM does: kernels shut down, runtime files gone.
    Its terminals find ``loopedu`` and the course's ``python`` (:func:`course_path`).

    Introduced in notebooks/00-start-here.ipynb.
    """
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, _hang_up)
    os.environ["PATH"] = course_path(os.environ.get("PATH", ""))
    # jsonschema checks the "iri" format with rfc3987-syntax when it can import it, and
    # that module compiles an Earley grammar on import (about 2 s, every start). No schema
    # JupyterLab validates uses that format, so the server starts without it.
    sys.modules.setdefault("rfc3987_syntax", None)
    from jupyterlab.labapp import LabApp

    LabApp.launch_instance(argv)
    return 0


if __name__ == "__main__":
    sys.exit(serve())
