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
# Set `answer`, run the cell, read the feedback. `hint("id")` gives the next hint.
# Work the notation out by hand first; `loopedu.ipv6` can check you afterwards.

# %%
from loopedu.exercises import check, hint

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
# ## 4. The broken locality check
#
# A server listens on `[::]` (dual stack) and runs `is_local(host)` on each client's
# address, `host = conn.getpeername()[0]`. It runs on a Python **without** the fix for
# CPython issue gh-117566 (yours may have it: the answer is about one that does not).
# Which body of `is_local` wrongly rejects a client that connected to 127.0.0.1?

# %%
from loopedu.exercises.lesson05 import LOCALITY_OPTIONS

for letter, code in LOCALITY_OPTIONS.items():
    print(f"({letter}) return {code}")

# %%
# NBVAL_CHECK_OUTPUT
answer = None  # replace None with a letter
### BEGIN SOLUTION
answer = "a"
### END SOLUTION
check("05.locality-check", answer)

# %% [markdown]
# What does *your* Python say? A real dual-stack server on `::` (in a network namespace
# of its own where the machine allows it) accepts a client from 127.0.0.1 and asks
# option (a)'s question and `loopedu.addresses.is_loopback`'s:

# %%
demo = dual_stack.locality_check_demo()
print(f"Python {demo.python}: the server saw {demo.server_saw}")
print(f"  ipaddress.ip_address(host).is_loopback -> {demo.naive}")
print(f"  loopedu.addresses.is_loopback(host)    -> {demo.loopedu}")

# %% [markdown]
# ## 5. IPv6 switched off
#
# A server makes an `AF_INET6` socket and binds `::1`. What does it end with (`"ok"` or
# the errno name of the first call that fails) on a machine with IPv6 **disabled**
# (`net.ipv6.conf.all.disable_ipv6=1`, as in many containers), and on one whose kernel
# has IPv6 **compiled out**? And on the machine with IPv6 disabled, does an IPv4 client
# connecting to 127.0.0.1 reach a socket on `[::]` with IPV6_V6ONLY off (`"connected"` or
# `"refused"`)?

# %%
# NBVAL_CHECK_OUTPUT
answer = {
    "IPv6 disabled: bind ::1": None,
    "IPv6 compiled out: bind ::1": None,
    "IPv6 disabled: IPv4 client to [::]": None,
}
### BEGIN SOLUTION
answer = {"IPv6 disabled: bind ::1": "EADDRNOTAVAIL",
          "IPv6 compiled out: bind ::1": "EAFNOSUPPORT",
          "IPv6 disabled: IPv4 client to [::]": "connected"}
### END SOLUTION
check("05.ipv6-off", answer)
