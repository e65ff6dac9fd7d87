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
# Set `answer`, run the cell, read the feedback. `hint("id")` gives the next hint.
# Answer before you look back at the lesson's outputs.

# %%
from loopedu.exercises import check, hint

# %% [markdown]
# ## 1. Which counters count loopback traffic?
#
# A client sends 5 MB (5,000,000 bytes) over 127.0.0.1 to a server on the same machine.
# By how many MB, at least, does each counter grow? (Ignore the few bytes of TCP/IP
# headers and anything else the machine does meanwhile.)

# %%
# NBVAL_CHECK_OUTPUT
answer = {"lo sent": None, "lo received": None, "network card sent": None,
          "network card received": None}
### BEGIN SOLUTION
answer = {"lo sent": 5, "lo received": 5, "network card sent": 0,
          "network card received": 0}
### END SOLUTION
check("04.counters", answer)

# %% [markdown]
# ## 2. `lo` is down
#
# In a fresh network namespace `lo` is down. What does each of these give: `"ok"`, or an
# errno name such as `"ECONNREFUSED"`, `"ENETUNREACH"` or `"EADDRNOTAVAIL"`?

# %%
# NBVAL_CHECK_OUTPUT
answer = {"bind 127.0.0.1": None, "connect to 127.0.0.1": None, "bind ::1": None}
### BEGIN SOLUTION
answer = {"bind 127.0.0.1": "ok", "connect to 127.0.0.1": "ENETUNREACH",
          "bind ::1": "EADDRNOTAVAIL"}
### END SOLUTION
check("04.lo-down", answer)

# %% [markdown]
# ## 3. Read an audit
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
# ## 4. Two programs, one port (Linux)
#
# One program listens on 0.0.0.0, port P; another binds 127.0.0.1, port P. Which listener
# gets each connection (`"127.0.0.1"` or `"0.0.0.0"`), and what does the second bind give
# with SO_REUSEADDR only (`"ok"` or an errno name)?

# %%
# NBVAL_CHECK_OUTPUT
answer = {"SO_REUSEPORT on both: 127.0.0.1:P goes to": None,
          "SO_REUSEPORT on both: 127.0.0.2:P goes to": None,
          "SO_REUSEADDR only: the second bind gives": None}
### BEGIN SOLUTION
answer = {"SO_REUSEPORT on both: 127.0.0.1:P goes to": "127.0.0.1",
          "SO_REUSEPORT on both: 127.0.0.2:P goes to": "0.0.0.0",
          "SO_REUSEADDR only: the second bind gives": "EADDRINUSE"}
### END SOLUTION
check("04.shadowing", answer)
