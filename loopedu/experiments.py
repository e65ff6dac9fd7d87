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
              "ip-route(8): `ip route show table local`; observed on Debian 12"),
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
    "Microsoft Learn: Dual-Stack Sockets for IPv6 Winsock Applications":
        "https://learn.microsoft.com/en-us/windows/win32/winsock/dual-stack-sockets",
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
                    ["WSL#11766",
                     "Microsoft Learn: Dual-Stack Sockets for IPv6 Winsock Applications"]),
        "WSL2": ("only 127.0.0.1 is forwarded between Windows and WSL2 (mirrored "
                 "networking too): a WSL listener on 127.0.0.2 is refused from Windows",
                 "as on Linux, inside WSL", ["MicrosoftDocs/WSL#1337", "WSL#11766"]),
    }
    here = {system} | ({"WSL2"} if "microsoft" in release else set())
    return {name: {"loopback_range": rng, "dual_stack": dual,
                   "sources": [{"name": s, "url": PLATFORM_SOURCES[s]} for s in sources],
                   "applies_here": name in here}
            for name, (rng, dual, sources) in texts.items()}


# ---- lesson 04: IPv6 ::1, dual stack, mapped addresses, IPv6 switched off ----

__all__ += ["DUAL_STACK_DEFAULTS", "ipv6_status", "platform_dual_stack_default",
            "dual_stack", "format_dual_stack", "dual_stack_key", "locality_check_demo",
            "zone_demo", "loopback_rtt", "format_rtt"]

#: Whether a socket on :: also takes IPv4 by default, per platform, with the source.
DUAL_STACK_DEFAULTS = {
    "Linux": {"v6only": False,
              "text": "IPV6_V6ONLY starts from net.ipv6.bindv6only, default 0: a socket "
                      "on :: also accepts IPv4, seen as ::ffff:a.b.c.d (RFC 3493 section 5.3)",
              "source": "ipv6(7) and IPV6_V6ONLY(2const): 'The default value for this flag "
                        "is defined by the contents of the file /proc/sys/net/ipv6/"
                        "bindv6only. The default value for that file is 0'"},
    "Windows": {"v6only": True,
                "text": "IPV6_V6ONLY is on by default (Windows Vista and later): set it to 0 "
                        "before bind() for a dual-stack socket",
                "source": "Microsoft Learn, 'Dual-Stack Sockets for IPv6 Winsock "
                          "Applications' (learn.microsoft.com/en-us/windows/win32/winsock/"
                          "dual-stack-sockets)"},
    "OpenBSD": {"v6only": True,
                "text": "no IPv4-mapped addresses at all: IPV6_V6ONLY is read-only and "
                        "always 1, so a server needs one socket per family",
                "source": "OpenBSD ip6(4) and inet6(4)"},
}


def _read_bindv6only() -> int | None:
    try:
        with open("/proc/sys/net/ipv6/bindv6only", encoding="ascii") as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def _new_v6_default() -> tuple[bool | None, str | None]:
    """IPV6_V6ONLY of a fresh AF_INET6 socket (what bind() would use), or the errno."""
    import socket

    try:
        sock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    except OSError as exc:
        return None, errno_name(exc)
    with sock:
        try:
            return bool(sock.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY)), None
        except (OSError, AttributeError) as exc:
            return None, errno_name(exc) if isinstance(exc, OSError) else "no IPV6_V6ONLY"


def ipv6_status() -> dict:
    """Can this machine use ::1? ``{"available", "errno", "explain"}``; never raises.

    ``errno`` is None when ::1 binds and answers, ``"EADDRNOTAVAIL"`` where IPv6 is
    disabled (``disable_ipv6=1``: ::1 is not on ``lo``, common in containers) and
    ``"EAFNOSUPPORT"`` where IPv6 is compiled out (no AF_INET6 sockets at all).

    >>> ipv6_status()["available"] in (True, False)
    True

    Introduced in notebooks/04-ipv6-loopback.ipynb.
    """
    probe = probe_loopback("::1")
    if probe["connect"] == "connected":
        return {"available": True, "errno": None, "explain": "::1 binds and answers"}
    code = probe["bind"] if probe["bind"] != "ok" else probe["connect"]
    return {"available": False, "errno": code, "explain": EXPLAIN_ERRNO.get(
        code, f"binding ::1 worked but connecting gave {probe['connect']!r}")}


