# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Exercises 02 · localhost is a name
#
# Set `answer`, run the cell, read the feedback. `hint("id")` gives the next hint, and
# after the last one `solution("id")` shows the worked answer. Predict first; the sandbox
# of lesson 02 (`loopedu.widgets.hosts_sandbox()`) lets you check yourself afterwards
# (it answers with your machine's /etc/host.conf, and says which setting that is).

# %%
from loopedu.exercises import check, hint, solution
from loopedu.exercises.lesson02 import (BROKEN_HOSTS, DB_CLIENTS, PREDICT_HOSTS,
                                        PREDICT_QUERIES)
from loopedu.localhost import multi_here
from loopedu.sandbox import capabilities

# %% [markdown]
# ## 1. What does getaddrinfo answer from this hosts file, on your machine?
#
# Take glibc on Linux, `hosts: files` in nsswitch.conf, and *your* machine's
# `/etc/host.conf` (the cell prints its `multi` setting: on, as Debian and Ubuntu ship it,
# or off, glibc's default). It also prints whether IPv6 loopback is on here. This is a
# new hosts file, with `::1` listed first and `app.test` on two lines:

# %%
print(PREDICT_HOSTS)
print("/etc/host.conf of the machine that ran this cell: multi",
      "on" if multi_here() else "off")
print("IPv6 loopback (::1) on the machine that ran this cell:",
      "on" if capabilities().ipv6_loopback else "off")
for query, (name, family) in PREDICT_QUERIES.items():
    print(f"{query!r}: getaddrinfo({name!r}, None, {family.name}, SOCK_STREAM)")

# %% [markdown]
# For each query give the list of addresses getaddrinfo returns, in order, duplicates
# included (`[]` if the name does not resolve). A list even for one address: `["::1"]`.
# `AF_UNSPEC` (family 0) asks for both families, as a client connecting by name does:
# its first address is the one such a client tries first.

# %%
# NBVAL_CHECK_OUTPUT
answer = {
    "app.test AF_INET": None,
    "LAPTOP AF_INET": None,
    "localhost AF_INET6": None,
    "localhost AF_UNSPEC": None,
}
### BEGIN SOLUTION
from loopedu.localhost import multi_here  # multi on: both app.test lines answer
from loopedu.sandbox import capabilities  # IPv6 off: ::1 is unusable, sorted last

sorted_pair = (["::1", "127.0.0.1"] if capabilities().ipv6_loopback
               else ["127.0.0.1", "::1"])

answer = {
    "app.test AF_INET": ["127.0.0.2", "127.0.0.3"] if multi_here() else ["127.0.0.2"],
    "LAPTOP AF_INET": ["127.0.1.1"],       # names match without regard to case
    "localhost AF_INET6": ["::1"],         # AF_INET6: IPv6 addresses only
    "localhost AF_UNSPEC": sorted_pair if multi_here() else ["::1"],
}
### END SOLUTION
check("02.predict-hosts", answer)

# %% [markdown]
# ## 2. Which lines does glibc skip?
#
# Some names in this hosts file never resolve. Give the line numbers glibc skips.

# %%
for number, line in enumerate(BROKEN_HOSTS.splitlines(), start=1):
    print(f"{number}  {line}")

# %%
# NBVAL_CHECK_OUTPUT
answer = None  # replace None with a list of line numbers
### BEGIN SOLUTION
answer = [4, 6, 7]
### END SOLUTION
check("02.broken-hosts", answer)

# %% [markdown]
# ## 3. Fix a client that tries only the first address
#
# `localhost` resolved to `["::1", "127.0.0.1"]`, the server listens on 127.0.0.1 only,
# and this client gives up after the first address (the lesson's trap):
#
# ```python
# def connect_first_working(addresses, port):
#     family = socket.AF_INET6 if ":" in addresses[0] else socket.AF_INET
#     sock = socket.socket(family, socket.SOCK_STREAM)
#     sock.connect((addresses[0], port))
#     return sock
# ```
#
# Write `connect_first_working(addresses, port)` so that it returns a socket connected to
# the first address that accepts, and raises the last error if none does. The check runs
# it against real servers at ephemeral ports: on 127.0.0.1, and, where this machine has
# them, on 127.0.0.2 and on ::1. So connect to the addresses you are given.

# %%
import socket

# NBVAL_CHECK_OUTPUT
answer = None  # replace None with your function
### BEGIN SOLUTION
def connect_first_working(addresses, port):
    last_error = None
    for address in addresses:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.connect((address, port))
        except OSError as exc:
            sock.close()
            last_error = exc
            continue
        return sock
    raise last_error or OSError("no addresses to try")


answer = connect_first_working
### END SOLUTION
check("02.fix-client", answer)

# %% [markdown]
# ## 4. Unix socket or TCP?
#
# On Linux, with no option file and no environment variable changing the defaults
# (except `PGHOST`, where a line sets it), which transport does each client use to
# reach a database server on this machine: a Unix-domain socket file (`"unix"`) or
# TCP/IP (`"tcp"`)? Only `mysql --protocol=TCP` is one of the lesson's examples; the
# others apply its rules to new cases. `mysql` is MySQL's client; `psql` is
# PostgreSQL's, built on its client library, libpq; `PGHOST` is the environment
# variable behind libpq's `-h`. Sources to look in: the MySQL Reference Manual,
# "Connecting to the MySQL Server Using Command Options", and the libpq documentation,
# "Parameter Key Words", `host`.

# %%
for client in DB_CLIENTS:
    print(client)

# %%
# NBVAL_CHECK_OUTPUT
answer = {
    "mysql": None,
    "mysql --protocol=TCP": None,
    "mysql -h ::1": None,
    "psql -h 127.0.0.1": None,
    "psql -h ::1": None,
    "PGHOST=/tmp psql": None,
}
### BEGIN SOLUTION
answer = {
    "mysql": "unix",
    "mysql --protocol=TCP": "tcp",
    "mysql -h ::1": "tcp",
    "psql -h 127.0.0.1": "tcp",
    "psql -h ::1": "tcp",
    "PGHOST=/tmp psql": "unix",
}
### END SOLUTION
check("02.db-transport", answer)

# %% [markdown]
# ## 5. Who sees an edit, who may connect?
#
# Five cases the lesson did not run: another name, other modes and users, TCP on ::1.
# For the first, say `"new"` (the edited address) or `"old"` (the first answer, kept).
# For the others, say `"connected"` or the errno name `connect()` raises. Both socket
# files lie in a folder every user may enter.

# %%
from loopedu.exercises.lesson02 import WHO_KEY

for case in WHO_KEY:
    print("-", case)

# %%
# NBVAL_CHECK_OUTPUT
answer = {case: None for case in WHO_KEY}
### BEGIN SOLUTION
from loopedu.exercises.lesson02 import WHO_KEY  # the cases, in the order printed above

answer = dict(zip(WHO_KEY, ["new", "EACCES", "EACCES", "connected", "connected"]))
### END SOLUTION
check("02.who-sees-it", answer)
