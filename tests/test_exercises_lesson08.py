"""Lesson 08 exercises: right answers pass, wrong ones fail with help and without the
solution, the route_localnet key (other setups than the lesson's: route_localnet on the
wrong interface, a reject rule, a drop rule written another way, a closed port) agrees
with real namespaces, and the Host
check is judged by a live service whose battery comes from this machine (its name,
IPv6 loopback), computed again here."""

import re
import socket

import pytest
from shared_checks import binds_ipv6_loopback

from loopedu.exercises import check
from loopedu.exercises.lesson08 import EXPOSES_KEY, ROUTE_LOCALNET_KEY, SETUPS

LO_ONLY, REJECT, IIF_DROP, CLOSED = ROUTE_LOCALNET_KEY


def has_ipv6_loopback() -> bool:
    """Measured here, not asked of loopedu: can a socket bind ::1?"""
    return binds_ipv6_loopback()


def service_names(hostname=None, ipv6=None) -> set:
    """The exercise's service as its text says, from this machine (or the ones given)."""
    hostname = socket.gethostname() if hostname is None else hostname
    ipv6 = has_ipv6_loopback() if ipv6 is None else ipv6
    names = {"localhost", "127.0.0.1", hostname.lower()}
    return names | {"[::1]"} if ipv6 else names


def right_is_allowed(host_header, port, ipv6=None):
    name, colon, given = host_header.rpartition(":")
    if name.endswith("."):
        name = name[:-1]
    return colon == ":" and given == str(port) and name.lower() in service_names(ipv6=ipv6)


def lessons_four_lines(host_header, port):
    """The lesson's own allow-list, as its cell writes it."""
    name, _, given = host_header.strip().rpartition(":")
    return name.lower() in ("localhost", "127.0.0.1", "[::1]") and given == str(port)


def but(change):
    """right_is_allowed with one mistake: ``change(host, port, right)`` decides."""
    return lambda host, port: change(host, port, right_is_allowed(host, port))


HOSTNAME = socket.gethostname()
NAMED = bool(re.fullmatch(r"[A-Za-z0-9.-]+", HOSTNAME)) and HOSTNAME.lower() != "localhost"


@pytest.mark.parametrize("exercise_id, right", [
    ("08.route-localnet", dict(ROUTE_LOCALNET_KEY)),
    ("08.route-localnet", {LO_ONLY: "timed out", REJECT: "ECONNREFUSED",
                           IIF_DROP: "ETIMEDOUT", CLOSED: "Refused"}),
    # b route_localnet, c DNS rebinding, d Docker's DNAT past ufw, e Engine 27's published
    # port through the container's address (moby#45610), f ssh -R (sshd_config(5))
    ("08.exposes", ["b", "c", "d", "e", "f"]),
    ("08.exposes", "(B), c, d , E,f"),
    ("08.fix-host", right_is_allowed),
])
def test_right_answers_pass(exercise_id, right):
    feedback = check(exercise_id, right)
    assert feedback.passed, feedback.message


