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
# Set `answer`, run the cell, read the feedback. `hint("id")` gives the next hint.
# Computing an answer in Python is encouraged: `2 ** 8` is as good an answer as `256`.

# %%
from loopedu.exercises import check, hint

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
# Fill in True or False for each address. (You may check yourself with
# `loopedu.addresses.is_loopback` afterwards, but predict first.)

# %%
# NBVAL_CHECK_OUTPUT
answer = {
    "127.0.0.1": None,
    "127.255.255.254": None,
    "128.0.0.1": None,
    "0.0.0.0": None,
    "::1": None,
    "::ffff:127.0.0.1": None,
    "fe80::1": None,
    "::": None,
}
### BEGIN SOLUTION
answer = {"127.0.0.1": True, "127.255.255.254": True, "128.0.0.1": False,
          "0.0.0.0": False, "::1": True, "::ffff:127.0.0.1": True, "fe80::1": False,
          "::": False}
### END SOLUTION
check("01.is-loopback", answer)

# %% [markdown]
# ## 4. Which of the registry's flags are True for 127.0.0.0/8?
#
# The five flags: `source`, `destination`, `forwardable`, `globally_reachable`,
# `reserved_by_protocol`. Give a list of the ones that are True.

# %%
# NBVAL_CHECK_OUTPUT
answer = None  # replace None with a list of flag names
### BEGIN SOLUTION
answer = ["reserved_by_protocol"]
### END SOLUTION
check("01.registry-flags", answer)

# %% [markdown]
# ## 5. On a Mac with default settings, what does binding 127.0.0.2 do?

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
# ## 6. Who chose the `.1` in 127.0.0.1?

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
