"""One guard decides where the course may listen (loopedu.listen_guard): loopback always;
anything else only inside a namespace the course made, or with an explicit expose=True
that is reported. Every public function that binds for listening is refused beyond
loopback *before* it binds anything, and no code path binds around the guard."""

from __future__ import annotations

import ast
import ipaddress
import os
import socket
import warnings
from contextlib import ExitStack
from pathlib import Path

import pytest
from netns_helpers import run_as_host_without_namespaces, unmarked_prefix

from loopedu import listen_guard
from loopedu.connections import Kind
from loopedu.listen_guard import (
    NETNS_MARK,
    ExposureWarning,
    check_listen,
    in_course_namespace,
    may_listen,
)

PACKAGE = Path(__file__).resolve().parents[1] / "loopedu"


def own_address() -> str:
    """A non-loopback address of this machine's own interfaces, or (on a machine with
    only lo, such as a bare network namespace) an address of TEST-NET-1 (RFC 5737): the
    guard must refuse it before binding either way."""
    import psutil

    for addrs in psutil.net_if_addrs().values():
        for a in addrs:
            if a.family == socket.AF_INET and not ipaddress.ip_address(a.address).is_loopback:
                return a.address
    return "192.0.2.1"


BEYOND = ["0.0.0.0", "::", "", own_address()]


@pytest.fixture
def binds(monkeypatch):
    """Every address a socket of this process binds during the test."""
    seen: list = []
    real = socket.socket.bind

    def record(sock, address):
        seen.append(address)
        return real(sock, address)

    monkeypatch.setattr(socket.socket, "bind", record)
    return seen


def _enter(cm):
    with ExitStack() as stack:
        stack.enter_context(cm)


def _listeners():
    from loopedu import dev_servers, forwarder, servers
    from loopedu.measure import (
        buffer_sweep,
        compare_nagle,
        compare_rtt,
        nagle_stall,
        rtt,
        throughput,
    )

    return {
        "servers.listener": lambda a: _enter(servers.listener(a)),
        "servers.bound_socket tcp": lambda a: _enter(servers.bound_socket("tcp", a)),
        "servers.bound_socket udp": lambda a: _enter(servers.bound_socket("udp", a)),
        "servers.echo_server tcp": lambda a: _enter(servers.echo_server("tcp", a)),
        "servers.echo_server udp": lambda a: _enter(servers.echo_server("udp", a)),
        "servers.probe": lambda a: servers.probe(a),
        "forwarder.forward": lambda a: _enter(forwarder.forward("127.0.0.1", 9, listen=a)),
        "dev_servers.dev_server": lambda a: _enter(dev_servers.dev_server(host=a)),
        "measure.rtt thread": lambda a: rtt(count=1, address=a, echo="thread"),
        "measure.rtt process": lambda a: rtt(count=1, address=a, echo="process"),
        "measure.compare_rtt": lambda a: compare_rtt({"x": ("udp", a)}, count=1, warmup=0),
        "measure.throughput": lambda a: throughput(seconds=0.01, address=a),
        "measure.buffer_sweep": lambda a: buffer_sweep((4096,), seconds=0.01, address=a),
        "measure.nagle_stall": lambda a: nagle_stall(rounds=1, warmup=0, host=a),
        "measure.compare_nagle": lambda a: compare_nagle(rounds=1, warmup=0, host=a),
    }


@pytest.mark.parametrize("address", BEYOND, ids=lambda a: repr(a))
@pytest.mark.parametrize("name", sorted(_listeners()))
def test_every_listener_refuses_beyond_loopback_before_binding(name, address, binds):
    assert not in_course_namespace()
    with pytest.raises(ValueError) as refused:
        _listeners()[name](address)
    assert "loopback" in str(refused.value) or "IP address" in str(refused.value)
    assert binds == [], f"{name}({address!r}) bound {binds} before refusing"


@pytest.mark.parametrize("name", sorted(_listeners()))
def test_every_listener_still_works_on_loopback(name, binds):
    _listeners()[name]("127.0.0.1")   # the forwarder's target refuses: it listened
    # the measurements' far ends bind in a child process of their own
    in_child = name in ("measure.rtt process", "measure.throughput", "measure.buffer_sweep",
                        "measure.compare_rtt")
    assert binds or in_child
    assert all(b[0] == "127.0.0.1" for b in binds if isinstance(b, tuple))


