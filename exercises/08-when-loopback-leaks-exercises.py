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
# # Exercises 08 · When loopback leaks
#
# Set `answer`, run the cell, read the feedback. `hint("id")` gives the next hint.
# Answer before you look back at the lesson's outputs.

# %%
from loopedu.exercises import check, hint

# %% [markdown]
# ## 1. 127.0.0.1 from the network, three new ways
#
# Hosts C and S share a LAN; S's interface there is `eth0`. S runs a service bound to
# 127.0.0.1, port P. C has prepared itself as in the lesson: 127.0.0.1/8 taken off its
# own `lo`, a route "127.0.0.1 via S", and `route_localnet=1` on its own link, for S's
# replies. The lesson tried the plain route, with and without `route_localnet`, and a
# DNAT rule. What does C get in each of these setups: `"connected"`, `"refused"` or
# `"timeout"`?

# %%
# NBVAL_CHECK_OUTPUT
answer = {
    "route_localnet=1 on S's lo only (eth0 keeps 0); C connects to 127.0.0.1:P": None,
    "route_localnet=1 on eth0 and the nft rule iifname \"eth0\" ip daddr 127.0.0.0/8 "
    "reject; C connects to 127.0.0.1:P": None,
    "route_localnet=1 and the nft rule iifname \"eth0\" ip daddr 127.0.0.0/8 drop; C "
    "connects to 127.0.0.1:P": None,
    "route_localnet=1, no rule; C connects to 127.0.0.1 on a port where nothing listens":
        None,
}
### BEGIN SOLUTION
answer = {
    "route_localnet=1 on S's lo only (eth0 keeps 0); C connects to 127.0.0.1:P": "timeout",
    "route_localnet=1 on eth0 and the nft rule iifname \"eth0\" ip daddr 127.0.0.0/8 "
    "reject; C connects to 127.0.0.1:P": "refused",
    "route_localnet=1 and the nft rule iifname \"eth0\" ip daddr 127.0.0.0/8 drop; C "
    "connects to 127.0.0.1:P": "timeout",
    "route_localnet=1, no rule; C connects to 127.0.0.1 on a port where nothing listens":
        "refused",
}
### END SOLUTION
check("08.route-localnet", answer)

# %% [markdown]
# ## 2. Fix a request handler that trusts every Host header
#
# A local service listens on 127.0.0.1. Write `is_allowed(host_header, port)`: it gets
# the request's Host header (a string, perhaps empty) and the server's own port, and
# returns `True` only for requests that name this machine's loopback with this port.
# The check starts a live server on 127.0.0.1 that calls your function for every
# request, and sends it a battery of requests, rebound names included.

# %%
# NBVAL_CHECK_OUTPUT
def is_allowed(host_header, port):
    return True  # trusts everyone: fix me
### BEGIN SOLUTION
def is_allowed(host_header, port):
    name, _, given = host_header.strip().rpartition(":")
    return (name.lower() in ("localhost", "127.0.0.1", "[::1]")
            and given == str(port))
### END SOLUTION
check("08.fix-host", is_allowed)

# %% [markdown]
# ## 3. Which setups expose the service?
#
# In which of these setups can someone else reach the service: another machine, another
# user of the machine, or a web page from the internet? Give a list of letters.

# %%
from loopedu.exercises.lesson08 import SETUPS

for letter, setup in SETUPS.items():
    print(f"({letter}) {setup}")

# %%
# NBVAL_CHECK_OUTPUT
answer = None  # replace None with a list of letters
### BEGIN SOLUTION
answer = ["b", "c", "d", "e", "f"]
### END SOLUTION
check("08.exposes", answer)
