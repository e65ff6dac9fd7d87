"""Where the course may listen: the one guard every socket it binds for listening passes.

The rule, applied before anything is bound:

- a loopback address (127.0.0.0/8, ``::1``) always: nothing beyond this machine can
  reach it;
- any other address (``0.0.0.0``, ``::``, a LAN address) only inside a network
  namespace the course made itself (it has no real network: only ``lo`` and the lab's
  veth pairs), or with an explicit ``expose=True``, which is reported: an
  :class:`ExposureWarning` when the socket is bound, and an :class:`Exposure` (how long,
  which port) from the listener afterwards;
- ``""`` (which ``socket.bind`` reads as every interface) and host names are refused:
  the address is written out, so the code says what it binds.

The course marks the processes it runs inside its own namespaces with
``LOOPEDU_NETNS=net:[INODE]``, the identity of that namespace
(``readlink /proc/self/ns/net``); :func:`in_course_namespace` compares it with the
namespace the process is really in, so the mark cannot follow a process out of it.

Introduced in notebooks/03-bind-address.ipynb.
"""

from __future__ import annotations

import ipaddress
import os
import time
import warnings
from dataclasses import dataclass

from .addresses import is_loopback

__all__ = ["NETNS_MARK", "Exposure", "ExposureWarning", "check_listen", "may_listen",
           "in_course_namespace", "netns_identity"]

#: The environment variable that marks a process the course runs inside its own network
#: namespace; its value is that namespace's identity (:func:`netns_identity`).
NETNS_MARK = "LOOPEDU_NETNS"


class ExposureWarning(UserWarning):
    """A listener is about to be reachable from the network because ``expose=True``."""


@dataclass(frozen=True)
class Exposure:
    """A listener that other machines could have reached: bound beyond loopback (on
    0.0.0.0, ``::`` or a network address) on a real interface, for ``ms`` milliseconds.

    >>> print(Exposure("0.0.0.0", 41234, 3.2))
    the listener on 0.0.0.0 was reachable from the network for 3 ms on port 41234

    Introduced in notebooks/03-bind-address.ipynb.
    """

    address: str
    port: int
    ms: float

    def __str__(self) -> str:
        return (f"the listener on {self.address} was reachable from the network for "
                f"{self.ms:.0f} ms on port {self.port}")

    @classmethod
    def since(cls, address: str, port: int, opened: float,
              closed: float | None) -> Exposure | None:
        """The exposure of a listener on ``address`` open from ``opened`` to ``closed``
        (``time.monotonic()``; None: still open); None on a loopback address and inside
        a namespace the course made."""
        if is_loopback(address.split("%")[0]) or in_course_namespace():
            return None
        end = closed if closed is not None else time.monotonic()
        return cls(address, port, (end - opened) * 1000)


def netns_identity(pid: int | str = "self") -> str | None:
    """The identity of the network namespace process ``pid`` is in (``net:[4026531840]``),
    None where it cannot be read (not Linux, or another user's process).

    Introduced in notebooks/03-bind-address.ipynb.
    """
    try:
        return os.readlink(f"/proc/{pid}/ns/net")
    except OSError:
        return None


def in_course_namespace() -> bool:
    """True when this process runs inside a network namespace the course made (marked
    with :data:`NETNS_MARK`, and the mark names the namespace it is really in).

    >>> in_course_namespace()   # a notebook's kernel runs on the machine's own network
    False

    Introduced in notebooks/03-bind-address.ipynb.
    """
    mark = os.environ.get(NETNS_MARK)
    return bool(mark) and mark == netns_identity()


def _plain(address) -> str:
    if not isinstance(address, str):
        raise TypeError(f"a listen address is a string such as '127.0.0.1', "
                        f"not {type(address).__name__}")
    return address.split("%", 1)[0]


def may_listen(address: str, expose: bool = False) -> bool:
    """Whether :func:`check_listen` lets the course listen on ``address`` (an IP
    address): loopback, inside the course's namespaces, or with ``expose=True``.
    Experiments use it to mark a case "not run" instead of failing.

    >>> may_listen("127.0.0.2"), may_listen("0.0.0.0"), may_listen("0.0.0.0", expose=True)
    (True, False, True)

    Introduced in notebooks/03-bind-address.ipynb.
    """
    bare = _plain(address)
    try:
        ipaddress.ip_address(bare)
    except ValueError:
        return False
    return expose or is_loopback(bare) or in_course_namespace()


def check_listen(address: str, expose: bool = False, *, what: str = "the server",
                 name: str = "host") -> bool:
    """Decide whether the course may listen on ``address``; call it before binding.

    Returns True when the listener will be reachable from the network (``expose=True``,
    an address beyond loopback, outside the course's namespaces), after warning with an
    :class:`ExposureWarning`; False when it is not. Raises ValueError, before anything is
    bound, for an address that is not an IP address (``name`` names the argument) and
    for one beyond loopback without ``expose=True`` outside the course's namespaces
    (``what`` says what would be reachable).

    >>> check_listen("127.0.0.1"), check_listen("::1")
    (False, False)
    >>> check_listen("0.0.0.0")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ValueError: 0.0.0.0 is not a loopback address: the server would be reachable ...

    Introduced in notebooks/03-bind-address.ipynb.
    """
    bare = _plain(address)
    if bare == "":
        raise ValueError(f"{name} '' is not a loopback address: it means every interface, "
                         "like 0.0.0.0. Write the address out: 127.0.0.1 (or ::1) for this "
                         "machine only")
    try:
        ipaddress.ip_address(bare)
    except ValueError:
        raise ValueError(f"{name} must be an IP address such as 127.0.0.1, "
                         f"not {address!r}") from None
    if is_loopback(bare) or in_course_namespace():
        return False
    if not expose:
        raise ValueError(f"{address} is not a loopback address: {what} would be reachable "
                         "from the network. Use 127.0.0.1 (or ::1); the lessons run such "
                         "experiments in a network namespace of their own, or pass "
                         "expose=True to listen there briefly on purpose")
    warnings.warn_explicit(
        f"{what} listens on {address}, reachable from the network until it is closed "
        "(expose=True)", ExposureWarning, __file__, 0, registry=None)
    return True
