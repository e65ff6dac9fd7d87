"""Interface counters, ping and round trips: loopback traffic stays on lo, lo can be
down, and one echo server and one statistics helper behind every latency figure."""

import os
import re
import signal
import socket
import stat
import statistics
import sys
import threading
import time
import warnings
from contextlib import contextmanager

import psutil
import pytest
from netns_helpers import netns
from shared_checks import skip_or_fail

from loopedu import measure, plots
from loopedu.measure import far_end, latency
from loopedu.measure.icmp_echo import _checksum
from loopedu.servers import EchoServer, bound_socket

MB = 1_000_000


@pytest.fixture(scope="module")
def counters():
    return measure.counter_experiment(megabytes=20)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux reports lo counters")
def test_loopback_counts_the_bytes_and_real_interfaces_do_not(counters):
    loop = counters.loopback
    assert loop == "lo" and counters.bytes_moved == 20 * MB
    # lo counts each byte once sent and once received (plus headers, other programs)
    assert counters.delta[loop]["sent"] >= 20 * MB
    assert counters.delta[loop]["recv"] >= 20 * MB
    others = [nic for nic in counters.delta if nic != loop]
    assert all(counters.grew(nic) < 10 * MB for nic in others), others
    # the delta really is after minus before
    for nic, delta in counters.delta.items():
        assert delta["sent"] == counters.after[nic]["sent"] - counters.before[nic]["sent"]


def test_counters_bar_draws_the_deltas(counters):
    fig = plots.counters_bar(counters)
    ax = fig.axes[0]
    nics = [t.get_text().split("\n")[0] for t in ax.get_xticklabels()]
    assert sorted(nics) == sorted(counters.delta)
    assert nics[0] == counters.loopback
    sent, recv = ax.containers[:2]
    assert [float(p.get_height()) for p in sent] == \
        pytest.approx([counters.delta[n]["sent"] / MB for n in nics])
    assert [float(p.get_height()) for p in recv] == \
        pytest.approx([counters.delta[n]["recv"] / MB for n in nics])
    assert sent.patches[0].get_facecolor() != recv.patches[0].get_facecolor()
    assert [float(y) for y in ax.lines[0].get_ydata()] == [20.0, 20.0]  # the dashed N MB line
    assert "MB" in ax.get_ylabel() and ax.get_xlabel()
    assert "20 MB" in fig.alt_text and "\n" not in fig.alt_text


def test_counter_experiment_rejects_nonsense():
    with pytest.raises(ValueError):
        measure.counter_experiment(0)


def test_format_counters_lists_every_interface(counters):
    text = measure.format_counters(counters)
    for nic in counters.delta:
        assert nic in text
    assert "<- loopback" in text


def test_checksum_matches_rfc_1071_example():
    # RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2; checksum is ~ddf2
    assert _checksum(bytes.fromhex("0001f203f4f5f6f7")) == 0x220D


@pytest.mark.needs("ping")
@pytest.mark.parametrize("address", ["127.0.0.1", pytest.param(
    "::1", marks=pytest.mark.needs("ipv6_loopback"))])
def test_ping_loopback(address):
    result = measure.ping(address, count=3)
    assert result.failure == ""
    assert result.replies == result.sent == 3
    assert len(result.rtts_ms) == 3
    assert all(0 < rtt < 1000 for rtt in result.rtts_ms)
    assert measure.format_ping(result).startswith(f"{address}: 3/3 replies via")


def test_ping_refuses_non_lab_addresses():
    with pytest.raises(ValueError):
        measure.ping("192.0.2.1")


