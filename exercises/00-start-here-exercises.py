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
# # Exercises 00 · Start here
#
# The lesson itself had you write your first connection (exercise 00.first-connection);
# here are two more questions. Answer each by setting `answer`, then run the cell:
# `check(...)` says at once whether you are right and, if not, gives a hint towards the
# answer (never the answer). Run `hint("exercise id")` for more hints. Your passed
# exercises are remembered on this machine (`loopedu progress` in a terminal).

# %%
from loopedu.exercises import check, hint

# %% [markdown]
# ## 1. Which address does this notebook use to talk to its kernel?
#
# Lesson 00 read the kernel's connection file. Give the IP address in it (a string), or
# read it yourself with `loopedu.kernel_link.connection_info()`.

# %%
# NBVAL_CHECK_OUTPUT
answer = None  # replace None with your answer
### BEGIN SOLUTION
from loopedu import kernel_link

answer = kernel_link.connection_info()["ip"]
### END SOLUTION
check("00.kernel-transport", answer)

# %% [markdown]
# ## 2. How does each experiment in this course work?
#
# Pick one letter.

# %%
from loopedu.exercises.lesson00 import PREDICT_FIRST_OPTIONS

for letter, text in PREDICT_FIRST_OPTIONS.items():
    print(f"({letter}) {text}")

# %%
# NBVAL_CHECK_OUTPUT
answer = None  # replace None with a letter
### BEGIN SOLUTION
answer = "b"
### END SOLUTION
check("00.predict-first", answer)

# %% [markdown]
# Stuck? A hint, on demand:

# %%
hint("00.predict-first")
