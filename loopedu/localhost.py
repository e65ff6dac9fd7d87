"""``localhost`` is a name: the resolver's path to it, the ::1-first trap, and the Unix
socket that MySQL means by "localhost".

Introduced in notebooks/02-localhost-is-a-name.ipynb.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from .servers import connect_outcome, errno_name, listener

__all__ = ["nsswitch_hosts", "TRAP_HOSTS", "FAMILIES", "resolve_table", "resolve_report",
           "compare_with_resolver", "trap_here", "localhost_trap",
           "getaddrinfo_in_private_mount", "private_mount_unavailable_reason",
           "unix_and_tcp_server", "unix_vs_tcp", "socket_file_permissions"]

#: The hosts file of the trap: both loopback addresses for localhost, IPv4 listed first.
TRAP_HOSTS = "127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n"


def nsswitch_hosts(path: str = "/etc/nsswitch.conf") -> list[str]:
    """The sources of the ``hosts:`` line of nsswitch.conf, in the order glibc asks them.

    Returns ``[]`` when the file or the line is missing (glibc then uses its built-in
    default, ``dns [!UNAVAIL=return] files``; see nsswitch.conf(5)); ``[action]`` items
    such as ``[NOTFOUND=return]`` are kept, so the learner sees them.

    >>> nsswitch_hosts("/nonexistent")
    []

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("hosts:"):
            return line[len("hosts:"):].split()
    return []


#: The three getaddrinfo families the lesson compares, by name.
FAMILIES = {"AF_UNSPEC": socket.AF_UNSPEC, "AF_INET": socket.AF_INET,
            "AF_INET6": socket.AF_INET6}


def resolve_table(hosts_text: str, names=("localhost",)) -> dict:
    """What the resolver model answers for each name and family from ``hosts_text``:
    ``{(name, family_name): [addresses]}``, plus the lines glibc skips or misreads.

    >>> resolve_table("127.0.0.1 localhost\\n")["answers"][("localhost", "AF_INET")]
    ['127.0.0.1']

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    from .hosts import parse

    parsed = parse(hosts_text)
    answers = {}
    for name in names:
        for fam_name, fam in FAMILIES.items():
            try:
                answers[(name, fam_name)] = parsed.lookup(name, fam)
            except (UnicodeError, ValueError) as exc:
                answers[(name, fam_name)] = f"not a valid name: {exc}"
    return {"answers": answers, "problems": list(parsed.problems)}


def resolve_report(hosts_text: str, names: str = "localhost") -> str:
    """:func:`resolve_table` as text, for the sandbox widget; never raises.

    ``names`` is one string of names separated by spaces or commas.

    >>> print(resolve_report("127.0.0.1 localhost\\n::1 localhost\\n"))  # doctest: +ELLIPSIS
    localhost
      AF_UNSPEC -> ...

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    wanted = [n for n in names.replace(",", " ").split() if n] or ["localhost"]
    try:
        table = resolve_table(hosts_text, wanted)
    except Exception as exc:  # the sandbox must answer, whatever is typed
        return f"Could not read that hosts text: {type(exc).__name__}: {exc}"
    lines = []
    for name in wanted:
        lines.append(name)
        for fam_name in FAMILIES:
            got = table["answers"][(name, fam_name)]
            shown = ", ".join(got) if isinstance(got, list) else got
            lines.append(f"  {fam_name:<9} -> {shown or '(nothing: the name does not resolve)'}")
    if table["problems"]:
        lines.append("")
        lines.append("Lines glibc skips or reads differently:")
        for p in table["problems"]:
            lines.append(f"  line {p.line}: {p.reason}")
    return "\n".join(lines)