def platform_dual_stack_default(system: str | None = None) -> dict:
    """This platform's dual-stack default, measured and documented.

    Returns ``{"system", "bindv6only", "new_socket_v6only", "documented", "sources"}``:
    ``bindv6only`` is the Linux sysctl read from /proc (None elsewhere),
    ``new_socket_v6only`` the IPV6_V6ONLY of a fresh AF_INET6 socket here (None if none
    can be made), ``documented`` the entry of :data:`DUAL_STACK_DEFAULTS` (None for a
    platform the course has no source for).

    >>> platform_dual_stack_default("Windows")["documented"]["v6only"]
    True

    Introduced in notebooks/04-ipv6-loopback.ipynb.
    """
    import platform

    here = platform.system()
    system = system or here
    measured, _ = _new_v6_default() if system == here else (None, None)
    documented = DUAL_STACK_DEFAULTS.get(system)
    return {"system": system,
            "bindv6only": _read_bindv6only() if system == here == "Linux" else None,
            "new_socket_v6only": measured, "documented": documented,
            "sources": [d["source"] for d in DUAL_STACK_DEFAULTS.values()]}


def _second_bind(port: int) -> str:
    """Bind 0.0.0.0 on ``port`` (no SO_REUSEADDR); ``"ok"`` or the errno name."""
    import socket

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("0.0.0.0", port))
        return "ok"
    except OSError as exc:
        return errno_name(exc)
    finally:
        sock.close()


def _dual_stack_case(v6only: bool, timeout: float) -> dict:
    case = {"v6only": v6only, "bind": "ok", "port": None, "ipv4_client": None,
            "server_saw_ipv4": None, "ipv6_client": None, "server_saw_ipv6": None,
            "second_bind_0.0.0.0": None}
    try:
        with listener("::", v6only=v6only) as srv:
            case["port"] = srv.port
            v4 = _reach(srv, "127.0.0.1", timeout)
            v6 = _reach(srv, "::1", timeout)
            case.update({"ipv4_client": v4["outcome"], "server_saw_ipv4": v4["server_saw"],
                         "ipv6_client": v6["outcome"], "server_saw_ipv6": v6["server_saw"],
                         "second_bind_0.0.0.0": _second_bind(srv.port)})
    except OSError as exc:
        case["bind"] = errno_name(exc)
    return case


def dual_stack(timeout: float = 1.0) -> dict:
    """A listener on ``::`` with IPV6_V6ONLY off, then on; what clients get.

    For each case: connect an IPv4 client to 127.0.0.1 and an IPv6 client to ::1 on the
    listener's port, record what the server saw (``::ffff:127.0.0.1`` for the IPv4
    client of a dual-stack socket), then try to bind ``0.0.0.0`` on the same port (the
    EADDRINUSE that dual stack causes). Returns plain data, never raises::

        {"ipv6": ipv6_status(), "default": platform_dual_stack_default(),
         "cases": {"v6only off": {...}, "v6only on": {...}}}

    Each case holds ``bind`` (``"ok"`` or an errno name: ``EAFNOSUPPORT`` where IPv6 is
    compiled out), ``port``, ``ipv4_client``, ``server_saw_ipv4``, ``ipv6_client``,
    ``server_saw_ipv6`` and ``second_bind_0.0.0.0``. Where IPv6 is disabled
    (EADDRNOTAVAIL for ::1) a socket on ``::`` still binds and still takes IPv4, and
    only the ::1 client fails: the data shows it.

    >>> r = dual_stack()
    >>> r["cases"]["v6only off"]["server_saw_ipv4"]  # doctest: +SKIP
    '::ffff:127.0.0.1'

    Introduced in notebooks/04-ipv6-loopback.ipynb.
    """
    return {"ipv6": ipv6_status(), "default": platform_dual_stack_default(),
            "cases": {f"v6only {'on' if flag else 'off'}": _dual_stack_case(flag, timeout)
                      for flag in (False, True)}}


