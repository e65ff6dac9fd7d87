"""Network-namespace labs (Linux + root): a "laptop" and a "phone" on a virtual LAN.

A network namespace is a private copy of the network stack: its own interfaces (starting
with a ``lo`` that is DOWN), routes and sockets. Two namespaces joined by a veth pair
are two machines on one LAN, inside this one. The lab never touches the host's own
network: every interface, address and sysctl it sets lives inside namespaces it made,
and the LAN uses the benchmarking ranges 198.18.0.0/15 (RFC 2544) and 2001:2::/48
(RFC 5180), which belong to no real network.

Code runs inside a namespace as a child process, ``ip netns exec NAME python -m
loopedu.netlab ...``: a process can be killed by its pid, a thread moved with setns()
cannot. Namespaces are named ``loopedu-<purpose>-<pid>-<random>``, removed when their
``with`` block ends (also on an exception, KeyboardInterrupt, SIGTERM, or at exit), and
stale ones whose pid is gone are reaped when the next one is made.

Introduced in notebooks/03-bind-address.ipynb.
"""

from __future__ import annotations

import atexit
import ipaddress
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import uuid
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterator

from .doctor import NETNS_PREFIX
from .servers import connect_outcome, family_of

__all__ = ["LabUnavailable", "lab_unavailable_reason", "namespace", "reap_stale",
           "call_in", "connect_all", "link_up", "Lan", "lan", "LanResult", "lan_lab", "is_lab_safe",
           "LAPTOP", "PHONE", "LAB_NETWORKS", "LAN_BINDS"]

#: The laptop's and the phone's LAN addresses (RFC 2544 / RFC 5180 benchmarking ranges).
LAPTOP = {"ipv4": "198.18.0.1", "ipv6": "2001:2::1"}
PHONE = {"ipv4": "198.18.0.2", "ipv6": "2001:2::2"}
_PREFIXLEN = {"ipv4": 24, "ipv6": 64}
#: The bind addresses the LAN lab tries, the classic four.
LAN_BINDS = ("127.0.0.1", "0.0.0.0", "::1", "::")
#: Where experiments may send traffic besides loopback: the lab's own ranges only.
LAB_NETWORKS = (ipaddress.ip_network("198.18.0.0/15"), ipaddress.ip_network("2001:2::/48"))

_NAME = re.compile(re.escape(NETNS_PREFIX) + r"(?P<purpose>[a-z0-9-]+)-(?P<pid>\d+)-[0-9a-f]+")
_live: set[str] = set()
_live_lock = threading.Lock()
_hooks_installed = False


class LabUnavailable(RuntimeError):
    """This machine cannot make network namespaces; the message says why."""


def is_lab_safe(address: str) -> bool:
    """True for the addresses experiments may send to: loopback, the unspecified address
    (which Linux delivers to loopback) and the lab's benchmarking ranges.

    >>> is_lab_safe("127.0.0.2"), is_lab_safe("198.18.0.1"), is_lab_safe("192.0.2.1")
    (True, True, False)

    Introduced in notebooks/03-bind-address.ipynb.
    """
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    ip = mapped or ip
    return ip.is_loopback or ip.is_unspecified or any(ip in net for net in LAB_NETWORKS
                                                       if net.version == ip.version)


def lab_unavailable_reason() -> str | None:
    """Why network namespaces cannot be made here, or None when they probably can.

    >>> lab_unavailable_reason() is None or isinstance(lab_unavailable_reason(), str)
    True

    Introduced in notebooks/03-bind-address.ipynb.
    """
    if not sys.platform.startswith("linux"):
        return f"network namespaces are a Linux feature and this is {sys.platform}"
    if os.geteuid() != 0:
        return "creating network namespaces needs root (CAP_SYS_ADMIN)"
    if shutil.which("ip") is None:
        return "the `ip` command (iproute2) is not installed"
    return None


def _why(done: subprocess.CompletedProcess) -> str:
    """The last line a failed command printed, or its exit status."""
    last = (done.stderr or done.stdout or "").strip().splitlines()
    return last[-1] if last else f"exit status {done.returncode}"


def _ip(*args: str) -> None:
    done = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=20)
    if done.returncode != 0:
        raise OSError(f"`ip {' '.join(args)}` failed: {_why(done)}")


