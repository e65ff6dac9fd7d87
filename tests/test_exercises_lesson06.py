"""Lesson 06 exercises: right answers pass, wrong ones fail with help and without the
solution, and the container, pod, pg_hba and connect keys agree with live runs of the
real thing (namespaces, a throwaway PostgreSQL server, libpq). 06.defaults and
06.pg-connect have tests of their own in tests/test_exercises_lesson06_transfer.py."""

import pytest

from loopedu.exercises import check
from loopedu.exercises.lesson06 import (
    CONTAINER_KEY,
    PG_HBA_FIXED,
    PG_HBA_LOCALHOST,
    PG_HBA_ROWS,
    PG_TRANSPORT_KEY,
    TRANSPORT_REASONS,
    TUNNEL_KEY,
    pg_hba_key,
)

PUBLISHED = "-p 127.0.0.1:8080:80: the host, to 127.0.0.1:8080"
SIDECAR = "pod: the sidecar, to 127.0.0.1:8080"
PG_HBA_KEY = pg_hba_key()


@pytest.mark.parametrize("exercise_id, right", [
    ("06.container", dict(CONTAINER_KEY)),
    ("06.container", {**CONTAINER_KEY, SIDECAR: "Connected"}),
    ("06.container", {k: v.upper() for k, v in CONTAINER_KEY.items()}),
    ("06.tunnel", dict(TUNNEL_KEY)),
    ("06.tunnel", {k: "yes" if v else "no" for k, v in TUNNEL_KEY.items()}),
    ("06.pg-hba", dict(PG_HBA_KEY)),
    ("06.pg-transport", dict(PG_TRANSPORT_KEY)),
    ("06.pg-transport", {"transport": "Unix", "reason": "(B)"}),
    ("06.pg-transport", {"transport": "unix socket", "reason": TRANSPORT_REASONS["b"]}),
    ("06.pg-transport", {"transport": "unix socket",
                         "reason": TRANSPORT_REASONS["b"].upper()}),
])
def test_right_answers_pass(exercise_id, right):
    feedback = check(exercise_id, right)
    assert feedback.passed, feedback.message


@pytest.mark.parametrize("exercise_id, wrong, says", [
    ("06.pg-transport", {**PG_TRANSPORT_KEY, "transport": "tcp 127.0.0.1"}, "no port at all"),
    ("06.pg-transport", {**PG_TRANSPORT_KEY, "transport": "localhost"}, "OS user"),
    ("06.container", {**CONTAINER_KEY, PUBLISHED: "reset"}, "binds 0.0.0.0 inside"),
    ("06.container", {**CONTAINER_KEY, PUBLISHED: "refused"}, "pass the connection"),
    ("06.container", {**CONTAINER_KEY, SIDECAR: "refused"}, "share one network namespace"),
    ("06.container", {**CONTAINER_KEY, "--network host: a program on the host, to "
                      "127.0.0.1:8080": "refused"}, "host's network stack"),
    ("06.container", {**CONTAINER_KEY, "pod: a container outside the pod, to "
                      "127.0.0.1:8080": "connected"}, "namespace of its own"),
    ("06.container", {**CONTAINER_KEY, SIDECAR: "conected"}, "not one of the allowed"),
    ("06.tunnel", {**TUNNEL_KEY, "another machine on the laptop's Wi-Fi can use the tunnel":
                   True}, "GatewayPorts"),
    ("06.tunnel", {**TUNNEL_KEY, "PostgreSQL on db.example must listen on a non-loopback "
                                 "address": True}, "its own machine"),
    ("06.tunnel", {**TUNNEL_KEY, "with that -R, every user on db.example can reach the "
                                 "laptop's port 3000": False}, "not other programs"),
    ("06.pg-hba", {**PG_HBA_KEY, "psql -U learner (no host)": "let in"}, "default folder"),
    ("06.pg-hba", {**PG_HBA_KEY, "psql -U learner -h /var/run/postgresql": "let in"},
     "slash"),
    ("06.pg-hba", {**PG_HBA_KEY, "psql -U learner -h ::1": "let in"}, "::1/128"),
    ("06.pg-hba", {**PG_HBA_KEY, "psql -U learner -h 127.0.0.1": "refsed"},
     "not one of the allowed"),
    ("06.pg-transport", {"transport": "tcp 0.0.0.0", "reason": "b"}, "every interface"),
    ("06.pg-transport", {"transport": "unix socket", "reason": "c"}, "network card"),
    ("06.pg-transport", {"transport": "unix socket", "reason": "a"}, "encrypted"),
    ("06.pg-transport", {"transport": "unix socket",
                         "reason": TRANSPORT_REASONS["a"].upper()}, "encrypted"),
])
def test_wrong_answers_fail_with_help(exercise_id, wrong, says):
    feedback = check(exercise_id, wrong)
    assert not feedback.passed
    assert says in feedback.message, feedback.message
    assert "hint(" in feedback.message


@pytest.mark.parametrize("exercise_id, key", [
    ("06.container", CONTAINER_KEY), ("06.pg-hba", PG_HBA_KEY), ("06.tunnel", TUNNEL_KEY)])