def dual_stack_key(result: dict) -> dict:
    """The outcomes of :func:`dual_stack` in the words of exercise ``04.dual-stack``.

    >>> dual_stack_key({"cases": {"v6only off": {"ipv4_client": "connected",
    ...     "server_saw_ipv4": "::ffff:127.0.0.1", "second_bind_0.0.0.0": "EADDRINUSE"},
    ...     "v6only on": {"ipv4_client": "refused", "server_saw_ipv4": None,
    ...     "second_bind_0.0.0.0": "ok"}}})["on: bind 0.0.0.0 same port"]
    'ok'

    Introduced in notebooks/04-ipv6-loopback.ipynb.
    """
    off, on = result["cases"]["v6only off"], result["cases"]["v6only on"]
    return {"off: IPv4 to 127.0.0.1": off["ipv4_client"],
            "off: server sees": off["server_saw_ipv4"],
            "off: bind 0.0.0.0 same port": off["second_bind_0.0.0.0"],
            "on: IPv4 to 127.0.0.1": on["ipv4_client"],
            "on: bind 0.0.0.0 same port": on["second_bind_0.0.0.0"]}


def format_dual_stack(result: dict) -> str:
    """The text form of :func:`dual_stack`.

    >>> format_dual_stack(dual_stack()).splitlines()[0]  # doctest: +SKIP
    'listener on [::], port P       IPv4 client -> 127.0.0.1   ...'

    Introduced in notebooks/04-ipv6-loopback.ipynb.
    """
    lines = []
    for name, case in result["cases"].items():
        if case["bind"] != "ok":
            lines.append(f"{name}: binding :: failed with {case['bind']}: "
                         f"{EXPLAIN_ERRNO.get(case['bind'], '')}")
            continue
        lines.append(f"{name} (listener on [::] port {case['port']}):")
        lines.append(f"  IPv4 client -> 127.0.0.1: {case['ipv4_client']:<22} server saw "
                     f"{case['server_saw_ipv4'] or '-'}")
        lines.append(f"  IPv6 client -> ::1:       {case['ipv6_client']:<22} server saw "
                     f"{case['server_saw_ipv6'] or '-'}")
        lines.append(f"  then bind 0.0.0.0 on that port: {case['second_bind_0.0.0.0']}")
    ipv6 = result["ipv6"]
    if not ipv6["available"]:
        lines.append(f"IPv6 loopback is off here ({ipv6['errno']}: {ipv6['explain']})")
    return "\n".join(lines)


def locality_check_demo(timeout: float = 1.0) -> dict:
    """A real dual-stack server on ``::`` accepts a client from 127.0.0.1 and asks
    "is this client local?" two ways.

    Returns ``{"server_saw", "naive", "loopedu", "python", "bind"}``: ``naive`` is
    ``ipaddress.ip_address(peer).is_loopback`` (False on Python before 3.13 for
    ``::ffff:127.0.0.1``, gh-117566), ``loopedu`` is
    :func:`loopedu.addresses.is_loopback` (True). ``bind`` is ``"ok"`` or the errno name
    when no dual-stack socket can be made (then the other values are None).

    >>> locality_check_demo()["loopedu"]  # doctest: +SKIP
    True

    Introduced in notebooks/04-ipv6-loopback.ipynb.
    """
    import ipaddress
    import platform

    from .addresses import is_loopback

    out = {"bind": "ok", "server_saw": None, "naive": None, "loopedu": None,
           "python": platform.python_version()}
    try:
        with listener("::", v6only=False) as srv:
            reach = _reach(srv, "127.0.0.1", timeout)
    except OSError as exc:
        out["bind"] = errno_name(exc)
        return out
    if reach["server_saw"]:
        peer = reach["server_saw"]
        out.update(server_saw=peer, naive=ipaddress.ip_address(peer).is_loopback,
                   loopedu=is_loopback(peer))
    return out


