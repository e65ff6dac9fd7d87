"""Lesson 07 exercises: right answers pass, wrong ones fail with help and without the
solution, the histogram key agrees with the standard library's percentiles, and the
packet and Nagle keys agree with live runs of the real thing."""

import re
import statistics

import pytest
from shared_checks import skip_or_fail

from loopedu.exercises import check
from loopedu.exercises.lesson07 import (
    HISTOGRAM_KEY,
    MEDIAN_OPTIONS,
    NAGLE_KEY,
    P99_OPTIONS,
    PACKETS_KEY,
    WHY_NUMBERS_KEY,
    histogram_samples,
)

UNTIL = "the client's kernel holds back the body until"


@pytest.mark.parametrize("exercise_id, right", [
    ("07.packets", dict(PACKETS_KEY)),
    ("07.packets", {"packets before the first data": "3", "flags of the first": "syn",
                    "flags of the second": "SYN ACK", "flags of the third": "[.]",
                    "a network card also sees them": "no"}),
    ("07.histogram", dict(HISTOGRAM_KEY)),
    ("07.histogram", {"median": "(B)", "p99": "d)", "typical round trip": " b "}),
    ("07.why-numbers", dict(WHY_NUMBERS_KEY)),
    ("07.nagle", {**NAGLE_KEY, UNTIL: "the header is acknowledged (ACK)"}),
    ("07.nagle", {**NAGLE_KEY, UNTIL: "an ACK"}),
])
def test_right_answers_pass(exercise_id, right):
    feedback = check(exercise_id, right)
    assert feedback.passed, feedback.message


@pytest.mark.parametrize("exercise_id, wrong, says", [
    ("07.packets", {**PACKETS_KEY, "packets before the first data": 2}, "acknowledge"),
    ("07.packets", {**PACKETS_KEY, "packets before the first data": 0}, "before any data"),
    ("07.packets", {**PACKETS_KEY, "flags of the second": "ACK"}, "its own"),
    ("07.packets", {**PACKETS_KEY, "a network card also sees them": True}, "Lesson 04"),
    ("07.histogram", {**HISTOGRAM_KEY, "median": "c"}, "mean"),
    ("07.histogram", {**HISTOGRAM_KEY, "p99": "b"}, "tail"),
    ("07.histogram", {**HISTOGRAM_KEY, "typical round trip": "a"}, "pulled up"),
    ("07.histogram", {**HISTOGRAM_KEY, "typical round trip": "c"}, "unlucky"),
    ("07.why-numbers", {**WHY_NUMBERS_KEY, "loopback throughput is limited by the network "
                                           "card's speed": True}, "CPU"),
    ("07.nagle", {**NAGLE_KEY, UNTIL: "a timeout"}, "something specific"),
    ("07.nagle", {**NAGLE_KEY, "a bigger receive buffer on the server fixes it": True},
     "waiting in the client"),
    ("07.nagle", {**NAGLE_KEY, "sending header and body in one write fixes it": False},
     "no second small segment"),
])
def test_wrong_answers_fail_with_help(exercise_id, wrong, says):
    feedback = check(exercise_id, wrong)
    assert not feedback.passed
    assert says in feedback.message, feedback.message
    assert "hint(" in feedback.message


def _option_nearest(options, value):
    numbers = {k: float(re.search(r"[\d.]+", text).group()) for k, text in options.items()}
    return min(numbers, key=lambda k: abs(numbers[k] - value))


def test_histogram_key_agrees_with_the_standard_library():
    samples = histogram_samples()
    assert len(samples) == 1000 and samples == histogram_samples()
    median = statistics.median(samples)
    p99 = statistics.quantiles(samples, n=100, method="inclusive")[98]
    assert HISTOGRAM_KEY["median"] == _option_nearest(MEDIAN_OPTIONS, median)
    assert HISTOGRAM_KEY["p99"] == _option_nearest(P99_OPTIONS, p99)
    # the mean is pulled away from the median by the tail: the "typical" answer is the median
    assert statistics.mean(samples) > median * 1.2
    assert HISTOGRAM_KEY["typical round trip"] == "b"


def test_packets_key_agrees_with_a_live_capture_on_lo():
    """A real capture (as root on lo, or in a private namespace without root): the
    packets before the first one carrying data are the key's."""
    from loopedu import capture, sandbox

    caps = sandbox.capabilities()
    if not (caps.root or caps.network_namespaces):
        skip_or_fail("a capture needs root or network namespaces")
    seen = capture.capture_http_request()
    before = []
    for packet in seen.packets:
        if packet.length:
            break
        before.append(packet.flags)
    live = {"packets before the first data": len(before),
            "flags of the first": before[0], "flags of the second": before[1],
            "flags of the third": before[2], "a network card also sees them": False}
    assert live == PACKETS_KEY
    assert check("07.packets", live).passed


@pytest.mark.skipif(not __import__("sys").platform.startswith("linux"),
                    reason="the 40 ms is Linux's TCP_DELACK_MIN")
def test_nagle_key_agrees_with_a_live_stall():
    from loopedu.measure.nagle import compare_nagle

    stall = compare_nagle(rounds=3)
    stalled = stall.median_ms("two writes, Nagle on")
    assert stalled >= 30, "Nagle plus delayed ACK should hold the body back ~40 ms"
    fixed = {"TCP_NODELAY on the client fixes it": stall.median_ms("two writes, TCP_NODELAY"),
             "sending header and body in one write fixes it":
                 stall.median_ms("one write, Nagle on")}
    for key, ms in fixed.items():
        assert (ms < stalled / 5) == NAGLE_KEY[key], key
