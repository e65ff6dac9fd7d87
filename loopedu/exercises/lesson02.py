"""Exercises of lesson 02, "localhost is a name".

Introduced in notebooks/02-localhost-is-a-name.ipynb (exercises/02-localhost-is-a-name-exercises.ipynb).

The answer keys of the hosts-file exercises are what glibc's getaddrinfo answers with
/etc/host.conf saying ``multi on`` (as Debian and Ubuntu ship it; glibc's own default is
off); tests/test_exercises_lesson02.py checks them against the resolver model
(loopedu.hosts) and, where the machine allows a private hosts file, against glibc itself.
The key of "02.db-transport" comes from the MySQL Reference Manual ("Connecting to the
MySQL Server Using Command Options") and the libpq documentation (parameter ``host``);
the test runs ``psql`` where it is installed.
"""

from __future__ import annotations

import socket
import threading
from typing import Any, Callable

from ..platforms import expected_reach
from ..connections import errno_name
from ..servers import listener
from .framework import Feedback, exercise
from .answers import expect_mapping, expect_set, show

#: The hosts file of "02.predict-hosts" (Debian's shape: both loopback addresses).
PREDICT_HOSTS = "127.0.0.1 localhost\n::1 localhost ip6-localhost\n"

#: What "02.predict-hosts" assumes /etc/host.conf says (Debian's and Ubuntu's setting).
PREDICT_MULTI = True

#: The queries of "02.predict-hosts": query text -> (name, family).
PREDICT_QUERIES = {
    "localhost AF_INET": ("localhost", socket.AF_INET),
    "localhost AF_INET6": ("localhost", socket.AF_INET6),
    "ip6-localhost AF_INET": ("ip6-localhost", socket.AF_INET),
    "IP6-LOCALHOST AF_INET6": ("IP6-LOCALHOST", socket.AF_INET6),
    "localhost. AF_INET": ("localhost.", socket.AF_INET),
}

PREDICT_KEY = {
    "localhost AF_INET": ["127.0.0.1", "127.0.0.1"],
    "localhost AF_INET6": ["::1"],
    "ip6-localhost AF_INET": ["127.0.0.1"],
    "IP6-LOCALHOST AF_INET6": ["::1"],
    "localhost. AF_INET": [],
}

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


def _listish(value) -> tuple:
    """A list of addresses, read as a tuple of stripped strings (order kept). The
    helpers have already answered a bare string with "give a list"."""
    return tuple(str(v).strip() for v in value)


_MULTI_OFF = ("That is glibc's answer with multi off, when only the first matching line "
              "answers; this question assumes /etc/host.conf says multi on, as Debian and "
              "Ubuntu ship it.")


@exercise("02.predict-hosts", lesson=2,
          title="What does getaddrinfo answer from this hosts file (multi on)?",
          hints=["An AF_INET query asks for IPv4 answers only; glibc's files backend turns a "
                 "::1 line into 127.0.0.1 for such a query.",
                 "The question assumes /etc/host.conf says multi on: then every matching "
                 "line answers, so a name on two lines answers twice (with multi off, "
                 "only the first matching line would).",
                 "Names are compared ignoring case, but a trailing dot is part of the text "
                 "the files backend compares."])
def _predict_hosts(answer):
    return expect_mapping(
        answer, {k: tuple(v) for k, v in PREDICT_KEY.items()}, coerce=_listish,
        common={("localhost AF_INET", ("127.0.0.1",)): _MULTI_OFF + " With multi on, "
                "both lines name localhost, and both answer an AF_INET query.",
                ("ip6-localhost AF_INET", ()): "The ::1 line is not skipped for an IPv4 "
                "query: glibc answers it as the IPv4 loopback address.",
                ("localhost AF_INET6", ("::1", "::ffff:127.0.0.1")): "An AF_INET6 query "
                "does not get IPv4 lines as mapped addresses (that needs RES_USE_INET6).",
                ("localhost. AF_INET", ("127.0.0.1", "127.0.0.1")): "The files backend "
                "compares the text as given; the trailing dot is not stripped."},
        right="Right: that is exactly what glibc answers with multi on (lesson 02 shows "
              "it live).")


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


class _Hung(Exception):
    """The learner's function did not return within its time limit."""


def _call_with_deadline(fn: Callable, *args: Any, seconds: float) -> Any:
    """``fn(*args)`` in a thread of its own: its result, or its exception raised here;
    :class:`_Hung` when it has not returned after ``seconds``. Nothing process-wide (no
    default socket timeout) changes. A thread that never returns cannot be stopped: it
    is a daemon thread, and a socket it returns late is closed."""
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

    threading.Thread(target=run, name="loopedu-02.fix-client", daemon=True).start()
    returned.wait(seconds)
    with lock:
        if not returned.is_set():
            box["gave_up"] = True
            raise _Hung()
    if "error" in box:
        raise box["error"]
    return box["value"]


def _client_cases() -> list[list[str]]:
    """Lists whose first address fails at once here: ::1 (nothing listens there), and
    127.0.0.2 where all of 127/8 is local (on macOS it is not, and a connection to it
    can wait long before it fails)."""
    cases = [["::1", "127.0.0.1"], ["127.0.0.1"]]
    if expected_reach("127.0.0.2") == "bind ok, connected":
        cases.append(["127.0.0.2", "127.0.0.1"])
    return cases


