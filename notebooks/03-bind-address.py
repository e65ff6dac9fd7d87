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
# - say what the address given to `bind()` means: one address, loopback only, or every
#   address of the machine *(exercise 03.predict-matrix)*;
# - predict, then measure, which bind addresses answer which destinations on your
#   machine *(exercise 03.predict-matrix)*;
# - show with two virtual machines who on a LAN can reach a server bound to 127.0.0.1,
#   0.0.0.0, ::1 and :: *(exercise 03.phone-reaches)*;
# - choose the most restrictive bind that meets the need *(exercise 03.choose-bind)*.
#
# **Prerequisites.** Lessons 00 and 01 (127.0.0.0/8, and what Linux and macOS do with it).
#
# **Minutes:** 30 teaching + 15 exercises.

# %%
from loopedu import bind_demos, doctor, lan, plots, reachability, sandbox
from loopedu.exercises import predict, reveal

caps = sandbox.capabilities()
print("this machine:      ", doctor.this_machine())
print("network namespaces:", caps.network_namespaces)

# %% [markdown]
# The lines above come from the capability report of lesson 00. The virtual LAN below
# needs Linux [network namespaces](glossary.md#network-namespace) (as root, or without
# root inside a [user namespace](glossary.md#user-namespace)); where the machine has none,
# the lesson says so and runs the closest experiment it can.
#
# ## What the address in `bind()` means
#
# A server [socket](glossary.md#socket) picks the local address it listens on with
# [`bind()`](glossary.md#bind). Two special values come from the C headers: `INADDR_ANY`,
# written **0.0.0.0** (the [unspecified address](glossary.md#unspecified)), and
# `INADDR_LOOPBACK`, **127.0.0.1**. The Linux manual page `ip(7)` says what binding
# `INADDR_ANY` does: "the socket will be bound to *all local interfaces*". IPv6 has the
# same pair: `::` and `::1` (`ipv6(7)`).
#
# So 0.0.0.0 is not a place. As a bind address it means "whatever addresses this machine
# has, now and later": 127.0.0.1, the Wi-Fi address, the VPN's, the Docker bridge's.
#
# Here are the plain socket calls. A server binds 127.0.0.1 (port 0: the kernel picks a
# free [port](glossary.md#port)); a client connects to 127.0.0.1, then to 127.0.0.2, which
# on Linux is an address of this machine too (lesson 01).

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
# "connection refused": the destination is this machine, but no socket listens on *that
# address* at that port, so the kernel answers the client's [SYN](glossary.md#syn) with a
# reset (RST), and on Linux and macOS `connect()` fails at once. (Windows retries the SYN
# after each reset, so there a refused loopback connection takes about 2 seconds: libuv
# pull request 2896.) A socket bound to one address
# accepts only connections addressed to it, even when both addresses sit on the same
# `lo` interface.
#
# ## The reachability matrix
#
# The course repeats those calls for five bind addresses and four destinations:
#
# - bind: 127.0.0.1, 0.0.0.0, 127.42.42.42, ::1, ::
# - destination: 127.0.0.1, 127.0.0.2, 127.42.42.42, ::1
#
# A listener on 0.0.0.0 could be reached from your network while it runs, so where the
# machine allows it the matrix runs in a network namespace of its own, with only a loopback
# interface and this machine's IPv6 settings; elsewhere it says for how many milliseconds
# such a listener was reachable, and on which port.

# %%
# 🔮 Your prediction: "connected" or "refused" for each pair (bind -> destination)?
prediction = {"127.0.0.1 -> 127.0.0.2": ..., "0.0.0.0 -> 127.0.0.2": ...,
              "0.0.0.0 -> ::1": ..., ":: -> 127.0.0.1": ...}
### BEGIN SOLUTION
prediction = {"127.0.0.1 -> 127.0.0.2": "connected", "0.0.0.0 -> 127.0.0.2": "connected",
              "0.0.0.0 -> ::1": "connected", ":: -> 127.0.0.1": "refused"}
### END SOLUTION
predict("03.matrix", prediction)

