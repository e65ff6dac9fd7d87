"""The SSH tunnel idea without SSH: a port forwarder that listens on loopback.

``ssh -L 5432:127.0.0.1:5432 server`` listens on the laptop's 127.0.0.1:5432 and relays
every connection it accepts to 127.0.0.1:5432 as ``server`` sees it; Docker's
docker-proxy does the same for ``docker run -p 127.0.0.1:8080:80``, from the host's
127.0.0.1:8080 to the container's address. :func:`forward` is that relay: it listens on
an ephemeral port of a loopback address and copies bytes both ways, passing on a
half-close (``shutdown(SHUT_WR)``) when one side has finished sending. It counts
connections and bytes each way and records what happened to each connection.

When the target refuses, the client's connect has already succeeded (the forwarder
accepted it); the forwarder then resets the client (``SO_LINGER`` 0 and close send an
RST), so the client sees ``ECONNRESET``. docker-proxy (moby/moby,
cmd/docker-proxy/tcp_proxy_linux.go, ``clientLoop``) dials the backend and, when that
fails, logs "Can't forward traffic to backend" and closes the client connection; Linux
answers a close with unread bytes by a reset (observed), so a client that sent its
request at once (curl does) sees "connection reset by peer", and one that sent nothing
sees the connection closed. ``on_refused="close"`` reproduces that plain close.

The course's rules hold: the forwarder listens on loopback unless ``expose=True``, and
relays only to loopback and the lab ranges (:func:`loopedu.connections.is_lab_safe`).
One thread serves every connection; leaving the ``with`` block closes every socket and
joins that thread, even after an exception or a KeyboardInterrupt.

Introduced in notebooks/06-loopback-at-work.ipynb.
"""

from __future__ import annotations

import errno
import os
import selectors
import socket
import struct
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import Enum
from typing import Iterator

from .connections import Kind, Outcome, errno_name, family_of, hostport, is_lab_safe, lab_socket
from .listen_guard import Exposure, check_listen
from .servers import _RESOURCE_ERRORS

__all__ = ["Ending", "Relayed", "Forwarder", "forward", "Exchange", "exchange",
           "ON_REFUSED"]

#: What the forwarder does to a client whose target could not be reached.
ON_REFUSED = ("reset", "close")
_CHUNK = 65536
_HIGH_WATER = 256 * 1024  # stop reading a side while this much waits for the other
_IN_PROGRESS = {errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EAGAIN, errno.EALREADY}
_LINGER_RESET = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() sends an RST


class Ending(Enum):
    """How one relayed connection ended.

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """

    CLOSED = "both sides closed"
    RESET_CLIENT = "target not reached, client reset"
    CLOSED_CLIENT = "target not reached, client closed"
    CLIENT_RESET = "client reset the connection"
    TARGET_RESET = "target reset the connection"
    STOPPED = "forwarder stopped"


@dataclass(frozen=True)
class Relayed:
    """One connection the forwarder accepted: the client as the forwarder saw it, the
    outcome of the forwarder's own connection to the target, the bytes relayed each
    way and how it ended.

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """

    client: tuple
    upstream: Outcome
    to_target: int
    to_client: int
    ended: Ending

    def __str__(self) -> str:
        return (f"client {self.client[0]}:{self.client[1]}: target {self.upstream}, "
                f"{self.to_target} B to the target, {self.to_client} B back, "
                f"{self.ended.value}")


class _Pipe:
    """One connection being relayed. Side 0 is the client, side 1 the target; bufs[i]
    holds the bytes waiting to be written to side i."""

    def __init__(self, client: socket.socket, peer: tuple):
        self.socks: list = [client, None]
        self.peer = peer
        self.bufs = [bytearray(), bytearray()]
        self.eof = [False, False]    # side i has sent its FIN
        self.shut = [False, False]   # we have passed that FIN on (SHUT_WR to side i)
        self.sent = [0, 0]
        self.upstream: Outcome | None = None
        self.deadline = 0.0


