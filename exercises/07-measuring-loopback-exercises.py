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
# Set `answer`, run the cell, read the feedback. `hint("id")` gives the next hint, and
# after the last one `solution("id")` shows the worked answer.
# Answer before you look back at the lesson's outputs.

# %%
from loopedu.exercises import check, hint, solution

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
# ## 2. Read your own histogram
#
# The next cell measures 2,000 TCP round trips over 127.0.0.1 on this machine, now, and
# draws them. Your numbers are not your neighbour's. Read the figure (the table under it
# counts the trips in each bar): what are the median and p99 (99 in 100 trips are
# faster), in microseconds? Which single number describes a typical round trip: `"the
# mean"`, `"the median"`, `"the maximum"` or `"p99"`? Keep `trips` in the answer: the
# check reads your numbers against it.

# %%
import statistics

from loopedu import measure, plots

trips = measure.rtt(count=2000)          # this machine's round trips, in microseconds
plots.samples_histogram(trips.samples_us, "round trips on this machine")

# %%
# NBVAL_CHECK_OUTPUT
answer = {"round trips": trips, "median (µs)": None, "p99 (µs)": None,
          "typical round trip": None}
### BEGIN SOLUTION
# A learner reads the two numbers off the figure; the reference computes them, so that it
# passes on any machine.
answer = {"round trips": trips, "median (µs)": statistics.median(trips.samples_us),
          "p99 (µs)": statistics.quantiles(trips.samples_us, n=100, method="inclusive")[98],
          "typical round trip": "the median"}
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
# ## 5. No stall, Nagle on
#
# The lesson's fix turned Nagle off. Now keep it on: other small writes on the
# connection still gain from it. Keep the header and the body as two buffers too: do not
# copy them into one. Write `ask(sock, header, body)`: it gets a connected TCP socket,
# sends the request, reads the reply and returns it. The check runs a server on
# 127.0.0.1, calls `ask` eight times on one connection and times the last five. It fails
# if a request still stalls, or if `TCP_NODELAY` is on afterwards. `hint("07.nodelay")`
# points to tcp(7) and sendmsg(2).

# %%
# NBVAL_CHECK_OUTPUT
import socket


def ask(sock, header, body):
    return None  # send header and body, read the reply, return it
### BEGIN SOLUTION
def ask(sock, header, body):
    sock.sendmsg([header, body])   # one gather write (sendmsg(2)): one segment, no copy
    return sock.recv(64)
### END SOLUTION
check("07.nodelay", ask)
