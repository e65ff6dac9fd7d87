"""The capability report: measured, explained, lesson by lesson, and right inside
crippled namespaces."""

import dataclasses
import importlib
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from netns_helpers import netns, run_in

from loopedu import cli, doctor, measure, sandbox
from loopedu.sandbox import Capability

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


def test_without_namespaces_lessons_02_and_03_say_why_once():
    with sandbox.assume(network_namespaces=NO, mount_namespaces=NO, root=False):
        rep = doctor.report()
    plan = {p.number: p for p in rep.lessons}
    assert plan["02"].mode == plan["03"].mode == "partly live"
    assert "see netns_lab above" in plan["03"].why
    assert "see mount_namespaces above" in plan["02"].why
    assert "expose=True" in plan["03"].why   # the 0.0.0.0 rows run only on request
    text = doctor.format_report(rep)
    assert re.search(r"03 127\.0\.0\.1 versus 0\.0\.0\.0\s+partly live", text)
    assert "netns_lab           no: switched off for this test" in text
    # the cause is said on its own line, not again on the line of every lesson it stops
    assert text.count("switched off for this test") == 2   # netns_lab, mount_namespaces


def test_a_lesson_is_live_only_when_every_experiment_of_it_runs():
    caps = sandbox.capabilities()
    yes = Capability(True, "there for this test")
    for key in ("ping", "nft", "postgres"):
        found = doctor.Tools(**{**dict(ping=yes, nft=yes, postgres=yes), key: NO})
        plans = doctor.lesson_plan(caps, found)
        lacking = [p.number for p in plans if any(x.needs == key for x in p.parts)]
        assert lacking, f"no lesson needs {key}"
        for p in plans:
            assert (p.mode == "live") == (p.not_here == ())
            if p.number in lacking:
                assert p.mode == "partly live" and f"see {key} above" in p.why, p.why


def test_the_doctor_measures_ping_with_the_lessons_own_code(monkeypatch):
    def refused(address, *args, **kwargs):  # an ordinary user where ping_group_range
        return measure.Ping(address, tried={  # excludes them and ping is not installed
            "datagram": "EACCES: unprivileged ICMP socket", "raw": "EPERM: raw ICMP socket",
            "system": "no `ping` command is installed (on Debian/Ubuntu: ...)"})

    monkeypatch.setattr(measure, "ping", refused)
    rep = doctor.report()
    assert not rep.tools.ping and "ping_group_range" in rep.tools.ping.reason
    lesson04 = {p.number: p for p in rep.lessons}["04"]
    assert lesson04.mode == "partly live"
    assert "ping" in [x.needs for x in lesson04.not_here]
    assert "ping 127.0.0.1 and ::1, not run (needs ICMP echo" in lesson04.why
    data = rep.to_dict()
    assert data["ping"] is False and data["reasons"]["ping"] == rep.tools.ping.reason
    assert {"experiment": "ping 127.0.0.1 and ::1", "needs": "ping", "instead": "not run"} \
        in data["lessons"][4]["not_here"]


@pytest.mark.parametrize("user", ["this user",
                                  pytest.param("nobody", marks=pytest.mark.needs("root"))])
def test_the_doctor_calls_ping_live_exactly_where_the_experiment_works(user):
    """As root and as an ordinary user: on many machines the second may not ping."""
    prefix = ["runuser", "-u", "nobody", "--"] if user == "nobody" else []

    def loopedu(*args):
        return subprocess.run([*prefix, sys.executable, "-m", "loopedu.cli", *args],
                              capture_output=True, text=True, timeout=120, cwd="/")

    said = loopedu("doctor", "--json")
    assert said.returncode == 0, said.stderr
    data = json.loads(said.stdout)
    done = loopedu("experiment", "ping", "--json")
    pings = json.loads(done.stdout)
    assert data["ping"] is (pings[0]["replies"] > 0), (data["reasons"]["ping"], pings[0])
    assert done.returncode == (0 if all(p["replies"] for p in pings) else 2), done.stderr
    if done.returncode:
        assert done.stderr.count("\n") == 1 and "ping failed" in done.stderr
    lesson04 = data["lessons"][4]
    assert ("ping" in [x["needs"] for x in lesson04["not_here"]]) is not data["ping"]


def hide_nft(monkeypatch):
    """This machine without nft, for the doctor and for lesson 08 alike."""
    from loopedu import martians

    for module in (doctor, martians):
        monkeypatch.setattr(module, "find_tool",
                            lambda name: None if name == "nft" else sandbox.find_tool(name))


@pytest.mark.parametrize("nft", [pytest.param(True, marks=pytest.mark.needs("nft")), False])
@pytest.mark.needs("network_namespaces")
def test_lesson_08_is_live_exactly_where_its_nft_steps_run(nft, monkeypatch):
    from loopedu import martians

    if not nft:
        hide_nft(monkeypatch)
    lesson08 = {p.number: p for p in doctor.report().lessons}["08"]
    dnat = martians.dnat_demo(timeout=0.5)
    assert dnat.live is nft and (lesson08.mode == "live") is nft
    if not nft:
        assert martians.format_dnat(dnat).startswith("[NOT RUN]")
        missing, = lesson08.not_here
        assert missing.needs == "nft" and missing.instead == "not run"
        assert "DNAT, with nft, not run (needs nft in a network namespace, see nft " \
               "above)" in lesson08.why


