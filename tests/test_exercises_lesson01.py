"""Lesson 01 exercises: right answers pass, wrong ones fail without giving the answer,
and the answer keys agree with loopedu.addresses (an independent implementation)."""

import contextlib
import dataclasses
import ipaddress
import re
import socket

import pytest

from loopedu import addresses
from loopedu.exercises import check
from loopedu.exercises.lesson01 import (
    HISTORY_CLAIMS,
    IS_LOOPBACK_KEY,
    REGISTRY_FLAGS,
    REGISTRY_FLAGS_BLOCK,
    REGISTRY_FLAGS_KEY,
)


@pytest.mark.parametrize("exercise_id, right", [
    ("01.loopback-size", 4194304),
    ("01.loopback-size", "4,194,304"),
    ("01.slash16-size", 65536),
    ("01.is-loopback", dict(IS_LOOPBACK_KEY)),
    ("01.registry-flags", ["source", "destination", "reserved_by_protocol"]),
    ("01.registry-flags", "Source, Destination, Reserved-by-Protocol"),
    ("01.history", {"network 127 was first set aside in 1983, for BSD": False,
                    "Joy wrote BSD's loopback driver": True,
                    "Leffler chose the .1 in 1983": "yes",
                    "RFC 1122 says a host MUST implement loopback": False,
                    "RFC 1122 says 127/8 must not appear outside a host": True}),
    ("01.macos-127-0-0-2", "B"),
])
def test_right_answers_pass(exercise_id, right):
    assert check(exercise_id, right).passed


@pytest.mark.parametrize("exercise_id, wrong, says", [
    ("01.loopback-size", 2 ** 24, "127.0.0.0/8"),
    ("01.loopback-size", 2 ** 10, "fixed bits"),
    ("01.loopback-size", 22, "free bits"),
    ("01.slash16-size", 256, "That is a /24"),
    ("01.loopback-size", "lots", ""),
    ("01.slash16-size", 2 ** 24 - 2 ** 16, "free for unicast"),
    ("01.slash16-size", 65534, "hosts, not addresses"),
    ("01.slash16-size", "65,534", "RFC 1122"),
    ("01.loopback-size", 2 ** 22 - 2, "hosts, not addresses"),
    ("01.is-loopback", {**IS_LOOPBACK_KEY, "::ffff:127.8.9.10": False}, "mapped"),
    ("01.is-loopback", {**IS_LOOPBACK_KEY, "0:0:0:0:0:0:0:1": False}, "compressed"),
    ("01.is-loopback", {"127.1.2.3": True}, ""),
    ("01.is-loopback", ["127.0.0.1"], "dict"),
    ("01.registry-flags", ["source", "destination", "reserved_by_protocol",
                           "forwardable"], "RFC 3927"),
    ("01.registry-flags", ["source", "destination"], "1 missing"),
    ("01.registry-flags", ["reserved_by_protocol"], "lesson's answer for 127/8"),
    ("01.registry-flags", "reserved by protocol", "lesson's answer for 127/8"),
    ("01.registry-flags", [], ""),
    ("01.history", {**HISTORY_CLAIMS, "Joy wrote BSD's loopback driver": False},
     "November 1981"),
    ("01.history", {**HISTORY_CLAIMS,
                    "RFC 1122 says a host MUST implement loopback": True}, "RFC 1122"),
    ("01.history", {**HISTORY_CLAIMS,
                    "network 127 was first set aside in 1983, for BSD": True}, "RFC 790"),
    ("01.history", "c", "dict"),
    ("01.macos-127-0-0-2", "a", "EADDRNOTAVAIL"),
    ("01.macos-127-0-0-2", "c", "every network"),
    ("01.macos-127-0-0-2", "z", ""),
])
def test_wrong_answers_fail_with_help_and_no_solution(exercise_id, wrong, says):
    feedback = check(exercise_id, wrong)
    assert not feedback.passed
    assert says in feedback.message
    for solution in ("4,194,304", "4194304", "65,536", "65536", "lo0 alias"):
        assert solution not in feedback.message


def test_is_loopback_key_agrees_with_the_addresses_module():
    for address, expected in IS_LOOPBACK_KEY.items():
        assert addresses.is_loopback(address) is expected, address


def test_is_loopback_key_agrees_with_the_standard_library():
    """Independent truth: ipaddress, the mapped form read through its IPv4 address (which
    older releases' is_loopback does not do, gh-117566)."""
    for address, expected in IS_LOOPBACK_KEY.items():
        ip = ipaddress.ip_address(address)
        ip = getattr(ip, "ipv4_mapped", None) or ip
        assert ip.is_loopback is expected, address


