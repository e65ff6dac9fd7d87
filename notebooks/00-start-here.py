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
# - work the course's way: write down a prediction, run the experiment, compare, and
#   read why *(exercise 00.predict-first)*;
# - open a connection over loopback yourself with Python's `socket` module: a server
#   that binds and listens, a client that connects *(exercise 00.first-connection)*;
# - show that this very notebook talks to its Jupyter kernel over loopback, and name the
#   address it uses *(exercise 00.kernel-transport)*.
#
# **Prerequisites.** You can run a cell in Jupyter (Shift+Enter) and read a little Python.
# No networking knowledge is assumed: each term is explained where it first appears, and
# the [glossary](glossary.md) collects them all.
#
# **Minutes:** 25 teaching + 5 exercises.

# %% [markdown]
# ## How the course works
#
# Every lesson runs real experiments on *your* machine and shows what happened beside
# what the standards say should happen. Three habits make it work:
#
# 1. **Predict, then run.** A code cell marked 🔮 asks for your prediction: replace its
#    `...` with what you expect and run it. The experiment's cell then shows your
#    prediction beside what the machine did, and why. A wrong prediction is the best
#    moment of the course. (You may skip one: the experiment runs anyway.)
# 2. **Break it on purpose.** Sections marked 💥 provoke a real error and explain it, so
#    that you recognise it when it happens to you.
# 3. **Check yourself.** Where a cell asks you to write code or an answer (✍️),
#    `check(...)` answers at once, `hint(...)` gives a hint, and neither gives the
#    solution. Each lesson also has an exercise notebook in `exercises/`.
#
# In your own copy of the course (`loopedu lab` opens it), the places to fill in say
# `# YOUR CODE HERE`. This reference copy shows an example answer there instead.

# %% [markdown]
# ## Your first connection
#
# Two programs that talk over a network, or inside one machine, each hold a **socket**:
# that program's end of the conversation. Four words are enough to start:
#
# - An **[IP address](glossary.md#ip-address)** names a machine on a network (more
#   precisely, one of its network interfaces): four numbers from 0 to 255, such as
#   `192.168.1.20`.
# - A **[port](glossary.md#port)** is a number from 0 to 65535 that picks one socket at
#   that address. An address and a port, written in Python as the tuple
#   `("192.168.1.20", 8080)`, say exactly where a connection goes.
# - A **[socket](glossary.md#socket)** is made with `socket.socket(...)`. A *server*
#   socket **binds** an address and port (`bind`), then **listens** for connections
#   (`listen`); a *client* socket **connects** to that address and port (`connect`)
#   ([bind, listen, connect](glossary.md#bind)). The sockets here speak
#   **[TCP](glossary.md#tcp)**, which delivers a stream of bytes in order.
# - **[Loopback](glossary.md#loopback)** is traffic a machine sends to itself. The
#   address `127.0.0.1` always means *this machine*: RFC 1122 §3.2.1.3, the rule book
#   for Internet hosts, forbids sending packets for it out onto a network, so they stay
#   inside (a rule hosts follow, not a law of physics: see
#   [Popular claims, checked](popular-claims.ipynb)). They go through `lo`, the
#   [loopback interface](glossary.md#lo): an [interface](glossary.md#interface) is
#   where a machine sends and receives packets,
#   and most interfaces are a network card, but `lo` is pure software.
#
# Which port should the server bind? Ask for port **0**. It is not a real port but a
# request: the **[kernel](glossary.md#kernel)** (the core of the operating system, which
# owns every socket) picks a free port for you, and `server.getsockname()` tells you
# which (`ip(7)`: port 0 in `bind` means an *ephemeral* port). A fixed number such as
# 8080 may already be taken by another program, or by another learner on a shared
# machine, and `bind` would fail. The course always binds port 0.
#
# ✍️ **Your turn.** The cell below makes the two sockets, for IPv4 addresses
# (`socket.AF_INET`, the [address family](glossary.md#address-family)) and TCP
# (`socket.SOCK_STREAM`), and closes them at the end: the `with` block does that, even if
# something fails. You write three lines, two of them with a blank to fill: bind the
# server to this machine's loopback address on port 0, let it listen (that line is
# given), and connect the client to the server.

# %%
# NBVAL_CHECK_OUTPUT
import socket