def test_the_rule_in_words():
    assert check_listen("127.0.0.2") is False and check_listen("::1") is False
    assert check_listen("::ffff:127.0.0.1") is False     # mapped loopback stays loopback
    for address in ("0.0.0.0", "::", "198.18.0.1", "::127.0.0.1"):
        with pytest.raises(ValueError, match="not a loopback address"):
            check_listen(address)
        assert not may_listen(address)
    with pytest.raises(ValueError, match="every interface"):
        check_listen("")
    with pytest.raises(ValueError, match="must be an IP address"):
        check_listen("localhost")
    with pytest.raises(TypeError):
        check_listen(None)


def test_expose_warns_and_says_so():
    with pytest.warns(ExposureWarning, match="listens on 0.0.0.0, reachable from the network"):
        assert check_listen("0.0.0.0", expose=True, what="the demo") is True
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert check_listen("127.0.0.1", expose=True) is False   # loopback: nothing to say


def test_a_mark_that_names_another_namespace_does_not_count(monkeypatch):
    monkeypatch.setenv(NETNS_MARK, "net:[1]")
    assert not in_course_namespace()
    with pytest.raises(ValueError):
        check_listen("0.0.0.0")


@pytest.mark.skipif(listen_guard.netns_identity() is None, reason="needs Linux /proc")
def test_the_mark_of_this_very_namespace_counts(monkeypatch):
    # what a child of the course sees inside its namespace: the mark names where it is
    monkeypatch.setenv(NETNS_MARK, listen_guard.netns_identity())
    assert in_course_namespace() and check_listen("0.0.0.0") is False


@pytest.mark.needs("network_namespaces")
def test_children_in_the_course_namespaces_carry_its_mark():
    from loopedu.sandbox import namespace

    with namespace("guard") as ns:
        marked = ns.call("loopedu.listen_guard:in_course_namespace")
        prefix = unmarked_prefix(ns)
        assert NETNS_MARK not in " ".join(prefix)
    assert marked is True


# ---- experiments mark what the guard refuses "not run", and bind nothing there ----

def _no_namespaces():
    from loopedu.sandbox import Capability, assume

    return assume(network_namespaces=Capability(False, "no namespaces in this test"))


def test_matrix_without_namespaces_runs_loopback_only(binds):
    from loopedu.reachability import reachability_matrix

    with _no_namespaces():
        m = reachability_matrix(["127.0.0.1", "0.0.0.0", "::"], ["127.0.0.1"])
    assert str(m.outcome("127.0.0.1", "127.0.0.1")) == "connected"
    assert m.outcome("0.0.0.0", "127.0.0.1").kind is Kind.NOT_RUN
    assert m.outcome("::", "127.0.0.1").kind is Kind.NOT_RUN
    assert not m.isolated and "expose=True" in m.where and m.exposures == ()
    listened = [b[0] for b in binds if isinstance(b, tuple)]
    assert "0.0.0.0" not in listened and "::" not in listened


def test_demos_without_namespaces_bind_nothing_beyond_loopback(binds):
    from loopedu.bind_demos import port_shadowing_demo
    from loopedu.dual_stack import dual_stack, locality_check_demo

    with _no_namespaces():
        shadow = port_shadowing_demo()
        stack = dual_stack()
        local = locality_check_demo()
    assert {c.second_bind for c in shadow.cases if c.available} == {"not run"}
    assert {c.bind for c in stack.cases} == {"not run"}
    assert local.bind == "not run" and local.server_saw is None
    wide = [b for b in binds if isinstance(b, tuple) and b[0] in ("0.0.0.0", "::", "")]
    assert wide == []


@pytest.mark.needs("network_namespaces")
def test_expose_on_a_machine_without_namespaces_runs_and_reports(tmp_path):
    """What a learner on a machine without namespaces gets with expose=True, played in a
    namespace without the course's mark (so nothing real is exposed by this test)."""
    from loopedu.sandbox import namespace

    with namespace("hostlike") as ns:
        m = run_as_host_without_namespaces(ns, (
            "from loopedu.reachability import reachability_matrix\n"
            "result = reachability_matrix(['0.0.0.0'], ['127.0.0.2'], expose=True)"))
        refused = run_as_host_without_namespaces(ns, (
            "from loopedu.reachability import reachability_matrix\n"
            "result = reachability_matrix(['0.0.0.0'], ['127.0.0.2'])"))
    assert str(m.outcome("0.0.0.0", "127.0.0.2")) == "connected"
    assert not m.isolated and [e.address for e in m.exposures] == ["0.0.0.0"]
    assert m.exposures[0].port == m.rows[0].port and m.exposures[0].ms > 0
    assert refused.outcome("0.0.0.0", "127.0.0.2").kind is Kind.NOT_RUN