def test_ping_says_when_the_system_ping_is_missing(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    result = measure.ping("127.0.0.1", methods=("system",))
    assert result.method is None and result.replies == 0
    assert "no `ping` command is installed" in result.tried["system"]
    assert "could not ping" in measure.format_ping(result)


@pytest.mark.skipif(sys.platform == "win32", reason="a shell script stands in for ping")
def test_ping_reads_the_system_pings_output(monkeypatch, tmp_path):
    fake = tmp_path / "ping"
    fake.write_text(
        "#!/bin/sh\necho \"$@\" > \"${0%/*}/args\"\n"
        "echo 'PING 127.0.0.1 (127.0.0.1) 56(84) bytes of data.'\n"
        "echo '64 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time=0.041 ms'\n"
        "echo '64 bytes from 127.0.0.1: icmp_seq=2 ttl=64 time=0.052 ms'\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", str(tmp_path))
    result = measure.ping("127.0.0.1", count=2, methods=("system",))
    assert (result.method, result.replies, result.rtts_ms) == ("system", 2, [0.041, 0.052])
    assert (tmp_path / "args").read_text().split() == ["-c", "2", "127.0.0.1"]


@pytest.mark.needs("network_namespaces")
def test_unprivileged_icmp_socket_where_ping_group_range_allows_it():
    with netns() as ns:
        closed = ns.call("loopedu.measure:ping", "127.0.0.1", count=2, methods=("datagram",))
        # the sysctl is per namespace: the host's own setting is untouched. Group 0 is
        # the child's own (root, or root of its user namespace, where only it is mapped)
        ns.set_sysctl("net.ipv4.ping_group_range", "0 0")
        opened = ns.call("loopedu.measure:ping", "127.0.0.1", count=2, methods=("datagram",))
    assert closed.method is None and "datagram" in closed.tried
    assert (opened.method, opened.replies) == ("datagram", 2)


@pytest.mark.needs("network_namespaces")
def test_ping_fails_while_lo_is_down():
    result = measure.ping_with_lo_down(count=1)
    v4_down, v6_down = result["lo down"]
    v4_up, v6_up = result["lo up"]
    # observed on Linux: a namespace's lo starts DOWN; 127.0.0.1 has no route
    # (ENETUNREACH) and ::1 is not even assigned yet
    assert (v4_down.sent, v4_down.replies, v4_down.error) == (0, 0, "ENETUNREACH")
    assert v6_down.replies == 0 and v6_down.error in ("ENETUNREACH", "EADDRNOTAVAIL")
    assert (v4_up.sent, v4_up.replies, v4_up.error) == (1, 1, None)
    assert (v6_up.sent, v6_up.replies) == (1, 1)


# ---- round trips: one echo server, one statistics helper ----

@pytest.mark.parametrize("transport", ["tcp", "udp", "unix"])
def test_rtt_over_each_transport(transport):
    r = measure.rtt(count=200, transport=transport, warmup=20)
    assert (r.transport, r.size, len(r.samples_us) + r.lost) == (transport, 32, 200)
    s = r.summary
    assert 0 < s.minimum <= s.median <= s.p90 <= s.p99 <= s.maximum
    # the figures are the standard library's (inclusive method: numpy's default)
    assert r.median_us == pytest.approx(statistics.median(r.samples_us))
    assert r.p99_us == pytest.approx(
        statistics.quantiles(r.samples_us, n=100, method="inclusive")[-1])


def test_rtt_refuses_what_it_should():
    for address in ("192.0.2.1", "0.0.0.0", "::", "", "localhost"):
        with pytest.raises(ValueError, match="not a loopback IP address"):
            measure.rtt(address=address)
    with pytest.raises(ValueError, match="transport must be one of tcp, udp, unix"):
        measure.rtt(count=5, transport="sctp")
    with pytest.raises(ValueError, match="at least 1"):
        measure.rtt(count=0)


def test_unix_vs_tcp_compares_both_interleaved():
    r = measure.compare_rtt({"unix socket": ("unix", ""), "tcp 127.0.0.1": ("tcp", "127.0.0.1")},
                            200, 64, warmup=100)
    assert list(r.results) == ["unix socket", "tcp 127.0.0.1"] and r.errors == {}
    assert [x.transport for x in r.results.values()] == ["unix", "tcp"]
    tcp, unix = (statistics.median(r.results[k].samples_us)
                 for k in ("tcp 127.0.0.1", "unix socket"))
    assert r.ratio("tcp 127.0.0.1", "unix socket") == pytest.approx(tcp / unix)
    text = measure.format_rtt(r)
    assert "unix socket" in text and "median" in text and "p99" in text


# ---- round trips, lesson 07: the echo in a child process, pinned, nothing left ----



@pytest.mark.parametrize("echo", ["process", "thread"])
def test_rtt_samples_are_plausible(echo, nothing_left_behind):
    r = measure.rtt(count=300, warmup=10, echo=echo)
    assert r.echo == echo and len(r.samples_us) == 300 and r.samples == r.samples_us
    assert all(s > 0 for s in r.samples) and r.median_us <= r.p99_us
    assert r.placement == measure.Placement()   # not pinned unless asked


def test_udp_round_trips_in_a_child_count_every_message(nothing_left_behind):
    r = measure.rtt(count=100, transport="udp", warmup=5)
    assert len(r.samples) + r.lost == 100 and r.echo == "process"


def test_unix_round_trips_leave_no_socket_file(tmp_path, nothing_left_behind):
    r = measure.rtt(count=50, transport="unix", warmup=5, folder=str(tmp_path))
    assert (r.transport, len(r.samples)) == ("unix", 50)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not hasattr(__import__("os"), "sched_setaffinity"),
                    reason="no CPU pinning here")
