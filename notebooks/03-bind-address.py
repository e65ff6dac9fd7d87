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
# # 03 · 127.0.0.1 versus 0.0.0.0
#
# **Objectives.** After this lesson you can:
# - say what the address given to `bind()` means, and why 0.0.0.0 is "every interface"
#   for a server but no destination for a client;
# - predict, then measure, which bind addresses answer which destinations on your machine;
# - show with two virtual machines (network namespaces) who on a LAN can reach a server
#   bound to 127.0.0.1, 0.0.0.0, ::1 and ::;
# - audit your own machine's listening services and say which are open to the network;
# - prove with interface counters that loopback traffic never touches a network card;
# - reproduce and explain EADDRINUSE and port shadowing;
# - choose the most restrictive bind that meets the need, in development and production.
#
# **Prerequisites.** Lessons 00 and 01 (127.0.0.0/8, what Linux and macOS do with it).
# Knowing that a TCP server calls `bind()`, `listen()` and `accept()` helps.
#
# **Minutes:** 30.

# %%
import platform

from loopedu import audit, experiments, measure, plots, sandbox

caps = sandbox.capabilities()
system = platform.system()
print(f"{system}; root: {caps.root}")
print("IPv6 loopback:     ", caps.ipv6_loopback)
print("network namespaces:", caps.network_namespaces)

# %% [markdown]
# The lines above are this machine's capability report (lesson 00). The experiments
# below use it: the virtual LAN needs Linux, and root or an unprivileged user namespace;
# the IPv6 rows need a working ::1. Where something is missing, the lesson says so and
# runs the best experiment available.
#
# ## What the address in `bind()` means
#
# A server picks the local address it listens on with `bind()`. Two special values come
# from the C headers, and Python's `socket` module has them too.
#
# 🔮 **Predict:** `INADDR_ANY` and `INADDR_LOOPBACK` are plain 32-bit numbers. Which
# dotted addresses are they? And what is the IPv6 "any" address?

# %%
# NBVAL_CHECK_OUTPUT
import socket
import struct


def dotted(number: int) -> str:
    return socket.inet_ntoa(struct.pack("!I", number))


print(f"INADDR_ANY      = {socket.INADDR_ANY:<11} = {dotted(socket.INADDR_ANY)}")
print(f"INADDR_LOOPBACK = {socket.INADDR_LOOPBACK:<11} = {dotted(socket.INADDR_LOOPBACK)}")
print(f"in6addr_any      = {socket.inet_ntop(socket.AF_INET6, bytes(16))}")
print(f"in6addr_loopback = {socket.inet_ntop(socket.AF_INET6, bytes(15) + bytes([1]))}")

# %% [markdown]
# `INADDR_ANY` is **0**, written 0.0.0.0; `INADDR_LOOPBACK` is 127.0.0.1. The Linux
# manual page `ip(7)` says what binding them does: "When `INADDR_ANY` is specified in the
# bind call, the socket will be bound to *all local interfaces*". A socket bound to one
# address accepts only connections to that address (the matrix below shows it). IPv6 has the same pair,
# `::` (the *unspecified* address, RFC 4291 §2.5.2) and `::1` (loopback, §2.5.3),
# documented in `ipv6(7)`.
#
# So 0.0.0.0 is not a place. As a bind address it means "whatever addresses this machine
# has, now and later": 127.0.0.1, the Wi-Fi address, the VPN's, the Docker bridge's. As a
# destination it has no meaning on the wire: RFC 1122 §3.2.1.3 allows `{0, 0}` only as a
# *source* address while a host is still learning its own (section *Break it on purpose*
# shows what Linux does when you connect to it anyway).

