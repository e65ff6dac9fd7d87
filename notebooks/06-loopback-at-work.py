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
# # 06 · Loopback at work
#
# **Objectives.** After this lesson you can:
# - read a tool's default bind address and say who can reach a dev server or database
#   started with its defaults *(exercise 06.defaults)*;
# - predict what the host sees of a server bound to 127.0.0.1 inside a container, and
#   fix it *(exercise 06.container)*;
# - forward a loopback port the way `ssh -L` does, and say what `-R` and
#   `GatewayPorts` change *(exercise 06.tunnel)*;
# - connect to PostgreSQL over its Unix-domain socket and over TCP, tell which
#   `pg_hba.conf` row applies, and pick the transport for a database on the same host
#   *(exercises 06.pg-hba, 06.pg-transport)*.
#
# **Prerequisites.** Lessons 02 (localhost is a name; Unix-domain sockets) and 03 (what
# `bind()` means, the virtual LAN).
#
# **Minutes:** 35 teaching + 20 exercises.

# %%
from IPython.display import Markdown

from loopedu import containers, dev_servers, doctor, forwarder, platforms, postgres, sandbox
from loopedu.exercises import predict, reveal

print("this machine:", doctor.this_machine())
print("network namespaces:", sandbox.capabilities().network_namespaces)

# %% [markdown]
# Loopback is where most software is born: a web app, its database, a cache and a queue
# all on one laptop, talking over 127.0.0.1 with the same socket calls they will use
# across a network later. This lesson runs the everyday pieces for real: a dev server,
# a "container", a tunnel and a PostgreSQL server, and asks each time who can reach what.
#
# ## A dev server on loopback
#
# The plain calls: Python's own `http.server` on 127.0.0.1, port 0 (the kernel picks a
# free [port](glossary.md#port)), served from a thread, fetched with `urllib`, shut down.

# %%
import http.server
import threading
import urllib.request

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
thread = threading.Thread(target=server.serve_forever)
thread.start()
try:
    host, port = server.server_address[:2]
    print("listening on", host)
    with urllib.request.urlopen(f"http://{host}:{port}/", timeout=5) as response:
        print("status", response.status, "-", response.headers["Content-Type"])
finally:
    server.shutdown()
    server.server_close()
    thread.join()

# %% [markdown]
# (The request line it logged went to stderr, which Jupyter shows in red; that is the
# server talking, not an error.) The course's `dev_server()` does the same quietly,
# serving a small folder of its own:

# %%
with dev_servers.dev_server() as dev:
    page = dev_servers.fetch(dev.url)
print("the dev server answered", page.status, "with", page.body[:40])

# %% [markdown]
# Started from a terminal, `python -m http.server` does **not** bind 127.0.0.1. What does
# it bind when you give no `--bind`?

# %%
# 🔮 Your prediction: does `python -m http.server` listen on loopback only? (True or False)
prediction = ...
### BEGIN SOLUTION
prediction = True  # an example prediction
### END SOLUTION
predict("06.http-server-default", prediction)

# %%
import subprocess
import sys

usage = subprocess.run([sys.executable, "-m", "http.server", "--help"],
                       capture_output=True, text=True, timeout=30).stdout
bind_help = " ".join(line.strip() for line in usage.splitlines()
                     if "bind" in line or "interfaces" in line)
print(bind_help)
reveal("06.http-server-default", "all interfaces" not in bind_help,
       why="its own help says the default is all interfaces: anyone on the same Wi-Fi "
           "can browse the folder you started it in. Give it `--bind 127.0.0.1`.")

# %% [markdown]
# Every tool has such a default, and it is worth knowing before you start one in a café.
# The ones marked **yes** listen on every interface unless you say otherwise; each row
# names its source and the versions it applies to.

# %%
Markdown(platforms.markdown_table(
    ["tool", "default bind", "every interface?", "to change it", "applies to"],
    [[b.tool, b.default, "**yes**" if b.all_interfaces else "no", b.change, b.applies_to]
     for b in dev_servers.DEFAULT_BINDS]))

