"""Network namespaces held by processes, and the command prefixes that enter them.

A network namespace is a private copy of the network stack: its own interfaces (starting
with a ``lo`` that is DOWN), routes, sysctls and sockets (network_namespaces(7)). Here
each one is *held* by a tiny process (``unshare --net`` running ``cat`` on a pipe from
this process): the namespace lives exactly as long as its holder, and the holder exits
as soon as the pipe closes, when the ``with`` block ends, after an exception, or when this
process dies, even by ``kill -9``. Nothing is left behind to clean up later.

Two mechanisms make them (user_namespaces(7)):

- ``root``: ``unshare --net``, as root;
- ``user namespace``: without root, ``unshare --user --map-root-user --net`` makes a user
  namespace in which this user is root, and more network namespaces inside it. This is
  allowed by default on most desktop Linux distributions.

Code runs inside with ``nsenter --target PID --net`` (plus ``--user
--preserve-credentials`` for the second mechanism) in front of the command.

This module makes namespaces without asking whether the machine allows it: the doctor's
measurement uses it. Lessons use :mod:`loopedu.sandbox.namespaces`, which asks first.

Introduced in notebooks/03-bind-address.ipynb.
"""

from __future__ import annotations

import os
import select
import subprocess
import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field

from ..listen_guard import NETNS_MARK, netns_identity
from . import children
from .tools import ROOT, USER, find_tool, last_line, run

__all__ = ["NamespaceUnavailable", "Namespace", "open_namespaces", "NAME_PREFIX", "NFT_MISSING",
           "mount_prefix", "hosts_prefix"]

#: Every namespace the course makes is named ``loopedu-<purpose>-<pid>-<random>``.
NAME_PREFIX = "loopedu-"
_HOLD = ["sh", "-c", "echo ready && exec cat >/dev/null"]
#: Why a firewall rule was not applied where nft is missing.
NFT_MISSING = "not run: nft not installed (Debian: apt-get install nftables)"


class NamespaceUnavailable(RuntimeError):
    """This machine cannot make the namespace asked for; the message says why."""


def _tool(name: str) -> str:
    path = find_tool(name)
    if path is None:
        raise NamespaceUnavailable(f"the `{name}` command is not installed (Debian and "
                                   "Ubuntu: util-linux and iproute2)")
    return path


