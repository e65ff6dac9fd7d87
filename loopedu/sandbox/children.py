"""Run a loopedu function in a child process: inside a namespace, or with a private hosts
file, by putting a command prefix (``nsenter ...``, ``unshare ...``) in front of Python.

A child is a fresh interpreter: ``python -m loopedu.sandbox.children``. It reads one
request line (the function as ``"loopedu.module:name"``, its arguments), runs it and
answers with JSON lines. Results cross the process boundary with their types: frozen
dataclasses, enums and tuples of the loopedu package come back as themselves.

The child's stdout belongs to the protocol: before running the function, the child
moves it to a private descriptor (not inherited by the programs it starts) and points
descriptor 1 at stderr. Whatever the function prints, from Python, from C or from a
program it starts, goes to stderr and can never be read as a protocol line. This needs
nothing from the command prefix, which only has to pass stdin and stdout on (``nsenter
... --``, ``sh -c '... exec "$@"'``). A line the parent cannot read raises
:class:`ChildError` saying what it read. Stdin stays where it is: the parent's messages
arrive there, and a service may watch it to notice the parent has gone (see
:mod:`loopedu.measure.far_end`); a function run in a child must not read it.

A short call is :func:`call`. A service that talks while it runs (a server that reports
its ports, then waits to be told how many clients to expect) is started with
:func:`start`: its function receives a :class:`Channel` first, and the parent's
:class:`Child` sends to and receives from it, every read with a deadline. A child is
killed and reaped when its ``with`` block ends, and it exits by itself when its parent
dies (its stdin closes).

Introduced in notebooks/03-bind-address.ipynb.
"""

from __future__ import annotations

import base64
import dataclasses
import enum
import importlib
import json
import os
import select
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any, BinaryIO

__all__ = ["ChildError", "call", "start", "Child", "Channel", "encode", "decode",
           "child_env", "function"]

_PACKAGE = "loopedu."


class ChildError(RuntimeError):
    """A child failed, timed out or said something unreadable; the message says which."""


# ---- JSON with types ----

def _name_of(obj_type: type) -> str:
    return f"{obj_type.__module__}:{obj_type.__qualname__}"


def _resolve(name: str) -> type:
    module, _, qualname = name.partition(":")
    if not module.startswith(_PACKAGE):
        raise ChildError(f"refusing to rebuild {name!r}: only loopedu types cross over")
    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def encode(obj: Any) -> Any:
    """``obj`` as JSON-ready data that :func:`decode` turns back into ``obj``.

    >>> from loopedu.connections import Kind, Outcome
    >>> decode(json.loads(json.dumps(encode({("a", 1): Outcome(Kind.REFUSED)}))))
    {('a', 1): Outcome(kind=<Kind.REFUSED: 'refused'>, errno=None)}

    Introduced in notebooks/03-bind-address.ipynb.
    """
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, enum.Enum):
        return {"__enum__": _name_of(type(obj)), "value": encode(obj.value)}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        fields = {f.name: encode(getattr(obj, f.name))
                  for f in dataclasses.fields(obj) if f.init}
        return {"__dataclass__": _name_of(type(obj)), "fields": fields}
    if isinstance(obj, tuple):
        return {"__tuple__": [encode(v) for v in obj]}
    if isinstance(obj, list):
        return [encode(v) for v in obj]
    if isinstance(obj, dict):
        if all(isinstance(k, str) and not k.startswith("__") for k in obj):
            return {k: encode(v) for k, v in obj.items()}
        return {"__pairs__": [[encode(k), encode(v)] for k, v in obj.items()]}
    if isinstance(obj, bytes):
        return {"__bytes__": base64.b64encode(obj).decode("ascii")}
    raise TypeError(f"a child cannot send a {type(obj).__name__}")


def decode(data: Any) -> Any:
    """The inverse of :func:`encode`.

    Introduced in notebooks/03-bind-address.ipynb.
    """
    if isinstance(data, list):
        return [decode(v) for v in data]
    if not isinstance(data, dict):
        return data
    if "__enum__" in data:
        return _resolve(data["__enum__"])(decode(data["value"]))
    if "__dataclass__" in data:
        return _resolve(data["__dataclass__"])(**{k: decode(v)
                                                  for k, v in data["fields"].items()})
    if "__tuple__" in data:
        return tuple(decode(v) for v in data["__tuple__"])
    if "__pairs__" in data:
        return {decode(k): decode(v) for k, v in data["__pairs__"]}
    if "__bytes__" in data:
        return base64.b64decode(data["__bytes__"])
    return {k: decode(v) for k, v in data.items()}


