"""Interface byte counters: proof that loopback traffic never reaches a network card.

:func:`counter_experiment` moves N megabytes over 127.0.0.1 and reads every interface's
counters before and after (psutil): only the loopback interface counts them.

Introduced in notebooks/04-loopback-interface.ipynb.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass

from ..connections import family_of
from ..listen_guard import check_listen

__all__ = ["MB", "interface_counters", "loopback_interface", "Counters",
           "counter_experiment", "format_counters"]

MB = 1_000_000  # megabyte as the counters' plots use it: 10**6 bytes


def interface_counters() -> dict:
    """Bytes sent and received so far, per interface: ``{nic: {"sent", "recv"}}``.

    Introduced in notebooks/04-loopback-interface.ipynb.
    """
    import psutil

    return {nic: {"sent": c.bytes_sent, "recv": c.bytes_recv}
            for nic, c in psutil.net_io_counters(pernic=True).items()}


def loopback_interface() -> str | None:
    """The name of the interface holding 127.0.0.1 (``lo`` on Linux, ``lo0`` on macOS,
    ``Loopback Pseudo-Interface 1`` on Windows), or None.

    Introduced in notebooks/04-loopback-interface.ipynb.
    """
    import psutil

    for nic, addrs in psutil.net_if_addrs().items():
        if any(a.family == socket.AF_INET and a.address == "127.0.0.1" for a in addrs):
            return nic
    return None


def _receive(server: socket.socket, received: list) -> None:
    try:
        conn, _ = server.accept()
    except OSError:
        return
    with conn:
        conn.settimeout(10)
        while data := conn.recv(1 << 20):
            received[0] += len(data)


def _move_bytes(total: int, chunk: int = 1 << 16, host: str = "127.0.0.1") -> int:
    """Send ``total`` bytes from a client to a receiver thread over ``host``; return
    what the receiver got. Both sockets closed and the thread joined, whatever happens."""
    received = [0]
    check_listen(host, what="the receiver")
    with socket.create_server((host, 0), family=family_of(host)) as server:
        server.settimeout(10)
        thread = threading.Thread(target=_receive, args=(server, received),
                                  name="loopedu-receiver", daemon=True)
        thread.start()
        try:
            with socket.create_connection(server.getsockname()[:2], timeout=10) as client:
                block = b"\0" * chunk
                for offset in range(0, total, chunk):
                    client.sendall(block[:total - offset])
                client.shutdown(socket.SHUT_WR)
                thread.join(timeout=30)  # the receiver read everything, then EOF
        finally:
            try:
                server.shutdown(socket.SHUT_RDWR)  # wakes a receiver still in accept()
            except OSError:
                pass
            thread.join(timeout=30)
    return received[0]


@dataclass(frozen=True)
class Counters:
    """What :func:`counter_experiment` saw: ``before``, ``after`` and ``delta`` map each
    interface to ``{"sent", "recv"}`` in bytes; ``loopback`` names the loopback
    interface (None if none was found); ``note`` says what this OS does not report;
    ``host`` is the address the bytes went to."""

    megabytes: float
    bytes_moved: int
    seconds: float
    loopback: str | None
    delta: dict
    before: dict
    after: dict
    note: str = ""
    host: str = "127.0.0.1"

    def grew(self, nic: str) -> int:
        """Bytes the interface counted, sent plus received."""
        d = self.delta.get(nic, {"sent": 0, "recv": 0})
        return d["sent"] + d["recv"]

    def to_dict(self) -> dict:
        """Plain data, ready for json.dumps."""
        return {"megabytes": self.megabytes, "bytes_moved": self.bytes_moved,
                "seconds": self.seconds, "loopback": self.loopback, "before": self.before,
                "after": self.after, "delta": self.delta, "note": self.note,
                "host": self.host}


def counter_experiment(megabytes: float = 10, host: str = "127.0.0.1") -> Counters:
    """Move ``megabytes`` MB (10**6 bytes) over 127.0.0.1 and read each interface's
    byte counters before and after. Loopback counts every byte twice, once sent and once
    received, so its growth is at least N MB in each column (plus TCP/IP headers and
    other programs' loopback traffic); real interfaces only show whatever else the
    machine was doing. ``host`` sends them to another address of this machine instead
    (a listener there passes :func:`loopedu.listen_guard.check_listen`: inside the
    course's namespaces, a lab address; see :mod:`loopedu.own_address`).

    >>> r = counter_experiment(1)
    >>> r.bytes_moved
    1000000

    Introduced in notebooks/04-loopback-interface.ipynb.
    """
    if megabytes <= 0:
        raise ValueError("megabytes must be positive")
    loop = loopback_interface()
    before = interface_counters()
    start = time.perf_counter()
    moved = _move_bytes(int(megabytes * MB), host=host)
    seconds = time.perf_counter() - start
    after = interface_counters()
    delta = {nic: {k: after[nic][k] - before[nic][k] for k in ("sent", "recv")}
             for nic in after if nic in before}
    note = ""
    if loop not in delta:
        note = (f"this OS reports no byte counters for its loopback interface "
                f"({loop or 'none found'}), as Windows does: only the real interfaces can "
                "be checked, and they should stay still")
    return Counters(megabytes, moved, seconds, loop, delta, before, after, note, host)


def format_counters(result: Counters) -> str:
    """The text form of :func:`counter_experiment` (``loopedu experiment counters``).

    Introduced in notebooks/04-loopback-interface.ipynb.
    """
    lines = [f"moved {result.bytes_moved / MB:.1f} MB over {result.host} in "
             f"{result.seconds * 1000:.0f} ms; counters grew by (MB):",
             f"  {'interface':<28}{'sent':>10}{'received':>10}"]
    for nic in sorted(result.delta, key=lambda nic: (nic != result.loopback, nic)):
        d = result.delta[nic]
        mark = "  <- loopback" if nic == result.loopback else ""
        lines.append(f"  {nic:<28}{d['sent'] / MB:>10.2f}{d['recv'] / MB:>10.2f}{mark}")
    if result.note:
        lines.append(result.note)
    return "\n".join(lines)