def _release(proc: subprocess.Popen) -> None:
    """Close a holder's pipe (it exits, and its namespace with it) and reap it."""
    for pipe in (proc.stdin, proc.stdout, proc.stderr):
        try:
            pipe.close()
        except OSError:
            pass
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def _hold(cmd: list[str], stack: ExitStack, timeout: float = 10) -> subprocess.Popen:
    """Start a holder behind ``cmd`` and wait until it runs inside its namespace."""
    try:
        proc = subprocess.Popen(cmd + _HOLD, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
    except OSError as exc:
        raise NamespaceUnavailable(f"`{cmd[0]}` could not run: {exc}") from None
    stack.callback(_release, proc)
    ready = select.select([proc.stdout], [], [], timeout)[0]
    if not ready or proc.stdout.readline().strip() != b"ready":
        proc.kill()
        proc.wait(timeout=10)
        why = proc.stderr.read().decode(errors="replace").strip().splitlines()
        raise NamespaceUnavailable(f"`{' '.join(os.path.basename(c) for c in cmd)}` "
                                   f"failed: {why[-1] if why else 'no answer'}")
    return proc


@dataclass(eq=False)
class Namespace:
    """One network namespace the course made (see :func:`open_namespaces`); ``identity``
    is the namespace's ``net:[INODE]``, the mark its programs carry."""

    name: str
    pid: int
    mechanism: str
    identity: str
    _nsenter: str = field(repr=False, default="nsenter")
    _env: str = field(repr=False, default="env")
    _ip: str | None = field(repr=False, default=None)

    def prefix(self) -> list[str]:
        """The command prefix that runs a program inside this namespace, marked with
        ``LOOPEDU_NETNS`` (:data:`loopedu.listen_guard.NETNS_MARK`) so the course's listen
        guard knows it runs in a namespace the course made."""
        cmd = [self._nsenter, "--target", str(self.pid)]
        if self.mechanism == USER:
            cmd += ["--user", "--preserve-credentials"]
        return cmd + ["--net", "--", self._env, f"{NETNS_MARK}={self.identity}"]

    def run(self, *cmd: str, timeout: float = 20) -> subprocess.CompletedProcess:
        """Run a command inside; returns the completed process (never raises)."""
        return run(self.prefix() + list(cmd), timeout=timeout)

    def ip(self, *args: str) -> None:
        """``ip ARGS`` inside this namespace; raises OSError with ip's message."""
        if self._ip is None:
            self._ip = _tool("ip")
        done = self.run(self._ip, *args)
        if done.returncode != 0:
            raise OSError(f"`ip {' '.join(args)}` in {self.name} failed: {last_line(done)}")

    def veth(self, name: str, peer: "Namespace", peer_name: str, address: str,
             peer_address: str, prefixlen: int = 24) -> None:
        """Cable this namespace to ``peer``: a veth pair, ``name`` here with ``address``,
        ``peer_name`` there with ``peer_address`` (both ``/prefixlen``), both up."""
        self.ip("link", "add", name, "type", "veth", "peer", "name", peer_name,
                "netns", str(peer.pid))
        for ns, link, addr in ((self, name, address), (peer, peer_name, peer_address)):
            ns.ip("addr", "add", f"{addr}/{prefixlen}", "dev", link)
            ns.ip("link", "set", link, "up")

    def read_sysctl(self, key: str) -> str | None:
        """A network sysctl of this namespace (``net.ipv4.conf.lan0.rp_filter``), None
        where there is no such setting."""
        done = self.run("cat", "/proc/sys/" + key.replace(".", "/"))
        return done.stdout.strip() if done.returncode == 0 else None

    def set_sysctl(self, key: str, value) -> None:
        """Set a network sysctl of this namespace only (``net.ipv4.conf.all.x``)."""
        if not key.startswith("net."):
            raise ValueError(f"only network sysctls belong to a namespace, not {key!r}")
        path = "/proc/sys/" + key.replace(".", "/")
        done = self.run("sh", "-c", 'printf "%s\\n" "$1" > "$2"', "sh", str(value), path)
        if done.returncode != 0:
            raise OSError(f"setting {key}={value} in {self.name} failed: {last_line(done)}")

    def nft(self, *commands) -> str:
        """Apply nft commands (each a sequence of words, ``("add", "table", "inet",
        "t")``) inside this namespace only, in order; ``""`` when all were applied,
        otherwise why not (``"not run: ..."``), and the later ones are not tried."""
        nft = find_tool("nft")
        if nft is None:
            return NFT_MISSING
        for cmd in commands:
            done = self.run(nft, *cmd)
            if done.returncode != 0:
                return f"not run: `nft {' '.join(cmd)}` failed: {last_line(done)}"
        return ""

    def call(self, func: str, *args, timeout: float = 60, **kwargs):
        """Run the loopedu function ``func`` (``"loopedu.module:name"``) inside, in a
        child process, and return its result (see :mod:`loopedu.sandbox.children`)."""
        return children.call(self.prefix(), func, *args, timeout=timeout, **kwargs)

    def start(self, func: str, *args, **kwargs) -> children.Child:
        """Start the loopedu service ``func`` inside (see :func:`children.start`)."""
        return children.start(self.prefix(), func, *args, **kwargs)


def _identity(pid: int) -> str:
    identity = netns_identity(pid)
    if identity is None:
        raise NamespaceUnavailable(f"the network namespace of process {pid} cannot be "
                                   "read in /proc")
    return identity


def open_namespaces(purposes, mechanism: str, stack: ExitStack,
                    lo_up: bool = True) -> list[Namespace]:
    """Make one namespace per purpose, by ``mechanism`` (``ROOT`` or ``USER``), all in one
    user namespace so a veth pair can join them; ``stack`` removes them. Raises
    :class:`NamespaceUnavailable` when the machine refuses.

    Introduced in notebooks/03-bind-address.ipynb.
    """
    unshare, nsenter = _tool("unshare"), _tool("nsenter")
    if mechanism not in (ROOT, USER):
        raise ValueError(f"mechanism must be {ROOT!r} or {USER!r}, not {mechanism!r}")
    holders = []
    for index, _ in enumerate(purposes):
        if mechanism == ROOT:
            cmd = [unshare, "--net", "--"]
        elif index == 0:
            cmd = [unshare, "--user", "--map-root-user", "--net", "--"]
        else:
            cmd = [nsenter, "--target", str(holders[0].pid), "--user",
                   "--preserve-credentials", "--", unshare, "--net", "--"]
        holders.append(_hold(cmd, stack))
    env = _tool("env")
    made = [Namespace(f"{NAME_PREFIX}{purpose}-{os.getpid()}-{uuid.uuid4().hex[:6]}",
                      proc.pid, mechanism, _identity(proc.pid), nsenter, env)
            for purpose, proc in zip(purposes, holders)]
    if lo_up:
        for ns in made:
            ns.ip("link", "set", "lo", "up")
    return made


_SWAP_HOSTS = ('mount --bind "$1" /etc/hosts && mount --bind "$2" /etc/nsswitch.conf '
               '&& shift 2 && exec "$@"')


def mount_prefix(mechanism: str, inside: Namespace | None = None) -> list[str]:
    """The command prefix that runs a program in a private mount namespace (optionally
    inside namespace ``inside``), where it may bind-mount files over system files
    without anyone else seeing them; the mounts vanish with the program.

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    unshare = _tool("unshare")
    if inside is not None:
        prefix, user = inside.prefix(), []   # already root inside its user namespace
    else:
        prefix, user = [], (["--user", "--map-root-user"] if mechanism == USER else [])
    return prefix + [unshare, *user, "--mount", "--propagation", "private"]


def hosts_prefix(hosts_path: str, nsswitch_path: str, mechanism: str,
                 inside: Namespace | None = None) -> list[str]:
    """The command prefix that runs a program with ``hosts_path`` as its /etc/hosts and
    ``nsswitch_path`` as its /etc/nsswitch.conf (see :func:`mount_prefix`); the real
    files are never written.

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    return mount_prefix(mechanism, inside) + ["sh", "-c", _SWAP_HOSTS, "sh", hosts_path,
                                              nsswitch_path]
