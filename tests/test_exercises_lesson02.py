"""Lesson 02 exercises: right answers pass, wrong ones fail with help and no solution;
the keys agree with the resolver model and with glibc itself (with this machine's
/etc/host.conf, and with the other setting), and libpq's with psql run for real."""

import errno
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from shared_checks import skip_or_fail

from loopedu import hosts, sandbox
from loopedu.exercises import check, hint, hosts_prediction, lesson02
from loopedu.exercises.lesson02 import (
    BROKEN_HOSTS,
    BROKEN_KEY,
    DB_CLIENTS,
    DB_KEY,
    PREDICT_HOSTS,
    PREDICT_QUERIES,
    predict_key,
)
from loopedu.glibc.hostconf import HostConf
from loopedu.glibc.machine import Machine
from loopedu.localhost import multi_here

#: The key of "02.predict-hosts" on this machine (its own /etc/host.conf).
PREDICT_KEY = predict_key(multi_here())

ROOT = Path(__file__).resolve().parents[1]


def try_each(addresses, port, raise_last=True):
    """The reference: each address in order, the first that connects; else the last
    error (or, ``raise_last=False``, the first: a mistake)."""
    error = None
    for address in addresses:
        sock = socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET)
        try:
            sock.connect((address, port))
            return sock
        except OSError as exc:
            sock.close()
            error = exc if raise_last or error is None else error
    raise error


def good_client(addresses, port):
    return try_each(addresses, port)


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
    assert check("02.predict-hosts", {k.lower(): tuple(v) for k, v in PREDICT_KEY.items()}
                 ).passed
    assert check("02.broken-hosts", sorted(BROKEN_KEY)).passed
    assert check("02.broken-hosts", "7, 4, 6").passed
    assert check("02.fix-client", good_client).passed
    assert check("02.db-transport", dict(DB_KEY)).passed
    assert check("02.db-transport", {k: {"unix": "Unix socket", "tcp": "TCP/IP"}[v]
                                     for k, v in DB_KEY.items()}).passed


def test_checking_a_client_sets_no_default_timeout_for_the_whole_kernel():
    """While the learner's function runs, another thread of the kernel (a widget, a
    server of a lesson) sees no default socket timeout, and its new sockets block as
    usual: the check's time limit is its own, not the process's."""
    seen, asked, answered, stop = [], threading.Event(), threading.Event(), threading.Event()

    def observer():
        while not stop.is_set():
            if asked.wait(0.01):
                asked.clear()
                with socket.socket() as fresh:
                    seen.append(("observer", socket.getdefaulttimeout(), fresh.gettimeout()))
                answered.set()
            seen.append(("poll", socket.getdefaulttimeout(), None))

    def client(addresses, port):
        asked.set()  # the observer looks now, while the check is running
        assert answered.wait(10)
        answered.clear()
        seen.append(("learner", socket.getdefaulttimeout(), None))
        return good_client(addresses, port)

    thread = threading.Thread(target=observer)
    thread.start()
    try:
        feedback = check("02.fix-client", client)
    finally:
        stop.set()
        thread.join(10)
    assert feedback.passed, feedback.message
    assert [who for who, *_ in seen].count("observer") >= 3  # once per call of client
    assert {(timeout, fresh) for _, timeout, fresh in seen} == {(None, None)}
    assert socket.getdefaulttimeout() is None


def test_a_client_that_hangs_is_reported_and_what_it_returns_late_is_closed(monkeypatch):
    from loopedu.exercises import lesson02

    monkeypatch.setattr(lesson02, "CLIENT_TIME_LIMIT", 0.3)
    release, made = threading.Event(), []

    def hangs(addresses, port):
        release.wait(10)  # a learner's recv() that never gets an answer, say
        made.append(socket.socket())
        return made[-1]

    started = time.monotonic()
    feedback = check("02.fix-client", hangs)
    took = time.monotonic() - started
    assert not feedback.passed
    assert "had not returned after 0.3 s" in feedback.message, feedback.message
    assert "restart the kernel" in feedback.message
    assert took < 5, f"the check waited {took:.1f} s"
    release.set()
    for thread in threading.enumerate():
        if thread.name == "loopedu-02.fix-client":
            thread.join(10)
    assert len(made) == 1 and made[0].fileno() == -1  # closed by the check, not leaked


