"""Lesson 06's real database: a throwaway PostgreSQL server, libpq over a Unix socket and
over TCP, pg_hba.conf rows that let the same user in one way and refuse the other.

Tests that need the server skip where PostgreSQL (or psycopg) is missing and fail under
CI=true (.ci/run installs Debian's ``postgresql``). One server is shared by the module;
the tests that check the clean-up start their own.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import psutil
import pytest
from shared_checks import skip_or_fail

from loopedu.postgres import (
    HBA,
    HOW_TO_GET,
    LEARNER,
    SOCKET_FOLDER,
    PostgresUnavailable,
    Way,
    connect_ways,
    demo,
    demo_or_recorded,
    find_server,
    format_demo,
    localhost_addresses,
    matching_rule,
    psycopg_module,
    query_rtt,
    recorded,
    throwaway_cluster,
)
from loopedu.postgres import server as server_module
from loopedu.sandbox import find_tool, is_root

ROOT = Path(__file__).resolve().parents[1]
TCP_LABELS = ("host=localhost", "host=127.0.0.1")


def server_or_skip() -> None:
    """Skip unless PostgreSQL's server and psycopg are here; under CI=true, fail."""
    try:
        find_server()
        psycopg_module()
    except PostgresUnavailable as exc:
        skip_or_fail(exc.reason)


@pytest.fixture(autouse=True)
def libpq_defaults(monkeypatch):
    """libpq's own defaults: none of its environment variables (PGHOST, PGPORT, PGUSER...)
    of whoever runs the tests, which would change where "no host" and the demo connect."""
    for name in [n for n in os.environ if n.startswith("PG")]:
        monkeypatch.delenv(name)


@pytest.fixture
def needs_server():
    server_or_skip()


@pytest.fixture(scope="module")
def cluster():
    server_or_skip()
    with throwaway_cluster() as running:
        yield running


def server_pids(cluster) -> set:
    main = psutil.Process(cluster.pid)
    return {main.pid} | {p.pid for p in main.children(recursive=True)}


def assert_gone(folder: Path, pids: set) -> None:
    assert not folder.exists(), f"{folder} was left behind"
    running = []
    for pid in pids:
        try:
            proc = psutil.Process(pid)
            if proc.status() != psutil.STATUS_ZOMBIE:
                running.append((pid, proc.cmdline()))
        except psutil.NoSuchProcess:
            pass
    assert running == []
    named = [p.pid for p in psutil.process_iter(["cmdline"])
             if str(folder) in " ".join(p.info["cmdline"] or ())]
    assert named == []


def by_label(ways) -> dict:
    return {w.label: w for w in ways}


# --- the live server ---------------------------------------------------------------------

def test_the_server_is_private_and_runs_unprivileged(cluster):
    assert cluster.port != 5432 and cluster.port > 1024
    assert Path(cluster.socket_path).parent == cluster.folder
    assert os.path.exists(cluster.socket_path)
    assert str(cluster.folder).startswith(tempfile.gettempdir())
    assert "127.0.0.1" in cluster.listen
    owner = psutil.Process(cluster.pid).username()
    assert owner == cluster.run_as != "root"
    if is_root():
        assert cluster.run_as in ("postgres", "nobody")
    assert cluster.timings["initdb"] + cluster.timings["start"] < 30


def test_socket_lets_the_learner_in_and_tcp_refuses(cluster):
    cluster.use_hba("socket only")
    ways = by_label(connect_ways(cluster))
    socket_way = ways[SOCKET_FOLDER]
    assert socket_way.connected and socket_way.transport == "unix socket"
    assert socket_way.server_address == cluster.socket_path
    assert socket_way.hba_rule == f"line 3: local all {LEARNER} trust"
    tcp = [ways[label] for label in TCP_LABELS] + ([ways["host=::1"]]
                                                    if "::1" in cluster.listen else [])
    for way in tcp:
        assert not way.connected and way.transport == "tcp"
        assert way.server_message == (
            f'pg_hba.conf rejects connection for host "{way.client_address}", user '
            f'"{LEARNER}", database "postgres", no encryption')
        assert way.server_address == way.client_address  # loopback: the same address
        assert way.hba_rule.endswith("reject")
        assert way.server_message in way.error


