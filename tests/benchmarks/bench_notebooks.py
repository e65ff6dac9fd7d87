"""Print how long each committed notebook takes to execute in a fresh kernel.

    .venv/bin/python tests/benchmarks/bench_notebooks.py [--repeat N]

Target: each notebook runs in seconds. This prints figures; it asserts nothing (timed
tests are flaky, benchmarks are for reading). Kernel start-up is included, as a learner
would pay it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
from execute_notebooks import FOLDERS, ROOT, execute  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs per notebook")
    args = parser.parse_args()
    notebooks = sorted(p for f in FOLDERS for p in (ROOT / f).glob("[0-9][0-9]-*.ipynb"))
    print(f"{'notebook':<52}{'median s':>10}{'max s':>8}")
    total = 0.0
    # the kernels record exercise passes: in a private folder, removed afterwards
    with tempfile.TemporaryDirectory(prefix="loopedu-bench-") as home:
        os.environ.setdefault("LOOPEDU_HOME", home)
        for nb in notebooks:
            times = [execute(nb, save=False) for _ in range(args.repeat)]
            total += statistics.median(times)
            print(f"{nb.relative_to(ROOT).as_posix():<52}{statistics.median(times):>10.2f}"
                  f"{max(times):>8.2f}")
    print(f"{'all notebooks':<52}{total:>10.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
