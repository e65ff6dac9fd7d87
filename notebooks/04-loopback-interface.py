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
# # 04 · lo, an interface like any other
#
# **Objectives.** After this lesson you can:
# - prove with interface counters that loopback traffic is counted by `lo` and by no
#   network card *(exercise 04.counters)*;
# - say what `ping 127.0.0.1` proves, and what happens to 127.0.0.1 and ::1 when `lo` is
#   down *(exercise 04.lo-down)*;
# - audit your machine's listening sockets and say which ones other machines can reach
#   *(exercise 04.read-audit)*;
# - reproduce port shadowing with SO_REUSEPORT and say which listener gets a loopback
#   connection *(exercise 04.shadowing)*.
#
# **Prerequisites.** Lesson 03 (what `bind()` means).
#
# **Minutes:** 25 teaching + 15 exercises.

# %%
from loopedu import doctor, measure, plots, sandbox
from loopedu.exercises import predict, reveal

print("this machine:", doctor.this_machine())

# %% [markdown]
# ## Where does loopback traffic go?
#
# Every [interface](glossary.md#interface) counts the bytes it sends and receives: the
# wired card (`eth0`, `enp3s0`…), the Wi-Fi card, and the loopback interface
# [`lo`](glossary.md#lo) (`lo0` on macOS). The plain way to see it: read the counters
# (the `psutil` library asks the operating system), send a million bytes from a client to
# a server over 127.0.0.1, read the counters again.

# %%
import socket
import threading

import psutil


def receive(server, sizes):
    conn, _ = server.accept()
    with conn:
        while data := conn.recv(65536):
            sizes.append(len(data))


before = psutil.net_io_counters(pernic=True)
with socket.create_server(("127.0.0.1", 0)) as server:
    sizes = []
    reader = threading.Thread(target=receive, args=(server, sizes))
    reader.start()
    with socket.create_connection(server.getsockname()) as client:
        client.sendall(b"x" * 1_000_000)
    reader.join()
after = psutil.net_io_counters(pernic=True)
print("the server received", sum(sizes), "bytes")
for nic in after:
    print(f"{nic:<10} sent counter grew by "
          f"{after[nic].bytes_sent - before[nic].bytes_sent:>9,} bytes")

# %% [markdown]
# The course's helper does the same with 10 MB and draws it.

# %%
# 🔮 Your prediction: does each counter grow by at least the 10 MB? (True or False)
prediction = {"lo sent": ..., "lo received": ..., "any network card": ...}
### BEGIN SOLUTION
prediction = {"lo sent": True, "lo received": False, "any network card": True}
### END SOLUTION
predict("04.counters", prediction)

# %%
counters = measure.counter_experiment(10)
print(measure.format_counters(counters))
loop = counters.loopback
others = [nic for nic in counters.delta if nic != loop]
reveal("04.counters",
       {"lo sent": loop in counters.delta and counters.delta[loop]["sent"] >= 10 * measure.MB,
        "lo received": loop in counters.delta
        and counters.delta[loop]["recv"] >= 10 * measure.MB,
        "any network card": any(counters.grew(nic) >= 10 * measure.MB for nic in others)},
       why="the same kernel is both ends: lo counts each byte once sent and once "
           "received; the packets go down the stack to lo, which hands them straight back "
           "up, and no network card's driver ever sees them.")

# %%
plots.counters_bar(counters)

# %% [markdown]
# The network cards grow only by whatever else the machine happened to do in those
# milliseconds. (Windows reports no counters for its loopback pseudo-interface; there
# only the real cards can be checked, and they should stay still.)
#
# ## Ping, and a loopback that is down
#
# "`ping 127.0.0.1` proves your TCP/IP stack works" is a classic first test.
# [Ping](glossary.md#icmp) sends an ICMP *echo request* and waits for the *echo reply*.
# The course pings from Python the way the system `ping` does (an unprivileged ICMP
# socket where the system allows it, a raw socket as root, else the `ping` command).

# %%
for address in ("127.0.0.1", "::1"):
    print(measure.format_ping(measure.ping(address)))

# %% [markdown]
# Both usually answer within a fraction of a millisecond. (If ::1 does not, IPv6 is off
# here: lesson 05. If neither can be pinged, this user may not open ICMP sockets, and the
# line says which methods were tried.)
#
# ## 💥 Break it on purpose: take `lo` down
#
# Loopback is an interface like any other, and an interface can be *down*. A fresh
# [network namespace](glossary.md#network-namespace) starts with `lo` down
# (network_namespaces(7)); where the machine allows namespaces the course pings inside
# one, then brings `lo` up and pings again.

# %%
# 🔮 Your prediction: with lo down, what does ping 127.0.0.1 get?
# ("replies", "timeout", or an errno name such as "ECONNREFUSED" or "ENETUNREACH")
prediction = ...
### BEGIN SOLUTION
prediction = "timeout"
### END SOLUTION
predict("04.lo-down", prediction)

# %%
try:
    lo_test = measure.ping_with_lo_down()
except sandbox.NamespaceUnavailable as exc:
    print(f"Not run here: network namespaces are not available ({exc}).")
    got = "not run"
else:
    for state, results in lo_test.items():
        for result in results:
            print(f"{state:<8}", measure.format_ping(result))
    got = lo_test["lo down"][0].error
reveal("04.lo-down", got,
       why="with lo down the namespace has no route for 127/8, so the kernel refuses to "
           "send at all: ENETUNREACH ('network is unreachable'); ::1 is not even assigned "
           "until lo comes up (EADDRNOTAVAIL). Observed on Linux; where namespaces are "
           "missing, that is what you would see.")

