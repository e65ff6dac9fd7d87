"""Ping from Python: ICMP echo to 127.0.0.1 or ::1, the way the system ``ping`` does, and
"ping 127.0.0.1 proves the stack works" failing once ``lo`` is down (in a namespace
whose ``lo`` was never up; :mod:`loopedu.lo_down` has both cases).

Introduced in notebooks/04-loopback-interface.ipynb.
"""

from __future__ import annotations

import os
import re
import select
import socket
import struct
import subprocess
import sys
import time
from dataclasses import dataclass, field

from ..connections import EXPLAIN_ERRNO, errno_name, family_of, is_lab_safe
from ..sandbox import find_tool, namespace

__all__ = ["PING_METHODS", "Ping", "ping", "format_ping", "ping_with_lo_down"]

#: How :func:`ping` can send ICMP echo, in the order it tries them.
PING_METHODS = {
    "datagram": "unprivileged ICMP socket (SOCK_DGRAM, IPPROTO_ICMP): allowed when "
                "net.ipv4.ping_group_range covers your group (Linux), and on macOS",
    "raw": "raw ICMP socket (SOCK_RAW): needs root or CAP_NET_RAW",
    "system": "the system `ping` command (setuid or with capabilities)",
}

#: What to do where no method may send ICMP echo (icmp(7), ping_group_range; systemd
#: sets that range to every group by default).
HOW_TO_ALLOW = ("to allow it, an administrator lets every group use ICMP datagram sockets "
                "with `sudo sysctl -w net.ipv4.ping_group_range=\"0 2147483647\"`, or "
                "installs ping (Debian/Ubuntu: sudo apt install iputils-ping)")


@dataclass
class Ping:
    """What :func:`ping` did: ``method`` is the one used (None if none could run),
    ``error`` the errno name of a failed send (``ENETUNREACH`` when ``lo`` is down),
    ``tried`` why each earlier method could not be used."""

    address: str
    method: str | None = None
    sent: int = 0
    replies: int = 0
    rtts_ms: list = field(default_factory=list)
    error: str | None = None
    tried: dict = field(default_factory=dict)
    command: str | None = None

    def to_dict(self) -> dict:
        """Plain data, ready for json.dumps."""
        return {"address": self.address, "method": self.method, "sent": self.sent,
                "replies": self.replies, "rtts_ms": list(self.rtts_ms),
                "error": self.error, "tried": dict(self.tried), "command": self.command}

    @property
    def failure(self) -> str:
        """Why no reply came back, in one sentence with what to do; ``""`` when one did.

        >>> Ping("::1", "raw", error="EADDRNOTAVAIL").failure
        '::1: the echo request could not be sent, EADDRNOTAVAIL: no interface on this \
machine owns that address, so it cannot be bound'

        Introduced in notebooks/04-loopback-interface.ipynb.
        """
        if self.replies:
            return ""
        if self.method is None:
            tried = [f"{method} socket {why.split(':')[0]}" if method != "system"
                     else why.split(" (")[0] for method, why in self.tried.items()]
            return f"ICMP echo cannot be sent as this user: {', '.join(tried)}; {HOW_TO_ALLOW}"
        explain = EXPLAIN_ERRNO.get(self.error or "")
        error = f"{self.error}: {explain}" if explain else self.error
        if self.sent == 0 and error:
            return f"{self.address}: the echo request could not be sent, {error}"
        return (f"{self.address}: no reply to {self.sent} echo request"
                f"{'' if self.sent == 1 else 's'}" + (f", {error}" if error else ""))


def _checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071)."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _echo(sock: socket.socket, address: str, v6: bool, raw: bool, count: int,
          timeout: float, result: Ping) -> None:
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
            result.error = errno_name(exc)
            return
        result.sent += 1
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
                result.replies += 1
                result.rtts_ms.append((time.perf_counter() - start) * 1000)
                break


