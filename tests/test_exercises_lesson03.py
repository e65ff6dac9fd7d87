"""Lesson 03 exercises: right answers pass, wrong ones fail with help and without the
solution, and the answer keys agree with loopedu's own experiments and audit."""

import re
import socket
import sys
from pathlib import Path

import pytest
from shared_checks import binds_ipv6_loopback, skip_or_fail

from loopedu import audit, lan, reachability, weak_host
from loopedu.exercises import check
from loopedu.exercises.lesson03 import (
    BIND_KEY,
    IPV4_BINDS,
    IPV6_BINDS,
    MADE_UP,
    MATRIX_BINDS,
    MATRIX_KEY,
    MATRIX_TARGETS,
    SCENARIOS,
    matrix_key,
    matrix_key_name,
    phone_question,
)

LINUX = sys.platform.startswith("linux")


def phone_key():
    """The right answer to 03.phone-reaches on this machine, as a learner writes it."""
    key = dict(phone_question().key)
    key["f"] = sorted(key["f"])
    return key


def with_(key, **changes):
    """A copy of ``key`` with some values changed (keys given with ``__`` for spaces)."""
    out = dict(key)
    for name, value in changes.items():
        out[name.replace("__", " ")] = value
    return out


def matrix_with(cell, value):
    return {**MATRIX_KEY, cell: value}


@pytest.mark.parametrize("exercise_id, right", [
    ("03.predict-matrix", dict(MATRIX_KEY)),
    ("03.predict-matrix", {k: v == "connected" for k, v in MATRIX_KEY.items()}),
    ("03.predict-matrix", {k.upper(): v.upper() for k, v in MATRIX_KEY.items()}),
    ("03.predict-matrix", {k: "ECONNREFUSED" if v == "refused" else "yes"
                           for k, v in MATRIX_KEY.items()}),
    ("03.choose-bind", dict(BIND_KEY)),
    ("03.choose-bind", {k: "::1" if v == "127.0.0.1" else "::" for k, v in BIND_KEY.items()}),
    ("03.choose-bind", with_(BIND_KEY, phone__test="192.168.1.20")),
    ("03.choose-bind", with_(BIND_KEY, metrics__agent="10.0.0.5")),
])
def test_right_answers_pass(exercise_id, right):
    feedback = check(exercise_id, right)
    assert feedback.passed, feedback.message


@pytest.mark.parametrize("exercise_id, wrong, says", [
    ("03.predict-matrix", matrix_with("0.0.0.0 -> 127.0.0.53", "refused"), "INADDR_ANY"),
    ("03.predict-matrix", matrix_with("0.0.0.0 -> 127.255.255.254", "refused"),
     "still inside 127.0.0.0/8"),
    ("03.predict-matrix", matrix_with("127.0.0.1 -> 127.0.0.53", "connected"), "only"),
    ("03.predict-matrix", matrix_with("127.0.0.53 -> 127.0.0.1", "connected"),
     "no wildcard"),
    ("03.predict-matrix", matrix_with("0.0.0.0 -> 127.0.0.1", "refused"),
     "loopback interface"),
    ("03.predict-matrix", matrix_with("0.0.0.0 -> 127.0.0.53", "timeout"), "reset"),
    ("03.predict-matrix", {k: None for k in MATRIX_KEY}, "replace each None"),
    ("03.predict-matrix", {"127.0.0.1 -> 127.0.0.1": "connected"}, "No prediction for"),
    ("03.predict-matrix", ["connected"] * 9, "dict"),
    ("03.choose-bind", with_(BIND_KEY, dev__server="0.0.0.0"), "café"),
    ("03.choose-bind", with_(BIND_KEY, phone__test="127.0.0.1"), "another machine"),
    ("03.choose-bind", with_(BIND_KEY, phone__test="::1"), "another machine"),
    ("03.choose-bind", with_(BIND_KEY, database="::"), "passwords"),
    ("03.choose-bind", with_(BIND_KEY, app__behind__proxy="0.0.0.0"), "around the proxy"),
    ("03.choose-bind", with_(BIND_KEY, metrics__agent="127.0.0.1"),
     "monitoring server is another machine"),
    ("03.choose-bind", with_(BIND_KEY, metrics__agent="::1"),
     "monitoring server is another machine"),
    ("03.choose-bind", with_(BIND_KEY, database="192.168.1.20"), "LAN address"),
    ("03.choose-bind", with_(BIND_KEY, database="everywhere"), "not a bind address"),
    ("03.choose-bind", with_(BIND_KEY, database="localhost"), "may resolve to ::1 first"),
    ("03.choose-bind", with_(BIND_KEY, dev__server=" LocalHost "), "is a name, not an"),
    ("03.choose-bind", {k: None for k in BIND_KEY}, "replace each None"),
    ("03.predict-matrix", matrix_with("0.0.0.0 -> 127.0.0.53", "conected"),
     "is not one of the allowed answers, 'connected' or 'refused'"),
])
def test_wrong_answers_fail_with_help(exercise_id, wrong, says):
    feedback = check(exercise_id, wrong)
    assert not feedback.passed
    assert says in feedback.message
    assert "hint(" in feedback.message