def test_rtt_reports_its_cpu_placement_and_gives_the_cpus_back():
    import os

    before = os.sched_getaffinity(0)
    same = measure.rtt(count=50, warmup=5, cpus="same").placement
    assert same.requested == "same" and same.same_cpu and same.client[0] in before
    cpu = sorted(before)[0]
    chosen = measure.compare_rtt({"tcp": ("tcp", "127.0.0.1")}, count=20, warmup=0,
                                 cpus=(cpu, cpu))
    assert chosen.placement.client == chosen.placement.server == (cpu,)
    assert chosen.results["tcp"].placement == chosen.placement
    assert "placement: client on CPU" in measure.format_rtt(chosen)
    assert os.sched_getaffinity(0) == before


def test_a_case_whose_server_cannot_bind_is_reported_and_the_rest_run(monkeypatch,
                                                                      nothing_left_behind):
    # 198.18.0.1 (RFC 2544 benchmarking) is on no interface here, so its bind fails and
    # the errno comes back by name. The listen guard lets the course try it only inside
    # its own namespaces: this process is marked as one (its own namespace's identity),
    # which is safe because the bind cannot succeed on this machine
    from loopedu.listen_guard import NETNS_MARK, netns_identity

    if netns_identity() is None:
        skip_or_fail("needs Linux /proc to mark the namespace")
    monkeypatch.setenv(NETNS_MARK, netns_identity())
    r = measure.compare_rtt({"ok": ("tcp", "127.0.0.1"), "nowhere": ("tcp", "198.18.0.1")},
                            count=20, warmup=0)
    assert list(r.results) == ["ok"] and r.errors == {"nowhere": "EADDRNOTAVAIL"}


@pytest.mark.parametrize("error", [RuntimeError("a cell failed"), KeyboardInterrupt()])
def test_nothing_is_left_after_an_error_in_the_middle(monkeypatch, tmp_path, error,
                                                      nothing_left_behind):
    from loopedu.measure import latency

    def fails(*args, **kwargs):
        raise error

    monkeypatch.setattr(latency, "_stream_trips", fails)
    monkeypatch.setattr(latency, "_datagram_trips", fails)
    for transport in ("tcp", "udp", "unix"):
        with pytest.raises(type(error)):
            measure.rtt(count=10, transport=transport, folder=str(tmp_path))
    assert list(tmp_path.iterdir()) == []


def test_rtt_shows_no_progress_bar_outside_a_kernel(monkeypatch):
    from loopedu.measure import latency
    from loopedu.measure.bulk_transfer import ProgressBar

    bars = []

    class Recorded(ProgressBar):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            bars.append(self)

    monkeypatch.setattr(latency, "ProgressBar", Recorded)
    measure.rtt(count=20, warmup=0, progress=True)
    assert len(bars) == 1 and bars[0].shown is False


def test_rtt_refuses_a_bad_echo_or_placement():
    with pytest.raises(ValueError, match="echo must be 'process' or 'thread'"):
        measure.rtt(count=5, echo="fork")
    with pytest.raises(ValueError, match="cpus must be"):
        measure.rtt(count=5, cpus=(0,))


def test_an_echo_child_ends_when_its_parent_lets_go(nothing_left_behind):
    from loopedu.measure.far_end import echo_process

    with echo_process("tcp") as tcp, echo_process("udp", size=32) as udp:
        assert tcp.transport == "tcp" and tcp.address[0] == "127.0.0.1"
        with udp.client() as c:
            c.send(b"ping")
            assert c.recv(32) == b"ping"
    # no client ever came to tcp, and udp got no empty datagram: both still ended


