"""Seeing loopback traffic: the packets of one HTTP request, captured on lo as root, in a
private network namespace without root, or explained where neither works; the parser
checked on packets built here byte by byte."""

import json
import os
import socket
import struct
import sys
import threading
from pathlib import Path

import pytest
from shared_checks import run_as_nobody

from loopedu import capture, sandbox
from loopedu.capture import (
    IN_NAMESPACE,
    ON_LO,
    RECORDED,
    Capture,
    CaptureUnavailable,
    bpf_program,
    capture_http_request,
    flag_text,
    format_packets,
    parse_frame,
)
from loopedu.sandbox import USER, Capability

ROOT = Path(__file__).resolve().parents[1]
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="AF_PACKET sockets are a Linux feature")

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


# ---- packets built by hand, independently of the parser ----

def tcp_header(sport, dport, seq, ack, flags, options=b""):
    assert len(options) % 4 == 0
    offset = (20 + len(options)) // 4
    return struct.pack("!HHIIBBHHH", sport, dport, seq, ack, offset << 4, flags,
                       65535, 0, 0) + options


def ipv4_frame(src, dst, tcp, payload=b"", ip_options=b"", fragment=0, proto=6):
    ihl = 5 + len(ip_options) // 4
    total = ihl * 4 + len(tcp) + len(payload)
    ip = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, total, 0x1234, fragment, 64, proto, 0,
                     socket.inet_aton(src), socket.inet_aton(dst)) + ip_options
    return bytes(12) + b"\x08\x00" + ip + tcp + payload


def ipv6_frame(src, dst, tcp, payload=b"", next_header=6):
    ip = struct.pack("!IHBB16s16s", 6 << 28, len(tcp) + len(payload), next_header, 64,
                     socket.inet_pton(socket.AF_INET6, src),
                     socket.inet_pton(socket.AF_INET6, dst))
    return bytes(12) + b"\x86\xdd" + ip + tcp + payload


REQUEST = b"GET /index.html HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def test_parses_an_ipv4_request_segment():
    frame = ipv4_frame("127.0.0.1", "127.0.0.1",
                       tcp_header(50000, 8080, 1000, 2000, PSH | ACK), REQUEST)
    s = parse_frame(frame)
    assert (s.src, s.sport, s.dst, s.dport) == ("127.0.0.1", 50000, "127.0.0.1", 8080)
    assert (s.seq, s.ack, s.flags, s.length) == (1000, 2000, PSH | ACK, len(REQUEST))
    assert s.payload == REQUEST and flag_text(s.flags) == "PSH-ACK"


def test_ip_and_tcp_options_move_the_payload():
    tcp = tcp_header(8080, 50000, 7, 9, ACK, options=b"\x01\x01\x08\x0a" + bytes(8))
    frame = ipv4_frame("127.0.0.2", "127.0.0.1", tcp, b"HTTP/1.0 200 OK\r\n",
                       ip_options=b"\x01\x01\x01\x00")  # NOP NOP NOP EOL
    s = parse_frame(frame)
    assert s.src == "127.0.0.2" and s.payload == b"HTTP/1.0 200 OK\r\n" and s.length == 17


def test_parses_ipv6():
    frame = ipv6_frame("::1", "::1", tcp_header(40000, 443, 2**32 - 1, 0, SYN))
    s = parse_frame(frame)
    assert (s.src, s.dst, s.sport, s.dport) == ("::1", "::1", 40000, 443)
    assert s.seq == 2**32 - 1 and s.length == 0 and flag_text(s.flags) == "SYN"


def test_a_frame_cut_short_still_has_its_real_length():
    frame = ipv4_frame("127.0.0.1", "127.0.0.1", tcp_header(1, 2, 0, 0, ACK), b"x" * 5000)
    s = parse_frame(frame[:capture.SNAP])
    assert s.length == 5000 and len(s.payload) == capture.SNAP - 14 - 40


