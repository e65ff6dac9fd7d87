"""Lesson 04 exercises: right answers pass, typical wrong ones fail with a helpful
message that never contains the solution, and the keys agree with ipaddress, the C
library's inet_ntop and a live check of each locality snippet, on this Python and
against an ipaddress without the gh-117566 fix."""

import ipaddress
import socket
import types

import pytest

import loopedu
from loopedu.exercises import check
from loopedu.exercises.lesson04 import (COMPRESS_QUESTION, DUAL_STACK_KEY, EXPAND_QUESTION,
                                        LOCALITY_OPTIONS)

COMPRESSED = "2001:db8::1:0:0:1"
EXPANDED = "2001:0db8:0000:0000:0000:ff00:0042:8329"
SOLUTIONS = {"04.compress": [COMPRESSED], "04.expand": [EXPANDED],
             "04.dual-stack": ["::ffff:127.0.0.1", "EADDRINUSE"],
             "04.locality-check": ["(a)", "ip_address(host).is_loopback"]}


@pytest.mark.parametrize("exercise_id, right", [
    ("04.compress", COMPRESSED),
    ("04.compress", f"  {COMPRESSED}\n"),
    ("04.expand", EXPANDED),
    ("04.expand", EXPANDED.upper()),
    ("04.dual-stack", dict(DUAL_STACK_KEY)),
    ("04.dual-stack", {k.upper(): v.upper() for k, v in DUAL_STACK_KEY.items()}),
    ("04.locality-check", "a"),
    ("04.locality-check", "(A)"),
])
def test_right_answers_pass(exercise_id, right):
    assert check(exercise_id, right).passed


@pytest.mark.parametrize("exercise_id, wrong, says", [
    ("04.compress", COMPRESSED.upper(), "lowercase"),
    ("04.compress", "2001:0db8::1:0:0:1", "leading zero"),
    ("04.compress", "2001:db8:0:0:1::1", "first one when two are equally long"),
    ("04.compress", "2001:db8:0:0:1:0:0:1", "compress one with '::'"),
    ("04.compress", "2001:db8::1", "different address"),
    ("04.compress", "2001:db8::1::1", "'::' twice"),
    ("04.compress", 42, "Expected text"),
    ("04.expand", "2001:db8:0:0:0:ff00:42:8329", "exactly 4 hex digits"),
    ("04.expand", "2001:0db8:0000:0000:ff00:0042:8329", "7 groups"),
    ("04.expand", EXPAND_QUESTION, "still compressed"),
    ("04.expand", "2001:0db8:0000:0000:0000:0000:ff00:0042", "not the same address"),
    ("04.dual-stack", {**DUAL_STACK_KEY, "off: server sees": "127.0.0.1"}, "AF_INET6"),
    ("04.dual-stack", {**DUAL_STACK_KEY, "off: IPv4 to 127.0.0.1": "refused"},
     "bindv6only=0"),
    ("04.dual-stack", {**DUAL_STACK_KEY, "off: bind 0.0.0.0 same port": "ok"},
     "already takes IPv4"),
    ("04.dual-stack", {**DUAL_STACK_KEY, "on: bind 0.0.0.0 same port": "EADDRINUSE"},
     "free"),
    ("04.dual-stack", {k: None for k in DUAL_STACK_KEY}, "No predictions yet"),
    ("04.dual-stack", "connected", "dict"),
    ("04.locality-check", "b", "looks inside"),
    ("04.locality-check", "c", "ipv4_mapped"),
    ("04.locality-check", "z", "no option"),
])
def test_wrong_answers_fail_with_help_and_no_solution(exercise_id, wrong, says):
    feedback = check(exercise_id, wrong)
    assert not feedback.passed
    assert says in feedback.message, feedback.message
    shown = feedback.message.replace(f"You gave {wrong!r}.", "")
    for solution in SOLUTIONS[exercise_id]:
        assert solution.lower() not in shown.lower(), (solution, feedback.message)


