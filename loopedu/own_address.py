"""Traffic to your own non-loopback address goes over ``lo`` too.

When a program connects to an address of its own machine, say the Wi-Fi address, the
routing decision finds it in the *local* table (``ip route show table local``: ``local
198.18.0.1 dev eth0 proto kernel scope host``), a route of type RTN_LOCAL, and Linux
delivers such packets through the loopback device: ``ip route get 198.18.0.1`` says
``local 198.18.0.1 dev lo``. The network card never sees them. So it keeps working with
the card down and its cable unplugged, and only ``lo``'s byte counters move.

The demo, in two namespaces :mod:`loopedu.sandbox` makes and removes: a "laptop" with
a veth ``eth0`` holding 198.18.0.1/24 (RFC 2544 range), cabled to a "peer". In each step
it prints the routes, then moves 1 MB to 198.18.0.1 from inside the laptop with lesson
04's counter experiment (:func:`loopedu.measure.counter_experiment`) and reads the
counters of ``lo`` and ``eth0``:

1. ``eth0`` up: the bytes go over ``lo``, ``eth0`` does not move;
2. ``eth0`` set DOWN, and the peer's end too (no carrier: a cable pulled out): the same,
   because the address stays on the interface and its local route stays in the table;
3. the peer's end deleted (``ip link del``): a veth pair is deleted as a whole
   (veth(4)), so ``eth0`` and its address are gone, and 198.18.0.1 is no longer this
   machine's: there is nothing to listen on.

IPv6 is switched off on the veth so that no neighbour discovery counts on it. Where
namespaces cannot be made, :func:`own_address_demo` gives the result recorded on
Linux, labelled.

Introduced in notebooks/04-loopback-interface.ipynb.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .connections import Outcome
from .measure.counters import MB, counter_experiment
from .sandbox import Namespace, find_tool, namespaces
from .sandbox.recordings import Provenance, load_recording, measured_or_recorded, save_recording

__all__ = ["ADDRESS", "PEER", "NIC", "STEPS", "RECORDING", "RECORDED_EXPLANATION",
           "OwnAddressStep", "OwnAddress", "move_to_own_address", "own_address_details",
           "recorded_own_address", "own_address_demo", "format_own_address", "record"]

ADDRESS, PEER = "198.18.0.1", "198.18.0.2"  # the laptop's and its peer's (RFC 2544)
NIC = "eth0"
_PREFIXLEN = 24
#: The three steps, in order.
STEPS = (f"{NIC} up", f"{NIC} down, its peer down (no carrier)",
         f"the peer's end deleted ({NIC} gone with it)")
RECORDING = "own-address-04"

#: Why a recorded result is shown, in one paragraph.
RECORDED_EXPLANATION = (
    "This machine cannot make network namespaces (a Linux feature that needs root or "
    "unprivileged user namespaces), so the results below were recorded by running the "
    "same demo on Linux. They show that a connection to the machine's own non-loopback "
    "address is routed to lo (ip route get: local ... dev lo), works with the network "
    "card down, and moves only lo's counters.")


@dataclass(frozen=True)
class OwnAddressStep:
    """One step: ``link`` is the state ``ip`` gives ``eth0`` (``"UP"``, ``"DOWN"``, or
    ``"gone"``); ``route`` the first line of ``ip route get 198.18.0.1`` (or its
    error); ``local_route`` the local table's line for the address (``""`` when none);
    ``outcome`` what moving the bytes to 198.18.0.1 gave (``"connected"`` when all
    arrived, else the failure); ``moved`` the bytes that arrived; ``lo`` and ``nic`` the
    growth of each interface's counters (``{"sent", "recv"}`` in bytes; None where the
    interface does not exist or nothing was moved).

    Introduced in notebooks/04-loopback-interface.ipynb.
    """

    step: str
    link: str
    route: str
    local_route: str
    outcome: str
    moved: int
    lo: dict | None
    nic: dict | None


@dataclass(frozen=True)
class OwnAddress(Provenance):
    """The three steps, and where the result comes from
    (:class:`~loopedu.sandbox.recordings.Provenance`).

    Introduced in notebooks/04-loopback-interface.ipynb.
    """

    steps: tuple

    def to_dict(self) -> dict:
        """Plain data, ready for json.dumps."""
        return {**super().to_dict(), "steps": [asdict(s) for s in self.steps]}


def move_to_own_address(address: str = ADDRESS, megabytes: float = 1.0) -> tuple:
    """Run inside the laptop's namespace: lesson 04's counter experiment to ``address``.
    Returns ``(outcome, bytes moved, {interface: {"sent", "recv"}} growth or None)``.

    Introduced in notebooks/04-loopback-interface.ipynb.
    """
    try:
        counted = counter_experiment(megabytes, host=address)
    except OSError as exc:
        return str(Outcome.of_error(exc)), 0, None
    complete = counted.bytes_moved == int(megabytes * MB)
    return ("connected" if complete else "connected, bytes missing"), counted.bytes_moved, \
        counted.delta


def _first(done) -> str:
    lines = [line.strip() for line in (done.stdout or done.stderr).splitlines() if line.strip()]
    return lines[0] if lines else ""


def _step(laptop: Namespace, step: str, megabytes: float) -> OwnAddressStep:
    ip = find_tool("ip") or "ip"
    shown = laptop.run(ip, "-o", "link", "show", "dev", NIC)
    words = shown.stdout.split()
    link = words[words.index("state") + 1] if "state" in words else "gone"
    local = _first(laptop.run(ip, "route", "show", "table", "local", ADDRESS))
    outcome, moved, delta = laptop.call("loopedu.own_address:move_to_own_address", ADDRESS,
                                        megabytes, timeout=60)
    delta = delta or {}
    return OwnAddressStep(step, link, _first(laptop.run(ip, "route", "get", ADDRESS)),
                          local, outcome, moved, delta.get("lo"), delta.get(NIC))


def own_address_details(megabytes: float = 1.0) -> OwnAddress:
    """Run the three steps (see the module's text). On Linux the first two route
    198.18.0.1 to ``lo`` and connect, with ``eth0``'s counters still; in the third the
    address is gone. Raises :class:`loopedu.sandbox.NamespaceUnavailable` where
    namespaces cannot be made.

    Introduced in notebooks/04-loopback-interface.ipynb.
    """
    with namespaces("laptop", "peer") as (laptop, peer):
        for ns in (laptop, peer):   # no neighbour discovery on the veth
            try:
                ns.set_sysctl("net.ipv6.conf.default.disable_ipv6", 1)
            except OSError:
                pass                # no IPv6 in this kernel: nothing to silence
        laptop.veth(NIC, peer, NIC, ADDRESS, PEER, _PREFIXLEN)
        steps = [_step(laptop, STEPS[0], megabytes)]
        laptop.ip("link", "set", NIC, "down")
        peer.ip("link", "set", NIC, "down")
        steps.append(_step(laptop, STEPS[1], megabytes))
        peer.ip("link", "del", NIC)
        steps.append(_step(laptop, STEPS[2], megabytes))
        mechanism = laptop.mechanism
    return OwnAddress(tuple(steps), mechanism=mechanism,
                      where=f"measured here, in two network namespaces made as {mechanism}")


def recorded_own_address() -> OwnAddress:
    """The demo as recorded on Linux (``loopedu/data/own-address-04-recorded.json``; its
    ``where`` says where, when and how), for machines that cannot make namespaces.

    >>> recorded_own_address().steps[1].route.startswith("local 198.18.0.1 dev lo")
    True

    Introduced in notebooks/04-loopback-interface.ipynb.
    """
    return load_recording(RECORDING)


def own_address_demo(megabytes: float = 1.0) -> OwnAddress:
    """:func:`own_address_details` where namespaces can be made; elsewhere
    :func:`recorded_own_address`, with ``why_recorded`` saying why.

    Introduced in notebooks/04-loopback-interface.ipynb.
    """
    return measured_or_recorded(own_address_details, RECORDING, megabytes)


def record(path=None) -> dict:
    """Run :func:`own_address_details` here and save it as the recording (Linux, best as
    root: ``python -c "from loopedu import own_address; own_address.record()"``).

    Introduced in notebooks/04-loopback-interface.ipynb.
    """
    return save_recording(RECORDING, own_address_details(), path=path)


def _kb(growth: dict | None) -> str:
    if growth is None:
        return "-"
    return f"{growth['sent'] / 1000:.0f}/{growth['recv'] / 1000:.0f}"


def format_own_address(result: OwnAddress, brief: bool = False) -> str:
    """Text for an :class:`OwnAddress`. ``brief=True`` keeps, per step, the route's first
    words and what moving data gave (the lesson's main path); the default adds the
    ``local`` table's line.

    Introduced in notebooks/04-loopback-interface.ipynb.
    """
    lines = result.provenance_lines(RECORDED_EXPLANATION,
                                    f"the laptop's {NIC} holds {ADDRESS}; ")
    if brief:
        lines.append(f"step: ip route get {ADDRESS} | kB sent/received while moving 1 MB")
        for s in result.steps:
            route = (s.route or "(nothing)").replace("RTNETLINK answers: ", "")
            route = " ".join(route.split()[:4]) if route.startswith("local") else route
            moved = (f"lo {_kb(s.lo)}, {NIC} {_kb(s.nic)}" if s.moved else s.outcome)
            lines.append(f"{s.step.split(',')[0].split(' (')[0]}: {route} | {moved}")
        return "\n".join(lines)
    for s in result.steps:
        lines += [f"{s.step} (state {s.link}):",
                  f"  ip route get {ADDRESS}: {s.route or '(nothing)'}",
                  f"  local table: {s.local_route or '(no route for it)'}",
                  f"  moving data to {ADDRESS}: {s.outcome}, {s.moved:,} bytes; counters "
                  f"grew (kB sent/received): lo {_kb(s.lo)}, {NIC} {_kb(s.nic)}"]
    return "\n".join(lines)