def flip(key: dict, client: str) -> dict:
    return {**key, client: "tcp" if key[client] == "unix" else "unix"}


@pytest.mark.parametrize("exercise_id, wrong, says", [
    ("02.predict-hosts", {**PREDICT_KEY, "app.test AF_INET":
                          predict_key(not multi_here())["app.test AF_INET"]},
     "multi on" if multi_here() else "multi off"),
    ("02.predict-hosts", {**PREDICT_KEY, "LAPTOP AF_INET": []}, "without regard to case"),
    ("02.predict-hosts", {**PREDICT_KEY, "LAPTOP AF_INET": ["127.0.0.1"]}, "third line"),
    ("02.predict-hosts", {**PREDICT_KEY, "localhost AF_INET6": []}, "IPv6 address"),
    ("02.predict-hosts", {**PREDICT_KEY, "app.test AF_INET": "127.0.0.2"}, "give a list"),
    ("02.predict-hosts", {**PREDICT_KEY, "localhost AF_INET6": "::1"}, "give a list"),
    ("02.predict-hosts", ["127.0.0.1"], "dict"),
    ("02.db-transport", flip(DB_KEY, "psql -h ::1"), "IPv6 loopback"),
    ("02.db-transport", flip(DB_KEY, "mysql"), "default host"),
    ("02.db-transport", flip(DB_KEY, "PGHOST=/tmp psql"), "directory"),
    ("02.db-transport", flip(DB_KEY, "mysql --protocol=TCP"), "given or default"),
    ("02.db-transport", flip(DB_KEY, "mysql -h ::1"), "not the name localhost"),
    ("02.db-transport", flip(DB_KEY, "psql -h 127.0.0.1"), "never a directory"),
    ("02.db-transport", {**DB_KEY, "mysql": "socket"}, "with a socket too"),
    ("02.db-transport", {**DB_KEY, "psql -h ::1": "Socket"}, "with a socket too"),
    ("02.db-transport", {**DB_KEY, "psql": "maybe"}, '"unix"'),
    ("02.db-transport", "unix", "dict"),
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
    assert "Right:" not in feedback.message


def test_predict_hosts_names_the_learners_own_keys_in_their_own_case():
    answer = {"LAPTOP af_inet": ["127.0.0.1"], "ip6-localhost AF_INET6": ["::1"]}
    message = check("02.predict-hosts", answer).message
    assert "'LAPTOP af_inet'" in message and "'LAPTOP AF_INET'" not in message
    assert "'localhost AF_INET6'" in message  # a key not given: as the question spells it


def test_predict_hosts_asks_with_this_machines_own_setting():
    """The question prints the machine's /etc/host.conf setting and the hints say what
    each setting does; no fixed assumption is left in it."""
    source = (ROOT / "exercises" / "02-localhost-is-a-name-exercises.py").read_text()
    question = source.split("## 1.", 1)[1].split("check(", 1)[0]
    assert "multi_here()" in question and "assume" not in question.lower()
    assert any("multi on" in hint("02.predict-hosts", n) and "multi off" in
               hint("02.predict-hosts", n) for n in (1, 2, 3))


@pytest.mark.parametrize("multi", [True, False], ids=["multi on", "multi off"])
def test_each_setting_gets_its_own_key(monkeypatch, multi):
    """Two machines that differ in /etc/host.conf get different, checkable answers: the
    key follows the setting the check reads, and the other setting's answer is told."""
    monkeypatch.setattr(hosts_prediction, "multi_here", lambda: multi)
    mine, other = predict_key(multi), predict_key(not multi)
    assert mine != other
    assert check("02.predict-hosts", mine).passed
    wrong = check("02.predict-hosts", other)
    assert not wrong.passed
    assert f"multi {'on' if multi else 'off'}" in wrong.message
    assert f"multi {'off' if multi else 'on'}" in wrong.message


@pytest.mark.parametrize("multi", [True, False], ids=["multi on", "multi off"])
def test_predict_key_is_what_the_model_answers(multi):
    parsed = hosts.parse(PREDICT_HOSTS)
    machine = Machine(host_conf=HostConf(multi=multi))
    for query, (name, family) in PREDICT_QUERIES.items():
        assert parsed.lookup(name, family, machine=machine) == predict_key(multi)[query]


# --- 02.predict-hosts: the order of an AF_UNSPEC answer, from RFC 6724 -----------------

#: RFC 6724 section 2.1, the default policy table: prefix -> precedence.
RFC6724_PRECEDENCE = {"::1/128": 50, "::/0": 40, "::ffff:0:0/96": 35, "2002::/16": 30,
                      "2001::/32": 5, "fc00::/7": 3, "::/96": 1, "fec0::/10": 1,
                      "3ffe::/16": 1}


def rfc6724_order(addresses, usable):
    """Destination order by RFC 6724 section 6, rules 1 (avoid unusable destinations)
    and 6 (higher precedence first, by the longest matching prefix of the table); IPv4
    addresses as ::ffff:a.b.c.d. Enough for loopback pairs: the other rules tie."""
    import ipaddress

    def precedence(text):
        address = ipaddress.ip_address(text)
        if address.version == 4:
            address = ipaddress.ip_address("::ffff:" + text)
        matches = [(ipaddress.ip_network(p).prefixlen, v)
                   for p, v in RFC6724_PRECEDENCE.items() if address in ipaddress.ip_network(p)]
        return max(matches)[1]

    return sorted(addresses, key=lambda a: (not usable(a), -precedence(a)))


def lines_naming(name, text, multi):
    """The addresses of the hosts lines naming ``name``, in file order (read by hand
    here: the first field, then names); with multi off only the first line."""
    found = [line.split()[0] for line in text.splitlines()
             if name in [n.lower() for n in line.split()[1:]]]
    return found if multi else found[:1]


def ipv6_loopback_usable():
    """What rule 1 asks of ::1: does a UDP connect to it work here?"""
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as probe:
            probe.connect(("::1", 9))
        return True
    except OSError:
        return False


def _gai_conf_is_default():
    try:
        text = Path("/etc/gai.conf").read_text()
    except OSError:
        return True
    return not any(line.split("#", 1)[0].strip() for line in text.splitlines())


@pytest.mark.skipif(not _gai_conf_is_default(), reason="/etc/gai.conf changes the table")
@pytest.mark.parametrize("multi", [True, False], ids=["multi on", "multi off"])
def test_the_unspec_order_is_rfc_6724s_on_this_machine(monkeypatch, multi):
    """Objective 2 (which address of localhost a client tries first) is asked: the key's
    order follows the default policy table and this machine's IPv6, computed here
    without the checker; the other order is rejected in the lesson's words."""
    ipv6 = ipv6_loopback_usable()
    expected = rfc6724_order(lines_naming("localhost", PREDICT_HOSTS, multi),
                             usable=lambda a: ipv6 or ":" not in a)
    key = predict_key(multi)
    assert key["localhost AF_UNSPEC"] == expected
    monkeypatch.setattr(hosts_prediction, "multi_here", lambda: multi)
    assert check("02.predict-hosts", key).passed
    if multi:
        wrong = check("02.predict-hosts", {**key, "localhost AF_UNSPEC": expected[::-1]})
        assert not wrong.passed
        assert ("ranks ::1 above every IPv4" if ipv6 else "puts it last") in wrong.message
        assert "RES_USE_INET6" not in wrong.message
    else:
        wrong = check("02.predict-hosts", {**key, "localhost AF_UNSPEC": ["::1", "127.0.0.1"]})
        assert not wrong.passed and "only the first line" in wrong.message


@pytest.mark.skipif(not _gai_conf_is_default(), reason="/etc/gai.conf changes the table")
def test_with_ipv6_off_the_key_puts_127_0_0_1_first(monkeypatch):
    """A machine whose ::1 does not answer (IPv6 off): rule 1 sorts ::1 last, and the
    key and the feedback follow (the model's probe made to fail as there)."""
    from loopedu.glibc.machine import Machine

    real, loopback6 = Machine._connect_now, socket.inet_pton(socket.AF_INET6, "::1")

    def ipv6_off(sock_family, family, packed):
        if family == socket.AF_INET6 and packed == loopback6:
            return None, errno.EADDRNOTAVAIL
        return real(sock_family, family, packed)

    monkeypatch.setattr(Machine, "_connect_now", staticmethod(ipv6_off))
    monkeypatch.setattr(hosts_prediction, "multi_here", lambda: True)
    expected = rfc6724_order(lines_naming("localhost", PREDICT_HOSTS, True),
                             usable=lambda a: ":" not in a)
    assert expected == ["127.0.0.1", "::1"]
    key = predict_key(True)
    assert key["localhost AF_UNSPEC"] == expected
    assert check("02.predict-hosts", key).passed
    wrong = check("02.predict-hosts", {**key, "localhost AF_UNSPEC": ["::1", "127.0.0.1"]})
    assert not wrong.passed and "IPv6 is off on this machine" in wrong.message


def test_an_ipv6_only_query_is_told_in_the_lessons_words():
    """The mapped-address mistake gets the families as the lesson's first cell states
    them, not a resolver option it never names."""
    for wrong in (["::1", "::ffff:127.0.0.1"], ["::1", "127.0.0.1"]):
        feedback = check("02.predict-hosts", {**PREDICT_KEY, "localhost AF_INET6": wrong})
        assert not feedback.passed
        assert "AF_INET6 asks for IPv6 addresses only" in feedback.message
        assert "RES_USE_INET6" not in feedback.message
    lesson = (ROOT / "notebooks" / "02-localhost-is-a-name.py").read_text()
    main_path = lesson.split("## Going further", 1)[0]
    assert "`AF_INET6` for IPv6 only" in main_path


def test_predict_hosts_asks_only_what_the_main_path_teaches():
    """Issue 21, lesson 02 load: the trailing dot and the IPv4 answer from a ::1 line are
    Going further, so no query needs them: no name with a trailing dot, and no IPv4 (or
    both-families) query of a name some ::1 line holds, except the AF_UNSPEC query,
    which takes ::1 as it is. Read from the hosts text here, not from the model."""
    on_ipv6_lines = {name.lower() for line in PREDICT_HOSTS.splitlines()
                     if line.split()[0] == "::1" for name in line.split()[1:]}
    for query, (name, family) in PREDICT_QUERIES.items():
        assert not name.endswith("."), query
        if family == socket.AF_INET:
            assert name.lower() not in on_ipv6_lines, query
    lesson = (ROOT / "notebooks" / "02-localhost-is-a-name.py").read_text()
    main_path, further = lesson.split("## Going further", 1)
    for rule in ("trailing dot", "as 127.0.0.1", "gets no IPv4 line"):
        assert rule not in main_path and rule in further, rule
    assert "LOCALHOST" in main_path                 # the case rule: a sandbox try


def test_broken_key_is_what_the_model_skips():
    skipped = {p.line for p in hosts.parse(BROKEN_HOSTS).problems if p.skipped}
    assert skipped == BROKEN_KEY


@pytest.mark.needs("mount_namespaces")
@pytest.mark.parametrize("multi", [True, False], ids=["multi on", "multi off"])
def test_predict_key_is_what_glibc_answers(multi):
    """Independent truth: glibc itself, in a child with the exercise's hosts file as its
    /etc/hosts and RESOLV_MULTI set, answers what the key says."""
    names = {socket.AF_INET: "AF_INET", socket.AF_INET6: "AF_INET6",
             socket.AF_UNSPEC: "AF_UNSPEC"}
    answers = {query: sandbox.call_with_hosts(PREDICT_HOSTS,
                                              "loopedu.localhost:addresses_with_multi",
                                              name, names[family], multi)
               for query, (name, family) in PREDICT_QUERIES.items()}
    assert answers == predict_key(multi)


# --- 02.fix-client: a function that ignores its addresses fails ------------------------

def always_127_0_0_1(addresses, port):
    """Ignores ``addresses``: always the loopback address the lesson's server used."""
    return socket.create_connection(("127.0.0.1", port), timeout=2)


def test_a_client_that_ignores_its_addresses_fails():
    """Issue 21: the checker's servers also listen on 127.0.0.2 or ::1, so a function
    hard-coding 127.0.0.1 is caught."""
    from loopedu.sandbox import capabilities

    machine = capabilities()
    if not (machine.whole_127_range or machine.ipv6_loopback):
        skip_or_fail("neither 127.0.0.2 nor ::1 is loopback here: every server of the "
                     "check is on 127.0.0.1")
    feedback = check("02.fix-client", always_127_0_0_1)
    assert not feedback.passed
    assert "not fixed ones" in feedback.message or "not to the server" in feedback.message


@pytest.mark.needs("ipv6_loopback")
def test_the_server_on_ipv6_loopback_is_reached_by_a_good_client(monkeypatch):
    monkeypatch.setattr(lesson02, "_client_cases",
                        lambda: [(("::1",), ["127.0.0.1", "::1"])])
    right = check("02.fix-client", good_client)
    assert right.passed and "close each socket whose connect failed" in right.message
    assert not check("02.fix-client", always_127_0_0_1).passed


# --- 02.db-transport: libpq's answers run for real, MySQL's from its manual ------------

PSQL = shutil.which("psql")


@contextmanager
def counting_listener(family, address):
    """A listener that accepts and at once closes each connection, counting them."""
    seen = []
    server = socket.socket(family, socket.SOCK_STREAM)
    server.bind(address)
    server.listen()
    server.settimeout(0.2)
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            seen.append(1)
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server, seen
    finally:
        stop.set()
        thread.join(5)
        server.close()


def run_psql(*args, env=None):
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("PG")},
           **(env or {})}
    done = subprocess.run([PSQL, "-w", "-d", "x", "-U", "x", *args], env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=30)
    return done.stderr


