"""Lesson 03 exercises: right answers pass, wrong ones fail with help and without the
solution, and the answer keys agree with loopedu's own experiments and audit."""

import sys

import pytest

from loopedu import audit, experiments
from loopedu.exercises import check
from loopedu.exercises.lesson03 import (AUDIT_ROWS, BIND_KEY, EXPOSED_KEY, MATRIX_BINDS,
                                        MATRIX_KEY, MATRIX_TARGETS, SCENARIOS,
                                        format_audit_rows, matrix_key_name)


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
    ("03.choose-bind", with_(BIND_KEY, phone__test="192.168.1.20", database="localhost")),
    ("03.read-audit", sorted(EXPOSED_KEY)),
    ("03.read-audit", "sshd, mysqld, python3, node, avahi-daemon"),
    ("03.read-audit", {"SSHD", " mysqld", "python3", "node", "Avahi-Daemon"}),
])
def test_right_answers_pass(exercise_id, right):
    feedback = check(exercise_id, right)
    assert feedback.passed, feedback.message


@pytest.mark.parametrize("exercise_id, wrong, says", [
    ("03.predict-matrix", matrix_with("0.0.0.0 -> 127.0.0.2", "refused"), "INADDR_ANY"),
    ("03.predict-matrix", matrix_with("127.0.0.1 -> 127.0.0.2", "connected"), "only"),
    ("03.predict-matrix", matrix_with("127.42.42.42 -> 127.0.0.1", "connected"),
     "no wildcard"),
    ("03.predict-matrix", matrix_with("0.0.0.0 -> 127.0.0.1", "refused"),
     "loopback interface"),
    ("03.predict-matrix", matrix_with("0.0.0.0 -> 127.0.0.2", "timeout"), "reset"),
    ("03.predict-matrix", {k: None for k in MATRIX_KEY}, "replace each None"),
    ("03.predict-matrix", {"127.0.0.1 -> 127.0.0.1": "connected"}, "No prediction for"),
    ("03.predict-matrix", ["connected"] * 9, "dict"),
    ("03.choose-bind", with_(BIND_KEY, dev__server="0.0.0.0"), "café"),
    ("03.choose-bind", with_(BIND_KEY, phone__test="127.0.0.1"), "another machine"),
    ("03.choose-bind", with_(BIND_KEY, phone__test="::1"), "another machine"),
    ("03.choose-bind", with_(BIND_KEY, database="::"), "passwords"),
    ("03.choose-bind", with_(BIND_KEY, app__behind__proxy="0.0.0.0"), "around the proxy"),
    ("03.choose-bind", with_(BIND_KEY, database="192.168.1.20"), "LAN address"),
    ("03.choose-bind", with_(BIND_KEY, database="everywhere"), "not a bind address"),
    ("03.choose-bind", {k: None for k in BIND_KEY}, "replace each None"),
    ("03.read-audit", sorted(EXPOSED_KEY | {"systemd-resolved"}), "127.0.0.0/8"),
    ("03.read-audit", sorted(EXPOSED_KEY | {"postgres"}), "loopback"),
    ("03.read-audit", sorted(EXPOSED_KEY - {"python3"}), "1 missing"),
    ("03.read-audit", sorted(EXPOSED_KEY - {"avahi-daemon"}), "1 missing"),
    ("03.read-audit", ["sshd"], "4 missing"),
])
def test_wrong_answers_fail_with_help(exercise_id, wrong, says):
    feedback = check(exercise_id, wrong)
    assert not feedback.passed
    assert says in feedback.message
    assert "hint(" in feedback.message


def test_wrong_matrix_cells_are_named_but_never_answered():
    for cell, right in MATRIX_KEY.items():
        wrong = "refused" if right == "connected" else "connected"
        message = check("03.predict-matrix", matrix_with(cell, wrong)).message
        assert cell in message  # "Look again at: ..."
        for word in ("connected", "refused"):  # no outcome is ever given away
            assert word not in message, (cell, message)


def test_wrong_bind_choices_never_name_the_right_address():
    for scenario, right in BIND_KEY.items():
        wrong = "0.0.0.0" if right == "127.0.0.1" else "127.0.0.1"
        message = check("03.choose-bind", {**BIND_KEY, scenario: wrong}).message
        assert scenario in message
        assert right not in message, (scenario, message)


def test_audit_feedback_never_names_a_missing_service():
    for missing in EXPOSED_KEY:
        message = check("03.read-audit", sorted(EXPOSED_KEY - {missing})).message
        assert missing not in message


def test_matrix_key_covers_the_ipv4_grid():
    assert set(MATRIX_KEY) == {matrix_key_name(b, t) for b in MATRIX_BINDS
                               for t in MATRIX_TARGETS}
    assert set(MATRIX_KEY.values()) == {"connected", "refused"}


@pytest.mark.skipif(not sys.platform.startswith("linux"),
                    reason="the key is Linux's behaviour (all of 127/8 on lo)")
def test_matrix_key_agrees_with_a_live_run_on_linux():
    live = experiments.reachability(MATRIX_BINDS, MATRIX_TARGETS)
    assert {matrix_key_name(b, t): o for (b, t), o in live.items()} == MATRIX_KEY
    assert check("03.predict-matrix",
                 {matrix_key_name(b, t): o for (b, t), o in live.items()}).passed


def test_audit_key_agrees_with_the_audit_module():
    assert {r["process"] for r in AUDIT_ROWS if audit.is_exposed(r["address"])} == EXPOSED_KEY
    # and a process is never both exposed and not (the question is per service)
    for name in {r["process"] for r in AUDIT_ROWS}:
        kinds = {audit.is_exposed(r["address"]) for r in AUDIT_ROWS if r["process"] == name}
        assert len(kinds) == 1, name


def test_audit_report_of_the_made_up_rows_counts_the_same():
    rows = [audit.Listening(r["address"], r["port"], r["protocol"], i + 100, r["process"],
                            audit.is_exposed(r["address"])) for i, r in enumerate(AUDIT_ROWS)]
    first = audit.exposure_report(rows).splitlines()[0]
    assert first.startswith(f"{len(EXPOSED_KEY)} of {len(AUDIT_ROWS)} ")


def test_bind_key_follows_the_lesson_rule():
    # clients on the same host -> loopback; the phone is another machine -> not loopback
    for scenario, bind in BIND_KEY.items():
        assert audit.is_exposed(bind) is (scenario == "phone test"), scenario
    assert set(SCENARIOS) == set(BIND_KEY)


def test_audit_table_shows_every_made_up_row_in_order():
    header, *lines = format_audit_rows().splitlines()
    assert header.split() == ["proto", "address", "port", "process"]
    assert [line.split() for line in lines] == [
        [r["protocol"], r["address"], str(r["port"]), r["process"]] for r in AUDIT_ROWS]
    shorter = format_audit_rows(AUDIT_ROWS[:2]).splitlines()
    assert shorter[1:] == lines[:2]
