"""Exercises of lesson 06, "loopback at work".

Introduced in notebooks/06-loopback-at-work.ipynb
(exercises/06-loopback-at-work-exercises.ipynb).

The answer keys are facts with their sources: which addresses are loopback and which
are wildcards (RFC 1122, RFC 4291, ip(7), ipv6(7)) for the listening sockets of
06.defaults, network_namespaces(7) and the Kubernetes and Docker documentation for which
containers share a loopback, ssh(1) and sshd_config(5) for ``-L``, ``-R``, ``-g`` and
``GatewayPorts``, and the libpq and pg_hba.conf chapters of the PostgreSQL manual. Two
answers depend on the learner's machine, and the checker computes them here from what
the learner is shown: "-h localhost" in 06.pg-hba (what ``localhost`` resolves to
first, and whether IPv6 loopback works), and whether 06.pg-connect asks for a ::1 URI
(IPv6 loopback works here). 06.pg-connect reads the learner's own connection URIs with
libpq and connects with them to a throwaway server (:mod:`loopedu.exercises.pg_uris`).
tests/test_exercises_lesson06.py checks the container, pod, pg_hba and connect keys
against live runs.
"""

from __future__ import annotations

from .answers import expect_mapping
from .framework import Feedback, exercise
from .pg_uris import uri_problems


def expect_words(answer, expected: dict, words: dict[str, set[str]], canonical, *,
                 common: dict, right: str) -> Feedback:
    """:func:`~loopedu.exercises.answers.expect_mapping` for a dict whose values are
    words (``"connected"``, ``"refused"``...), each read with ``canonical`` (spellings to
    the word); a value that is none of ``words`` (a typo such as ``"conected"``) is told
    so, with the allowed words (``allowed=``).

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """
    return expect_mapping(answer, expected, coerce=canonical, normalize=lambda v: v,
                          common=common, noun="answer", right=right, allowed=list(words))


# ---- 06.defaults -------------------------------------------------------------------------

#: "06.defaults": ``ss -ltn`` on a laptop on a café Wi-Fi whose address there is
#: 192.0.2.23 (TEST-NET-1, RFC 5737): local address:port, and the program. Not the
#: lesson's tools: the learner applies the lesson's rule (the bind address decides who
#: can connect) to sockets it did not show.
CAFE_ADDRESS = "192.0.2.23"
CAFE_SOCKETS = (("0.0.0.0:22", "sshd"), ("127.0.0.53:53", "systemd-resolved"),
                ("[::1]:631", "cupsd"), ("127.0.1.1:8080", "node"),
                ("[::]:8000", "python3"), (f"{CAFE_ADDRESS}:3000", "node"),
                ("[::ffff:127.0.0.1]:9000", "java"))

#: The three kinds of address a socket can listen on, and who reaches each: loopback
#: (127.0.0.0/8, RFC 1122 3.2.1.3; ::1, RFC 4291 2.5.3; ::ffff:127.x, the IPv4-mapped
#: form of 127.x, RFC 4291 2.5.5.2), every interface (0.0.0.0 is INADDR_ANY, ip(7); ::
#: is in6addr_any, ipv6(7)), or one address of a network interface (the café reaches
#: the laptop's café address).
KINDS = ("loopback", "every interface", "network address")

#: Each line's kind. The café reaches every line that is not loopback.
DEFAULTS_KEY = {"0.0.0.0:22": "every interface", "127.0.0.53:53": "loopback",
                "[::1]:631": "loopback", "127.0.1.1:8080": "loopback",
                "[::]:8000": "every interface", f"{CAFE_ADDRESS}:3000": "network address",
                "[::ffff:127.0.0.1]:9000": "loopback"}

_KIND_WORDS = {
    "loopback": {"loopback", "loopback only", "lo", "laptop only", "this laptop only",
                 "local", "localhost", "this machine only"},
    "every interface": {"every interface", "all interfaces", "any", "wildcard",
                        "everywhere", "all", "every address", "inaddr_any"},
    "network address": {"network address", "a network address", "one network address",
                        "café address", "cafe address", "the café address", "its address",
                        "one address", "wi-fi address", "wifi address", "lan address"},
}

