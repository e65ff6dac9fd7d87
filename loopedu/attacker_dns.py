"""The answers of a DNS rebinding attacker's name server, given inside this process
while a check runs a learner's function, so that the check means the same online and
offline (lesson 08's 08.fix-host).

A Host check that looks the name up and serves it when the answer is loopback is a
tempting defence, and DNS rebinding defeats it: once rebound, the attacker's name does
resolve to 127.0.0.1. On a machine without DNS the attacker's names resolve to nothing,
so such a check would pass there. :func:`rebound_dns` puts a resolver in place of
``socket.getaddrinfo``, ``gethostbyname`` and ``gethostbyname_ex`` that answers the
threads marked with :func:`asking` from a table of names (the rebound ones: 127.0.0.1),
reads a literal address itself, and finds no other name: no query leaves the machine.
Every other thread keeps the resolver it had, which is put back on exit, whatever
happened.

Introduced in notebooks/08-when-loopback-leaks.ipynb.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Callable

__all__ = ["asking", "rebound_dns", "resolve"]

#: The threads running a learner's function now (:func:`asking`): only they meet the
#: attacker's answers while :func:`rebound_dns` is in place.
_ASKING: set[int] = set()
_LOCK = threading.Lock()


@contextmanager
def asking() -> Iterator[None]:
    """Mark the current thread, for the ``with`` block, as one that meets the attacker's
    answers (while :func:`rebound_dns` is in place; outside it, nothing changes).

    Introduced in notebooks/08-when-loopback-leaks.ipynb.
    """
    ident = threading.get_ident()
    _ASKING.add(ident)
    try:
        yield
    finally:
        _ASKING.discard(ident)


def resolve(real: Callable, names: Mapping[str, tuple[str, ...]], host, port,
            family=0, type=0, proto=0, flags=0) -> list:
    """``getaddrinfo`` as the attacker's DNS answers, asking nothing of the network: a
    literal address (or None) is read by ``real`` with AI_NUMERICHOST; a name of
    ``names`` (lower case, no trailing dot) gets its addresses; any other name is not
    found (``socket.gaierror``).

    >>> names = {"attacker.example": ("127.0.0.1",)}
    >>> [info[4][0] for info in resolve(socket.getaddrinfo, names, "Attacker.Example.",
    ...                                 80, socket.AF_INET, socket.SOCK_STREAM)]
    ['127.0.0.1']

    Introduced in notebooks/08-when-loopback-leaks.ipynb.
    """
    text = host.decode() if isinstance(host, bytes) else host
    numeric = flags | socket.AI_NUMERICHOST
    if text is None:
        return real(host, port, family, type, proto, numeric)
    try:
        ipaddress.ip_address(str(text).split("%", 1)[0])
    except ValueError:
        pass
    else:
        return real(host, port, family, type, proto, numeric)
    found = []
    for address in names.get(str(text).rstrip(".").casefold(), ()):
        try:
            found += real(address, port, family, type, proto, numeric)
        except socket.gaierror:
            continue  # another family than the one asked for
    if not found:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    return found


@contextmanager
def rebound_dns(names: Mapping[str, tuple[str, ...]]) -> Iterator[None]:
    """While in place, the threads marked with :func:`asking` that look a name up get
    :func:`resolve`'s answers from ``socket.getaddrinfo``, ``gethostbyname`` and
    ``gethostbyname_ex``; every other thread gets what it got before. The resolver is
    put back on exit, also after an error.

    Introduced in notebooks/08-when-loopback-leaks.ipynb.
    """
    with _LOCK:
        real = (socket.getaddrinfo, socket.gethostbyname, socket.gethostbyname_ex)

        def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
            if threading.get_ident() not in _ASKING:
                return real[0](host, port, family, type, proto, flags)
            return resolve(real[0], names, host, port, family, type, proto, flags)

        def ipv4_of(name) -> list[str]:
            infos = resolve(real[0], names, name, None, socket.AF_INET)
            return list(dict.fromkeys(info[4][0] for info in infos))

        def gethostbyname(name):
            if threading.get_ident() not in _ASKING:
                return real[1](name)
            return ipv4_of(name)[0]

        def gethostbyname_ex(name):
            if threading.get_ident() not in _ASKING:
                return real[2](name)
            return name, [], ipv4_of(name)

        socket.getaddrinfo, socket.gethostbyname, socket.gethostbyname_ex = (
            getaddrinfo, gethostbyname, gethostbyname_ex)
        try:
            yield
        finally:
            socket.getaddrinfo, socket.gethostbyname, socket.gethostbyname_ex = real