# %% [markdown]
# ## The reachability matrix
#
# The course starts one listener per bind address (port 0: the OS picks a free port) and
# connects to it through each destination address, on the listener's own port. A
# listener on 0.0.0.0 could be reached from your network, so where the machine allows it
# the matrix runs in a network namespace of its own, with only a loopback interface and
# this machine's IPv6 settings; elsewhere it says for how many milliseconds such a
# listener was reachable, and on which port.
#
# - bind: 127.0.0.1, 0.0.0.0, 127.42.42.42, ::1, ::
# - destination: 127.0.0.1, 127.0.0.2, 127.42.42.42, ::1
#
# 🔮 **Predict:** fill in the 5 × 4 grid before you run it. Which rows connect to
# 127.0.0.2? Can an IPv4 client reach a server bound to `::`? Can an IPv6 client reach
# one bound to 0.0.0.0?

# %%
matrix = experiments.reachability_matrix()
print(experiments.format_reachability(matrix))

# %%
fig = plots.reachability_heatmap(matrix)
fig

# %% [markdown]
# Read the figure row by row (colour and text both say the outcome; the alt text
# summarises it). The three facts that hold on every platform:

# %%
# NBVAL_CHECK_OUTPUT
def reached(bind, target):
    return matrix.outcome(bind, target).connected


print("listener on 127.0.0.1 answers 127.0.0.1:        ", reached("127.0.0.1", "127.0.0.1"))
print("listener on 0.0.0.0 answers 127.0.0.1:          ", reached("0.0.0.0", "127.0.0.1"))
print("listener on 127.0.0.1 answers 127.0.0.2:        ", reached("127.0.0.1", "127.0.0.2"))
print("listener on 127.42.42.42 answers 127.0.0.1:     ", reached("127.42.42.42", "127.0.0.1"))
print("IPv6 client (::1) reaches an IPv4 0.0.0.0 bind: ", reached("0.0.0.0", "::1"))

# %% [markdown]
# And what Linux does beyond that (observed on Debian 12 by these same experiments), beside what this
# machine did:

# %%
linux_expects = {("0.0.0.0", "127.0.0.2"): "connected",
                 ("0.0.0.0", "127.42.42.42"): "connected",
                 ("127.42.42.42", "127.42.42.42"): "connected",
                 ("::1", "::1"): "connected",
                 ("::", "127.0.0.1"): "connected"}
print(f"{'bind -> destination':<30}{'Linux':<12}this machine ({system})")
for (bind, target), expected in linux_expects.items():
    print(f"{bind + ' -> ' + target:<30}{expected:<12}{matrix.outcome(bind, target)}")
if not caps.ipv6_loopback:
    print("\nThis machine has no working ::1 (" + caps.ipv6_loopback.reason + "):"
          " the IPv6 rows show the error instead of an outcome.")

# %% [markdown]
# What the matrix shows:
#
# - **A specific bind answers only its own address.** The 127.0.0.1 listener refuses
#   127.0.0.2, although both addresses live on the same `lo` interface; the
#   127.42.42.42 listener refuses 127.0.0.1. "Refused" means the kernel answered at once
#   with a TCP reset: the address is this machine's, but no socket listens on it.
# - **0.0.0.0 answers every address the machine has.** On Linux that is the whole of
#   127.0.0.0/8 (lesson 01), so 127.0.0.2 and 127.42.42.42 connect too.
# - **Families do not mix, except through `::`.** An IPv6 client never reaches an IPv4
#   socket. A socket on `::` is *dual stack* on Linux (`net.ipv6.bindv6only=0`, the
#   default, `ipv6(7)`; RFC 3493 §5.3 `IPV6_V6ONLY`): it also accepts IPv4, and the server
#   sees the client as `::ffff:127.0.0.1`. Windows sets `IPV6_V6ONLY` by default, so there
#   the `::` row refuses IPv4 (Microsoft Learn, "Dual-Stack Sockets for IPv6 Winsock
#   Applications").
#
# The exercise notebook asks you to predict the IPv4 part of this grid.

