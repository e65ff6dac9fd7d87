"""The interface data getaddrinfo's sort reads over netlink (NETLINK_ROUTE dumps).

Introduced in notebooks/02-localhost-is-a-name.ipynb.

Models ``sysdeps/unix/sysv/linux/check_pf.c`` (``__check_pf``: every interface address
with its deprecated/home flags, prefix length and interface index) and ``check_native.c``
(the link type of an interface: tunnels are not "native" transport), glibc 2.36.
psutil does not report IPv6 address flags, so they are read here from the kernel.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass
from typing import Iterable, Optional

from .inet import AF_INET, AF_INET6, LOOPBACK6, V4MAPPED_PREFIX

_RTM_NEWLINK, _RTM_GETLINK, _RTM_NEWADDR, _RTM_GETADDR = 16, 18, 20, 22
_NLMSG_ERROR, _NLMSG_DONE = 2, 3
_IFA_ADDRESS, _IFA_LOCAL = 1, 2
_IFA_F_OPTIMISTIC, _IFA_F_HOMEADDRESS, _IFA_F_DEPRECATED = 0x04, 0x10, 0x20
ARPHRD_TUNNEL, ARPHRD_TUNNEL6, ARPHRD_SIT = 768, 769, 776
IN6AI_DEPRECATED, IN6AI_HOMEADDRESS = 1, 2
NO_INDEX = 0xFFFFFFFF


def _netlink_dump(msg_type: int) -> list[tuple[int, bytes]]:
    """(type, payload) of every message a NETLINK_ROUTE dump request returns."""
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0) as s:
        s.bind((0, 0))
        seq = 1
        header = struct.pack("=IHHII", 20, msg_type, 0x301, seq, 0)  # REQUEST|ROOT|MATCH
        s.sendto(header + b"\0\0\0\0", (0, 0))
        messages = []
        while True:
            data = s.recv(1 << 16)
            offset = 0
            while offset + 16 <= len(data):
                length, kind, _flags, got_seq, _pid = struct.unpack_from("=IHHII", data, offset)
                if length < 16:
                    return messages
                if got_seq == seq:
                    if kind in (_NLMSG_DONE, _NLMSG_ERROR):
                        return messages
                    messages.append((kind, data[offset + 16:offset + length]))
                offset += (length + 3) & ~3


def _rtattrs(payload: bytes, offset: int) -> Iterable[tuple[int, bytes]]:
    while offset + 4 <= len(payload):
        length, kind = struct.unpack_from("=HH", payload, offset)
        if length < 4:
            return
        yield kind, payload[offset + 4:offset + length]
        offset += (length + 3) & ~3


@dataclass(frozen=True)
class AddrInfo:
    """One interface address as ``__check_pf`` keeps it (``struct in6addrinfo``).

    ``flags`` holds IN6AI_DEPRECATED and IN6AI_HOMEADDRESS.

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """

    flags: int
    prefixlen: int
    index: int


def read_in6ai() -> Optional[dict[bytes, AddrInfo]]:
    """__check_pf: every interface address (IPv4 as mapped), or None without IPv6.

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    table: dict[bytes, AddrInfo] = {}
    seen_ipv6 = False
    for kind, payload in _netlink_dump(_RTM_GETADDR):
        if kind != _RTM_NEWADDR or len(payload) < 8:
            continue
        family, prefixlen, ifa_flags, _scope, index = struct.unpack_from("=BBBBI", payload)
        if family not in (AF_INET, AF_INET6):
            continue
        address = local = None
        for attr, value in _rtattrs(payload, 8):
            if attr == _IFA_LOCAL and local is None:
                local = value
            elif attr == _IFA_ADDRESS:
                address = value
                break
        address = address if address is not None else local
        if address is None:
            continue
        if family == AF_INET:
            key = V4MAPPED_PREFIX + address[:4]
        else:
            key = address[:16]
            seen_ipv6 = seen_ipv6 or key != LOOPBACK6
        flags = 0
        if ifa_flags & (_IFA_F_DEPRECATED | _IFA_F_OPTIMISTIC):
            flags |= IN6AI_DEPRECATED
        if ifa_flags & _IFA_F_HOMEADDRESS:
            flags |= IN6AI_HOMEADDRESS
        table.setdefault(key, AddrInfo(flags, prefixlen, index))
    return table if seen_ipv6 else None


def read_link_types() -> dict[int, int]:
    """Interface index -> ARPHRD link type, what ``__check_native`` asks the kernel.

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    types = {}
    for kind, payload in _netlink_dump(_RTM_GETLINK):
        if kind == _RTM_NEWLINK and len(payload) >= 16:
            _family, link_type, index = struct.unpack_from("=BxHi", payload)
            types[index] = link_type
    return types
