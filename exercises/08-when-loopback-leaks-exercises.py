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
# Set `answer`, run the cell, read the feedback. `hint("id")` gives the next hint, and
# after the last one `solution("id")` shows the worked answer.
# Answer before you look back at the lesson's outputs.

# %%
from loopedu.exercises import check, hint, solution

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
# ## 2. A Host check for another service
#
# The lesson's server answered to `localhost`, `127.0.0.1` and `[::1]`. This service is
# set up differently, and the setup comes from your machine. It listens on 127.0.0.1,
# and on ::1 too where this machine has IPv6 loopback. Its users also reach it by this
# machine's own name. Some write a name in its absolute form, with a trailing dot:
# `localhost.` is localhost (RFC 1034 §3.1).
#
# Write `is_allowed(host_header, port)`. It gets the Host header (a string, perhaps
# empty) and the server's own port. Return `True` only for the service's names and
# addresses, each with this port. The check runs the service live, on every address
# it listens on. It sends requests built from your machine: yours differ from a
# neighbour's. Host is `name:port` (RFC 9110 §7.2); rebound names are those of Project
# Zero issue 1447.

# %%
from loopedu.exercises.fix_host import this_service

print(this_service())

# %%
# NBVAL_CHECK_OUTPUT
def is_allowed(host_header, port):
    return True  # trusts everyone: fix me
### BEGIN SOLUTION
import socket

from loopedu.sandbox import capabilities

NAMES = {"localhost", "127.0.0.1", socket.gethostname().lower()}
if capabilities().ipv6_loopback:          # the service listens on ::1 only then
    NAMES.add("[::1]")


def is_allowed(host_header, port):
    name, colon, given = host_header.rpartition(":")
    if name.endswith("."):                # 'localhost.' is localhost, written absolutely
        name = name[:-1]
    return colon == ":" and given == str(port) and name.lower() in NAMES
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
