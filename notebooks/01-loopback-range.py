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
# # 01 · The loopback range
#
# **Objectives.** After this lesson you can:
# - compute how many addresses a block such as 127.0.0.0/8 holds, from its prefix length
#   *(exercises 01.loopback-size, 01.slash16-size)*;
# - classify an address against the IANA special-purpose registries, and say what the
#   registry's flags mean for 127/8 *(exercises 01.is-loopback, 01.registry-flags)*;
# - bind and connect across 127/8 with the `socket` module, and say why Linux and macOS
#   answer differently *(exercise 01.macos-127-0-0-2)*;
# - tell the history of 127.0.0.1 as the sources tell it, not as the popular account
#   does *(exercise 01.history)*.
#
# **Prerequisites.** Lesson 00 (sockets, bind, listen, connect, predictions). Binary
# numbers help; the lesson recaps what it needs.
#
# **Minutes:** 35 teaching + 15 exercises.

# %%
from loopedu import addresses, loopback_range, platforms, plots
from loopedu.exercises import predict, reveal

# %% [markdown]
# ## 127.0.0.0/8 in numbers
#
# An IPv4 address is 32 bits, written as four numbers of 8 bits each (0 to 255). The
# `/8` in `127.0.0.0/8` is the **[prefix length](glossary.md#prefix-length)**: the first
# 8 bits (the `127`) are fixed, and the remaining 32 − 8 = 24 bits may take any value.
# Every address from 127.0.0.0 to 127.255.255.255 is in the block, and every one of them
# is [loopback](glossary.md#loopback).

# %%
# 🔮 Your prediction: how many addresses does 127.0.0.0/8 hold? (a number)
prediction = ...
### BEGIN SOLUTION
prediction = 256  # an example prediction
### END SOLUTION
predict("01.slash8-size", prediction)

# %%
# NBVAL_CHECK_OUTPUT
facts = addresses.range_facts("127.0.0.0/8")
print("addresses:      ", f"{facts.num_addresses:,}", f"(2^{32 - facts.prefixlen})")
print("share of IPv4:  ", facts.fraction_of_space)
print("netmask:        ", facts.netmask)
print("mask in bits:   ", facts.mask_bits)
print("first … last:   ", facts.first, "…", facts.last)
reveal("01.slash8-size", facts.num_addresses,
       why="Each of the 24 free bits doubles the count: 2^24 addresses.")

# %% [markdown]
# **16,777,216 addresses, 1/256 of the whole IPv4 space**, all for talking to yourself.
# The *netmask* writes the prefix as an address: every `1` marks a bit that names the
# network, every `0` a bit free to number the addresses inside it. Here are the masks of
# the three sizes that matter in this lesson: the /8 the registry reserves, the /16 a
# 2024 draft would keep for loopback (see *History*), and the /32, a single address:
# RFC 5735 notes that the block is "ordinarily implemented using only 127.0.0.1/32".

# %%
# NBVAL_CHECK_OUTPUT
for prefixlen in (8, 16, 32):
    f = addresses.range_facts(f"127.0.0.0/{prefixlen}")
    noun = "address" if f.num_addresses == 1 else "addresses"
    print(f"/{prefixlen:<2}  {addresses.mask_bits(prefixlen)}  {f.num_addresses:>10,} {noun}")

# %% [markdown]
# ## What the registry says about 127/8
#
# IANA, which coordinates the Internet's numbers, keeps the *IPv4 Special-Purpose Address
# Registry*: every block with a [special purpose](glossary.md#special-purpose), the RFC
# that defines it, and five flags. (RFC 5736 created the IPv4 registry and RFC 4773 the
# IPv6 one; RFC 6890 replaced both in 2013 and added the flag columns.) The course
# ships the registry as a data file with its source and retrieval date
# (`loopedu/data/`).
#
# Think first: may a packet *from* 127.0.0.1 ever be sent to another machine? May a
# router (a machine that passes packets on between networks) forward one?

# %%
# NBVAL_CHECK_OUTPUT
entry = addresses.classify("127.0.0.1")
print(entry.network, "|", entry.name, "|", entry.rfc)
for flag in ("source", "destination", "forwardable", "globally_reachable",
             "reserved_by_protocol"):
    print(f"  {flag:<22}{getattr(entry, flag)}")

