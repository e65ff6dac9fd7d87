"""Lesson 03's "03.serve-local": the learner's own listening socket, probed with real
connects from the course.

The learner writes ``serve()``, which returns a TCP socket listening on port 0. The check
calls it, connects to 127.0.0.1 and to another address of this machine at the port the
socket got, closes the socket, and says what each connect did. The other address is
this machine's first LAN address (:func:`loopedu.lan.own_networks`), else 127.0.0.2
where loopback has the whole of 127/8 (:func:`loopedu.sandbox.capabilities`), else none
(macOS with no network: then only the socket's own address can be read).

Introduced in notebooks/03-bind-address.ipynb (exercise 03.serve-local).
"""

from __future__ import annotations

import errno
import socket

from ..lan import own_networks
from ..sandbox import capabilities
from .answers import show
from .deadline import Hung, call_with_deadline
from .framework import Feedback
from .lesson00 import _ip, _listening
from .port_range import fixed_port_reason

#: Seconds serve() may take; a listening socket takes microseconds to make.
SERVE_LIMIT = 5.0
_GIVE_FUNCTION = ('Give your function itself, without calling it: check("03.serve-local", '
                  "serve). The check calls it, connects, and closes the socket.")


def other_address() -> tuple[str, str]:
    """``(address, what it is)``: the address a connection to must be refused; ``("",
    why)`` where this machine has none besides 127.0.0.1.

    Introduced in notebooks/03-bind-address.ipynb (exercise 03.serve-local).
    """
    networks = own_networks()
    if networks:
        nic, address = networks[0]
        return address, f"this machine's address on {nic}"
    whole = capabilities().whole_127_range
    if whole:
        return "127.0.0.2", "another loopback address (this machine has no LAN address)"
    return "", f"this machine has no other address ({whole.reason})"


def serve_task() -> str:
    """The task of "03.serve-local", in this machine's addresses.

    Introduced in notebooks/03-bind-address.ipynb (exercise 03.serve-local).
    """
    other, what = other_address()
    refused = (f"A connection to {other}, {what}, must be refused." if other else
               f"There is no second address to try: {what}.")
    return ("serve() returns a TCP socket, listening on a port the kernel picks.\n"
            "A connection to 127.0.0.1 at that port must succeed.\n" + refused)


def reach(address: str, port: int, timeout: float = 1.0) -> str:
    """One plain connect: ``"connected"``, ``"refused"``, another errno name, or
    ``"timeout"``. The connection is closed at once.

    Introduced in notebooks/03-bind-address.ipynb (exercise 03.serve-local).
    """
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as client:
        client.settimeout(timeout)
        try:
            code = client.connect_ex((address, port))
        except OSError as exc:  # timeout, or an address this family cannot take
            return "timeout" if isinstance(exc, TimeoutError) else \
                errno.errorcode.get(exc.errno or 0, str(exc))
    if code == errno.ECONNREFUSED:
        return "refused"
    return "connected" if code == 0 else errno.errorcode.get(code, str(code))


def _shape_problem(sock) -> str | None:
    if sock is None:
        return ("serve() returned None. End it with `return server`: the check needs the "
                "listening socket itself.")
    if not isinstance(sock, socket.socket):
        return f"serve() returned {show(sock)}, not a socket made with socket.socket()."
    if sock.fileno() == -1:
        return ("serve() returned a closed socket: a `with` block closes it on the way "
                "out. Make it without `with`, and return it open.")
    if sock.family not in (socket.AF_INET, socket.AF_INET6) or sock.type != socket.SOCK_STREAM:
        return "That is not a TCP socket: make it with socket.socket() (AF_INET, SOCK_STREAM)."
    name = sock.getsockname()
    if not name[1]:
        return ("The socket is not bound: it has no address and no port yet. Call "
                "bind((address, 0)) before listen().")
    if _listening(sock) is False:
        return (f"The socket is bound to {name[0]} port {name[1]} but does not listen, so "
                "every connect is refused. Call listen() after bind().")
    return None


def _verdict(bound: str, port: int, other: str, to_loop: str, to_other: str | None):
    address = _ip(bound)
    said = f"127.0.0.1 {to_loop}" + (f", {other} {to_other}" if other else "")
    if address is not None and address.is_unspecified:
        return Feedback(False, (
            f"Your server is bound to {bound}, the unspecified address ({said}). In bind() "
            f"it means every address of this machine, so {other or 'every address'} "
            "answers too. Bind the one address this machine's own programs use."))
    if to_loop != "connected":
        families = (" ::1 is IPv6 loopback, and a client to 127.0.0.1 is IPv4: families "
                    "do not mix." if address is not None and address.version == 6 else "")
        return Feedback(False, (
            f"Your server is bound to {bound} ({said}). A listener answers only "
            f"connections addressed to the address it bound.{families}"))
    if other and to_other == "connected":
        return Feedback(False, (
            f"Your server is bound to {bound} ({said}). It should refuse {other}: which "
            "bind answers 127.0.0.1 and nothing else?"))
    if not other and (address is None or not address.is_loopback):
        return Feedback(False, (
            f"Your server is bound to {bound}, not to loopback: other machines could "
            "connect to it."))
    fixed = fixed_port_reason(port)
    if fixed:
        return Feedback(False, (
            f"Your server on {bound} answers the right addresses, but its {fixed}. Bind "
            "port 0 and read the port with getsockname()."))
    return Feedback(True, (
        f"Right: your server on {bound} port {port} answered 127.0.0.1"
        + (" and refused the other address" if other else "")
        + ". A listener answers only the address it bound: programs on this machine "
          "reach it, the phone on your Wi-Fi does not."))


def check_serve(answer) -> Feedback:
    """The check of "03.serve-local" (registered in lesson03.py)."""
    if isinstance(answer, socket.socket) or not callable(answer):
        return Feedback(False, _GIVE_FUNCTION)
    try:
        sock = call_with_deadline(answer, seconds=SERVE_LIMIT,
                                  thread_name="loopedu-serve-local")
    except Hung:
        return Feedback(False, (
            f"serve() did not return within {SERVE_LIMIT:.0f} s. Does it call accept()? "
            "Return the socket right after listen(): the check connects by itself."))
    except OSError as exc:
        name = errno.errorcode.get(exc.errno or 0, type(exc).__name__)
        return Feedback(False, f"serve() raised {name}: {exc}. The error says which call "
                               "failed; bind((address, 0)) takes an address this machine has.")
    except Exception as exc:  # the learner's code, any bug
        return Feedback(False, f"serve() raised {type(exc).__name__}: {exc}")
    try:
        problem = _shape_problem(sock)
        if problem:
            return Feedback(False, problem)
        bound, port = sock.getsockname()[:2]
        other, _ = other_address()
        to_loop = reach("127.0.0.1", port)
        to_other = reach(other, port) if other else None
        return _verdict(bound, port, other, to_loop, to_other)
    finally:
        if isinstance(sock, socket.socket):
            sock.close()
