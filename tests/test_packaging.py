"""Install paths stay in step and do what they say: the wheel, pyproject, environment.yml,
Binder, README and CI. (The Quick start's bootstrap is tested in test_bootstrap.py.)"""

from __future__ import annotations

import email
import os
import re
import shutil
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
from shared_checks import skip_or_fail

import loopedu

ROOT = Path(__file__).resolve().parents[1]

# conda-forge spells a few packages differently from PyPI
CONDA_NAMES: dict = {}


def requirement_name(spec: str) -> str:
    return re.split(r"[<>=!~ \[;]", spec.strip(), maxsplit=1)[0].lower()


def _pyproject() -> dict:
    """The [project] table's dependency arrays: ``{"dependencies": [...], "optional":
    {extra: [...]}}`` (Python 3.10 has no tomllib: the arrays are read by hand)."""
    text = (ROOT / "pyproject.toml").read_text()
    if sys.version_info >= (3, 11):
        import tomllib

        project = tomllib.loads(text)["project"]
        return {"dependencies": project["dependencies"],
                "optional": project["optional-dependencies"]}

    def array(name: str) -> list[str]:
        body = re.search(rf"^{name} = \[[^\n]*\n(.*?)^\]", text, flags=re.M | re.S).group(1)
        return re.findall(r'^\s*"([^"]+)"', body, flags=re.M)

    optional = text.split("[project.optional-dependencies]", 1)[1].split("\n[", 1)[0]
    extras = re.findall(r"^([a-z]+) = \[", optional, flags=re.M)
    return {"dependencies": array("dependencies"), "optional": {e: array(e) for e in extras}}


def pyproject_specs() -> tuple[list[str], list[str]]:
    """The runtime dependencies and the test extra, as written in pyproject.toml."""
    project = _pyproject()
    return project["dependencies"], project["optional"]["test"]


def pyproject_extras() -> dict[str, list[str]]:
    """The optional dependencies of pyproject.toml, by extra."""
    return _pyproject()["optional"]


def pyproject_requirements() -> set[str]:
    project = _pyproject()
    return {requirement_name(s) for s in
            project["dependencies"] + [s for specs in project["optional"].values() for s in specs]}


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


def test_environment_yml_names_the_same_dependencies_as_pyproject():
    assert environment_requirements(ROOT / "environment.yml") == pyproject_requirements()


def test_binder_takes_its_packages_from_pip_at_the_tested_versions():
    """Binder's conda environment is only Python and pip; postBuild installs the rest
    pinned (so Binder runs the versions CI tested, not whatever conda-forge has)."""
    assert environment_requirements(ROOT / ".binder" / "environment.yml") == set()
    text = (ROOT / ".binder" / "postBuild").read_text()
    (install,) = [line for line in text.splitlines() if line.startswith("pip install")]
    assert "-c constraints.txt" in install and "--no-deps" not in install


def _third_party_imports(folder: Path) -> set[str]:
    """The top-level names of every module ``folder``'s Python files import (at the top
    or inside functions) that are neither the standard library nor this project."""
    import ast

    own = {"loopedu"} | {p.stem for p in (ROOT / "tests").rglob("*.py")}
    found = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                found.add(node.module.split(".")[0])
    return {n for n in found if n not in sys.stdlib_module_names and n not in own
            and n not in ("msvcrt", "winreg", "_winapi", "__future__")}


def _distributions(names: set[str]) -> dict[str, set[str]]:
    """Import name -> the distributions (lower case) that provide it, as installed."""
    provided = metadata.packages_distributions()
    # a module not installed here (an extra this run did not install) is named as its
    # import name, which is how those distributions are named (jupyterhub)
    return {n: {d.lower().replace("_", "-") for d in provided.get(n, [n])} for n in names}


def _declared(*groups: str) -> set[str]:
    project = _pyproject()
    specs = list(project["dependencies"]) if "runtime" in groups else []
    specs += [s for g in groups if g != "runtime" for s in project["optional"][g]]
    return {requirement_name(s).replace("_", "-") for s in specs}


def test_what_the_package_imports_is_declared():
    """Every third-party module loopedu imports is a declared runtime dependency, not one
    that merely comes along with another (numpy with matplotlib, jinja2 with nbconvert)."""
    declared = _declared("runtime")
    missing = {name: dists for name, dists in
               _distributions(_third_party_imports(ROOT / "loopedu")).items()
               if not dists & declared}
    assert missing == {}, f"declare these in pyproject.toml dependencies: {missing}"