def zone_demo() -> dict:
    """Link-local addresses need a zone: what getaddrinfo, bind and connect do with
    ``fe80::1`` with and without ``%lo``. Never raises; errors are errno names.

    Returns ``{"getaddrinfo": sockaddr or errno, "bind_with_zone", "bind_string_zone",
    "connect_without_zone"}``: ``getaddrinfo('fe80::1%lo')`` gives a 4-tuple whose last
    item is the scope id (lo's interface index); binding that 4-tuple gives
    EADDRNOTAVAIL (nobody assigned fe80::1 to lo); passing the text ``'fe80::1%lo'``
    straight to bind() drops the zone (Python's 2-tuple form sets scope id 0) and gives
    EINVAL on Linux, as does connecting to ``fe80::1`` with no zone.

    >>> zone_demo()["connect_without_zone"]  # doctest: +SKIP
    'EINVAL'

    Introduced in notebooks/04-ipv6-loopback.ipynb.
    """
    import socket

    try:
        names = [name for _, name in socket.if_nameindex()]
    except (OSError, AttributeError):  # no if_nameindex (older Windows Pythons)
        names = []
    lo = next((n for n in ("lo", "lo0") if n in names), "lo")
    out = {"zone": lo}

    def attempt(action, address):
        try:
            sock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        except OSError as exc:
            return errno_name(exc)
        with sock:
            sock.settimeout(0.5)
            try:
                getattr(sock, action)(address)
                return "ok"
            except OSError as exc:
                return errno_name(exc)

    try:
        info = socket.getaddrinfo(f"fe80::1%{lo}", 0, socket.AF_INET6, socket.SOCK_STREAM)
        out["getaddrinfo"] = info[0][4]
    except (OSError, UnicodeError) as exc:
        out["getaddrinfo"] = errno_name(exc) if isinstance(exc, OSError) and exc.errno \
            else f"gaierror: {exc}"
    sockaddr = out["getaddrinfo"] if isinstance(out["getaddrinfo"], tuple) else None
    out["bind_with_zone"] = attempt("bind", sockaddr) if sockaddr else None
    out["bind_string_zone"] = attempt("bind", (f"fe80::1%{lo}", 0))
    out["connect_without_zone"] = attempt("connect", ("fe80::1", 9))
    return out


