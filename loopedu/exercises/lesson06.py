"""Exercises of lesson 06, "loopback at work".

Introduced in notebooks/06-loopback-at-work.ipynb
(exercises/06-loopback-at-work-exercises.ipynb).

The answer keys are facts with their sources: the tools' own documentation for their
default bind addresses (Python ``http.server``, Flask, Django, Jupyter Server,
PostgreSQL ``listen_addresses``, MySQL ``bind_address``, the shipped ``redis.conf``,
MongoDB ``net.bindIp``, Docker "Port publishing"), network_namespaces(7) for a
container's own loopback, ssh(1) and sshd_config(5) for ``-L``, ``-R`` and
``GatewayPorts``, and the libpq and pg_hba.conf chapters of the PostgreSQL manual.
tests/test_exercises_lesson06.py checks the container and pg_hba keys against live runs.
"""

from __future__ import annotations

from .framework import exercise
from .answers import expect_mapping, expect_set

# ---- 06.defaults -------------------------------------------------------------------------

#: "06.defaults": each started with its default settings on a laptop on a café Wi-Fi.
DEFAULTS_SERVICES = ("python -m http.server", "flask run", "django runserver",
                     "jupyter lab", "postgresql", "mysql", "redis", "mongodb",
                     "docker run -p 8080:80")

#: Those another machine on the Wi-Fi can connect to: ``http.server`` "binds itself to
#: all interfaces" by default (Python docs, http.server); MySQL's ``bind_address``
#: defaults to ``*`` (MySQL 8.0 manual, server system variables); Docker publishes
#: ``-p 8080:80`` on 0.0.0.0 and [::] (Docker docs, "Port publishing and mapping").
DEFAULTS_KEY = frozenset({"python -m http.server", "mysql", "docker run -p 8080:80"})

_DEFAULTS_COMMON = {
    "flask run": "flask run listens on 127.0.0.1 unless you pass --host.",
    "django runserver": "runserver defaults to 127.0.0.1:8000.",
    "jupyter lab": "Jupyter Server's ServerApp.ip defaults to localhost.",
    "postgresql": "PostgreSQL's listen_addresses defaults to 'localhost'.",
    "redis": "The redis.conf Redis ships says `bind 127.0.0.1 -::1`, and protected mode "
             "refuses other clients without a password.",
    "mongodb": "Since MongoDB 3.6, mongod binds to localhost unless net.bindIp says more.",
}


@exercise("06.defaults", lesson=6,
          title="Which services, started with their defaults, can the café Wi-Fi reach?",
          hints=["A service is reachable from other machines when it listens beyond "
                 "loopback: on 0.0.0.0, :: or a network address.",
                 "The lesson's table of default binds has a column for exactly this."])
def _defaults(answer):
    return expect_set(answer, sorted(DEFAULTS_KEY), common=_DEFAULTS_COMMON,
                      right="Right: http.server, MySQL and a Docker port published without "
                            "an address listen on every interface; the others start on "
                            "loopback.")


# ---- 06.container ------------------------------------------------------------------------

#: "06.container": inside a container a web server listens on 127.0.0.1, port 80, and the
#: container was started with ``docker run -p 127.0.0.1:8080:80``. What does each get?
CONTAINER_KEY = {
    "inside the container, to 127.0.0.1:80": "connected",
    "on the host, to the host's own 127.0.0.1:80": "refused",
    "on the host, to the container's address, port 80": "refused",
    "on the host, to 127.0.0.1:8080 (the published port)": "reset",
}

_CONTAINER_WORDS = {
    "connected": {"connected", "connects", "connect", "ok", "works", "accepted", "yes",
                  "served", "reached"},
    "refused": {"refused", "econnrefused", "connection refused", "refuses"},
    "reset": {"reset", "econnreset", "connection reset", "connection reset by peer",
              "closed", "empty reply", "eof"},
}

_CONTAINER_COMMON = {
    ("on the host, to the host's own 127.0.0.1:80", "connected"):
        "The host's 127.0.0.1 is the host's own lo; the container's lo is another one.",
    ("on the host, to the container's address, port 80", "connected"):
        "The server accepts only connections to the address it bound, 127.0.0.1 of its "
        "own lo; the container's other address is not it.",
    ("on the host, to 127.0.0.1:8080 (the published port)", "connected"):
        "The connect itself succeeds (the proxy accepts it), but what happens when the "
        "proxy tries to reach the server?",
    ("on the host, to 127.0.0.1:8080 (the published port)", "refused"):
        "Something on the host does listen on 127.0.0.1:8080: Docker's proxy. It accepts, "
        "then finds nobody to pass the connection to.",
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
          title="A server on 127.0.0.1 inside a container: who can reach it?",
          hints=["network_namespaces(7): every namespace, so every container, has its own "
                 "lo and its own 127.0.0.1.",
                 "A published port is a proxy (or a NAT rule) on the host that connects to "
                 "the container's address, not to its 127.0.0.1."])
