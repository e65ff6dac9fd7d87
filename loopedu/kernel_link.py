"""How a notebook talks to its kernel: five TCP sockets on loopback.

Jupyter's kernel protocol runs over ZeroMQ on TCP. The kernel writes a *connection
file* (transport, ip, five ports, a signing key) and the Jupyter server connects to
those ports, by default on 127.0.0.1. (Jupyter client docs, "Connection files":
https://jupyter-client.readthedocs.io/en/stable/kernels.html#connection-files)

Introduced in notebooks/00-start-here.ipynb.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from .addresses import is_loopback

__all__ = ["connection_info", "KernelSocket", "kernel_sockets", "CHANNELS"]

#: The five channels of the Jupyter messaging protocol and what each carries.
CHANNELS = {
    "shell_port": "requests: execute this cell, complete this name",
    "iopub_port": "broadcasts: output, status (busy/idle)",
    "stdin_port": "input() prompts from the kernel to you",
    "control_port": "interrupt, shutdown, debugger",
    "hb_port": "heartbeat: is the kernel still alive?",
}


def connection_info() -> dict | None:
    """The running kernel's connection file as a dict, without its signing key.

    Returns None outside a Jupyter kernel (a plain ``python`` has no connection file).

    >>> connection_info() is None   # a plain python, as here, has no connection file
    True

    Introduced in notebooks/00-start-here.ipynb.
    """
    try:
        from ipykernel.connect import get_connection_file
        path = get_connection_file()
    except Exception:  # not in a kernel, or ipykernel missing
        return None
    try:
        with open(path, encoding="utf-8") as fh:
            info = json.load(fh)
    except (OSError, ValueError):
        return None
    info.pop("key", None)  # the HMAC key signs messages: never show it
    info["connection_file"] = os.path.basename(path)
    return info


@dataclass(frozen=True)
class KernelSocket:
    """One TCP socket of the kernel process: ``local`` and ``remote`` (address, port)
    (``remote`` None while listening), ``status`` (LISTEN, ESTABLISHED, ...),
    ``loopback`` (every address involved is loopback) and ``channel``, the
    connection-file channel whose port is the local port, else ``"other"``."""

    local: tuple | None
    remote: tuple | None
    status: str
    loopback: bool
    channel: str


def kernel_sockets(pid: int | None = None, info: dict | None = None) -> list[KernelSocket]:
    """The TCP sockets of the kernel process (this process by default), listening ones
    first, then by channel; ``info`` defaults to :func:`connection_info`.

    >>> from loopedu.servers import listener
    >>> with listener("127.0.0.1") as srv:
    ...     mine = [s for s in kernel_sockets() if s.local == srv.address]
    >>> mine[0].status, mine[0].loopback, mine[0].channel
    ('LISTEN', True, 'other')

    Introduced in notebooks/00-start-here.ipynb.
    """
    import psutil

    info = connection_info() if info is None else info
    ports = {info[k]: k[:-5] for k in CHANNELS if info and k in info}
    proc = psutil.Process(pid or os.getpid())
    connections = getattr(proc, "net_connections", None) or proc.connections
    rows = []
    for conn in connections(kind="tcp"):
        local = tuple(conn.laddr) if conn.laddr else None
        remote = tuple(conn.raddr) if conn.raddr else None
        addresses = [a[0] for a in (local, remote) if a]
        rows.append(KernelSocket(local, remote, conn.status,
                                 bool(addresses) and all(is_loopback(a) for a in addresses),
                                 ports.get(local[1], "other") if local else "other"))
    order = [k[:-5] for k in CHANNELS] + ["other"]
    rows.sort(key=lambda r: (r.status != "LISTEN", r.status, order.index(r.channel),
                             r.local or ()))
    return rows
