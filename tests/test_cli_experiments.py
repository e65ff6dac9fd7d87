"""`loopedu audit` and `loopedu experiment ...`: JSON that parses, text, one-line errors."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from loopedu import cli, netlab
from loopedu.servers import listener
from netns_helpers import needs_netns

ROOT = Path(__file__).resolve().parents[1]


def run_json(capsys, *argv):
    assert cli.main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_reachability_json_and_text(capsys):
    rows = run_json(capsys, "experiment", "reachability", "--json")
    outcome = {(r["bind"], r["target"]): r["outcome"] for r in rows}
    assert outcome[("127.0.0.1", "127.0.0.1")] == "connected"
    assert outcome[("0.0.0.0", "::1")] == "refused"  # an IPv6 client never reaches IPv4
    assert cli.main(["experiment", "reachability"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("listening on \\ connecting to")
    assert len(text.splitlines()) == 1 + len({r["bind"] for r in rows})


def test_audit_json_lists_our_own_listener(capsys):
    with listener("0.0.0.0") as srv:
        data = run_json(capsys, "audit", "--json")
    row, = [r for r in data["sockets"] if r["port"] == srv.port and r["protocol"] == "tcp"]
    assert row["exposed"] is True and row["process"]["pid"] == os.getpid()
    assert cli.main(["audit"]) == 0
    assert "listening sockets can be reached" in capsys.readouterr().out


def test_counters_json(capsys):
    data = run_json(capsys, "experiment", "counters", "--json")
    if data["loopback"] in data["delta"]:
        assert data["delta"][data["loopback"]]["recv"] >= data["megabytes"] * 1_000_000


def test_ping_json(capsys):
    data = run_json(capsys, "experiment", "ping", "--json")
    assert [r["address"] for r in data] == ["127.0.0.1", "::1"]
    assert all(r["replies"] <= r["sent"] for r in data)


def test_lan_without_namespaces_is_one_line_naming_the_fallback(capsys, monkeypatch):
    monkeypatch.setattr(netlab, "lab_unavailable_reason",
                        lambda: "creating network namespaces needs root (CAP_SYS_ADMIN)")
    assert cli.main(["experiment", "lan"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "needs root" in err and "loopedu experiment lan --fallback" in err


def test_lan_without_ip_in_a_real_process():
    env = dict(os.environ, PATH=str(ROOT / "no-such-folder"))
    done = subprocess.run([sys.executable, "-m", "loopedu.cli", "experiment", "lan"],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    assert len(done.stderr.splitlines()) == 1 and "--fallback" in done.stderr


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="127.0.0.2 answers on Linux")
def test_lan_fallback_json(capsys):
    data = run_json(capsys, "experiment", "lan", "--fallback", "--json")
    assert data["reached"] == {"127.0.0.1": False, "0.0.0.0": True}


def test_fallback_belongs_to_lan(capsys):
    assert cli.main(["experiment", "ping", "--fallback"]) == 2
    assert "--fallback belongs to" in capsys.readouterr().err


def test_unknown_experiment_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["experiment", "fly"])
    assert info.value.code == 2
    assert "invalid choice: 'fly'" in capsys.readouterr().err


@needs_netns()
def test_lan_json(capsys):
    data = run_json(capsys, "experiment", "lan", "--json")
    assert data["reached"] == {"127.0.0.1": False, "0.0.0.0": True, "::1": False, "::": True}
    assert data["laptop"] == netlab.LAPTOP