def test_db_key_for_libpq_is_what_psql_does():
    """A TCP listener on 127.0.0.1 and a Unix socket file in a fresh folder, with the
    same port number: whichever one psql's connection reaches is its transport."""
    if PSQL is None:
        skip_or_fail("psql (libpq) is not installed here (Debian: apt-get install "
                     "postgresql-client)")
    try:
        socket.getaddrinfo("localhost", None)
    except socket.gaierror:
        skip_or_fail("localhost does not resolve on this machine (no hosts line for it, "
                     "no nss-myhostname), so psql -h localhost cannot connect")
    with tempfile.TemporaryDirectory() as folder, \
            counting_listener(socket.AF_INET, ("127.0.0.1", 0)) as (tcp, tcp_seen):
        port = str(tcp.getsockname()[1])
        path = os.path.join(folder, f".s.PGSQL.{port}")
        with counting_listener(socket.AF_UNIX, path) as (_, unix_seen):
            observed = {}
            for client, args, env in (("psql -h 127.0.0.1", ["-h", "127.0.0.1"], {}),
                                      ("PGHOST=/tmp psql", [], {"PGHOST": folder})):
                before = (len(tcp_seen), len(unix_seen))
                stderr = run_psql(*args, "-p", port, env=env)
                reached = (len(tcp_seen) - before[0], len(unix_seen) - before[1])
                assert sum(reached) >= 1, stderr
                observed[client] = "tcp" if reached[0] else "unix"
    if socket.has_ipv6:
        try:
            with counting_listener(socket.AF_INET6, ("::1", 0)) as (tcp6, seen6):
                stderr = run_psql("-h", "::1", "-p", str(tcp6.getsockname()[1]))
                assert len(seen6) >= 1, stderr
                observed["psql -h ::1"] = "tcp"
        except OSError:  # no ::1 here (IPv6 off): that line is not measured
            pass
    assert {"psql -h 127.0.0.1", "PGHOST=/tmp psql"} <= set(observed)
    assert observed == {c: DB_KEY[c] for c in observed}