# %% [markdown]
# The sources, row by row, are listed at the end of the lesson. These are the projects'
# own defaults; a distribution's package may ship a configuration file that changes
# them, so the audit of lesson 04 (`loopedu audit`) is the way to see what actually
# listens on your machine.
#
# ## Every container has its own loopback
#
# A [container](glossary.md#container) runs in its own
# [network namespace](glossary.md#network-namespace), and a network namespace has its own
# network devices, its own protocol stack and its own port numbers
# (network_namespaces(7)): its own `lo`, its own 127.0.0.1. The classic trap: a web app
# in a container binds 127.0.0.1 (its framework's default), works when tested inside,
# and `docker run -p 127.0.0.1:8080:80` then gives "connection reset by peer".
#
# The course builds the situation with two namespaces, a "host" and a "container"
# (198.18.1.1 and 198.18.1.2, joined by a [veth pair](glossary.md#veth)), starts two
# servers in the container, one bound to 127.0.0.1 and one to 0.0.0.0, and connects from
# both sides. A small forwarder on the host's 127.0.0.1 plays Docker's published port:
# like `docker-proxy` it accepts, then connects to the container's address.

# %%
# 🔮 Your prediction: the server bound to 127.0.0.1 inside the container. Does each client
# get an answer? (True or False)
prediction = {"container loopback": ..., "host loopback": ..., "container address": ...,
              "published port": ...}
### BEGIN SOLUTION
prediction = {"container loopback": True, "host loopback": False,
              "container address": False, "published port": True}  # an example
### END SOLUTION
predict("06.container", prediction)

# %%
box = containers.container_demo()
print(containers.format_containers(box))
reveal("06.container", {route: box.reached[route]["127.0.0.1"] for route in containers.ROUTES},
       why="the container's 127.0.0.1 lives on the container's own lo: only its own "
           "processes reach it. The published port's proxy accepts on the host, cannot "
           "reach the server through the container's address, and resets the client.")

# %% [markdown]
# Only the server bound to 0.0.0.0 answered through the published port. The fix is to
# bind 0.0.0.0 **inside** the container, whose network is private to it, and to choose
# what the host exposes with `-p`: `-p 127.0.0.1:8080:80` for the host alone, `-p
# 8080:80` for every interface (0.0.0.0 and `[::]`, Docker documentation "Port
# publishing and mapping"). Before Docker Engine 28, even `-p 127.0.0.1:…` let machines
# on the same LAN route to the container's address directly (moby/moby#45610); Engine 28
# added rules that drop them.
#
# Where namespaces are not available the lines above are a recording, labelled as such:
# on Linux as root (or in a user namespace) you see your own machine's run.
#
# ## A tunnel without SSH
#
# `ssh -L 5432:127.0.0.1:5432 db.example` makes your laptop listen on 127.0.0.1:5432 and
# carry each connection through the SSH connection to db.example, where `sshd` connects
# to *its own* 127.0.0.1:5432 (ssh(1), `-L`). Both ends stay on loopback; only the
# encrypted SSH connection crosses the network:
#
# ```
# laptop                                    db.example
# psql ──> 127.0.0.1:5432 (ssh listens)     sshd ──> 127.0.0.1:5432 (PostgreSQL)
#               └──────── SSH connection, port 22 ────────┘
# ```
#
# That is [port forwarding](glossary.md#port-forwarding). Without SSH it is a relay:
# accept a connection, open one to the target, copy bytes both ways. The plain calls for
# one connection, against a small server of the course that answers each message:

# %%
import socket

from loopedu import servers

with servers.echo_server("tcp", "127.0.0.1") as target:
    with socket.create_server(("127.0.0.1", 0)) as relay:
        client = socket.create_connection(relay.getsockname())
        inbound, _ = relay.accept()
        outbound = socket.create_connection(target.address)
        with client, inbound, outbound:
            client.sendall(b"hello through the tunnel")
            outbound.sendall(inbound.recv(1024))    # client -> target
            inbound.sendall(outbound.recv(1024))    # target -> client
            print(client.recv(1024))

