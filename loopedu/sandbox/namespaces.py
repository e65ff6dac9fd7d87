"""Namespaces for the lessons: asked for by purpose, made the way this machine allows,
always removed.

- :func:`namespaces` / :func:`namespace`: fresh network namespaces (lesson 03's virtual
  LAN, a loopback that is down, an isolated experiment);
- :func:`isolated_call`: run an experiment in a namespace that has only ``lo`` and the
  same IPv6 settings as this machine, so that a listener on 0.0.0.0 or ``::`` is never
  reachable from the network; on a machine that makes no namespaces, run it here with
  its listeners beyond loopback refused unless the learner passes ``expose=True``;
- :func:`private_hosts` / :func:`call_with_hosts`: a child process with its own
  /etc/hosts (lesson 02), the real file untouched;
- :func:`reap_stale`: delete ``loopedu-`` namespaces that earlier versions of the course
  named with ``ip netns add`` and a killed run left behind.

Each raises :class:`NamespaceUnavailable` (with the doctor's reason) where the machine
does not allow it.

Introduced in notebooks/03-bind-address.ipynb.
"""

from __future__ import annotations

import os
import re
import tempfile
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from . import children
from .capabilities import capabilities
from .holders import (
    NAME_PREFIX,
    Namespace,
    NamespaceUnavailable,
    hosts_prefix,
    mount_prefix,
    open_namespaces,
)
from .tools import ROOT, find_tool, pid_alive, run

__all__ = ["namespace", "namespaces", "Isolated", "isolated_call", "mirror_host",
           "private_mount", "private_hosts", "HostsPrefix", "host_sysctl",
           "call_with_hosts", "reap_stale", "NamespaceUnavailable", "Namespace"]

_PURPOSE = re.compile(r"[a-z0-9]+")
_reaped: list[bool] = []


@contextmanager
def namespaces(*purposes: str, lo_up: bool = True) -> Iterator[tuple[Namespace, ...]]:
    """Fresh network namespaces, one per purpose, in one user namespace (so a veth pair
    can join them); all removed when the block ends, whatever ends it. For example,
    ``laptop.ip("link", "add", "lan0", "type", "veth", "peer", "name", "lan0", "netns",
    str(phone.pid))`` cables two of them together (see :mod:`loopedu.lan`).

    Introduced in notebooks/03-bind-address.ipynb.
    """
    for purpose in purposes:
        if not _PURPOSE.fullmatch(purpose):
            raise ValueError(f"purpose must be lower-case letters and digits, not {purpose!r}")
    can = capabilities().network_namespaces
    if not can:
        raise NamespaceUnavailable(can.reason)
    if can.mechanism == ROOT and not _reaped:
        _reaped.append(True)
        reap_stale()
    with ExitStack() as stack:
        yield tuple(open_namespaces(purposes, can.mechanism, stack, lo_up=lo_up))


@contextmanager
def namespace(purpose: str, lo_up: bool = True) -> Iterator[Namespace]:
    """One fresh network namespace (see :func:`namespaces`); ``lo`` is brought up unless
    ``lo_up=False`` (a fresh namespace starts with ``lo`` DOWN).

    Introduced in notebooks/03-bind-address.ipynb.
    """
    with namespaces(purpose, lo_up=lo_up) as (ns,):
        yield ns


_MIRRORED = ("net.ipv6.conf.all.disable_ipv6", "net.ipv6.conf.default.disable_ipv6",
             "net.ipv6.conf.lo.disable_ipv6", "net.ipv6.bindv6only")


def host_sysctl(key: str) -> str | None:
    """This machine's value of the sysctl ``key`` (``net.ipv4.conf.all.route_localnet``),
    None where there is no such setting (not Linux, or no such key).

    >>> host_sysctl("no.such.setting") is None
    True

    Introduced in notebooks/popular-claims.ipynb.
    """
    try:
        return Path("/proc/sys", *key.split(".")).read_text().strip()
    except OSError:
        return None


def mirror_host(ns: Namespace) -> None:
    """Give ``ns`` this machine's IPv6 switches (IPv6 disabled or not, dual stack by
    default or not), so an experiment inside behaves as it would here.

    Introduced in notebooks/03-bind-address.ipynb.
    """
    for key in _MIRRORED:
        value = host_sysctl(key)
        if value is not None:
            ns.set_sysctl(key, value)


@dataclass(frozen=True)
class Isolated:
    """What :func:`isolated_call` returned, and where it ran: ``isolated`` is True when
    it ran in a namespace of its own, unreachable from any network."""

    result: Any
    isolated: bool
    reason: str


#: How often :func:`isolated_call` tries to make its namespace before it gives up.
ATTEMPTS = 2