_WHY = {
    "0.0.0.0:22": "0.0.0.0 in a bind means no one address: which addresses answer?",
    "127.0.0.53:53": "127.0.0.53 is not 127.0.0.1, but lesson 01 showed which whole block "
                     "loops back.",
    "[::1]:631": "::1 is IPv6's one loopback address (lesson 05).",
    "127.0.1.1:8080": "Debian maps the machine's own name to 127.0.1.1 in /etc/hosts "
                      "(Debian Reference, \"The hostname resolution\"): which block is "
                      "that in?",
    "[::]:8000": ":: is to IPv6 what 0.0.0.0 is to IPv4 (and on Linux it takes IPv4 "
                 "connections too, lesson 05).",
    f"{CAFE_ADDRESS}:3000": f"{CAFE_ADDRESS} is the laptop's own address on the café "
                            "Wi-Fi: one address, not all of them (lesson 03 bound one "
                            "address and was refused on the others).",
    "[::ffff:127.0.0.1]:9000": "An IPv6 socket writes an IPv4 address as ::ffff:a.b.c.d "
                               "(lesson 05): which IPv4 address is it here?",
}
_DEFAULTS_COMMON = {(line, wrong): why for line, why in _WHY.items()
                    for wrong in KINDS if wrong != DEFAULTS_KEY[line]}


@exercise("06.defaults", lesson=6,
          title="Who on the café Wi-Fi can connect to each listening socket, and why?",
          idea="Only the local address column decides: the program and the port do not.",
          hints=["Read only the address before the last colon. Is it a loopback address, "
                 "a wildcard meaning every address, or one address of an interface?",
                 "Loopback is all of 127.0.0.0/8 and ::1, also when an IPv6 socket writes "
                 "an IPv4 address as ::ffff:a.b.c.d. The wildcards are 0.0.0.0 and ::.",
                 "The café reaches every socket that is not on loopback; one bound to a "
                 "network address answers on that address only."])
def _defaults(answer):
    return expect_words(
        answer, DEFAULTS_KEY, _KIND_WORDS, lambda v: _canonical(v, _KIND_WORDS),
        common=_DEFAULTS_COMMON,
        right="Right: the local address decides, not the program or the port. 127/8, ::1 "
              "and ::ffff:127.x are loopback: only this laptop connects. 0.0.0.0 and :: "
              "listen on every interface, the café's included. The café address answers "
              "the café, but not the laptop's own 127.0.0.1. `loopedu audit` lists your "
              "machine's sockets the same way.")


# ---- 06.container ------------------------------------------------------------------------

#: "06.container": an app listens on 127.0.0.1 port 8080 in a pod, and in a container
#: run with --network host; another container's server listens on 0.0.0.0 port 80 and
#: was started with -p 127.0.0.1:8080:80. What does each client get? (Kubernetes, Pods:
#: the containers of a Pod share the network namespace and reach each other on
#: localhost; Docker's run reference: --network host uses the host's network stack;
#: network_namespaces(7): a namespace of its own has its own lo; Docker, "Port
#: publishing and mapping".)
CONTAINER_KEY = {
    "pod: the sidecar, to 127.0.0.1:8080": "connected",
    "pod: a container outside the pod, to 127.0.0.1:8080": "refused",
    "--network host: a program on the host, to 127.0.0.1:8080": "connected",
    "-p 127.0.0.1:8080:80: the host, to 127.0.0.1:8080": "connected",
    "-p 127.0.0.1:8080:80: the host, to its own 127.0.0.1:80": "refused",
}

_CONTAINER_WORDS = {
    "connected": {"connected", "connects", "connect", "ok", "works", "accepted", "yes",
                  "served", "reached"},
    "refused": {"refused", "econnrefused", "connection refused", "refuses"},
    "reset": {"reset", "econnreset", "connection reset", "connection reset by peer",
              "closed", "empty reply", "eof"},
}

_CONTAINER_COMMON = {
    ("pod: the sidecar, to 127.0.0.1:8080", "refused"):
        "The containers of one pod share one network namespace, so one lo: the sidecar's "
        "127.0.0.1 is the app's.",
    ("pod: a container outside the pod, to 127.0.0.1:8080", "connected"):
        "A container outside the pod has a network namespace of its own, so its own lo: "
        "nothing listens on its 127.0.0.1:8080.",
    ("--network host: a program on the host, to 127.0.0.1:8080", "refused"):
        "--network host gives the container no namespace of its own: it uses the host's "
        "network stack, lo included.",
    ("-p 127.0.0.1:8080:80: the host, to 127.0.0.1:8080", "reset"):
        "The lesson's reset came from a server bound to the container's 127.0.0.1. This "
        "one binds 0.0.0.0 inside the container: does the published port reach it?",
    ("-p 127.0.0.1:8080:80: the host, to 127.0.0.1:8080", "refused"):
        "-p 127.0.0.1:8080:80 makes the host answer on its 127.0.0.1:8080 and pass the "
        "connection to the container's address, port 80.",
    ("-p 127.0.0.1:8080:80: the host, to its own 127.0.0.1:80", "connected"):
        "Port 80 is the container's port, on the container's own lo and address; the "
        "host's 127.0.0.1:80 is the host's.",
}


