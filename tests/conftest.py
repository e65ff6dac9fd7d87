"""Shared test setup (the isolation every test gets is in the repository's conftest.py).

Tests that need a capability of the machine say so with ``@pytest.mark.needs("...")``
(a field of :class:`loopedu.sandbox.Capabilities`: ``network_namespaces``,
``mount_namespaces``, ``user_namespaces``, ``ipv6_loopback``, ``whole_127_range``,
or ``root``), or a tool a lesson needs, as the doctor measures it (a field of
:class:`loopedu.doctor.Tools`: ``ping``, ``nft``, ``postgres``). Where the machine lacks
it the test is skipped with the doctor's reason;
under CI (``CI=true``, which .ci/run sets) it fails instead, so the strongest checks can
never vanish from CI silently.
"""

import dataclasses
import functools
import os
import threading
from pathlib import Path

import pytest
from shared_checks import listening, skip_or_fail

from loopedu import doctor
from loopedu.sandbox import capabilities


@pytest.fixture(scope="session")
def loopedu_home() -> Path:
    """The private LOOPEDU_HOME of this test run."""
    return Path(os.environ["LOOPEDU_HOME"])


@pytest.fixture(autouse=True)
def _a_progress_file_of_its_own(tmp_path_factory, monkeypatch):
    """Every test records its checks, hints and predictions in a progress file of its
    own: what one test recorded never changes what another is told (after
    ``framework.REPEATED_TRIES`` wrong tries at one exercise, feedback stops naming the
    wrong keys). A test may still point LOOPEDU_HOME elsewhere."""
    from loopedu.exercises import framework

    monkeypatch.setenv("LOOPEDU_HOME", str(tmp_path_factory.mktemp("progress")))
    monkeypatch.setattr(framework, "_HINTS_SHOWN", {})


@pytest.fixture
def first_try(tmp_path_factory, monkeypatch):
    """``first_try(exercise_id, answer)``: ``check`` as a learner's first attempt, in a
    fresh progress file each time, for a test that puts many wrong answers to one
    exercise and wants the feedback a first try gets (keys named)."""
    from loopedu.exercises import check

    def run(exercise_id, answer):
        monkeypatch.setenv("LOOPEDU_HOME", str(tmp_path_factory.mktemp("first-try")))
        return check(exercise_id, answer)

    return run


def pytest_configure(config):
    config.addinivalue_line("markers", "needs(*capabilities): runs only where the machine "
                                       "has them (skipped elsewhere, failed under CI=true)")


#: The tools a test may name in ``needs``, as the doctor measures them.
TOOLS = {f.name for f in dataclasses.fields(doctor.Tools)}


@functools.lru_cache(maxsize=None)
def tools() -> doctor.Tools:
    """The doctor's measurement of the tools lessons need (once per test process)."""
    return doctor.tools()


def missing(names) -> list[str]:
    """The reasons for each capability (or tool) in ``names`` this machine lacks."""
    caps = capabilities()
    reasons = []
    for name in names:
        if name == "root":
            if not caps.root:
                reasons.append("needs root")
            continue
        cap = getattr(tools() if name in TOOLS else caps, name)
        if not cap:
            reasons.append(f"{name}: {cap.reason}")
    return reasons


def pytest_runtest_setup(item):
    for marker in item.iter_markers("needs"):
        reasons = missing(marker.args)
        if reasons:
            skip_or_fail("; ".join(reasons))


@pytest.fixture(params=["in a namespace", "exposed on a machine without namespaces"])
def isolation(request):
    """Run an experiment both ways a learner's machine can: with network namespaces
    (experiments that listen on 0.0.0.0 then run isolated), and on a machine without
    them where the learner passed ``expose=True`` (they run on that machine's own stack
    and report the exposure). The second is played in a namespace without the course's
    mark, so the test exposes nothing real. Yields ``run(func, **kwargs)``, which calls
    the loopedu function ``func`` (``"loopedu.module:name"``) the chosen way, with
    ``isolated`` (True for the first way) as an attribute."""
    from loopedu.sandbox import children, namespace

    reasons = missing(["network_namespaces"])
    if reasons:
        skip_or_fail(reasons[0])
    if request.param == "in a namespace":
        def run(func, **kwargs):
            return children.function(func)(**kwargs)
        run.isolated = True
        yield run
        return
    from netns_helpers import run_as_host_without_namespaces

    with namespace("hostlike") as ns:
        def run(func, **kwargs):
            module, _, name = func.partition(":")
            return run_as_host_without_namespaces(
                ns, f"from {module} import {name}\nresult = {name}(expose=True, **{kwargs!r})")
        run.isolated = False
        yield run


# ---- servers in threads (tests/test_dev_servers.py, tests/test_rebinding.py) ----

@pytest.fixture
def no_threads_or_listeners_left():
    """No thread and no listening socket a test starts survive it."""
    threads, listeners = set(threading.enumerate()), listening()
    yield
    assert set(threading.enumerate()) == threads
    assert listening() == listeners


# ---- measurements (tests/test_measure.py, tests/test_measure_throughput.py) ----

@pytest.fixture
def nothing_left_behind():
    """No child process and no listening socket outlive the test's measurement."""
    import psutil

    me = psutil.Process()
    children, listeners = {p.pid for p in me.children(recursive=True)}, listening()
    yield
    assert {p.pid for p in me.children(recursive=True)} == children
    assert listening() == listeners


# ---- namespaces (the live experiments of lessons 02-08) ----

def _held(pid: int, identity: str) -> bool:
    try:
        return os.readlink(f"/proc/{pid}/ns/net") == identity
    except OSError:
        return False


@pytest.fixture
def namespaces_removed(monkeypatch):
    """Record every network namespace the sandbox makes during the test (yields the
    list of (holder pid, ``net:[INODE]``)); afterwards none of them may still exist, no
    child process may be left, and this process must still be in its own namespace."""
    import importlib

    import psutil

    module = importlib.import_module("loopedu.sandbox.namespaces")
    made, real = [], module.open_namespaces

    def recording(*args, **kwargs):
        spaces = real(*args, **kwargs)
        made.extend((ns.pid, ns.identity) for ns in spaces)
        return spaces

    monkeypatch.setattr(module, "open_namespaces", recording)
    me = psutil.Process()
    kids = {p.pid for p in me.children(recursive=True)}
    own = os.readlink("/proc/self/ns/net")
    yield made
    assert {p.pid for p in me.children(recursive=True)} == kids, "a child process was left"
    assert [m for m in made if _held(*m)] == [], "a namespace was left behind"
    assert own not in {identity for _, identity in made}


@pytest.fixture
def fails_inside(monkeypatch):
    """Make every child the sandbox runs inside a namespace fail (after the namespaces
    were made), to show the experiment removes them even on error."""
    from loopedu.sandbox import ChildError, Namespace

    def fail(self, func, *args, **kwargs):
        raise ChildError(f"{func} failed (made to fail by the test)")

    monkeypatch.setattr(Namespace, "call", fail)
    monkeypatch.setattr(Namespace, "start", fail)
