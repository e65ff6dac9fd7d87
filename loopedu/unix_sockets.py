"""Unix-domain sockets: what the MySQL client uses for the host name ``localhost`` on
Unix, and libpq when no host is given; guarded by a file's permissions instead of an
address.

Introduced in notebooks/02-localhost-is-a-name.ipynb.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import stat
import subprocess
import sys
import tempfile
import uuid
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Iterator

from .connections import errno_name
from .platforms import markdown_table
from .sandbox import is_root
from .sandbox.recordings import Provenance, load_recording, save_recording
from .servers import echo_server

__all__ = ["UnixAndTcp", "unix_and_tcp_server", "Attempt", "SocketFile",
           "socket_file_permissions", "permissions_table", "ORDINARY_UID", "AbstractSocket",
           "abstract_socket_permissions", "recorded_abstract_socket", "record",
           "ABSTRACT_RECORDING"]

#: The user an ordinary user's connection is tried as, when this process is root:
#: ``nobody`` on Debian, Ubuntu and Fedora, a user who owns no files.
ORDINARY_UID = 65534

# What the child run as ORDINARY_UID does: connect to the path in argv[1] (an abstract
# name written "@name", as ss prints it), print the outcome. Standard library only, so
# it needs nothing the ordinary user cannot read.
_CONNECT = """\
import errno, socket, sys
path = sys.argv[1]
with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
    client.settimeout(2)
    try:
        client.connect("\\0" + path[1:] if path.startswith("@") else path)
        print("connected")
    except OSError as exc:
        print(errno.errorcode.get(exc.errno, "OSError"))
"""


@dataclass(frozen=True)
class UnixAndTcp:
    """Where :func:`unix_and_tcp_server` listens: a socket file and (host, port)."""

    unix: str
    tcp: tuple


@contextmanager
def unix_and_tcp_server(folder: str | None = None) -> Iterator[UnixAndTcp]:
    """One echo service on a Unix-domain socket *and* on TCP 127.0.0.1 (port 0), as
    MySQL and PostgreSQL listen on Unix. The socket file lives in a fresh private folder
    (inside ``folder`` if given); everything is closed, joined and removed on exit.
    Raises OSError where AF_UNIX is missing (old Windows Pythons).

    >>> with unix_and_tcp_server() as srv:
    ...     os.path.basename(srv.unix), srv.tcp[0]
    ('echo.sock', '127.0.0.1')

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    with ExitStack() as stack:
        unix = stack.enter_context(echo_server("unix", folder=folder))
        tcp = stack.enter_context(echo_server("tcp", "127.0.0.1"))
        yield UnixAndTcp(unix.address, tcp.address)


@dataclass(frozen=True)
class Attempt:
    """One user's connections to the socket file: ``before`` (mode ``srw-rw-rw-``) and
    ``after`` ``chmod 000``, each ``"connected"`` or an errno name such as ``EACCES``.
    ``who`` says who tried, ``uid`` as which user id."""

    who: str
    uid: int
    before: str
    after: str


@dataclass(frozen=True)
class SocketFile:
    """What guards a Unix-domain socket, tried for real.

    ``type`` and ``mode`` are the socket file's as the server made it; ``mode_before``
    its mode for the first connections (writable by everyone). ``this_process`` is what
    this process got before and after ``chmod 000``; ``ordinary_user`` what an ordinary
    user got: as root, a child process run as :data:`ORDINARY_UID` (None if it could not
    run, ``why_no_ordinary`` says why); otherwise this process itself, which is one.
    ``tcp_needs_no_file`` is a TCP connection to the same service on 127.0.0.1."""

    type: str
    mode: str
    mode_before: str
    root: bool
    this_process: Attempt
    ordinary_user: Attempt | None
    tcp_needs_no_file: str
    why_no_ordinary: str = ""


def _connect(family: int, address) -> str:
    with socket.socket(family, socket.SOCK_STREAM) as client:
        client.settimeout(2)
        try:
            client.connect(address)
            return "connected"
        except OSError as exc:
            return errno_name(exc)


