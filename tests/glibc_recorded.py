"""glibc's answers recorded by the oracle (glibc_oracle.py), replayed without privileges.

The oracle needs root or user namespaces to swap /etc/hosts; these recordings do not.
``tests/tools/record_glibc_answers.py`` ran the oracle's child in network namespaces
made for it (a lab with addresses on a veth pair, IPv6 disabled, lo down, gai.conf
tables, RESOLV_REORDER) and kept each question glibc answered with two or more
addresses (only then does getaddrinfo sort), glibc's answer, and what the model's
:class:`~loopedu.glibc.machine.Machine` read there: host.conf, gai.conf, each UDP
connect's source address, the interface table. :class:`MachineAsRecorded` gives the model
those same readings, so the model's sort can be compared with glibc's on any machine.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from loopedu.glibc.hostconf import HostConf
from loopedu.glibc.machine import Machine
from loopedu.glibc.netlink import AddrInfo
from loopedu.glibc.policy import Policy

RECORDING = Path(__file__).resolve().parent / "hosts_samples" / "glibc-recorded.json"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load(path: Path = RECORDING) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


class NotRecorded(LookupError):
    """The model asked something of the machine that was not recorded."""


class MachineAsRecorded(Machine):
    """A Machine that answers with what was read on the recording machine, and raises
    :class:`NotRecorded` for anything else (it never reads the machine it runs on)."""

    def __init__(self, read: dict):
        gai = read["gai_conf"]
        super().__init__(host_conf=HostConf.parse(read["host_conf"] or "", read["environ"]),
                         policy=Policy() if gai is None else Policy.parse(gai))
        self._sockets = {family: (ok, err) for family, ok, err in read["sockets"]}
        self._connects = {(sf, f, bytes.fromhex(p)): (None if s is None else bytes.fromhex(s), e)
                          for sf, f, p, s, e in read["connects"]}
        self._in6ai = None if read["in6ai"] is None else {
            bytes.fromhex(key): AddrInfo(flags, prefixlen, index)
            for key, flags, prefixlen, index in read["in6ai"]}
        self._link_types = {index: kind for index, kind in read["link_types"]}
        self._ipv4_ifaddrs = [tuple(pair) for pair in read["ipv4_ifaddrs"]]

    def _socket_opens(self, family: int) -> tuple[bool, int]:
        if family not in self._sockets:
            raise NotRecorded(f"opening a socket of family {family}")
        return self._sockets[family]

    @staticmethod
    def _connect_now(sock_family: int, family: int, packed: bytes):
        raise NotRecorded(f"a UDP connect to {packed.hex()} (family {family}, socket "
                          f"family {sock_family})")
