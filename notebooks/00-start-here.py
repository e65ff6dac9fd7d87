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
# # 00 · Start here
#
# **Objectives.** After this lesson you can:
# - say what this machine lets the course do live (root, IPv6, the whole 127/8 range,
#   network namespaces) and what it will explain instead;
# - use the course's rhythm: *predict, then run*, and *break it on purpose*;
# - show that this very notebook is talking to its kernel over the loopback interface.
#
# **Prerequisites.** You can run a cell in Jupyter (Shift+Enter) and read a little Python.
# No networking knowledge is assumed.
#
# **Minutes:** 15.

# %% [markdown]
# ## How the course works
#
# Every lesson runs real experiments on *your* machine: it opens sockets, binds
# addresses, connects, measures, and shows you what happened beside what the standards
# say should happen. Three habits make it work:
#
# 1. **Predict, then run.** Before a cell marked 🔮, write down what you expect. Then run
#    it. A wrong prediction is the best moment of the course.
# 2. **Break it on purpose.** Cells marked 💥 provoke a real error (connection refused,
#    address in use, address not available) and explain it, so you recognise it later.
# 3. **Check yourself.** Each lesson has an exercise notebook in `exercises/` whose
#    `check(...)` calls answer instantly, with hints on demand and never the solution.
#
# All the experiments use port 0 (the kernel picks a free port), stay on the loopback
# interface or in network namespaces the course creates and removes itself, and close
# every socket they open.

# %% [markdown]
# ## What does this machine allow?
#
# Not every machine can run every experiment: network namespaces need Linux (and root,
# or unprivileged user namespaces), IPv6 may be switched off (common in containers), and
# macOS answers only on 127.0.0.1 of the whole 127.0.0.0/8 block. The *doctor* measures
# each of these (it does not guess from the OS name): it binds and connects to ::1 and to
# 127.0.0.2, makes and removes a network namespace with a virtual cable in it, and gives
# a child process a private `/etc/hosts`. The same report is `loopedu doctor` in a
# terminal.

# %%
from loopedu import doctor

report = doctor.report()
print(doctor.format_report(report))

# %% [markdown]
# How to read it:
#
# - **root**: whether this kernel runs as the superuser. Most laptops: no. Containers
#   and CI: often yes.
# - **ipv6_loopback**: ::1 could be bound *and* reached. If it says no, lesson 04 shows
#   exactly what breaks when IPv6 is off.
# - **whole_127_range**: 127.0.0.2 could be bound and reached. Linux routes the whole
#   127.0.0.0/8 block to `lo`; macOS's `lo0` carries only 127.0.0.1 (reports:
#   iproute2mac issue 40, norouter issue 2). Lesson 01 is about this.
# - **netns_lab / mount_namespaces**: whether the course can build a virtual LAN of
#   network namespaces (lesson 03) and give a process a private `/etc/hosts` (lesson 02),
#   and how: as root, or without root inside an unprivileged *user namespace*, where your
#   user is root of a private copy of the kernel's namespaces and nothing else
#   (`unshare(1)`, `user_namespaces(7)`; allowed by default on most desktop Linux).
# - **user_namespaces**: whether this kernel lets an ordinary user make one.
# - **localhost_addresses**: what `getaddrinfo("localhost")` answered here, in order.
#   `localhost` is a *name*, looked up like any other (lesson 02).
#
# The last block says, lesson by lesson, what runs live on this machine and what will be
# explained instead. Nothing in the course crashes for lack of a capability.

# %% [markdown]
# ## A first surprise: this notebook is using loopback right now
#
# A Jupyter notebook is two programs: the page in your browser (served by the Jupyter
# server) and the *kernel*, a separate Python process that runs your cells. They talk
# over the Jupyter messaging protocol: ZeroMQ over TCP, on five ports that the kernel
# writes into a *connection file* (Jupyter client documentation, "Connection files").
#
# 🔮 **Predict:** which IP address does the kernel listen on? Your Wi-Fi address?
# `0.0.0.0` (every interface)? `127.0.0.1`?

# %%
from loopedu import kernel_link

info = kernel_link.connection_info()
if info is None:
    print("Not running inside a Jupyter kernel: there is no connection file to read.")
else:
    print("transport:", info["transport"])
    print("ip:       ", info["ip"])

# %% [markdown]
# The kernel listens on **127.0.0.1**: only programs on this same machine can reach it.
# That is a deliberate choice, and a safety feature: anyone who can reach these ports
# and knows the signing key could run code as you. (`loopedu lab` binds the Jupyter
# server itself to 127.0.0.1 for the same reason.)
#
# These are the five ports. They are *ephemeral*: picked free at start-up, different
# every time, which is why the course never prints them in checked output.