@pytest.mark.parametrize("exercise_id, wrong, says", [
    ("08.route-localnet", {**ROUTE_LOCALNET_KEY, LO_ONLY: "refused"}, "silently"),
    ("08.route-localnet", {**ROUTE_LOCALNET_KEY, LO_ONLY: "connected"}, "arrives on eth0"),
    ("08.route-localnet", {**ROUTE_LOCALNET_KEY, REJECT: "timeout"}, "reject sends an error"),
    ("08.route-localnet", {**ROUTE_LOCALNET_KEY, REJECT: "connected"}, "before TCP sees"),
    ("08.route-localnet", {**ROUTE_LOCALNET_KEY, IIF_DROP: "connected"}, "another form"),
    ("08.route-localnet", {**ROUTE_LOCALNET_KEY, IIF_DROP: "refused"}, "reject would"),
    ("08.route-localnet", {**ROUTE_LOCALNET_KEY, CLOSED: "timeout"}, "answers at once"),
    ("08.route-localnet", {**ROUTE_LOCALNET_KEY, CLOSED: "timeot"},
     "not one of the allowed values ('timeout', 'connected', 'refused')"),
    ("08.exposes", ["a", "b", "c", "d", "e", "f"], "martians"),
    ("08.exposes", ["b", "c", "d", "e", "f", "g"], "::1 is loopback too"),
    ("08.exposes", ["b", "c", "d", "e"], "1 missing"),   # ssh -R left out: it exposes
    ("08.exposes", ["b", "c", "d"], "2 missing"),
    ("08.fix-host", lambda host, port: True, "attacker.example"),
    ("08.fix-host", right_is_allowed(" x", 1), "function itself"),
    # the lesson's own allow-list: this service has more names (issue 21: transfer)
    ("08.fix-host", lessons_four_lines, "'localhost.' is localhost"),
    ("08.fix-host", but(lambda host, port, right: right and not host.startswith("localhost.")),
     "absolute name"),
    # takes the name before an '@' for the host: a userinfo trick gets in
    ("08.fix-host", lambda host, port: right_is_allowed(
        host.partition("@")[0] + ":" + host.rpartition(":")[2] if "@" in host else host,
        port), "Host carries no userinfo"),
    # ignores the port: the right name on another port gets in
    ("08.fix-host", lambda host, port: ":" in host and right_is_allowed(
        host.rpartition(":")[0] + f":{port}", port), "another port"),
    # the 0.0.0.0 Day: a page asking for http://0.0.0.0:PORT reaches loopback
    ("08.fix-host", but(lambda host, port, right: right or host == f"0.0.0.0:{port}"),
     "0.0.0.0 is no name"),
])
def test_wrong_answers_fail_with_help(exercise_id, wrong, says):
    feedback = check(exercise_id, wrong)
    assert not feedback.passed
    assert says in feedback.message, feedback.message
    assert "hint(" in feedback.message


@pytest.mark.skipif(not NAMED, reason="this machine's name is no usable host name")
@pytest.mark.parametrize("wrong, says", [
    # compares names case by case
    (but(lambda host, port, right: right and host.rpartition(":")[0].rstrip(".")
         in {n for n in service_names() if n == n.lower()} | {HOSTNAME}),
     "without regard to case"),
    # a name that ends with the machine's name is let in
    (lambda host, port: any(host.lower().endswith(f"{n}:{port}") or
                            host.lower().endswith(f"{n}.:{port}") for n in service_names()),
     "ends with the machine's name"),
    # a name that starts with the machine's name is let in
    (lambda host, port: host.endswith(f":{port}") and any(
        host.lower().startswith(n) for n in service_names()),
     "compare whole names"),
    # the machine's name left out: the lesson's list with the trailing dot handled
    (lambda host, port: lessons_four_lines(host.replace(".:", ":"), port),
     "this machine's own name"),
    # another machine's name: a neighbour's answer copied
    (lambda host, port: right_is_allowed(host, port) and HOSTNAME.lower() not in host.lower()
     or host.lower() in (f"lab-pc-7:{port}", f"lab-pc-7.:{port}"),
     "this machine's own name"),
])
def test_wrong_answers_about_this_machines_name_fail(wrong, says):
    feedback = check("08.fix-host", wrong)
    assert not feedback.passed
    assert says in feedback.message, feedback.message


def test_a_handler_that_raises_is_rejected_not_crashed():
    def broken(host, port):
        raise KeyError(host)

    feedback = check("08.fix-host", broken)
    assert not feedback.passed and "KeyError" in feedback.message, feedback.message


# ---- 08.fix-host: the variant comes from this machine (issue 21: transfer) -----------------

def test_the_lessons_allow_list_fails_this_service(no_threads_or_listeners_left):
    """The lesson's rule, from loopedu and from its cell, is not this service's: a
    trailing dot always, and this machine's name where it has one, must be served."""
    from loopedu.rebinding import allowed_host

    for lessons in (allowed_host, lessons_four_lines):
        feedback = check("08.fix-host", lessons)
        assert not feedback.passed and "refused but must be served" in feedback.message
        assert "localhost.:" in feedback.message
        assert ("this machine's own name" in feedback.message) is NAMED, feedback.message


def test_the_battery_is_this_machines(no_threads_or_listeners_left):
    """What must be served, computed here from socket.gethostname() and a bind to ::1,
    is exactly what the live service served a right answer; requests naming [::1] go
    over ::1 where it listens there."""
    from loopedu.exercises.fix_host import check_service

    report = check_service(right_is_allowed)
    assert report.passed, report.message
    port, ipv6 = report.port, has_ipv6_loopback()
    must = {f"localhost:{port}", f"127.0.0.1:{port}", f"localhost.:{port}"}
    if NAMED:
        must |= {f"{HOSTNAME}:{port}", f"{HOSTNAME.swapcase()}:{port}",
                 f"{HOSTNAME}.:{port}"}
    if ipv6:
        must.add(f"[::1]:{port}")
    assert set(report.served) == must
    assert all(t.host is None or t.host not in must for t in report.trials if not t.served)
    over_v6 = {t.host for t in report.trials if t.sent_to == "::1"}
    assert over_v6 == ({f"[::1]:{port}", f"localhost:{port}"} if ipv6 else set())
    refused = {t.label for t in report.trials if not t.must_serve}
    assert {"rebound name", "no port", "missing Host", "userinfo trick"} <= refused
    assert ("::1, not listened on" in refused) is not ipv6


