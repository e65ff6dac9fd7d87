"""Benchmark: N learners take the course through a real JupyterHub on this machine.

Run as root from the repository root (the hub makes Unix users; see hub.py):

    .venv/bin/python tests/benchmarks/bench_hub.py --learners 30
    .venv/bin/python tests/benchmarks/bench_hub.py --learners 3 --lessons 00,03

It starts a hub with ``hub.py up`` (TLJH's shape: a Unix user ``jupyter-NAME`` per
learner, LocalProcessSpawner, one shared environment, configurable-http-proxy, all on
127.0.0.1) and, for every learner at once, in a thread of its own:

1. signs in through the hub's API (``POST /hub/api/users/NAME/tokens`` with the
   learner's name and password: PAM, as on a real hub) and from then on uses only the
   token it got;
2. starts its server (``POST /hub/api/users/NAME/server``) and waits until the hub says
   it is ready: the time to a running server includes nbgitpuller's pull of the course
   into ``~/loopedu`` and ``loopedu workspace --from ~/loopedu``;
3. runs every lesson of its workspace (``~/loopedu-workspace/notebooks/NN-*.ipynb``,
   read through the Contents API), each in a new kernel of its own server, opened as
   JupyterLab opens a notebook (``POST /api/sessions``: the notebook's folder is the
   working directory), cell after cell through the kernel's websocket
   (``/api/kernels/ID/channels``); a cell that raises (and is not tagged
   ``raises-exception``) fails the lesson. At the end of each lesson it records the
   memory of the learner's processes (its server, that kernel and whatever the lesson
   left running), then closes the notebook (``DELETE /api/sessions/ID``, which shuts
   the kernel down);
4. records a prediction (``loopedu.exercises.predict``) and passes an exercise
   (``check``) in a kernel of its server, and the benchmark reads both back from the
   learner's progress file.

Meanwhile it samples every 0.5 s the memory of each learner's processes (the sum of
the resident set sizes of every process of the learner's Unix user) and, every second
sample, every established TCP connection: one joining processes of two learners is
cross-talk (bench_classroom's check). A learner's server that could not start because
its port was taken, or a kernel the server had to restart (jupyter_client's port race),
is a port collision. Afterwards ``hub.py down`` removes everything, and the benchmark
checks that nothing of the hub is left running, listening or in a namespace.

Per learner it prints the time to a running server, each lesson's wall time, the peak
memory and the memory at the end of the lessons (server + kernel), and errors. The last
line reads ``learners=N failures=F wall_s=... peak_mib_per_learner=...
p95_lesson_s=...`` (peak: the median of the learners' peaks; p95: over every lesson
run); the exit status is 0 when F is 0.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import sys
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_classroom  # noqa: E402  (this folder's modules, not a package)

import hub as hubs  # noqa: E402

MIB = 1024 * 1024
CELL_TIMEOUT = 600
SERVER_TIMEOUT = 900
SAMPLE_S = 0.5
#: The prediction and the exercise every learner records (lesson 01: the size of
#: 127.0.0.0/8, 2**24 addresses).
PREDICTION = ("01.slash8-size", 2 ** 24)
EXERCISE = ("01.loopback-size", 2 ** 22)
WORKSPACE = "loopedu-workspace"


# --------------------------------------------------------------------------- the client

class HubClient:
    """One learner's view of the hub: REST through the proxy, with its own token."""

    def __init__(self, url: str, name: str, token: str = ""):
        self.url, self.name, self.token = url, name, token

    def request(self, method: str, path: str, body=None, timeout: float = 60):
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"token {self.token}"
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers=headers)
        with urllib.request.urlopen(req, timeout=timeout) as answer:
            text = answer.read()
        return json.loads(text) if text else None

    def sign_in(self, password: str) -> None:
        """PAM through the hub's API: a token for this learner."""
        answer = self.request("POST", f"/hub/api/users/{self.name}/tokens",
                              {"auth": {"username": self.name, "password": password},
                               "note": "bench_hub"})
        self.token = answer["token"]

    def start_server(self, timeout: float = SERVER_TIMEOUT) -> None:
        self.request("POST", f"/hub/api/users/{self.name}/server", timeout=SERVER_TIMEOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            model = self.request("GET", f"/hub/api/users/{self.name}")
            server = model.get("servers", {}).get("")
            if server and server.get("ready"):
                return
            if not server and not model.get("pending"):
                raise RuntimeError("the server stopped while starting (see the hub's log)")
            time.sleep(0.5)
        raise TimeoutError(f"the server was not ready after {timeout} s")

    def server(self, method: str, path: str, body=None, timeout: float = 120):
        """The learner's own Jupyter server, through the proxy."""
        return self.request(method, f"/user/{self.name}{path}", body, timeout)

    def contents(self, path: str) -> dict:
        return self.server("GET", "/api/contents/" + urllib.parse.quote(path))

    def open_notebook(self, path: str) -> tuple[str, str]:
        """A new session for ``path`` (as JupyterLab opens a notebook): (session, kernel)."""
        model = self.server("POST", "/api/sessions",
                            {"path": path, "name": Path(path).name, "type": "notebook",
                             "kernel": {"name": "python3"}}, timeout=CELL_TIMEOUT)
        return model["id"], model["kernel"]["id"]

    def close_notebook(self, session: str) -> None:
        self.server("DELETE", f"/api/sessions/{session}")

    def kernel(self, kernel_id: str) -> KernelChannel:
        ws_url = self.url.replace("http://", "ws://", 1) + \
            f"/user/{self.name}/api/kernels/{kernel_id}/channels?session_id={uuid.uuid4().hex}"
        return KernelChannel(ws_url, self.token)


class KernelChannel:
    """The kernel's websocket (Jupyter Server's JSON protocol: one message per frame,
    its channel in ``"channel"``): run code, collect the reply and any error."""

    def __init__(self, url: str, token: str):
        import websocket

        self.session = uuid.uuid4().hex
        self.ws = websocket.create_connection(url, timeout=CELL_TIMEOUT,
                                              header=[f"Authorization: token {token}"])

    def close(self) -> None:
        self.ws.close()

    def _send(self, channel: str, msg_type: str, content: dict) -> str:
        msg_id = uuid.uuid4().hex
        self.ws.send(json.dumps({
            "header": {"msg_id": msg_id, "msg_type": msg_type, "session": self.session,
                       "username": "learner", "version": "5.3",
                       "date": datetime.now(timezone.utc).isoformat()},
            "parent_header": {}, "metadata": {}, "content": content,
            "channel": channel, "buffers": []}))
        return msg_id

    def _until_done(self, msg_id: str, reply_type: str, timeout: float) -> dict:
        """Messages of request ``msg_id`` until its reply and the kernel's idle."""
        import websocket

        deadline = time.monotonic() + timeout
        result = {"reply": None, "error": None, "stdout": []}
        idle = False
        while result["reply"] is None or not idle:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no answer from the kernel in {timeout:.0f} s")
            self.ws.settimeout(left)
            try:
                raw = self.ws.recv()
            except websocket.WebSocketTimeoutException:
                continue
            if not isinstance(raw, str):
                continue   # a message with binary buffers (widgets): not ours to read
            msg = json.loads(raw)
            content, kind = msg.get("content", {}), msg.get("msg_type")
            if kind == "status" and content.get("execution_state") in ("restarting", "dead"):
                raise RuntimeError(f"kernel {content['execution_state']}")
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            if msg.get("channel") == "shell" and kind == reply_type:
                result["reply"] = content
            elif kind == "status" and content.get("execution_state") == "idle":
                idle = True
            elif kind == "error":
                result["error"] = content
            elif kind == "stream":
                result["stdout"].append(content.get("text", ""))
        return result

    def wait_ready(self, timeout: float = CELL_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while True:   # kernel_info until answered (a starting kernel may miss one)
            msg_id = self._send("shell", "kernel_info_request", {})
            try:
                self._until_done(msg_id, "kernel_info_reply", min(10, timeout))
                return
            except TimeoutError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the kernel did not answer kernel_info in "
                                       f"{timeout:.0f} s") from None

    def execute(self, code: str, timeout: float = CELL_TIMEOUT) -> dict:
        msg_id = self._send("shell", "execute_request",
                            {"code": code, "silent": False, "store_history": True,
                             "user_expressions": {}, "allow_stdin": False,
                             "stop_on_error": True})
        return self._until_done(msg_id, "execute_reply", timeout)


# --------------------------------------------------------------------------- a learner

@dataclass
class Learner:
    index: int
    name: str
    uid: int
    lessons: list = field(default_factory=list)        # (name, seconds, error, mib at end)
    to_server_s: float | None = None
    errors: list = field(default_factory=list)
    peak: int = 0
    cpu: dict = field(default_factory=dict)            # pid -> CPU seconds seen (user+sys)
    breakdown: dict = field(default_factory=dict)      # at the end of the last lesson
    pss_ends: list = field(default_factory=list)       # PSS MiB at the end of each lesson
    done: bool = False


def memory_of(uid: int) -> tuple[int, dict]:
    """The RSS of every process of ``uid``, summed; and by kind (server, kernel, other),
    with ``pss``: the same processes' proportional set size (proc(5), smaps_rollup), in
    which a page shared by several processes (the shared environment's libraries, mapped
    by every learner) counts as its share: what the learner adds to a machine's memory."""
    total, kinds = 0, {"server": 0, "kernel": 0, "other": 0, "pss": 0}
    for proc in psutil.process_iter(["uids", "memory_info", "cmdline"]):
        info = proc.info
        if not info["uids"] or info["uids"].real != uid or info["memory_info"] is None:
            continue
        cmd = " ".join(info["cmdline"] or [])
        kind = ("server" if "jupyterhub-singleuser" in cmd
                else "kernel" if "ipykernel_launcher" in cmd else "other")
        kinds[kind] += info["memory_info"].rss
        total += info["memory_info"].rss
        try:
            kinds["pss"] += proc.memory_full_info().pss
        except (psutil.Error, AttributeError):   # gone, or no smaps here
            kinds["pss"] += info["memory_info"].rss
    return total, kinds


def raises_on_purpose(cell: dict) -> bool:
    return "raises-exception" in cell.get("metadata", {}).get("tags", [])


def run_lesson(client: HubClient, path: str, learner: Learner) -> None:
    nb = client.contents(path)["content"]
    start = time.perf_counter()
    error, session = None, None
    try:
        session, kernel_id = client.open_notebook(path)
        channel = client.kernel(kernel_id)
        try:
            channel.wait_ready()
            for index, cell in enumerate(nb["cells"]):
                source = "".join(cell["source"]) if isinstance(cell["source"], list) \
                    else cell["source"]
                if cell["cell_type"] != "code" or not source.strip():
                    continue
                result = channel.execute(source)
                failed = result["error"] or (result["reply"] or {}).get("status") == "error"
                if failed and not raises_on_purpose(cell):
                    why = result["error"] or result["reply"]
                    error = (f"cell {index}: {why.get('ename')} "
                             f"{str(why.get('evalue'))[:120]!r}")
                    break
        finally:
            channel.close()
        mib_end, kinds = memory_of(learner.uid)
        learner.breakdown = kinds
    except Exception as exc:
        error = f"{type(exc).__name__}: {str(exc)[:200]}"
        mib_end = 0
    finally:
        if session:
            try:
                client.close_notebook(session)
            except Exception as exc:
                error = error or f"closing the notebook: {exc}"
    learner.lessons.append((Path(path).name, time.perf_counter() - start, error,
                            mib_end / MIB))
    learner.pss_ends.append(learner.breakdown.get("pss", 0) / MIB if mib_end else 0)


CHECK_CODE = f"""
import json
from loopedu.exercises import check, predict
predict({PREDICTION[0]!r}, {PREDICTION[1]!r})
feedback = check({EXERCISE[0]!r}, {EXERCISE[1]!r})
print(json.dumps({{"passed": feedback.passed}}))
"""


def record_and_check(client: HubClient, learner: Learner, progress_file: Path) -> None:
    """A prediction and a passed exercise, recorded in the learner's own kernel, then
    read back from the learner's progress file."""
    session, kernel_id = client.open_notebook(f"{WORKSPACE}/bench-hub-check.ipynb")
    try:
        channel = client.kernel(kernel_id)
        try:
            channel.wait_ready()
            result = channel.execute(CHECK_CODE)
        finally:
            channel.close()
    finally:
        client.close_notebook(session)
    if result["error"]:
        raise RuntimeError(f"{result['error']['ename']}: {result['error']['evalue']}")
    if json.loads("".join(result["stdout"]).strip().splitlines()[-1]) != {"passed": True}:
        raise RuntimeError(f"check({EXERCISE[0]!r}) did not pass: {result['stdout']}")
    record = json.loads(progress_file.read_text())
    if record.get("predictions", {}).get(PREDICTION[0], {}).get("value") != PREDICTION[1]:
        raise RuntimeError(f"the prediction is not in {progress_file}")
    if EXERCISE[0] not in record.get("passed", {}):
        raise RuntimeError(f"the pass is not in {progress_file}")


def lesson_paths(client: HubClient, codes: list[str]) -> list[str]:
    listing = client.contents(f"{WORKSPACE}/notebooks")["content"]
    names = sorted(item["name"] for item in listing
                   if re.fullmatch(r"\d\d-.+\.ipynb", item["name"])
                   and not item["name"].endswith(".updated.ipynb"))
    if codes:
        names = [n for n in names if n[:2] in codes]
    return [f"{WORKSPACE}/notebooks/{name}" for name in names]


def run_learner(hub: hubs.Hub, learner: Learner, password: str, codes: list[str]) -> None:
    client = HubClient(hub.url, learner.name)
    try:
        start = time.perf_counter()
        client.sign_in(password)
        client.start_server()
        learner.to_server_s = time.perf_counter() - start
        for path in lesson_paths(client, codes):
            run_lesson(client, path, learner)
        record_and_check(client, learner, hub.dir / "progress" / learner.name / "progress.json")
    except Exception as exc:
        learner.errors.append(f"{type(exc).__name__}: {str(exc)[:300]}")
        if os.environ.get("LOOPEDU_DEBUG"):
            traceback.print_exc()
    finally:
        learner.done = True


# --------------------------------------------------------------------------- the class

def sample(learners: list[Learner], tally, connections: bool) -> None:
    owner = {}
    by_uid = {learner.uid: learner for learner in learners}
    totals = dict.fromkeys(by_uid, 0)
    for proc in psutil.process_iter(["uids", "memory_info", "cpu_times"]):
        info = proc.info
        uid = info["uids"].real if info["uids"] else None
        if uid in by_uid and info["memory_info"] is not None:
            totals[uid] += info["memory_info"].rss
            owner[proc.pid] = by_uid[uid].index
            if info["cpu_times"] is not None:
                by_uid[uid].cpu[proc.pid] = info["cpu_times"].user + info["cpu_times"].system
    for uid, total in totals.items():
        by_uid[uid].peak = max(by_uid[uid].peak, total)
    if connections:
        bench_classroom.Classroom.check_crosstalk(tally, owner)


def kernel_ports(hub: hubs.Hub, learners: list[Learner], found: dict) -> None:
    """Each running kernel's five ports, read from its connection file (root reads the
    learners' runtime folders), into ``found``: connection file -> (learner, ports)."""
    by_uid = {learner.uid: learner.name for learner in learners}
    for proc in psutil.process_iter(["uids", "cmdline"]):
        cmd, uids = proc.info["cmdline"] or [], proc.info["uids"]
        if not uids or uids.real not in by_uid or "ipykernel_launcher" not in cmd \
                or "-f" not in cmd[:-1] or cmd[cmd.index("-f") + 1] in found:
            continue
        path = cmd[cmd.index("-f") + 1]
        try:
            info = json.loads(Path(path).read_text())
        except (OSError, ValueError):   # not written yet, or gone
            continue
        found[path] = (by_uid[uids.real], [info[k] for k in bench_classroom.CHANNELS])


def outside_blocks(hub: hubs.Hub, found: dict) -> list[str]:
    """The kernels whose ports are not all in their learner's block (hub/kernel_ports)."""
    bad = []
    for path, (name, ports) in sorted(found.items()):
        low, high = map(int, hub.kernel_ports.get(name, "0-0").split("-"))
        if not all(low <= port <= high for port in ports):
            bad.append(f"{name}: ports {ports} not in {low}-{high} ({Path(path).name})")
    return bad


def _identity(pid: int) -> tuple[int, float]:
    """A process as (pid, start time); (pid, 0.0) once it is gone."""
    try:
        return pid, psutil.Process(pid).create_time()
    except psutil.Error:
        return pid, 0.0


def port_collisions(hub: hubs.Hub) -> list[str]:
    """Lines of the hub's log (the servers write there too) that show a port taken:
    a server that could not bind, a kernel restarted by its server."""
    try:
        text = (hub.state / "jupyterhub.log").read_text(errors="replace")
    except OSError:
        return []
    return [line.strip()[:200] for line in text.splitlines()
            if "Address already in use" in line or "KernelRestarter: restarting" in line]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]