def test_db_key_for_mysql_is_what_its_manual_says():
    """MySQL Reference Manual, "Connecting to the MySQL Server Using Command Options":
    "On Unix, MySQL programs treat the host name localhost specially ... the client
    connects using a Unix socket file"; the default host is localhost; "To ensure that
    the client makes a TCP/IP connection to the local server, use --host or -h to
    specify a host name value of 127.0.0.1 (or the IPv6 address ::1) ... You can also
    specify the transport protocol explicitly, even for localhost, by using the
    --protocol=TCP option." (No mysql client runs here.)"""
    manual = {"mysql": "unix", "mysql --protocol=TCP": "tcp",
              "mysql -h ::1": "tcp"}
    assert {c: DB_KEY[c] for c in DB_CLIENTS if c.startswith("mysql")} == manual
    assert set(DB_KEY) == set(DB_CLIENTS)


def test_a_function_with_a_mistake_in_it_is_told_so_not_a_crash_of_the_check():
    def mistaken(addresses, port):
        return addresses.first   # AttributeError: a bug, not a network error

    fb = check("02.fix-client", mistaken)
    assert not fb.passed and not fb.message.startswith("Could not check")
    assert "your function raised AttributeError" in fb.message
    assert "mistake in the function" in fb.message


def test_the_hosts_sandbox_does_not_start_with_the_exercise_answered():
    """Issue 20: the sandbox of lesson 02 once started with exactly the hosts text of
    02.predict-hosts and printed 4 of its 5 answers. Its start may answer at most one of
    the exercise's queries as the key does, whatever this machine's setting."""
    import inspect

    from loopedu import localhost, widgets

    defaults = inspect.signature(widgets.hosts_sandbox).parameters
    text, names = defaults["text"].default, defaults["names"].default.split()
    assert text.strip() != PREDICT_HOSTS.strip()
    for multi in (True, False):
        shown = localhost.resolve_table(text, names, multi=multi).answers
        key = predict_key(multi)
        same = [query for query, (name, family) in PREDICT_QUERIES.items()
                if shown.get((name, family.name)) == key[query]]
        assert len(same) <= 1, (multi, same)


