"""Set the course up and run it: the two commands of the README's Quick start.

    python3 -m loopedu.bootstrap lab     # set up, then open the course in JupyterLab
    python3 -m loopedu.bootstrap test    # set up, then run every test and notebook

Run from the folder you cloned the course into. Standard library only, so it runs
before anything is installed. It makes a virtual environment in ``.venv`` (or in
``$LOOPEDU_VENV``), installs the course into it with pip, and remembers what it
installed: a second run with unchanged ``pyproject.toml`` and ``constraints.txt``
installs nothing and starts at once. Extra arguments go to JupyterLab (``lab``) or
pytest (``test``).

Versions: by default pip installs the exact versions CI tested, from
``constraints.txt`` (``pip install -c constraints.txt``), so that every machine of a
class gets the same course. ``LOOPEDU_CONSTRAINTS=none`` installs the latest releases
instead, into ``.venv-latest`` so that the pinned ``.venv`` stays as it is;
``LOOPEDU_CONSTRAINTS=FILE`` uses another constraints file. When the pinned versions
cannot be installed (a Python they do not support), it says so and installs the latest
releases instead. ``python3 -m loopedu.bootstrap pin`` writes ``constraints.txt`` from
the environment in use (see its header).

Stopping: on POSIX each step replaces itself with the next (``os.execv``), so the
process you started *is* JupyterLab (or pytest): stopping it (Ctrl+C, SIGTERM from an
IDE or a process manager, a hang-up when its terminal is closed) stops JupyterLab, which
shuts its kernels down. On Windows the launcher waits for its child and passes a stop
on to it.

Introduced in README.md (Quick start). Written to run on any Python 3 far enough to say
clearly that the course needs 3.10 or newer.
"""

import hashlib
import os
import platform
import re
import signal
import subprocess
import sys
import venv
from datetime import datetime, timezone
from pathlib import Path

MIN_PYTHON = (3, 10)
ROOT = Path(__file__).resolve().parent.parent
STAMP = "loopedu-install.sha256"
CONSTRAINTS = "constraints.txt"
UNPINNED = "none"
UNPINNED_NOTE = "unpinned: the pinned versions could not be installed"
PROJECT = "loopedu"
#: The extras each command installs besides the course: a learner's ``lab`` gets no test
#: tools; ``test`` adds them and the browser test's Playwright.
EXTRAS = {"lab": (), "setup": (), "test": ("test", "browser")}
#: What the README's test command gives pytest before the learner's own arguments: the
#: notebooks (nbval, lax, outputs normalised), one worker per core (a notebook's cells
#: kept together), and no cache in the checkout.
TEST_ARGS = ["-p", "no:cacheprovider", "-n", "auto", "--dist", "loadfile", "--nbval-lax",
             "--nbval-current-env", "--nbval-sanitize-with", "tests/sanitize.cfg"]
#: pip's words for a package index it could not reach.
_NETWORK = ("NewConnectionError", "Failed to establish a new connection",
            "Temporary failure in name resolution", "Name or service not known",
            "Network is unreachable", "No route to host", "Max retries exceeded",
            "ConnectTimeoutError", "ReadTimeoutError", "ProxyError", "SSLError",
            "Could not fetch URL", "Connection refused", "Connection reset")


class BootstrapError(Exception):
    """Set-up failed; the message says what to do."""


class PipFailed(BootstrapError):
    """pip exited with an error; ``output`` is what it printed."""

    def __init__(self, message: str, output: str = ""):
        super().__init__(message)
        self.output = output


def pip_failure(output: str, python_version: str):
    """Why pip failed, from what it printed: ``("network", sentence)`` when it could not
    reach the package index, ``("pins", sentence)`` when a pinned version cannot be
    installed on this Python or platform, else ``("other", pip's last error line)``.

    >>> pip_failure("ERROR: Ignored the following versions that require a different "
    ...             "python version: 4.1.3 Requires-Python >=3.11.5\\nERROR: No matching "
    ...             "distribution found for soupsieve==4.1.3", "3.11.2")[1]
    'the pinned soupsieve==4.1.3 requires Python >=3.11.5, and this is Python 3.11.2'
    """
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    if any(word in line for line in lines for word in _NETWORK):
        return ("network", "pip could not reach the package index (a network problem: "
                "no connection, a proxy, or a firewall)")
    missing = re.search(r"No matching distribution found for (\S+)", output)
    if missing:
        pin = missing.group(1)
        version = pin.partition("==")[2]
        needs = re.search(r"require a different python version:.*?\b" + re.escape(version)
                          + r" Requires-Python ([^;\n]+)", output) if version else None
        if needs:
            return ("pins", "the pinned {} requires Python {}, and this is Python {}".format(
                pin, needs.group(1).strip(), python_version))
        return ("pins", "the pinned {} has no release for Python {} on this platform".format(
            pin, python_version))
    if "ResolutionImpossible" in output or "conflicting dependencies" in output:
        return ("pins", "the pinned versions conflict on Python {}".format(python_version))
    errors = [line for line in lines if line.startswith("ERROR")]
    return ("other", (errors or lines or ["pip printed nothing"])[-1])