def test_notation_keys_agree_with_ipaddress_and_inet_ntop():
    packed = ipaddress.IPv6Address(COMPRESS_QUESTION).packed
    assert COMPRESSED == socket.inet_ntop(socket.AF_INET6, packed)
    assert COMPRESSED == ipaddress.IPv6Address(COMPRESS_QUESTION).compressed
    assert EXPANDED == ipaddress.IPv6Address(EXPAND_QUESTION).exploded
    assert check("04.compress", COMPRESSED).passed and check("04.expand", EXPANDED).passed


class _UnfixedIPv6Address(ipaddress.IPv6Address):
    """IPv6Address.is_loopback as ipaddress has it without the gh-117566 fix: only ::1
    (RFC 4291 section 2.5.3), mapped addresses not looked into."""

    @property
    def is_loopback(self):
        return int(self) == 1


def _unfixed_ip_address(text):
    address = ipaddress.ip_address(text)
    return _UnfixedIPv6Address(int(address)) if address.version == 6 else address


#: ``ipaddress`` as the snippets see it on a Python without the gh-117566 fix.
UNFIXED = types.SimpleNamespace(ip_address=_unfixed_ip_address,
                                ip_network=ipaddress.ip_network)
#: Peers of a socket on [::] (always IPv6 text): IPv4 loopback clients arrive mapped.
LOCAL_PEERS = ("::1", "::ffff:127.0.0.1", "::ffff:127.9.9.9")
REMOTE_PEERS = ("::ffff:192.0.2.1", "2001:db8::1", "::127.0.0.1", "fe80::1")


def _is_local(code: str, host: str, ipaddress_module=ipaddress) -> bool:
    return eval(code, {"ipaddress": ipaddress_module, "loopedu": loopedu}, {"host": host})


def test_the_stand_in_behaves_like_ipaddress_without_the_fix():
    assert UNFIXED.ip_address("::1").is_loopback is True
    assert UNFIXED.ip_address("::ffff:127.0.0.1").is_loopback is False
    assert UNFIXED.ip_address("::ffff:127.0.0.1").ipv4_mapped == ipaddress.IPv4Address("127.0.0.1")
    assert UNFIXED.ip_address("127.0.0.1").is_loopback is True


def test_without_the_fix_only_the_key_rejects_local_clients():
    import loopedu.addresses  # noqa: F401  (the snippets use it)

    rejecting = {letter for letter, code in LOCALITY_OPTIONS.items()
                 if not all(_is_local(code, host, UNFIXED) for host in LOCAL_PEERS)}
    assert rejecting == {"a"}
    assert _is_local(LOCALITY_OPTIONS["a"], "::1", UNFIXED) is True  # it rejects only mapped


@pytest.mark.parametrize("letter", sorted(set(LOCALITY_OPTIONS) - {"a"}))
def test_the_other_options_accept_local_clients_on_this_python(letter):
    # Their answer does not depend on whether this Python's ipaddress has the fix.
    import loopedu.addresses  # noqa: F401  (the snippets use it)

    for host in LOCAL_PEERS:
        assert _is_local(LOCALITY_OPTIONS[letter], host) is True, host


@pytest.mark.parametrize("letter", sorted(LOCALITY_OPTIONS))
@pytest.mark.parametrize("ipaddress_module", [ipaddress, UNFIXED], ids=["this-python", "unfixed"])
def test_no_option_accepts_a_remote_client(letter, ipaddress_module):
    import loopedu.addresses  # noqa: F401  (the snippets use it)

    for host in REMOTE_PEERS:
        assert _is_local(LOCALITY_OPTIONS[letter], host, ipaddress_module) is False, host


def test_hints_never_give_the_solution():
    from loopedu.exercises.framework import get

    for exercise_id in SOLUTIONS:
        text = " ".join(get(exercise_id).hints)
        for solution in SOLUTIONS[exercise_id]:
            assert solution not in text
