"""Benchmark: loopedu.hosts against python-hosts on ad-blocking-sized hosts files.

Run from the repository root:

    python tests/benchmarks/bench_hosts.py [--lines 200000] [--lookups 100000]

It generates an ad-blocking hosts file (StevenBlack-style header, then ``0.0.0.0 name``
lines), parses it with both libraries, answers lookups with both, and prints the times,
the ratio and the peak memory (tracemalloc) of each parse. Lookups are then timed against
a file ten times smaller to show whether their cost grows with the file. python-hosts
scans its whole entry list per lookup, so its lookups are timed on a sample and the
total for all lookups is extrapolated (and labelled so). Prints figures; asserts nothing.
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


def make_hosts(lines: int, seed: int = 7) -> tuple[bytes, list[str]]:
    """Text of an ad-blocking hosts file with ``lines`` lines, and its blocked names."""
    rng = random.Random(seed)
    words = ["ads", "track", "pixel", "metrics", "beacon", "cdn", "stats", "tag", "click"]
    names, out = [], [HEADER]
    for i in range(lines - HEADER.count("\n")):
        if i % 5000 == 0:
            out.append(f"# section {i // 5000}\n")
            continue
        name = f"{rng.choice(words)}{i}.{rng.choice(words)}-{i % 997}.example"
        names.append(name)
        out.append(f"0.0.0.0 {name}\n")
    return "".join(out).encode(), names


def best_of(runs: int, fn) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(runs):
        gc.collect()
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


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


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--lookups", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=200,
                        help="python-hosts lookups actually timed (the rest extrapolated)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)

    print(f"Python {platform.python_version()} on {platform.platform()}")
    data, names = make_hosts(args.lines)
    small_lines = max(args.lines // 10, 1000)
    small_data, small_names = make_hosts(small_lines)
    with tempfile.TemporaryDirectory() as tmp:
        big_path = Path(tmp) / "big.hosts"
        small_path = Path(tmp) / "small.hosts"
        big_path.write_bytes(data)
        small_path.write_bytes(small_data)
        print(f"hosts file: {args.lines:,} lines, {len(data) / 1e6:.1f} MB; "
              f"lookups: {args.lookups:,} (90% present, 10% absent)\n")

        # -- parse --------------------------------------------------------------------
        ours_parse, hf = best_of(args.runs, lambda: hosts.parse(big_path.read_bytes()))
        ours_peak = peak_memory(lambda: hosts.parse(big_path.read_bytes()))
        print(f"{'':24}{'loopedu.hosts':>16}{'python-hosts':>16}{'ratio':>9}")
        if PythonHosts is not None:
            theirs_parse, ph = best_of(args.runs, lambda: PythonHosts(path=str(big_path)))
            theirs_peak = peak_memory(lambda: PythonHosts(path=str(big_path)))
            print(f"{'parse (best of %d)' % args.runs:24}{ours_parse:>14.3f} s"
                  f"{theirs_parse:>14.3f} s{theirs_parse / ours_parse:>8.1f}x")
            print(f"{'parse peak memory':24}{ours_peak / 2**20:>13.1f} MiB"
                  f"{theirs_peak / 2**20:>13.1f} MiB{theirs_peak / ours_peak:>8.1f}x")
        else:
            ph = None
            print(f"{'parse':24}{ours_parse:>14.3f} s   (python-hosts not installed)")
            print(f"{'parse peak memory':24}{ours_peak / 2**20:>13.1f} MiB")

        # -- lookups ------------------------------------------------------------------
        wanted = queries(names, args.lookups)
        ours_lookups = time_loopedu_lookups(hf, wanted)
        if ph is not None:
            sample = wanted[: args.sample]
            theirs_sample = time_python_hosts_lookups(ph, sample)
            theirs_total = theirs_sample / len(sample) * len(wanted)
            print(f"{'%s lookups' % format(args.lookups, ','):24}{ours_lookups:>14.3f} s"
                  f"{theirs_total:>14.1f} s{theirs_total / ours_lookups:>8.0f}x"
                  f"   (python-hosts: {len(sample)} timed, rest extrapolated)")
        else:
            print(f"{'%s lookups' % format(args.lookups, ','):24}{ours_lookups:>14.3f} s")

        # -- does a lookup cost more in a bigger file? ---------------------------------
        small_hf = hosts.parse(small_data)
        small_wanted = queries(small_names, args.lookups)
        ours_small = time_loopedu_lookups(small_hf, small_wanted)
        print(f"\nper lookup, {small_lines:,} lines vs {args.lines:,} lines "
              f"({args.lines / small_lines:.0f}x the file):")
        print(f"  loopedu.hosts  {ours_small / args.lookups * 1e6:8.2f} us  "
              f"{ours_lookups / args.lookups * 1e6:8.2f} us   "
              f"growth {ours_lookups / ours_small:.2f}x")
        if ph is not None:
            small_ph = PythonHosts(path=str(small_path))
            sample = small_wanted[: args.sample]
            theirs_small = time_python_hosts_lookups(small_ph, sample) / len(sample)
            theirs_big = theirs_sample / args.sample
            print(f"  python-hosts   {theirs_small * 1e6:8.0f} us  {theirs_big * 1e6:8.0f} us   "
                  f"growth {theirs_big / theirs_small:.2f}x")
    print("\nloopedu.hosts keeps a dict from lower-cased name to lines, so a lookup does "
          "not depend on the file's size;\npython-hosts scans every entry for each lookup.")


if __name__ == "__main__":
    main()
