"""Lesson 07 exercises: right answers pass, wrong ones fail with help and without the
solution, the histogram key agrees with the standard library's percentiles, and the
packet and Nagle keys agree with live runs of the real thing."""

import re
import statistics

import pytest
from shared_checks import skip_or_fail

from loopedu.exercises import check
from loopedu.exercises.lesson07 import (
    HISTOGRAM_KEY,
    MEDIAN_OPTIONS,
    NAGLE_KEY,
    P99_OPTIONS,
    PACKETS_KEY,
    WHY_NUMBERS_KEY,
    histogram_samples,
)

UNTIL = "the client's kernel holds back the body until"


@pytest.mark.parametrize("exercise_id, right", [
    ("07.packets", dict(PACKETS_KEY)),
    ("07.packets", {"packets on lo for that port": "2", "flags of the first": "syn",
                    "flags of the second": "RST ACK", "connect() raises":
                    "ConnectionRefusedError", "a network card also sees them": "no"}),
    ("07.packets", {**PACKETS_KEY, "flags of the second": "[R.]",
                    "connect() raises": "connection refused"}),
    ("07.histogram", dict(HISTOGRAM_KEY)),
    ("07.histogram", {"median": "(B)", "p99": "d)", "typical round trip": " b "}),
    ("07.why-numbers", dict(WHY_NUMBERS_KEY)),
    ("07.nagle", {**NAGLE_KEY, UNTIL: "the header is acknowledged (ACK)"}),
    ("07.nagle", {**NAGLE_KEY, UNTIL: "an ACK"}),
])
def test_right_answers_pass(exercise_id, right):
    feedback = check(exercise_id, right)
    assert feedback.passed, feedback.message


@pytest.mark.parametrize("exercise_id, wrong, says", [
    ("07.packets", {**PACKETS_KEY, "packets on lo for that port": 3}, "no handshake"),
    ("07.packets", {**PACKETS_KEY, "packets on lo for that port": 1}, "not after a timeout"),
    ("07.packets", {**PACKETS_KEY, "packets on lo for that port": 4}, "counts each packet once"),
    ("07.packets", {**PACKETS_KEY, "packets on lo for that port": 0}, "listener or not"),
    ("07.packets", {**PACKETS_KEY, "flags of the second": "SYN-ACK"}, "nothing listens"),
    ("07.packets", {**PACKETS_KEY, "flags of the second": "RST"}, "second flag"),
    ("07.packets", {**PACKETS_KEY, "flags of the second": "[R]"}, "second flag"),
    ("07.packets", {**PACKETS_KEY, "connect() raises": "ETIMEDOUT"}, "silence"),
    ("07.packets", {**PACKETS_KEY, "connect() raises": "TimeoutError"}, "silence"),
    ("07.packets", {**PACKETS_KEY, "connect() raises": "ConnectionResetError"},
     "never existed"),
    ("07.packets", {**PACKETS_KEY, "a network card also sees them": True}, "Lesson 04"),
    # the key of the handshake the lesson captured is not the answer here
    ("07.packets", {"packets on lo for that port": 3, "flags of the first": "SYN",
                    "flags of the second": "SYN-ACK", "connect() raises": "ECONNREFUSED",
                    "a network card also sees them": False}, "no handshake"),
    ("07.histogram", {**HISTOGRAM_KEY, "median": "c"}, "mean"),
    ("07.histogram", {**HISTOGRAM_KEY, "p99": "b"}, "tail"),
    ("07.histogram", {**HISTOGRAM_KEY, "typical round trip": "a"}, "pulled up"),
    ("07.histogram", {**HISTOGRAM_KEY, "typical round trip": "c"}, "unlucky"),
    ("07.why-numbers", {**WHY_NUMBERS_KEY, "loopback throughput is limited by the network "
                                           "card's speed": True}, "CPU"),
    ("07.nagle", {**NAGLE_KEY, UNTIL: "a timeout"}, "something specific"),
    ("07.nagle", {**NAGLE_KEY, "a bigger receive buffer on the server fixes it": True},
     "waiting in the client"),
    ("07.nagle", {**NAGLE_KEY, "sending header and body in one write fixes it": False},
     "no second small segment"),
    # issue 21: free text that is not the key got only the key's name back
    ("07.nagle", {**NAGLE_KEY, UNTIL: "the server replies"}, "smaller than a reply"),
    ("07.nagle", {**NAGLE_KEY, UNTIL: "40 ms pass"}, "server's timer"),
    ("07.nagle", {**NAGLE_KEY, UNTIL: "Nagle"}, "what it waits for"),
    # issue 21: "20" got no word that a letter is wanted
    ("07.histogram", {**HISTOGRAM_KEY, "median": "20"}, "letter of an option"),
    ("07.histogram", {**HISTOGRAM_KEY, "median": 20}, "('a', 'b', 'c', 'd')"),
    # issue 19 item 11: lo offers checksum offload
    ("07.why-numbers", {**WHY_NUMBERS_KEY, "a TCP segment captured on lo carries the "
                                           "checksum of that segment": True},
     "checksum offload"),
    ("07.why-numbers", {**WHY_NUMBERS_KEY, "lo's packet counters grow while two processes "
                                           "talk over a Unix-domain socket": True},
     "no network device"),
])
def test_wrong_answers_fail_with_help(exercise_id, wrong, says):
    feedback = check(exercise_id, wrong)
    assert not feedback.passed
    assert says in feedback.message, feedback.message
    assert "hint(" in feedback.message