def test_two_machines_get_two_batteries(monkeypatch, no_threads_or_listeners_left):
    """Another learner: named lab-PC-7, no IPv6 loopback. Its battery has its name and
    refuses [::1]; an answer written for this machine fails there, and the other way."""
    from loopedu.exercises.fix_host import check_service, this_service
    from loopedu.sandbox import Capability, assume

    here = this_service()
    mine = {t.host.rsplit(":", 1)[0] for t in check_service(right_is_allowed, here).trials
            if t.host}
    with assume(ipv6_loopback=Capability(False, "IPv6 off (a test)")), \
            monkeypatch.context() as patch:
        patch.setattr(socket, "gethostname", lambda: "lab-PC-7")
        there = this_service()
        assert (there.hostname, there.ipv6, there.listens_on) == \
            ("lab-PC-7", False, ("127.0.0.1",))
        report = check_service(lambda host, port: right_is_allowed(host, port, ipv6=False))
        assert report.passed, report.message
        port = report.port
        assert set(report.served) == {f"localhost:{port}", f"127.0.0.1:{port}",
                                      f"localhost.:{port}", f"lab-PC-7:{port}",
                                      f"LAB-pc-7:{port}", f"lab-PC-7.:{port}"}
        theirs = {t.host.rsplit(":", 1)[0] for t in report.trials if t.host}
        assert theirs != mine
        # the lesson's list serves [::1], where this service does not listen on ::1
        feedback = check("08.fix-host", lessons_four_lines)
        assert "[::1]" in feedback.message and "not listen on ::1" in feedback.message
        # this machine's answer, names fixed when it was written, fails on the other
        names = service_names(HOSTNAME, ipv6=has_ipv6_loopback())
        feedback = check("08.fix-host", lambda host, port: host.rpartition(":")[2] ==
                         str(port) and host.rpartition(":")[0].rstrip(".").lower() in names)
        assert not feedback.passed and "lab-PC-7" in feedback.message
    if NAMED:  # and the other machine's answer, its names fixed, fails here
        names = service_names("lab-PC-7", ipv6=False)
        feedback = check("08.fix-host", lambda host, port: host.rpartition(":")[2] ==
                         str(port) and host.rpartition(":")[0].rstrip(".").lower() in names)
        assert not feedback.passed and "this machine's own name" in feedback.message


def test_after_repeated_tries_the_kind_is_named_not_the_list(no_threads_or_listeners_left):
    """From the fourth wrong try: how many went wrong and the kind of the first, no Host
    values, no list (loopedu/exercises/repeated_tries.py)."""
    from loopedu.exercises import framework

    for _ in range(framework.REPEATED_TRIES):
        first = check("08.fix-host", lessons_four_lines)
        assert "- Host 'localhost.:" in first.message
    later = check("08.fix-host", lessons_four_lines)
    assert not later.passed
    assert ("Your function got one kind of request wrong first: localhost written with a "
            "trailing dot. It refused it, but it must be served.") in later.message, \
        later.message
    assert "refused that must be served" in later.message
    assert "localhost.:" not in later.message and "- Host" not in later.message
    assert f"try {framework.REPEATED_TRIES + 1}" in later.message
    always = check("08.fix-host", lambda host, port: True)
    assert "wrong first: a rebound name" in always.message, always.message
    assert "It served it, but it must be refused." in always.message, always.message
    assert "attacker.example" not in always.message