def test_both_allowed_and_each_connection_says_which_address_it_used(cluster):
    cluster.use_hba("both")
    ways = by_label(connect_ways(cluster))
    assert ways[SOCKET_FOLDER].connected and ways[SOCKET_FOLDER].client_address == ""
    for label in TCP_LABELS:
        assert ways[label].connected and ways[label].transport == "tcp"
        assert ways[label].server_message == ways[label].error == ""
    assert ways["host=127.0.0.1"].server_address == "127.0.0.1"
    assert ways["host=127.0.0.1"].client_address == "127.0.0.1"
    assert ways["host=127.0.0.1"].hba_rule == \
        f"line 4: host all {LEARNER} 127.0.0.1/32 trust"
    # libpq tries localhost's addresses in order; the first one the server listens on wins
    expected = next(a for a in localhost_addresses() if a in cluster.listen)
    assert ways["host=localhost"].server_address == expected
    if "::1" in cluster.listen:
        assert (ways["host=::1"].server_address, ways["host=::1"].client_address) == \
            ("::1", "::1")
        assert ways["host=::1"].hba_rule.endswith("::1/128 trust")
    else:
        assert "host=::1" not in ways


def test_no_host_means_a_unix_socket_in_libpqs_own_folder(cluster):
    way = by_label(connect_ways(cluster))["no host"]
    assert way.transport == "unix socket" and not way.connected
    assert way.server_address.endswith(f"/.s.PGSQL.{cluster.port}")
    assert not way.server_address.startswith(str(cluster.folder))
    assert way.hba_rule == "" and "port=" in way.conninfo and "host=" not in way.conninfo


@pytest.mark.needs("mount_namespaces", "ipv6_loopback")
@pytest.mark.parametrize("hba", ["socket only", "both"])
def test_where_localhost_is_ipv6_first_libpq_stops_at_the_first_refusal(cluster, hba):
    """Many machines list ``::1 localhost`` too (this one may not): libpq then tries
    ::1 first, and a server that refuses the login there ends the attempt; 127.0.0.1
    is not tried (34.1.1.3 "Specifying Multiple Hosts")."""
    from loopedu.sandbox import call_with_hosts

    cluster.use_hba(hba)
    way = call_with_hosts("::1 localhost\n127.0.0.1 localhost\n",
                          "loopedu.postgres:try_connect", "localhost", cluster.port,
                          hba_text=cluster.hba_text, socket_path=cluster.socket_path)
    assert (way.transport, way.server_address) == ("tcp", "::1")
    if hba == "both":
        assert way.connected and way.client_address == "::1"
    else:
        assert not way.connected and way.hba_rule.endswith("::1/128 reject")
        assert '"localhost" (::1)' in way.error and "127.0.0.1" not in way.error


def test_query_round_trips_over_both(cluster):
    cluster.use_hba("both")
    before = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    result = query_rtt(cluster, count=40, warmup=5)
    if before is not None:
        assert os.sched_getaffinity(0) == before  # the thread's CPUs are given back
    assert set(result.samples_us) == {"unix socket", "tcp 127.0.0.1"}
    for label, summary in result.summaries.items():
        assert summary.count == len(result.samples_us[label]) == 40
        assert 0 < summary.minimum <= summary.median <= summary.p99 <= summary.maximum
    data = result.to_dict()
    assert data["tcp_over_unix"] > 0 and json.loads(json.dumps(data)) == data


def test_round_trips_need_tcp_to_be_allowed(cluster):
    cluster.use_hba("socket only")
    with pytest.raises(ValueError, match=r"rejects connection.*use_hba\('both'\)"):
        query_rtt(cluster, count=1)


def test_a_wrong_pg_hba_conf_is_refused_and_the_old_one_kept(cluster):
    cluster.use_hba("both")
    with pytest.raises(ValueError, match="line 1: invalid authentication method"):
        cluster.use_hba("local all learner no-such-method\n")
    assert cluster.hba == "both"
    assert (cluster.data / "pg_hba.conf").read_text() == HBA["both"]
    assert by_label(connect_ways(cluster))["host=127.0.0.1"].connected


