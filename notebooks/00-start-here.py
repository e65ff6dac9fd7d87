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
# - work the course's way: predict before you run, compare, and explain a surprise
#   *(exercise 00.predict-first)*;
# - open a connection over loopback yourself with Python's `socket` module: a server
#   that binds and listens, a client that connects *(exercise 00.first-connection)*;
# - find which address this notebook's Jupyter kernel listens on, read it from the
#   kernel's own file, and connect to one of its ports *(exercises 00.kernel-transport,
#   00.kernel-connect)*.
#
# **Prerequisites.** You can run a cell in Jupyter (Shift+Enter) and read a little Python.
# No networking knowledge is assumed. Each term is explained where it first appears, and
# the [glossary](glossary.md) collects them all.
#
# **Minutes:** 29 teaching + 10 exercises; Going further: 4 more.

# %% [markdown]
# ## How the course works
#
# Every lesson runs real experiments on *your* machine. It shows what happened beside
# what the standards say should happen. Three habits make it work:
#
# 1. **Predict, then run.** A cell marked 🔮 asks what you expect: replace its `...` and
#    run it. The experiment's cell shows your guess beside what the machine did. After a
#    surprise, an explain cell (💬) asks you why, in one line; then the course explains.
#    A wrong guess is the best moment of a lesson.
# 2. **Break it on purpose.** Sections marked 💥 provoke a real error and explain it.
# 3. **Check yourself.** Where you write code or an answer (✍️, `# YOUR CODE HERE`),
#    `check(...)` answers at once and `hint(...)` gives a hint. After the last hint,
#    `solution(...)` shows the worked answer.
#
# All of it is kept on this machine, so a restarted kernel forgets nothing.
# `loopedu progress` in a terminal lists it; `--export` makes a file for an instructor.

# %% [markdown]
# ## Your first connection
#
# Two programs that talk over a network each hold a **socket**: their end of the
# conversation. Four words are enough to start:
#
# - An **[IP address](glossary.md#ip-address)** names a machine on a network. It is four
#   numbers from 0 to 255, such as `192.168.1.20`.
# - A **[port](glossary.md#port)** is a number from 0 to 65535. It picks one socket at
#   that address. The tuple `("192.168.1.20", 8080)` says exactly where a connection goes.
# - A **[socket](glossary.md#socket)** is made with `socket.socket(...)`. A *server*
#   socket **binds** an address and port (`bind`), then **listens** (`listen`). A
#   *client* socket **connects** to that address and port (`connect`); see
#   [bind, listen, connect](glossary.md#bind).
# - **[Loopback](glossary.md#loopback)** is traffic a machine sends to itself. The
#   address `127.0.0.1` means *this machine*.
#
# Which port should the server bind? Ask for port **0**. It is a request, not a port: the
# **[kernel](glossary.md#kernel)** picks a free port for you. (The kernel is the core of
# the operating system; it owns every socket.) `server.getsockname()` then tells you
# which port you got. A fixed number such as 8080 may already be taken, perhaps by
# another learner on a shared machine. The course always binds port 0.
#
# ✍️ **Your turn.** The cell below makes two sockets for IPv4 (`socket.AF_INET`, the
# [address family](glossary.md#address-family)) and [TCP](glossary.md#tcp)
# (`socket.SOCK_STREAM`), which delivers a stream of bytes in order. The `with` block
# closes them at the end. Write three lines: bind the server to loopback on
# port 0, make it listen, connect the client to the server.

# %%
# NBVAL_CHECK_OUTPUT
import socket

from loopedu.exercises import check, hint, solution

with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server, \
        socket.socket(socket.AF_INET, socket.SOCK_STREAM) as client:
    try:
        # ✍️ Write these three lines below, filling in each ___:
        #   server.bind(___)       a tuple (address, port): which address? which port?
        #   server.listen()        the server starts waiting for connections
        #   client.connect(___)    a tuple (address, port): where is the server?
        ### BEGIN SOLUTION
        server.bind(("127.0.0.1", 0))
        server.listen()
        client.connect(server.getsockname())
        ### END SOLUTION
    except Exception as err:  # shown here; the check below says what to change
        print("error:", type(err).__name__, err)
    feedback = check("00.first-connection", (server, client))
feedback

# %% [markdown]
# What just happened, line by line:
#
# 1. `bind(...)` gave the server its address, loopback, and a free port from the kernel.
# 2. `listen()` told the kernel to accept connections for this socket.
# 3. `connect(...)` asked the kernel for a connection to that address and port. The
#    kernel completed it, and gave the client an address (`127.0.0.1` too) and a port.
#
# Nobody called `accept()`: the kernel queues completed connections until the server
# takes one (`listen(2)`). Lesson 01 adds `accept()`. Stuck? `hint("00.first-connection")`.

