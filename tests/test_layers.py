"""The package's shape: layers imported only downwards, no import circle (imports inside
functions included), no module over 500 lines, and importing loopedu does nothing but
import."""

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "loopedu"

#: Bottom to top. A module may import modules of its own layer or of a lower one.
LAYERS = [
    # leaves: pure logic and data, the sockets every experiment uses
    {"loopedu", "loopedu.stats", "loopedu.addresses", "loopedu.ipv6", "loopedu.glibc",
     "loopedu.platforms", "loopedu.connections", "loopedu.listen_guard", "loopedu.servers",
     "loopedu.hosts", "loopedu.course", "loopedu.palette", "loopedu.keep_edits",
     "loopedu.data"},
    # the one layer that knows the machine
    {"loopedu.sandbox"},
    # experiments and tools, one topic each
    {"loopedu.loopback_range", "loopedu.reachability", "loopedu.lan", "loopedu.bind_demos",
     "loopedu.dual_stack", "loopedu.measure", "loopedu.localhost", "loopedu.unix_sockets",
     "loopedu.audit", "loopedu.kernel_link", "loopedu.capture",
     "loopedu.forwarder", "loopedu.containers", "loopedu.dev_servers", "loopedu.postgres",
     "loopedu.martians", "loopedu.rebinding", "loopedu.attacker_dns", "loopedu.browsers",
     "loopedu.lo_down",
     "loopedu.weak_host", "loopedu.pods", "loopedu.own_address"},
    # what gathers and shows them
    {"loopedu.doctor", "loopedu.plots", "loopedu.drawings",
     "loopedu.widgets",
     "loopedu.claims"},
    # the front ends
    {"loopedu.exercises", "loopedu.workspace", "loopedu.cli", "loopedu.class_progress",
     "loopedu.handout", "loopedu.lab"},
]
STANDALONE = {"loopedu.bootstrap"}  # runs before anything is installed: stdlib only


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def group_of(name: str) -> str:
    """The layer entry a module belongs to: itself, or the package it is part of."""
    best = ""
    for layer in [*LAYERS, STANDALONE]:
        for entry in layer:
            inside = name.startswith(entry + ".") and entry != "loopedu"
            if (name == entry or inside) and len(entry) > len(best):
                best = entry
    return best


def layer_of(name: str) -> int | None:
    group = group_of(name)
    return next((i for i, layer in enumerate(LAYERS) if group in layer), None)


def loopedu_imports(name: str, path: Path) -> set[str]:
    """Every loopedu module ``name`` imports, at the top or inside functions."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "loopedu"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "loopedu":
                continue
            for alias in node.names:  # `from . import x` may name a submodule
                sub = f"{target}.{alias.name}"
                found.add(sub if sub in MODULES else target)
    return found - {name}


GRAPH = {name: loopedu_imports(name, path) for name, path in MODULES.items()}


def test_every_module_has_a_layer():
    lost = [n for n in MODULES if layer_of(n) is None and group_of(n) not in STANDALONE]
    assert lost == [], "add these modules to LAYERS in tests/test_layers.py"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_only_go_down(name):
    if group_of(name) in STANDALONE:
        assert GRAPH[name] == set(), f"{name} must import nothing from loopedu"
        return
    here = layer_of(name)
    upward = sorted(t for t in GRAPH[name] if (layer_of(t) or 0) > here)
    assert upward == [], f"{name} (layer {here}) imports from higher layers: {upward}"


def test_no_import_circles():
    """Between groups (a package counts as one, its modules may import each other) and
    between modules inside a group."""
    def cycle_in(graph: dict) -> list | None:
        state: dict = {}

        def visit(node, stack):
            state[node] = "open"
            for nxt in sorted(graph.get(node, ())):
                if state.get(nxt) == "open":
                    return stack[stack.index(nxt):] + [nxt] if nxt in stack else [node, nxt]
                if nxt not in state:
                    found = visit(nxt, stack + [nxt])
                    if found:
                        return found
            state[node] = "done"
            return None

        for node in sorted(graph):
            if node not in state:
                found = visit(node, [node])
                if found:
                    return found
        return None

    groups: dict = {}
    for name, targets in GRAPH.items():
        groups.setdefault(group_of(name), set()).update(
            group_of(t) for t in targets if group_of(t) != group_of(name))
    assert cycle_in(groups) is None, f"import circle between: {cycle_in(groups)}"
    modules = {n: {t for t in ts if t in MODULES} for n, ts in GRAPH.items()}
    # a package's __init__ re-exports its modules; only circles among the others count
    inner = {n: {t for t in ts if not MODULES[t].name == "__init__.py"}
             for n, ts in modules.items() if MODULES[n].name != "__init__.py"}
    assert cycle_in(inner) is None, f"import circle between modules: {cycle_in(inner)}"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_over_500_lines(name):
    lines = MODULES[name].read_text(encoding="utf-8").count("\n")
    assert lines <= 500, f"{name} has {lines} lines: split it by topic"


def test_importing_loopedu_has_no_side_effects():
    code = ("import sys, socket, threading, os; before = set(sys.modules); "
            "n = threading.active_count(); files = len(os.listdir('/proc/self/fd')) "
            "if os.path.isdir('/proc/self/fd') else 0; "
            "import loopedu, loopedu.reachability, loopedu.sandbox, loopedu.doctor; "
            "heavy = {'matplotlib', 'ipywidgets', 'psutil', 'IPython', 'nbformat'} "
            "& set(sys.modules); assert not heavy, heavy; "
            "assert threading.active_count() == n; "
            "assert not files or len(os.listdir('/proc/self/fd')) == files; print('ok')")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True)
    assert done.stdout.strip() == "ok", done.stderr


def test_public_functions_name_a_lesson_that_exists():
    """d2l's rule: helper code links back to the lesson that introduces it."""
    import importlib
    import inspect
    import re

    lesson = re.compile(r"notebooks/((?:\d\d-)?[a-z0-9-]+)\.ipynb")
    existing = {p.stem for p in (ROOT / "notebooks").glob("*.ipynb")}
    unlinked, dangling = [], []
    for name in sorted(MODULES):
        if group_of(name) in STANDALONE or name.endswith("__main__"):
            continue
        module = importlib.import_module(name)
        for attr in getattr(module, "__all__", []):
            obj = getattr(module, attr)
            if not inspect.isfunction(obj) or obj.__module__ != name:
                continue
            found = lesson.findall(" ".join((obj.__doc__ or "").split()))
            if not found:
                unlinked.append(f"{name}.{attr}")
            dangling += [f"{name}.{attr}: {n}" for n in found if n not in existing]
    assert unlinked == [], "say which lesson introduces these"
    assert dangling == [], "these name lessons that do not exist"