# --- issue 21, second review: order, the last address, and the last error -------------

def last_only(addresses, port):
    """Ignores every address but the last (in every old scenario the server was there)."""
    return good_client(addresses[-1:], port)


def reversed_order(addresses, port):
    """Tries the addresses from the last to the first."""
    return good_client(list(reversed(addresses)), port)


def raises_the_first_error(addresses, port):
    """Tries every address in order, but raises the first error, not the last."""
    return try_each(addresses, port, raise_last=False)


def _two_errors_here():
    """Whether this machine can give two different errors at once on loopback (where
    the check's last-error case can tell the first error from the last)."""
    from loopedu.exercises.lesson02 import _error_pair

    return _error_pair() is not None


@pytest.mark.parametrize("client, says", [(last_only, "first address that accepts"),
                                          (reversed_order, "first address that accepts")])
def test_a_client_that_skips_or_reverses_the_order_fails(client, says):
    machine = sandbox.capabilities()
    if not (machine.whole_127_range or machine.ipv6_loopback):
        skip_or_fail("only 127.0.0.1 is loopback here: one listening address cannot "
                     "tell the order of the addresses tried")
    feedback = check("02.fix-client", client)
    assert not feedback.passed, feedback.message
    assert says in feedback.message or "catch the error" in feedback.message, \
        feedback.message