# %% [markdown]
# [ENETUNREACH](glossary.md#enetunreach) means there is no route;
# [EADDRNOTAVAIL](glossary.md#eaddrnotavail) that no interface holds the address. So a
# working `ping 127.0.0.1` proves the stack *and* an up loopback interface, and nothing
# about the network card, the cable or the Wi-Fi.
#
# ## What is open on this machine?
#
# An *exposed* socket listens beyond loopback: on 0.0.0.0 or `::`, or on a network
# address (lesson 03). `audit.audit()` asks the operating system for every listening TCP
# socket and bound UDP socket (read-only: it opens nothing).

# %%
from loopedu import audit

print(audit.format_audit(audit.audit()))

# %% [markdown]
# This output is yours alone: no two machines agree, and a container sees only its own
# sockets. Among the loopback-only rows you may find the Jupyter kernel running this
# notebook (lesson 00). Anything marked `yes` can be tried by every machine on every
# network you join, the café Wi-Fi included, unless a [firewall](glossary.md#firewall)
# stops the packets. Databases are the classic case: PostgreSQL defaults to
# `listen_addresses=localhost` and Redis to `bind 127.0.0.1 -::1`, but MySQL's upstream
# default is `bind_address=*`, and `python -m http.server` listens on all interfaces.

# %% [markdown]
# ## 💥 Break it on purpose: port shadowing
#
# One program listens on 0.0.0.0, port P. Another binds 127.0.0.1, the *same* port, with
# the socket option [SO_REUSEPORT](glossary.md#reuseport) set on both. Allowed? If so,
# who gets a connection to 127.0.0.1:P? (The experiment listens on 0.0.0.0, so it runs
# in a network namespace of its own where the machine allows it.)

# %%
# 🔮 Your prediction: which listener accepts a connection to 127.0.0.1:P, and to 127.0.0.2:P?
prediction = {"127.0.0.1": ..., "127.0.0.2": ...}
### BEGIN SOLUTION
prediction = {"127.0.0.1": "0.0.0.0", "127.0.0.2": "0.0.0.0"}
### END SOLUTION
predict("04.shadowing", prediction)

# %%
from loopedu import bind_demos

shadow = bind_demos.port_shadowing_demo()
for case in shadow.cases:
    if not case.available:
        print(f"{case.option}: this OS has no such option")
        continue
    print(f"with {case.option}: second bind (127.0.0.1) {case.second_bind}")
    for target, who in case.accepted_by:
        print(f"    a connection to {target:<10} was accepted by the listener on {who}")
print(f"({shadow.where})")
for exposure in shadow.exposures:
    print("note:", exposure)
reuseport = next(c for c in shadow.cases if c.option == "SO_REUSEPORT")
reveal("04.shadowing", dict(reuseport.accepted_by),
       why="among listeners on one port, the kernel gives a connection to the most "
           "specific one that matches its destination: 127.0.0.1 beats 0.0.0.0 for "
           "127.0.0.1, while 127.0.0.2 still goes to the wildcard (observed on Linux).")

# %% [markdown]
# So a second program can **shadow** the loopback traffic of a service bound to 0.0.0.0
# and see what its clients send. `socket(7)` limits it: every socket sharing the port must
# set SO_REUSEPORT, and later binders must have the same effective user ID as the first.
# With SO_REUSEADDR alone the second bind fails with
# [EADDRINUSE](glossary.md#eaddrinuse) on Linux. Other systems have other rules: on
# Windows, SO_REUSEADDR lets a second socket bind a port another one holds ("socket
# stealing"), which a server prevents with SO_EXCLUSIVEADDRUSE (Microsoft Learn, "Using
# SO_REUSEADDR and SO_EXCLUSIVEADDRUSE"); the BSDs and macOS follow their own
# SO_REUSEPORT rules. So their lines may differ from Linux's.

# %% [markdown]
# ## Your turn
#
# [The exercises](../exercises/04-loopback-interface-exercises.ipynb): read the counters,
# take `lo` down, read an audit, and share a port.
#
# ## Key points
#
# - Loopback traffic is counted only by `lo`, once sent and once received: it never
#   reaches a network card.
# - `lo` can be down: then 127.0.0.1 is unreachable (ENETUNREACH) and ::1 is not assigned
#   (EADDRNOTAVAIL). `ping 127.0.0.1` proves the stack and `lo`, nothing more.
# - An audit of listening sockets shows what every network you join can try; anything
#   beyond loopback is exposed unless something else guards it.
# - With SO_REUSEPORT a specific bind shadows a wildcard one for its own address.
#
# ## Sources
#
# - Linux manual pages: `network_namespaces(7)`, `socket(7)` (SO_REUSEADDR,
#   SO_REUSEPORT), `ip(7)`, `icmp(7)` (ping sockets, `net.ipv4.ping_group_range`),
#   `ping(8)`, `errno(3)`.
# - RFC 792 (ICMP echo), RFC 4443 (ICMPv6 echo), RFC 1122 §3.2.1.3 (127/8 is internal
#   host loopback).
# - psutil documentation, `net_io_counters(pernic=True)`.
# - Microsoft Learn, "Using SO_REUSEADDR and SO_EXCLUSIVEADDRUSE".
# - PostgreSQL documentation, `listen_addresses`; the default `redis.conf`; MySQL
#   Reference Manual, `bind_address`; Python documentation, `http.server`.
# - Observations on Debian 12 with Python 3.11, reproduced by this lesson's own
#   experiments.
