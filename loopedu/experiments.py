"""Live experiments that return plain data (dicts and lists), never print.

Notebooks, widgets, plots and the ``loopedu`` command render what these return.

Introduced in notebooks/01-loopback-range.ipynb.
"""

from __future__ import annotations

from .servers import connect_outcome, errno_name, listener

__all__ = ["probe_loopback", "probe_addresses", "EXPLAIN_ERRNO", "expected_reach",
           "LOOPBACK_RANGE_BY_PLATFORM"]

#: What the errors the experiments meet mean, in one line each (shown beside results).
EXPLAIN_ERRNO = {
    "EADDRNOTAVAIL": "no interface on this machine owns that address, so it cannot be bound",
    "EAFNOSUPPORT": "this kernel or Python has no IPv6 at all (compiled out)",
    "ECONNREFUSED": "the address answered, but nothing listens on that port there",
    "ENETUNREACH": "no route: for loopback, usually `lo` is down (a fresh network namespace)",
    "EADDRINUSE": "another socket already holds that address and port",
    "EACCES": "permission denied (ports below 1024 need privileges on most systems)",
    "ETIMEDOUT": "no answer in time: the packets were dropped somewhere",
}


def probe_loopback(address: str, timeout: float = 1.0) -> dict:
    """Bind a listener on ``address`` (port 0), connect to it, report what happened.

    Returns ``{"address", "bind", "connect", "server_saw", "outcome"}``: ``bind`` is
    ``"ok"`` or the errno name (``"EADDRNOTAVAIL"``); ``connect`` is an outcome from
    :func:`loopedu.servers.connect_outcome` or None when the bind failed; ``server_saw``
    is the client address the server accepted (on Linux a connection to 127.0.0.2 comes
    from 127.0.0.1: the route ``local 127.0.0.0/8 dev lo src 127.0.0.1`` names the
    source; see ``ip route show table local``); ``outcome`` sums it up in the words of
    :func:`expected_reach` (``"bind ok, connected"`` or ``"EADDRNOTAVAIL"``).

    >>> probe_loopback("127.0.0.1")["connect"]
    'connected'

    Introduced in notebooks/01-loopback-range.ipynb.
    """
    result = {"address": address, "bind": "ok", "connect": None, "server_saw": None}
    try:
        with listener(address) as srv:
            result["connect"] = connect_outcome(address, srv.port, timeout=timeout)
            if result["connect"] == "connected":
                peers = srv.wait_for_peers(1, timeout=timeout)
                result["server_saw"] = peers[0][0] if peers else None
    except OSError as exc:
        result["bind"] = errno_name(exc)
    result["outcome"] = (f"bind ok, {result['connect']}" if result["bind"] == "ok"
                         else result["bind"])
    return result


def probe_addresses(addresses, timeout: float = 1.0) -> list[dict]:
    """Run :func:`probe_loopback` on each address; one dict per address, in order.

    >>> [r["bind"] for r in probe_addresses(["127.0.0.1"])]
    ['ok']

    Introduced in notebooks/01-loopback-range.ipynb.
    """
    return [probe_loopback(a, timeout=timeout) for a in addresses]


#: What each platform does with 127.x other than 127.0.0.1, with the source for each.
LOOPBACK_RANGE_BY_PLATFORM = {
    "Linux": ("every 127.x binds and answers (route `local 127.0.0.0/8 dev lo`)",
              "ip-route(8): `ip route show table local`; FACTS observed on Debian 12"),
    "Darwin": ("only 127.0.0.1 answers; binding 127.0.0.2 gives EADDRNOTAVAIL until "
               "`sudo ifconfig lo0 alias 127.0.0.2`",
               "iproute2mac issue 40; norouter issue 2"),
    "Windows": ("127.0.0.0/8 is on-link: 127.x is treated as local (a connection to an "
                "unbound 127.0.0.2 is refused); WSL2 supports only 127.0.0.1",
                "microsoft/WSL issue 11766; MicrosoftDocs/WSL issue 1337"),
}