def test_is_loopback_asks_about_addresses_the_lesson_did_not_classify():
    """Transfer, not replay (issue 21): the lesson's classify cell printed its own
    addresses with loopback=True/False; the exercise asks about others."""
    from pathlib import Path

    lesson = (Path(__file__).parents[1] / "notebooks" / "01-loopback-range.py").read_text()
    shown = set(re.findall(r'"([0-9a-f:.]+)"', lesson.split("addresses.classify(text)")[0]
                           .rsplit("for text in", 1)[1]))
    assert shown and not shown & set(IS_LOOPBACK_KEY)


def test_registry_flags_key_agrees_with_the_shipped_registry():
    entry = addresses.classify(REGISTRY_FLAGS_BLOCK.split("/")[0])
    assert str(entry.network) == REGISTRY_FLAGS_BLOCK
    true_flags = {f for f in REGISTRY_FLAGS if getattr(entry, f)}
    assert true_flags == REGISTRY_FLAGS_KEY
    assert check("01.registry-flags", sorted(true_flags)).passed


def test_registry_flags_asks_about_a_block_whose_flags_the_lesson_did_not_print():
    """Transfer, not replay (issue 21): the lesson's flag table shows 127/8 and AMT's
    block; the exercise asks about another, and 127/8's answer is told as such."""
    from pathlib import Path

    lesson = (Path(__file__).parents[1] / "notebooks" / "01-loopback-range.py").read_text()
    table = lesson.split("flags = (", 1)[1].split("# %% [markdown]", 1)[0]
    printed = {str(addresses.classify(a).network) for a in re.findall(r'classify\("([\d.]+)"\)',
                                                                      table)}
    assert printed and REGISTRY_FLAGS_BLOCK not in printed
    loopback = {f for f in REGISTRY_FLAGS if getattr(addresses.classify("127.0.0.1"), f)}
    feedback = check("01.registry-flags", sorted(loopback))
    assert not feedback.passed and "127/8" in feedback.message


def test_size_keys_agree_with_range_facts():
    assert check("01.loopback-size", addresses.range_facts("100.64.0.0/10").num_addresses).passed
    assert check("01.slash16-size", addresses.range_facts("127.0.0.0/16").num_addresses).passed


def test_size_keys_agree_with_the_standard_library():
    for exercise_id, block in (("01.loopback-size", "100.64.0.0/10"),
                               ("01.slash16-size", "127.0.0.0/16")):
        assert check(exercise_id, ipaddress.ip_network(block).num_addresses).passed
        assert not check(exercise_id, ipaddress.ip_network(block).num_addresses - 2).passed


# --- checker defects of issue 21 -------------------------------------------------------

@pytest.mark.parametrize("exercise_id, off_by_one", [("01.loopback-size", 2 ** 22 - 1),
                                                     ("01.slash16-size", 2 ** 16 - 1)])
def test_off_by_one_is_told_as_such(exercise_id, off_by_one):
    feedback = check(exercise_id, off_by_one)
    assert not feedback.passed and "Off by one" in feedback.message
    assert "That is not it" not in feedback.message
    assert str(off_by_one + 1) not in feedback.message.replace(",", "")


def test_an_extra_flag_is_not_counted_as_all_right():
    feedback = check("01.registry-flags", ["source", "destination", "reserved_by_protocol",
                                           "forwardable"])
    assert not feedback.passed and "3 of 3 right" not in feedback.message
    assert "1 does not belong: 'forwardable'" in feedback.message


def test_flags_with_spaces_and_a_typo_are_read_and_told():
    assert check("01.registry-flags", "source, destination, reserved by protocol").passed
    wrong = check("01.registry-flags",
                  "source, destination, reserved by protocol, globally reachable").message
    assert "'globally_reachable'" in wrong
    typo = check("01.registry-flags", ["reserved_by_protocol", "source", "destinaton"]).message
    assert "'destinaton' is not one of the allowed values" in typo
    assert "did you mean 'destination'" in typo


# --- 01.bind-127: the learner's own bind and connect, live ----------------------------

@contextlib.contextmanager
def bound_and_connected(address):
    with socket.socket() as server, socket.socket() as client:
        server.bind((address, 0))
        server.listen()
        client.connect(server.getsockname())
        yield server, client


def fake_capabilities(monkeypatch, whole_127_range):
    from loopedu.exercises import lesson01
    from loopedu.sandbox import Capability

    real = lesson01.capabilities()
    fake = dataclasses.replace(real, whole_127_range=Capability(
        whole_127_range, "bound and reached 127.0.0.2" if whole_127_range else
        "binding 127.0.0.2 failed with EADDRNOTAVAIL"))
    monkeypatch.setattr(lesson01, "capabilities", lambda: fake)


