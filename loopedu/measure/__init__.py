"""Measurements on loopback: interface byte counters, ping, and round-trip times.

- :mod:`loopedu.measure.counters` only ``lo`` counts loopback traffic (lesson 03);
- :mod:`loopedu.measure.ping` ICMP echo to 127.0.0.1 and ::1, and ``lo`` down (lesson 03);
- :mod:`loopedu.measure.latency` round trips over TCP, UDP and Unix sockets (lessons 02
  and 04).

Introduced in notebooks/04-loopback-interface.ipynb.
"""

from .counters import (MB, Counters, counter_experiment, format_counters, interface_counters,
                       loopback_interface)
from .latency import (Rtt, RttComparison, compare_rtt, format_rtt, loopback_rtt, rtt,
                      unix_vs_tcp)
from .ping import PING_METHODS, Ping, format_ping, ping, ping_with_lo_down

__all__ = ["MB", "Counters", "counter_experiment", "format_counters", "interface_counters",
           "loopback_interface", "Rtt", "RttComparison", "compare_rtt", "format_rtt",
           "loopback_rtt", "rtt", "unix_vs_tcp", "PING_METHODS", "Ping", "format_ping",
           "ping", "ping_with_lo_down"]