# %% [markdown]
# ## A virtual LAN: can the phone reach the laptop?
#
# The story every web developer meets: a dev server prints `http://127.0.0.1:8000`, the
# page works on the laptop, and the phone on the same Wi-Fi gets *connection refused*.
# To show it without touching a real network, the course builds two machines inside this
# one: two network namespaces, "laptop" (198.18.0.1, 2001:2::1) and "phone" (198.18.0.2,
# 2001:2::2), joined by a virtual cable (a veth pair). The addresses come from the
# benchmarking ranges (RFC 2544, RFC 5180), which belong to no real network (IANA IPv4 and IPv6 Special-Purpose Address
# Registries).
# The laptop runs a server on each of 127.0.0.1, 0.0.0.0, ::1 and ::; the phone connects
# to the laptop's LAN address.
#
# 🔮 **Predict:** which of the four servers will the phone reach?

# %%
try:
    lan = experiments.lan_exposure_details()
except sandbox.NamespaceUnavailable as exc:
    lan = None
    print(f"The virtual LAN cannot run here: {exc}")
    print("Running the loopback stand-in instead.\n")
    print(experiments.format_lan(experiments.lan_fallback()))
else:
    print(experiments.format_lan(lan))

# %% [markdown]
# On a real LAN the phone connects to the laptop's Wi-Fi address (say 192.168.1.20, port
# 8000). A server bound to 127.0.0.1 gives "connection refused": the laptop's kernel
# answers, but nothing listens on that address. Bound to 0.0.0.0 (or `::`) the phone gets
# the page, and so does everything else on that network.
#
# With the lab (Linux, as root or in a user namespace), the phone reaches the servers on **0.0.0.0 and ::**
# and is refused by those on 127.0.0.1 and ::1, while the laptop itself reaches all four
# through its own loopback. Without the lab, the stand-in plays the same scene on one
# machine: 127.0.0.2 stands for the laptop's Wi-Fi address (an address of this machine
# that is not the one the server bound), and only the 0.0.0.0 server accepts it. On a
# real LAN you would see exactly the lab's result: the phone's packets arrive on the
# Wi-Fi interface, addressed to the laptop's Wi-Fi address, and a socket bound to
# 127.0.0.1 does not listen there. Loopback addresses never leave the host anyway:
# RFC 1122 §3.2.1.3 says they "MUST NOT appear outside a host".
#
# So to test a site from your phone: **bind 0.0.0.0 briefly** (Flask `--host 0.0.0.0`,
# Django `runserver 0.0.0.0:8000`, Vite `--host`), open the laptop's Wi-Fi address on
# the phone, and **switch back to 127.0.0.1** when you are done. While it is on 0.0.0.0,
# everyone on that network can reach the dev server, not only your phone. (Binding just
# the Wi-Fi address would also do, and is narrower still.)

# %% [markdown]
# ## What is open on this machine?
#
# An *exposed* socket listens beyond loopback: on 0.0.0.0 or `::`, or on a network
# address. `audit.audit()` asks the operating system for every listening TCP socket and
# bound UDP socket (read-only: it opens nothing).
#
# 🔮 **Predict:** how many services on your machine listen on every interface? Which ones?

# %%
machine = audit.audit()
print(audit.format_audit(machine))

# %% [markdown]
# This output is yours alone (no two machines agree, and a container sees only its own
# sockets). Among the loopback-only rows you may find the Jupyter kernel running this
# notebook: it talks to the notebook server over 127.0.0.1 (lesson 00). Read the
# *exposed* column: anything marked `yes` can be tried by every
# machine on every network you join, the café Wi-Fi included, unless a firewall stops
# the packets. Some services must be exposed (an SSH server you log in to from elsewhere);
# most developer tools need not be. Databases are the classic case: PostgreSQL defaults
# to `listen_addresses=localhost` and Redis to `bind 127.0.0.1 -::1`, but MySQL's upstream
# default is `bind_address=*`, and `python -m http.server` listens on all interfaces
# (PostgreSQL documentation, `listen_addresses`; the default `redis.conf`; MySQL Reference
# Manual, `bind_address`; Python documentation, `http.server`).

