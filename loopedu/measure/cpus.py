"""Where the two ends of a measurement run: both on one CPU, or on two, with
``os.sched_setaffinity`` where the system has it (Linux). Where it cannot be done, the
:class:`Placement` says why instead of raising.

Introduced in notebooks/07-measuring-loopback.ipynb.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

__all__ = ["Placement", "plan_placement", "pinned"]


_PLACEMENTS = ("same", "different")


@dataclass(frozen=True)
class Placement:
    """Where the two ends of a measurement ran: the CPUs the measuring process
    (``client``) and the child (``server``) were pinned to, empty when the scheduler
    chose; ``requested`` is what was asked (None, ``"same"``, ``"different"`` or a pair
    of CPU numbers) and ``note`` says why a request could not be met.

    >>> print(Placement("different", (1,), (0,)))
    client on CPU 1, server on CPU 0 (two CPUs)

    Introduced in notebooks/07-measuring-loopback.ipynb.
    """

    requested: object = None
    client: tuple = ()
    server: tuple = ()
    note: str = ""

    @property
    def pinned(self) -> bool:
        """True when both ends were pinned to CPUs."""
        return bool(self.client and self.server)

    @property
    def same_cpu(self) -> bool:
        """True when both ends were pinned to the same single CPU."""
        return self.pinned and self.client == self.server and len(self.client) == 1

    def __str__(self) -> str:
        if not self.pinned:
            return f"not pinned: {self.note}" if self.note else \
                "not pinned: the scheduler placed both ends"
        client, server = (",".join(map(str, c)) for c in (self.client, self.server))
        text = (f"client on CPU {client}, server on CPU {server} "
                f"({'one CPU' if self.same_cpu else 'two CPUs'})")
        return f"{text}; {self.note}" if self.note else text


def plan_placement(cpus=None) -> Placement:
    """The :class:`Placement` for ``cpus``: None (no pinning), ``"same"`` (both ends on
    one CPU), ``"different"`` (client and server on two CPUs) or a pair
    ``(client_cpu, server_cpu)``. Asking for what this machine cannot do (no
    ``os.sched_setaffinity``, a single CPU) gives a Placement whose ``note`` says so.

    >>> plan_placement(None).pinned
    False
    >>> p = plan_placement("same")
    >>> p.same_cpu or not p.pinned
    True

    Introduced in notebooks/07-measuring-loopback.ipynb.
    """
    if cpus is None:
        return Placement()
    explicit = not isinstance(cpus, str)
    if explicit:
        pair = tuple(cpus)
        if len(pair) != 2 or not all(isinstance(c, int) for c in pair):
            raise ValueError(f"cpus must be None, 'same', 'different' or a pair of CPU "
                             f"numbers (client, server), not {cpus!r}")
        requested = pair
    elif cpus not in _PLACEMENTS:
        raise ValueError(f"cpus must be None, 'same', 'different' or a pair of CPU "
                         f"numbers (client, server), not {cpus!r}")
    else:
        requested = cpus
    if not hasattr(os, "sched_setaffinity"):
        return Placement(requested, note=f"{sys.platform} has no os.sched_setaffinity "
                         "(Linux has), so the scheduler placed both ends")
    allowed = sorted(os.sched_getaffinity(0))
    if explicit:
        missing = [c for c in pair if c not in allowed]
        if missing:
            raise ValueError(f"CPU {missing[0]} is not available to this process "
                             f"(available: {', '.join(map(str, allowed))})")
        return Placement(requested, (pair[0],), (pair[1],))
    last = allowed[-1]   # away from CPU 0, which often takes more interrupts
    if cpus == "same":
        return Placement(requested, (last,), (last,))
    if len(allowed) < 2:
        return Placement(requested, (last,), (last,),
                         note=f"only CPU {last} is available to this process: "
                              "both ends share it")
    return Placement(requested, (last,), (allowed[-2],))


@contextmanager
def pinned(cpus: tuple) -> Iterator[bool]:
    """Run the calling thread on ``cpus`` inside the block, then restore its CPUs; an
    empty ``cpus`` changes nothing. Yields whether the pinning took effect.

    Introduced in notebooks/07-measuring-loopback.ipynb.
    """
    if not cpus or not hasattr(os, "sched_setaffinity"):
        yield False
        return
    before = os.sched_getaffinity(0)
    try:
        os.sched_setaffinity(0, cpus)
    except OSError:
        yield False
        return
    try:
        yield True
    finally:
        os.sched_setaffinity(0, before)


def _pin_self(cpus: tuple) -> None:
    if cpus and hasattr(os, "sched_setaffinity"):
        try:
            os.sched_setaffinity(0, cpus)
        except OSError:
            pass