# %% [markdown]
# The course's `forwarder.forward()` does this for every connection, both ways at once,
# with a thread of its own. Here it forwards a loopback port to the dev server:

# %%
with dev_servers.dev_server() as dev, forwarder.forward("127.0.0.1", dev.port) as tunnel:
    page = dev_servers.fetch(f"http://127.0.0.1:{tunnel.port}/")
    tunnel.wait_for(1)
print("through the forwarder:", page.status, page.body[:40])
print(f"relayed {tunnel.bytes_to_target} bytes to the dev server and "
      f"{tunnel.bytes_to_client} back")

# %% [markdown]
# The other direction, `ssh -R 8080:127.0.0.1:3000 server`, makes the *server* listen
# on 8080 and carry connections back to your laptop's 127.0.0.1:3000. Who may connect to
# a forwarded port is decided by `GatewayPorts`, `no` by default on both sides:
# "ssh(1) binds local port forwardings to the loopback address" (`ssh_config(5)`, for
# `-L`) and "sshd(8) binds remote port forwardings to the loopback address"
# (`sshd_config(5)`, for `-R`). `ssh -g` or `GatewayPorts yes` opens the port to other
# machines.
#
# ## 💥 Break it on purpose: a tunnel to nowhere
#
# Point the forwarder at a port where nothing listens, then send a request through it.

# %%
with socket.create_server(("127.0.0.1", 0)) as closed:
    nowhere = closed.getsockname()[1]   # a free port, closed again at once
with forwarder.forward("127.0.0.1", nowhere) as tunnel:
    tried = forwarder.exchange("127.0.0.1", tunnel.port, b"GET / HTTP/1.0\r\n\r\n")
    tunnel.wait_for(1)
print("connect:", tried.connect, "- then:", tried.after)
print("the forwarder:", tunnel.connections[0].upstream, "->", tunnel.connections[0].ended.value)

# %% [markdown]
# The connect succeeded, because the forwarder accepted it; then the forwarder's own
# connection was [refused](glossary.md#econnrefused) and it closed the client's with a
# reset ([RST](glossary.md#syn)): the client reads ECONNRESET, "connection reset by
# peer". That is exactly the published-port trap above, and what a tunnel whose far end
# has no server gives you. (`docker-proxy` closes the client's socket after logging
# "Can't forward traffic to backend"; a close with the client's request still unread
# sends a reset too: RFC 1122 §4.2.2.13, RFC 2525 §2.17, observed on Linux.)
#
# ## A real database: PostgreSQL
#
# [libpq](glossary.md#libpq), PostgreSQL's client library (what `psql` uses), reads
# `host` like this (PostgreSQL documentation, "Parameter Key Words"): **no host**, or a
# host that starts with `/`, means a [Unix-domain socket](glossary.md#unix-socket) in
# that folder; anything else, `localhost` included, is a name or address to reach **over
# TCP**. The server's `pg_hba.conf` then picks the first row that matches: `local` rows
# match Unix-domain sockets, `host` rows TCP from the address range they name (PostgreSQL
# documentation, "The pg_hba.conf File").
#
# Where PostgreSQL's server is installed, the course starts a private throwaway server
# (its own folder, its Unix socket in that folder, TCP on 127.0.0.1 and ::1 at a free
# port; stopped and removed at the end) with this `pg_hba.conf` for the user `learner`:
#
# ```
# local   all   learner                  trust
# host    all   learner   127.0.0.1/32   reject
# host    all   learner   ::1/128        reject
# ```

# %%
# 🔮 Your prediction: is learner let in? (True or False)
prediction = {"host=<socket folder>": ..., "host=localhost": ..., "host=127.0.0.1": ...}
### BEGIN SOLUTION
prediction = {"host=<socket folder>": True, "host=localhost": True,
              "host=127.0.0.1": False}  # an example prediction
### END SOLUTION
predict("06.pg-ways", prediction)

