"""Shared test setup (the isolation every test gets is in the repository's conftest.py).

Tests that need a capability of the machine say so with ``@pytest.mark.needs("...")``
(a field of :class:`loopedu.sandbox.Capabilities`: ``network_namespaces``,
``mount_namespaces``, ``user_namespaces``, ``ipv6_loopback``, ``whole_127_range``,
or ``root``). Where the machine lacks it the test is skipped with the doctor's reason;
under CI (``CI=true``, which .ci/run sets) it fails instead, so the strongest checks can
never vanish from CI silently.
"""

import os
import threading
from pathlib import Path

import pytest

from loopedu.sandbox import capabilities
from shared_checks import listening, skip_or_fail


@pytest.fixture(scope="session")
def loopedu_home() -> Path:
    """The private LOOPEDU_HOME of this test run."""
    return Path(os.environ["LOOPEDU_HOME"])


def pytest_configure(config):
    config.addinivalue_line("markers", "needs(*capabilities): runs only where the machine "
                                       "has them (skipped elsewhere, failed under CI=true)")


def missing(names) -> list[str]:
    """The reasons for each capability in ``names`` this machine lacks."""
    caps = capabilities()
    reasons = []
    for name in names:
        if name == "root":
            if not caps.root:
                reasons.append("needs root")
            continue
        cap = getattr(caps, name)
        if not cap:
            reasons.append(f"{name}: {cap.reason}")
    return reasons


def pytest_runtest_setup(item):
    for marker in item.iter_markers("needs"):
        reasons = missing(marker.args)
        if reasons:
            skip_or_fail("; ".join(reasons))


@pytest.fixture(params=["in a namespace", "on this machine"])
def isolation(request):
    """Run the test twice: with the machine's network namespaces (experiments that
    listen on 0.0.0.0 then run isolated), and pretending there are none (they run on
    this machine's own stack). Yields True for the first."""
    from loopedu.sandbox import Capability, assume

    if request.param == "in a namespace":
        reasons = missing(["network_namespaces"])
        if reasons:
            skip_or_fail(reasons[0])
        yield True
    else:
        with assume(network_namespaces=Capability(False, "namespaces switched off for "
                                                         "this test")):
            yield False


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
