"""Benchmark: N simulated learners run the live lessons at once on one machine.

Run from the repository root:

    .venv/bin/python tests/benchmarks/bench_classroom.py --learners 30
    .venv/bin/python tests/benchmarks/bench_classroom.py --learners 6 --lessons 03,06

Every lesson (notebooks/NN-*.ipynb) has live experiments: sockets on ephemeral ports,
network namespaces, PostgreSQL servers. Each learner gets a private folder under one
temporary directory, with its own HOME, LOOPEDU_HOME and a workspace made by
``loopedu workspace DIR --from <this repository>``; the learner runs the WORKSPACE copies
of the lessons (predictions left as ``...``, which the course notes as skipped), one
after another, each in a fresh kernel with the notebook's folder as working directory,
in one worker process per learner (this file in ``--one-learner`` mode). All learners
start together and share the one loopback. The kernels talk TCP on 127.0.0.1 as usual,
at ports from a block of the learner's own below the ephemeral range
(:func:`kernel_port_blocks` says why).

A learner passes when no cell raised (an error output not tagged ``raises-exception``).
Per learner it prints the wall time and the peak memory: the largest sum of RSS over the
worker's process tree (worker, kernels and whatever they started), sampled every 0.2 s.

While they run it looks at every established TCP connection every 0.4 s: one whose two
ends are processes of two different learners is cross-talk, and counts as a failure (it
prints how many distinct connections between classroom processes it saw).

Afterwards it checks that nothing is left: no process of the classroom still running
(a process belongs to the classroom when it was seen in a worker's tree or its
environment points HOME/LOOPEDU_HOME into the classroom's folder), in particular no
namespace holder (``unshare`` ... ``cat``) from loopedu.sandbox; no TCP socket listening
that belongs to a new process of the classroom; no ``loopedu-pg-*`` folder (lesson 06's
PostgreSQL servers) owned by a classroom kernel. Anything left is printed and counts as
one failure each.

The last line reads ``learners=N failures=F wall_s=... peak_mib_per_learner=...`` (the
median of the learners' peaks); the exit status is 0 when F is 0, else 1. Temporary
folders are removed and every process tree is killed at the end, even on Ctrl+C.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[2]
CELL_TIMEOUT = 600
SAMPLE_S = 0.2
CROSSTALK_EVERY = 2  # look at every connection every second sample (0.4 s)
MIB = 1024 * 1024


def all_lessons() -> list[str]:
    return sorted(p.name[:2] for p in (ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))


# --------------------------------------------------------------------------- one learner

#: Ports each learner's kernels may use, in a block of their own below the ephemeral
#: range (see kernel_port_blocks); 9 lessons x 5 channels fit with room for taken ones.
PORTS_PER_LEARNER = 60
CHANNELS = ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")


def ephemeral_range() -> tuple[int, int]:
    """Linux's ip_local_port_range: where bind(port 0) and connect() pick ports."""
    try:
        low, high = map(int, Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
        return low, high
    except (OSError, ValueError):
        return 32768, 60999  # the kernel's default


def kernel_port_blocks(n: int, rng: random.Random | None = None) -> list[int]:
    """The first port of each learner's block: a run of blocks below the ephemeral
    range, at a place chosen at random (``rng``) so that two classrooms on one machine
    (two users running this at once) rarely pick the same ports.

    jupyter_client picks a kernel's five TCP ports by binding port 0 on 127.0.0.1 and
    closing the socket; the kernel binds them again a second or more later. With thirty
    learners starting kernels and running port-0 experiments on one loopback, another
    socket can take such a port in between and the kernel dies with "Address already in
    use" (3 of 30 learners in a run here; nteract/papermill#511, jupyter/jupyter_client
    #487). A Jupyter server starts such a kernel again on new ports by itself
    (restarter.py, ``random_ports_until_alive``); nbclient does not. So the benchmark
    gives each learner's kernels ports from a private block outside the ephemeral range:
    no port-0 socket of any lesson can take them, and no two learners share one. The
    kernels still talk TCP on 127.0.0.1, as lesson 00 shows. A port that is in use
    (another user's) is skipped when the ports are taken (:class:`PortBlock`).
    """
    low, _ = ephemeral_range()
    room = (low - 1024) // PORTS_PER_LEARNER   # whole blocks between 1024 and the range
    if n > room:
        raise SystemExit(f"{n} learners need {n * PORTS_PER_LEARNER} kernel ports below "
                         f"the ephemeral range (starts at {low}); use fewer learners")
    start = (rng or random.SystemRandom()).randrange(room - n + 1)
    first = 1024 + start * PORTS_PER_LEARNER
    return [first + i * PORTS_PER_LEARNER for i in range(n)]


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class PortBlock:
    """Hands out the ports of one learner's block in turn, skipping any in use."""

    def __init__(self, first: int):
        self.ports = range(first, first + PORTS_PER_LEARNER)
        self.next = 0

    def take(self, count: int) -> list[int]:
        chosen: list[int] = []
        for _ in range(len(self.ports)):
            port = self.ports[self.next % len(self.ports)]
            self.next += 1
            if _free(port):
                chosen.append(port)
                if len(chosen) == count:
                    return chosen
        raise RuntimeError(f"fewer than {count} free ports in {self.ports}")


def _execute(nb, path: Path, ports: list[int]) -> None:
    """Execute ``nb`` in a fresh kernel on 127.0.0.1 at ``ports`` (see
    :func:`kernel_port_blocks`), the notebook's folder as working directory."""
    from nbclient import NotebookClient
    from traitlets.config import Config

    config = Config()
    config.KernelManager.cache_ports = False  # use these, not bind-0-and-close ones
    for channel, port in zip(CHANNELS, ports):
        setattr(config.KernelManager, channel, port)
    NotebookClient(nb, timeout=CELL_TIMEOUT, startup_timeout=CELL_TIMEOUT,
                   kernel_name="python3", config=config,
                   resources={"metadata": {"path": str(path.parent)}}).execute()


def run_learner(folder: Path, lessons: list[str], first_port: int) -> int:
    """Execute the learner's workspace lessons one after another; write result.json."""
    import nbformat
    from nbclient.exceptions import CellExecutionError

    notebooks = folder / "workspace" / "notebooks"
    block = PortBlock(first_port)
    results = []
    for code in lessons:
        (path,) = notebooks.glob(f"{code}-*.ipynb")
        nb = nbformat.read(path, as_version=4)
        nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)",
                                     "language": "python", "name": "python3"}
        start = time.perf_counter()
        error = None
        try:
            _execute(nb, path, block.take(len(CHANNELS)))
        except CellExecutionError as exc:
            error = {"ename": exc.ename, "evalue": str(exc.evalue)[:300]}
        except Exception as exc:  # timeout, dead kernel, ...
            error = {"ename": type(exc).__name__, "evalue": str(exc)[:300]}
        if error is not None:
            for index, cell in enumerate(nb.cells):
                tags = cell.get("metadata", {}).get("tags", [])
                if cell.cell_type == "code" and "raises-exception" not in tags and any(
                        o.get("output_type") == "error" for o in cell.get("outputs", [])):
                    error["cell"] = index
                    break
        results.append({"lesson": path.name, "seconds": time.perf_counter() - start,
                        "error": error})
    (folder / "result.json").write_text(json.dumps(results, indent=1))
    return 0 if all(r["error"] is None for r in results) else 1


