"""The capability report: measured, explained, lesson by lesson, and right inside
crippled namespaces."""

import dataclasses
import json
import re
import sys
from pathlib import Path

import pytest

from loopedu import cli, doctor, sandbox
from loopedu.sandbox import Capability
from netns_helpers import netns, run_in

ROOT = Path(__file__).resolve().parents[1]
#: the keys `loopedu doctor --json` has always printed (README, lesson 00)
KEYS = {"platform", "platform_release", "python", "root", "ipv6_loopback",
        "whole_127_range", "netns_lab", "mount_namespaces", "hosts_file",
        "localhost_addresses", "reasons"}
NO = Capability(False, "switched off for this test")


def doctor_json_in(ns) -> dict:
    done = run_in(ns, sys.executable, "-m", "loopedu.cli", "doctor", "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_json_keeps_its_keys_and_adds_the_lesson_plan(capsys):
    assert cli.main(["doctor", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert KEYS <= set(data)
    caps = sandbox.capabilities()
    assert data["netns_lab"] is caps.network_namespaces.available
    assert data["ipv6_loopback"] is caps.ipv6_loopback.available
    assert data["reasons"]["netns_lab"] == caps.network_namespaces.reason
    assert data["mechanisms"]["netns_lab"] == caps.network_namespaces.mechanism
    assert [(p["lesson"], p["mode"] in ("live", "partly live")) for p in data["lessons"]] == \
        [(n, True) for n, _, _ in doctor.LESSONS]


def test_the_plan_lists_exactly_the_lessons_that_exist():
    notebooks = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
    assert [f"{n}-{slug}" for n, slug, _ in doctor.LESSONS] == notebooks


def test_without_namespaces_lessons_02_and_03_say_why():
    with sandbox.assume(network_namespaces=NO, mount_namespaces=NO, root=False):
        rep = doctor.report()
    plan = {p.number: p for p in rep.lessons}
    assert plan["02"].mode == plan["03"].mode == "partly live"
    assert "switched off for this test" in plan["03"].why
    assert "real interfaces" in plan["03"].why   # the matrix's listeners are exposed
    text = doctor.format_report(rep)
    assert re.search(r"03 127\.0\.0\.1 versus 0\.0\.0\.0\s+partly live", text)
    assert "netns_lab           no (switched off for this test)" in text


@pytest.mark.parametrize("mechanism,words", [("root", "as root"),
                                             ("user namespace", "without root")])
def test_the_plan_says_how_namespaces_are_made(mechanism, words):
    yes = Capability(True, "made one", mechanism)
    with sandbox.assume(network_namespaces=yes, mount_namespaces=yes):
        plan = {p.number: p for p in doctor.report().lessons}
    for number in ("02", "03", "04"):
        assert plan[number].mode == "live" and words in plan[number].why


def test_ipv6_off_and_no_127_range_make_lessons_partly_live():
    caps = dataclasses.replace(sandbox.capabilities(),
                               ipv6_loopback=Capability(False, "binding ::1 failed"),
                               whole_127_range=Capability(False, "only 127.0.0.1"))
    plan = {p.number: p.mode for p in doctor.lesson_plan(caps)}
    assert (plan["00"], plan["01"], plan["05"]) == ("live", "partly live", "partly live")


@pytest.mark.needs("network_namespaces")
def test_doctor_in_namespace_with_ipv6_disabled():
    with netns(ipv6=False) as ns:
        data = doctor_json_in(ns)
    assert data["ipv6_loopback"] is False
    assert "EADDRNOTAVAIL" in data["reasons"]["ipv6_loopback"]
    assert data["whole_127_range"] is True
    assert {p["lesson"]: p["mode"] for p in data["lessons"]}["05"] == "partly live"


@pytest.mark.needs("network_namespaces")
def test_doctor_in_namespace_with_lo_down():
    # a fresh namespace has lo DOWN: bind works, connect is unreachable (observed)
    with netns(lo_up=False) as ns:
        data = doctor_json_in(ns)
    assert data["whole_127_range"] is False
    assert "unreachable" in data["reasons"]["whole_127_range"]
    assert data["ipv6_loopback"] is False


@pytest.mark.needs("root", "user_namespaces")
def test_doctor_as_an_ordinary_user_uses_a_user_namespace():
    done = __import__("subprocess").run(
        ["runuser", "-u", "nobody", "--", sys.executable, "-m", "loopedu.cli", "doctor",
         "--json"], capture_output=True, text=True, timeout=120, cwd="/")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["root"] is False and data["netns_lab"] is True
    assert data["mechanisms"]["netns_lab"] == "user namespace"