def _option_nearest(options, value):
    numbers = {k: float(re.search(r"[\d.]+", text).group()) for k, text in options.items()}
    return min(numbers, key=lambda k: abs(numbers[k] - value))


def test_histogram_key_agrees_with_the_standard_library():
    samples = histogram_samples()
    assert len(samples) == 1000 and samples == histogram_samples()
    median = statistics.median(samples)
    p99 = statistics.quantiles(samples, n=100, method="inclusive")[98]
    assert HISTOGRAM_KEY["median"] == _option_nearest(MEDIAN_OPTIONS, median)
    assert HISTOGRAM_KEY["p99"] == _option_nearest(P99_OPTIONS, p99)
    # the mean is pulled away from the median by the tail: the "typical" answer is the median
    assert statistics.mean(samples) > median * 1.2
    assert HISTOGRAM_KEY["typical round trip"] == "b"


def test_packets_key_agrees_with_a_live_capture_on_lo():
    """A real capture on this machine's lo (Linux, root) of a connect to a closed port:
    the packets of that port, their flags and connect()'s error are the key's."""
    import errno
    import socket
    import time

    from loopedu import capture, sandbox

    if not sandbox.capabilities().root or not hasattr(socket, "AF_PACKET"):
        skip_or_fail("a capture on this machine's lo needs Linux and root")
    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.ntohs(3)) as sniffer:
        sniffer.bind(("lo", 0))
        sniffer.settimeout(0.2)
        with socket.create_server(("127.0.0.1", 0)) as closed:
            port = closed.getsockname()[1]         # free, and closed again at once
        client = socket.socket()
        with client:
            raised = client.connect_ex(("127.0.0.1", port))
        flags, deadline = [], time.monotonic() + 2
        while time.monotonic() < deadline:
            try:
                frame, where = sniffer.recvfrom(65535)
            except TimeoutError:
                if len(flags) >= 2:
                    break              # 0.2 s of quiet after two: nothing more came
                continue
            segment = capture.parse_frame(frame)
            if segment and port in (segment.sport, segment.dport) \
                    and where[2] != socket.PACKET_OUTGOING:   # each packet once
                flags.append(capture.flag_text(segment.flags))
    assert len(flags) >= 2, f"only {flags} seen on lo for port {port}"
    live = {"packets on lo for that port": len(flags), "flags of the first": flags[0],
            "flags of the second": flags[1], "connect() raises": errno.errorcode[raised],
            "a network card also sees them": False}
    assert live == PACKETS_KEY
    assert check("07.packets", live).passed


