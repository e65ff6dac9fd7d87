"""When loopback leaks: 127.0.0.1 arriving over a real interface is a *martian*, dropped
by default, until ``route_localnet=1`` lets it in (Kubernetes CVE-2020-8558).

Sources. RFC 1122 §3.2.1.3: 127/8 "MUST NOT appear outside a host", and a host MUST
silently discard datagrams with an invalid source address. RFC 1812 §5.3.7: a router
SHOULD NOT forward a packet with a 127/8 destination except over a loopback interface,
and the check MUST default to on. Linux, Documentation/networking/ip-sysctl.rst:
``route_localnet`` ("Do not consider loopback addresses as martian source or destination
while routing", default 0), ``log_martians`` (log packets with impossible addresses to
the kernel log), ``rp_filter`` (RFC 3704 reverse-path filtering: a separate mechanism,
left at the namespace's default here). Kubernetes CVE-2020-8558 (kubernetes/kubernetes
#92315): kube-proxy set ``route_localnet=1``, so a neighbour on the same LAN that routed
127.0.0.1 via a node reached the node's services bound to 127.0.0.1; fixed in
1.18.4/1.17.7/1.16.11 by a KUBE-FIREWALL rule dropping ``-d 127.0.0.0/8 ! -s
127.0.0.0/8``.

The lab: two namespaces, "server" (198.18.2.1, link ``leak0``) and "client"
(198.18.2.2, link ``leak1``), on a veth pair in 198.18.2.0/24 (RFC 2544, another /24
than lessons 03 and 06); the server listens on 127.0.0.1 (port 0). The client plays
CVE-2020-8558's neighbour, who controls its own machine:

- ``ip addr del 127.0.0.1/8 dev lo``: this removes the client's ``local 127.0.0.0/8``
  and ``local 127.0.0.1`` routes from its local table (consulted first, rule priority 0),
  so 127.0.0.1 is no longer "this host". Observed here: only deleting those two routes
  leaves 127.0.0.1 on ``lo``, and the server's SYN-ACK from 127.0.0.1 is then logged as
  "martian source" (an own address as source); an ``ip rule`` of priority 10 sending
  127.0.0.1 to another table still gave "connection refused" from the client's own lo;
  taking ``lo`` down leaves the local routes in place.
- ``ip route add 127.0.0.1/32 via 198.18.2.1 dev leak1``: the SYN leaves over the veth;
- ``route_localnet=1`` on ``leak1``: the client accepts the reply, whose source is
  127.0.0.1 (without it: "martian source 198.18.2.2 from 127.0.0.1", observed).

Only the server's ``route_localnet`` is the variable. With the default 0 the server drops
the SYN as "martian destination 127.0.0.1 from 198.18.2.2" and the connect times out;
with 1 it connects. A KUBE-FIREWALL-style nft rule blocks it again. A DNAT to 127.0.0.1
(a published port) likewise needs ``route_localnet=1``. Everything happens in namespaces
:mod:`loopedu.sandbox` makes and removes; this machine's own sysctls, routes and firewall
are never touched. Where namespaces cannot be made, :func:`route_localnet_fallback` gives
the results recorded on Linux, labelled as such.

Introduced in notebooks/08-when-loopback-leaks.ipynb.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

from .connections import Kind, Outcome, connect
from .sandbox import Namespace, NamespaceUnavailable, find_tool, namespaces
from .sandbox.holders import NFT_MISSING
from .sandbox.tools import last_line, run
from .servers import listener

__all__ = ["SERVER", "CLIENT", "SERVER_LINK", "CLIENT_LINK", "PUBLIC_PORT", "LOG_LINE",
           "KUBE_FIREWALL", "LeakRow", "MartianEvidence", "LeakResult", "martian_link",
           "serve_loopback", "probe_loop", "route_localnet_details", "route_localnet_demo",
           "dnat_demo", "route_localnet_fallback", "RECORDED",
           "RECORDED_LABEL", "RECORDED_EXPLANATION", "format_route_localnet", "format_dnat"]

SERVER = "198.18.2.1"  # the server's and the client's addresses (RFC 2544 range)
CLIENT = "198.18.2.2"
_PREFIXLEN = 24
SERVER_LINK = "leak0"  # the two ends of the veth pair: the server's and the client's
CLIENT_LINK = "leak1"
#: The server's "published" port that the DNAT rule sends on to 127.0.0.1.
PUBLIC_PORT = 8080
#: The kernel log line of a dropped SYN (with ``log_martians=1``).
LOG_LINE = f"martian destination 127.0.0.1 from {CLIENT}"
#: The KUBE-FIREWALL drop of CVE-2020-8558's fix, as iptables spells it.
KUBE_FIREWALL = "-A INPUT -d 127.0.0.0/8 ! -s 127.0.0.0/8 -j DROP"
_NFT_DROP = [("add", "table", "ip", "loopedu"),
             ("add", "chain", "ip", "loopedu", "input",
              "{ type filter hook input priority 0 ; policy accept ; }"),
             ("add", "rule", "ip", "loopedu", "input", "ip", "daddr", "127.0.0.0/8",
              "ip", "saddr", "!=", "127.0.0.0/8", "drop")]
_RT_CACHE = "/proc/net/stat/rt_cache"
_TIMESTAMP = re.compile(r"^\[[ 0-9.]+\] ")


@contextmanager
def martian_link() -> Iterator[tuple[Namespace, Namespace]]:
    """A "server" and a "client" namespace on a veth pair (:data:`SERVER_LINK`,
    :data:`CLIENT_LINK`), the client routing 127.0.0.1 via the server (see the module's
    text), ``log_martians=1`` in the server; all removed on exit. Raises
    :class:`loopedu.sandbox.NamespaceUnavailable` where namespaces cannot be made.

    Introduced in notebooks/08-when-loopback-leaks.ipynb.
    """
    with namespaces("server", "client") as (server, client):
        server.ip("link", "add", SERVER_LINK, "type", "veth", "peer", "name", CLIENT_LINK,
                  "netns", str(client.pid))
        for ns, link, address in ((server, SERVER_LINK, SERVER), (client, CLIENT_LINK,
                                                                  CLIENT)):
            ns.ip("addr", "add", f"{address}/{_PREFIXLEN}", "dev", link)
            ns.ip("link", "set", link, "up")
        client.ip("addr", "del", "127.0.0.1/8", "dev", "lo")
        client.ip("route", "add", "127.0.0.1/32", "via", SERVER, "dev", CLIENT_LINK)
        client.set_sysctl(f"net.ipv4.conf.{CLIENT_LINK}.route_localnet", 1)
        for key in ("all", SERVER_LINK):
            server.set_sysctl(f"net.ipv4.conf.{key}.log_martians", 1)
        yield server, client


def serve_loopback(channel) -> str:
    """The server's side, run inside its namespace: listen on 127.0.0.1 (port 0), send
    the port, then answer each client (address, port) received with the peer it was
    seen as (None if never), until None or ``"done"``.

    Introduced in notebooks/08-when-loopback-leaks.ipynb.
    """
    with listener("127.0.0.1") as srv:
        channel.send(srv.port)
        while (local := channel.receive()) not in (None, "done"):
            peer = srv.wait_for_peer(tuple(local), timeout=2)
            channel.send(peer[0] if peer else None)
    return "stopped"


def probe_loop(channel) -> str:
    """The client's side, run inside its namespace: for each ``(host, port, timeout)``
    received, send the :class:`~loopedu.connections.Attempt` of one connect.

    Introduced in notebooks/08-when-loopback-leaks.ipynb.
    """
    while (request := channel.receive()) not in (None, "done"):
        host, port, timeout = request
        channel.send(connect(host, port, timeout=timeout))
    return "stopped"


@dataclass(frozen=True)
class LeakRow:
    """One probe: with the server's ``setting``, the client connected to
    ``target``:``port`` (0 in recorded results) and got ``outcome``; ``server_saw`` is
    the peer the 127.0.0.1 service saw; ``note`` says why a probe was not run.

    Introduced in notebooks/08-when-loopback-leaks.ipynb.
    """

    setting: str
    target: str
    port: int
    outcome: Outcome | None
    server_saw: str | None = None
    note: str = ""

    def to_dict(self) -> dict:
        """Plain data, ready for json.dumps."""
        return {"setting": self.setting, "target": self.target, "port": self.port,
                "outcome": None if self.outcome is None else str(self.outcome),
                "server_saw": self.server_saw, "note": self.note}


@dataclass(frozen=True)
class MartianEvidence:
    """Where the server's kernel showed the drop: new kernel-log lines containing
    :data:`LOG_LINE` (``log_note`` says when the log could not be read), and how much
    the kernel-wide ``in_martian_dst`` counter of /proc/net/stat/rt_cache moved during
    the default probe (None where unreadable).

    Introduced in notebooks/08-when-loopback-leaks.ipynb.
    """

    log_lines: tuple = ()
    log_note: str = ""
    martian_dst_delta: int | None = None

    def to_dict(self) -> dict:
        """Plain data, ready for json.dumps."""
        return {"log_lines": list(self.log_lines), "log_note": self.log_note,
                "martian_dst_delta": self.martian_dst_delta}


@dataclass(frozen=True)
class LeakResult:
    """What a demo found: ``reached`` (setting -> did the client connect; empty when it
    could not run), the rows, how the namespaces were made (``"root"``, ``"user
    namespace"``, ``"recorded"`` or ``"not run"``), where it comes from, the martian
    evidence, and ``blocked_again`` (did the KUBE-FIREWALL-style rule block the probe
    again; None when not run).

    Introduced in notebooks/08-when-loopback-leaks.ipynb.
    """

    demo: str
    reached: dict
    rows: tuple
    mechanism: str
    where: str
    evidence: MartianEvidence = MartianEvidence()
    blocked_again: bool | None = None

    @property
    def live(self) -> bool:
        """True when measured here (not recorded, not explained away)."""
        return self.mechanism not in ("recorded", "not run")

    def to_dict(self) -> dict:
        """Plain data, ready for json.dumps."""
        return {"demo": self.demo, "reached": dict(self.reached), "mechanism": self.mechanism,
                "where": self.where, "rows": [r.to_dict() for r in self.rows],
                "evidence": self.evidence.to_dict(), "blocked_again": self.blocked_again}


def _kernel_log() -> tuple[set | None, str]:
    dmesg = find_tool("dmesg")
    if dmesg is None:
        return None, "the `dmesg` command is not installed"
    done = run([dmesg], timeout=5)
    if done.returncode != 0:
        return None, (f"the kernel log is not readable here ({last_line(done)}): "
                      "dmesg needs root where kernel.dmesg_restrict=1, and root inside a "
                      "user namespace is not enough")
    return {line for line in done.stdout.splitlines() if LOG_LINE in line}, ""


def _martian_dst(ns: Namespace) -> int | None:
    done = ns.run("cat", _RT_CACHE)
    lines = done.stdout.split("\n")
    if done.returncode != 0 or "in_martian_dst" not in lines[0]:
        return None
    col = lines[0].split().index("in_martian_dst")
    return sum(int(line.split()[col], 16) for line in lines[1:] if line.strip())


def _nft(ns: Namespace, commands) -> str:
    """Run nft commands inside ``ns``; '' when done, otherwise why not."""
    if find_tool("nft") is None:
        return NFT_MISSING
    return ns.nft(*commands)


def _probe(client, server, setting: str, target: str, port: int, timeout: float) -> LeakRow:
    client.send((target, port, timeout))
    attempt = client.receive(timeout=timeout + 10)
    saw = None
    if attempt.outcome.connected:
        server.send(list(attempt.local))
        saw = server.receive(timeout=10)
    return LeakRow(setting, target, port, attempt.outcome, saw)


def _default_probe(srv_ns, client, server, target, port, timeout):
    """The probe with the default route_localnet=0, and the martian evidence around it."""
    before_log, log_note = _kernel_log()
    before = _martian_dst(srv_ns)
    row = _probe(client, server, "route_localnet=0 (default)", target, port, timeout)
    after = _martian_dst(srv_ns)
    after_log, _ = _kernel_log()
    lines = ()
    if before_log is not None and after_log is not None:
        lines = tuple(_TIMESTAMP.sub("", line) for line in sorted(after_log - before_log))
        if not lines:
            log_note = "no new matching line (the kernel rate-limits these messages)"
    delta = None if before is None or after is None else after - before
    return row, MartianEvidence(lines, log_note, delta)


@contextmanager
def _lab() -> Iterator[tuple]:
    with martian_link() as (srv_ns, cli_ns), \
            srv_ns.start("loopedu.martians:serve_loopback") as server, \
            cli_ns.start("loopedu.martians:probe_loop") as client:
        port = server.receive(timeout=30)
        yield srv_ns, server, client, port
        client.send("done")
        server.send("done")


def route_localnet_details(timeout: float = 1.0) -> LeakResult:
    """The client connects to 127.0.0.1:<port> routed via the server, three times: with
    the server's default ``route_localnet=0`` (times out: martian destination), with
    ``route_localnet=1`` on the server's link (connects), and with that plus a
    KUBE-FIREWALL-style nft drop (times out again; a row saying "not run" without nft).
    Raises :class:`loopedu.sandbox.NamespaceUnavailable` where namespaces cannot be made.

    Introduced in notebooks/08-when-loopback-leaks.ipynb.
    """
    with _lab() as (srv_ns, server, client, port):
        first, evidence = _default_probe(srv_ns, client, server, "127.0.0.1", port, timeout)
        rows = [first]
        srv_ns.set_sysctl(f"net.ipv4.conf.{SERVER_LINK}.route_localnet", 1)
        rows.append(_probe(client, server, "route_localnet=1", "127.0.0.1", port, timeout))
        setting = "route_localnet=1 + KUBE-FIREWALL drop"
        why = _nft(srv_ns, _NFT_DROP)
        rows.append(LeakRow(setting, "127.0.0.1", port, None, note=why) if why else
                    _probe(client, server, setting, "127.0.0.1", port, timeout))
        mechanism = srv_ns.mechanism
    blocked = None if rows[2].outcome is None else not rows[2].outcome.connected
    return LeakResult("route_localnet", {"default": rows[0].outcome.connected,
                                         "route_localnet": rows[1].outcome.connected},
                      tuple(rows), mechanism,
                      f"measured here, in two network namespaces made as {mechanism}",
                      evidence, blocked)


def route_localnet_demo(timeout: float = 1.0) -> dict:
    """Did the client reach the server's 127.0.0.1 service: ``{"default": False,
    "route_localnet": True}`` on Linux (see :func:`route_localnet_details`).

    Introduced in notebooks/08-when-loopback-leaks.ipynb.
    """
    return route_localnet_details(timeout).reached


def _not_run(demo: str, why: str) -> LeakResult:
    return LeakResult(demo, {}, (), "not run", why)


def dnat_demo(timeout: float = 1.0) -> LeakResult:
    """A published port: an nft rule in the server (nat table, prerouting, ``tcp dport
    8080 dnat to 127.0.0.1:<port>``), the client connecting to 198.18.2.1:8080: times
    out with ``route_localnet=0``, connects with 1, so on Linux with nft ``reached`` is
    ``{"default": False, "route_localnet": True}``. Where nft is missing or namespaces
    cannot be made, an explained result (``mechanism == "not run"``) says why.

    Introduced in notebooks/08-when-loopback-leaks.ipynb.
    """
    if find_tool("nft") is None:
        return _not_run("dnat", f"{NFT_MISSING}, so no DNAT rule could be made")
    try:
        with _lab() as (srv_ns, server, client, port):
            why = _nft(srv_ns, [
                ("add", "table", "ip", "loopedu_nat"),
                ("add", "chain", "ip", "loopedu_nat", "prerouting",
                 "{ type nat hook prerouting priority -100 ; }"),
                ("add", "rule", "ip", "loopedu_nat", "prerouting", "tcp", "dport",
                 str(PUBLIC_PORT), "dnat", "to", f"127.0.0.1:{port}")])
            if why:
                return _not_run("dnat", why)
            first, evidence = _default_probe(srv_ns, client, server, SERVER, PUBLIC_PORT,
                                             timeout)
            rows = [first]
            srv_ns.set_sysctl(f"net.ipv4.conf.{SERVER_LINK}.route_localnet", 1)
            rows.append(_probe(client, server, "route_localnet=1", SERVER, PUBLIC_PORT,
                               timeout))
            mechanism = srv_ns.mechanism
    except NamespaceUnavailable as exc:
        return _not_run("dnat", f"not run: {exc}")
    return LeakResult("dnat", {"default": rows[0].outcome.connected,
                               "route_localnet": rows[1].outcome.connected},
                      tuple(rows), mechanism,
                      f"measured here, in two network namespaces made as {mechanism}",
                      evidence)


# ---- the recorded results, for machines without namespaces ----

#: Where :data:`RECORDED` comes from.
RECORDED_LABEL = "recorded on Linux (Debian 12) as root, 2026-11-29"

#: Why recorded results are shown, in one paragraph.
RECORDED_EXPLANATION = (
    "This machine cannot make network namespaces (a Linux feature that needs root or "
    "unprivileged user namespaces), so these results were recorded by running the same "
    "demos on Linux; ports are shown as <port> because each run gets new ephemeral ones. "
    "They show Linux's own rule: a packet for 127.0.0.1 arriving over a real interface "
    "is a martian and is dropped (the connect times out) unless route_localnet=1, both "
    "when a neighbour routes 127.0.0.1 to the machine and when a DNAT rule sends a "
    "published port to 127.0.0.1; a KUBE-FIREWALL-style drop rule closes the first "
    "hole again.")

_DEFAULT, _ON = "route_localnet=0 (default)", "route_localnet=1"
_FW = "route_localnet=1 + KUBE-FIREWALL drop"


def _row(setting, target, port, outcome, saw=None) -> dict:
    return {"setting": setting, "target": target, "port": port, "outcome": outcome,
            "server_saw": saw, "note": ""}


#: Both demos as recorded (``to_dict()``, ports normalised to 0, 8080 kept).
RECORDED = {
    "route_localnet": {
        "demo": "route_localnet", "reached": {"default": False, "route_localnet": True},
        "mechanism": "recorded", "where": RECORDED_LABEL,
        "rows": [_row(_DEFAULT, "127.0.0.1", 0, "timeout"),
                 _row(_ON, "127.0.0.1", 0, "connected", CLIENT),
                 _row(_FW, "127.0.0.1", 0, "timeout")],
        "evidence": {"log_lines": [f"IPv4: {LOG_LINE}, dev {SERVER_LINK}"] * 2,
                     "log_note": "", "martian_dst_delta": 2},
        "blocked_again": True},
    "dnat": {
        "demo": "dnat", "reached": {"default": False, "route_localnet": True},
        "mechanism": "recorded", "where": RECORDED_LABEL,
        "rows": [_row(_DEFAULT, SERVER, PUBLIC_PORT, "timeout"),
                 _row(_ON, SERVER, PUBLIC_PORT, "connected", CLIENT)],
        "evidence": {"log_lines": [f"IPv4: {LOG_LINE}, dev {SERVER_LINK}"],
                     "log_note": "", "martian_dst_delta": 1},
        "blocked_again": None},
}


def _outcome(text: str) -> Outcome:
    kind, _, err = text.partition(": ")
    return Outcome(Kind(kind), err or None)


def _from(data: dict) -> LeakResult:
    rows = tuple(LeakRow(r["setting"], r["target"], r["port"],
                         None if r["outcome"] is None else _outcome(r["outcome"]),
                         r["server_saw"], r["note"]) for r in data["rows"])
    ev = data["evidence"]
    return LeakResult(data["demo"], dict(data["reached"]), rows, data["mechanism"],
                      data["where"], MartianEvidence(tuple(ev["log_lines"]), ev["log_note"],
                                                     ev["martian_dst_delta"]),
                      data["blocked_again"])


def route_localnet_fallback() -> dict:
    """Both demos as recorded on Linux (:data:`RECORDED_LABEL`), for machines that
    cannot make namespaces: ``{"route_localnet": LeakResult, "dnat": LeakResult}``;
    :data:`RECORDED_EXPLANATION` says why they are shown.

    >>> route_localnet_fallback()["route_localnet"].reached
    {'default': False, 'route_localnet': True}

    Introduced in notebooks/08-when-loopback-leaks.ipynb.
    """
    return {name: _from(data) for name, data in RECORDED.items()}


def _at(host: str, port: int) -> str:
    return f"{host}:{port if port else '<port>'}"


def _header(result: LeakResult) -> list[str]:
    tag = "LIVE" if result.live else ("RECORDED" if result.mechanism == "recorded"
                                      else "NOT RUN")
    lines = [f"[{tag}] server {SERVER} ({SERVER_LINK}), client {CLIENT} ({CLIENT_LINK}) "
             f"on a veth pair ({result.where})"]
    if result.mechanism == "recorded":
        lines.append(RECORDED_EXPLANATION)
    return lines


def _rows(result: LeakResult) -> list[str]:
    return [f"  {row.setting:<40} client -> {_at(row.target, row.port):<18} "
            + (row.note or str(row.outcome))
            + (f" (server saw {row.server_saw})" if row.server_saw else "")
            for row in result.rows]


def format_route_localnet(result: LeakResult) -> str:
    """Text for the result of :func:`route_localnet_details` (or its recorded twin).

    Introduced in notebooks/08-when-loopback-leaks.ipynb.
    """
    lines = _header(result)
    if not result.rows:
        return "\n".join(lines)
    lines.append("the client routes 127.0.0.1 via the server; the service listens on "
                 "the server's 127.0.0.1 only")
    lines += _rows(result) + _evidence(result.evidence)
    if result.blocked_again is not None:
        lines.append("the KUBE-FIREWALL-style rule (" + KUBE_FIREWALL + ") "
                     + ("blocked it again" if result.blocked_again else "did NOT block it"))
    return "\n".join(lines)


def _evidence(ev: MartianEvidence) -> list[str]:
    lines = []
    if ev.log_lines:
        lines += ["kernel log of the server's drop:"] + [f"  {x}" for x in ev.log_lines]
    elif ev.log_note:
        lines.append(f"kernel log: {ev.log_note}")
    if ev.martian_dst_delta is not None:
        lines.append(f"in_martian_dst ({_RT_CACHE}, kernel-wide) moved by "
                     f"{ev.martian_dst_delta} during the default probe")
    return lines


def format_dnat(result: LeakResult) -> str:
    """Text for the result of :func:`dnat_demo` (live, recorded or not run).

    Introduced in notebooks/08-when-loopback-leaks.ipynb.
    """
    lines = _header(result)
    if result.rows:
        lines.append(f"nft in the server: tcp dport {PUBLIC_PORT} dnat to "
                     "127.0.0.1:<port> (a published port)")
        lines += _rows(result) + _evidence(result.evidence)
    return "\n".join(lines)
