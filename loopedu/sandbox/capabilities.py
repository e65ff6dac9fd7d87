"""What this machine allows, measured once per process.

Every value is measured, not assumed: ``ipv6_loopback`` binds and reaches ::1,
``whole_127_range`` binds and reaches 127.0.0.2, ``user_namespaces`` makes an
unprivileged user namespace, ``network_namespaces`` makes a namespace and a veth pair in
it (as root, or inside a user namespace), ``mount_namespaces`` gives a child a private
/etc/hosts and reads it back. Each capability says whether it is there, why (or why not),
and by which mechanism.

The first call measures (about a tenth of a second) and later calls reuse the answer.
Tests change the answer in this one place with :func:`assume`.

Introduced in notebooks/00-start-here.ipynb.
"""

from __future__ import annotations

import dataclasses
import os
import platform
import sys
import tempfile
import threading
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ..connections import EXPLAIN_ERRNO
from ..servers import probe
from .holders import NamespaceUnavailable, hosts_prefix, open_namespaces
from .tools import ROOT, USER, find_tool, last_line, run

__all__ = ["Capability", "Capabilities", "capabilities", "assume", "is_root", "ROOT", "USER"]


@dataclass(frozen=True)
class Capability:
    """One thing the machine can or cannot do, why, and how (``mechanism``: ``"root"``,
    ``"user namespace"`` or ``""``).

    >>> print(Capability(False, "network namespaces are a Linux feature"))
    no (network namespaces are a Linux feature)

    Introduced in notebooks/00-start-here.ipynb.
    """

    available: bool
    reason: str
    mechanism: str = ""

    def __bool__(self) -> bool:
        return self.available

    def __str__(self) -> str:
        how = {ROOT: ", as root", USER: ", without root, in a user namespace"}.get(
            self.mechanism, "") if self.available else ""
        return f"{'yes' if self.available else 'no'}{how} ({self.reason})"


@dataclass(frozen=True)
class Capabilities:
    """Everything :func:`capabilities` measured."""

    platform: str
    platform_release: str
    python: str
    root: bool
    ipv6_loopback: Capability
    whole_127_range: Capability
    user_namespaces: Capability
    network_namespaces: Capability
    mount_namespaces: Capability


def is_root() -> bool:
    """True when this process runs as the superuser (Windows: an elevated prompt).

    Introduced in notebooks/00-start-here.ipynb.
    """
    geteuid = getattr(os, "geteuid", None)
    if geteuid is not None:
        return geteuid() == 0
    try:  # Windows: an elevated prompt is the nearest equivalent
        import ctypes
        return bool(ctypes.windll.shell32.IsUserAnAdmin())  # type: ignore[attr-defined]
    except Exception:
        return False


def _loopback(address: str) -> Capability:
    result = probe(address)
    if result.reached:
        return Capability(True, f"bound and reached {address}")
    if result.bind != "ok":
        explain = EXPLAIN_ERRNO.get(result.bind)
        return Capability(False, f"binding {address} failed with {result.bind}"
                                 + (f": {explain}" if explain else ""))
    return Capability(False, f"bound {address} but connecting gave '{result.connect}'")


def _linux_only(what: str) -> Capability | None:
    if not sys.platform.startswith("linux"):
        return Capability(False, f"{what} are a Linux feature and this is {sys.platform}")
    return None


def _setting(path: str) -> str | None:
    """A kernel setting under /proc/sys, None where there is no such file."""
    try:
        return Path(path).read_text().strip()
    except OSError:
        return None


def _refused(said: str) -> str:
    """Why ``unshare --user`` failed (``said``: its last line), as one sentence that says
    what to do. The kernel's own switches are read first; then the error: ENOSPC is the
    user-namespace limit (user_namespaces(7)), EPERM a policy (a container's seccomp
    filter, a hardened kernel), EINVAL a kernel built without them."""
    limit = _setting("/proc/sys/user/max_user_namespaces")
    instead = "; or run the course as root"
    if limit == "0":
        return ("user namespaces are switched off here: the limit user.max_user_namespaces "
                "is 0. An administrator allows them with `sudo sysctl -w "
                "user.max_user_namespaces=15000`" + instead)
    if _setting("/proc/sys/kernel/unprivileged_userns_clone") == "0":
        return ("this kernel gives user namespaces to root only: "
                "kernel.unprivileged_userns_clone is 0. An administrator allows them with "
                "`sudo sysctl -w kernel.unprivileged_userns_clone=1`" + instead)
    if _setting("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") == "1":
        return ("AppArmor leaves an ordinary user powerless in a user namespace here: "
                "kernel.apparmor_restrict_unprivileged_userns is 1. An administrator lifts "
                "it with `sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`"
                + instead)
    if "No space left on device" in said:
        return (f"the limit on user namespaces is reached: unshare got ENOSPC, which the "
                f"kernel gives when this user already has user.max_user_namespaces of them "
                f"(here {limit}) or they are nested 32 deep. Close other containers or "
                "sandboxes, or ask an administrator to raise user.max_user_namespaces"
                + instead)
    if "Operation not permitted" in said:
        return ("user namespaces are not permitted to ordinary users here, as in most "
                "containers and on some hardened kernels: unshare got EPERM. Ask the "
                "administrator to allow unprivileged user namespaces" + instead)
    if "Invalid argument" in said:
        return "this kernel was built without user namespaces: unshare got EINVAL. Run " \
               "the course as root"
    return f"unshare --user failed here, saying: {said}. Run the course as root"