@pytest.mark.skipif(not __import__("sys").platform.startswith("linux"),
                    reason="the 40 ms is Linux's TCP_DELACK_MIN")
def test_nagle_key_agrees_with_a_live_stall():
    from loopedu.measure.nagle import compare_nagle

    stall = compare_nagle(rounds=3)
    stalled = stall.median_ms("two writes, Nagle on")
    assert stalled >= 30, "Nagle plus delayed ACK should hold the body back ~40 ms"
    fixed = {"TCP_NODELAY on the client fixes it": stall.median_ms("two writes, TCP_NODELAY"),
             "sending header and body in one write fixes it":
                 stall.median_ms("one write, Nagle on")}
    for key, ms in fixed.items():
        assert (ms < stalled / 5) == NAGLE_KEY[key], key


def test_no_tcp_checksum_is_computed_on_lo():
    """Issue 19 item 11, the key of 07.why-numbers checked on the kernel itself: lo
    offers checksum offload (NETIF_F_HW_CSUM), so a TCP segment captured on lo carries
    only the pseudo-header's partial sum, not the checksum of the segment (RFC 9293
    §3.1), which a real card would fill in."""
    import socket
    import struct

    from loopedu import sandbox

    if not sandbox.capabilities().root or not hasattr(socket, "AF_PACKET"):
        skip_or_fail("a capture on this machine's lo needs Linux and root")

    def ones_complement(data: bytes) -> int:
        data += b"\0" * (len(data) % 2)
        total = sum(struct.unpack(f"!{len(data) // 2}H", data))
        while total >> 16:
            total = (total & 0xFFFF) + (total >> 16)
        return total

    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.ntohs(3)) as sniffer:
        sniffer.bind(("lo", 0))
        sniffer.settimeout(1)
        with socket.create_server(("127.0.0.1", 0)) as server:
            port = server.getsockname()[1]
            with socket.create_connection(server.getsockname()) as client:
                conn, _ = server.accept()
                with conn:
                    client.sendall(b"checksum me" * 10)
                    conn.recv(1024)
        frame = b""
        while not frame:
            candidate = sniffer.recv(65535)
            ip = candidate[14:]
            header = (ip[0] & 0x0F) * 4
            tcp = ip[header:struct.unpack("!H", ip[2:4])[0]]
            offset = (tcp[12] >> 4) * 4
            if ip[9] == 6 and struct.unpack("!H", tcp[2:4])[0] == port \
                    and len(tcp) > offset:
                frame = candidate
    pseudo = ip[12:20] + struct.pack("!BBH", 0, 6, len(tcp))
    zeroed = tcp[:16] + b"\0\0" + tcp[18:]
    computed = 0xFFFF - ones_complement(pseudo + zeroed)
    field = struct.unpack("!H", tcp[16:18])[0]
    assert field != computed, "lo carried a full TCP checksum: no offload here?"
    assert field == ones_complement(pseudo)       # the partial sum offload leaves
    key = "a TCP segment captured on lo carries the checksum of that segment"
    assert WHY_NUMBERS_KEY[key] is False


# ---- 07.nodelay: the learner's own write-write-read request --------------------------------

def _asks():
    import socket

    def fixed(sock, header, body):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.sendall(header)
        sock.sendall(body)
        return sock.recv(64)

    def two_writes(sock, header, body):
        sock.sendall(header)
        sock.sendall(body)
        return sock.recv(64)

    def one_write(sock, header, body):
        sock.sendall(header + body)
        return sock.recv(64)

    def no_reply(sock, header, body):
        fixed(sock, header, body)

    def header_only(sock, header, body):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.sendall(header)
        return sock.recv(64)

    return locals()


