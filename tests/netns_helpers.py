"""Network namespaces for tests: Linux + root only, always removed.

Names carry the course's prefix, the pid and a random suffix, so parallel runs never
collide and `ip netns list | grep loopedu-` finds anything left behind.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from contextlib import contextmanager

import pytest


def can_make_netns() -> tuple[bool, str]:
    if not sys.platform.startswith("linux"):
        return False, "network namespaces are Linux-only"
    if os.geteuid() != 0:
        return False, "network namespaces need root"
    if shutil.which("ip") is None:
        return False, "iproute2 (`ip`) is not installed"
    return True, ""


def needs_netns():
    ok, why = can_make_netns()
    return pytest.mark.skipif(not ok, reason=why)


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=20)


@contextmanager
def netns(lo_up: bool = True, ipv6: bool = True):
    """A fresh network namespace; yields its name; deletes it whatever happens."""
    name = f"loopedu-test-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    _ip("netns", "add", name)
    try:
        if lo_up:
            _ip("-n", name, "link", "set", "lo", "up")
        if not ipv6:
            _ip("netns", "exec", name, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
            _ip("netns", "exec", name, "sysctl", "-qw", "net.ipv6.conf.lo.disable_ipv6=1")
        yield name
    finally:
        subprocess.run(["ip", "netns", "delete", name], capture_output=True, timeout=20)


def run_in(name: str, *cmd: str, timeout: int = 120) -> subprocess.CompletedProcess:
    """Run a command inside namespace ``name``; returns the completed process."""
    return subprocess.run(["ip", "netns", "exec", name, *cmd], capture_output=True,
                          text=True, timeout=timeout)
