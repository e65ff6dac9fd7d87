"""Exercise 04.counters: the learner writes growth(address, nbytes) around send_bytes. A
right function passes; wrong ones (packets, totals, both directions, reads in the wrong
place, nothing sent, another address, interfaces mixed up...) fail with help. What the
right answer must show (lo grows by at least N, no card does) is checked here from plain
psutil reads around a plain-socket transfer, not from the checker."""

import ipaddress
import socket
import sys
import threading

import psutil
import pytest

from loopedu import sandbox
from loopedu.exercises import check
from loopedu.exercises.interface_growth import (
    NBYTES,
    NO_LOOPBACK_COUNTERS,
    exercise_address,
    send_bytes,
)

LINUX = sys.platform.startswith("linux")
pytestmark = pytest.mark.skipif(not LINUX, reason="psutil reports lo counters on Linux")


def loopback_name() -> str:
    """The interface holding 127.0.0.1, found with psutil here, not with the course."""
    return next(nic for nic, addrs in psutil.net_if_addrs().items()
                if any(a.address == "127.0.0.1" for a in addrs))


def plain_transfer(address: str, nbytes: int) -> int:
    """nbytes over TCP to a server on address, with plain sockets; bytes received."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    got = [0]
    with socket.create_server((address, 0), family=family) as server:
        def receive():
            conn, _ = server.accept()
            with conn:
                while data := conn.recv(65536):
                    got[0] += len(data)
        reader = threading.Thread(target=receive)
        reader.start()
        try:
            with socket.create_connection(server.getsockname()[:2], timeout=10) as client:
                client.sendall(b"x" * nbytes)
        finally:
            reader.join(timeout=30)
    return got[0]


def read(field="bytes_recv"):
    return {nic: getattr(c, field) for nic, c in psutil.net_io_counters(pernic=True).items()}


def right(address, nbytes):
    first = read()
    send_bytes(address, nbytes)
    grew = {}
    for nic, total in read().items():
        if nic in first:
            grew[nic] = total - first[nic]
    return grew


def right_sent(address, nbytes):          # bytes_sent is as good: lo counts both
    before, _, after = read("bytes_sent"), send_bytes(address, nbytes), read("bytes_sent")
    return {nic: after[nic] - before[nic] for nic in after if nic in before}


def packets(address, nbytes):
    before, _, after = read("packets_recv"), send_bytes(address, nbytes), read("packets_recv")
    return {nic: after[nic] - before[nic] for nic in after if nic in before}


def totals(address, nbytes):
    send_bytes(address, nbytes)
    return read()


def both_directions(address, nbytes):
    sent, received = read("bytes_sent"), read()
    send_bytes(address, nbytes)
    sent2, received2 = read("bytes_sent"), read()
    return {nic: received2[nic] - received[nic] + sent2[nic] - sent[nic]
            for nic in received2 if nic in received and nic in sent}


def reads_before_sending(address, nbytes):
    before, after = read(), read()
    send_bytes(address, nbytes)
    return {nic: after[nic] - before[nic] for nic in after if nic in before}


def never_sends(address, nbytes):
    before, after = read(), read()
    return {nic: after[nic] - before[nic] for nic in after if nic in before}


def sends_to_127_0_0_1(address, nbytes):
    return right("127.0.0.1", nbytes)


def sends_a_fixed_megabyte(address, nbytes):
    return right(address, 1_000_000)


def backwards(address, nbytes):
    return {nic: -value for nic, value in right(address, nbytes).items()}


def cards_only(address, nbytes):
    lo = loopback_name()
    return {nic: value for nic, value in right(address, nbytes).items() if nic != lo}


def swapped(address, nbytes):
    grew = right(address, nbytes)
    lo = loopback_name()
    card = next(nic for nic in sorted(grew) if nic != lo)
    return {**grew, lo: grew[card], card: grew[lo]}


def every_interface_got_it(address, nbytes):
    return {nic: nbytes for nic in right(address, nbytes)}


def counter_tuples(address, nbytes):
    send_bytes(address, nbytes)
    return psutil.net_io_counters(pernic=True)


def one_number(address, nbytes):
    return right(address, nbytes)[loopback_name()]


def raises(address, nbytes):
    return right(address, nbytes)["no-such-nic"]


def test_objective_holds_by_plain_reads_around_plain_sockets():
    """The truth the exercise rests on, seen without the course: bytes sent to the
    exercise's address grow lo by at least their number, and no other interface."""
    address = exercise_address()
    assert ipaddress.ip_address(address).is_loopback
    lo = loopback_name()
    before = read()
    assert plain_transfer(address, NBYTES) == NBYTES
    after = read()
    assert after[lo] - before[lo] >= NBYTES
    cards = [nic for nic in after if nic in before and nic != lo]
    assert all(after[nic] - before[nic] < NBYTES for nic in cards)