def test_the_fixed_request_passes_and_the_stalled_one_is_timed():
    a = _asks()
    assert check("07.nodelay", a["fixed"]).passed
    if __import__("sys").platform.startswith("linux"):
        slow = check("07.nodelay", a["two_writes"])
        assert not slow.passed and "the stall of the lesson is there" in slow.message


@pytest.mark.parametrize("name, says", [
    ("one_write", "TCP_NODELAY is not set"),
    ("no_reply", "return what recv() read"),
    ("header_only", "a reply that never came"),
])
def test_a_request_that_is_not_the_fix_is_told_why(name, says):
    feedback = check("07.nodelay", _asks()[name])
    assert not feedback.passed and says in feedback.message, feedback.message
    assert "setsockopt" not in feedback.message         # the hints say it, in turn


@pytest.mark.parametrize("answer", [None, "ask", (print, print)])
def test_nodelay_wants_the_function(answer):
    feedback = check("07.nodelay", answer)
    assert not feedback.passed
    assert answer is None or "check(\"07.nodelay\", ask)" in feedback.message


# ---- issue 21, second review: 07.nagle's free text is read, not searched for "ack" -------

#: What the client's kernel waits for, in learners' words: the server's ACK of the header.
RIGHT_UNTILS = [
    "the server acks the header",
    "the ACK of the first segment comes back",
    "an acknowledgement arrives from the server",
    "delayed ack fires",
    "the header is acknowledged (ACK)",
    "the server's kernel sends its ACK",
    "it gets the ACK for the header",
    "the client receives an acknowledgment",
    "ACK",
]

#: Wrong ideas that all contain "ack": (answer, a word of the tailored message).
WRONG_UNTILS = [
    ("no ACK", "does arrive"),
    ("the ACK is lost", "does arrive"),
    ("the server does not acknowledge", "does arrive"),
    ("the SYN-ACK arrives", "handshake"),
    ("the server sends a FIN-ACK", "closing"),
    ("the connection is closed and acked", "closing"),
    ("the body is acknowledged", "cannot be acknowledged before"),
    ("the client acknowledges", "other end"),
]


@pytest.mark.parametrize("until", RIGHT_UNTILS)
def test_the_right_idea_in_the_learners_words_passes(until):
    feedback = check("07.nagle", {**NAGLE_KEY, UNTIL: until})
    assert feedback.passed, (until, feedback.message)


@pytest.mark.parametrize("until, says", WRONG_UNTILS)
def test_a_wrong_idea_with_ack_in_it_fails_with_its_own_message(first_try, until, says):
    feedback = first_try("07.nagle", {**NAGLE_KEY, UNTIL: until})
    assert not feedback.passed, until
    assert says in feedback.message, (until, feedback.message)


@pytest.mark.parametrize("until", ["the ACK comes back", "back pressure", "the stack"])
def test_ack_is_a_word_not_a_substring(until):
    """"holds back", "stack" and "attack" carry the letters a-c-k and mean nothing of
    the kind: only the word counts."""
    from loopedu.exercises.lesson07 import read_until

    assert (read_until(until) == "ack") == until.startswith("the ACK")


# ---- 07.packets: flags read as a set, a typo told with the allowed values ------------------

def test_flags_in_another_order_are_the_same_flags():
    assert check("07.packets", {**PACKETS_KEY, "flags of the second": "ACK-RST"}).passed
    assert check("07.packets", {**PACKETS_KEY, "flags of the second": "ack + rst"}).passed
    assert not check("07.packets", {**PACKETS_KEY, "flags of the second": "ack + syn"}).passed


@pytest.mark.parametrize("key, typo, close", [("flags of the first", "SIN", "SYN"),
                                              ("flags of the second", "RTS-ACK", "RST-ACK")])
def test_a_flag_typo_says_it_is_not_an_allowed_value(first_try, key, typo, close):
    message = first_try("07.packets", {**PACKETS_KEY, key: typo}).message
    assert f"'{typo}' is not one of the allowed values" in message, message
    assert f"did you mean '{close}'" in message
    # the count of packets is a number: no list of flags is offered for it
    message = first_try("07.packets", {**PACKETS_KEY, "packets on lo for that port": 3}
                        ).message
    assert "allowed values" not in message


