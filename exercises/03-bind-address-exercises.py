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
# # Exercises 03 · 127.0.0.1 versus 0.0.0.0
#
# Set `answer`, run the cell, read the feedback. `hint("id")` gives the next hint, and
# after the last one `solution("id")` shows the worked answer. Predict first: the
# lesson's experiments can check you afterwards.

# %%
from loopedu.exercises import check, hint, solution

# %% [markdown]
# ## 1. Predict the reachability matrix (on Linux)
#
# A server listens on the bind address on the left of the arrow (port 0, the same port
# for every client); a client connects to the address on the right. For each pair, will
# the client get `"connected"` or `"refused"`? Answer for Linux. These addresses are not
# in the lesson's matrix: apply its rule. The `::` and `::1` rows are checked only where
# your machine has IPv6 loopback (the report of lesson 00 says).

# %%
# NBVAL_CHECK_OUTPUT
answer = {
    "127.0.0.1 -> 127.0.0.1": None,
    "127.0.0.1 -> 127.0.0.53": None,
    "127.0.0.1 -> 127.255.255.254": None,
    "0.0.0.0 -> 127.0.0.1": None,
    "0.0.0.0 -> 127.0.0.53": None,
    "0.0.0.0 -> 127.255.255.254": None,
    "127.0.0.53 -> 127.0.0.1": None,
    "127.0.0.53 -> 127.0.0.53": None,
    "127.0.0.53 -> 127.255.255.254": None,
    # Linux only: there :: is dual stack by default (on Windows it takes IPv6 only)
    ":: -> 127.0.0.1": None,
    ":: -> 127.0.0.53": None,
    ":: -> 127.255.255.254": None,
    "::1 -> 127.0.0.1": None,
    "::1 -> 127.0.0.53": None,
    "::1 -> 127.255.255.254": None,
}
### BEGIN SOLUTION
answer = {"127.0.0.1 -> 127.0.0.1": "connected", "127.0.0.1 -> 127.0.0.53": "refused",
          "127.0.0.1 -> 127.255.255.254": "refused", "0.0.0.0 -> 127.0.0.1": "connected",
          "0.0.0.0 -> 127.0.0.53": "connected", "0.0.0.0 -> 127.255.255.254": "connected",
          "127.0.0.53 -> 127.0.0.1": "refused", "127.0.0.53 -> 127.0.0.53": "connected",
          "127.0.0.53 -> 127.255.255.254": "refused",
          ":: -> 127.0.0.1": "connected", ":: -> 127.0.0.53": "connected",
          ":: -> 127.255.255.254": "connected", "::1 -> 127.0.0.1": "refused",
          "::1 -> 127.0.0.53": "refused", "::1 -> 127.255.255.254": "refused"}
### END SOLUTION
check("03.predict-matrix", answer)

# %% [markdown]
# ## 2. Your own server: this machine only
#
# Write `serve()`. It makes a TCP socket, binds it (port 0), makes it listen, and returns
# it. The check calls `serve()`, connects to the socket twice, then closes it. The cell
# below says which connections must succeed here.

# %%
from loopedu.exercises.bind_probe import serve_task

print(serve_task())

# %%
# NBVAL_CHECK_OUTPUT
import socket


def serve():
    ...  # ✍️ socket.socket(), bind((address, 0)), listen(), then return the socket


### BEGIN SOLUTION
def serve():
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen()
    return server
### END SOLUTION
check("03.serve-local", serve)

# %% [markdown]
# ## 3. Your own machine: who reaches what?
#
# The lesson's laptop bound 127.0.0.1, 0.0.0.0, ::1 and `::`. Now take *your* machine,
# and a server bound to one of its own network addresses. The cell below reads your
# interfaces and asks the question about them (a machine with no network address gets
# the lesson's laptop instead). Answer `True` or `False` for "a" to "e", and a list of
# addresses for "f".

# %%
from loopedu.exercises.lesson03 import phone_question

question = phone_question()
print(question)

# %%
# NBVAL_CHECK_OUTPUT
answer = {"a": None, "b": None, "c": None, "d": None, "e": None, "f": None}
### BEGIN SOLUTION
answer = {"a": True, "b": False, "c": False, "d": True, "e": True,
          "f": list(question.addresses)}   # every address listed above
### END SOLUTION
check("03.phone-reaches", answer)

# %% [markdown]
# ## 4. Choose the bind address
#
# For each scenario, which address should the server bind? `"127.0.0.1"`, `"0.0.0.0"`, or
# the machine's one LAN address (write it as `"192.168.1.20"`, the laptop's Wi-Fi
# address). Follow the lesson's rule: the most restrictive bind that meets the need.

# %%
from loopedu.exercises.lesson03 import SCENARIOS

for key, text in SCENARIOS.items():
    print(f"{key + ':':<18}{text}")

# %%
# NBVAL_CHECK_OUTPUT
answer = {
    "dev server": None,
    "phone test": None,
    "database": None,
    "app behind proxy": None,
    "metrics agent": None,
}
### BEGIN SOLUTION
answer = {"dev server": "127.0.0.1", "phone test": "192.168.1.20", "database": "127.0.0.1",
          "app behind proxy": "127.0.0.1", "metrics agent": "0.0.0.0"}
### END SOLUTION
check("03.choose-bind", answer)
