"""``localhost`` is a name: the resolver's path to it, the model beside the real
resolver, and the ::1-first trap.

What glibc answers from a hosts file depends on one more file: /etc/host.conf. With
``multi on`` (as Debian and Ubuntu ship it) every matching hosts line answers; with
``multi off`` (glibc's built-in default) only the first does; the environment variable
``RESOLV_MULTI`` overrides the file (``resolv/res_hconf.c``,
``nss/nss_files/files-hosts.c``). The functions here say which setting they used.

Introduced in notebooks/02-localhost-is-a-name.ipynb.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

from .connections import connect_outcome, is_lab_safe
from .glibc.hostconf import HostConf
from .glibc.machine import Machine
from .hosts import parse
from .platforms import hosts_file_path
from .sandbox import NamespaceUnavailable, call_with_hosts, capabilities, children, private_hosts
from .sandbox.children import ChildError
from .sandbox.recordings import Provenance, load_recording, measured_or_recorded, save_recording
from .servers import listener

__all__ = ["nsswitch_hosts", "TRAP_HOSTS", "FAMILIES", "addresses_of", "multi_here",
           "addresses_with_multi", "ResolveTable", "resolve_table", "resolve_report",
           "ResolverRow", "compare_with_resolver", "Trap", "trap_here", "localhost_trap",
           "EDIT_NAME", "EDIT_BEFORE", "EDIT_AFTER", "HOSTS_EDIT_RECORDING", "HostsEdit",
           "resolve_twice", "hosts_edit_details", "recorded_hosts_edit", "hosts_edit_demo",
           "record"]

#: The hosts file of the trap: the localhost lines Debian's installer writes, IPv4 first.
TRAP_HOSTS = "127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n"

#: The three getaddrinfo families the lesson compares, by name.
FAMILIES = {"AF_UNSPEC": socket.AF_UNSPEC, "AF_INET": socket.AF_INET,
            "AF_INET6": socket.AF_INET6}


def nsswitch_hosts(path: str = "/etc/nsswitch.conf") -> list[str]:
    """The sources of the ``hosts:`` line of nsswitch.conf, in the order glibc asks them.

    Returns ``[]`` when the file or the line is missing (glibc then uses its built-in
    default, ``dns [!UNAVAIL=return] files``; see nsswitch.conf(5)); ``[action]`` items
    such as ``[NOTFOUND=return]`` are kept, so the learner sees them.

    >>> nsswitch_hosts("/nonexistent")
    []

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("hosts:"):
            return line[len("hosts:"):].split()
    return []


