"""Set the course up and run it: the two commands of the README's Quick start.

    python3 -m loopedu.bootstrap lab     # set up, then open the course in JupyterLab
    python3 -m loopedu.bootstrap test    # set up, then run every test and notebook

Run from the folder you cloned the course into. Standard library only, so it runs
before anything is installed. It makes a virtual environment in ``.venv`` (or in
``$LOOPEDU_VENV``), installs the course into it with pip, and remembers what it
installed: a second run with an unchanged ``pyproject.toml`` installs nothing and starts
at once. Extra arguments go to JupyterLab (``lab``) or pytest (``test``).

Introduced in README.md (Quick start). Written to run on any Python 3 far enough to say
clearly that the course needs 3.10 or newer.
"""

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

MIN_PYTHON = (3, 10)
ROOT = Path(__file__).resolve().parent.parent
STAMP = "loopedu-install.sha256"


class BootstrapError(Exception):
    """Set-up failed; the message says what to do."""


def venv_dir() -> Path:
    """Where the course's virtual environment lives."""
    return Path(os.environ.get("LOOPEDU_VENV") or ROOT / ".venv").resolve()


def venv_python(env: Path) -> Path:
    """The Python interpreter inside a virtual environment, on any OS."""
    if sys.platform == "win32":
        return env / "Scripts" / "python.exe"
    return env / "bin" / "python"


def wanted_stamp() -> str:
    """What the environment must have been installed from: the project file, the
    checkout's place and the interpreter's version."""
    digest = hashlib.sha256()
    digest.update((ROOT / "pyproject.toml").read_bytes())
    digest.update(str(ROOT).encode())
    digest.update(sys.version.encode())
    return digest.hexdigest()


def _run(cmd: list, what: str) -> None:
    print(f"loopedu: {what}", file=sys.stderr, flush=True)
    if subprocess.call([str(c) for c in cmd]) != 0:
        raise BootstrapError(f"{what} failed (see pip's message above); fix that and run "
                             "the same command again: it resumes where it stopped")


def ensure_environment() -> Path:
    """Create and fill the virtual environment if needed; return its Python."""
    if sys.version_info < MIN_PYTHON:
        raise BootstrapError(
            f"the course needs Python {'.'.join(map(str, MIN_PYTHON))} or newer; this is "
            f"{sys.version.split()[0]}: run the command with a newer python3")
    if not (ROOT / "pyproject.toml").is_file():
        raise BootstrapError(f"{ROOT} has no pyproject.toml: run from a full clone")
    env = venv_dir()
    python = venv_python(env)
    if not python.exists():
        print(f"loopedu: creating a virtual environment in {env}", file=sys.stderr)
        try:
            venv.EnvBuilder(with_pip=True, clear=env.exists()).create(env)
        except (OSError, subprocess.CalledProcessError) as exc:
            raise BootstrapError(
                f"could not create a virtual environment in {env} ({exc}); on Debian or "
                "Ubuntu install python3-venv (sudo apt install python3-venv) and retry"
            ) from exc
    stamp = env / STAMP
    wanted = wanted_stamp()
    if stamp.is_file() and stamp.read_text().strip() == wanted:
        return python
    _run([python, "-m", "pip", "install", "--disable-pip-version-check", "-q",
          "-e", f"{ROOT}[test]"],
         "installing the course and its dependencies (the first time takes a few minutes)")
    stamp.write_text(wanted + "\n")
    return python


def main(argv=None) -> int:
    """``lab`` or ``test``, plus arguments passed through."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in ("lab", "test", "setup"):
        print("usage: python3 -m loopedu.bootstrap {lab,test,setup} [ARGS...]\n"
              "  lab    set up, then open the course in JupyterLab\n"
              "  test   set up, then run the unit tests and every notebook\n"
              "  setup  set up only", file=sys.stderr)
        return 2
    command, rest = argv[0], argv[1:]
    try:
        python = ensure_environment()
    except BootstrapError as exc:
        print(f"loopedu: error: {exc}", file=sys.stderr)
        return 1
    if command == "setup":
        return 0
    if command == "lab":
        cmd = [python, "-m", "loopedu.cli", "lab", *rest]
    else:
        cmd = [python, "-m", "pytest", *rest]
    try:
        return subprocess.call([str(c) for c in cmd], cwd=ROOT)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
