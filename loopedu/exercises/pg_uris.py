"""Reading a learner's libpq connection URIs (exercise 06.pg-connect): what libpq made
of each (host, port, user, database), and where each one's connection went, against a
throwaway server or, without one, from libpq's errors.

The rules the messages teach are the PostgreSQL documentation's (version 15, 34.1.1
"Connection Strings", 34.1.1.2 "Connection URIs"): the slash is reserved in a URI's
hierarchical part, so a socket folder is given percent-encoded as the host
(``%2Ftmp%2Fx``) or as the ``host`` query parameter (``?host=/tmp/x``); an IPv6 address
is enclosed in square brackets; a host that is empty or an absolute path is a
Unix-domain socket, any other is TCP (34.1.2 "Parameter Key Words", ``host``); with no
``dbname`` libpq takes the user name, and with no port 5432.

Introduced in exercises/06-loopback-at-work-exercises.ipynb.
"""

from __future__ import annotations

#: The URIs asked for: key -> (transport, the server's address over TCP). "tcp ::1" is
#: asked only where this machine's IPv6 loopback works (:func:`asked`).
TARGETS = {"socket": ("unix socket", ""), "tcp 127.0.0.1": ("tcp", "127.0.0.1"),
           "tcp ::1": ("tcp", "::1")}
USER, DATABASE = "learner", "postgres"
_URI_PREFIXES = ("postgresql://", "postgres://")
_DOCS = "34.1.1.2 \"Connection URIs\""


def asked(ipv6: bool) -> tuple[str, ...]:
    """The keys asked for on a machine whose IPv6 loopback works (``ipv6``) or not.

    >>> asked(False)
    ('socket', 'tcp 127.0.0.1')

    Introduced in exercises/06-loopback-at-work-exercises.ipynb.
    """
    return tuple(k for k in TARGETS if ipv6 or k != "tcp ::1")


def _read_problem(call: str, t, port: int) -> str | None:
    """What libpq read that is not the exercise's: the form, database, port, user."""
    if not t.read:
        return f"{call}: {t.error}."
    if not t.uri.lstrip().lower().startswith(_URI_PREFIXES):
        return (f"{call} is not a URI: libpq read it as keyword=value words. Write it as "
                f"postgresql://... ({_DOCS}).")
    database, given_port = t.read.get("dbname", ""), t.read.get("port", "")
    user = t.read.get("user", "")
    if "/" in database:
        return (f"{call}: libpq read the database name as {database!r} and no host: the "
                "folder's slashes ended the host part of the URI, because a slash is "
                f"reserved there. {_DOCS} says how to give a folder as the host.")
    if ":" in given_port:
        return (f"{call}: libpq read the port as {given_port!r}: the colons of an IPv6 "
                f"address ran into the port. {_DOCS} says how to write an IPv6 address "
                "in a URI.")
    if database != DATABASE:
        return (f"{call}: libpq read the database as {database!r}; the exercise's is "
                f"{DATABASE!r}." if database else
                f"{call} names no database: libpq then takes the user name as the "
                f"database's, and there is none of that name. Name {DATABASE!r} after the "
                "slash that follows host and port.")
    if given_port != str(port):
        return (f"{call} names no port: libpq then uses 5432; this server listens on the "
                "port your function is given." if not given_port else
                f"{call}: libpq read port {given_port}; this server listens on the port "
                "your function is given.")
    if user != USER:
        return (f"{call}: libpq read the user as {user!r}; log in as {USER!r}." if user
                else f"{call} names no user: libpq then uses your operating-system user "
                     f"name. Log in as {USER!r} (user@ before the host).")
    return None


def _socket_problem(call: str, t, folder: str) -> str | None:
    host = t.read.get("host", "")
    if t.transport == "unix socket" and t.server.startswith(folder.rstrip("/") + "/"):
        return None
    if t.transport == "tcp":
        return (f"{call} reached the server over TCP ({t.server}): libpq read the host "
                f"{host!r}, a name or an address, so TCP. A folder (a path starting with "
                "/) is a Unix-domain socket.")
    if t.transport == "unix socket":
        return (f"{call} looked for the socket in {t.server.rsplit('/', 1)[0]}: libpq read "
                + ("no host, so it took its default folder. " if not host else
                   f"the host {host!r}. ")
                + "This server's socket is in the folder your function is given.")
    return f"{call} did not connect: {t.error or 'no connection'}."


def _tcp_problem(call: str, t, address: str) -> str | None:
    host = t.read.get("host", "")
    if host == address and t.transport == "tcp" and t.server == address:
        return None
    if t.transport == "unix socket" or host.startswith("/") or not host:
        return (f"{call} used a Unix-domain socket: libpq read "
                + (f"the host {host!r}, a folder" if host else "no host")
                + f". Name the address {address} as the host to go over TCP.")
    if host != address:
        if host.casefold() == "localhost":
            return (f"{call} names localhost, a name: where it leads depends on this "
                    f"machine's resolver (lesson 02). Name the address {address} itself.")
        return (f"{call}: libpq read the host {host!r}, which is not {address}. The "
                "exercise asks for that address itself.")
    return f"{call} did not connect over TCP to {address}: {t.error or 'no connection'}."


def _live_problem(call: str, t) -> str | None:
    """Where a server answered: the connection must be made, as learner."""
    if not t.connected:
        return f"{call} did not connect: {t.error or 'no connection'}."
    if t.user != USER:
        return f"{call} logged in as {t.user!r}: log in as {USER!r}."
    return None


def uri_problems(tries, ipv6: bool) -> list[str]:
    """Every problem with the learner's URIs (``tries``, a
    :class:`loopedu.postgres.UriTries`), as sentences; ``[]`` when each asked-for URI
    reached the server the way its key says. ``ipv6``: whether "tcp ::1" is asked.

    Introduced in exercises/06-loopback-at-work-exercises.ipynb.
    """
    if tries.problem:
        return [f"Your function {tries.problem}. It takes (folder, port) and returns a "
                "dict of URIs, one per key."]
    wanted = asked(ipv6)
    given = {" ".join(t.name.split()).casefold(): t for t in tries.tries}
    problems = []
    for key in wanted:
        if key not in given:
            problems.append(f"No URI for {key!r}" + (
                ": IPv6 loopback works on this machine, so the server listens on ::1 "
                "too." if key == "tcp ::1" else "."))
    for name, t in given.items():
        call = f"{t.name!r}"
        if name not in wanted:
            problems.append(
                "This machine's IPv6 loopback does not work (the cell above printed it), "
                "so the server does not listen on ::1: leave 'tcp ::1' out."
                if name == "tcp ::1" else
                f"Not asked about: {call}. The keys are {', '.join(map(repr, wanted))}.")
            continue
        transport, address = TARGETS[name]
        problem = _read_problem(call, t, tries.port) or (
            _socket_problem(call, t, tries.folder) if transport == "unix socket"
            else _tcp_problem(call, t, address))
        if problem is None and tries.live:
            problem = _live_problem(call, t)
        if problem:
            problems.append(problem)
    return problems