def test_wrong_matrix_cells_are_named_but_never_answered(first_try):
    """Every cell this machine is asked (the :: and ::1 rows only where ::1 binds: the
    check drops them elsewhere, tested below) is named when wrong, never answered."""
    asked = {cell: right for cell, right in MATRIX_KEY.items()
             if binds_ipv6_loopback() or not cell.startswith(":")}
    assert len(asked) >= 9
    for cell, right in asked.items():
        wrong = "refused" if right == "connected" else "connected"
        message = first_try("03.predict-matrix", matrix_with(cell, wrong)).message
        assert cell in message  # "Look again at: ..."
        for word in ("connected", "refused"):  # no outcome is ever given away
            assert word not in message, (cell, message)


def test_wrong_bind_choices_never_name_the_right_address(first_try):
    for scenario, right in BIND_KEY.items():
        wrong = "0.0.0.0" if right == "127.0.0.1" else "127.0.0.1"
        message = first_try("03.choose-bind", {**BIND_KEY, scenario: wrong}).message
        assert scenario in message
        assert right not in message, (scenario, message)


def test_one_wrong_cell_gets_one_explanation_not_a_repeated_one():
    wrong = {**MATRIX_KEY, "127.0.0.1 -> 127.0.0.53": "connected",
             "127.0.0.1 -> 127.255.255.254": "connected",
             "127.0.0.53 -> 127.255.255.254": "connected"}
    message = check("03.predict-matrix", wrong).message
    sentences = re.split(r"(?<=\.)\s+(?=[A-Z])", message)
    assert len(sentences) >= 4 and len(sentences) == len(set(sentences)), sentences
    # one sentence per listener, naming every address it was wrongly thought to answer
    assert "127.0.0.53 and 127.255.255.254 are other addresses" in message


def test_matrix_key_covers_the_ipv4_grid():
    assert set(MATRIX_KEY) == {matrix_key_name(b, t) for b in MATRIX_BINDS
                               for t in MATRIX_TARGETS}
    assert set(MATRIX_KEY.values()) == {"connected", "refused"}


def test_matrix_exercise_asks_addresses_the_lesson_did_not_measure():
    """Transfer, not copying: only 127.0.0.1 and 0.0.0.0 are shared with the lesson's
    matrix (the lesson's binds and destinations, read from its own experiment)."""
    lesson = set(reachability.DEFAULT_BINDS) | set(reachability.DEFAULT_TARGETS)
    assert set(IPV4_BINDS + MATRIX_TARGETS) & lesson == {"127.0.0.1", "0.0.0.0"}
    # the IPv6 rows are the lesson's binds, asked of destinations it did not measure
    assert set(IPV6_BINDS) <= set(reachability.DEFAULT_BINDS)
    assert set(MATRIX_TARGETS) & set(reachability.DEFAULT_TARGETS) == {"127.0.0.1"}


