"""Lesson 02's live pieces: nsswitch order, the ::1-first trap (live with a private hosts
file, or with the model), Unix socket versus TCP."""

import dataclasses
import os
import socket
import sys
from pathlib import Path

import pytest
from netns_helpers import netns

from loopedu import localhost, sandbox, unix_sockets

NO_MOUNT = sandbox.Capability(False, "a private mount namespace is switched off here")


def test_nsswitch_hosts_reads_the_hosts_line_without_comments(tmp_path):
    conf = tmp_path / "nsswitch.conf"
    conf.write_text("# hosts: nis\npasswd: files\nhosts:  files mdns4_minimal "
                    "[NOTFOUND=return] dns # comment\n")
    assert localhost.nsswitch_hosts(str(conf)) == [
        "files", "mdns4_minimal", "[NOTFOUND=return]", "dns"]
    conf.write_text("passwd: files\n")
    assert localhost.nsswitch_hosts(str(conf)) == []


def _localhost_here(port) -> list[str]:
    """What this machine's resolver answers for localhost, in order ([] where nothing
    does: a hosts file without a localhost line and no nss-myhostname)."""
    try:
        infos = socket.getaddrinfo("localhost", port, socket.AF_UNSPEC, socket.SOCK_STREAM)
    except socket.gaierror:
        return []
    return [i[4][0] for i in infos]


def test_trap_here_follows_this_machines_resolver():
    result = localhost.trap_here()
    expected = tuple(_localhost_here(1))
    assert result.resolved == expected
    if not expected:   # the lesson says so instead of connecting
        assert result.create_connection.startswith("failed: ") and result.first_only is None
        return
    assert result.create_connection == "connected"
    assert result.create_connection_used == "127.0.0.1"


@pytest.mark.needs("mount_namespaces")
def test_private_hosts_file_reproduces_the_trap_and_leaves_etc_hosts_alone():
    before = Path("/etc/hosts").read_bytes()
    result = localhost.localhost_trap()
    assert Path("/etc/hosts").read_bytes() == before
    assert result.mode in ("private hosts file", "this machine")
    if not localhost.multi_here():
        # host.conf without multi on: the first matching line alone answers (files-hosts.c)
        assert result.resolved == ("127.0.0.1",) and result.first_only == "connected"
    elif sandbox.capabilities().ipv6_loopback:
        # gai.conf(5): ::1 (precedence 50) sorts before IPv4 (10) when ::1 is usable
        assert result.resolved == ("::1", "127.0.0.1")
        assert result.first_only == "refused"
    else:
        # RFC 3484 rule 1: an unusable destination (::1 with IPv6 off) goes last
        assert result.resolved == ("127.0.0.1", "::1")
        assert result.first_only == "connected"
    assert (result.create_connection, result.create_connection_used) == \
        ("connected", "127.0.0.1")


@pytest.fixture
def resolver_without_the_trap(monkeypatch):
    """This machine's own resolver answers localhost with 127.0.0.1 first (Debian's
    default files, IPv6 off...), so localhost_trap has to reproduce the trap itself;
    where the resolver really puts ::1 first, it would show that instead."""
    real = localhost.trap_here

    def here(timeout=1.0, mode="this machine"):
        return dataclasses.replace(real(timeout, mode), resolved=("127.0.0.1",))

    monkeypatch.setattr(localhost, "trap_here", here)


def test_model_mode_without_a_private_mount(resolver_without_the_trap):
    with sandbox.assume(mount_namespaces=NO_MOUNT):
        result = localhost.localhost_trap("::1 localhost\n127.0.0.1 localhost\n")
    assert result.mode == "model" and "switched off here" in result.why_model
    assert sorted(result.resolved) == ["127.0.0.1", "::1"]
    assert (result.create_connection, result.create_connection_used) == \
        ("connected", "127.0.0.1")
    assert [a for a, _ in result.attempts][-1] == "127.0.0.1"


def test_the_trap_never_connects_beyond_loopback(resolver_without_the_trap):
    with sandbox.assume(mount_namespaces=NO_MOUNT):
        result = localhost.localhost_trap("192.0.2.1 localhost\n")   # TEST-NET-1
    assert result.attempts == (("192.0.2.1", "not tried: not a loopback address"),)
    assert result.first_only == "not tried: not a loopback address"


@pytest.mark.needs("network_namespaces", "mount_namespaces")
def test_trap_with_ipv6_disabled_still_connects():
    with netns(ipv6=False) as ns:
        result = ns.call("loopedu.localhost:localhost_trap")
    assert result.create_connection == "connected"
    assert result.create_connection_used == "127.0.0.1"


