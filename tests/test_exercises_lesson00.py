"""Lesson 00's first connection, checked with real sockets: a server bound to loopback
and listening, a client connected to exactly that address and port, passes; every other
shape fails with a message that says what to change without giving the two lines; the
check never raises and never closes, accepts or changes the learner's sockets."""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import sys

import psutil
import pytest
from shared_checks import skip_or_fail

from loopedu.exercises import check, framework, hint

ID = "00.first-connection"


@contextlib.contextmanager
def pair(family=socket.AF_INET, kind=socket.SOCK_STREAM):
    """A server socket and a client socket, closed afterwards (as the lesson's cell)."""
    with socket.socket(family, kind) as server, socket.socket(family, kind) as client:
        yield server, client


def connect(server, client, host="127.0.0.1"):
    """What the learner's three lines do in the reference solution."""
    server.bind((host, 0))
    server.listen()
    client.connect(server.getsockname())


def failed(answer, *clues, hidden=("127.0.0.1", "getsockname")):
    """Check ``answer``: it must fail, mention every clue, and hide the solution."""
    feedback = check(ID, answer)
    assert not feedback.passed, feedback
    for clue in clues:
        assert clue in feedback.message, (clue, feedback.message)
    for secret in hidden:
        assert secret not in feedback.message, (secret, feedback.message)
    return feedback


def a_local_address_beyond_loopback() -> str | None:
    """An IPv4 address of one of this machine's interfaces that is not loopback."""
    for addrs in psutil.net_if_addrs().values():
        for addr in addrs:
            if addr.family == socket.AF_INET and \
                    not ipaddress.ip_address(addr.address).is_loopback:
                return addr.address
    return None


# --- right answers -------------------------------------------------------------------

@pytest.mark.parametrize("as_list", [False, True])
def test_a_loopback_connection_passes_and_is_left_as_it_was(as_list):
    with pair() as (server, client):
        connect(server, client)
        answer = [server, client] if as_list else (server, client)
        feedback = check(ID, answer)
        assert feedback.passed, feedback
        assert "port" in feedback.message and "accept()" in feedback.message
        # nothing was closed, and the connection is still waiting to be accepted
        assert server.fileno() != -1 and client.fileno() != -1
        assert client.getpeername() == server.getsockname()
        server.settimeout(2)
        conn, peer = server.accept()
        with conn:
            assert peer == client.getsockname()


@pytest.mark.needs("whole_127_range")
def test_any_loopback_address_passes():
    with pair() as (server, client):
        connect(server, client, "127.0.0.2")
        assert check(ID, (server, client)).passed


@pytest.mark.needs("ipv6_loopback")
def test_ipv6_loopback_passes():
    with pair(socket.AF_INET6) as (server, client):
        connect(server, client, "::1")
        assert check(ID, (server, client)).passed


# --- the server ----------------------------------------------------------------------

def test_an_unbound_server_is_named():
    with pair() as (server, client):
        failed((server, client), "not bound", "bind()")


def test_a_server_that_does_not_listen_is_named():
    with pair() as (server, client):
        server.bind(("127.0.0.1", 0))
        failed((server, client), "not listening", "listen()")


@pytest.mark.parametrize("wildcard", ["0.0.0.0", ""])
def test_a_server_on_every_interface_is_told_why_that_is_too_wide(wildcard):
    with pair() as (server, client):
        server.bind((wildcard, 0))  # never listens: nothing can reach it
        failed((server, client), "0.0.0.0", "every interface", "other machines",
               "wider than this needs")


@pytest.mark.needs("ipv6_loopback")
def test_an_ipv6_server_on_every_interface_is_told_why_that_is_too_wide():
    with pair(socket.AF_INET6) as (server, client):
        server.bind(("::", 0))
        failed((server, client), "every interface", "wider than this needs")


def test_a_server_on_a_network_address_is_told_why_that_is_too_wide():
    address = a_local_address_beyond_loopback()
    if address is None:
        skip_or_fail("this machine has no IPv4 address beyond loopback")
    with pair() as (server, client):
        server.bind((address, 0))  # never listens: nothing can reach it
        failed((server, client), address, "other machines", "wider than this needs")


# --- the client ----------------------------------------------------------------------

def test_a_client_that_is_not_connected_is_named():
    with pair() as (server, client):
        server.bind(("127.0.0.1", 0))
        server.listen()
        failed((server, client), "not connected")


def test_a_client_connected_to_another_server_is_named():
    with pair() as (server, client), socket.socket() as other:
        server.bind(("127.0.0.1", 0))
        server.listen()
        other.bind(("127.0.0.1", 0))
        other.listen()
        client.connect(other.getsockname())
        feedback = failed((server, client), "not to this server", hidden=("getsockname",))
        assert str(other.getsockname()[1]) in feedback.message
        assert str(server.getsockname()[1]) in feedback.message