@pytest.mark.skipif(not sys.platform.startswith("linux"),
                    reason="the key is Linux's behaviour (all of 127/8 on lo)")
def test_matrix_key_agrees_with_a_live_run_on_linux():
    from loopedu.sandbox import capabilities

    binds = MATRIX_BINDS if capabilities().ipv6_loopback else IPV4_BINDS
    live = reachability.reachability(binds, MATRIX_TARGETS)
    assert {matrix_key_name(b, t): o for (b, t), o in live.items()} == matrix_key()
    assert check("03.predict-matrix",
                 {matrix_key_name(b, t): o for (b, t), o in live.items()}).passed


def test_bind_key_follows_the_lesson_rule():
    # clients on the same host -> loopback; the phone is another machine -> not loopback
    for scenario, bind in BIND_KEY.items():
        assert audit.is_exposed(bind) is (scenario in ("phone test", "metrics agent")), \
            scenario
    assert set(SCENARIOS) == set(BIND_KEY)


def test_phone_reaches_right_answers_in_any_spelling_pass():
    key = phone_key()
    assert check("03.phone-reaches", key).passed
    spelled = {k.upper(): ("yes" if v is True else "no" if v is False else v)
               for k, v in key.items()}
    spelled["F"] = [f" {a} " for a in reversed(key["f"])]   # any order, spaces around
    assert check("03.phone-reaches", spelled).passed, check("03.phone-reaches", spelled)


@pytest.mark.parametrize("change, says", [
    ({"b": True}, "answers only connections addressed to 127.0.0.1"),
    ({"c": True}, "127.0.0.1 is another address"),
    ({"d": False}, "every address of this machine"),
    ({"e": False}, "weak host demo"),
    ({"a": "ture"}, "'ture' is not one of the allowed answers, True or False"),
    ({"g": True}, "Not asked about: 'g'"),
])
def test_phone_reaches_wrong_answers_get_tailored_help(change, says):
    feedback = check("03.phone-reaches", {**phone_key(), **change})
    assert not feedback.passed
    assert says in feedback.message, feedback.message
    assert "hint(" in feedback.message


def test_phone_reaches_f_left_out_loopback_or_a_stranger():
    key = phone_key()
    without = check("03.phone-reaches", {**key, "f": [a for a in key["f"]
                                                      if a != "127.0.0.1"]})
    assert not without.passed and "Loopback is an address of this machine" in without.message
    stranger = check("03.phone-reaches", {**key, "f": key["f"] + ["203.0.113.9"]})
    assert not stranger.passed and "Not among the addresses listed: 203.0.113.9" in \
        stranger.message


def test_the_question_speaks_of_this_machine_or_says_it_made_one_up(monkeypatch):
    q = phone_question()
    assert q.address in q.text() and q.interface in q.text()
    assert q.addresses[0] == "127.0.0.1" and q.address in q.addresses
    # a machine with two networks gets its second one named in "e"
    import loopedu.exercises.lesson03 as lesson03
    monkeypatch.setattr(lesson03, "own_networks",
                        lambda: (("wlan0", "192.168.1.20"), ("docker0", "172.17.0.1")))
    two = phone_question()
    assert "docker0's network (this machine is 172.17.0.1 there)" in two.text()
    assert two.key["f"] == {"127.0.0.1", "192.168.1.20", "172.17.0.1"}
    # a machine with none gets the lesson's laptop, and is told so
    monkeypatch.setattr(lesson03, "own_networks", lambda: ())
    none = phone_question()
    assert none.made_up and (none.interface, none.address) == MADE_UP
    assert "no network address" in none.text()


