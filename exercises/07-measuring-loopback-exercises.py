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
# # Exercises 07 · Measuring loopback
#
# Set `answer`, run the cell, read the feedback. `hint("id")` gives the next hint.
# Answer before you look back at the lesson's outputs.

# %%
from loopedu.exercises import check, hint

# %% [markdown]
# ## 1. A refused connection on lo
#
# The lesson captured a connection that a server accepted. Now, on Linux, a client
# connects to 127.0.0.1 on a port where nothing listens, while a capture on `lo` runs
# (one copy of each packet, as `capture` shows them). How many
# packets does the capture show for that port, and what are their flags (`"SYN"`,
# `"ACK"`, `"SYN-ACK"`, `"RST"`, `"RST-ACK"`, `"FIN"`...)? What does `connect()` raise
# (an errno name such as `"ETIMEDOUT"`)? Does a network card see the packets too (`True`
# or `False`)?

# %%
# NBVAL_CHECK_OUTPUT
answer = {"packets on lo for that port": None, "flags of the first": None,
          "flags of the second": None, "connect() raises": None,
          "a network card also sees them": None}
### BEGIN SOLUTION
answer = {"packets on lo for that port": 2, "flags of the first": "SYN",
          "flags of the second": "RST-ACK", "connect() raises": "ECONNREFUSED",
          "a network card also sees them": False}
### END SOLUTION
check("07.packets", answer)

# %% [markdown]
# ## 2. Read a histogram
#
# Here are 1,000 round trips measured on some machine. Read the chart: where is the
# median, where is p99 (the value 99 in 100 samples stay under), and which single number
# best describes a typical round trip? Answer each with a letter.

# %%
from loopedu import plots
from loopedu.exercises.lesson07 import (MEDIAN_OPTIONS, P99_OPTIONS, TYPICAL_OPTIONS,
                                        histogram_samples)

plots.samples_histogram(histogram_samples(), "round trips of some machine")

# %%
for name, options in (("median", MEDIAN_OPTIONS), ("p99", P99_OPTIONS),
                      ("typical round trip", TYPICAL_OPTIONS)):
    print(name + ":", ", ".join(f"({k}) {v}" for k, v in options.items()))

# %%
# NBVAL_CHECK_OUTPUT
answer = {"median": None, "p99": None, "typical round trip": None}
### BEGIN SOLUTION
answer = {"median": "b", "p99": "d", "typical round trip": "b"}
### END SOLUTION
check("07.histogram", answer)

# %% [markdown]
# ## 3. Why the numbers differ
#
# True or false, on Linux loopback?

# %%
# NBVAL_CHECK_OUTPUT
answer = {
    "smaller writes mean more system calls per byte, so lower throughput": None,
    "loopback throughput is limited by the network card's speed": None,
    "lo's packet counters grow while two processes talk over a Unix-domain socket": None,
    "a TCP segment captured on lo carries the checksum of that segment": None,
    "where the scheduler puts client and server (one core or two) changes the round trip":
        None,
}
### BEGIN SOLUTION
answer = {
    "smaller writes mean more system calls per byte, so lower throughput": True,
    "loopback throughput is limited by the network card's speed": False,
    "lo's packet counters grow while two processes talk over a Unix-domain socket": False,
    "a TCP segment captured on lo carries the checksum of that segment": False,
    "where the scheduler puts client and server (one core or two) changes the round trip":
        True,
}
### END SOLUTION
check("07.why-numbers", answer)

# %% [markdown]
# ## 4. A 40 ms stall
#
# A client writes a 10-byte header, then a 100-byte body, then waits for the reply. On
# Linux every request takes about 40 ms, on loopback. The first key wants a few words
# (what the client's kernel waits for); the others `True` or `False`.

# %%
# NBVAL_CHECK_OUTPUT
answer = {
    "the client's kernel holds back the body until": None,
    "the server's kernel delays that ACK, hoping to send it with data": None,
    "TCP_NODELAY on the client fixes it": None,
    "sending header and body in one write fixes it": None,
    "a bigger receive buffer on the server fixes it": None,
}
### BEGIN SOLUTION
answer = {
    "the client's kernel holds back the body until": "the header is acknowledged (ACK)",
    "the server's kernel delays that ACK, hoping to send it with data": True,
    "TCP_NODELAY on the client fixes it": True,
    "sending header and body in one write fixes it": True,
    "a bigger receive buffer on the server fixes it": False,
}
### END SOLUTION
check("07.nagle", answer)

# %% [markdown]
# ## 5. Your own request, without the stall
#
# Write the write-write-read request yourself. `ask(sock, header, body)` gets a connected
# TCP socket. It sends the header, then the body, as **two** writes, then reads the reply
# and returns it. Then take the stall away without joining the writes. The check runs a
# server on 127.0.0.1, calls `ask` eight times on one connection, and times the last
# five.

# %%
# NBVAL_CHECK_OUTPUT
import socket


def ask(sock, header, body):
    return None  # write the header, write the body, read the reply; return it
### BEGIN SOLUTION
def ask(sock, header, body):
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)   # Nagle off
    sock.sendall(header)
    sock.sendall(body)
    return sock.recv(64)
### END SOLUTION
check("07.nodelay", ask)