@dataclass(eq=False)
class Forwarder:
    """A running forwarder (see :func:`forward`): where it listens, where it relays to,
    and what it relayed so far.

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """

    listen: str
    port: int
    target: tuple
    on_refused: str = "reset"
    connect_timeout: float = 2.0
    opened: float = field(default_factory=time.monotonic)
    closed: float | None = None
    _done: list = field(default_factory=list, repr=False)
    _accepted: int = field(default=0, repr=False)
    _bytes: list = field(default_factory=lambda: [0, 0], repr=False)
    _cond: threading.Condition = field(default_factory=threading.Condition, repr=False)
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)

    def __str__(self) -> str:
        return f"{hostport(self.listen, self.port)} -> {hostport(*self.target)}"

    @property
    def address(self) -> tuple:
        """The (host, port) a client connects to."""
        return (self.listen, self.port)

    @property
    def accepted(self) -> int:
        """How many connections the forwarder accepted."""
        with self._cond:
            return self._accepted

    @property
    def connections(self) -> tuple:
        """A :class:`Relayed` for every connection that has ended, in order."""
        with self._cond:
            return tuple(self._done)

    @property
    def bytes_to_target(self) -> int:
        """Bytes relayed from clients to the target."""
        with self._cond:
            return self._bytes[1]

    @property
    def bytes_to_client(self) -> int:
        """Bytes relayed from the target back to clients."""
        with self._cond:
            return self._bytes[0]

    def wait_for(self, count: int = 1, timeout: float = 2.0) -> tuple:
        """Wait until ``count`` connections have ended (readiness, not sleep-and-hope);
        returns :attr:`connections`."""
        with self._cond:
            self._cond.wait_for(lambda: len(self._done) >= count, timeout=timeout)
            return tuple(self._done)

    def exposure(self) -> Exposure | None:
        """How long this forwarder was reachable beyond loopback (None if never)."""
        return Exposure.since(self.listen, self.port, self.opened, self.closed)

    # ---- the relay thread ----

    def _run(self, sel: selectors.BaseSelector, lsock: socket.socket) -> None:
        pipes: set = set()
        try:
            while not self._stop.is_set():
                for key, mask in sel.select(timeout=0.05):
                    if key.data is None:
                        self._accept(sel, lsock, pipes)
                    elif key.data[0] in pipes:
                        self._service(sel, pipes, *key.data, mask)
                now = time.monotonic()
                for pipe in [p for p in pipes if p.upstream is None and now > p.deadline]:
                    self._unreached(sel, pipes, pipe, Outcome(Kind.TIMEOUT))
        finally:
            for pipe in list(pipes):
                self._finish(sel, pipes, pipe, Ending.STOPPED)

    def _accept(self, sel, lsock: socket.socket, pipes: set) -> None:
        try:
            conn, peer = lsock.accept()
        except BlockingIOError:
            return
        except OSError as exc:
            if exc.errno in _RESOURCE_ERRORS:  # wait for a free descriptor
                self._stop.wait(0.05)
            return
        conn.setblocking(False)
        pipe = _Pipe(conn, tuple(peer[:2]))
        pipes.add(pipe)
        with self._cond:
            self._accepted += 1
        try:
            up = socket.socket(family_of(self.target[0]), socket.SOCK_STREAM)
        except OSError as exc:
            self._unreached(sel, pipes, pipe, Outcome.of_error(exc))
            return
        pipe.socks[1] = up
        up.setblocking(False)
        code = up.connect_ex(self.target)
        if code == 0:
            self._connected(sel, pipes, pipe)
        elif code in _IN_PROGRESS:
            pipe.deadline = time.monotonic() + self.connect_timeout
            sel.register(up, selectors.EVENT_WRITE, (pipe, 1))
        else:
            self._unreached(sel, pipes, pipe, _outcome(code))

    def _connected(self, sel, pipes: set, pipe: _Pipe) -> None:
        pipe.upstream = Outcome(Kind.CONNECTED)
        self._settle(sel, pipes, pipe)

    def _service(self, sel, pipes: set, pipe: _Pipe, side: int, mask: int) -> None:
        sock = pipe.socks[side]
        if pipe.upstream is None:  # the connection to the target has completed
            code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if code:
                self._unreached(sel, pipes, pipe, _outcome(code))
            else:
                self._connected(sel, pipes, pipe)
            return
        reset = (Ending.CLIENT_RESET, Ending.TARGET_RESET)[side]
        try:
            if mask & selectors.EVENT_WRITE and pipe.bufs[side]:
                sent = sock.send(pipe.bufs[side])
                del pipe.bufs[side][:sent]
                pipe.sent[side] += sent
                with self._cond:
                    self._bytes[side] += sent
            if mask & selectors.EVENT_READ:
                data = sock.recv(_CHUNK)
                if data:
                    pipe.bufs[1 - side] += data
                else:
                    pipe.eof[side] = True
        except (BlockingIOError, InterruptedError):
            pass
        except OSError:  # ECONNRESET, EPIPE: that side is gone; reset the other one
            self._finish(sel, pipes, pipe, reset, reset_side=1 - side)
            return
        self._settle(sel, pipes, pipe)

    def _settle(self, sel, pipes: set, pipe: _Pipe) -> None:
        """Pass on half-closes, finish when both directions are done, and register the
        events each side waits for."""
        for side in (0, 1):
            if pipe.eof[1 - side] and not pipe.bufs[side] and not pipe.shut[side]:
                try:
                    pipe.socks[side].shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                pipe.shut[side] = True
        if all(pipe.shut):
            self._finish(sel, pipes, pipe, Ending.CLOSED)
            return
        for side in (0, 1):
            events = 0
            if not pipe.eof[side] and len(pipe.bufs[1 - side]) < _HIGH_WATER:
                events |= selectors.EVENT_READ
            if pipe.bufs[side]:
                events |= selectors.EVENT_WRITE
            _want(sel, pipe.socks[side], events, (pipe, side))

    def _unreached(self, sel, pipes: set, pipe: _Pipe, outcome: Outcome) -> None:
        pipe.upstream = outcome
        ending = Ending.RESET_CLIENT if self.on_refused == "reset" else Ending.CLOSED_CLIENT
        self._finish(sel, pipes, pipe, ending,
                     reset_side=0 if ending is Ending.RESET_CLIENT else None)

    def _finish(self, sel, pipes: set, pipe: _Pipe, ending: Ending,
                reset_side: int | None = None) -> None:
        pipes.discard(pipe)
        for side, sock in enumerate(pipe.socks):
            if sock is not None:
                _close(sel, sock, reset=side == reset_side)
        upstream = pipe.upstream or Outcome(Kind.FAILED, "ECANCELED")
        with self._cond:
            self._done.append(Relayed(pipe.peer, upstream, pipe.sent[1], pipe.sent[0],
                                      ending))
            self._cond.notify_all()


