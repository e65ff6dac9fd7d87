"""Seeing loopback traffic: one HTTP request over 127.0.0.1, captured packet by packet.

No network card carries loopback traffic, but every packet passes through the stack and
``lo``, where a packet socket (packet(7), what ``tcpdump -i lo`` uses) sees it, each
packet twice: leaving (``PACKET_OUTGOING``) and arriving (``PACKET_HOST``), the copy kept.
:func:`capture_http_request` makes ONE HTTP request to a server on an ephemeral port and
returns that connection's packets, about ten, stamped by the kernel (SO_TIMESTAMPNS).

It needs CAP_NET_RAW: as root on this machine's ``lo``; else, where user namespaces work,
in a private network namespace (user_namespaces(7)); else :class:`CaptureUnavailable`
says what would be needed, and :data:`RECORDED` is a real capture to show instead.

Introduced in notebooks/07-measuring-loopback.ipynb.
"""

from __future__ import annotations

import dataclasses
import http.client
import http.server
import platform
import re
import socket
import socketserver
import struct
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

from .addresses import is_loopback
from .connections import errno_name, family_of, hostport
from .dev_servers import NoLookupBind, serving
from .sandbox import ROOT, USER, ChildError, NamespaceUnavailable, capabilities, namespace

__all__ = ["Segment", "Packet", "Capture", "CaptureUnavailable", "ON_LO", "IN_NAMESPACE",
           "RECORDED", "SNAP", "flag_text", "parse_frame", "frames_for_port", "bpf_program",
           "capture_here", "capture_http_request", "capture_or_recorded", "format_packets"]

#: Where a capture ran, in the words the lesson prints.
ON_LO = "on Linux as root, on this machine's lo"
IN_NAMESPACE = {USER: "in a private network namespace (unprivileged user namespace)",
                ROOT: "in a private network namespace (made as root)"}
#: How many bytes of each packet are kept: all headers and the start of the payload.
SNAP = 512

_ETH_P_ALL = 0x0003
_ETH_HEADER = 14
_SO_ATTACH_FILTER = 26
_SO_TIMESTAMPNS = 35  # the asm-generic value; alpha, mips, parisc and sparc differ
_GENERIC_ABI = {"x86_64", "aarch64", "riscv64", "ppc64le", "s390x", "loongarch64"}
_SYN, _FIN, _RST, _ACK = 0x02, 0x01, 0x04, 0x10
_FLAG_NAMES = (("SYN", 0x02), ("FIN", 0x01), ("RST", 0x04), ("PSH", 0x08), ("URG", 0x20),
               ("ACK", 0x10), ("ECE", 0x40), ("CWR", 0x80))
_HTTP_LINE = re.compile(r"[A-Z]+ \S+ HTTP/\d\.\d|HTTP/\d\.\d \d{3}( .*)?")

_NEEDS = {  # what would make a capture possible, per platform
    "linux": "Run it as root (sudo), or on a Linux that allows unprivileged user namespaces;"
             " or watch with `sudo tcpdump -i lo -n tcp port PORT`.",
    "darwin": "macOS has no AF_PACKET sockets: capture lo0 with `sudo tcpdump -i lo0 -n "
              "tcp port PORT`, or Wireshark's 'Loopback: lo0' interface.",
    "win32": "Windows has no packet sockets: install Npcap with loopback support and "
             "capture 'Adapter for loopback traffic capture' in Wireshark.",
}


class CaptureUnavailable(RuntimeError):
    """No packet capture here: ``reason`` says why, ``needed`` what would make it work.

    Introduced in notebooks/07-measuring-loopback.ipynb.
    """

    def __init__(self, reason: str, needed: str):
        super().__init__(f"cannot capture loopback packets here: {reason}. {needed}")
        self.reason, self.needed = reason, needed


def flag_text(bits: int) -> str:
    """TCP flag bits as the words tcpdump users say, joined by ``-``.

    >>> flag_text(0x02), flag_text(0x12), flag_text(0x18), flag_text(0x11)
    ('SYN', 'SYN-ACK', 'PSH-ACK', 'FIN-ACK')

    Introduced in notebooks/07-measuring-loopback.ipynb.
    """
    return "-".join(name for name, bit in _FLAG_NAMES if bits & bit) or "none"


@dataclass(frozen=True)
class Segment:
    """One TCP segment (see :func:`parse_frame`): absolute sequence numbers, flag bits,
    the payload's length (from the IP header: right for a cut frame) and its start.

    Introduced in notebooks/07-measuring-loopback.ipynb.
    """

    src: str
    sport: int
    dst: str
    dport: int
    seq: int
    ack: int
    flags: int
    length: int
    payload: bytes = b""