def constraints_file():
    """The constraints file pip installs with, or ``None`` for the latest releases.

    ``$LOOPEDU_CONSTRAINTS``: unset for ``constraints.txt`` in the checkout, ``none``
    for no pins, or the path of another constraints file.
    """
    chosen = os.environ.get("LOOPEDU_CONSTRAINTS", "").strip()
    if chosen.lower() == UNPINNED:
        return None
    path = Path(chosen).expanduser().resolve() if chosen else ROOT / CONSTRAINTS
    if not path.is_file():
        raise BootstrapError(
            "the constraints file {} does not exist: set LOOPEDU_CONSTRAINTS to an "
            "existing file, or to 'none' for the latest releases".format(path))
    return path


def venv_dir() -> Path:
    """Where the course's virtual environment lives: ``$LOOPEDU_VENV``, else ``.venv``
    (``.venv-latest`` with ``LOOPEDU_CONSTRAINTS=none``)."""
    chosen = os.environ.get("LOOPEDU_VENV")
    if chosen:
        return Path(chosen).expanduser().resolve()
    unpinned = os.environ.get("LOOPEDU_CONSTRAINTS", "").strip().lower() == UNPINNED
    return (ROOT / (".venv-latest" if unpinned else ".venv")).resolve()


def venv_python(env: Path) -> Path:
    """The Python interpreter inside a virtual environment, on any OS."""
    if sys.platform == "win32":
        return env / "Scripts" / "python.exe"
    return env / "bin" / "python"


def _extras_spec(extras) -> str:
    return "{}[{}]".format(ROOT, ",".join(extras)) if extras else str(ROOT)


def wanted_stamp(constraints=None) -> str:
    """What the environment must have been installed from: the project file, the
    constraints (their text, or none), the checkout's place and the interpreter's
    version."""
    digest = hashlib.sha256()
    digest.update((ROOT / "pyproject.toml").read_bytes())
    digest.update(b"\0constraints\0")
    digest.update(constraints.read_bytes() if constraints else b"none")
    digest.update(str(ROOT).encode())
    digest.update(sys.version.encode())
    return digest.hexdigest()


def _say(text: str) -> None:
    print("loopedu: " + text, file=sys.stderr, flush=True)


def _run(cmd: list, what: str) -> None:
    """Run pip quietly; on failure raise :class:`PipFailed` with what it printed."""
    _say(what)
    done = subprocess.run([str(c) for c in cmd], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True)
    if done.returncode != 0:
        raise PipFailed("{} failed".format(what), done.stdout or "")


def _create_venv(env: Path) -> None:
    """Make a virtual environment in ``env``; never empty a folder that is not one."""
    clear = False
    if env.exists() or env.is_symlink():
        if not env.is_dir():
            raise BootstrapError(
                "{} is a file, not a folder: set LOOPEDU_VENV to a new folder for the "
                "course's virtual environment".format(env))
        if (env / "pyvenv.cfg").is_file():
            clear = True  # a virtual environment without its Python: broken, redo it
        elif any(env.iterdir()):
            raise BootstrapError(
                "{} is not a virtual environment (it has no pyvenv.cfg) and is not empty, "
                "so nothing in it was touched: set LOOPEDU_VENV to a new or empty folder, "
                "such as {}".format(env, env / "loopedu-venv"))
    _say("creating a virtual environment in {}".format(env))
    try:
        venv.EnvBuilder(with_pip=True, clear=clear).create(str(env))
    except (OSError, subprocess.CalledProcessError) as exc:
        raise BootstrapError(
            "could not create a virtual environment in {} ({}); on Debian or Ubuntu "
            "install python3-venv (sudo apt install python3-venv) and retry".format(env, exc)
        ) from exc


def _failed(exc: PipFailed, what: str) -> BootstrapError:
    """The one-line error for a pip run that failed for a reason other than the pins."""
    kind, why = pip_failure(exc.output, platform.python_version())
    tail = "\n".join(exc.output.strip().splitlines()[-15:])
    if tail:
        print(tail, file=sys.stderr)
    if kind == "network":
        return BootstrapError("{}: {}. Check the connection (or set HTTPS_PROXY) and run "
                              "the same command again: it resumes where it "
                              "stopped".format(what, why))
    return BootstrapError("{}: {} (pip's last lines are above); fix that and run the same "
                          "command again: it resumes where it stopped".format(what, why))


