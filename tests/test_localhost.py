"""Lesson 02's live pieces: nsswitch order, the ::1-first trap, Unix socket versus TCP."""

import os
import socket
import sys
import threading

import pytest

from loopedu import localhost
from netns_helpers import needs_netns, netns, run_in

needs_private_mount = pytest.mark.skipif(
    localhost.private_mount_unavailable_reason() is not None,
    reason=str(localhost.private_mount_unavailable_reason()))


def test_nsswitch_hosts_reads_the_hosts_line_without_comments(tmp_path):
    conf = tmp_path / "nsswitch.conf"
    conf.write_text("# hosts: nis\npasswd: files\nhosts:  files mdns4_minimal "
                    "[NOTFOUND=return] dns # comment\n")
    assert localhost.nsswitch_hosts(str(conf)) == [
        "files", "mdns4_minimal", "[NOTFOUND=return]", "dns"]
    conf.write_text("passwd: files\n")
    assert localhost.nsswitch_hosts(str(conf)) == []


def test_trap_here_follows_this_machines_resolver():
    result = localhost.trap_here()
    expected = [i[4][0] for i in socket.getaddrinfo("localhost", 1, socket.AF_UNSPEC,
                                                    socket.SOCK_STREAM)]
    assert result["resolved"] == expected
    assert result["create_connection"] == "connected"
    assert result["create_connection_used"] == "127.0.0.1"


@needs_private_mount
def test_private_hosts_file_reproduces_the_trap_and_leaves_etc_hosts_alone():
    before = open("/etc/hosts", "rb").read()
    result = localhost.localhost_trap()
    assert open("/etc/hosts", "rb").read() == before
    assert result["mode"] in ("private hosts file", "this machine")
    assert result["resolved"] == ["::1", "127.0.0.1"]
    assert result["first_only"] == "refused"
    assert result["create_connection"] == "connected"
    assert result["create_connection_used"] == "127.0.0.1"


@needs_private_mount
def test_private_mount_child_sees_the_given_hosts_file():
    code = ("import json,socket; print(json.dumps([i[4][0] for i in "
            "socket.getaddrinfo('only-in-this-file', None, socket.AF_INET, "
            "socket.SOCK_STREAM)]))")
    assert localhost.getaddrinfo_in_private_mount("198.18.7.7 only-in-this-file\n", code) \
        == ["198.18.7.7"]


def test_model_mode_when_no_private_mount(monkeypatch):
    monkeypatch.setattr(localhost, "private_mount_unavailable_reason",
                        lambda: "a private mount namespace (unshare -m) needs root")
    monkeypatch.setattr(localhost, "trap_here", lambda timeout=1.0: {"resolved": ["127.0.0.1"]})
    result = localhost.localhost_trap()
    assert result["mode"] == "model"
    assert "needs root" in result["why_model"]
    assert result["resolved"][-1] == "127.0.0.1"
    assert result["create_connection"] == "connected"
    if result["resolved"][0] == "::1":
        assert result["first_only"] in ("refused", "failed: EADDRNOTAVAIL", "unreachable")


@needs_netns()
@needs_private_mount
def test_trap_with_ipv6_disabled_still_connects():
    with netns(ipv6=False) as ns:
        done = run_in(ns, sys.executable, "-c",
                      "import json; from loopedu.localhost import localhost_trap; "
                      "print(json.dumps(localhost_trap()))")
    assert done.returncode == 0, done.stderr
    import json
    result = json.loads(done.stdout)
    assert result["create_connection"] == "connected"
    assert result["create_connection_used"] == "127.0.0.1"


def test_unix_and_tcp_server_cleans_up():
    before = threading.active_count()
    with localhost.unix_and_tcp_server() as srv:
        folder = os.path.dirname(srv["unix"])
        for family, address in ((socket.AF_UNIX, srv["unix"]), (socket.AF_INET, srv["tcp"])):
            with socket.socket(family) as c:
                c.settimeout(2)
                c.connect(address)
                c.sendall(b"ping")
                assert c.recv(16) == b"ping"
    assert not os.path.exists(folder)
    assert threading.active_count() == before


def test_unix_vs_tcp_measures_both():
    r = localhost.unix_vs_tcp(rounds=200)
    for label in ("unix socket", "tcp 127.0.0.1"):
        assert 0 < r["results"][label]["median_us"] <= r["results"][label]["p90_us"]
    assert r["tcp_over_unix"] > 0
    with pytest.raises(ValueError):
        localhost.unix_vs_tcp(rounds=0)


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX permissions")
def test_socket_file_permissions():
    r = localhost.socket_file_permissions()
    assert r["type"] == "socket" and r["mode"].startswith("s")
    assert r["after_chmod_000"] == ("connected" if os.geteuid() == 0 else "EACCES")


def test_resolve_report_shows_answers_and_skipped_lines():
    text = localhost.resolve_report("127.0.0.1 localhost\n::1 localhost\n10.0.0.300 x\n",
                                    "localhost, nosuch")
    assert "AF_INET   -> 127.0.0.1, 127.0.0.1" in text
    assert "nosuch\n  AF_UNSPEC -> (nothing: the name does not resolve)" in text
    assert "line 3:" in text and "10.0.0.300" in text


def test_resolve_report_never_raises_on_junk():
    for junk in ("\x00\x00", "x" * 100_000, "::1 " + "a." * 200, ""):
        assert isinstance(localhost.resolve_report(junk, "localhost \u00e9\u00e9.."), str)


def test_compare_with_resolver_never_asks_beyond_the_hosts_file(tmp_path, monkeypatch):
    hosts_file = tmp_path / "hosts"
    hosts_file.write_text("127.0.0.1 localhost\n")
    asked = []
    real = socket.getaddrinfo
    monkeypatch.setattr(socket, "getaddrinfo",
                        lambda *a, **k: asked.append(a[:3]) or real(*a, **k))
    rows = localhost.compare_with_resolver(str(hosts_file), names=("localhost",))
    by_family = {r["family"]: r for r in rows}
    assert by_family["AF_INET6"]["model"] == [] and by_family["AF_INET6"]["same"] is None
    assert by_family["AF_INET6"]["real"].startswith("not asked")
    assert all(a[2] != socket.AF_INET6 for a in asked)


def test_hosts_sandbox_widget_answers_as_you_type():
    from loopedu import widgets
    box = widgets.hosts_sandbox("127.0.0.1 localhost\n", "localhost")
    area, names, panel = box.children
    assert "AF_INET6  -&gt; (nothing" in panel.value
    area.value = "::1 localhost\n"
    assert "AF_INET   -&gt; 127.0.0.1" in panel.value
    names.value = "LOCALHOST"
    assert "LOCALHOST\n  AF_UNSPEC -&gt; ::1" in panel.value