def _calls(source: str) -> set[tuple[str, str]]:
    """(owner, function) for each call in ``source``: ``("", f)`` for ``f(...)``,
    ``("m", f)`` for ``m.f(...)``, and ``("loopedu.x", f)`` for ``f(...)`` after ``from
    loopedu.x import f`` (so that ``explain`` from loopedu.exercises is not taken for
    loopedu.ipv6's)."""
    tree = ast.parse(source)
    imported = {alias.asname or alias.name: node.module for node in ast.walk(tree)
                if isinstance(node, ast.ImportFrom) and node.module for alias in node.names}
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name):
                found.add((imported.get(node.func.id, ""), node.func.id))
            elif isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name):
                found.add((node.func.value.id, node.func.attr))
    return found


def test_the_lesson_named_is_the_first_that_calls_it():
    """Lessons get split and renumbered; the lesson a docstring names must still be the
    first one that calls the function (bare, or through a loopedu module's name)."""
    import importlib
    import inspect
    import re

    lesson = re.compile(r"notebooks/((?:\d\d-)?[a-z0-9-]+)\.ipynb")
    calls = {p.stem: _calls(p.read_text(encoding="utf-8"))
             for p in sorted((ROOT / "notebooks").glob("*.py"))}
    wrong = []
    for name in sorted(MODULES):
        if group_of(name) in STANDALONE or name.endswith("__main__"):
            continue
        module = importlib.import_module(name)
        owners = {"", *name.split(".")}
        for attr in getattr(module, "__all__", []):
            obj = getattr(module, attr)
            if not inspect.isfunction(obj) or obj.__module__ != name:
                continue
            named = lesson.findall(" ".join((obj.__doc__ or "").split()))
            callers = [stem for stem, found in calls.items()
                       if any((owner, attr) in found for owner in owners)
                       or any(f == attr and owner.startswith("loopedu.")
                              and (name + ".").startswith(owner + ".")
                              for owner, f in found)]
            if named and callers and callers[0] not in named:
                wrong.append(f"{name}.{attr}: names {named}, first called in {callers[0]}")
    assert wrong == [], "update 'Introduced in' to the first lesson that calls these"


# ---- the package map in loopedu/__init__.py ----

MAP = re.findall(r"^- ``(loopedu\.[a-z0-9_.]+)``\s+(.*?)(?:\((\d\d)\))?$",
                 (PACKAGE / "__init__.py").read_text(encoding="utf-8"), flags=re.M)


def _introduced(name: str) -> str | None:
    path = MODULES[name]
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    found = re.search(r"Introduced in notebooks/(\d\d)-", doc)
    return found.group(1) if found else None


def test_the_package_map_names_every_top_level_module_once():
    named = [name for name, _, _ in MAP]
    top = sorted({".".join(n.split(".")[:2]) for n in MODULES if n != "loopedu"})
    assert len(named) == len(set(named))
    assert sorted(named) == top, (sorted(set(top) - set(named)), sorted(set(named) - set(top)))


@pytest.mark.parametrize("name, number", [(n, num) for n, _, num in MAP if num],
                         ids=[n for n, _, num in MAP if num])
def test_the_package_map_gives_each_module_the_lesson_its_docstring_names(name, number):
    assert _introduced(name) == number, f"{name}: map says {number}, docstring {_introduced(name)}"