# %%
matrix = reachability.reachability_matrix()
print(reachability.format_reachability(matrix))
reveal("03.matrix", {f"{b} -> {t}": str(matrix.outcome(b, t))
                     for b, t in [("127.0.0.1", "127.0.0.2"), ("0.0.0.0", "127.0.0.2"),
                                  ("0.0.0.0", "::1"), ("::", "127.0.0.1")]},
       why="a listener answers only the addresses it bound; 0.0.0.0 is every IPv4 address "
           "of the machine (all of 127/8 on Linux) but no IPv6 one; a socket on :: is dual "
           "stack on Linux (net.ipv6.bindv6only=0) and takes IPv4 too.")

# %%
fig = plots.reachability_heatmap(matrix)
fig

# %% [markdown]
# Read the figure row by row (colour and word both give the outcome; the text under the
# figure says the same in one sentence).
#
# - **A specific bind answers only its own address.** The 127.0.0.1 listener refuses
#   127.0.0.2; the 127.42.42.42 listener refuses 127.0.0.1.
# - **0.0.0.0 answers every IPv4 address the machine has.** On Linux that is the whole of
#   127.0.0.0/8, so 127.0.0.2 and 127.42.42.42 connect too.
# - **Families do not mix, except through `::`.** An IPv6 client never reaches an IPv4
#   socket. A socket on `::` is [dual stack](glossary.md#dual-stack) on Linux: it also
#   accepts IPv4, and sees the client as `::ffff:127.0.0.1` (lesson 05). Windows turns
#   that off by default, so there the `::` row refuses IPv4.
#
# Where your machine differs from Linux, this table has the sources:

# %%
from IPython.display import Markdown

from loopedu import platforms

Markdown(platforms.markdown_table(
    ["platform", "127/8 beyond 127.0.0.1", "dual stack on ::", "sources"],
    [[name + (" (this machine)" if note["applies_here"] else ""), note["loopback_range"],
      note["dual_stack"], ", ".join(s["name"] for s in note["sources"]) or "observed; ip(7)"]
     for name, note in platforms.platform_notes().items()]))

# %% [markdown]
# ## A virtual LAN: can the phone reach the laptop?
#
# The story every web developer meets: a dev server prints `http://127.0.0.1:8000`, the
# page works on the laptop, and the phone on the same Wi-Fi gets *connection refused*.
# To show it without touching a real network, the course builds two machines inside this
# one: two network namespaces, "laptop" (198.18.0.1, 2001:2::1) and "phone" (198.18.0.2,
# 2001:2::2), joined by a virtual cable (a [veth pair](glossary.md#veth)). The addresses
# come from the benchmarking ranges, which belong to no real network. The laptop runs a
# server on each of 127.0.0.1, 0.0.0.0, ::1 and ::; the phone connects to the laptop's
# LAN address.

# %%
# 🔮 Your prediction: will the phone reach the server bound to each address? (True/False)
prediction = {"127.0.0.1": ..., "0.0.0.0": ..., "::1": ..., "::": ...}
### BEGIN SOLUTION
prediction = {"127.0.0.1": True, "0.0.0.0": True, "::1": False, "::": True}
### END SOLUTION
predict("03.phone-reaches", prediction)

# %%
try:
    lab = lan.lan_exposure_details()
except sandbox.NamespaceUnavailable as exc:
    print(f"The virtual LAN cannot run here: {exc}")
    print("Running the loopback stand-in instead.\n")
    fallback = lan.lan_fallback()
    print(lan.format_lan(fallback))
    reached = dict(fallback.reached)
else:
    print(lan.format_lan(lab))
    reached = lab.reached
reveal("03.phone-reaches", reached,
       why="the phone's packets arrive on the laptop's LAN interface, addressed to the "
           "LAN address; a socket bound to 127.0.0.1 or ::1 does not listen there, so the "
           "laptop's kernel answers with a reset. 0.0.0.0 and :: listen on every address.")