@pytest.mark.needs("whole_127_range")
@pytest.mark.parametrize("address", ["127.3.2.1", "127.255.255.254", "127.0.0.3"])
def test_another_127_address_passes_and_names_the_source_the_route_chose(address):
    with bound_and_connected(address) as pair:
        feedback = check("01.bind-127", pair)
        assert feedback.passed, feedback
        assert address in feedback.message and "came from 127.0.0.1" in feedback.message
        assert pair[0].fileno() != -1 and pair[1].getpeername() == pair[0].getsockname()


@pytest.mark.needs("whole_127_range")
def test_127_0_0_1_is_not_new_where_the_whole_range_is_loopback():
    with bound_and_connected("127.0.0.1") as pair:
        feedback = check("01.bind-127", pair)
    assert not feedback.passed and "other than 127.0.0.1" in feedback.message


@pytest.mark.needs("whole_127_range")
def test_127_0_0_2_is_the_lessons_own_and_is_not_taken():
    with bound_and_connected("127.0.0.2") as pair:
        feedback = check("01.bind-127", pair)
    assert not feedback.passed and "the lesson bound" in feedback.message


def test_where_only_127_0_0_1_is_loopback_the_check_says_so_and_takes_it(monkeypatch):
    fake_capabilities(monkeypatch, False)
    with bound_and_connected("127.0.0.1") as pair:
        feedback = check("01.bind-127", pair)
    assert feedback.passed and "only 127.0.0.1" in feedback.message
    assert "EADDRNOTAVAIL" in feedback.message
    with socket.socket() as server, socket.socket() as client:  # bind failed: unbound
        feedback = check("01.bind-127", (server, client))
    assert not feedback.passed and "not bound" in feedback.message
    assert "only 127.0.0.1" in feedback.message and "ifconfig lo0 alias" in feedback.message


def test_127_0_0_1_is_refused_where_the_range_is_whole(monkeypatch):
    fake_capabilities(monkeypatch, True)
    with bound_and_connected("127.0.0.1") as pair:
        assert not check("01.bind-127", pair).passed


@pytest.mark.needs("ipv6_loopback")
def test_ipv6_is_sent_back_to_127_8():
    with socket.socket(socket.AF_INET6) as server, socket.socket(socket.AF_INET6) as client:
        server.bind(("::1", 0))
        server.listen()
        client.connect(server.getsockname()[:2])
        feedback = check("01.bind-127", (server, client))
    assert not feedback.passed and "AF_INET" in feedback.message


def test_a_wrong_shape_or_an_unconnected_client_is_explained():
    assert "01.bind-127" in check("01.bind-127", "127.0.0.2").message
    with socket.socket() as server, socket.socket() as client:
        server.bind(("127.0.0.1", 0))
        server.listen()
        feedback = check("01.bind-127", (server, client))
    assert not feedback.passed


# --- issue 21, second review: 0.0.0.0 is not told to use the address the exercise forbids ---

@pytest.mark.parametrize("whole_range", [True, False])
@pytest.mark.parametrize("wildcard", ["0.0.0.0", ""])
def test_a_server_on_every_interface_is_pointed_at_127_8_not_127_0_0_1(monkeypatch,
                                                                       whole_range,
                                                                       wildcard):
    fake_capabilities(monkeypatch, whole_range)
    with socket.socket() as server, socket.socket() as client:
        server.bind((wildcard, 0))   # never listens: nothing can reach it
        message = check("01.bind-127", (server, client)).message
    assert "every interface" in message and "127.0.0.0/8" in message, message
    assert "reach the machine they run on" not in message      # lesson 00's pointer
    if whole_range:
        assert "other than 127.0.0.1" in message, message
    else:
        assert "only 127.0.0.1" in message, message


# --- scorecard 00-02: exercises that ask something the lesson did not print ----------

def test_the_size_block_is_one_the_lesson_did_not_count():
    from pathlib import Path

    from loopedu.exercises.lesson01 import SIZE_BLOCK

    lesson = (Path(__file__).parents[1] / "notebooks" / "01-loopback-range.ipynb")
    counted = f"{ipaddress.ip_network(SIZE_BLOCK).num_addresses:,}"
    assert counted not in lesson.read_text(encoding="utf-8")
    assert check("01.loopback-size", ipaddress.ip_network(SIZE_BLOCK).num_addresses).passed


def test_history_claims_each_need_a_source():
    """Every claim has a message for its wrong value, which names where to look."""
    from loopedu.exercises.lesson01 import HISTORY_WRONG

    assert {claim for claim, _ in HISTORY_WRONG} == set(HISTORY_CLAIMS)
    for (claim, value), _message in HISTORY_WRONG.items():
        assert value is not HISTORY_CLAIMS[claim]