def test_a_client_that_raises_the_first_error_fails():
    if not _two_errors_here():
        skip_or_fail("no two loopback addresses give different errors here")
    feedback = check("02.fix-client", raises_the_first_error)
    assert not feedback.passed
    assert "the last error" in feedback.message and "first" in feedback.message, \
        feedback.message


@pytest.mark.needs("whole_127_range")
def test_the_two_errors_are_real_and_immediate():
    """Independent of the checker: on Linux, a connect to 127.255.255.255 (lo's
    broadcast address) fails at once with ENETUNREACH, and one to 127.0.0.1 on a port
    where nothing listens with ECONNREFUSED; no packet leaves lo."""
    import errno

    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
        seen = []
        for address in ("127.255.255.255", "127.0.0.1"):
            with socket.socket() as sock:
                sock.settimeout(2)
                try:
                    sock.connect((address, port))
                except OSError as exc:
                    seen.append(exc.errno)
    assert seen == [errno.ENETUNREACH, errno.ECONNREFUSED]


def test_every_listener_of_the_check_is_on_loopback_and_closed(monkeypatch):
    """The scenarios listen only on loopback addresses, and close every listener."""
    import ipaddress

    from loopedu.exercises import lesson02 as module

    opened = []
    real = module.listener

    @contextmanager
    def watching(host, **kwargs):
        assert ipaddress.ip_address(host).is_loopback, host
        with real(host, **kwargs) as srv:
            opened.append(srv)
            yield srv

    monkeypatch.setattr(module, "listener", watching)
    assert check("02.fix-client", good_client).passed
    assert all(srv.closed is not None and srv.sock.fileno() == -1 for srv in opened)