def _hung(addresses: list[str], listening: bool = True) -> Feedback:
    where = ("a server listening on 127.0.0.1" if listening
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


FIX_CLIENT_HINTS = ("Loop over the addresses; wrap each connect in try/except OSError.",
                    "Remember the last error; if the loop ends without a connection, "
                    "raise it.",
                    "Close a socket whose connect failed before trying the next address.")


@exercise("02.fix-client", lesson=2, hints=FIX_CLIENT_HINTS,
          title="Fix a client that tries only the first address")
def _fix_client(fn) -> Feedback:
    if not callable(fn):
        return Feedback(False, f"Expected a function connect_first_working(addresses, port), "
                               f"got {show(fn)}.")
    with listener("127.0.0.1") as srv:
        port = srv.port
        for addresses in _client_cases():
            try:
                sock = _call_with_deadline(fn, list(addresses), port, seconds=CLIENT_TIME_LIMIT)
            except _Hung:
                return _hung(addresses)
            except OSError as exc:
                return Feedback(False, f"With addresses {addresses} your function raised "
                                       f"{errno_name(exc)}: when one address fails, catch "
                                       "the error and try the next one.")
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
            if tuple(peer) != ("127.0.0.1", port):
                return Feedback(False, f"Your socket is connected to {peer}, not to the "
                                       "server on 127.0.0.1 at the given port.")
    # nothing listens now: every address must fail, and the error must reach the caller
    try:
        sock = _call_with_deadline(fn, ["::1", "127.0.0.1"], port, seconds=CLIENT_TIME_LIMIT)
    except _Hung:
        return _hung(["::1", "127.0.0.1"], listening=False)
    except OSError:
        return Feedback(True, "Right: try each address in order, keep the first that "
                              "connects, and raise the last error if none does; that is "
                              "what socket.create_connection does.")
    except Exception as exc:
        return _raised(["::1", "127.0.0.1"], exc)
    if isinstance(sock, socket.socket):
        sock.close()
    return Feedback(False, f"When no address answers, your function returned {show(sock)}; "
                           "raise the last error instead, so the caller knows it failed.")


#: The clients of "02.db-transport": each one's command line on Linux, with no
#: environment variable (PGHOST, MYSQL_HOST...) or option file changing its defaults.
DB_CLIENTS = ("mysql -h localhost", "mysql -h 127.0.0.1", "mysql -h localhost --protocol=TCP",
              "psql", "psql -h localhost", "psql -h /var/run/postgresql")

#: MySQL Reference Manual, "Connecting to the MySQL Server Using Command Options": on
#: Unix the client connects to the host name localhost through the Unix socket file;
#: 127.0.0.1 or --protocol=TCP make it use TCP/IP. libpq, parameter ``host``: no host
#: means a Unix-domain socket in the socket directory, a host starting with a slash is
#: that directory, and any host name (localhost too) is looked up and reached over TCP/IP.
DB_KEY = {
    "mysql -h localhost": "unix",
    "mysql -h 127.0.0.1": "tcp",
    "mysql -h localhost --protocol=TCP": "tcp",
    "psql": "unix",
    "psql -h localhost": "tcp",
    "psql -h /var/run/postgresql": "unix",
}

_UNIX_WORDS = {"unix", "unix socket", "unix-domain socket", "unix domain socket",
               "unix-domain", "unix domain", "socket", "socket file", "af_unix", "uds",
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
    ("mysql -h localhost", "tcp"): "On Unix the MySQL client treats the host name "
    "localhost specially: it does not look it up at all, it connects through the "
    "server's Unix socket file (MySQL Reference Manual, \"Connecting to the MySQL Server "
    "Using Command Options\").",
    ("mysql -h 127.0.0.1", "unix"): "127.0.0.1 is an address, not the name localhost: "
    "the MySQL client uses TCP/IP for it.",
    ("mysql -h localhost --protocol=TCP", "unix"): "--protocol names the transport "
    "explicitly, and it wins over what the host name would choose.",
    ("psql", "tcp"): "With no host at all, libpq does not use TCP/IP: look up what the "
    "libpq documentation says about host when it is not given.",
    ("psql -h localhost", "unix"): "libpq is not MySQL: to libpq, localhost is a host "
    "name like any other, looked up and reached over TCP/IP. So pg_hba.conf's host rows "
    "apply to it, not its local rows.",
    ("psql -h /var/run/postgresql", "tcp"): "A host that starts with a slash is not a "
    "host name: libpq reads it as the directory that holds the server's socket file.",
}


@exercise("02.db-transport", lesson=2,
          title="Unix socket or TCP: what MySQL and PostgreSQL clients do with localhost",
          hints=["The MySQL manual: on Unix, MySQL programs treat the host name localhost "
                 "specially. An address such as 127.0.0.1 is not that name.",
                 "libpq (psql) gives localhost no special meaning. What does it do when no "
                 "host is given at all, or a host that starts with a slash?",
                 "--protocol=TCP overrides what the host name would choose."])
def _db_transport(answer):
    if isinstance(answer, dict):
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
        right="Right: the MySQL client turns the name localhost into its Unix socket "
              "(unless --protocol=TCP); libpq uses a Unix socket only with no host or a "
              "directory, and reaches localhost over TCP, where pg_hba.conf's host rows "
              "(127.0.0.1/32, ::1/128) decide, not its local rows.")
