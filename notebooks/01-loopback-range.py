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
# - classify an address against the IANA special-purpose registries, and read what its
#   flags say about where it may travel *(exercises 01.is-loopback, 01.registry-flags)*;
# - bind and connect across 127/8 with the `socket` module, and say why Linux and macOS
#   answer differently *(exercises 01.bind-127, 01.macos-127-0-0-2)*;
# - tell the history of 127.0.0.1 as the sources tell it, not as the popular account
#   does *(exercise 01.history)*.
#
# **Prerequisites.** Lesson 00 (sockets, bind, listen, connect, predictions). Binary
# numbers help; the lesson recaps what it needs.
#
# **Minutes:** 36 teaching + 20 exercises; Going further: 4 more.

# %% [markdown]
# ## How big is 127/8?
#
# An IPv4 address is 32 bits, written as four numbers of 8 bits each (0 to 255). The
# `/8` in `127.0.0.0/8` is the **[prefix length](glossary.md#prefix-length)**. The first
# 8 bits (the `127`) are fixed. The other 32 − 8 = 24 bits may take any value. Every
# address from 127.0.0.0 to 127.255.255.255 is in the block.

# %%
# 🔮 Your prediction: how many addresses does 127.0.0.0/8 hold? (a number; within 5 %
# counts as right)
from loopedu.exercises import explain, predict, reveal, within

prediction = ...
### BEGIN SOLUTION
prediction = 256  # an example prediction
### END SOLUTION
predict("01.slash8-size", prediction, tolerance=within(percent=5))

# %% [markdown]
# Python's `ipaddress` module counts a block in one call. The course's helper
# `addresses.range_facts` repeats that call and adds the share and the ends.

# %%
# NBVAL_CHECK_OUTPUT
import ipaddress

from loopedu import addresses

print("ipaddress:      ", ipaddress.ip_network("127.0.0.0/8").num_addresses)  # plain call
facts = addresses.range_facts("127.0.0.0/8")
print("addresses:      ", f"{facts.num_addresses:,}", f"(2^{32 - facts.prefixlen})")
print("share of IPv4:  ", facts.fraction_of_space)
print("first … last:   ", facts.first, "…", facts.last)
print()
for prefixlen in (8, 24, 32):  # the netmask of each size, in bits
    f = addresses.range_facts(f"127.0.0.0/{prefixlen}")
    noun = "address" if f.num_addresses == 1 else "addresses"
    bits = addresses.mask_bits(prefixlen)
    print(f"/{prefixlen:<2}  {bits}  {f.num_addresses:>10,} {noun}")
reveal("01.slash8-size", facts.num_addresses)

# %%
# 💬 Your explanation, in one line (or leave ... to skip):
explanation = ...
### BEGIN SOLUTION
explanation = "256 counts the values of one octet, not of 24 bits"  # an example
### END SOLUTION
explain("01.slash8-size", explanation)

# %% [markdown]
# **16,777,216 addresses, 1/256 of all of IPv4**, all for talking to yourself. Each free
# bit doubles the count: 2 to the power 24. The *netmask* writes the prefix as bits. A
# `1` marks a bit that names the network, a `0` a bit free to number addresses inside it.
# A /24 leaves 8 free bits, 256 addresses; the /32 is one address.
#
# So 127/8 is huge. Who says what those addresses may do, and where may their packets go?

# %% [markdown]
# ## Where may a 127 packet go?
#
# IANA coordinates the Internet's numbers. It keeps the *IPv4 Special-Purpose Address
# Registry*: every block with a [special purpose](glossary.md#special-purpose), and five
# flags for each. The course ships a copy with its source and date (`loopedu/data/`).
#
# Here is 127/8 beside another special block, `192.52.193.0/24`. *Forwardable* asks
# whether a [router](glossary.md#router) (a machine that passes packets between
# networks) may pass the packet on.

# %%
# NBVAL_CHECK_OUTPUT
flags = ("source", "destination", "forwardable", "globally_reachable",
         "reserved_by_protocol")