# --------------------------------------------------------------------------- classroom

def learner_env(folder: Path) -> dict:
    env = dict(os.environ)
    env["HOME"] = str(folder / "home")
    env["LOOPEDU_HOME"] = str(folder / "progress")
    # the learner's own workspace (a test run may have set a shared one)
    env["LOOPEDU_WORKSPACE"] = str(folder / "workspace")
    return env


def make_learners(folders: list[Path]) -> None:
    """``loopedu workspace`` for every learner, as many at once as there are CPUs."""
    loopedu = Path(sys.executable).parent / "loopedu"
    cmd = ([str(loopedu)] if loopedu.exists()
           else [sys.executable, "-c", "import sys; from loopedu.cli import main; "
                                       "sys.exit(main())"])
    running: list[subprocess.Popen] = []
    for folder in folders:
        (folder / "home").mkdir(parents=True)
        (folder / "progress").mkdir()
        if len(running) >= (os.cpu_count() or 1):
            if running.pop(0).wait() != 0:
                raise RuntimeError("`loopedu workspace` failed")
        running.append(subprocess.Popen(
            cmd + ["workspace", str(folder / "workspace"), "--from", str(ROOT)],
            env=learner_env(folder), stdout=subprocess.DEVNULL, cwd=folder / "home"))
    if any(proc.wait() != 0 for proc in running):
        raise RuntimeError("`loopedu workspace` failed")


def _key(proc: psutil.Process):
    try:
        return (proc.pid, proc.create_time())
    except psutil.Error:
        return None


def process_keys() -> set:
    return {k for k in map(_key, psutil.process_iter()) if k is not None}


def listening() -> set:
    try:
        conns = psutil.net_connections(kind="tcp")
    except psutil.Error:
        return set()
    return {(c.laddr, c.pid) for c in conns if c.status == psutil.CONN_LISTEN}