@pytest.mark.parametrize("said, settings, words", [
    ("unshare: unshare failed: No space left on device",
     {"/proc/sys/user/max_user_namespaces": "0"}, "user.max_user_namespaces is 0"),
    ("unshare: unshare failed: No space left on device",
     {"/proc/sys/user/max_user_namespaces": "7"}, "limit on user namespaces is reached"),
    ("unshare: unshare failed: Operation not permitted",
     {"/proc/sys/kernel/unprivileged_userns_clone": "0"}, "unprivileged_userns_clone=1"),
    ("unshare: write failed /proc/self/uid_map: Operation not permitted",
     {"/proc/sys/kernel/apparmor_restrict_unprivileged_userns": "1"},
     "apparmor_restrict_unprivileged_userns=0"),
    ("unshare: unshare failed: Operation not permitted", {}, "containers"),
    ("unshare: unshare failed: Invalid argument", {}, "built without user namespaces"),
])
def test_a_refused_user_namespace_is_one_plain_sentence_with_what_to_do(monkeypatch, said,
                                                                        settings, words):
    module = importlib.import_module("loopedu.sandbox.capabilities")
    monkeypatch.setattr(module, "find_tool", lambda name: "/usr/bin/" + name)
    monkeypatch.setattr(module, "run", lambda cmd, timeout: subprocess.CompletedProcess(
        cmd, 1, "", said + "\n"))
    monkeypatch.setattr(module, "_setting", settings.get)
    users = module._user_namespaces()
    assert not users and words in users.reason, users.reason
    assert "space left on device" not in users.reason     # the errno, in words
    assert "root" in users.reason                         # and what to do
    assert "((" not in users.reason and users.reason.count("(") <= 1
    for cap in (module._network_namespaces(False, users),
                module._mount_namespaces(False, users)):
        assert not cap and users.reason not in cap.reason   # said once, referred to
        assert "see the user_namespaces line" in cap.reason and "(" not in cap.reason


@pytest.mark.needs("root", "user_namespaces")
def test_doctor_where_the_user_namespace_limit_is_0(tmp_path):
    """The kernel's ENOSPC, for real: nobody inside a user namespace whose
    user.max_user_namespaces is 0 (the limit is per user namespace, so this machine's own
    stays as it is)."""
    import os

    holder = subprocess.Popen(["unshare", "--user", "cat"], stdin=subprocess.PIPE)
    try:
        for name in ("uid_map", "gid_map"):  # root maps the first 65536 ids to themselves
            deadline = time.monotonic() + 10
            while True:
                try:
                    Path(f"/proc/{holder.pid}/{name}").write_text("0 0 65536\n")
                    break
                except OSError:  # not unshared yet
                    assert time.monotonic() < deadline, f"cannot write {name}"
                    time.sleep(0.05)
        code = ('echo 0 > /proc/sys/user/max_user_namespaces && exec setpriv --reuid=65534 '
                '--regid=65534 --clear-groups "$@"')
        done = subprocess.run(
            ["nsenter", "--user", "-t", str(holder.pid), "sh", "-c", code, "sh",
             sys.executable, "-m", "loopedu.cli", "doctor"],
            capture_output=True, text=True, timeout=120, cwd="/",
            env={**os.environ, "HOME": str(tmp_path)})
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert re.search(r"user_namespaces +no: user namespaces are switched off here: the limit "
                     r"user\.max_user_namespaces is 0\. An administrator", text), text
    assert "No space left on device" not in text and "((" not in text
    assert text.count("max_user_namespaces") == 2   # said once: in the sentence, and the fix
    assert "see netns_lab above" in text


@pytest.mark.parametrize("mechanism,words", [("root", "as root"),
                                             ("user namespace", "without root")])
def test_the_plan_says_how_namespaces_are_made(mechanism, words):
    yes = Capability(True, "made one", mechanism)
    found = doctor.Tools(ping=yes, nft=yes, postgres=yes)  # this test is about namespaces
    with sandbox.assume(network_namespaces=yes, mount_namespaces=yes) as caps:
        plan = {p.number: p for p in doctor.lesson_plan(caps, found)}
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
    done = subprocess.run(
        ["runuser", "-u", "nobody", "--", sys.executable, "-m", "loopedu.cli", "doctor",
         "--json"], capture_output=True, text=True, timeout=120, cwd="/")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["root"] is False and data["netns_lab"] is True
    assert data["mechanisms"]["netns_lab"] == "user namespace"


def test_the_lesson_plan_fits_a_printed_page_and_keeps_every_word():
    """Scorecard 00-02: a handout prints 90 columns, and a longer line lost a character
    at each wrap. The report wraps itself, and no word of a lesson's line is lost."""
    from loopedu import doctor as doc

    rep = doc.report()
    text = doc.format_report(rep)
    plan = text.split("What runs live on this machine:\n", 1)[1]
    assert max(len(line) for line in plan.splitlines()) <= doc.REPORT_WIDTH <= 90
    flowing = " ".join(plan.split())
    for lesson in rep.lessons:
        assert " ".join(lesson.why.split()) in flowing, lesson.number
