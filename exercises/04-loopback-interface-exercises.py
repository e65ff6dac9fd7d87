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
# # Exercises 04 · lo, an interface like any other
#
# Set `answer`, run the cell, read the feedback. `hint("id")` gives the next hint, and
# after the last one `solution("id")` shows the worked answer.
# Answer before you look back at the lesson's outputs.

# %%
from loopedu.exercises import check, hint, solution

# %% [markdown]
# ## 1. Write it: which interface carries the bytes?
#
# The lesson read the counters around 1 MB sent to 127.0.0.1. Now measure it yourself,
# for another loopback address. This machine's is:

# %%
from loopedu.exercises.interface_growth import exercise_address, send_bytes

print("the check sends to:", exercise_address())

# %% [markdown]
# Write `growth(address, nbytes)`. It reads `psutil.net_io_counters(pernic=True)`, calls
# `send_bytes(address, nbytes)`, and reads the counters again. It returns a dict: for
# each interface, how many bytes it *received* meanwhile (`bytes_recv`).
#
# The check runs your function live, sending 3 MB. It reads the counters itself too, and
# compares. (Windows reports no loopback counters: there the check says so.)

# %%
# NBVAL_CHECK_OUTPUT
import psutil


def growth(address, nbytes):
    return None  # read the counters, send_bytes(address, nbytes), read them again
### BEGIN SOLUTION
def growth(address, nbytes):
    before = psutil.net_io_counters(pernic=True)
    send_bytes(address, nbytes)                  # between the two readings
    after = psutil.net_io_counters(pernic=True)
    return {nic: after[nic].bytes_recv - before[nic].bytes_recv
            for nic in after if nic in before}
### END SOLUTION
check("04.counters", growth)

# %% [markdown]
# Now print `growth(exercise_address(), 1_000_000)`. Which interface grew by the million
# bytes? Which did not?

# %% [markdown]
# ## 2. `ping 127.0.0.1` gets no reply
#
# The lesson pinged `lo` before taking it down. On a Linux server, `ping 127.0.0.1` gets no reply. Could each cause below, alone,
# explain that? Answer `True` or `False` for each.

# %%
# NBVAL_CHECK_OUTPUT
answer = {"Wi-Fi card switched off": None, "lo set down": None,
          "icmp_echo_ignore_all = 1": None, "web server on 127.0.0.1 crashed": None}
### BEGIN SOLUTION
answer = {"Wi-Fi card switched off": False, "lo set down": True,
          "icmp_echo_ignore_all = 1": True, "web server on 127.0.0.1 crashed": False}
### END SOLUTION
check("04.ping", answer)

# %% [markdown]
# ## 3. `lo` is down: other addresses, and UDP
#
# The lesson connected to 127.0.0.1 in two cases. Case **A**: a brand-new network
# namespace, whose `lo` was never up. Case **B**: `lo` was up, then someone ran `ip link
# set lo down`. Now other calls, on Linux:
#
# - `connect 127.0.0.2`: a TCP client (2 s timeout) connects to 127.0.0.2;
# - `UDP to 127.0.0.1`: a UDP socket calls `sendto()` once, to 127.0.0.1;
# - `connect ::1`: a TCP client connects to ::1.
#
# What does each give? `"ok"` (no error), `"timeout"`, or an errno name such as
# `"ECONNREFUSED"`, `"ENETUNREACH"` or `"EADDRNOTAVAIL"`.

# %%
# NBVAL_CHECK_OUTPUT
answer = {"A: connect 127.0.0.2": None, "A: UDP to 127.0.0.1": None,
          "B: connect 127.0.0.2": None, "B: UDP to 127.0.0.1": None, "B: connect ::1": None}
### BEGIN SOLUTION
answer = {"A: connect 127.0.0.2": "ENETUNREACH", "A: UDP to 127.0.0.1": "ENETUNREACH",
          "B: connect 127.0.0.2": "timeout", "B: UDP to 127.0.0.1": "ok",
          "B: connect ::1": "EADDRNOTAVAIL"}
### END SOLUTION
check("04.lo-down", answer)

# %% [markdown]
# ## 4. Read an audit
#
# Here is the (made-up) audit of a laptop's listening sockets, as `loopedu audit` prints
# one. Which services can another machine on the network reach? Give a list of process
# names.

# %%
from loopedu.exercises.lesson04 import AUDIT_ROWS, format_audit_rows

print(format_audit_rows(AUDIT_ROWS))

# %%
# NBVAL_CHECK_OUTPUT
answer = None  # replace None with a list of process names
### BEGIN SOLUTION
answer = ["sshd", "mysqld", "python3", "node", "avahi-daemon"]
### END SOLUTION
check("04.read-audit", answer)

# %% [markdown]
# ## 5. Write it: two listeners on one port
#
# Make two sockets listen on 127.0.0.1 on one and the same port. The checker connects to
# that port over loopback several times and tells you which socket got the connections.
# Stay on 127.0.0.1 (or ::1): a listener on 0.0.0.0 would be reachable from your network.

# %%
# NBVAL_CHECK_OUTPUT
import socket

with socket.socket() as first, socket.socket() as second:
    try:
        # Task: leave `first` and `second` both listening on one 127.0.0.1 port
        # (hint("04.share-port") gives the steps, one at a time).
        # ✍️ Your lines
        ### BEGIN SOLUTION
        for sock in (first, second):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        first.bind(("127.0.0.1", 0))
        first.listen()
        second.bind(first.getsockname())
        second.listen()
        ### END SOLUTION
    except Exception as err:  # shown here; the check below says what to change
        print("💥", type(err).__name__, err)
    feedback = check("04.share-port", (first, second))
feedback

# %% [markdown]
# ## 6. Shadowing another address (Linux)
#
# Now one program listens on 0.0.0.0, port P, and another binds **127.0.0.2**, port P,
# both with SO_REUSEPORT. Which listener gets a connection to 127.0.0.2:P, and to
# 127.0.0.3:P (`"127.0.0.2"` or `"0.0.0.0"`)? And if the 0.0.0.0 listener had *not* set
# SO_REUSEPORT, what would the second bind give (`"ok"` or an errno name)?

# %%
# NBVAL_CHECK_OUTPUT
answer = {"127.0.0.2 goes to": None, "127.0.0.3 goes to": None,
          "first without it: bind": None}
### BEGIN SOLUTION
answer = {"127.0.0.2 goes to": "127.0.0.2", "127.0.0.3 goes to": "0.0.0.0",
          "first without it: bind": "EADDRINUSE"}
### END SOLUTION
check("04.shadowing", answer)