# ---- 07.small-writes: the tolerance the prompt states, and a fair one ------------------------

def _small_writes_cell():
    """The prediction cell of 07.small-writes in the lesson's source: (its prompt
    comment, the Tolerance its predict call states)."""
    import ast
    from pathlib import Path

    from loopedu.exercises import within

    source = (Path(__file__).resolve().parents[1] / "notebooks"
              / "07-measuring-loopback.py").read_text()
    cell = next(c for c in source.split("# %%") if 'predict("07.small-writes"' in c)
    call = next(node for node in ast.walk(ast.parse(cell.split("\n", 1)[1]))
                if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "predict")
    keywords = {k.arg: k.value for k in call.keywords}
    tolerance = within(**{k.arg: ast.literal_eval(k.value)
                          for k in keywords["tolerance"].keywords})
    prompt = " ".join(line.lstrip("# ") for line in cell.splitlines()
                      if line.startswith("#"))
    return prompt, tolerance


def test_small_writes_prompt_states_the_tolerance_the_prediction_uses():
    prompt, tolerance = _small_writes_cell()
    assert f"right {tolerance.words()}" in " ".join(prompt.split()), prompt


def test_small_writes_tolerance_tells_most_of_it_left_from_a_fifth_left():
    """The misconception the lesson is about, "small writes keep nearly all of it" (0.9),
    must not count as predicted when a fifth is left (0.2, the reference run's ratio);
    "a fifth" and "a tenth" or "a third" are the same idea."""
    _, tolerance = _small_writes_cell()
    assert not tolerance.accepts(0.9, 0.2)
    assert not tolerance.accepts(0.5, 0.2)
    assert all(tolerance.accepts(p, 0.2) for p in (0.1, 0.2, 0.3))


def test_a_unix_socket_never_reaches_lo():
    """07.why-numbers, checked on the kernel: in a fresh network namespace (nothing else
    on its lo), a megabyte over a Unix-domain socket leaves lo's packet counter as it
    was, while the same bytes over TCP on 127.0.0.1 move it (the control)."""
    import json
    import shutil
    import subprocess
    import sys

    from loopedu import sandbox

    if not sandbox.capabilities().root or not shutil.which("unshare"):
        skip_or_fail("a private network namespace needs Linux, root and unshare(1)")
    script = r"""
import json, socket, subprocess, threading
subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
def packets():
    with open("/proc/net/dev") as f:   # this namespace's counters (sysfs is the parent's)
        line = next(l for l in f if l.strip().startswith("lo:"))
    return int(line.split(":", 1)[1].split()[9])   # transmitted packets
def pump(a, b):
    got = 0
    def drain():
        nonlocal got
        while got < 1_000_000:
            got += len(b.recv(65536))
    t = threading.Thread(target=drain)
    t.start()
    a.sendall(b"x" * 1_000_000)
    t.join()
start = packets()
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
pump(a, b)
unix = packets() - start
server = socket.create_server(("127.0.0.1", 0))
client = socket.create_connection(server.getsockname())
conn, _ = server.accept()
start = packets()
pump(client, conn)
print(json.dumps({"unix": unix, "tcp": packets() - start}))
"""
    run = subprocess.run(["unshare", "--net", sys.executable, "-c", script],
                         capture_output=True, text=True, timeout=60)
    if run.returncode:
        skip_or_fail(f"unshare --net did not run here: {run.stderr.strip()[-200:]}")
    moved = json.loads(run.stdout)
    assert moved["tcp"] > 0, moved
    assert moved["unix"] == 0, moved
    key = "lo's packet counters grow while two processes talk over a Unix-domain socket"
    assert WHY_NUMBERS_KEY[key] is (moved["unix"] > 0)
