"""Lesson 04 exercises: right answers pass, wrong ones fail with help and without the
solution, and the answer keys agree with live runs of the real thing."""

import json
import re
import sys

import pytest
from netns_helpers import netns, run_in
from shared_checks import skip_or_fail

from loopedu import audit, bind_demos, measure
from loopedu.exercises import check
from loopedu.exercises.lesson04 import (
    AUDIT_ROWS,
    EXPOSED_KEY,
    LO_DOWN_KEY,
    PING_KEY,
    SHADOW_KEY,
    format_audit_rows,
)

LINUX = sys.platform.startswith("linux")


@pytest.mark.parametrize("exercise_id, right", [
    ("04.lo-down", dict(LO_DOWN_KEY)),
    ("04.ping", dict(PING_KEY)),
    ("04.ping", {k.upper(): "yes" if v else "no" for k, v in PING_KEY.items()}),
    ("04.lo-down", {"a: connect 127.0.0.2": "enetunreach",
                    "A: UDP to 127.0.0.1": "Network is unreachable",
                    "B: connect 127.0.0.2": "ETIMEDOUT", "B: UDP to 127.0.0.1": " OK ",
                    "B: connect ::1": "[Errno 99] Cannot assign requested address"}),
    ("04.lo-down", {**LO_DOWN_KEY, "B: connect 127.0.0.2": "timed out"}),
    ("04.shadowing", dict(SHADOW_KEY)),
    ("04.read-audit", sorted(EXPOSED_KEY)),
    ("04.read-audit", "sshd, mysqld, python3, node, avahi-daemon"),
    ("04.read-audit", {"SSHD", " mysqld", "python3", "node", "Avahi-Daemon"}),
])
def test_right_answers_pass(exercise_id, right):
    feedback = check(exercise_id, right)
    assert feedback.passed, feedback.message


@pytest.mark.parametrize("exercise_id, wrong, says", [
    ("04.ping", {**PING_KEY, "Wi-Fi card switched off": True}, "never reaches a network card"),
    ("04.ping", {**PING_KEY, "lo set down": False}, "keeps 127.0.0.1 and its local route"),
    ("04.ping", {**PING_KEY, "icmp_echo_ignore_all = 1": False}, "ip-sysctl.rst"),
    ("04.ping", {**PING_KEY, "web server on 127.0.0.1 crashed": True},
     "the kernel writes the echo reply itself"),
    ("04.ping", {**PING_KEY, "lo set down": "maybe"}, "Expected True or False"),
    ("04.ping", {k: None for k in PING_KEY}, "replace each None"),
    ("04.lo-down", {**LO_DOWN_KEY, "A: connect 127.0.0.2": "timeout"},
     "no local routing table"),
    ("04.lo-down", {**LO_DOWN_KEY, "B: connect 127.0.0.2": "ENETUNREACH"},
     "keeps 127.0.0.1/8 and the route"),
    ("04.lo-down", {**LO_DOWN_KEY, "B: connect 127.0.0.2": "network is unreachable"},
     "keeps 127.0.0.1/8 and the route"),
    ("04.lo-down", {**LO_DOWN_KEY, "B: connect 127.0.0.2": "ECONNREFUSED"},
     "A refusal is a reset"),
    ("04.lo-down", {**LO_DOWN_KEY, "B: UDP to 127.0.0.1": "timeout"}, "never waits"),
    ("04.lo-down", {**LO_DOWN_KEY, "B: connect ::1": "timeout"}, "IPv6 addresses leave"),
    ("04.lo-down", {**LO_DOWN_KEY, "B: connect 127.0.0.2": "ENETUNRECH"},
     "is not one of the allowed answers"),
    ("04.lo-down", {**LO_DOWN_KEY, "B: connect 127.0.0.2": "ENETUNRECH"},
     "Did you mean 'ENETUNREACH'?"),
    ("04.lo-down", {**LO_DOWN_KEY, "C: connect 127.0.0.1": "ok"}, "Not asked about"),
    ("04.shadowing", {**SHADOW_KEY, "127.0.0.2 goes to": "0.0.0.0"}, "most specific"),
    ("04.shadowing", {**SHADOW_KEY, "first without it: bind": "ok"}, "the first one too"),
    ("04.read-audit", sorted(EXPOSED_KEY | {"systemd-resolved"}), "127.0.0.0/8"),
    ("04.read-audit", sorted(EXPOSED_KEY | {"postgres"}), "loopback"),
    ("04.read-audit", sorted(EXPOSED_KEY - {"python3"}), "every IPv6 address"),
    ("04.read-audit", sorted(EXPOSED_KEY - {"avahi-daemon"}), "UDP socket"),
    ("04.read-audit", ["sshd"], "4 missing"),
])
def test_wrong_answers_fail_with_help(exercise_id, wrong, says):
    feedback = check(exercise_id, wrong)
    assert not feedback.passed
    assert says in feedback.message, feedback.message
    assert "hint(" in feedback.message


