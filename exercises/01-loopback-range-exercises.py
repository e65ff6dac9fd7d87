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
# # Exercises 01 · The loopback range
#
# Set `answer`, run the cell, read the feedback. `hint("id")` gives the next hint, and
# after the last one `solution("id")` shows the worked answer. Computing an answer in
# Python is encouraged: `2 ** 8` is as good an answer as `256`.

# %%
from loopedu.exercises import check, hint, solution

# %% [markdown]
# ## 1. How many addresses are in 100.64.0.0/10?
#
# The lesson counted 127.0.0.0/8. This block is the *shared address space* that
# internet providers use behind carrier-grade NAT (RFC 6598).

# %%
# NBVAL_CHECK_OUTPUT
answer = None  # replace None with a number (or an expression)
### BEGIN SOLUTION
answer = 2 ** (32 - 10)
### END SOLUTION
check("01.loopback-size", answer)

# %% [markdown]
# ## 2. A 2024 draft would keep only 127.0.0.0/16 for loopback. How many addresses is that?

# %%
# NBVAL_CHECK_OUTPUT
answer = None  # replace None with a number
### BEGIN SOLUTION
answer = 2 ** (32 - 16)
### END SOLUTION
check("01.slash16-size", answer)

# %% [markdown]
# ## 3. Which of these are loopback addresses?
#
# None of them is one the lesson classified. Fill in True or False for each address.
# (You may check yourself with `loopedu.addresses.is_loopback` afterwards, but predict
# first.)

# %%
# NBVAL_CHECK_OUTPUT
answer = {
    "127.1.2.3": None,
    "126.255.255.255": None,
    "128.0.0.1": None,
    "0:0:0:0:0:0:0:1": None,
    "::ffff:127.8.9.10": None,
    "::ffff:10.0.0.1": None,
    "::2": None,
    "::": None,
}
### BEGIN SOLUTION
answer = {"127.1.2.3": True, "126.255.255.255": False, "128.0.0.1": False,
          "0:0:0:0:0:0:0:1": True, "::ffff:127.8.9.10": True, "::ffff:10.0.0.1": False,
          "::2": False, "::": False}
### END SOLUTION
check("01.is-loopback", answer)

# %% [markdown]
# ## 4. Which of the registry's flags are True for 169.254.0.0/16?
#
# The lesson printed the flags of 127/8. This block is link-local: its addresses are
# valid on one link only. The five flags: `source`, `destination`, `forwardable`,
# `globally_reachable`, `reserved_by_protocol`. Reason first, then read the registry:
# `addresses.classify("169.254.1.1")` returns its entry, one attribute per flag. Give a
# list of the flags that are True.

# %%
# NBVAL_CHECK_OUTPUT
from loopedu import addresses

answer = None  # replace None with a list of flag names
### BEGIN SOLUTION
from loopedu import addresses  # imported above too: a solution block runs on its own

entry = addresses.classify("169.254.1.1")
answer = [flag for flag in ("source", "destination", "forwardable", "globally_reachable",
                            "reserved_by_protocol") if getattr(entry, flag)]
### END SOLUTION
check("01.registry-flags", answer)

# %% [markdown]
# ## 5. Your own server on another 127.x
#
# The lesson bound 127.0.0.2. Pick another address of 127.0.0.0/8, one you choose (not
# 127.0.0.1, not 127.0.0.2). Bind a server to it on port 0, let it listen, and connect a client to it.
# The check looks at your two sockets, live, and says what this machine allows: where
# only 127.0.0.1 is loopback (macOS), it tells you so.

# %%
# NBVAL_CHECK_OUTPUT
import socket

with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server, \
        socket.socket(socket.AF_INET, socket.SOCK_STREAM) as client:
    try:
        # ✍️ three lines: bind the server (port 0), make it listen, connect the client
        ### BEGIN SOLUTION
        server.bind(("127.3.2.1", 0))
        server.listen()
        client.connect(server.getsockname())
        ### END SOLUTION
    except OSError as err:  # shown here; the check below says what to change
        print("error:", type(err).__name__, err)
    feedback = check("01.bind-127", (server, client))
feedback

# %% [markdown]
# ## 6. A test suite that fails on a Mac
#
# Pick one letter.

# %%
from loopedu.exercises.lesson01 import MACOS_OPTIONS, MACOS_SITUATION

print(MACOS_SITUATION, "\n")
for letter, text in MACOS_OPTIONS.items():
    print(f"({letter}) {text}")

# %%
# NBVAL_CHECK_OUTPUT
answer = None  # replace None with a letter
### BEGIN SOLUTION
answer = "b"
### END SOLUTION
check("01.macos-127-0-0-2", answer)

# %% [markdown]
# ## 7. Correct the popular history
#
# The popular account says: "Joy and Leffler chose 127.0.0.1 in 1983, and RFC 1122 made
# loopback mandatory." Below it is taken apart into claims. Set each to True if the
# sources in the lesson's history table bear it out, False if they do not.

# %%
# NBVAL_CHECK_OUTPUT
answer = {
    "network 127 was first set aside in 1983, for BSD": None,
    "Joy wrote BSD's loopback driver": None,
    "Leffler chose the .1 in 1983": None,
    "RFC 1122 says a host MUST implement loopback": None,
    "RFC 1122 says 127/8 must not appear outside a host": None,
}
### BEGIN SOLUTION
answer = {
    "network 127 was first set aside in 1983, for BSD": False,
    "Joy wrote BSD's loopback driver": True,
    "Leffler chose the .1 in 1983": True,
    "RFC 1122 says a host MUST implement loopback": False,
    "RFC 1122 says 127/8 must not appear outside a host": True,
}
### END SOLUTION
check("01.history", answer)
