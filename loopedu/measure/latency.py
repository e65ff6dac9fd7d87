"""Round-trip times over loopback: TCP, UDP and Unix-domain sockets, one echo server
(:func:`loopedu.servers.echo_server`) and one statistics helper (:mod:`loopedu.stats`)
behind every figure.

A round trip is one small message sent and the same bytes read back, timed with
``time.perf_counter``. Untimed warm-up exchanges come first; comparisons interleave
their cases, so every case sees the same machine load. Numbers vary from run to run and
machine to machine: the ratios are the lesson.

Introduced in notebooks/02-localhost-is-a-name.ipynb.
"""

from __future__ import annotations

import socket
import time
from contextlib import ExitStack
from dataclasses import dataclass

from ..connections import errno_name, is_lab_safe
from ..servers import echo_server
from ..stats import Summary

__all__ = ["Rtt", "rtt", "RttComparison", "compare_rtt", "loopback_rtt", "unix_vs_tcp",
           "format_rtt"]


@dataclass(frozen=True)
class Rtt:
    """Round trips of one transport to one address: every sample in microseconds,
    and how many UDP messages got no answer (``lost``)."""

    transport: str
    address: str
    size: int
    samples_us: tuple
    lost: int = 0

    @property
    def summary(self) -> Summary:
        """Median, p90, p99, minimum and maximum of the samples."""
        return Summary.of(self.samples_us)

    @property
    def median_us(self) -> float:
        return self.summary.median

    @property
    def p90_us(self) -> float:
        return self.summary.p90

    @property
    def p99_us(self) -> float:
        return self.summary.p99


def _exchange(client: socket.socket, payload: bytes, stream: bool) -> float | None:
    """One round trip in microseconds (None: a UDP message got no answer)."""
    start = time.perf_counter()
    client.sendall(payload)
    if not stream:
        try:
            client.recv(len(payload) + 1)
        except (socket.timeout, TimeoutError):
            return None
        return (time.perf_counter() - start) * 1e6
    got = 0
    while got < len(payload):
        chunk = client.recv(len(payload) - got)
        if not chunk:
            raise ConnectionError("the echo server closed the connection")
        got += len(chunk)
    return (time.perf_counter() - start) * 1e6


def _check(count: int, size: int, transport: str, address: str) -> None:
    if count < 1 or size < 1:
        raise ValueError("count and size must be at least 1")
    if transport != "unix" and not is_lab_safe(address):
        raise ValueError(f"{address} is not a loopback address: round trips are measured "
                         "over loopback only")


@dataclass(frozen=True)
class RttComparison:
    """Several :class:`Rtt` measured interleaved, by label; ``errors`` holds the
    cases that could not run (label -> errno name, e.g. ::1 with IPv6 off)."""

    count: int
    size: int
    results: dict
    errors: dict

    def ratio(self, slower: str, faster: str) -> float:
        """Median of ``slower`` over median of ``faster``."""
        return self.results[slower].median_us / self.results[faster].median_us


def compare_rtt(cases: dict, count: int = 200, size: int = 32, warmup: int = 100
                ) -> RttComparison:
    """Measure each case (label -> ``(transport, address)``) with its own echo server
    and connection, ``count`` timed round trips of ``size`` bytes, interleaved.

    >>> r = compare_rtt({"tcp": ("tcp", "127.0.0.1"), "udp": ("udp", "127.0.0.1")}, count=20)
    >>> sorted(r.results), r.results["tcp"].size
    (['tcp', 'udp'], 32)

    Introduced in notebooks/02-localhost-is-a-name.ipynb (through unix_vs_tcp).
    """
    for transport, address in cases.values():
        _check(count, size, transport, address)
    payload = b"x" * size
    samples: dict = {}
    lost: dict = {}
    errors: dict = {}
    with ExitStack() as stack:
        clients = {}
        for label, (transport, address) in cases.items():
            try:
                server = stack.enter_context(echo_server(transport, address))
                stream = transport != "udp"
                client = server.client(timeout=5.0 if stream else 1.0)
                clients[label] = (stack.enter_context(client), stream)
            except OSError as exc:
                errors[label] = errno_name(exc)
        order = list(clients)
        for label in order:
            samples[label], lost[label] = [], 0
        for i in range(warmup + count):
            for label in (order if i % 2 == 0 else order[::-1]):
                client, stream = clients[label]
                took = _exchange(client, payload, stream)
                if i < warmup:
                    continue
                if took is None:
                    lost[label] += 1
                else:
                    samples[label].append(took)
    results = {label: Rtt(cases[label][0], cases[label][1], size, tuple(samples[label]),
                          lost[label])
               for label in order if samples[label]}
    errors.update({label: "every message was lost" for label in order
                   if not samples[label]})
    return RttComparison(count, size, results, errors)


def rtt(count: int = 1000, transport: str = "tcp", address: str = "127.0.0.1",
        size: int = 32, warmup: int = 100) -> Rtt:
    """Round-trip times of ``count`` exchanges of ``size`` bytes over ``transport``
    (``"tcp"``, ``"udp"`` or ``"unix"``) to an echo server on ``address`` (ignored for
    ``"unix"``, whose socket file lives in a private folder).

    >>> r = rtt(count=50)
    >>> len(r.samples_us), r.median_us <= r.p99_us
    (50, True)

    Introduced in notebooks/02-localhost-is-a-name.ipynb (through unix_vs_tcp).
    """
    comparison = compare_rtt({transport: (transport, address)}, count, size, warmup)
    if transport in comparison.errors:
        raise OSError(f"no round trips over {transport} to {address}: "
                      f"{comparison.errors[transport]}")
    return comparison.results[transport]


def loopback_rtt(n: int = 200, size: int = 32, warmup: int = 200,
                 addresses=("127.0.0.1", "::1")) -> RttComparison:
    """TCP round trips over each loopback address (lesson 05's 127.0.0.1 against ::1),
    interleaved; an address that cannot be bound (::1 with IPv6 off) is in ``errors``.

    Round trips are introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    return compare_rtt({a: ("tcp", a) for a in addresses}, n, size, warmup)


def unix_vs_tcp(rounds: int = 2000, payload_bytes: int = 64) -> RttComparison:
    """Round trips over a Unix-domain socket and over TCP on 127.0.0.1 (lesson 02: what
    MySQL and libpq mean by "localhost" on Unix), interleaved.

    >>> r = unix_vs_tcp(rounds=50)
    >>> sorted(r.results)
    ['tcp 127.0.0.1', 'unix socket']

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    return compare_rtt({"unix socket": ("unix", ""), "tcp 127.0.0.1": ("tcp", "127.0.0.1")},
                       rounds, payload_bytes, warmup=min(100, rounds))


def format_rtt(result: RttComparison) -> str:
    """One line per case: median, p90 and p99 in microseconds.

    >>> print(format_rtt(RttComparison(2, 32, {}, {"::1": "EADDRNOTAVAIL"})))
    2 round trips of 32 bytes each, interleaved:
      ::1             could not run: EADDRNOTAVAIL

    Round trips are introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    lines = [f"{result.count} round trips of {result.size} bytes each, interleaved:"]
    for label, r in result.results.items():
        s = r.summary
        lost = f", {r.lost} lost" if r.lost else ""
        lines.append(f"  {label:<15} {r.transport:<4} median {s.median:.1f} us, "
                     f"p90 {s.p90:.1f} us, p99 {s.p99:.1f} us{lost}")
    for label, error in result.errors.items():
        lines.append(f"  {label:<15} could not run: {error}")
    return "\n".join(lines)
