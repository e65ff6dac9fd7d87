"""The live experiments of every lesson, in one place for notebooks and the ``loopedu``
command. Each lives in the module of its topic; this module only gathers their names.

Experiments return small typed results (frozen dataclasses, with ``to_dict()`` where
plain data is wanted); ``reachability()`` and ``lan_exposure()`` return plain mappings.

Introduced in notebooks/01-loopback-range.ipynb.
"""

from .audit import listening_sockets
from .bind_demos import connect_to_any_demo, eaddrinuse_demo, port_shadowing_demo
from .connections import EXPLAIN_ERRNO
from .dual_stack import (dual_stack, dual_stack_key, format_dual_stack, ipv6_status,
                         locality_check_demo, platform_dual_stack_default)
from .lan import (format_lan, lan_exposure, lan_exposure_details, lan_fallback)
from .loopback_range import probe_addresses, probe_loopback
from .measure import format_rtt, loopback_rtt, rtt, unix_vs_tcp
from .platforms import (DUAL_STACK_DEFAULTS, LOOPBACK_RANGE_BY_PLATFORM, expected_reach,
                        platform_notes)
from .reachability import (DEFAULT_BINDS, DEFAULT_TARGETS, format_reachability,
                           reachability, reachability_details, reachability_matrix)

__all__ = ["DEFAULT_BINDS", "DEFAULT_TARGETS", "DUAL_STACK_DEFAULTS", "EXPLAIN_ERRNO",
           "LOOPBACK_RANGE_BY_PLATFORM", "connect_to_any_demo", "dual_stack",
           "dual_stack_key", "eaddrinuse_demo", "expected_reach", "format_dual_stack",
           "format_lan", "format_reachability", "format_rtt", "ipv6_status", "lan_exposure",
           "lan_exposure_details", "lan_fallback", "listening_sockets",
           "locality_check_demo", "loopback_rtt", "platform_dual_stack_default",
           "platform_notes", "port_shadowing_demo", "probe_addresses", "probe_loopback",
           "reachability", "reachability_details", "reachability_matrix", "rtt",
           "unix_vs_tcp"]
