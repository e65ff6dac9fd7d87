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
# - measure, with interface counters, which interface carries traffic to 127.0.0.1 and
#   to this machine's own address *(exercise 04.counters)*;
# - predict what breaks when `lo` goes down, ping included *(exercises 04.lo-down,
#   04.ping)*;
# - read an audit of listening sockets to find those other machines can reach
#   *(exercise 04.read-audit)*;
# - share one port between two sockets with SO_REUSEPORT, in code, knowing which one
#   then gets a loopback connection *(exercises 04.share-port, 04.shadowing)*.
#
# **Prerequisites.** Lesson 03 (what `bind()` means).
#
# **Minutes:** 37 teaching + 22 exercises; Going further: 4 more.

# %% [markdown]
# The lesson follows `lo` through four questions:
#
# 1. Which interface carries loopback traffic?
# 2. What breaks when `lo` goes down?
# 3. What is open on this machine?
# 4. Can two sockets listen on one port?
#
# ## Where does loopback traffic go?
#
# Which interface carries loopback traffic? Every [interface](glossary.md#interface) counts the bytes it sends and receives: the
# wired card (`eth0`, `enp3s0`…), the Wi-Fi card, and the loopback interface
# [`lo`](glossary.md#lo) (`lo0` on macOS). The experiment: read the counters, send a
# million bytes from a client to a server over 127.0.0.1, read the counters again.

# %%
from loopedu import bind_demos, doctor, drawings, lo_down, own_address
from loopedu.exercises import explain, predict, reveal

# 🔮 Your prediction: does each counter grow by at least the 1 MB sent? (True or False)
prediction = {"lo sent": ..., "lo received": ..., "any network card": ...}
### BEGIN SOLUTION
prediction = {"lo sent": True, "lo received": True, "any network card": False}
### END SOLUTION
predict("04.counters", prediction)

# %% [markdown]
# The plain calls: the `psutil` library reads the counters from the operating system.

# %%
import socket
import threading

import psutil

MB = 1_000_000


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
        client.sendall(b"x" * MB)
    reader.join()
after = psutil.net_io_counters(pernic=True)
grew = {nic: (after[nic].bytes_sent - before[nic].bytes_sent,
              after[nic].bytes_recv - before[nic].bytes_recv)
        for nic in after if nic in before}
print("this machine:", doctor.this_machine())
for nic, (sent, received) in grew.items():
    print(f"{nic:<10} sent +{sent:>9,}   received +{received:>9,} bytes")
loop = next((nic for nic in grew if nic.startswith("lo")), None)
reveal("04.counters",
       {"lo sent": loop is not None and grew[loop][0] >= MB,
        "lo received": loop is not None and grew[loop][1] >= MB,
        "any network card": any(max(grew[nic]) >= MB for nic in grew if nic != loop)})

# %% [markdown]
# `lo` counts the million bytes twice, plus TCP/IP headers. The network cards grow only by
# whatever else the machine did meanwhile. The drawing shows why; its caption says it in
# words.

# %%
drawings.packet_path()

# %% [markdown]
# No link layer decides this. IP's routing decision does. The kernel keeps a routing table
# named `local`; `ip route show table local` lists `local 127.0.0.0/8 dev lo`. A route of
# that type sends the packet to `lo`, and `lo` hands it straight back up the stack.
#
# The same route type covers this machine's *own* network addresses. Here a "laptop"
# namespace has a network card `eth0` with 198.18.0.1. It sends 1 MB to itself, with
# `eth0` up, then down, then deleted. (`eth0` is one end of a virtual cable, a veth
# pair: the output's "peer" is the other end, and deleting it deletes `eth0` too.)

# %%
mine = own_address.own_address_demo()
print(own_address.format_own_address(mine, brief=True))

