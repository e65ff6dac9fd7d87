"""The learner's data is never the tests' data: whatever path the test command is given,
no test, doctest or notebook writes the learner's real progress, and no test uses a
fixed path under /tmp (another user's run would trip over it)."""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_testing_only_the_exercises_leaves_the_learners_progress_alone(tmp_path):
    """`python3 -m loopedu.bootstrap test exercises/` runs pytest on that folder only,
    so the isolation must not live in tests/ alone."""
    home = tmp_path / "learner"
    home.mkdir()
    env = {k: v for k, v in os.environ.items()
           if k not in ("LOOPEDU_HOME", "XDG_DATA_HOME", "PYTEST_CURRENT_TEST")}
    env["HOME"] = str(home)
    notebook = "exercises/00-start-here-exercises.ipynb"
    from loopedu.bootstrap import TEST_ARGS  # what the README's test command passes

    done = subprocess.run([sys.executable, "-m", "pytest", "-q", *TEST_ARGS, "-n", "0",
                           notebook], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "passed" in done.stdout
    # the default progress folder on Linux is ~/.local/share/loopedu (XDG)
    assert not (home / ".local" / "share" / "loopedu").exists()
    assert list(home.iterdir()) == [] or all(p.name.startswith(".") and p.name != ".local"
                                             for p in home.iterdir())


def test_no_fixed_paths_under_tmp():
    fixed = re.compile(r"""["']/tmp/""")
    offenders = []
    for folder in ("loopedu", "tests", "notebooks", "exercises"):
        for path in (ROOT / folder).rglob("*.py"):
            if path.name == Path(__file__).name:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if fixed.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}")
    assert offenders == [], "use tmp_path or tempfile instead"