def _canonical(value, words: dict[str, set[str]]) -> str:
    """``value`` as text, squashed and lower-cased, mapped to the word of ``words`` whose
    spellings include it (or left as it is)."""
    text = " ".join(str(value).split()).casefold().strip(".!")
    for word, spellings in words.items():
        if text in spellings:
            return word
    return text


@exercise("06.container", lesson=6,
          title="Which containers share a loopback, and what a published port reaches",
          hints=["Who shares a network namespace shares lo: the containers of one pod, a "
                 "container run with --network host (the host's), and --network "
                 "container:X (X's).",
                 "A published port is a proxy (or a NAT rule) on the host that connects to "
                 "the container's address: a server on 0.0.0.0 inside answers there."])
def _container(answer):
    def canonical(v):
        return _canonical(v, _CONTAINER_WORDS)

    return expect_words(
        answer, CONTAINER_KEY, _CONTAINER_WORDS, canonical, common=_CONTAINER_COMMON,
        right="Right: a loopback is shared by whoever shares the network namespace (the "
              "pod's containers, --network host with the host); a container of its own "
              "has its own lo. A server on 0.0.0.0 inside a container answers through "
              "-p 127.0.0.1:8080:80, which only the host can use.")


# ---- 06.tunnel ---------------------------------------------------------------------------

#: "06.tunnel": on a laptop you run ``ssh -L 5432:127.0.0.1:5432 db.example`` (default
#: ssh and sshd settings). True or false? (ssh(1) -L, -R and -g: "-g Allows remote hosts
#: to connect to local forwarded ports"; sshd_config(5) GatewayPorts, default no: remote
#: forwardings bind to loopback, which every program on the server can reach;
#: ssh_config(5) GatewayPorts, default no.)
TUNNEL_KEY = {
    "the laptop listens on 127.0.0.1:5432": True,
    "another machine on the laptop's Wi-Fi can use the tunnel": False,
    "PostgreSQL on db.example must listen on a non-loopback address": False,
    "with ssh -R 8080:127.0.0.1:3000 db.example, db.example listens on its loopback only":
        True,
    "with that -R, every user on db.example can reach the laptop's port 3000": True,
}

_TUNNEL_COMMON = {
    ("the laptop listens on 127.0.0.1:5432", False):
        "Something must accept the laptop's connections to the local port: ssh does.",
    ("another machine on the laptop's Wi-Fi can use the tunnel", True):
        "ssh binds the local end to loopback unless -g or GatewayPorts says otherwise.",
    ("PostgreSQL on db.example must listen on a non-loopback address", True):
        "The far end of the tunnel is sshd on db.example: it connects to 127.0.0.1 of its "
        "own machine.",
    ("with ssh -R 8080:127.0.0.1:3000 db.example, db.example listens on its loopback only",
     False):
        "sshd_config(5): GatewayPorts defaults to no, which binds remote forwardings to "
        "loopback.",
    ("with that -R, every user on db.example can reach the laptop's port 3000", False):
        "Loopback keeps other machines out, not other programs: who runs programs on "
        "db.example?",
}


@exercise("06.tunnel", lesson=6, title="What does ssh -L (and -R) listen on?",
          hints=["Follow the data path the lesson drew: who listens, who connects, and "
                 "to which address?",
                 "ssh(1), -L: the local port is bound according to GatewayPorts; the "
                 "default is loopback only.",
                 "sshd_config(5), GatewayPorts: with no, a -R port is on the server's "
                 "loopback, where every program of every user on the server connects."])
def _tunnel(answer):
    return expect_mapping(answer, TUNNEL_KEY, common=_TUNNEL_COMMON, noun="answer",
                          right="Right: both ends of a tunnel can stay on loopback. The "
                                "laptop's ssh listens on 127.0.0.1, sshd connects to "
                                "db.example's own 127.0.0.1, and -R binds the server's "
                                "loopback unless its GatewayPorts allows more. Loopback keeps other machines out, not the "
                                "server's other users: all of them reach your laptop's "
                                "service through that port.")


# ---- 06.pg-hba -----------------------------------------------------------------------------

#: "06.pg-hba": a PostgreSQL server listens on ``localhost`` (127.0.0.1, and ::1 where
#: IPv6 works: listen_addresses) and on its Unix socket in libpq's default folder
#: (/var/run/postgresql on Debian and Ubuntu), with these rows. Is learner let in?
PG_HBA_ROWS = ("local   all   learner                  reject\n"
               "host    all   learner   127.0.0.1/32   trust\n"
               "host    all   learner   ::1/128        reject\n")

