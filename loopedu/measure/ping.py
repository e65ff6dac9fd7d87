"""Measurements: interface byte counters, and ping from Python.

:func:`counter_experiment` moves N megabytes over 127.0.0.1 and reads every interface's
counters before and after: only the loopback interface counts them, proof that loopback
traffic never reaches a network card. :func:`ping` sends ICMP echo requests to
127.0.0.1 or ::1 the way the system ``ping`` does, and :func:`ping_with_lo_down` shows
"ping 127.0.0.1 proves the stack works" failing once ``lo`` is down.

Introduced in notebooks/03-bind-address.ipynb.
"""

from __future__ import annotations

import os
import re
import select
import shutil
import socket
import struct
import subprocess
import sys
import threading
import time

from .netlab import is_lab_safe
from .servers import errno_name, family_of

__all__ = ["interface_counters", "loopback_interface", "counter_experiment", "ping",
           "ping_with_lo_down", "format_counters", "format_ping", "PING_METHODS"]

MB = 1_000_000  # megabyte as the counters' plots use it: 10**6 bytes

#: How :func:`ping` can send ICMP echo, in the order it tries them.
PING_METHODS = {
    "datagram": "unprivileged ICMP socket (SOCK_DGRAM, IPPROTO_ICMP): allowed when "
                "net.ipv4.ping_group_range covers your group (Linux), and on macOS",
    "raw": "raw ICMP socket (SOCK_RAW): needs root or CAP_NET_RAW",
    "system": "the system `ping` command (setuid or with capabilities)",
}


def interface_counters() -> dict:
    """Bytes sent and received so far, per interface: ``{nic: {"sent", "recv"}}``.

    >>> "lo" in interface_counters()  # doctest: +SKIP
    True

    Introduced in notebooks/03-bind-address.ipynb.
    """
    import psutil

    return {nic: {"sent": c.bytes_sent, "recv": c.bytes_recv}
            for nic, c in psutil.net_io_counters(pernic=True).items()}


