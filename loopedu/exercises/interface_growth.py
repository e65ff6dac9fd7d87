"""Checking a learner's own counter measurement (exercise 04.counters): their function
reads ``psutil.net_io_counters(pernic=True)`` before and after :func:`send_bytes` sends N
bytes to an address the lesson did not use, and returns how much each interface grew.

The checker runs that function live, between two counter reads of its own. The learner's
window lies inside the checker's, so each of their numbers must lie between 0 and what the
checker saw that interface count; the loopback interface must have grown by at least the N
bytes sent (psutil: ``bytes_recv``/``bytes_sent`` count bytes, ``packets_*`` packets).

Introduced in notebooks/04-loopback-interface.ipynb (exercise 04.counters).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass

from .answers import show

#: How many bytes the check asks the learner's function to send (3 MB, 10**6 bytes each).
NBYTES = 3_000_000

_sent: list[tuple[str, int, int]] = []
_sent_lock = threading.Lock()


def exercise_address() -> str:
    """The address 04.counters sends to on this machine, one the lesson did not use:
    ``::1`` where IPv6 loopback works, else ``127.0.0.2`` where all of 127/8 answers
    (Linux), else ``127.0.0.1`` (:func:`loopedu.sandbox.capabilities`).

    Introduced in notebooks/04-loopback-interface.ipynb (exercise 04.counters).
    """
    from ..sandbox import capabilities

    caps = capabilities()
    if caps.ipv6_loopback.available:
        return "::1"
    return "127.0.0.2" if caps.whole_127_range.available else "127.0.0.1"


def send_bytes(address: str, nbytes: int) -> int:
    """Send ``nbytes`` bytes over TCP from a client to a server on ``address`` (a loopback
    address of this machine, port 0); return how many the server received. Both sockets
    are closed and the receiving thread joined, whatever happens.

    Introduced in notebooks/04-loopback-interface.ipynb (exercise 04.counters).
    """
    from ..measure.counters import _move_bytes

    received = _move_bytes(int(nbytes), host=str(address))
    with _sent_lock:
        _sent.append((str(address), int(nbytes), received))
    return received


@dataclass(frozen=True)
class Run:
    """One live run of a learner's function: what it returned (or the exception it
    raised), the checker's own counter reads around it, and every :func:`send_bytes` call
    made meanwhile as ``(address, nbytes, received)``."""

    address: str
    nbytes: int
    answer: object
    error: BaseException | None
    before: dict
    after: dict
    sent: tuple


def run(fn, address: str, nbytes: int = NBYTES) -> Run:
    """Call ``fn(address, nbytes)`` between two counter reads of the checker's own.

    Introduced in notebooks/04-loopback-interface.ipynb (exercise 04.counters).
    """
    import psutil

    with _sent_lock:
        _sent.clear()
    before = psutil.net_io_counters(pernic=True)
    answer, error = None, None
    try:
        answer = fn(address, nbytes)
    except Exception as err:  # the learner's code: reported, never raised
        error = err
    after = psutil.net_io_counters(pernic=True)
    with _sent_lock:
        sent = tuple(_sent)
        _sent.clear()
    return Run(address, nbytes, answer, error, dict(before), dict(after), sent)


def _loopback(counters: dict) -> str | None:
    from ..measure.counters import loopback_interface

    loop = loopback_interface()
    return loop if loop in counters else None


#: Where psutil lists no counters for the loopback interface (Windows).
NO_LOOPBACK_COUNTERS = (
    "This system reports no byte counters for its loopback interface (Windows does not): "
    "the check cannot see the bytes arrive. Read the worked answer, and run it on Linux "
    "or macOS (the course's JupyterHub or Binder).")

_SHAPE = ("Return a dict with one number per interface, bytes received meanwhile: "
          "{name: after[name].bytes_recv - before[name].bytes_recv for name in after}.")


def _number(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def problem(result: Run) -> str | None:
    """What is wrong with a learner's run, or None when their numbers hold up.

    Introduced in notebooks/04-loopback-interface.ipynb (exercise 04.counters).
    """
    if result.error is not None:
        text = show(str(result.error), 120)
        return (f"Your function raised {type(result.error).__name__}: {text}. Run it "
                f"alone first: growth({result.address!r}, 1000).")
    asked = [s for s in result.sent if s[0] == result.address and s[1] == result.nbytes]
    if not result.sent:
        return ("Your function never called send_bytes(address, nbytes): no bytes were "
                "sent, so there was nothing to measure.")
    if not asked:
        address, nbytes, _ = result.sent[0]
        return (f"Your function sent {nbytes:,} bytes to {address}; the check asked for "
                f"{result.nbytes:,} bytes to {result.address}. Pass on the address and "
                "the number your function receives.")
    answer = result.answer
    if not isinstance(answer, Mapping):
        return f"Your function returned {show(answer, 60)}. " + _SHAPE
    answer = {str(k): v for k, v in answer.items()}
    loop = _loopback(result.before)
    names = set(answer)
    both = set(result.before) & set(result.after)
    unknown = sorted(names - set(result.before) - set(result.after))
    if unknown:
        return (f"{show(unknown[0], 40)} is not an interface of this machine: use the "
                "names psutil.net_io_counters(pernic=True) gives.")
    if loop not in names:
        return (f"Your dict has no entry for {loop!r}, this machine's loopback "
                "interface. Give one for every interface psutil lists, not only the "
                "network cards.")
    missing = sorted(both - names)
    if missing:
        return (f"Your dict leaves out {', '.join(missing[:3])}: give one number for "
                "every interface psutil lists.")
    elsewhere = [nic for nic in sorted(names - {loop}) if _number(answer[nic])
                 and answer[nic] >= result.nbytes > max(_grew(result, nic)[:2])]
    if elsewhere and _number(answer[loop]) and answer[loop] < result.nbytes:
        return (f"You gave {elsewhere[0]!r} the bytes sent, but the checker's reads saw "
                "its counter grow far less. Give each interface its own growth: after "
                "minus before under the same name.")
    for nic in [loop] + sorted(names - {loop}):
        value = answer.get(nic)
        if not _number(value):
            return (f"For {nic!r} you gave {show(value, 60)}: give a number of bytes, the "
                    "difference of two bytes_recv readings.")
        if value < 0:
            return (f"For {nic!r} you gave {value:,}: a negative growth. Subtract the "
                    "reading taken before from the one taken after.")
        message = _too_big(nic, value, result) or \
            (_too_small(loop, value, result) if nic == loop else None)
        if message:
            return message
    return None


def _grew(result: Run, nic: str) -> tuple[int, int, int]:
    """(bytes sent, bytes received, packets either way) the checker saw ``nic`` count."""
    b, a = result.before.get(nic), result.after.get(nic)
    if b is None or a is None:
        return (0, 0, 0)
    return (a.bytes_sent - b.bytes_sent, a.bytes_recv - b.bytes_recv,
            max(a.packets_sent - b.packets_sent, a.packets_recv - b.packets_recv))


def _too_big(nic: str, value: int, result: Run) -> str | None:
    sent, received, _ = _grew(result, nic)
    if value <= max(sent, received):
        return None
    if value <= sent + received:
        return (f"For {nic!r} you gave more than it counted in either direction: did you "
                "add sent and received? On loopback each byte is counted in both. Give "
                "bytes received only.")
    b, a = result.before[nic], result.after[nic]
    if b.bytes_recv <= value <= a.bytes_recv or b.bytes_sent <= value <= a.bytes_sent:
        return (f"For {nic!r} you gave {value:,}, more than its counter grew during the "
                "whole check: that looks like the counter's total since boot. Subtract "
                "the reading taken before sending.")
    return (f"For {nic!r} you gave {value:,}, but the checker's reads saw its counter grow "
            "far less. Give each interface its own growth: after minus before under the "
            "same name.")


def _too_small(loop: str, value: int, result: Run) -> str | None:
    sent, received, packets = _grew(result, loop)
    if value >= result.nbytes:
        return None
    if 0 < value <= packets:
        return (f"For {loop!r} you gave {value:,}: that is about the number of packets, "
                "not bytes. Use bytes_recv, not packets_recv.")
    if max(sent, received) >= result.nbytes:
        return (f"Your reads saw {loop!r} grow by {value:,} bytes, fewer than the "
                f"{result.nbytes:,} sent, though the checker's own reads saw them all: "
                "read the counters once before send_bytes and once after it returns.")
    return (f"{loop!r} counted fewer than the {result.nbytes:,} bytes sent, even in the "
            "checker's own reads: the bytes did not go over loopback. Send them with "
            "send_bytes(address, nbytes), to the address your function receives.")


def check_growth(fn) -> tuple[bool, str]:
    """Run a learner's ``growth(address, nbytes)`` live and judge it: ``(passed,
    message)``.

    Introduced in notebooks/04-loopback-interface.ipynb (exercise 04.counters).
    """
    import psutil

    if not callable(fn):
        return False, ('Give your function itself, without calling it: '
                       'check("04.counters", growth). It takes (address, nbytes).')
    if _loopback(psutil.net_io_counters(pernic=True)) is None:
        return False, NO_LOOPBACK_COUNTERS
    address = exercise_address()
    result = run(fn, address)
    message = problem(result)
    if message:
        return False, message
    return True, ("Right: your own counter reads agree with the checker's. The loopback "
                  "interface counted every byte sent, once received (and once sent). "
                  "Each network card grew by at most what the machine did meanwhile: "
                  "none of them carried these bytes.")


__all__ = ["NBYTES", "NO_LOOPBACK_COUNTERS", "Run", "check_growth", "exercise_address",
           "problem", "run", "send_bytes"]
