"""loopedu.hosts against glibc answers recorded earlier, with no privilege: the order
getaddrinfo gave each name with two or more addresses, in network namespaces made for the
recording (a lab with addresses on a veth pair, IPv6 disabled, lo down, gai.conf tables,
RESOLV_REORDER), and the model given what was read there (tests/glibc_recorded.py).

The live comparison (tests/test_hosts_glibc*.py) needs root or user namespaces; this one
runs everywhere, so a change to the sort (an RFC 3484 rule, a prefix mask) is caught
even where the live oracle cannot run.
"""

from __future__ import annotations

import socket

import pytest
from glibc_recorded import RECORDING, MachineAsRecorded, load, sha256

from loopedu import hosts

SAMPLES = RECORDING.parent
RECORDED = load()
FAMILIES = {0: socket.AF_UNSPEC, 2: socket.AF_INET, 10: socket.AF_INET6}


def test_the_recording_says_where_and_when_it_was_made():
    made = RECORDED["recorded"]
    assert made["glibc"].startswith("glibc 2.") and made["date"][:2] == "20"
    assert made["by"] == "tests/tools/record_glibc_answers.py"


@pytest.mark.parametrize("sample", sorted(RECORDED["samples"]))
def test_the_samples_are_the_ones_recorded(sample):
    assert sha256(SAMPLES / sample) == RECORDED["samples"][sample], (
        f"{sample} changed since glibc's answers were recorded: run "
        "tests/tools/record_glibc_answers.py as root")


@pytest.mark.parametrize("setting", sorted(RECORDED["settings"]))
def test_same_order_as_glibc(setting):
    recorded = RECORDED["settings"][setting]
    parsed = {name: hosts.parse((SAMPLES / name).read_bytes()) for name in RECORDED["samples"]}
    machine = MachineAsRecorded(recorded["machine"])
    wrong = []
    for sample, kind, query, family, glibc in recorded["answers"]:
        name = bytes.fromhex(query) if kind == "bytes" else query
        model = parsed[sample].lookup(name, FAMILIES[family], machine=machine)
        if model != glibc:
            wrong.append(f"{sample} {name!r} family {family}: glibc {glibc}, model {model}")
    assert len(recorded["answers"]) >= 20
    assert not wrong, f"{len(wrong)} differ from glibc ({setting}):\n" + "\n".join(wrong[:10])
