"""Lesson 05 experiments: dual stack, the locality check and IPv6 switched off.
Expected values come from ipv6(7), RFC 4291 and the behaviour observed on Linux, not from
the code under test.

The RTT tests at the end (``measure.compare_rtt`` over 127.0.0.1 and ::1) check the
round trips of both families, and that ::1 is reported, not raised, where IPv6 is off."""

import errno
import ipaddress
import socket
import sys

import pytest
from netns_helpers import netns
from shared_checks import binds_ipv6_loopback, skip_or_fail

from loopedu import dual_stack, measure, platforms, plots, sandbox
from loopedu.dual_stack import ipv6_off_demo
from loopedu.exercises.lesson05 import DUAL_STACK_KEY

NO_NETNS = sandbox.Capability(False, "namespaces switched off for this test")


def both_families(n=200, warmup=200, addresses=("127.0.0.1", "::1")):
    """TCP round trips over each loopback address, interleaved."""
    return measure.compare_rtt({a: ("tcp", a) for a in addresses}, n, 32, warmup)


def linux_defaults() -> bool:
    d = dual_stack.platform_dual_stack_default()
    return d.system == "Linux" and d.bindv6only == 0


needs_ipv6 = pytest.mark.needs("ipv6_loopback")
needs_linux_defaults = pytest.mark.skipif(not linux_defaults(),
                                          reason="needs Linux with net.ipv6.bindv6only=0")


@needs_ipv6
@needs_linux_defaults
def test_dual_stack_on_linux_matches_ipv6_7(isolation):
    r = isolation("loopedu.dual_stack:dual_stack")
    off, on = r.case(v6only=False), r.case(v6only=True)
    assert str(off.ipv4_client) == "connected"
    assert off.server_saw_ipv4 == "::ffff:127.0.0.1"
    assert ipaddress.ip_address(off.server_saw_ipv4).ipv4_mapped == \
        ipaddress.ip_address("127.0.0.1")
    assert off.second_bind == "EADDRINUSE"
    assert str(on.ipv4_client) == "refused"
    assert on.second_bind == "ok"
    assert str(off.ipv6_client) == str(on.ipv6_client) == "connected"
    assert off.server_saw_ipv6 == on.server_saw_ipv6 == "::1"
    assert r.default.new_socket_v6only is False
    assert r.isolated == isolation.isolated
    assert [e.address for e in r.exposures] == ([] if isolation.isolated else ["::", "::"])


@needs_ipv6
@needs_linux_defaults
def test_exercise_key_is_what_linux_does():
    assert dual_stack.dual_stack_key(dual_stack.dual_stack()) == DUAL_STACK_KEY


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the sysctl is Linux-only")
def test_bindv6only_is_read_from_proc():
    d = dual_stack.platform_dual_stack_default()
    with open("/proc/sys/net/ipv6/bindv6only") as f:
        assert d.bindv6only == int(f.read())
    assert d.new_socket_v6only is bool(d.bindv6only)


def test_documented_defaults_name_their_sources():
    d = platforms.DUAL_STACK_DEFAULTS
    assert (d["Linux"]["v6only"], d["Windows"]["v6only"], d["OpenBSD"]["v6only"]) == \
        (False, True, True)
    assert "ipv6(7)" in d["Linux"]["source"]
    assert "Dual-Stack Sockets for IPv6 Winsock Applications" in d["Windows"]["source"]
    assert "ip6(4)" in d["OpenBSD"]["source"]


def test_macos_is_documented_dual_stack_from_its_kernel_source():
    """XNU's bsd/netinet6/in6_proto.c has `int ip6_v6only = 0;` (issue 19 item 20): the
    course says so, with that source, in the table and in lesson 03's platform notes."""
    darwin = platforms.DUAL_STACK_DEFAULTS["Darwin"]
    assert darwin["v6only"] is False
    assert "int ip6_v6only = 0;" in darwin["source"] and "XNU" in darwin["source"]
    note = platforms.platform_notes()["Darwin"]
    assert "not in the course's sources" not in note["dual_stack"]
    assert "XNU bsd/netinet6/in6_proto.c" in {s["name"] for s in note["sources"]}
    assert "| macOS (Darwin)" in platforms.dual_stack_table()


def _refuse_ipv6(monkeypatch, code):
    real = socket.socket

    class NoIPv6(real):
        def __init__(self, family=-1, *args, **kwargs):
            if family == socket.AF_INET6:
                raise OSError(code, "no IPv6")
            super().__init__(family, *args, **kwargs)

    monkeypatch.setattr(socket, "socket", NoIPv6)


@pytest.mark.filterwarnings("ignore::loopedu.listen_guard.ExposureWarning")
def _ipv6_loopback_really() -> bool:
    """Whether this machine (not the fake) can bind ::1."""
    return binds_ipv6_loopback()


