"""The weak host model: a server bound to one LAN address is reachable from another network
the host is attached to; binding restricts the *address*, not the network.

RFC 1122 §3.3.4.2 describes two models for a host with several interfaces: the *strong*
host model accepts a datagram only on the interface that owns its destination address,
the *weak* model on any interface. Linux is a weak host: an address belongs to the
host, not to the interface it was added to. So a "laptop" on two networks, lan0
(198.18.0.0/24, with a "phone") and lan1 (198.19.0.0/24, with "other"), serves a
program bound to its lan0 address 198.18.0.1 to "other" too, as soon as "other" routes
198.18.0.0/24 via the laptop (``ip route add 198.18.0.0/24 via 198.19.0.1``): something
any machine on lan1 can do for itself.

Strict reverse-path filtering (``rp_filter=1``, RFC 3704; ip-sysctl.rst) does not stop
it: it checks the *source* address, and a reply to 198.19.0.2 would leave by lan1, the
interface the packet came in on, so the packet passes. What does restrict by interface:

- **SO_BINDTODEVICE** (socket(7)): the listening socket bound to lan0 accepts only what
  arrives over lan0; a SYN from lan1 finds no socket and is refused. Since Linux 5.7 an
  unprivileged process may bind a socket that is not yet bound to a device (kernel
  commit c427bfec18f2); before, and to change it, it needs CAP_NET_RAW;
- **a firewall rule**: nft ``iifname "lan1" tcp dport P drop`` in the laptop's input
  chain: from lan1 the connection times out, from lan0 it still connects.

Everything runs in three namespaces :mod:`loopedu.sandbox` makes and removes (as root or
inside an unprivileged user namespace), with the benchmarking ranges 198.18.0.0/15 (RFC
2544); this machine's own interfaces are never touched. Where namespaces cannot be
made, :func:`weak_host_demo` gives the result recorded on Linux, labelled.

Introduced in notebooks/03-bind-address.ipynb.
"""

from __future__ import annotations

import textwrap
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass
from typing import Iterator

from .connections import Outcome
from .lan import LAPTOP, PHONE
from .sandbox import Namespace, find_tool, namespaces
from .sandbox.recordings import Provenance, load_recording, measured_or_recorded, save_recording
from .servers import listener

__all__ = ["LAN0", "LAN1", "LAPTOP_LAN0", "LAPTOP_LAN1", "PHONE_LAN0", "OTHER_LAN1",
           "SETUPS", "RECORDING", "RECORDED_EXPLANATION", "WeakHostAttempt", "WeakHost",
           "two_networks", "serve_two_ways", "weak_host_details", "recorded_weak_host",
           "weak_host_demo", "format_weak_host", "record"]

LAN0, LAN1 = "lan0", "lan1"  # the laptop's two links
LAPTOP_LAN0, PHONE_LAN0 = LAPTOP["ipv4"], PHONE["ipv4"]  # lesson 03's LAN
LAPTOP_LAN1, OTHER_LAN1 = "198.19.0.1", "198.19.0.2"     # the second network
_PREFIXLEN = 24
#: The three ways the laptop's server is set up, in the order the demo tries them.
SETUPS = (f"bound to {LAPTOP_LAN0}", f"bound to {LAPTOP_LAN0} + SO_BINDTODEVICE {LAN0}",
          f"bound to {LAPTOP_LAN0} + nft drop iifname {LAN1}")
RECORDING = "weak-host-03"

#: Why a recorded result is shown, in one paragraph.
RECORDED_EXPLANATION = (
    "This machine cannot make network namespaces (a Linux feature that needs root or "
    "unprivileged user namespaces), so the results below were recorded by running the "
    "same demo on Linux; ports are shown as recorded. They show Linux's weak host "
    "model: a server bound to the laptop's lan0 address answers a machine on lan1 that "
    "routes that address via the laptop, with strict rp_filter on; only SO_BINDTODEVICE "
    "or a firewall rule on the incoming interface stops it.")


@dataclass(frozen=True)
class WeakHostAttempt:
    """One connection: from ``client`` (``"phone"`` on lan0's network, ``"other"`` on
    lan1's) to ``target``:``port``, with the laptop's server set up as ``setup`` (one of
    :data:`SETUPS`); ``server_saw`` is the peer the server accepted, ``note`` why the
    attempt was not run (``outcome`` None then).

    Introduced in notebooks/03-bind-address.ipynb.
    """

    client: str
    setup: str
    target: str
    port: int
    outcome: Outcome | None
    server_saw: str | None = None
    note: str = ""