@pytest.mark.skipif(not hasattr(os, "setsid"), reason="no sessions here")
def test_the_far_end_runs_in_a_session_of_its_own(nothing_left_behind):
    # as a server started from its own terminal (and iperf3's in the benchmark) does:
    # where Linux shares CPU time out by session, it gets a share of its own
    with far_end.echo_process("udp") as srv, far_end.sink_process() as sink:
        assert srv.transport == "udp" and sink.server.transport == "tcp"
        children = psutil.Process().children()
        assert len(children) == 2
        assert all(os.getsid(c.pid) == c.pid != os.getsid(0) for c in children)


def test_the_echo_child_holds_only_its_own_socket(nothing_left_behind):
    unrelated = socket.socket()   # a descriptor of this process the child must not hold
    with unrelated, far_end.echo_process("tcp", cpus=()) as srv:
        (child,) = psutil.Process().children()
        kept = child.net_connections(kind="all")
        assert [(c.status, c.laddr) for c in kept] == [(psutil.CONN_LISTEN, srv.address)]
        with srv.client() as c:
            c.sendall(b"ping")
            assert c.recv(16) == b"ping"


# ---- the far end: a fresh interpreter, never a fork; a dead one cannot hang a cell ----

def test_no_fork_while_this_process_has_threads(monkeypatch, tmp_path, nothing_left_behind):
    # a Jupyter kernel has threads; a fork() of such a process can hang on a lock one
    # of them held (Python 3.12 warns). Nothing may fork, and no warning be hidden.
    forks = []
    real_fork = os.fork
    monkeypatch.setattr(os, "fork", lambda: forks.append(1) or real_fork())
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, name="a kernel's thread")
    other.start()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            measure.compare_rtt({t: (t, "127.0.0.1") for t in ("tcp", "udp", "unix")},
                                count=20, warmup=0, folder=str(tmp_path))
            measure.throughput(seconds=0.05)
    finally:
        stop.set()
        other.join()
    assert forks == []
    assert [str(w.message) for w in caught] == []
    assert not hasattr(far_end, "FORK")


@contextmanager
def far_end_stopped(how: int, measuring: threading.Event):
    """Once ``measuring`` is set, send ``how`` (SIGKILL or SIGSTOP) to this process's
    one child, the far end; yields a dict that gets the time it was sent. A stopped
    child is killed when the block ends (if the measurement has not ended it)."""
    sent: dict = {}
    children: list = []

    def stop() -> None:
        if not measuring.wait(60):
            return
        time.sleep(0.2)   # well into the measurement
        children.extend(psutil.Process().children())
        sent["at"] = time.monotonic()
        for child in children:
            child.send_signal(how)

    thread = threading.Thread(target=stop)
    thread.start()
    try:
        yield sent
    finally:
        measuring.set()
        thread.join()
        for child in children:
            try:
                child.kill()
            except psutil.NoSuchProcess:
                pass


def in_a_thread(call, limit: float):
    """Run ``call()`` in a thread for at most ``limit`` seconds; (finished, outcome)."""
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        except BaseException as exc:   # noqa: B036 - handed to the test
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(limit)
    return not thread.is_alive(), outcome, thread


def started(module, name: str, measuring: threading.Event, monkeypatch) -> None:
    """Set ``measuring`` when ``module.name`` is first called, then call it."""
    real = getattr(module, name)

    def marked(*args, **kwargs):
        measuring.set()
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, marked)


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGSTOP], ids=["killed", "stopped"])
@pytest.mark.parametrize("what", ["tcp", "udp", "unix", "throughput"])
def test_a_far_end_that_dies_mid_measurement_ends_it(what, how, monkeypatch,
                                                     nothing_left_behind):
    throughput_module = sys.modules["loopedu.measure.bulk_transfer"]
    wait = 1.0
    monkeypatch.setattr(latency, "FAR_END_WAIT", wait)
    monkeypatch.setattr(throughput_module, "FAR_END_WAIT", wait)
    monkeypatch.setattr(latency, "_UDP_WAIT", 0.1)
    measuring = threading.Event()
    if what == "throughput":
        started(throughput_module, "_send_for", measuring, monkeypatch)
        call = lambda: measure.throughput(seconds=120)   # noqa: E731
    else:
        started(latency._Case, "run", measuring, monkeypatch)
        call = lambda: measure.rtt(count=10**8, transport=what, warmup=0)   # noqa: E731
    with far_end_stopped(how, measuring) as sent:
        finished, outcome, thread = in_a_thread(call, 30)
        ended = time.monotonic()
    thread.join(10)   # the stopped child was killed on leaving: the thread can end
    assert finished, "the measurement hung after its far end stopped"
    # ended within the wait (plus UDP's five losses in a row, plus a loaded machine)
    assert ended - sent["at"] < wait + 10
    error = outcome.get("error")
    assert isinstance(error, far_end.FarEndGone), outcome
    expected = "has stopped" if how == signal.SIGSTOP else "is gone|has stopped"
    assert re.search(expected, str(error)), error


