"""Lesson 08 exercises: right answers pass, wrong ones fail with help and without the
solution, the route_localnet key (other setups than the lesson's: a DNAT rule, a drop
rule written another way, a closed port) agrees with two real namespaces, and the Host
check is judged by a live server."""

import pytest

from loopedu.exercises import check
from loopedu.exercises.lesson08 import EXPOSES_KEY, ROUTE_LOCALNET_KEY, SETUPS

DNAT_OFF, DNAT_ON, IIF_DROP, CLOSED = ROUTE_LOCALNET_KEY


def right_is_allowed(host_header, port):
    name, _, given = host_header.strip().rpartition(":")
    return name.lower() in ("localhost", "127.0.0.1", "[::1]") and given == str(port)


@pytest.mark.parametrize("exercise_id, right", [
    ("08.route-localnet", dict(ROUTE_LOCALNET_KEY)),
    ("08.route-localnet", {DNAT_OFF: "timed out", DNAT_ON: "Connected", IIF_DROP: "ETIMEDOUT",
                           CLOSED: "ECONNREFUSED"}),
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
    ("08.route-localnet", {**ROUTE_LOCALNET_KEY, DNAT_OFF: "refused"}, "silently"),
    ("08.route-localnet", {**ROUTE_LOCALNET_KEY, DNAT_OFF: "connected"}, "before routing"),
    ("08.route-localnet", {**ROUTE_LOCALNET_KEY, DNAT_ON: "timeout"}, "rewritten by DNAT"),
    ("08.route-localnet", {**ROUTE_LOCALNET_KEY, IIF_DROP: "connected"}, "another form"),
    ("08.route-localnet", {**ROUTE_LOCALNET_KEY, IIF_DROP: "refused"}, "reject would"),
    ("08.route-localnet", {**ROUTE_LOCALNET_KEY, CLOSED: "timeout"}, "answers at once"),
    ("08.route-localnet", {**ROUTE_LOCALNET_KEY, CLOSED: "timeot"},
     "not one of the allowed values ('timeout', 'connected', 'refused')"),
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


def test_the_exercise_asks_what_the_lesson_did_not_measure():
    """Transfer, not replay (issue 21): the lesson's direct-route cases are not asked."""
    from loopedu import martians

    asked = " ".join(ROUTE_LOCALNET_KEY)
    assert "DNAT" in asked and "iifname" in asked and "nothing listens" in asked
    assert martians.KUBE_FIREWALL not in asked and "(the default)" not in asked


@pytest.mark.needs("network_namespaces", "nft")  # a drop rule NOT RUN is no evidence
def test_route_localnet_key_agrees_with_two_real_namespaces():
    """Each setup run for real: the DNAT demo, then in a fresh lab a closed port and a
    drop rule on the server's link (the exercise's eth0 is the lab's leak0)."""
    from loopedu import martians

    words = {True: "connected", False: "timeout"}
    nat = martians.dnat_demo()
    live = {DNAT_OFF: words[nat.reached["default"]], DNAT_ON: words[nat.reached[
        "route_localnet"]]}
    with martians._lab() as (srv_ns, server, client, port):
        srv_ns.set_sysctl(f"net.ipv4.conf.{martians.SERVER_LINK}.route_localnet", 1)
        closed = port + 1 if port < 65535 else port - 1   # nothing else listens there
        row = martians._probe(client, server, "closed", "127.0.0.1", closed, 1.0)
        live[CLOSED] = row.outcome.kind.value
        assert row.outcome.kind.value == "refused" or row.outcome.errno == "ECONNREFUSED"
        assert martians._nft(srv_ns, [
            ("add", "table", "ip", "t"),
            ("add", "chain", "ip", "t", "input",
             "{ type filter hook input priority 0 ; policy accept ; }"),
            ("add", "rule", "ip", "t", "input", "iifname", martians.SERVER_LINK, "ip",
             "daddr", "127.0.0.0/8", "drop")]) == ""
        row = martians._probe(client, server, "iif drop", "127.0.0.1", port, 1.0)
        live[IIF_DROP] = row.outcome.kind.value
    assert live == ROUTE_LOCALNET_KEY
    assert check("08.route-localnet", live).passed