def test_container_side_refuses_to_serve_on_the_host(binds):
    from loopedu.containers import serve_in_container

    class Channel:
        def send(self, message):
            raise AssertionError("it must refuse before it reports any port")

        def receive(self):
            return None

    with pytest.raises(ValueError, match="0.0.0.0 is not a loopback address"):
        serve_in_container(Channel())
    assert [b for b in binds if isinstance(b, tuple) and b[0] == "0.0.0.0"] == []


# ---- no path around the guard ----

#: Binds that are not listeners beyond loopback, each with the reason.
NOT_LISTENERS = {
    ("connections.py", "connect"): "a client's own source address, before it connects",
    ("capture.py", "_packet_socket"): "AF_PACKET on the interface lo (a capture, not a port)",
    ("glibc/netlink.py", "_netlink_dump"): "a netlink socket (address (0, 0): the kernel)",
    ("dual_stack.py", "_second_bind"): "a TCP bind without listen() accepts no connection: "
                                       "it only tests EADDRINUSE",
    ("servers.py", "bound_socket"): "the Unix-domain socket in a private folder (its TCP "
                                    "and UDP binds pass check_listen above)",
    ("lo_down.py", "_bind"): "a TCP bind without listen() (::1 and TEST-NET-2, inside the "
                             "course's namespace): it only tests EADDRNOTAVAIL",
    ("unix_sockets.py", "_abstract_here"): "Unix-domain sockets (an abstract name and a "
                                           "file in a private folder), not IP",
}
GUARDS = {"check_listen", "may_listen"}


def _bind_sites():
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for func in ast.walk(tree):
            if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            calls = [n for n in ast.walk(func) if isinstance(n, ast.Call)
                     and isinstance(n.func, ast.Attribute) and n.func.attr == "bind"]
            if calls:
                yield path.relative_to(PACKAGE).as_posix(), func, calls


def _literal_loopback(call: ast.Call) -> bool:
    arg = call.args[0] if call.args else None
    if isinstance(arg, ast.Tuple) and arg.elts and isinstance(arg.elts[0], ast.Constant):
        value = arg.elts[0].value
        return isinstance(value, str) and value != "" and ipaddress.ip_address(value).is_loopback
    return False


def test_every_bind_in_the_package_passes_the_guard():
    unguarded = []
    for path, func, calls in _bind_sites():
        names = {n.func.id if isinstance(n.func, ast.Name) else n.func.attr
                 for n in ast.walk(func) if isinstance(n, ast.Call)
                 and isinstance(n.func, (ast.Name, ast.Attribute))}
        if names & GUARDS or (path, func.name) in NOT_LISTENERS:
            continue
        unguarded += [f"{path}:{c.lineno} in {func.name}()" for c in calls
                      if not _literal_loopback(c)]
    assert unguarded == [], ("these binds do not pass loopedu.listen_guard.check_listen: "
                             + ", ".join(unguarded))


def test_every_socketserver_in_the_package_binds_through_the_guard():
    """socketserver binds in its constructor: each server class must mix in
    dev_servers.NoLookupBind, whose server_bind calls check_listen."""
    missing = []
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(text)):
            bases = []
            if isinstance(node, ast.ClassDef):
                bases = [ast.unparse(b) for b in node.bases]
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                  and node.func.id == "type" and len(node.args) == 3):
                bases = [ast.unparse(b) for b in getattr(node.args[1], "elts", [])]
            server = [b for b in bases if b.endswith("Server")
                      and (b.startswith("socketserver.") or b.startswith("http.server."))]
            if server and "NoLookupBind" not in bases:
                missing.append(f"{path.name}:{node.lineno}")
    assert missing == []


def test_the_allowlist_names_real_places():
    found = {(path, func.name) for path, func, _ in _bind_sites()}
    assert set(NOT_LISTENERS) <= found, set(NOT_LISTENERS) - found
    assert os.path.exists(PACKAGE / "listen_guard.py")