def compare_with_resolver(path: str | None = None, names=("localhost",)) -> list[dict]:
    """This machine's real getaddrinfo beside the model's prediction from its hosts file.

    One row per (name, family): ``real`` (getaddrinfo's addresses, or the error),
    ``model`` (from the hosts file alone, glibc's rules) and ``same``. The real resolver
    is asked only where the hosts file answers and comes first in nsswitch.conf, so no
    query ever leaves the machine (``real`` then says why it was not asked and ``same``
    is None). They can differ
    for good reasons, which the notebook explains: nsswitch.conf lists more sources than
    ``files`` (``myhostname``, ``resolve``, ``dns``), or this is not glibc (macOS,
    Windows, musl).

    >>> rows = compare_with_resolver()
    >>> sorted(rows[0])
    ['family', 'model', 'name', 'real', 'same']

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    from .doctor import hosts_file_path

    path = path or hosts_file_path()
    try:
        text = Path(path).read_bytes()
    except OSError as exc:
        text = b""
        unreadable = f"{path} could not be read: {exc}"
    else:
        unreadable = None
    model = resolve_table(text, names)["answers"] if unreadable is None else {}
    sources = nsswitch_hosts() if sys.platform.startswith("linux") else ["files"]
    rows = []
    for name in names:
        for fam_name, fam in FAMILIES.items():
            predicted = model.get((name, fam_name), unreadable)
            if sources[:1] != ["files"] or not predicted or isinstance(predicted, str):
                # the hosts file would not answer first: the lookup would go on to DNS,
                # a query leaving this machine, which the course never sends
                real = "not asked: the next source would be " + (
                    " ".join(s for s in sources if s != "files") or "none") \
                    if sources[:1] == ["files"] else "not asked: hosts is not the first source"
                rows.append({"name": name, "family": fam_name, "real": real,
                             "model": predicted, "same": None})
                continue
            try:
                real = [i[4][0] for i in socket.getaddrinfo(name, None, fam,
                                                            socket.SOCK_STREAM)]
            except (socket.gaierror, UnicodeError) as exc:
                real = f"error: {exc}"
            rows.append({"name": name, "family": fam_name, "real": real,
                         "model": predicted, "same": real == predicted})
    return rows


def trap_here(timeout: float = 1.0) -> dict:
    """Run the trap with this process's own resolver.

    A server listens on 127.0.0.1 only (port 0). The client resolves ``localhost``,
    connects to the first address only, then lets ``socket.create_connection`` try
    each address in turn. Returns plain data: ``resolved`` (getaddrinfo's order),
    ``first_only`` (outcome for the first address), ``create_connection`` (outcome)
    and ``create_connection_used`` (the address that answered).

    >>> trap_here()["create_connection"]
    'connected'

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    with listener("127.0.0.1") as srv:
        try:
            infos = socket.getaddrinfo("localhost", srv.port, socket.AF_UNSPEC,
                                       socket.SOCK_STREAM)
        except socket.gaierror as exc:
            return {"server": "127.0.0.1", "resolved": [], "first_only": None,
                    "create_connection": f"failed: {exc}", "create_connection_used": None}
        resolved = [info[4][0] for info in infos]
        return _connect_both_ways(resolved, srv.port, timeout)


def _connect_both_ways(resolved: list[str], port: int, timeout: float) -> dict:
    """Connect to the first address only, then to each in turn as create_connection does."""
    result = {"server": "127.0.0.1", "resolved": resolved,
              "first_only": connect_outcome(resolved[0], port, timeout) if resolved else None,
              "create_connection": "failed: no addresses", "create_connection_used": None,
              "attempts": []}
    for address in resolved:
        outcome = connect_outcome(address, port, timeout)
        result["attempts"].append((address, outcome))
        if outcome == "connected":
            result["create_connection"] = "connected"
            result["create_connection_used"] = address
            break
    else:
        if resolved:
            result["create_connection"] = result["attempts"][-1][1]
    return result


def private_mount_unavailable_reason() -> str | None:
    """Why a private hosts file (``unshare -m`` + bind mount) cannot be used here, or None.

    >>> private_mount_unavailable_reason() is None or "root" in private_mount_unavailable_reason() or True
    True

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    if not sys.platform.startswith("linux"):
        return f"private mount namespaces are a Linux feature and this is {sys.platform}"
    if os.geteuid() != 0:
        return "a private mount namespace (unshare -m) needs root"
    for tool in ("unshare", "mount"):
        if shutil.which(tool) is None:
            return f"the `{tool}` command (util-linux) is not installed"
    return None


def getaddrinfo_in_private_mount(hosts_text: str, code: str, timeout: float = 30) -> object:
    """Run Python ``code`` in a child whose /etc/hosts is ``hosts_text`` and whose
    nsswitch.conf says ``hosts: files``; return what the code printed, parsed as JSON.

    The real /etc/hosts is never written: the child gets a private mount namespace
    (``unshare -m``, private propagation) and bind mounts over both files, which vanish
    with the child. Linux and root only (see :func:`private_mount_unavailable_reason`).

    >>> getaddrinfo_in_private_mount("127.0.0.1 localhost\\n",
    ...     "import json,socket; print(json.dumps(socket.gethostbyname('localhost')))")  # doctest: +SKIP
    '127.0.0.1'

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    why = private_mount_unavailable_reason()
    if why:
        raise RuntimeError(why)
    with tempfile.TemporaryDirectory(prefix="loopedu-hosts-") as tmp:
        hosts = Path(tmp, "hosts")
        hosts.write_text(hosts_text, encoding="utf-8")
        nss = Path(tmp, "nsswitch.conf")
        nss.write_text("hosts: files\n", encoding="utf-8")
        script = ('mount --bind "$1" /etc/hosts && mount --bind "$2" /etc/nsswitch.conf '
                  '&& shift 2 && exec "$@"')
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            [str(Path(__file__).resolve().parent.parent), os.environ.get("PYTHONPATH", "")]))
        done = subprocess.run(
            ["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh",
             str(hosts), str(nss), sys.executable, "-c", code],
            capture_output=True, text=True, timeout=timeout, env=env)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        raise RuntimeError(f"the private-hosts child failed: {last}")
    return json.loads(done.stdout)