def pg_folders() -> set:
    return set(Path(tempfile.gettempdir()).glob("loopedu-pg-*"))


class Classroom:
    def __init__(self, n: int, lessons: list[str]):
        self.n, self.lessons = n, lessons
        self.root = Path(tempfile.mkdtemp(prefix="loopedu-classroom-"))
        self.folders = [self.root / f"learner-{i:02d}" for i in range(1, n + 1)]
        self.workers: list[subprocess.Popen] = []
        self.seen: dict[int, psutil.Process] = {}   # every process of a worker's tree
        self.peak = [0] * n
        self.wall = [0.0] * n
        self.pairs: set = set()                     # loopback connections seen, both ends ours
        self.crosstalk: set[str] = set()            # ... whose ends are two learners'

    # -- sampling
    def sample(self, alive: list[int], connections: bool) -> None:
        owner: dict[int, int] = {}                  # pid -> learner, in this sample
        for i in alive:
            try:
                top = psutil.Process(self.workers[i].pid)
                tree = [top] + top.children(recursive=True)
            except psutil.Error:
                continue
            total = 0
            for proc in tree:
                owner[proc.pid] = i
                self.seen.setdefault(proc.pid, proc)
                try:
                    total += proc.memory_info().rss
                except psutil.Error:
                    pass
            self.peak[i] = max(self.peak[i], total)
        if connections:
            self.check_crosstalk(owner)

    def check_crosstalk(self, owner: dict[int, int]) -> None:
        """Every established TCP connection on this machine's loopback whose two ends are
        processes of the classroom must join two processes of one learner. (Connections
        inside a learner's network namespaces are not visible here; those namespaces are
        the learner's own by construction.)"""
        try:
            conns = psutil.net_connections(kind="inet")
        except psutil.Error:
            return
        ends = {(c.laddr, c.raddr): c.pid for c in conns
                if c.raddr and c.status == psutil.CONN_ESTABLISHED}
        for (local, remote), pid in ends.items():
            peer = ends.get((remote, local))
            if pid not in owner or peer not in owner or (local, remote) > (remote, local):
                continue  # not both ours; or the other end, counted once
            self.pairs.add((local, remote, pid, peer))
            if owner[pid] != owner[peer]:
                self.crosstalk.add(f"learner {owner[pid] + 1:02d} pid {pid} "
                                   f"{local.ip}:{local.port} <-> learner {owner[peer] + 1:02d}"
                                   f" pid {peer} {remote.ip}:{remote.port}")

    def run(self) -> None:
        lessons = ",".join(self.lessons)
        start = time.perf_counter()
        for folder, first_port in zip(self.folders, kernel_port_blocks(self.n)):
            self.workers.append(subprocess.Popen(
                [sys.executable, __file__, "--one-learner", str(folder), "--lessons", lessons,
                 "--first-port", str(first_port)],
                env=learner_env(folder), cwd=folder / "home", start_new_session=True,
                stdout=open(folder / "worker.log", "wb"), stderr=subprocess.STDOUT))
        alive = list(range(self.n))
        rounds = 0
        while alive:
            self.sample(alive, connections=rounds % CROSSTALK_EVERY == 0)
            rounds += 1
            for i in list(alive):
                if self.workers[i].poll() is not None:
                    self.wall[i] = time.perf_counter() - start
                    alive.remove(i)
            time.sleep(SAMPLE_S)

    # -- the classroom's own processes, even daemonized ones
    def ours(self, proc: psutil.Process) -> bool:
        seen = self.seen.get(proc.pid)
        if seen is not None and _key(seen) == _key(proc):
            return True
        try:
            env = proc.environ()
        except psutil.Error:
            return False
        root = str(self.root)
        return any(env.get(k, "").startswith(root) for k in ("HOME", "LOOPEDU_HOME"))

    def leftovers(self, before_procs: set, before_listen: set, before_pg: set) -> list[str]:
        time.sleep(1)   # let exiting holders and servers finish exiting
        left = []
        mine = {}
        for proc in psutil.process_iter():
            key = _key(proc)
            if key is None or key in before_procs or proc.pid == os.getpid():
                continue
            if self.ours(proc):
                mine[proc.pid] = proc
        for pid, proc in sorted(mine.items()):
            try:
                cmd = " ".join(proc.cmdline())[:120]
                parent = proc.parent()
                holder = ("unshare" in cmd or (proc.name() == "cat" and parent is not None
                                               and parent.name() == "unshare"))
            except psutil.Error:
                continue
            kind = "namespace holder" if holder else "process"
            left.append(f"{kind} left: pid {pid}: {cmd}")
        before_pids = {pid for _, pid in before_listen}
        for laddr, pid in sorted(listening() - before_listen, key=str):
            if pid in mine or (pid is not None and pid not in before_pids
                               and pid in self.seen):
                left.append(f"listening socket left: {laddr.ip}:{laddr.port} (pid {pid})")
        seen_pids = set(self.seen)
        for folder in sorted(pg_folders() - before_pg):
            try:
                owner = int((folder / "owner").read_text())
            except (OSError, ValueError):
                continue
            if owner in seen_pids:
                left.append(f"PostgreSQL folder left: {folder}")
        for folder in self.root.glob("**/loopedu-pg-*"):
            left.append(f"PostgreSQL folder left: {folder}")
        return left

    # -- cleanup, always
    def kill_all(self) -> None:
        for worker in self.workers:
            if worker.poll() is None:
                try:
                    os.killpg(worker.pid, signal.SIGKILL)
                except OSError:
                    pass
        for pid, proc in list(self.seen.items()):
            try:
                if proc.is_running():
                    proc.kill()
            except psutil.Error:
                pass
        for proc in psutil.process_iter():
            if proc.pid != os.getpid() and _key(proc) is not None:
                try:
                    if self.ours(proc):
                        proc.kill()
                except psutil.Error:
                    pass
        for worker in self.workers:
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass

    def cleanup(self) -> None:
        self.kill_all()
        shutil.rmtree(self.root, ignore_errors=True)