# ---- the parent side ----

def child_env() -> dict:
    """The environment of a child: it imports this very copy of loopedu.

    Introduced in notebooks/03-bind-address.ipynb.
    """
    env = dict(os.environ)
    here = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (here, env.get("PYTHONPATH")) if p)
    return env


def _check_name(func: str) -> None:
    if not isinstance(func, str) or not func.startswith(_PACKAGE) or ":" not in func:
        raise ValueError(f"children run loopedu functions ('loopedu.module:name'), "
                         f"not {func!r}")


def function(func: str):
    """The loopedu function ``func`` names (``"loopedu.module:name"``), imported here;
    ValueError for any other name, as for a child.

    >>> function("loopedu.connections:family_of").__name__
    'family_of'

    Introduced in notebooks/03-bind-address.ipynb.
    """
    _check_name(func)
    module, _, name = func.partition(":")
    return getattr(importlib.import_module(module), name)


def _request(func: str, args: tuple, kwargs: dict, channel: bool) -> bytes:
    _check_name(func)
    return (json.dumps({"func": func, "args": encode(list(args)), "kwargs": encode(kwargs),
                        "channel": channel}) + "\n").encode()


def _command(prefix: list) -> list[str]:
    return [str(c) for c in prefix] + [sys.executable, "-m", "loopedu.sandbox.children"]


_REPLIES = ("result", "message", "error")


def _reply(func: str, line: bytes) -> dict:
    """One protocol line from the child as ``{kind: decoded value}``, ``kind`` one of
    ``_REPLIES``; :class:`ChildError`, quoting the line, for anything else."""
    try:
        data = json.loads(line)
        if not isinstance(data, dict) or len(data) != 1 or next(iter(data)) not in _REPLIES:
            raise ValueError(f"not one of {{{', '.join(map(repr, _REPLIES))}: ...}}")
        (kind, value), = data.items()
        return {kind: value if kind == "error" else decode(value)}
    except ChildError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError, ImportError) as exc:
        shown = line[:200].decode(errors="replace") + ("..." if len(line) > 200 else "")
        raise ChildError(f"{func} sent a line that is not the protocol's "
                         f"({type(exc).__name__}: {exc}): {shown!r}") from None


def _failure(func: str, reply: dict | None, stderr: str, status: int | None) -> ChildError:
    if reply and "error" in reply:
        return ChildError(f"{func} failed in the child: {reply['error']}")
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    why = lines[-1] if lines else f"exit status {status}"
    return ChildError(f"{func} could not run in the child: {why}")


def call(prefix: list, func: str, *args, timeout: float = 60, **kwargs) -> Any:
    """Run ``func(*args, **kwargs)`` in a child started behind ``prefix`` (a command
    such as ``["nsenter", "--target", "1234", "--net", "--"]``, or ``[]``) and return
    its result.

    >>> call([], "loopedu.servers:probe", "127.0.0.1").outcome   # a Probe came back
    'bind ok, connected'

    Introduced in notebooks/03-bind-address.ipynb.
    """
    try:
        done = subprocess.run(_command(prefix), input=_request(func, args, kwargs, False),
                              capture_output=True, timeout=timeout, env=child_env())
    except subprocess.TimeoutExpired:
        raise ChildError(f"{func} gave no answer in {timeout} s; the child was stopped") \
            from None
    except OSError as exc:
        raise ChildError(f"{func} could not start: {exc}") from None
    replies = [_reply(func, line) for line in done.stdout.splitlines()]
    if len(replies) > 1:
        raise ChildError(f"{func} answered {len(replies)} lines instead of one: "
                         f"{done.stdout[:200].decode(errors='replace')!r}")
    reply = replies[0] if replies else None
    if done.returncode != 0 or not reply or "result" not in reply:
        raise _failure(func, reply, done.stderr.decode(errors="replace"), done.returncode)
    return decode(reply["result"])