# %% [markdown]
# With the lab, the phone reaches the servers on **0.0.0.0 and ::** and is refused by
# those on 127.0.0.1 and ::1, while the laptop itself reaches all four over its own
# loopback. Without the lab, the stand-in plays the same scene on one machine: 127.0.0.2
# stands for the laptop's Wi-Fi address (an address of this machine that is not the one
# the server bound), and only the 0.0.0.0 server accepts it. On a real LAN the phone
# connects to the laptop's Wi-Fi address (say 192.168.1.20): a server bound to 127.0.0.1
# gives "connection refused", one bound to 0.0.0.0 serves the page, to the phone and to
# everything else on that network.
#
# RFC 1122 §3.2.1.3 says loopback addresses "MUST NOT appear outside a host": a rule every
# host's network stack follows, not a physical limit. A packet addressed to 127.0.0.1
# *can* be put on a wire; a host with Linux's default `route_localnet=0` drops it as a
# "martian", and one with `route_localnet=1` accepts it, which is how services bound to
# 127.0.0.1 on Kubernetes nodes became reachable from their neighbours (CVE-2020-8558;
# kernel ip-sysctl documentation). [Popular claims, checked](popular-claims.ipynb) has
# the details and sources.
#
# So to test a site from your phone: **bind 0.0.0.0 briefly** (Flask `--host 0.0.0.0`,
# Django `runserver 0.0.0.0:8000`, Vite `--host`), open the laptop's Wi-Fi address on the
# phone, and **switch back to 127.0.0.1** when you are done.

# %% [markdown]
# ## In production: the most restrictive bind that meets the need
#
# Production services often *do* listen on 0.0.0.0, and that is fine when something else
# decides who may connect: a host [firewall](glossary.md#firewall), a cloud security
# group, a load balancer, or a reverse proxy in front. The common pattern on one host: the
# proxy (nginx, Caddy) binds 0.0.0.0:443 and faces the network; the application behind it
# binds 127.0.0.1 and is reachable only through the proxy.
#
# Two places where 0.0.0.0 sneaks in:
#
# - **Docker.** `docker run -p 8080:80` publishes the port on 0.0.0.0 *and* `[::]`, and
#   its NAT rules sit before ufw's, so `ufw deny 8080` does not stop it. `-p
#   127.0.0.1:8080:80` binds the published port to loopback; before Docker Engine 28,
#   other hosts on the same LAN could still reach the container's own address directly
#   (moby/moby#45610), which Engine 28 blocks.
# - **Shared machines.** Loopback belongs to the *host*, not to a user. On a shared
#   JupyterHub or a university server, every local user can connect to your 127.0.0.1
#   listener: 127.0.0.1 keeps the network out, not your neighbours. Use authentication
#   (Jupyter's token) or a [Unix socket](glossary.md#unix-socket) with file permissions
#   (lesson 02).
#
# The rule, in one cell (`audit.is_exposed` says whether a bind is reachable from other
# machines):

# %%
# NBVAL_CHECK_OUTPUT
from loopedu import audit

for bind in ("127.0.0.1", "::1", "127.0.0.53", "0.0.0.0", "::", "198.18.0.1"):
    verdict = "network can reach it" if audit.is_exposed(bind) else "this host only"
    print(f"bind {bind:<11} -> {verdict}")

# %% [markdown]
# Choose **127.0.0.1 (or ::1)** whenever every client runs on the same host; a specific
# network address when only one network needs it; **0.0.0.0 / ::** only when every
# network may try, and something else (firewall, proxy, authentication) guards it.

# %% [markdown]
# ## 💥 Break it on purpose: EADDRINUSE, and connecting to 0.0.0.0
#
# ### Two sockets, one address and port
#
# A server listens on 127.0.0.1, port P. A second socket tries to bind 127.0.0.1, port P.

# %%
# NBVAL_CHECK_OUTPUT
clash = bind_demos.eaddrinuse_demo()
print("second bind:", clash.second, "=", clash.explain)

# %% [markdown]
# **[EADDRINUSE](glossary.md#eaddrinuse)**: an address and port identify one listener;
# the kernel refuses a second (`bind(2)`). It is what a learner meets when yesterday's dev
# server still runs, and the reason the course always binds port 0 (on a shared machine,
# fixed ports collide).
#
# ### Connecting to 0.0.0.0
#
# A server listens on 127.0.0.1. A client connects to 0.0.0.0 on the same port. Error, or
# connection? (And to `::`, with a server on ::1?)

