"""Functions for the sandbox's own tests, which need them run in a child: a child runs
only functions of the loopedu package (:mod:`loopedu.sandbox.children` refuses others),
so the misbehaving functions that test it live here. No lesson uses them.

- :func:`noisy` and :func:`noisy_service` write to descriptor 1 in every way a function
  can (Python's ``print``, ``os.write``, a program they start), including text shaped like
  the children's protocol, and still return what they were given;
- :func:`stubborn` is a service that never reads its channel and ignores SIGTERM, so only
  a kill ends it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from typing import Any

__all__: list[str] = []


def _chatter(tag: str) -> None:
    print("{ not JSON, printed by", tag, flush=True)
    print(json.dumps({"result": f"forged by {tag}"}), flush=True)
    os.write(1, f"os.write by {tag}\n".encode())
    subprocess.run(["echo", f"echo started by {tag}"], check=True)


def noisy(value: Any) -> Any:
    """Write to stdout in every way, then return ``value``."""
    _chatter("noisy")
    return value


def noisy_service(channel, value: Any) -> Any:
    """Write to stdout, send ``value``, write again, and return the parent's answer."""
    _chatter("noisy_service before sending")
    channel.send(value)
    _chatter("noisy_service after sending")
    answer = channel.receive()
    _chatter("noisy_service after receiving")
    return answer


def stubborn(channel) -> None:
    """Ignore SIGTERM, say "ready", and sleep without ever reading the channel."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    channel.send("ready")
    time.sleep(600)
