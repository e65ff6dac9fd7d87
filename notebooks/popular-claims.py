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
# # Popular claims, checked
#
# Most of us arrive with a popular account of loopback, picked up from blog posts, answers
# on forums and colleagues. Some of it is true, some is true only under conditions, some
# is partly true, and some is false. This page is a quiz first: predict each verdict,
# then read what the primary sources show, the lesson that shows it live, and the
# sources themselves. Read it after the lessons, or whenever a claim sounds too tidy.
#
# The verdicts:
#
# - **true**: the claim holds, as stated;
# - **true with conditions**: it holds by default or on some systems, and the conditions
#   are named;
# - **partly true**: part of it holds and part does not, and the truth says which;
# - **false**: the sources say otherwise.
#
# ## The quiz
#
# The claims, without their verdicts:

# %%
# NBVAL_CHECK_OUTPUT
from IPython.display import Markdown

from loopedu import claims, doctor
from loopedu.exercises import SOURCES, explain, predict, reveal

Markdown(claims.quiz_table())

# %% [markdown]
# 🔮 Predict each verdict: write `"true"`, `"conditions"` (true with conditions),
# `"partly"` (partly true) or `"false"` for each key. Leave `...` where you have no idea.

# %%
# 🔮 Your prediction: the verdict of each claim
prediction = {
    "bound-127-unreachable": ...,
    "physically-impossible": ...,
    "link-layer-intercept": ...,
    "never-see-loopback": ...,
    "rfc776": ...,
    "every-os-127": ...,
    "bind-only-own-address": ...,
    "joy-leffler-1983": ...,
    "rfc1122-mandatory": ...,
    "localhost-is-127": ...,
    "glibc-every-line": ...,
    "hosts-cached": ...,
    "windows-hosts-localhost": ...,
    "zero-means-all": ...,
    "bind-lan-address": ...,
    "docker-127-publish": ...,
    "container-own-loopback": ...,
    "ssh-r-private": ...,
    "refused-instantly": ...,
    "refused-nothing-listens": ...,
    "ping-proves-network": ...,
    "ping-proves-stack": ...,
    "lo-always-up": ...,
    "ipaddress-mapped": ...,
    "ipv6-smallest-scope": ...,
    "browsers-block-localhost": ...,
    "multicast-never-internet": ...,
}
### BEGIN SOLUTION
prediction = {  # an example: the popular account, as many people would answer
    "bound-127-unreachable": "true",
    "physically-impossible": "true",
    "link-layer-intercept": "true",
    "never-see-loopback": "true",
    "rfc776": "true",
    "every-os-127": "false",
    "bind-only-own-address": "true",
    "joy-leffler-1983": "true",
    "rfc1122-mandatory": "true",
    "localhost-is-127": "false",
    "glibc-every-line": "true",
    "hosts-cached": "true",
    "windows-hosts-localhost": "true",
    "zero-means-all": "true",
    "bind-lan-address": "true",
    "docker-127-publish": "true",
    "container-own-loopback": "true",
    "ssh-r-private": "true",
    "refused-instantly": "true",
    "refused-nothing-listens": "true",
    "ping-proves-network": "true",
    "ping-proves-stack": "true",
    "lo-always-up": "true",
    "ipaddress-mapped": "true",
    "ipv6-smallest-scope": "true",
    "browsers-block-localhost": "true",
    "multicast-never-internet": "true",
}
### END SOLUTION
predict("claims.verdicts", claims.read_verdicts(prediction))

# %%
reveal("claims.verdicts", claims.verdicts(), recorded=SOURCES)

# %%
# ✍️ Which verdict surprised you most, and why do you think the claim is so popular?
### BEGIN SOLUTION
explain("claims.verdicts", "I thought lo is always up: it only looks that way because "
        "every system brings it up at boot")
### END SOLUTION

# %% [markdown]
# ## The verdicts, with their sources
#
# The table comes from `loopedu.claims`, where the course keeps the claims and where
# tests keep corrected statements from creeping back into the lessons. Rows whose truth
# depends on versions or dates say when they were last checked.

# %%
# NBVAL_CHECK_OUTPUT
Markdown(claims.claims_table())

# %% [markdown]
# ## What does your machine do?
#
# Some of these claims can be tested on one machine in about a second, using loopback
# only. First one plain check by hand. On Linux every setting of the kernel's network
# stack is a file under `/proc/sys`; `route_localnet` decides whether packets addressed
# to 127/8 that arrive from a network are accepted (1) or dropped as "martian" (0, the
# default; the kernel's `Documentation/networking/ip-sysctl.rst`):

# %%
from pathlib import Path

setting = Path("/proc/sys/net/ipv4/conf/all/route_localnet")
if setting.exists():
    print("route_localnet (all interfaces):", setting.read_text().strip())
else:
    print("No /proc/sys here: route_localnet is a Linux setting.")

# %% [markdown]
# `claims.check_here()` makes that check for every interface and tests seven more claims
# the same way: it binds and connects on loopback, reads settings, and asks this Python.
# Each row shows what the sources lead us to expect on your platform beside what your
# machine did. Your numbers and addresses will differ from the reference run's, which
# was made on the machine named on the first line.

# %%
print("this machine:", doctor.this_machine())
Markdown(claims.observations_table(claims.check_here()))

# %% [markdown]
# A "–" means the sources expect nothing in particular of one machine: how `localhost`
# resolves depends on the hosts file, and what `ipaddress` says depends on the exact
# Python release. A "**no**" is worth a closer look: either your machine is configured
# differently (a Kubernetes node, for example, may have `route_localnet=1`), or it does
# something the course has no source for. Either way, the row says what happened.
#
# ## Sources
#
# Each row of the table names its sources. The lessons quote them where they show the
# claim live:
#
# - [00 start here](00-start-here.ipynb): a refused connection on loopback;
# - [01 the loopback range](01-loopback-range.ipynb): 127/8 on each platform, the
#   registry, the history;
# - [02 localhost is a name](02-localhost-is-a-name.ipynb): resolution, host.conf's
#   `multi`, the databases;
# - [03 127.0.0.1 versus 0.0.0.0](03-bind-address.ipynb): who can connect, connecting
#   to 0.0.0.0, RFC 1122's rule;
# - [04 lo, an interface like any other](04-loopback-interface.ipynb): counters, ping,
#   lo down;
# - [05 IPv6 ::1](05-ipv6-loopback.ipynb): ::1's scope, mapped addresses;
# - [06 loopback at work](06-loopback-at-work.ipynb): default binds, a container's own
#   loopback, tunnels, PostgreSQL's `localhost`;
# - [07 measuring loopback](07-measuring-loopback.ipynb): the packets of a loopback
#   connection, captured on lo;
# - [08 when loopback leaks](08-when-loopback-leaks.ipynb): route_localnet and
#   CVE-2020-8558 in two namespaces, DNS rebinding, 0.0.0.0 in browsers;
# - the [glossary](glossary.md) for the terms.
