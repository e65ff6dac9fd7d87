"""The IPv4 space in 256 /8 blocks, each with the special-purpose blocks that touch it
(the data behind ``loopedu.plots.ipv4_map``). Standard library only.

Introduced in notebooks/01-loopback-range.ipynb.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from .registries import OTHER_BLOCKS, registry, registry_info

__all__ = ["CATEGORIES", "Slash8", "category_of", "slash8_map"]

CATEGORIES = ("loopback", "this network", "private", "shared", "link-local", "documentation",
              "benchmarking", "multicast", "reserved", "other special")
_CATEGORY_WORDS = (("loopback", "loopback"), ("this network", "this network"),
                   ("this host", "this network"), ("private", "private"), ("shared", "shared"),
                   ("link local", "link-local"), ("link-local", "link-local"),
                   ("documentation", "documentation"), ("benchmark", "benchmarking"),
                   ("multicast", "multicast"), ("reserved", "reserved"))


def category_of(name: str) -> str:
    """The teaching category of a registry entry name.

    >>> category_of("Private-Use"), category_of("AMT")
    ('private', 'other special')

    Introduced in notebooks/01-loopback-range.ipynb.
    """
    lowered = name.lower()
    return next((cat for word, cat in _CATEGORY_WORDS if word in lowered), "other special")


@dataclass(frozen=True)
class Slash8:
    """One /8 block of the IPv4 space and the special blocks inside or around it."""

    first_octet: int
    network: ipaddress.IPv4Network
    category: str | None
    label: str
    whole: bool
    blocks: tuple[str, ...]
    source: str


def slash8_map() -> list[Slash8]:
    """The 256 /8 blocks of IPv4, each with the special-purpose blocks that touch it.

    ``whole`` is True when one special block covers the whole /8 (then ``category`` is that
    block's); otherwise ``category`` is that of the largest special block inside, or None
    when there is none. Built from the IPv4 special-purpose registry plus multicast
    224.0.0.0/4, which that registry does not list (IANA IPv4 Address Space, RFC 5771).

    >>> row = slash8_map()[127]
    >>> row.category, row.whole, row.label
    ('loopback', True, 'Loopback 127.0.0.0/8')

    Introduced in notebooks/01-loopback-range.ipynb.
    """
    entries = [(e.network, e.name, registry_info("IPv4").title) for e in registry("IPv4")]
    entries += [(b.network, b.name, b.source) for b in OTHER_BLOCKS if b.network.version == 4]
    rows = []
    for octet in range(256):
        slash8 = ipaddress.IPv4Network(f"{octet}.0.0.0/8")
        covering = [e for e in entries if slash8.subnet_of(e[0])]
        inside = sorted((e for e in entries if e[0].subnet_of(slash8) and e[0] != slash8),
                        key=lambda e: e[0])
        blocks = tuple(f"{net} {name}" for net, name, _ in covering + inside)
        if covering:
            net, name, source = max(covering, key=lambda e: e[0].prefixlen)
            rows.append(Slash8(octet, slash8, category_of(name), f"{name} {net}", True,
                               blocks, source))
        elif inside:
            top = [e for e in inside
                   if not any(o is not e and e[0].subnet_of(o[0]) for o in inside)]
            net, name, source = max(top, key=lambda e: e[0].num_addresses)
            label = "; ".join(f"{n} {nt}" for nt, n, _ in top)
            rows.append(Slash8(octet, slash8, category_of(name), label, False, blocks, source))
        else:
            rows.append(Slash8(octet, slash8, None, "", False, (), ""))
    return rows
