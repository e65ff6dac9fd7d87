"""Exercises of lesson 02, "localhost is a name".

Introduced in notebooks/02-localhost-is-a-name.ipynb (exercises/02-localhost-is-a-name-exercises.ipynb).

"02.predict-hosts" is checked in :mod:`loopedu.exercises.hosts_prediction`, imported
here. "02.fix-client" runs the learner's function against real servers on 127.0.0.1 (and
127.0.0.2, ::1 where this machine has them), on the first, a middle or the last address
given, and with nothing listening tells the last error from the first. "02.db-transport"
follows the MySQL Reference Manual and libpq's documentation (parameter ``host``).
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from ..connections import errno_name, lab_socket, same_endpoint
from ..sandbox import capabilities
from ..servers import listener
from .answers import expect_mapping, expect_set
from .deadline import Hung, call_with_deadline
from .framework import Feedback, exercise
# "02.predict-hosts" lives there (this module is at the 500-line cap); its names are
# kept importable from here, where the exercise notebook and the tests find them.
from .hosts_prediction import PREDICT_HOSTS, PREDICT_QUERIES, predict_key  # noqa: F401
from .reading import show

#: The hosts file of "02.broken-hosts", numbered as an editor shows it.
BROKEN_HOSTS = (
    "127.0.0.1      localhost\n"
    "127.0.1.1      laptop.example laptop\n"
    "::1            localhost ip6-localhost\n"
    "192.0.2.300    printer.test printer\n"
    "203.0.113.10   app.test app\n"
    "db.test        203.0.113.11\n"
    "127.0.0.1:8080 web.test\n"
    "198.51.100.7   cache.test   # the cache server\n"
)

BROKEN_KEY = {4, 6, 7}


BROKEN_HINTS = ("Each line must start with an address, then names.",
                "An octet goes up to 255; a port is not part of an address.",
                "A comment after the names is fine.")


@exercise("02.broken-hosts", lesson=2, hints=BROKEN_HINTS,
          title="Which lines of this hosts file does glibc skip?")
def _broken_hosts(answer):
    return expect_set(
        answer, BROKEN_KEY, coerce=lambda v: int(str(v).strip()),
        common={8: "A comment after the names is allowed: everything from # on is ignored.",
                3: "::1 is a valid IPv6 address; glibc reads this line.",
                2: "127.0.1.1 is a valid loopback address (Debian uses it for the host "
                   "name)."},
        right="Lines 4 (octet 300), 6 (a name where the address belongs) and 7 (a port "
              "glued to the address): glibc skips each without a word, so the names on "
              "them just do not resolve.")


#: How long the learner's function may take for one list of addresses, in seconds:
#: every address here answers or is refused at once, so only a hang takes this long.
CLIENT_TIME_LIMIT = 10.0
_THREAD = "loopedu-02.fix-client"   # the thread the learner's function runs in


def _client_cases() -> list[tuple[tuple[str, ...], list[str]]]:
    """(where servers listen, all at one port; the addresses the function is given).
    The right socket is connected to the first given address where a server listens;
    every other address fails at once here (nothing listens there). Servers on the
    first, a middle and the last address, and on two addresses at once, make a function
    that ignores its addresses, takes only the last, or tries them in another order
    fail. On macOS 127.0.0.2 is not loopback, and a connection to it could wait long."""
    cases = [(("127.0.0.1",), ["::1", "127.0.0.1"]),       # the lesson's trap
             (("127.0.0.1",), ["127.0.0.1"])]
    machine = capabilities()
    if machine.whole_127_range:
        cases += [(("127.0.0.2",), ["127.0.0.2", "127.0.0.3", "127.0.0.1"]),
                  (("127.0.0.2", "127.0.0.1"), ["127.0.0.3", "127.0.0.2", "127.0.0.1"]),
                  (("127.0.0.1",), ["127.0.0.2", "127.0.0.1"]),
                  (("127.0.0.2",), ["::1", "127.0.0.2"])]
    if machine.ipv6_loopback:
        cases += [(("::1",), ["127.0.0.1", "::1"]),
                  (("::1", "127.0.0.1"), ["::1", "127.0.0.1"])]
    return cases


@contextmanager
def _servers(hosts: tuple[str, ...]) -> Iterator[int]:
    """Listeners on every address of ``hosts`` (loopback only), all at one port, which
    is the first one's ephemeral port; the port. A port taken on another address in
    between is tried again with a new one. Every listener is closed on exit."""
    for _ in range(20):
        with ExitStack() as stack:
            first = stack.enter_context(listener(hosts[0]))
            try:
                for host in hosts[1:]:
                    stack.enter_context(listener(host, port=first.port))
            except OSError as exc:
                if exc.errno != errno.EADDRINUSE:
                    raise
                continue
            yield first.port
            return
    raise OSError(errno.EADDRINUSE, f"no port was free on all of {', '.join(hosts)}")


def _connect_error(address: str, port: int) -> int | None:
    """The errno a TCP connect to (address, port) fails with here, at once (None when
    it connects, or fails without one). Loopback only (lab_socket refuses the rest)."""
    try:
        sock = lab_socket(address)
    except OSError as exc:
        return exc.errno
    with sock:
        sock.settimeout(1.0)
        try:
            sock.connect((address, port))
        except OSError as exc:
            return exc.errno
    return None


#: Two addresses that fail in different ways at once, where nothing listens, so the
#: last error can be told from the first: 127.255.255.255 is lo's broadcast address
#: (Linux: ENETUNREACH, no packet sent); ::1 fails with EADDRNOTAVAIL or EAFNOSUPPORT
#: where IPv6 is off; 127.0.0.1 refuses (ECONNREFUSED).
_ERROR_PAIRS = (("127.255.255.255", "127.0.0.1"), ("::1", "127.0.0.1"))


def _error_pair(port: int | None = None) -> tuple[list[str], int, int] | None:
    """(two addresses, the errno of the first, the errno of the last) for a port where
    nothing listens on this machine, measured now; None where no pair fails in two
    different ways (the first candidate needs the whole of 127/8 as loopback)."""
    with ExitStack() as stack:
        if port is None:
            holder = stack.enter_context(socket.socket())
            holder.bind(("127.0.0.1", 0))      # bound, never listening: refuses
            port = holder.getsockname()[1]
        for pair in _ERROR_PAIRS:
            if pair[0].startswith("127.") and not capabilities().whole_127_range:
                continue
            first, last = (_connect_error(address, port) for address in pair)
            if first and last and first != last:
                return list(pair), first, last
    return None


def _hung(addresses: list[str], server: str | None) -> Feedback:
    where = (f"a server listening on {server}" if server
             else "nothing listening on any of them")
    return Feedback(False, f"With addresses {addresses} and {where}, your function had "
                           f"not returned after {CLIENT_TIME_LIMIT:g} s: on loopback each "
                           "connect answers or fails at once, so it is waiting for "
                           "something else (a loop that never ends, a recv, an accept). "
                           "Connect, return the socket, and do nothing more; then restart "
                           "the kernel to stop the call that is still waiting.")


def _raised(addresses: list[str], exc: Exception) -> Feedback:
    """The learner's function raised something other than a network error."""
    text = str(exc)
    text = text if len(text) <= 100 else text[:100] + "..."
    return Feedback(False, f"With addresses {addresses} your function raised "
                           f"{type(exc).__name__}" + (f" ({text})" if text else "")
                           + ": that is not a network error but a mistake in the "
                             "function; call it yourself with those addresses to see "
                             "the line.")