def test_wrong_values_are_named_in_full_but_never_answered(first_try):
    for key, right in LO_DOWN_KEY.items():
        wrong = "ok" if right != "ok" else "ENETUNREACH"
        message = first_try("04.lo-down", {**LO_DOWN_KEY, key: wrong}).message
        assert f"Look again at: {key!r}" in message, message   # never cut short
        assert not re.search(rf"\b{right}\b", message.replace(key, "")), message


def test_shadowing_keys_are_named_in_full(first_try):
    for key, right in SHADOW_KEY.items():
        wrong = {"127.0.0.2": "0.0.0.0", "0.0.0.0": "127.0.0.2"}.get(right, "ok")
        message = first_try("04.shadowing", {**SHADOW_KEY, key: wrong}).message
        assert f"Look again at: {key!r}" in message, message
        message = first_try("04.shadowing", {**SHADOW_KEY, key: "nobody"}).message
        assert f"For {key!r}:" in message, message


@pytest.mark.skipif(not LINUX, reason="Linux reports lo counters")
@pytest.mark.needs("network_namespaces")
def test_own_address_traffic_goes_over_lo():
    """The lesson's (and objective 1's) claim: traffic to the machine's own network
    address is routed by the local table to lo (a namespace whose eth0 holds 198.18.0.1;
    real kernel counters)."""
    from loopedu import own_address

    first = own_address.own_address_details().steps[0]
    assert first.route.startswith("local 198.18.0.1 dev lo")
    assert first.lo["sent"] >= measure.MB and first.lo["recv"] >= measure.MB
    assert first.nic == {"sent": 0, "recv": 0}


#: The questions of "04.lo-down" asked with plain sockets, answered as the exercise's
#: key words them: "ok", an errno name, or "timeout". The case's letter is argv[1].
LO_DOWN_QUESTIONS = r"""
import errno, json, socket, sys
def attempt(action):
    try:
        action()
        return "ok"
    except socket.timeout:
        return "timeout"
    except OSError as exc:
        return errno.errorcode.get(exc.errno, str(exc))
case = sys.argv[1]
answers = {}
with socket.socket() as tcp:
    tcp.settimeout(2)
    answers[case + ": connect 127.0.0.2"] = attempt(lambda: tcp.connect(("127.0.0.2", 9)))
with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
    answers[case + ": UDP to 127.0.0.1"] = attempt(lambda: udp.sendto(b"x", ("127.0.0.1", 9)))
with socket.socket(socket.AF_INET6) as tcp6:
    tcp6.settimeout(2)
    answers[case + ": connect ::1"] = attempt(lambda: tcp6.connect(("::1", 9)))
print(json.dumps(answers))
"""