loopback, amt = addresses.classify("127.0.0.1"), addresses.classify("192.52.193.1")
print(f"{'':<22}{str(loopback.network):<16}{amt.network}")
print(f"{'name':<22}{loopback.name:<16}{amt.name}")
for flag in flags:
    print(f"{flag:<22}{str(getattr(loopback, flag)):<16}{getattr(amt, flag)}")

# %% [markdown]
# For 127/8, all four flags about the network are **False**. It is not valid as the
# source or the destination of a packet on a network. It must not be forwarded, and it
# is reachable from nowhere else. RFC 1122 §3.2.1.3(g) says it plainly: `{127, <any>}`
# is "internal host loopback" and "MUST NOT appear outside a host". *Reserved-by-Protocol*
# is True: the IP specification itself fixes the block's meaning.
#
# The other column, AMT's relay block (RFC 7450 §7), is a block valid everywhere: every
# flag True (more in Going further, "The other blocks").
#
# 127/8 is one special block among several. How much of IPv4 do they cover?

# %% [markdown]
# ## How much of IPv4 is special?
#
# Here is all of IPv4 as 256 blocks of /8. There is one square per first number,
# `0.x.x.x` top left to `255.x.x.x` bottom right. Every special-purpose block is marked.

# %%
from loopedu import plots

plots.ipv4_map()

# %% [markdown]
# One whole square of the 256 is loopback. Other whole squares are not ordinary public
# addresses either: `0/8` ("this network"), `10/8` (private use), `224/4` (multicast) and
# `240/4` (reserved). Smaller blocks mark the squares they sit in: `169.254/16`
# (link-local), `172.16/12` and `192.168/16` (private), `198.18/15` (benchmarking, used
# by this course's virtual network).
#
# The map shows blocks, but a program meets one address at a time. Which block holds it?

# %% [markdown]
# ## Is this address loopback?
#
# `addresses.classify()` returns the *most specific* registry entry holding an address,
# or `None` for an ordinary one. Classifying a string sends no packet anywhere.

# %%
# NBVAL_CHECK_OUTPUT
for text in ["127.0.0.1", "127.255.255.254", "0.0.0.0", "10.1.2.3", "169.254.1.1",
             "198.18.0.1", "8.8.8.8", "::1", "::ffff:127.0.0.1", "fe80::1"]:
    e = addresses.classify(text)
    name = f"{e.network} {e.name}" if e else "(no special purpose: an ordinary address)"
    print(f"{text:<18} loopback={str(addresses.is_loopback(text)):<6} {name}")

# %% [markdown]
# IPv6 has exactly one loopback address, `::1`. `fe80::1` is a
# [link-local](glossary.md#link-local) address, valid on one link only. And
# `::ffff:127.0.0.1` is an **[IPv4-mapped IPv6 address](glossary.md#mapped)**: how a
# [dual-stack](glossary.md#dual-stack) IPv6 socket shows an IPv4 peer. The packet behind
# it came from 127.0.0.1, so it **is** loopback. Older Pythons' `ipaddress` say it is not
# (Going further).
#
# ### Try it yourself
#
# Type any address into the box. The classifier answers as you type, with the registry
# entry, its flags and its source. Try `100.64.0.1`, `192.0.2.1` or `127.1`.
#
# The classifier reads only the registry. Does this machine answer on a 127.x? The next
# section tries one.

# %%
from loopedu import widgets

widgets.classifier()

# %% [markdown]
# ## Connecting to 127.0.0.2: which address does the server see?
#
# The registry reserves all of 127/8. What does the operating system do with it? Lesson
# 00's calls answer that. Bind a server to `127.0.0.2` on port 0, listen, and connect a
# client. This time the server also calls `accept()`. It returns the server's end of the
# connection, and the client's address as the server sees it.

# %%
# 🔮 Your prediction: a client connects to a server on 127.0.0.2. Which address does
# the server see the client coming from? (text; whether 127.0.0.2 binds here at all,
# lesson 00's doctor already measured: whole_127_range)
prediction = ...
### BEGIN SOLUTION
prediction = "127.0.0.2"  # an example prediction
### END SOLUTION
predict("01.binds-127-0-0-2", prediction)

