"""Interface counters, ping and round trips: loopback traffic stays on lo, lo can be
down, and one echo server and one statistics helper behind every latency figure."""

import socket
import stat
import sys

import pytest

from loopedu import measure, plots
from loopedu.measure.ping import _checksum
from netns_helpers import netns
from shared_checks import skip_or_fail

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
    assert (r.median_us, r.p99_us) == (s.median, s.p99)


def test_rtt_refuses_what_it_should():
    for address in ("192.0.2.1", "0.0.0.0", "::", "", "localhost"):
        with pytest.raises(ValueError, match="not a loopback IP address"):
            measure.rtt(address=address)
    with pytest.raises(ValueError, match="transport must be one of tcp, udp, unix"):
        measure.rtt(count=5, transport="sctp")
    with pytest.raises(ValueError, match="at least 1"):
        measure.rtt(count=0)


def test_unix_vs_tcp_compares_both_interleaved():
    r = measure.unix_vs_tcp(rounds=200)
    assert list(r.results) == ["unix socket", "tcp 127.0.0.1"] and r.errors == {}
    assert [x.transport for x in r.results.values()] == ["unix", "tcp"]
    assert r.ratio("tcp 127.0.0.1", "unix socket") == pytest.approx(
        r.results["tcp 127.0.0.1"].median_us / r.results["unix socket"].median_us)
    text = measure.format_rtt(r)
    assert "unix socket" in text and "median" in text and "p99" in text


# ---- round trips, lesson 07: the echo in a child process, pinned, nothing left ----



@pytest.mark.parametrize("echo", ["process", "thread"])
def test_rtt_samples_are_plausible(echo, far_end, nothing_left_behind):
    r = measure.rtt(count=300, warmup=10, echo=echo)
    assert r.echo == echo and len(r.samples_us) == 300 and r.samples == r.samples_us
    assert all(s > 0 for s in r.samples) and r.median_us <= r.p99_us
    assert r.placement == measure.Placement()   # not pinned unless asked


def test_udp_round_trips_in_a_child_count_every_message(far_end, nothing_left_behind):
    r = measure.rtt(count=100, transport="udp", warmup=5)
    assert len(r.samples) + r.lost == 100 and r.echo == "process"


def test_unix_round_trips_leave_no_socket_file(tmp_path, far_end, nothing_left_behind):
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


def test_a_case_whose_server_cannot_bind_is_reported_and_the_rest_run(far_end, monkeypatch,
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
def test_nothing_is_left_after_an_error_in_the_middle(monkeypatch, tmp_path, error, far_end,
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
    from loopedu.measure.throughput import ProgressBar

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


def test_an_echo_child_ends_when_its_parent_lets_go(far_end, nothing_left_behind):
    from loopedu.measure.placement import echo_process

    with echo_process("tcp") as tcp, echo_process("udp", size=32) as udp:
        assert tcp.transport == "tcp" and tcp.address[0] == "127.0.0.1"
        with udp.client() as c:
            c.send(b"ping")
            assert c.recv(32) == b"ping"
    # no client ever came to tcp, and udp got no empty datagram: both still ended


def test_a_forked_echo_keeps_only_its_own_socket():
    import psutil

    from loopedu.measure import placement

    if not placement.FORK:
        pytest.skip("no fork here")
    unrelated = socket.socket()   # a descriptor of this process the child must not hold
    with unrelated, placement.echo_process("tcp", cpus=()) as srv:
        (child,) = psutil.Process().children()
        kept = child.net_connections(kind="all")
        assert [c.status for c in kept] == [psutil.CONN_LISTEN]
        assert child.num_fds() <= 4   # stdin, stdout, stderr and the listening socket
        with srv.client() as c:
            c.sendall(b"ping")
            assert c.recv(16) == b"ping"
