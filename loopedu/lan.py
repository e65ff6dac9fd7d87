"""Lesson 03's virtual LAN: a "laptop" and a "phone" in two network namespaces joined by
a veth pair, proving who on a LAN can reach a server bound to 127.0.0.1, 0.0.0.0, ::1
and ``::``.

The LAN uses the benchmarking ranges 198.18.0.0/15 (RFC 2544) and 2001:2::/48 (RFC
5180), which belong to no real network, inside namespaces the course makes and removes
(:mod:`loopedu.sandbox`): as root, or without root inside a user namespace. The host's
own interfaces are never touched. Each connection the phone makes is matched to the
laptop's server by the phone's own address and port.

Introduced in notebooks/03-bind-address.ipynb.
"""

from __future__ import annotations

from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Iterator

from .connections import Kind, Outcome, connect, family_of
from .reachability import reachability_matrix
from .sandbox import Namespace, namespaces
from .servers import listener

__all__ = ["LAPTOP", "PHONE", "LAN_BINDS", "Lan", "lan", "LanAttempt", "LanResult",
           "lan_lab", "lan_exposure", "lan_exposure_details", "STAND_IN", "Fallback",
           "lan_fallback", "own_networks",
           "format_lan", "serve", "connect_all"]

#: The laptop's and the phone's LAN addresses (RFC 2544 / RFC 5180 benchmarking ranges).
LAPTOP = {"ipv4": "198.18.0.1", "ipv6": "2001:2::1"}
PHONE = {"ipv4": "198.18.0.2", "ipv6": "2001:2::2"}
_PREFIXLEN = {"ipv4": 24, "ipv6": 64}
#: The bind addresses the LAN lab tries, the classic four.
LAN_BINDS = ("127.0.0.1", "0.0.0.0", "::1", "::")


@dataclass(frozen=True)
class Lan:
    """Two namespaces on one virtual LAN (a veth pair named ``lan0`` on both sides);
    ``ipv6`` is False when the IPv6 addresses could not be added (IPv6 disabled)."""

    laptop: Namespace
    phone: Namespace
    ipv6: bool


@contextmanager
def lan() -> Iterator[Lan]:
    """A "laptop" and a "phone" joined by a veth pair, ``lo`` up in both, with the
    addresses in :data:`LAPTOP` and :data:`PHONE`; everything removed on exit.

    Raises :class:`loopedu.sandbox.NamespaceUnavailable` where namespaces cannot be made.

    Introduced in notebooks/03-bind-address.ipynb.
    """
    with namespaces("laptop", "phone") as (laptop, phone):
        # made inside the laptop, its peer moved straight into the phone
        laptop.ip("link", "add", "lan0", "type", "veth", "peer", "name", "lan0",
                  "netns", str(phone.pid))
        ipv6 = True
        for ns, addrs in ((laptop, LAPTOP), (phone, PHONE)):
            ns.ip("addr", "add", f"{addrs['ipv4']}/{_PREFIXLEN['ipv4']}", "dev", "lan0")
            try:  # nodad: usable at once, not "tentative" for a second or two
                ns.ip("addr", "add", f"{addrs['ipv6']}/{_PREFIXLEN['ipv6']}", "dev", "lan0",
                      "nodad")
            except OSError:
                ipv6 = False
            ns.ip("link", "set", "lan0", "up")
        yield Lan(laptop, phone, ipv6)


def serve(channel, binds: list) -> dict:
    """The laptop's side, run inside its namespace: listen on each of ``binds`` (port 0),
    send ``{bind: port, or the Outcome of the failed bind}``, receive ``{bind: [client
    (address, port), ...]}`` and return, for each bind, the peer each of those clients
    was seen as (None where this server never saw it).

    Introduced in notebooks/03-bind-address.ipynb.
    """
    with ExitStack() as stack:
        servers, ports = {}, {}
        for bind in binds:
            try:
                servers[bind] = stack.enter_context(listener(bind))
                ports[bind] = servers[bind].port
            except OSError as exc:
                ports[bind] = Outcome.of_error(exc, Kind.BIND_FAILED)
        channel.send(ports)
        clients = channel.receive() or {}
        return {bind: [_seen(servers[bind], local) for local in clients.get(bind, [])]
                for bind in servers}


def _seen(srv, local) -> str | None:
    peer = srv.wait_for_peer(tuple(local), timeout=2)
    return peer[0] if peer else None


def connect_all(pairs: list, timeout: float = 1.0) -> list:
    """Connect to each ``(host, port)`` in turn (from inside a namespace); returns the
    :class:`~loopedu.connections.Attempt` of each.

    Introduced in notebooks/03-bind-address.ipynb.
    """
    return [connect(host, port, timeout=timeout) for host, port in pairs]