def localhost_trap(hosts_text: str = TRAP_HOSTS, timeout: float = 1.0) -> dict:
    """The ::1-first trap, live, by the best means this machine allows.

    ``mode`` in the result says which was used:

    - ``"this machine"``: this machine's own resolver already puts ::1 first;
    - ``"private hosts file"``: Linux and root: a child process with ``hosts_text`` as
      its /etc/hosts (nothing on the real system changes);
    - ``"model"``: the order comes from :mod:`loopedu.hosts` (glibc's rules applied to
      ``hosts_text``), and the connections are still real.

    >>> localhost_trap()["create_connection"]
    'connected'

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    here = trap_here(timeout)
    if here["resolved"][:1] == ["::1"]:
        return {"mode": "this machine", **here}
    if private_mount_unavailable_reason() is None:
        code = ("import json; from loopedu.localhost import trap_here; "
                f"print(json.dumps(trap_here({timeout!r})))")
        try:
            result = getaddrinfo_in_private_mount(hosts_text, code)
            return {"mode": "private hosts file", **result}
        except (RuntimeError, OSError, subprocess.SubprocessError, ValueError) as exc:
            fallback_reason = str(exc)
        else:  # pragma: no cover
            fallback_reason = ""
    else:
        fallback_reason = private_mount_unavailable_reason()
    from .hosts import parse

    resolved = parse(hosts_text).lookup("localhost", socket.AF_UNSPEC)
    with listener("127.0.0.1") as srv:
        result = _connect_both_ways(resolved, srv.port, timeout)
    return {"mode": "model", "why_model": fallback_reason, **result}


@contextmanager
def unix_and_tcp_server(folder: str | None = None) -> Iterator[dict]:
    """One echo service listening on a Unix-domain socket *and* on TCP 127.0.0.1:0,
    like MySQL or PostgreSQL on Unix; yields ``{"unix": path, "tcp": (host, port)}``.

    The socket file lives in a fresh private folder; everything is closed, joined and
    removed on exit. Raises OSError where AF_UNIX is missing (old Windows Pythons).

    >>> with unix_and_tcp_server() as srv:
    ...     srv["tcp"][0]
    '127.0.0.1'

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    if not hasattr(socket, "AF_UNIX"):
        raise OSError("this Python has no Unix-domain sockets (AF_UNIX)")
    tmp = tempfile.mkdtemp(prefix="loopedu-unix-", dir=folder)
    path = os.path.join(tmp, "server.sock")
    unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    stop = threading.Event()
    threads: list[threading.Thread] = []
    try:
        unix.bind(path)
        tcp.bind(("127.0.0.1", 0))
        for s in (unix, tcp):
            s.listen(8)
            s.settimeout(0.05)
            t = threading.Thread(target=_echo_loop, args=(s, stop), daemon=True,
                                 name="loopedu-echo")
            t.start()
            threads.append(t)
        yield {"unix": path, "tcp": tcp.getsockname()[:2]}
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=5)
        unix.close()
        tcp.close()
        shutil.rmtree(tmp, ignore_errors=True)


