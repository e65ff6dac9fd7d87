"""Lesson 06's transfer exercises (issue 21): 06.defaults asks who reaches listening
sockets the lesson did not show, its key checked here against Python's ``ipaddress`` and
against real sockets; 06.pg-connect takes the learner's own libpq connection URIs and
connects with them, and asks for a ::1 URI only where this machine's IPv6 loopback works
(decided here by binding ::1, not by the code under test)."""

import ipaddress
import os
import socket
from urllib.parse import quote

import pytest

from loopedu.exercises import check, framework
from loopedu.exercises.lesson06 import CAFE_ADDRESS, CAFE_SOCKETS, DEFAULTS_KEY

# ---- 06.defaults ---------------------------------------------------------------------------


def _kind(line: str) -> str:
    """The kind of a local address:port, from ipaddress alone: a wildcard, loopback
    (also IPv4-mapped, whose ``is_loopback`` some releases get wrong, gh-117566), or one
    address of an interface."""
    address = ipaddress.ip_address(line.rsplit(":", 1)[0].strip("[]"))
    mapped = getattr(address, "ipv4_mapped", None)
    if address.is_unspecified:
        return "every interface"
    if address.is_loopback or (mapped is not None and mapped.is_loopback):
        return "loopback"
    return "network address"


def test_the_key_is_what_ipaddress_says_of_each_line_the_learner_sees():
    shown = [local for local, _ in CAFE_SOCKETS]
    assert list(DEFAULTS_KEY) == shown
    assert {line: _kind(line) for line in shown} == DEFAULTS_KEY
    # every kind is asked, each wildcard and loopback in both families
    assert set(DEFAULTS_KEY.values()) == {"loopback", "every interface", "network address"}
    assert {"0.0.0.0:22", "[::]:8000", "[::1]:631"} <= set(shown)
    assert ipaddress.ip_address(CAFE_ADDRESS) in ipaddress.ip_network("192.0.2.0/24")


RIGHT_SPELLINGS = {**DEFAULTS_KEY, "0.0.0.0:22": "All interfaces", "[::1]:631": " Loopback",
                   f"{CAFE_ADDRESS}:3000": "the café address"}


@pytest.mark.parametrize("answer", [dict(DEFAULTS_KEY), RIGHT_SPELLINGS])
def test_defaults_right_answers_pass(answer):
    feedback = check("06.defaults", answer)
    assert feedback.passed, feedback.message
    assert "local address decides" in feedback.message


@pytest.mark.parametrize("line, wrong, says", [
    ("127.0.1.1:8080", "network address", "which block"),
    ("127.0.0.53:53", "every interface", "lesson 01"),
    ("[::ffff:127.0.0.1]:9000", "network address", "::ffff:a.b.c.d"),
    ("[::]:8000", "loopback", "what 0.0.0.0 is to IPv4"),
    (f"{CAFE_ADDRESS}:3000", "every interface", "one address, not all of them"),
    (f"{CAFE_ADDRESS}:3000", "loopback", "own address on the café"),
    ("0.0.0.0:22", "network address", "no one address"),
])
def test_defaults_wrong_kinds_fail_and_say_why(first_try, line, wrong, says):
    feedback = first_try("06.defaults", {**DEFAULTS_KEY, line: wrong})
    assert not feedback.passed
    assert f"Look again at: {line!r}" in feedback.message
    assert says in feedback.message, feedback.message
    assert "hint('06.defaults')" in feedback.message


def test_defaults_old_list_answer_and_typos_are_told_what_is_wanted(first_try):
    as_list = first_try("06.defaults", ["0.0.0.0:22", "[::]:8000"])
    assert not as_list.passed and "Expected a dict" in as_list.message
    typo = first_try("06.defaults", {**DEFAULTS_KEY, "[::1]:631": "lopback"})
    assert not typo.passed and "not one of the allowed values" in typo.message
    assert "'loopback', 'every interface', 'network address'" in typo.message


def test_defaults_after_repeated_tries_names_no_line():
    """The fourth wrong try is answered in numbers and the idea: no line, no tailored
    word (which would name its line), and hint() points on."""
    wrong = {**DEFAULTS_KEY, "127.0.1.1:8080": "network address", "[::]:8000": "loopback"}
    for _ in range(framework.REPEATED_TRIES):
        assert "Look again at" in check("06.defaults", wrong).message
    later = check("06.defaults", wrong).message
    assert "5 of 7 answers right; 2 are not." in later
    assert "Look again" not in later and "which block" not in later
    for line in DEFAULTS_KEY:
        assert line not in later, (line, later)
    assert "local address column decides" in later and "hint('06.defaults')" in later


# ---- 06.pg-connect -------------------------------------------------------------------------

def _ipv6_loopback_here() -> bool:
    """Whether ::1 binds and answers on this machine, found out here."""
    try:
        with socket.create_server(("::1", 0), family=socket.AF_INET6) as server:
            socket.create_connection(server.getsockname()[:2], timeout=5).close()
        return True
    except OSError:
        return False