@dataclass(frozen=True)
class LanAttempt:
    """One connection of the lab: from the ``client`` namespace (laptop or phone) to
    ``target``, on the port of the laptop's server bound to ``bind``."""

    client: str
    bind: str
    target: str
    outcome: Outcome
    server_saw: str | None = None


@dataclass(frozen=True)
class LanResult:
    """What :func:`lan_lab` measured: ``reached`` (bind -> did the phone connect through
    the laptop's LAN address of the bind's family), every attempt (the laptop's own
    attempts over its loopback prove each server was up), and how the namespaces were
    made (``mechanism``: ``"root"`` or ``"user namespace"``)."""

    reached: dict
    attempts: tuple
    mechanism: str
    laptop: dict = field(default_factory=lambda: dict(LAPTOP))
    phone: dict = field(default_factory=lambda: dict(PHONE))

    def to_dict(self) -> dict:
        """Plain data, ready for json.dumps (``loopedu experiment lan --json``)."""
        saw: dict = {}
        for a in self.attempts:
            if a.server_saw:
                saw.setdefault(a.bind, []).append(a.server_saw)
        return {"reached": dict(self.reached), "mechanism": self.mechanism,
                "laptop": self.laptop, "phone": self.phone, "server_saw": saw,
                "attempts": [{"from": a.client, "bind": a.bind, "target": a.target,
                              "outcome": str(a.outcome), "server_saw": a.server_saw}
                             for a in self.attempts]}


def _family(address: str) -> str:
    return "ipv6" if family_of(address).name == "AF_INET6" else "ipv4"


def _plans(binds, lan_ipv6: bool) -> list[tuple[str, str, str]]:
    """(client, bind, target) for every connection the lab makes."""
    plans = []
    for bind in binds:
        v6 = _family(bind) == "ipv6"
        plans.append(("laptop", bind, "::1" if v6 else "127.0.0.1"))
        if not v6 or lan_ipv6:
            plans.append(("phone", bind, LAPTOP["ipv6" if v6 else "ipv4"]))
        if v6 and bind == "::":  # dual stack on Linux: IPv4 reaches it too
            plans.append(("phone", bind, LAPTOP["ipv4"]))
    return plans


def lan_lab(binds=LAN_BINDS, timeout: float = 2.0) -> LanResult:
    """Start a server in the laptop on each bind address and let both machines connect:
    the laptop to its own loopback, the phone to the laptop's LAN address (IPv4 for IPv4
    binds, IPv6 for IPv6 binds, and IPv4 too for ``::``). On Linux its ``reached`` is
    ``{'127.0.0.1': False, '0.0.0.0': True, '::1': False, '::': True}``.

    Introduced in notebooks/03-bind-address.ipynb.
    """
    binds = list(binds)
    with lan() as net, net.laptop.start("loopedu.lan:serve", binds) as server:
        ports = server.receive(timeout=30)
        plans = [p for p in _plans(binds, net.ipv6) if isinstance(ports[p[1]], int)]
        attempts = {}
        for who, ns in (("laptop", net.laptop), ("phone", net.phone)):
            mine = [p for p in plans if p[0] == who]
            got = ns.call("loopedu.lan:connect_all",  # connect timeout, then the child's
                          [(target, ports[bind]) for _, bind, target in mine], timeout,
                          timeout=60 + timeout * len(mine))
            attempts.update(zip(mine, got))
        sent = {}  # bind -> the connected attempts, in the order their clients are sent
        for plan in plans:
            if attempts[plan].outcome.connected:
                sent.setdefault(plan[1], []).append(plan)
        server.send({bind: [attempts[p].local for p in group] for bind, group in sent.items()})
        answers = server.result(timeout=30)
        mechanism = net.laptop.mechanism
    saw = {plan: peer for bind, group in sent.items()
           for plan, peer in zip(group, answers.get(bind, []))}
    rows = []
    for plan in plans:
        outcome = attempts[plan].outcome
        if outcome.connected and saw.get(plan) is None:  # some other socket took it
            outcome = Outcome(Kind.OTHER_SOCKET)
        rows.append(LanAttempt(*plan, outcome, saw.get(plan)))
    rows += [LanAttempt("laptop", b, "-", ports[b]) for b in binds
             if not isinstance(ports[b], int)]
    reached = {b: any(r.client == "phone" and r.bind == b and r.target == LAPTOP[_family(b)]
                      and r.outcome.connected for r in rows) for b in binds}
    return LanResult(reached, tuple(rows), mechanism)


