"""A short fingerprint of the machine a prediction was made on: what decides how the
course's experiments come out here.

Introduced in notebooks/00-start-here.ipynb.

Kept with every prediction (and every reveal) in the learner's progress file, so an
instructor reading the class's answers sees which machines they came from: the
platform, root or not, IPv6 on ``lo``, whether network namespaces can be made, glibc's
``multi`` setting (host.conf) and what ``localhost`` resolves to. It is measured once per
process (a notebook's kernel) from :func:`loopedu.sandbox.capabilities` and
:mod:`loopedu.localhost`; :func:`forget_fingerprint` measures again on the next call.
"""

from __future__ import annotations

import platform
import threading
from dataclasses import dataclass
from typing import Any

__all__ = ["Fingerprint", "fingerprint", "forget_fingerprint"]


@dataclass(frozen=True)
class Fingerprint:
    """What :func:`fingerprint` measured. ``glibc_multi`` is None where the C library
    is not glibc; ``localhost`` lists the addresses ``getaddrinfo("localhost")`` gave, in
    order, each once; ``problem`` says what could not be measured (else ``""``)."""

    platform: str
    root: bool | None
    ipv6_loopback: bool | None
    network_namespaces: bool | None
    glibc_multi: bool | None
    localhost: tuple[str, ...]
    problem: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain data, as the progress file keeps it."""
        data = {"platform": self.platform, "root": self.root,
                "ipv6_loopback": self.ipv6_loopback,
                "network_namespaces": self.network_namespaces,
                "glibc_multi": self.glibc_multi, "localhost": list(self.localhost)}
        if self.problem:
            data["problem"] = self.problem
        return data

    def __str__(self) -> str:
        def yes(value, words):
            return f"{words} unknown" if value is None else \
                (words if value else f"no {words}")
        multi = "" if self.glibc_multi is None else \
            f", glibc multi {'on' if self.glibc_multi else 'off'}"
        return (f"{self.platform}, {'root' if self.root else 'not root'}, "
                f"{yes(self.ipv6_loopback, 'IPv6 on lo')}, "
                f"{yes(self.network_namespaces, 'namespaces')}{multi}, localhost -> "
                + (", ".join(self.localhost) or "nothing"))


def _measure() -> Fingerprint:
    problems = []
    try:
        from ..sandbox import capabilities

        caps = capabilities()
        where = f"{caps.platform} {caps.platform_release}".strip()
        root, ipv6 = caps.root, caps.ipv6_loopback.available
        netns = caps.network_namespaces.available
    except Exception as exc:  # a fingerprint must never break a lesson
        where = f"{platform.system()} {platform.release()}".strip()
        root = ipv6 = netns = None
        problems.append(f"capabilities: {type(exc).__name__}: {exc}")
    multi, resolved = None, ()
    try:
        from ..localhost import addresses_of, multi_here

        if platform.system() == "Linux" and platform.libc_ver()[0] == "glibc":
            multi = multi_here()
        resolved = tuple(dict.fromkeys(addresses_of("localhost")))
    except Exception as exc:
        problems.append(f"localhost: {type(exc).__name__}: {exc}")
    return Fingerprint(where, root, ipv6, netns, multi, resolved, "; ".join(problems))


_lock = threading.Lock()
_measured: list[Fingerprint] = []


def fingerprint() -> Fingerprint:
    """This machine's :class:`Fingerprint`, measured on the first call, then remembered.

    >>> fingerprint() is fingerprint()
    True

    Introduced in notebooks/00-start-here.ipynb.
    """
    with _lock:
        if not _measured:
            _measured.append(_measure())
        return _measured[0]


def forget_fingerprint() -> None:
    """Measure again at the next :func:`fingerprint` (tests; a machine that changed).

    Introduced in notebooks/00-start-here.ipynb.
    """
    with _lock:
        _measured.clear()
