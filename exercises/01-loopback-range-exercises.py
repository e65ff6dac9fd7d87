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
# ## 1. How many addresses are in 127.0.0.0/8?

# %%
# NBVAL_CHECK_OUTPUT
answer = None  # replace None with a number (or an expression)
### BEGIN SOLUTION
answer = 2 ** (32 - 8)
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
# 127.0.0.1). Bind a server to it on port 0, let it listen, and connect a client to it.
# The check looks at your two sockets, live, and says what this machine allows: where
# only 127.0.0.1 is loopback (macOS), it tells you so.

# %%
# NBVAL_CHECK_OUTPUT
import socket

with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server, \
        socket.socket(socket.AF_INET, socket.SOCK_STREAM) as client:
    try:
        # ✍️ three lines: bind the server (port 0), let it listen, connect the client
        ### BEGIN SOLUTION
        server.bind(("127.3.2.1", 0))
        server.listen()
        client.connect(server.getsockname())
        ### END SOLUTION
    except OSError as err:  # shown here; the check below says what to change
        print("💥", type(err).__name__, err)
    feedback = check("01.bind-127", (server, client))
feedback

# %% [markdown]
# ## 6. On a Mac with default settings, what does binding 127.0.0.2 do?

# %%
from loopedu.exercises.lesson01 import HISTORY_OPTIONS, MACOS_OPTIONS

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
# ## 7. Who chose the `.1` in 127.0.0.1?

# %%
for letter, text in HISTORY_OPTIONS.items():
    print(f"({letter}) {text}")

# %%
# NBVAL_CHECK_OUTPUT
answer = None  # replace None with a letter
### BEGIN SOLUTION
answer = "c"
### END SOLUTION
check("01.history", answer)