def _install(python: Path, constraints, extras=()) -> str:
    """pip-install the course (with ``extras``); return what to remember about it ("" or
    a note). A pinned install that fails because a pin does not fit this Python falls
    back to the latest releases and says why in one sentence; a network failure stops."""
    what = ("installing the course{} and its dependencies, {} (the first time takes a few "
            "minutes)").format(" with its test tools" if extras else "", "{}")
    pip = [python, "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    target = ["-e", _extras_spec(extras)]
    latest = what.format("the latest releases")
    if constraints is None:
        try:
            _run(pip + target, latest)
        except PipFailed as exc:
            raise _failed(exc, "installing the course") from None
        return ""
    try:
        _run(pip + ["-c", constraints] + target,
             what.format("the versions CI tested ({})".format(constraints.name)))
        return ""
    except PipFailed as exc:
        kind, why = pip_failure(exc.output, platform.python_version())
        if kind != "pins":
            raise _failed(exc, "installing the course") from None
    _say("{}: installing the latest releases instead (they may differ from the versions "
         "CI tested, named in {})".format(why, constraints.name))
    try:
        _run(pip + target, latest)
    except PipFailed as exc:
        raise _failed(exc, "installing the course") from None
    return UNPINNED_NOTE


def _recorded(stamp: Path) -> tuple:
    """What the stamp says was installed: (digest, extras, note)."""
    try:
        lines = [line.strip() for line in stamp.read_text().splitlines()]
    except OSError:
        return "", frozenset(), ""
    extras = next((line[len("extras:"):] for line in lines if line.startswith("extras:")), "")
    note = next((line for line in lines[1:] if line == UNPINNED_NOTE), "")
    return (lines[0] if lines else "",
            frozenset(e for e in extras.strip().split(",") if e), note)


def ensure_environment(extras=()) -> Path:
    """Create and fill the virtual environment if needed, with the course and
    ``extras`` (see :data:`EXTRAS`); return its Python. An environment that already has
    them (from this same pyproject.toml, constraints and Python) is used at once."""
    if sys.version_info < MIN_PYTHON:
        raise BootstrapError(
            "the course needs Python {} or newer; this is {}: run the command with a "
            "newer python3".format(".".join(map(str, MIN_PYTHON)), sys.version.split()[0]))
    if not (ROOT / "pyproject.toml").is_file():
        raise BootstrapError("{} has no pyproject.toml: run from a full clone".format(ROOT))
    constraints = constraints_file()
    env = venv_dir()
    python = venv_python(env)
    if python.exists() and not (env / "pyvenv.cfg").is_file():
        raise BootstrapError(
            "{} is not a virtual environment (it has no pyvenv.cfg), so the course will "
            "not install into it: set LOOPEDU_VENV to a new folder".format(env))
    if not python.exists():
        _create_venv(env)
    stamp = env / STAMP
    wanted = wanted_stamp(constraints)
    digest, installed, note = _recorded(stamp)
    if digest == wanted and set(extras) <= installed:
        if note:
            _say("note: {} has the latest releases, not the pinned versions (they could "
                 "not be installed)".format(env))
        return python
    if digest == wanted:
        extras = sorted(set(extras) | installed)   # keep what an earlier run installed
    note = _install(python, constraints, tuple(extras))
    stamp.write_text(wanted + "\n" + ("extras:" + ",".join(extras) + "\n" if extras else "")
                     + (note + "\n" if note else ""))
    return python


def hand_over(cmd: list, cwd: Path, replace=None) -> int:
    """Run ``cmd`` in ``cwd`` as what this launcher becomes, and return its exit status.

    On POSIX (``replace`` true) the process is replaced by ``cmd`` (``os.execv``): it
    keeps this process's id, so whoever stops the launcher stops ``cmd`` itself, and
    this function never returns. Elsewhere ``cmd`` runs as a child and a stop
    (SIGTERM, SIGBREAK, Ctrl+C) is passed on to it. Only launchers call this: it
    replaces or signals the calling process.
    """
    cmd = [str(c) for c in cmd]
    if replace is None:
        replace = os.name == "posix"
    if replace:
        sys.stdout.flush()
        sys.stderr.flush()
        os.chdir(str(cwd))
        try:
            os.execv(cmd[0], cmd)
        except OSError as exc:
            raise BootstrapError("could not start {} ({}); run `python3 -m "
                                 "loopedu.bootstrap setup` to repair the course's virtual "
                                 "environment".format(cmd[0], exc)) from exc
    child = subprocess.Popen(cmd, cwd=str(cwd))

    def stop(signum, frame):
        child.terminate()

    names = ("SIGTERM", "SIGBREAK", "SIGHUP")
    previous = {}
    for name in names:
        number = getattr(signal, name, None)
        if number is not None:
            previous[number] = signal.signal(number, stop)
    try:
        while True:
            try:
                status = child.wait()
                return 128 - status if status < 0 else status  # killed by a signal
            except KeyboardInterrupt:  # the child got Ctrl+C too; let it finish
                continue
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        if child.poll() is None:
            child.kill()


def _pin_name(line: str) -> str:
    return line.split("==")[0].strip().lower().replace("_", "-")


def pin(python: Path, target: Path) -> int:
    """Write ``target``, a constraints file of what is installed in ``python``'s
    environment (``pip freeze --all`` less this project and pip), with a header saying
    how."""
    try:
        frozen = subprocess.check_output(
            [str(python), "-m", "pip", "freeze", "--all", "--exclude-editable",
             "--disable-pip-version-check"], universal_newlines=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        raise BootstrapError("pip freeze failed in {} ({}): set the course up first "
                             "with `python3 -m loopedu.bootstrap setup`".format(python, exc))
    pins = []
    for line in frozen.splitlines():
        line = line.strip()
        if line and not line.startswith(("#", "-")) and _pin_name(line) not in (PROJECT,
                                                                                "pip"):
            pins.append(line)
    version = subprocess.check_output(
        [str(python), "-c", "import platform; print(platform.python_version())"],
        universal_newlines=True).strip()
    header = [
        "# The exact versions the course was tested with: `python3 -m loopedu.bootstrap`",
        "# installs with `pip install -c constraints.txt`, so every machine of a class",
        "# gets these. Made by `python3 -m loopedu.bootstrap pin`: `pip freeze --all` of",
        "# the environment that passed `python3 -m loopedu.bootstrap test`, less loopedu",
        "# and pip. Made with the oldest Python the course supports, so that every",
        "# supported Python can install them (tests/test_packaging.py resolves them with",
        "# each Python it finds, Debian's own 3.11.2 included); packages only that Python",
        "# needs (tomli, exceptiongroup) are simply not installed on newer ones.",
        "# Frozen with Python {} on {} ({}), {}.".format(
            version, platform.system(), platform.machine(),
            datetime.now(timezone.utc).strftime("%Y-%m-%d")),
        "# To regenerate: with the oldest supported python3,",
        "# LOOPEDU_CONSTRAINTS=none python3 -m loopedu.bootstrap test (the latest",
        "# releases, in .venv-latest); when it passes,",
        "# LOOPEDU_CONSTRAINTS=none python3 -m loopedu.bootstrap pin",
    ]
    target.write_text("\n".join(header + sorted(pins, key=_pin_name)) + "\n")
    _say("wrote {} ({} versions from {})".format(target, len(pins), python))
    return 0


USAGE = """usage: python3 -m loopedu.bootstrap {lab,test,setup,pin} [ARGS...]
  lab    set up, then open the course in JupyterLab
  test   set up, then run the unit tests and every notebook
  setup  set up only
  pin    write constraints.txt from the environment in use (instructors)
  -h, --help  this message
environment: LOOPEDU_VENV (default .venv), LOOPEDU_CONSTRAINTS (default constraints.txt;
  'none' for the latest releases, in .venv-latest)"""


def main(argv=None) -> int:
    """``lab``, ``test``, ``setup`` or ``pin``, plus arguments passed through."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] in (["-h"], ["--help"], ["help"]):
        print(USAGE)
        return 0
    if not argv or argv[0] not in ("lab", "test", "setup", "pin"):
        print(USAGE, file=sys.stderr)
        return 2
    command, rest = argv[0], argv[1:]
    try:
        if command == "pin":
            python = venv_python(venv_dir())
            if not python.exists():
                raise BootstrapError("there is no environment in {} to pin: run `python3 -m "
                                     "loopedu.bootstrap test` first".format(venv_dir()))
            return pin(python, ROOT / CONSTRAINTS)
        python = ensure_environment(EXTRAS[command])
    except BootstrapError as exc:
        print("loopedu: error: {}".format(exc), file=sys.stderr)
        return 1
    if command == "setup":
        return 0
    if command == "lab":
        cmd = [python, "-m", "loopedu.cli", "lab"] + rest
    else:
        cmd = [python, "-m", "pytest"] + TEST_ARGS + rest
    try:
        return hand_over(cmd, ROOT)
    except BootstrapError as exc:
        print("loopedu: error: {}".format(exc), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
