"""Install paths stay in step: pyproject, environment.yml, Binder, README, CI."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# conda-forge spells a few packages differently from PyPI
CONDA_NAMES: dict = {}


def requirement_name(spec: str) -> str:
    return re.split(r"[<>=!~ \[;]", spec.strip(), maxsplit=1)[0].lower()


def pyproject_requirements() -> set[str]:
    text = (ROOT / "pyproject.toml").read_text()
    if sys.version_info >= (3, 11):
        import tomllib
        data = tomllib.loads(text)
        specs = data["project"]["dependencies"] + data["project"]["optional-dependencies"]["test"]
    else:  # Python 3.10 has no tomllib: read the two arrays by hand
        specs = []
        for array in ("dependencies", "test"):
            body = re.search(rf"^{array} = \[(.*?)^\]", text, flags=re.M | re.S).group(1)
            specs += re.findall(r'"([^"]+)"', body)
    return {requirement_name(s) for s in specs}


def environment_requirements(path: Path) -> set[str]:
    names = set()
    for line in path.read_text().splitlines():
        m = re.match(r"^\s*-\s+([A-Za-z0-9_.-][^#]*)$", line)
        if not m or m.group(1).strip().startswith("-e"):
            continue
        name = requirement_name(m.group(1))
        if name not in ("python", "pip", "pip:", "conda-forge"):
            names.add(CONDA_NAMES.get(name, name))
    return names


@pytest.mark.parametrize("env_file", ["environment.yml", ".binder/environment.yml"])
def test_environment_files_name_the_same_dependencies_as_pyproject(env_file):
    assert environment_requirements(ROOT / env_file) == pyproject_requirements()


def test_environment_yml_installs_the_course_itself():
    assert re.search(r"^\s+-\s+-e \.$", (ROOT / "environment.yml").read_text(), flags=re.M)
    assert "pip install --no-deps -e ." in (ROOT / ".binder" / "postBuild").read_text()


def quick_start_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = re.split(r"^## Quick start\s*$", text, maxsplit=1, flags=re.M)[1]
    block = re.search(r"^```[a-z]*\n(.*?)^```", section, flags=re.M | re.S).group(1)
    return [line for line in block.splitlines() if line.strip()]


def test_quick_start_is_exactly_two_commands_lab_then_test():
    first, second = quick_start_commands()
    assert first.split("#")[0].split() == ["python3", "-m", "loopedu.bootstrap", "lab"]
    assert second.split("#")[0].split() == ["python3", "-m", "loopedu.bootstrap", "test"]


def test_ci_runs_the_readme_test_command():
    script = (ROOT / ".ci" / "run").read_text()
    assert "README.md" in script and "lines[1]" in script


def test_bootstrap_stamp_changes_with_pyproject(tmp_path, monkeypatch):
    from loopedu import bootstrap
    (tmp_path / "pyproject.toml").write_text("[project]\nname='x'\n")
    monkeypatch.setattr(bootstrap, "ROOT", tmp_path)
    first = bootstrap.wanted_stamp()
    assert bootstrap.wanted_stamp() == first
    (tmp_path / "pyproject.toml").write_text("[project]\nname='y'\n")
    assert bootstrap.wanted_stamp() != first


def test_bootstrap_reuses_an_installed_environment(tmp_path, monkeypatch):
    """A second run with a matching stamp installs nothing (pip is never called)."""
    from loopedu import bootstrap
    env = tmp_path / "venv"
    python = bootstrap.venv_python(env)
    python.parent.mkdir(parents=True)
    python.write_text("")
    (env / bootstrap.STAMP).write_text(bootstrap.wanted_stamp() + "\n")
    monkeypatch.setenv("LOOPEDU_VENV", str(env))
    calls = []
    monkeypatch.setattr(bootstrap, "_run", lambda cmd, what: calls.append(cmd))
    assert bootstrap.ensure_environment() == python
    assert calls == []
    (env / bootstrap.STAMP).write_text("stale\n")
    bootstrap.ensure_environment()
    assert len(calls) == 1 and "pip" in [str(c) for c in calls[0]]


def test_bootstrap_usage_error_is_clear():
    done = subprocess.run([sys.executable, "-m", "loopedu.bootstrap", "fly"], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 2 and "usage: python3 -m loopedu.bootstrap" in done.stderr


def test_importing_loopedu_has_no_side_effects():
    code = ("import sys, socket, threading; before=set(sys.modules); "
            "n=threading.active_count(); import loopedu; "
            "heavy={'matplotlib','ipywidgets','psutil','IPython'} & set(sys.modules); "
            "assert not heavy, heavy; assert threading.active_count()==n; print('ok')")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True)
    assert done.stdout.strip() == "ok", done.stderr


def test_bootstrap_parses_on_old_pythons_so_it_can_say_they_are_too_old():
    import ast
    source = (ROOT / "loopedu" / "bootstrap.py").read_text()
    ast.parse(source, feature_version=(3, 6))
    assert "from __future__ import annotations" not in source
    # annotations are evaluated at definition time without the future import
    assert "| None" not in source
