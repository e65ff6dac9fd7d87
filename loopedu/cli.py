"""The ``loopedu`` command: the course from a terminal.

    loopedu lab [JUPYTERLAB ARGS...]   your workspace, updated, in JupyterLab on 127.0.0.1
                                       (--ip: another loopback address; no other)
    loopedu lab --reference [ARGS...]  open the course checkout itself (instructors)
    loopedu workspace [DIR] [--json]   write or update your workspace (--from COURSE)
    loopedu doctor [--json]            what this machine allows, lesson by lesson
    loopedu progress [--json]          your record: exercises passed, attempts, hints, predictions
    loopedu progress --export FILE     all of it as a file for your instructor (--learner NAME)
    loopedu class-report FILES_OR_DIR  instructors: who passed what, where learners struggle,
                                       the class's predictions (--chart, --csv, --json,
                                       --prediction ID --prediction-chart OUT.png)
    loopedu class-report --watch DIR   instructors: the same, live, as records arrive
    loopedu student SRC... -o DIR      student versions of exercise notebooks
    loopedu audit [--json]             listening sockets, and which the network can reach
    loopedu experiment NAME [--json]   reachability, lan [--fallback], counters or ping
    loopedu handout NB... -o DIR       instructors: handouts to print (--pdf, --paper,
                                       --solutions, --exercises-only)

A known user error (a missing source, an output folder that cannot be written, ...), or
an experiment that cannot run here, is one line on stderr and exit status 2. When the
reader of the output goes away (``loopedu doctor | head -1``) the status is 1, silently.
Anything else is a bug in loopedu: it says so in one line, writes the traceback to a log
file (``logs/`` in the loopedu data folder, see ``loopedu progress``; else a private
temporary file) and names that file; with ``LOOPEDU_DEBUG=1`` the traceback is printed
too. Exit status 1.

Introduced in notebooks/00-start-here.ipynb.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import traceback
from datetime import datetime, timezone
from pathlib import Path

from .course import CourseNotFound, course_root
from .keep_edits import OutputError, WriteOutcome

__all__ = ["main", "CliError"]


class CliError(Exception):
    """An error the command reports as one line (exit status 2)."""


def _lab(args) -> int:
    from .lab import lab_command, listen_address
    from .sandbox import is_root as running_as_root

    try:
        address, _ = listen_address(args.jupyter_args)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    course = course_root()
    if args.reference:
        root = course
        print(f"loopedu: the reference course in {root} (solutions and outputs included; "
              "the jupytext sources are hidden)", file=sys.stderr)
    else:
        from .workspace import update_workspace

        update = update_workspace(course)
        root = update.path
        print(f"loopedu: your workspace is {root}: edit freely, loopedu never overwrites "
              f"your changes\nloopedu: {update.summary()}", file=sys.stderr)
        for result in update.changed:
            if result.outcome is WriteOutcome.KEPT_EDIT:
                print(f"loopedu: {update.line(result)}", file=sys.stderr)
    is_root = running_as_root()
    print(f"loopedu: JupyterLab listens on {address} only: programs on this machine can "
          "reach it, nothing on your network can (lessons 00 and 03 show why).", file=sys.stderr)
    if is_root:
        print("loopedu: running as root (a container or CI?), so --allow-root is passed.",
              file=sys.stderr)
    from .bootstrap import hand_over  # POSIX: this process becomes JupyterLab

    try:
        return hand_over(lab_command(args.jupyter_args, root, is_root, args.reference), root)
    except KeyboardInterrupt:
        return 130


def _workspace(args) -> int:
    from .workspace import update_workspace

    course = Path(args.course) if args.course else course_root()
    update = update_workspace(course, args.dir)
    print(json.dumps(update.to_dict(), indent=2) if args.json else update.report())
    return 0


def _doctor(args) -> int:
    from . import doctor

    rep = doctor.report()
    if args.json:
        print(json.dumps(rep.to_dict(), indent=2))
    else:
        print(doctor.format_report(rep))
    return 0


def _progress(args) -> int:
    from .exercises import progress, progress_report

    if args.export is not None:
        return _export_progress(args)
    if args.learner is not None or args.force:
        raise CliError("--learner and --force belong to `loopedu progress --export FILE`")
    if args.json:
        print(json.dumps(progress().to_dict(), indent=2))
    else:
        print(progress_report())
    return 0


def _export_progress(args) -> int:
    from .class_progress import export_progress, read_export

    folder = Path(args.export).expanduser().parent
    if not folder.is_dir():
        raise CliError(f"the folder {folder} does not exist: make it first, or give a "
                       "FILE in a folder that exists")
    path = export_progress(args.export, args.learner, args.force)
    export = read_export(path)
    n = len(export.passed)
    said = sum(1 for e in export.part("predictions").values() if e.get("value") is not None)
    print(f"Wrote {n} passed exercise{'' if n == 1 else 's'} of {export.learner} to {path}, "
          f"with {sum(int(e.get('failed') or 0) for e in export.part('attempts').values())} "
          f"failed attempts, {len(export.part('hints'))} exercises with hints, "
          f"{len(export.part('solutions'))} worked answers seen, {said} predictions, "
          f"{len(export.part('reveals'))} reveals and "
          f"{sum(1 for e in export.part('explanations').values() if e.get('text'))} "
          "explanations; hand this file to your instructor.")
    return 0


def _class_report(args) -> int:
    from . import class_progress as cp
    from .keep_edits import atomic_write_text

    if args.prediction_chart and not args.prediction:
        raise CliError("--prediction-chart draws one prediction: add --prediction ID")
    if args.watch:
        if not args.every > 0:
            raise CliError(f"--every takes a number of seconds above 0, not {args.every:g}")
        if args.paths or args.csv or args.json or args.chart:
            raise CliError("--watch DIR takes no other files, --csv, --json or --chart; "
                           "--prediction ID and --prediction-chart OUT.png narrow it")
        if not Path(args.watch).expanduser().is_dir():
            raise CliError(f"{args.watch} is not a folder: --watch takes the folder the "
                           "exports arrive in, or the folder of the learners' progress "
                           "folders")
        cp.watch(args.watch, args.prediction, args.prediction_chart, every=args.every)
        print("loopedu class-report: stopped watching", file=sys.stderr)
        return 0
    if not args.paths:
        raise CliError("give export files or folders (or --watch DIR)")
    loaded = cp.load_exports(args.paths)
    for note in loaded.skipped:
        print(f"loopedu class-report: skipped {note}", file=sys.stderr)
    if not loaded.exports:
        raise CliError(f"no progress exports found in {' '.join(args.paths)}; learners "
                       "write them with `loopedu progress --export FILE`")
    report = cp.class_report(loaded)
    poll = None
    if args.prediction:
        poll = next((p for p in report.polls if p.id == args.prediction), None)
        if poll is None:
            known = ", ".join(p.id for p in report.polls) or "none yet"
            raise CliError(f"no learner predicted or revealed {args.prediction}; the "
                           f"predictions in these records: {known}")
    try:
        if args.csv:
            atomic_write_text(args.csv, cp.report_csv(report))
        if args.chart:
            fig = cp.class_chart(report)
            kind = Path(args.chart).suffix.lstrip(".").lower() or "png"
            fig.savefig(args.chart, dpi=100, metadata=fig.savefig_metadata.get(kind))
        if args.prediction_chart:
            from .class_progress.watch import save_chart

            save_chart(poll, args.prediction_chart)
    except OSError as exc:
        raise CliError(f"cannot write {exc.filename or args.csv or args.chart} "
                       f"({exc.strerror or exc})") from None
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    elif poll is not None:
        print("\n".join(cp.format_polls(report.polls, args.prediction)))
    else:
        print(cp.format_class_report(report))
    return 0


def _add_class_report(sub) -> None:
    rep = sub.add_parser("class-report", help="instructors: who passed what, where learners "
                         "struggle and what the class predicted, from the files of `loopedu "
                         "progress --export` or the learners' progress folders")
    rep.add_argument("paths", nargs="*", metavar="FILES_OR_DIR",
                     help="export files, or folders searched for *.json (a learner's "
                     "progress.json in a folder of its own is read too)")
    rep.add_argument("--chart", metavar="OUT.png", help="also draw the pass rates")
    rep.add_argument("--csv", metavar="OUT.csv", help="also write the matrix as CSV")
    rep.add_argument("--json", action="store_true", help="print JSON (all of it)")
    rep.add_argument("--prediction", metavar="ID",
                     help="only the poll of this prediction (e.g. 07.nagle-stall)")
    rep.add_argument("--prediction-chart", metavar="OUT.png",
                     help="with --prediction: draw its poll for the projector")
    rep.add_argument("--watch", metavar="DIR",
                     help="a live view of DIR, redrawn as learners' records arrive or "
                     "change, until Ctrl+C")
    rep.add_argument("--every", type=float, default=2.0, metavar="SECONDS",
                     help="with --watch: how often to look for changes (default 2)")
    rep.set_defaults(func=_class_report)


def _student(args) -> int:
    from .exercises.student import build_student_versions

    for result in build_student_versions([Path(s) for s in args.sources],
                                         Path(args.output)):
        print(result)
    return 0


def _audit(args) -> int:
    from . import audit

    result = audit.audit()
    print(json.dumps(result.to_dict(), indent=2) if args.json else audit.format_audit(result))
    return 0


def _experiment(args) -> int:
    from . import lan, measure, reachability
    from .sandbox import NamespaceUnavailable

    if args.fallback and args.name != "lan":
        raise CliError("--fallback belongs to `loopedu experiment lan`")
    if args.expose and args.name not in ("reachability", "lan"):
        raise CliError("--expose belongs to `loopedu experiment reachability` and `lan "
                       "--fallback`: the others listen on loopback only")
    if args.expose:
        print("loopedu: --expose: where no network namespace can be made, the listeners on "
              "0.0.0.0 and :: open on this machine's real interfaces for a moment, and the "
              "result says for how long", file=sys.stderr)
    if args.name == "reachability":
        matrix = reachability.reachability_matrix(expose=args.expose)
        data = [row.to_dict() for row in matrix.rows]
        text = reachability.format_reachability(matrix)
    elif args.name == "lan":
        if args.fallback:
            result = lan.lan_fallback(expose=args.expose)
        else:
            try:
                result = lan.lan_exposure_details()
            except NamespaceUnavailable as exc:
                raise CliError(f"the LAN lab cannot run here: {exc}; run `loopedu experiment "
                               "lan --fallback` for its loopback stand-in") from None
        data, text = result.to_dict(), lan.format_lan(result)
    elif args.name == "counters":
        result = measure.counter_experiment()
        data, text = result.to_dict(), measure.format_counters(result)
    else:
        results = [measure.ping(address) for address in ("127.0.0.1", "::1")]
        data = [r.to_dict() for r in results]
        text = "\n".join(measure.format_ping(r) for r in results)
    print(json.dumps(data, indent=2) if args.json else text)
    if args.name == "ping":
        failures = dict.fromkeys(r.failure for r in results if r.failure)
        if failures:
            raise CliError("ping failed: " + "; ".join(failures))
    return 0


def build_parser() -> argparse.ArgumentParser:
    from .handout.command import add_handout_command

    parser = argparse.ArgumentParser(
        prog="loopedu", description="A hands-on course on the loopback interface.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    lab = sub.add_parser("lab", allow_abbrev=False,
                         help="update your workspace and open it in JupyterLab (bound to "
                         "127.0.0.1, or the loopback address --ip names; no other); further "
                         "arguments are passed on to JupyterLab")
    lab.add_argument("--reference", action="store_true",
                     help="instructors: open the course checkout itself (solutions "
                     "included), the jupytext sources hidden")
    lab.set_defaults(func=_lab)

    ws = sub.add_parser("workspace", help="write your own copy of the lessons and "
                        "exercises, or bring it up to date (never over your edits)")
    ws.add_argument("dir", nargs="?", metavar="DIR",
                    help="default: $LOOPEDU_WORKSPACE, else ~/loopedu-workspace")
    ws.add_argument("--from", dest="course", metavar="COURSE",
                    help="the course checkout to copy from (default: this one)")
    ws.add_argument("--json", action="store_true", help="print JSON")
    ws.set_defaults(func=_workspace)

    doc = sub.add_parser("doctor", help="what this machine allows, lesson by lesson")
    doc.add_argument("--json", action="store_true", help="print JSON")
    doc.set_defaults(func=_doctor)

    prog = sub.add_parser("progress", help="your record: the exercises you have passed, "
                          "your attempts and hints, your predictions")
    prog.add_argument("--json", action="store_true", help="print JSON")
    prog.add_argument("--export", metavar="FILE",
                      help="write your record to FILE (JSON) for your instructor")
    prog.add_argument("--learner", metavar="NAME",
                      help="with --export: your name (default: your user name)")
    prog.add_argument("--force", action="store_true",
                      help="with --export: replace FILE if it exists")
    prog.set_defaults(func=_progress)

    _add_class_report(sub)

    stu = sub.add_parser("student", help="write student versions of exercise notebooks")
    stu.add_argument("sources", nargs="+", metavar="SRC.ipynb")
    stu.add_argument("-o", "--output", required=True, metavar="DIR",
                     help="folder for the student versions (not the sources' own folder)")
    stu.set_defaults(func=_student)

    aud = sub.add_parser("audit", help="this machine's listening sockets, and which ones "
                         "the network can reach (read-only)")
    aud.add_argument("--json", action="store_true", help="print JSON")
    aud.set_defaults(func=_audit)

    exp = sub.add_parser("experiment", help="run one of the experiments of lessons 03 and 04")
    exp.add_argument("name", choices=["reachability", "lan", "counters", "ping"],
                     help="reachability: bind x destination matrix; lan: laptop/phone "
                     "network namespaces (Linux: as root, or as any user where user "
                     "namespaces are allowed; `loopedu doctor` says which); counters: "
                     "interface bytes while 10 MB cross 127.0.0.1; ping: ICMP echo to "
                     "127.0.0.1 and ::1 (exit status 2 when it fails)")
    exp.add_argument("--json", action="store_true", help="print JSON")
    exp.add_argument("--fallback", action="store_true",
                     help="lan only: the loopback stand-in, for machines without namespaces")
    exp.add_argument("--expose", action="store_true",
                     help="reachability and lan --fallback, on a machine without network "
                     "namespaces: run the 0.0.0.0 and :: rows too, briefly on this machine's "
                     "real interfaces (reported); without it they say 'not run'")
    exp.set_defaults(func=_experiment)
    add_handout_command(sub)
    for command in sub.choices.values():  # `loopedu doctor --bogus` shows doctor's usage
        command.set_defaults(usage_of=command)
    return parser


#: Errors of other modules whose message says what to do, by module (not imported here).
_USER_ERRORS = (("loopedu.exercises.student", "StudentBuildError"),
                ("loopedu.workspace", "WorkspaceError"),
                ("loopedu.class_progress", "ExportError"),
                ("loopedu.handout", "HandoutError"))


def _is_user_error(exc: BaseException) -> bool:
    """Errors whose message tells the user what to do: one line, exit status 2."""
    known: list[type] = [CliError, CourseNotFound, OutputError]
    for module, name in _USER_ERRORS:
        loaded = sys.modules.get(module)
        if loaded is not None:  # loaded whenever one of its errors can have been raised
            known.append(getattr(loaded, name))
    return isinstance(exc, tuple(known))


def _debug() -> bool:
    return os.environ.get("LOOPEDU_DEBUG", "").strip().lower() in ("1", "true", "yes", "on")


def _crash_text(command: str, exc: BaseException) -> str:
    from . import __version__

    head = [f"loopedu {__version__} crashed on `loopedu {command}`",
            f"time: {datetime.now(timezone.utc).isoformat(timespec='seconds')}",
            f"argv: {sys.argv!r}", f"python: {sys.version.split()[0]} ({sys.executable})",
            f"platform: {platform.platform()}", ""]
    return "\n".join(head) + "".join(traceback.format_exception(
        type(exc), exc, exc.__traceback__))


def write_crash_log(command: str, exc: BaseException) -> Path | None:
    """Write ``exc``'s traceback to a new log file and return its path.

    The file is ``logs/<time>-<command>-<pid>.log`` in the loopedu data folder (as for
    the progress file: ``$LOOPEDU_HOME`` or the platform's), readable by this user
    only; when that cannot be written, a private temporary file. ``None`` if neither
    could be written.

    Introduced in notebooks/00-start-here.ipynb.
    """
    text = _crash_text(command, exc).encode("utf-8", "replace")
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    name = f"{stamp}-{command}-{os.getpid()}.log"
    try:
        from .exercises.progress_store import data_dir

        logs = data_dir() / "logs"
        logs.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(logs / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        path = logs / name
    except Exception:  # the data folder cannot be written (or the bug is in there)
        try:
            fd, tmp = tempfile.mkstemp(prefix=f"loopedu-{command}-", suffix=".log")
            path = Path(tmp)
        except OSError:
            return None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text)
    except OSError:
        return None
    return path


def _report_bug(command: str, exc: BaseException) -> int:
    log = write_crash_log(command, exc)
    where = (f"the traceback is in {log}: please report the bug with that file"
             if log else "no log file could be written: run it again with "
             "LOOPEDU_DEBUG=1 to see the traceback, and please report the bug")
    print(f"loopedu {command}: internal error, a bug in loopedu: "
          f"{' '.join(f'{type(exc).__name__}: {exc}'.split())[:300]}; {where}",
          file=sys.stderr)
    if _debug():
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
    return 1


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``loopedu`` command; returns the exit status.

    0 when all went well, 2 for a usage or user error or a failed experiment (one line on
    stderr), 1 for a bug or a closed output pipe (see the module docstring), 130 when
    interrupted.

    Introduced in notebooks/00-start-here.ipynb.
    """
    parser = build_parser()
    # usage errors: argparse prints the usage and one line, and exits 2
    args, extra = parser.parse_known_args(argv)
    if extra and args.command != "lab":
        args.usage_of.error(f"unrecognized arguments: {' '.join(extra)}")
    args.jupyter_args = extra
    try:
        status = args.func(args)
        sys.stdout.flush()  # a reader that left is seen here, not at exit
        return status
    except KeyboardInterrupt:
        print("loopedu: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `loopedu doctor | head -1`: the reader left. The recipe of Python's signal
        # documentation ("Note on SIGPIPE"): nothing more to write, and no second error
        # when Python flushes stdout at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except Exception as exc:
        if _is_user_error(exc):
            print(f"loopedu {args.command}: error: {' '.join(str(exc).split())}",
                  file=sys.stderr)
            return 2
        return _report_bug(args.command, exc)


if __name__ == "__main__":
    sys.exit(main())