def test_unix_and_tcp_server_cleans_up():
    import threading

    before = threading.active_count()
    with unix_sockets.unix_and_tcp_server() as srv:
        folder = os.path.dirname(srv.unix)
        for family, address in ((socket.AF_UNIX, srv.unix), (socket.AF_INET, srv.tcp)):
            with socket.socket(family) as c:
                c.settimeout(2)
                c.connect(address)
                c.sendall(b"ping")
                assert c.recv(16) == b"ping"
    assert not os.path.exists(folder)
    assert threading.active_count() == before


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX permissions")
def test_socket_file_permissions_shows_both_outcomes_for_real():
    r = unix_sockets.socket_file_permissions()
    assert r.type == "socket" and r.mode.startswith("s")
    assert r.mode_before == "srw-rw-rw-" and r.tcp_needs_no_file == "connected"
    assert r.this_process.before == "connected"
    if os.geteuid() == 0:
        # capabilities(7): root bypasses file permission checks (CAP_DAC_OVERRIDE)
        assert r.root and r.this_process.after == "connected"
        # unix(7): connecting needs write permission, which an ordinary user now lacks
        assert r.ordinary_user is not None, r.why_no_ordinary
        assert r.ordinary_user.uid == unix_sockets.ORDINARY_UID != 0
        assert (r.ordinary_user.before, r.ordinary_user.after) == ("connected", "EACCES")
    else:
        assert not r.root and r.ordinary_user == r.this_process
        if sys.platform.startswith("linux"):
            assert r.this_process.after == "EACCES"


@pytest.mark.needs("root")
def test_socket_file_permissions_says_why_when_no_ordinary_user_can_run(monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError("setuid refused here")

    monkeypatch.setattr(unix_sockets.subprocess, "run", refuse)
    r = unix_sockets.socket_file_permissions()
    assert r.ordinary_user is None and "setuid refused here" in r.why_no_ordinary
    assert r.this_process.after == "connected"


def test_resolve_report_shows_answers_and_skipped_lines():
    text = localhost.resolve_report("127.0.0.1 localhost\n::1 localhost\n10.0.0.300 x\n",
                                    "localhost, nosuch")
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
    by_family = {r.family: r for r in rows}
    assert by_family["AF_INET6"].model == [] and by_family["AF_INET6"].same is None
    assert by_family["AF_INET6"].real.startswith("not asked")
    assert all(a[2] != socket.AF_INET6 for a in asked)


def test_addresses_of_is_getaddrinfo_in_order():
    assert localhost.addresses_of("localhost") == _localhost_here(None)
    assert localhost.addresses_of("no-such-host.invalid") == []


def test_hosts_sandbox_widget_answers_as_you_type():
    from loopedu import widgets
    box = widgets.hosts_sandbox("127.0.0.1 localhost\n", "localhost")
    area, names, panel = box.children
    assert "AF_INET6  -&gt; (nothing" in panel.value
    area.value = "::1 localhost\n"
    assert "AF_INET   -&gt; 127.0.0.1" in panel.value
    names.value = "LOCALHOST"
    assert "LOCALHOST\n  AF_UNSPEC -&gt; ::1" in panel.value


# ---- glibc does not cache hosts-file answers (FACTS §7) ----

@pytest.mark.needs("mount_namespaces")
def test_an_edit_of_the_hosts_file_is_seen_by_the_same_process():
    real = Path("/etc/hosts").read_bytes()
    result = localhost.hosts_edit_details("127.0.0.5 edit.test\n", "127.0.0.6 edit.test\n",
                                          "edit.test")
    assert Path("/etc/hosts").read_bytes() == real       # the real file never written
    assert (result.before, result.after) == (("127.0.0.5",), ("127.0.0.6",))
    assert result.pids[0] == result.pids[1] > 0 and result.seen   # no restart
    assert result.live and result.mechanism == sandbox.capabilities().mount_namespaces.mechanism


@pytest.mark.needs("mount_namespaces")
def test_the_private_hosts_file_is_edited_in_place_and_removed_after():
    with sandbox.private_hosts("127.0.0.1 a.test\n") as prefix:
        path = prefix.hosts_file
        assert path.read_text() == "127.0.0.1 a.test\n" and str(path) in prefix
    assert not path.exists()


def test_without_a_private_mount_the_recording_stands_in_and_says_why():
    with sandbox.assume(mount_namespaces=NO_MOUNT):
        with pytest.raises(sandbox.NamespaceUnavailable, match="switched off"):
            localhost.hosts_edit_details()
        result = localhost.hosts_edit_demo()
    assert not result.live and "switched off" in result.why_recorded
    assert result.where.startswith("recorded on Linux ") and "glibc" in result.where
    assert (result.before, result.after) == (("127.0.0.1",), ("127.0.0.2",)) and result.seen


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX permissions")
def test_permissions_table_is_the_measurement_as_one_table(monkeypatch):
    """Lesson 02's cell is one call: its table has a row per user tried (as root, this
    process and nobody; else this process alone), and says why when nobody could not
    be tried."""
    text = unix_sockets.permissions_table()
    rows = [line for line in text.splitlines() if line.startswith("| ") and "who" not in line]
    if os.geteuid() == 0:
        assert rows == ["| this process (root) | connected | connected |",
                        f"| a child process as uid {unix_sockets.ORDINARY_UID} | connected "
                        "| EACCES |"]

        def refuse(*args, **kwargs):
            raise PermissionError("setuid refused here")

        monkeypatch.setattr(unix_sockets.subprocess, "run", refuse)
        lonely = unix_sockets.permissions_table()
        assert "No ordinary user could be tried here: setuid refused here" in lonely
    else:
        assert len(rows) == 1 and rows[0].startswith(f"| this process (uid {os.geteuid()})")
    assert "TCP to the same service on 127.0.0.1 (no file involved): connected." in text


def test_permissions_table_says_so_where_there_are_no_unix_sockets(monkeypatch):
    monkeypatch.delattr(unix_sockets.socket, "AF_UNIX")
    assert unix_sockets.permissions_table() == (
        "Not on this platform: socket-file permissions are a Unix feature.")