# %% [markdown]
# All four flags about the network are **False**: 127/8 is not valid as a source or a
# destination of a packet on a network, is not to be forwarded (RFC 1812 §5.3.7: a
# router SHOULD NOT forward it, and that check MUST be on by default), and is reachable
# from nowhere else. RFC 1122 §3.2.1.3(g) says it plainly: addresses of the form
# `{127, <any>}` are "internal host loopback" and "MUST NOT appear outside a host".
# *Reserved-by-Protocol* is True: the block's meaning is fixed by the IP specification
# itself. The registry adds footnote [1] to the False flags: "Several protocols have been
# granted exceptions to this rule. For examples, see RFC 8029 and RFC 5884" (the end of
# this lesson says which). RFC 8190 renamed the "Global" column to "Globally Reachable".
#
# ## The whole IPv4 map
#
# The registry holds more than loopback. Here is all of IPv4 as 256 blocks of /8 (one
# square per first number, `0.x.x.x` top left to `255.x.x.x` bottom right), with every
# special-purpose block marked.

# %%
fig = plots.ipv4_map()
fig

# %% [markdown]
# One whole square of the 256 is loopback. Beside it, other blocks that are not ordinary
# public addresses: `0/8` ("this network"), `10/8` (private use, RFC 1918), `224/4`
# (multicast) and `240/4` (reserved) take whole squares; smaller blocks such as
# `169.254/16` (link-local), `172.16/12` and `192.168/16` (private use), `100.64/10`
# (shared address space for carrier-grade NAT) or `198.18/15` (benchmarking, used by this
# course's virtual network) mark the squares they sit in.
#
# ## Classify any address
#
# `addresses.classify()` returns the *most specific* registry entry holding an address,
# or `None` for an ordinary one. Classifying a string sends no packet anywhere.

# %%
# NBVAL_CHECK_OUTPUT
for text in ["127.0.0.1", "127.255.255.254", "0.0.0.0", "10.1.2.3", "169.254.1.1",
             "198.18.0.1", "192.0.2.1", "8.8.8.8", "::1", "::ffff:127.0.0.1", "fe80::1",
             "2001:db8::1"]:
    e = addresses.classify(text)
    name = f"{e.network} {e.name}" if e else "(no special purpose: an ordinary address)"
    print(f"{text:<18} loopback={str(addresses.is_loopback(text)):<6} {name}")

# %% [markdown]
# The IPv6 rows: IPv6 has exactly one loopback address, `::1` (RFC 4291 §2.5.3), and
# `fe80::1` is a [link-local](glossary.md#link-local) address, valid on one link only.
#
# Look at `::ffff:127.0.0.1`. It is an **[IPv4-mapped IPv6 address](glossary.md#mapped)**
# (RFC 4291 §2.5.5.2): the way a [dual-stack](glossary.md#dual-stack) IPv6 socket shows
# an IPv4 peer. Its registry entry is the mapped block, but the packet behind it came
# from 127.0.0.1: it **is** loopback, and `addresses.is_loopback` says so. Python's own
# `ipaddress` module said otherwise until CPython issue gh-117566 was fixed: in 3.13,
# then in later patch releases of 3.12 (gh-118391) and 3.11 (the gh-122792 security
# backport). So the answer depends on the exact Python release, and an "is this client
# local?" check written with it can wrongly reject local clients of a dual-stack server
# (lesson 05). What does *your* Python say?

# %%
import ipaddress
import sys

print(f"Python {sys.version.split()[0]}: "
      f"ipaddress says ::ffff:127.0.0.1 is_loopback = "
      f"{ipaddress.ip_address('::ffff:127.0.0.1').is_loopback}")
print("loopedu.addresses.is_loopback:", addresses.is_loopback("::ffff:127.0.0.1"))

# %% [markdown]
# ### Try it yourself
#
# Type any address into the box: the classifier answers as you type, with the registry
# entry, its flags and its source.

# %%
from loopedu import widgets

widgets.classifier()

# %% [markdown]
# ### Strings that are not addresses
#
# Think first: what should a classifier say to `127.0.0.256`? And to `localhost`?

# %%
# NBVAL_CHECK_OUTPUT
for text in ["127.0.0.256", "localhost", "127.1", "127.0.0.1:8080"]:
    try:
        addresses.classify(text)
    except ValueError as err:
        print(f"{text!r}: {err}")

# %% [markdown]
# Each is refused with a reason. `127.0.0.256` has a number over 255, so it is no
# address at all. [`localhost`](glossary.md#localhost) is a **name**: it becomes an
# address only when a [resolver](glossary.md#resolver) looks it up (the hosts file, then
# DNS: lesson 02). `127.1` is a trap: the old C function `inet_aton(3)` accepts it and
# reads it as 127.0.0.1, but it is not the standard dotted-quad form, so the course asks
# for the full address. `127.0.0.1:8080` carries a port, which is not part of an
# address.