def test_a_client_refused_by_its_server_is_not_connected():
    with pair() as (server, client):
        server.bind(("127.0.0.1", 0))  # bound, not listening: connect() is refused
        with pytest.raises(ConnectionRefusedError):
            client.connect(server.getsockname())
        failed((server, client), "not listening")


# --- the shape of the answer ---------------------------------------------------------

def test_swapped_sockets_are_named():
    with pair() as (server, client):
        connect(server, client)
        failed((client, server), "swapped", "(server, client)")


def test_the_same_socket_twice_is_named():
    with pair() as (server, _):
        failed((server, server), "same socket")


def test_one_socket_is_not_a_pair():
    with pair() as (server, _):
        failed(server, "one socket", "(server, client)")


@pytest.mark.parametrize("answer", [("server", "client"), (1, 2), [], (None, None),
                                    "127.0.0.1", 42, {"server": 1, "client": 2}])
def test_answers_that_are_not_two_sockets_are_explained(answer):
    feedback = check(ID, answer)
    assert not feedback.passed and "(server, client)" in feedback.message


def test_three_sockets_are_not_a_pair():
    with pair() as (server, client), socket.socket() as third:
        failed((server, client, third), "(server, client)")


def test_udp_sockets_are_not_tcp():
    with pair(kind=socket.SOCK_DGRAM) as (server, client):
        server.bind(("127.0.0.1", 0))
        client.connect(server.getsockname())
        failed((server, client), "not a TCP socket", hidden=("getsockname",))


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX") or sys.platform == "win32",
                    reason="no Unix-domain sockets here")
def test_unix_sockets_are_not_tcp_over_ip():
    a, b = socket.socketpair(socket.AF_UNIX)
    with a, b:
        failed((a, b), "not a TCP socket", hidden=())


def test_closed_sockets_are_named_and_nothing_raises():
    with pair() as (server, client):
        connect(server, client)
    failed((server, client), "already closed", "with")


def test_the_checker_itself_never_raises():
    checker = framework.get(ID).checker
    odd = [object(), (object(), object()), ("a",), (socket, socket), float("nan"), b"",
           (1j, None)]
    for answer in odd:
        assert not checker(answer).passed
    with pair() as (server, client):
        connect(server, client)
        server_fd = server.fileno()
        assert checker((server, client)).passed
        assert server.fileno() == server_fd


# --- hints ---------------------------------------------------------------------------

def test_hints_guide_without_the_solution():
    item = framework.get(ID)
    assert len(item.hints) >= 2
    for n in range(1, len(item.hints) + 1):
        text = hint(ID, n)
        assert "127.0.0.1" not in text and '("' not in text


# --- 00.kernel-connect: a connection of the learner's own to the kernel's heartbeat ---

@contextlib.contextmanager
def fake_kernel(monkeypatch):
    """Five listening sockets on 127.0.0.1 standing for a kernel's channels, and
    ``kernel_link.connection_info`` returning them as a connection file would."""
    from loopedu import kernel_link

    with contextlib.ExitStack() as stack:
        info = {"transport": "tcp", "ip": "127.0.0.1"}
        for channel in kernel_link.CHANNELS:
            sock = stack.enter_context(socket.socket())
            sock.bind(("127.0.0.1", 0))
            sock.listen()
            info[channel] = sock.getsockname()[1]
        monkeypatch.setattr(kernel_link, "connection_info", lambda: dict(info))
        yield info


def test_a_client_connected_to_the_heartbeat_passes(monkeypatch):
    with fake_kernel(monkeypatch) as info, socket.socket() as client:
        client.connect(("127.0.0.1", info["hb_port"]))
        feedback = check("00.kernel-connect", client)
        assert feedback.passed, feedback
        assert f"port {info['hb_port']}" in feedback.message
        assert client.fileno() != -1 and client.getpeername()[1] == info["hb_port"]


def test_another_channel_of_the_kernel_is_named(monkeypatch):
    with fake_kernel(monkeypatch) as info, socket.socket() as client:
        client.connect(("127.0.0.1", info["shell_port"]))
        feedback = check("00.kernel-connect", client)
        assert not feedback.passed and "shell channel" in feedback.message
        assert str(info["hb_port"]) not in feedback.message


def test_a_port_that_is_not_the_kernels_is_named(monkeypatch):
    with fake_kernel(monkeypatch), socket.socket() as other, socket.socket() as client:
        other.bind(("127.0.0.1", 0))
        other.listen()
        client.connect(other.getsockname())
        feedback = check("00.kernel-connect", client)
        assert not feedback.passed and "not one of this kernel's ports" in feedback.message