# %% [markdown]
# ## Loopback traffic never touches the network card
#
# Every interface counts the bytes it sends and receives. The course moves 10 MB from a
# client to a server over 127.0.0.1 and reads the counters before and after.
#
# 🔮 **Predict:** which counters grow, and by how much? Does the Ethernet or Wi-Fi card
# see any of it?

# %%
counters = measure.counter_experiment(10)
print(measure.format_counters(counters))

# %%
fig = plots.counters_bar(counters)
fig

# %%
loop = counters.loopback
if loop in counters.delta:
    grew = counters.delta[loop]
    print(f"{loop} counted at least the 10 MB, sent and received:",
          grew["sent"] >= 10 * measure.MB and grew["recv"] >= 10 * measure.MB)
others = {nic: counters.grew(nic) for nic in counters.delta if nic != loop}
print("largest growth on any other interface (MB):",
      f"{max(others.values(), default=0) / measure.MB:.2f}")

# %% [markdown]
# The loopback interface counts every byte twice: once sent, once received, since the
# same kernel is both ends. The real interfaces grow only by whatever else the machine
# happened to do in those milliseconds (often 0.00). The packets to 127.0.0.1 go down
# the TCP/IP stack to the `lo` device, which hands them straight back up; no driver of a
# network card ever sees them, and they cannot appear on a wire (RFC 1122 §3.2.1.3).
# (On macOS the loopback interface is called `lo0`; the experiment finds it by name.)

# %% [markdown]
# ## Ping, and a loopback that is down
#
# "`ping 127.0.0.1` proves your TCP/IP stack works" is a classic first test.
#
# 🔮 **Predict:** will 127.0.0.1 and ::1 answer? And if the loopback interface is
# *down*, what does ping say?

# %%
for address in ("127.0.0.1", "::1"):
    print(measure.format_ping(measure.ping(address)))

# %% [markdown]
# Both usually answer within a fraction of a millisecond. (If ::1 does not, IPv6 is
# disabled here: the capability report at the top says why. If neither can be pinged,
# this user may not open ICMP sockets, and the line says which methods were tried.)
#
# Loopback is an interface like any other, and an interface can be down. A fresh network
# namespace starts with `lo` DOWN (observed; network_namespaces(7)); where the machine
# allows namespaces the course pings inside one, then brings `lo` up and pings again.

# %%
try:
    lo_test = measure.ping_with_lo_down()
except sandbox.NamespaceUnavailable as exc:
    print(f"Skipped: network namespaces are not available here ({exc}).")
    print("What it shows where it runs (observed on Linux): with lo down, ping 127.0.0.1 fails with "
          "ENETUNREACH and ping ::1 with EADDRNOTAVAIL; after `ip link set lo up` both "
          "answer.")
else:
    for state, results in lo_test.items():
        for result in results:
            print(f"{state:<8}", measure.format_ping(result))

# %% [markdown]
# With `lo` down, 127.0.0.1 is **ENETUNREACH** ("network is unreachable": with `lo` down
# the namespace has no `local` route for 127/8) and ::1 is **EADDRNOTAVAIL**
# (no interface holds ::1). So a working `ping 127.0.0.1` proves the stack *and* an up
# loopback interface, nothing about the network card, the cable or the Wi-Fi.

# %% [markdown]
# ## 💥 Break it on purpose: EADDRINUSE, port shadowing, connecting to 0.0.0.0
#
# ### Two sockets, one address and port
#
# 🔮 **Predict:** a server listens on 127.0.0.1, port P. A second socket tries to bind
# 127.0.0.1, port P. What happens?

# %%
# NBVAL_CHECK_OUTPUT
clash = experiments.eaddrinuse_demo()
print("first bind: ok | second bind:", clash.second)
print(clash.second, "=", clash.explain)