def expected_reach(address: str, system: str | None = None) -> str:
    """What we expect ``probe_loopback(address)`` to do on ``system`` (default: this one).

    Returns ``"bind ok, connected"`` or ``"EADDRNOTAVAIL"`` (or ``"unknown"`` for an OS
    the course has no source for), to print beside what the machine actually did.

    >>> expected_reach("127.0.0.2", "Linux"), expected_reach("127.0.0.2", "Darwin")
    ('bind ok, connected', 'EADDRNOTAVAIL')

    Introduced in notebooks/01-loopback-range.ipynb.
    """
    import platform

    system = system or platform.system()
    if address == "127.0.0.1" or system in ("Linux", "Windows"):
        return "bind ok, connected"
    if system == "Darwin":
        return "EADDRNOTAVAIL"
    return "unknown"


# ---- lesson 03: 127.0.0.1 versus 0.0.0.0 ----

__all__ += ["DEFAULT_BINDS", "DEFAULT_TARGETS", "reachability", "reachability_details",
            "format_reachability", "lan_exposure", "lan_exposure_details", "lan_fallback",
            "format_lan", "eaddrinuse_demo", "port_shadowing_demo", "connect_to_any_demo",
            "platform_notes", "PLATFORM_SOURCES"]

#: The reachability matrix's rows: where a server listens.
DEFAULT_BINDS = ("127.0.0.1", "0.0.0.0", "127.42.42.42", "::1", "::")
#: The reachability matrix's columns: where a client connects.
DEFAULT_TARGETS = ("127.0.0.1", "127.0.0.2", "127.42.42.42", "::1")


def _reach(srv, target: str, timeout: float) -> dict:
    """Connect to ``target`` on ``srv``'s port; check that ``srv`` itself accepted."""
    before = len(srv.peers)
    outcome = connect_outcome(target, srv.port, timeout=timeout)
    saw = None
    if outcome == "connected":
        peers = srv.wait_for_peers(before + 1, timeout=timeout)
        if len(peers) > before:
            saw = peers[before][0]
        else:  # same port number, other family: someone else's listener answered
            outcome = "connected to another socket"
    return {"bind": srv.host, "target": target, "port": srv.port, "outcome": outcome,
            "server_saw": saw}


def reachability_details(binds=DEFAULT_BINDS, targets=DEFAULT_TARGETS, timeout: float = 1.0,
                         v6only: bool | None = None) -> list[dict]:
    """Like :func:`reachability`, one dict per (bind, target): ``{"bind", "target",
    "port", "outcome", "server_saw"}`` (``server_saw``: the client address the listener
    accepted, ``::ffff:127.0.0.1`` for IPv4 reaching a dual-stack ``::``).

    >>> reachability_details(["127.0.0.1"], ["127.0.0.1"])[0]["server_saw"]
    '127.0.0.1'

    Introduced in notebooks/03-bind-address.ipynb.
    """
    from contextlib import ExitStack

    from .netlab import is_lab_safe

    for target in targets:
        if not is_lab_safe(target):
            raise ValueError(f"{target} is not a loopback address: experiments only "
                             "connect to loopback (and to the namespaces of the LAN lab)")
    rows = []
    for bind in binds:
        with ExitStack() as stack:
            try:
                srv = stack.enter_context(listener(bind, v6only=v6only))
            except OSError as exc:
                rows += [{"bind": bind, "target": t, "port": None, "server_saw": None,
                          "outcome": f"bind failed: {errno_name(exc)}"} for t in targets]
                continue
            rows += [_reach(srv, target, timeout) for target in targets]
    return rows


def reachability(binds=DEFAULT_BINDS, targets=DEFAULT_TARGETS, timeout: float = 1.0,
                 v6only: bool | None = None) -> dict:
    """Bind a listener on each of ``binds`` (port 0), connect to each of ``targets`` on
    its port; return ``{(bind, target): outcome}``.

    Outcomes: ``"connected"``, ``"refused"``, ``"timeout"``, ``"unreachable"``,
    ``"bind failed: ERRNO"`` (``EADDRNOTAVAIL``: no interface has that address),
    ``"failed: ERRNO"``. Families: a client uses the target's family, so an IPv4 target
    reaches an IPv6 bind only through a dual-stack ``::`` (Linux default
    ``net.ipv6.bindv6only=0``; ``v6only=True`` turns it off, Windows' default), and is
    otherwise ``"refused"`` (nothing listens on that port in IPv4); an IPv6 target never
    reaches an IPv4 bind. ``"connected to another socket"`` flags the rare case where a
    different program happened to listen on the same port number in the other family.

    >>> reachability(["127.0.0.1", "0.0.0.0"], ["127.0.0.2"])  # doctest: +SKIP
    {('127.0.0.1', '127.0.0.2'): 'refused', ('0.0.0.0', '127.0.0.2'): 'connected'}

    Introduced in notebooks/03-bind-address.ipynb.
    """
    return {(r["bind"], r["target"]): r["outcome"]
            for r in reachability_details(binds, targets, timeout, v6only)}