def test_an_ipv6_address_is_compared_by_value():
    """::1 written out in full is ::1 (the answer is an address, not a string)."""
    key = {query: list(addresses) for query, addresses in PREDICT_KEY.items()}
    assert "::1" in key["localhost AF_INET6"]
    spelled = {**key, "localhost AF_INET6": ["0:0:0:0:0:0:0:1" if a == "::1" else a
                                             for a in key["localhost AF_INET6"]]}
    assert check("02.predict-hosts", spelled).passed
    upper = {**key, "localhost AF_INET6": [a.upper() for a in key["localhost AF_INET6"]]}
    assert check("02.predict-hosts", upper).passed


# ---- 02.who-sees-it: the socket-file cases measured, wrong answers told why ----------

@pytest.mark.needs("root")
def test_who_sees_it_key_is_what_sockets_do_here():
    """The key's connect cases against real sockets: a 0600 socket file refuses another
    user (nobody) with EACCES; after chmod 000 it refuses its owner (nobody, given the
    file) too; 0666 lets nobody in; TCP on ::1 has no file. Measured here, not taken from
    the key. The folder (a fresh one in the
    system's temporary folder, as pytest's own are 0700) lets every user in, so only the
    socket file's mode decides."""
    from pathlib import Path

    from shared_checks import run_as_nobody

    folder = Path(tempfile.mkdtemp(prefix="loopedu-who-"))
    try:
        os.chmod(folder, 0o755)                   # a folder every user may enter
        _who_sees_it_measured(folder, run_as_nobody)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _who_sees_it_measured(folder, run_as_nobody):
    import pwd

    from loopedu.exercises.lesson02 import WHO_KEY

    probe = ("import socket, sys\nfam = socket.AF_UNIX if sys.argv[1] != 'tcp' else "
             "socket.AF_INET6\ns = socket.socket(fam)\ntarget = sys.argv[1] if fam == "
             "socket.AF_UNIX else ('::1', int(sys.argv[2]))\ntry:\n"
             "    s.connect(target); print('connected')\nexcept OSError as e:\n"
             "    import errno; print(errno.errorcode[e.errno])\n")
    if not sandbox.capabilities().ipv6_loopback:
        skip_or_fail("the TCP case needs ::1, and IPv6 loopback is off here")
    seen = {}
    with socket.socket(socket.AF_UNIX) as app, socket.socket(socket.AF_INET6) as web:
        path = folder / "app.sock"
        app.bind(str(path))
        app.listen()
        web.bind(("::1", 0))
        web.listen()
        os.chmod(path, 0o600)
        seen["alice, 0600"] = run_as_nobody(
            f"import sys; sys.argv = ['', {str(path)!r}]\n" + probe).stdout.strip()
        os.chown(path, pwd.getpwnam("nobody").pw_uid, -1)     # nobody owns it now
        os.chmod(path, 0)
        seen["owner, 0000"] = run_as_nobody(
            f"import sys; sys.argv = ['', {str(path)!r}]\n" + probe).stdout.strip()
        seen["alice, tcp ::1"] = run_as_nobody(
            f"import sys; sys.argv = ['', 'tcp', '{web.getsockname()[1]}']\n"
            + probe).stdout.strip()
        os.chown(path, 0, -1)
        os.chmod(path, 0o666)
        seen["alice, 0666"] = run_as_nobody(
            f"import sys; sys.argv = ['', {str(path)!r}]\n" + probe).stdout.strip()
    _, alice, owner, tcp, open_file = WHO_KEY
    assert seen == {"alice, 0600": WHO_KEY[alice], "owner, 0000": WHO_KEY[owner],
                    "alice, tcp ::1": WHO_KEY[tcp], "alice, 0666": WHO_KEY[open_file]}
    assert seen["alice, 0600"] == "EACCES" and seen["owner, 0000"] == "EACCES"


