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
# # Exercises 06 · Loopback at work
#
# Set `answer`, run the cell, read the feedback. `hint("id")` gives the next hint, and
# after the last one `solution("id")` shows the worked answer.
# Answer before you look back at the lesson's outputs.

# %%
from loopedu.exercises import check, hint, solution

# %% [markdown]
# ## 1. Who on the café Wi-Fi can connect?
#
# Your laptop is on a café Wi-Fi, at the address 192.0.2.23. `ss -ltn` lists its
# listening TCP sockets (ss(8)). Below: each one's local address:port, and its program.
# For each, which kind of address does it listen on? That decides who can connect:
#
# - `"loopback"`: only programs on the laptop;
# - `"every interface"`: the café too, at any of the laptop's addresses;
# - `"network address"`: the café too, at that one address only.

# %%
from loopedu.exercises.lesson06 import CAFE_SOCKETS

for local, program in CAFE_SOCKETS:
    print(f"LISTEN  {local:<26}{program}")

# %%
# NBVAL_CHECK_OUTPUT
answer = {
    "0.0.0.0:22": None,
    "127.0.0.53:53": None,
    "[::1]:631": None,
    "127.0.1.1:8080": None,
    "[::]:8000": None,
    "192.0.2.23:3000": None,
    "[::ffff:127.0.0.1]:9000": None,
}
### BEGIN SOLUTION
answer = {
    "0.0.0.0:22": "every interface",
    "127.0.0.53:53": "loopback",             # all of 127.0.0.0/8 is loopback
    "[::1]:631": "loopback",
    "127.0.1.1:8080": "loopback",
    "[::]:8000": "every interface",          # IPv6's 0.0.0.0
    "192.0.2.23:3000": "network address",    # the café reaches it; 127.0.0.1:3000 does not
    "[::ffff:127.0.0.1]:9000": "loopback",   # 127.0.0.1, written the IPv6 way
}
### END SOLUTION
check("06.defaults", answer)

# %% [markdown]
# ## 2. Who shares a loopback?
#
# An app listens on 127.0.0.1, port 8080, in a Kubernetes pod beside a "sidecar"
# container. The same app also runs in a container started with `--network host`. A third
# container's server listens on **0.0.0.0**, port 80; it was started with
# `docker run -p 127.0.0.1:8080:80`. What does each client get: `"connected"`,
# `"refused"` or `"reset"` (the connect succeeds, then the connection is closed at once)?

# %%
# NBVAL_CHECK_OUTPUT
answer = {
    "pod: the sidecar, to 127.0.0.1:8080": None,
    "pod: a container outside the pod, to 127.0.0.1:8080": None,
    "--network host: a program on the host, to 127.0.0.1:8080": None,
    "-p 127.0.0.1:8080:80: the host, to 127.0.0.1:8080": None,
    "-p 127.0.0.1:8080:80: the host, to its own 127.0.0.1:80": None,
}
### BEGIN SOLUTION
answer = {
    "pod: the sidecar, to 127.0.0.1:8080": "connected",
    "pod: a container outside the pod, to 127.0.0.1:8080": "refused",
    "--network host: a program on the host, to 127.0.0.1:8080": "connected",
    "-p 127.0.0.1:8080:80: the host, to 127.0.0.1:8080": "connected",
    "-p 127.0.0.1:8080:80: the host, to its own 127.0.0.1:80": "refused",
}
### END SOLUTION
check("06.container", answer)

# %% [markdown]
# ## 3. Tunnels
#
# On your laptop you run `ssh -L 5432:127.0.0.1:5432 db.example`, with the default
# settings of ssh and of the server's sshd. Then a colleague runs
# `ssh -R 8080:127.0.0.1:3000 db.example` from theirs. True or false?

# %%
# NBVAL_CHECK_OUTPUT
answer = {
    "the laptop listens on 127.0.0.1:5432": None,
    "another machine on the laptop's Wi-Fi can use the tunnel": None,
    "PostgreSQL on db.example must listen on a non-loopback address": None,
    "with ssh -R 8080:127.0.0.1:3000 db.example, db.example listens on its loopback only":
        None,
    "with that -R, every user on db.example can reach the laptop's port 3000": None,
}
### BEGIN SOLUTION
answer = {
    "the laptop listens on 127.0.0.1:5432": True,
    "another machine on the laptop's Wi-Fi can use the tunnel": False,
    "PostgreSQL on db.example must listen on a non-loopback address": False,
    "with ssh -R 8080:127.0.0.1:3000 db.example, db.example listens on its loopback only":
        True,
    "with that -R, every user on db.example can reach the laptop's port 3000": True,
}
### END SOLUTION
check("06.tunnel", answer)

