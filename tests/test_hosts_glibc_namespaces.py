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
def test_same_answers_with_reorder(tmp_path, netns_lab):
    results = run_child(SORTING_SAMPLES, tmp_path, netns=netns_lab,
                        env={"RESOLV_REORDER": "on"})
    assert_same(results, "RESOLV_REORDER=on")


GAI_CONFS = {
    "ipv4-first": "precedence ::ffff:0:0/96 100\n",
    "tables": """# labels, precedences and IPv4 scopes all replaced
label ::1/128 0
label ::/0 1
label 2001:db8::/32 9
label ::ffff:0:0/96 4
precedence ::1/128 50
precedence ::/0 40
precedence 2001:db8::/32 45
precedence ::ffff:0:0/96 35
precedence bogus 99
scopev4 ::ffff:198.18.0.0/111 3
scopev4 192.0.2.0/24 5
scopev4 127.0.0.0/8 2
reload yes
""",
}


@pytest.mark.parametrize("conf", sorted(GAI_CONFS))
@pytest.mark.parametrize("where", places(HERE, "lab"))
def test_same_answers_with_gai_conf(conf, where, tmp_path, request):
    if not Path("/etc/gai.conf").exists():
        skip_or_fail("no /etc/gai.conf to bind-mount over")
    path = tmp_path / "gai.conf"
    path.write_text(GAI_CONFS[conf])
    netns = request.getfixturevalue("netns_lab") if where == "lab" else None
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