@pytest.mark.needs("network_namespaces")
def test_lo_down_key_agrees_with_both_kinds_of_namespace():
    """The key is what the two cases really answer: a fresh namespace whose lo was never
    up (A), and one whose lo was brought up, then set down (B); plain sockets, no
    loopedu code under test."""
    live = {}
    with netns(lo_up=False) as never:
        done = run_in(never, sys.executable, "-c", LO_DOWN_QUESTIONS, "A", timeout=60)
        assert done.returncode == 0, done.stderr
        live.update(json.loads(done.stdout))
    with netns(lo_up=False) as down:
        down.ip("link", "set", "lo", "up")
        down.ip("link", "set", "lo", "down")
        done = run_in(down, sys.executable, "-c", LO_DOWN_QUESTIONS, "B", timeout=60)
        assert done.returncode == 0, done.stderr
        live.update(json.loads(done.stdout))
    asked = {k: v for k, v in live.items() if k in LO_DOWN_KEY}
    assert asked == LO_DOWN_KEY
    assert check("04.lo-down", asked).passed


#: One ICMP echo request to 127.0.0.1 with plain sockets (a ping socket, else a raw one):
#: "reply" or "no reply" within a second. No loopedu code under test.
PING_ONCE = r"""
import socket, struct, time
def checksum(data):
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    total = (total >> 16) + (total & 0xFFFF)
    return ~(total + (total >> 16)) & 0xFFFF
def ping():
    for kind in (socket.SOCK_DGRAM, socket.SOCK_RAW):
        try:
            sock = socket.socket(socket.AF_INET, kind, socket.IPPROTO_ICMP)
        except OSError:
            continue
        with sock:
            sock.settimeout(1)
            body = struct.pack("!BBHHH", 8, 0, 0, 0x1234, 1) + b"loopedu!"
            body = body[:2] + struct.pack("!H", checksum(body)) + body[4:]
            sock.sendto(body, ("127.0.0.1", 0))
            deadline = time.monotonic() + 1
            while time.monotonic() < deadline:
                try:
                    data = sock.recv(2048)
                except (socket.timeout, OSError):
                    return "no reply"
                if kind == socket.SOCK_RAW:
                    data = data[(data[0] & 0x0F) * 4:]   # skip the IPv4 header
                if data[0] == 0:                          # an echo reply
                    return "reply"
            return "no reply"
    return "cannot ping here"
print(ping())
"""


def ping_in(ns) -> str:
    done = run_in(ns, sys.executable, "-c", PING_ONCE, timeout=60)
    assert done.returncode == 0, done.stderr
    answer = done.stdout.strip()
    if answer == "cannot ping here":
        skip_or_fail("neither an ICMP ping socket nor a raw socket can be opened here")
    return answer


@pytest.mark.needs("network_namespaces")
def test_ping_key_agrees_with_plain_pings_in_namespaces():
    """A namespace with lo up and nothing else (no network card, no server listening)
    answers; the same with icmp_echo_ignore_all=1 does not; nor does one whose lo was
    set down. So only "lo set down" and "icmp_echo_ignore_all = 1" explain silence."""
    live = {}
    with netns() as plain:
        links = run_in(plain, "ip", "-o", "link", "show").stdout.splitlines()
        assert [line.split(":")[1].strip() for line in links] == ["lo"]  # no card at all
        replied = ping_in(plain) == "reply"                # no card, no server
        live["Wi-Fi card switched off"] = not replied
        live["web server on 127.0.0.1 crashed"] = not replied
        plain.set_sysctl("net.ipv4.icmp_echo_ignore_all", 1)
        live["icmp_echo_ignore_all = 1"] = ping_in(plain) == "no reply"
    with netns() as down:
        down.ip("link", "set", "lo", "down")
        live["lo set down"] = ping_in(down) == "no reply"
    assert live == PING_KEY
    assert check("04.ping", live).passed