def test_ipv6_compiled_out_gives_data_not_an_exception(monkeypatch):
    # the round trips' far end runs in a child process, which the fake does not reach:
    # where ::1 is really missing (IPv6 off), the child's own bind says so first
    far_end = "EAFNOSUPPORT" if _ipv6_loopback_really() else "EADDRNOTAVAIL"
    _refuse_ipv6(monkeypatch, errno.EAFNOSUPPORT)
    with sandbox.assume(network_namespaces=NO_NETNS):   # the fake lives in this process
        # expose=True: the fake refuses every IPv6 socket, so nothing can be exposed
        r = dual_stack.dual_stack(expose=True)
        assert dual_stack.locality_check_demo(expose=True).bind == "EAFNOSUPPORT"
        off = ipv6_off_demo(expose=True)
    assert (r.ipv6.available, r.ipv6.errno) == (False, "EAFNOSUPPORT")
    assert "no IPv6 at all" in r.ipv6.explain and "ipv6.disable=1" in r.ipv6.explain
    assert {c.bind for c in r.cases} == {"EAFNOSUPPORT"}
    assert "EAFNOSUPPORT" in dual_stack.format_dual_stack(r)
    # socket(2): no AF_INET6 socket at all, so neither ::1 nor :: can be bound
    assert (off.ran, off.bind_loopback, off.dual_stack_bind) == \
        (True, "EAFNOSUPPORT", "EAFNOSUPPORT")
    assert off.ipv4_client is None and "already off" in off.where
    rtt = both_families(n=5, warmup=0)
    assert rtt.errors == {"::1": far_end}
    assert rtt.results["127.0.0.1"].median_us > 0
    assert f"not run: ::1 ({far_end})" in plots.rtt_comparison(rtt).axes[0].get_title()


@pytest.mark.needs("network_namespaces")
def test_ipv6_disabled_namespace_gives_eaddrnotavail_and_dual_stack_still_takes_ipv4():
    with netns(ipv6=False) as ns:
        r = ns.call("loopedu.dual_stack:dual_stack")
        here = ns.call("loopedu.dual_stack:ipv6_off_here")
        demo = ns.call("loopedu.dual_stack:ipv6_off_demo")
    assert r.ipv6.available is False and r.ipv6.errno == "EADDRNOTAVAIL"
    off = r.case(v6only=False)
    # Observed on Linux: disable_ipv6 removes ::1, not the IPv6 socket API
    assert off.bind == "ok" and str(off.ipv4_client) == "connected"
    assert off.server_saw_ipv4 == "::ffff:127.0.0.1"
    assert str(off.ipv6_client) == "failed: EADDRNOTAVAIL"
    for measured in (here, demo):
        assert (measured.ran, measured.bind_loopback, measured.dual_stack_bind) == \
            (True, "EADDRNOTAVAIL", "ok")
        assert str(measured.ipv4_client) == "connected"
        assert measured.server_saw == "::ffff:127.0.0.1"
    assert "already off" in demo.where   # inside, IPv6 is off: no second namespace needed


@needs_ipv6
@pytest.mark.needs("network_namespaces")
def test_ipv6_off_demo_makes_a_namespace_with_ipv6_disabled():
    r = ipv6_off_demo()
    assert r.ran and "disable_ipv6=1" in r.where
    assert r.bind_loopback == "EADDRNOTAVAIL"      # ipv6(7), bind(2): no interface has ::1
    assert r.dual_stack_bind == "ok" and str(r.ipv4_client) == "connected"
    assert r.server_saw == "::ffff:127.0.0.1"
    assert dual_stack.ipv6_status().available     # this machine's own IPv6 untouched


@needs_ipv6
def test_ipv6_off_demo_without_namespaces_says_why_and_binds_nothing_here():
    with sandbox.assume(network_namespaces=NO_NETNS):
        r = ipv6_off_demo()
    assert (r.ran, r.bind_loopback, r.ipv4_client) == (False, None, None)
    assert "namespaces switched off for this test" in r.where


@needs_ipv6
def test_locality_check_demo_reports_what_this_python_says():
    demo = dual_stack.locality_check_demo()
    if demo.server_saw is None:
        skip_or_fail("this platform's :: socket is IPv6-only")
    assert demo.server_saw == "::ffff:127.0.0.1"
    assert demo.loopedu is True
    # gh-117566: the answer depends on the exact release, so ask this interpreter
    assert demo.naive is ipaddress.ip_address("::ffff:127.0.0.1").is_loopback
    assert demo.python == sys.version.split()[0]


@needs_ipv6
def test_rtt_both_families_and_figure():
    r = both_families(n=50, warmup=10)
    assert list(r.results) == ["127.0.0.1", "::1"]
    for rtt in r.results.values():
        assert len(rtt.samples_us) == 50
        assert 0 < min(rtt.samples_us) <= rtt.median_us <= rtt.p90_us <= max(rtt.samples_us)
    fig = plots.rtt_comparison(r)
    assert set(fig.rtt_summary) == {"127.0.0.1", "::1"}
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["127.0.0.1", "::1"]
    assert fig.alt_text.startswith("Box plot of loopback round-trip times")


def test_rtt_refuses_non_loopback_and_leaks_no_thread():
    import threading

    with pytest.raises(ValueError, match="not a loopback IP address"):
        both_families(addresses=("192.0.2.1",))
    both_families(n=3, warmup=0, addresses=("127.0.0.1",))
    assert not [t for t in threading.enumerate() if t.name == "loopedu-echo"]
