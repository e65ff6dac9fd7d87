"""Measurements on loopback: interface byte counters, ping, round-trip times and
throughput.

- :mod:`loopedu.measure.counters` only ``lo`` counts loopback traffic (lesson 03);
- :mod:`loopedu.measure.icmp_echo` ping: ICMP echo to 127.0.0.1 and ::1, and ``lo``
  down (lesson 04);
- :mod:`loopedu.measure.latency` round trips over TCP, UDP and Unix sockets (lessons 02,
  04 and 07);
- :mod:`loopedu.measure.bulk_transfer` throughput: bytes per second over one connection,
  and against the buffer size, each size run several times (its median and spread); the
  progress bar of a long run (lesson 07);
- :mod:`loopedu.measure.nagle` two small writes and a read: the 40 ms stall, and the
  learner's own client timed (lesson 07);
- :mod:`loopedu.measure.far_end` the far end in a child process of its own,
  :mod:`loopedu.measure.cpus` both ends on chosen CPUs, :mod:`loopedu.measure.buffers`
  a page-aligned buffer (lesson 07).

Introduced in notebooks/04-loopback-interface.ipynb.
"""

from .bulk_transfer import (
                            SWEEP_SIZES,
                            SweepPoint,
                            Throughput,
                            buffer_sweep,
                            format_throughput,
                            sweep_points,
                            throughput,
)
from .counters import (
                       MB,
                       Counters,
                       counter_experiment,
                       format_counters,
                       interface_counters,
                       loopback_interface,
)
from .cpus import Placement, plan_placement
from .far_end import sink_process
from .icmp_echo import PING_METHODS, Ping, format_ping, ping, ping_with_lo_down
from .latency import Rtt, RttComparison, compare_rtt, format_rtt, rtt
from .nagle import (
                    NAGLE_CASES,
                    ClientTiming,
                    NagleComparison,
                    NagleRun,
                    compare_nagle,
                    format_nagle,
                    nagle_stall,
                    time_client,
)

__all__ = ["MB", "Counters", "counter_experiment", "format_counters", "interface_counters",
           "loopback_interface", "Rtt", "RttComparison", "compare_rtt", "format_rtt",
           "rtt", "PING_METHODS", "Ping", "format_ping",
           "ping", "ping_with_lo_down", "NAGLE_CASES", "NagleComparison", "NagleRun",
           "compare_nagle", "format_nagle", "nagle_stall", "ClientTiming", "time_client",
           "Placement", "plan_placement",
           "SWEEP_SIZES", "SweepPoint", "Throughput", "buffer_sweep", "format_throughput",
           "sweep_points", "throughput", "sink_process"]
