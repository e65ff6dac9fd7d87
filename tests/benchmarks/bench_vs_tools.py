"""Benchmark: loopedu.measure against iperf3 (throughput) and sockperf (round trips).

Run from the repository root:

    .venv/bin/python tests/benchmarks/bench_vs_tools.py [--repeats 5] [--seconds 1]

Installs iperf3 and sockperf with ``apt-get install -y iperf3 sockperf`` when they are
missing and this runs as root (otherwise it says how to get them and exits with status
0). Then, for each CPU placement ("same core": both ends pinned to one CPU; "two
cores": client and server on two CPUs), it runs ``--repeats`` rounds, each a sandwich:
the tool, ours, the tool again, so that ours and the tool see the same machine load,
and the tool's two runs show how much the machine alone moves a figure (other users,
other virtual machines: the noise floor):

- ``throughput(seconds, buffer_size=131072)`` against ``iperf3 -c 127.0.0.1 -t seconds
  -l 128K -J`` (server ``iperf3 -s -1``), both pinned with the same placement; iperf3's
  figure is its receiver's (``end.sum_received``), like ours;
- ``rtt(transport="tcp", size=32)`` against ``sockperf ping-pong --tcp -m 32
  --full-rtt`` (server ``sockperf server --tcp``). Without ``--full-rtt`` sockperf
  reports one-way latency, half the round trip; with it, the round trip. The figure is
  read from the line that says which ("Round trip is" or "Latency is", doubled).

Every server listens on a port the kernel picked (bind port 0, read it back, close) and
is killed whatever ends the run. Prints per-round figures, medians, the ratios (ours
over the tool's), the noise floor (the tool's second run over its first: the ratio of
their medians, and the middle half of the rounds' ratios) and the goals: throughput
>= 0.95x iperf3 (0.9x at worst), median TCP round trip <= 1.2x sockperf's (1.25x at
worst). A ratio whose distance from 1 is within the noise floor's says only that the
two are alike on this machine now. Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from loopedu.measure import plan_placement, rtt, throughput  # noqa: E402

TOOLS = ("iperf3", "sockperf")
BUFFER = 131072
SIZE = 32
PLACEMENTS = {"same core": "same", "two cores": "different"}
GOALS = {"throughput": (0.95, 0.9), "rtt": (1.2, 1.25)}


def ensure_tools() -> bool:
    """True when iperf3 and sockperf can run (installing them if root may)."""
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if not missing:
        return True
    apt = shutil.which("apt-get")
    if hasattr(os, "geteuid") and os.geteuid() == 0 and apt:
        print(f"installing {' '.join(missing)} with apt-get ...", flush=True)
        cmd = [apt, "install", "-y", *TOOLS]
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        if subprocess.run(cmd, capture_output=True, env=env).returncode != 0:
            subprocess.run([apt, "update"], capture_output=True, env=env)
            subprocess.run(cmd, capture_output=True, env=env)
        missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        print(f"this benchmark needs {' and '.join(missing)}, which are not installed.\n"
              "Get them with your package manager, for example\n"
              "    sudo apt-get install iperf3 sockperf      (Debian, Ubuntu)\n"
              "    sudo dnf install iperf3 sockperf          (Fedora)\n"
              "and run this again. Nothing was measured.")
        return False
    return True


def free_port() -> int:
    """A TCP port nothing uses now: bind port 0 and read back what the kernel chose."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def on_cpus(cmd: list, cpus: tuple) -> list:
    """``cmd`` run on ``cpus`` (taskset, inherited by every thread it starts)."""
    if not cpus:
        return cmd
    taskset = shutil.which("taskset")
    if taskset is None:
        raise SystemExit("taskset (util-linux) is needed to pin the tools to CPUs")
    return [taskset, "-c", ",".join(map(str, cpus)), *cmd]


class Servers:
    """The tools' server processes: every one is killed and reaped on exit."""

    def __init__(self):
        self.procs: list = []

    def start(self, cmd: list, port: int) -> subprocess.Popen:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        self.procs.append(proc)
        deadline = time.monotonic() + 10
        while not listening(port):   # readiness, not sleep-and-hope
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{cmd} did not start listening on port {port}")
            time.sleep(0.02)
        return proc

    def __enter__(self) -> "Servers":
        return self

    def __exit__(self, *exc) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    proc.kill()
            proc.wait(timeout=10)
        self.procs.clear()