# %% [markdown]
# ## 4. Your own connection URIs
#
# Many programs take a database as one URI: `postgresql://user@host:port/dbname`
# (PostgreSQL documentation, 34.1.1 "Connection Strings"; see 34.1.1.2 "Connection
# URIs"). Write `uris(folder, port)`. It returns a dict of URIs. Each is for user
# `learner`, database `postgres`, at `port`:
#
# - `"socket"`: the Unix-domain socket in `folder` (a slash is reserved in a URI's host:
#   34.1.1.2 says what to do);
# - `"tcp 127.0.0.1"`: TCP to 127.0.0.1;
# - `"tcp ::1"`: TCP to ::1, only where the next cell says IPv6 loopback works (34.1.1.2
#   says how an IPv6 address is written).
#
# The check connects with each URI to a throwaway server. It says what libpq read.
# Without PostgreSQL's server, libpq's errors still name what each URI tried.

# %%
from loopedu import sandbox

print("IPv6 loopback works here:", bool(sandbox.capabilities().ipv6_loopback))

# %%
# NBVAL_CHECK_OUTPUT
def uris(folder, port):
    return {"socket": None, "tcp 127.0.0.1": None}  # and "tcp ::1" where IPv6 works
### BEGIN SOLUTION
from urllib.parse import quote

from loopedu import sandbox


def uris(folder, port):
    found = {"socket": f"postgresql://learner@{quote(folder, safe='')}:{port}/postgres",
             "tcp 127.0.0.1": f"postgresql://learner@127.0.0.1:{port}/postgres"}
    if sandbox.capabilities().ipv6_loopback:   # the machine decides: ::1 in brackets
        found["tcp ::1"] = f"postgresql://learner@[::1]:{port}/postgres"
    return found
### END SOLUTION
check("06.pg-connect", uris)

# %% [markdown]
# ## 5. `local` and `host` rows, on your machine
#
# A PostgreSQL server listens on `localhost` (127.0.0.1, and ::1 where IPv6 works). Its
# Unix-domain socket is in libpq's default folder, `/var/run/postgresql`, so "no host"
# reaches it. Its `pg_hba.conf` holds these rows:
#
# ```
# local   all   learner                  reject
# host    all   learner   127.0.0.1/32   trust
# host    all   learner   ::1/128        reject
# ```
#
# For each command, is `learner` `"let in"` or `"refused"`? One answer depends on your
# machine: the next cell prints what it needs.

# %%
from loopedu import postgres, sandbox

print("localhost resolves here to:", postgres.localhost_addresses())
print("IPv6 loopback works here:", bool(sandbox.capabilities().ipv6_loopback))

# %%
# NBVAL_CHECK_OUTPUT
answer = {
    "psql -U learner (no host)": None,
    "psql -U learner -h /var/run/postgresql": None,
    "psql -U learner -h 127.0.0.1": None,
    "psql -U learner -h ::1": None,
    "psql -U learner -h localhost": None,
}
### BEGIN SOLUTION
# libpq tries localhost's addresses in order and stops at a refused login
from loopedu import postgres, sandbox

first = postgres.localhost_addresses()[0]
via_ipv6 = first == "::1" and bool(sandbox.capabilities().ipv6_loopback)
answer = {
    "psql -U learner (no host)": "refused",
    "psql -U learner -h /var/run/postgresql": "refused",
    "psql -U learner -h 127.0.0.1": "let in",
    "psql -U learner -h ::1": "refused",
    "psql -U learner -h localhost": "refused" if via_ipv6 else "let in",
}
### END SOLUTION
check("06.pg-hba", answer)

# %% [markdown]
# ## 6. Pick the transport
#
# A web application and its PostgreSQL database run on the same host. Which transport
# should the application use (`"unix socket"`, `"tcp 127.0.0.1"` or `"tcp 0.0.0.0"`),
# and which reason is right (a letter)?

# %%
from loopedu.exercises.lesson06 import TRANSPORT_REASONS

for letter, reason in TRANSPORT_REASONS.items():
    print(f"({letter}) {reason}")

# %%
# NBVAL_CHECK_OUTPUT
answer = {"transport": None, "reason": None}
### BEGIN SOLUTION
answer = {"transport": "unix socket", "reason": "b"}
### END SOLUTION
check("06.pg-transport", answer)