# ---- UDP: numbered messages, late and lost echoes ----

@contextmanager
def udp_echo(answer):
    """A UDP server in a thread: for the i-th datagram (from 0) it sends back what
    ``answer(i, data)`` returns (a list of datagrams, empty to drop it). An empty
    datagram ends it. Yields its EchoServer."""
    with bound_socket("udp") as (sock, address):
        sock.settimeout(0.1)
        stop = threading.Event()

        def serve() -> None:
            i = 0
            while not stop.is_set():
                try:
                    data, peer = sock.recvfrom(65536)
                except TimeoutError:
                    continue
                if not data:
                    return
                for reply in answer(i, data):
                    sock.sendto(reply, peer)
                i += 1

        thread = threading.Thread(target=serve)
        thread.start()
        try:
            yield EchoServer("udp", address)
        finally:
            stop.set()
            thread.join()


def rtt_against(server: EchoServer, monkeypatch, **kwargs) -> measure.Rtt:
    """measure.rtt over UDP with ``server`` standing in for the echo child."""
    monkeypatch.setattr(latency, "_servers", lambda stack, cases, *rest: {
        label: server for label in cases})
    monkeypatch.setattr(latency, "_UDP_WAIT", 0.2)
    return measure.rtt(transport="udp", echo="thread", **kwargs)


def test_every_lost_udp_reply_is_counted(monkeypatch):
    # every third datagram gets no answer: 3 of 9
    with udp_echo(lambda i, data: [] if i % 3 == 2 else [data]) as server:
        r = rtt_against(server, monkeypatch, count=9, warmup=0)
    assert (len(r.samples_us), r.lost) == (6, 3)
    assert "3 lost" in measure.format_rtt(measure.RttComparison(9, 32, {"udp": r}, {}))


def test_a_late_udp_echo_is_not_timed_as_the_next_message(monkeypatch):
    # the 2nd message's echo is held back until the 3rd message arrives, and sent then
    # instead of the 3rd's: the 3rd has no echo of its own, and must not be timed by
    # the 2nd's (the same 32 bytes, were the messages not numbered)
    held: list = []

    def answer(i: int, data: bytes) -> list:
        if i == 1:
            held.append(data)
            return []
        return held if i == 2 else [data]

    with udp_echo(answer) as server:
        r = rtt_against(server, monkeypatch, count=6, warmup=0)
    # timed: messages 1, 4, 5 and 6; lost: 2 (its echo came late) and 3 (none came)
    assert (len(r.samples_us), r.lost) == (4, 2)
    assert len(held) == 1


def test_messages_carry_their_number():
    assert latency._numbered(1, 32)[:8] == (1).to_bytes(8, "big")
    assert len(latency._numbered(7, 32)) == 32
    assert latency._numbered(258, 2) == b"\x01\x02"   # modulo what 2 bytes hold
    assert latency._numbered(258, 1) == b"\x02"
    assert len({latency._numbered(n, 32) for n in range(1000)}) == 1000


@pytest.mark.needs("root")
@pytest.mark.parametrize("address", ["127.0.0.1", pytest.param(
    "::1", marks=pytest.mark.needs("ipv6_loopback"))])
def test_a_raw_icmp_socket_reads_past_the_ip_header(address):
    """A raw IPv4 ICMP socket receives the IP header before the echo reply (raw(7)); an
    IPv6 one does not (RFC 3542 section 3). Each method on its own, so the root path is
    tested too (found by mutation testing: a broken header check went unnoticed)."""
    result = measure.ping(address, count=3, methods=("raw",))
    assert (result.method, result.failure) == ("raw", "")
    assert result.replies == result.sent == 3