@pytest.mark.parametrize("frame", [
    b"", bytes(13),
    bytes(12) + b"\x08\x06" + bytes(28),                                        # ARP
    ipv4_frame("127.0.0.1", "127.0.0.1", struct.pack("!HHHH", 1, 2, 8, 0), proto=17),  # UDP
    ipv4_frame("127.0.0.1", "127.0.0.1", tcp_header(1, 2, 0, 0, ACK), fragment=0x2000),
    ipv4_frame("127.0.0.1", "127.0.0.1", tcp_header(1, 2, 0, 0, ACK), fragment=0x0010),
    ipv6_frame("::1", "::1", bytes(8) + tcp_header(1, 2, 0, 0, ACK), next_header=0),
    ipv4_frame("127.0.0.1", "127.0.0.1", tcp_header(1, 2, 0, 0, ACK))[:14 + 20 + 10],
], ids=["empty", "short", "arp", "udp", "first-fragment", "later-fragment",
        "ipv6-extension-header", "tcp-cut"])
def test_what_is_not_a_whole_tcp_header_is_skipped(frame):
    assert parse_frame(frame) is None


@pytest.mark.parametrize("bits,text", [
    (SYN, "SYN"), (SYN | ACK, "SYN-ACK"), (ACK, "ACK"), (PSH | ACK, "PSH-ACK"),
    (FIN | ACK, "FIN-ACK"), (FIN | PSH | ACK, "FIN-PSH-ACK"), (RST, "RST"),
    (RST | ACK, "RST-ACK"), (0, "none")])
def test_flag_words(bits, text):
    assert flag_text(bits) == text


def run_bpf(program, packet: bytes) -> int:
    """A classic BPF machine for the instructions the filter uses (bpf(4))."""
    a = x = pc = 0
    while True:
        code, jt, jf, k = program[pc]
        pc += 1
        if code == 0x28:
            a = struct.unpack_from("!H", packet, k)[0]
        elif code == 0x30:
            a = packet[k]
        elif code == 0x48:
            a = struct.unpack_from("!H", packet, x + k)[0]
        elif code == 0xB1:
            x = (packet[k] & 0x0F) * 4
        elif code in (0x15, 0x45):
            hit = a == k if code == 0x15 else bool(a & k)
            pc += jt if hit else jf
        elif code == 0x06:
            return k
        else:
            raise AssertionError(f"unexpected BPF code {code:#x}")


@pytest.mark.parametrize("frame,kept", [
    (ipv4_frame("127.0.0.1", "127.0.0.1", tcp_header(50000, 8080, 0, 0, SYN)), True),
    (ipv4_frame("127.0.0.1", "127.0.0.1", tcp_header(8080, 50000, 0, 0, SYN | ACK),
                ip_options=bytes(8)), True),
    (ipv4_frame("127.0.0.1", "127.0.0.1", tcp_header(50000, 8081, 0, 0, SYN)), False),
    (ipv4_frame("127.0.0.1", "127.0.0.1", struct.pack("!HHHH", 8080, 8080, 8, 0),
                proto=17), False),
    (ipv4_frame("127.0.0.1", "127.0.0.1", tcp_header(8080, 1, 0, 0, ACK), fragment=5),
     False),
    (ipv6_frame("::1", "::1", tcp_header(1, 8080, 0, 0, SYN)), True),
    (ipv6_frame("::1", "::1", tcp_header(8080, 1, 0, 0, ACK)), True),
    (ipv6_frame("::1", "::1", tcp_header(1, 2, 0, 0, ACK)), False),
    (bytes(12) + b"\x08\x06" + bytes(28), False),
])
def test_the_kernel_filter_keeps_only_the_servers_port(frame, kept):
    assert run_bpf(bpf_program(8080), frame) == (capture.SNAP if kept else 0)


# ---- the live capture ----

def open_files() -> int:
    return len(os.listdir("/proc/self/fd"))