from loopedu.exercises import check

with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server, \
        socket.socket(socket.AF_INET, socket.SOCK_STREAM) as client:
    try:
        # ✍️ Write these three lines below, filling in each ___:
        #   server.bind(___)       a tuple (address, port): which address? which port?
        #   server.listen()        given: the server starts waiting for connections
        #   client.connect(___)    a tuple (address, port): where is the server?
        ### BEGIN SOLUTION
        server.bind(("127.0.0.1", 0))
        server.listen()
        client.connect(server.getsockname())
        ### END SOLUTION
    except Exception as err:  # shown here; the check below says what to change
        print("💥", type(err).__name__, err)
    feedback = check("00.first-connection", (server, client))
feedback

# %% [markdown]
# What just happened, line by line:
#
# 1. `bind(...)` gave the server its address, the loopback address, and a port the
#    kernel picked because you asked for port 0.
# 2. `listen()` told the kernel to accept connections for this socket.
# 3. `connect(...)` sent the first message of a TCP connection (a
#    [SYN](glossary.md#syn)) to that address and port. The kernel found the listening
#    socket, completed the connection, and gave the client an address and a free port
#    of its own, `127.0.0.1` as well: both ends are on this machine.
#
# Nobody called `accept()`: the kernel completes connections for a listening socket and
# queues them until the server program takes one with `accept()` (`listen(2)`). Lesson 01
# adds `accept()` to see the connection from the server's side.

# %% [markdown]
# ## A first surprise: this notebook is using loopback right now
#
# The word *kernel* has a second meaning in Jupyter. A **Jupyter kernel** is the Python
# process that runs your cells; it is separate from the page in your browser, which is
# served by a program called the *Jupyter server*. The server and the kernel talk over
# TCP sockets (through ZeroMQ, a messaging library), on five ports that the kernel writes
# into a *connection file*, together with the IP address it listens on (Jupyter client
# documentation, "Connection files").
#
# That address could be the machine's Wi-Fi address, or `0.0.0.0`, which in `bind` means
# "every address of this machine" (the [unspecified address](glossary.md#unspecified)),
# or `127.0.0.1`.

# %%
# 🔮 Your prediction: which IP address does this notebook's kernel listen on? (text)
from loopedu.exercises import predict, reveal

prediction = ...
### BEGIN SOLUTION
prediction = "0.0.0.0"  # an example prediction: every interface
### END SOLUTION
predict("00.kernel-address", prediction)

# %%
# NBVAL_CHECK_OUTPUT
from loopedu import kernel_link

info = kernel_link.connection_info()  # the connection file, without its secret key
if info is None:
    print("Not running inside a Jupyter kernel: there is no connection file to read.")
else:
    print("transport:", info["transport"])
    print("ip:       ", info["ip"])
reveal("00.kernel-address", info["ip"] if info else "no kernel",
       why="Jupyter's kernels listen on 127.0.0.1 by default: only programs on this "
           "machine can reach them.")

# %% [markdown]
# The kernel listens on **127.0.0.1**: only programs on this same machine can reach it.
# That is a deliberate choice, and a safety feature: anyone who can reach these ports
# and knows the connection file's signing key could run code as you. (`loopedu lab`
# binds the Jupyter server itself to 127.0.0.1 for the same reason.)
#
# These are the five ports, one per *channel* of Jupyter's messaging. They are ephemeral
# ports, like the one your server got: picked free at start-up and different every time,
# which is why the course never prints them in checked output.

# %%
if info is not None:
    for channel, purpose in kernel_link.CHANNELS.items():
        print(f"{channel:<13} {info[channel]:>5}   {purpose}")

# %% [markdown]
# The connection file is a promise; the kernel's sockets are the fact. Here are the TCP
# sockets this kernel process holds right now, as the operating system reports them
# (read with the `psutil` library): the listening ones, and the established connections
# from the Jupyter server (or from the test runner, when the course tests itself).

# %%
sockets = kernel_link.kernel_sockets()
for s in sockets:
    local = f"{s.local[0]}:{s.local[1]}"
    remote = f"{s.remote[0]}:{s.remote[1]}" if s.remote else "-"
    print(f"{s.status:<12} {s.channel:<8} local {local:<22} remote {remote}")