def listening(port: int) -> bool:
    """True when some socket listens on 127.0.0.1 or the wildcard at TCP ``port``
    (read from /proc/net/tcp*, so no connection is made: iperf3 -1 takes only one)."""
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(name).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                return True
    return False


def iperf3_round(servers: Servers, placement, seconds: float) -> float:
    """iperf3's receiver throughput, Gbit/s."""
    port = free_port()
    proc = servers.start(on_cpus(["iperf3", "-s", "-1", "-p", str(port)],
                                 placement.server), port)
    done = subprocess.run(on_cpus(["iperf3", "-c", "127.0.0.1", "-p", str(port), "-t",
                                   str(seconds), "-l", str(BUFFER), "-J"],
                                  placement.client),
                          capture_output=True, text=True, timeout=seconds + 30)
    proc.wait(timeout=10)
    report = json.loads(done.stdout)
    if "error" in report:
        raise RuntimeError(f"iperf3: {report['error']}")
    return report["end"]["sum_received"]["bits_per_second"] / 1e9


def sockperf_round(port: int, placement, seconds: float) -> tuple[float, float]:
    """sockperf's median and p99 round trip in microseconds."""
    done = subprocess.run(on_cpus(["sockperf", "ping-pong", "--tcp", "-i", "127.0.0.1",
                                   "-p", str(port), "-t", str(max(1, round(seconds))),
                                   "-m", str(SIZE), "--full-rtt"], placement.client),
                          capture_output=True, text=True, timeout=seconds + 30)
    text = done.stdout + done.stderr
    if "Round trip is" in text:
        factor = 1.0        # --full-rtt: the percentiles are round trips
    elif "Latency is" in text:
        factor = 2.0        # one-way latency: half a round trip
    else:
        raise RuntimeError(f"sockperf said nothing readable:\n{text[-2000:]}")
    median = float(re.search(r"percentile 50\.000 =\s*([\d.]+)", text).group(1))
    p99 = float(re.search(r"percentile 99\.000 =\s*([\d.]+)", text).group(1))
    return median * factor, p99 * factor


def ours_rtt(placement, count: int) -> tuple[float, float]:
    r = rtt(count=count, transport="tcp", size=SIZE, warmup=2000, progress=False,
            cpus=(placement.client[0], placement.server[0]) if placement.pinned else None)
    return r.median_us, r.p99_us


def ours_throughput(placement, seconds: float) -> float:
    return throughput(seconds, buffer_size=BUFFER, progress=False,
                      cpus=(placement.client[0], placement.server[0])
                      if placement.pinned else None).gbit_per_s


def verdict(ratio: float, kind: str) -> str:
    goal, worst = GOALS[kind]
    good = ratio >= goal if kind == "throughput" else ratio <= goal
    acceptable = ratio >= worst if kind == "throughput" else ratio <= worst
    word = "<=" if kind == "rtt" else ">="
    state = "met" if good else ("within the worst case" if acceptable else "NOT met")
    return f"{ratio:.3f}x (goal {word} {goal}x, at worst {worst}x): {state}"


def quartiles(values) -> tuple[float, float]:
    """The first and third quartiles: the middle half of ``values`` lies between."""
    q = statistics.quantiles(values, n=4, method="inclusive")
    return q[0], q[2]


