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
# - read a server's bind address (a tool's default, a line of `ss -ltn`) and say who
#   can reach it *(exercise 06.defaults)*;
# - say which containers share one loopback, and what a published port reaches
#   *(exercise 06.container)*;
# - say what `ssh -L` and `ssh -R` listen on, and who reaches each forwarded port
#   *(exercise 06.tunnel)*;
# - connect to PostgreSQL over its Unix-domain socket and over TCP, and tell which
#   `pg_hba.conf` row applies *(exercises 06.pg-connect, 06.pg-hba, 06.pg-transport)*.
#
# **Prerequisites.** Lessons 02 (localhost is a name; Unix-domain sockets) and 03 (what
# `bind()` means, the virtual LAN).
#
# **Minutes:** 53 teaching + 25 exercises; Going further: 4 more.

# %%
from IPython.display import Markdown, display

from loopedu import (containers, dev_servers, doctor, drawings, forwarder, platforms, pods,
                     postgres, sandbox)
from loopedu.exercises import explain, predict, reveal

print("this machine:", doctor.this_machine())
print("network namespaces:", sandbox.capabilities().network_namespaces)

# %% [markdown]
# A web app, its database and a cache often run on one laptop, over 127.0.0.1. This
# lesson runs such pieces for real and asks each time: who can reach what?
#
# ## A dev server on loopback
#
# You start a dev server to try your app: who else can reach it? First the plain calls:
# Python's own `http.server` on 127.0.0.1, port 0 (the kernel picks a free
# [port](glossary.md#port)), fetched once with `urllib`.

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
# (The line starting `127.0.0.1 - -` is the server's log on stderr, not an error.) Here
# the code chose 127.0.0.1. Started from a terminal, `python -m http.server` chooses for
# you. Which addresses does it listen on when you give no `--bind`?

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
reveal("06.http-server-default", "all interfaces" not in bind_help)

# %%
# 💬 Your explanation, in one line (or leave ... to skip):
explanation = ...
### BEGIN SOLUTION
explanation = "Its default is every interface, so my whole network sees the folder"
### END SOLUTION
explain("06.http-server-default", explanation)

# %% [markdown]
# So `python -m http.server` does not bind 127.0.0.1. Every tool has such a default, and
# it is worth knowing before you start one in a café. Rows marked **yes** listen on every
# interface unless you say otherwise.

# %%
Markdown(platforms.markdown_table(
    ["tool", "default bind", "every interface?", "to change it"],
    [[b.tool, b.default, "**yes**" if b.all_interfaces else "no", b.change]
     for b in dev_servers.DEFAULT_BINDS]))

# %% [markdown]
# Many of these servers run in containers. Does 127.0.0.1 mean the same there?
#
# ## Containers: whose loopback?
#
# A web app in a container binds 127.0.0.1, as many frameworks do by default. Who can
# reach it? A [container](glossary.md#container) usually runs in a
# [network namespace](glossary.md#network-namespace) of its own. A network namespace has
# its own network devices, routes and port numbers.
#
# The course builds it with two namespaces: a "host" (198.18.1.1) and a "container"
# (198.18.1.2), joined by a [veth pair](glossary.md#veth). The container runs one server
# on 127.0.0.1 and one on 0.0.0.0. A small forwarder on the host's 127.0.0.1 plays
# Docker's published port (`-p 127.0.0.1:8080:80`).
#
# The four clients of the prediction, each to the server bound to 127.0.0.1:
#
# | key | from | connects to |
# |---|---|---|
# | container loopback | a program in the container | its own 127.0.0.1, the server's port |
# | host loopback | a program on the host | the host's 127.0.0.1, at the same port number |
# | container address | a program on the host | 198.18.1.2, at the server's port |
# | published port | a program on the host | the forwarder on the host's 127.0.0.1 |

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
print(containers.format_containers(box, brief=True))
reveal("06.container", {route: box.reached[route]["127.0.0.1"] for route in containers.ROUTES},
       recorded=None if box.live else box.where)

# %%
# 💬 Your explanation, in one line (or leave ... to skip):
explanation = ...
### BEGIN SOLUTION
explanation = "The proxy connects to the container's address, where nothing listens"
### END SOLUTION
explain("06.container", explanation)

# %% [markdown]
# Like `docker-proxy`, the forwarder accepts the client, then connects to the
# container's address. Only the server bound to 0.0.0.0 answered there. The fix: bind
# 0.0.0.0 **inside** the container, whose network is its own. Then choose on the host
# what `-p` exposes. `-p 127.0.0.1:8080:80` is for the host alone. `-p 8080:80` is every
# interface, 0.0.0.0 and `[::]`.
#
# Does every container have a loopback of its own? The containers of one Kubernetes or
# podman [pod](glossary.md#pod) share one network namespace. The course runs that case
# live: an "app" serving on 127.0.0.1 and a "sidecar" in one namespace, as in a pod. A
# third, "other", has a namespace of its own. Both clients connect to 127.0.0.1, at the
# app's port.

