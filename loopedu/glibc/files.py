"""Answering a query from a parsed hosts file, as glibc's files backend and getaddrinfo do.

Introduced in notebooks/02-localhost-is-a-name.ipynb.

Models, from glibc 2.36: which lines answer which family (``_nss_files_gethostbyname3_r``
for AF_INET and AF_INET6, ``_nss_files_gethostbyname4_r`` for AF_UNSPEC and
``gethostbyname3_multi`` in ``nss/nss_files/files-hosts.c``), the names getaddrinfo
answers without any file (``text_to_binary_address`` in ``sysdeps/posix/getaddrinfo.c``,
``inet/inet6_scopeid_pton.c``) or that AF_INET lookups never look up
(``nss/digits_dots.c``), and the order of the answers (:mod:`.sort`).
"""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass
from typing import Optional, Union

from .ctext import c_number
from .inet import AF_INET, AF_INET6, V4MAPPED_PREFIX, inet_aton_exact, is_linklocal6, pton6
from .machine import Machine
from .sort import reorder_ipv4, sort_addresses

__all__ = ["Match"]

AF_UNSPEC = socket.AF_UNSPEC
FAMILIES = (AF_UNSPEC, AF_INET, AF_INET6)
# a name Python's "idna" codec refuses: an empty label before the last, or a 64+ label
IDNA_REFUSED = re.compile(rb"^\.|\.\.|[^.]{64}")

Name = Union[str, bytes, bytearray, None]


@dataclass(frozen=True)
class Match:
    """A hosts line that answers a query, before getaddrinfo sorts the answers.

    ``address`` is in the form the query family gets (``::1`` answers AF_INET as
    127.0.0.1).

    >>> from loopedu.glibc.hostsfile import parse
    >>> parse("::1 localhost\\n").matches("localhost", socket.AF_INET)[0].address
    '127.0.0.1'

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """

    line: int
    address: str


def check_family(family: int) -> None:
    """Refuse a family getaddrinfo's hosts lookup does not take (ValueError).

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    if family not in FAMILIES:
        raise ValueError(f"family must be AF_UNSPEC, AF_INET or AF_INET6, not {family!r}")


def query_bytes(name: Name) -> Optional[bytes]:
    """The C string socket.getaddrinfo hands to glibc for ``name``.

    >>> query_bytes("b\\u00fccher.example")
    b'xn--bcher-kva.example'

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    if name is None:
        return None
    if isinstance(name, str):
        if name.isascii() and not IDNA_REFUSED.search(name.encode()):
            key = name.encode()  # the idna codec's result for ASCII it accepts
        else:
            key = name.encode("idna")  # what socket.getaddrinfo does with str hosts
    elif isinstance(name, (bytes, bytearray)):
        key = bytes(name)
    else:
        raise TypeError(f"name must be str, bytes or None, not {type(name).__name__}")
    return key.split(b"\0", 1)[0]  # the C string ends at the first NUL


def numeric_host(key: bytes, family: int) -> Optional[list]:
    """getaddrinfo's text_to_binary_address: None when ``key`` is not an address.

    >>> numeric_host(b"0x7f.1", socket.AF_UNSPEC) == [(socket.AF_INET, bytes([127, 0, 0, 1]))]
    True

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    v4 = inet_aton_exact(key) if key[:1].isdigit() else None
    if v4 is not None:
        return [(AF_INET, v4)] if family in (AF_UNSPEC, AF_INET) else []
    head, percent, scope = key.partition(b"%")
    v6 = pton6(head) if b":" in head else None
    if v6 is None:
        return None
    if family == AF_INET:
        if v6[:12] != V4MAPPED_PREFIX:
            return []  # EAI_ADDRFAMILY
        answer = (AF_INET, v6[12:])
        scoped = v6[12:16] + v6[4:]  # glibc copies addr[3] over addr[0] in place
    else:
        answer = (AF_INET6, v6)
        scoped = v6
    if percent and not _scope_id_ok(scoped, scope):
        return []  # EAI_NONAME
    return [answer]


def _scope_id_ok(addr16: bytes, scope: bytes) -> bool:
    """inet/inet6_scopeid_pton.c: an interface name (link-local only) or a number."""
    multicast_local = addr16[0] == 0xFF and (addr16[1] & 0xF) in (1, 2)
    if is_linklocal6(addr16) or multicast_local:
        if Machine.if_nametoindex(scope):
            return True
    return scope.isdigit() and c_number(scope, 10) <= 0xFFFFFFFF


def digits_dots_refuses(key: bytes) -> bool:
    """nss/digits_dots.c as used by gethostbyname2_r (the AF_INET path): names that
    look numeric never reach /etc/hosts.

    >>> digits_dots_refuses(b"300.1.2.3"), digits_dots_refuses(b"3com.example")
    (True, False)

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    if not key:
        return False
    first = key[:1]
    if not (first.isdigit() or first in b"0123456789abcdefABCDEF:"):
        return False
    if first.isdigit() and key.strip(b"0123456789.") == b"" and key[-1:] != b".":
        return True  # all digits and dots: inet_aton failed, so "not found"
    return (first in b"0123456789abcdefABCDEF" and b":" in key) or first == b":"


def files_lookup(index: dict, forms: list, key: Optional[bytes], family: int,
                 machine: Optional[Machine]) -> tuple:
    """The hosts lines that answer ``key``: ([(line, family, packed)] in file order, and
    the Machine if one had to be made to read host.conf).

    ``index`` maps lower-cased names to a line number or a list of them; ``forms[line]``
    is that line's address as each family reads it (see :mod:`.hostsfile`).

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    if key is None or (family == AF_INET and digits_dots_refuses(key)):
        return [], machine
    ids = index.get(key.lower())
    if ids is None:
        return [], machine
    if ids.__class__ is int:
        ids = (ids,)
    multi = True
    if len(ids) > 1:
        machine = machine if machine is not None else Machine()
        multi = machine.host_conf.multi
    slot = {AF_INET: 2, AF_INET6: 3}.get(family)
    found = []
    for lineno in ids:
        line_forms = forms[lineno]
        if slot is None:
            fam, packed = line_forms[0], line_forms[1]
        else:
            fam, packed = family, line_forms[slot]
            if packed is None:  # the line does not parse for this family: skipped
                continue
        found.append((lineno, fam, packed))
        if not multi:  # without host.conf "multi on" the first matching line wins
            break
    return found, machine


def resolve(index: dict, forms: list, name: Name, family: int,
            machine: Optional[Machine]) -> list:
    """(family, packed) pairs getaddrinfo(name, None, family, SOCK_STREAM) returns, in
    its order, with this file as /etc/hosts and ``hosts: files``.

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    check_family(family)
    key = query_bytes(name)
    if key is None or key == b"*":
        return []  # getaddrinfo(NULL, NULL): EAI_NONAME
    numeric = numeric_host(key, family)
    if numeric is not None:
        return numeric
    found, machine = files_lookup(index, forms, key, family, machine)
    if not found:
        return []
    answers = [(fam, packed) for _, fam, packed in found]
    if len(answers) < 2:
        return answers
    machine = machine if machine is not None else Machine()
    if family == AF_INET and machine.host_conf.reorder:
        answers = [(AF_INET, a) for a in reorder_ipv4([a for _, a in answers], machine)]
    return sort_addresses(answers, machine)
