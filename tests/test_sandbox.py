"""The one layer that knows the machine: capabilities measured once, namespaces made as
root and inside an unprivileged user namespace, private hosts files, children, and
nothing left behind, even when the process that made them is killed."""

import importlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import types
from contextlib import ExitStack, contextmanager
from pathlib import Path

import psutil
import pytest

from loopedu import sandbox
from loopedu.connections import Kind, Outcome
from loopedu.sandbox import Capability, capabilities, children, holders
from loopedu.sandbox.tools import ROOT, USER

needs_netns = pytest.mark.needs("network_namespaces")
needs_mountns = pytest.mark.needs("mount_namespaces")


def netns_inode(pid: int) -> str:
    return os.readlink(f"/proc/{pid}/ns/net")


def pids_in(inode: str) -> list[int]:
    """Processes whose network namespace is ``inode`` (those this user may see)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.readlink(f"/proc/{entry}/ns/net") == inode:
                    found.append(int(entry))
            except OSError:
                pass
    return found


# ---- capabilities ----

def test_capabilities_are_measured_once_and_can_be_measured_again():
    first = capabilities()
    assert capabilities() is first
    again = capabilities(refresh=True)
    assert again is not first and again == first


def test_assume_changes_the_answer_inside_the_block_only():
    real = capabilities()
    fake = Capability(False, "faked by a test")
    with sandbox.assume(network_namespaces=fake, root=False) as caps:
        assert caps.network_namespaces == fake and capabilities().root is False
        with pytest.raises(sandbox.NamespaceUnavailable, match="faked by a test"):
            with sandbox.namespace("never"):
                pass
    assert capabilities() == real
    with pytest.raises(TypeError, match="no such capability"):
        with sandbox.assume(warp_drive=True):
            pass


def test_loopback_capabilities_match_plain_sockets():
    import socket

    def reaches(address):
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        try:
            with socket.socket(family) as srv:
                srv.bind((address, 0))
                srv.listen()
                with socket.socket(family) as cli:
                    cli.settimeout(2)
                    return cli.connect_ex(srv.getsockname()[:2]) == 0
        except OSError:
            return False

    caps = capabilities()
    assert caps.ipv6_loopback.available == reaches("::1")
    assert caps.whole_127_range.available == reaches("127.0.0.2")


def test_find_tool_looks_in_sbin_when_path_leaves_it_out(monkeypatch):
    from loopedu.sandbox import tools

    monkeypatch.setenv("PATH", "/nonexistent")
    found = tools.find_tool("ip")
    if found is not None:  # iproute2 installed: found outside PATH
        assert found.startswith(("/usr/sbin", "/sbin", "/usr/local/sbin"))
    assert tools.find_tool("no-such-tool-anywhere") is None


# ---- namespaces, both mechanisms ----

MECHANISMS = [pytest.param(ROOT, marks=pytest.mark.needs("root")),
              pytest.param(USER, marks=pytest.mark.needs("user_namespaces"))]


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_namespaces_are_separate_stacks_joined_by_veth(mechanism):
    with ExitStack() as stack:
        a, b = holders.open_namespaces(["alpha", "beta"], mechanism, stack)
        assert a.name.startswith(f"loopedu-alpha-{os.getpid()}-")
        assert netns_inode(a.pid) != netns_inode(b.pid) != netns_inode(os.getpid())
        a.ip("link", "add", "lan0", "type", "veth", "peer", "name", "lan0",
             "netns", str(b.pid))
        a.ip("addr", "add", "198.18.0.1/24", "dev", "lan0")
        b.ip("addr", "add", "198.18.0.2/24", "dev", "lan0")
        for ns in (a, b):
            ns.ip("link", "set", "lan0", "up")
        links = b.run("ip", "-o", "link").stdout
        assert "lan0" in links and "eth0" not in links   # only its own interfaces
        got = a.call("loopedu.connections:connect", "198.18.0.2", 9)
        assert got.outcome == Outcome(Kind.REFUSED)       # b's kernel answered with a reset
        a.set_sysctl("net.ipv4.conf.all.route_localnet", 1)
        assert a.run("cat", "/proc/sys/net/ipv4/conf/all/route_localnet").stdout == "1\n"
        assert Path("/proc/sys/net/ipv4/conf/all/route_localnet").read_text() == "0\n"
        inodes = [netns_inode(ns.pid) for ns in (a, b)]
    for inode in inodes:
        assert pids_in(inode) == []


@needs_netns
def test_namespace_is_removed_when_the_block_raises():
    with pytest.raises(RuntimeError, match="boom"):
        with sandbox.namespace("unit") as ns:
            inode = netns_inode(ns.pid)
            raise RuntimeError("boom")
    assert pids_in(inode) == []


HOLDER = """
import signal, sys, time
from loopedu import sandbox
# Ctrl+C raises KeyboardInterrupt even where the suite was started in the background
# by a shell, which starts it with SIGINT ignored (bash(1), "Signals")
signal.signal(signal.SIGINT, signal.default_int_handler)
with sandbox.namespaces("held", "also") as (a, b):
    print(a.pid, b.pid, flush=True)
    time.sleep(60)