def describe(folder: Path, code: int | None) -> tuple[bool, str]:
    try:
        results = json.loads((folder / "result.json").read_text())
    except (OSError, ValueError):
        log = (folder / "worker.log").read_text(errors="replace").strip().splitlines()
        return False, f"FAILED: worker exited {code}: {log[-1] if log else 'no output'}"
    bad = [r for r in results if r["error"]]
    if not bad:
        return True, "ok"
    return False, "FAILED: " + "; ".join(
        f"{r['lesson']} cell {r['error'].get('cell', '?')}: {r['error']['ename']}"
        f" {r['error']['evalue'][:80]!r}" for r in bad)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=6, help="simulated learners")
    parser.add_argument("--lessons", default="",
                        help="comma-separated lesson numbers (default: all live lessons)")
    parser.add_argument("--one-learner", metavar="FOLDER", help=argparse.SUPPRESS)
    parser.add_argument("--first-port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    lessons = [c.strip().zfill(2) for c in args.lessons.split(",") if c.strip()] \
        or all_lessons()
    unknown = sorted(set(lessons) - set(all_lessons()))
    if unknown:
        parser.error(f"no such lesson: {', '.join(unknown)}")
    if args.one_learner:
        return run_learner(Path(args.one_learner), lessons, args.first_port)

    print(f"machine: {platform.node()} {platform.system()} {platform.release()} "
          f"{platform.machine()}, Python {platform.python_version()}")
    print(f"CPUs: {os.cpu_count()}, memory {psutil.virtual_memory().total / MIB:.0f} MiB")
    print(f"learners: {args.learners}, lessons: {' '.join(lessons)}, "
          f"cell timeout {CELL_TIMEOUT} s", flush=True)
    room = Classroom(args.learners, lessons)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        make_learners(room.folders)
        before = process_keys(), listening(), pg_folders()
        start = time.perf_counter()
        room.run()
        wall = time.perf_counter() - start
        failures = 0
        for i, folder in enumerate(room.folders):
            passed, text = describe(folder, room.workers[i].returncode)
            failures += not passed
            print(f"learner {i + 1:02d}  wall {room.wall[i]:6.1f} s  "
                  f"peak {room.peak[i] / MIB:4.0f} MiB  {text}", flush=True)
        print(f"cross-talk: {len(room.crosstalk)} of {len(room.pairs)} sampled loopback "
              "connections between two classroom processes joined two learners")
        for line in sorted(room.crosstalk):
            print(f"cross-talk: {line}")
        failures += len(room.crosstalk)
        left = room.leftovers(*before)
        for line in left:
            print(line)
        print(f"nothing left: {'no' if left else 'yes'} "
              "(processes, namespace holders, listening sockets, loopedu-pg-* folders)")
        failures += len(left)
    except KeyboardInterrupt:
        print("interrupted: killing the learners' processes", file=sys.stderr)
        return 130
    finally:
        room.cleanup()
    median = statistics.median(room.peak) / MIB if room.peak else 0
    print(f"learners={args.learners} failures={failures} wall_s={wall:.1f} "
          f"peak_mib_per_learner={median:.0f}")
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