FIX_CLIENT_HINTS = ("Loop over the addresses you are given (the check's server is not "
                    "always on 127.0.0.1); wrap each connect in try/except OSError.",
                    "Remember the last error; if the loop ends without a connection, "
                    "raise it.",
                    "Close a socket whose connect failed before trying the next address.")


@exercise("02.fix-client", lesson=2, hints=FIX_CLIENT_HINTS,
          title="Fix a client that tries only the first address")
def _fix_client(fn) -> Feedback:
    if not callable(fn):
        return Feedback(False, f"Expected a function connect_first_working(addresses, port), "
                               f"got {show(fn)}.")
    for hosts, addresses in _client_cases():
        with _servers(hosts) as port:
            problem = _one_case(fn, hosts, addresses, port)
        if problem is not None:  # a Feedback that did not pass is falsy
            return problem
    return _none_answers(fn)


def _none_answers(fn) -> Feedback:
    """Nothing listens: every address must fail, and the last error reach the caller."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))          # bound, never listening: refuses
        port = holder.getsockname()[1]
        pair = _error_pair(port)
        addresses = pair[0] if pair else ["::1", "127.0.0.1"]
        last = pair[2] if pair else _connect_error(addresses[-1], port)
        try:
            sock = call_with_deadline(fn, list(addresses), port, thread_name=_THREAD,
                                       seconds=CLIENT_TIME_LIMIT)
        except Hung:
            return _hung(addresses, None)
        except OSError as exc:
            return _last_error(addresses, exc, pair, last)
        except Exception as exc:
            return _raised(addresses, exc)
    if isinstance(sock, socket.socket):
        sock.close()
    return Feedback(False, f"When no address answers, your function returned {show(sock)}; "
                           "raise the last error instead, so the caller knows it failed.")


def _last_error(addresses: list[str], exc: OSError, pair, last: int | None) -> Feedback:
    """Passed when ``exc`` is the error of the last address; else why not."""
    if last is None or exc.errno == last:
        return Feedback(True, "Right: try each address in order, keep the first that "
                              "connects, and raise the last error if none does; that is "
                              "what socket.create_connection does. One thing this check "
                              "cannot see: close each socket whose connect failed (sock."
                              "close(), or a with block), or a client that retries leaks "
                              "one file descriptor per failed address.")
    said, wanted = errno_name(exc), errno.errorcode.get(last, str(last))
    if pair and exc.errno == pair[1]:
        return Feedback(False, f"With addresses {addresses} and nothing listening, your "
                               f"function raised {said}, the error of the first address "
                               f"({addresses[0]}): raise the last error, the one from "
                               f"{addresses[-1]} ({wanted}), so the caller sees why the "
                               "last try failed.")
    return Feedback(False, f"With addresses {addresses} and nothing listening, your "
                           f"function raised {said}, but the last address tried "
                           f"({addresses[-1]}) failed with {wanted}: raise the last error "
                           "itself, the exception connect() raised, not a new one.")


def _one_case(fn, hosts: tuple[str, ...], addresses: list[str],
              port: int) -> Feedback | None:
    """Run ``fn(addresses, port)`` with servers listening on ``hosts`` at ``port``:
    None when it returned a socket connected to the first of ``addresses`` that has a
    server, else why not."""
    server = " and ".join(hosts)
    try:
        sock = call_with_deadline(fn, list(addresses), port, seconds=CLIENT_TIME_LIMIT,
                                  thread_name=_THREAD)
    except Hung:
        return _hung(addresses, server)
    except OSError as exc:
        return Feedback(False, f"With addresses {addresses} (a server listening on "
                               f"{server}) your function raised {errno_name(exc)}: when "
                               "one address fails, catch the error and try the next one, "
                               "and try the addresses you are given, not fixed ones.")
    except Exception as exc:
        return _raised(list(addresses), exc)
    if not isinstance(sock, socket.socket):
        return Feedback(False, f"With addresses {addresses} your function returned "
                               f"{show(sock)}; return the connected socket.")
    with sock:
        try:
            peer = sock.getpeername()[:2]
        except OSError:
            return Feedback(False, "The socket you returned is not connected.")
    first = next(a for a in addresses if a in hosts)
    if same_endpoint(peer, (first, port)):
        return None
    if any(same_endpoint(peer, (host, port)) for host in hosts):
        return Feedback(False, f"With addresses {addresses} (servers listening on "
                               f"{server}) your socket is connected to {peer[0]}, but "
                               f"{first} comes before it in the list and accepts too: "
                               "return the first address that accepts, trying them in "
                               "the order given.")
    return Feedback(False, f"With addresses {addresses} your socket is connected to "
                           f"{peer[0]} port {peer[1]}, not to the server, which "
                           f"listens on {server} at the given port.")


#: The clients of "02.db-transport": each one's command line on Linux, with no option
#: file and no environment variable changing its defaults but the one a line sets. None
#: is one of the lesson's own examples: the same rules, other cases.
DB_CLIENTS = ("mysql", "mysql --protocol=TCP", "mysql -h ::1",
              "psql -h 127.0.0.1", "psql -h ::1", "PGHOST=/tmp psql")

#: MySQL Reference Manual, "Connecting to the MySQL Server Using Command Options": the
#: default host is localhost; on Unix the client connects to the host name localhost
#: through the Unix socket file; 127.0.0.1 or ::1 (addresses), or --protocol=TCP, make it
#: use TCP/IP. libpq, parameter ``host`` (and PGHOST, its
#: environment variable): a host starting with a slash is the directory of a Unix-domain
#: socket; an address or a host name is reached over TCP/IP.
DB_KEY = {
    "mysql": "unix",
    "mysql --protocol=TCP": "tcp",
    "mysql -h ::1": "tcp",
    "psql -h 127.0.0.1": "tcp",
    "psql -h ::1": "tcp",
    "PGHOST=/tmp psql": "unix",
}

_UNIX_WORDS = {"unix", "unix socket", "unix-domain socket", "unix domain socket",
               "unix-domain", "unix domain", "socket file", "af_unix", "uds",
               "local"}
_TCP_WORDS = {"tcp", "tcp/ip", "tcp ip", "ip", "af_inet", "af_inet6", "network", "inet"}


def _transport_word(value) -> str:
    """Read "Unix socket", "AF_UNIX", "TCP/IP"... as "unix" or "tcp"; anything else as it is."""
    text = " ".join(str(value).split()).casefold()
    if text in _UNIX_WORDS:
        return "unix"
    if text in _TCP_WORDS:
        return "tcp"
    return text


_DB_COMMON = {
    ("mysql", "tcp"): "With no -h, the MySQL client takes its default host: which host "
    "is that, and what does it do with that name on Unix?",
    ("mysql --protocol=TCP", "unix"): "--protocol names the transport explicitly, and "
    "it wins over what the host, given or default, would choose.",
    ("mysql -h ::1", "unix"): "::1 is an address, not the name localhost: the MySQL "
    "client treats only that name specially.",
    ("psql -h 127.0.0.1", "unix"): "An address is never a directory: libpq reaches it "
    "over TCP/IP.",
    ("psql -h ::1", "unix"): "::1 is an address, IPv6 loopback: libpq reaches it over "
    "TCP/IP, as any address.",
    ("PGHOST=/tmp psql", "tcp"): "PGHOST sets the same thing as -h. A host that starts "
    "with a slash is not a host name: libpq reads it as the directory that holds the "
    "server's socket file.",
}

@exercise("02.db-transport", lesson=2,
          title="Unix socket or TCP: what MySQL and PostgreSQL clients do with localhost",
          hints=["The MySQL manual: on Unix, MySQL programs treat the host name localhost "
                 "specially. An address such as ::1 is not that name. Which host does "
                 "the client take when -h is not given?",
                 "libpq (psql) gives addresses no special meaning: it reaches them over "
                 "TCP. PGHOST is the environment variable behind -h: what does a host "
                 "that starts with a slash mean?",
                 "--protocol=TCP overrides what the host, given or default, would "
                 "choose."])
def _db_transport(answer):
    if isinstance(answer, dict):
        vague = [k for k, v in answer.items() if isinstance(v, str)
                 and " ".join(v.split()).casefold() in ("socket", "a socket", "sockets")]
        if vague:
            return Feedback(False, "A TCP connection is made with a socket too, so "
                                   "\"socket\" does not say which: answer \"unix\" (a "
                                   "Unix-domain socket file) or \"tcp\" for "
                                   f"{', '.join(show(k, 40) for k in vague)}.")
        odd = [k for k, v in answer.items()
               if v is not None and v is not Ellipsis
               and _transport_word(v) not in ("unix", "tcp")]
        if odd:
            return Feedback(False, f"Answer each client with \"unix\" (a Unix-domain "
                                   f"socket file) or \"tcp\" (TCP/IP); look again at: "
                                   f"{', '.join(show(k, 40) for k in odd)}.")
    return expect_mapping(
        answer, DB_KEY, coerce=_transport_word, normalize=lambda v: v, common=_DB_COMMON,
        noun="answer",
        right="Right: the MySQL client turns the name localhost, its default host, into "
              "its Unix socket (only --protocol=TCP or an address makes it TCP); libpq uses a Unix socket only with no host or a directory, "
              "from -h or PGHOST, and reaches any address over TCP.")


# ---- 02.who-sees-it ----------------------------------------------------------------------

#: "02.who-sees-it", cases the lesson did not run (another name, reached by a connect;
#: modes and users its table did not show; TCP on ::1): "new" or "old" address,
#: "connected" or an errno name. Sources: glibc reads the hosts file at each lookup
#: (nss_files/files-hosts.c); connect() needs write permission on the socket file
#: (unix(7)), the owner's too, which only root passes (capabilities(7)); TCP has no file.
#: The folder lets everyone in.
WHO_KEY = {
    "a Python server already running calls socket.create_connection(('db.test', 5432)) "
    "for each request; you change db.test's address in /etc/hosts; its next request "
    "reaches (glibc, no caching daemon)": "new",
    "user alice connects to /run/app.sock, mode srw------- owned by user app": "EACCES",
    "user app, the owner, connects to /run/app.sock after chmod 000": "EACCES",
    "alice connects over TCP to ::1, where the same service also listens": "connected",
    "alice connects to /run/web.sock, mode srw-rw-rw- owned by user app": "connected",
}
#: For each case of WHO_KEY, in order: the tempting wrong answer and why, in the
#: lesson's words.
_WHO_WHY = (
    ("old", "glibc keeps nothing between lookups: each create_connection looks the name "
            "up and reads the file again (the lesson's cell saw an edit in one process)."),
    ("connected", "srw------- gives read and write to the owner, app, only; connect() "
                  "needs write permission, and alice has none."),
    ("connected", "Owning the file is not enough: chmod 000 took write permission from "
                  "the owner too, and only root passes file permission checks (the "
                  "lesson's table)."),
    ("EACCES", "A TCP port on ::1, as on 127.0.0.1, has no file, so no permission to "
               "check: any local user connects."),
    ("EACCES", "rw for everyone includes alice: write permission is what connect() "
               "needs."),
)
#: Why ECONNREFUSED is wrong in every connect case: the service listens in each.
_NOT_REFUSED = ("ECONNREFUSED means nothing listens there, but the service listens in "
                "every case: what decides is whether this user may connect at all (a "
                "socket file's mode, or no file for TCP).")
_WHO_WORDS = {"permission denied": "EACCES", "eacces": "EACCES", "refused": "ECONNREFUSED",
              "econnrefused": "ECONNREFUSED", "ok": "connected", "connects": "connected",
              "the new one": "new", "the old one": "old", "cached": "old"}


def _who_word(value) -> str:
    text = " ".join(str(value).split()).casefold().strip(".\"'")
    return _WHO_WORDS.get(text, "connected" if value is True else text)


@exercise("02.who-sees-it", lesson=2,
          title="Who sees an edit, who may connect to a socket file",
          idea="Two rules decide every case: glibc reads the hosts file again at each "
               "lookup, and connecting to a socket file needs write permission on it "
               "(root excepted), while a TCP port has no file at all.",
          hints=["create_connection calls getaddrinfo each time. The lesson's lookups ran "
                 "twice in one process: where could an answer be kept between them?",
                 "unix(7): connecting to a socket file needs write permission on it, "
                 "whoever owns it; only root passes file permission checks. A TCP port, "
                 "on 127.0.0.1 or ::1, has no file."])
def _who_sees_it(answer):
    first, *connects = WHO_KEY
    return expect_mapping(
        answer, WHO_KEY, normalize=_who_word, coerce=False, noun="answer",
        allowed={first: ("new", "old"),
                 **{key: ("connected", "EACCES", "ECONNREFUSED") for key in connects}},
        common={**{(case, "ECONNREFUSED"): _NOT_REFUSED for case in connects},
                **{(case, wrong): why for case, (wrong, why) in zip(WHO_KEY, _WHO_WHY)}},
        right="Right: the hosts file is read at every lookup, and a Unix socket is "
              "guarded by its file's permissions, even against its owner (root "
              "excepted); TCP on loopback by nothing but the service's own checks.")
