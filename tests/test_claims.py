"""Popular claims, checked (loopedu.claims): the table is well formed and names lessons
that exist, and each check of this machine says "no" when the machine contradicts what
the sources expect, not only "yes"."""

import re
import sys
from pathlib import Path

import pytest

from loopedu import claims
from loopedu.claims import here as claims_here
from loopedu.measure import MB, Counters

ROOT = Path(__file__).resolve().parents[1]
linux_only = pytest.mark.skipif(sys.platform != "linux", reason="the checks run on Linux")


def test_every_claim_has_a_verdict_a_lesson_and_sources():
    keys = [c.key for c in claims.CLAIMS]
    assert len(keys) == len(set(keys))
    for c in claims.CLAIMS:
        assert c.verdict in claims.VERDICTS, c.key
        assert (ROOT / "notebooks" / f"{c.lesson}.ipynb").exists(), (c.key, c.lesson)
        assert c.sources and all(s.strip() for s in c.sources), c.key
        assert c.claim.endswith((".", ".”")) and len(c.truth) > 40, c.key


def _lesson_text(lesson: str) -> str:
    import json

    nb = json.loads((ROOT / "notebooks" / f"{lesson}.ipynb").read_text(encoding="utf-8"))
    return "\n".join("".join(c["source"]) for c in nb["cells"])


@pytest.mark.parametrize("key", [c.key for c in claims.CLAIMS])
def test_the_lesson_named_shows_the_claim(key):
    """"Shown in" is a promise: the lesson uses the claim's key term."""
    c = claims.claim(key)
    assert c.term and c.term in _lesson_text(c.lesson), (
        f"{c.lesson} never says {c.term!r}: teach {key} there or name another lesson")


def test_dated_claims_are_rechecked_within_a_year():
    """Every claim that depends on versions or dates, and every browser row, says when
    it was last checked; this test lists those older than a year, to be checked again
    against their sources (then update as_of)."""
    from datetime import date, timedelta

    from loopedu.browsers import BROWSER_STATUS

    dated = {f"claim {c.key}": c.as_of for c in claims.CLAIMS if c.as_of}
    dated.update({f"browser {b.browser}: {b.change[:40]}": b.as_of for b in BROWSER_STATUS})
    assert len(dated) >= 3 + len(BROWSER_STATUS)
    for what, when in dated.items():
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", when), (what, when)
    stale = {what: when for what, when in dated.items()
             if date.fromisoformat(when) < date.today() - timedelta(days=365)}
    assert stale == {}, f"check these against their sources again: {stale}"


def test_the_claims_the_course_promised_to_check_are_there():
    """Issue 10 names these; FACTS.md's "popular claim" column holds them too."""
    wanted = {"bound-127-unreachable": "true with conditions",
              "physically-impossible": "false", "never-see-loopback": "false",
              "rfc776": "false", "every-os-127": "false",
              # the second review (issue 19)
              "joy-leffler-1983": "partly true", "rfc1122-mandatory": "partly true",
              "link-layer-intercept": "false", "container-own-loopback":
              "true with conditions", "ssh-r-private": "false", "hosts-cached": "false",
              "bind-lan-address": "false", "refused-nothing-listens": "true with conditions",
              "lo-always-up": "false", "ping-proves-stack": "partly true"}
    assert {k: claims.claim(k).verdict for k in wanted} == wanted


def test_an_unknown_claim_is_named_with_the_known_ones():
    with pytest.raises(KeyError, match="rfc776"):
        claims.claim("rfc 776")


def test_the_table_has_a_row_per_claim_with_a_link_to_its_lesson():
    lines = claims.claims_table().splitlines()
    assert len(lines) == 2 + len(claims.CLAIMS)
    for line, c in zip(lines[2:], claims.CLAIMS):
        assert f"**{c.verdict}**" in line
        assert f"]({c.lesson}.ipynb)" in line
    linked = claims.claims_table(link=lambda lesson: f"https://example.invalid/{lesson}")
    assert "](https://example.invalid/03-bind-address)" in linked


