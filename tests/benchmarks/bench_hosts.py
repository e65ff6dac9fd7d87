"""Benchmark: loopedu.hosts against python-hosts on ad-blocking-sized hosts files.

Run from the repository root:

    python tests/benchmarks/bench_hosts.py [--lines 200000] [--lookups 100000]

It generates two ad-blocking hosts files (StevenBlack-style header, then the block list):

- plain: every block-list line is ``0.0.0.0 name``;
- mixed: one line in five also carries two aliases and an inline comment
  (``0.0.0.0 name www.name m.name # tracker list, added 2024-05-17``).

For each it parses the file with both libraries and prints the times, the ratio and the
peak memory (tracemalloc) of each parse, then times lookups with both. python-hosts scans
its whole entry list per lookup, so its lookups are timed on a sample and the total for
all lookups is extrapolated (and labelled so). Lookups are last timed against a plain file
ten times smaller, to show whether their cost grows with the file. The two libraries'
parses are timed in turn, best of ``--runs``, so that a busy machine slows both alike.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import gc
import platform
import random
import socket
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from loopedu import hosts  # noqa: E402

try:
    from python_hosts import Hosts as PythonHosts
except ImportError:  # pragma: no cover - shown in the output instead
    PythonHosts = None

HEADER = """# Title: generated ad-blocking hosts file for loopedu's benchmark
#
# ===============================================================
127.0.0.1 localhost
127.0.0.1 localhost.localdomain
255.255.255.255 broadcasthost
::1 localhost
::1 ip6-localhost
fe80::1%lo0 localhost
0.0.0.0 0.0.0.0
# Start of the block list
"""
WORDS = ["ads", "track", "pixel", "metrics", "beacon", "cdn", "stats", "tag", "click"]


def make_hosts(lines: int, mixed: bool = False, seed: int = 7) -> tuple[bytes, list[str]]:
    """Text of an ad-blocking hosts file with ``lines`` lines, and its blocked names.

    ``mixed``: every fifth block-list line also has two aliases and an inline comment.
    """
    rng = random.Random(seed)
    names, out = [], [HEADER]
    for i in range(lines - HEADER.count("\n")):
        if i % 5000 == 0:
            out.append(f"# section {i // 5000}\n")
            continue
        name = f"{rng.choice(WORDS)}{i}.{rng.choice(WORDS)}-{i % 997}.example"
        names.append(name)
        if mixed and i % 5 == 0:
            names += [f"www.{name}", f"m.{name}"]
            out.append(f"0.0.0.0 {name} www.{name} m.{name} # {rng.choice(WORDS)} list, "
                       f"added 2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}\n")
        else:
            out.append(f"0.0.0.0 {name}\n")
    return "".join(out).encode(), names


def best_of_each(runs: int, fns: dict) -> dict:
    """{label: (best seconds, last result)}, the functions run in turn ``runs`` times."""
    best = {label: (float("inf"), None) for label in fns}
    for _ in range(runs):
        for label, fn in fns.items():
            gc.collect()
            start = time.perf_counter()
            result = fn()
            elapsed = time.perf_counter() - start
            best[label] = (min(best[label][0], elapsed), result)
            del result
    return best


def peak_memory(fn) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        kept = fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del kept
    return peak


def queries(names: list[str], count: int, seed: int = 11) -> list[str]:
    """``count`` names: nine in ten from the file, one in ten absent."""
    rng = random.Random(seed)
    return [rng.choice(names) if i % 10 else f"absent{i}.example" for i in range(count)]


def time_loopedu_lookups(hf: hosts.HostsFile, names: list[str]) -> float:
    lookup = hf.lookup
    start = time.perf_counter()
    for name in names:
        lookup(name, socket.AF_UNSPEC)
    return time.perf_counter() - start


def time_python_hosts_lookups(ph, names: list[str]) -> float:
    start = time.perf_counter()
    for name in names:
        ph.find_all_matching(name=name)
    return time.perf_counter() - start


def bench_file(label: str, path: Path, names: list[str], args) -> tuple:
    """Print parse and lookup figures for one file; (our HostsFile, python-hosts' Hosts
    or None, python-hosts' time per lookup or None)."""
    data = path.read_bytes()
    print(f"{label}: {args.lines:,} lines, {len(data) / 1e6:.1f} MB, "
          f"{len(names):,} names; lookups: {args.lookups:,} (90% present, 10% absent)")
    fns = {"ours": lambda: hosts.parse(path.read_bytes())}
    if PythonHosts is not None:
        fns["theirs"] = lambda: PythonHosts(path=str(path))
    best = best_of_each(args.runs, fns)
    ours_parse, hf = best["ours"]
    ours_peak = peak_memory(lambda: hosts.parse(path.read_bytes()))
    print(f"  {'':24}{'loopedu.hosts':>16}{'python-hosts':>16}{'ratio':>9}")
    ph = per_lookup = None
    if PythonHosts is not None:
        theirs_parse, ph = best["theirs"]
        theirs_peak = peak_memory(lambda: PythonHosts(path=str(path)))
        print(f"  {'parse (best of %d)' % args.runs:24}{ours_parse:>14.3f} s"
              f"{theirs_parse:>14.3f} s{theirs_parse / ours_parse:>8.1f}x")
        print(f"  {'parse peak memory':24}{ours_peak / 2**20:>13.1f} MiB"
              f"{theirs_peak / 2**20:>13.1f} MiB{theirs_peak / ours_peak:>8.1f}x")
    else:
        print(f"  {'parse':24}{ours_parse:>14.3f} s   (python-hosts not installed)")
        print(f"  {'parse peak memory':24}{ours_peak / 2**20:>13.1f} MiB")

    wanted = queries(names, args.lookups)
    ours_lookups = time_loopedu_lookups(hf, wanted)
    row = f"  {'%s lookups' % format(args.lookups, ','):24}{ours_lookups:>14.3f} s"
    if ph is not None:
        sample = wanted[: args.sample]
        per_lookup = time_python_hosts_lookups(ph, sample) / len(sample)
        theirs_total = per_lookup * len(wanted)
        row += (f"{theirs_total:>14.1f} s{theirs_total / ours_lookups:>8.0f}x"
                f"   (python-hosts: {len(sample)} timed, rest extrapolated)")
    print(row)
    return ours_lookups, per_lookup


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--lookups", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=200,
                        help="python-hosts lookups actually timed (the rest extrapolated)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)

    print(f"Python {platform.python_version()} on {platform.platform()}\n")
    small_lines = max(args.lines // 10, 1000)
    with tempfile.TemporaryDirectory() as tmp:
        results = {}
        for label, mixed in (("plain", False), ("mixed", True)):
            data, names = make_hosts(args.lines, mixed=mixed)
            path = Path(tmp) / f"{label}.hosts"
            path.write_bytes(data)
            results[label] = bench_file(label, path, names, args)
            print()

        # -- does a lookup cost more in a bigger file? ---------------------------------
        ours_big, theirs_big = results["plain"]
        small_data, small_names = make_hosts(small_lines)
        small_path = Path(tmp) / "small.hosts"
        small_path.write_bytes(small_data)
        small_wanted = queries(small_names, args.lookups)
        ours_small = time_loopedu_lookups(hosts.parse(small_data), small_wanted)
        print(f"per lookup, plain file, {small_lines:,} lines vs {args.lines:,} lines "
              f"({args.lines / small_lines:.0f}x the file):")
        print(f"  loopedu.hosts  {ours_small / args.lookups * 1e6:8.2f} us  "
              f"{ours_big / args.lookups * 1e6:8.2f} us   "
              f"growth {ours_big / ours_small:.2f}x")
        if theirs_big is not None:
            sample = small_wanted[: args.sample]
            theirs_small = time_python_hosts_lookups(
                PythonHosts(path=str(small_path)), sample) / len(sample)
            print(f"  python-hosts   {theirs_small * 1e6:8.0f} us  {theirs_big * 1e6:8.0f} us"
                  f"   growth {theirs_big / theirs_small:.2f}x")
    print("\nloopedu.hosts keeps a dict from lower-cased name to lines, so a lookup does "
          "not depend on the file's size;\npython-hosts scans every entry for each lookup.")


if __name__ == "__main__":
    main()