def check_one_request(cap: Capture, loopback: str):
    client, server = cap.client, cap.server
    assert server.rsplit(":", 1)[0].strip("[]") == loopback
    ends = {p.src.rsplit(":", 1)[0].strip("[]") for p in cap.packets}
    ends |= {p.dst.rsplit(":", 1)[0].strip("[]") for p in cap.packets}
    assert ends == {loopback}
    # only this connection: every packet goes between the client and the server
    assert all({p.src, p.dst} == {client, server} for p in cap.packets)
    syn, = cap.with_flags("SYN")
    synack, = cap.with_flags("SYN-ACK")
    assert (syn.src, syn.dst, syn.seq) == (client, server, 0)
    assert (synack.src, synack.dst, synack.seq, synack.ack) == (server, client, 0, 1)
    request, = [p for p in cap.packets if p.http.startswith("GET ")]
    assert request.http == "GET / HTTP/1.1" == cap.request
    assert request.src == client and "PSH" in request.flags and request.seq == 1
    response, = [p for p in cap.packets if p.http.startswith("HTTP/")]
    assert response.src == server and response.http == cap.response == "HTTP/1.0 200 OK"
    assert response.ack == 1 + request.length
    assert {p.src for p in cap.packets if "FIN" in p.flags} == {client, server}
    # no duplicates: lo gave each packet twice, one copy kept
    assert cap.outgoing_copies == cap.count
    offsets = [p.offset_us for p in cap.packets]
    assert offsets[0] == 0 and offsets == sorted(offsets)
    assert 8 <= cap.count <= 14 and cap.phases["handshake"] == 3


@linux_only
@pytest.mark.needs("root")
def test_as_root_one_request_on_this_machines_lo():
    threads, files = threading.active_count(), open_files()
    cap = capture_http_request(how="lo")
    check_one_request(cap, "127.0.0.1")
    assert cap.where == ON_LO and cap.clock == "kernel" and cap.note == ""
    assert threading.active_count() == threads and open_files() == files
    assert format_packets(cap).count("\n") == cap.count + 3


@linux_only
@pytest.mark.needs("root", "ipv6_loopback")
def test_as_root_over_ipv6():
    check_one_request(capture_http_request("::1", how="lo"), "::1")


@linux_only
@pytest.mark.needs("root")
def test_everything_is_closed_after_an_interrupt(monkeypatch):
    def interrupted(self):
        raise KeyboardInterrupt
    monkeypatch.setattr(capture.http.client.HTTPConnection, "getresponse", interrupted)
    threads, files = threading.active_count(), open_files()
    with pytest.raises(KeyboardInterrupt):
        capture.capture_here()
    assert threading.active_count() == threads and open_files() == files


@linux_only
@pytest.mark.needs("user_namespaces")
def test_without_root_everything_runs_in_a_user_namespace():
    forced = Capability(True, "forced by this test", USER)
    threads, files = threading.active_count(), open_files()
    with sandbox.assume(root=False, network_namespaces=forced):
        cap = capture_http_request()
    check_one_request(cap, "127.0.0.1")
    assert cap.where == IN_NAMESPACE[USER] == \
        "in a private network namespace (unprivileged user namespace)"
    assert threading.active_count() == threads and open_files() == files