# %%
pg = postgres.demo_or_recorded(count=300)
print("this machine:", doctor.this_machine())
print(postgres.format_demo(pg))
ways = {way["label"]: way["connected"] for way in pg["ways"]["socket only"]}
reveal("06.pg-ways", {label: ways[label] for label in prediction},
       why="libpq makes host=localhost a TCP connection, so it meets the `host` rows, "
           "like 127.0.0.1; only the Unix-domain socket matches the `local` row.")

# %% [markdown]
# Read the rows from the top. **No host** tried libpq's compiled-in socket folder
# (`/var/run/postgresql` on Debian), where this private server has no socket: that row
# shows what "no host" means, and `host=<socket folder>` is the same connection to our
# server's own folder. `localhost` went to whatever the resolver returned for it on
# this machine (lesson 02), and `pg_hba.conf` matched 127.0.0.1/32 or ::1/128 by the
# address the connection came from: the same user, let in one way and refused the other.
# With the second `pg_hba.conf` ("both") every way is let in, and the course times
# `SELECT 1` over each transport: the Unix-domain socket's round trip is the shorter
# one, because it skips TCP/IP entirely (unix(7)).
#
# Without PostgreSQL's server the output above is a recording, and says so in its first
# line. To run it live: `sudo apt-get install postgresql` (Debian, Ubuntu), `brew
# install postgresql` (macOS), or the installer from postgresql.org (Windows).
#
# MySQL reads the same word differently, as the last paragraph of the output says: for
# MySQL's clients on Unix, `localhost` *means* the Unix socket file, and only
# `127.0.0.1` or `--protocol=TCP` gives TCP (MySQL Reference Manual, "Connecting to the
# MySQL Server Using Command Options").
#
# ## Your turn
#
# [The exercises](../exercises/06-loopback-at-work-exercises.ipynb): defaults, a
# container, a tunnel, and two PostgreSQL questions.
#
# ## Key points
#
# - Know a tool's default bind before you start it: `python -m http.server`, MySQL's
#   upstream default and `docker run -p 8080:80` listen on every interface.
# - A container has its own 127.0.0.1. Inside a container bind 0.0.0.0, and choose on
#   the host what `-p` exposes; a published port to a 127.0.0.1-bound server gives
#   "connection reset".
# - A tunnel (`ssh -L`, `-R`) keeps both ends on loopback; `GatewayPorts` decides
#   whether other machines can use it.
# - For libpq, no host (or a folder) is a Unix-domain socket and `localhost` is TCP;
#   `pg_hba.conf` `local` and `host` rows can treat them differently. On one host, the
#   Unix-domain socket is the better transport.
#
# ## Sources
#
# - Python documentation, `http.server` (command-line interface: "By default, the
#   server binds itself to all interfaces").
# - The default-bind table: each row's source, printed by
#   `[(b.tool, b.source) for b in dev_servers.DEFAULT_BINDS]`: Flask quickstart, Django
#   `runserver`, Vite server options, Jupyter Server configuration, PostgreSQL
#   `listen_addresses`, MySQL `bind_address`, the `redis.conf` Redis ships, MongoDB
#   security configuration, memcached(1), Elasticsearch network settings, Node.js
#   `server.listen()`, Docker "Port publishing and mapping".
# - Linux manual pages: `network_namespaces(7)`, `ip-netns(8)`, `veth(4)`, `tcp(7)`,
#   `unix(7)`; RFC 1122 §4.2.2.13 and RFC 2525 §2.17 (reset on close with unread data).
# - moby/moby#45610 and the Docker Engine 28 release notes (published ports and LAN
#   hosts); moby/moby `cmd/docker-proxy` (what the proxy does when the backend refuses).
# - OpenSSH manual pages: `ssh(1)` (`-L`, `-R`, `-g`), `ssh_config(5)` and
#   `sshd_config(5)` (`GatewayPorts`).
# - PostgreSQL documentation: "Parameter Key Words" (libpq `host`), "The pg_hba.conf
#   File", `listen_addresses`.
# - MySQL Reference Manual: "Connecting to the MySQL Server Using Command Options",
#   "Connection Transport Protocols".