# %% [markdown]
# ## A first surprise: where does this notebook's kernel listen?
#
# The word *kernel* has a second meaning in Jupyter. A **Jupyter kernel** is the Python
# process that runs your cells. The page in your browser is served by another program,
# the *Jupyter server*. The two talk over TCP sockets. At start-up the kernel writes the
# address and ports it listens on into a small file, its
# [*connection file*](glossary.md#connection-file).
#
# Which address is it? It could be the machine's Wi-Fi address. It could be `0.0.0.0`,
# which in `bind` means "every address of this machine" (the
# [unspecified address](glossary.md#unspecified)). Or it could be `127.0.0.1`.

# %%
# 🔮 Your prediction: which IP address does this notebook's kernel listen on? (text)
from loopedu.exercises import NOT_MEASURED, explain, predict, reveal

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
reveal("00.kernel-address", info["ip"] if info else NOT_MEASURED)

# %%
# 💬 Your explanation, in one line (or leave ... to skip):
explanation = ...
### BEGIN SOLUTION
explanation = "A kernel only needs to be reached from this machine"  # an example
### END SOLUTION
explain("00.kernel-address", explanation)

# %% [markdown]
# The kernel listens on 127.0.0.1, so every message between the Jupyter server and this
# Python process crosses `lo`, the [loopback interface](glossary.md#lo). An
# [interface](glossary.md#interface) is where a machine sends and receives packets.
# Most are network cards; `lo` is pure software (lesson 04 shows it with counters). On
# a JupyterHub the kernel and its Jupyter server share one machine, so this link is
# loopback too.
#
# Hosts must not send packets for 127.0.0.1 out onto a network (RFC 1122 §3.2.1.3), so
# by default they stay inside. That is a rule hosts follow, not a law of physics: lesson
# 08 shows how it can break.
#
# "Only this machine" is not "only you". Any program on this machine, run by any user,
# can connect to these ports. What protects your kernel is the signing key in the
# connection file, readable only by you (see Going further).

# %% [markdown]
# ## 💥 Break it on purpose: a port where nothing listens
#
# What happens when a client connects to a loopback port where nothing listens? The next
# cells make a server, note its address and port, and close it. Then a client connects
# there. It waits at most 5 seconds.

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
reveal("00.closed-port", outcome)

# %%
# 💬 Your explanation, in one line (or leave ... to skip):
explanation = ...
### BEGIN SOLUTION
explanation = "Nothing on the way can lose the request: the kernel answers itself"  # an example
### END SOLUTION
explain("00.closed-port", explanation)

# %% [markdown]
# **Refused, at once.** On loopback there is no network to lose a packet in. The kernel
# gets the request, finds nothing listening on that port, and says no. `connect()`
# reports [ECONNREFUSED](glossary.md#econnrefused), "connection refused"; Python raises
# `ConnectionRefusedError`. On Windows it takes about 2 seconds: Windows retries first
# (libuv pull request 2896).
#
# Meet ECONNREFUSED on your own machine? First suspect that nothing listens on that port
# (yet). A firewall rule can refuse too (Going further).

# %% [markdown]
# ## What does this machine allow?
#
# Not every machine can run every experiment, so the course measures yours. The
# *doctor* binds and connects as you just did, to `::1` (IPv6 loopback) and to
# `127.0.0.2`, and tries the tools later lessons use. In a terminal: `loopedu doctor`.

# %%
from loopedu import doctor

report = doctor.report()
print(doctor.format_report(report))

# %% [markdown]
# How to read it. Each line says `yes` and how, or `no` and why (and what would fix it).
#
# - **root**: is this kernel the superuser, [root](glossary.md#root)? Laptops: usually
#   not. Containers: often.
# - **ipv6_loopback**: `::1`, IPv6's loopback, was bound *and* reached (lesson 05).
# - **whole_127_range**: `127.0.0.2` was bound and reached. Not every system allows it
#   (lesson 01).
# - **netns_lab**, **mount_namespaces**, **user_namespaces**: can the course build private
#   networks and private hosts files here (Going further)?
# - **ping**, **nft**, **postgres**: tools that lessons 04, 08 and 06 use.
# - **localhost_addresses**: what the name [localhost](glossary.md#localhost) became here.
#   It is a *name*, looked up like any other (lesson 02).
#
# The last block goes lesson by lesson. `partly live` lists what runs, then after "Not
# here" what does not, and why. Nothing crashes for lack of a capability.

