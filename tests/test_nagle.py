"""The Nagle stall: write-write-read waits for the server's delayed ACK (about 40 ms on
Linux); TCP_NODELAY, or one write of both parts, does not. The bounds are generous:
they check behaviour, not speed."""

import os
import sys
import threading

import pytest

from loopedu.measure import nagle
from loopedu.measure.nagle import NAGLE_CASES, compare_nagle, format_nagle, nagle_stall

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="Linux's delayed-ACK timer (40 ms); others differ")


def open_files() -> int:
    return len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else 0


@linux_only
def test_two_small_writes_wait_for_the_delayed_ack_and_the_fixes_do_not():
    threads, files = threading.active_count(), open_files()
    result = compare_nagle(rounds=5)
    assert threading.active_count() == threads and open_files() == files
    assert list(result.runs) == list(NAGLE_CASES)
    stalled = result.runs["two writes, Nagle on"]
    assert (stalled.writes, stalled.nodelay, stalled.warmup) == (2, False, 3)
    assert len(stalled.rounds_ms) == 5 and stalled.median_ms >= 30
    assert result.median_ms("two writes, TCP_NODELAY") < 10
    assert result.median_ms("one write, Nagle on") < 10
    assert result.stall_ms >= 20
    text = format_nagle(result)
    assert all(label in text for label in NAGLE_CASES) and "delayed ACK" in text


@linux_only
@pytest.mark.parametrize("nodelay,writes,stalls", [
    (False, 2, True), (True, 2, False), (False, 1, False), (True, 1, False)])
def test_one_case_on_its_own(nodelay, writes, stalls):
    run = nagle_stall(rounds=3, nodelay=nodelay, writes=writes)
    assert len(run.rounds_ms) == 3 and run.nodelay is nodelay and run.writes == writes
    assert (run.median_ms >= 30) if stalls else (run.median_ms < 10)


@linux_only
@pytest.mark.needs("ipv6_loopback")
def test_the_same_over_ipv6():
    assert nagle_stall(rounds=3, host="::1").median_ms >= 30
    assert nagle_stall(rounds=3, nodelay=True, host="::1").median_ms < 10


def test_everything_is_closed_after_an_interrupt(monkeypatch):
    calls = []

    def interrupted(*args):
        calls.append(args)
        raise KeyboardInterrupt

    monkeypatch.setattr(nagle, "_round", interrupted)
    threads, files = threading.active_count(), open_files()
    with pytest.raises(KeyboardInterrupt):
        compare_nagle(rounds=2)
    assert calls and threading.active_count() == threads and open_files() == files


@pytest.mark.parametrize("kwargs", [
    {"host": "192.0.2.1"}, {"rounds": 0}, {"warmup": -1}, {"body_bytes": 0},
    {"writes": 3}])
def test_what_it_refuses(kwargs):
    with pytest.raises(ValueError):
        nagle_stall(**kwargs)


def test_format_without_a_stall_says_so():
    runs = {label: nagle.NagleRun(label, writes, nodelay, (0.05, 0.04), 3, 8, 32)
            for label, (writes, nodelay) in NAGLE_CASES.items()}
    text = format_nagle(nagle.NagleComparison(runs, 2, 3))
    assert "no stall here" in text and text.count("median") == 3