@pytest.mark.skipif(not LINUX, reason="ip(8) lists the addresses on Linux")
def test_phone_question_lists_the_addresses_ip_lists():
    """The addresses of "f" are this machine's, as iproute2 says independently."""
    import ipaddress
    import shutil
    import subprocess

    if not shutil.which("ip"):
        skip_or_fail("no ip command")
    shown = subprocess.run(["ip", "-4", "-o", "addr", "show", "up"], capture_output=True,
                           text=True, check=True).stdout
    mine = {line.split()[3].split("/")[0] for line in shown.splitlines()}
    mine = {a for a in mine if not (ipaddress.ip_address(a).is_loopback
                                    or ipaddress.ip_address(a).is_link_local)}
    expected = {"127.0.0.1"} | (mine or {MADE_UP[1]})
    assert set(phone_question().addresses) == expected


@pytest.mark.needs("network_namespaces")
def test_phone_key_agrees_with_the_virtual_lan():
    """"a", "b" and "c" against the lesson's LAN, with a server bound to the laptop's
    own LAN address; "d" and "f" with a 0.0.0.0 server inside the laptop; "e" against the
    weak host demo. Never against the checker."""
    laptop = lan.LAPTOP["ipv4"]
    result = lan.lan_lab([laptop, "127.0.0.1"])
    by = {(a.client, a.bind, a.target): str(a.outcome) for a in result.attempts}
    assert result.reached == {laptop: True, "127.0.0.1": False}           # a, b
    assert by[("laptop", laptop, "127.0.0.1")] == "refused"                # c
    with lan.lan() as net:
        rows, _ = net.laptop.call("loopedu.reachability:measure_here", ["0.0.0.0"],
                                  ["127.0.0.1", laptop], 1.0, timeout=60)
    assert {r.target: str(r.outcome) for r in rows} == {"127.0.0.1": "connected",
                                                        laptop: "connected"}  # d, f
    demo = weak_host.weak_host_details()
    assert demo.reached[weak_host.SETUPS[0]]["other"] is True             # e
    key = phone_question().key
    assert (key["a"], key["b"], key["c"], key["d"], key["e"]) == (True, False, False,
                                                                   True, True)


def test_the_inaddr_any_sentence_is_said_once_for_two_wrong_wildcard_cells():
    # review of lessons 03-05: it was said once per wrong 0.0.0.0 cell
    wrong = {**MATRIX_KEY, "0.0.0.0 -> 127.0.0.53": "refused",
             "0.0.0.0 -> 127.255.255.254": "refused"}
    feedback = check("03.predict-matrix", wrong)
    assert not feedback.passed
    assert feedback.message.count("INADDR_ANY") == 1, feedback.message
    assert "0.0.0.0 -> 127.0.0.53" in feedback.message
    assert "0.0.0.0 -> 127.255.255.254" in feedback.message


@pytest.mark.parametrize("networks", [(("eth0", "192.0.2.10"),), ()],
                         ids=["one-network", "no-network"])
def test_phone_reaches_f_without_the_only_lan_address_says_why(monkeypatch, networks):
    # review of lessons 03-05: leaving out the machine's only LAN address got no reason
    import loopedu.exercises.lesson03 as lesson03

    monkeypatch.setattr(lesson03, "own_networks", lambda: networks)
    q = phone_question()
    key = dict(q.key)
    answer = {**key, "f": ["127.0.0.1"]}
    feedback = check("03.phone-reaches", answer)
    assert not feedback.passed
    assert f"{q.address}, the" in feedback.message and "own addresses" in feedback.message
    assert q.interface in feedback.message
    assert check("03.phone-reaches", {**key, "f": sorted(key["f"])}).passed


# --- 03.serve-local: the learner's own listener, probed by real connects -------------