def parse_frame(frame: bytes) -> Segment | None:
    """Parse a frame as Linux's ``lo`` hands it to a packet socket: a 14-byte Ethernet
    header (all-zero addresses), then IPv4 or IPv6, then TCP. None for anything else
    (ARP, UDP, IPv4 fragments, IPv6 extension headers, frames cut too short).

    Introduced in notebooks/07-measuring-loopback.ipynb.
    """
    ethertype = int.from_bytes(frame[12:14], "big") if len(frame) >= _ETH_HEADER else 0
    ip = bytes(frame[_ETH_HEADER:])
    if ethertype == 0x0800 and len(ip) >= 20 and ip[0] >> 4 == 4:
        tcp = (ip[0] & 0x0F) * 4
        total, fragment, proto = struct.unpack_from("!H2xHxB", ip, 2)
        if proto != 6 or fragment & 0x3FFF or tcp < 20:
            return None
        src, dst = (socket.inet_ntop(socket.AF_INET, ip[i:i + 4]) for i in (12, 16))
    elif ethertype == 0x86DD and len(ip) >= 40 and ip[0] >> 4 == 6:
        payload_length, next_header = struct.unpack_from("!HB", ip, 4)
        if next_header != 6:
            return None
        tcp, total = 40, 40 + payload_length
        src, dst = (socket.inet_ntop(socket.AF_INET6, ip[i:i + 16]) for i in (8, 24))
    else:
        return None
    if len(ip) < tcp + 20:
        return None
    sport, dport, seq, ack, offset_flags = struct.unpack_from("!HHIIH", ip, tcp)
    start = tcp + (offset_flags >> 12) * 4
    length = max(0, total - start)
    return Segment(src, sport, dst, dport, seq, ack, offset_flags & 0xFF, length,
                   ip[start:start + length])


def frames_for_port(sniffer: socket.socket, port: int, quiet: float = 0.2) -> list:
    """The TCP segments to or from ``port`` that a packet socket bound to ``lo`` reads
    until ``quiet`` s pass without a frame (for ETH_P_IP once each, for ETH_P_ALL twice:
    leaving and arriving). Introduced in notebooks/07-measuring-loopback.ipynb."""
    kept, end = [], time.monotonic() + 2.0
    while (left := end - time.monotonic()) > 0:  # until quiet, or 2 s
        sniffer.settimeout(min(quiet, left))
        try:
            segment = parse_frame(sniffer.recv(SNAP))
        except (socket.timeout, TimeoutError):
            return kept
        kept += [segment] if segment and port in (segment.sport, segment.dport) else []
    return kept


def bpf_program(port: int, snap: int = SNAP) -> list[tuple[int, int, int, int]]:
    """The classic BPF program ``tcpdump -dd 'tcp port PORT'`` prints for an Ethernet
    interface such as ``lo``, as (code, jump if true, jump if false, k): TCP over IPv4
    (not fragments) or IPv6 to or from ``port`` is kept, cut to ``snap`` bytes.

    Introduced in notebooks/07-measuring-loopback.ipynb.
    """
    return [(0x28, 0, 0, 12), (0x15, 0, 6, 0x86DD), (0x30, 0, 0, 20), (0x15, 0, 15, 6),
            (0x28, 0, 0, 54), (0x15, 12, 0, port), (0x28, 0, 0, 56), (0x15, 10, 11, port),
            (0x15, 0, 10, 0x0800), (0x30, 0, 0, 23), (0x15, 0, 8, 6), (0x28, 0, 0, 20),
            (0x45, 6, 0, 0x1FFF), (0xB1, 0, 0, 14), (0x48, 0, 0, 14), (0x15, 2, 0, port),
            (0x48, 0, 0, 16), (0x15, 0, 1, port), (0x06, 0, 0, snap), (0x06, 0, 0, 0)]


@dataclass(frozen=True)
class Packet:
    """One packet: microseconds since the first, ``address:port`` of source and
    destination, TCP flags in words, sequence and acknowledgement numbers relative to
    each side's initial sequence number, payload bytes, an HTTP payload's first line.

    Introduced in notebooks/07-measuring-loopback.ipynb.
    """

    offset_us: float
    src: str
    dst: str
    flags: str
    seq: int
    ack: int
    length: int
    http: str = ""


