"""Lesson 01's live part: bind and connect across 127.0.0.0/8, beside what each
platform is documented to do (:mod:`loopedu.platforms`).

Introduced in notebooks/01-loopback-range.ipynb.
"""

from __future__ import annotations

from .addresses import is_loopback
from .servers import Probe, probe

__all__ = ["probe_addresses"]


def probe_addresses(addresses, timeout: float = 1.0) -> list[Probe]:
    """:func:`loopedu.servers.probe` each address, in order. Only loopback addresses are
    bound: nothing listens where the network could reach it.

    >>> [p.outcome for p in probe_addresses(["127.0.0.1"])]
    ['bind ok, connected']

    Introduced in notebooks/01-loopback-range.ipynb.
    """
    for address in addresses:
        if not is_loopback(address):
            raise ValueError(f"{address} is not a loopback address: the range probe binds "
                             "loopback addresses only")
    return [probe(a, timeout=timeout) for a in addresses]