def loopback_interface() -> str | None:
    """The name of the interface holding 127.0.0.1 (``lo`` on Linux, ``lo0`` on macOS,
    ``Loopback Pseudo-Interface 1`` on Windows), or None.

    >>> loopback_interface() in ("lo", "lo0", "Loopback Pseudo-Interface 1", None)
    True

    Introduced in notebooks/03-bind-address.ipynb.
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


def _move_bytes(total: int, chunk: int = 1 << 16) -> int:
    """Send ``total`` bytes from a client to a receiver thread over 127.0.0.1; return
    what the receiver got. Both sockets closed and the thread joined, whatever happens."""
    received = [0]
    with socket.create_server(("127.0.0.1", 0)) as server:
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


def counter_experiment(megabytes: float = 10) -> dict:
    """Move ``megabytes`` MB (10**6 bytes) over 127.0.0.1 and read each interface's
    byte counters before and after.

    Returns ``{"megabytes", "bytes_moved", "seconds", "loopback", "before", "after",
    "delta"}``; ``delta[nic]`` is ``{"sent", "recv"}`` in bytes. Loopback counts every
    byte twice, once sent and once received, so its delta is at least N MB in each
    column (plus TCP/IP headers and other programs' loopback traffic); real interfaces
    only show whatever else the machine was doing.

    >>> r = counter_experiment(1)
    >>> r["delta"][r["loopback"]]["sent"] >= 1_000_000  # doctest: +SKIP
    True

    Introduced in notebooks/03-bind-address.ipynb.
    """
    if megabytes <= 0:
        raise ValueError("megabytes must be positive")
    loop = loopback_interface()
    before = interface_counters()
    start = time.perf_counter()
    moved = _move_bytes(int(megabytes * MB))
    seconds = time.perf_counter() - start
    after = interface_counters()
    delta = {nic: {k: after[nic][k] - before[nic][k] for k in ("sent", "recv")}
             for nic in after if nic in before}
    result = {"megabytes": megabytes, "bytes_moved": moved, "seconds": seconds,
              "loopback": loop, "before": before, "after": after, "delta": delta}
    if loop not in delta:
        result["note"] = (f"this OS reports no byte counters for its loopback interface "
                          f"({loop or 'none found'}), as Windows does: only the real "
                          "interfaces can be checked, and they should stay still")
    return result


def format_counters(result: dict) -> str:
    """The text form of :func:`counter_experiment` (``loopedu experiment counters``).

    >>> "moved" in format_counters(counter_experiment(1))
    True

    Introduced in notebooks/03-bind-address.ipynb.
    """
    lines = [f"moved {result['bytes_moved'] / MB:.1f} MB over 127.0.0.1 in "
             f"{result['seconds'] * 1000:.0f} ms; counters grew by (MB):",
             f"  {'interface':<28}{'sent':>10}{'received':>10}"]
    order = sorted(result["delta"], key=lambda nic: (nic != result["loopback"], nic))
    for nic in order:
        d = result["delta"][nic]
        mark = "  <- loopback" if nic == result["loopback"] else ""
        lines.append(f"  {nic:<28}{d['sent'] / MB:>10.2f}{d['recv'] / MB:>10.2f}{mark}")
    if "note" in result:
        lines.append(result["note"])
    return "\n".join(lines)


# ---- ping ----

def _checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071)."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _echo(sock: socket.socket, address: str, v6: bool, raw: bool, count: int,
          timeout: float, result: dict) -> None:
    """Send ``count`` echo requests, one at a time, and time the matching replies."""
    request, reply = (128, 129) if v6 else (8, 0)
    ident = (os.getpid() ^ int.from_bytes(os.urandom(2), "big")) & 0xFFFF
    for seq in range(1, count + 1):
        payload = b"loopedu" + os.urandom(8)
        header = struct.pack("!BBHHH", request, 0, 0, ident, seq)
        if not v6:  # the kernel fills in the ICMPv6 checksum itself
            header = struct.pack("!BBHHH", request, 0, _checksum(header + payload), ident, seq)
        start = time.perf_counter()
        try:
            sock.sendto(header + payload, (address, 0))
        except OSError as exc:
            result["error"] = errno_name(exc)
            return
        result["sent"] += 1
        deadline = start + timeout
        while (left := deadline - time.perf_counter()) > 0:
            if not select.select([sock], [], [], left)[0]:
                break
            data = sock.recv(4096)
            if not v6 and data and data[0] >> 4 == 4:  # an IPv4 header first: raw
                data = data[(data[0] & 0x0F) * 4:]      # sockets, and macOS datagram ones
            if len(data) < 8:
                continue
            kind, _, _, their_id, their_seq = struct.unpack("!BBHHH", data[:8])
            # a raw socket sees every ICMP packet of the host: match ours exactly (a
            # datagram socket's id is replaced by the kernel, which also demuxes on it)
            if kind == reply and their_seq == seq and data[8:] == payload and \
                    (their_id == ident or not raw):
                result["replies"] += 1
                result["rtts_ms"].append((time.perf_counter() - start) * 1000)
                break


def _system_ping(address: str, count: int, timeout: float, result: dict) -> bool:
    v6 = family_of(address) == socket.AF_INET6
    exe = (shutil.which("ping6") if v6 and sys.platform == "darwin" else None) or \
        shutil.which("ping")
    if exe is None:
        result["tried"]["system"] = "no `ping` command is installed (on Debian/Ubuntu: " \
                                    "apt install iputils-ping)"
        return False
    if sys.platform == "win32":
        cmd = [exe, "-n", str(count), address]
    else:
        cmd = [exe, "-c", str(count), *(["-6"] if v6 and not exe.endswith("6") else []),
               address]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True,
                              timeout=count * (timeout + 1) + 5)
    except (OSError, subprocess.SubprocessError) as exc:
        result["tried"]["system"] = f"`{' '.join(cmd)}` could not run: {exc}"
        return False
    rtts = [float(t) for t in re.findall(r"time[=<]\s*([\d.]+)\s*ms", done.stdout)]
    result.update(method="system", sent=count, replies=len(rtts), rtts_ms=rtts,
                  command=" ".join(cmd))
    if done.returncode != 0 and not rtts:
        last = (done.stderr or done.stdout).strip().splitlines()
        result["error"] = last[-1] if last else f"exit status {done.returncode}"
    return True


def ping(address: str = "127.0.0.1", count: int = 3, timeout: float = 1.0,
         methods=("datagram", "raw", "system")) -> dict:
    """Ping ``address`` (loopback or a lab address only) from Python.

    Tries each of ``methods`` (see :data:`PING_METHODS`) until one can send. Returns
    ``{"address", "method", "sent", "replies", "rtts_ms", "error", "tried"}``:
    ``method`` is the one used (None if none could run), ``error`` the errno name of a
    failed send (``ENETUNREACH`` when ``lo`` is down), ``tried`` why each earlier
    method could not be used.

    >>> ping("127.0.0.1", count=1)["replies"]  # doctest: +SKIP
    1

    Introduced in notebooks/03-bind-address.ipynb.
    """
    if not is_lab_safe(address):
        raise ValueError(f"ping() only pings loopback or lab addresses, not {address}")
    v6 = family_of(address) == socket.AF_INET6
    result = {"address": address, "method": None, "sent": 0, "replies": 0, "rtts_ms": [],
              "error": None, "tried": {}}
    for method in methods:
        if method == "system":
            if _system_ping(address, count, timeout, result):
                return result
            continue
        if method not in PING_METHODS:
            raise ValueError(f"unknown ping method {method!r}; choose from {list(PING_METHODS)}")
        kind = socket.SOCK_DGRAM if method == "datagram" else socket.SOCK_RAW
        proto = socket.IPPROTO_ICMPV6 if v6 else socket.IPPROTO_ICMP
        try:
            sock = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, kind, proto)
        except OSError as exc:
            result["tried"][method] = f"{errno_name(exc)}: {PING_METHODS[method]}"
            continue
        with sock:
            result["method"] = method
            _echo(sock, address, v6, method == "raw", count, timeout, result)
        return result
    return result


def format_ping(result: dict) -> str:
    """One line for a :func:`ping` result (``loopedu experiment ping``).

    >>> format_ping({"address": "::1", "method": None, "sent": 0, "replies": 0,
    ...              "rtts_ms": [], "error": None, "tried": {"raw": "EPERM"}})
    '::1: could not ping (raw: EPERM)'

    Introduced in notebooks/03-bind-address.ipynb.
    """
    addr = result["address"]
    if result["method"] is None:
        why = "; ".join(f"{m}: {w}" for m, w in result["tried"].items())
        return f"{addr}: could not ping ({why})"
    line = f"{addr}: {result['replies']}/{result['sent']} replies via {result['method']}"
    if result["rtts_ms"]:
        rtts = result["rtts_ms"]
        line += (f", rtt min/avg/max {min(rtts):.3f}/{sum(rtts) / len(rtts):.3f}/"
                 f"{max(rtts):.3f} ms")
    if result["error"]:
        line += f", error {result['error']}"
    return line


def ping_with_lo_down(count: int = 1, timeout: float = 0.5) -> dict:
    """Ping 127.0.0.1 and ::1 inside a fresh namespace whose ``lo`` is down, then again
    after ``ip link set lo up`` (Linux + root; raises
    :class:`loopedu.netlab.LabUnavailable` elsewhere).

    Returns ``{"lo down": [ping results], "lo up": [ping results]}``.

    >>> ping_with_lo_down()["lo down"][0]["error"]  # doctest: +SKIP
    'ENETUNREACH'

    Introduced in notebooks/03-bind-address.ipynb.
    """
    from .netlab import call_in, link_up, namespace

    out = {}
    with namespace("ping", lo_up=False) as ns:
        for state in ("down", "up"):
            if state == "up":
                link_up(ns, "lo")
            out[f"lo {state}"] = [call_in(ns, "loopedu.measure:ping", addr, count=count,
                                          timeout=timeout) for addr in ("127.0.0.1", "::1")]
    return out