# %%
if info is not None:
    for channel, purpose in kernel_link.CHANNELS.items():
        print(f"{channel:<13} {info[channel]:>5}   {purpose}")

# %% [markdown]
# The connection file is a promise; the kernel's sockets are the fact. Here are the TCP
# sockets this kernel process holds right now, read from the operating system (with
# `psutil`): the listening ones, and the established connections from the Jupyter
# server (or from the test runner, when the course tests itself).

# %%
sockets = kernel_link.kernel_sockets()
for s in sockets:
    local = f"{s.local[0]}:{s.local[1]}"
    remote = f"{s.remote[0]}:{s.remote[1]}" if s.remote else "-"
    print(f"{s.status:<12} {s.channel:<8} local {local:<22} remote {remote}")

# %% [markdown]
# Read the table from the top: each `LISTEN` row is a channel of the connection file
# (or, marked `other`, a socket the kernel keeps for its own threads); each `ESTABLISHED`
# row is one end of a live connection, whose other end is the Jupyter server (or the
# kernel talking to itself between threads, as recent ipykernel versions do). Both ends
# of every connection are 127.0.0.1.

# %%
# NBVAL_CHECK_OUTPUT
listening = [s for s in sockets if s.status == "LISTEN"]
print("kernel is listening on TCP:", len(listening) > 0)
print("every kernel socket is on loopback:", all(s.loopback for s in sockets))

# %% [markdown]
# Every byte between your browser tab and this Python process crosses the loopback
# interface, twice: browser ⇄ Jupyter server (HTTP and WebSocket on 127.0.0.1), server ⇄
# kernel (ZeroMQ on these ports). It never reaches a network card. Lesson 03 proves that
# last claim with the interfaces' own byte counters.
#
# "Only this machine" is not "only you". If you look at the terminal where JupyterLab
# runs, recent ipykernel versions log *"Kernel is running over TCP without encryption"*
# (observed with ipykernel 7.4): any program on this machine, run by any user, can
# connect to these ports. What stops a stranger's program from running code in your
# kernel is the HMAC signing key in the connection file, readable only by you
# (Jupyter client documentation, "Messaging in Jupyter": the `key` field signs every
# message). On a shared JupyterHub machine this matters; lesson 03 comes back to it.

# %% [markdown]
# ## 💥 Break it on purpose: connection refused
#
# What happens when you connect to a loopback port where nothing listens? The course's
# `listener()` opens a server on an ephemeral port; we note the port, close the server,
# then connect to that port.
#
# 🔮 **Predict:** a long wait (timeout), or an immediate error?

# %%
# NBVAL_CHECK_OUTPUT
from loopedu.servers import connect_outcome, listener

with listener("127.0.0.1") as server:
    port = server.port
    print("while the server listens:", connect_outcome("127.0.0.1", port))
print("after it has closed:     ", connect_outcome("127.0.0.1", port))

# %% [markdown]
# **Refused, at once.** On loopback there is no network to lose a packet in: the kernel
# itself receives the connection request (a TCP SYN), finds no socket listening on that
# port, and answers with a reset (RST), which `connect()` reports as `ECONNREFUSED`
# (RFC 9293 §3.10.7.1: a segment to a CLOSED port draws a RST). A *timeout* instead would
# mean the packets were dropped on the way, as a firewall does; you will meet that in
# lesson 03.

# %% [markdown]
# ## Your turn
#
# Open `exercises/00-start-here-exercises.ipynb` and answer its two questions; each
# `check(...)` answers instantly. Your passed exercises are remembered on this machine
# (`loopedu progress` in a terminal lists them).

# %% [markdown]
# ## Key points
#
# - The course measures your machine first (`loopedu doctor`), then runs everything it
#   can live and explains the rest.
# - A Jupyter notebook already depends on loopback: the kernel listens on 127.0.0.1 on
#   five ephemeral ports, and the server connects to them.
# - Connecting to a loopback port where nothing listens fails immediately with
#   `ECONNREFUSED`: the local kernel answers with a reset.
#
# ## Sources
#
# - Jupyter client documentation, "Connection files" and "Messaging in Jupyter":
#   https://jupyter-client.readthedocs.io/en/stable/kernels.html#connection-files
# - RFC 9293, Transmission Control Protocol, §3.10.7.1 (segment arrives, state CLOSED).
# - `unshare(1)`, `nsenter(1)`, `network_namespaces(7)`, `user_namespaces(7)`: Linux
#   manual pages for the namespace capabilities.
# - macOS lo0 answers only on 127.0.0.1: iproute2mac issue 40, norouter issue 2 (see
#   lesson 01).
