"""The `loopedu` command: clear one-line errors, JSON that parses, a lab bound to loopback."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from loopedu import cli, course, lab
from loopedu.keep_edits import MANIFEST

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
    section = done.stdout.split("What runs live")[1].splitlines()[1:]
    # a lesson's line starts two spaces in; what it runs may go on, indented further
    listed = [line.split()[0] for line in section if line.startswith("  ")
              and not line.startswith("   ")]
    assert listed == numbers
    assert all(len(line) <= 88 for line in section)


def test_unknown_command_is_one_usage_error():
    done = run("fly")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "invalid choice: 'fly'" in done.stderr


@pytest.mark.parametrize("argv", [["doctor", "--bogus"], ["experiment", "ping", "-x"],
                                  ["progress", "--nope"]])
def test_a_bad_option_shows_the_usage_of_its_own_command(argv, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"usage: loopedu {argv[0]} [-h]")
    assert err.rstrip().endswith(f"loopedu {argv[0]}: error: unrecognized arguments: "
                                 f"{argv[-1]}")


def test_experiment_help_says_lan_runs_without_root_where_the_doctor_does(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["experiment", "--help"])
    assert info.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    lan = text.split("lan: ")[1].split("; counters")[0]
    # the doctor's two mechanisms for lesson 03's LAN: root, or a user namespace
    assert "user namespace" in lan and "loopedu doctor" in lan, lan


def test_student_with_missing_source_is_one_line(tmp_path):
    done = run("student", str(tmp_path / "nope.ipynb"), "-o", str(tmp_path / "out"))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "nope.ipynb" in lines[0]


@pytest.fixture
def handed_over(monkeypatch):
    """`loopedu lab` up to the moment it would become JupyterLab: the command and folder."""
    seen = []
    monkeypatch.setattr("loopedu.bootstrap.hand_over",
                        lambda cmd, cwd: seen.append((cmd, Path(cwd))) or 0)
    return seen


def test_lab_command_binds_loopback_and_passes_arguments_last():
    cmd = lab.lab_command(["--no-browser", "--ServerApp.port=0"], Path("/c"), is_root=True)
    assert "--ServerApp.ip=127.0.0.1" in cmd
    assert "--allow-root" in cmd
    assert cmd[-2:] == ["--no-browser", "--ServerApp.port=0"]
    assert "--allow-root" not in lab.lab_command([], Path("/c"), is_root=False)


@pytest.mark.parametrize("given", [["--ip=::1"], ["--ip", "127.0.0.2"],
                                   ["--ServerApp.ip=::1"], ["--LabApp.ip", "127.0.0.2"]])
def test_lab_takes_another_loopback_address_once(given):
    cmd = lab.lab_command([*given, "--no-browser"], Path("/c"), is_root=False)
    address = given[-1].rpartition("=")[2]
    # one address only: JupyterLab refuses two ("ip only accepts one value, got 2")
    assert [a for a in cmd if "ip=" in a or a in given] == [f"--ServerApp.ip={address}"]
    assert cmd[-1] == "--no-browser"


@pytest.mark.parametrize("given", [["--ip=0.0.0.0"], ["--ip", "::"], ["--ServerApp.ip="],
                                   ["--NotebookApp.ip=*"], ["--ip=localhost"], ["--ip"],
                                   ["--KernelManager.ip=0.0.0.0"], ["--ip=192.0.2.7"]])
def test_lab_refuses_to_listen_beyond_loopback_in_one_line(given, tmp_path, monkeypatch,
                                                           capsys, handed_over):
    monkeypatch.setenv("LOOPEDU_WORKSPACE", str(tmp_path / "ws"))
    assert cli.main(["lab", *given, "--no-browser"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"loopedu lab: error: {given[0]}")
    assert "not a loopback" in err and "ssh -N -L" in err  # and how to reach it instead
    assert handed_over == [] and not (tmp_path / "ws").exists()  # refused before anything


def test_lab_says_which_loopback_address_it_listens_on(tmp_path, monkeypatch, capsys,
                                                       handed_over):
    monkeypatch.setenv("LOOPEDU_WORKSPACE", str(tmp_path / "ws"))
    assert cli.main(["lab", "--ip=127.0.0.2"]) == 0
    assert "JupyterLab listens on 127.0.0.2 only" in capsys.readouterr().err
    (cmd, _), = handed_over
    assert "--ServerApp.ip=127.0.0.2" in cmd and "--ServerApp.ip=127.0.0.1" not in cmd


def test_lab_command_reference_hides_the_jupytext_sources():
    from jupyter_server.services.contents.manager import ContentsManager

    defaults = ContentsManager.class_traits()["hide_globs"].default()
    cmd = lab.lab_command(["--no-browser"], Path("/c"), is_root=False, reference=True)
    hidden = [a.split("=", 1)[1] for a in cmd if a.startswith("--ContentsManager.hide_globs=")]
    assert hidden == [*defaults, "[0-9][0-9]-*.py"]
    assert cmd[-2:] == ["--ServerApp.root_dir=/c", "--no-browser"]
    assert not any("hide_globs" in a for a in lab.lab_command([], Path("/c"), False))


def test_lab_updates_the_workspace_and_opens_it(tmp_path, monkeypatch, capsys, handed_over):
    ws = tmp_path / "ws"
    monkeypatch.setenv("LOOPEDU_WORKSPACE", str(ws))
    assert cli.main(["lab", "--no-browser"]) == 0
    (cmd, cwd), = handed_over
    assert cwd == ws and f"--ServerApp.root_dir={ws}" in cmd and cmd[-1] == "--no-browser"
    assert not any("hide_globs" in a for a in cmd)
    assert (ws / "notebooks" / "00-start-here.ipynb").is_file()
    assert not list(ws.rglob("*.py"))
    err = capsys.readouterr().err
    assert f"your workspace is {ws}" in err and " created" in err
    assert cli.main(["lab"]) == 0
    assert "nothing changed" in capsys.readouterr().err


def test_lab_reference_opens_the_checkout(tmp_path, monkeypatch, capsys, handed_over):
    monkeypatch.setenv("LOOPEDU_WORKSPACE", str(tmp_path / "ws"))
    assert cli.main(["lab", "--reference", "--no-browser"]) == 0
    (cmd, cwd), = handed_over
    assert cwd == ROOT and f"--ServerApp.root_dir={ROOT}" in cmd
    assert "--ContentsManager.hide_globs=[0-9][0-9]-*.py" in cmd
    assert not (tmp_path / "ws").exists()


def test_lab_with_a_workspace_in_the_course_is_one_line(tmp_path, monkeypatch, capsys,
                                                        handed_over):
    course = tmp_path / "course"  # not this checkout: a failure must not write into it
    (course / "notebooks").mkdir(parents=True)
    (course / "notebooks" / "00-start-here.ipynb").write_text(
        json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": []}))
    monkeypatch.setattr(cli, "course_root", lambda: course)
    monkeypatch.setenv("LOOPEDU_WORKSPACE", str(course / "notebooks" / "ws"))
    assert cli.main(["lab"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "inside the course's notebooks/" in err
    assert handed_over == [] and not (course / "notebooks" / "ws").exists()


def test_course_root_found_from_a_subfolder():
    assert course.course_root(ROOT / "notebooks") == ROOT


def _get(url: str, token: str):
    """GET a JupyterLab API path as JSON, retrying while the server starts accepting."""
    import time
    import urllib.request

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # no proxy
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    deadline = time.monotonic() + 30
    while True:
        try:
            with opener.open(request, timeout=30) as response:
                return json.load(response)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def _post(url: str, token: str):
    import urllib.request

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(url, data=b"{}", method="POST",
                                     headers={"Authorization": f"token {token}",
                                              "Content-Type": "application/json"})
    with opener.open(request, timeout=30) as response:
        return json.load(response)


def _terminal_path(server_pid: int, name: str) -> str:
    """The PATH of the shell behind JupyterLab terminal ``name`` (a child of the server,
    started by terminado), waiting for it to appear."""
    import time

    import psutil

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        shells = [p for p in psutil.Process(server_pid).children(recursive=True)
                  if p.name() in ("bash", "sh", "dash", "zsh")]
        if shells:
            return shells[0].environ().get("PATH", "")
        time.sleep(0.2)
    raise AssertionError(f"terminal {name} started no shell")


@pytest.mark.parametrize("mode", ["workspace", "reference"])
def test_lab_really_starts_on_loopback(tmp_path, mode):
    """Start `loopedu lab` on port 0, read the URL it prints, ask the server for lesson
    00 and the lesson folder's listing, then stop it."""
    import os
    import re
    import signal
    import time

    ws = tmp_path / "ws"
    (ws / "notebooks").mkdir(parents=True)
    (ws / "notebooks" / "mine.txt").write_text("a learner's own file\n")
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path / "rt"),
               JUPYTER_CONFIG_DIR=str(tmp_path / "cfg"), JUPYTER_DATA_DIR=str(tmp_path / "d"),
               HOME=str(tmp_path / "home"), LOOPEDU_WORKSPACE=str(ws),
               PATH="/usr/bin:/bin", SHELL="/bin/bash")   # the course's venv not on it
    extra = ["--reference"] if mode == "reference" else []
    proc = subprocess.Popen([sys.executable, "-m", "loopedu.cli", "lab", *extra,
                             "--no-browser", "--ServerApp.port=0", "--ServerApp.token=test"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            cwd=tmp_path, env=env, start_new_session=True)
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
        url = re.search(r"http://127\.0\.0\.1:\d+", text).group(0)
        lesson = _get(f"{url}/api/contents/notebooks/00-start-here.ipynb", "test")
        listing = _get(f"{url}/api/contents/notebooks", "test")
        names = {item["name"] for item in listing["content"]}
        assert "00-start-here.ipynb" in names
        assert not [n for n in names if n.endswith(".py")], names
        outputs = [c["outputs"] for c in lesson["content"]["cells"] if c["cell_type"] == "code"]
        if mode == "workspace":
            assert f"your workspace is {ws}" in text
            assert "mine.txt" in names  # served from the workspace
            assert not any(outputs)
            # a terminal opened in this JupyterLab finds `loopedu` and the course's python
            import shutil

            terminal = _post(f"{url}/api/terminals", "test")["name"]
            path = _terminal_path(proc.pid, terminal)
            here = os.path.dirname(sys.executable)
            assert path.split(os.pathsep)[0] == here, path
            assert shutil.which("loopedu", path=path) == os.path.join(here, "loopedu")
        else:
            assert "mine.txt" not in names and not ws.joinpath(MANIFEST).exists()
            assert any(outputs)  # the reference lessons are committed executed
            assert list((ROOT / "notebooks").glob("[0-9][0-9]-*.py"))  # there, but hidden
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_a_learner_s_lab_loads_no_server_extension_it_does_not_use():
    """The language-server bridge, jupytext's server side and the notebook shim stay out
    of the learner's lab (a faster start); the reference copy keeps jupytext, whose
    lessons are paired with .py sources."""
    learner = lab.lab_command([], Path("/c"), is_root=False)
    off = {a.split("=")[1] for a in learner if a.startswith("--ServerApp.jpserver_extensions")}
    assert off == {"jupyter_lsp", "jupyterlab_jupytext", "notebook_shim"}
    assert all(a.endswith("=False") for a in learner if "jpserver_extensions" in a)
    reference = lab.lab_command([], Path("/c"), is_root=False, reference=True)
    assert "--ServerApp.jpserver_extensions=jupyterlab_jupytext=False" not in reference
    assert "--ServerApp.jpserver_extensions=jupyter_lsp=False" in reference
    assert learner[-1] == "--ServerApp.root_dir=/c"
