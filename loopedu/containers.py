"""A container in its own network namespace has its own loopback: a "host" and a
"container" in two network namespaces joined by a veth pair, showing why a server bound
to 127.0.0.1 inside a container "works in the container" but gives "connection reset"
through ``-p``.

A network namespace is "logically another copy of the network stack, with its own
routes, firewall rules, and network devices" (ip-netns(8)); network_namespaces(7) lists
what it isolates: "network devices, IPv4 and IPv6 protocol stacks, IP routing tables,
firewall rules, ... port numbers (sockets)". So each one, and every container that has
its own, has its own ``lo`` and its own 127.0.0.1 (the containers of one pod share one,
as do ``--network host`` and ``--network container:X``: :mod:`loopedu.pods`). In the
container, one echo server listens on
127.0.0.1 and one on 0.0.0.0 (port 0 each). Then:

- inside the container, 127.0.0.1 reaches both: "it works in the container";
- from the host, 127.0.0.1 on the same port is refused: the host's ``lo`` is another
  ``lo``, and nothing listens there;
- from the host, the container's address reaches only the 0.0.0.0 server;
- through a forwarder on the host's 127.0.0.1 relaying to the container's address (what
  ``docker run -p 127.0.0.1:8080:80`` sets up with docker-proxy, see
  :mod:`loopedu.forwarder`), the client's connect succeeds for both, but for the
  127.0.0.1 server the forwarder's own connection is refused and the client is reset.

Docker's documentation (Port publishing and mapping, and Packet filtering and
firewalls, under docs.docker.com/engine/network/) says that ports published without a
host address go "to all host addresses (0.0.0.0 and [::])", that with a localhost
address in ``-p`` "only the Docker host can access the published container port", and
warns that in releases older than 28.0.0 hosts on the same L2 segment can still reach
ports published to localhost (moby/moby#45610; Engine 28 added drops in the raw table).
Even since then (as of 2026-12): Engine 28.0 to 28.3.2 lost those rules when firewalld
reloaded (CVE-2025-54388, fixed in 28.3.3); the daemon options ``allow-direct-routing``
and ``trusted_host_interfaces`` open direct routing again on purpose (moby/moby#49832);
and a crafted packet to 127.0.0.1 sent to the host's MAC address can be DNAT-ed into the
container (moby/moby#41872, open as far as checked).

The namespaces use 198.18.1.0/24 (RFC 2544's benchmarking range, another /24 than the
LAN lab's) and are made and removed by :mod:`loopedu.sandbox`, as root or inside an
unprivileged user namespace. Where neither is possible, :func:`recorded_container_demo`
gives the result recorded on Linux, labelled as such.

Introduced in notebooks/06-loopback-at-work.ipynb.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

from .connections import Kind, Outcome
from .forwarder import Ending, Exchange, Relayed, exchange, forward
from .sandbox import Namespace, NamespaceUnavailable, namespaces
from .servers import echo_server

__all__ = ["HOST", "CONTAINER", "HOST_LINK", "CONTAINER_LINK", "SERVERS", "ROUTES",
           "ContainerRow", "ContainerResult", "container_link", "serve_in_container",
           "client_side", "container_loopback_demo", "recorded_container_demo",
           "container_demo", "format_containers", "RECORDED", "RECORDED_LABEL",
           "RECORDED_EXPLANATION"]

#: The host's and the container's addresses on the veth pair (RFC 2544 range).
HOST = "198.18.1.1"
CONTAINER = "198.18.1.2"
_PREFIXLEN = 24
#: The two ends of the veth pair, named the way Docker names them.
HOST_LINK = "veth-ctr0"
CONTAINER_LINK = "eth0"
#: The bind addresses of the container's two servers.
SERVERS = ("127.0.0.1", "0.0.0.0")
#: Where the client is and which way it goes, in the order the demo tries them.
ROUTES = ("container loopback", "host loopback", "container address", "published port")
_CLIENT = {"container loopback": "container", "host loopback": "host",
           "container address": "host", "published port": "host"}


@contextmanager
def container_link() -> Iterator[tuple[Namespace, Namespace]]:
    """A "host" and a "container" namespace joined by a veth pair (``veth-ctr0`` on the
    host, ``eth0`` in the container), ``lo`` up in both, addresses :data:`HOST` and
    :data:`CONTAINER`; all removed on exit. Raises
    :class:`loopedu.sandbox.NamespaceUnavailable` where namespaces cannot be made.

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """
    with namespaces("host", "container") as (host, container):
        host.ip("link", "add", HOST_LINK, "type", "veth", "peer", "name", CONTAINER_LINK,
                "netns", str(container.pid))
        for ns, link, address in ((host, HOST_LINK, HOST),
                                  (container, CONTAINER_LINK, CONTAINER)):
            ns.ip("addr", "add", f"{address}/{_PREFIXLEN}", "dev", link)
            ns.ip("link", "set", link, "up")
        yield host, container


def serve_in_container(channel) -> str:
    """The container's side, run inside its namespace: an echo server on 127.0.0.1 and
    one on 0.0.0.0 (port 0 each); sends ``{bind: port}`` and serves until the parent
    says it is done.

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """
    with echo_server("tcp", SERVERS[0]) as lo, echo_server("tcp", SERVERS[1]) as anywhere:
        channel.send({SERVERS[0]: lo.address[1], SERVERS[1]: anywhere.address[1]})
        channel.receive()
    return "stopped"


def client_side(direct: list, forwarded: list, timeout: float = 2.0) -> tuple:
    """A client's side, run inside a namespace: an :func:`~loopedu.forwarder.exchange`
    with each ``(host, port)`` of ``direct``, then one through a fresh forwarder on
    127.0.0.1 to each ``(host, port)`` of ``forwarded``. Returns (the direct exchanges,
    [(forwarder port, exchange, what the forwarder recorded), ...]).

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """
    plain = [exchange(host, port, timeout=timeout) for host, port in direct]
    relayed = []
    for host, port in forwarded:
        with forward(host, port) as fwd:
            seen = exchange(*fwd.address, timeout=timeout)
            done = fwd.wait_for(1, timeout=timeout)
            relayed.append((fwd.port, seen, done[0] if done else None))
    return plain, relayed


@dataclass(frozen=True)
class ContainerRow:
    """One request of the demo: from ``client`` (``"container"`` or ``"host"``) along
    ``route`` to ``target``:``port`` (0 in the recorded result: ports normalised), about
    the container's server bound to ``server``. For the published port, ``via`` is the
    forwarder's target and ``forwarder`` what the forwarder recorded.

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """

    client: str
    route: str
    server: str
    target: str
    port: int
    outcome: Exchange
    via: str = ""
    forwarder: Relayed | None = None

    def to_dict(self) -> dict:
        """Plain data, ready for json.dumps."""
        fwd = self.forwarder
        return {"client": self.client, "route": self.route, "server": self.server,
                "target": self.target, "port": self.port, "via": self.via,
                "connect": self.outcome.connect.kind.value,
                "errno": self.outcome.connect.errno, "after": self.outcome.after,
                "reply": self.outcome.reply.decode("latin-1"),
                "forwarder": None if fwd is None else {
                    "upstream": fwd.upstream.kind.value, "errno": fwd.upstream.errno,
                    "to_target": fwd.to_target, "to_client": fwd.to_client,
                    "ended": fwd.ended.value}}


@dataclass(frozen=True)
class ContainerResult:
    """What the demo found: ``reached`` (route -> server bind -> did the request get a
    reply), every row, how the namespaces were made (``"root"``, ``"user namespace"``,
    or ``"recorded"``) and where the result comes from.

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """

    reached: dict
    rows: tuple
    mechanism: str
    where: str
    host: str = HOST
    container: str = CONTAINER

    @property
    def live(self) -> bool:
        """True when measured here; False for the recording (``where`` says where and
        when it was recorded)."""
        return self.mechanism != "recorded"

    def to_dict(self) -> dict:
        """Plain data, ready for json.dumps."""
        return {"reached": {r: dict(s) for r, s in self.reached.items()},
                "mechanism": self.mechanism, "where": self.where, "host": self.host,
                "container": self.container, "rows": [r.to_dict() for r in self.rows]}


def _reached(rows) -> dict:
    return {route: {s: any(r.outcome.worked for r in rows
                           if r.route == route and r.server == s) for s in SERVERS}
            for route in ROUTES}


def container_loopback_demo(timeout: float = 2.0) -> ContainerResult:
    """Run the demo in two fresh namespaces (see the module's text). On Linux its
    ``reached`` is ``{'container loopback': {'127.0.0.1': True, '0.0.0.0': True},
    'host loopback': {'127.0.0.1': False, '0.0.0.0': False}, 'container address':
    {'127.0.0.1': False, '0.0.0.0': True}, 'published port': {'127.0.0.1': False,
    '0.0.0.0': True}}``. Raises :class:`loopedu.sandbox.NamespaceUnavailable` where
    namespaces cannot be made (:func:`recorded_container_demo` is the stand-in then).

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """
    with container_link() as (host, container), \
            container.start("loopedu.containers:serve_in_container") as server:
        ports = server.receive(timeout=30)
        own = [("127.0.0.1", ports[s]) for s in SERVERS]
        inside, _ = container.call("loopedu.containers:client_side", own, [],
                                   timeout=30 + timeout)
        # the host's own loopback first, before any forwarder holds a port there
        toward = [(CONTAINER, ports[s]) for s in SERVERS]
        direct, relayed = host.call("loopedu.containers:client_side", own + toward, toward,
                                    timeout=30 + 4 * timeout)
        server.send("done")
        server.result(timeout=10)
        mechanism = host.mechanism
    rows = [ContainerRow("container", "container loopback", s, "127.0.0.1", ports[s], x)
            for s, x in zip(SERVERS, inside)]
    rows += [ContainerRow("host", "host loopback", s, "127.0.0.1", ports[s], x)
             for s, x in zip(SERVERS, direct[:2])]
    rows += [ContainerRow("host", "container address", s, CONTAINER, ports[s], x)
             for s, x in zip(SERVERS, direct[2:])]
    rows += [ContainerRow("host", "published port", s, "127.0.0.1", fport, x,
                          f"{CONTAINER}:{ports[s]}", rec)
             for s, (fport, x, rec) in zip(SERVERS, relayed)]
    return ContainerResult(_reached(rows), tuple(rows), mechanism,
                           f"measured here, in two network namespaces made as {mechanism}")


# ---- the recorded result, for machines without namespaces ----

#: Where :data:`RECORDED` comes from.
RECORDED_LABEL = "recorded on Linux (Debian 12) as root, 2026-11-29"

#: Why a recorded result is shown, in one paragraph.
RECORDED_EXPLANATION = (
    "This machine cannot make network namespaces (they are a Linux feature, and need "
    "root or unprivileged user namespaces), so the table below was recorded by running "
    "the same demo on Linux; ports are shown as <port> because each run gets new "
    "ephemeral ones. What it shows is how Linux network namespaces, and so containers, "
    "work: each has its own lo, a server bound to 127.0.0.1 inside one answers only "
    "inside it, and a published port (-p) can only reach a server bound to 0.0.0.0 or to "
    "the container's own address.")


def _recorded_row(client, route, server, target, connect, after, reply, fwd=None) -> dict:
    return {"client": client, "route": route, "server": server, "target": target,
            "port": 0, "via": f"{CONTAINER}:0" if fwd else "", "connect": connect,
            "errno": None, "after": after, "reply": reply, "forwarder": fwd}


def _relay(upstream: str, size: int, ended: str) -> dict:
    return {"upstream": upstream, "errno": None, "to_target": size, "to_client": size,
            "ended": ended}


#: :func:`container_loopback_demo` as recorded (``to_dict()``, ports normalised to 0).
RECORDED = {
    "reached": {"container loopback": {"127.0.0.1": True, "0.0.0.0": True},
                "host loopback": {"127.0.0.1": False, "0.0.0.0": False},
                "container address": {"127.0.0.1": False, "0.0.0.0": True},
                "published port": {"127.0.0.1": False, "0.0.0.0": True}},
    "mechanism": "recorded", "where": RECORDED_LABEL, "host": HOST, "container": CONTAINER,
    "rows": [
        _recorded_row("container", "container loopback", "127.0.0.1", "127.0.0.1",
                      "connected", "reply", "ping"),
        _recorded_row("container", "container loopback", "0.0.0.0", "127.0.0.1",
                      "connected", "reply", "ping"),
        _recorded_row("host", "host loopback", "127.0.0.1", "127.0.0.1", "refused", "", ""),
        _recorded_row("host", "host loopback", "0.0.0.0", "127.0.0.1", "refused", "", ""),
        _recorded_row("host", "container address", "127.0.0.1", CONTAINER, "refused", "",
                      ""),
        _recorded_row("host", "container address", "0.0.0.0", CONTAINER, "connected",
                      "reply", "ping"),
        _recorded_row("host", "published port", "127.0.0.1", "127.0.0.1", "connected",
                      "reset", "", _relay("refused", 0, Ending.RESET_CLIENT.value)),
        _recorded_row("host", "published port", "0.0.0.0", "127.0.0.1", "connected",
                      "reply", "ping", _relay("connected", 4, Ending.CLOSED.value)),
    ],
}


def _row_from(data: dict) -> ContainerRow:
    fwd = data["forwarder"]
    relayed = None if fwd is None else Relayed(
        ("127.0.0.1", 0), Outcome(Kind(fwd["upstream"]), fwd["errno"]), fwd["to_target"],
        fwd["to_client"], Ending(fwd["ended"]))
    outcome = Exchange(Outcome(Kind(data["connect"]), data["errno"]), data["after"],
                       data["reply"].encode("latin-1"))
    return ContainerRow(data["client"], data["route"], data["server"], data["target"],
                        data["port"], outcome, data["via"], relayed)


def recorded_container_demo() -> ContainerResult:
    """The demo's result as recorded on Linux (:data:`RECORDED_LABEL`), for machines
    that cannot make namespaces; :data:`RECORDED_EXPLANATION` says why it is shown.

    >>> recorded_container_demo().reached["published port"]
    {'127.0.0.1': False, '0.0.0.0': True}

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """
    return ContainerResult({r: dict(s) for r, s in RECORDED["reached"].items()},
                           tuple(_row_from(r) for r in RECORDED["rows"]),
                           RECORDED["mechanism"], RECORDED["where"])


def container_demo(timeout: float = 2.0) -> ContainerResult:
    """:func:`container_loopback_demo` where namespaces can be made, otherwise
    :func:`recorded_container_demo`.

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """
    try:
        return container_loopback_demo(timeout)
    except NamespaceUnavailable:
        return recorded_container_demo()


def _at(host: str, port: int) -> str:
    return f"{host}:{port if port else '<port>'}"


def format_containers(result: ContainerResult, brief: bool = False) -> str:
    """Text for a :class:`ContainerResult`. ``brief=True`` (the lesson's main path) prints
    only what the lesson's prediction asks and its text discusses: the four routes to the
    server bound to 127.0.0.1, and the published port to the one bound to 0.0.0.0; no
    summary lines.

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """
    lines = [f"host {result.host} and container {result.container} on a veth pair "
             f"({result.where})"]
    if result.mechanism == "recorded":
        lines.append(RECORDED_EXPLANATION)
    lines.append(f"  {'from':<10}{'connects to':<45}{'server on':<11}what happened")
    for row in result.rows:
        if brief and row.server != "127.0.0.1" and row.route != "published port":
            continue
        to = _at(row.target, row.port)
        if row.via:
            host, _, port = row.via.rpartition(":")
            to += f" -> {_at(host, int(port))} (-p)"
        lines.append(f"  {row.client:<10}{to:<45}{row.server:<11}{row.outcome}")
    if brief:
        return "\n".join(lines)
    ok = result.reached
    lines.append("inside the container both servers answer on 127.0.0.1: it works in the "
                 "container" if all(ok["container loopback"].values()) else
                 "inside the container, 127.0.0.1 did not reach both servers")
    through = [s for s, v in ok["published port"].items() if v]
    lines.append("from the host, through -p, only the server on "
                 + (", ".join(through) or "none") + " answered")
    return "\n".join(lines)