# %%
# 🔮 Your prediction: does each client reach the app's server on 127.0.0.1? (True or False)
prediction = {"sidecar": ..., "other": ...}
### BEGIN SOLUTION
prediction = {"sidecar": True, "other": False}  # an example prediction
### END SOLUTION
predict("06.pod", prediction)

# %%
pod = pods.pod_demo()
print(pods.format_pod(pod))
display(reveal("06.pod", pod.reached, recorded=None if pod.live else pod.where))
drawings.container_loopbacks()

# %% [markdown]
# The drawing puts both cases side by side: a container of its own, and a pod's shared
# `lo`. A container run with `--network host` (the host's) or `--network container:X`
# (X's) shares a loopback the same way.
#
# Every one of those ends on one machine. How do you reach a loopback on another one?
#
# ## SSH tunnels, and a relay that works like them
#
# A database listens on the server's loopback only: how do you reach it from your
# laptop? `ssh -L 8080:127.0.0.1:5432 server` makes your laptop listen on
# 127.0.0.1:8080. Each connection travels inside the SSH connection to the server. There
# `sshd` connects to *its own* 127.0.0.1:5432. Both ends stay on loopback; only the
# encrypted SSH connection crosses the network. The top half of the drawing shows it.

# %%
drawings.ssh_tunnels()

# %% [markdown]
# The bottom half runs the other way. `ssh -R 8080:127.0.0.1:3000 server` makes the
# *server* listen on 8080, and carries each connection back to your laptop's
# 127.0.0.1:3000. With `GatewayPorts no`, the default, sshd binds that port to the
# server's loopback. That keeps other machines out, not other programs: every user on
# the server reaches your laptop's service through it.
#
# What does a tunnel do with each connection? That is
# [port forwarding](glossary.md#port-forwarding): accept a connection, open one to the
# target, copy bytes both ways. The plain calls, for one message to an echo server:

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
# The course's `forwarder.forward()` does the same for every connection, both ways at
# once. Here it relays to an echo server, and `forwarder.exchange()` is the client:

# %%
with servers.echo_server("tcp", "127.0.0.1") as target:
    with forwarder.forward(*target.address) as tunnel:
        print("the client:", forwarder.exchange("127.0.0.1", tunnel.port, b"hello again"))
        tunnel.wait_for(1)
print("the forwarder:", tunnel.connections[0].upstream, "->", tunnel.connections[0].ended.value)

# %% [markdown]
# What does the client see when nothing listens at the target?
#
# ## 💥 Break it on purpose: a tunnel to nowhere
#
# Point the forwarder at a port where nothing listens, and send a request through it.

# %%
# 🔮 Your prediction: does the client's connect succeed (True or False)? Then what does
# it read: "reply", "reset" or "closed"?
prediction = {"connect succeeds": ..., "then": ...}
### BEGIN SOLUTION
prediction = {"connect succeeds": True, "then": "reset"}  # an example prediction
### END SOLUTION
predict("06.tunnel-nowhere", prediction)

# %%
with socket.create_server(("127.0.0.1", 0)) as closed:
    nowhere = closed.getsockname()[1]   # a free port, closed again at once
with forwarder.forward("127.0.0.1", nowhere) as tunnel:
    tried = forwarder.exchange("127.0.0.1", tunnel.port, b"GET / HTTP/1.0\r\n\r\n")
    tunnel.wait_for(1)
print("the forwarder:", tunnel.connections[0].upstream, "->", tunnel.connections[0].ended.value)
reveal("06.tunnel-nowhere", {"connect succeeds": tried.connect.connected, "then": tried.after})

# %% [markdown]
# The forwarder's own connection was [refused](glossary.md#econnrefused); the client got
# an [RST](glossary.md#syn) instead. ECONNRESET, "connection reset by peer", is the
# published-port trap above.
#
# A tunnel's far end is often a database on loopback. Does `localhost` reach PostgreSQL
# the way its socket does?
#
# ## A real database: PostgreSQL
#
# [libpq](glossary.md#libpq), PostgreSQL's client library, takes a `host`. A host that
# starts with `/` is the folder of a [Unix-domain socket](glossary.md#unix-socket); an IP
# address is reached over TCP. The server's `pg_hba.conf` then picks the first row that
# matches. `local` rows match Unix-domain sockets; `host` rows match TCP from the
# addresses they name.
#
# The plain calls, with psycopg, against a private throwaway server. It keeps its socket
# in its own folder and listens on 127.0.0.1 at a free port. `inet_server_addr()` is NULL
# (`None`) over a Unix-domain socket.