# %% [markdown]
# The route is `local 198.18.0.1 dev lo`. The bytes go over `lo`, even with
# `eth0` down and its cable out.
#
# Only deleting the card removes the address itself. Then no route leads to 198.18.0.1
# ("Network is unreachable"). The server cannot bind it either: `EADDRNOTAVAIL`, "that
# address is not on this machine" (bind(2)).
#
# So `lo` carries everything a machine sends to itself. What breaks when `lo` goes down?
#
# ## 💥 Break it on purpose: take `lo` down
#
# What breaks when `lo` goes down? The classic first test is `ping 127.0.0.1`.
# [Ping](glossary.md#icmp) sends an ICMP *echo request* and waits for the *echo reply*.
#
# In a terminal that is `ping -c 1 127.0.0.1`. From Python, a program needs a raw socket
# or a "ping socket" (icmp(7)). Linux grants ping sockets only to the groups in
# `net.ipv4.ping_group_range`. So the course's helper `measure.ping()` tries each way.

# %%
from loopedu import measure

for address in ("127.0.0.1", "::1"):
    print(measure.format_ping(measure.ping(address)))

# %% [markdown]
# Both usually answer in a fraction of a millisecond. If ::1 does not answer, IPv6 is off
# here: lesson 05.
#
# A reply proves IP, ICMP and `lo`. It proves nothing about the network card, or TCP.
# And ping can fail while TCP works: `net.ipv4.icmp_echo_ignore_all=1` silences it
# (ip-sysctl.rst).
#
# Now take `lo` down. An interface can be *down* in two cases. A brand-new
# [network namespace](glossary.md#network-namespace), as a container starts, has a `lo`
# that was never up (network_namespaces(7)). Or `lo` was up, and
# someone ran `ip link set lo down`. The course makes one namespace of each kind. In
# each, a client connects to a server on 127.0.0.1 (waiting 2 s at most).

# %%
# 🔮 Your prediction: what does connect() to 127.0.0.1 get in each case?
# ("connected", "timeout", or an errno name such as "ECONNREFUSED" or "ENETUNREACH")
prediction = {"lo never up": ..., "lo up, then down": ...}
### BEGIN SOLUTION
prediction = {"lo never up": "ENETUNREACH", "lo up, then down": "ENETUNREACH"}  # an example
### END SOLUTION
predict("04.lo-down", prediction)

# %%
down = lo_down.lo_down_demo()
print(lo_down.format_lo_down(down, brief=True))
reveal("04.lo-down", {case: down.outcomes[case]["connect 127.0.0.1"]
                      for case in (lo_down.NEVER_UP, lo_down.UP_THEN_DOWN)},
       recorded=None if down.live else down.where)

# %%
# ✍️ Your explanation, in one line: why do the two cases differ?
explanation = ...
### BEGIN SOLUTION
explanation = "set down, the route stays and the SYN is lost; never up, no route"
### END SOLUTION
explain("04.lo-down", explanation)

# %% [markdown]
# - **Never up**: no address and no `local` table. So there is no route:
#   [ENETUNREACH](glossary.md#enetunreach), "network is unreachable", at once.
# - **Up, then down**: 127.0.0.1/8 and its `local` route stay. The kernel sends the SYN
#   to `lo`, which drops it. So `connect()` times out, and ping gets no reply. A real host
#   or container does this.
# - **Both**: ::1 is gone. IPv6 removes its addresses from an interface that goes down.
#   So binding ::1 gives [EADDRNOTAVAIL](glossary.md#eaddrnotavail).
#
# With `lo` down, every service on 127.0.0.1 is cut off. Which services are those?
#
# ## What is open on this machine?
#
# What is open on this machine? Lesson 03 asked who can reach one server. Now ask it of
# every listener here.
#
# A socket is *exposed* when it listens beyond loopback: on 0.0.0.0, `::`, or a network
# address. The plain call is `psutil.net_connections()`, kept to the listening sockets.
# The helper `audit.audit()` adds UDP, process names and an `exposed` column. It only
# reads; it opens nothing.

# %%
from loopedu import audit

try:
    listening = [c for c in psutil.net_connections(kind="inet") if c.status == "LISTEN"]
    print(len(listening), "TCP sockets listen, on", sorted({c.laddr.ip for c in listening}))
except psutil.AccessDenied:  # macOS lists every socket to root only; audit() asks per process
    print("the system-wide list needs root here")
