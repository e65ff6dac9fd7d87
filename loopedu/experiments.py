"""Live experiments that return plain data (dicts and lists), never print.

Notebooks, widgets, plots and the ``loopedu`` command render what these return.

Introduced in notebooks/01-loopback-range.ipynb.
"""

from __future__ import annotations

from .servers import connect_outcome, errno_name, listener

__all__ = ["probe_loopback", "probe_addresses", "EXPLAIN_ERRNO"]

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

    Returns ``{"address", "bind", "connect", "server_saw"}``: ``bind`` is ``"ok"`` or the
    errno name (``"EADDRNOTAVAIL"``); ``connect`` is an outcome from
    :func:`loopedu.servers.connect_outcome` or None when the bind failed; ``server_saw``
    is the client address the server accepted (on Linux a connection to 127.0.0.2 comes
    from 127.0.0.1: the route ``local 127.0.0.0/8 dev lo src 127.0.0.1`` names the
    source; see ``ip route show table local``).

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
    return result


def probe_addresses(addresses, timeout: float = 1.0) -> list[dict]:
    """Run :func:`probe_loopback` on each address; one dict per address, in order.

    >>> [r["bind"] for r in probe_addresses(["127.0.0.1"])]
    ['ok']

    Introduced in notebooks/01-loopback-range.ipynb.
    """
    return [probe_loopback(a, timeout=timeout) for a in addresses]