#: The shadowing question with plain sockets: 0.0.0.0:P and 127.0.0.2:P with SO_REUSEPORT;
#: which accepts 127.0.0.2 and 127.0.0.3; then a first listener without the option.
SHADOW_QUESTIONS = r"""
import errno, json, select, socket
def listening(host, port, reuse):
    s = socket.socket()
    if reuse:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s.bind((host, port))
    s.listen()
    return s
out = {}
wild = listening("0.0.0.0", 0, True)
port = wild.getsockname()[1]
specific = listening("127.0.0.2", port, True)
for target in ("127.0.0.2", "127.0.0.3"):
    with socket.create_connection((target, port), timeout=2):
        ready, _, _ = select.select([wild, specific], [], [], 2)
        out[target + " goes to"] = "0.0.0.0" if ready == [wild] else "127.0.0.2"
        ready[0].accept()[0].close()
wild.close(); specific.close()
plain = listening("0.0.0.0", 0, False)
try:
    listening("127.0.0.2", plain.getsockname()[1], True).close()
    out["first without it: bind"] = "ok"
except OSError as exc:
    out["first without it: bind"] = errno.errorcode[exc.errno]
print(json.dumps(out))
"""


@pytest.mark.needs("network_namespaces")
def test_shadow_key_agrees_with_plain_sockets_in_a_namespace():
    with netns() as ns:   # it listens on 0.0.0.0: only inside a namespace of its own
        done = run_in(ns, sys.executable, "-c", SHADOW_QUESTIONS, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == SHADOW_KEY


@pytest.mark.skipif(not LINUX, reason="socket(7) behaviour, observed on Linux")
def test_the_lessons_shadowing_demo_still_shows_the_specific_bind_winning():
    demo = bind_demos.port_shadowing_demo()
    reuseport, reuseaddr = demo.cases
    if reuseport.second_bind == "not run":
        skip_or_fail(demo.where)
    assert dict(reuseport.accepted_by) == {"127.0.0.1": "127.0.0.1", "127.0.0.2": "0.0.0.0"}
    assert reuseaddr.second_bind == "EADDRINUSE"


def test_audit_key_follows_ip7():
    # loopback (127.0.0.0/8, ::1) is reachable from this host only; anything else is not
    loopback = {"127.0.0.1", "127.0.0.53", "::1"}
    assert {r["process"] for r in AUDIT_ROWS if r["address"] not in loopback} == EXPOSED_KEY
    assert {r["process"] for r in AUDIT_ROWS if audit.is_exposed(r["address"])} == EXPOSED_KEY


def test_audit_table_shows_every_made_up_row_in_order():
    header, *lines = format_audit_rows().splitlines()
    assert header.split() == ["proto", "address", "port", "process"]
    assert [line.split() for line in lines] == [
        [r["protocol"], r["address"], str(r["port"]), r["process"]] for r in AUDIT_ROWS]


# ---- 04.share-port: the learner's own sockets, checked live -------------------------

import socket  # noqa: E402
from contextlib import ExitStack  # noqa: E402

needs_reuseport = pytest.mark.skipif(not hasattr(socket, "SO_REUSEPORT"),
                                     reason="this OS has no SO_REUSEPORT")


def two_sockets(stack, family=socket.AF_INET):
    return (stack.enter_context(socket.socket(family, socket.SOCK_STREAM)),
            stack.enter_context(socket.socket(family, socket.SOCK_STREAM)))


def share(first, second, host="127.0.0.1", on=("first", "second"), option="SO_REUSEPORT",
          listen=("first", "second"), same_port=True):
    """Do what a learner's cell does; an error is swallowed, as the cell prints it."""
    socks = {"first": first, "second": second}
    try:
        for name in on:
            socks[name].setsockopt(socket.SOL_SOCKET, getattr(socket, option), 1)
        first.bind((host, 0))
        if "first" in listen:
            first.listen()
        second.bind(first.getsockname() if same_port else (host, 0))
        if "second" in listen:
            second.listen()
    except OSError:
        pass


@needs_reuseport
def test_share_port_passes_two_listeners_on_one_loopback_port():
    with ExitStack() as stack:
        first, second = two_sockets(stack)
        share(first, second)
        before = [(s.getblocking(), s.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT))
                  for s in (first, second)]
        feedback = check("04.share-port", (first, second))
        after = [(s.getblocking(), s.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT))
                 for s in (first, second)]
    assert feedback.passed, feedback.message
    assert before == after                      # the checker changes nothing of theirs
    if LINUX:   # Linux spreads TCP connections over the sockets (socket(7))
        assert "spread the checker's 16 connections over both" in feedback.message