def _uris(socket_uri="encoded", tcp="127.0.0.1", v6="[::1]", ipv6=None, user="learner",
          database="/postgres", port=True):
    """A learner's uris(folder, port). ``socket_uri``: "encoded" (percent-encoded
    host), "query" (?host=), "raw" (the folder unencoded), or "tcp"; ``v6``: the ::1
    URI's host, asked for where ``ipv6`` (default: this machine's, found here)."""
    ipv6 = _ipv6_loopback_here() if ipv6 is None else ipv6

    def at(host, p):
        return f"postgresql://{user}@{host}" + (f":{p}" if port else "") + database

    def uris(folder, p):
        made = {"socket": {"encoded": at(quote(folder, safe=""), p),
                           "query": f"postgres:///postgres?host={folder}&port={p}"
                                    f"&user={user}",
                           "raw": at(folder, p), "tcp": at("127.0.0.1", p)}[socket_uri],
                "tcp 127.0.0.1": at(tcp, p)}
        if ipv6:
            made["tcp ::1"] = at(v6, p)
        return made

    return uris


@pytest.fixture
def psycopg_here():
    pytest.importorskip("psycopg")


@pytest.fixture(params=["live", "no server"])
def server_mode(request, monkeypatch, psycopg_here):
    """Run the check against a throwaway server, or where PostgreSQL's server is
    missing (libpq's errors are read)."""
    for name in [n for n in os.environ if n.startswith("PG")]:
        monkeypatch.delenv(name)
    if request.param == "live":
        from test_postgres import server_or_skip

        server_or_skip()
    else:
        from loopedu.postgres import PostgresUnavailable, server

        def missing(search=None):
            raise PostgresUnavailable("not installed (test)")

        monkeypatch.setattr(server, "find_server", missing)
    return request.param


WRONG_URIS = [
    ({"socket_uri": "raw"}, "the folder's slashes ended the host part"),
    ({"socket_uri": "tcp"}, "reached the server over TCP"),
    ({"tcp": "localhost"}, "names localhost, a name"),
    ({"tcp": "[::1]"}, "which is not 127.0.0.1"),
    ({"port": False}, "names no port: libpq then uses 5432"),
    ({"database": ""}, "names no database"),
    ({"user": "postgres"}, "libpq read the user as 'postgres'"),
]


def test_pg_connect_right_uris_pass(server_mode):
    for kwargs in ({}, {"socket_uri": "query"}):
        feedback = check("06.pg-connect", _uris(**kwargs))
        assert feedback.passed, (server_mode, kwargs, feedback.message)
        assert feedback.message.startswith("Right: each URI reached the server")


@pytest.mark.parametrize("kwargs, says", WRONG_URIS)
def test_pg_connect_wrong_uris_fail_with_what_libpq_read(server_mode, kwargs, says):
    feedback = check("06.pg-connect", _uris(**kwargs))
    assert not feedback.passed
    assert says in feedback.message, (server_mode, feedback.message)
    assert "hint('06.pg-connect')" in feedback.message


@pytest.mark.needs("ipv6_loopback")
def test_pg_connect_an_unbracketed_ipv6_address_is_read_as_a_port(server_mode):
    feedback = check("06.pg-connect", _uris(v6="::1"))
    assert not feedback.passed and "ran into the port" in feedback.message, \
        feedback.message


def test_pg_connect_a_keyword_string_is_not_a_uri(server_mode):
    def keywords(folder, port):
        return {"socket": f"host={folder} port={port} user=learner dbname=postgres",
                "tcp 127.0.0.1": f"postgresql://learner@127.0.0.1:{port}/postgres"}

    feedback = check("06.pg-connect", keywords)
    assert not feedback.passed and "'socket' is not a URI" in feedback.message


def test_pg_connect_asks_for_1_exactly_where_this_machine_has_ipv6_loopback(server_mode):
    """The machine's variant: without its ::1 URI the answer passes only where IPv6
    loopback does not work here; with it, only where it does."""
    here = _ipv6_loopback_here()
    without, with_v6 = (check("06.pg-connect", _uris(ipv6=v6)) for v6 in (False, True))
    assert without.passed is (not here), without.message
    assert with_v6.passed is here, with_v6.message
    if here:
        assert "No URI for 'tcp ::1'" in without.message
    else:
        assert "leave 'tcp ::1' out" in with_v6.message


def test_pg_connect_follows_the_capability_on_a_machine_without_ipv6(server_mode):
    """The other machine: IPv6 loopback off (the server then listens on 127.0.0.1
    only), so a ::1 URI is told to go, and the answer without it passes."""
    from loopedu.sandbox import Capability, assume

    with assume(ipv6_loopback=Capability(False, "IPv6 off (test)")):
        assert check("06.pg-connect", _uris(ipv6=False)).passed
        extra = check("06.pg-connect", _uris(ipv6=True))
    assert not extra.passed and "leave 'tcp ::1' out" in extra.message


@pytest.mark.parametrize("answer, says", [
    ("postgresql://learner@127.0.0.1/postgres", 'check("06.pg-connect", uris)'),
    (lambda folder, port: ["postgresql://"], "not a dict of URIs"),
    (lambda folder, port: 1 / 0, "raised ZeroDivisionError"),
    (lambda folder, port: {"socket": None, "tcp 127.0.0.1": None}, "no URI yet"),
    (lambda folder, port: {"socket": 5, "tcp 127.0.0.1": b"x"}, "not a text"),
])
def test_pg_connect_wants_a_function_giving_a_dict_of_texts(psycopg_here, answer, says):
    feedback = check("06.pg-connect", answer)
    assert not feedback.passed and says in feedback.message, feedback.message
