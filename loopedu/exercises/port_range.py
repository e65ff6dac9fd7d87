"""The ports the kernel hands out for bind(port 0), for the checks that ask for port 0
(00.first-connection, 03.serve-local): a fixed port outside this range is refused.

Introduced in notebooks/00-start-here.ipynb (exercise 00.first-connection).
"""

from __future__ import annotations

from ..sandbox import host_sysctl

#: Where no kernel says otherwise: IANA's dynamic ports (RFC 6335 section 6), the range
#: macOS and Windows hand out for port 0.
DYNAMIC_PORTS = (49152, 65535)


def ephemeral_range() -> tuple[int, int]:
    """The ports this kernel hands out for bind(port 0): Linux's
    net.ipv4.ip_local_port_range (ip-sysctl.rst), else IANA's dynamic range.

    Introduced in notebooks/00-start-here.ipynb (exercise 00.first-connection).
    """
    said = (host_sysctl("net.ipv4.ip_local_port_range") or "").split()
    if len(said) == 2 and all(part.isdigit() for part in said):
        return int(said[0]), int(said[1])
    return DYNAMIC_PORTS


def fixed_port_reason(port: int) -> str | None:
    """Why ``port`` is not one bind(port 0) gave (None when it is in the range): a
    fixed port can be taken by another program, or another learner on a shared machine.

    Introduced in notebooks/00-start-here.ipynb (exercise 00.first-connection).
    """
    low, high = ephemeral_range()
    if low <= port <= high:
        return None
    return (f"port {port} is a fixed port: the kernel hands out ports {low}-{high} for "
            "port 0 here. A fixed port can be taken by another program, or by another "
            "learner on a shared machine")