def format_reachability(result: dict) -> str:
    """The matrix as text: a row per bind address, a column per target.

    >>> print(format_reachability({("127.0.0.1", "127.0.0.2"): "refused"}))
    listening on \\ connecting to  127.0.0.2
    127.0.0.1                     refused

    Introduced in notebooks/03-bind-address.ipynb.
    """
    binds = list(dict.fromkeys(b for b, _ in result))
    targets = list(dict.fromkeys(t for _, t in result))
    first = max(len("listening on \\ connecting to"), *(len(b) for b in binds)) + 2
    width = max(len(t) for t in [*targets, *result.values()]) + 2
    lines = ["listening on \\ connecting to".ljust(first)
             + "".join(t.ljust(width) for t in targets).rstrip()]
    for bind in binds:
        lines.append(bind.ljust(first) + "".join(result.get((bind, t), "").ljust(width)
                                                 for t in targets).rstrip())
    return "\n".join(lines)


def lan_exposure_details(binds=None):
    """The laptop/phone LAN lab (Linux + root): a :class:`loopedu.netlab.LanResult` with
    every connection tried and what each server saw.

    Raises :class:`loopedu.netlab.LabUnavailable` (a RuntimeError) where network
    namespaces cannot be made; :func:`lan_fallback` is the stand-in then.

    >>> lan_exposure_details().reached["0.0.0.0"]  # doctest: +SKIP
    True

    Introduced in notebooks/03-bind-address.ipynb.
    """
    from . import netlab

    return netlab.lan_lab(netlab.LAN_BINDS if binds is None else binds)


def lan_exposure(binds=None) -> dict:
    """Could a phone on the same LAN connect to a server on the laptop bound to each
    address? Two network namespaces joined by a veth pair (198.18.0.0/15 and
    2001:2::/48); returns ``{bind_address: reached}``.

    Raises :class:`loopedu.netlab.LabUnavailable` where namespaces cannot be made.

    >>> lan_exposure()  # doctest: +SKIP
    {'127.0.0.1': False, '0.0.0.0': True, '::1': False, '::': True}

    Introduced in notebooks/03-bind-address.ipynb.
    """
    return lan_exposure_details(binds).reached


#: What a learner sees on a real LAN (shown with the fallback, and after the lab).
ON_A_LAN = (
    "On a real LAN the phone connects to the laptop's Wi-Fi address (say 192.168.1.20, "
    "port 8000). A server bound to 127.0.0.1 gives 'connection refused': the laptop's "
    "kernel answers, but nothing listens on that address. Bound to 0.0.0.0 (or ::) the "
    "phone gets the page, and so does everything else on that network. Test with 0.0.0.0 "
    "briefly, then switch back to 127.0.0.1.")


def lan_fallback(timeout: float = 1.0) -> dict:
    """The loopback stand-in for :func:`lan_exposure`, where namespaces cannot be made.

    127.0.0.2 plays the laptop's LAN address: an address of this machine other than the
    one the server bound. Returns ``{"reached": {bind: bool}, "details": rows,
    "stand_in": text, "on_a_lan": text}``; on Linux ``reached`` is
    ``{"127.0.0.1": False, "0.0.0.0": True}`` (macOS has no 127.0.0.2: see
    :func:`platform_notes`).

    >>> lan_fallback()["reached"]  # doctest: +SKIP
    {'127.0.0.1': False, '0.0.0.0': True}

    Introduced in notebooks/03-bind-address.ipynb.
    """
    rows = reachability_details(("127.0.0.1", "0.0.0.0"), ("127.0.0.1", "127.0.0.2"),
                                timeout=timeout)
    return {
        "reached": {r["bind"]: r["outcome"] == "connected" for r in rows
                    if r["target"] == "127.0.0.2"},
        "details": rows,
        "stand_in": "127.0.0.2 stands in for the laptop's LAN address: like a Wi-Fi "
                    "address it belongs to this machine but is not the 127.0.0.1 the "
                    "server bound, so only a server bound to 0.0.0.0 accepts it.",
        "on_a_lan": ON_A_LAN,
    }