def link_up(ns: str, device: str = "lo") -> None:
    """``ip -n NS link set DEVICE up``: bring an interface of a lab namespace up.

    >>> with namespace("demo", lo_up=False) as ns:  # doctest: +SKIP
    ...     link_up(ns, "lo")

    Introduced in notebooks/03-bind-address.ipynb.
    """
    _ip("-n", ns, "link", "set", device, "up")


def _delete(name: str) -> None:
    subprocess.run(["ip", "netns", "delete", name], capture_output=True, timeout=20)
    with _live_lock:
        _live.discard(name)


def _delete_all() -> None:
    with _live_lock:
        names = list(_live)
    for name in names:
        _delete(name)


def _on_sigterm(previous):
    def handler(signum, frame):
        _delete_all()
        signal.signal(signal.SIGTERM, previous)
        if callable(previous):
            previous(signum, frame)
        elif previous == signal.SIG_DFL:
            raise SystemExit(128 + signum)  # unwinds the `with` blocks: children killed
    return handler


def _install_hooks() -> None:
    """atexit and SIGTERM teardown, installed when the first namespace is made."""
    global _hooks_installed
    if _hooks_installed:
        return
    _hooks_installed = True
    atexit.register(_delete_all)
    if threading.current_thread() is threading.main_thread():
        previous = signal.getsignal(signal.SIGTERM)
        if previous is not None:  # None: installed from C, leave it alone
            signal.signal(signal.SIGTERM, _on_sigterm(previous))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def reap_stale() -> list[str]:
    """Delete ``loopedu-`` namespaces whose creating process is gone; return their names.

    Namespaces of running processes (another notebook, a parallel test) are left alone.

    >>> reap_stale()  # doctest: +SKIP
    []

    Introduced in notebooks/03-bind-address.ipynb.
    """
    if lab_unavailable_reason():
        return []
    done = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, timeout=20)
    reaped = []
    for line in done.stdout.splitlines():
        name = line.split()[0] if line.strip() else ""
        match = _NAME.fullmatch(name)
        if match and not _pid_alive(int(match["pid"])):
            _delete(name)
            reaped.append(name)
    return reaped


@contextmanager
def namespace(purpose: str, lo_up: bool = True) -> Iterator[str]:
    """A fresh network namespace ``loopedu-<purpose>-<pid>-<random>``; yields its name
    and deletes it when the block ends, whatever ends it.

    Raises :class:`LabUnavailable` where namespaces cannot be made.

    >>> with namespace("demo") as ns:  # doctest: +SKIP
    ...     call_in(ns, "loopedu.servers:connect_outcome", "127.0.0.1", 9)
    'refused'

    Introduced in notebooks/03-bind-address.ipynb.
    """
    if not re.fullmatch(r"[a-z0-9]+", purpose):
        raise ValueError(f"purpose must be lower-case letters and digits, not {purpose!r}")
    why = lab_unavailable_reason()
    if why:
        raise LabUnavailable(why)
    _install_hooks()
    reap_stale()
    name = f"{NETNS_PREFIX}{purpose}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    with _live_lock:
        _live.add(name)
    try:
        made = subprocess.run(["ip", "netns", "add", name], capture_output=True, text=True,
                              timeout=20)
        if made.returncode != 0:
            raise LabUnavailable(f"`ip netns add` failed: {_why(made)}")
        if lo_up:
            link_up(name, "lo")
        yield name
    finally:
        _delete(name)


def _child_command(ns: str, *args: str) -> list[str]:
    return ["ip", "netns", "exec", ns, sys.executable, "-m", "loopedu.netlab", *args]


def _child_env() -> dict:
    """The environment for a child: it imports this very copy of loopedu."""
    env = dict(os.environ)
    here = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (here, env.get("PYTHONPATH")) if p)
    return env


def _encode(obj):
    """JSON-ready: a dict with tuple keys becomes ``{"__pairs__": [[key, value], ...]}``."""
    if isinstance(obj, dict):
        if all(isinstance(k, str) for k in obj):
            return {k: _encode(v) for k, v in obj.items()}
        return {"__pairs__": [[list(k) if isinstance(k, tuple) else k, _encode(v)]
                              for k, v in obj.items()]}
    if isinstance(obj, (list, tuple)):
        return [_encode(v) for v in obj]
    return obj


def _decode(obj: dict):
    if set(obj) == {"__pairs__"}:
        return {tuple(k) if isinstance(k, list) else k: v for k, v in obj["__pairs__"]}
    return obj


