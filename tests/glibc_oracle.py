"""The glibc oracle: loopedu.hosts and glibc's getaddrinfo asked about the same hosts file.

Shared by test_hosts_glibc.py (this machine's network) and
test_hosts_glibc_namespaces.py (network namespaces made for the comparison).

Each check runs a child Python under ``unshare -m`` (a private mount namespace) that
bind-mounts a sample over /etc/hosts and a ``hosts: files`` nsswitch.conf over
/etc/nsswitch.conf, then asks both ``socket.getaddrinfo`` and ``HostsFile.lookup`` the
same questions: every word in the file, case and trailing-dot variants, absent and
numeric names, as bytes and as str, for AF_UNSPEC, AF_INET and AF_INET6. glibc is the
oracle; the expected answers are never written down here.

The order of the answers depends on the machine (glibc probes each address with a UDP
connect), so the comparison is also run inside network namespaces made for it: IPv6
disabled, ``lo`` down, and a small lab with addresses on a veth pair. Configuration
variants (gai.conf, host.conf ``multi off``, ``RESOLV_REORDER``) are bind-mounted or set
in the child's environment. Needs Linux, glibc and private mount and network namespaces
(as root, or in an unprivileged user namespace: loopedu.sandbox makes them); skipped
otherwise, and failed under CI.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from shared_checks import skip_or_fail

from loopedu import sandbox
from loopedu.sandbox import Namespace

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "tests" / "hosts_samples"
ALL_SAMPLES = sorted(p.name for p in SAMPLES.glob("*.hosts"))
SORTING_SAMPLES = ["sorting.hosts", "quirks.hosts", "docker.hosts", "debian.hosts",
                   "this-machine.hosts", "macos.hosts", "adblock.hosts"]
FAMILY_NAMES = {0: "AF_UNSPEC", 2: "AF_INET", 10: "AF_INET6"}



# The child: runs inside the namespaces, answers with glibc and with the model.
CHILD = r'''
import json, os, socket, subprocess, sys
spec = json.load(open(sys.argv[1]))

def bind(src, dst):
    subprocess.run(["mount", "--bind", src, dst], check=True)

for src, dst in spec["mounts"]:
    bind(src, dst)
if os.path.isdir("/run/nscd"):
    bind(spec["empty_dir"], "/run/nscd")  # never let a running nscd answer
sys.path.insert(0, spec["repo"])
from loopedu import hosts
from loopedu.glibc.machine import Machine

def read(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "surrogateescape")
    except OSError:
        return None

def machine_read(m):
    """Everything the model's Machine read from this machine (see MachineAsRecorded)."""
    m.ipv4_ifaddrs()
    m.is_native(0)
    in6ai = m._in6ai_table()
    return {
        "host_conf": read(os.environ.get("RESOLV_HOST_CONF", "/etc/host.conf")),
        "environ": {k: v for k, v in os.environ.items()
                    if k in ("RESOLV_MULTI", "RESOLV_REORDER")},
        "gai_conf": read("/etc/gai.conf"),
        "sockets": [[family, ok, err] for family, (ok, err) in m._sockets.items()],
        "connects": [[sf, f, p.hex(), None if src is None else src.hex(), err]
                     for (sf, f, p), (src, err) in m._connects.items()],
        "in6ai": None if in6ai is None else [[k.hex(), a.flags, a.prefixlen, a.index]
                                             for k, a in in6ai.items()],
        "link_types": sorted(m._link_types.items()),
        "ipv4_ifaddrs": sorted(m.ipv4_ifaddrs()),
    }

def ask(fn):
    try:
        return fn()
    except socket.gaierror:
        return []
    except UnicodeError:
        return "UnicodeError"

def decode(kind, q):
    return bytes.fromhex(q) if kind == "bytes" else q

