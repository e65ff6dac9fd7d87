"""Checks several test files share (imported as ``from shared_checks import ...``, like
notebook_text.py): skip where the machine lacks something, but fail under CI, the
listening sockets of this process, and Python run as the user nobody."""

import os
import subprocess
import sys
from typing import NoReturn

import pytest


def skip_or_fail(reason: str, *, allow_module_level: bool = False) -> NoReturn:
    """Skip the test for ``reason``; under CI (``CI=true``, which .ci/run sets) fail it
    instead, so a check can never vanish from CI silently. ``allow_module_level`` skips
    a whole test file from its top level (under CI that file then fails to load)."""
    __tracebackhide__ = True  # reported at the caller's line
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI must run this test, but {reason}", pytrace=False)
    pytest.skip(reason, allow_module_level=allow_module_level)


def run_as_nobody(code: str, timeout: float = 120, cwd=None) -> subprocess.CompletedProcess:
    """Python ``code`` run by this interpreter as the user nobody (``runuser``, so the
    test must run as root); skipped (failed under CI) where nobody cannot run it here."""
    done = subprocess.run(["runuser", "-u", "nobody", "--", sys.executable, "-c", code],
                          capture_output=True, text=True, timeout=timeout, cwd=cwd)
    if done.returncode != 0 and "Permission denied" in done.stderr:
        skip_or_fail(f"nobody cannot run this Python here: {done.stderr.strip()[-200:]}")
    return done


def listening() -> set:
    """The local addresses this process listens on (TCP, IPv4 and IPv6)."""
    import psutil

    return {c.laddr for c in psutil.Process().net_connections(kind="inet")
            if c.status == psutil.CONN_LISTEN}


def run_together(code: str, argvs: list, env: dict, go) -> list:
    """Start ``python -c code`` once per argument list of ``argvs`` (each gets ``go``,
    a path, as its last argument: the file they wait for), release them at once by
    creating ``go``, and return each one's (returncode, stdout, stderr). Every process
    is gone when this returns, whatever happened."""
    import subprocess
    import sys

    children = [subprocess.Popen([sys.executable, "-c", code, *map(str, argv), str(go)],
                                 env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True) for argv in argvs]
    try:
        go.touch()  # all start together
        results = [child.communicate(timeout=120) for child in children]
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()
    return [(child.returncode, out, err) for child, (out, err) in zip(children, results)]


def binds_ipv6_loopback() -> bool:
    """Whether this machine (not a fake) can bind ::1, measured with a plain socket."""
    import socket

    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True