# %%
import errno
import socket

from loopedu import doctor
from loopedu.exercises import NOT_MEASURED

result = {"binds and answers": False, "the server sees the client as": None}
with socket.socket() as server, socket.socket() as client:  # IPv4 TCP, the default
    try:
        server.bind(("127.0.0.2", 0))
        server.listen()
        client.settimeout(2)
        client.connect(server.getsockname())
        # the server's end of the connection, and the client's (address, port)
        conn, peer = server.accept()
        conn.close()
        print("the server on", server.getsockname()[0],
              "accepted a client from", peer[0])
        result = {"binds and answers": True, "the server sees the client as": peer[0]}
    except OSError as err:
        print("failed:", errno.errorcode.get(err.errno, err.errno), "-", err.strerror)
print("This run:", doctor.this_machine())
seen = result["the server sees the client as"] or NOT_MEASURED
reveal("01.binds-127-0-0-2", seen)

# %%
# 💬 Your explanation, in one line (or leave ... to skip):
explanation = ...
### BEGIN SOLUTION
explanation = "The kernel picks the client's address, not the one I connect to"  # an example
### END SOLUTION
explain("01.binds-127-0-0-2", explanation)

# %% [markdown]
# On **Linux** every 127.x works. The kernel's *local* routing table holds the whole
# block: `ip route show table local` lists `local 127.0.0.0/8 dev lo ... src 127.0.0.1`.
# That `src` is why the server sees **127.0.0.1** even when you connected to 127.0.0.2.
# The route names 127.0.0.1 as the preferred source address (`ip-route(8)`). On
# **macOS** only 127.0.0.1 is on `lo0`. Binding 127.0.0.2 there fails with
# [EADDRNOTAVAIL](glossary.md#eaddrnotavail) until an alias is added.
#
# `loopback_range.probe_addresses` repeats those calls (bind port 0, listen, connect,
# accept) for more addresses. Beside each: what this platform is documented to do, and
# the table of platforms.

# %%
import platform

from IPython.display import Markdown, display

from loopedu import loopback_range, platforms, sandbox

print("the doctor's measurement (lesson 00): whole_127_range",
      sandbox.capabilities().whole_127_range)
print(f"{'address':<17}{'this machine did':<22}{'expected on ' + platform.system():<24}"
      "server saw")
for r in loopback_range.probe_addresses(["127.0.0.1", "127.0.0.2", "127.1.2.3",
                                         "127.255.255.254"]):
    print(f"{r.address:<17}{r.outcome:<22}"
          f"{platforms.expected_reach(r.address):<24}{r.server_saw or '-'}")
display(Markdown(platforms.loopback_range_table()))

# %% [markdown]
# If your machine disagreed with the "expected" column, that is worth a note to the
# course authors.
#
# ## 💥 Break it on purpose: an address this machine does not have
#
# What macOS does to 127.0.0.2 you can provoke anywhere: bind an address that none of
# this machine's [interfaces](glossary.md#interface) has. `203.0.113.1` belongs to
# TEST-NET-3, a block kept for documentation, so normally no machine has it. A failed
# bind sends nothing anywhere.

# %%
with socket.socket() as s:
    try:
        s.bind(("203.0.113.1", 0))
        print("bound: this machine has 203.0.113.1 on one of its interfaces")
    except OSError as err:
        print("bind failed:", errno.errorcode.get(err.errno, err.errno),
              "-", err.strerror)

# %% [markdown]
# **EADDRNOTAVAIL**, "cannot assign requested address". `bind(2)` gives it when "the
# requested address was not local". By default a socket can bind only an address that
# one of this machine's interfaces has (or 0.0.0.0, "every address": lesson 03). That is
# all that happens to 127.0.0.2 on macOS. When you meet EADDRNOTAVAIL, check that the
# address you bind belongs to this machine. ("By default": Linux can be told otherwise,
# see Going further.)