def addresses_of(name: str = "localhost", family: str = "AF_UNSPEC") -> list[str]:
    """What this process's getaddrinfo returns for ``name`` (``family`` by name), in
    order, duplicates kept; ``[]`` when the name does not resolve.

    >>> "127.0.0.1" in addresses_of("localhost", "AF_INET")
    True

    Introduced in notebooks/00-start-here.ipynb.
    """
    try:
        infos = socket.getaddrinfo(name, None, FAMILIES[family], socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return []
    return [info[4][0] for info in infos]


def multi_here() -> bool:
    """What glibc in this process reads from /etc/host.conf (and ``RESOLV_MULTI``):
    True for ``multi on``, every matching hosts line answers; False, only the first.

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    return HostConf.from_system().multi


def addresses_with_multi(name: str, family: str, multi: bool) -> list[str]:
    """:func:`addresses_of` with host.conf's ``multi`` set by ``RESOLV_MULTI``.

    Only for a fresh child process (``sandbox.call_with_hosts``): glibc reads host.conf
    and ``RESOLV_MULTI`` once per process, at its first lookup, so in a process that has
    already resolved a name the setting would be ignored. The variable is removed again
    afterwards.

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    before = os.environ.get("RESOLV_MULTI")
    os.environ["RESOLV_MULTI"] = "on" if multi else "off"
    try:
        return addresses_of(name, family)
    finally:
        if before is None:
            del os.environ["RESOLV_MULTI"]
        else:
            os.environ["RESOLV_MULTI"] = before


@dataclass(frozen=True)
class ResolveTable:
    """What the resolver model answers from a hosts text: ``answers[(name,
    family_name)]`` is a list of addresses (or why the name is not valid), ``problems``
    the lines glibc skips or reads differently, ``multi`` the host.conf setting used."""

    answers: dict
    problems: tuple
    multi: bool = True


def resolve_table(hosts_text, names=("localhost",), multi: bool | None = None) -> ResolveTable:
    """The model's answer for each name and family from ``hosts_text``, with host.conf
    ``multi`` as given (``None``: as this machine's /etc/host.conf says).

    >>> debian = "127.0.0.1 localhost\\n::1 localhost\\n"
    >>> resolve_table(debian, multi=True).answers[("localhost", "AF_INET")]
    ['127.0.0.1', '127.0.0.1']
    >>> resolve_table(debian, multi=False).answers[("localhost", "AF_INET")]
    ['127.0.0.1']

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    parsed = parse(hosts_text)
    machine = Machine(host_conf=None if multi is None else HostConf(multi=multi))
    answers = {}
    for name in names:
        for fam_name, fam in FAMILIES.items():
            try:
                answers[(name, fam_name)] = parsed.lookup(name, fam, machine=machine)
            except (UnicodeError, ValueError) as exc:
                answers[(name, fam_name)] = f"not a valid name: {exc}"
    return ResolveTable(answers, tuple(parsed.problems), machine.host_conf.multi)


def resolve_report(hosts_text: str, names: str = "localhost") -> str:
    """:func:`resolve_table` as text, for the sandbox widget; never raises.

    ``names`` is one string of names separated by spaces or commas.

    >>> print(resolve_report("127.0.0.1 localhost\\n::1 localhost\\n"))  # doctest: +ELLIPSIS
    localhost
      AF_UNSPEC -> ...

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    wanted = [n for n in names.replace(",", " ").split() if n] or ["localhost"]
    try:
        table = resolve_table(hosts_text, wanted)
    except Exception as exc:  # the sandbox must answer, whatever is typed
        return f"Could not read that hosts text: {type(exc).__name__}: {exc}"
    lines = []
    for name in wanted:
        lines.append(name)
        for fam_name in FAMILIES:
            got = table.answers[(name, fam_name)]
            shown = ", ".join(got) if isinstance(got, list) else got
            lines.append(f"  {fam_name:<9} -> {shown or '(nothing: the name does not resolve)'}")
    if table.problems:
        lines.append("")
        lines.append("Lines glibc skips or reads differently:")
        for p in table.problems:
            lines.append(f"  line {p.line}: {p.reason}")
    lines.append("")
    lines.append("(glibc's rules, with multi " + ("on" if table.multi else "off")
                 + " as this machine's /etc/host.conf says: "
                 + ("every matching line answers)" if table.multi
                    else "only the first matching line answers)"))
    return "\n".join(lines)


@dataclass(frozen=True)
class ResolverRow:
    """One (name, family): the real resolver's answer (or why it was not asked), the
    model's prediction from the hosts file, and whether they agree (None: not asked)."""

    name: str
    family: str
    real: object
    model: object
    same: bool | None


def _not_asked(sources: list[str]) -> str:
    if sources[:1] != ["files"]:
        return "not asked: hosts is not the first source"
    rest = " ".join(s for s in sources if s != "files") or "none"
    return f"not asked: the next source would be {rest}"


def compare_with_resolver(path: str | None = None, names=("localhost",)) -> list[ResolverRow]:
    """This machine's real getaddrinfo beside the model's prediction from its hosts file.

    The real resolver is asked only where the hosts file answers and comes first in
    nsswitch.conf, so no query ever leaves the machine. Both use this machine's
    /etc/host.conf and /etc/gai.conf. They can still differ: this may not be glibc
    (macOS, Windows, musl), or an nsswitch.conf action such as ``[SUCCESS=continue]``
    lets a later source add answers.

    >>> rows = compare_with_resolver()
    >>> (rows[0].name, rows[0].family)
    ('localhost', 'AF_UNSPEC')

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    path = path or hosts_file_path()
    try:
        model = resolve_table(Path(path).read_bytes(), names).answers
        unreadable = None
    except OSError as exc:
        model, unreadable = {}, f"{path} could not be read: {exc}"
    sources = nsswitch_hosts() if sys.platform.startswith("linux") else ["files"]
    rows = []
    for name in names:
        for fam_name, fam in FAMILIES.items():
            predicted = model.get((name, fam_name), unreadable)
            if sources[:1] != ["files"] or not predicted or isinstance(predicted, str):
                # the hosts file would not answer first: the lookup would go on to DNS,
                # a query leaving this machine, which the course never sends
                rows.append(ResolverRow(name, fam_name, _not_asked(sources), predicted, None))
                continue
            try:
                real = [i[4][0] for i in socket.getaddrinfo(name, None, fam,
                                                            socket.SOCK_STREAM)]
            except (socket.gaierror, UnicodeError) as exc:
                real = f"error: {exc}"
            rows.append(ResolverRow(name, fam_name, real, predicted, real == predicted))
    return rows


@dataclass(frozen=True)
class Trap:
    """The ::1-first trap: a server on 127.0.0.1 only; ``localhost`` resolved
    (``resolved``, in order); a client trying only the first address
    (``first_only``), and one trying each in turn as ``socket.create_connection`` does
    (``create_connection``, and the address that answered). ``mode`` says how the order
    was obtained (see :func:`localhost_trap`), ``why_model`` why a live run was not
    possible, ``multi`` the /etc/host.conf setting the resolver ran with (None where the
    resolver is not glibc's)."""

    mode: str
    resolved: tuple
    first_only: str | None
    create_connection: str
    create_connection_used: str | None
    attempts: tuple = ()
    server: str = "127.0.0.1"
    why_model: str = ""
    multi: bool | None = None


def _connect_both_ways(resolved, port: int, timeout: float, mode: str) -> Trap:
    """Connect to the first address only, then to each in turn as create_connection does."""
    def attempt(address: str) -> str:
        if not is_lab_safe(address):
            return "not tried: not a loopback address"
        return connect_outcome(address, port, timeout)

    resolved = tuple(resolved)
    attempts, used, final = [], None, "failed: no addresses"
    for address in resolved:
        outcome = attempt(address)
        attempts.append((address, outcome))
        final = outcome
        if outcome == "connected":
            used = address
            break
    return Trap(mode, resolved, attempt(resolved[0]) if resolved else None, final, used,
                tuple(attempts))


def trap_here(timeout: float = 1.0, mode: str = "this machine") -> Trap:
    """Run the trap with this process's own resolver (a server on 127.0.0.1, port 0).

    >>> trap_here().create_connection
    'connected'

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    multi = multi_here() if sys.platform.startswith("linux") else None
    with listener("127.0.0.1") as srv:
        try:
            infos = socket.getaddrinfo("localhost", srv.port, socket.AF_UNSPEC,
                                       socket.SOCK_STREAM)
        except socket.gaierror as exc:
            return Trap(mode, (), None, f"failed: {exc}", None, multi=multi)
        trap = _connect_both_ways([info[4][0] for info in infos], srv.port, timeout, mode)
        return dataclasses.replace(trap, multi=multi)


def localhost_trap(hosts_text: str = TRAP_HOSTS, timeout: float = 1.0) -> Trap:
    """The ::1-first trap, live, by the best means this machine allows. ``mode`` says
    which was used:

    - ``"this machine"``: this machine's own resolver already puts ::1 first;
    - ``"private hosts file"``: a child process with ``hosts_text`` as its /etc/hosts
      (Linux, as root or in a user namespace; nothing on the real system changes);
    - ``"model"``: the order comes from :mod:`loopedu.hosts` (glibc's rules applied to
      ``hosts_text``), and the connections are still real.

    The resolver runs with this machine's /etc/host.conf (``multi``): with ``multi
    off`` and 127.0.0.1 listed first, glibc answers 127.0.0.1 alone and there is no trap.

    >>> localhost_trap().create_connection
    'connected'

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    here = trap_here(timeout)
    if here.resolved[:1] == ("::1",):
        return here
    can = capabilities().mount_namespaces
    why = can.reason
    if can:
        try:
            return call_with_hosts(hosts_text, "loopedu.localhost:trap_here", timeout,
                                   "private hosts file")
        except (NamespaceUnavailable, ChildError, OSError) as exc:
            why = str(exc)
    machine = Machine()
    resolved = parse(hosts_text).lookup("localhost", socket.AF_UNSPEC, machine=machine)
    with listener("127.0.0.1") as srv:
        trap = _connect_both_ways(resolved, srv.port, timeout, "model")
    return dataclasses.replace(trap, why_model=why, multi=machine.host_conf.multi)


# ---- an edit of the hosts file is seen by the very next lookup ----

#: The name the edit demo resolves, the hosts file it starts with, and the edited file.
EDIT_NAME = "myapp.test"
EDIT_BEFORE = f"127.0.0.1 {EDIT_NAME}\n"
EDIT_AFTER = f"127.0.0.2 {EDIT_NAME}\n"
#: The name of the recording (loopedu/data/hosts-edit-02-recorded.json).
HOSTS_EDIT_RECORDING = "hosts-edit-02"


@dataclass(frozen=True)
class HostsEdit(Provenance):
    """One process resolved ``name`` twice (``pids``: its process id at each lookup),
    its hosts file edited in between: ``before`` and ``after`` are the answers
    (AF_INET). ``mechanism`` is how the private hosts file was made (``"root"``,
    ``"user namespace"``) or ``"recorded"``
    (:class:`~loopedu.sandbox.recordings.Provenance`)."""

    name: str
    before: tuple
    after: tuple
    pids: tuple

    @property
    def seen(self) -> bool:
        """True when the second lookup, in the same process, gave the edited answer."""
        return len(set(self.pids)) == 1 and self.after != self.before


def resolve_twice(channel, name: str) -> tuple:
    """Run in a child with a private hosts file: resolve ``name`` (AF_INET), send
    ``(pid, addresses)``, wait for the parent, resolve again and return ``(pid,
    addresses)``.

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    channel.send((os.getpid(), tuple(addresses_of(name, "AF_INET"))))
    channel.receive()
    return os.getpid(), tuple(addresses_of(name, "AF_INET"))


def hosts_edit_details(before: str = EDIT_BEFORE, after: str = EDIT_AFTER,
                       name: str = EDIT_NAME) -> HostsEdit:
    """Does glibc cache what it read from /etc/hosts? One child process with a private
    hosts file (``before``) resolves ``name``; the file is then rewritten in place
    (``after``) and the same process resolves it again. glibc's files backend opens and
    reads the file at each lookup (``nss/nss_files/files-hosts.c``), so the second
    answer is the edited one, with no restart; caching needs a daemon such as nscd or
    systemd-resolved. Raises :class:`loopedu.sandbox.NamespaceUnavailable` where a
    private hosts file cannot be made (Linux, as root or in a user namespace).

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    with private_hosts(before) as prefix, \
            children.start(prefix, "loopedu.localhost:resolve_twice", name) as child:
        first_pid, first = child.receive(timeout=30)
        prefix.hosts_file.write_text(after, encoding="utf-8")  # same file, new content
        child.send("again")
        second_pid, second = child.result(timeout=30)
    mechanism = capabilities().mount_namespaces.mechanism
    return HostsEdit(name, first, second, (first_pid, second_pid), mechanism=mechanism,
                     where="measured here, in a child process with a private hosts file "
                           f"(made as {mechanism})")


def recorded_hosts_edit() -> HostsEdit:
    """The result recorded on Linux with glibc (its ``where`` says where, when and how).

    >>> recorded_hosts_edit().seen
    True

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    return load_recording(HOSTS_EDIT_RECORDING)


def hosts_edit_demo() -> HostsEdit:
    """:func:`hosts_edit_details` where a private hosts file can be made; elsewhere
    :func:`recorded_hosts_edit`, with ``why_recorded`` saying why. The real /etc/hosts
    is never written.

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    return measured_or_recorded(hosts_edit_details, HOSTS_EDIT_RECORDING)


def record(path=None) -> dict:
    """Run :func:`hosts_edit_details` here and save it as the recording (Linux, best as
    root).

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    result = hosts_edit_details()
    return save_recording(HOSTS_EDIT_RECORDING, result, "in a private mount namespace "
                          f"made as {result.mechanism}", path)