def lan_exposure_details(binds=None) -> LanResult:
    """The virtual LAN lab (:func:`lan_lab` with the classic four binds by default).
    Raises :class:`loopedu.sandbox.NamespaceUnavailable` where namespaces cannot be made;
    :func:`lan_fallback` is the stand-in then.

    Introduced in notebooks/03-bind-address.ipynb.
    """
    return lan_lab(LAN_BINDS if binds is None else binds)


def lan_exposure(binds=None) -> dict:
    """Could a phone on the same LAN connect to a server on the laptop bound to each
    address? Returns ``{bind_address: reached}`` (see :func:`lan_lab`).

    Introduced in notebooks/03-bind-address.ipynb.
    """
    return lan_exposure_details(binds).reached


#: What the stand-in stands for, in one sentence (``loopedu experiment lan --fallback``).
STAND_IN = ("127.0.0.2 stands in for the laptop's LAN address: like a Wi-Fi address it "
            "belongs to this machine but is not the 127.0.0.1 the server bound, so only a "
            "server bound to 0.0.0.0 accepts it.")


@dataclass(frozen=True)
class Fallback:
    """The loopback stand-in for the LAN lab (see :func:`lan_fallback`): ``rows`` are
    the matrix's cells, ``exposures`` the listeners that were briefly reachable."""

    reached: dict
    rows: tuple
    where: str
    exposures: tuple = ()

    def to_dict(self) -> dict:
        """Plain data, ready for json.dumps."""
        return {"reached": dict(self.reached), "details": [r.to_dict() for r in self.rows],
                "stand_in": STAND_IN, "where": self.where,
                "exposures": [str(e) for e in self.exposures]}


def lan_fallback(timeout: float = 1.0, *, expose: bool = False) -> Fallback:
    """The stand-in for :func:`lan_exposure` where namespaces cannot be made: 127.0.0.2
    plays the laptop's LAN address (an address of this machine other than the one the
    server bound), so only a server bound to 0.0.0.0 accepts it. On macOS, which has no
    127.0.0.2, the bind or connection fails instead. Where no namespace can be made the
    0.0.0.0 server runs only with ``expose=True`` (briefly, reported); otherwise its
    row is "not run" (see :func:`loopedu.reachability.reachability_matrix`).

    >>> lan_fallback().reached
    {'127.0.0.1': False, '0.0.0.0': True}

    Introduced in notebooks/03-bind-address.ipynb.
    """
    matrix = reachability_matrix(("127.0.0.1", "0.0.0.0"), ("127.0.0.1", "127.0.0.2"),
                                 timeout=timeout, expose=expose)
    reached = {r.bind: r.outcome.connected for r in matrix.rows if r.target == "127.0.0.2"}
    return Fallback(reached, matrix.rows, matrix.where, matrix.exposures)


def own_networks() -> tuple[tuple[str, str], ...]:
    """This machine's own networks, as ``(interface, IPv4 address)`` pairs, read from
    the operating system (psutil): every interface that is up, with an IPv4 address that
    is neither loopback nor link-local (169.254/16), in the order the system lists them.
    ``()`` on a machine with no such address (a container with only ``lo``). Read only.

    Introduced in notebooks/03-bind-address.ipynb (exercise 03.phone-reaches).
    """
    import ipaddress
    import socket

    import psutil

    stats = psutil.net_if_stats()
    found = []
    for nic, addrs in psutil.net_if_addrs().items():
        if nic in stats and not stats[nic].isup:
            continue
        for a in addrs:
            if a.family != socket.AF_INET:
                continue
            ip = ipaddress.ip_address(a.address)
            if not (ip.is_loopback or ip.is_link_local or ip.is_unspecified):
                found.append((nic, a.address))
    return tuple(found)


def format_lan(result) -> str:
    """Text for a :class:`LanResult` or a :class:`Fallback` (``loopedu experiment lan``).

    Introduced in notebooks/03-bind-address.ipynb.
    """
    if isinstance(result, Fallback):
        lines = ["loopback stand-in for the LAN lab:"]
        lines += [f"  server on {row.bind:<10} client to {row.target:<10} {row.outcome}"
                  for row in result.rows]
        lines += [STAND_IN, f"({result.where})"]
        lines += [f"note: {e}" for e in result.exposures]
        return "\n".join(lines)
    lines = [f"laptop {result.laptop['ipv4']} / {result.laptop['ipv6']}, phone "
             f"{result.phone['ipv4']} / {result.phone['ipv6']} (virtual LAN, made as "
             f"{result.mechanism})"]
    for row in result.attempts:
        lines.append(f"  server on {row.bind:<10} {row.client:<7}-> {row.target:<12} "
                     f"{row.outcome}")
    reached = [b for b, ok in result.reached.items() if ok]
    lines.append("the phone reached the servers bound to: " + (", ".join(reached) or "none"))
    return "\n".join(lines)
