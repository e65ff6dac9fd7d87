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
# Set `answer`, run the cell, read the feedback. `hint("id")` gives the next hint.
# Predict first: the lesson's experiments can check you afterwards.

# %%
from loopedu.exercises import check, hint

# %% [markdown]
# ## 1. Predict the reachability matrix (on Linux)
#
# A server listens on the bind address on the left of the arrow (port 0, the same port
# for every client); a client connects to the address on the right. For each pair, will
# the client get `"connected"` or `"refused"`? Answer for Linux.

# %%
# NBVAL_CHECK_OUTPUT
answer = {
    "127.0.0.1 -> 127.0.0.1": None,
    "127.0.0.1 -> 127.0.0.2": None,
    "127.0.0.1 -> 127.42.42.42": None,
    "0.0.0.0 -> 127.0.0.1": None,
    "0.0.0.0 -> 127.0.0.2": None,
    "0.0.0.0 -> 127.42.42.42": None,
    "127.42.42.42 -> 127.0.0.1": None,
    "127.42.42.42 -> 127.0.0.2": None,
    "127.42.42.42 -> 127.42.42.42": None,
}
### BEGIN SOLUTION
answer = {"127.0.0.1 -> 127.0.0.1": "connected", "127.0.0.1 -> 127.0.0.2": "refused",
          "127.0.0.1 -> 127.42.42.42": "refused", "0.0.0.0 -> 127.0.0.1": "connected",
          "0.0.0.0 -> 127.0.0.2": "connected", "0.0.0.0 -> 127.42.42.42": "connected",
          "127.42.42.42 -> 127.0.0.1": "refused", "127.42.42.42 -> 127.0.0.2": "refused",
          "127.42.42.42 -> 127.42.42.42": "connected"}
### END SOLUTION
check("03.predict-matrix", answer)

# %% [markdown]
# ## 2. Can the phone reach the laptop?
#
# A laptop and a phone share a Wi-Fi network. The laptop runs four servers, bound to
# 127.0.0.1, 0.0.0.0, ::1 and ::. The phone connects to the laptop's LAN address (IPv4
# or IPv6, as fits each server). Which servers does it reach? (`True` or `False`.)

# %%
# NBVAL_CHECK_OUTPUT
answer = {"127.0.0.1": None, "0.0.0.0": None, "::1": None, "::": None}
### BEGIN SOLUTION
answer = {"127.0.0.1": False, "0.0.0.0": True, "::1": False, "::": True}
### END SOLUTION
check("03.phone-reaches", answer)

# %% [markdown]
# ## 3. Choose the bind address
#
# For each scenario, which address should the server bind: `"127.0.0.1"` or
# `"0.0.0.0"`? Follow the lesson's rule: the most restrictive bind that meets the need.

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
}
### BEGIN SOLUTION
answer = {"dev server": "127.0.0.1", "phone test": "0.0.0.0", "database": "127.0.0.1",
          "app behind proxy": "127.0.0.1"}
### END SOLUTION
check("03.choose-bind", answer)