out = []
for sample in spec["samples"]:
    with open(sample["path"], "rb") as f:
        data = f.read()
    hf = hosts.parse(data)
    machine = Machine()  # one per sample: what it reads does not change meanwhile
    queries = list(sample["queries"])
    seen = {tuple(q) for q in queries}
    names = list(hf.names())  # the model's names are more questions; glibc answers them
    step = max(1, len(names) // sample["limit"])
    for name in names[::step]:
        q = ["bytes", name.encode("utf-8", "surrogateescape").hex()]
        if tuple(q) not in seen:
            queries.append(q)
    bind(sample["path"], "/etc/hosts")
    rows = []
    for kind, q in queries:
        name = decode(kind, q)
        for fam in (0, socket.AF_INET, socket.AF_INET6):
            real = ask(lambda: [ai[4][0] for ai in
                                socket.getaddrinfo(name, None, fam, socket.SOCK_STREAM)])
            model = ask(lambda: hf.lookup(name, fam, machine=machine))
            rows.append([kind, q, fam, real, model])
    subprocess.run(["umount", "/etc/hosts"], check=True)
    lines = []
    if sample.get("per_line"):
        # Which lines does glibc use at all? One line per file, every word asked; a
        # line is used when some answer differs from the answer with an empty file
        # (numeric names like a commented-out address answer without any file).
        entry_names = {}
        for e in hf.entries:
            entry_names.setdefault(e.line, []).extend(e.names)
        one = os.path.join(spec["tmp"], "one-line.hosts")
        baseline = {}
        def answers(n):
            return [ask(lambda: [ai[4][0] for ai in socket.getaddrinfo(
                n, None, fam, socket.SOCK_STREAM)]) for fam in (0, socket.AF_INET,
                                                               socket.AF_INET6)]
        for lineno, (raw, words) in enumerate(zip(sample["lines"], sample["line_words"]), 1):
            names = [bytes.fromhex(w) for w in words]
            names += [n.encode("utf-8", "surrogateescape") for n in entry_names.get(lineno, [])]
            with open(one, "wb") as f:
                f.write(b"")
            bind(one, "/etc/hosts")
            for n in names:
                if n not in baseline:
                    baseline[n] = answers(n)
            subprocess.run(["umount", "/etc/hosts"], check=True)
            with open(one, "wb") as f:
                f.write(bytes.fromhex(raw))
            bind(one, "/etc/hosts")
            used = any(answers(n) != baseline[n] for n in names)
            subprocess.run(["umount", "/etc/hosts"], check=True)
            lines.append([lineno, used])
    out.append({"sample": sample["name"], "rows": rows, "lines": lines,
                "machine": machine_read(machine),
                "entries": sorted({e.line for e in hf.entries}),
                "skipped": sorted({p.line for p in hf.problems if p.skipped}),
                "unreachable": sorted({p.line for p in hf.problems if p.kind == "unreachable"})})
json.dump(out, sys.stdout)
'''

EXTRA_NAMES = [b"", b"localhost", b"LOCALHOST", b"Localhost", b"localhost.", b"localhost..",
               b"absent.example", b"*", b"127.1", b"0x7f.1", b"2130706433", b"017700000001",
               b"127.0.0.1.", b"::1", b"::ffff:127.0.0.1", b"::ffff:1.2.3.4%5", b"fe80::1%lo",
               b"fe80::1%1", b"fe80::1%nosuch", b"ff02::1%lo", b"fd00::1%eth0", b"fd00::1%7",
               b"localhost\0junk", b"1.2.3.4.5", b"300.1.2.3", b"12345", b"ab:cd"]
EXTRA_STR = ["localhost", "LocalHost", "localhost.", "a..b", "x" * 64, "b\u00fccher.example",
             "caf\u00e9", ""]


def _words(line: bytes) -> list[bytes]:
    return [w for part in re.split(rb"[#\0]", line) for w in part.split()]


def _queries(data: bytes, limit: int = 2500) -> list[list[str]]:
    words = list(dict.fromkeys(w for line in data.split(b"\n") for w in _words(line)))
    variants: dict[bytes, None] = {}
    for w in words:
        for v in (w, w.upper(), w.lower(), w.capitalize(), w + b".", w.rstrip(b".")):
            variants.setdefault(v)
    names = list(variants)
    if len(names) > limit:  # a deterministic spread: the start, the end and a stride
        stride = len(names) // (limit // 2)
        names = names[: limit // 4] + names[-limit // 4:] + names[limit // 4::stride]
    names = list(dict.fromkeys(names + EXTRA_NAMES))
    texts = [w.decode() for w in words[:40] if w.isascii()] + EXTRA_STR
    return [["bytes", n.hex()] for n in names] + [["str", t] for t in dict.fromkeys(texts)]


def _line_words(data: bytes) -> tuple[list[str], list[list[str]]]:
    raw_lines = data.split(b"\n")
    ends_in_newline = data.endswith(b"\n")
    if ends_in_newline:
        raw_lines.pop()
    lines, words = [], []
    for k, raw in enumerate(raw_lines, 1):
        last = k == len(raw_lines)
        lines.append((raw + (b"" if last and not ends_in_newline else b"\n")).hex())
        ws = list(dict.fromkeys(_words(raw)))
        ws = ws[:10] + ws[-10:] if len(ws) > 20 else ws
        words.append([w.hex() for w in ws + [b""]])
    return lines, words


def run_child(samples: list, tmp_path: Path, *, netns: Namespace | None = None,
              mounts: tuple = (), env: dict | None = None, per_line: bool = False,
              limit: int = 2500) -> list:
    """Run CHILD in a fresh mount namespace (inside ``netns`` if given); its JSON."""
    nsswitch = tmp_path / "nsswitch.conf"
    nsswitch.write_text("hosts: files\n")
    empty = tmp_path / "empty"
    empty.mkdir(exist_ok=True)
    spec = {"repo": str(REPO), "tmp": str(tmp_path), "empty_dir": str(empty),
            "mounts": [[str(nsswitch), "/etc/nsswitch.conf"]] + [list(m) for m in mounts],
            "samples": []}
    for sample in samples:
        path = sample if isinstance(sample, Path) else SAMPLES / sample
        data = path.read_bytes()
        entry = {"name": path.name, "path": str(path), "queries": _queries(data, limit),
                 "limit": limit}
        if per_line:
            entry["per_line"] = True
            entry["lines"], entry["line_words"] = _line_words(data)
        spec["samples"].append(entry)
    spec_path = tmp_path / "spec.json"
    spec_path.write_text(json.dumps(spec))
    cmd = sandbox.private_mount(inside=netns) + [sys.executable, "-c", CHILD, str(spec_path)]
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("RESOLV_")}
    child_env.update(env or {})
    proc = subprocess.run(cmd, capture_output=True, text=True, env=child_env, timeout=600)
    assert proc.returncode == 0, f"child failed:\n{proc.stderr[-4000:]}"
    return json.loads(proc.stdout)


def assert_same(results: list, where: str) -> None:
    bad = []
    for sample in results:
        for kind, q, fam, real, model in sample["rows"]:
            if real != model:
                shown = repr(bytes.fromhex(q)) if kind == "bytes" else repr(q)
                bad.append(f"  {sample['sample']}: {shown} {FAMILY_NAMES[fam]}: "
                           f"glibc {real} model {model}")
    assert not bad, f"{len(bad)} answers differ from glibc ({where}):\n" + "\n".join(bad[:40])
    assert sum(len(s["rows"]) for s in results) > 0


# ----------------------------------------------------------------------------------------
# Network namespaces: made for these tests by loopedu.sandbox, always removed
# ----------------------------------------------------------------------------------------

NETNS_SETUPS = {
    # lo up, IPv6 switched off: ::1 is unusable, as in many containers
    "v6off": [["link", "set", "lo", "up"],
              ["sysctl", "net.ipv6.conf.all.disable_ipv6", "1"]],
    # a fresh namespace: lo down, nothing reachable
    "lodown": [],
    "cleanup": [],
    # two interfaces with addresses from the benchmarking and documentation ranges,
    # one IPv6 address deprecated, one a home address, an IPv4 default route and no
    # IPv6 one
    "lab": [["link", "set", "lo", "up"],
            ["link", "add", "veth0", "type", "veth", "peer", "name", "veth1"],
            ["link", "set", "veth0", "up"],
            ["link", "set", "veth1", "up"],
            ["addr", "add", "198.18.0.1/15", "dev", "veth0"],
            ["addr", "add", "2001:db8:1::1/64", "dev", "veth0", "nodad"],
            ["addr", "add", "2001:db8:2::1/64", "dev", "veth0", "nodad", "preferred_lft", "0"],
            ["addr", "add", "fec0::1/64", "dev", "veth1", "nodad"],
            ["addr", "add", "2001:db8:3::1/64", "dev", "veth1", "nodad"],
            ["addr", "add", "2001:db8:3::2/64", "dev", "veth1", "nodad", "home"],
            ["route", "add", "default", "via", "198.18.0.2", "dev", "veth0"]],
    # like many machines: one interface with a unique local IPv6 address and default
    # routes for both families, so IPv6 destinations (multicast too) have a source (the
    # veth pair's other end has IPv6 off); a /16 whose neighbour /16 (198.19/16) sits
    # inside the /15 around it
    "ula": [["link", "set", "lo", "up"],
            ["link", "add", "veth0", "type", "veth", "peer", "name", "veth1"],
            ["sysctl", "net.ipv6.conf.veth1.disable_ipv6", "1"],
            ["link", "set", "veth0", "up"],
            ["link", "set", "veth1", "up"],
            ["addr", "add", "198.18.0.1/16", "dev", "veth0"],
            ["addr", "add", "fd00::2/64", "dev", "veth0", "nodad"],
            ["route", "add", "default", "via", "198.18.0.2", "dev", "veth0"],
            ["-6", "route", "add", "default", "via", "fd00::1", "dev", "veth0"]],
}


#: gai.conf files the comparison is also run with (bind-mounted over /etc/gai.conf).
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


@contextlib.contextmanager
def network_namespace(kind: str):
    """A namespace for the comparison, set up as NETNS_SETUPS[kind] says; tests that use
    one are marked ``needs("network_namespaces")`` (this skip is for any that is not)."""
    if not sandbox.capabilities().network_namespaces:
        skip_or_fail(sandbox.capabilities().network_namespaces.reason)
    with sandbox.namespace("hosts", lo_up=False) as ns:
        for step in NETNS_SETUPS[kind]:
            if step[0] == "sysctl":
                ns.set_sysctl(step[1], step[2])
            else:
                ns.ip(*step)
        yield ns


ADDRESS_POOL = [b"127.0.0.1", b"127.0.0.2", b"::1", b"::ffff:127.0.0.1", b"192.0.2.5",
                b"198.18.0.9", b"fd00::5", b"2001:db8:1::9", b"fe80::1", b"fe80::1%lo",
                b"::ffff:192.0.2.6", b"0.0.0.0", b"::", b"127.1", b"1.2.3", b"ff02::1",
                b"2002:c000:204::1", b"169.254.0.1", b"FD00::A", b"256.0.0.1", b"name"]
NAME_POOL = [b"alpha", b"ALPHA", b"alpha.", b"beta", b"Beta.example", b"gamma", b"localhost",
             b"300.1.2.3", b"10.1.1.1", b"ab:cd", b"x", b"alpha.example"]
SEPARATORS = [b" ", b"\t", b"  ", b" \t", b"\v", b"\r", b"\f"]


def random_hosts_file(rng) -> bytes:
    lines = []
    for _ in range(rng.randint(0, 14)):
        roll = rng.random()
        if roll < 0.08:
            lines.append(rng.choice([b"", b"   ", b"# comment", b"\t# indented comment"]))
            continue
        words = [rng.choice(ADDRESS_POOL)]
        words += [rng.choice(NAME_POOL) for _ in range(rng.choice([0, 1, 1, 1, 2, 3, 5]))]
        line = b""
        for word in words:
            line += word + rng.choice(SEPARATORS)
        line = line if rng.random() < 0.6 else line.rstrip()
        if rng.random() < 0.15:
            line = rng.choice([b" ", b"\t", b"  "]) + line
        if rng.random() < 0.1:
            cut = rng.randint(0, len(line))
            line = line[:cut] + rng.choice([b"#", b"# c ", b"\0", b"\0x "]) + line[cut:]
        lines.append(line)
    text = b"\n".join(lines)
    return text + b"\n" if rng.random() < 0.7 else text
