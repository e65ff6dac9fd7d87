"""The `loopedu` command: clear one-line errors, JSON that parses, a lab bound to loopback."""

import json
import subprocess
import sys
from pathlib import Path


from loopedu import cli

ROOT = Path(__file__).resolve().parents[1]


def run(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "loopedu.cli", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=120)


def test_doctor_json_parses():
    done = run("doctor", "--json")
    assert done.returncode == 0
    data = json.loads(done.stdout)
    assert {"platform", "python", "root", "ipv6_loopback", "whole_127_range", "netns_lab",
            "hosts_file", "localhost_addresses"} <= set(data)


def test_doctor_text_has_a_line_per_lesson_that_exists():
    done = run("doctor")
    assert done.returncode == 0
    numbers = sorted(p.name[:2] for p in (ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
    listed = [line.split()[0] for line in done.stdout.split("What runs live")[1].splitlines()[1:]
              if line.strip()]
    assert listed == numbers


def test_unknown_command_is_one_usage_error():
    done = run("fly")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "invalid choice: 'fly'" in done.stderr


def test_student_with_missing_source_is_one_line(tmp_path):
    done = run("student", str(tmp_path / "nope.ipynb"), "-o", str(tmp_path / "out"))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "nope.ipynb" in lines[0]


def test_lab_command_binds_loopback_and_passes_arguments_last():
    cmd = cli.lab_command(["--no-browser", "--ServerApp.port=0"], Path("/c"), is_root=True)
    assert "--ServerApp.ip=127.0.0.1" in cmd
    assert "--allow-root" in cmd
    assert cmd[-2:] == ["--no-browser", "--ServerApp.port=0"]
    assert "--allow-root" not in cli.lab_command([], Path("/c"), is_root=False)


def test_course_root_found_from_a_subfolder():
    assert cli.course_root(ROOT / "notebooks") == ROOT


def test_lab_really_starts_on_loopback(tmp_path):
    """Start `loopedu lab` on port 0, read the URL it prints, then stop it."""
    import os
    import signal
    import time
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path), JUPYTER_CONFIG_DIR=str(tmp_path))
    proc = subprocess.Popen([sys.executable, "-m", "loopedu.cli", "lab", "--no-browser",
                             "--ServerApp.port=0", "--ServerApp.token=test"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            cwd=ROOT, env=env, start_new_session=True)
    seen = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            seen.append(line)
            if "http://127.0.0.1:" in line:
                break
        text = "".join(seen)
        assert "http://127.0.0.1:" in text, text
        assert "listens on 127.0.0.1 only" in text
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
