"""Lesson 03's reachability matrix: bind address x destination, checked against the
Linux facts (ip(7), ipv6(7), observed) and against plain sockets, inside a namespace of
its own and on this machine's stack, and inside a namespace whose lo is down; the break-
it-on-purpose demos."""

import errno
import select
import socket
import struct
import sys
import threading
import types
from pathlib import Path

import pytest
from netns_helpers import netns

from loopedu import bind_demos, lan, platforms, plots, sandbox
from loopedu.platforms import PLATFORM_SOURCES
from loopedu.reachability import (
    format_reachability,
    reachability,
    reachability_details,
    reachability_matrix,
)

needs_netns = pytest.mark.needs("network_namespaces")
NO_NETNS = sandbox.Capability(False, "namespaces switched off for this test")

LINUX = sys.platform.startswith("linux")


def can_bind(address: str) -> bool:
    try:
        with socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET) as s:
            s.bind((address, 0))
        return True
    except OSError:
        return False


IPV6 = socket.has_ipv6 and can_bind("::1")


def raw_outcome(bind: str, target: str) -> str:
    """The same experiment with bare sockets: bind, listen, connect_ex."""
    try:
        server = socket.socket(socket.AF_INET6 if ":" in bind else socket.AF_INET)
        server.bind((bind, 0))
    except OSError as exc:
        server.close()
        return f"bind failed: {errno.errorcode[exc.errno]}"
    with server:
        server.listen()
        with socket.socket(socket.AF_INET6 if ":" in target else socket.AF_INET) as client:
            client.settimeout(2)
            code = client.connect_ex((target, server.getsockname()[1]))
    return {0: "connected", errno.ECONNREFUSED: "refused"}.get(code, errno.errorcode.get(code))


def test_every_address_reaches_its_own_listener():
    binds = ["127.0.0.1", "127.42.42.42", "::1"] if IPV6 else ["127.0.0.1", "127.42.42.42"]
    binds = [b for b in binds if can_bind(b)]
    result = reachability(binds, binds)
    assert set(result) == {(b, t) for b in binds for t in binds}
    for bind in binds:
        assert result[(bind, bind)] == "connected"


def test_matrix_matches_plain_sockets():
    binds = ["127.0.0.1", "0.0.0.0", "127.42.42.42"] + (["::1", "::"] if IPV6 else [])
    targets = ["127.0.0.1", "127.0.0.2"] + (["::1"] if IPV6 else [])
    expected = {(b, t): raw_outcome(b, t) for b in binds for t in targets}
    assert reachability(binds, targets) == expected
    # without namespaces, the binds beyond loopback are not run here (nothing exposed)
    with sandbox.assume(network_namespaces=NO_NETNS):
        here = reachability(binds, targets)
    assert here == {(b, t): (o if b not in ("0.0.0.0", "::") else "not run")
                    for (b, t), o in expected.items()}


@needs_netns
def test_matrix_runs_isolated_where_namespaces_can_be_made():
    matrix = reachability_matrix(["0.0.0.0"], ["127.0.0.1"])
    assert matrix.isolated and matrix.exposures == ()
    assert "namespace of its own" in format_reachability(matrix)


@needs_netns
def test_with_expose_and_no_namespaces_the_wildcard_listeners_are_reported():
    """Played in a namespace without the course's mark: nothing real is exposed."""
    from netns_helpers import run_as_host_without_namespaces

    with sandbox.namespace("hostlike") as ns:
        matrix = run_as_host_without_namespaces(ns, (
            "from loopedu.reachability import reachability_matrix\n"
            "result = reachability_matrix(['127.0.0.1', '0.0.0.0', '::'], ['127.0.0.1'], "
            "expose=True)"))
    assert not matrix.isolated and "no namespaces (test)" in matrix.where
    assert "expose=True" in matrix.where
    exposed = [(e.address, e.port) for e in matrix.exposures]
    ports = {r.bind: r.port for r in matrix.rows}
    # ("::" still binds where IPv6 is disabled: only ::1 is gone, not the socket API)
    wild = [b for b in ("0.0.0.0", "::") if ports[b] is not None]
    assert "0.0.0.0" in wild
    assert exposed == [(b, ports[b]) for b in wild]   # never the loopback one
    assert all(0 <= e.ms < 5000 for e in matrix.exposures)
    text = format_reachability(matrix)
    for address, port in exposed:
        assert f"listener on {address} was reachable from the network for" in text
        assert f"on port {port}" in text


