"""`loopedu audit` and `loopedu experiment ...`: JSON that parses, text, one-line errors."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from loopedu import cli, lan, sandbox

ROOT = Path(__file__).resolve().parents[1]


def run_json(capsys, *argv):
    assert cli.main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_reachability_json_and_text(capsys):
    rows = run_json(capsys, "experiment", "reachability", "--json")
    outcome = {(r["bind"], r["target"]): r["outcome"] for r in rows}
    assert outcome[("127.0.0.1", "127.0.0.1")] == "connected"
    # an IPv6 client never reaches IPv4; with IPv6 off it cannot even try
    ipv6 = sandbox.capabilities().ipv6_loopback.available
    assert outcome[("0.0.0.0", "::1")] == ("refused" if ipv6 else "failed: EADDRNOTAVAIL")
    assert cli.main(["experiment", "reachability"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("listening on \\ connecting to")
    assert [line.split()[0] for line in lines[1:6]] == list(dict.fromkeys(r["bind"]
                                                                          for r in rows))
    assert lines[6].startswith("(ran ")   # where it ran: a namespace, or this machine


@pytest.mark.needs("network_namespaces")
def test_audit_json_lists_our_own_listener(capsys):
    """The listener on 0.0.0.0 lives where nothing real is exposed: a namespace without
    the course's mark, where the course behaves as on a host (expose=True)."""
    from netns_helpers import run_as_host_without_namespaces

    with sandbox.namespace("audit") as ns:
        pid, port, out = run_as_host_without_namespaces(ns, (
            "import contextlib, io, os\n"
            "from loopedu import cli\n"
            "from loopedu.servers import listener\n"
            "buffer = io.StringIO()\n"
            "with listener('0.0.0.0', expose=True) as srv, contextlib.redirect_stdout(buffer):\n"
            "    status = cli.main(['audit', '--json'])\n"
            "assert status == 0\n"
            "result = (os.getpid(), srv.port, buffer.getvalue())"))
    data = json.loads(out)
    row, = [r for r in data["sockets"] if r["port"] == port and r["protocol"] == "tcp"]
    assert row["exposed"] is True and row["process"]["pid"] == pid
    assert cli.main(["audit"]) == 0
    assert "listening sockets can be reached" in capsys.readouterr().out


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux reports lo counters")
def test_counters_json(capsys):
    data = run_json(capsys, "experiment", "counters", "--json")
    assert data["loopback"] == "lo" and data["bytes_moved"] == data["megabytes"] * 1_000_000
    assert data["delta"]["lo"]["recv"] >= data["megabytes"] * 1_000_000
    assert set(data) >= {"before", "after", "delta", "seconds"}


@pytest.mark.needs("ping")
def test_ping_json(capsys):
    status = cli.main(["experiment", "ping", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert [r["address"] for r in data] == ["127.0.0.1", "::1"]
    v4 = data[0]
    assert v4["sent"] == v4["replies"] == 3 and len(v4["rtts_ms"]) == 3
    assert status == (0 if data[1]["replies"] else 2)  # ::1 fails where IPv6 is off


def test_a_ping_that_cannot_run_exits_2_saying_why_in_one_line(capsys, monkeypatch):
    from loopedu import measure

    def refused(address, *args, **kwargs):  # what an ordinary user meets on many Linuxes
        return measure.Ping(address, tried={
            "datagram": "EACCES: unprivileged ICMP socket", "raw": "EPERM: raw ICMP socket",
            "system": "no `ping` command is installed (on Debian/Ubuntu: ...)"})

    monkeypatch.setattr(measure, "ping", refused)
    assert cli.main(["experiment", "ping"]) == 2
    out, err = capsys.readouterr()
    assert out.count("could not ping") == 2   # the results are still shown
    assert err.count("\n") == 1 and err.startswith("loopedu experiment: error: ping failed")
    assert "EACCES" in err and "ping_group_range" in err and "iputils-ping" in err
    assert err.count("cannot be sent") == 1   # one cause, said once for both addresses


def test_lan_without_namespaces_is_one_line_naming_the_fallback(capsys):
    no = sandbox.Capability(False, "network namespaces need root, or unprivileged user "
                                   "namespaces, and neither is available")
    with sandbox.assume(network_namespaces=no):
        status = cli.main(["experiment", "lan"])
    assert status == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "need root" in err and "loopedu experiment lan --fallback" in err


def test_lan_without_the_tools_in_a_real_process(tmp_path):
    # an empty PATH: no unshare, no nsenter (ip would still be found in sbin)
    env = dict(os.environ, PATH=str(tmp_path))
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


@pytest.mark.needs("network_namespaces")
def test_lan_json(capsys):
    data = run_json(capsys, "experiment", "lan", "--json")
    assert data["reached"] == {"127.0.0.1": False, "0.0.0.0": True, "::1": False, "::": True}
    assert data["laptop"] == lan.LAPTOP


def test_without_namespaces_the_matrix_says_not_run_unless_exposed(capsys):
    from loopedu.sandbox import Capability, assume

    with assume(network_namespaces=Capability(False, "no namespaces in this test")):
        assert cli.main(["experiment", "reachability", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    wide = {r["outcome"] for r in rows if r["bind"] in ("0.0.0.0", "::")}
    assert wide == {"not run"}
    assert cli.main(["experiment", "counters", "--expose"]) == 2
    assert "--expose belongs to" in capsys.readouterr().err