def serving(address: str, listen: bool = True):
    """A learner's serve(): a TCP socket bound to ``address`` port 0, listening or not."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET

    def serve():
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.bind((address, 0))
        if listen:
            sock.listen()
        return sock
    return serve


def plain_connect(address: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as client:
        client.settimeout(2)
        return client.connect_ex((address, port)) == 0


def reaches_only_loopback(serve, other: str) -> bool:
    """What the exercise asks, measured here with plain connects, not by the checker."""
    sock = serve()
    try:
        port = sock.getsockname()[1]
        return plain_connect("127.0.0.1", port) and not plain_connect(other, port)
    finally:
        sock.close()


@pytest.fixture
def other_is_127_0_0_2(monkeypatch):
    """The variant of a machine with no LAN address: 127.0.0.2 must be refused."""
    from loopedu.exercises import bind_probe
    from loopedu.sandbox import capabilities

    if not capabilities().whole_127_range:
        skip_or_fail("only 127.0.0.1 is loopback here: " + capabilities().whole_127_range.reason)
    monkeypatch.setattr(bind_probe, "own_networks", lambda: ())
    assert bind_probe.other_address()[0] == "127.0.0.2"
    return "127.0.0.2"


@pytest.mark.parametrize("address, listen, says", [
    ("127.0.0.1", True, "answered 127.0.0.1 and refused the other address"),
    ("127.0.0.2", True, "answers only connections addressed to the address it bound"),
    ("127.0.0.1", False, "does not listen"),
])
def test_serve_local_agrees_with_plain_connects(other_is_127_0_0_2, address, listen, says):
    serve = serving(address, listen)
    expected = reaches_only_loopback(serve, other_is_127_0_0_2)
    assert expected is (address == "127.0.0.1" and listen)  # the test's own facts
    feedback = check("03.serve-local", serve)
    assert feedback.passed is expected, feedback.message
    assert says in feedback.message
    if not expected:
        assert "hint(" in feedback.message


def test_serve_local_on_a_fixed_port_is_told_to_bind_port_0(other_is_127_0_0_2):
    """A fixed port outside the kernel's range for port 0 (read here from /proc, not
    from the checker) answers the right addresses but fails, and says port 0."""
    proc = Path("/proc/sys/net/ipv4/ip_local_port_range")
    low = int(proc.read_text().split()[0]) if proc.exists() else 49152
    for fixed in range(low - 1, 1024, -1):
        probe = socket.socket()
        try:
            probe.bind(("127.0.0.1", fixed))
            break
        except OSError:
            continue
        finally:
            probe.close()
    else:
        skip_or_fail(f"no free port below {low} to try a fixed bind on")

    def serve():
        sock = socket.socket()
        sock.bind(("127.0.0.1", fixed))
        sock.listen()
        return sock

    feedback = check("03.serve-local", serve)
    assert not feedback.passed and f"port {fixed} is a fixed port" in feedback.message
    assert "Bind port 0" in feedback.message
    assert check("03.serve-local", serving("127.0.0.1")).passed  # port 0 still passes


@pytest.mark.needs("ipv6_loopback")
def test_serve_local_on_ipv6_loopback_is_told_families_do_not_mix(other_is_127_0_0_2):
    serve = serving("::1")
    assert not reaches_only_loopback(serve, other_is_127_0_0_2)
    feedback = check("03.serve-local", serve)
    assert not feedback.passed and "families do not mix" in feedback.message


def test_serve_local_against_this_machines_lan_address():
    """The variant most machines get: the first LAN address must be refused."""
    from loopedu.lan import own_networks

    networks = own_networks()
    if not networks:
        skip_or_fail("this machine has no LAN address")
    lan_address = networks[0][1]
    serve = serving("127.0.0.1")
    assert reaches_only_loopback(serve, lan_address)
    feedback = check("03.serve-local", serve)
    assert feedback.passed and "refused the other address" in feedback.message, \
        feedback.message


def test_serve_local_wrong_shapes_are_named():
    def returns_nothing():
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        sock.close()

    def closed_by_with():
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            sock.listen()
            return sock

    for answer, says in [(returns_nothing, "returned None"),
                         (closed_by_with, "closed socket"),
                         (lambda: "127.0.0.1", "not a socket"),
                         ("serve", "Give your function itself")]:
        feedback = check("03.serve-local", answer)
        assert not feedback.passed and says in feedback.message, feedback.message
    sock = serving("127.0.0.1")()
    try:
        feedback = check("03.serve-local", sock)   # serve() called, not serve
        assert not feedback.passed and "without calling it" in feedback.message
    finally:
        sock.close()


#: A wildcard serve() in a namespace of its own (it listens on every address: nothing
#: beyond the namespace can reach it). Plain connects first, then the check.
WILDCARD_SERVE = r"""
import json, socket, sys
from loopedu.exercises import check
address = sys.argv[1]
def serve():
    sock = socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET)
    sock.bind((address, 0))
    sock.listen()
    return sock