@pytest.mark.parametrize("fn", [right, right_sent])
def test_a_right_measurement_passes(fn):
    feedback = check("04.counters", fn)
    assert feedback.passed, feedback.message


def test_the_right_functions_numbers_match_plain_reads_taken_around_it():
    lo = loopback_name()
    before = read()
    grew = right(exercise_address(), NBYTES)
    after = read()
    assert NBYTES <= grew[lo] <= after[lo] - before[lo]


#: Swapping two interfaces' growth, or giving every interface N, is only wrong where
#: there is an interface besides lo (a network namespace with only lo has none).
NEEDS_A_CARD = pytest.mark.skipif(len(psutil.net_io_counters(pernic=True)) < 2,
                                  reason="only one network interface here (lo)")


@pytest.mark.parametrize("fn, says", [
    (packets, "number of packets, not bytes"),
    (totals, "total since boot"),
    (both_directions, "add sent and received"),
    (reads_before_sending, "once before send_bytes and once after"),
    (never_sends, "never called send_bytes"),
    (sends_to_127_0_0_1, "the check asked for"),
    (sends_a_fixed_megabyte, "the check asked for"),
    (backwards, "negative growth"),
    (cards_only, "no entry for"),
    pytest.param(swapped, "its own growth", marks=NEEDS_A_CARD),
    pytest.param(every_interface_got_it, "its own growth", marks=NEEDS_A_CARD),
    (counter_tuples, "give a number of bytes"),
    (one_number, "Return a dict"),
    (raises, "KeyError"),
    (3, "Give your function itself"),
    (None, "Replace `None`"),
])
def test_wrong_measurements_fail_with_help(fn, says):
    feedback = check("04.counters", fn)
    assert not feedback.passed
    assert says in feedback.message, feedback.message
    assert "hint(" in feedback.message or fn is None
    assert "bytes_recv - before[nic]" not in feedback.message    # not the worked answer


def test_without_loopback_counters_the_check_says_so(monkeypatch):
    """Windows lists no counters for its loopback: simulated by hiding lo's."""
    real = psutil.net_io_counters
    lo = loopback_name()
    monkeypatch.setattr(psutil, "net_io_counters", lambda pernic=False: {
        nic: c for nic, c in real(pernic=True).items() if nic != lo})
    feedback = check("04.counters", right)
    assert not feedback.passed and NO_LOOPBACK_COUNTERS in feedback.message


def test_the_address_follows_what_this_machine_allows():
    off = sandbox.Capability(False, "IPv6 off (simulated)")
    with sandbox.assume(ipv6_loopback=off):
        assert exercise_address() == (
            "127.0.0.2" if sandbox.capabilities().whole_127_range.available else "127.0.0.1")
        assert check("04.counters", right).passed
        with sandbox.assume(whole_127_range=sandbox.Capability(False, "macOS (simulated)")):
            assert exercise_address() == "127.0.0.1"
    if sandbox.capabilities().ipv6_loopback.available:
        assert exercise_address() == "::1"
