"""Kernel ports for a classroom hub: each learner's kernels take TCP ports from a block
of the learner's own, below the ephemeral range.

jupyter_client picks a kernel's five ports by binding port 0 on 127.0.0.1 and closing
the socket (``LocalPortCache.find_available_port``); the kernel binds them a second or
more later. On a hub where thirty learners start kernels and run the course's port-0
experiments on one loopback, another socket takes such a port in between and the kernel
dies with "Address already in use" (49 times in a 30-learner run here before this;
jupyter/jupyter_client#487, whose ``LocalPortCache`` docstring says it cannot prevent
it). Ports below ``ip_local_port_range`` are never handed out for port 0 (ip(7)), so a
private block there cannot be taken that way, and blocks of two learners never overlap.
A port of the block that is in use anyway is skipped; when the whole block is in use,
the usual port-0 choice is made. The kernels still talk TCP on 127.0.0.1, as lesson 00
shows.

The hub's config gives each learner's server ``LOOPEDU_KERNEL_PORTS=FIRST-LAST``;
``singleuser/jupyter_server_config.py`` calls :func:`install` in that server.
"""

from __future__ import annotations

import os
import socket

from jupyter_client.provisioning.local_provisioner import LocalPortCache

ENV = "LOOPEDU_KERNEL_PORTS"


def parse(spec: str) -> range:
    """``"20000-20059"`` -> range(20000, 20060); ValueError for anything else."""
    first, _, last = spec.partition("-")
    try:
        low, high = int(first), int(last)
    except ValueError:
        low = high = 0
    if not 1024 <= low <= high <= 65535:
        raise ValueError(f"{ENV} must be FIRST-LAST with 1024 <= FIRST <= LAST <= 65535, "
                         f"not {spec!r}")
    return range(low, high + 1)


def free(ip: str, port: int) -> bool:
    """Whether ``port`` can be bound on ``ip`` now (nothing holds it)."""
    family = socket.AF_INET6 if ":" in ip else socket.AF_INET
    with socket.socket(family) as probe:
        try:
            probe.bind((ip, port))
        except OSError:
            return False
    return True


class BlockPortCache(LocalPortCache):
    """``LocalPortCache`` handing out the ports of one block in turn."""

    def __init__(self, ports: range, **kwargs):
        super().__init__(**kwargs)
        self.ports, self.next = ports, 0

    def find_available_port(self, ip: str) -> int:
        for _ in range(len(self.ports)):
            port = self.ports[self.next % len(self.ports)]
            self.next += 1
            if port not in self.currently_used_ports and free(ip, port):
                self.currently_used_ports.add(port)
                return port
        return super().find_available_port(ip)   # the block is full: port 0, as usual


def install(spec: str | None = None) -> BlockPortCache | None:
    """Make this process's kernels take ports from ``spec`` (default: ``$LOOPEDU_KERNEL_PORTS``);
    nothing without one."""
    spec = os.environ.get(ENV) if spec is None else spec
    if not spec:
        return None
    cache = BlockPortCache(parse(spec))
    LocalPortCache._instance = cache      # the instance LocalProvisioner asks for
    return cache
