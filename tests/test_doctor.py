"""The capability report: measured, explained, and right inside crippled namespaces."""

import json
import socket
import sys

import pytest

from loopedu import doctor
from netns_helpers import needs_netns, netns, run_in

REQUIRED = {"platform": str, "python": str, "root": bool, "ipv6_loopback": bool,
            "whole_127_range": bool, "netns_lab": bool, "hosts_file": str,
            "localhost_addresses": list}


def doctor_json_in(ns: str) -> dict:
    done = run_in(ns, sys.executable, "-m", "loopedu.cli", "doctor", "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_report_has_the_documented_fields_and_types():
    data = doctor.report().to_dict()
    for key, kind in REQUIRED.items():
        assert isinstance(data[key], kind), key
    assert set(data["reasons"]) >= {"ipv6_loopback", "whole_127_range", "netns_lab"}


def test_localhost_addresses_match_getaddrinfo_order():
    expected = [i[4][0] for i in socket.getaddrinfo("localhost", None, socket.AF_UNSPEC,
                                                    socket.SOCK_STREAM)]
    assert doctor.localhost_addresses() == expected


def test_unresolvable_name_gives_empty_list():
    assert doctor.localhost_addresses("no-such-host.invalid") == []


def test_not_root_means_no_namespaces_and_says_why(monkeypatch):
    monkeypatch.setattr(doctor, "_is_root", lambda: False)
    rep = doctor.report()
    assert rep.root is False and rep.netns_lab is False and rep.mount_namespaces is False
    assert "root" in rep.reasons["netns_lab"]
    text = doctor.format_report(rep)
    assert "03 127.0.0.1 versus 0.0.0.0  partly live" in text
    assert "needs root" in text


def test_lesson_plan_follows_capabilities():
    rep = doctor.report()
    rep.ipv6_loopback, rep.reasons["ipv6_loopback"] = False, "binding ::1 failed"
    rep.whole_127_range = False
    plan = dict((lesson, mode) for lesson, mode, _ in doctor.lesson_plan(rep))
    assert plan["04 IPv6 ::1"] == "partly live"
    assert plan["01 the loopback range"] == "partly live"
    assert plan["00 start here"] == "live"


@needs_netns()
def test_doctor_in_namespace_with_ipv6_disabled():
    with netns(ipv6=False) as ns:
        data = doctor_json_in(ns)
    assert data["ipv6_loopback"] is False
    assert "EADDRNOTAVAIL" in data["reasons"]["ipv6_loopback"]
    assert data["whole_127_range"] is True


@needs_netns()
def test_doctor_in_namespace_with_lo_down():
    # a fresh namespace has lo DOWN: bind works, connect is unreachable (FACTS.md 2)
    with netns(lo_up=False) as ns:
        data = doctor_json_in(ns)
    assert data["whole_127_range"] is False
    assert "unreachable" in data["reasons"]["whole_127_range"]
    assert data["ipv6_loopback"] is False


@needs_netns()
def test_doctor_netns_probe_leaves_nothing_behind():
    import os
    import subprocess
    assert doctor.report().netns_lab is True
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    # other test runs may hold namespaces of their own; ours carry this pid
    assert f"{doctor.NETNS_PREFIX}doctor-{os.getpid()}-" not in listed