class Child:
    """A running child service (see :func:`start`); use it as a context manager."""

    def __init__(self, prefix: list, func: str, args: tuple, kwargs: dict):
        self.func = func
        self._buffer = b""
        request = _request(func, args, kwargs, True)
        self._stderr = tempfile.TemporaryFile()
        try:
            self._proc = subprocess.Popen(_command(prefix), stdin=subprocess.PIPE,
                                          stdout=subprocess.PIPE, stderr=self._stderr,
                                          env=child_env())
        except OSError as exc:
            self._stderr.close()
            raise ChildError(f"{func} could not start: {exc}") from None
        except BaseException:
            self._stderr.close()
            raise
        try:
            self._proc.stdin.write(request)
            self._proc.stdin.flush()
        except OSError:   # the child ended before reading its request: say why
            self._stop()
            failure = _failure(func, None, self._stderr_text(), self._proc.returncode)
            self._release()
            raise failure from None
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> "Child":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def send(self, message: Any) -> None:
        """Send one message to the child's :meth:`Channel.receive`."""
        self._proc.stdin.write((json.dumps(encode(message)) + "\n").encode())
        self._proc.stdin.flush()

    def _line(self, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        fd = self._proc.stdout.fileno()
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise ChildError(f"{self.func} said nothing for {timeout} s")
            chunk = os.read(fd, 65536)
            if not chunk:
                self._proc.wait(timeout=5)
                raise _failure(self.func, None, self._stderr_text(), self._proc.returncode)
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return _reply(self.func, line)

    def receive(self, timeout: float = 10) -> Any:
        """The child's next message; raises :class:`ChildError` after ``timeout``
        seconds of silence, or if the child failed."""
        reply = self._line(timeout)
        if "message" not in reply:
            raise _failure(self.func, reply, self._stderr_text(), None)
        return decode(reply["message"])

    def result(self, timeout: float = 10) -> Any:
        """Wait for the child's function to return, and return what it returned."""
        reply = self._line(timeout)
        if "result" not in reply:
            raise _failure(self.func, reply, self._stderr_text(), None)
        return decode(reply["result"])

    def _stderr_text(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")

    def close(self) -> None:
        """Stop the child (if it still runs) and reap it."""
        self._stop()
        self._release()

    def _stop(self) -> None:
        """Close the child's stdin, give it 2 s to end by itself, then kill it; reap it."""
        try:
            self._proc.stdin.close()
        except OSError:
            pass
        try:
            self._proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait(timeout=10)

    def _release(self) -> None:
        self._proc.stdout.close()
        self._stderr.close()


def start(prefix: list, func: str, *args, **kwargs) -> Child:
    """Start ``func(channel, *args, **kwargs)`` as a service in a child behind
    ``prefix``; returns the :class:`Child`.

    Introduced in notebooks/03-bind-address.ipynb.
    """
    return Child(prefix, func, args, kwargs)


# ---- the child side ----

class Channel:
    """What a child service talks through: :meth:`send` to the parent (on the protocol's
    private descriptor), :meth:`receive` from it (on stdin); one JSON line each."""

    def __init__(self, writer: BinaryIO):
        self._writer = writer

    def send(self, message: Any) -> None:
        """Send one message to the parent."""
        self._say("message", encode(message))

    def receive(self) -> Any:
        """The parent's next message (None once the parent has closed the pipe)."""
        line = sys.stdin.readline()
        return decode(json.loads(line)) if line.strip() else None

    def _say(self, kind: str, data: Any) -> None:
        self._writer.write((json.dumps({kind: data}) + "\n").encode())
        self._writer.flush()


def _private_channel() -> Channel:
    """Take stdout for the protocol: duplicate it to a descriptor that programs started
    later do not inherit, then point descriptor 1 (and so ``sys.stdout``) at stderr."""
    sys.stdout.flush()
    channel = Channel(os.fdopen(os.dup(1), "wb"))
    os.dup2(2, 1)
    return channel


def _main() -> int:
    channel = _private_channel()
    request = json.loads(sys.stdin.readline())
    module, _, name = request["func"].partition(":")
    try:
        func = getattr(importlib.import_module(module), name)
        args = decode(request["args"])
        if request.get("channel"):
            args.insert(0, channel)
        result = func(*args, **decode(request["kwargs"]))
        channel._say("result", encode(result))
    except Exception as exc:
        traceback.print_exc()
        channel._say("error", f"{type(exc).__name__}: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(_main())
