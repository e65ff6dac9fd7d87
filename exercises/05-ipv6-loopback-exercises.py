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
# # Exercises 05 · IPv6 ::1
#
# Set `answer`, run the cell, read the feedback. `hint("id")` gives the next hint, and
# after the last one `solution("id")` shows the worked answer.
# Work the notation out by hand first; `loopedu.ipv6` can check you afterwards.

# %%
from loopedu.exercises import check, hint, solution

# %% [markdown]
# ## 1. Compress
#
# A careless tool printed `2001:0DB8:0000:0001:0000:0000:0000:00AB`. Write it in its
# RFC 5952 canonical form (a string).

# %%
# NBVAL_CHECK_OUTPUT
answer = None  # replace None with a string
### BEGIN SOLUTION
answer = "2001:db8:0:1::ab"
### END SOLUTION
check("05.compress", answer)

# %% [markdown]
# ## 2. Expand
#
# Write `2001:db8::ff00:42:8329` in full: 8 groups of exactly 4 hex digits.

# %%
# NBVAL_CHECK_OUTPUT
answer = None  # replace None with a string
### BEGIN SOLUTION
answer = "2001:0db8:0000:0000:0000:ff00:0042:8329"
### END SOLUTION
check("05.expand", answer)

# %% [markdown]
# ## 3. Dual stack by default, here and on Windows
#
# The lesson set IPV6_V6ONLY itself. This server does not: it makes an `AF_INET6` socket,
# leaves the option as the system sets it, and binds `[::]`, port P. Predict:
#
# - `here: ...`: on **this machine**, does an IPv4 client to 127.0.0.1:P get
#   `"connected"` or `"refused"`? And does another socket binding 0.0.0.0:P while the
#   server runs get `"ok"` or an errno name (such as `"EADDRINUSE"`)?
# - `Windows: ...`: the same code on Windows, and the IPv4 client?
# - `V6ONLY 0: server sees`: whatever the platform, a server that *does* set V6ONLY to 0:
#   what address does it see for that IPv4 client (any spelling)?

# %%
# NBVAL_CHECK_OUTPUT
answer = {
    "here: IPv4 to 127.0.0.1": None,
    "here: bind 0.0.0.0 same port": None,
    "Windows: IPv4 to 127.0.0.1": None,
    "V6ONLY 0: server sees": None,
}
### BEGIN SOLUTION
answer = {"here: IPv4 to 127.0.0.1": "connected",          # a Linux or macOS default
          "here: bind 0.0.0.0 same port": "EADDRINUSE",
          "Windows: IPv4 to 127.0.0.1": "refused", "V6ONLY 0: server sees": "::ffff:127.0.0.1"}
### END SOLUTION
check("05.dual-stack", answer)

# %% [markdown]
# This machine's default, as measured on a fresh socket (`new_socket_v6only`) and, on
# Linux, in the sysctl `net.ipv6.bindv6only`:

# %%
from loopedu import dual_stack

here = dual_stack.platform_dual_stack_default()
print(f"{here.system}: a new AF_INET6 socket starts with IPV6_V6ONLY = "
      f"{here.new_socket_v6only} (net.ipv6.bindv6only = {here.bindv6only})")

# %% [markdown]
# ## 4. Which locality check holds?
#
# A server listens on `[::]` (dual stack) and runs `is_local(host)` on each client's
# address, `host = conn.getpeername()[0]`. None of these bodies is the lesson's. Try each
# by hand on the peers printed below. Which one answers every peer right (True for the
# local ones, False for the remote ones, no exception) on **every** Python release, with
# or without the gh-117566 fix? Say `"right"` or `"wrong"` for each letter.

# %%
from loopedu.exercises.lesson05 import LOCALITY_LOCAL, LOCALITY_OPTIONS, LOCALITY_REMOTE

print("local peers: ", ", ".join(LOCALITY_LOCAL))
print("remote peers:", ", ".join(LOCALITY_REMOTE))
for letter, code in LOCALITY_OPTIONS.items():
    print(f"({letter}) return {code}")

# %%
# NBVAL_CHECK_OUTPUT
answer = {"a": None, "b": None, "c": None, "d": None, "e": None}  # "right" or "wrong"
### BEGIN SOLUTION
answer = {"a": "wrong", "b": "wrong", "c": "wrong", "d": "wrong", "e": "right"}
### END SOLUTION
check("05.locality-check", answer)

# %% [markdown]
# What does *your* Python say about the lesson's naive check? A real dual-stack server on
# `::` (in a network namespace of its own where the machine allows it) accepts a client
# from 127.0.0.1 and asks `ipaddress`'s question and `loopedu.addresses.is_loopback`'s:

# %%
demo = dual_stack.locality_check_demo()
print(f"Python {demo.python}: the server saw {demo.server_saw}")
print(f"  ipaddress.ip_address(host).is_loopback -> {demo.naive}")
print(f"  loopedu.addresses.is_loopback(host)    -> {demo.loopedu}")

# %% [markdown]
# ## 5. IPv6 switched off: cases the lesson did not run
#
# On a machine with IPv6 **disabled** (`net.ipv6.conf.all.disable_ipv6=1`, as in many
# containers), a server listens on 127.0.0.1, port P. What does each client end with
# (`"connected"`, `"refused"`, or an errno name)?
#
# - a client makes an `AF_INET6` socket and connects to `::1`, port P;
# - a client calls `socket.create_connection(("localhost", P))`, and `localhost` resolves
#   to `::1` first, then to 127.0.0.1 (the hosts file lists both).
#
# And on a kernel with IPv6 **compiled out**, a server makes an `AF_INET6` socket to bind
# `::` (not `::1`): `"ok"`, or the errno name of the first call that fails?

# %%
# NBVAL_CHECK_OUTPUT
answer = {
    "IPv6 disabled: connect to ::1": None,
    "IPv6 disabled: create_connection to localhost": None,
    "IPv6 compiled out: bind ::": None,
}
### BEGIN SOLUTION
answer = {"IPv6 disabled: connect to ::1": "EADDRNOTAVAIL",
          "IPv6 disabled: create_connection to localhost": "connected",
          "IPv6 compiled out: bind ::": "EAFNOSUPPORT"}
### END SOLUTION
check("05.ipv6-off", answer)