# --- clean-up ----------------------------------------------------------------------------

@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_the_server_is_stopped_and_removed_whatever_ends_the_block(needs_server, error):
    with pytest.raises(error):
        with throwaway_cluster(ipv6=False) as running:
            folder, pids = running.folder, server_pids(running)
            assert len(pids) > 1  # the postmaster and its helpers
            raise error("stop here")
    assert_gone(folder, pids)
    assert "stop" in running.timings


def test_a_python_that_exits_inside_the_block_leaves_nothing(needs_server):
    code = ("import sys; from loopedu.postgres import throwaway_cluster\n"
            "block = throwaway_cluster(ipv6=False)\n"
            "running = block.__enter__()\n"
            "print(running.folder, running.pid, flush=True)\n"
            "sys.exit(3)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, cwd=ROOT)
    assert done.returncode == 3, done.stderr
    folder, pid = done.stdout.split()
    assert_gone(Path(folder), {int(pid)})


def test_what_a_killed_python_left_is_reaped_by_the_next_start(needs_server):
    code = ("import sys, time; from loopedu.postgres import throwaway_cluster\n"
            "block = throwaway_cluster(ipv6=False)\n"
            "running = block.__enter__()\n"
            "print(running.folder, running.pid, flush=True)\n"
            "time.sleep(120)\n")
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                             text=True, cwd=ROOT)
    try:
        folder, pid = child.stdout.readline().split()
    finally:
        child.kill()  # SIGKILL: no finally, no atexit
        child.wait(timeout=30)
        child.stdout.close()
    assert Path(folder).is_dir() and psutil.pid_exists(int(pid))
    server_module._reap_stale()
    assert_gone(Path(folder), {int(pid)})


def test_the_demo_as_an_ordinary_user(needs_server):
    """The non-root path: as root, the demo runs in a child as ``nobody``."""
    if is_root():
        from loopedu.sandbox.children import call
        runuser = find_tool("runuser")
        if runuser is None:
            skip_or_fail("runuser (util-linux) is not installed")
        data = call([runuser, "-u", "nobody", "--"], "loopedu.postgres:demo", count=20,
                    ipv6=False, timeout=120)
        assert data["server"]["run_as"] == "nobody"
    else:
        data = demo(count=20, ipv6=False)
    assert data["live"] and not data["root"]
    ways = {w["label"]: w for w in data["ways"]["socket only"]}
    assert ways[SOCKET_FOLDER]["connected"]
    assert not any(ways[label]["connected"] for label in TCP_LABELS)
    assert all(w["connected"] for w in data["ways"]["both"] if w["label"] != "no host")
    assert not Path(data["server"]["folder"]).exists()
    assert data["server"]["timings_s"]["start_and_stop"] < 30


# --- without PostgreSQL ------------------------------------------------------------------

def test_not_installed_says_how_to_get_it(tmp_path, monkeypatch):
    def no_folder(*args, **kwargs):
        raise AssertionError("a folder was made although there is no server")

    with pytest.raises(PostgresUnavailable) as info:
        find_server(search=[tmp_path])
    text = str(info.value)
    assert "not installed" in text and str(tmp_path) in text
    for how in ("sudo apt-get install postgresql", "brew install postgresql", "Windows"):
        assert how in text and how in HOW_TO_GET
    monkeypatch.setattr(server_module.tempfile, "mkdtemp", no_folder)
    with pytest.raises(PostgresUnavailable):
        with throwaway_cluster(search=[tmp_path]):
            pass
    data = demo_or_recorded(search=[tmp_path])
    assert data["live"] is False and "not installed" in data["why_not_live"]
    shown = format_demo(data)
    assert shown.startswith("RECORDED OUTPUT, not from this machine: recorded on ")
    assert "sudo apt-get install postgresql" in shown


def test_the_server_programs_must_all_be_in_one_folder(tmp_path):
    for name in ("initdb", "pg_ctl", "postgres"):
        (tmp_path / name).write_text("#!/bin/sh\necho 'postgres (PostgreSQL) 99.1'\n")
        (tmp_path / name).chmod(0o755)
    found = find_server(search=[tmp_path])
    assert (found.bin_dir, found.version, found.major) == (str(tmp_path), "99.1", 99)
    (tmp_path / "postgres").unlink()
    with pytest.raises(PostgresUnavailable, match="is not installed"):
        find_server(search=[tmp_path])