# %%
import psycopg

try:
    with postgres.throwaway_cluster("both") as pg:
        folder, port = str(pg.folder), pg.port
        over_socket = psycopg.connect(host=folder, port=port, user="learner",
                                      dbname="postgres")
        over_tcp = psycopg.connect(host="127.0.0.1", port=port, user="learner",
                                   dbname="postgres")
        for name, conn in (("host=<socket folder>", over_socket),
                           ("host=127.0.0.1", over_tcp)):
            with conn:
                (address,) = conn.execute("SELECT inet_server_addr()").fetchone()
                print(f"{name:<21} the server's address: {address}")
except postgres.PostgresUnavailable as exc:
    print("Not run here:", exc.reason)

# %% [markdown]
# Now a server with these rows in `pg_hba.conf` (the first lets the course's own user,
# `loopedu`, set the server up; the other three are for the user `learner`):
#
# ```
# local   all   loopedu                  trust
# local   all   learner                  trust
# host    all   learner   127.0.0.1/32   reject
# host    all   learner   ::1/128        reject
# ```
#
# The output names the row that decided each connection by its line in the file: the
# rows above are lines 2 to 5, after a comment line.

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
print(postgres.format_demo(pg, brief=True))
ways = {way["label"]: way["connected"] for way in pg["ways"]["socket only"]}
reveal("06.pg-ways", {label: ways[label] for label in prediction},
       recorded=None if pg["live"] else pg["recorded"])

# %%
# 💬 Your explanation, in one line (or leave ... to skip):
explanation = ...
### BEGIN SOLUTION
explanation = "localhost is a name, so libpq uses TCP and a host row rejects it"
### END SOLUTION
explain("06.pg-ways", explanation)