@pytest.mark.parametrize("broken, says", [
    # raises on a Host without a port only: the rest it decides (the lesson's rule)
    (lambda host, port: host.rpartition(":")[2] == str(port) and host.rpartition(":")[0]
     in ("localhost", "127.0.0.1", "[::1]") if ":" in host else {}[host],
     "On a Host with no port, the first it gave no answer for, your function raised "
     "KeyError."),
    (lambda host, port: int(host), "On every request, your function raised ValueError."),
    (lambda host, port: "yes", "On every request, your function returned a str, not True "
     "or False."),
])
def test_after_repeated_tries_an_exception_is_named_with_its_kind_of_request(
        broken, says, no_threads_or_listeners_left):
    """Review: after three wrong tries the feedback said "The first your function failed
    on no port." and never which exception."""
    from loopedu.exercises import framework

    for _ in range(framework.REPEATED_TRIES):
        check("08.fix-host", broken)
    later = check("08.fix-host", broken)
    assert not later.passed
    assert f"try {framework.REPEATED_TRIES + 1}" in later.message, later.message
    assert says in later.message, later.message
    assert "The first your" not in later.message and "The first wrongly" not in later.message
    assert "gave no True or False)" in later.message, later.message
    assert "- Host" not in later.message and "localhost:" not in later.message


def test_every_setup_letter_is_asked():
    assert EXPOSES_KEY < set(SETUPS) and len(set(SETUPS) - EXPOSES_KEY) >= 2


def test_the_exercise_asks_what_the_lesson_did_not_measure():
    """Transfer, not replay (issue 21): the lesson's direct-route cases are not asked."""
    from loopedu import martians

    asked = " ".join(ROUTE_LOCALNET_KEY)
    assert "lo only" in asked and "reject" in asked and "nothing listens" in asked
    assert "DNAT" not in asked   # the lesson's cell prints the DNAT pair
    assert martians.KUBE_FIREWALL not in asked and "(the default)" not in asked


def _iif_rule(martians, srv_ns, verdict):
    """The exercise's nft rule on the server's link (eth0 there is the lab's leak0)."""
    assert martians._nft(srv_ns, [
        ("add", "table", "ip", "t"),
        ("add", "chain", "ip", "t", "input",
         "{ type filter hook input priority 0 ; policy accept ; }"),
        ("add", "rule", "ip", "t", "input", "iifname", martians.SERVER_LINK, "ip",
         "daddr", "127.0.0.0/8", verdict)]) == ""


@pytest.mark.needs("network_namespaces", "nft")  # a drop rule NOT RUN is no evidence
def test_route_localnet_key_agrees_with_two_real_namespaces():
    """Each setup run for real, in fresh labs: route_localnet on the server's lo only, then
    on its link a reject rule, a closed port and a drop rule (the exercise's eth0 is the
    lab's leak0)."""
    from loopedu import martians

    live = {}
    with martians._lab() as (srv_ns, server, client, port):
        srv_ns.set_sysctl("net.ipv4.conf.lo.route_localnet", 1)
        row = martians._probe(client, server, "lo only", "127.0.0.1", port, 1.0)
        live[LO_ONLY] = row.outcome.kind.value
    with martians._lab() as (srv_ns, server, client, port):
        srv_ns.set_sysctl(f"net.ipv4.conf.{martians.SERVER_LINK}.route_localnet", 1)
        _iif_rule(martians, srv_ns, "reject")
        row = martians._probe(client, server, "iif reject", "127.0.0.1", port, 1.0)
        live[REJECT] = row.outcome.kind.value
    with martians._lab() as (srv_ns, server, client, port):
        srv_ns.set_sysctl(f"net.ipv4.conf.{martians.SERVER_LINK}.route_localnet", 1)
        closed = port + 1 if port < 65535 else port - 1   # nothing else listens there
        row = martians._probe(client, server, "closed", "127.0.0.1", closed, 1.0)
        live[CLOSED] = row.outcome.kind.value
        assert row.outcome.kind.value == "refused" or row.outcome.errno == "ECONNREFUSED"
        _iif_rule(martians, srv_ns, "drop")
        row = martians._probe(client, server, "iif drop", "127.0.0.1", port, 1.0)
        live[IIF_DROP] = row.outcome.kind.value
    assert live == ROUTE_LOCALNET_KEY
    assert check("08.route-localnet", live).passed


# ---- issue 21, second review: the Host battery does not depend on real DNS ----------------