# %% [markdown]
# ## Your turn
#
# Open [the exercises of lesson 00](../exercises/00-start-here-exercises.ipynb). Name your
# kernel's address, connect to one of its ports, and handle a surprise.
#
# ## Key points
#
# - Predict, then run; after a surprise, say why in one line before reading the
#   course's explanation. Predictions, tries and hints are kept (`loopedu progress`).
# - A server socket binds an address and a port, then listens; a client connects to that
#   address and port. Bind port 0 and the kernel picks a free port.
# - 127.0.0.1 is loopback: packets to it stay inside this machine by default, a rule
#   hosts follow (lesson 08 shows where it breaks). A Jupyter kernel listens on it.
# - Connecting to a loopback port where nothing listens fails with `ECONNREFUSED` at once
#   (after about 2 s on Windows).
# - The course measures your machine first (`loopedu doctor`), runs what it can live, and
#   explains the rest.
#
# ## Going further
#
# **The kernel's sockets.** `loopedu.kernel_link.kernel_sockets()` lists this kernel's TCP
# sockets as the operating system reports them (with `psutil`): `LISTEN` rows are its
# server sockets, `ESTABLISHED` rows the ends of live connections. Every address is
# 127.0.0.1.
#
# **The connection file.** Jupyter's kernel protocol runs over ZeroMQ, a messaging
# library, on TCP. The connection file holds the transport, the address, five ports and
# a signing key (Jupyter client documentation, "Connection files"). Each port is one
# *channel*: `shell` (run this cell), `iopub` (output and status), `stdin` (`input()`
# prompts), `control` (interrupt, shutdown) and `hb`, the heartbeat.
# `loopedu.kernel_link.CHANNELS` lists them. Port 0 gives *ephemeral* ports like these
# (`ip(7)`): free at start-up and different every time. The signing key signs every
# message ("Messaging in Jupyter"). Recent ipykernel versions log *"Kernel is running
# over TCP without encryption"* (observed with 7.4): on a shared machine the key is what
# keeps other users out.
#
# **What `connect()` sent.** A TCP connection starts with a [SYN](glossary.md#syn)
# segment. To a port where nothing listens, the kernel answers with a reset, an RST
# (RFC 9293 §3.10.7.1). `ECONNREFUSED` is an [errno](glossary.md#errno) name, the short
# name of an error number.
#
# **ECONNREFUSED without a closed port.** A [firewall](glossary.md#firewall) rule can
# answer for a listener that exists. A REJECT rule sends back an ICMP "port unreachable"
# or a TCP reset, and `connect()` fails with ECONNREFUSED, on `lo` too. Only a DROP rule,
# which answers nothing, turns it into a timeout (Linux `net/ipv4/icmp.c`,
# `icmp_err_convert[]`; nft(8)). Lesson 08 builds such rules.
#
# **Namespaces.** A [network namespace](glossary.md#network-namespace) is a private copy
# of the kernel's network stack. The course joins them with virtual cables
# ([veth pairs](glossary.md#veth)) into a small network (lesson 03). A
# [mount namespace](glossary.md#mount-namespace)
# gives one process a private view of the files, with its own `/etc/hosts` (the
# [hosts file](glossary.md#hosts-file), lesson 02). A [user
# namespace](glossary.md#user-namespace) makes an ordinary user root of private copies
# of these, and of nothing else, so the course needs no real root for them (`unshare(1)`,
# `user_namespaces(7)`).
#
# ## Sources
#
# - `socket(7)`, `ip(7)` (port 0 in `bind` picks an ephemeral port), `bind(2)`,
#   `listen(2)` (the queue of completed connections waiting for `accept()`),
#   `connect(2)`: Linux manual pages.
# - RFC 1122, Requirements for Internet Hosts, §3.2.1.3: `{127, <any>}` is internal host
#   loopback and must not appear outside a host.
# - RFC 9293, Transmission Control Protocol, §3.10.7.1 (segment arrives, state CLOSED).
# - Linux `net/ipv4/icmp.c` (`icmp_err_convert[]`: port unreachable becomes
#   ECONNREFUSED); `nft(8)` (the `reject` and `drop` statements).
# - Jupyter client documentation, "Connection files" and "Messaging in Jupyter":
#   https://jupyter-client.readthedocs.io/en/stable/kernels.html#connection-files
# - Windows retries a refused SYN: libuv pull request 2896 (SIO_TCP_INITIAL_RTO).
# - `unshare(1)`, `network_namespaces(7)`, `user_namespaces(7)`,
#   `mount_namespaces(7)`: Linux manual pages for the namespace capabilities.
# - macOS lo0 answers only on 127.0.0.1: iproute2mac issue 40, norouter issue 2 (see
#   lesson 01).