def format_lan(result) -> str:
    """Text for a :class:`loopedu.netlab.LanResult` or a :func:`lan_fallback` dict.

    >>> format_lan(lan_fallback()).splitlines()[0]  # doctest: +SKIP
    "loopback stand-in for the LAN lab: 127.0.0.2 plays the laptop's LAN address"

    Introduced in notebooks/03-bind-address.ipynb.
    """
    if isinstance(result, dict):  # the fallback
        lines = ["loopback stand-in for the LAN lab: 127.0.0.2 plays the laptop's LAN "
                 "address"]
        lines += [f"  server on {r['bind']:<10} client to {r['target']:<10} {r['outcome']}"
                  for r in result["details"]]
        return "\n".join(lines + [result["stand_in"], result["on_a_lan"]])
    lines = [f"laptop {result.laptop['ipv4']} / {result.laptop['ipv6']}, phone "
             f"{result.phone['ipv4']} / {result.phone['ipv6']} (virtual LAN)"]
    for row in result.attempts:
        lines.append(f"  server on {row['bind']:<10} {row['from']:<7}-> "
                     f"{row['target']:<12} {row['outcome']}")
    reached = [b for b, ok in result.reached.items() if ok]
    lines.append("the phone reached the servers bound to: " + (", ".join(reached) or "none"))
    return "\n".join(lines)


def eaddrinuse_demo() -> dict:
    """Break it on purpose: bind 127.0.0.1 on a port a listener already holds.

    >>> eaddrinuse_demo()["second"]
    'EADDRINUSE'

    Introduced in notebooks/03-bind-address.ipynb.
    """
    import socket

    with listener("127.0.0.1") as srv:
        second = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            second.bind(("127.0.0.1", srv.port))
            outcome = "ok"
        except OSError as exc:
            outcome = errno_name(exc)
        finally:
            second.close()
    return {"address": "127.0.0.1", "port": srv.port, "first": "ok", "second": outcome,
            "explain": EXPLAIN_ERRNO.get(outcome, "")}


def _bound(host: str, port: int, option: str | None):
    """A listening TCP socket on (host, port) with SO_REUSEPORT / SO_REUSEADDR set."""
    import socket

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        if option:
            sock.setsockopt(socket.SOL_SOCKET, getattr(socket, option), 1)
        sock.bind((host, port))
        sock.listen(8)
    except BaseException:
        sock.close()
        raise
    return sock


def _accepted_by(socks: dict, target: str, port: int, timeout: float) -> str:
    """Connect to (target, port); name the listener in ``socks`` that got it."""
    import select

    outcome = connect_outcome(target, port, timeout=timeout)
    if outcome != "connected":
        return outcome
    ready, _, _ = select.select(list(socks.values()), [], [], timeout)
    names = []
    for name, sock in socks.items():
        if sock in ready:
            sock.accept()[0].close()
            names.append(name)
    return " and ".join(names) or "nobody"


def port_shadowing_demo(timeout: float = 1.0) -> dict:
    """Break it on purpose: two listeners on one port, 0.0.0.0:P and 127.0.0.1:P.

    With SO_REUSEPORT both binds succeed and the more specific 127.0.0.1 listener takes
    the connections to 127.0.0.1 (the wildcard still gets 127.0.0.2): a program can
    shadow another's loopback traffic. With SO_REUSEADDR only, the second bind is
    EADDRINUSE. Returns ``{"reuseport": {...}, "reuseaddr": {...}}`` with the port,
    each bind's outcome and ``accepted_by`` (target -> which listener accepted).

    >>> port_shadowing_demo()["reuseaddr"]["second_bind"]  # doctest: +SKIP
    'EADDRINUSE'

    Introduced in notebooks/03-bind-address.ipynb.
    """
    import socket
    from contextlib import ExitStack

    result = {}
    for option in ("SO_REUSEPORT", "SO_REUSEADDR"):
        key = option[3:].lower()
        if not hasattr(socket, option):
            result[key] = {"available": False, "note": f"this OS has no {option}"}
            continue
        with ExitStack() as stack:
            wild = stack.enter_context(_bound("0.0.0.0", 0, option))
            port = wild.getsockname()[1]
            socks, entry = {"0.0.0.0": wild}, {"available": True, "port": port,
                                                "first_bind": "0.0.0.0 ok"}
            try:
                socks["127.0.0.1"] = stack.enter_context(_bound("127.0.0.1", port, option))
                entry["second_bind"] = "127.0.0.1 ok"
            except OSError as exc:
                entry["second_bind"] = errno_name(exc)
            entry["accepted_by"] = {t: _accepted_by(socks, t, port, timeout)
                                    for t in ("127.0.0.1", "127.0.0.2")}
        result[key] = entry
    return result