@dataclass(frozen=True)
class Capture:
    """The packets of one HTTP request over loopback and where they were captured;
    ``outgoing_copies``: the copies of packets leaving that ``lo`` also gave (skipped);
    ``clock``: ``"kernel"`` (receive stamps) or ``"python"`` (read times, unreliable);
    ``note``: why a recorded capture stands in for a live one.

    Introduced in notebooks/07-measuring-loopback.ipynb.
    """

    packets: tuple
    server: str
    client: str
    request: str
    response: str
    where: str
    outgoing_copies: int = 0
    clock: str = "kernel"
    note: str = ""

    @property
    def count(self) -> int:  # how many packets the one request took
        return len(self.packets)

    @property
    def live(self) -> bool:
        """True when captured here; False for :data:`RECORDED` (its ``where`` then says
        where and when it was recorded).

        >>> RECORDED.live
        False
        """
        return not self.where.startswith("recorded ")

    def with_flags(self, flags: str) -> tuple:  # the packets with exactly these flags
        return tuple(p for p in self.packets if p.flags == flags)

    @property
    def phases(self) -> dict:
        """How many packets opened the connection (SYN, SYN-ACK, ACK), carried data,
        only acknowledged data, and closed it (from the first FIN or RST on)."""
        packets = self.packets
        closing = next((i for i, p in enumerate(packets)
                        if "FIN" in p.flags or "RST" in p.flags), len(packets))
        opening = 0
        while opening < min(3, closing) and packets[opening].flags == \
                ("SYN", "SYN-ACK", "ACK")[opening] and not packets[opening].length:
            opening += 1
        data = sum(1 for p in packets[opening:closing] if p.length)
        return {"handshake": opening, "data": data, "acks": closing - opening - data,
                "closing": len(packets) - closing}


def _first_line(payload: bytes) -> str:
    line = payload.split(b"\n", 1)[0].rstrip(b"\r").decode("latin-1")
    return line if _HTTP_LINE.fullmatch(line) else ""


def _packets(stamped: list) -> tuple:
    """Packets with times relative to the first and numbers relative to the ISNs."""
    isn: dict = {}
    for _, s in sorted(stamped, key=lambda pair: not pair[1].flags & _SYN):
        isn.setdefault((s.src, s.sport), s.seq)  # the SYN's number, else the first seen
    start = stamped[0][0] if stamped else 0
    packets = []
    for stamp, s in stamped:
        theirs = isn.get((s.dst, s.dport))
        ack = (s.ack - theirs) % 2**32 if s.flags & _ACK and theirs is not None else 0
        packets.append(Packet(round((stamp - start) / 1000, 1), hostport(s.src, s.sport),
                              hostport(s.dst, s.dport), flag_text(s.flags),
                              (s.seq - isn[(s.src, s.sport)]) % 2**32, ack, s.length,
                              _first_line(s.payload)))
    return tuple(packets)


def _closed(segments: list) -> bool:
    """True once both sides sent FIN and an ACK followed, or a side reset."""
    fins = {}  # sender -> index of its first FIN
    for i, s in enumerate(segments):
        if s.flags & _FIN:
            fins.setdefault((s.src, s.sport), i)
    return any(s.flags & _RST for s in segments) or len(fins) == 2 and any(
        s.flags & _ACK and not s.flags & _FIN for s in segments[max(fins.values()) + 1:])


class _Hello(http.server.BaseHTTPRequestHandler):
    """Answers every GET with one short text; the response leaves in one write."""

    wbufsize, timeout, server_version, sys_version = -1, 5, "loopedu", ""

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        body = b"hello over loopback\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args) -> None:  # noqa: A002 (http.server's naming)
        pass


@contextmanager
def _http_server(host: str) -> Iterator[int]:
    """An HTTP server on (host, ephemeral port) in a thread; shut down and joined."""
    server = type("Server", (NoLookupBind, socketserver.TCPServer),
                  {"address_family": family_of(host)})
    with serving(server((host, 0), _Hello), "loopedu-capture-http", join_timeout=10) as httpd:
        yield httpd.server_address[1]


def _stamp(ancillary: list, default: int) -> int:
    """The kernel's receive stamp in recvmsg's ancillary data, in nanoseconds."""
    for level, kind, data in ancillary:
        if (level, kind) == (socket.SOL_SOCKET, _SO_TIMESTAMPNS):
            seconds, nanoseconds = struct.unpack("qq", data[:16])
            return seconds * 10**9 + nanoseconds
    return default


