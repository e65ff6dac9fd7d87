"""A real database over loopback: a private, throwaway PostgreSQL server, and libpq
connecting to it over a Unix socket and over TCP.

The facts the lesson shows live, with the primary sources that settle them:

- libpq's ``host`` (PostgreSQL 15 documentation, 34.1.2 "Parameter Key Words"): with no
  host (or an empty one) libpq connects to a Unix-domain socket in the directory
  compiled into it (/tmp upstream; /var/run/postgresql in Debian's libpq and, observed,
  in psycopg's Linux wheels); on Windows the default is localhost. A host that starts
  with ``/`` names the directory holding the socket file ``.s.PGSQL.<port>``. Any
  other host, including ``localhost``, is TCP. When a name resolves to several
  addresses (localhost to ::1 and 127.0.0.1 on many machines, to 127.0.0.1 only where
  /etc/hosts has no ::1 line) libpq tries them in order; once one accepts the
  connection but authentication fails, the rest are not tried (34.1.1.3 "Specifying
  Multiple Hosts"). ``psycopg.connect()`` resolves names itself and tries every
  address, so the lesson connects with libpq's own ``PQconnectdb`` (``psycopg.pq``),
  as psql does.
- pg_hba.conf (21.1 "The pg_hba.conf File"): ``local`` rows match Unix-domain socket
  connections, ``host`` rows TCP/IP ones; an address written as IPv4 (127.0.0.1/32)
  matches only IPv4 clients, one written as IPv6 (::1/128) only IPv6 clients. The first
  row matching type, database, user and address decides; there is no fall-through. So
  the same user can be let in one way (``local ... trust``) and refused the other
  (``host ... reject``): the server answers ``pg_hba.conf rejects connection for host
  "127.0.0.1", user "learner", ...``.
- ``inet_server_addr()`` and ``inet_client_addr()`` are NULL over a Unix socket (9.26
  "System Information Functions"): how each connection reports the transport it used.
- MySQL differs (MySQL 8.4 Reference Manual, 6.2.4 "Connecting to the MySQL Server
  Using Command Options", 6.2.7 "Connection Transport Protocols"): on Unix its client
  library takes the host name ``localhost`` to mean the Unix socket file; ``127.0.0.1``
  or ``--protocol=TCP`` gives TCP.
- The server refuses to run as root (``"root" execution of the PostgreSQL server is not
  permitted``; initdb and pg_ctl likewise), so as root the throwaway server runs as
  Debian's ``postgres`` user, or ``nobody``.

:func:`throwaway_cluster` starts the server (initdb in a temporary folder that also
holds the Unix socket, TCP on 127.0.0.1 and ::1 at a free port, fsync off; about a
second) and removes everything when the ``with`` block ends. :func:`try_connect`,
:func:`connect_ways`, :func:`query_rtt` and :func:`demo` run the experiment;
:func:`demo_or_recorded` shows a labelled recording where PostgreSQL is not installed.
:func:`try_uris` tries the learner's own connection URIs (exercise 06.pg-connect).
psycopg (3) is imported only when a connection is made.

Introduced in notebooks/06-loopback-at-work.ipynb.
"""

from .binaries import (
                       HOW_TO_GET,
                       PostgresUnavailable,
                       ServerBinaries,
                       candidate_dirs,
                       client_version,
                       find_server,
                       psycopg_module,
)
from .client import (
                       SOCKET_FOLDER,
                       QueryRtt,
                       Way,
                       connect_ways,
                       matching_rule,
                       query_rtt,
                       try_connect,
)
from .learner import UriTries, UriTry, try_uris
from .lesson import (
                       MYSQL_LOCALHOST,
                       RECORDED_FILE,
                       SOURCES,
                       demo,
                       demo_or_recorded,
                       format_demo,
                       localhost_addresses,
                       machine_label,
                       record,
                       recorded,
)
from .server import HBA, LEARNER, SUPERUSER, Cluster, throwaway_cluster

__all__ = ["Cluster", "HBA", "HOW_TO_GET", "LEARNER",
           "MYSQL_LOCALHOST",
           "PostgresUnavailable", "QueryRtt", "RECORDED_FILE", "SOCKET_FOLDER", "SOURCES",
           "SUPERUSER", "ServerBinaries", "Way", "candidate_dirs", "client_version",
           "connect_ways", "demo", "demo_or_recorded", "find_server", "format_demo",
           "localhost_addresses", "machine_label", "matching_rule", "psycopg_module",
           "query_rtt", "record", "recorded", "throwaway_cluster", "try_connect",
           "try_uris", "UriTries", "UriTry"]