#: The commands asked about; "-h localhost" is computed for this machine by
#: :func:`pg_hba_key` (libpq "Parameter Key Words", host: no host or a directory is a
#: Unix-domain socket, a name or address is TCP; "Specifying Multiple Hosts": a name's
#: addresses are tried in order, and a login the server refuses ends the attempt;
#: pg_hba.conf: the first row matching the connection type and client address decides).
PG_HBA_FIXED = {
    "psql -U learner (no host)": "refused",
    "psql -U learner -h /var/run/postgresql": "refused",
    "psql -U learner -h 127.0.0.1": "let in",
    "psql -U learner -h ::1": "refused",
}
PG_HBA_LOCALHOST = "psql -U learner -h localhost"


def localhost_first() -> tuple[str, bool]:
    """This machine's answer for libpq's first try with ``host=localhost``: the first
    address getaddrinfo gives (``""`` when none), and whether it is ::1 on a machine
    whose IPv6 loopback works (else libpq's connection fails and it tries the next).

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """
    from ..postgres import localhost_addresses
    from ..sandbox import capabilities

    addresses = localhost_addresses()
    first = addresses[0] if addresses else ""
    return first, first == "::1" and bool(capabilities().ipv6_loopback)


def pg_hba_key() -> dict:
    """The key of 06.pg-hba on this machine: "-h localhost" is refused where localhost
    resolves to ::1 first and IPv6 loopback works (the ::1/128 row), let in where the
    first address that answers is 127.0.0.1.

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """
    _, via_ipv6 = localhost_first()
    return {**PG_HBA_FIXED, PG_HBA_LOCALHOST: "refused" if via_ipv6 else "let in"}


_PG_WORDS = {"let in": {"let in", "in", "allowed", "accepted", "connected", "yes", "ok",
                        "true", "trust"},
             "refused": {"refused", "rejected", "reject", "no", "false", "denied"}}

_PG_COMMON = {
    ("psql -U learner (no host)", "let in"):
        "With no host, libpq uses the Unix-domain socket in its default folder: which "
        "row matches a socket connection?",
    ("psql -U learner -h /var/run/postgresql", "let in"):
        "A host starting with a slash is the folder of a Unix-domain socket: the same "
        "`local` row as no host.",
    ("psql -U learner -h 127.0.0.1", "refused"):
        "An IP address is TCP, and the `host` row for 127.0.0.1/32 says trust.",
    ("psql -U learner -h ::1", "let in"):
        "::1 is TCP too, from ::1: an IPv6 client matches only the ::1/128 row.",
}


def _localhost_message(value: str) -> str:
    first, via_ipv6 = localhost_first()
    if via_ipv6:
        return (f"On this machine localhost resolves to {first} first, and IPv6 loopback "
                "works: which row does that connection meet, and does libpq try another "
                "address after the server refused?")
    return (f"On this machine the first address of localhost that libpq can reach is "
            f"{'127.0.0.1' if first != '::1' else '127.0.0.1 (::1 does not work here)'}: "
            "which row does that meet?")


@exercise("06.pg-hba", lesson=6,
          title="local versus host rows, and what localhost means on your machine",
          hints=["Which of these reach the server over a Unix-domain socket, and which "
                 "over TCP, from which address?",
                 "libpq: no host, or a host that begins with /, means a Unix-domain "
                 "socket; localhost is a name, resolved here: print "
                 "postgres.localhost_addresses() and see which comes first.",
                 "libpq tries a name's addresses in order, but stops when a server "
                 "refuses the login (PostgreSQL manual, Specifying Multiple Hosts)."])
def _pg_hba(answer):
    def canonical(v):
        return _canonical(v, _PG_WORDS)

    key = pg_hba_key()
    common = dict(_PG_COMMON)
    for wrong in ("let in", "refused"):
        if wrong != key[PG_HBA_LOCALHOST]:
            common[(PG_HBA_LOCALHOST, wrong)] = _localhost_message(wrong)
    return expect_words(
        answer, key, _PG_WORDS, canonical, common=common,
        right="Right: the socket (no host, or its folder) meets the `local` row; "
              "127.0.0.1 and ::1 are TCP and meet their own `host` rows; and localhost "
              "is whatever your machine resolves it to first, which is why two machines "
              "can answer this differently.")


# ---- 06.pg-connect -------------------------------------------------------------------------

_URIS_FUNCTION = ("Give your function itself, without calling it: "
                  "check(\"06.pg-connect\", uris). It takes (folder, port).")