def _kernel_stamps(sock: socket.socket) -> bool:
    """Ask for the kernel's receive stamps; True once they are on (a moment after the
    first asks): a datagram to itself that waited 2 ms must come back stamped earlier."""
    if platform.machine() not in _GENERIC_ABI:
        return False
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            for asking in (sock, probe):
                asking.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMPNS, 1)
            probe.bind(("127.0.0.1", 0))
            probe.settimeout(1)
            for _ in range(50):
                probe.sendto(b"?", probe.getsockname())
                time.sleep(0.002)
                read = time.time_ns()
                if read - _stamp(probe.recvmsg(1, socket.CMSG_SPACE(16))[1], read) > 10**6:
                    return True
    except OSError:
        pass
    return False


@contextmanager
def _packet_socket(port: int) -> Iterator[tuple]:
    """A packet socket on ``lo`` for TCP port ``port``: (socket, kernel stamps?)."""
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)  # receives nothing yet
    with sock:
        try:
            import ctypes
            code = b"".join(struct.pack("HBBI", *ins) for ins in bpf_program(port))
            program = ctypes.create_string_buffer(code, len(code))
            sock.setsockopt(socket.SOL_SOCKET, _SO_ATTACH_FILTER,
                            struct.pack("HP", len(code) // 8, ctypes.addressof(program)))
        except (ImportError, OSError):
            pass  # no kernel filter: _drain checks the port anyway
        stamped = _kernel_stamps(sock)
        sock.bind(("lo", _ETH_P_ALL))  # from here on it receives
        yield sock, stamped


def _drain(sock: socket.socket, port: int, stamped: bool, limit: int,
           deadline: float) -> tuple[list, int]:
    """[(nanoseconds, Segment)] until closed, ``limit`` or ``deadline``; copies skipped."""
    kept: list = []
    copies = 0
    while len(kept) < limit and not _closed([s for _, s in kept]):
        left = deadline - time.monotonic()
        if left <= 0:
            break
        sock.settimeout(left)
        try:
            frame, ancillary, _, address = sock.recvmsg(SNAP, socket.CMSG_SPACE(16))
        except (socket.timeout, TimeoutError):
            break
        segment = parse_frame(frame)
        if segment is None or port not in (segment.sport, segment.dport):
            continue
        if address[2] == socket.PACKET_OUTGOING:
            copies += 1
            continue
        kept.append((_stamp(ancillary if stamped else [], time.time_ns()), segment))
    return kept, copies


def _check(host: str, limit: int, how: str | None = None) -> None:
    if not is_loopback(host) or limit < 1 or how not in (None, "lo", "namespace"):
        raise ValueError(f"captures need a loopback address, a limit of at least 1 and how "
                         f"None, 'lo' or 'namespace', not {host!r}, {limit!r}, {how!r}")


def capture_here(host: str = "127.0.0.1", path: str = "/", limit: int = 64,
                 timeout: float = 2.0, where: str = ON_LO) -> Capture:
    """The experiment in this process: an HTTP server on ``host`` (port 0), a packet
    socket on ``lo``, ONE ``GET path``, the packets until the connection closed (at most
    ``limit``, ``timeout`` s). PermissionError without CAP_NET_RAW.

    Introduced in notebooks/07-measuring-loopback.ipynb.
    """
    _check(host, limit)
    with _http_server(host) as port, _packet_socket(port) as (sock, stamped):
        deadline = time.monotonic() + timeout
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
        try:
            conn.request("GET", path)
            with conn.getresponse() as response:
                response.read()
                status = (f"HTTP/{response.version // 10}.{response.version % 10} "
                          f"{response.status} {response.reason}")
        finally:
            conn.close()
        kept, copies = _drain(sock, port, stamped, limit, deadline)
    packets = _packets(kept)
    syn = next((p for p in packets if p.flags == "SYN"), None)
    return Capture(packets, hostport(host, port), syn.src if syn else "",
                   f"GET {path} HTTP/1.1", status, where, copies,
                   "kernel" if stamped else "python")


def capture_http_request(host: str = "127.0.0.1", path: str = "/", *, how: str | None = None,
                         limit: int = 64, timeout: float = 2.0) -> Capture:
    """Capture the packets of ONE HTTP request over loopback, the best way this machine
    allows: as root on this machine's ``lo`` (``how="lo"``), else inside a private
    network namespace, without root in a user namespace (``how="namespace"``).

    Returns a :class:`Capture` (see :func:`format_packets`); raises
    :class:`CaptureUnavailable`, saying what would be needed, where neither works.

    Introduced in notebooks/07-measuring-loopback.ipynb.
    """
    _check(host, limit, how)
    if not sys.platform.startswith("linux"):
        raise CaptureUnavailable(f"AF_PACKET sockets are a Linux feature and this is "
                                 f"{sys.platform}", _NEEDS.get(sys.platform, _NEEDS["linux"]))
    reasons = []
    if how in (None, "lo"):
        if capabilities().root:
            try:
                return capture_here(host, path, limit, timeout, ON_LO)
            except PermissionError as exc:
                reasons.append(f"even root may not open a packet socket here "
                               f"({errno_name(exc)}: no CAP_NET_RAW, as in some containers)")
        else:
            reasons.append("a packet socket on this machine's lo needs root (CAP_NET_RAW)")
    if how in (None, "namespace"):
        try:
            with namespace("capture") as ns:  # NamespaceUnavailable where none can be made
                return ns.call("loopedu.capture:capture_here", host, path, limit, timeout,
                               IN_NAMESPACE[ns.mechanism], timeout=timeout + 30)
        except (NamespaceUnavailable, ChildError) as exc:
            reasons.append(f"no private network namespace ({exc})")
    raise CaptureUnavailable("; ".join(reasons), _NEEDS["linux"])


_C, _S = "127.0.0.1:50000", "127.0.0.1:40000"  # the ports, normalised
#: A real capture of :func:`capture_http_request` for machines where none can run, its
#: ports replaced by 50000 (client) and 40000 (server).
RECORDED = Capture(
    packets=tuple(Packet(*row) for row in (
        (0.0, _C, _S, "SYN", 0, 0, 0, ""),
        (11.5, _S, _C, "SYN-ACK", 0, 1, 0, ""),
        (24.2, _C, _S, "ACK", 1, 1, 0, ""),
        (300.4, _C, _S, "PSH-ACK", 1, 1, 68, "GET / HTTP/1.1"),
        (310.3, _S, _C, "ACK", 1, 69, 0, ""),
        (658.3, _S, _C, "PSH-ACK", 1, 69, 140, "HTTP/1.0 200 OK"),
        (664.5, _C, _S, "ACK", 69, 141, 0, ""),
        (699.6, _S, _C, "FIN-ACK", 141, 69, 0, ""),
        (941.2, _C, _S, "FIN-ACK", 69, 142, 0, ""),
        (956.2, _S, _C, "ACK", 142, 70, 0, ""),
    )),
    server=_S, client=_C, request="GET / HTTP/1.1", response="HTTP/1.0 200 OK",
    where="recorded on Linux (Debian 12) as root, 2026-11-29", outgoing_copies=10)


def capture_or_recorded(host: str = "127.0.0.1", path: str = "/", **kwargs) -> Capture:
    """:func:`capture_http_request` where the machine allows it, otherwise
    :data:`RECORDED` with a ``note`` saying why the live capture could not run.

    Introduced in notebooks/07-measuring-loopback.ipynb.
    """
    try:
        return capture_http_request(host, path, **kwargs)
    except CaptureUnavailable as exc:
        return dataclasses.replace(RECORDED, note=str(exc))


def format_packets(result: Capture) -> str:
    """A tcpdump-like table, one line per packet, and what the packets were for.

    >>> print(format_packets(RECORDED).splitlines()[0])
    10 packets for one HTTP request over 127.0.0.1, recorded on Linux (Debian 12) as root, ...

    Introduced in notebooks/07-measuring-loopback.ipynb.
    """
    host = result.server.rsplit(":", 1)[0].strip("[]")
    width = max([len(p.src) for p in result.packets] + [len("source")])
    lines = [f"{result.count} packets for one HTTP request over {host}, {result.where}",
             f"  {'time (us)':>10}  {'source':<{width}}   {'destination':<{width}}  "
             f"{'flags':<11} {'seq':>5} {'ack':>5} {'len':>5}"]
    for p in result.packets:
        line = (f"  {p.offset_us:>10.1f}  {p.src:<{width}} > {p.dst:<{width}}  "
                f"{p.flags:<11} {p.seq:>5} {p.ack:>5} {p.length:>5}")
        lines.append(line + (f"  {p.http}" if p.http else ""))
    lines.append("{handshake} to open, {data} carrying data, {acks} only acknowledging, "
                 "{closing} to close".format(**result.phases))
    if result.outgoing_copies:
        lines.append(f"(lo's {result.outgoing_copies} leaving copies left out)")
    if result.clock != "kernel":
        lines.append("(times are when Python read the packets: this kernel gave no stamps)")
    if result.note:
        lines.append(f"(a recorded capture: {result.note})")
    return "\n".join(lines)