@needs_reuseport
def test_share_port_works_on_ipv6_loopback_too():
    from loopedu import sandbox

    if not sandbox.capabilities().ipv6_loopback:
        skip_or_fail("no ::1 here")
    with ExitStack() as stack:
        first, second = two_sockets(stack, socket.AF_INET6)
        share(first, second, host="::1")
        assert check("04.share-port", (first, second)).passed


@needs_reuseport
@pytest.mark.parametrize("how, says", [
    (dict(on=("second",)), "the first one too"),
    (dict(on=("first",)), "the second one too"),
    (dict(option="SO_REUSEADDR"), "set SO_REUSEADDR"),
    (dict(listen=("first",)), "second socket is bound but not listening"),
    (dict(same_port=False), "not to one address and port"),
    (dict(on=(), listen=()), "second socket is not bound"),
])
def test_share_port_near_misses_get_help_that_points_the_way(how, says):
    with ExitStack() as stack:
        first, second = two_sockets(stack)
        share(first, second, **how)
        feedback = check("04.share-port", (first, second))
    assert not feedback.passed
    assert says in feedback.message, feedback.message
    assert "hint(" in feedback.message
    assert "setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT" not in feedback.message


@needs_reuseport
def test_share_port_refuses_a_wildcard_before_connecting_anywhere():
    with ExitStack() as stack:
        first, second = two_sockets(stack)
        share(first, second, host="0.0.0.0", listen=())   # bound, never listening
        feedback = check("04.share-port", (first, second))
    assert not feedback.passed
    assert "beyond loopback" in feedback.message


def test_share_port_wants_two_open_sockets():
    assert "as a pair" in check("04.share-port", 3).message
    with socket.socket() as one:
        assert "the same socket" in check("04.share-port", (one, one)).message
    first, second = socket.socket(), socket.socket()
    first.close()
    with second:
        assert "already closed" in check("04.share-port", (first, second)).message


# ---- issue 21, second review: values outside the question's words, strerror texts -----------

@pytest.mark.parametrize("key, value, allowed", [
    ("127.0.0.2 goes to", "refused", "('127.0.0.2', '0.0.0.0')"),
    ("127.0.0.3 goes to", "both", "('127.0.0.2', '0.0.0.0')"),
    ("first without it: bind", "EADDRINUS", "did you mean 'EADDRINUSE'"),
])
def test_shadowing_values_outside_the_questions_words_are_told_so(first_try, key, value,
                                                                   allowed):
    message = first_try("04.shadowing", {**SHADOW_KEY, key: value}).message
    assert f"For {key!r}: {value!r} is not one of the allowed values" in message, message
    assert allowed in message, message


@pytest.mark.parametrize("spelling", ["address already in use", "Address already in use.",
                                      "[Errno 98] Address already in use", "eaddrinuse"])
def test_shadowing_reads_strerror_texts_as_their_errno(spelling):
    import errno
    import os

    if "Errno" in spelling:
        spelling = f"[Errno {errno.EADDRINUSE}] {os.strerror(errno.EADDRINUSE)}"
    feedback = check("04.shadowing", {**SHADOW_KEY, "first without it: bind": spelling})
    assert feedback.passed, feedback.message


def test_lo_down_says_the_no_table_sentence_once_when_both_a_answers_are_wrong():
    # review of lessons 03-05: it was said twice
    wrong = {**LO_DOWN_KEY, "A: connect 127.0.0.2": "timeout", "A: UDP to 127.0.0.1": "ok"}
    feedback = check("04.lo-down", wrong)
    assert not feedback.passed
    assert feedback.message.count("no local routing table") == 1, feedback.message
    alone = check("04.lo-down", {**LO_DOWN_KEY, "A: UDP to 127.0.0.1": "ok"})
    assert not alone.passed and "sendto() needs a route" in alone.message