@dataclass(frozen=True)
class WeakHost(Provenance):
    """What the demo found: every attempt, the laptop's ``rp_filter`` settings as read
    back (``{"all": "1", "lan0": "1", "lan1": "1"}``), the route "other" uses
    (``ip route get 198.18.0.1`` there), and where the result comes from
    (:class:`~loopedu.sandbox.recordings.Provenance`).

    Introduced in notebooks/03-bind-address.ipynb.
    """

    attempts: tuple
    rp_filter: dict
    route: str

    @property
    def reached(self) -> dict:
        """``{setup: {client: connected to 198.18.0.1, or None if not run}}``."""
        out: dict = {}
        for a in self.attempts:
            if a.target == LAPTOP_LAN0:
                out.setdefault(a.setup, {})[a.client] = (None if a.outcome is None
                                                         else a.outcome.connected)
        return out

    def to_dict(self) -> dict:
        """Plain data, ready for json.dumps."""
        return {**super().to_dict(), "route": self.route, "rp_filter": dict(self.rp_filter),
                "reached": self.reached,
                "attempts": [{**asdict(a), "outcome": None if a.outcome is None
                              else str(a.outcome)} for a in self.attempts]}


@contextmanager
def two_networks() -> Iterator[tuple[Namespace, Namespace, Namespace]]:
    """A "laptop" on two networks: lan0 to a "phone" (lesson 03's LAN, 198.18.0.0/24),
    lan1 to "other" (198.19.0.0/24), "other" routing 198.18.0.0/24 via the laptop,
    strict ``rp_filter=1`` on all the laptop's interfaces; yields (laptop, phone,
    other), all removed on exit. Raises :class:`loopedu.sandbox.NamespaceUnavailable`
    where namespaces cannot be made.

    Introduced in notebooks/03-bind-address.ipynb.
    """
    with namespaces("laptop", "phone", "other") as (laptop, phone, other):
        laptop.veth(LAN0, phone, LAN0, LAPTOP_LAN0, PHONE_LAN0, _PREFIXLEN)
        laptop.veth(LAN1, other, LAN1, LAPTOP_LAN1, OTHER_LAN1, _PREFIXLEN)
        other.ip("route", "add", f"{LAPTOP_LAN0.rsplit('.', 1)[0]}.0/{_PREFIXLEN}", "via",
                 LAPTOP_LAN1, "dev", LAN1)
        for key in ("all", "default", LAN0, LAN1):
            laptop.set_sysctl(f"net.ipv4.conf.{key}.rp_filter", 1)
        yield laptop, phone, other


def serve_two_ways(channel) -> str:
    """The laptop's side, run inside its namespace: a listener on 198.18.0.1 and one on
    198.18.0.1 bound to lan0 (SO_BINDTODEVICE), port 0 each; sends ``[plain port,
    device port]``, then answers each ``(which, client address)`` received (``which``
    0 or 1) with the peer that listener saw (None if none), until None or ``"done"``.

    Introduced in notebooks/03-bind-address.ipynb.
    """
    with ExitStack() as stack:
        servers = [stack.enter_context(listener(LAPTOP_LAN0)),
                   stack.enter_context(listener(LAPTOP_LAN0, device=LAN0))]
        channel.send([srv.port for srv in servers])
        while (request := channel.receive()) not in (None, "done"):
            which, local = request
            peer = servers[which].wait_for_peer(tuple(local), timeout=2)
            channel.send(peer[0] if peer else None)
    return "stopped"


def _attempt(clients: dict, server, who: str, setup: str, which: int, target: str,
             port: int, timeout: float) -> WeakHostAttempt:
    clients[who].send((target, port, timeout))
    got = clients[who].receive(timeout=timeout + 10)
    saw = None
    if got.outcome.connected:
        server.send((which, list(got.local)))
        saw = server.receive(timeout=10)
    return WeakHostAttempt(who, setup, target, port, got.outcome, saw)