print(audit.format_audit(audit.audit(), report=False, brief=True))

# %% [markdown]
# 127.x and `::1` are loopback: only this machine connects. Every other address is
# exposed, marked `yes`. (The table counts the loopback sockets by address.)
#
# An exposed socket can be tried from every network you join, café Wi-Fi included.
# Only a [firewall](glossary.md#firewall) in the way stops the packets.
#
# The list is yours alone: a container sees only its own sockets. (Going further: what
# databases bind by default.)
#
# Each socket in that list holds its port alone. Or can two share one?
#
# ## 💥 Break it on purpose: two listeners, one port
#
# Can two sockets listen on one port? Normally not. The socket option
# [SO_REUSEPORT](glossary.md#reuseport) allows it, under two rules (`socket(7)`):
#
# - every socket sharing the port sets the option;
# - all of them belong to the same user.
#
# First the plain calls. An ordinary service binds 127.0.0.1 without the option. A second
# socket sets it and tries the same address and port.

# %%
import errno

with socket.socket() as service, socket.socket() as intruder:
    service.bind(("127.0.0.1", 0))            # an ordinary service: no option set
    service.listen()
    if hasattr(socket, "SO_REUSEPORT"):       # Windows has no SO_REUSEPORT
        intruder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        intruder.bind(service.getsockname())  # the same address and port
        print("second bind: ok")
    except OSError as err:
        print("second bind:", errno.errorcode[err.errno])

# %% [markdown]
# [EADDRINUSE](glossary.md#eaddrinuse). The service did not opt in, so it cannot be
# shared.
#
# Now both opt in. One listener binds 0.0.0.0, port P. Another binds 127.0.0.1, the same
# port. Clients connect to 127.0.0.1:P and to 127.0.0.2:P.
#
# The 0.0.0.0 listener would be reachable from your network. So this runs in a network
# namespace of its own. Without namespaces it says "not run" (Going further says why).

# %%
# 🔮 Your prediction: which listener accepts a connection to 127.0.0.1:P, and to 127.0.0.2:P?
prediction = {"127.0.0.1": ..., "127.0.0.2": ...}
### BEGIN SOLUTION
prediction = {"127.0.0.1": "0.0.0.0", "127.0.0.2": "0.0.0.0"}  # an example prediction
### END SOLUTION
predict("04.shadowing", prediction)

# %%
shadow = bind_demos.port_shadowing_demo()
print(bind_demos.format_shadowing(shadow, "SO_REUSEPORT"))
reuseport = next(c for c in shadow.cases if c.option == "SO_REUSEPORT")
reveal("04.shadowing", dict(reuseport.accepted_by))

# %%
# ✍️ Your explanation, in one line: why does 127.0.0.1 go to the second listener?
explanation = ...
### BEGIN SOLUTION
explanation = "the kernel prefers the listener bound to the exact address"
### END SOLUTION
explain("04.shadowing", explanation)

# %% [markdown]
# So a second program can **shadow** the loopback traffic of a service on 0.0.0.0. It
# then reads what the service's clients send. It needs the same user, and a service that
# set SO_REUSEPORT.

