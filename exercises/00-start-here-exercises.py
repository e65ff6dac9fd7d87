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
# The lesson had you write your first connection (exercise 00.first-connection); here are
# three more. Answer each by setting `answer`, then run the cell: `check(...)` says at
# once whether you are right and, if not, what to look at (never the answer).
# `hint("exercise id")` gives the next hint; after the last one, `solution("exercise id")`
# shows the worked answer. Your tries are remembered on this machine (`loopedu progress`
# in a terminal).

# %%
from loopedu.exercises import check, hint, solution

# %% [markdown]
# ## 1. Read the kernel's connection file yourself
#
# Lesson 00 read the connection file through a helper, `kernel_link.connection_info()`.
# Now read it with the standard library alone. `get_connection_file()` gives the file's
# path, and the file is JSON: `json.load` turns it into a dict. Set `answer` to that
# dict. The check compares it with the file this kernel runs from, and tells you what
# its `"ip"` field means. Do not print the dict: it also holds the signing key that
# protects your kernel.

# %%
# NBVAL_CHECK_OUTPUT
import json

from ipykernel.connect import get_connection_file

answer = None  # replace None with the dict json.load reads from the file
### BEGIN SOLUTION
with open(get_connection_file(), encoding="utf-8") as file:
    answer = json.load(file)
### END SOLUTION
check("00.kernel-transport", answer)

# %% [markdown]
# ## 2. Connect to your own kernel
#
# The kernel's heartbeat channel is a server socket like the one you made in lesson 00:
# the Jupyter server connects to it now and then to see that the kernel is alive. Connect
# a client socket of your own to it: the address and the port are in the connection file,
# `kernel_link.connection_info()`. The check looks at your socket while it is connected.

# %%
# NBVAL_CHECK_OUTPUT
import socket

from loopedu import kernel_link

info = kernel_link.connection_info()  # the connection file, without its signing key
with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as client:
    try:
        # ✍️ connect the client to the heartbeat channel: client.connect((___, ___))
        ### BEGIN SOLUTION
        client.connect((info["ip"], info["hb_port"]))
        ### END SOLUTION
    except Exception as err:  # shown here; the check below says what to change
        print("error:", type(err).__name__, err)
    feedback = check("00.kernel-connect", client)
feedback

# %% [markdown]
# ## 3. A prediction turned out wrong
#
# Pick one letter.

# %%
from loopedu.exercises.lesson00 import PREDICT_FIRST_OPTIONS, PREDICT_FIRST_SITUATION

print(PREDICT_FIRST_SITUATION, "\n")
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
