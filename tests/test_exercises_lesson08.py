"""Lesson 08 exercises: right answers pass, wrong ones fail with help and without the
solution, the route_localnet key agrees with two real namespaces, and the Host check is
judged by a live server."""

import pytest

from loopedu.exercises import check
from loopedu.exercises.lesson08 import EXPOSES_KEY, ROUTE_LOCALNET_KEY, SETUPS

DEFAULT = "S has route_localnet=0 (the default)"
ON = "S has route_localnet=1"
DROPPED = "S has route_localnet=1 and drops -d 127.0.0.0/8 ! -s 127.0.0.0/8"


def right_is_allowed(host_header, port):
    name, _, given = host_header.strip().rpartition(":")
    return name.lower() in ("localhost", "127.0.0.1", "[::1]") and given == str(port)


@pytest.mark.parametrize("exercise_id, right", [
    ("08.route-localnet", dict(ROUTE_LOCALNET_KEY)),
    ("08.route-localnet", {DEFAULT: "timed out", ON: "Connected", DROPPED: "ETIMEDOUT"}),
    # b route_localnet, c DNS rebinding, d Docker's DNAT past ufw, e Engine 27's published
    # port through the container's address (moby#45610), f ssh -R (sshd_config(5))
    ("08.exposes", ["b", "c", "d", "e", "f"]),
    ("08.exposes", "(B), c, d , E,f"),
    ("08.fix-host", right_is_allowed),
])
def test_right_answers_pass(exercise_id, right):
    feedback = check(exercise_id, right)
    assert feedback.passed, feedback.message


@pytest.mark.parametrize("exercise_id, wrong, says", [
    ("08.route-localnet", {**ROUTE_LOCALNET_KEY, DEFAULT: "refused"}, "silently"),
    ("08.route-localnet", {**ROUTE_LOCALNET_KEY, DEFAULT: "connected"}, "martian"),
    ("08.route-localnet", {**ROUTE_LOCALNET_KEY, ON: "timeout"}, "route_localnet makes"),
    ("08.route-localnet", {**ROUTE_LOCALNET_KEY, DROPPED: "connected"}, "CVE-2020-8558"),
    ("08.route-localnet", {**ROUTE_LOCALNET_KEY, DROPPED: "refused"}, "REJECT"),
    ("08.exposes", ["a", "b", "c", "d", "e", "f"], "martians"),
    ("08.exposes", ["b", "c", "d", "e", "f", "g"], "::1 is loopback too"),
    ("08.exposes", ["b", "c", "d", "e"], "1 missing"),   # ssh -R left out: it exposes
    ("08.exposes", ["b", "c", "d"], "2 missing"),
    ("08.fix-host", lambda host, port: True, "attacker.example"),
    ("08.fix-host", lambda host, port: "localhost" in host or "127.0.0.1" in host,
     "localhost.attacker.example"),
    ("08.fix-host", lambda host, port: host.rpartition(":")[0] in ("localhost", "127.0.0.1",
                                                                  "[::1]"), "port"),
    ("08.fix-host", right_is_allowed(" x", 1), "function itself"),
])
def test_wrong_answers_fail_with_help(exercise_id, wrong, says):
    feedback = check(exercise_id, wrong)
    assert not feedback.passed
    assert says in feedback.message, feedback.message
    assert "hint(" in feedback.message


def test_a_handler_that_raises_is_rejected_not_crashed():
    def broken(host, port):
        raise KeyError(host)

    feedback = check("08.fix-host", broken)
    assert not feedback.passed and "KeyError" in feedback.message, feedback.message


def test_every_setup_letter_is_asked():
    assert EXPOSES_KEY < set(SETUPS) and len(set(SETUPS) - EXPOSES_KEY) >= 2


@pytest.mark.needs("network_namespaces", "nft")  # a drop rule NOT RUN is no evidence
def test_route_localnet_key_agrees_with_two_real_namespaces():
    from loopedu import martians

    leak = martians.route_localnet_details()
    words = {True: "connected", False: "timeout"}
    rows = {row.setting: row for row in leak.rows}
    assert len(rows) == 3
    live = {DEFAULT: words[leak.reached["default"]], ON: words[leak.reached["route_localnet"]],
            DROPPED: words[not leak.blocked_again]}
    assert live == ROUTE_LOCALNET_KEY
    assert check("08.route-localnet", live).passed