def test_what_the_tests_import_is_declared():
    declared = _declared("runtime", "test", "browser", "hub")
    missing = {name: dists for name, dists in
               _distributions(_third_party_imports(ROOT / "tests")).items()
               if not dists & declared}
    assert missing == {}, f"declare these in the test (or browser, or hub) extra: {missing}"


def test_environment_yml_installs_the_course_itself():
    yaml = pytest.importorskip("yaml")
    deps = yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"]
    pip_part = next(d["pip"] for d in deps if isinstance(d, dict) and "pip" in d)
    assert "-e ." in pip_part


@pytest.mark.skipif(os.name != "posix", reason="runs a shell script")
def test_binder_postbuild_installs_the_course_and_builds_the_workspace(tmp_path):
    """Run postBuild with stand-ins for `pip` and `loopedu` that record how they were
    called, and a home folder of its own (never the real one)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "calls"
    for tool in ("pip", "loopedu"):
        (bin_dir / tool).write_text(f'#!/bin/sh\necho "{tool} $*" >> {calls}\n')
        (bin_dir / tool).chmod(0o755)
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "LOOPEDU_WORKSPACE"}
    env.update(PATH=f"{bin_dir}:{os.environ['PATH']}", HOME=str(home))
    copy = tmp_path / "course"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".venv*", "__pycache__"))
    done = subprocess.run(["bash", str(copy / ".binder" / "postBuild")], cwd=copy, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = calls.read_text().splitlines()
    assert lines[0].split() == ["pip", "install", "--no-cache-dir", "-c", "constraints.txt",
                                "-e", "."]
    assert lines[1].split()[:2] == ["loopedu", "workspace"]


def quick_start_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = re.split(r"^## Quick start\s*$", text, maxsplit=1, flags=re.M)[1]
    block = re.search(r"^```[a-z]*\n(.*?)^```", section, flags=re.M | re.S).group(1)
    return [line for line in block.splitlines() if line.strip()]


def test_quick_start_is_exactly_two_commands_lab_then_test():
    first, second = quick_start_commands()
    assert first.split("#")[0].split() == ["python3", "-m", "loopedu.bootstrap", "lab"]
    assert second.split("#")[0].split() == ["python3", "-m", "loopedu.bootstrap", "test"]


@pytest.mark.skipif(os.name != "posix", reason="runs a shell script")
def test_ci_runs_the_readme_test_command(tmp_path):
    """Run .ci/run with a stand-in `bash` for the command it hands over: it must be
    the README's second Quick start line."""
    real_bash = shutil.which("bash") or "/bin/bash"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "bash").write_text(  # other scripts (a python3 shim, say) run as usual
        f'#!/bin/sh\nif [ "$1" = -c ]; then echo "RAN: $2"; else exec {real_bash} "$@"; fi\n')
    (bin_dir / "bash").chmod(0o755)
    # npm installs nothing here (axe-core where .cache/axe lacks it: minutes from the
    # registry, which this test is not about)
    (bin_dir / "npm").write_text("#!/bin/sh\nexit 0\n")
    (bin_dir / "npm").chmod(0o755)
    done = subprocess.run([real_bash, str(ROOT / ".ci" / "run")],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"})
    assert done.returncode == 0, done.stderr
    assert f"RAN: {quick_start_commands()[1]}" in done.stdout.splitlines()


# --- the wheel -------------------------------------------------------------------------

def _build_backend_or_skip() -> None:
    """The wheel is built without build isolation (fast, offline), with the
    setuptools of this environment: the test extra asks for a recent enough one."""
    try:
        version = metadata.version("setuptools")
    except metadata.PackageNotFoundError:
        version = "0"
    if int(version.split(".")[0]) < 77:
        message = (f"setuptools {version} here, the test extra needs >=77: reinstall with "
                   "`python3 -m loopedu.bootstrap setup`")
        skip_or_fail(message)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> tuple[zipfile.ZipFile, str]:
    """A wheel built from a copy of the project whose __version__ was changed: that the
    wheel carries the new version shows the version is written in one place."""
    _build_backend_or_skip()
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    src.mkdir()
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, src / name)
    for folder in ("loopedu", "notebooks", "exercises", "instructors"):
        shutil.copytree(ROOT / folder, src / folder,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info"))
    init = src / "loopedu" / "__init__.py"
    version = "7.7.7.dev7"
    text, n = re.subn(r'^__version__ = ".*"$', f'__version__ = "{version}"',
                      init.read_text(), flags=re.M)
    assert n == 1, "loopedu/__init__.py must set __version__ once"
    init.write_text(text)
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                           "--no-build-isolation", "--no-index", "-q", "-w", str(tmp / "dist"),
                           str(src)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    (path,) = (tmp / "dist").glob("*.whl")
    return zipfile.ZipFile(path), version


def wheel_metadata(zf: zipfile.ZipFile) -> email.message.Message:
    name = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
    return email.message_from_bytes(zf.read(name))


def test_the_wheel_takes_its_version_from_the_package(wheel):
    zf, version = wheel
    assert Path(zf.filename).name.startswith(f"loopedu-{version}-")
    assert wheel_metadata(zf)["Version"] == version
    assert loopedu.__version__ != version  # the real one was not touched


def test_the_wheel_holds_every_module_and_data_file(wheel):
    zf, _ = wheel
    names = set(zf.namelist())
    source = {str(p.relative_to(ROOT)).replace(os.sep, "/")
              for p in (ROOT / "loopedu").rglob("*")
              if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"}
    assert source - names == set()
    assert {"loopedu/data/SOURCES.md", "loopedu/data/iana-ipv4-special-registry.csv",
            "loopedu/data/iana-ipv6-special-registry.csv"} <= names


def test_the_wheel_declares_dependencies_and_license(wheel):
    zf, _ = wheel
    meta = wheel_metadata(zf)
    requires = meta.get_all("Requires-Dist")
    runtime = {requirement_name(r) for r in requires if "extra ==" not in r}
    test = {requirement_name(r) for r in requires if 'extra == "test"' in r}
    assert {"jupyterlab", "nbformat", "psutil"} <= runtime
    assert {"pytest", "nbclient", "nbval"} <= test
    assert meta.get("License-Expression") == "MIT"
    licence = next(n for n in zf.namelist() if n.endswith(".dist-info/licenses/LICENSE"))
    text = zf.read(licence).decode()
    assert text.startswith("MIT License") and "Copyright (c) 2026 the loopedu authors" in text


def test_the_wheel_carries_the_whole_course(wheel):
    """Every lesson, exercise notebook, the glossary, the claims page and the instructor
    guide, as package data; not the jupytext sources."""
    zf, _ = wheel
    names = set(zf.namelist())
    expected = {f"loopedu/_course/{p.relative_to(ROOT).as_posix()}"
                for pattern in ("notebooks/*.ipynb", "notebooks/*.md", "exercises/*.ipynb",
                                "instructors/*.md") for p in ROOT.glob(pattern)}
    assert len(expected) >= 21 and expected <= names
    assert "loopedu/_course/notebooks/glossary.md" in names
    assert "loopedu/_course/notebooks/popular-claims.ipynb" in names
    assert not [n for n in names if n.startswith("loopedu/_course/") and n.endswith(".py")]


def _venv_beside_this_one(where: Path) -> Path:
    """A fresh virtual environment whose own site-packages gets nothing but what is
    installed into it; the dependencies come from this environment's site-packages
    through a path file (its .pth files, this checkout's editable install among them,
    are not run). Returns its Python."""
    import site
    import venv

    venv.EnvBuilder(with_pip=False).create(where)
    python = where / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    purelib = subprocess.run([str(python), "-c", "import sysconfig; "
                              "print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    deps = [p for p in site.getsitepackages() if Path(p).is_dir()]
    Path(purelib, "deps-of-the-test.pth").write_text("\n".join(deps) + "\n")
    return python


@pytest.mark.slow
def test_a_wheel_installed_outside_a_clone_gives_the_whole_course(wheel, tmp_path):
    """What `pip install loopedu` then `loopedu workspace` gives a learner who never
    cloned anything: from an empty folder outside the repository, a workspace with every
    lesson, and lesson 00 and an exercise notebook that run in a fresh kernel."""
    zf, version = wheel
    python = _venv_beside_this_one(tmp_path / "venv")
    done = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install",
                           "--no-deps", "--no-index", "-q", zf.filename],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    empty = tmp_path / "somewhere"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "LOOPEDU_WORKSPACE")}
    probe = subprocess.run([str(python), "-c", "import loopedu, loopedu.course as c; "
                            "print(loopedu.__version__); print(c.course_root())"],
                           cwd=empty, capture_output=True, text=True, env=env, timeout=60)
    assert probe.returncode == 0, probe.stderr
    got_version, course = probe.stdout.split()
    assert got_version == version and "_course" in course and str(ROOT) not in course
    workspace = tmp_path / "ws"
    made = subprocess.run([str(python), "-m", "loopedu.cli", "workspace", str(workspace)],
                          cwd=empty, capture_output=True, text=True, env=env, timeout=120)
    assert made.returncode == 0, made.stdout + made.stderr
    lessons = sorted(p.name for p in (workspace / "notebooks").glob("[0-9][0-9]-*.ipynb"))
    assert lessons == sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
    assert (workspace / "notebooks" / "glossary.md").is_file()
    run = subprocess.run([str(python), "-c", _RUN_TWO_NOTEBOOKS, str(workspace)],
                         cwd=empty, capture_output=True, text=True, env=env, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert run.stdout.split()[-2:] == ["ran", "2"]


#: Run in the fresh environment: lesson 00 and exercise 01 of the workspace, in kernels
#: of that environment's Python (ipykernel's own kernel spec), no cell may fail.
_RUN_TWO_NOTEBOOKS = """
import sys
from pathlib import Path
import nbformat
from nbclient import NotebookClient
ws = Path(sys.argv[1])
ran = 0
for path in (ws / "notebooks" / "00-start-here.ipynb",
             ws / "exercises" / "01-loopback-range-exercises.ipynb"):
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("import loopedu; print(loopedu.__file__)"))
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.output_type == "error"]
    assert not errors, [(e.ename, e.evalue) for e in errors]
    used = nb.cells[-1].outputs[0]["text"].strip()
    assert used.startswith(sys.prefix), (used, sys.prefix)   # the wheel's, in this venv
    ran += 1
print("ran", ran)
"""


# --- the pins install on every Python the README accepts -------------------------------

def _pythons() -> dict[str, str]:
    """Interpreters to resolve the pins with: this one, the system's own python3
    (Debian 12: 3.11.2), and those pyenv keeps for the other supported versions."""
    import glob

    from loopedu import bootstrap

    found = {"this Python": sys.executable}
    if Path("/usr/bin/python3").is_file():
        found["/usr/bin/python3"] = "/usr/bin/python3"
    for minor in ("3.10", "3.12", "3.13"):
        for path in sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/{minor}.*/bin/python"))
                           + glob.glob(f"/root/.pyenv/versions/{minor}.*/bin/python"))[:1]:
            found[f"Python {minor}"] = path

    def supported(python: str) -> bool:
        done = subprocess.run([python, "-c", "import sys; print(*sys.version_info[:2])"],
                              capture_output=True, text=True, timeout=30)
        return (done.returncode == 0
                and tuple(map(int, done.stdout.split())) >= bootstrap.MIN_PYTHON)

    return {label: path for label, path in found.items() if supported(path)}


@pytest.mark.slow
@pytest.mark.parametrize("label", sorted(_pythons()))
def test_the_pins_resolve_on_each_supported_python(label):
    """pip resolves `-c constraints.txt .[test,browser,hub]` for that interpreter (nothing is
    installed: --dry-run), from wheels only, as a learner's machine without compilers
    needs. A network failure skips (fails under CI) rather than blaming the pins."""
    from loopedu import bootstrap

    python = _pythons()[label]
    version = subprocess.run([python, "-c", "import platform; print(platform.python_version())"],
                             capture_output=True, text=True, check=True).stdout.strip()
    done = subprocess.run([sys.executable, "-m", "pip", "--python", python, "install",
                           "--dry-run", "--ignore-installed", "--break-system-packages", "-q",
                           "--only-binary", ":all:", "--disable-pip-version-check",
                           "-c", str(ROOT / "constraints.txt"), f"{ROOT}[test,browser,hub]"],
                          capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        kind, why = bootstrap.pip_failure(done.stdout + done.stderr, version)
        if kind == "network":
            skip_or_fail(why)
        pytest.fail(f"Python {version}: {why}", pytrace=False)


def test_binder_image_has_the_postgresql_server_lesson_06_starts():
    """The instructor guide promises lesson 06's throwaway server runs on Binder."""
    lines = (ROOT / ".binder" / "apt.txt").read_text().splitlines()
    assert "postgresql" in [x.strip() for x in lines if not x.startswith("#")]
