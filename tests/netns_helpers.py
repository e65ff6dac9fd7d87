"""Network namespaces for tests: Linux + root only, always removed.

Built on loopedu.netlab.namespace: names carry the course's prefix, the pid and a random
suffix, so parallel runs never collide and stale ones are reaped.
"""

from __future__ import annotations

import subprocess
from contextlib import contextmanager

import pytest

from loopedu.netlab import lab_unavailable_reason, namespace


def can_make_netns() -> tuple[bool, str]:
    why = lab_unavailable_reason()
    return why is None, why or ""


def needs_netns():
    ok, why = can_make_netns()
    return pytest.mark.skipif(not ok, reason=why)


@contextmanager
def netns(lo_up: bool = True, ipv6: bool = True):
    """A fresh network namespace (loopedu.netlab.namespace); yields its name; deleted
    whatever happens. ``ipv6=False`` disables IPv6 inside it, as containers often do."""
    with namespace("test", lo_up=lo_up) as name:
        if not ipv6:
            for key in ("all", "lo"):
                subprocess.run(["ip", "netns", "exec", name, "sysctl", "-qw",
                                f"net.ipv6.conf.{key}.disable_ipv6=1"],
                               check=True, capture_output=True, timeout=20)
        yield name


def run_in(name: str, *cmd: str, timeout: int = 120) -> subprocess.CompletedProcess:
    """Run a command inside namespace ``name``; returns the completed process."""
    return subprocess.run(["ip", "netns", "exec", name, *cmd], capture_output=True,
                          text=True, timeout=timeout)