# %% [markdown]
# ## Which 127.x does this machine answer on?
#
# The registry reserves all of 127/8, but what does the operating system do with it?
# Lesson 00's calls answer that: bind a server to `127.0.0.2` on port 0, listen,
# connect a client, and this time also `accept()` the connection, which gives the server
# its end of it and the client's address as the server sees it.

# %%
# 🔮 Your prediction: does 127.0.0.2 bind and answer on this machine (True or False)?
# And if it does, which address does the server see the client coming from?
prediction = {"binds and answers": ..., "the server sees the client as": ...}
### BEGIN SOLUTION
prediction = {"binds and answers": True,
              "the server sees the client as": "127.0.0.2"}  # an example prediction
### END SOLUTION
predict("01.binds-127-0-0-2", prediction)

# %%
import errno
import socket

result = {"binds and answers": False, "the server sees the client as": None}
with socket.socket() as server, socket.socket() as client:  # IPv4 TCP, the default
    try:
        server.bind(("127.0.0.2", 0))
        server.listen()
        client.settimeout(2)
        client.connect(server.getsockname())
        conn, peer = server.accept()  # the server's end, and the client's (address, port)
        conn.close()
        print("the server on", server.getsockname()[0], "accepted a client from", peer[0])
        result = {"binds and answers": True, "the server sees the client as": peer[0]}
    except OSError as err:
        print("failed:", errno.errorcode.get(err.errno, err.errno), "-", err.strerror)

# %%
from loopedu import doctor

print("This run:", doctor.this_machine())
reveal("01.binds-127-0-0-2", result, why=(
    "This machine gives the whole of 127/8 to its loopback interface, so 127.0.0.2 "
    "binds and answers like 127.0.0.1; the address the client comes from is chosen by "
    "the route, as the text below explains." if result["binds and answers"] else
    "No interface of this machine has 127.0.0.2 (as on macOS, whose lo0 has only "
    "127.0.0.1), so there was nothing to bind or to reach."))

# %% [markdown]
# The course's `loopback_range.probe_addresses` repeats exactly those calls (bind port 0,
# listen, connect, accept) for a list of addresses, beside what each platform is
# documented to do:

# %%
import platform

system = platform.system()
results = loopback_range.probe_addresses(["127.0.0.1", "127.0.0.2", "127.1.2.3",
                                       "127.255.255.254"])
print(f"{'address':<17}{'this machine did':<22}{'expected on ' + system:<24}server saw")
for r in results:
    print(f"{r.address:<17}{r.outcome:<22}"
          f"{platforms.expected_reach(r.address):<24}{r.server_saw or '-'}")

# %% [markdown]
# What the platforms do, with the source for each:

# %%
from IPython.display import Markdown

from loopedu import platforms

Markdown(platforms.loopback_range_table())

# %% [markdown]
# On **Linux** every 127.x works because the kernel's *local* routing table holds the
# whole block: `ip route show table local` lists `local 127.0.0.0/8 dev lo ... src
# 127.0.0.1`. That `src` is also why the server sees **127.0.0.1** as the client even
# when you connected to 127.0.0.2: the route names 127.0.0.1 as the preferred source
# address (`ip-route(8)`). On **macOS** only 127.0.0.1 is configured on `lo0`, so binding
# 127.0.0.2 fails with [EADDRNOTAVAIL](glossary.md#eaddrnotavail) until an alias is
# added. If your machine disagreed with the "expected" column, that is worth a note to
# the course authors.

# %% [markdown]
# ## 💥 Break it on purpose: an address this machine does not have
#
# What macOS does to 127.0.0.2 you can provoke on any system: bind an address that none
# of this machine's [interfaces](glossary.md#interface) has. `203.0.113.1` belongs to
# TEST-NET-3, a block reserved for documentation (RFC 5737), so normally no machine has
# it. A failed bind sends nothing anywhere.

# %%
with socket.socket() as s:
    try:
        s.bind(("203.0.113.1", 0))
        print("bound: this machine has 203.0.113.1 on one of its interfaces")
    except OSError as err:
        print("bind failed:", errno.errorcode.get(err.errno, err.errno), "-", err.strerror)

# %% [markdown]
# **EADDRNOTAVAIL**, "cannot assign requested address": `bind(2)` gives it when "the
# requested address was not local". A socket can bind only an address that one of this
# machine's interfaces has (or 0.0.0.0, "every address", which lesson 03 is about). That
# is all that happens to 127.0.0.2 on macOS: `lo0` has only 127.0.0.1 until
# `sudo ifconfig lo0 alias 127.0.0.2` adds another. When you meet EADDRNOTAVAIL, check
# that the address you bind belongs to this machine.

