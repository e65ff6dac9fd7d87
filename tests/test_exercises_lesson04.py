"""Lesson 04 exercises: right answers pass, wrong ones fail with help and without the
solution, and the answer keys agree with live runs of the real thing."""

import json
import re
import sys

import pytest
from netns_helpers import netns, run_in

from loopedu import audit, bind_demos, measure, sandbox
from loopedu.exercises import check
from loopedu.exercises.lesson04 import (
    AUDIT_ROWS,
    COUNTERS_KEY,
    EXPOSED_KEY,
    LO_DOWN_KEY,
    SHADOW_KEY,
    format_audit_rows,
)

LINUX = sys.platform.startswith("linux")


@pytest.mark.parametrize("exercise_id, right", [
    ("04.counters", dict(COUNTERS_KEY)),
    ("04.counters", {k: str(v) for k, v in COUNTERS_KEY.items()}),
    ("04.lo-down", dict(LO_DOWN_KEY)),
    ("04.lo-down", {"bind 127.0.0.1": "OK", "connect to 127.0.0.1": "enetunreach",
                    "bind ::1": " EADDRNOTAVAIL "}),
    ("04.shadowing", dict(SHADOW_KEY)),
    ("04.read-audit", sorted(EXPOSED_KEY)),
    ("04.read-audit", "sshd, mysqld, python3, node, avahi-daemon"),
    ("04.read-audit", {"SSHD", " mysqld", "python3", "node", "Avahi-Daemon"}),
])
def test_right_answers_pass(exercise_id, right):
    feedback = check(exercise_id, right)
    assert feedback.passed, feedback.message


@pytest.mark.parametrize("exercise_id, wrong, says", [
    ("04.counters", {**COUNTERS_KEY, "lo sent": 10}, "once as sent"),
    ("04.counters", {**COUNTERS_KEY, "network card sent": 5}, "no network card"),
    ("04.lo-down", {**LO_DOWN_KEY, "connect to 127.0.0.1": "ECONNREFUSED"}, "no route"),
    ("04.lo-down", {**LO_DOWN_KEY, "connect to 127.0.0.1": "timeout"}, "Look again at"),
    ("04.lo-down", {**LO_DOWN_KEY, "bind ::1": "ok"}, "comes up"),
    ("04.lo-down", {**LO_DOWN_KEY, "bind 127.0.0.1": "EADDRNOTAVAIL"}, "configured on lo"),
    ("04.shadowing", {**SHADOW_KEY, "SO_REUSEPORT on both: 127.0.0.1:P goes to": "0.0.0.0"},
     "most specific"),
    ("04.shadowing", {**SHADOW_KEY, "SO_REUSEADDR only: the second bind gives": "ok"},
     "SO_REUSEADDR does not"),
    ("04.read-audit", sorted(EXPOSED_KEY | {"systemd-resolved"}), "127.0.0.0/8"),
    ("04.read-audit", sorted(EXPOSED_KEY | {"postgres"}), "loopback"),
    ("04.read-audit", sorted(EXPOSED_KEY - {"python3"}), "Missing: python3 listens on ::"),
    ("04.read-audit", sorted(EXPOSED_KEY - {"avahi-daemon"}), "UDP socket"),
    ("04.read-audit", ["sshd"], "4 missing"),
])
def test_wrong_answers_fail_with_help(exercise_id, wrong, says):
    feedback = check(exercise_id, wrong)
    assert not feedback.passed
    assert says in feedback.message, feedback.message
    assert "hint(" in feedback.message


def test_wrong_values_are_named_but_never_answered():
    for key, right in LO_DOWN_KEY.items():
        wrong = "ok" if right != "ok" else "ENETUNREACH"
        message = check("04.lo-down", {**LO_DOWN_KEY, key: wrong}).message
        assert key in message, message
        assert not re.search(rf"\b{right}\b", message.replace(key, "")), message


@pytest.mark.skipif(not LINUX, reason="Linux reports lo counters")
@pytest.mark.needs("network_namespaces")
def test_counters_key_agrees_with_a_live_run():
    # in a namespace of its own: this machine's lo also carries the other tests' traffic
    isolated = sandbox.isolated_call("loopedu.measure.counters:counter_experiment", 5)
    assert isolated.isolated, isolated.reason
    run = isolated.result
    mb = measure.MB
    assert run.delta["lo"]["sent"] // mb >= COUNTERS_KEY["lo sent"]
    assert run.delta["lo"]["recv"] // mb >= COUNTERS_KEY["lo received"]
    assert check("04.counters", {"lo sent": run.delta["lo"]["sent"] // mb,
                                 "lo received": run.delta["lo"]["recv"] // mb,
                                 "network card sent": 0,
                                 "network card received": 0}).passed


#: The three questions of "04.lo-down" asked with plain sockets, answered as the
#: exercise's key words them: "ok", an errno name, or "timeout".
LO_DOWN_QUESTIONS = r"""
import errno, json, socket
def attempt(action):
    try:
        action()
        return "ok"
    except socket.timeout:
        return "timeout"
    except OSError as exc:
        return errno.errorcode.get(exc.errno, str(exc))
answers = {}
with socket.socket() as server, socket.socket() as client, \
        socket.socket(socket.AF_INET6) as v6:
    answers["bind 127.0.0.1"] = attempt(lambda: server.bind(("127.0.0.1", 0)))
    server.listen()
    client.settimeout(3)
    answers["connect to 127.0.0.1"] = attempt(lambda: client.connect(server.getsockname()))
    answers["bind ::1"] = attempt(lambda: v6.bind(("::1", 0)))
print(json.dumps(answers))
"""


@pytest.mark.needs("network_namespaces")
def test_lo_down_key_agrees_with_a_namespace_whose_lo_is_down():
    """The key is what a fresh namespace, whose lo was never brought up, really answers
    (the case the exercise asks about): the same three questions, with plain sockets."""
    with netns(lo_up=False) as ns:
        done = run_in(ns, sys.executable, "-c", LO_DOWN_QUESTIONS, timeout=60)
    assert done.returncode == 0, done.stderr
    live = json.loads(done.stdout)
    assert live == LO_DOWN_KEY
    assert check("04.lo-down", live).passed


@pytest.mark.skipif(not LINUX, reason="socket(7) behaviour, observed on Linux")
def test_shadow_key_agrees_with_a_live_run():
    demo = bind_demos.port_shadowing_demo()
    reuseport, reuseaddr = demo.cases
    assert dict(reuseport.accepted_by) == {
        "127.0.0.1": SHADOW_KEY["SO_REUSEPORT on both: 127.0.0.1:P goes to"],
        "127.0.0.2": SHADOW_KEY["SO_REUSEPORT on both: 127.0.0.2:P goes to"]}
    assert reuseaddr.second_bind == SHADOW_KEY["SO_REUSEADDR only: the second bind gives"]


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