def reach(target, port):
    with socket.socket() as client:
        client.settimeout(2)
        return client.connect_ex((target, port)) == 0
first = serve()
plain = {t: reach(t, first.getsockname()[1]) for t in ("127.0.0.1", "127.0.0.2")}
first.close()
feedback = check("03.serve-local", serve)
print(json.dumps({"plain": plain, "passed": feedback.passed, "message": feedback.message}))
"""


@pytest.mark.needs("network_namespaces")
@pytest.mark.parametrize("wildcard", ["0.0.0.0", "::"])
def test_serve_local_on_a_wildcard_is_rejected_in_a_namespace(wildcard):
    import json

    from netns_helpers import netns, run_in

    with netns() as ns:
        done = run_in(ns, sys.executable, "-c", WILDCARD_SERVE, wildcard, timeout=60)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["plain"] == {"127.0.0.1": True, "127.0.0.2": True}   # both reach it
    assert not out["passed"]
    assert f"bound to {wildcard}, the unspecified address" in out["message"]
    assert "every address of this machine" in out["message"]


# --- 03.predict-matrix's IPv6 rows ----------------------------------------------------

@pytest.mark.parametrize("cell, wrong, says", [
    (":: -> 127.0.0.53", "refused", "dual stack"),
    (":: -> 127.0.0.1", "refused", "dual stack"),
    ("::1 -> 127.0.0.1", "connected", "only :: takes both families"),
])
@pytest.mark.needs("ipv6_loopback")
def test_ipv6_rows_wrong_cells_get_the_lessons_words(cell, wrong, says):
    feedback = check("03.predict-matrix", matrix_with(cell, wrong))
    assert not feedback.passed
    assert cell in feedback.message and says in feedback.message, feedback.message


@pytest.mark.needs("ipv6_loopback")
def test_ipv6_rows_are_asked_where_this_machine_has_ipv6_loopback():
    ipv4_only = {k: v for k, v in MATRIX_KEY.items() if k.split(" -> ")[0] in IPV4_BINDS}
    feedback = check("03.predict-matrix", ipv4_only)
    assert not feedback.passed and ":: -> 127.0.0.1" in feedback.message


def test_ipv6_rows_are_not_asked_without_ipv6_loopback():
    from loopedu.sandbox.capabilities import Capability, assume

    ipv4_only = {k: v for k, v in MATRIX_KEY.items() if k.split(" -> ")[0] in IPV4_BINDS}
    with assume(ipv6_loopback=Capability(False, "IPv6 off")):
        assert set(matrix_key()) == set(ipv4_only)
        alone = check("03.predict-matrix", ipv4_only)
        assert alone.passed and "not asked here" in alone.message, alone.message
        everything = check("03.predict-matrix", dict(MATRIX_KEY))  # the notebook's 15
        assert everything.passed, everything.message
        wrong = check("03.predict-matrix", matrix_with("0.0.0.0 -> 127.0.0.53", "refused"))
        assert not wrong.passed


def test_the_ipv6_rows_follow_the_lessons_linux_rules():
    """The key as the lesson states it for Linux: :: is dual stack, ::1 IPv6 only."""
    for target in MATRIX_TARGETS:
        assert MATRIX_KEY[f":: -> {target}"] == "connected"
        assert MATRIX_KEY[f"::1 -> {target}"] == "refused"