@exercise("06.pg-connect", lesson=6,
          title="Write libpq connection URIs: the socket folder, 127.0.0.1 and, where it "
                "works, ::1",
          hints=["A URI is postgresql://user@host:port/database (PostgreSQL documentation, "
                 "34.1.1.2 \"Connection URIs\"). Check what libpq read from each: the "
                 "feedback says it.",
                 "A slash is reserved in a URI's host part: percent-encode the folder "
                 "(urllib.parse.quote(folder, safe=\"\")) or leave the host out and add "
                 "?host=<folder>. An IPv6 address goes in square brackets."])
def _pg_connect(answer):
    if not callable(answer):
        return Feedback(False, _URIS_FUNCTION)
    from ..postgres import PostgresUnavailable, try_uris
    from ..sandbox import capabilities

    try:
        tries = try_uris(answer)
    except PostgresUnavailable as exc:
        return Feedback(False, f"This check needs psycopg: {exc.reason}. "
                               f"{exc.how_to_get}")
    # the server listens on ::1 where this machine's IPv6 loopback works (live), and
    # the same capability decides where no server runs
    ipv6 = "::1" in tries.listen if tries.live else bool(capabilities().ipv6_loopback)
    problems = uri_problems(tries, ipv6)
    if problems:
        return Feedback(False, " ".join(problems))
    # the same words live, without a server, with ::1 or without (the output is checked)
    return Feedback(True, "Right: each URI reached the server the way its key says. In a "
                          "URI the socket folder is percent-encoded as the host (or given "
                          "as ?host=), and an IPv6 address goes in brackets; a folder "
                          "means a Unix-domain socket, an address TCP.")


# ---- 06.pg-transport ---------------------------------------------------------------------

#: "06.pg-transport": the web app and PostgreSQL run on the same host. Which transport,
#: and which reason?
TRANSPORTS = ("unix socket", "tcp 127.0.0.1", "tcp 0.0.0.0")
TRANSPORT_REASONS = {
    "a": "A Unix-domain socket is encrypted; TCP on loopback is not.",
    "b": "No TCP port: only processes allowed to open the socket file connect, and the "
         "server can learn the client's OS user.",
    "c": "TCP on 127.0.0.1 goes out through the network card; a Unix socket does not.",
    "d": "Only a Unix-domain socket works when client and server share a host.",
}
PG_TRANSPORT_KEY = {"transport": "unix socket", "reason": "b"}

_PG_TRANSPORT_COMMON = {
    ("transport", "tcp 127.0.0.1"): "127.0.0.1 keeps other machines out, but its port is "
                                    "open to every user and program on the host, and a "
                                    "TCP client cannot prove which OS user it is: which "
                                    "transport has no port at all?",
    ("transport", "tcp 0.0.0.0"): "0.0.0.0 listens on every interface: the database "
                                  "would be open to the network for no benefit.",
    ("reason", "a"): "Neither is encrypted; neither crosses a wire either.",
    ("reason", "c"): "Lesson 04's counters showed loopback traffic never reaches a network "
                     "card.",
    ("reason", "d"): "TCP on 127.0.0.1 works too (the lesson connected both ways); the "
                     "question is which is better.",
}


def _transport_word(value) -> str:
    text = " ".join(str(value).split()).casefold()
    aliases = {"unix": "unix socket", "unix-domain socket": "unix socket",
               "unix domain socket": "unix socket", "socket": "unix socket",
               "tcp": "tcp 127.0.0.1", "127.0.0.1": "tcp 127.0.0.1",
               "localhost": "tcp 127.0.0.1", "0.0.0.0": "tcp 0.0.0.0"}
    return aliases.get(text, text)


def _reason_letter(value) -> str:
    text = " ".join(str(value).split()).casefold().strip("() .:")
    for letter, option in TRANSPORT_REASONS.items():
        if text == option.casefold().strip("."):
            return letter
    return text


@exercise("06.pg-transport", lesson=6,
          title="Pick the transport for a database on the same host, and say why",
          hints=["Which transport has no port that any other machine could try?",
                 "Compare the two round trips the lesson measured, and what pg_hba.conf "
                 "can know about a client on each."])
def _pg_transport(answer):
    # each value read as an option's letter (from its text, any case) or a transport
    return expect_mapping(answer, PG_TRANSPORT_KEY,
                          coerce=lambda v: _transport_word(_reason_letter(v)),
                          normalize=lambda v: v, common=_PG_TRANSPORT_COMMON, noun="answer",
                          right="Right: a Unix-domain socket. No port to expose; file "
                                "permissions decide who connects, the server learns the "
                                "client's OS user (PostgreSQL's peer authentication), and "
                                "each round trip is shorter than TCP's.")
