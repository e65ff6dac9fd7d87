"""How getaddrinfo orders the addresses it found: RFC 3484 rules and host.conf reorder.

Introduced in notebooks/02-localhost-is-a-name.ipynb.

Models ``rfc3484_sort`` in ``sysdeps/posix/getaddrinfo.c`` run by the merge sort of
``stdlib/msort.c`` (what ``qsort_r`` uses), and ``_res_hconf_reorder_addrs`` in
``resolv/res_hconf.c``, glibc 2.36. The sort depends on the machine: every candidate is
probed with a UDP connect first (see :class:`~.machine.Machine`).
"""

from __future__ import annotations

from typing import Callable, Optional, Sequence

from .inet import AF_INET, as16
from .machine import Machine, SortResult
from .netlink import IN6AI_DEPRECATED, IN6AI_HOMEADDRESS, NO_INDEX

__all__ = ["sort_addresses", "reorder_ipv4"]


def _clz32(word: int) -> int:
    """glibc's ``fls``: leading zero bits of a 32-bit word (32 for 0)."""
    return 32 - word.bit_length()


def _word(packed: bytes, offset: int) -> int:
    return int.from_bytes(packed[offset:offset + 4], "big")


def _ipv4_common_bits(probe: SortResult) -> int:
    """Rule 9 for IPv4: common leading bits, counted only inside the source's subnet."""
    dst, src = _word(probe.packed, 0), _word(probe.source, 0)
    # 0xffffffff << 32 is a no-op on x86 and arm, so prefixlen 0 means all ones.
    mask = (0xFFFFFFFF << ((32 - probe.prefixlen) & 31)) & 0xFFFFFFFF
    return _clz32(dst ^ src) if (src & mask) == (dst & mask) else 0


def _merge_sort(items: list, cmp: Callable) -> list:
    """stdlib/msort.c: top-down merge sort, left run first unless cmp > 0."""
    if len(items) <= 1:
        return list(items)
    half = len(items) // 2
    left, right = _merge_sort(items[:half], cmp), _merge_sort(items[half:], cmp)
    out = []
    i = j = 0
    while i < len(left) and j < len(right):
        if cmp(left[i], right[j]) <= 0:
            out.append(left[i])
            i += 1
        else:
            out.append(right[j])
            j += 1
    return out + left[i:] + right[j:]


def _rfc3484_compare(machine: Machine, probes: list[SortResult]) -> Callable[[int, int], int]:
    policy = machine.policy
    natives: dict[int, int] = {}

    def native(index: int) -> int:
        if index not in natives:
            natives[index] = 0 if index == NO_INDEX else machine.is_native(index)
        return natives[index]

    def compare(i1: int, i2: int) -> int:
        a1, a2 = probes[i1], probes[i2]
        # Rule 1: avoid unusable destinations.
        if a1.got_source != a2.got_source:
            return -1 if a1.got_source else 1
        a1_dst_scope = policy.scope_of(a1.family, a1.packed)
        a2_dst_scope = policy.scope_of(a2.family, a2.packed)
        if a1.got_source:
            # Rule 2: prefer matching scope.
            m1 = a1_dst_scope == policy.scope_of(a1.source_family, a1.source)
            m2 = a2_dst_scope == policy.scope_of(a2.source_family, a2.source)
            if m1 != m2:
                return -1 if m1 else 1
            # Rule 3: avoid deprecated addresses.
            d1, d2 = a1.flags & IN6AI_DEPRECATED, a2.flags & IN6AI_DEPRECATED
            if bool(d1) != bool(d2):
                return 1 if d1 else -1
            # Rule 4: prefer home addresses.
            h1, h2 = a1.flags & IN6AI_HOMEADDRESS, a2.flags & IN6AI_HOMEADDRESS
            if bool(h1) != bool(h2):
                return -1 if h1 else 1
            # Rule 5: prefer matching label.
            l1 = policy.label_of(as16(a1.family, a1.packed)) == policy.label_of(
                as16(a1.source_family, a1.source))
            l2 = policy.label_of(as16(a2.family, a2.packed)) == policy.label_of(
                as16(a2.source_family, a2.source))
            if l1 != l2:
                return -1 if l1 else 1
        # Rule 6: prefer higher precedence.
        p1 = policy.precedence_of(as16(a1.family, a1.packed))
        p2 = policy.precedence_of(as16(a2.family, a2.packed))
        if p1 != p2:
            return -1 if p1 > p2 else 1
        # Rule 7: prefer native transport (only when the interfaces differ).
        if a1.got_source and a1.index != a2.index:
            n1, n2 = native(a1.index), native(a2.index)
            if n1 != n2:
                return -1 if n1 else 1
        # Rule 8: prefer smaller scope.
        if a1_dst_scope != a2_dst_scope:
            return -1 if a1_dst_scope < a2_dst_scope else 1
        # Rule 9: longest matching prefix (glibc's variant).
        if a1.got_source and a1.family == a2.family:
            bit1 = bit2 = 0
            if a1.family == AF_INET:
                bit1, bit2 = _ipv4_common_bits(a1), _ipv4_common_bits(a2)
            else:
                for k in range(0, 16, 4):
                    w1 = _word(a1.packed, k) ^ _word(a1.source, k)
                    w2 = _word(a2.packed, k) ^ _word(a2.source, k)
                    if w1 or w2:
                        bit1, bit2 = _clz32(w1), _clz32(w2)
                        break
            if bit1 != bit2:
                return -1 if bit1 > bit2 else 1
        # Rule 10: keep the order the services returned.
        return -1 if i1 < i2 else 1

    return compare


def sort_addresses(candidates: Sequence[tuple[int, bytes]], machine: Optional[Machine] = None
                   ) -> list[tuple[int, bytes]]:
    """Order (family, packed address) pairs the way getaddrinfo would on this machine.

    glibc sorts only when there are two or more results; it probes each candidate with
    a UDP connect (rule 1, unreachable last) and then applies the RFC 3484 rules with the
    gai.conf tables.

    >>> import socket
    >>> one = [(socket.AF_INET, bytes([127, 0, 0, 1]))]
    >>> sort_addresses(one) == one   # a single result is never sorted (or probed)
    True

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    candidates = list(candidates)
    if len(candidates) < 2:
        return candidates
    machine = machine if machine is not None else Machine()
    probes = machine.probe(candidates)
    order = _merge_sort(list(range(len(candidates))), _rfc3484_compare(machine, probes))
    return [candidates[i] for i in order]


def reorder_ipv4(addresses: list[bytes], machine: Machine) -> list[bytes]:
    """host.conf ``reorder``: swap the first address on a local subnet into first place.

    127.0.0.2 is on the subnet of lo (127.0.0.1/8), so it goes first:

    >>> import socket
    >>> from loopedu.glibc.hostconf import HostConf
    >>> far, near = socket.inet_aton("203.0.113.9"), socket.inet_aton("127.0.0.2")
    >>> m = Machine(host_conf=HostConf(reorder=True))
    >>> [socket.inet_ntoa(a) for a in reorder_ipv4([far, near], m)]
    ['127.0.0.2', '203.0.113.9']

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    if not machine.host_conf.reorder or not addresses:
        return addresses
    interfaces = machine.ipv4_ifaddrs()
    for i, packed in enumerate(addresses):
        word = int.from_bytes(packed, "big")
        if any(((word ^ address) & mask) == 0 for address, mask in interfaces):
            swapped = list(addresses)
            swapped[0], swapped[i] = swapped[i], swapped[0]
            return swapped
    return addresses