def test_who_sees_it_wrong_answers_are_told_why(first_try):
    from loopedu.exercises.lesson02 import WHO_KEY

    edit, alice, owner, tcp, open_file = WHO_KEY
    cases = [({edit: "old"}, "reads the file again"),
             ({owner: "connected"}, "Owning the file is not enough"),
             ({tcp: "EACCES"}, "has no file"),
             ({open_file: "EACCES"}, "write permission"),
             ({alice: "connected"}, "alice has none"),
             ({alice: "connected", owner: "connected"}, "3 of 5"),
             ({alice: "denied"}, "not one of the allowed values"),
             ({alice: "ECONNREFUSED"}, "the service listens in every case"),
             ({tcp: "refused"}, "the service listens in every case")]
    for change, says in cases:
        feedback = first_try("02.who-sees-it", {**WHO_KEY, **change})
        assert not feedback.passed and says in feedback.message, feedback.message
    assert first_try("02.who-sees-it", {**WHO_KEY, alice: "Permission denied",
                                        owner: "permission denied", tcp: "ok"}).passed


def test_who_sees_it_after_three_tries_gives_the_idea_of_every_case(tmp_path, monkeypatch):
    """The fourth wrong try names no case and gives both rules, not only the first
    hint's (the hosts file), whichever case is wrong: here a socket-file one."""
    from loopedu.exercises import check
    from loopedu.exercises.lesson02 import WHO_KEY

    monkeypatch.setenv("LOOPEDU_HOME", str(tmp_path))
    _, alice, *_ = WHO_KEY
    for _ in range(4):
        feedback = check("02.who-sees-it", {**WHO_KEY, alice: "connected"})
    assert not feedback.passed and "4 of 5" in feedback.message
    assert alice not in feedback.message and "alice has none" not in feedback.message
    assert "hosts file again" in feedback.message and "write permission" in feedback.message


def test_who_sees_it_asks_cases_the_lesson_did_not_run():
    """Issue 21: the exercise says "cases the lesson did not run", so no case names the
    lesson's hosts-edit name, root, or TCP on 127.0.0.1 (rows of its table)."""
    from loopedu.exercises.lesson02 import WHO_KEY

    lesson = (ROOT / "notebooks" / "02-localhost-is-a-name.py").read_text()
    assert "myapp.test" in lesson and "127.0.0.1" in lesson
    for case in WHO_KEY:
        assert "myapp.test" not in case and "root" not in case.split()
        assert "127.0.0.1" not in case, case
