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
# - say what the address given to `bind()` means (one address, loopback only, or every
#   address), and predict which destinations each bind answers *(exercise
#   03.predict-matrix)*;
# - write a server that binds one address, and measure who reaches it on your machine
#   *(exercise 03.serve-local)*;
# - say who can reach a server bound to 127.0.0.1, 0.0.0.0 or one LAN address, from the
#   LAN and from another network *(exercise 03.phone-reaches)*;
# - choose the most restrictive bind that meets the need *(exercise 03.choose-bind)*.
#
# **Prerequisites.** Lessons 00 and 01 (127.0.0.0/8, and what Linux and macOS do with it).
#
# **Minutes:** 34 teaching + 20 exercises; Going further: 5 more.

# %% [markdown]
# ## What the address in `bind()` means
#
# A server [socket](glossary.md#socket) picks the address it listens on with
# [`bind()`](glossary.md#bind). Two values are special. `INADDR_ANY` is written
# **0.0.0.0** (the [unspecified address](glossary.md#unspecified)). `INADDR_LOOPBACK` is
# **127.0.0.1**. The manual page `ip(7)` says a socket bound to `INADDR_ANY` is bound "to
# *all local interfaces*". IPv6 has the same pair: `::` and `::1`.
#
# So in `bind()`, 0.0.0.0 is not a place but a wildcard. Which destinations does it
# cover, and does it cover the other family? The experiment below measures it.
#
# Now five servers listen, one per bind address: 127.0.0.1, 0.0.0.0, 127.42.42.42, ::1
# and `::`. Clients connect to 127.0.0.1, 127.0.0.2, 127.42.42.42 and ::1. Which pairs
# connect? Predict four of them.

# %%
from loopedu import doctor, drawings, lan, reachability, sandbox, weak_host
from loopedu.exercises import NOT_MEASURED, explain, predict, reveal

# 🔮 Your prediction: "connected" or "refused" for each pair (bind -> destination)?
prediction = {"127.0.0.1 -> 127.0.0.2": ..., "0.0.0.0 -> 127.0.0.2": ...,
              "0.0.0.0 -> ::1": ..., ":: -> 127.0.0.1": ...}
### BEGIN SOLUTION
prediction = {"127.0.0.1 -> 127.0.0.2": "connected", "0.0.0.0 -> 127.0.0.2": "connected",
              "0.0.0.0 -> ::1": "connected", ":: -> 127.0.0.1": "refused"}
### END SOLUTION
predict("03.matrix", prediction)

# %% [markdown]
# First the plain socket calls for one row. A server binds 127.0.0.1 on port 0, so the
# kernel picks a free [port](glossary.md#port). A client connects to 127.0.0.1, then to
# 127.0.0.2. On Linux both addresses belong to this machine (lesson 01).

# %%
import errno
import socket

with socket.socket() as server:
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    for destination in ("127.0.0.1", "127.0.0.2"):
        with socket.socket() as client:
            client.settimeout(2)
            code = client.connect_ex((destination, port))   # 0, or the error number
            print(f"connect to {destination}:",
                  "connected" if code == 0 else errno.errorcode[code])

# %% [markdown]
# [`ECONNREFUSED`](glossary.md#econnrefused) is the [errno](glossary.md#errno) name of
# "connection refused". The packet reached this machine, but no socket listens on *that
# address* at that port. So the kernel answers the client's [SYN](glossary.md#syn) with a
# reset, and `connect()` fails at once.
#
# The course repeats those calls for every pair. A listener on 0.0.0.0 or `::` could be
# reached from your network while it runs. So the matrix runs in a
# [network namespace](glossary.md#network-namespace) of its own: a private network inside
# this machine, with only a loopback interface. Linux makes them as root, or in a
# [user namespace](glossary.md#user-namespace). Without namespaces, those two rows say
# "not run" (Going further says how to run them anyway).

# %%
print("this machine:", doctor.this_machine())
matrix = reachability.reachability_matrix()
print(reachability.format_reachability(matrix))
reveal("03.matrix", {f"{b} -> {t}": str(matrix.outcome(b, t))
                     for b, t in [("127.0.0.1", "127.0.0.2"), ("0.0.0.0", "127.0.0.2"),
                                  ("0.0.0.0", "::1"), ("::", "127.0.0.1")]})

# %%
# 💬 Your explanation, in one line: why did the surprising cells come out that way?
explanation = ...
### BEGIN SOLUTION
explanation = ("127.0.0.2 is another address, so the 127.0.0.1 listener refuses it; "
               "0.0.0.0 covers IPv4 only, and :: covers IPv4 too")
