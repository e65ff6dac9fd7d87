"""Lesson 04 feedback that must not hand over the answer or bury the learner: 04.read-audit
never names a process the learner has not given (review: "Missing: avahi-daemon..." could
be copied), and 04.lo-down says each sentence once and at most two reasons at a time."""

import itertools
import re

import pytest

from loopedu.exercises import check

#: Every process of the made-up audit in exercises/04 (the table the learner reads).
PROCESSES = ["sshd", "systemd-resolved", "postgres", "mysqld", "redis-server", "python3",
             "node", "cupsd", "avahi-daemon", "jupyter-lab"]
#: The five that listen beyond loopback (wildcards, ::, a LAN address, UDP on 0.0.0.0).
EXPOSED = {"sshd", "mysqld", "python3", "node", "avahi-daemon"}


def _named(message: str) -> set[str]:
    return {name for name in PROCESSES
            if re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", message)}


def _wrong_answers():
    for size in range(len(PROCESSES) + 1):
        for given in itertools.combinations(PROCESSES, size):
            if set(given) != EXPOSED:
                yield list(given)


def test_read_audit_never_names_a_process_the_learner_did_not_give(first_try):
    answers = list(_wrong_answers())
    assert len(answers) == 2 ** len(PROCESSES) - 1
    for given in answers[::7] + [["sshd", "mysqld"], ["sshd", "mysqld", "postgres"]]:
        feedback = first_try("04.read-audit", given)
        assert not feedback.passed, given
        leaked = _named(feedback.message) - set(given)
        assert not leaked, (given, feedback.message)


def test_read_audit_says_how_many_are_missing_and_what_kind(first_try):
    message = first_try("04.read-audit", ["sshd", "mysqld"]).message
    assert "3 missing" in message, message
    assert "every IPv6 address" in message and "LAN address" in message, message
    assert "UDP" in message, message
    assert not _named(message) - {"sshd", "mysqld"}, message
    extra = first_try("04.read-audit", ["sshd", "python3", "node", "avahi-daemon",
                                        "cupsd"]).message
    assert "1 does not belong" in extra and "1 missing" in extra, extra
    assert "a database bound to a wildcard" in extra, extra
    assert "mysqld" not in extra, extra


def test_read_audit_after_repeated_tries_answers_in_numbers_only(first_try):
    from loopedu.exercises.repeated_tries import REPEATED_TRIES

    first_try("04.read-audit", ["sshd"])          # a fresh progress file
    for _ in range(REPEATED_TRIES):
        message = check("04.read-audit", ["sshd", "mysqld"]).message
    assert "no longer says which" in message, message
    assert "3 missing" in message, message
    assert "IPv6" not in message and "LAN address" not in message, message


@pytest.mark.parametrize("wrong", [
    {"A: connect 127.0.0.2": "timeout", "A: UDP to 127.0.0.1": "ok",
     "B: connect 127.0.0.2": "ENETUNREACH", "B: UDP to 127.0.0.1": "ENETUNREACH",
     "B: connect ::1": "timeout"},
    {"A: connect 127.0.0.2": "ECONNREFUSED", "A: UDP to 127.0.0.1": "ECONNREFUSED",
     "B: connect 127.0.0.2": "ECONNREFUSED", "B: UDP to 127.0.0.1": "ECONNREFUSED",
     "B: connect ::1": "ECONNREFUSED"},
    {"A: connect 127.0.0.2": "ok", "A: UDP to 127.0.0.1": "ok",
     "B: connect 127.0.0.2": "ENETUNREACH", "B: UDP to 127.0.0.1": "ENETUNREACH",
     "B: connect ::1": "ENETUNREACH"},
])
def test_lo_down_all_wrong_says_each_sentence_once_and_two_reasons_at_most(first_try,
                                                                            wrong):
    message = first_try("04.lo-down", wrong).message
    assert message.startswith("0 of 5"), message
    assert message.count("Setting lo down keeps 127.0.0.1/8") <= 1, message
    sentences = [s.strip() for s in re.split(r"(?<=[.?])\s+", message) if s.strip()]
    repeated = {s for s in sentences if sentences.count(s) > 1}
    assert not repeated, message
    # the reasons the checker can give, each by a phrase of its own
    reasons = ["no local routing table", "A timeout needs a packet",
               "sendto() needs a route", "Setting lo down keeps",
               "A refusal is a reset", "sendto() only needs", "never waits for an answer",
               "A refusal would need", "IPv6 addresses leave",
               "complains about the address"]
    given = [r for r in reasons if r in message]
    assert 1 <= len(given) <= 3, message   # two reasons; one may hold two of the phrases
    assert re.search(r"\b\d more wrong answers? ha(s|ve)\b", message), message


def test_lo_down_two_wrong_keys_sharing_a_sentence_say_it_once(first_try):
    from loopedu.exercises.lesson04 import LO_DOWN_KEY

    message = first_try("04.lo-down", {**LO_DOWN_KEY, "B: connect 127.0.0.2": "ENETUNREACH",
                                       "B: UDP to 127.0.0.1": "ENETUNREACH"}).message
    assert message.count("Setting lo down keeps 127.0.0.1/8") == 1, message
    assert "nothing answers its SYN" in message and "sendto() only needs" in message
    assert "more wrong answer" not in message, message
