"""The one statistics helper behind every latency figure: percentiles and a summary.

Every round-trip time the course prints (lessons 02, 03 and 04) is summarised here, so
that a "p90" means the same thing everywhere: the linear interpolation between the two
nearest ranks, the default of numpy and of ``statistics.quantiles(method="inclusive")``
(Hyndman and Fan's definition 7).

Introduced in notebooks/05-ipv6-loopback.ipynb.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["percentile", "Summary"]


def percentile(values, q: float) -> float:
    """The ``q``-quantile (0 to 1) of ``values``, interpolating linearly between ranks.

    >>> percentile([10, 20, 30, 40], 0.5)
    25.0
    >>> percentile([10, 20, 30, 40], 0.9)
    37.0

    Introduced in notebooks/05-ipv6-loopback.ipynb.
    """
    ordered = sorted(values)
    if not ordered:
        raise ValueError("percentile of no values: measure at least one")
    if not 0 <= q <= 1:
        raise ValueError(f"q must be between 0 and 1, not {q!r}")
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return float(ordered[low] + (ordered[high] - ordered[low]) * (position - low))


@dataclass(frozen=True)
class Summary:
    """Median, p90, p99, minimum and maximum of some samples, in their own unit.

    >>> Summary.of([3.0, 1.0, 2.0]).median
    2.0

    Introduced in notebooks/05-ipv6-loopback.ipynb.
    """

    count: int
    median: float
    p90: float
    p99: float
    minimum: float
    maximum: float

    @classmethod
    def of(cls, samples) -> "Summary":
        """Summarise ``samples`` (at least one)."""
        samples = list(samples)
        return cls(count=len(samples), median=percentile(samples, 0.5),
                   p90=percentile(samples, 0.9), p99=percentile(samples, 0.99),
                   minimum=float(min(samples)), maximum=float(max(samples)))