def call_in(ns: str, func: str, *args, timeout: float = 60, **kwargs):
    """Call the loopedu function ``func`` (``"module:name"``) inside namespace ``ns``, in
    a child process, and return its result (which must be JSON-able).

    >>> with namespace("demo", lo_up=False) as ns:  # doctest: +SKIP
    ...     call_in(ns, "loopedu.servers:connect_outcome", "127.0.0.1", 9)
    'unreachable'

    Introduced in notebooks/03-bind-address.ipynb.
    """
    if not func.startswith("loopedu.") or ":" not in func:
        raise ValueError(f"call_in runs loopedu functions ('loopedu.module:name'), not {func!r}")
    request = json.dumps({"func": func, "args": _encode(list(args)), "kwargs": _encode(kwargs)})
    done = subprocess.run(_child_command(ns, "call"), input=request, capture_output=True,
                          text=True, timeout=timeout, env=_child_env())
    if done.returncode != 0:
        raise OSError(f"{func} inside {ns} failed: {_why(done)}")
    return json.loads(done.stdout.strip().splitlines()[-1], object_hook=_decode)


def connect_all(pairs, timeout: float = 1.0) -> list[str]:
    """:func:`loopedu.servers.connect_outcome` for each ``(host, port)``, in order; only
    to addresses :func:`is_lab_safe` allows.

    >>> connect_all([("127.0.0.1", 9)])  # doctest: +SKIP
    ['refused']

    Introduced in notebooks/03-bind-address.ipynb.
    """
    for host, _ in pairs:
        if not is_lab_safe(host):
            raise ValueError(f"{host} is neither loopback nor a lab address")
    return [connect_outcome(host, port, timeout=timeout) for host, port in pairs]


@dataclass
class Lan:
    """Two namespaces on one virtual LAN (a veth pair named ``lan0`` on both sides)."""

    laptop: str
    phone: str
    ipv6: bool


@contextmanager
def lan() -> Iterator[Lan]:
    """A "laptop" and a "phone" namespace joined by a veth pair, ``lo`` up in both, with
    the addresses in :data:`LAPTOP` and :data:`PHONE`; everything removed on exit.

    ``Lan.ipv6`` is False when the IPv6 addresses could not be added (IPv6 disabled).

    >>> with lan() as net:  # doctest: +SKIP
    ...     call_in(net.phone, "loopedu.netlab:connect_all", [("198.18.0.1", 9)])
    ['refused']

    Introduced in notebooks/03-bind-address.ipynb.
    """
    with namespace("laptop") as laptop, namespace("phone") as phone:
        # created inside the laptop, its peer directly inside the phone: the host's own
        # interfaces are never touched
        _ip("-n", laptop, "link", "add", "lan0", "type", "veth", "peer", "name", "lan0",
            "netns", phone)
        ipv6 = True
        for ns, addrs in ((laptop, LAPTOP), (phone, PHONE)):
            _ip("-n", ns, "addr", "add", f"{addrs['ipv4']}/{_PREFIXLEN['ipv4']}", "dev", "lan0")
            try:  # nodad: usable at once, not "tentative" for a second or two
                _ip("-n", ns, "addr", "add", f"{addrs['ipv6']}/{_PREFIXLEN['ipv6']}",
                    "dev", "lan0", "nodad")
            except OSError:
                ipv6 = False
            link_up(ns, "lan0")
        yield Lan(laptop=laptop, phone=phone, ipv6=ipv6)


@dataclass
class LanResult:
    """What :func:`lan_lab` measured.

    ``reached``: bind address -> did the phone connect through the laptop's LAN address
    of the bind's family. ``attempts``: every connection tried, as dicts ``{"from",
    "bind", "target", "outcome"}`` (the laptop's own attempts to its loopback prove each
    server was up). ``server_saw``: bind -> the client addresses that server accepted.
    """

    reached: dict
    attempts: list
    server_saw: dict
    laptop: dict = field(default_factory=lambda: dict(LAPTOP))
    phone: dict = field(default_factory=lambda: dict(PHONE))

    def to_dict(self) -> dict:
        """Plain data, ready for json.dumps."""
        return asdict(self)


def _read_line(stream, timeout: float) -> bytes:
    """One line from a child's stdout pipe, waiting at most ``timeout`` seconds."""
    fd, data = stream.fileno(), b""
    while not data.endswith(b"\n"):
        ready, _, _ = select.select([fd], [], [], timeout)
        chunk = os.read(fd, 4096) if ready else b""
        if not chunk:
            break
        data += chunk
    return data