def connect_to_any_demo(timeout: float = 1.0) -> dict:
    """Connecting to 0.0.0.0 (or ::) is not an error on Linux: it reaches a listener on
    127.0.0.1 (or ::1), and the server sees the client as 127.0.0.1 (or ::1).

    Returns ``{target: {"listener", "outcome", "server_saw"}}``.

    >>> connect_to_any_demo()["0.0.0.0"]["server_saw"]  # doctest: +SKIP
    '127.0.0.1'

    Introduced in notebooks/03-bind-address.ipynb.
    """
    rows = [*reachability_details(["127.0.0.1"], ["0.0.0.0"], timeout),
            *reachability_details(["::1"], ["::"], timeout)]
    return {r["target"]: {"listener": r["bind"], "outcome": r["outcome"],
                          "server_saw": r["server_saw"]} for r in rows}


#: The reports the platform notes rest on.
PLATFORM_SOURCES = {
    "iproute2mac#40": "https://github.com/brona/iproute2mac/issues/40",
    "norouter#2": "https://github.com/norouter/norouter/issues/2",
    "WSL#11766": "https://github.com/microsoft/WSL/issues/11766",
    "MicrosoftDocs/WSL#1337": "https://github.com/MicrosoftDocs/WSL/issues/1337",
}


def platform_notes() -> dict:
    """Where lesson 03's results differ by platform, with sources, as data.

    Returns ``{platform: {"loopback_range", "dual_stack", "sources": [{"name", "url"}],
    "applies_here"}}`` for ``Linux``, ``Darwin`` (macOS), ``Windows`` and ``WSL2``.

    >>> platform_notes()["Darwin"]["sources"][0]["name"]
    'iproute2mac#40'

    Introduced in notebooks/03-bind-address.ipynb.
    """
    import platform

    system, release = platform.system(), platform.release().lower()
    texts = {
        "Linux": (LOOPBACK_RANGE_BY_PLATFORM["Linux"][0],
                  "net.ipv6.bindv6only=0: a socket on :: also accepts IPv4, seen as "
                  "::ffff:127.0.0.1", []),
        "Darwin": ("lo0 carries only 127.0.0.1: binding 127.0.0.2 or 127.42.42.42 gives "
                   "EADDRNOTAVAIL until `sudo ifconfig lo0 alias 127.0.0.2`, so the "
                   "matrix shows 'bind failed' there",
                   "not in the course's sources: the matrix's :: row shows it", 
                   ["iproute2mac#40", "norouter#2"]),
        "Windows": ("127.0.0.0/8 is treated as local: a connection to 127.0.0.2 with "
                    "nothing bound there is refused",
                    "IPV6_V6ONLY defaults to 1: a socket on :: does not accept IPv4",
                    ["WSL#11766"]),
        "WSL2": ("only 127.0.0.1 is forwarded between Windows and WSL2 (mirrored "
                 "networking too): a WSL listener on 127.0.0.2 is refused from Windows",
                 "as on Linux, inside WSL", ["MicrosoftDocs/WSL#1337", "WSL#11766"]),
    }
    here = {system} | ({"WSL2"} if "microsoft" in release else set())
    return {name: {"loopback_range": rng, "dual_stack": dual,
                   "sources": [{"name": s, "url": PLATFORM_SOURCES[s]} for s in sources],
                   "applies_here": name in here}
            for name, (rng, dual, sources) in texts.items()}