# %% [markdown]
# ## Your turn
#
# [The exercises](../exercises/04-loopback-interface-exercises.ipynb): measure the
# counters in your own code, find why a ping gets no reply, take `lo` down for other addresses and UDP, read an
# audit, share a port in your own code, and shadow another address.
#
# ## Key points
#
# - Loopback traffic is counted only by `lo`, once sent and once received. So is traffic
#   to this machine's own network addresses: the `local` table routes both to `lo`.
# - `ping 127.0.0.1` proves IP, ICMP and `lo`: not TCP, not the network card.
# - `lo` never up (a new namespace): no route, ENETUNREACH at once. `lo` set down: the
#   route stays, connections time out. ::1 is gone in both (EADDRNOTAVAIL).
# - An audit of listening sockets shows what every network you join can try.
# - With SO_REUSEPORT on every socket, a specific bind shadows a wildcard for its own
#   address.
#
# ## Going further
#
# **Windows counters.** Windows reports no counters for its loopback. There only the real
# cards can be checked.
#
# **The local table's line.** `print(own_address.format_own_address(mine))` prints each
# step in full. Its `local table` line names `eth0`: the table files the route under the
# card that owns the address. The packet itself still goes out through `lo`.
#
# **"bind ok" proves nothing with lo never up.** `print(lo_down.format_lo_down(down))`
# adds two binds. Never up, `bind()` accepts 127.0.0.1, and even 198.51.100.7. With no
# local table the kernel cannot tell them apart from its own addresses.
#
# **Checking it yourself on Linux.** `ip route show table local`, `ip route get
# 127.0.0.1` and `ip -s link show lo` show the route and the counters. `lo` reports one
# counter as both sent and received (`loopback_get_stats64` in `drivers/net/loopback.c`).
#
# **The whole audit.** `print(audit.format_audit(audit.audit()))` adds a report after
# the table: what each exposed socket means, and what stayed hidden. The command
# `loopedu audit` prints the same; `loopedu audit --json` gives plain data.
#
# **Databases' default binds.** PostgreSQL defaults to `listen_addresses=localhost`.
# MySQL's upstream default is `bind_address=*`, every address.
#
# **Redis's default bind.** Redis ships a `redis.conf` with `bind 127.0.0.1 -::1`.
# Without that file, its compiled-in default is every address (`CONFIG_DEFAULT_BINDADDR
# {"*", "-::*"}` in `src/server.h`). Then only its protected mode turns away other
# machines, until someone sets a password.
#
# **SO_REUSEADDR is not enough.** On Linux, with SO_REUSEADDR alone, the second bind
# fails: `print(bind_demos.format_shadowing(shadow, "SO_REUSEADDR"))` shows it.
#
# **Where the demo listens.** The 0.0.0.0 listener runs in a network namespace. Without
# one, `bind_demos.port_shadowing_demo(expose=True)` runs it on this machine's own
# network, briefly reachable from it.
#
# **Other systems share ports differently.** On Windows, SO_REUSEADDR lets a second socket
# bind a port another one holds ("socket stealing"). A server prevents it with
# SO_EXCLUSIVEADDRUSE (Microsoft Learn). The BSDs and macOS follow their own SO_REUSEPORT
# rules, and do not spread connections over the sockets as Linux does.
#
# **How the course pings.** `measure.ping()` names its way: "via raw" is a raw ICMP socket,
# opened as root. Linux lets an ordinary user open ICMP "ping sockets" when the sysctl
# `net.ipv4.ping_group_range` includes the user's group (icmp(7)). Otherwise the course
# runs the `ping` command. If nothing works, the line says which ways were tried.
#
# ## Sources
#
# - Linux manual pages: `network_namespaces(7)`, `socket(7)` (SO_REUSEADDR,
#   SO_REUSEPORT), `ip(7)`, `icmp(7)` (ping sockets, `net.ipv4.ping_group_range`),
#   `ip-route(8)` (route types, `table local`), `ip-link(8)`, `ping(8)`, `errno(3)`.
# - Linux Documentation/networking/ip-sysctl.rst (`icmp_echo_ignore_all`);
#   `drivers/net/loopback.c`; `net/ipv4/route.c`; `net/ipv6/addrconf.c` (addresses removed
#   when an interface goes down).
# - RFC 792 (ICMP echo), RFC 4443 (ICMPv6 echo), RFC 1122 §3.2.1.3 (127/8 is internal
#   host loopback); RFC 5737 (198.51.100.0/24, the address only ever bound).
# - psutil documentation, `net_io_counters(pernic=True)`.
# - Microsoft Learn, "Using SO_REUSEADDR and SO_EXCLUSIVEADDRUSE".
# - PostgreSQL documentation, `listen_addresses`; MySQL Reference Manual, `bind_address`;
#   Redis: the shipped `redis.conf` (`bind 127.0.0.1 -::1`, `protected-mode yes`) and
#   `src/server.h` (`CONFIG_DEFAULT_BINDADDR`).
# - Observations on Debian 12 with Python 3.11, reproduced by this lesson's own
#   experiments.