def test_wrong_values_are_named_but_never_answered(exercise_id, key, first_try):
    for name, right in key.items():
        wrong = {True: False, False: True, "connected": "refused", "refused": "let in"
                 if exercise_id == "06.pg-hba" else "connected", "let in": "refused"}[right]
        feedback = first_try(exercise_id, {**key, name: wrong})
        assert not feedback.passed
        assert "Look again at" in feedback.message
        assert repr(right) not in feedback.message, feedback.message


@pytest.mark.parametrize("exercise_id, key, allowed", [
    ("06.container", CONTAINER_KEY, "'connected', 'refused', 'reset'"),
    ("06.pg-hba", PG_HBA_KEY, "'let in', 'refused'")])
def test_a_typo_is_not_one_of_the_allowed_answers(exercise_id, key, allowed):
    """Issue 21: "conected" was marked wrong without saying it is not an answer at all."""
    name = next(iter(key))
    feedback = check(exercise_id, {**key, name: "nonsense"})
    assert not feedback.passed
    assert f"{name!r}: 'nonsense' is not one of the allowed values ({allowed})" \
        in feedback.message


def _word(exchange) -> str:
    """One row of the live demo in the exercise's words."""
    if not exchange.connect.connected:
        return "refused" if exchange.connect.errno == "ECONNREFUSED" else str(exchange.connect)
    return {"reply": "connected", "reset": "reset", "closed": "reset"}.get(exchange.after,
                                                                         exchange.after)


@pytest.mark.needs("network_namespaces")
def test_container_key_agrees_with_real_namespaces():
    """The pod rows from two processes in one namespace and one in its own (--network
    host is the same case: one namespace, the host's); the -p rows from the container
    demo's server on 0.0.0.0."""
    from loopedu import containers, pods

    pod = pods.shared_loopback_details()
    word = {True: "connected", False: "refused"}
    outside = next(v for v in pod.visits if v.name == "other")
    assert str(outside.outcome).startswith("refused")
    demo = containers.container_loopback_demo()
    rows = {r.route: r for r in demo.rows if r.server == "0.0.0.0"}
    live = {SIDECAR: word[pod.reached["sidecar"]],
            "pod: a container outside the pod, to 127.0.0.1:8080": word[pod.reached["other"]],
            "--network host: a program on the host, to 127.0.0.1:8080":
                word[pod.reached["sidecar"]],
            PUBLISHED: _word(rows["published port"].outcome),
            "-p 127.0.0.1:8080:80: the host, to its own 127.0.0.1:80":
                _word(rows["host loopback"].outcome)}
    assert live == CONTAINER_KEY
    assert check("06.container", live).passed


def test_pg_hba_key_agrees_with_a_real_postgresql_server():
    """libpq and pg_hba.conf, live, with the exercise's rows: each way of connecting
    gets what the key says on this machine, "-h localhost" included (what libpq does
    with this machine's resolver)."""
    from test_postgres import server_or_skip

    from loopedu import postgres

    server_or_skip()
    hba = "local all loopedu trust\n" + PG_HBA_ROWS
    with postgres.throwaway_cluster(hba) as cluster:
        folder = str(cluster.folder)
        ways = {"psql -U learner (no host)": postgres.try_connect(folder, cluster.port),
                "psql -U learner -h /var/run/postgresql":
                    postgres.try_connect(folder, cluster.port),
                "psql -U learner -h 127.0.0.1": postgres.try_connect("127.0.0.1",
                                                                     cluster.port),
                PG_HBA_LOCALHOST: postgres.try_connect("localhost", cluster.port)}
        if "::1" in cluster.listen:
            ways["psql -U learner -h ::1"] = postgres.try_connect("::1", cluster.port)
    word = {True: "let in", False: "refused"}
    assert ways["psql -U learner (no host)"].transport == "unix socket"
    for label, way in ways.items():
        assert word[way.connected] == PG_HBA_KEY[label], (label, way)
    assert set(PG_HBA_KEY) == set(PG_HBA_FIXED) | {PG_HBA_LOCALHOST}


def test_pg_hba_localhost_follows_the_machine(monkeypatch, first_try):
    """Two machines, two keys: localhost to ::1 first with IPv6 on meets the ::1 row."""
    from loopedu import postgres, sandbox
    from loopedu.exercises import lesson06

    caps = sandbox.capabilities()
    for addresses, ipv6, expected in ((["::1", "127.0.0.1"], True, "refused"),
                                      (["::1", "127.0.0.1"], False, "let in"),
                                      (["127.0.0.1", "::1"], True, "let in"),
                                      (["127.0.0.1"], True, "let in")):
        monkeypatch.setattr(postgres, "localhost_addresses", lambda a=addresses: list(a))
        monkeypatch.setattr(sandbox, "capabilities",
                            lambda ipv6=ipv6: type(caps)(**{**caps.__dict__,
                                                            "ipv6_loopback": ipv6}))
        key = lesson06.pg_hba_key()
        assert key[PG_HBA_LOCALHOST] == expected, (addresses, ipv6)
        other = {"let in": "refused", "refused": "let in"}[expected]
        feedback = first_try("06.pg-hba", {**key, PG_HBA_LOCALHOST: other})
        assert not feedback.passed
        assert "On this machine" in feedback.message, feedback.message
        assert ("::1 first" in feedback.message) == (expected == "refused")