def test_a_stray_connection_is_not_mistaken_for_the_client():
    """A listener that another client reached first still reports the right peer."""
    from loopedu.connections import connect
    from loopedu.servers import listener

    with listener("127.0.0.1") as srv:
        stray = connect("127.0.0.1", srv.port)   # arrives first, another client
        outcome, saw = srv.reach("127.0.0.1")
    assert stray.outcome.connected and outcome.connected
    assert saw is not None and saw[1] != stray.local[1]


@pytest.mark.skipif(not LINUX, reason="ip(7) behaviour, observed on Linux")
def test_linux_bind_facts():
    # ip(7), observed on Linux: bound 127.0.0.1 refuses 127.0.0.2; INADDR_ANY accepts it;
    # 127.42.42.42
    # accepts only itself
    result = reachability(["127.0.0.1", "0.0.0.0", "127.42.42.42"],
                          ["127.0.0.1", "127.0.0.2", "127.42.42.42"])
    assert result == {
        ("127.0.0.1", "127.0.0.1"): "connected", ("127.0.0.1", "127.0.0.2"): "refused",
        ("127.0.0.1", "127.42.42.42"): "refused",
        ("0.0.0.0", "127.0.0.1"): "connected", ("0.0.0.0", "127.0.0.2"): "connected",
        ("0.0.0.0", "127.42.42.42"): "connected",
        ("127.42.42.42", "127.0.0.1"): "refused", ("127.42.42.42", "127.0.0.2"): "refused",
        ("127.42.42.42", "127.42.42.42"): "connected",
    }


@pytest.mark.skipif(not LINUX, reason="the local 127/8 route (ip-route(8)) was observed on Linux")
def test_server_sees_127_0_0_1_as_the_source_for_any_127_address():
    rows = reachability_details(["0.0.0.0"], ["127.0.0.2", "127.42.42.42"])
    assert [r["server_saw"] for r in rows] == ["127.0.0.1", "127.0.0.1"]
    assert all(isinstance(r["port"], int) and r["port"] >= 1024 for r in rows)


@pytest.mark.skipif(not (LINUX and IPV6), reason="Linux dual stack needs IPv6")
def test_dual_stack_follows_bindv6only():
    v6only = Path("/proc/sys/net/ipv6/bindv6only").read_text().strip() == "1"
    row, = reachability_details(["::"], ["127.0.0.1"])
    # ipv6(7): [::] also accepts IPv4, seen as ::ffff:127.0.0.1, unless bindv6only=1
    expected = ("refused", None) if v6only else ("connected", "::ffff:127.0.0.1")
    assert (row["outcome"], row["server_saw"]) == expected
    assert reachability(["::"], ["127.0.0.1"], v6only=True) == {("::", "127.0.0.1"): "refused"}
    # an IPv6 client never reaches an IPv4 listener; ::1 never answers IPv4
    assert reachability(["0.0.0.0"], ["::1"]) == {("0.0.0.0", "::1"): "refused"}
    assert reachability(["::1"], ["127.0.0.1"]) == {("::1", "127.0.0.1"): "refused"}


def test_unbindable_address_fails_every_cell_with_its_errno():
    # 198.18.255.254 (RFC 2544) is on no interface of this machine
    result = reachability(["198.18.255.254"], ["127.0.0.1", "127.0.0.2"])
    assert set(result.values()) == {"bind failed: EADDRNOTAVAIL"}


@pytest.mark.parametrize("target", ["192.0.2.1", "8.8.8.8", "2001:db8::1", "example.org"])
def test_refuses_to_connect_beyond_loopback(target):
    with pytest.raises(ValueError, match="not a loopback address"):
        reachability(["127.0.0.1"], [target])


def in_namespace(ns, binds, targets) -> dict:
    rows, _ = ns.call("loopedu.reachability:measure_here", binds, targets)
    return {(row.bind, row.target): str(row.outcome) for row in rows}


