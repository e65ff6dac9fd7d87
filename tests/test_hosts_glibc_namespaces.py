"""loopedu.hosts against glibc inside network namespaces made for the comparison.

The order of getaddrinfo's answers depends on the machine's addresses and routes (glibc
probes each candidate with a UDP connect), so the comparison also runs with IPv6
disabled, with ``lo`` down, and in a small lab with addresses on a veth pair, with
gai.conf tables, RESOLV_REORDER and generated hosts files. Namespaces come from
loopedu.sandbox and are removed even when a test fails.
"""

from __future__ import annotations

import os
import platform
import random
import sys
from pathlib import Path

import pytest
from glibc_oracle import (
    ALL_SAMPLES,
    GAI_CONFS,
    SORTING_SAMPLES,
    assert_same,
    network_namespace,
    random_hosts_file,
    run_child,
)
from shared_checks import skip_or_fail

pytestmark = [pytest.mark.needs("mount_namespaces"), pytest.mark.slow]
#: For the tests that also make a network namespace (the netns_* fixtures).
needs_netns = pytest.mark.needs("network_namespaces")
#: A parameter "where" the comparison runs: this machine's network, or a namespace.
HERE = "here"


def places(*names: str) -> list:
    """Parameters for "where": each namespace one marked as needing network namespaces."""
    return [pytest.param(n, marks=() if n == HERE else needs_netns) for n in names]


if sys.platform == "linux" and platform.libc_ver()[0] != "glibc":
    skip_or_fail("needs glibc: the model is of glibc's getaddrinfo", allow_module_level=True)


@pytest.fixture(scope="module")
def netns_v6off():
    with network_namespace("v6off") as name:
        yield name


@pytest.fixture(scope="module")
def netns_lodown():
    with network_namespace("lodown") as name:
        yield name


@pytest.fixture(scope="module")
def netns_lab():
    with network_namespace("lab") as name:
        yield name


@pytest.fixture(scope="module")
def netns_ula():
    with network_namespace("ula") as name:
        yield name


@needs_netns
@pytest.mark.parametrize("sample", ALL_SAMPLES)
def test_same_answers_with_ipv6_disabled(sample, tmp_path, netns_v6off):
    assert_same(run_child([sample], tmp_path, netns=netns_v6off), "IPv6 disabled")


@needs_netns
def test_same_answers_with_lo_down(tmp_path, netns_lodown):
    assert_same(run_child(SORTING_SAMPLES, tmp_path, netns=netns_lodown), "lo down")


@needs_netns
def test_same_answers_in_lab_namespace(tmp_path, netns_lab):
    assert_same(run_child(SORTING_SAMPLES, tmp_path, netns=netns_lab), "lab namespace")


@needs_netns
def test_same_answers_with_ipv6_default_route(tmp_path, netns_ula):
    assert_same(run_child(SORTING_SAMPLES, tmp_path, netns=netns_ula),
                "ULA address, default routes for both families")


@needs_netns
def test_same_answers_with_reorder(tmp_path, netns_lab):
    results = run_child(SORTING_SAMPLES, tmp_path, netns=netns_lab,
                        env={"RESOLV_REORDER": "on"})
    assert_same(results, "RESOLV_REORDER=on")


@pytest.mark.parametrize("conf", sorted(GAI_CONFS))
@pytest.mark.parametrize("where", places(HERE, "lab", "ula"))
def test_same_answers_with_gai_conf(conf, where, tmp_path, request):
    if not Path("/etc/gai.conf").exists():
        skip_or_fail("no /etc/gai.conf to bind-mount over")
    path = tmp_path / "gai.conf"
    path.write_text(GAI_CONFS[conf])
    netns = None if where == HERE else request.getfixturevalue(f"netns_{where}")
    results = run_child(SORTING_SAMPLES, tmp_path, netns=netns,
                        mounts=((str(path), "/etc/gai.conf"),))
    assert_same(results, f"gai.conf {conf}, {where}")


@pytest.mark.parametrize("where", places(HERE, "lab", "v6off"))
def test_random_hosts_files(where, tmp_path, request):
    """40 generated files with overlapping names, mixed families, comments, NULs."""
    rng = random.Random(2024)
    paths = []
    for k in range(40):
        path = tmp_path / f"random-{k:02d}.hosts"
        path.write_bytes(random_hosts_file(rng))
        paths.append(path)
    netns = None if where == HERE else request.getfixturevalue(f"netns_{where}")
    assert_same(run_child(paths, tmp_path, netns=netns, limit=200), f"random files, {where}")


@needs_netns
def test_network_namespace_is_deleted_even_when_the_test_fails():
    with pytest.raises(RuntimeError):
        with network_namespace("cleanup") as ns:
            holder = ns.pid
            assert os.path.exists(f"/proc/{holder}")
            raise RuntimeError("a failing test body")
    assert not os.path.exists(f"/proc/{holder}")