def _user_namespaces() -> Capability:
    unshare = find_tool("unshare")
    if unshare is None:
        return Capability(False, "the `unshare` command is not installed: install "
                                 "util-linux, or run the course as root")
    done = run([unshare, "--user", "--map-root-user", "--net", "true"], timeout=10)
    if done.returncode != 0:
        return Capability(False, _refused(last_line(done)))
    return Capability(True, "unshare --user --map-root-user works")


#: Why a namespace capability is missing for an ordinary user without user namespaces:
#: the cause itself is said once, by the user_namespaces capability.
_SEE_USERS = "and user namespaces are not available: see the user_namespaces line of " \
             "`loopedu doctor`"


def _network_namespaces(root: bool, users: Capability) -> Capability:
    mechanism = ROOT if root else USER
    if not root and not users:
        return Capability(False, f"without root, network namespaces are made inside a "
                                 f"user namespace, {_SEE_USERS}")
    try:
        with ExitStack() as stack:
            ns, = open_namespaces(["doctor"], mechanism, stack)
            ns.ip("link", "add", "probe0", "type", "veth", "peer", "name", "probe1")
    except (NamespaceUnavailable, OSError) as exc:
        return Capability(False, str(exc))
    return Capability(True, "made a namespace and a veth pair in it", mechanism)


def _mount_namespaces(root: bool, users: Capability) -> Capability:
    mechanism = ROOT if root else USER
    if not root and not users:
        return Capability(False, f"without root, a private /etc/hosts is mounted inside "
                                 f"a user namespace, {_SEE_USERS}")
    marker = f"127.0.0.1 loopedu-probe-{os.getpid()}\n"
    try:
        with tempfile.TemporaryDirectory(prefix="loopedu-doctor-") as tmp:
            hosts, nss = Path(tmp, "hosts"), Path(tmp, "nsswitch.conf")
            hosts.write_text(marker)
            nss.write_text("hosts: files\n")
            done = run(hosts_prefix(str(hosts), str(nss), mechanism) + ["cat", "/etc/hosts"],
                       timeout=10)
    except (NamespaceUnavailable, OSError) as exc:
        return Capability(False, str(exc))
    if done.returncode != 0 or done.stdout != marker:
        return Capability(False, f"a private /etc/hosts could not be mounted "
                                 f"({last_line(done)})")
    return Capability(True, "gave a child a private /etc/hosts with unshare --mount",
                      mechanism)


def _measure() -> Capabilities:
    root = is_root()
    linux_only = _linux_only("namespaces")
    users = linux_only or _user_namespaces()
    return Capabilities(
        platform=platform.system() or sys.platform,
        platform_release=platform.release(),
        python=platform.python_version(),
        root=root,
        ipv6_loopback=_loopback("::1"),
        whole_127_range=_loopback("127.0.0.2"),
        user_namespaces=users,
        network_namespaces=linux_only or _network_namespaces(root, users),
        mount_namespaces=linux_only or _mount_namespaces(root, users),
    )


_lock = threading.Lock()
_measured: list[Capabilities] = []
_assumed: list[dict] = []


def capabilities(refresh: bool = False) -> Capabilities:
    """What this machine allows (measured on the first call, then remembered; pass
    ``refresh=True`` to measure again).

    >>> capabilities() is capabilities()   # measured once, then remembered
    True

    Shown by the report in notebooks/00-start-here.ipynb; first called in
    notebooks/01-loopback-range.ipynb.
    """
    with _lock:
        if refresh or not _measured:
            _measured[:] = [_measure()]
        caps = _measured[0]
        for changes in _assumed:
            caps = dataclasses.replace(caps, **changes)
        return caps


@contextmanager
def assume(**changes) -> Iterator[Capabilities]:
    """For tests: pretend this machine has (or lacks) some capabilities inside the
    ``with`` block, e.g. ``assume(network_namespaces=Capability(False, "no netns"))``.

    >>> with assume(root=False, ipv6_loopback=Capability(False, "IPv6 off")):
    ...     capabilities().ipv6_loopback.available
    False

    Introduced in notebooks/00-start-here.ipynb.
    """
    unknown = set(changes) - {f.name for f in dataclasses.fields(Capabilities)}
    if unknown:
        raise TypeError(f"no such capability: {', '.join(sorted(unknown))}")
    with _lock:
        _assumed.append(changes)
    try:
        yield capabilities()
    finally:
        with _lock:
            _assumed.remove(changes)
