"""Record glibc's answers for tests/test_hosts_glibc_recorded.py (run as root, or where
unprivileged user namespaces work; Linux with glibc).

    .venv/bin/python tests/tools/record_glibc_answers.py   # rewrites the recording

The oracle of tests/glibc_oracle.py runs in network namespaces made for it, one setting
after another; each question glibc answered with two or more addresses is kept with
glibc's answer and what the model's Machine read there (see tests/glibc_recorded.py).
Run it again when a sample hosts file or the oracle's questions change.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(TESTS.parent), str(TESTS)]

from glibc_oracle import GAI_CONFS, SAMPLES, SORTING_SAMPLES, network_namespace, run_child  # noqa: E402

#: The samples made to exercise the sort, and two real files with localhost on two lines.
SAMPLES_RECORDED = [name for name in SORTING_SAMPLES
                    if name in ("sorting.hosts", "docker.hosts", "debian.hosts")]
from glibc_recorded import RECORDING, sha256  # noqa: E402

#: name -> (network namespace of glibc_oracle.NETNS_SETUPS, gai.conf of GAI_CONFS or
#: None, environment of the child)
SETTINGS = {
    "lab": ("lab", None, {}),
    "lab, gai.conf ipv4-first": ("lab", "ipv4-first", {}),
    "lab, gai.conf tables": ("lab", "tables", {}),
    "lab, RESOLV_REORDER=on": ("lab", None, {"RESOLV_REORDER": "on"}),
    "IPv6 disabled": ("v6off", None, {}),
    "lo down": ("lodown", None, {}),
    "ULA, default routes": ("ula", None, {}),
    "ULA, default routes, gai.conf ipv4-first": ("ula", "ipv4-first", {}),
}


def glibc_version() -> str:
    """``glibc 2.36`` and, on Debian, the package's version."""
    version = os.confstr("CS_GNU_LIBC_VERSION")
    try:
        package = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "libc6"],
                                 capture_output=True, text=True, timeout=30).stdout.strip()
    except OSError:
        package = ""
    return f"{version} (Debian libc6 {package})" if package else version


def sorted_rows(result: dict) -> list:
    """The questions glibc answered with two or more addresses, one per spelling."""
    rows, seen = [], set()
    for kind, q, family, real, model in result["rows"]:
        if not isinstance(real, list) or len(real) < 2:
            continue
        key = (family, (bytes.fromhex(q) if kind == "bytes" else q.encode()).lower())
        if key not in seen:
            seen.add(key)
            rows.append([result["sample"], kind, q, family, real])
    return rows


def without_comments(text: str | None) -> str | None:
    """A configuration file without its comment and blank lines (glibc skips them)."""
    if text is None:
        return None
    return "".join(line for line in text.splitlines(keepends=True)
                   if line.strip() and not line.lstrip().startswith("#"))


def one_read(results: list) -> dict:
    """What the model read in one setting, over all samples: the same files and
    interfaces each time, and the union of the UDP connects."""
    first = results[0]["machine"]
    for result in results[1:]:
        for key in ("host_conf", "environ", "gai_conf", "in6ai", "link_types",
                    "ipv4_ifaddrs"):
            assert result["machine"][key] == first[key], key
    read = dict(first, host_conf=without_comments(first["host_conf"]),
                gai_conf=without_comments(first["gai_conf"]))
    for key in ("sockets", "connects"):
        union = {json.dumps(item): item for r in results for item in r["machine"][key]}
        read[key] = sorted(union.values(), key=json.dumps)
    return read


def record() -> dict:
    settings = {}
    for name, (kind, gai, env) in SETTINGS.items():
        with tempfile.TemporaryDirectory(prefix="loopedu-record-") as tmp, \
                network_namespace(kind) as ns:
            mounts = ()
            if gai is not None:
                path = Path(tmp, "gai.conf")
                path.write_text(GAI_CONFS[gai])
                mounts = ((str(path), "/etc/gai.conf"),)
            results = run_child(SAMPLES_RECORDED, Path(tmp), netns=ns, mounts=mounts, env=env)
        answers = [row for result in results for row in sorted_rows(result)]
        settings[name] = {"machine": one_read(results), "answers": answers}
        print(f"{name}: {len(answers)} answers", file=sys.stderr)
    return {
        "recorded": {"glibc": glibc_version(), "kernel": platform.release(),
                     "date": datetime.date.today().isoformat(),
                     "by": "tests/tools/record_glibc_answers.py",
                     "as": "root" if os.geteuid() == 0 else "an unprivileged user"},
        "samples": {name: sha256(SAMPLES / name) for name in SAMPLES_RECORDED},
        "settings": settings,
    }


def to_text(data: dict) -> str:
    """JSON with one answer per line, so that a new recording reads well in a diff."""
    lines = ["{", f' "recorded": {json.dumps(data["recorded"])},',
             f' "samples": {json.dumps(data["samples"])},', ' "settings": {']
    for n, (name, setting) in enumerate(data["settings"].items()):
        lines += [f"  {json.dumps(name)}: {{",
                  f'   "machine": {json.dumps(setting["machine"])},', '   "answers": [']
        lines += [f"    {json.dumps(row, ensure_ascii=False)}"
                  + ("," if k < len(setting["answers"]) - 1 else "")
                  for k, row in enumerate(setting["answers"])]
        lines += ["   ]", "  }" + ("," if n < len(data["settings"]) - 1 else "")]
    lines += [" }", "}"]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    data = record()
    text = to_text(data)
    assert json.loads(text) == data
    RECORDING.write_text(text, encoding="utf-8")
    print(f"wrote {RECORDING} ({len(text):,} characters)", file=sys.stderr)