def _connect_as(uid: int, path: str) -> str:
    """Connect to ``path`` from a child process running as ``uid`` (root only)."""
    done = subprocess.run([sys.executable, "-I", "-S", "-c", _CONNECT, path],
                          user=uid, group=uid, extra_groups=[], env={},
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=20)
    outcome = done.stdout.strip()
    if done.returncode != 0 or not outcome:
        detail = done.stderr.strip().splitlines()[-1:] or [f"exit status {done.returncode}"]
        raise OSError(f"the child run as uid {uid} failed: {detail[0]}")
    return outcome


def socket_file_permissions(ordinary_uid: int = ORDINARY_UID) -> SocketFile:
    """Connect to a Unix-domain socket before and after ``chmod 000`` on its file.

    On Linux, connecting to a stream socket needs write permission on its file (unix(7)),
    and reaching the file needs search permission on its folder (path_resolution(7)). The
    folder is opened for search (``0711``) and the file for writing (``0666``), so that
    everyone connects at first; then the file gets mode 000. An ordinary user now gets
    EACCES; root still connects, because root bypasses file permission checks
    (CAP_DAC_OVERRIDE, capabilities(7)). As root both are tried for real: this process,
    and a child run as ``ordinary_uid``. As an ordinary user, this process is the
    ordinary user. POSIX leaves the permissions of socket files open, and some older
    BSDs ignore them (unix(7)).

    >>> r = socket_file_permissions()
    >>> r.this_process.before, r.mode_before
    ('connected', 'srw-rw-rw-')

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    root = is_root()
    uid = os.geteuid() if hasattr(os, "geteuid") else -1
    with unix_and_tcp_server() as srv:
        path = srv.unix
        made = os.stat(path)
        os.chmod(os.path.dirname(path), 0o711)  # others may pass through, not list it
        os.chmod(path, 0o666)                   # everyone may write: connect
        mode_before = stat.filemode(os.stat(path).st_mode)

        others, why = [], ""
        me_before = _connect(socket.AF_UNIX, path)
        if root:
            try:
                others.append(_connect_as(ordinary_uid, path))
            except (OSError, subprocess.SubprocessError) as exc:
                why = str(exc)
        os.chmod(path, 0)
        me_after = _connect(socket.AF_UNIX, path)
        if others:
            try:
                others.append(_connect_as(ordinary_uid, path))
            except (OSError, subprocess.SubprocessError) as exc:
                others, why = [], str(exc)
        tcp = _connect(socket.AF_INET, srv.tcp)

    me = Attempt("this process (root)" if root else f"this process (uid {uid})", uid,
                 me_before, me_after)
    if not root:
        ordinary, why = me, ""
    elif others:
        ordinary = Attempt(f"a child process as uid {ordinary_uid}", ordinary_uid,
                           *others)
    else:
        ordinary = None
    kind = "socket" if stat.S_ISSOCK(made.st_mode) else "other"
    return SocketFile(kind, stat.filemode(made.st_mode), mode_before, root, me, ordinary,
                      tcp, why)



def permissions_table(ordinary_uid: int = ORDINARY_UID) -> str:
    """:func:`socket_file_permissions`, run here, as Markdown: a table of who connected
    before and after ``chmod 000`` (this process; as root, also a child as
    ``ordinary_uid``), then the file's modes and a TCP connection to the same service.
    Where Unix-domain sockets or user ids are missing (Windows), one sentence says so.

    >>> print(permissions_table().splitlines()[0])
    | who connects | before chmod 000 | after chmod 000 |

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    if not hasattr(socket, "AF_UNIX") or not hasattr(os, "geteuid"):
        return "Not on this platform: socket-file permissions are a Unix feature."
    perm = socket_file_permissions(ordinary_uid)
    tried = [perm.this_process]
    if perm.ordinary_user is not None and perm.ordinary_user != perm.this_process:
        tried.append(perm.ordinary_user)
    notes = [f"Socket file as the server made it: `{perm.mode}`, opened to "
             f"`{perm.mode_before}` for the first connections.",
             f"TCP to the same service on 127.0.0.1 (no file involved): "
             f"{perm.tcp_needs_no_file}."]
    if perm.root and perm.ordinary_user is None:
        notes.append(f"No ordinary user could be tried here: {perm.why_no_ordinary}")
    table = markdown_table(["who connects", "before chmod 000", "after chmod 000"],
                           [[a.who, a.before, a.after] for a in tried])
    return "\n\n".join([table, *notes])