@linux_only
@pytest.mark.needs("root", "user_namespaces")
def test_really_as_an_unprivileged_user():
    code = ("import json; from loopedu import capture; c = capture.capture_http_request(); "
            "print(json.dumps({'where': c.where, 'flags': [p.flags for p in c.packets], "
            "'http': [p.http for p in c.packets if p.http], 'copies': c.outgoing_copies}))")
    done = run_as_nobody(code, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["where"] == IN_NAMESPACE[USER]
    assert data["flags"][:3] == ["SYN", "SYN-ACK", "ACK"]
    assert data["http"] == ["GET / HTTP/1.1", "HTTP/1.0 200 OK"]
    assert data["copies"] == len(data["flags"])


# ---- where no capture can run ----

NO_NETNS = Capability(False, "no namespaces in this test")


def test_without_root_or_namespaces_it_says_why_and_what_would_help():
    with sandbox.assume(root=False, network_namespaces=NO_NETNS):
        with pytest.raises(CaptureUnavailable) as caught:
            capture_http_request()
        fallback = capture.capture_or_recorded()
    exc = caught.value
    if sys.platform.startswith("linux"):
        assert "needs root" in exc.reason and "no namespaces in this test" in exc.reason
        assert "sudo" in exc.needed and "user namespaces" in exc.needed
    assert fallback.packets == RECORDED.packets and fallback.note == str(exc)
    assert "a recorded capture" in format_packets(fallback)


@linux_only
def test_root_only_means_no_namespace_attempt():
    with sandbox.assume(root=False):
        with pytest.raises(CaptureUnavailable, match="needs root"):
            capture_http_request(how="lo")


@pytest.mark.parametrize("platform,words", [
    ("darwin", ["lo0", "tcpdump", "Wireshark"]), ("win32", ["Npcap", "loopback"])])
def test_other_platforms_are_told_which_tool_sees_loopback(monkeypatch, platform, words):
    monkeypatch.setattr(capture.sys, "platform", platform)
    with pytest.raises(CaptureUnavailable) as caught:
        capture_http_request()
    assert platform in caught.value.reason
    assert all(word in caught.value.needed for word in words)


def test_only_loopback_is_captured():
    with pytest.raises(ValueError, match="loopback"):
        capture_http_request("192.0.2.1")
    with pytest.raises(ValueError):
        capture_http_request(how="wire")


# ---- the recorded capture ----

def test_the_recorded_capture_is_one_request_with_ports_normalised():
    check_one_request(RECORDED, "127.0.0.1")
    assert RECORDED.where == "recorded on Linux (Debian 12) as root, 2026-11-29"
    assert (RECORDED.server, RECORDED.client) == ("127.0.0.1:40000", "127.0.0.1:50000")
    assert RECORDED.count == 10
    assert RECORDED.phases == {"handshake": 3, "data": 2, "acks": 2, "closing": 3}


def test_the_table_has_one_line_per_packet():
    lines = format_packets(RECORDED).splitlines()
    assert lines[0].startswith("10 packets for one HTTP request over 127.0.0.1")
    rows = lines[2:12]
    assert [row.split()[4] for row in rows] == [p.flags for p in RECORDED.packets]
    assert rows[3].endswith("GET / HTTP/1.1") and " > " in rows[0]
    assert "3 to open, 2 carrying data, 2 only acknowledging, 3 to close" in lines[12]


@linux_only
@pytest.mark.needs("root")
def test_frames_for_port_reads_one_connection_and_nothing_else():
    """The lesson's plain AF_PACKET cell: a connection opened and closed on an ephemeral
    port shows on lo as its own packets only; for IPv4 (ETH_P_IP) each packet once, for
    every protocol (ETH_P_ALL) twice, leaving and arriving (packet(7))."""
    from loopedu.capture import frames_for_port

    seen = {}
    for protocol in (0x0800, 0x0003):
        with socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                           socket.ntohs(protocol)) as sniffer:
            sniffer.bind(("lo", 0))
            with socket.create_server(("127.0.0.1", 0)) as server:
                port = server.getsockname()[1]
                with socket.create_connection(("127.0.0.1", port)), server.accept()[0]:
                    pass
            seen[protocol] = frames_for_port(sniffer, port)
            assert all(port in (s.sport, s.dport) for s in seen[protocol])
    once, twice = seen[0x0800], seen[0x0003]
    assert [s.flags for s in once[:3]] == [SYN, SYN | ACK, ACK], once
    assert sum(1 for s in once if s.flags & FIN) == 2 and once[-1].flags == ACK, once
    assert [s.flags for s in twice[:6]] == [SYN, SYN, SYN | ACK, SYN | ACK, ACK, ACK]
    assert len(twice) == 2 * len(once), (len(twice), len(once))


def test_frames_for_port_stops_when_nothing_comes():
    class Quiet:   # a packet socket where nothing arrives: recv times out
        waited = 0.0

        def settimeout(self, seconds):
            self.waited = seconds

        def recv(self, size):
            raise TimeoutError

    from loopedu.capture import frames_for_port

    quiet = Quiet()
    assert frames_for_port(quiet, 1234, quiet=0.3) == [] and quiet.waited == 0.3