def _outcome(code: int) -> Outcome:
    """The outcome of a connect that failed with errno ``code``."""
    return Outcome.of_error(OSError(code, os.strerror(code)))


def _want(sel, sock: socket.socket, events: int, data) -> None:
    try:
        key = sel.get_key(sock)
    except KeyError:
        if events:
            sel.register(sock, events, data)
        return
    if not events:
        sel.unregister(sock)
    elif key.events != events:
        sel.modify(sock, events, data)


def _close(sel, sock: socket.socket, reset: bool = False) -> None:
    try:
        sel.unregister(sock)
    except (KeyError, ValueError):
        pass
    if reset:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
        except OSError:
            pass
    sock.close()


@contextmanager
def forward(target_host: str, target_port: int, listen: str = "127.0.0.1", *,
            expose: bool = False, on_refused: str = "reset",
            connect_timeout: float = 2.0) -> Iterator[Forwarder]:
    """Listen on an ephemeral port of ``listen`` and relay every connection to
    (``target_host``, ``target_port``), like ``ssh -L`` or docker-proxy; close every
    socket and join the relay thread on exit.

    Raises ValueError for a ``listen`` address beyond loopback (unless ``expose=True``)
    and for a target outside loopback and the lab ranges.

    >>> from loopedu.servers import echo_server
    >>> with echo_server() as srv, forward(*srv.address) as fwd:
    ...     print(exchange(*fwd.address))
    connected, reply b'ping'

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """
    check_listen(listen, expose, what="a forwarder there", name="listen")
    if not is_lab_safe(target_host):
        raise ValueError(f"{target_host} is neither loopback nor a lab address: the "
                         "forwarder only relays to this machine and to the namespaces "
                         "the course makes")
    if not 0 < int(target_port) < 65536:
        raise ValueError(f"target_port must be 1-65535, not {target_port}")
    if on_refused not in ON_REFUSED:
        raise ValueError(f"on_refused must be one of {', '.join(ON_REFUSED)}, "
                         f"not {on_refused!r}")
    lsock = socket.socket(family_of(listen), socket.SOCK_STREAM)
    sel = selectors.DefaultSelector()
    thread = None
    try:
        lsock.bind((listen, 0))
        lsock.listen(64)
        lsock.setblocking(False)
        sel.register(lsock, selectors.EVENT_READ, None)
        fwd = Forwarder(listen, lsock.getsockname()[1], (target_host, int(target_port)),
                        on_refused, connect_timeout)
        thread = threading.Thread(target=fwd._run, args=(sel, lsock), daemon=True,
                                  name=f"loopedu-forwarder-{fwd.port}")
        thread.start()
        yield fwd
    finally:
        if thread is not None:
            fwd._stop.set()
            if thread.ident is not None:
                thread.join(timeout=5)
            fwd.closed = time.monotonic()
        sel.close()
        lsock.close()