def test_without_psycopg_the_message_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "psycopg", None)
    with pytest.raises(PostgresUnavailable, match=r"pip install 'psycopg\[binary\]'"):
        psycopg_module()
    assert demo_or_recorded()["live"] is False  # no client: the recording, no traceback


def test_importing_it_loads_neither_psycopg_nor_psutil():
    code = ("import sys, loopedu.postgres; "
            "print(sorted({'psycopg', 'psutil'} & set(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)
    assert done.stdout.strip() == "[]", done.stderr


def test_the_recording_is_labelled_and_well_formed():
    data = recorded()
    assert data["live"] is False
    assert re.fullmatch(r"recorded on \S+ \([^)]*PostgreSQL \d+\) as (root|an ordinary "
                        r"user), \d{4}-\d\d-\d\d", data["recorded"])
    fields = set(Way.__dataclass_fields__)
    for ways in data["ways"].values():
        assert all(set(w) == fields for w in ways)
    socket_only = {w["label"]: w for w in data["ways"]["socket only"]}
    both = {w["label"]: w for w in data["ways"]["both"]}
    assert socket_only[SOCKET_FOLDER]["connected"] and both[SOCKET_FOLDER]["connected"]
    assert socket_only["no host"]["transport"] == "unix socket"
    for label in TCP_LABELS:
        assert not socket_only[label]["connected"] and both[label]["connected"]
        assert "pg_hba.conf rejects connection" in socket_only[label]["server_message"]
    assert data["hba"] == {name: HBA[name] for name in ("socket only", "both")}
    rtt = data["rtt"]
    assert set(rtt["summaries_us"]) == {"unix socket", "tcp 127.0.0.1"}
    for summary in rtt["summaries_us"].values():
        assert summary["count"] == rtt["count"]
        assert summary["minimum"] <= summary["median"] <= summary["p99"]
    assert set(data["server"]["timings_s"]) >= {"initdb", "start", "stop", "start_and_stop"}
    text = format_demo(data)
    assert "MySQL" in text and "--protocol=TCP" in text and "RECORDED" in text
    brief = format_demo(data, brief=True)
    assert "MySQL" not in brief and "p99" not in brief and "RECORDED" in brief
    assert all(row in brief for row in HBA["socket only"].splitlines())  # first file whole
    # the other file and the round trips are Going further's (the timings half-answered
    # lesson 07's 07.fastest, an independent reviewer found); the full text has them
    assert 'pg_hba.conf "both"' not in brief and "TCP takes" not in brief
    assert "round trips" not in brief and "median" not in brief
    assert 'pg_hba.conf "both"' in text and "TCP takes" in text
    # the lesson's prediction asks about three ways and its text reads "no host": the
    # brief text prints those four, each with the row that decided it, and no messages
    # (the wrapping server messages were more than the lesson discusses, a reviewer found)
    shown = [line[2:23].strip() for line in brief.splitlines()
             if line.startswith("  ") and line[2] != " "]
    assert shown == ["no host", SOCKET_FOLDER, "host=localhost", "host=127.0.0.1"], shown
    assert "host=::1" not in brief and "the server said" not in brief
    assert "libpq said" not in brief and "initdb" not in brief
    assert brief.count("pg_hba.conf line") == 3
    assert "host=::1" in text and "the server said" in text and "initdb" in text


def test_the_deciding_row_is_the_first_that_matches():
    hba = HBA["socket only"]
    assert matching_rule(hba, "unix socket") == f"line 3: local all {LEARNER} trust"
    assert matching_rule(hba, "tcp", "127.0.0.1").endswith("127.0.0.1/32 reject")
    assert matching_rule(hba, "tcp", "::1").endswith("::1/128 reject")
    # an IPv4 row never matches an IPv6 client, not even an IPv4-mapped one
    assert matching_rule(hba, "tcp", "::ffff:127.0.0.1").startswith("no row matches")