def isolated_call(func: str, *args, expose: bool = False, timeout: float = 60,
                  **kwargs) -> Isolated:
    """Run the loopedu function ``func`` (``"loopedu.module:name"``) as
    ``func(*args, **kwargs)`` in a fresh namespace with only ``lo`` (this machine's IPv6
    settings mirrored). Experiments that listen on 0.0.0.0 or ``::`` use it; every
    listener they open passes :func:`loopedu.listen_guard.check_listen`. ``expose=True``
    is passed on to ``func`` (which must then take it); ``expose=False`` is not.

    Where this machine makes no network namespaces (the doctor says why), it runs here
    instead, on this machine's own network: its listeners beyond loopback are then
    refused (the experiment marks those cases "not run") unless ``expose=True``, which
    opens them briefly and reports it. Where the machine does make namespaces but one
    fails to come up (a busy machine), it tries again, then raises
    :class:`NamespaceUnavailable`: it never falls back to this machine's network.

    >>> run = isolated_call("loopedu.reachability:measure_here", ["0.0.0.0"], ["127.0.0.2"])
    >>> rows, exposures = run.result
    >>> str(rows[0].outcome), exposures, run.isolated   # Linux with namespaces
    ('connected', (), True)

    Introduced in notebooks/03-bind-address.ipynb.
    """
    target = children.function(func)
    if expose:
        kwargs["expose"] = True
    can = capabilities().network_namespaces
    if not can:
        where = (f"ran on this machine's own network, listeners beyond loopback opened on "
                 f"purpose (expose=True), because {can.reason}" if expose else
                 f"ran on this machine's own network, loopback only, because {can.reason}"
                 "; expose=True would open the other listeners here briefly")
        return Isolated(target(*args, **kwargs), False, where)
    failures = []
    for _ in range(ATTEMPTS):
        try:
            with namespace("isolated") as ns:
                mirror_host(ns)
                result = ns.call(func, *args, timeout=timeout, **kwargs)
            return Isolated(result, True, "ran in a network namespace of its own, with only lo")
        except NamespaceUnavailable as exc:
            failures.append(str(exc))
    raise NamespaceUnavailable(
        f"this machine makes network namespaces, but {ATTEMPTS} tries to make one just "
        f"failed ({failures[-1]}); the machine may be busy: run the cell again in a moment")


def private_mount(inside: Namespace | None = None) -> list[str]:
    """A command prefix that runs a program in a private mount namespace of its own
    (optionally inside the namespace ``inside``), where it may bind-mount its own
    /etc/hosts, /etc/host.conf or /etc/gai.conf; nothing outside sees them.

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    can = capabilities().mount_namespaces
    if not can:
        raise NamespaceUnavailable(can.reason)
    return mount_prefix(can.mechanism, inside)


class HostsPrefix(list):
    """The command prefix :func:`private_hosts` yields (a list of words), with
    ``hosts_file``: the private file the program sees as /etc/hosts. It is bind-mounted,
    so an edit made in place (the same file rewritten, as ``Path.write_text`` does) is
    seen by a program already running; a file put in its place by rename is not."""

    hosts_file: Path


@contextmanager
def private_hosts(hosts_text: str | bytes, inside: Namespace | None = None
                  ) -> Iterator[HostsPrefix]:
    """A command prefix that runs a program whose /etc/hosts is ``hosts_text`` and whose
    nsswitch.conf says ``hosts: files`` (so nothing asks DNS); optionally inside the
    namespace ``inside``. The real /etc/hosts is never written. For example,
    ``prefix + ["getent", "hosts", "demo"]`` run with ``"127.0.0.1 demo\\n"`` prints
    ``127.0.0.1 demo``. The prefix's ``hosts_file`` is that private file
    (:class:`HostsPrefix`).

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    can = capabilities().mount_namespaces
    if not can:
        raise NamespaceUnavailable(can.reason)
    data = hosts_text.encode() if isinstance(hosts_text, str) else bytes(hosts_text)
    with tempfile.TemporaryDirectory(prefix="loopedu-hosts-") as tmp:
        hosts, nss = Path(tmp, "hosts"), Path(tmp, "nsswitch.conf")
        hosts.write_bytes(data)
        nss.write_text("hosts: files\n", encoding="ascii")
        prefix = HostsPrefix(hosts_prefix(str(hosts), str(nss), can.mechanism, inside))
        prefix.hosts_file = hosts
        yield prefix


def call_with_hosts(hosts_text: str | bytes, func: str, *args, inside: Namespace | None = None,
                    timeout: float = 30, **kwargs) -> Any:
    """Run the loopedu function ``func`` in a child whose /etc/hosts is ``hosts_text``
    (see :func:`private_hosts`) and return its result.

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    with private_hosts(hosts_text, inside) as prefix:
        return children.call(prefix, func, *args, timeout=timeout, **kwargs)


_STALE = re.compile(re.escape(NAME_PREFIX) + r"[a-z0-9-]+-(?P<pid>\d+)-[0-9a-f]+")


def reap_stale() -> list[str]:
    """Delete the ``loopedu-<purpose>-<pid>-<random>`` namespaces of ``ip netns list``
    whose process is gone (left by a killed run of an earlier version of the course,
    which named its namespaces); return the names of those deleted (one that ``ip netns
    delete`` failed to remove is not among them). Root only; others' are left alone.

    Introduced in notebooks/03-bind-address.ipynb.
    """
    ip = find_tool("ip")
    if ip is None or not hasattr(os, "geteuid") or os.geteuid() != 0:
        return []
    reaped = []
    for line in run([ip, "netns", "list"]).stdout.splitlines():
        name = line.split()[0] if line.strip() else ""
        match = _STALE.fullmatch(name)
        if match and not pid_alive(int(match["pid"])):
            if run([ip, "netns", "delete", name]).returncode == 0:
                reaped.append(name)
    return reaped
