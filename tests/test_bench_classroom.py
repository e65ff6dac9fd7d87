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