def lan_lab(binds=LAN_BINDS, timeout: float = 2.0) -> LanResult:
    """Start a server in the laptop on each bind address; let the phone connect to the
    laptop's LAN address (IPv4 for IPv4 binds, IPv6 for IPv6 binds, and IPv4 too for
    ``::``, which on Linux is dual stack); return a :class:`LanResult`.

    >>> lan_lab().reached  # doctest: +SKIP
    {'127.0.0.1': False, '0.0.0.0': True, '::1': False, '::': True}

    Introduced in notebooks/03-bind-address.ipynb.
    """
    binds = list(binds)
    with lan() as net, ExitStack() as stack:
        server = stack.enter_context(subprocess.Popen(
            _child_command(net.laptop, "serve", *binds), stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_child_env()))
        stack.callback(_stop, server)
        line = _read_line(server.stdout, timeout=30)
        if not line:
            raise OSError("the laptop's server did not start: "
                          + server.stderr.read().decode(errors="replace").strip()[-300:])
        ports = json.loads(line)
        plans = []  # (from, bind, target)
        for bind in binds:
            v6 = _family(bind) == "ipv6"
            plans.append(("laptop", bind, "::1" if v6 else "127.0.0.1"))
            if not v6 or net.ipv6:
                plans.append(("phone", bind, LAPTOP["ipv6" if v6 else "ipv4"]))
            if v6 and bind == "::":
                plans.append(("phone", bind, LAPTOP["ipv4"]))
        outcomes = {}
        for who in ("laptop", "phone"):
            mine = [p for p in plans if p[0] == who and isinstance(ports[p[1]], int)]
            got = call_in(getattr(net, who), "loopedu.netlab:connect_all",
                          [(target, ports[bind]) for _, bind, target in mine], timeout=timeout)
            outcomes.update(zip(mine, got))
        expected = {b: sum(1 for p, o in outcomes.items() if p[1] == b and o == "connected")
                    for b in binds}
        out, err = server.communicate(json.dumps(expected).encode(), timeout=30)
        if server.returncode != 0:
            raise OSError("the laptop's server failed: " + err.decode(errors="replace")[-300:])
        server_saw = json.loads(out.decode().strip().splitlines()[-1])
    attempts = [{"from": who, "bind": bind, "target": target,
                 "outcome": outcomes.get((who, bind, target), ports[bind])}
                for who, bind, target in plans]
    reached = {}
    for bind in binds:
        reached[bind] = outcomes.get(("phone", bind, LAPTOP[_family(bind)])) == "connected"
    return LanResult(reached=reached, attempts=attempts, server_saw=server_saw)


def _family(address: str) -> str:
    return "ipv6" if family_of(address) == socket.AF_INET6 else "ipv4"


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=10)


# ---- the child side: `python -m loopedu.netlab serve|call ...` inside a namespace ----

def _serve(hosts: list[str]) -> None:
    """Listen on each host (port 0); print {host: port or "bind failed: ERRNO"}; on a
    line {host: n} from stdin wait for n clients each, print {host: [peers]}; exit."""
    from .servers import errno_name, listener

    with ExitStack() as stack:
        ports, servers = {}, {}
        for host in hosts:
            try:
                servers[host] = stack.enter_context(listener(host))
                ports[host] = servers[host].port
            except OSError as exc:
                ports[host] = f"bind failed: {errno_name(exc)}"
        print(json.dumps(ports), flush=True)
        request = sys.stdin.readline()
        expected = json.loads(request) if request.strip() else {}
        peers = {host: [p[0] for p in srv.wait_for_peers(expected.get(host, 0), timeout=2)]
                 for host, srv in servers.items()}
        print(json.dumps(peers), flush=True)


def _call() -> None:
    import importlib

    request = json.loads(sys.stdin.read(), object_hook=_decode)
    module, name = request["func"].split(":")
    func = getattr(importlib.import_module(module), name)
    print(json.dumps(_encode(func(*request["args"], **request["kwargs"]))), flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        _serve(sys.argv[2:])
    elif sys.argv[1:2] == ["call"]:
        _call()
    else:
        sys.exit("usage: python -m loopedu.netlab serve HOST... | call (JSON on stdin)")