# %% [markdown]
# ## History: who chose 127.0.0.1?
#
# The popular account says "Bill Joy and Sam Leffler chose 127.0.0.1 for 4.2BSD in 1983,
# and RFC 1122 made loopback mandatory". The sources tell a longer and more precise story:
#
# | when | what | source |
# |---|---|---|
# | Sep 1981 | Network 127 listed as "Reserved" (the first and last network of each class were) | RFC 790, Assigned Numbers; IANA dates 127/8 to 1981-09 |
# | Nov 1981 | Bill Joy writes the BSD loopback driver, on network 254 | SCCS history of `if_loop.c` |
# | Dec 1981 | "LONET->127": the driver moves to network 127, host part 0; committed as user "root", so who made the change is not recorded | SCCS history of `if_loop.c` |
# | May 1983 | Sam Leffler: "local host can't be zero, that's a broadcast": 127.0.0.1 | SCCS history of `if_loop.c`; shipped in 4.2BSD (Aug 1983) |
# | 1986 | The function "loopback" first assigned to 127 in an RFC | RFC 990 |
# | 1989 | `{127, <any>}` MUST NOT appear outside a host | RFC 1122 §3.2.1.3(g) |
# | 2002–2013 | RFC 3330, then RFC 5735 ("ordinarily implemented using only 127.0.0.1/32"), then RFC 6890 and the IANA registry's flags | RFC 3330, 5735, 6890 |
# | 2024 | A draft would keep 127.0.0.0/16 for loopback and make the rest ordinary (unicast) addresses; not adopted | draft-schoen-intarea-unicast-127-05 |
#
# So: Postel's registry supplied 127 (RFC 790 gives no rationale, so "Postel's policy" is
# a pattern, not a stated rule); Joy wrote the driver; Leffler picked the `.1`. RFC 1122
# is a *MUST NOT* about leaking loopback addresses, not an explicit "MUST implement". And
# a few protocols send 127/8 on the wire on purpose, so that a misrouted probe is never
# forwarded: MPLS LSP Ping (RFC 8029) and BFD for MPLS (RFC 5884).

# %% [markdown]
# ## Your turn
#
# [The exercises of lesson 01](../exercises/01-loopback-range-exercises.ipynb): compute
# block sizes, classify addresses, predict what a Mac does with 127.0.0.2, and correct
# the popular history.

# %% [markdown]
# ## Key points
#
# - 127.0.0.0/8 is 2^24 = 16,777,216 addresses, 1/256 of IPv4, all loopback; IPv6 has one
#   loopback address, ::1.
# - The IANA special-purpose registry marks 127/8 as never a valid source or destination
#   on a network, not forwardable, not globally reachable.
# - Linux answers on every 127.x (a `local` route for the whole /8, source 127.0.0.1);
#   macOS only on 127.0.0.1 unless you add an alias, and binding any address this
#   machine lacks fails with EADDRNOTAVAIL.
# - `::ffff:127.0.0.1` is loopback too; Python's `ipaddress` says it is not in releases
#   without the gh-117566 fix, so test the interpreter you run.
# - RFC 790 reserved 127 (1981), Joy wrote the driver (1981), Leffler chose `.1` (1983).
#
# ## Sources
#
# - IANA IPv4 and IPv6 Special-Purpose Address Registries (created by RFC 5736 and
#   RFC 4773, replaced by RFC 6890, column renamed by RFC 8190):
#   https://www.iana.org/assignments/iana-ipv4-special-registry/ and
#   https://www.iana.org/assignments/iana-ipv6-special-registry/ (copies and dates in
#   `loopedu/data/SOURCES.md`).
# - RFC 790 (1981) Assigned Numbers; RFC 990 (1986); RFC 1122 §3.2.1.3; RFC 3330;
#   RFC 5735 §3; RFC 6890; RFC 4291 §2.5.3 (::1) and §2.5.5.2 (IPv4-mapped);
#   RFC 5737 (TEST-NET-3, 203.0.113.0/24).
# - Berkeley SCCS history of `sys/net/if_loop.c` (4.2BSD), in the CSRG archive of
#   the BSD sources (the delta comments quoted above).
# - draft-schoen-intarea-unicast-127-05 (2024, individual draft, not adopted).
# - RFC 8029 (MPLS LSP Ping), RFC 5884 (BFD for MPLS LSPs).
# - CPython issue gh-117566 (`is_loopback` for IPv4-mapped addresses; fixed in 3.13,
#   backported to 3.12 in gh-118391 and to 3.11 with the gh-122792 security fix).
# - `ip-route(8)`, `bind(2)` (EADDRNOTAVAIL), `accept(2)`; macOS: iproute2mac issue 40,
#   norouter issue 2; Windows: microsoft/WSL issue 11766 and MicrosoftDocs/WSL issue 1337.