# ---- abstract sockets: no file, so no permissions ----

#: The name of the recording (loopedu/data/abstract-socket-02-recorded.json).
ABSTRACT_RECORDING = "abstract-socket-02"


@dataclass(frozen=True)
class AbstractSocket(Provenance):
    """Root's two listening Unix sockets, and what an ordinary user (``uid``) got from
    connect(): ``abstract`` on the abstract one (``name``, written ``@...`` as ``ss -x``
    prints it), ``file`` on a socket file of mode ``file_mode`` (``srw-------``); each
    ``"connected"`` or an errno name. ``mechanism`` is ``"root"`` when measured here,
    ``"recorded"`` otherwise (:class:`~loopedu.sandbox.recordings.Provenance`).

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """

    name: str
    file_mode: str
    uid: int
    abstract: str
    file: str


def _abstract_here(ordinary_uid: int) -> AbstractSocket:
    """Measure it (root only): listen on both, connect as ``ordinary_uid`` to each."""
    name = f"loopedu-abstract-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    with ExitStack() as stack:
        folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="loopedu-unix-"))
        os.chmod(folder, 0o711)   # others may pass through: only the file's mode guards it
        path = os.path.join(folder, "root-only.sock")
        for address in ("\0" + name, path):
            server = stack.enter_context(socket.socket(socket.AF_UNIX, socket.SOCK_STREAM))
            server.bind(address)
            server.listen(4)      # connect() completes on the backlog: nothing to accept
        os.chmod(path, 0o600)
        mode = stat.filemode(os.stat(path).st_mode)
        abstract = _connect_as(ordinary_uid, "@" + name)
        on_file = _connect_as(ordinary_uid, path)
    return AbstractSocket("@" + name, mode, ordinary_uid, abstract, on_file, mechanism="root",
                          where=f"measured here, as root, with a child process as uid "
                                f"{ordinary_uid}")


def recorded_abstract_socket() -> AbstractSocket:
    """The result recorded on Linux (its ``where`` says where, when and how).

    >>> r = recorded_abstract_socket()
    >>> r.abstract, r.file
    ('connected', 'EACCES')

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    return load_recording(ABSTRACT_RECORDING)


def abstract_socket_permissions(ordinary_uid: int = ORDINARY_UID) -> AbstractSocket:
    """An abstract Unix socket has no file, so no permissions guard it: "Socket
    permissions have no meaning for abstract sockets" (unix(7)), and the abstract names
    belong to the network namespace, so any process in it may connect. As root this
    listens on an abstract socket and on a socket file of mode 0600, and a child run as
    ``ordinary_uid`` connects to each: the abstract one accepts it, the file refuses it
    (EACCES). Elsewhere (not root, or the child could not run) it returns
    :func:`recorded_abstract_socket`, with ``why_recorded``. Lesson 06 shows it beside
    its advice to use a Unix socket for a database on the same host: the advice holds
    for a socket *file*, whose permissions decide who connects.

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """
    if not is_root():
        why = ("this process is not root: showing it needs a socket owned by one user "
               "and a connection from another, and only root can run a process as "
               "another user")
    else:
        try:
            return _abstract_here(ordinary_uid)
        except (OSError, subprocess.SubprocessError) as exc:
            why = f"the ordinary user's side could not run: {exc}"
    return dataclasses.replace(recorded_abstract_socket(), why_recorded=why)


def record(path=None) -> dict:
    """Measure :func:`abstract_socket_permissions` here (as root) and save it as the
    recording.

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    if not is_root():
        raise PermissionError("record() must run as root: it needs a user to switch to")
    result = _abstract_here(ORDINARY_UID)
    return save_recording(ABSTRACT_RECORDING, result, "as root, the connection from a "
                          f"child process as uid {ORDINARY_UID}", path)