# %% [markdown]
# Read the table from the top. Each `LISTEN` row is a server socket, like the one you
# made: a channel of the connection file, or, marked `other`, a socket the kernel keeps
# for its own threads. Each `ESTABLISHED` row is one end of a live connection, like your
# client's, written `address:port`; the other end is the Jupyter server (or the kernel
# talking to itself between threads, as recent ipykernel versions do). Both ends of every
# connection are 127.0.0.1.

# %%
# NBVAL_CHECK_OUTPUT
listening = [s for s in sockets if s.status == "LISTEN"]
print("kernel is listening on TCP:", len(listening) > 0)
print("every kernel socket is on loopback:", all(s.loopback for s in sockets))

# %% [markdown]
# So every message between the Jupyter server and this Python process crosses the
# loopback interface and never reaches a network card (lesson 04 shows that with the
# interfaces' own byte counters). When the Jupyter server runs on your own machine, as
# with `loopedu lab`, the browser reaches it over loopback too. When the notebooks are
# served from another machine (a JupyterHub, Binder), the browser is elsewhere, and only
# the server-to-kernel part is loopback.
#
# "Only this machine" is not "only you". If you look at the terminal where JupyterLab
# runs, recent ipykernel versions log *"Kernel is running over TCP without encryption"*
# (observed with ipykernel 7.4): any program on this machine, run by any user, can
# connect to these ports. What stops a stranger's program from running code in your
# kernel is the signing key in the connection file, readable only by you (Jupyter client
# documentation, "Messaging in Jupyter": the `key` field signs every message). On a
# shared JupyterHub machine this matters; lesson 03 comes back to who can reach a
# listener.

# %% [markdown]
# ## 💥 Break it on purpose: connection refused
#
# What happens when a client connects to a loopback port where nothing listens? The next
# cells make a server, note its address and port, close it, and then connect there. The
# client waits at most 5 seconds.

# %%
# 🔮 Your prediction: "refused" (an error at once) or "timeout" (no answer for 5 s)?
prediction = ...
### BEGIN SOLUTION
prediction = "timeout"  # an example prediction
### END SOLUTION
predict("00.closed-port", prediction)

# %%
# NBVAL_CHECK_OUTPUT
import errno
import time

with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
    server.bind(("127.0.0.1", 0))
    server.listen()
    address = server.getsockname()
# the server is closed now: nothing listens on that port any more

with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as client:
    client.settimeout(5)
    start = time.perf_counter()
    try:
        client.connect(address)
        outcome = "connected"
    except ConnectionRefusedError as err:
        outcome = "refused"
        print("connect() failed:", errno.errorcode.get(err.errno), "-", err.strerror)
    except TimeoutError:
        outcome = "timeout"
    print(f"after {(time.perf_counter() - start) * 1000:.1f} ms")
reveal("00.closed-port", outcome,
       why="On loopback the kernel itself receives the SYN, finds no socket listening on "
           "that port, and answers with a reset (RST) at once (Linux and macOS; Windows "
           "retries for about 2 s before it reports the refusal).")

# %% [markdown]
# **Refused, at once.** On loopback there is no network to lose a packet in: the kernel
# receives the connection request (the SYN), finds no socket listening on that port, and
# answers with a reset, an [RST](glossary.md#syn) (RFC 9293 §3.10.7.1: a segment sent to
# a CLOSED port draws a reset). `connect()` reports it as
# [ECONNREFUSED](glossary.md#econnrefused), "connection refused"; the short name is the
# error's [errno](glossary.md#errno), and Python raises `ConnectionRefusedError` for it.
# (On Windows the same error takes about 2 seconds, because Windows retries the SYN
# after each reset: libuv pull request 2896.)
#
# A *timeout* instead would mean the packets were dropped on the way, which is what a
# [firewall](glossary.md#firewall) configured to drop them does. When you meet
# ECONNREFUSED on your own machine, read it as: the address is right, but nothing listens
# on that port (yet).

# %% [markdown]
# ## What does this machine allow?
#
# Not every machine can run every experiment, and the course measures yours rather than
# guessing from its name. The *doctor* binds and connects exactly as you just did, to
# `::1` (the IPv6 loopback address) and to `127.0.0.2`; makes and removes a *network
# namespace*; and gives a child process a private copy of the hosts file. The same report
# is `loopedu doctor` in a terminal. The output stored with this notebook came from the
# machine named on its first lines; yours will differ.

