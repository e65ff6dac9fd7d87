"""Lesson 03 exercises: right answers pass, wrong ones fail with help and without the
solution, and the answer keys agree with loopedu's own experiments and audit."""

import re
import sys

import pytest

from loopedu import audit, lan, reachability
from loopedu.exercises import check
from loopedu.exercises.lesson03 import (
    BIND_KEY,
    MATRIX_BINDS,
    MATRIX_KEY,
    MATRIX_TARGETS,
    PHONE_KEY,
    SCENARIOS,
    matrix_key_name,
)


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
    ("03.phone-reaches", dict(PHONE_KEY)),
    ("03.phone-reaches", {"127.0.0.1": "no", "0.0.0.0": "yes", "::1": "no", "::": "yes"}),
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
    ("03.phone-reaches", {**PHONE_KEY, "127.0.0.1": True}, "LAN interface"),
    ("03.phone-reaches", {**PHONE_KEY, "::1": True}, "IPv6's loopback"),
    ("03.phone-reaches", {**PHONE_KEY, "0.0.0.0": False}, "every address"),
    ("03.phone-reaches", {**PHONE_KEY, "::": False}, "every address"),
])
def test_wrong_answers_fail_with_help(exercise_id, wrong, says):
    feedback = check(exercise_id, wrong)
    assert not feedback.passed
    assert says in feedback.message
    assert "hint(" in feedback.message


def test_wrong_matrix_cells_are_named_but_never_answered(first_try):
    for cell, right in MATRIX_KEY.items():
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
    wrong = {**MATRIX_KEY, "127.0.0.1 -> 127.0.0.2": "connected",
             "127.0.0.1 -> 127.42.42.42": "connected", "127.42.42.42 -> 127.0.0.2": "connected"}
    message = check("03.predict-matrix", wrong).message
    sentences = re.split(r"(?<=\.)\s+(?=[A-Z])", message)
    assert len(sentences) >= 4 and len(sentences) == len(set(sentences)), sentences
    # one sentence per listener, naming every address it was wrongly thought to answer
    assert "127.0.0.2 and 127.42.42.42 are other addresses" in message


def test_matrix_key_covers_the_ipv4_grid():
    assert set(MATRIX_KEY) == {matrix_key_name(b, t) for b in MATRIX_BINDS
                               for t in MATRIX_TARGETS}
    assert set(MATRIX_KEY.values()) == {"connected", "refused"}


@pytest.mark.skipif(not sys.platform.startswith("linux"),
                    reason="the key is Linux's behaviour (all of 127/8 on lo)")
def test_matrix_key_agrees_with_a_live_run_on_linux():
    live = reachability.reachability(MATRIX_BINDS, MATRIX_TARGETS)
    assert {matrix_key_name(b, t): o for (b, t), o in live.items()} == MATRIX_KEY
    assert check("03.predict-matrix",
                 {matrix_key_name(b, t): o for (b, t), o in live.items()}).passed


def test_bind_key_follows_the_lesson_rule():
    # clients on the same host -> loopback; the phone is another machine -> not loopback
    for scenario, bind in BIND_KEY.items():
        assert audit.is_exposed(bind) is (scenario == "phone test"), scenario
    assert set(SCENARIOS) == set(BIND_KEY)


@pytest.mark.needs("network_namespaces")
def test_phone_key_agrees_with_the_virtual_lan():
    assert lan.lan_exposure() == PHONE_KEY