def _container(answer):
    return expect_mapping(answer, CONTAINER_KEY,
                          coerce=lambda v: _canonical(v, _CONTAINER_WORDS),
                          normalize=lambda v: v, common=_CONTAINER_COMMON, noun="answer",
                          right="Right: it works only inside the container. The published "
                                "port's proxy accepts and then resets, because the server "
                                "is not listening on the container's address: bind 0.0.0.0 "
                                "inside the container (the container's own network is "
                                "private) and publish on 127.0.0.1 of the host.")


# ---- 06.tunnel ---------------------------------------------------------------------------

#: "06.tunnel": on a laptop you run ``ssh -L 5432:127.0.0.1:5432 db.example`` (default
#: ssh and sshd settings). True or false? (ssh(1) -L and -R; sshd_config(5) GatewayPorts,
#: default no; ssh_config(5) GatewayPorts, default no.)
TUNNEL_KEY = {
    "the laptop listens on 127.0.0.1:5432": True,
    "another machine on the laptop's Wi-Fi can use the tunnel": False,
    "PostgreSQL on db.example must listen on a non-loopback address": False,
    "with ssh -R 8080:127.0.0.1:3000 db.example, db.example listens on its loopback only":
        True,
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
}


@exercise("06.tunnel", lesson=6, title="What does ssh -L (and -R) listen on?",
          hints=["Follow the data path the lesson drew: who listens, who connects, and "
                 "to which address?",
                 "ssh(1), -L: the local port is bound according to GatewayPorts; the "
                 "default is loopback only."])
def _tunnel(answer):
    return expect_mapping(answer, TUNNEL_KEY, common=_TUNNEL_COMMON, noun="answer",
                          right="Right: both ends of a tunnel can stay on loopback. The "
                                "laptop's ssh listens on 127.0.0.1, sshd connects to "
                                "db.example's own 127.0.0.1, and -R binds loopback unless "
                                "the server's GatewayPorts allows more.")


# ---- 06.pg-hba -----------------------------------------------------------------------------

#: "06.pg-hba": pg_hba.conf holds ``local all learner trust`` and ``host all learner
#: 127.0.0.1/32 reject`` and ``host all learner ::1/128 reject``. Is learner let in?
#: (libpq "Parameter Key Words", host: no host or a directory path is a Unix-domain
#: socket, a name or address is TCP; pg_hba.conf: `local` rows match Unix sockets only.)
PG_HBA_KEY = {
    "psql -U learner (no host)": "let in",
    "psql -U learner -h localhost": "refused",
    "psql -U learner -h 127.0.0.1": "refused",
    "psql -U learner -h /the/socket/folder": "let in",
}

_PG_WORDS = {"let in": {"let in", "in", "allowed", "accepted", "connected", "yes", "ok",
                        "true", "trust"},
             "refused": {"refused", "rejected", "reject", "no", "false", "denied"}}

_PG_COMMON = {
    ("psql -U learner -h localhost", "let in"):
        "libpq treats host=localhost as a name to resolve: that is TCP, so a `host` row "
        "matches.",
    ("psql -U learner -h /the/socket/folder", "refused"):
        "A host starting with a slash is the folder of a Unix-domain socket.",
    ("psql -U learner (no host)", "refused"):
        "With no host, libpq uses the Unix-domain socket.",
}


@exercise("06.pg-hba", lesson=6,
          title="local versus host rows: which connections does pg_hba.conf let in?",
          hints=["Which of these reach the server over a Unix-domain socket, and which "
                 "over TCP?",
                 "libpq: no host, or a host that begins with /, means a Unix-domain "
                 "socket."])
def _pg_hba(answer):
    return expect_mapping(answer, PG_HBA_KEY, coerce=lambda v: _canonical(v, _PG_WORDS),
                          normalize=lambda v: v, common=_PG_COMMON, noun="answer",
                          right="Right: the `local` row lets learner in over the socket, "
                                "with no host or a folder; localhost and 127.0.0.1 are TCP "
                                "and meet the `host` rows that reject.")


# ---- 06.pg-transport ---------------------------------------------------------------------

#: "06.pg-transport": the web app and PostgreSQL run on the same host. Which transport,
#: and which reason?
TRANSPORTS = ("unix socket", "tcp 127.0.0.1", "tcp 0.0.0.0")
TRANSPORT_REASONS = {
    "a": "A Unix-domain socket is encrypted; TCP on loopback is not.",
    "b": "No TCP port at all: only local processes allowed to open the socket file can "
         "connect, the server can learn the client's user (peer authentication), and the "
         "round trip skips the TCP/IP stack.",
    "c": "TCP on 127.0.0.1 goes out through the network card; a Unix socket does not.",
    "d": "Only a Unix-domain socket works when client and server share a host.",
}
PG_TRANSPORT_KEY = {"transport": "unix socket", "reason": "b"}

_PG_TRANSPORT_COMMON = {
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
                          right="Right: a Unix-domain socket. No port to expose, file "
                                "permissions and peer authentication decide who connects, "
                                "and each round trip is shorter than TCP's.")