# ---- a client that sends a request and says what came back ----

@dataclass(frozen=True)
class Exchange:
    """A client's request and what followed: ``connect`` is the outcome of the TCP
    connect; ``after`` is ``"reply"`` (bytes came back, then the end), ``"reset"``
    (ECONNRESET), ``"closed"`` (the end, with no reply) or ``"timeout"``; ``""`` when
    the connect failed.

    >>> print(Exchange(Outcome(Kind.CONNECTED), "reset"))
    connected, then reset (ECONNRESET)

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """

    connect: Outcome
    after: str = ""
    reply: bytes = b""

    @property
    def worked(self) -> bool:
        """True when the request got a reply."""
        return self.connect.connected and self.after == "reply"

    def __str__(self) -> str:
        if not self.connect.connected:
            return str(self.connect)
        return {"reply": f"connected, reply {self.reply!r}",
                "reset": "connected, then reset (ECONNRESET)",
                "closed": "connected, then closed without a reply",
                "timeout": "connected, no reply in time"}.get(self.after, "connected")


def exchange(host: str, port: int, payload: bytes = b"ping", timeout: float = 2.0
             ) -> Exchange:
    """Connect to (host, port), send ``payload``, half-close, and read until the end;
    never raises for a network outcome. Only loopback and lab addresses (ValueError
    otherwise). A reset that arrives before ``connect()`` returns (a busy machine, a
    forwarder that gave up at once) is ``connected, then reset`` too.

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """
    try:
        sock = lab_socket(host)
    except OSError as exc:
        return Exchange(Outcome.of_error(exc))
    with sock:
        sock.settimeout(timeout)
        connected, gone, reply = Outcome(Kind.CONNECTED), False, b""
        try:
            sock.connect((host, port))
        except ConnectionResetError:
            # only an established connection is reset (a closed port refuses): the
            # handshake completed, and the reset came before connect() returned
            return Exchange(connected, "reset")
        except OSError as exc:
            return Exchange(Outcome.of_error(exc))
        try:
            sock.sendall(payload)
            sock.shutdown(socket.SHUT_WR)
        except (ConnectionResetError, BrokenPipeError):
            return Exchange(connected, "reset")
        except OSError:   # ENOTCONN: the connection was already torn down
            gone = True
        try:
            while True:
                data = sock.recv(_CHUNK)
                if not data:
                    break
                reply += data
        except ConnectionResetError:
            return Exchange(connected, "reset", reply)
        except (socket.timeout, TimeoutError):
            return Exchange(connected, "timeout", reply)
        except OSError as exc:
            return Exchange(connected, f"failed: {errno_name(exc)}", reply)
        if reply:
            return Exchange(connected, "reply", reply)
        return Exchange(connected, "reset" if gone else "closed")
