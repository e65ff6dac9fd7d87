"""Addresses for lesson 01, "the loopback range": parsing, the IANA special-purpose
registries, loopback tests and the 127.0.0.0/8 range math.

Everything here returns plain data; plots and widgets render it elsewhere. Importing this
package only imports the standard library: the registry CSV files in ``loopedu/data`` are
read on first use and cached. One module a topic, every public name re-exported here:

- ``parsing``     :func:`parse_address`, :func:`is_loopback`
- ``registries``  the IANA special-purpose registries and :func:`classify`
- ``ranges``      :func:`range_facts`, :func:`mask_bits`
- ``slash8``      the IPv4 space in /8 blocks, :func:`slash8_map`
- ``report``      the text report :func:`describe`

Introduced in notebooks/01-loopback-range.ipynb.
"""

from .parsing import Address, Network, is_loopback, parse_address
from .ranges import RangeFacts, mask_bits, range_facts
from .registries import (
                         FOOTNOTE_EXPLANATIONS,
                         FOOTNOTES,
                         OTHER_BLOCKS,
                         REGISTRIES,
                         SOURCES_BEGIN,
                         SOURCES_END,
                         Footnote,
                         OtherBlock,
                         RegistryInfo,
                         SpecialPurpose,
                         classify,
                         parse_registry_csv,
                         registry,
                         registry_info,
)
from .report import describe
from .slash8 import CATEGORIES, Slash8, category_of, slash8_map

__all__ = [
    "Address",
    "CATEGORIES",
    "FOOTNOTES",
    "FOOTNOTE_EXPLANATIONS",
    "Footnote",
    "Network",
    "OTHER_BLOCKS",
    "OtherBlock",
    "REGISTRIES",
    "RangeFacts",
    "RegistryInfo",
    "SOURCES_BEGIN",
    "SOURCES_END",
    "SpecialPurpose",
    "Slash8",
    "category_of",
    "classify",
    "describe",
    "is_loopback",
    "mask_bits",
    "parse_address",
    "parse_registry_csv",
    "range_facts",
    "registry",
    "registry_info",
    "slash8_map",
]