# %% [markdown]
# **EADDRINUSE**: an address and port identify one listener; the kernel refuses a
# second (`bind(2)`, `ip(7)`). It is what a learner meets when a dev server from
# yesterday still runs, and the reason the course always binds port 0 and reads the
# port back (on a shared machine, fixed ports collide).
#
# ### Port shadowing
#
# 🔮 **Predict:** one program listens on 0.0.0.0:P. Another binds 127.0.0.1:P, the same
# port. Allowed? If so, who gets a connection to 127.0.0.1:P?

# %%
shadow = experiments.port_shadowing_demo()
for case in shadow.cases:
    if not case.available:
        print(f"{case.option}: this OS has no such option")
        continue
    print(f"with {case.option}: first bind 0.0.0.0 ok, second bind 127.0.0.1 "
          f"{case.second_bind}")
    for target, who in case.accepted_by:
        print(f"    a connection to {target:<10} was accepted by the listener on {who}")
print(f"({shadow.where})")
for exposure in shadow.exposures:
    print("note:", exposure)

# %% [markdown]
# On Linux (observed; socket(7), SO_REUSEPORT): with **SO_REUSEPORT** both binds succeed, and the *more
# specific* listener, 127.0.0.1, takes every connection to 127.0.0.1; the wildcard still
# gets 127.0.0.2. A second program can thus **shadow** the loopback traffic of a service
# bound to 0.0.0.0 and see what its clients send. With **SO_REUSEADDR** alone the second
# bind fails with EADDRINUSE. `socket(7)` limits SO_REUSEPORT (Linux 3.9 and later):
# every socket sharing the port must set it, and, to prevent port hijacking, later
# binders must have the same effective user ID as the first. macOS and Windows have other
# rules, so their lines may differ.
#
# ### Connecting to 0.0.0.0
#
# 🔮 **Predict:** a server listens on 127.0.0.1. A client connects to 0.0.0.0 on the same
# port. Error, or connection? (And to `::`, with a server on ::1?)

# %%
for target, row in experiments.connect_to_any_demo().items():
    print(f"connect to {target:<8} (listener on {row.bind:<9}): {str(row.outcome):<10}"
          f" server saw client {row.server_saw}")

# %% [markdown]
# On Linux both **connect**, and the server sees the client as 127.0.0.1 (or ::1): the
# kernel treats a destination of 0.0.0.0 as "this host" and delivers it over loopback
# (observed on Linux). The "0.0.0.0 Day" report found macOS doing the same; for Windows
# the course has no source, so trust your own run above. 0.0.0.0 means "all interfaces"
# only in `bind()`. This quirk is what "0.0.0.0 Day" (Oligo, 2024) used: web
# pages sent requests to 0.0.0.0 and reached services the user believed were private to
# loopback (lesson 06).

# %% [markdown]
# ## Where platforms differ
#
# The matrix above is what *this* machine did. The course's sources for the others,
# with the one that applies here marked:

# %%
for name, note in experiments.platform_notes().items():
    here = "   <- this machine" if note["applies_here"] else ""
    print(f"{name}{here}")
    print(f"  127/8:      {note['loopback_range']}")
    print(f"  dual stack: {note['dual_stack']}")
    sources = ", ".join(f"{s['name']} ({s['url']})" for s in note["sources"])
    print(f"  source:     {sources or 'observed on Debian 12; ip-route(8), ipv6(7)'}")

# %% [markdown]
# The Linux row is observed; the others come from vendor reports and bug reports, as
# labelled. If your machine is one of them and its matrix disagrees with its row, that
# is worth a note to the course authors.

