"""DNS rebinding experiments: the Host-header demo, the exercise harness that runs a
learner's ``is_allowed`` in a live loopback server, and 0.0.0.0 reaching loopback."""

import socket
import threading

import pytest

from loopedu import rebinding
from loopedu.browsers import BROWSER_STATUS
from loopedu.rebinding import (
    KERNEL_SOURCES,
    REFUSED_STATUS,
    SECRET,
    allowed_host,
    check_host_validation,
    format_host_header_run,
    host_header_demo,
    host_header_experiment,
    zero_address_demo,
)

# The battery, by label, as the documented rule says (written out, not computed):
# only localhost / 127.0.0.1 / [::1] with the server's own port, in any case.
MUST_SERVE = {"localhost", "127.0.0.1", "::1", "upper case"}
MUST_REFUSE = {"rebound name", "subdomain", "wildcard DNS", "0.0.0.0", "other port",
               "no port", "trailing dot", "empty Host", "missing Host"}


@pytest.fixture
def destinations(monkeypatch):
    """Every address a socket of the test connects to."""
    seen = []
    real = socket.socket.connect

    def connect(self, address):
        seen.append(address[0])
        return real(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return seen


def test_demo_returns_exactly_the_expected_mapping(no_threads_or_listeners_left, destinations):
    assert host_header_demo() == {"unprotected": {"localhost": True, "rebound": True},
                                  "protected": {"localhost": True, "rebound": False}}
    assert destinations and set(destinations) == {"127.0.0.1"}


def test_detailed_demo_rows_and_text(no_threads_or_listeners_left):
    run = host_header_experiment()
    got = [(r.server, r.host.split(":")[0], r.status, r.served) for r in run.rows]
    assert got == [("unprotected", "localhost", 200, True),
                   ("unprotected", "attacker.example", 200, True),
                   ("protected", "localhost", 200, True),
                   ("protected", "attacker.example", REFUSED_STATUS, False)]
    assert REFUSED_STATUS == 421
    assert {r.sent_to for r in run.rows} == {r.server_saw for r in run.rows} == {"127.0.0.1"}
    text = format_host_header_run(run)
    assert "attacker.example" in text and "421" in text and "YES" in text


def test_the_rule_serves_loopback_names_and_refuses_rebound_ones():
    port = 41234
    for host in ("localhost:41234", "127.0.0.1:41234", "[::1]:41234", "LocalHost:41234"):
        assert allowed_host(host, port) is True, host
    for host in ("attacker.example:41234", "localhost.attacker.example:41234",
                 "127.0.0.1.nip.io:41234", "localhost:41235", "localhost", "localhost.:41234",
                 "", "0.0.0.0:41234", "::1:41234", "[::1]"):
        assert allowed_host(host, port) is False, host


def test_reference_function_passes_the_battery(no_threads_or_listeners_left, destinations):
    report = check_host_validation(allowed_host)
    assert report.passed and bool(report) and report.wrong == ()
    labels = {t.label: t for t in report.trials}
    assert set(labels) == MUST_SERVE | MUST_REFUSE
    for label in MUST_SERVE:
        assert labels[label].must_serve and labels[label].served and labels[label].status == 200
    for label in MUST_REFUSE:
        trial = labels[label]
        assert not trial.must_serve and not trial.served and trial.status == REFUSED_STATUS
    assert labels["missing Host"].host is None
    assert labels["rebound name"].host == f"attacker.example:{report.port}"
    assert set(report.served) == {labels[name].host for name in MUST_SERVE}
    assert {t.sent_to for t in report.trials} == {"127.0.0.1"}
    assert destinations and set(destinations) == {"127.0.0.1"}
    assert f"All {len(MUST_SERVE | MUST_REFUSE)} requests" in report.message
    assert report.to_dict()["passed"] is True


def _wrong_labels(report) -> set:
    return {t.label for t in report.wrong}


def test_always_true_serves_every_rebound_name(no_threads_or_listeners_left):
    report = check_host_validation(lambda host, port: True)
    assert not report.passed
    assert _wrong_labels(report) == MUST_REFUSE
    reasons = {t.label: t.reason for t in report.wrong}
    assert "served but must be refused" in reasons["rebound name"]


def test_substring_check_lets_the_attackers_subdomain_in(no_threads_or_listeners_left):
    report = check_host_validation(lambda host, port: "localhost" in host)
    wrong = _wrong_labels(report)
    assert {"subdomain", "other port", "no port", "trailing dot"} <= wrong
    assert "compare whole names" in next(t.reason for t in report.wrong
                                          if t.label == "subdomain")


def test_ignoring_the_port_is_wrong(no_threads_or_listeners_left):
    def no_port(host, port):
        return host.rsplit(":", 1)[0].lower() in {"localhost", "127.0.0.1", "[::1]"}

    report = check_host_validation(no_port)
    assert _wrong_labels(report) == {"other port", "no port"}
    assert all("must be refused" in t.reason for t in report.wrong)


def test_case_sensitive_comparison_refuses_upper_case(no_threads_or_listeners_left):
    report = check_host_validation(
        lambda host, port: host in {f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}"})
    assert _wrong_labels(report) == {"upper case"}
    assert "refused but must be served" in report.wrong[0].reason
    assert "case-insensitive" in report.message


def test_a_function_that_raises_is_a_clear_failure(no_threads_or_listeners_left, destinations):
    def broken(host, port):
        raise KeyError("oops")

    report = check_host_validation(broken)
    assert not report.passed and _wrong_labels(report) == MUST_SERVE | MUST_REFUSE
    assert all(t.status == 500 and not t.served for t in report.trials)
    assert "raised KeyError" in report.message and "every Host" in report.message
    assert set(destinations) == {"127.0.0.1"}


def test_a_function_that_returns_a_string_fails(no_threads_or_listeners_left):
    report = check_host_validation(lambda host, port: "yes")
    assert not report.passed and len(report.wrong) == len(report.trials)
    assert "not True or False" in report.message and "str" in report.message


def test_truthy_non_bool_and_partial_raise(no_threads_or_listeners_left):
    def picky(host, port):
        if not host:
            raise ValueError("no host")
        return allowed_host(host, port)

    report = check_host_validation(picky)
    assert _wrong_labels(report) == {"empty Host", "missing Host"}
    assert all("raised ValueError" in t.reason for t in report.wrong)
    assert "- " in report.message  # one line per wrong request
    assert not check_host_validation(lambda host, port: 1).passed


def test_a_function_that_hangs_is_reported_not_waited_for(no_threads_or_listeners_left):
    release = threading.Event()

    def slow(host, port):
        release.wait(5)
        return True

    try:
        report = check_host_validation(slow, answer_timeout=0.2)
    finally:
        release.set()
    for thread in threading.enumerate():
        if thread.name == "loopedu-rebinding-is-allowed":
            thread.join(2)
    assert not report.passed
    assert "did not answer" in report.trials[0].reason
    assert "hung on an earlier request" in report.trials[-1].reason


def test_something_not_callable_does_not_crash(no_threads_or_listeners_left):
    report = check_host_validation("localhost")
    assert not report.passed and "not callable" in report.message


def test_zero_address_reaches_the_loopback_server(no_threads_or_listeners_left, destinations):
    run = zero_address_demo()
    assert run.to_dict() == {"unprotected": True, "protected": False}
    assert {r.sent_to for r in run.rows} == {r.server_saw for r in run.rows} == {"127.0.0.1"}
    assert set(destinations) == {"0.0.0.0"}
    assert [r.host.split(":")[0] for r in run.rows] == ["0.0.0.0", "0.0.0.0"]


def test_requests_only_go_to_this_machine():
    with pytest.raises(ValueError):
        rebinding._get(80, "attacker.example:80", target="192.0.2.1")


def test_sources_are_cited():
    assert any("5106143060033536" in b.source for b in BROWSER_STATUS)
    # Chrome's Local Network Access, on by default since 142 (chromestatus feature)
    (lna,) = [b for b in BROWSER_STATUS if "5152728072060928" in b.source]
    assert lna.browser == "Chrome" and "142" in lna.version and not lna.uncertain
    assert all(b.source and b.still_reaches and b.as_of for b in BROWSER_STATUS)
    assert all(b.note for b in BROWSER_STATUS if b.uncertain)
    assert {b.browser for b in BROWSER_STATUS} == {"Chrome", "Safari", "Firefox"}
    files = {k.file: k for k in KERNEL_SOURCES}
    assert "INADDR_LOOPBACK" in files["net/ipv4/route.c"].lines
    assert "ip_route_output_key_hash_rcu" in files["net/ipv4/route.c"].function
    assert "connect() to INADDR_ANY means loopback (BSD'ism)" in files[
        "net/ipv6/tcp_ipv6.c"].lines
    assert "tcp_v6_connect" in str(files["net/ipv6/tcp_ipv6.c"])
    assert SECRET