@linux_only
def test_on_this_linux_machine_every_check_with_an_expectation_agrees():
    observed = claims.check_here()
    assert {o.key for o in observed} <= {c.key for c in claims.CLAIMS}
    judged = {o.key: o.agrees for o in observed if o.agrees is not None}
    assert {"every-os-127", "zero-means-all", "refused-instantly"} <= set(judged)
    assert all(judged.values()), [o for o in observed if o.agrees is False]


@linux_only
@pytest.mark.parametrize("check, other_system", [
    (claims_here._every_127, "Darwin"),           # Linux answers 127.0.0.2, macOS would not
    (claims_here._zero_means_all, "Windows"),     # Linux connects to 0.0.0.0, Winsock refuses
    (claims_here._refused, "Windows"),            # Linux refuses at once, Windows after ~2 s
])
def test_a_check_judged_against_another_platform_says_no(check, other_system):
    observation = check(other_system)
    assert observation.agrees is False, observation
    assert observation.system == other_system
    assert "**no**" in claims.observations_table([observation])


def test_route_localnet_on_one_interface_is_reported_by_name(monkeypatch):
    values = {"net.ipv4.conf.all.route_localnet": "0",
              "net.ipv4.conf.default.route_localnet": "0"}
    names = [name for _, name in claims_here.socket.if_nameindex()] or ["lo"]
    values.update({f"net.ipv4.conf.{n}.route_localnet": "0" for n in names})
    monkeypatch.setattr(claims_here, "host_sysctl", values.get)
    assert claims_here._route_localnet("Linux").agrees is True
    values[f"net.ipv4.conf.{names[0]}.route_localnet"] = "1"
    flagged = claims_here._route_localnet("Linux")
    assert flagged.agrees is False and names[0] in flagged.observed
    monkeypatch.setattr(claims_here, "host_sysctl", lambda key: None)
    assert claims_here._route_localnet("Linux").agrees is None


def _counters(lo_sent: int, lo_recv: int) -> Counters:
    delta = {"lo": {"sent": lo_sent, "recv": lo_recv}, "eth0": {"sent": 0, "recv": 0}}
    return Counters(1, MB, 0.01, "lo", delta, {}, {})


@pytest.mark.parametrize("sent, recv, agrees", [(MB + 900, MB + 900, True),
                                                (MB + 900, 10, False), (0, 0, False)])
def test_loopback_counters_that_did_not_grow_contradict_the_sources(monkeypatch, sent,
                                                                     recv, agrees):
    monkeypatch.setattr(claims_here, "counter_experiment", lambda megabytes: _counters(sent, recv))
    assert claims_here._never_see("Linux").agrees is agrees


def test_no_loopback_counters_is_shown_not_judged(monkeypatch):
    note = "this OS reports no byte counters for its loopback interface"
    monkeypatch.setattr(claims_here, "counter_experiment", lambda megabytes: Counters(
        1, MB, 0.01, "Loopback Pseudo-Interface 1", {}, {}, {}, note))
    observation = claims_here._never_see("Windows")
    assert observation.agrees is None and observation.observed == note


def test_the_interpreter_is_asked_not_assumed():
    import ipaddress
    import platform

    (observation,) = [o for o in claims.check_here() if o.key == "ipaddress-mapped"]
    said = ipaddress.ip_address("::ffff:127.0.0.1").is_loopback
    assert observation.observed.endswith(f"is {said}")
    assert platform.python_version() in observation.observed


def test_the_observations_table_names_the_platform_and_marks_each_row():
    rows = [claims.Observation("rfc776", "Plan9", "x", "y", None),
            claims.Observation("every-os-127", "Plan9", "x", "y", True)]
    table = claims.observations_table(rows).splitlines()
    assert "expected on Plan9" in table[0]
    assert re.search(r"\| – \|$", table[2]) and re.search(r"\| yes \|$", table[3])