"""


@needs_netns
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
def test_namespaces_go_with_their_process_even_after_kill_9(sig):
    proc = subprocess.Popen([sys.executable, "-c", HOLDER], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        pids = [int(p) for p in proc.stdout.readline().split()]
        assert len(pids) == 2, proc.stderr.read()
        inodes = [netns_inode(p) for p in pids]
        proc.send_signal(sig)
        proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    deadline = time.monotonic() + 10
    while any(pids_in(i) for i in inodes) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [pids_in(i) for i in inodes] == [[], []]


@pytest.mark.needs("root")
def test_stale_named_namespace_of_a_dead_process_is_reaped():
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = f"loopedu-old-{dead.pid}-abc123"
    subprocess.run(["ip", "netns", "add", stale], check=True)
    try:
        assert stale in sandbox.reap_stale()
        assert stale not in subprocess.run(["ip", "netns", "list"], capture_output=True,
                                           text=True).stdout
    finally:
        subprocess.run(["ip", "netns", "delete", stale], capture_output=True)


def test_reap_stale_reports_only_the_namespaces_it_deleted(monkeypatch):
    module = importlib.import_module("loopedu.sandbox.namespaces")  # the package's
    # `namespaces` attribute is the function of that name
    busy, gone = "loopedu-old-4001-bbbb", "loopedu-old-4002-aaaa"
    tried = []

    def fake_run(cmd, timeout=20):
        if cmd[1:] == ["netns", "list"]:
            return subprocess.CompletedProcess(cmd, 0, f"{busy} (id: 3)\n{gone}\nother\n", "")
        tried.append(cmd[1:])
        if cmd[-1] == busy:
            return subprocess.CompletedProcess(
                cmd, 1, "", f'Cannot remove namespace file "/run/netns/{busy}": '
                            "Device or resource busy")
        return subprocess.CompletedProcess(cmd, 0, "", "")

    monkeypatch.setattr(module, "run", fake_run)
    monkeypatch.setattr(module, "find_tool", lambda name: "/fake/ip")
    monkeypatch.setattr(module, "pid_alive", lambda pid: False)
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    assert module.reap_stale() == [gone]
    assert tried == [["netns", "delete", busy], ["netns", "delete", gone]]


def test_purpose_must_be_a_plain_word():
    with pytest.raises(ValueError, match="lower-case"):
        with sandbox.namespace("Bad-Name"):
            pass


# ---- isolation ----

@needs_netns
def test_isolated_call_runs_in_a_namespace_with_only_lo():
    run = sandbox.isolated_call("loopedu.measure.counters:interface_counters")
    assert run.isolated and set(run.result) == {"lo"}


def test_isolated_call_runs_here_without_namespaces():
    with sandbox.assume(network_namespaces=Capability(False, "no namespaces in this test")):
        run = sandbox.isolated_call("loopedu.measure.counters:interface_counters")
    assert not run.isolated and "no namespaces in this test" in run.reason
    assert "loopback only" in run.reason and "expose=True" in run.reason
    assert len(run.result) >= 1


def test_isolated_call_fallback_runs_only_loopedu_functions():
    with sandbox.assume(network_namespaces=Capability(False, "no namespaces in this test")):
        with pytest.raises(ValueError, match="loopedu functions"):
            sandbox.isolated_call("os:getpid")


@pytest.mark.parametrize("expose", [False, True])
def test_isolated_call_fallback_passes_every_argument(monkeypatch, expose):
    """On a machine without namespaces the function runs here with the arguments it was
    given, keywords included; expose=True is passed on, expose=False is not (a mutation
    that dropped the keywords on this path survived). The function is a recorder: nothing
    listens."""
    calls = []
    monkeypatch.setattr("loopedu.reachability.measure_here",
                        lambda *a, **k: calls.append((a, k)) or "recorded")
    with sandbox.assume(network_namespaces=Capability(False, "no namespaces in this test")):
        run = sandbox.isolated_call("loopedu.reachability:measure_here", ["127.0.0.1"],
                                    ["127.0.0.2"], v6only=True, expose=expose)
    wanted = {"v6only": True} | ({"expose": True} if expose else {})
    assert calls == [((["127.0.0.1"], ["127.0.0.2"]), wanted)]
    assert run.result == "recorded" and not run.isolated
    assert ("expose=True" in run.reason) and (("opened on purpose" in run.reason) == expose)


def test_isolated_call_never_falls_back_after_capabilities_said_yes(monkeypatch):
    """A namespace that fails to come up on a machine that makes them (a busy machine):
    tried again, then a clear error; the experiment never runs on this machine."""
    ns_module = importlib.import_module("loopedu.sandbox.namespaces")
    tries = []

    @contextmanager
    def failing(purpose, lo_up=True):
        tries.append(purpose)
        raise sandbox.NamespaceUnavailable("holder gave no answer in 10 s")
        yield

    ran_here = []
    monkeypatch.setattr(ns_module, "namespace", failing)
    monkeypatch.setattr("loopedu.reachability.measure_here",
                        lambda *a, **k: ran_here.append(a))
    with sandbox.assume(network_namespaces=Capability(True, "test says yes", sandbox.ROOT)):
        with pytest.raises(sandbox.NamespaceUnavailable,
                           match="2 tries .* no answer in 10 s.* busy"):
            sandbox.isolated_call("loopedu.reachability:measure_here", ["0.0.0.0"],
                                  ["127.0.0.1"], expose=True)
    assert tries == ["isolated", "isolated"] and ran_here == []


@needs_netns
def test_isolated_call_retries_a_namespace_that_failed_once(monkeypatch):
    ns_module = importlib.import_module("loopedu.sandbox.namespaces")
    real, tries = ns_module.namespace, []

    @contextmanager
    def flaky(purpose, lo_up=True):
        tries.append(purpose)
        if len(tries) == 1:
            raise sandbox.NamespaceUnavailable("transient")
        with real(purpose, lo_up) as ns:
            yield ns

    monkeypatch.setattr(ns_module, "namespace", flaky)
    run = sandbox.isolated_call("loopedu.reachability:measure_here", ["0.0.0.0"],
                                ["127.0.0.2"])
    assert len(tries) == 2 and run.isolated
    assert str(run.result[0][0].outcome) == "connected"


@needs_netns
def test_isolated_namespace_mirrors_ipv6_switched_off():
    with sandbox.namespace("outer") as outer:
        for key in ("all", "default", "lo"):
            outer.set_sysctl(f"net.ipv6.conf.{key}.disable_ipv6", 1)
        probe = outer.run(sys.executable, "-c",
                          "from loopedu.sandbox import isolated_call; "
                          "r = isolated_call('loopedu.dual_stack:ipv6_status'); "
                          "print(r.isolated, r.result.errno)")
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.split() == ["True", "EADDRNOTAVAIL"]


# ---- private hosts files ----

@needs_mountns
def test_private_hosts_file_is_seen_by_the_child_only():
    before = Path("/etc/hosts").read_bytes()
    with sandbox.private_hosts("198.18.7.7 only-in-this-file\n") as prefix:
        done = subprocess.run(prefix + ["getent", "hosts", "only-in-this-file"],
                              capture_output=True, text=True, timeout=30)
    assert done.stdout.split() == ["198.18.7.7", "only-in-this-file"]
    assert Path("/etc/hosts").read_bytes() == before
    got = sandbox.call_with_hosts("::1 localhost\n", "loopedu.localhost:addresses_of",
                                  "localhost", "AF_INET")
    assert got == ["127.0.0.1"]   # glibc answers a ::1 line as 127.0.0.1 for AF_INET


@pytest.mark.needs("mount_namespaces", "network_namespaces")
def test_private_hosts_file_inside_a_namespace():
    with sandbox.namespace("hosts") as ns:
        got = sandbox.call_with_hosts("198.18.0.9 lab-only\n", "loopedu.localhost:addresses_of",
                                      "lab-only", inside=ns)
    assert got == ["198.18.0.9"]


def test_private_hosts_unavailable_says_why():
    with sandbox.assume(mount_namespaces=Capability(False, "no unshare here")):
        with pytest.raises(sandbox.NamespaceUnavailable, match="no unshare here"):
            sandbox.call_with_hosts("", "loopedu.localhost:addresses_of")


# ---- children ----

def test_typed_results_cross_the_process_boundary():
    from loopedu.servers import Probe

    got = children.call([], "loopedu.servers:probe", "127.0.0.1")
    assert isinstance(got, Probe) and got.connect == Outcome(Kind.CONNECTED)
    data = {("a", 1): (Outcome(Kind.BIND_FAILED, "EADDRNOTAVAIL"), [b"\x00\xff"])}
    assert children.decode(json.loads(json.dumps(children.encode(data)))) == data


def test_child_errors_and_refusals_are_clear():
    with pytest.raises(children.ChildError, match="ValueError"):
        children.call([], "loopedu.stats:percentile", [], 0.5)
    with pytest.raises(ValueError, match="loopedu functions"):
        children.call([], "os:system", "true")
    with pytest.raises(children.ChildError, match="only loopedu types"):
        children.decode({"__dataclass__": "subprocess:Popen", "fields": {}})


def test_a_silent_child_times_out_instead_of_hanging():
    start = time.monotonic()
    with children.start([], "loopedu.lan:serve", ["127.0.0.1"]) as child:
        ports = child.receive(timeout=20)
        assert isinstance(ports["127.0.0.1"], int)
        # the service now waits for the parent: it says nothing
        with pytest.raises(children.ChildError, match="said nothing for 0.5 s"):
            child.receive(timeout=0.5)
    with pytest.raises(children.ChildError, match="no answer in 1 s"):
        children.call([], "loopedu.measure.latency:rtt", count=10**8, timeout=1)
    assert time.monotonic() - start < 20


STAND_INS = "loopedu.sandbox.stand_ins:"
NOISY_VALUE = {("a", 1): (Outcome(Kind.REFUSED), [b"\x00\xff", None])}


@pytest.fixture(params=[
    "no prefix", "a shell that execs",
    pytest.param("in a namespace", marks=needs_netns),
    pytest.param("with a private hosts file", marks=needs_mountns)])
def prefix(request):
    """A command prefix of each kind the course puts in front of a child."""
    with ExitStack() as stack:
        if request.param == "a shell that execs":
            yield ["sh", "-c", 'exec "$@"', "sh"]
        elif request.param == "in a namespace":
            yield stack.enter_context(sandbox.namespace("noisy")).prefix()
        elif request.param == "with a private hosts file":
            yield stack.enter_context(sandbox.private_hosts("127.0.0.1 localhost\n"))
        else:
            yield []


def test_what_a_function_prints_never_reaches_the_protocol(prefix):
    # print, os.write(1, ...), a program that echoes, and a forged protocol line
    assert children.call(prefix, STAND_INS + "noisy", NOISY_VALUE) == NOISY_VALUE
    with children.start(prefix, STAND_INS + "noisy_service", NOISY_VALUE) as child:
        assert child.receive(timeout=20) == NOISY_VALUE
        child.send(["answer", 3])
        assert child.result(timeout=20) == ["answer", 3]
        printed = child._stderr_text()
    for tag in ("before sending", "after sending", "after receiving"):
        assert f"echo started by noisy_service {tag}" in printed   # kept, on stderr
        assert f"os.write by noisy_service {tag}" in printed


def test_the_command_line_runs_in_a_child():
    assert children.call([], "loopedu.cli:main", ["doctor", "--json"]) == 0


@pytest.mark.parametrize("line", [
    "not JSON", "[1, 2]", '"a string"', '{"other": 1}', '{"result": 1, "error": "x"}',
    '{"result": {"__enum__": "loopedu.connections:Kind"}}',          # no "value"
    '{"message": {"__dataclass__": "loopedu.connections:Nothing", "fields": {}}}'])
def test_a_line_that_is_not_the_protocol_is_a_child_error(line):
    # a prefix that writes `line` to the protocol's stdout, then runs the child
    garbled = ["sh", "-c", 'printf "%s\\n" "$1"; shift; exec "$@"', "sh", line]
    with pytest.raises(children.ChildError, match=re.escape(repr(line))):
        children.call(garbled, STAND_INS + "noisy", 1)
    with children.start(garbled, STAND_INS + "noisy_service", 1) as child:
        with pytest.raises(children.ChildError, match=re.escape(repr(line))):
            child.receive(timeout=20)


def test_a_child_that_cannot_start_leaves_nothing_behind(monkeypatch):
    made = []

    def recorded(*args, **kwargs):
        made.append(tempfile.TemporaryFile(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(children, "tempfile", types.SimpleNamespace(TemporaryFile=recorded))
    me = psutil.Process()
    kids, fds = {p.pid for p in me.children()}, me.num_fds()
    with pytest.raises(children.ChildError, match="could not start.*no-such-tool"):
        children.start(["/nonexistent/no-such-tool"], STAND_INS + "noisy_service", 1)
    # the child ends before reading a request too big for the pipe: the write fails
    with pytest.raises(children.ChildError, match="gone before reading"):
        children.start(["sh", "-c", "echo gone before reading >&2; exit 3", "sh"],
                       STAND_INS + "noisy_service", "x" * 2**20)
    with pytest.raises(ValueError, match="loopedu functions"):
        children.start([], "os:system", "true")
    assert len(made) == 2 and all(f.closed for f in made)
    assert {p.pid for p in me.children()} == kids
    assert me.num_fds() == fds


def test_close_kills_a_service_that_ignores_its_closed_stdin():
    me = psutil.Process()
    before = {p.pid for p in me.children()}
    child = children.start([], STAND_INS + "stubborn")
    (proc,) = [p for p in me.children() if p.pid not in before]
    try:
        assert child.receive(timeout=20) == "ready"
        started = time.monotonic()
        child.close()
        assert time.monotonic() - started < 10
        assert not proc.is_running()
    finally:
        if proc.is_running():
            proc.kill()
            proc.wait(timeout=10)


@needs_netns
def test_no_signal_handler_or_exit_hook_is_installed_in_the_learners_process():
    import atexit

    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    hooks = atexit._ncallbacks()
    with sandbox.namespace("quiet"):
        pass
    sandbox.isolated_call("loopedu.connections:family_of", "::1")
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before
    assert atexit._ncallbacks() == hooks
