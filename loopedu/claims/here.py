"""The claims one machine can test in a moment, tested here, beside what the sources
lead us to expect on this system. Checks only bind and connect on loopback and read
settings; nothing is sent anywhere else.

Introduced in notebooks/popular-claims.ipynb.
"""

from __future__ import annotations

import ipaddress
import platform
import socket
import time
from dataclasses import dataclass

from ..connections import connect
from ..localhost import addresses_of, multi_here
from ..measure import MB, counter_experiment
from ..platforms import expected_reach, markdown_table
from ..reachability import measure_here
from ..sandbox import host_sysctl
from ..servers import listener, probe
from .catalog import claim

__all__ = ["Observation", "check_here", "observations_table"]

# ---- this machine ------------------------------------------------------------------------


@dataclass(frozen=True)
class Observation:
    """What one machine did for one claim. ``expected`` is what the sources lead us to
    expect on ``system``; ``agrees`` is None when they expect nothing machine-specific
    (the observation is shown for what it is)."""

    key: str
    system: str
    expected: str
    observed: str
    agrees: bool | None


def _every_127(system: str) -> Observation:
    expected = expected_reach("127.0.0.2", system)
    observed = probe("127.0.0.2").outcome
    return Observation("every-os-127", system, f"bind and connect 127.0.0.2: {expected}",
                       f"bind and connect 127.0.0.2: {observed}",
                       None if expected == "unknown" else observed == expected)


def _route_localnet(system: str) -> Observation:
    names = ["all", "default"] + [name for _, name in socket.if_nameindex()]
    values = {name: host_sysctl(f"net.ipv4.conf.{name}.route_localnet") for name in names}
    values = {name: v for name, v in values.items() if v is not None}
    if system != "Linux" or not values:
        return Observation("bound-127-unreachable", system,
                           "route_localnet is a Linux setting",
                           "no route_localnet setting here", None)
    on = sorted(name for name, v in values.items() if v != "0")
    interfaces = len([name for name in values if name not in ("all", "default")])
    observed = (f"route_localnet=1 on {', '.join(on)}: 127/8 from the network is "
                "accepted there" if on else
                f"route_localnet=0 on all {interfaces} interfaces: 127/8 arriving from "
                "the network is dropped as martian")
    return Observation("bound-127-unreachable", system,
                       "route_localnet=0 everywhere (the kernel's default)", observed,
                       not on)


def _never_see(system: str) -> Observation:
    result = counter_experiment(1)
    loop = result.loopback
    if loop not in result.delta:
        return Observation("never-see-loopback", system,
                           "lo counts at least 1 MB sent and received",
                           result.note or "no loopback counters here", None)
    sent, recv = result.delta[loop]["sent"], result.delta[loop]["recv"]
    return Observation("never-see-loopback", system,
                       f"{loop} counts at least 1 MB sent and received",
                       f"{loop} counted {sent / MB:.1f} MB sent, {recv / MB:.1f} MB received "
                       "while 1 MB went over 127.0.0.1",
                       sent >= MB and recv >= MB)


def _zero_means_all(system: str) -> Observation:
    (row,), _ = measure_here(["127.0.0.1"], ["0.0.0.0"])
    observed = f"connect to 0.0.0.0: {row.outcome}"
    if row.server_saw:
        observed += f", the server on 127.0.0.1 saw {row.server_saw}"
    if system == "Windows":
        expected = "connect to 0.0.0.0 fails (WSAEADDRNOTAVAIL)"
        agrees = not row.outcome.connected
    elif system in ("Linux", "Darwin"):
        expected = "connect to 0.0.0.0 reaches the server on 127.0.0.1"
        agrees = row.outcome.connected
    else:
        expected, agrees = "no source for this system", None
    return Observation("zero-means-all", system, expected, observed, agrees)


def _refused(system: str) -> Observation:
    with listener("127.0.0.1") as srv:
        host, port = srv.address
    start = time.perf_counter()
    attempt = connect(host, port, timeout=5)
    ms = (time.perf_counter() - start) * 1000
    observed = f"{attempt.outcome} after {ms:.0f} ms"
    if system == "Windows":
        return Observation("refused-instantly", system, "refused after about 2 s",
                           observed, str(attempt.outcome) == "refused" and ms >= 1000)
    return Observation("refused-instantly", system, "refused in well under a second",
                       observed, str(attempt.outcome) == "refused" and ms < 1000)


def _glibc_multi(system: str) -> Observation:
    if system != "Linux" or platform.libc_ver()[0] != "glibc":
        return Observation("glibc-every-line", system, "a glibc setting",
                           "this is not glibc: host.conf's multi does not apply", None)
    multi = multi_here()
    return Observation("glibc-every-line", system,
                       "every matching line only with multi on",
                       f"/etc/host.conf (or RESOLV_MULTI) here: multi {'on' if multi else 'off'}"
                       f", so {'every matching line answers' if multi else 'only the first'}",
                       None)


def _localhost(system: str) -> Observation:
    answers = addresses_of("localhost")
    return Observation("localhost-is-127", system,
                       "a lookup, whose answers depend on the hosts file and its order",
                       f"getaddrinfo(\"localhost\") here: {', '.join(answers) or 'no answer'}",
                       None)


def _ipaddress(system: str) -> Observation:
    said = ipaddress.ip_address("::ffff:127.0.0.1").is_loopback
    return Observation("ipaddress-mapped", system,
                       "True with the gh-117566 fix, False without it",
                       f"Python {platform.python_version()}: "
                       f"ip_address('::ffff:127.0.0.1').is_loopback is {said}", None)


_CHECKS = (_every_127, _route_localnet, _never_see, _zero_means_all, _refused, _glibc_multi,
           _localhost, _ipaddress)


def check_here() -> list[Observation]:
    """Test, on this machine, the claims that can be tested in a moment (loopback only,
    about a second in all), each beside what the sources lead us to expect here.

    >>> from loopedu.claims import CLAIMS
    >>> {o.key for o in check_here()} <= {c.key for c in CLAIMS}
    True

    Introduced in notebooks/popular-claims.ipynb.
    """
    system = platform.system()
    return [check(system) for check in _CHECKS]


def observations_table(observations) -> str:
    """The observations as a markdown table beside their claims.

    Introduced in notebooks/popular-claims.ipynb.
    """
    mark = {True: "yes", False: "**no**", None: "–"}
    rows = [[f"“{claim(o.key).claim}”", o.expected, o.observed, mark[o.agrees]]
            for o in observations]
    return markdown_table(["claim", f"expected on {observations[0].system}" if observations
                           else "expected", "this machine did", "as expected?"], rows)