### END SOLUTION
explain("03.matrix", explanation)

# %% [markdown]
# - **A specific bind answers only its own address.** The 127.0.0.1 listener refuses
#   127.0.0.2.
# - **0.0.0.0 answers every IPv4 address the machine has.** On Linux that is all of
#   127.0.0.0/8.
# - **Families do not mix, except through `::`.** A socket on `::` is
#   [dual stack](glossary.md#dual-stack) on Linux: it also accepts IPv4 (lesson 05).
#
# Other systems differ. macOS answers only 127.0.0.1 in 127/8 (lesson 01). Windows turns
# dual stack off by default, so there the `::` row refuses IPv4.
#
# ## A virtual LAN: can the phone reach the laptop?
#
# A dev server prints `http://127.0.0.1:8000`. The page works on the laptop. Will it
# work on the phone on the same Wi-Fi, at the laptop's address?
#
# The course builds two machines inside this one, without touching a real network. Two
# namespaces, "laptop" (198.18.0.1) and "phone" (198.18.0.2), are joined by a virtual
# cable (a [veth pair](glossary.md#veth)). These addresses belong to no real network (RFC
# 2544). The laptop runs a server on each of 127.0.0.1, 0.0.0.0, ::1 and `::`. The phone
# connects to the laptop's LAN address.

# %%
# 🔮 Your prediction: will the phone reach the server bound to each address? (True/False)
prediction = {"127.0.0.1": ..., "0.0.0.0": ..., "::1": ..., "::": ...}
### BEGIN SOLUTION
prediction = {"127.0.0.1": False, "0.0.0.0": True, "::1": False, "::": True}  # an example
### END SOLUTION
predict("03.phone-reaches", prediction)

# %%
try:
    lab = lan.lan_exposure_details()
except sandbox.NamespaceUnavailable as exc:
    print(f"Not run here: the virtual LAN needs network namespaces ({exc}).")
    print(lan.format_lan(lan.lan_fallback()))   # a stand-in on this machine's loopback
    reached = NOT_MEASURED
else:
    print(lan.format_lan(lab))
    reached = lab.reached
reveal("03.phone-reaches", reached)

# %% [markdown]
# The phone reaches only the servers on **0.0.0.0 and `::`**. On a real LAN the phone
# connects to the laptop's Wi-Fi address, say 192.168.1.20. A server bound to 127.0.0.1
# refuses it. One bound to 0.0.0.0 serves the page, to the phone and to everyone else on
# that network.
#
# The drawing sums up both experiments. Follow each listener to the destinations it
# answers. Its caption says the same in words.

# %%
drawings.bind_matrix()

# %% [markdown]
# So, to test a site from your phone, **bind 0.0.0.0 briefly** (Flask `--host 0.0.0.0`,
# Django `runserver 0.0.0.0:8000`, Vite `--host`). Open the laptop's Wi-Fi address on the
# phone. **Switch back to 127.0.0.1** when you are done.
#
# ## One LAN address: does it keep other networks out?
#
# Now the laptop binds its Wi-Fi address instead of 0.0.0.0. Who can reach it? Here the
# laptop is on two networks: lan0 with the phone, and lan1 with another machine, "other".
# The server binds 198.18.0.1, the lan0 address. "other" sends its packets for 198.18.0.1
# to the laptop. Any machine on lan1 can add such a route for itself.

# %%
# 🔮 Your prediction: does "other", on lan1, reach the server bound to 198.18.0.1?
# (True or False) And the phone, on lan0?
prediction = {"phone": ..., "other": ...}
### BEGIN SOLUTION
prediction = {"phone": True, "other": False}  # an example prediction
### END SOLUTION
predict("03.weak-host", prediction)

# %%
result = weak_host.weak_host_demo()
print(result.where if result.live else f"recorded: {result.where}")
for attempt in result.attempts:   # the plain bind; Going further shows the rest
    if attempt.setup == weak_host.SETUPS[0] and attempt.target == weak_host.LAPTOP_LAN0:
        print(f"  {attempt.client} -> {attempt.target}: {attempt.note or attempt.outcome}")
reveal("03.weak-host", result.reached[weak_host.SETUPS[0]],
       recorded=None if result.live else result.where)

# %%
# 💬 Your explanation, in one line: why does "other" get in?
explanation = ...
### BEGIN SOLUTION
explanation = "the address belongs to the whole host, so any interface may deliver it"
### END SOLUTION
explain("03.weak-host", explanation)

