"""Lesson 02 exercises: right answers pass, wrong ones fail with help and no solution;
the keys agree with the resolver model and, as root on Linux, with glibc itself."""

import socket

import pytest

from loopedu import hosts, sandbox
from loopedu.exercises import check
from loopedu.exercises.lesson02 import (BROKEN_HOSTS, BROKEN_KEY, PREDICT_HOSTS,
                                        PREDICT_KEY, PREDICT_QUERIES)


def good_client(addresses, port):
    last = None
    for address in addresses:
        sock = socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET)
        try:
            sock.connect((address, port))
            return sock
        except OSError as exc:
            sock.close()
            last = exc
    raise last


def first_only(addresses, port):
    sock = socket.socket(socket.AF_INET6 if ":" in addresses[0] else socket.AF_INET)
    try:
        sock.connect((addresses[0], port))
    except OSError:
        sock.close()
        raise
    return sock


def swallow_errors(addresses, port):
    try:
        return good_client(addresses, port)
    except OSError:
        return None


def returns_unconnected(addresses, port):
    return socket.socket()


def test_right_answers_pass():
    assert check("02.predict-hosts", dict(PREDICT_KEY)).passed
    assert check("02.broken-hosts", sorted(BROKEN_KEY)).passed
    assert check("02.broken-hosts", "7, 4, 6").passed
    assert check("02.fix-client", good_client).passed


@pytest.mark.parametrize("exercise_id, wrong, says", [
    ("02.predict-hosts", {**PREDICT_KEY, "localhost AF_INET": ["127.0.0.1"]}, "both answer"),
    ("02.predict-hosts", {**PREDICT_KEY, "ip6-localhost AF_INET": []}, "not skipped"),
    ("02.predict-hosts", {**PREDICT_KEY, "localhost. AF_INET": ["127.0.0.1", "127.0.0.1"]},
     "trailing dot"),
    ("02.predict-hosts", {**PREDICT_KEY, "localhost AF_INET": "127.0.0.1"}, "Could not read"),
    ("02.predict-hosts", ["127.0.0.1"], "dict"),
    ("02.broken-hosts", [4, 8], "comment"),
    ("02.broken-hosts", [4], "missing"),
    ("02.fix-client", first_only, "when one address fails, catch the error"),
    ("02.fix-client", swallow_errors, "raise the last error"),
    ("02.fix-client", returns_unconnected, "not connected"),
    ("02.fix-client", "create_connection", "Expected a function"),
])
def test_wrong_answers_fail_with_help_and_no_solution(exercise_id, wrong, says):
    feedback = check(exercise_id, wrong)
    assert not feedback.passed
    assert says in feedback.message
    assert "[4, 6, 7]" not in feedback.message and "Lines 4" not in feedback.message


def test_predict_key_is_what_the_model_answers():
    parsed = hosts.parse(PREDICT_HOSTS)
    for query, (name, family) in PREDICT_QUERIES.items():
        assert parsed.lookup(name, family) == PREDICT_KEY[query], query


def test_broken_key_is_what_the_model_skips():
    skipped = {p.line for p in hosts.parse(BROKEN_HOSTS).problems if p.skipped}
    assert skipped == BROKEN_KEY


@pytest.mark.needs("mount_namespaces")
def test_predict_key_is_what_glibc_answers():
    names = {socket.AF_INET: "AF_INET", socket.AF_INET6: "AF_INET6"}
    answers = {query: sandbox.call_with_hosts(PREDICT_HOSTS, "loopedu.localhost:addresses_of",
                                              name, names[family])
               for query, (name, family) in PREDICT_QUERIES.items()}
    assert answers == PREDICT_KEY