def test_an_unconnected_closed_or_odd_answer_is_explained(monkeypatch):
    with fake_kernel(monkeypatch):
        with socket.socket() as client:
            assert "not connected" in check("00.kernel-connect", client).message
        assert "already closed" in check("00.kernel-connect", client).message
        assert "socket itself" in check("00.kernel-connect", ("127.0.0.1", 1)).message


def test_outside_a_kernel_the_check_says_so():
    with socket.socket() as client:
        feedback = check("00.kernel-connect", client)
    assert not feedback.passed and "connection file" in feedback.message


# --- 00.predict-first is not answered by the lesson's own words ------------------------

def _words(text: str) -> list[str]:
    import re

    return re.findall(r"[a-z0-9']+", text.lower())


def test_the_right_option_does_not_repeat_a_sentence_of_the_lesson():
    """Issue 21: an option that copies the lesson's instruction is found by matching,
    not by understanding. No run of five words of the right option is in lesson 00."""
    from pathlib import Path

    from loopedu.exercises.lesson00 import PREDICT_FIRST_OPTIONS

    lesson = " ".join(_words((Path(__file__).parents[1] / "notebooks" /
                              "00-start-here.py").read_text(encoding="utf-8")))
    right = _words(PREDICT_FIRST_OPTIONS["b"])
    runs = [" ".join(right[i:i + 5]) for i in range(len(right) - 4)]
    assert [run for run in runs if run in lesson] == []


def test_the_worked_answer_of_the_first_connection_comes_from_the_lesson():
    """The lesson promises solution() after the last hint; this exercise lives in the
    lesson, not in the exercise notebook, and its worked answer is found there."""
    from loopedu.exercises.solutions import worked_answer

    code, explanation, source = worked_answer(ID)
    assert source == "notebooks/00-start-here.ipynb"
    assert code.startswith("server.bind(") and "client.connect(" in code
    assert explanation.startswith("Connected over loopback")
    with pair() as (server, client):
        exec(code, {"server": server, "client": client})
        assert check(ID, (server, client)).passed


def test_a_kernel_on_ipc_is_said_to_have_no_tcp_port(monkeypatch):
    from loopedu import kernel_link

    monkeypatch.setattr(kernel_link, "connection_info",
                        lambda: {"transport": "ipc", "ip": "kernel-1", "hb_port": 5})
    with socket.socket() as client:
        feedback = check("00.kernel-connect", client)
    assert not feedback.passed and "'ipc', not TCP" in feedback.message


# --- issue 21, second review: near misses of 00.kernel-transport --------------------------

@pytest.mark.parametrize("answer, says", [
    ("127.0.0.1:5555", "the address alone"),
    ("127.0.0.1:9001", "the address alone"),
    ("[::1]:5555", "IPv6 version"),
    ("10.0.0.7:5555", "other machines could use"),
    ("127.1", "short form"),
    ("127.0.1", "short form"),
    ("127.2", "one particular address"),
])
def test_kernel_transport_near_misses_get_a_message_of_their_own(answer, says):
    feedback = check("00.kernel-transport", answer)
    assert not feedback.passed
    assert says in feedback.message and "That is not it" not in feedback.message, \
        feedback.message


# --- issue 21, scorecard: 00.kernel-transport asks what this kernel's own file says ---

@pytest.mark.parametrize("file_ip, answer, passes", [
    ("0.0.0.0", "0.0.0.0", True),          # a kernel started with --ip=0.0.0.0
    ("10.1.2.3", "10.1.2.3", True),
    ("10.1.2.3", "10.1.2.4", False),       # not what the file says
    ("127.0.0.1", "0.0.0.0", False),       # the default file: 0.0.0.0 is still wrong
])
def test_kernel_transport_accepts_what_a_non_loopback_connection_file_says(
        monkeypatch, file_ip, answer, passes):
    from loopedu import kernel_link

    monkeypatch.setattr(kernel_link, "connection_info",
                        lambda: {"transport": "tcp", "ip": file_ip})
    feedback = check("00.kernel-transport", {"transport": "tcp", "ip": answer, "key": "k"})
    assert feedback.passed is passes, feedback.message
    if passes:
        assert "not loopback" in feedback.message and "signing key" in feedback.message


def test_kernel_transport_outside_a_kernel_still_wants_loopback(monkeypatch):
    from loopedu import kernel_link

    monkeypatch.setattr(kernel_link, "connection_info", lambda: None)
    assert check("00.kernel-transport", {"transport": "tcp", "ip": "127.0.0.1"}).passed
    assert not check("00.kernel-transport", {"transport": "tcp", "ip": "0.0.0.0"}).passed


# --- scorecard 00-02: 00.kernel-transport checks the reading, not a typed value -------

LIVE = {"transport": "tcp", "ip": "127.0.0.1", "shell_port": 50001, "iopub_port": 50002,
        "stdin_port": 50003, "control_port": 50004, "hb_port": 50005}