@needs_netns
def test_lo_down_makes_loopback_unreachable():
    binds, targets = ["127.0.0.1", "0.0.0.0", "::1"], ["127.0.0.1"]
    with netns(lo_up=False) as ns:
        down = in_namespace(ns, binds, targets)
    with netns(lo_up=True) as ns:
        up = in_namespace(ns, binds, targets)
    # observed on Linux: with lo down, bind 127.0.0.1 works but connect is ENETUNREACH,
    # bind ::1 is EADDRNOTAVAIL
    assert down == {("127.0.0.1", "127.0.0.1"): "unreachable",
                    ("0.0.0.0", "127.0.0.1"): "unreachable",
                    ("::1", "127.0.0.1"): "bind failed: EADDRNOTAVAIL"}
    assert up[("127.0.0.1", "127.0.0.1")] == up[("0.0.0.0", "127.0.0.1")] == "connected"
    assert up[("::1", "127.0.0.1")] == "refused"


def test_format_reachability_lays_out_the_matrix():
    result = reachability(["127.0.0.1", "198.18.255.254"], ["127.0.0.1", "127.0.0.2"])
    header, *lines = format_reachability(result).splitlines()
    assert len(lines) == 2
    assert header.split()[-2:] == ["127.0.0.1", "127.0.0.2"]
    cells = [line.split(None, 1) for line in lines]
    assert [c[0] for c in cells] == ["127.0.0.1", "198.18.255.254"]
    for bind, rest in cells:
        words = rest.split("  ")
        shown = [w.strip() for w in words if w.strip()]
        assert shown == [result[(bind, "127.0.0.1")], result[(bind, "127.0.0.2")]]


def test_heatmap_shows_each_outcome_as_word_and_colour():
    matrix = reachability_matrix(["127.0.0.1", "0.0.0.0", "198.18.255.254"],
                                 ["127.0.0.1", "127.0.0.2"])
    result = matrix.to_dict()
    fig = plots.reachability_heatmap(matrix)
    ax = fig.axes[0]
    texts = {t.get_gid(): t.get_text() for t in ax.texts}
    faces = {p.get_gid(): p.get_facecolor() for p in ax.patches}
    for (bind, target), outcome in result.items():
        assert texts[f"label-{bind}-{target}"].replace("\n", " ") == outcome
    colour = {o: faces[f"cell-{b}-{t}"] for (b, t), o in result.items()}
    assert set(result.values()) == {"connected", "refused", "bind failed: EADDRNOTAVAIL"}
    assert len(set(colour.values())) == 3   # one colour per outcome
    assert [t.get_text() for t in ax.get_yticklabels()] == ["127.0.0.1", "0.0.0.0",
                                                             "198.18.255.254"]
    assert ax.get_xlabel() and ax.get_ylabel()
    assert "3 of 6 pairs connected" in fig.alt_text
    assert "\n" not in fig.alt_text


def test_eaddrinuse_demo():
    demo = bind_demos.eaddrinuse_demo()
    assert demo.second == "EADDRINUSE" and demo.port >= 1024
    assert demo.explain == "another socket already holds that address and port"


@pytest.mark.skipif(not LINUX, reason="port shadowing was observed on Linux (socket(7))")
def test_port_shadowing_demo(isolation):
    demo = isolation("loopedu.bind_demos:port_shadowing_demo")
    shadow, plain = demo.cases
    assert (shadow.option, plain.option) == ("SO_REUSEPORT", "SO_REUSEADDR")
    assert shadow.second_bind == "ok"
    assert dict(shadow.accepted_by) == {"127.0.0.1": "127.0.0.1", "127.0.0.2": "0.0.0.0"}
    assert plain.second_bind == "EADDRINUSE"
    assert dict(plain.accepted_by) == {"127.0.0.1": "0.0.0.0", "127.0.0.2": "0.0.0.0"}
    assert demo.isolated == isolation.isolated
    assert len(demo.exposures) == (0 if isolation.isolated else 2)