# %% [markdown]
# ## History: who chose 127.0.0.1?
#
# The popular account says "Bill Joy and Sam Leffler chose 127.0.0.1 for 4.2BSD in 1983,
# and RFC 1122 made loopback mandatory". The sources tell a longer story:
#
# | when | what | source |
# |---|---|---|
# | Sep 1981 | Network 127 listed as "Reserved" | RFC 790 |
# | Nov 1981 | Bill Joy writes the BSD loopback driver, on network 254 | SCCS history of `if_loop.c` |
# | Dec 1981 | "LONET->127": network 127, host part 0; committed as user "root", so who made it is not recorded | SCCS history of `if_loop.c` |
# | May 1983 | Sam Leffler sets `LOHOST` to 1: "local host can't be zero, that's a broadcast" | SCCS history of `if_loop.c` |
# | Aug 1983 | 4.2BSD ships with 127.0.0.1 | 4.2BSD |
# | 1986 | An RFC first gives 127 the function "loopback" | RFC 990 |
# | 1989 | `{127, <any>}` MUST NOT appear outside a host | RFC 1122 |
#
# So the popular account is **partly true**. The `.1` is Leffler's, from 1983. The rest
# is older: Postel's registry supplied network 127, and Joy wrote the driver.
#
# And RFC 1122? It defines `{127, <any>}` as the internal host loopback address. It
# says such addresses MUST NOT appear outside a host. A host must also silently discard
# a datagram that arrives with one as its source. It takes for granted that hosts loop
# 127 back, but nowhere says "a host MUST implement loopback".