def weak_host_details(timeout: float = 1.0) -> WeakHost:
    """Run the demo (see the module's text): the phone and "other" connect to the
    laptop's server bound to 198.18.0.1, plain, then bound to lan0 with SO_BINDTODEVICE,
    then plain behind an nft drop for lan1 (rows "not run" without nft); "other" also
    tries the laptop's lan1 address, where nothing listens. On Linux ``reached`` is
    ``{plain: {"phone": True, "other": True}, SO_BINDTODEVICE: {"phone": True,
    "other": False}, nft: {"phone": True, "other": False}}``. Raises
    :class:`loopedu.sandbox.NamespaceUnavailable` where namespaces cannot be made.

    Introduced in notebooks/03-bind-address.ipynb.
    """
    plain, bound, firewalled = SETUPS
    with two_networks() as (laptop, phone, other), ExitStack() as stack:
        server = stack.enter_context(laptop.start("loopedu.weak_host:serve_two_ways"))
        clients = {who: stack.enter_context(ns.start("loopedu.martians:probe_loop"))
                   for who, ns in (("phone", phone), ("other", other))}
        ports = server.receive(timeout=30)
        rows = [_attempt(clients, server, "phone", plain, 0, LAPTOP_LAN0, ports[0], timeout),
                _attempt(clients, server, "other", plain, 0, LAPTOP_LAN0, ports[0], timeout),
                _attempt(clients, server, "other", plain, 0, LAPTOP_LAN1, ports[0], timeout),
                _attempt(clients, server, "phone", bound, 1, LAPTOP_LAN0, ports[1], timeout),
                _attempt(clients, server, "other", bound, 1, LAPTOP_LAN0, ports[1], timeout)]
        why = laptop.nft(("add", "table", "inet", "loopedu"),
                         ("add", "chain", "inet", "loopedu", "input",
                          "{ type filter hook input priority 0 ; policy accept ; }"),
                         ("add", "rule", "inet", "loopedu", "input", "iifname", f'"{LAN1}"',
                          "tcp", "dport", str(ports[0]), "drop"))
        for who in ("phone", "other"):
            rows.append(WeakHostAttempt(who, firewalled, LAPTOP_LAN0, ports[0], None,
                                        note=why) if why else
                        _attempt(clients, server, who, firewalled, 0, LAPTOP_LAN0,
                                 ports[0], timeout))
        rp_filter = {key: laptop.read_sysctl(f"net.ipv4.conf.{key}.rp_filter")
                     for key in ("all", LAN0, LAN1)}
        ip = find_tool("ip") or "ip"
        route = other.run(ip, "route", "get", LAPTOP_LAN0).stdout.splitlines()[:1]
        for child in (server, *clients.values()):
            child.send("done")
        mechanism = laptop.mechanism
    return WeakHost(tuple(rows), rp_filter, route[0].strip() if route else "",
                    mechanism=mechanism,
                    where=f"measured here, in three network namespaces made as {mechanism}")


def recorded_weak_host() -> WeakHost:
    """The demo as recorded on Linux (``loopedu/data/weak-host-03-recorded.json``; its
    ``where`` says where, when and how), for machines that cannot make namespaces.

    >>> recorded_weak_host().reached[SETUPS[0]]
    {'phone': True, 'other': True}

    Introduced in notebooks/03-bind-address.ipynb.
    """
    return load_recording(RECORDING)


def weak_host_demo(timeout: float = 1.0) -> WeakHost:
    """:func:`weak_host_details` where namespaces can be made; elsewhere
    :func:`recorded_weak_host`, with ``why_recorded`` saying why.

    Introduced in notebooks/03-bind-address.ipynb.
    """
    return measured_or_recorded(weak_host_details, RECORDING, timeout)


def record(path=None) -> dict:
    """Run :func:`weak_host_details` here and save it as the recording (Linux with nft,
    best as root: ``python -c "from loopedu import weak_host; weak_host.record()"``).

    Introduced in notebooks/03-bind-address.ipynb.
    """
    return save_recording(RECORDING, weak_host_details(), path=path)


def format_weak_host(result: WeakHost) -> str:
    """Text for a :class:`WeakHost`.

    Introduced in notebooks/03-bind-address.ipynb.
    """
    head = result.provenance_lines(
        RECORDED_EXPLANATION, f"laptop {LAPTOP_LAN0} ({LAN0}, phone {PHONE_LAN0})\n"
                              f"  and {LAPTOP_LAN1} ({LAN1}, other {OTHER_LAN1});\n  ")
    # at most 90 characters a line, so that a printed handout does not clip them
    lines = [textwrap.fill(part, 90, subsequent_indent="  ") for line in head
             for part in line.split("\n")]
    lines.append(f"other's route: {result.route}")
    lines.append("laptop's rp_filter: " + ", ".join(f"{k}={v}" for k, v in
                                                    result.rp_filter.items()))
    setup = None
    for a in result.attempts:  # each setup, then its attempts: a row fits 90 characters
        if a.setup != setup:
            setup = a.setup
            lines.append(f"{setup}:")
        seen = f" (server saw {a.server_saw})" if a.server_saw else ""
        lines.append(f"  {a.client:<6}-> {a.target}:{a.port:<6} {a.note or a.outcome}{seen}")
    return "\n".join(lines)