def _system_ping(address: str, count: int, timeout: float, result: Ping) -> bool:
    v6 = family_of(address) == socket.AF_INET6
    exe = (find_tool("ping6") if v6 and sys.platform == "darwin" else None) or find_tool("ping")
    if exe is None:
        result.tried["system"] = ("no `ping` command is installed (on Debian/Ubuntu: "
                                  "apt install iputils-ping)")
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
        result.tried["system"] = f"`{' '.join(cmd)}` could not run: {exc}"
        return False
    rtts = [float(t) for t in re.findall(r"time[=<]\s*([\d.]+)\s*ms", done.stdout)]
    result.method, result.sent, result.replies = "system", count, len(rtts)
    result.rtts_ms, result.command = rtts, " ".join(cmd)
    if done.returncode != 0 and not rtts:
        last = (done.stderr or done.stdout).strip().splitlines()
        result.error = last[-1] if last else f"exit status {done.returncode}"
    return True


def ping(address: str = "127.0.0.1", count: int = 3, timeout: float = 1.0,
         methods=("datagram", "raw", "system")) -> Ping:
    """Ping ``address`` (loopback or a lab address only) from Python.

    Tries each of ``methods`` (see :data:`PING_METHODS`) until one can send; returns a
    :class:`Ping` (``method`` None where this user may use none of them).

    Introduced in notebooks/04-loopback-interface.ipynb.
    """
    if not is_lab_safe(address):
        raise ValueError(f"ping() only pings loopback or lab addresses, not {address}")
    v6 = family_of(address) == socket.AF_INET6
    result = Ping(address)
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
            result.tried[method] = f"{errno_name(exc)}: {PING_METHODS[method]}"
            continue
        with sock:
            result.method = method
            _echo(sock, address, v6, method == "raw", count, timeout, result)
        return result
    return result


def format_ping(result: Ping) -> str:
    """One line for a :func:`ping` result (``loopedu experiment ping``).

    >>> format_ping(Ping("::1", tried={"raw": "EPERM"}))
    '::1: could not ping (raw: EPERM)'

    Introduced in notebooks/04-loopback-interface.ipynb.
    """
    addr = result.address
    if result.method is None:
        why = "; ".join(f"{m}: {w}" for m, w in result.tried.items())
        return f"{addr}: could not ping ({why})"
    if result.sent == 0 and result.error:
        return f"{addr}: the request could not be sent ({result.error}), via {result.method}"
    line = f"{addr}: {result.replies}/{result.sent} replies via {result.method}"
    if result.rtts_ms:
        rtts = result.rtts_ms
        line += (f", rtt min/avg/max {min(rtts):.3f}/{sum(rtts) / len(rtts):.3f}/"
                 f"{max(rtts):.3f} ms")
    if result.error:
        line += f", error {result.error}"
    return line


def ping_with_lo_down(count: int = 1, timeout: float = 0.5) -> dict:
    """Ping 127.0.0.1 and ::1 inside a fresh namespace whose ``lo`` was never up, then
    again after ``ip link set lo up`` (Linux, as root or in a user namespace; raises
    :class:`loopedu.sandbox.NamespaceUnavailable` elsewhere).

    Returns ``{"lo down": [Ping, Ping], "lo up": [Ping, Ping]}``. ENETUNREACH is the
    never-up case only: such a namespace has no local table. A ``lo`` that was up and
    is then set down keeps 127.0.0.1 and its local routes, and the ping just gets no
    reply; :mod:`loopedu.lo_down` measures both cases.

    >>> ping_with_lo_down()["lo down"][0].error
    'ENETUNREACH'

    Introduced in notebooks/04-loopback-interface.ipynb.
    """
    out = {}
    with namespace("ping", lo_up=False) as ns:
        for state in ("down", "up"):
            if state == "up":
                ns.ip("link", "set", "lo", "up")
            # ping's own timeout goes positionally: ns.call's ``timeout`` is the child's
            out[f"lo {state}"] = [ns.call("loopedu.measure.icmp_echo:ping", addr, count, timeout,
                                          timeout=count * (timeout + 1) + 30)
                                  for addr in ("127.0.0.1", "::1")]
    return out