# %% [markdown]
# Linux follows the [weak host model](glossary.md#weak-host) (RFC 1122 §3.3.4.2): an
# address belongs to the host, not to one interface. A bind picks the destination
# address, not the network. So **a LAN bind does not keep other networks out**. A
# [firewall](glossary.md#firewall) rule on the interface does (Going further).
#
# ## In production: the most restrictive bind that meets the need
#
# Production services often listen on 0.0.0.0. That is fine when something else decides
# who may connect: a firewall, a cloud security group, a load balancer, a reverse proxy.
# A common pattern: nginx binds 0.0.0.0:443 and faces the network. The application behind
# it binds 127.0.0.1, reachable only through the proxy.
#
# Two places where 0.0.0.0 sneaks in:
#
# - **Docker.** `docker run -p 8080:80` publishes the port on 0.0.0.0 and `[::]`. Its NAT
#   rules come before ufw's, so `ufw deny 8080` does not stop it.
# - **Shared machines.** Loopback belongs to the *host*, not to a user. On a shared
#   JupyterHub every local user can connect to your 127.0.0.1 listener. Use a token, or a
#   [Unix socket](glossary.md#unix-socket) with file permissions (lesson 02).
#
# **The rule.** Bind **127.0.0.1 (or ::1)** when every client runs on this host. Bind
# **0.0.0.0 / `::`** only when other machines must connect, and something else guards it.
# A single network address keeps the service off your other addresses, but not off your
# other networks: filter by interface for that.

# %% [markdown]
# ## 💥 Break it on purpose: EADDRINUSE
#
# A server listens on 127.0.0.1, port P. A second socket tries to bind 127.0.0.1, port P.

# %%
# NBVAL_CHECK_OUTPUT
with socket.socket() as first, socket.socket() as second:
    first.bind(("127.0.0.1", 0))              # the kernel picks a free port P
    first.listen()
    try:
        second.bind(first.getsockname())       # the same address, the same port P
        print("second bind: ok")
    except OSError as err:
        print("second bind:", errno.errorcode[err.errno])

# %% [markdown]
# **[EADDRINUSE](glossary.md#eaddrinuse)**: an address and port identify one listener,
# and the kernel refuses a second (`bind(2)`). You meet it when yesterday's dev server
# still runs. It is also why the course always binds port 0: on a shared machine, fixed
# ports collide.