def _percentile(values: list, q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    low = int(k)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def _echo_pair(address: str, stack):
    """A connected (client, server-side) TCP pair over ``address`` with TCP_NODELAY,
    both registered on ``stack`` so they close whatever happens."""
    import socket

    server = stack.enter_context(socket.socket(socket.AF_INET6 if ":" in address
                                               else socket.AF_INET, socket.SOCK_STREAM))
    server.bind((address, 0))
    server.listen(1)
    client = stack.enter_context(socket.create_connection(server.getsockname()[:2],
                                                          timeout=5))
    conn = stack.enter_context(server.accept()[0])
    for sock in (client, conn):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(5)
    return client, conn


def _echo_loop(conns: list, size: int, stop) -> None:
    import selectors

    with selectors.DefaultSelector() as sel:
        for conn in conns:
            sel.register(conn, selectors.EVENT_READ)
        while not stop.is_set():
            for key, _ in sel.select(timeout=0.05):
                try:
                    data = key.fileobj.recv(size)
                except OSError:
                    return
                if not data:
                    return
                key.fileobj.sendall(data)


def _exchange(client, payload: bytes) -> float:
    import time

    start = time.perf_counter()
    client.sendall(payload)
    got = 0
    while got < len(payload):
        chunk = client.recv(len(payload) - got)
        if not chunk:
            raise ConnectionError("the echo server closed the connection")
        got += len(chunk)
    return (time.perf_counter() - start) * 1e6


def loopback_rtt(n: int = 200, size: int = 32, warmup: int = 200,
                 addresses=("127.0.0.1", "::1")) -> dict:
    """Round-trip times of small request/response exchanges over TCP on each address.

    One connection per address to an echo thread (TCP_NODELAY on both ends, so Nagle
    never delays a message); ``n`` exchanges of ``size`` bytes each, interleaved
    between the addresses (so both see the same machine load), after ``warmup``
    untimed ones. Returns ``{"n", "size", "results": {address: {"rtts_us", "median_us",
    "p90_us"} or {"error": ERRNO}}}`` in microseconds. An address that cannot be
    bound (::1 with IPv6 off) gets ``{"error": "EADDRNOTAVAIL"}``; never raises for that.

    >>> r = loopback_rtt(n=20)
    >>> r["results"]["127.0.0.1"]["median_us"] > 0
    True

    Introduced in notebooks/04-ipv6-loopback.ipynb.
    """
    import threading
    from contextlib import ExitStack

    from .netlab import is_lab_safe

    if n < 1 or size < 1:
        raise ValueError("n and size must be at least 1")
    for address in addresses:
        if not is_lab_safe(address):
            raise ValueError(f"{address} is not a loopback address")
    results: dict = {}
    payload = b"x" * size
    stop = threading.Event()
    with ExitStack() as stack:
        pairs = {}
        for address in addresses:
            try:
                pairs[address] = _echo_pair(address, stack)
            except OSError as exc:
                results[address] = {"error": errno_name(exc)}
        thread = threading.Thread(target=_echo_loop, args=([c for _, c in pairs.values()],
                                                           size, stop),
                                  name="loopedu-echo", daemon=True)
        thread.start()
        try:
            timed = {address: [] for address in pairs}
            order = list(pairs)
            for i in range(warmup + n):
                for address in (order if i % 2 == 0 else order[::-1]):
                    rtt = _exchange(pairs[address][0], payload)
                    if i >= warmup:
                        timed[address].append(rtt)
        finally:
            stop.set()
            thread.join(timeout=5)
    for address, rtts in timed.items():
        results[address] = {"rtts_us": rtts, "median_us": _percentile(rtts, 0.5),
                            "p90_us": _percentile(rtts, 0.9)}
    return {"n": n, "size": size,
            "results": {a: results[a] for a in addresses if a in results}}


def format_rtt(result: dict) -> str:
    """One line per address: median and p90 round-trip time in microseconds.

    >>> print(format_rtt({"n": 2, "size": 32, "results": {"::1": {"error": "EADDRNOTAVAIL"}}}))
    2 round trips of 32 bytes over TCP, interleaved:
      ::1         could not run: EADDRNOTAVAIL

    Introduced in notebooks/04-ipv6-loopback.ipynb.
    """
    lines = [f"{result['n']} round trips of {result['size']} bytes over TCP, interleaved:"]
    for address, r in result["results"].items():
        if "error" in r:
            lines.append(f"  {address:<11} could not run: {r['error']}")
        else:
            lines.append(f"  {address:<11} median {r['median_us']:.1f} us, "
                         f"p90 {r['p90_us']:.1f} us")
    return "\n".join(lines)


__all__ += ["listening_sockets"]


def listening_sockets() -> list[dict]:
    """This machine's listening TCP and bound UDP sockets, read-only (psutil); each with
    ``address``, ``port``, ``protocol``, ``process`` where visible and ``exposed``.
    The same as :func:`loopedu.audit.listening_sockets`, which ``loopedu audit`` prints.

    >>> all("exposed" in row for row in listening_sockets())
    True

    Introduced in notebooks/03-bind-address.ipynb.
    """
    from .audit import listening_sockets as _listening_sockets

    return _listening_sockets()