# %% [markdown]
# libpq's rule: **no host**, or a host that starts with `/`, means a Unix-domain socket.
# Anything else, `localhost` included, is a name or address to reach **over TCP**. libpq
# tries each address of a name in turn. But once a server refuses the login, it stops:
# the remaining addresses are not tried. MySQL reads `localhost` differently: Going
# further.
#
# Read the rows from the top. **No host** looked in libpq's default folder
# (`/var/run/postgresql` on Debian). This private server keeps its socket elsewhere, so
# "no host" found no file. A server installed the usual way keeps its socket in that
# default folder, and "no host" reaches it. `localhost` went where this machine's
# resolver sent it (lesson 02).
#
# Without PostgreSQL's server the output is a recording, and says so first.
#
# For a database on the same host, the socket is the better transport: no TCP port at
# all, and the socket *file*'s permissions decide who connects.
#
# ## Your turn
#
# [The exercises](../exercises/06-loopback-at-work-exercises.ipynb): who reaches a
# listening socket, shared loopbacks, tunnels, your own PostgreSQL connection URIs,
# `pg_hba.conf` on your machine.
#
# ## Key points
#
# - Know a tool's default bind before you start it: `python -m http.server`, MySQL's
#   upstream default and `docker run -p 8080:80` listen on every interface.
# - A container with its own network namespace has its own 127.0.0.1: bind 0.0.0.0 inside,
#   and choose on the host what `-p` exposes. The containers of one pod (and
#   `--network host`) share one loopback.
# - A tunnel (`ssh -L`, `-R`) keeps both ends on loopback. An `ssh -R` port with
#   `GatewayPorts no` is still open to every user on the server.
# - For libpq, no host (or a folder) is a Unix-domain socket and `localhost` is TCP;
#   `local` and `host` rows can treat them differently. On one host, a socket file is the
#   better transport: its permissions decide who connects.
#
# ## Going further
#
# **Docker's `-p 127.0.0.1:…`, and its conditions** (as of 2026-12). Before Engine 28,
# machines on the same LAN could route to the container's own address
# (moby/moby#45610). Engine 28 added rules that drop them. Engine 28.0 to 28.3.2 lost
# those rules whenever firewalld reloaded (CVE-2025-54388, fixed in 28.3.3). The daemon
# options `allow-direct-routing` and `trusted_host_interfaces` open direct routing again
# on purpose (moby/moby#49832). And a crafted packet to 127.0.0.1, sent to the host's
# MAC address, can be DNAT-ed into the container (moby/moby#41872, open as far as
# checked). Settled: `-p 8080:80` is every interface. Not settled: that `-p
# 127.0.0.1:…` is the host alone on every version and setup.
#
# **The table's versions and caveats.** Each row of `dev_servers.DEFAULT_BINDS` says
# which versions it applies to (`applies_to`) and what to watch for (`note`), with its
# source. A distribution's package may change any of these: `loopedu audit` (lesson 04)
# shows what really listens here. Three rows need care. Redis listens on loopback only
# through the `redis.conf` it ships (`bind 127.0.0.1 -::1`). Its compiled-in default,
# `CONFIG_DEFAULT_BINDADDR {"*", "-::*"}`, is every interface, guarded by "protected
# mode" (Redis `src/server.h`). Memcached with no `-l` binds every address
# `getaddrinfo(NULL, AI_PASSIVE)` gives, so `[::]` too (`memcached.c`). The
# Elasticsearch row is 7.x only: 8.x writes `http.host: 0.0.0.0` into its configuration
# on first start.
#
# **`ssh -g`, and libpq on Windows.** `ssh -g` does not change what an `ssh -R` port
# listens on: it applies to local (`-L`) forwards only (ssh(1)). On Windows, libpq with
# no host means TCP to localhost ("Parameter Key Words").
#
# **MySQL reads `localhost` differently.** On Unix, MySQL's clients take `localhost` to
# mean the Unix socket file; only `127.0.0.1` or `--protocol=TCP` gives TCP. On Windows,
# `localhost` is TCP unless the client asks for shared memory or a named pipe
# (`--protocol=MEMORY` or `PIPE`), which the server must enable (MySQL Reference Manual,
# "Connection Transport Protocols"). `print(postgres.format_demo(pg))`, without
# `brief=True`, ends with the same paragraph. Before it, it shows a second file
# ("both": every host row `trust`, so every way is let in) and times `SELECT 1` over the
# Unix socket and over TCP.
#
# **A Unix socket without a file** (Linux). An
# [abstract socket](glossary.md#abstract-socket) has a name but no file, so nothing to set
# permissions on: "Socket permissions have no meaning for abstract sockets" (unix(7)).
# Any process in the network namespace may connect, so a service on one must check its
# clients itself. As root, `loopedu.unix_sockets.abstract_socket_permissions()` shows it:
# another user gets EACCES from a mode `0600` socket file, and connects to the abstract
# socket (observed on Linux).
#
# **Why a reset, not a close.** `docker-proxy` closes the client's socket after it logs
# "Can't forward traffic to backend". A close with the client's request still unread
# sends a reset (RFC 1122 §4.2.2.13, RFC 2525 §2.17; observed on Linux).
#
# ## Sources
#
# - Python documentation, `http.server` (command-line interface: "By default, the
#   server binds itself to all interfaces").
# - The default-bind table: each row's source, printed by
#   `[(b.tool, b.source) for b in dev_servers.DEFAULT_BINDS]`: Flask quickstart, Django
#   `runserver`, Vite server options, Jupyter Server configuration, PostgreSQL
#   `listen_addresses`, MySQL `bind_address`, the `redis.conf` Redis ships and
#   `CONFIG_DEFAULT_BINDADDR` in Redis's `src/server.h`, MongoDB security configuration,
#   memcached(1) and `memcached.c` (`server_socket`), Elasticsearch 7.17 network
#   settings, Node.js `server.listen()`, Docker "Port publishing and mapping".
# - Linux manual pages: `network_namespaces(7)` (what a network namespace isolates:
#   devices, routes, port numbers), `ip-netns(8)`, `veth(4)`, `tcp(7)`, `ss(8)`,
#   `unix(7)` (abstract sockets); RFC 1122 §4.2.2.13 and RFC 2525 §2.17 (reset on close
#   with unread data).
# - Kubernetes documentation, "Pods" (containers of a Pod share the network namespace and
#   reach each other on localhost); podman-pod-create(1) (`--share`); Docker run
#   reference (`--network host`, `--network container:X`).
# - moby/moby#45610, #49832, #41872; CVE-2025-54388 (GHSA, Docker Engine 28.3.3); the
#   Docker Engine 28 release notes; moby/moby `cmd/docker-proxy`.
# - OpenSSH manual pages: `ssh(1)` (`-L`, `-R`, `-g`), `ssh_config(5)` and
#   `sshd_config(5)` (`GatewayPorts`, default no: a `-R` port on the server's loopback).
# - Docker documentation, "Port publishing and mapping" (`-p 8080:80` publishes on
#   0.0.0.0 and `[::]`; `-p 127.0.0.1:…` is for the host alone).
# - PostgreSQL documentation: "Connection Strings" (34.1.1, its connection URIs are
#   exercise 06.pg-connect's), "Parameter Key Words" (libpq `host`: no host or a
#   folder is a Unix-domain socket, anything else TCP; on Windows no host is TCP),
#   "Specifying Multiple Hosts" (libpq stops at the first server that refuses the login), "The pg_hba.conf File", `listen_addresses`, "System Information Functions"
#   (`inet_server_addr`). psycopg 3 documentation, `psycopg.connect()`.
# - MySQL Reference Manual: "Connecting to the MySQL Server Using Command Options",
#   "Connection Transport Protocols".
