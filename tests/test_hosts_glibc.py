"""loopedu.hosts against glibc on this machine's own network.

Every sample file, every word in it, as bytes and str, for each family: glibc's answer
and the model's must be the same, and so must the lines each of them uses. Also
``multi off`` (host.conf and RESOLV_MULTI) and a 20,000-line ad-blocking file. The oracle
and how it runs are in glibc_oracle.py; the namespace variants in
test_hosts_glibc_namespaces.py.
"""

from __future__ import annotations

import platform
import sys
from pathlib import Path

import pytest
from glibc_oracle import ALL_SAMPLES, SORTING_SAMPLES, assert_same, run_child
from shared_checks import skip_or_fail

pytestmark = [pytest.mark.needs("mount_namespaces"), pytest.mark.slow]

if sys.platform == "linux" and platform.libc_ver()[0] != "glibc":
    skip_or_fail("needs glibc: the model is of glibc's getaddrinfo", allow_module_level=True)




@pytest.mark.parametrize("sample", ALL_SAMPLES)
def test_same_answers_as_glibc_here(sample, tmp_path):
    results = run_child([sample], tmp_path)
    assert_same(results, "this machine's network")


@pytest.mark.parametrize("sample", ALL_SAMPLES)
def test_lines_used_and_skipped_match_glibc(sample, tmp_path):
    (result,) = run_child([sample], tmp_path, per_line=True)
    used_by_glibc = {lineno for lineno, used in result["lines"] if used}
    answering = set(result["entries"]) - set(result["unreachable"])
    assert answering == used_by_glibc, (
        f"lines glibc answers from: {sorted(used_by_glibc)}; model's entries that can "
        f"answer: {sorted(answering)}")
    assert not set(result["skipped"]) & used_by_glibc, "a 'skipped' line answers in glibc"


@pytest.mark.parametrize("how", ["host.conf", "RESOLV_MULTI"])
def test_same_answers_without_multi(how, tmp_path):
    mounts, env = (), {}
    if how == "host.conf":
        if not Path("/etc/host.conf").exists():
            skip_or_fail("no /etc/host.conf to bind-mount over")
        path = tmp_path / "host.conf"
        path.write_text("# only the first matching line\nmulti off\n")
        mounts = ((str(path), "/etc/host.conf"),)
    else:
        env = {"RESOLV_MULTI": "off"}
    results = run_child(SORTING_SAMPLES + ["kubernetes.hosts"], tmp_path, mounts=mounts,
                        env=env)
    assert_same(results, f"multi off via {how}")


def test_large_adblock_file(tmp_path):
    """A 20,000-line ad-blocking file: the same answers for a spread of its names."""
    lines = [b"127.0.0.1 localhost", b"::1 localhost"]
    lines += [b"0.0.0.0 ad%d.blocked%d.example" % (i, i % 101) for i in range(20000)]
    lines += [b"0.0.0.0 ad5.blocked5.example", b"127.0.0.1 ad7.blocked7.example"]
    big = tmp_path / "big.hosts"
    big.write_bytes(b"\n".join(lines) + b"\n")
    assert_same(run_child([big], tmp_path, limit=400), "20,000 lines")