@pytest.fixture
def no_real_dns(monkeypatch):
    """socket's resolver, as the check finds it, answers numeric hosts only (the real
    getaddrinfo with AI_NUMERICHOST: no query); a name asked of it is recorded and
    refused, so a test can see that the check never lets a name reach real DNS."""
    import socket

    real, asked = socket.getaddrinfo, []

    def numeric_only(host, port, family=0, type=0, proto=0, flags=0):
        if not flags & socket.AI_NUMERICHOST:
            asked.append(host)
            raise socket.gaierror(socket.EAI_NONAME, "real DNS asked in a test")
        return real(host, port, family, type, proto, flags)

    def by_name(name):
        asked.append(name)
        raise socket.gaierror(socket.EAI_NONAME, "real DNS asked in a test")

    monkeypatch.setattr(socket, "getaddrinfo", numeric_only)
    monkeypatch.setattr(socket, "gethostbyname", by_name)
    monkeypatch.setattr(socket, "gethostbyname_ex", by_name)
    return asked


def resolves_then_accepts_loopback(host_header, port):
    """A tempting wrong defence: look the name up, serve it if it is loopback. DNS
    rebinding defeats it: the attacker's name does resolve to 127.0.0.1."""
    import ipaddress
    import socket

    name, _, given = host_header.strip().rpartition(":")
    if given != str(port) or not name:
        return False
    try:
        infos = socket.getaddrinfo(name.strip("[]"), given, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return False
    return all(ipaddress.ip_address(info[4][0]).is_loopback for info in infos)


def test_resolving_the_host_and_accepting_loopback_fails_offline_too(no_real_dns):
    """Offline (no_real_dns: no name resolves), attacker.example and 127.0.0.1.nip.io
    did not resolve, so this passed; the check's own resolver answers them as a
    rebinding attacker's DNS server does."""
    feedback = check("08.fix-host", resolves_then_accepts_loopback)
    assert not feedback.passed
    assert "attacker.example" in feedback.message and "nip.io" in feedback.message, \
        feedback.message


def test_the_checks_resolver_is_its_own_and_is_put_back(no_real_dns):
    """Inside the check, the learner's function meets the check's resolver: the
    battery's names resolve to 127.0.0.1, any other name to nothing (no query leaves
    the machine), a literal to itself; afterwards socket's resolver is the one before,
    even when the function raised."""
    import socket

    before = socket.getaddrinfo, socket.gethostbyname, socket.gethostbyname_ex
    seen = {}

    def looks_up(host_header, port):
        for name in ("attacker.example", "127.0.0.1.nip.io", "www.example.org", "::1"):
            try:
                seen[name] = sorted({i[4][0] for i in socket.getaddrinfo(name, port)})
            except socket.gaierror:
                seen[name] = "gaierror"
        seen["gethostbyname"] = socket.gethostbyname("attacker.example")
        seen["gethostbyname_ex"] = socket.gethostbyname_ex("127.0.0.1.nip.io")[2]
        raise RuntimeError("and then it breaks")

    assert not check("08.fix-host", looks_up).passed
    assert seen == {"attacker.example": ["127.0.0.1"], "127.0.0.1.nip.io": ["127.0.0.1"],
                    "www.example.org": "gaierror", "::1": ["::1"],
                    "gethostbyname": "127.0.0.1", "gethostbyname_ex": ["127.0.0.1"]}
    assert no_real_dns == []
    assert (socket.getaddrinfo, socket.gethostbyname, socket.gethostbyname_ex) == before


def test_other_threads_keep_the_real_resolver_during_the_check(no_real_dns):
    """Only the threads that run the learner's function see the check's answers: a
    thread of the kernel that looks a name up meanwhile asks the resolver it had."""
    import socket
    import threading

    outside = {}

    def is_allowed(host_header, port):
        def look():
            try:
                outside["answer"] = socket.getaddrinfo("attacker.example", 80)
            except socket.gaierror:
                outside["answer"] = "gaierror"
        if "answer" not in outside:
            thread = threading.Thread(target=look)
            thread.start()
            thread.join(5)
        return right_is_allowed(host_header, port)

    assert check("08.fix-host", is_allowed).passed
    assert outside["answer"] == "gaierror" and no_real_dns == ["attacker.example"]


# ---- 08.exposes: letters outside the options ------------------------------------------------

@pytest.mark.parametrize("answer, says", [
    ("h", "'h' is not one of the allowed values"),
    (["b", "c", "d", "e", "h"], "'h' is not one of the allowed values"),
    ("bcdef", "'bcdef' is not one of the allowed values"),
])
def test_a_letter_that_is_no_option_is_told_so(first_try, answer, says):
    feedback = first_try("08.exposes", answer)
    assert not feedback.passed and says in feedback.message, feedback.message
    assert "'g'" in feedback.message          # the options are listed
