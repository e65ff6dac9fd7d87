"""Lesson 06 exercises: right answers pass, wrong ones fail with help and without the
solution, and the container and pg_hba keys agree with live runs of the real thing."""

import pytest

from loopedu.dev_servers import DEFAULT_BINDS
from loopedu.exercises import check
from loopedu.exercises.lesson06 import (
    CONTAINER_KEY,
    DEFAULTS_KEY,
    DEFAULTS_SERVICES,
    PG_HBA_KEY,
    PG_TRANSPORT_KEY,
    TRANSPORT_REASONS,
    TUNNEL_KEY,
)

PUBLISHED = "on the host, to 127.0.0.1:8080 (the published port)"


@pytest.mark.parametrize("exercise_id, right", [
    ("06.defaults", sorted(DEFAULTS_KEY)),
    ("06.defaults", ["Python -m http.server", " MySQL", "docker run  -p 8080:80"]),
    ("06.container", dict(CONTAINER_KEY)),
    ("06.container", {**CONTAINER_KEY, PUBLISHED: "Connection reset by peer"}),
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
    ("06.defaults", sorted(DEFAULTS_KEY | {"redis"}), "protected mode"),
    ("06.defaults", sorted(DEFAULTS_KEY | {"flask run"}), "--host"),
    ("06.defaults", sorted(DEFAULTS_KEY - {"mysql"}), "1 missing"),
    ("06.defaults", "mysql", "2 missing"),
    ("06.container", {**CONTAINER_KEY, PUBLISHED: "refused"}, "Docker's proxy"),
    ("06.container", {**CONTAINER_KEY, PUBLISHED: "connected"}, "connect itself succeeds"),
    ("06.container", {**CONTAINER_KEY, "on the host, to the host's own 127.0.0.1:80":
                      "connected"}, "another one"),
    ("06.tunnel", {**TUNNEL_KEY, "another machine on the laptop's Wi-Fi can use the tunnel":
                   True}, "GatewayPorts"),
    ("06.tunnel", {**TUNNEL_KEY, "PostgreSQL on db.example must listen on a non-loopback "
                                 "address": True}, "its own machine"),
    ("06.pg-hba", {**PG_HBA_KEY, "psql -U learner -h localhost": "let in"}, "TCP"),
    ("06.pg-hba", {**PG_HBA_KEY, "psql -U learner -h /the/socket/folder": "refused"},
     "slash"),
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
        wrong = {True: False, False: True}.get(right, "nonsense")
        feedback = first_try(exercise_id, {**key, name: wrong})
        assert not feedback.passed
        assert "Look again at" in feedback.message
        assert repr(right) not in feedback.message, feedback.message


def test_every_default_service_is_asked_and_the_key_is_among_them():
    assert DEFAULTS_KEY <= set(DEFAULTS_SERVICES)
    assert len(DEFAULTS_SERVICES) - len(DEFAULTS_KEY) >= 4


def test_defaults_key_agrees_with_the_default_binds_table():
    """The key is the services asked about whose entry in dev_servers.DEFAULT_BINDS (the
    lesson's table) listens on every interface; the table's other tools (Vite, Memcached,
    Node.js...) are not asked. tests/test_dev_servers.py checks the table itself."""
    every = {entry.tool.split(" (")[0].split()[0].lower(): entry.all_interfaces
             for entry in DEFAULT_BINDS}
    table_name = {service: service.split()[0] for service in DEFAULTS_SERVICES}
    assert len(set(table_name.values())) == len(DEFAULTS_SERVICES)
    assert set(table_name.values()) <= set(every)
    assert DEFAULTS_KEY == {service for service, name in table_name.items() if every[name]}


def _word(exchange) -> str:
    """One row of the live demo in the exercise's words."""
    if not exchange.connect.connected:
        return "refused" if exchange.connect.errno == "ECONNREFUSED" else str(exchange.connect)
    return {"reply": "connected", "reset": "reset", "closed": "reset"}.get(exchange.after,
                                                                         exchange.after)


@pytest.mark.needs("network_namespaces")
def test_container_key_agrees_with_two_real_namespaces():
    from loopedu import containers

    demo = containers.container_loopback_demo()
    rows = {r.route: r for r in demo.rows if r.server == "127.0.0.1"}
    live = {"inside the container, to 127.0.0.1:80": _word(rows["container loopback"].outcome),
            "on the host, to the host's own 127.0.0.1:80": _word(rows["host loopback"].outcome),
            "on the host, to the container's address, port 80":
                _word(rows["container address"].outcome),
            PUBLISHED: _word(rows["published port"].outcome)}
    assert live == CONTAINER_KEY
    assert check("06.container", live).passed


def test_pg_hba_key_agrees_with_a_real_postgresql_server():
    """libpq and pg_hba.conf, live: the key's rows are the lesson's "socket only" rows,
    and each way of connecting gets what the key says."""
    from test_postgres import server_or_skip

    from loopedu import postgres

    server_or_skip()
    rows = [line.split() for line in postgres.HBA["socket only"].splitlines()
            if line.strip() and not line.startswith("#") and "learner" in line]
    assert rows == [["local", "all", "learner", "trust"],
                    ["host", "all", "learner", "127.0.0.1/32", "reject"],
                    ["host", "all", "learner", "::1/128", "reject"]]
    with postgres.throwaway_cluster("socket only") as cluster:
        ways = {w.label: w for w in postgres.connect_ways(cluster)}
    word = {True: "let in", False: "refused"}
    # no host is a Unix-domain socket (libpq's own folder, where this private server has
    # none); the same socket, named by its folder, lets learner in
    assert ways["no host"].transport == "unix socket"
    assert ways["host=<socket folder>"].transport == "unix socket"
    assert word[ways["host=<socket folder>"].connected] == PG_HBA_KEY[
        "psql -U learner -h /the/socket/folder"] == PG_HBA_KEY["psql -U learner (no host)"]
    for host in ("localhost", "127.0.0.1"):
        assert ways[f"host={host}"].transport == "tcp"
        assert "pg_hba.conf rejects connection" in ways[f"host={host}"].server_message
        assert word[ways[f"host={host}"].connected] == PG_HBA_KEY[f"psql -U learner -h {host}"]
