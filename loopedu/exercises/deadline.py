"""Running a learner's function with a deadline, in a thread of its own, so that a check
never hangs on it and nothing process-wide (no default socket timeout) changes.

Introduced in exercises/02-localhost-is-a-name-exercises.ipynb (exercise 02.fix-client).
"""

from __future__ import annotations

import socket
import threading
from typing import Any, Callable

__all__ = ["Hung", "call_with_deadline"]


class Hung(Exception):
    """The learner's function did not return within its time limit."""


def call_with_deadline(fn: Callable, *args: Any, seconds: float,
                       thread_name: str = "loopedu-learner-code") -> Any:
    """``fn(*args)`` in a thread of its own: its result, or its exception raised here;
    :class:`Hung` when it has not returned after ``seconds``. Nothing process-wide (no
    default socket timeout) changes. A thread that never returns cannot be stopped: it
    is a daemon thread, and a socket it returns late is closed.

    Introduced in notebooks/02-localhost-is-a-name.ipynb (its exercise 02.fix-client).
    """
    returned, box, lock = threading.Event(), {"gave_up": False}, threading.Lock()

    def run() -> None:
        try:
            value = fn(*args)
        except BaseException as exc:  # handed over to the caller
            value, box["error"] = None, exc
        with lock:
            if box["gave_up"] and isinstance(value, socket.socket):
                value.close()  # the check gave up on it: nobody else will close it
            box["value"] = value
            returned.set()

    threading.Thread(target=run, name=thread_name, daemon=True).start()
    returned.wait(seconds)
    with lock:
        if not returned.is_set():
            box["gave_up"] = True
            raise Hung()
    if "error" in box:
        raise box["error"]
    return box["value"]