def report(learners: list[Learner]) -> int:
    failures = 0
    for learner in learners:
        bad = learner.errors + [f"{name}: {err}" for name, _, err, _ in learner.lessons if err]
        failures += bool(bad)
        ends = [mib for _, _, err, mib in learner.lessons if mib]
        server = (f"{learner.to_server_s:5.1f} s" if learner.to_server_s is not None
                  else "  -  ")
        print(f"learner {learner.index + 1:02d} {learner.name}  server in {server}  "
              f"CPU {sum(learner.cpu.values()):5.1f} s  "
              f"peak {learner.peak / MIB:4.0f} MiB  end of lesson "
              f"{max(ends) if ends else 0:4.0f} MiB (server "
              f"{learner.breakdown.get('server', 0) / MIB:.0f} + kernel "
              f"{learner.breakdown.get('kernel', 0) / MIB:.0f} + other "
              f"{learner.breakdown.get('other', 0) / MIB:.0f})  "
              f"{'FAILED: ' + '; '.join(bad) if bad else 'ok'}")
        print("    " + "  ".join(f"{name[:2]} {seconds:.1f}s" for name, seconds, _, _
                                  in learner.lessons), flush=True)
        print("    MiB at the end of each lesson, RSS (PSS): " + "  ".join(
            f"{name[:2]} {mib:.0f} ({pss:.0f})" for (name, _, _, mib), pss
            in zip(learner.lessons, learner.pss_ends)), flush=True)
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=3)
    parser.add_argument("--lessons", default="",
                        help="comma-separated lesson numbers (default: every lesson)")
    parser.add_argument("--plain", action="store_true",
                        help="the hub without the course's memory savings")
    args = parser.parse_args()
    codes = [c.strip().zfill(2) for c in args.lessons.split(",") if c.strip()]
    unknown = sorted(set(codes) - set(bench_classroom.all_lessons()))
    if unknown:
        parser.error(f"no such lesson: {', '.join(unknown)}")
    print(f"machine: {platform.node()} {platform.system()} {platform.release()} "
          f"{platform.machine()}, Python {platform.python_version()}")
    print(f"CPUs: {os.cpu_count()}, memory {psutil.virtual_memory().total / MIB:.0f} MiB")
    print(f"learners: {args.learners}, lessons: {' '.join(codes) or 'all'}, "
          f"{'plain' if args.plain else 'lean'} single-user servers", flush=True)
    signal_exit = lambda *_: sys.exit(143)  # noqa: E731
    import signal
    signal.signal(signal.SIGTERM, signal_exit)
    listening_before = bench_classroom.listening()
    try:
        hub = hubs.up(args.learners, lean=not args.plain)
    except hubs.HubError as exc:
        print(f"bench_hub: {exc}", file=sys.stderr)
        return 2
    failures, wall = 0, 0.0
    learners: list[Learner] = []
    # (pid, start time): a pid the system gives to another program later is not ours
    seen: set[tuple[int, float]] = {_identity(hub.pid)}
    try:
        passwords = hub.passwords()
        learners = [Learner(i, name, hub.uid(name)) for i, name in enumerate(hub.learners)]
        tally = SimpleNamespace(pairs=set(), crosstalk=set())
        threads = [threading.Thread(target=run_learner, args=(hub, learner,
                                                              passwords[learner.name], codes),
                                    daemon=True) for learner in learners]
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        rounds, kernels = 0, {}
        while any(thread.is_alive() for thread in threads):
            sample(learners, tally, connections=rounds % 2 == 0)
            kernel_ports(hub, learners, kernels)
            try:
                seen |= {_identity(c.pid) for c in psutil.Process(hub.pid).children(
                    recursive=True)}
            except psutil.Error:
                pass
            rounds += 1
            time.sleep(SAMPLE_S)
        wall = time.perf_counter() - start
        failures = report(learners)
        print(f"cross-talk: {len(tally.crosstalk)} of {len(tally.pairs)} sampled loopback "
              "connections between two learners' processes joined two learners")
        for line in sorted(tally.crosstalk):
            print(f"cross-talk: {line}")
        failures += len(tally.crosstalk)
        collisions = port_collisions(hub)
        print(f"port collisions: {len(collisions)}")
        for line in collisions:
            print(f"port collision: {line}")
        failures += len(collisions)
        outside = outside_blocks(hub, kernels)
        print(f"kernel ports outside their learner's block: {len(outside)} of "
              f"{len(kernels)} kernels seen")
        for line in outside:
            print(f"kernel ports: {line}")
        failures += len(outside)
    except KeyboardInterrupt:
        print("interrupted: removing the hub", file=sys.stderr)
        hubs.down(hub)
        return 130
    except BaseException:
        hubs.down(hub)
        raise
    left = hubs.down(hub)
    after = bench_classroom.listening() - listening_before
    left += [f"listening socket left: {laddr.ip}:{laddr.port} (pid {pid})"
             for laddr, pid in after if pid and _identity(pid) in seen]
    for line in left:
        print(line)
    print(f"nothing left: {'no' if left else 'yes'} (users, homes, processes, namespace "
          "holders, listening sockets, state folder)")
    failures += len(left)
    lesson_times = [s for learner in learners for _, s, _, _ in learner.lessons]
    ends = [mib for learner in learners for _, _, _, mib in learner.lessons if mib]
    peak = statistics.median([learner.peak for learner in learners]) / MIB if learners else 0
    pss = [mib for learner in learners for mib in learner.pss_ends if mib]
    print(f"memory at the end of a lesson (server + kernel + the lesson's processes): "
          f"RSS median {statistics.median(ends) if ends else 0:.0f} MiB, "
          f"max {max(ends) if ends else 0:.0f} MiB; PSS (shared pages split among the "
          f"processes that map them) median {statistics.median(pss) if pss else 0:.0f} MiB, "
          f"max {max(pss) if pss else 0:.0f} MiB")
    print(f"learners={args.learners} failures={failures} wall_s={wall:.1f} "
          f"peak_mib_per_learner={peak:.0f} p95_lesson_s={percentile(lesson_times, 0.95):.1f}")
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
