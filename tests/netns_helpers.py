"""Network namespaces for tests, made by the course's own sandbox (as root, or in an
unprivileged user namespace), always removed."""

from __future__ import annotations

import os
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


def unmarked_prefix(ns: Namespace) -> list[str]:
    """``ns``'s command prefix without the course's mark (``LOOPEDU_NETNS``): a program
    behind it believes it runs on a machine's own network, so the listen guard treats it
    as it would on a real host, while nothing it opens can be reached from any network.
    The safe place to test what ``expose=True`` does."""
    prefix = ns.prefix()
    return prefix[:prefix.index("--") + 1]


def run_as_host_without_namespaces(ns: Namespace, code: str, timeout: int = 120):
    """Run Python ``code`` (which sets ``result``) behind :func:`unmarked_prefix`, with
    the sandbox told that no network namespace can be made (so experiments fall back to
    "here"), and return ``result`` decoded (loopedu types come back as themselves)."""
    import json
    import sys

    from loopedu.sandbox import children

    program = ("import json\n"
               "from loopedu.sandbox import Capability, assume, children\n"
               "with assume(network_namespaces=Capability(False, 'no namespaces (test)')):\n"
               + "".join(f"    {line}\n" for line in code.splitlines())
               + "print(json.dumps(children.encode(result)))\n")
    env = children.child_env()   # this very loopedu, and these test helpers
    env["PYTHONPATH"] = os.pathsep.join([os.path.dirname(__file__), env["PYTHONPATH"]])
    done = subprocess.run(unmarked_prefix(ns) + [sys.executable, "-c", program],
                          capture_output=True, text=True, timeout=timeout, env=env)
    assert done.returncode == 0, done.stderr
    return children.decode(json.loads(done.stdout.strip().splitlines()[-1]))