@pytest.fixture
def live_file(monkeypatch):
    from loopedu import kernel_link

    monkeypatch.setattr(kernel_link, "connection_info", lambda: dict(LIVE))


def test_kernel_transport_passes_the_file_read_with_json(live_file):
    read = {**LIVE, "key": "secret-abc", "signature_scheme": "hmac-sha256"}
    feedback = check("00.kernel-transport", read)
    assert feedback.passed, feedback.message
    assert "secret-abc" not in feedback.message


@pytest.mark.parametrize("typed", ["127.0.0.1", " 127.0.0.1 ", "loopback"])
def test_kernel_transport_rejects_the_address_typed_in(live_file, typed):
    feedback = check("00.kernel-transport", typed)
    assert not feedback.passed and "typed in" in feedback.message, feedback.message


@pytest.mark.parametrize("changed", ["shell_port", "hb_port", "ip"])
def test_kernel_transport_rejects_a_dict_that_is_not_this_kernels_file(live_file, changed):
    other = {**LIVE, changed: "127.0.0.2" if changed == "ip" else LIVE[changed] + 7}
    feedback = check("00.kernel-transport", other)
    assert not feedback.passed and repr(changed) in feedback.message, feedback.message


def test_kernel_transport_rejects_a_dict_without_ip(live_file):
    feedback = check("00.kernel-transport", {"transport": "tcp"})
    assert not feedback.passed and "no \"ip\" field" in feedback.message


def test_kernel_transport_says_what_form_an_unreadable_answer_should_take(live_file):
    feedback = check("00.kernel-transport", "my computer")
    assert not feedback.passed and "That is not it" not in feedback.message
    assert "four numbers" in feedback.message and "json.load" in feedback.message


# --- scorecard 00-02: 00.predict-first is a new situation, with explain-first options ---

def test_predict_first_answers_no_prediction_of_the_course():
    """The situation is not lesson 00's surprise, nor any later lesson's: it printed
    lesson 02's answer ("::1") before lesson 02 asked (an independent reviewer's finding).
    None of the course's predicted values or revealed answers appears in it."""
    from loopedu.exercises.explanations import WHY
    from loopedu.exercises.lesson00 import PREDICT_FIRST_OPTIONS, PREDICT_FIRST_SITUATION

    text = PREDICT_FIRST_SITUATION + " ".join(PREDICT_FIRST_OPTIONS.values())
    for answer in ("::1", "127.0.0.1", "refused", "ECONNREFUSED", "localhost"):
        assert answer not in text
    assert not any(f"Lesson {n:02d}" in text for n in range(9))
    assert len(WHY) > 20   # the course's predictions, for the record


def test_reading_the_course_first_is_rejected_with_its_reason():
    feedback = check("00.predict-first", "c")
    assert not feedback.passed and "before you read" in feedback.message


def test_kernel_transport_rejects_the_lessons_helper(live_file):
    from loopedu import kernel_link

    feedback = check("00.kernel-transport", kernel_link.connection_info())
    assert not feedback.passed and "connection_info()" in feedback.message


# --- issue 21, review of 07: 00.first-connection wants port 0 ---------------------------

def test_first_connection_on_a_fixed_port_is_told_to_bind_port_0():
    """A free fixed port below the kernel's range for port 0 (read here from /proc, not
    from the checker) connects, but fails, and says why and what to bind."""
    from pathlib import Path

    proc = Path("/proc/sys/net/ipv4/ip_local_port_range")
    low = int(proc.read_text().split()[0]) if proc.exists() else 49152
    with pair() as (server, client):
        for fixed in range(low - 1, 1024, -1):
            try:
                server.bind(("127.0.0.1", fixed))
                break
            except OSError:
                continue
        else:
            skip_or_fail(f"no free port below {low} to try a fixed bind on")
        server.listen()
        client.connect(server.getsockname())
        failed((server, client), f"port {fixed} is a fixed port", "port 0",
               "another program")


# --- issue 21, review of 07: 00.kernel-transport given the connection file's path -------

@pytest.mark.parametrize("make", [
    lambda tmp: str(tmp / "kernel-1234.json"),          # a path ending .json
    lambda tmp: str(tmp / "KERNEL.JSON") + " ",         # any case, stray space
    lambda tmp: tmp / "kernel-1234.json",               # a pathlib.Path
    "existing",                                         # a file that exists, any name
])
def test_kernel_transport_given_the_files_path_says_to_json_load_it(tmp_path, make):
    if make == "existing":
        path = tmp_path / "connection"
        path.write_text('{"ip": "127.0.0.1"}', encoding="utf-8")
        answer = str(path)
    else:
        answer = make(tmp_path)
    feedback = check("00.kernel-transport", answer)
    assert not feedback.passed
    assert "that is the file's path" in feedback.message.casefold(), feedback.message
    assert "json.load" in feedback.message and "not an IP address" not in feedback.message