# %% [markdown]
# ## In production: the most restrictive bind that meets the need
#
# Production services often *do* listen on 0.0.0.0, and that is fine when something
# else decides who may connect: a host firewall, a cloud security group, a load balancer
# or a reverse proxy in front. The common pattern on one host: the proxy (nginx, Caddy)
# binds 0.0.0.0:443 and faces the network; the application behind it binds 127.0.0.1
# and is reachable only through the proxy, with its TLS, limits and access rules.
#
# Two places where 0.0.0.0 sneaks in:
#
# - **Docker.** `docker run -p 8080:80` publishes the port on 0.0.0.0 *and* `[::]`, and
#   its NAT rules sit before ufw's, so `ufw deny 8080` does not stop it (the
#   `docker run` reference: ports "not bound to the host ... will be accessible from the
#   outside", docker/for-linux#690, moby/moby#4737). Publish local-only services as
#   `-p 127.0.0.1:8080:80`.
# - **Shared machines.** Loopback belongs to the *host*, not to a user (RFC 1122 §3.2.1.3:
#   "internal host loopback"). On a shared JupyterHub or a university server, every local
#   user can connect to your 127.0.0.1 listener. 127.0.0.1 keeps the network out, not your
#   neighbours: use authentication (Jupyter's token) or a Unix socket with file
#   permissions (lesson 05).
#
# The rule, the same in development and production:

# %%
# NBVAL_CHECK_OUTPUT
for bind in ("127.0.0.1", "::1", "127.0.0.53", "0.0.0.0", "::", "198.18.0.1"):
    verdict = "network can reach it" if audit.is_exposed(bind) else "this host only"
    print(f"bind {bind:<11} -> {verdict}")

# %% [markdown]
# Choose **127.0.0.1 (or ::1)** whenever every client runs on the same host; a specific
# network address when only one network needs it; **0.0.0.0 / ::** only when every
# network may try, and something else (firewall, proxy, authentication) guards it.

# %% [markdown]
# ## Your turn
#
# `exercises/03-bind-address-exercises.ipynb`: predict the matrix, choose bind addresses
# for four scenarios, and read an audit.
#
# ## Key points
#
# - In `bind()`, 0.0.0.0 (`INADDR_ANY`) and `::` mean every address of this machine;
#   127.0.0.1 and ::1 mean loopback only; any other address means that address only.
# - A listener answers only the destination addresses it bound: a 127.0.0.1 server
#   refuses 127.0.0.2, a 0.0.0.0 server accepts all of 127/8 on Linux.
# - A phone on the LAN reaches a laptop's server only if it binds 0.0.0.0, `::` or the
#   laptop's LAN address; bind 0.0.0.0 briefly to test, then switch back.
# - Loopback traffic is counted only by `lo`: it never reaches a network card; `lo` can
#   be down (ENETUNREACH).
# - EADDRINUSE guards an address and port; SO_REUSEPORT lets a specific bind shadow a
#   wildcard one; connecting to 0.0.0.0 reaches loopback on Linux.
# - Docker `-p` publishes on 0.0.0.0 past ufw; on a shared host every user can reach
#   your 127.0.0.1. Use the most restrictive bind that meets the need.
#
# ## Sources
#
# - Linux manual pages: `ip(7)` (INADDR_ANY, INADDR_LOOPBACK, EADDRINUSE), `ipv6(7)`
#   (in6addr_any, IPV6_V6ONLY, `net.ipv6.bindv6only`), `socket(7)` (SO_REUSEADDR,
#   SO_REUSEPORT), `bind(2)`, `ip-route(8)`.
# - RFC 1122 §3.2.1.3 (0.0.0.0 and 127/8); RFC 4291 §2.5.2 and §2.5.3 (`::` and ::1);
#   RFC 3493 §5.3 (IPV6_V6ONLY); RFC 2544 and RFC 5180 (the lab's benchmarking ranges).
# - Observations on Debian 12 with Python 3.11, reproduced by this lesson's own experiments.
# - Platform reports: iproute2mac issue 40, norouter issue 2, microsoft/WSL issue 11766,
#   MicrosoftDocs/WSL issue 1337.
# - Docker: the `docker run --publish` reference
#   (https://docs.docker.com/engine/reference/commandline/run/), docker/for-linux issue
#   690, moby/moby issue 4737.
# - "0.0.0.0 Day", Oligo Security, 2024; Chrome status entry 5106143060033536.
