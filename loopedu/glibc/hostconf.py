"""/etc/host.conf: the two switches that change what the files backend returns.

Introduced in notebooks/02-localhost-is-a-name.ipynb.

Models ``resolv/res_hconf.c`` (glibc 2.36): ``multi`` and ``reorder`` read from the
file named by ``$RESOLV_HOST_CONF`` (default /etc/host.conf), then overridden by the
``RESOLV_MULTI`` and ``RESOLV_REORDER`` environment variables.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Optional

from .ctext import CSPACE

__all__ = ["HostConf"]

_COMMAND = re.compile(rb"[^ \t\n\v\f\r#,]*")


def _arg_bool(args: bytes, current: bool) -> bool:
    lowered = args.lower()
    if lowered.startswith(b"on"):
        return True
    if lowered.startswith(b"off"):
        return False
    return current  # glibc prints "expected `on' or `off'" and keeps the old value


@dataclass(frozen=True)
class HostConf:
    """The two /etc/host.conf switches that change what the files backend returns.

    ``multi``: return every matching hosts line, not only the first (Debian ships
    ``multi on``; glibc's own default is off). ``reorder``: for IPv4 lookups, move an
    address on a local subnet to the front.

    >>> HostConf.parse("multi on\\n").multi
    True

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """

    multi: bool = False
    reorder: bool = False

    @classmethod
    def parse(cls, text: bytes | str, environ: Optional[dict] = None) -> "HostConf":
        """Read host.conf text and, like glibc, let RESOLV_MULTI/RESOLV_REORDER override it.

        >>> HostConf.parse("multi on", {"RESOLV_MULTI": "off"}).multi
        False

        Introduced in notebooks/02-localhost-is-a-name.ipynb.
        """
        if isinstance(text, str):
            text = text.encode("utf-8", "surrogateescape")
        flags = {b"multi": False, b"reorder": False}
        # fgets(buf, 256): a longer line is read as several lines.
        chunks = []
        for physical in text.split(b"\n"):
            chunks.extend(physical[k:k + 255] for k in range(0, max(len(physical), 1), 255))
        for chunk in chunks:
            chunk = chunk.split(b"\0", 1)[0].lstrip(CSPACE)
            if not chunk or chunk[:1] == b"#":
                continue
            m = _COMMAND.match(chunk)
            command = m.group(0).lower()
            if command not in flags:
                continue  # "order", "trim" and unknown commands do not matter here
            args = chunk[m.end():].lstrip(CSPACE)
            flags[command] = _arg_bool(args, flags[command])
        environ = os.environ if environ is None else environ
        for key, name in ((b"multi", "RESOLV_MULTI"), (b"reorder", "RESOLV_REORDER")):
            value = environ.get(name)
            if value is not None:
                flags[key] = _arg_bool(os.fsencode(value), flags[key])
        return cls(multi=flags[b"multi"], reorder=flags[b"reorder"])

    @classmethod
    def from_system(cls) -> "HostConf":
        """Read the file glibc reads (``$RESOLV_HOST_CONF`` or /etc/host.conf) and the environment.

        >>> isinstance(HostConf.from_system().multi, bool)
        True

        Introduced in notebooks/02-localhost-is-a-name.ipynb.
        """
        path = os.environ.get("RESOLV_HOST_CONF", "/etc/host.conf")
        try:
            with open(path, "rb") as f:
                text = f.read()
        except OSError:
            text = b""
        return cls.parse(text)
