"""Reading a learner's pair of SO_REUSEPORT sockets (exercise 04.share-port): what is
wrong with their shape, their binds and their options, and which of the two the kernel
gives each of the checker's loopback connections. It inspects the sockets (it never changes
an option) and connects over loopback only: a wildcard or network address is refused first.

Introduced in exercises/04-loopback-interface-exercises.ipynb.
"""

from __future__ import annotations

import ipaddress
import select
import socket
import time
from contextlib import ExitStack

from .answers import show

_SHARE_PAIR = ('Pass your two listening sockets as a pair: check("04.share-port", '
               '(first, second)).')
SHARE_CONNECTIONS = 16   # how many connections the checker makes to the shared port


def _ask(call, *args):
    """``call(*args)``, or None when the socket refuses (closed, never bound...)."""
    try:
        return call(*args)
    except (OSError, ValueError, TypeError):
        return None


def _option(sock: socket.socket, name: str) -> bool | None:
    """Whether socket option ``SOL_SOCKET/name`` is set; None where it cannot tell."""
    number = getattr(socket, name, None)
    value = None if number is None else _ask(sock.getsockopt, socket.SOL_SOCKET, number)
    return None if value is None else bool(value)


def pair_problem(answer) -> str | None:
    if not isinstance(answer, (tuple, list)) or len(answer) != 2 or \
            not all(isinstance(s, socket.socket) for s in answer):
        return f"Got {show(answer)}. " + _SHARE_PAIR
    first, second = answer
    if first is second:
        return "Both are the same socket: sharing a port takes two."
    for role, sock in (("first", first), ("second", second)):
        if sock.fileno() == -1:
            return (f"The {role} socket is already closed. Call check(...) inside the "
                    "`with` block, while both are open.")
        if sock.family not in (socket.AF_INET, socket.AF_INET6) or \
                sock.type != socket.SOCK_STREAM:
            return f"The {role} socket is not a TCP socket over IP: use socket.socket()."
    return None


def binds_problem(first: socket.socket, second: socket.socket) -> str | None:
    """What is wrong with the two binds, or None when both listen on one loopback port."""
    if not hasattr(socket, "SO_REUSEPORT"):
        return ("This system has no SO_REUSEPORT (Windows): on Windows SO_REUSEADDR lets a "
                "second socket take a port, and SO_EXCLUSIVEADDRUSE prevents it. Try the "
                "exercise on Linux or macOS, or in WSL.")
    names = {role: _ask(sock.getsockname) for role, sock in
             (("first", first), ("second", second))}
    for role in ("first", "second"):
        sock = first if role == "first" else second
        if not names[role] or not names[role][1]:
            if _option(sock, "SO_REUSEADDR") and not _option(sock, "SO_REUSEPORT"):
                return (f"The {role} socket set SO_REUSEADDR. On Linux that lets a socket "
                        "bind a port that old connections still hold, not share it with "
                        "a listener: which option shares a port?")
            if role == "second" and _option(first, "SO_REUSEPORT") is False:
                return ("The second socket is not bound: its bind() failed (the 💥 line "
                        "says how). socket(7): every socket that shares the port must "
                        "set SO_REUSEPORT before bind(), the first one too.")
            if role == "second" and names["first"] and names["first"][1] and \
                    _option(second, "SO_REUSEPORT") is False:
                return ("The second socket is not bound: its bind() failed (the 💥 line "
                        "says how), because the first socket holds that port. socket(7): "
                        "every socket that shares the port must set SO_REUSEPORT before "
                        "bind(), the second one too.")
            return (f"The {role} socket is not bound yet (or its bind() failed: the 💥 "
                    "line says how). Give it an address and a port with bind().")
        address = ipaddress.ip_address(str(names[role][0]).split("%", 1)[0])
        address = getattr(address, "ipv4_mapped", None) or address
        if not address.is_loopback:
            return (f"The {role} socket is bound to {names[role][0]}: that listens beyond "
                    "loopback, where other machines could connect. Keep this exercise on "
                    "127.0.0.1 (or ::1): the lesson ran its 0.0.0.0 case in a namespace.")
    if names["first"][:2] != names["second"][:2]:
        return ("Both are bound, but not to one address and port: the first to "
                f"{names['first'][0]} port {names['first'][1]}, the second to "
                f"{names['second'][0]} port {names['second'][1]}. Bind the second to "
                "exactly what first.getsockname() returns.")
    for role, sock in (("first", first), ("second", second)):
        if _option(sock, "SO_REUSEPORT") is False:
            return (f"The {role} socket did not set SO_REUSEPORT. socket(7): every socket "
                    "that shares the port must set it, before bind().")
        if _option(sock, "SO_ACCEPTCONN") is False:
            return (f"The {role} socket is bound but not listening: call listen() on it.")
    return None


def spread(first: socket.socket, second: socket.socket, count: int) -> tuple[int, int, str]:
    """Connect ``count`` clients to the shared loopback port; accept what each listener
    got. Returns (to first, to second, a problem or "")."""
    host, port = first.getsockname()[:2]
    got = [0, 0]
    with ExitStack() as stack:
        for _ in range(count):
            client = stack.enter_context(socket.socket(first.family, socket.SOCK_STREAM))
            client.settimeout(2)
            try:
                client.connect((host, port))
            except OSError as exc:
                return 0, 0, f"a client could not connect to your port: {exc}"
        deadline = time.monotonic() + 2
        while sum(got) < count and (left := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([first, second], [], [], left)
            for sock in ready:
                try:
                    conn, _ = sock.accept()
                except OSError:
                    continue
                conn.close()
                got[0 if sock is first else 1] += 1
    return got[0], got[1], ""
