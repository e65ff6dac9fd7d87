"""Lesson 01 exercises: right answers pass, wrong ones fail without giving the answer,
and the answer keys agree with loopedu.addresses (an independent implementation)."""

import ipaddress

import pytest

from loopedu import addresses
from loopedu.exercises import check
from loopedu.exercises.lesson01 import IS_LOOPBACK_KEY, REGISTRY_FLAGS


@pytest.mark.parametrize("exercise_id, right", [
    ("01.loopback-size", 16777216),
    ("01.loopback-size", "16,777,216"),
    ("01.slash16-size", 65536),
    ("01.is-loopback", dict(IS_LOOPBACK_KEY)),
    ("01.registry-flags", ["reserved_by_protocol"]),
    ("01.registry-flags", "Reserved-by-Protocol"),
    ("01.history", "c"),
    ("01.macos-127-0-0-2", "B"),
])
def test_right_answers_pass(exercise_id, right):
    assert check(exercise_id, right).passed


@pytest.mark.parametrize("exercise_id, wrong, says", [
    ("01.loopback-size", 256, "/8 blocks"),
    ("01.loopback-size", 24, "free bits"),
    ("01.loopback-size", "lots", ""),
    ("01.slash16-size", 2 ** 24 - 2 ** 16, "free for unicast"),
    ("01.slash16-size", 65534, "hosts, not addresses"),
    ("01.slash16-size", "65,534", "RFC 1122"),
    ("01.loopback-size", 2 ** 24 - 2, "hosts, not addresses"),
    ("01.is-loopback", {**IS_LOOPBACK_KEY, "::ffff:127.0.0.1": False}, "mapped"),
    ("01.is-loopback", {"127.0.0.1": True}, ""),
    ("01.is-loopback", ["127.0.0.1"], "dict"),
    ("01.registry-flags", ["reserved_by_protocol", "destination"], "inside the host"),
    ("01.registry-flags", [], ""),
    ("01.history", "b", "1981"),
    ("01.history", "a", "RFC 1122"),
    ("01.macos-127-0-0-2", "a", "Linux"),
    ("01.macos-127-0-0-2", "z", ""),
])
def test_wrong_answers_fail_with_help_and_no_solution(exercise_id, wrong, says):
    feedback = check(exercise_id, wrong)
    assert not feedback.passed
    assert says in feedback.message
    for solution in ("16,777,216", "16777216", "65,536", "65536", "Leffler"):
        assert solution not in feedback.message


def test_is_loopback_key_agrees_with_the_addresses_module():
    for address, expected in IS_LOOPBACK_KEY.items():
        assert addresses.is_loopback(address) is expected, address


def test_registry_flags_key_agrees_with_the_shipped_registry():
    entry = addresses.classify("127.0.0.1")
    true_flags = {f for f in REGISTRY_FLAGS if getattr(entry, f)}
    assert check("01.registry-flags", sorted(true_flags)).passed


def test_size_keys_agree_with_range_facts():
    assert check("01.loopback-size", addresses.range_facts("127.0.0.0/8").num_addresses).passed
    assert check("01.slash16-size", addresses.range_facts("127.0.0.0/16").num_addresses).passed


def test_size_keys_agree_with_the_standard_library():
    for exercise_id, block in (("01.loopback-size", "127.0.0.0/8"),
                               ("01.slash16-size", "127.0.0.0/16")):
        assert check(exercise_id, ipaddress.ip_network(block).num_addresses).passed
        assert not check(exercise_id, ipaddress.ip_network(block).num_addresses - 2).passed
