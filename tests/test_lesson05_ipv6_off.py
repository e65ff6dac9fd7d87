"""Lesson 05 on a machine with IPv6 switched off: the notebook runs top to bottom under
nbval inside a network namespace with disable_ipv6=1, every checked output the same as
with IPv6 on, and no cell ends in a traceback."""

import sys
from pathlib import Path

import pytest
from netns_helpers import netns, run_in

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "05-ipv6-loopback.ipynb"


@pytest.mark.needs("network_namespaces")
def test_lesson05_passes_nbval_with_ipv6_disabled(tmp_path):
    with netns(ipv6=False) as ns:
        assert ns.call("loopedu.dual_stack:ipv6_status").errno == "EADDRNOTAVAIL"
        done = run_in(ns, "env", f"LOOPEDU_HOME={tmp_path}", sys.executable, "-m", "pytest",
                      "-q", "-p", "no:cacheprovider", "--nbval-lax", "--nbval-current-env",
                      "--nbval-sanitize-with", str(ROOT / "tests" / "sanitize.cfg"),
                      str(NOTEBOOK), "-o", "addopts=", f"--rootdir={ROOT}", timeout=300)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and "failed" not in done.stdout