# %%
for target, row in bind_demos.connect_to_any_demo().items():
    print(f"connect to {target:<8} (listener on {row.bind:<9}): {str(row.outcome):<10}"
          f" server saw client {row.server_saw}")
print("(reference run:", doctor.this_machine() + ")")

# %% [markdown]
# On Linux both **connect**, and the server sees the client as 127.0.0.1 (or ::1): the
# kernel treats a destination of 0.0.0.0 as "this host" and delivers it over loopback.
# The Linux source says so: `ip_route_output_key_hash_rcu()` in `net/ipv4/route.c` turns
# an unspecified destination into the loopback address, and `tcp_v6_connect()` in
# `net/ipv6/tcp_ipv6.c` notes "connect() to INADDR_ANY means loopback (BSD'ism)". The
# "0.0.0.0 Day" report (Oligo Security, 2024) found macOS doing the same; Windows'
# `connect()` refuses it with WSAEADDRNOTAVAIL (Microsoft Learn, `connect` function).
# 0.0.0.0 means "all interfaces" only in `bind()`; RFC 1122 §3.2.1.3 allows it only as a
# *source* while a host is still learning its address.

# %% [markdown]
# ## Your turn
#
# [The exercises](../exercises/03-bind-address-exercises.ipynb): predict the matrix, say
# which servers the phone reaches, and choose bind addresses for four scenarios.
#
# ## Key points
#
# - In `bind()`, 0.0.0.0 (`INADDR_ANY`) and `::` mean every address of this machine;
#   127.0.0.1 and ::1 mean loopback only; any other address means that address only.
# - A listener answers only the destination addresses it bound: a 127.0.0.1 server
#   refuses 127.0.0.2, a 0.0.0.0 server accepts all of 127/8 on Linux.
# - A phone on the LAN reaches a laptop's server only if it binds 0.0.0.0, `::` or the
#   laptop's LAN address; bind 0.0.0.0 briefly to test, then switch back.
# - EADDRINUSE guards an address and port; connecting to 0.0.0.0 reaches loopback on
#   Linux.
# - Use the most restrictive bind that meets the need; Docker `-p` publishes on 0.0.0.0;
#   on a shared host every user can reach your 127.0.0.1.
#
# ## Sources
#
# - Linux manual pages: `ip(7)` (INADDR_ANY, INADDR_LOOPBACK), `ipv6(7)` (in6addr_any,
#   IPV6_V6ONLY, `net.ipv6.bindv6only`), `bind(2)`, `connect(2)`, `errno(3)`.
# - RFC 1122 §3.2.1.3 (0.0.0.0 and 127/8); RFC 4291 §2.5.2 and §2.5.3 (`::` and ::1);
#   RFC 3493 §5.3 (IPV6_V6ONLY); RFC 9293 §3.10.7.1 (a SYN to a closed port gets a reset);
#   RFC 2544 and RFC 5180 (the lab's benchmarking ranges).
# - Platform reports: iproute2mac issue 40, norouter issue 2, microsoft/WSL issue 11766,
#   MicrosoftDocs/WSL issue 1337; Microsoft Learn, "Dual-Stack Sockets for IPv6 Winsock
#   Applications".
# - Docker: the `docker run --publish` reference
#   (https://docs.docker.com/engine/reference/commandline/run/), docker/for-linux issue
#   690, moby/moby issues 4737 and 45610, Docker Engine 28 release notes.
# - "0.0.0.0 Day", Oligo Security, 2024; Linux `net/ipv4/route.c`
#   (`ip_route_output_key_hash_rcu`) and `net/ipv6/tcp_ipv6.c` (`tcp_v6_connect`);
#   Microsoft Learn, "connect function (winsock2.h)".
# - libuv pull request 2896 (Windows retries a refused connection's SYN);
#   Microsoft Learn, `SIO_TCP_INITIAL_RTO`.
# - Observations on Debian 12 with Python 3.11, reproduced by this lesson's own
#   experiments.