def test_a_connection_gone_between_select_and_accept_does_not_hang_the_demo(monkeypatch):
    """accept(2): a connection select() reported may be gone when accept() comes (reset
    by its client, or taken by another thread), and a blocking accept() then waits for
    the next connection, for ever. A client connects to one listener and resets
    (SO_LINGER 0); BSD kernels drop such a connection from the queue, Linux keeps it,
    so here another taker removes it between select and accept. The demo's own
    connection, on the other listener, must still be found, within its timeout."""
    from loopedu import bind_demos

    gone, target = (socket.create_server(("127.0.0.1", 0)) for _ in range(2))
    socks = {"gone": gone, "target": target}
    calls = []

    def select_then_lose_it(rlist, wlist, xlist, timeout):
        ready = select.select(rlist, wlist, xlist, timeout)[0]
        if not calls:  # the first time: what select saw on `gone` is taken before accept
            while select.select([gone], [], [], 0)[0]:
                gone.accept()[0].close()
            ready = [gone, *(s for s in ready if s is not gone)]
        calls.append(len(ready))
        return ready, [], []

    monkeypatch.setattr(bind_demos, "select", types.SimpleNamespace(select=select_then_lose_it))
    resetting = socket.create_connection(gone.getsockname())
    resetting.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    resetting.close()  # an RST, not a FIN
    result = []
    run = threading.Thread(target=lambda: result.append(
        bind_demos._accepted_by(socks, "127.0.0.1", target.getsockname()[1], 2.0)))
    try:
        run.start()
        run.join(10)
        hung = run.is_alive()
        if hung:  # release the blocked accept() so that nothing outlives the test
            socket.create_connection(gone.getsockname()).close()
            run.join(10)
    finally:
        gone.close()
        target.close()
    assert not hung, "accept() blocked on a connection that was gone"
    assert result == ["target"] and calls


@pytest.mark.skipif(not LINUX, reason="connecting to 0.0.0.0 was observed on Linux")
def test_connecting_to_the_any_address_reaches_loopback():
    demo = bind_demos.connect_to_any_demo()
    row = demo["0.0.0.0"]
    assert (row.bind, str(row.outcome), row.server_saw) == ("127.0.0.1", "connected",
                                                            "127.0.0.1")
    if IPV6:
        row = demo["::"]
        assert (row.bind, str(row.outcome), row.server_saw) == ("::1", "connected", "::1")


@pytest.mark.skipif(not LINUX, reason="the fallback's 127.0.0.2 answers on Linux only")
def test_lan_fallback_on_linux():
    fallback = lan.lan_fallback()
    assert fallback.reached == {"127.0.0.1": False, "0.0.0.0": True}
    assert {str(r.outcome) for r in fallback.rows if r.target == "127.0.0.1"} == {"connected"}
    text = lan.format_lan(fallback)
    assert "127.0.0.2 stands in" in text
    data = fallback.to_dict()
    assert set(data) >= {"reached", "details", "stand_in"}


def test_platform_notes_cite_their_sources():
    import platform

    notes = platforms.platform_notes()
    assert {"Linux", "Darwin", "Windows", "WSL2"} <= set(notes)
    cited = {s["name"] for n in notes.values() for s in n["sources"]}
    assert cited == set(PLATFORM_SOURCES)  # every source used, none invented
    for note in notes.values():
        assert all(s["url"].startswith(("https://github.com/", "https://learn.microsoft.com/"))
                   for s in note["sources"])
    windows = {s["name"] for s in notes["Windows"]["sources"]}
    assert any("Dual-Stack" in name for name in windows)  # the V6ONLY claim has its source
    if platform.system() in notes:
        assert notes[platform.system()]["applies_here"]
    assert sum(n["applies_here"] for n in notes.values()) <= 2


def test_format_shadowing_shows_the_case_asked_for():
    from loopedu.bind_demos import ShadowCase, Shadowing, format_shadowing

    port = ShadowCase("SO_REUSEPORT", True, 5000, "ok",
                      (("127.0.0.1", "127.0.0.1"), ("127.0.0.2", "0.0.0.0")))
    addr = ShadowCase("SO_REUSEADDR", True, 5001, "EADDRINUSE",
                      (("127.0.0.1", "0.0.0.0"), ("127.0.0.2", "0.0.0.0")))
    shadow = Shadowing((port, addr), False, "on this machine", ("0.0.0.0:5000 for 0.1 s",))
    text = format_shadowing(shadow, "SO_REUSEPORT")
    assert "SO_REUSEADDR" not in text and "EADDRINUSE" not in text
    assert "127.0.0.1 was accepted by the listener on 127.0.0.1" in text
    assert "(on this machine)" in text and "note: 0.0.0.0:5000 for 0.1 s" in text
    assert "gave EADDRINUSE" in format_shadowing(shadow, "SO_REUSEADDR")
    none = Shadowing((ShadowCase("SO_REUSEPORT", False),), False, "here")
    assert format_shadowing(none) == "SO_REUSEPORT: this OS has no such option"
