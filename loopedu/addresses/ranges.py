"""Range math for lesson 01: size, share of the address space, masks and usable hosts of
a block, computed with ``ipaddress`` (nothing here is a stored number). Standard library
only.

Introduced in notebooks/01-loopback-range.ipynb.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from fractions import Fraction

from .parsing import Address, Network, is_loopback

__all__ = ["RangeFacts", "mask_bits", "range_facts"]


@dataclass(frozen=True)
class RangeFacts:
    """Computed facts about one address block (see :func:`range_facts`)."""

    network: Network
    version: int
    prefixlen: int
    num_addresses: int
    fraction_of_space: Fraction
    netmask: str
    hostmask: str
    mask_bits: str
    first: Address
    last: Address
    usable_hosts_rfc1122: int
    ordinarily_used: Network | None
    ordinarily_used_source: str | None


def mask_bits(prefixlen: int, version: int = 4) -> str:
    """The netmask of a prefix length written in binary, one group per octet (IPv4) or
    per 16-bit group (IPv6).

    >>> mask_bits(8)
    '11111111.00000000.00000000.00000000'
    >>> mask_bits(20)
    '11111111.11111111.11110000.00000000'

    Introduced in notebooks/01-loopback-range.ipynb.
    """
    width, group, sep = (32, 8, ".") if version == 4 else (128, 16, ":")
    if version not in (4, 6):
        raise ValueError(f"version must be 4 or 6, not {version!r}")
    if isinstance(prefixlen, bool) or not isinstance(prefixlen, int) or not 0 <= prefixlen <= width:
        raise ValueError(f"prefix length must be a whole number 0 to {width} for IPv{version}, "
                         f"not {prefixlen!r}")
    bits = "1" * prefixlen + "0" * (width - prefixlen)
    return sep.join(bits[i:i + group] for i in range(0, width, group))


def range_facts(network="127.0.0.0/8") -> RangeFacts:
    """Size, share of the address space, masks, first/last and usable hosts of a block,
    computed with ``ipaddress`` (nothing here is a stored number).

    ``usable_hosts_rfc1122`` leaves out the all-zeros and all-ones host numbers, which
    RFC 1122 section 3.2.1.3 forbids as host addresses (IPv4 blocks up to /30; IPv6 has no
    broadcast, so every address counts). ``ordinarily_used`` is what RFC 5735 section 3 says
    stacks ordinarily configure inside 127.0.0.0/8: only 127.0.0.1/32 (Linux routes all
    of it to ``lo``; macOS configures only 127.0.0.1), and ``::1/128`` for IPv6.

    >>> facts = range_facts()
    >>> facts.num_addresses, facts.fraction_of_space, facts.netmask
    (16777216, Fraction(1, 256), '255.0.0.0')
    >>> str(facts.first), str(facts.last), facts.usable_hosts_rfc1122
    ('127.0.0.0', '127.255.255.255', 16777214)

    Introduced in notebooks/01-loopback-range.ipynb.
    """
    try:
        net = ipaddress.ip_network(str(network), strict=True)
    except ValueError as exc:
        raise ValueError(f"{str(network)!r} is not a network block ({exc}): write it as "
                         "first-address/prefix-length, e.g. 127.0.0.0/8") from None
    width = net.max_prefixlen
    if net.version == 4 and net.prefixlen <= 30:
        usable = net.num_addresses - 2
    else:
        usable = net.num_addresses
    ordinary, ordinary_source = None, None
    loopback_host = ipaddress.ip_address("127.0.0.1" if net.version == 4 else "::1")
    ends = (net.network_address, net.broadcast_address)
    if loopback_host in net and all(is_loopback(a) for a in ends):
        ordinary = ipaddress.ip_network(f"{loopback_host}/{width}")
        ordinary_source = ("RFC 5735, Section 3: 'ordinarily implemented using only 127.0.0.1/32'"
                           if net.version == 4 else "RFC 4291, Section 2.5.3: one loopback address")
    return RangeFacts(
        network=net,
        version=net.version,
        prefixlen=net.prefixlen,
        num_addresses=net.num_addresses,
        fraction_of_space=Fraction(net.num_addresses, 2 ** width),
        netmask=str(net.netmask),
        hostmask=str(net.hostmask),
        mask_bits=mask_bits(net.prefixlen, net.version),
        first=net.network_address,
        last=net.broadcast_address,
        usable_hosts_rfc1122=usable,
        ordinarily_used=ordinary,
        ordinarily_used_source=ordinary_source,
    )
