"""Six simulated learners run live lessons at once: every run passes, nothing is left.

Runs ``tests/benchmarks/bench_classroom.py --learners 6`` as a subprocess (see that
file). To keep CI time acceptable it uses a subset of the lessons, the ones with the
most live experiments across topics: 03 (bind addresses, network namespaces),
06 (loopback at work: PostgreSQL servers, services) and 08 (when loopback leaks); the
full course (all lessons, 30 learners) is the benchmark's own run, reported in issue 13.
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent / "benchmarks" / "bench_classroom.py"
LESSONS = "03,06,08"
LAST = re.compile(r"learners=(\d+) failures=(\d+) wall_s=(\d+\.\d) "
                  r"peak_mib_per_learner=(\d+)")


@pytest.mark.slow
def test_six_learners_at_once_all_pass_and_leave_nothing():
    done = subprocess.run([sys.executable, str(BENCH), "--learners", "6",
                           "--lessons", LESSONS],
                          capture_output=True, text=True, timeout=900,
                          cwd=BENCH.parents[2])
    lines = done.stdout.strip().splitlines()
    assert done.returncode == 0, done.stdout + done.stderr
    match = LAST.fullmatch(lines[-1])
    assert match, lines[-1]
    learners, failures, wall, peak = match.groups()
    assert (int(learners), int(failures)) == (6, 0)
    assert float(wall) > 0 and int(peak) > 0
    assert sum(line.startswith("learner ") for line in lines) == 6
    # the kernels' own connections at least were seen, and none joined two learners
    assert re.search(r"^cross-talk: 0 of [1-9]\d* sampled", done.stdout, re.M), done.stdout
    assert "nothing left: yes" in done.stdout


@pytest.fixture(scope="module")
def bench():
    """The benchmark module, loaded once for the tests of its parts."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_classroom", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not Path("/proc/sys/net/ipv4/ip_local_port_range").exists(),
                    reason="Linux: reads ip_local_port_range")
def test_kernel_ports_are_private_blocks_below_the_ephemeral_range(bench):
    low, high = (int(x) for x in
                 Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    firsts = bench.kernel_port_blocks(30)
    blocks = [set(range(f, f + bench.PORTS_PER_LEARNER)) for f in firsts]
    assert all(max(b) < low and min(b) >= 1024 for b in blocks)
    assert len(set().union(*blocks)) == 30 * bench.PORTS_PER_LEARNER  # disjoint
    with pytest.raises(SystemExit, match="use fewer learners"):
        bench.kernel_port_blocks(low)  # more learners than ports below the range


@pytest.mark.skipif(not Path("/proc/sys/net/ipv4/ip_local_port_range").exists(),
                    reason="Linux: reads ip_local_port_range")
def test_two_classrooms_on_one_machine_take_different_blocks(bench):
    """Two users running the benchmark at once: their learners' blocks are placed at
    random below the range, so two runs (here two seeds) do not share ports."""
    import random

    one = bench.kernel_port_blocks(6, random.Random(1))
    two = bench.kernel_port_blocks(6, random.Random(2))
    ports = [set(range(f, f + bench.PORTS_PER_LEARNER)) for f in one + two]
    assert not set().union(*ports[:6]) & set().union(*ports[6:])


def test_a_port_block_skips_a_port_in_use(bench):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))  # an ephemeral port: a block of one learner's own
        port = taken.getsockname()[1]
        block = bench.PortBlock(port)
        ports = block.take(5)
    assert port not in ports and len(set(ports)) == 5
    assert all(port < p < port + bench.PORTS_PER_LEARNER for p in ports)


def test_crosstalk_is_seen_between_two_learners_and_not_within_one(bench):
    """Learner 0's process listens; a process of learner 1 connects to it (cross-talk),
    and so does another of learner 0's (not)."""
    server = subprocess.Popen(
        [sys.executable, "-c", "import socket, sys, time\n"
         "s = socket.create_server(('127.0.0.1', 0)); print(s.getsockname()[1], flush=True)\n"
         "conns = [s.accept()[0] for _ in range(2)]; print('ok', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True)
    clients = []
    try:
        port = int(server.stdout.readline())
        for _ in range(2):
            clients.append(subprocess.Popen(
                [sys.executable, "-c", "import socket, time\n"
                 f"c = socket.create_connection(('127.0.0.1', {port})); time.sleep(60)"]))
        assert server.stdout.readline().strip() == "ok"
        room = bench.Classroom.__new__(bench.Classroom)
        room.pairs, room.crosstalk = set(), set()
        room.check_crosstalk({server.pid: 0, clients[0].pid: 0, clients[1].pid: 1})
        assert len(room.pairs) == 2
        (line,) = room.crosstalk
        assert f"learner 01 pid {server.pid}" in line
        assert f"learner 02 pid {clients[1].pid}" in line and str(clients[0].pid) not in line
        room.pairs, room.crosstalk = set(), set()
        room.check_crosstalk({server.pid: 0, clients[0].pid: 0})  # learner 1 not ours
        assert len(room.pairs) == 1 and not room.crosstalk
    finally:
        for proc in [server, *clients]:
            proc.kill()
            proc.wait()
        server.stdout.close()