# %%
from loopedu import doctor

report = doctor.report()
print(doctor.format_report(report))

# %% [markdown]
# How to read it:
#
# - **root**: whether this Jupyter kernel runs as the superuser,
#   [root](glossary.md#root). On most laptops: no. In containers and on automated test
#   machines: often yes.
# - **ipv6_loopback**: `::1`, the IPv6 loopback address, could be bound *and* reached.
#   IPv6 is the newer version of IP, with longer addresses; it is often switched off in
#   containers. If it says no, lesson 05 shows exactly what breaks.
# - **whole_127_range**: `127.0.0.2` could be bound and reached. Linux gives the whole
#   block 127.0.0.0 to 127.255.255.255 to `lo`; macOS gives its `lo0` only 127.0.0.1
#   (reports: iproute2mac issue 40, norouter issue 2). Lesson 01 is about this.
# - **netns_lab**: whether the course can make [network
#   namespaces](glossary.md#network-namespace), private copies of the kernel's network
#   stack that act as separate machines, joined by virtual cables
#   ([veth pairs](glossary.md#veth)), for a virtual network in lesson 03.
# - **mount_namespaces**: whether it can give one process a private view of the files,
#   with its own `/etc/hosts` (the [hosts file](glossary.md#hosts-file), lesson 02).
# - **user_namespaces**: whether an ordinary user may make a [user
#   namespace](glossary.md#user-namespace), in which they are root of private copies of
#   these namespaces and of nothing else. The course then needs no root for the two
#   above (`unshare(1)`, `user_namespaces(7)`).
# - **localhost_addresses**: what the name `localhost` turned into here, in order, when
#   the course asked the [resolver](glossary.md#resolver).
#   [localhost](glossary.md#localhost) is a *name*, looked up like any other (lesson 02).
#
# The last block says, lesson by lesson, what runs live on this machine and what will be
# explained instead. Nothing in the course crashes for lack of a capability.

# %% [markdown]
# ## Your turn
#
# Open [the exercises of lesson 00](../exercises/00-start-here-exercises.ipynb) and answer
# its two questions; each `check(...)` answers at once. Your passed exercises, the first
# connection above included, are remembered on this machine (`loopedu progress` in a
# terminal lists them).

# %% [markdown]
# ## Key points
#
# - Predict, then run: write down what you expect before each 🔮 experiment, and read
#   why when the machine disagrees.
# - A server socket binds an address and a port, then listens; a client connects to that
#   address and port. Bind port 0 and the kernel picks a free port.
# - 127.0.0.1 is loopback: this machine, and nothing else. A Jupyter notebook already
#   depends on it: the kernel listens on 127.0.0.1, on five ephemeral ports.
# - Connecting to a loopback port where nothing listens fails with `ECONNREFUSED`: the
#   kernel answers the SYN with a reset (at once on Linux and macOS; after about 2 s on
#   Windows).
# - The course measures your machine first (`loopedu doctor`), runs everything it can
#   live, and explains the rest.
#
# ## Sources
#
# - `socket(7)`, `ip(7)` (port 0 in `bind` picks an ephemeral port), `bind(2)`,
#   `listen(2)` (the queue of completed connections waiting for `accept()`),
#   `connect(2)`: Linux manual pages.
# - RFC 1122, Requirements for Internet Hosts, §3.2.1.3: `{127, <any>}` is internal host
#   loopback and must not appear outside a host.
# - RFC 9293, Transmission Control Protocol, §3.10.7.1 (segment arrives, state CLOSED).
# - Jupyter client documentation, "Connection files" and "Messaging in Jupyter":
#   https://jupyter-client.readthedocs.io/en/stable/kernels.html#connection-files
# - Windows retries a refused SYN: libuv pull request 2896 (SIO_TCP_INITIAL_RTO).
# - `unshare(1)`, `network_namespaces(7)`, `user_namespaces(7)`,
#   `mount_namespaces(7)`: Linux manual pages for the namespace capabilities.
# - macOS lo0 answers only on 127.0.0.1: iproute2mac issue 40, norouter issue 2 (see
#   lesson 01).