def bench_placement(label: str, placement, args) -> dict:
    print(f"\n== {label}: {placement}")
    calibrate = rtt(count=2000, size=SIZE, progress=False, warmup=500,
                    cpus=(placement.client[0], placement.server[0])
                    if placement.pinned else None)
    count = max(2000, int(args.seconds / (calibrate.median_us * 1e-6)))
    print(f"   round trips per run: {count:,} (about {args.seconds:g} s); "
          f"throughput runs: {args.seconds:g} s, {BUFFER // 1024} KiB writes")
    print(f"   {'round':<7}{'ours Gbit/s':>12}{'iperf3 x2':>15}{'ratio':>7}"
          f"{'ours RTT us':>14}{'sockperf x2':>15}{'ratio':>7}{'p99 ours':>10}"
          f"{'sockperf':>10}")
    rows = []
    with Servers() as servers:
        port = free_port()
        servers.start(on_cpus(["sockperf", "server", "--tcp", "-i", "127.0.0.1", "-p",
                               str(port)], placement.server), port)
        for i in range(args.repeats):
            tp = (iperf3_round(servers, placement, args.seconds),
                  ours_throughput(placement, args.seconds),
                  iperf3_round(servers, placement, args.seconds))
            rt = (sockperf_round(port, placement, args.seconds),
                  ours_rtt(placement, count),
                  sockperf_round(port, placement, args.seconds))
            rows.append((tp, rt))
            tp_ratio = tp[1] / statistics.mean((tp[0], tp[2]))
            rt_ratio = rt[1][0] / statistics.mean((rt[0][0], rt[2][0]))
            print(f"   {i + 1:<7}{tp[1]:>12.2f}{tp[0]:>8.2f}{tp[2]:>7.2f}{tp_ratio:>7.2f}"
                  f"{rt[1][0]:>14.2f}{rt[0][0]:>8.2f}{rt[2][0]:>7.2f}{rt_ratio:>7.2f}"
                  f"{rt[1][1]:>10.1f}{statistics.mean((rt[0][1], rt[2][1])):>10.1f}",
                  flush=True)
    figures = {"throughput": [tp for tp, _ in rows], "rtt": [[r[0] for r in rt]
                                                             for _, rt in rows]}
    ratios = {}
    for kind, what in (("throughput", "throughput, ours / iperf3"),
                       ("rtt", "TCP round trip, ours / sockperf")):
        runs = figures[kind]
        ours = statistics.median(r[1] for r in runs)
        tool = statistics.median([r[0] for r in runs] + [r[2] for r in runs])
        paired = [r[1] / statistics.mean((r[0], r[2])) for r in runs]
        again = [r[2] / r[0] for r in runs]
        ratios[kind] = ours / tool
        unit = "Gbit/s" if kind == "throughput" else "us"
        print(f"   {what}: medians {ours:.2f} and {tool:.2f} {unit}, ratio "
              f"{verdict(ours / tool, kind)}")
        print(f"   {'':<{len(what)}}  the rounds' ratios: median {statistics.median(paired):.3f}x, "
              f"middle half {'x to '.join(f'{q:.3f}' for q in quartiles(paired))}x")
        first, second = (statistics.median(r[k] for r in runs) for k in (0, 2))
        print(f"   {'':<{len(what)}}  noise floor, the tool against itself: ratio of its "
              f"medians {second / first:.3f}x, the rounds' ratios' middle half "
              f"{'x to '.join(f'{q:.3f}' for q in quartiles(again))}x")
    return ratios


def tool_versions() -> str:
    iperf = subprocess.run(["iperf3", "--version"], capture_output=True, text=True).stdout
    sock = subprocess.run(["sockperf", "--version"], capture_output=True, text=True)
    sock_text = (sock.stdout + sock.stderr).split("version")[-1].split()[0]
    return f"{iperf.split()[0]} {iperf.split()[1]}, sockperf {sock_text}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9,
                        help="rounds (tool, ours, tool) per placement")
    parser.add_argument("--seconds", type=int, default=1,
                        help="length of each throughput and round-trip run, whole seconds "
                             "(iperf3 and sockperf take no fraction)")
    parser.add_argument("--placement", choices=[*PLACEMENTS, "both"], default="both")
    args = parser.parse_args(argv)
    if args.seconds < 1 or args.repeats < 2:
        parser.error("--seconds must be at least 1 and --repeats at least 2")
    if not ensure_tools():
        return 0
    # a SIGTERM unwinds like Ctrl-C, so every server is still killed
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    print(f"Python {platform.python_version()} on {platform.platform()}; "
          f"{os.cpu_count()} CPUs; {tool_versions()}; load average "
          f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    summary = {}
    try:
        for label, request in PLACEMENTS.items():
            if args.placement in (label, "both"):
                summary[label] = bench_placement(label, plan_placement(request), args)
    except KeyboardInterrupt:
        print("\ninterrupted: every server this run started was stopped")
        return 130
    load = os.getloadavg()[0]
    print(f"\nload average now {load:.2f}"
          + ("; other programs ran meanwhile: the figures are noisier than usual"
             if load > 0.5 else ""))
    print("summary (ours / tool, ratio of the medians of the rounds):")
    for label, ratios in summary.items():
        print(f"  {label:<10} throughput {verdict(ratios['throughput'], 'throughput')}")
        print(f"  {'':<10} round trip {verdict(ratios['rtt'], 'rtt')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