# %% [markdown]
# ## Your turn
#
# [The exercises of lesson 01](../exercises/01-loopback-range-exercises.ipynb): compute
# block sizes, classify addresses, bind and connect on a 127.x of your own, predict what
# a Mac does, and correct the popular history.
#
# ## Key points
#
# - 127.0.0.0/8 is 2^24 = 16,777,216 addresses, 1/256 of IPv4, all loopback; IPv6 has one
#   loopback address, ::1.
# - The IANA special-purpose registry marks 127/8 as never a valid source or destination
#   on a network, not forwardable, not globally reachable. AMT's relay block
#   (192.52.193.0/24), by contrast, is all four.
# - Linux answers on every 127.x (a `local` route for the whole /8, source 127.0.0.1);
#   macOS only on 127.0.0.1 unless you add an alias. Binding an address this machine
#   lacks fails with EADDRNOTAVAIL.
# - RFC 790 reserved 127 (1981), Joy wrote the driver (1981), Leffler chose `.1` (1983).
#   RFC 1122 forbids 127/8 outside a host; it does not say "implement loopback".
#
# ## Going further
#
# **Where the registry comes from.** RFC 5736 created the IPv4 special-purpose registry
# and RFC 4773 the IPv6 one. RFC 6890 (2013) replaced both and added the flag columns;
# RFC 8190 renamed "Global" to "Globally Reachable". Before that, RFC 3330 and RFC 5735
# listed the blocks; RFC 5735 notes that 127/8 is "ordinarily implemented using only
# 127.0.0.1/32". The registry adds footnote [1] to 127/8's False flags: "Several
# protocols have been granted exceptions to this rule. For examples, see RFC 8029 and
# RFC 5884". MPLS LSP Ping (RFC 8029) and BFD for MPLS (RFC 5884) send 127/8 on the wire
# on purpose, so that a misrouted probe is never forwarded. A router SHOULD NOT forward
# a packet to 127/8 except over a loopback interface, and that check MUST be on by
# default (RFC 1812 §5.3.7).
#
# **The other blocks.** AMT, Automatic Multicast Tunneling: most of the Internet does
# not route multicast (one sender to many receivers, `224.0.0.0/4`), so AMT relays tunnel
# it inside ordinary unicast packets, and 192.52.193.0/24 holds their addresses. `10/8`, `172.16/12` and `192.168/16` are private use (RFC 1918);
# `100.64/10` is shared address space for carrier-grade NAT (RFC 6598); `203.0.113/24`
# is TEST-NET-3 (RFC 5737). Multicast's own registry is RFC 5771's; AMT's block,
# 192.52.193.0/24, is in the special-purpose registry (RFC 7450).
#
# **Python and mapped addresses.** `ipaddress.ip_address("::ffff:127.0.0.1").is_loopback`
# was False until CPython issue gh-117566 was fixed: in 3.13, then in later patch
# releases of 3.12 (gh-118391) and 3.11 (the gh-122792 security backport). So the answer
# depends on the exact patch release. An "is this client local?" check written with it
# can wrongly reject local clients of a dual-stack server (lesson 05). Try it in your
# own Python.
#
# **Strings that are not addresses.** `addresses.classify("127.0.0.256")` refuses a number
# over 255; `"localhost"` is a name, which a resolver turns into addresses (lesson 02);
# `"127.1"` is accepted by the old C function `inet_aton(3)` as 127.0.0.1, but it is not
# the standard dotted-quad form; `"127.0.0.1:8080"` carries a port, which is not part
# of an address.
#
# **Binding addresses the host lacks.** On Linux the socket option `IP_FREEBIND` (or
# `IP_TRANSPARENT`, for proxies) lets a socket bind an address the host does not have
# yet (`ip(7)`); the setting `net.ipv4.ip_nonlocal_bind=1` does it for every socket
# (Linux `Documentation/networking/ip-sysctl.rst`). A program started before its address
# is configured uses this. Try it: `s.setsockopt(socket.IPPROTO_IP, socket.IP_FREEBIND,
# 1)` before the `bind` above. Besides these, a brand-new network namespace whose `lo` was never up has no local table yet: there
# `bind()` accepts any IPv4 address (lesson 04).
#
# **The future.** draft-schoen-intarea-unicast-127 (-05, 2024, an individual draft, not
# adopted) would keep 127.0.0.0/16 for loopback and make 127.1.0.0–127.255.255.255
# ordinary unicast addresses. A 2019 Linux patch to the same end was not merged.
#
# ## Sources
#
# - IANA IPv4 and IPv6 Special-Purpose Address Registries (created by RFC 5736 and
#   RFC 4773, replaced by RFC 6890, column renamed by RFC 8190):
#   https://www.iana.org/assignments/iana-ipv4-special-registry/ and
#   https://www.iana.org/assignments/iana-ipv6-special-registry/ (copies and dates in
#   `loopedu/data/SOURCES.md`).
# - RFC 790 (1981) Assigned Numbers; RFC 990 (1986); RFC 1122 §3.2.1.3; RFC 1812 §5.3.7;
#   RFC 3330; RFC 5735 §3; RFC 6890; RFC 4291 §2.5.3 (::1) and §2.5.5.2 (IPv4-mapped);
#   RFC 5737 (TEST-NET-3, 203.0.113.0/24); RFC 1918; RFC 6598.
# - RFC 5771 (IPv4 multicast address assignments); RFC 7450 (Automatic Multicast
#   Tunneling).
# - Berkeley SCCS history of `sys/net/if_loop.c` (4.2BSD), in the CSRG archive of
#   the BSD sources (the delta comments quoted above, among them `LOHOST`).
# - draft-schoen-intarea-unicast-127-05 (2024, individual draft, not adopted).
# - RFC 8029 (MPLS LSP Ping), RFC 5884 (BFD for MPLS LSPs).
# - CPython issue gh-117566 (`is_loopback` for IPv4-mapped addresses; fixed in 3.13,
#   backported to 3.12 in gh-118391 and to 3.11 with the gh-122792 security fix).
# - `ip-route(8)`, `bind(2)` (EADDRNOTAVAIL), `accept(2)`, `ip(7)` (IP_FREEBIND,
#   IP_TRANSPARENT), Linux `Documentation/networking/ip-sysctl.rst` (ip_nonlocal_bind);
#   macOS: iproute2mac issue 40, norouter issue 2; Windows: microsoft/WSL issue 11766 and
#   MicrosoftDocs/WSL issue 1337.
