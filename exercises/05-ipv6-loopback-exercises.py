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
# # Exercises 04 · IPv6 ::1
#
# Set `answer`, run the cell, read the feedback. `hint("id")` gives the next hint.
# Work the notation out by hand first; `loopedu.ipv6` can check you afterwards.

# %%
from loopedu.exercises import check, hint

# %% [markdown]
# ## 1. Compress
#
# A careless tool printed `2001:0DB8:0000:0000:0001:0000:0000:0001`. Write it in its
# RFC 5952 canonical form (a string).

# %%
# NBVAL_CHECK_OUTPUT
answer = None  # replace None with a string
### BEGIN SOLUTION
answer = "2001:db8::1:0:0:1"
### END SOLUTION
check("04.compress", answer)

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
check("04.expand", answer)

# %% [markdown]
# ## 3. Predict dual stack (Linux)
#
# A server listens on `[::]`, port P, with IPV6_V6ONLY **off**, then again with it
# **on**. For each key, predict: `"connected"` or `"refused"` for the IPv4 client
# connecting to 127.0.0.1:P; the address the server sees; `"ok"` or the errno name
# (such as `"EADDRINUSE"`) for another socket binding 0.0.0.0:P while the listener runs.

# %%
# NBVAL_CHECK_OUTPUT
answer = {
    "off: IPv4 to 127.0.0.1": None,
    "off: server sees": None,
    "off: bind 0.0.0.0 same port": None,
    "on: IPv4 to 127.0.0.1": None,
    "on: bind 0.0.0.0 same port": None,
}
### BEGIN SOLUTION
answer = {"off: IPv4 to 127.0.0.1": "connected", "off: server sees": "::ffff:127.0.0.1",
          "off: bind 0.0.0.0 same port": "EADDRINUSE", "on: IPv4 to 127.0.0.1": "refused",
          "on: bind 0.0.0.0 same port": "ok"}
### END SOLUTION
check("04.dual-stack", answer)

# %% [markdown]
# Now run it and compare with your prediction (on Linux with IPv6 on, it matches the
# key; elsewhere the platform's default may differ, which is the point of lesson 04):

# %%
from loopedu import experiments

print(experiments.dual_stack_key(experiments.dual_stack()))

# %% [markdown]
# ## 4. The broken locality check
#
# A server listens on `[::]` (dual stack) and runs `is_local(host)` on each client's
# address, `host = conn.getpeername()[0]`. Which body of `is_local` wrongly rejects a
# client that connected to 127.0.0.1, on Python 3.11?

# %%
from loopedu.exercises.lesson04 import LOCALITY_OPTIONS

for letter, code in LOCALITY_OPTIONS.items():
    print(f"({letter}) return {code}")

# %%
# NBVAL_CHECK_OUTPUT
answer = None  # replace None with a letter
### BEGIN SOLUTION
answer = "a"
### END SOLUTION
check("04.locality-check", answer)
