"""The ``loopedu`` command: the course from a terminal.

    loopedu lab [JUPYTERLAB ARGS...]   open the course in JupyterLab, bound to 127.0.0.1
    loopedu doctor [--json]            what this machine allows, lesson by lesson
    loopedu progress [--json]          the exercises you have passed
    loopedu student SRC... -o DIR      student versions of exercise notebooks
    loopedu audit [--json]             listening sockets, and which the network can reach
    loopedu experiment NAME [--json]   reachability, lan [--fallback], counters or ping

Errors are one line on stderr and a non-zero exit status, never a traceback.

Introduced in notebooks/00-start-here.ipynb.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

__all__ = ["main", "course_root", "lab_command", "CliError"]


class CliError(Exception):
    """An error the command reports as one line (exit status 2)."""


def course_root(start: Path | None = None) -> Path:
    """The folder holding ``notebooks/``: the checkout this package was installed from,
    else the current folder or one of its parents.

    >>> (course_root() / "notebooks").is_dir()
    True

    Introduced in notebooks/00-start-here.ipynb.
    """
    candidates = [Path(__file__).resolve().parent.parent]
    here = (start or Path.cwd()).resolve()
    candidates += [here, *here.parents]
    for folder in candidates:
        if (folder / "notebooks").is_dir() and (folder / "loopedu").is_dir():
            return folder
    raise CliError("cannot find the course (a folder with notebooks/ and loopedu/): "
                   "run this from the folder you cloned the course into")


def lab_command(extra: list[str], root: Path, is_root: bool) -> list[str]:
    """The JupyterLab command line ``loopedu lab`` runs.

    It binds 127.0.0.1, so only programs on this machine can reach the server; the
    learner's own arguments come last and win (``--ip`` included, at their own risk).

    >>> lab_command([], Path("/c"), False)[-1]
    '--ServerApp.root_dir=/c'

    Introduced in notebooks/00-start-here.ipynb.
    """
    cmd = [sys.executable, "-m", "jupyterlab", "--ServerApp.ip=127.0.0.1",
           "--LabApp.default_url=/lab/tree/notebooks/00-start-here.ipynb"]
    if is_root:
        cmd.append("--allow-root")
    cmd.append(f"--ServerApp.root_dir={root}")
    return cmd + list(extra)


def _lab(args) -> int:
    root = course_root()
    is_root = hasattr(os, "geteuid") and os.geteuid() == 0
    print("loopedu: JupyterLab listens on 127.0.0.1 only: programs on this machine can "
          "reach it, nothing on your network can (lessons 00 and 03 show why).", file=sys.stderr)
    if is_root:
        print("loopedu: running as root (a container or CI?), so --allow-root is passed.",
              file=sys.stderr)
    try:
        return subprocess.call(lab_command(args.jupyter_args, root, is_root), cwd=root)
    except KeyboardInterrupt:
        return 130


def _doctor(args) -> int:
    from . import doctor

    rep = doctor.report()
    if args.json:
        print(json.dumps(rep.to_dict(), indent=2))
    else:
        print(doctor.format_report(rep))
    return 0


def _progress(args) -> int:
    from . import exercises

    if args.json:
        print(json.dumps(exercises.progress(), indent=2, default=str))
    else:
        print(exercises.progress_report())
    return 0


def _student(args) -> int:
    from .exercises.student import build_student_versions

    written = build_student_versions([Path(s) for s in args.sources], Path(args.output))
    for path in written:
        print(path)
    return 0


def _audit(args) -> int:
    from . import audit

    result = audit.audit()
    print(json.dumps(result, indent=2) if args.json else audit.format_audit(result))
    return 0


def _experiment(args) -> int:
    from . import experiments, measure, netlab

    if args.fallback and args.name != "lan":
        raise CliError("--fallback belongs to `loopedu experiment lan`")
    if args.name == "reachability":
        if args.json:
            data = experiments.reachability_details()
        else:
            text = experiments.format_reachability(experiments.reachability())
    elif args.name == "lan":
        if args.fallback:
            result = data = experiments.lan_fallback()
        else:
            try:
                result = experiments.lan_exposure_details()
            except netlab.LabUnavailable as exc:
                raise CliError(f"the LAN lab cannot run here: {exc}; run `loopedu experiment "
                               "lan --fallback` for its loopback stand-in") from None
            data = result.to_dict()
        text = experiments.format_lan(result)
    elif args.name == "counters":
        data = measure.counter_experiment()
        text = measure.format_counters(data)
    else:
        data = [measure.ping(address) for address in ("127.0.0.1", "::1")]
        text = "\n".join(measure.format_ping(r) for r in data)
    print(json.dumps(data, indent=2) if args.json else text)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="loopedu", description="A hands-on course on the loopback interface.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    lab = sub.add_parser("lab", help="open the course in JupyterLab (bound to 127.0.0.1); "
                         "further arguments are passed on to JupyterLab")
    lab.set_defaults(func=_lab)

    doc = sub.add_parser("doctor", help="what this machine allows, lesson by lesson")
    doc.add_argument("--json", action="store_true", help="print JSON")
    doc.set_defaults(func=_doctor)

    prog = sub.add_parser("progress", help="the exercises you have passed")
    prog.add_argument("--json", action="store_true", help="print JSON")
    prog.set_defaults(func=_progress)

    stu = sub.add_parser("student", help="write student versions of exercise notebooks")
    stu.add_argument("sources", nargs="+", metavar="SRC.ipynb")
    stu.add_argument("-o", "--output", required=True, metavar="DIR",
                     help="folder for the student versions (not the sources' own folder)")
    stu.set_defaults(func=_student)

    aud = sub.add_parser("audit", help="this machine's listening sockets, and which ones "
                         "the network can reach (read-only)")
    aud.add_argument("--json", action="store_true", help="print JSON")
    aud.set_defaults(func=_audit)

    exp = sub.add_parser("experiment", help="run one of lesson 03's experiments")
    exp.add_argument("name", choices=["reachability", "lan", "counters", "ping"],
                     help="reachability: bind x destination matrix; lan: laptop/phone "
                     "namespaces (Linux, root); counters: interface bytes while 10 MB "
                     "cross 127.0.0.1; ping: ICMP echo to 127.0.0.1 and ::1")
    exp.add_argument("--json", action="store_true", help="print JSON")
    exp.add_argument("--fallback", action="store_true",
                     help="lan only: the loopback stand-in, for machines without namespaces")
    exp.set_defaults(func=_experiment)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``loopedu`` command; returns the exit status.

    >>> main(["doctor", "--json"])  # doctest: +SKIP
    0

    Introduced in notebooks/00-start-here.ipynb.
    """
    parser = build_parser()
    # usage errors: argparse prints the usage and one line, and exits 2
    args, extra = parser.parse_known_args(argv)
    if extra and args.command != "lab":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.jupyter_args = extra
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("loopedu: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `loopedu doctor | head`: the reader left, not an error
        sys.stderr.close()
        return 0
    except (CliError, ValueError, OSError) as exc:
        print(f"loopedu {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # a bug: still one line, and how to report it
        print(f"loopedu {args.command}: internal error: {type(exc).__name__}: {exc} "
              "(please report it with `loopedu doctor --json`)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