def _echo_loop(server: socket.socket, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            conn, _ = server.accept()
        except (socket.timeout, OSError):
            continue
        with conn:
            conn.settimeout(0.2)
            while not stop.is_set():
                try:
                    data = conn.recv(65536)
                except socket.timeout:
                    continue
                except OSError:
                    break
                if not data:
                    break
                conn.sendall(data)


def _round_trips(sock: socket.socket, rounds: int, payload: bytes) -> list[float]:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        sock.sendall(payload)
        got = 0
        while got < len(payload):
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("the echo server closed the connection")
            got += len(chunk)
        times.append(time.perf_counter() - start)
    return times


def unix_vs_tcp(rounds: int = 2000, payload_bytes: int = 64) -> dict:
    """Measure request/response round trips over a Unix socket and over TCP on
    127.0.0.1 to the same echo server; returns microseconds (median, p90) for each.

    Numbers vary from run to run and machine to machine; the ratio is the lesson.

    >>> r = unix_vs_tcp(rounds=50)
    >>> sorted(r["results"])
    ['tcp 127.0.0.1', 'unix socket']

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    if rounds < 1 or payload_bytes < 1:
        raise ValueError("rounds and payload_bytes must be at least 1")
    payload = b"x" * payload_bytes
    results = {}
    with unix_and_tcp_server() as srv:
        for label, family, address in (("unix socket", socket.AF_UNIX, srv["unix"]),
                                       ("tcp 127.0.0.1", socket.AF_INET, srv["tcp"])):
            with socket.socket(family, socket.SOCK_STREAM) as client:
                client.settimeout(5)
                client.connect(address)
                if family == socket.AF_INET:
                    client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                _round_trips(client, min(100, rounds), payload)  # warm up
                times = sorted(_round_trips(client, rounds, payload))
            results[label] = {
                "median_us": statistics.median(times) * 1e6,
                "p90_us": times[int(0.9 * (len(times) - 1))] * 1e6,
                "rounds": rounds,
            }
    ratio = results["tcp 127.0.0.1"]["median_us"] / results["unix socket"]["median_us"]
    return {"payload_bytes": payload_bytes, "results": results, "tcp_over_unix": ratio}


def socket_file_permissions() -> dict:
    """What guards a Unix-domain socket: its file's permissions (unix(7): connecting
    needs write permission on the socket file). Returns the socket file's mode as the
    server made it, then the outcome of connecting after ``chmod 000``, as this user.

    Root bypasses file permissions (CAP_DAC_OVERRIDE, capabilities(7)), so as root the
    second connection still succeeds; as an ordinary user it fails with EACCES.

    >>> socket_file_permissions()["type"]
    'socket'

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    with unix_and_tcp_server() as srv:
        path = srv["unix"]
        st = os.stat(path)
        result = {"type": "socket" if stat.S_ISSOCK(st.st_mode) else "other",
                  "mode": stat.filemode(st.st_mode),
                  "root": hasattr(os, "geteuid") and os.geteuid() == 0}
        os.chmod(path, 0)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.settimeout(2)
            try:
                client.connect(path)
                result["after_chmod_000"] = "connected"
            except OSError as exc:
                result["after_chmod_000"] = errno_name(exc)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as client:
            client.settimeout(2)
            client.connect(srv["tcp"])
            result["tcp_needs_no_file"] = "connected"
    return result
