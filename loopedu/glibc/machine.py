"""What glibc's getaddrinfo reads from this machine besides /etc/hosts.

Introduced in notebooks/02-localhost-is-a-name.ipynb.

Models the source-address probing loop of ``getaddrinfo`` in
``sysdeps/posix/getaddrinfo.c`` (a UDP ``connect`` to every candidate address), the
interface data the sort consults (``check_pf.c``, ``check_native.c``: see
:mod:`.netlink`), and the IPv4 interface table host.conf ``reorder`` reads
(``_res_hconf_reorder_addrs`` in ``resolv/res_hconf.c``), glibc 2.36. The answers are
for the machine, and network namespace, the code runs in.
"""

from __future__ import annotations

import dataclasses
import errno as _errno
import os
import socket
from dataclasses import dataclass
from typing import Optional, Sequence

from .hostconf import HostConf
from .inet import AF_INET, AF_INET6, V4MAPPED_PREFIX
from .netlink import (
    ARPHRD_SIT,
    ARPHRD_TUNNEL,
    ARPHRD_TUNNEL6,
    NO_INDEX,
    read_in6ai,
    read_link_types,
)
from .policy import Policy

__all__ = ["Machine", "SortResult"]

_UNREAD = object()


def read_ipv4_ifaddrs() -> list[tuple[int, int]]:
    """(address, netmask) of every IPv4 interface address, as integers.

    What ``_res_hconf_reorder_addrs`` collects: SIOCGIFCONF lists one entry per IPv4
    address (interfaces that are down included), and SIOCGIFNETMASK, asked with that
    entry's address, answers that address's own netmask. getifaddrs(3), which psutil
    calls, lists the same addresses with the same netmasks.

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    import psutil

    pairs = []
    for addresses in psutil.net_if_addrs().values():
        for snic in addresses:
            if snic.family != AF_INET or not snic.netmask:
                continue  # glibc skips an entry whose SIOCGIFNETMASK fails
            pairs.append((int.from_bytes(socket.inet_aton(snic.address), "big"),
                          int.from_bytes(socket.inet_aton(snic.netmask), "big")))
    return pairs


@dataclass
class SortResult:
    """What glibc's sort learns about one candidate (its ``struct sort_result``).

    ``got_source`` is False when the UDP connect failed (RFC 3484 rule 1: such
    addresses go last); ``flags``, ``prefixlen`` and ``index`` come from the interface
    address that is the source (deprecated/home flags, rules 3, 4, 7 and 9).

    >>> SortResult(socket.AF_INET, bytes(4)).got_source
    False

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """

    family: int
    packed: bytes
    got_source: bool = False
    source_family: int = 0
    source: bytes = b""
    flags: int = 0
    prefixlen: int = 0
    index: int = NO_INDEX


class Machine:
    """What glibc's getaddrinfo reads from this machine besides /etc/hosts.

    host.conf switches, the gai.conf tables, interface addresses (netlink) and, for each
    candidate address, a UDP ``connect`` that tells whether it is reachable and from which
    source address. host.conf is read when the object is made, gai.conf and the
    interface data when a sort first needs them; probes are remembered for the life of
    the object (a snapshot). Pass ``host_conf``/``policy`` to model another
    configuration on this machine's network.

    >>> m = Machine(host_conf=HostConf(multi=True), policy=Policy())
    >>> m.host_conf.multi
    True

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """

    def __init__(self, *, host_conf: Optional[HostConf] = None, policy: Optional[Policy] = None):
        self.host_conf = host_conf if host_conf is not None else HostConf.from_system()
        self._policy = policy
        self._in6ai: object = _UNREAD
        self._link_types: object = _UNREAD
        self._ipv4_ifaddrs: object = _UNREAD
        self._connects: dict = {}
        self._sockets: dict = {}

    @property
    def policy(self) -> Policy:
        """The gai.conf tables (read from /etc/gai.conf on first use unless given).

        >>> Machine(policy=Policy()).policy == Policy()
        True

        Introduced in notebooks/02-localhost-is-a-name.ipynb.
        """
        if self._policy is None:
            self._policy = Policy.from_system()
        return self._policy

    # -- interface data -------------------------------------------------------------
    def _in6ai_table(self) -> Optional[dict]:
        if self._in6ai is _UNREAD:
            try:
                self._in6ai = read_in6ai()
            except (OSError, AttributeError):  # no netlink (not Linux)
                self._in6ai = None
        return self._in6ai  # type: ignore[return-value]

    def is_native(self, index: int) -> int:
        """1 if interface ``index`` is not a tunnel (RFC 3484 rule 7), else 0; read once.

        Introduced in notebooks/02-localhost-is-a-name.ipynb.
        """
        if self._link_types is _UNREAD:
            try:
                self._link_types = read_link_types()
            except (OSError, AttributeError):
                self._link_types = {}
        link_type = self._link_types.get(index)  # type: ignore[union-attr]
        if link_type is None:
            return 0
        return int(link_type not in (ARPHRD_TUNNEL, ARPHRD_TUNNEL6, ARPHRD_SIT))

    def ipv4_ifaddrs(self) -> list:
        """IPv4 (address, netmask) integer pairs of every interface, read once: what
        host.conf ``reorder`` compares addresses with.

        >>> (0x7F000001, 0xFF000000) in Machine(host_conf=HostConf()).ipv4_ifaddrs()  # lo
        True

        Introduced in notebooks/02-localhost-is-a-name.ipynb.
        """
        if self._ipv4_ifaddrs is _UNREAD:
            try:
                self._ipv4_ifaddrs = read_ipv4_ifaddrs()
            except OSError:
                self._ipv4_ifaddrs = []
        return self._ipv4_ifaddrs  # type: ignore[return-value]

    @staticmethod
    def if_nametoindex(name: bytes) -> int:
        """Interface index for a scope name, 0 if there is none (as glibc's if_nametoindex).

        >>> Machine.if_nametoindex(b"no-such-interface")
        0

        Introduced in notebooks/02-localhost-is-a-name.ipynb.
        """
        try:
            return socket.if_nametoindex(os.fsdecode(name))
        except (OSError, ValueError, UnicodeError):
            return 0

    # -- probes ---------------------------------------------------------------------
    def _socket_opens(self, family: int) -> tuple[bool, int]:
        if family not in self._sockets:
            try:
                socket.socket(family, socket.SOCK_DGRAM).close()
                self._sockets[family] = (True, 0)
            except OSError as exc:
                self._sockets[family] = (False, exc.errno or _errno.EAFNOSUPPORT)
        return self._sockets[family]

    def _connect(self, sock_family: int, family: int, packed: bytes) -> tuple[Optional[bytes], int]:
        """connect() a fresh UDP socket (what glibc's reset connect amounts to) and
        getsockname(); (16- or 4-byte source, 0) or (None, errno)."""
        key = (sock_family, family, packed)
        if key not in self._connects:
            self._connects[key] = self._connect_now(sock_family, family, packed)
        return self._connects[key]

    @staticmethod
    def _connect_now(sock_family: int, family: int, packed: bytes) -> tuple[Optional[bytes], int]:
        try:
            s = socket.socket(sock_family, socket.SOCK_DGRAM)
        except OSError as exc:
            return None, exc.errno or 0
        with s:
            try:
                if sock_family == AF_INET6:
                    if family == AF_INET:
                        # glibc passes the sockaddr_in itself; the kernel refuses that
                        # with EAFNOSUPPORT on an IPv6-only socket.
                        if s.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY):
                            return None, _errno.EAFNOSUPPORT
                        packed = V4MAPPED_PREFIX + packed
                    s.connect((socket.inet_ntop(AF_INET6, packed), 0, 0, 0))
                    source = socket.inet_pton(AF_INET6, s.getsockname()[0].split("%")[0])
                else:
                    s.connect((socket.inet_ntop(AF_INET, packed), 0))
                    source = socket.inet_pton(AF_INET, s.getsockname()[0])
            except OSError as exc:
                return None, exc.errno or 0
        return source, 0

    def probe(self, candidates: Sequence[tuple[int, bytes]]) -> list[SortResult]:
        """Replay glibc's loop that finds each candidate's source address.

        One socket, reused; it is reopened as IPv6 when an IPv6 candidate follows IPv4
        ones, so IPv4 candidates after an IPv6 one are probed as ``::ffff:a.b.c.d``.

        >>> Machine(host_conf=HostConf()).probe([])
        []

        Introduced in notebooks/02-localhost-is-a-name.ipynb.
        """
        in6ai = self._in6ai_table() if candidates else None
        probes: list[SortResult] = []
        sock_family = 0
        sock_ok = False
        sock_errno = 0
        for i, (family, packed) in enumerate(candidates):
            if i and candidates[i - 1] == (family, packed):
                probes.append(dataclasses.replace(probes[-1]))  # glibc copies the result
                continue
            result = SortResult(family, packed)
            probes.append(result)
            if not sock_ok or (sock_family == AF_INET and family == AF_INET6):
                sock_family = family
                sock_ok, sock_errno = self._socket_opens(family)
            # try_connect
            while True:
                source, err = (None, sock_errno)
                if sock_ok:
                    source, err = self._connect(sock_family, family, packed)
                if source is not None:
                    break
                if err == _errno.EAFNOSUPPORT and sock_family == AF_INET6 and family == AF_INET:
                    sock_family = AF_INET
                    sock_ok, sock_errno = self._socket_opens(AF_INET)
                    continue
                break
            if source is None:
                continue
            result.got_source = True
            if in6ai is not None:
                if family == AF_INET and sock_family == AF_INET:
                    key = V4MAPPED_PREFIX + (b"\x7f\0\0\x01" if source[0] == 127 else source)
                else:
                    key = source
                found = in6ai.get(key)
                if found is not None:
                    result.flags, result.prefixlen, result.index = (
                        found.flags, found.prefixlen, found.index)
            if family == AF_INET and sock_family == AF_INET6:
                source = source[12:]
            result.source_family = AF_INET6 if len(source) == 16 else AF_INET
            result.source = source
        return probes