# %% [markdown]
# ## Your turn
#
# [The exercises](../exercises/03-bind-address-exercises.ipynb): predict the matrix,
# write a server that only this machine reaches, say who reaches servers on your own
# machine's addresses, and choose bind addresses for five scenarios.
#
# ## Key points
#
# - In `bind()`, 0.0.0.0 (`INADDR_ANY`) is every IPv4 address of this machine, `::`
#   every address (dual stack, on Linux); 127.0.0.1 and ::1 mean loopback only; any other
#   address means that address only.
# - A listener answers only the destination addresses it bound: a 127.0.0.1 server
#   refuses 127.0.0.2; a 0.0.0.0 server accepts all of 127/8 on Linux.
# - A phone on the LAN reaches a laptop's server only on 0.0.0.0, `::` or the LAN
#   address. Bind 0.0.0.0 briefly to test, then switch back.
# - Linux is a weak host: a LAN address is reachable from any network that routes it to
#   this host. A LAN bind does not keep other networks out.
# - Use the most restrictive bind that meets the need. Docker `-p` publishes on 0.0.0.0;
#   on a shared host every user can reach your 127.0.0.1.
#
# ## Going further
#
# **Keeping other networks out.** The lab's laptop filters strictly on reverse paths
# (`rp_filter=1`, RFC 3704, ip-sysctl.rst): it drops a packet whose *source* it would not
# route back out through the interface the packet came in on. "other" still got in:
# its source, 198.19.0.2, is on lan1, where it arrived. Two things do restrict by
# interface. A firewall rule on the incoming interface (nft `iifname`) drops the SYN and
# sends nothing back, so "other" waits until it gives up: **timeout**. The socket option
# `SO_BINDTODEVICE` (socket(7)) ties the socket to lan0. For a SYN from lan1 no socket
# matches, so the kernel answers with a reset: **refused**. To see both, with the route
# "other" uses and the rp_filter values read back, run
# `print(weak_host.format_weak_host(result))`. There `other -> 198.19.0.1` is refused:
# the server did not bind that lan1 address.
#
# **The matrix without namespaces.** `reachability.reachability_matrix(expose=True)` runs
# the 0.0.0.0 and `::` rows on this machine's own network. The output then says for how
# many milliseconds each such listener was reachable.
#
# **Docker's `-p 127.0.0.1:…`, as of December 2026.** It is loopback only since Docker
# Engine 28, with conditions. Before Engine 28, hosts on the same
# LAN could route to the container's own address (moby/moby#45610). Engine 28.0 to 28.3.2
# lost the rules that block this whenever firewalld reloaded (CVE-2025-54388, fixed in
# 28.3.3). The daemon options `allow-direct-routing` and `trusted_host_interfaces` allow
# such routing again on purpose (moby/moby#49832). And moby/moby#41872 is still open: a
# crafted packet to 127.0.0.1 at the host's MAC address can be forwarded into the
# container. As far as checked: with Engine 28.3.3 or later, its defaults and neither
# option, other hosts on the LAN cannot route to the container; #41872 is not settled.
#
# **Connecting to 0.0.0.0.** A server listens on 127.0.0.1; a client connects to 0.0.0.0
# on the same port. Try it: `bind_demos.connect_to_any_demo()` (its listeners are on
# loopback only). On Linux it connects, and the server sees 127.0.0.1: the kernel treats
# a destination of 0.0.0.0 as "this host". In the Linux source, `ip_route_output_key_hash_rcu()`
# in `net/ipv4/route.c` turns it into the loopback address, and `tcp_v6_connect()` says
# "connect() to INADDR_ANY means loopback (BSD'ism)". macOS does the same ("0.0.0.0 Day",
# Oligo Security, 2024). Windows refuses it with WSAEADDRNOTAVAIL. So 0.0.0.0 means "all
# interfaces" only in `bind()`.
#
# **Windows and refused connections.** Windows retries the SYN after each reset, so a
# refused loopback connection takes about 2 seconds there (libuv pull request 2896).
#
# **127.0.0.1 on a wire.** RFC 1122 §3.2.1.3 says loopback addresses "MUST NOT appear
# outside a host": a rule hosts follow, not a physical limit. Linux drops such packets as
# "martians" unless `route_localnet=1`. Kubernetes nodes set it, and their 127.0.0.1
# services became reachable from neighbours (CVE-2020-8558). Lesson 08 shows it, and
# [Popular claims, checked](popular-claims.ipynb) has the sources.
#
# **Your own numbers.** Run `from loopedu import plots, platforms` first. Then
# `plots.reachability_heatmap(matrix)` draws the matrix you measured, and
# `platforms.platform_notes()` gives each platform's differences with sources.
#
# ## Sources
#
# - Linux manual pages: `ip(7)` (INADDR_ANY, INADDR_LOOPBACK), `ipv6(7)` (in6addr_any,
#   IPV6_V6ONLY, `net.ipv6.bindv6only`), `socket(7)` (SO_BINDTODEVICE), `bind(2)`,
#   `connect(2)`, `errno(3)`; Linux Documentation/networking/ip-sysctl.rst (`rp_filter`,
#   `route_localnet`).
# - RFC 1122 §3.2.1.3 (0.0.0.0 and 127/8) and §3.3.4.2 (the strong and weak host models);
#   RFC 3704 (reverse path filtering); RFC 4291 §2.5.2 and §2.5.3 (`::` and ::1);
#   RFC 3493 §5.3 (IPV6_V6ONLY); RFC 9293 §3.10.7.1 (a SYN to a closed port gets a reset);
#   RFC 2544 and RFC 5180 (the lab's benchmarking ranges).
# - Platform reports: iproute2mac issue 40, norouter issue 2, microsoft/WSL issue 11766,
#   MicrosoftDocs/WSL issue 1337; Microsoft Learn, "Dual-Stack Sockets for IPv6 Winsock
#   Applications".
# - Docker (checked December 2026): the `docker run --publish` reference
#   (https://docs.docker.com/engine/reference/commandline/run/), docker/for-linux issue
#   690, moby/moby issues 4737, 45610 and 41872, moby/moby pull request 49832, Docker
#   Engine 28 release notes, CVE-2025-54388 (GitHub advisory, fixed in Engine 28.3.3).
# - "0.0.0.0 Day", Oligo Security, 2024; Linux `net/ipv4/route.c`
#   (`ip_route_output_key_hash_rcu`) and `net/ipv6/tcp_ipv6.c` (`tcp_v6_connect`);
#   Microsoft Learn, "connect function (winsock2.h)".
# - libuv pull request 2896 (Windows retries a refused connection's SYN);
#   Microsoft Learn, `SIO_TCP_INITIAL_RTO`.
# - Kubernetes CVE-2020-8558 (kubernetes/kubernetes issue 92315).
# - Observations on Debian 12 with Python 3.11, reproduced by this lesson's own
#   experiments.
