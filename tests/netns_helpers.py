"""Network namespaces for tests, made by the course's own sandbox (as root, or in an
unprivileged user namespace), always removed."""

from __future__ import annotations

import subprocess
from contextlib import contextmanager

from loopedu.sandbox import Namespace, namespace

_IPV6_OFF = ("net.ipv6.conf.all.disable_ipv6", "net.ipv6.conf.default.disable_ipv6",
             "net.ipv6.conf.lo.disable_ipv6")


@contextmanager
def netns(lo_up: bool = True, ipv6: bool = True):
    """A fresh network namespace; ``ipv6=False`` disables IPv6 inside it, as containers
    often do."""
    with namespace("test", lo_up=lo_up) as ns:
        if not ipv6:
            for key in _IPV6_OFF:
                ns.set_sysctl(key, 1)
        yield ns


def run_in(ns: Namespace, *cmd: str, timeout: int = 120) -> subprocess.CompletedProcess:
    """Run a command inside namespace ``ns``; returns the completed process."""
    return ns.run(*cmd, timeout=timeout)
