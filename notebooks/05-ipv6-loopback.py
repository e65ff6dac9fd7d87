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
# # 04 · IPv6 ::1
#
# **Objectives.** After this lesson you can:
# - read and write the 128 bits of `::1` in any spelling, and give the one canonical
#   spelling RFC 5952 asks for;
# - explain why IPv6 has exactly one loopback address, where IPv4 has 16 million;
# - predict what a dual-stack socket on `::` does with IPv4 clients (`::ffff:127.0.0.1`),
#   and why IPV6_V6ONLY and the platform's default matter;
# - spot a "is this client local?" check that mapped addresses break;
# - recognise a machine with IPv6 switched off, and what fails there;
# - measure TCP over `::1` against `127.0.0.1`.
#
# **Prerequisites.** Lessons 01 (the loopback range) and 03 (bind addresses). Hexadecimal
# helps; the lesson recaps what it needs.
#
# **Minutes:** 30.

# %%
from loopedu import addresses, doctor, experiments, ipv6, plots
from loopedu.servers import errno_name

# %% [markdown]
# ## First: does this machine have IPv6?
#
# Many containers and some cloud images switch IPv6 off. The course checks by binding
# and reaching `::1`, as lesson 00's capability report does. Every live IPv6 cell below
# looks at `IPV6` first; where it is off you still see the notation, the explanations
# and what fails, with the error that proves it.

# %%
report = doctor.report()
IPV6 = report.capabilities.ipv6_loopback.available
print("IPv6 loopback here:", report.capabilities.ipv6_loopback)

# %% [markdown]
# ## 128 bits, 8 groups
#
# An IPv6 address is 128 bits, written as 8 groups of 16 bits, each group as 4
# hexadecimal digits separated by colons (RFC 4291 §2.2). The loopback address is 127
# zeros and a single 1.
#
# 🔮 **Predict:** in the full form, how many characters does `::1` take?

# %%
# NBVAL_CHECK_OUTPUT
full = ipv6.expand("::1")
print(full, f"({len(full)} characters)")
print(ipv6.format_bits("::1"))

# %%
plots.ipv6_bits("::1")

# %% [markdown]
# Thirty-nine characters for one bit. Hence the shorthands of RFC 4291 §2.2: leading
# zeros of a group may be dropped (`0001` → `1`), and **one** run of zero groups may be
# replaced by `::`. Applied to the seven zero groups of loopback, that gives `::1`.
#
# ## One spelling: RFC 5952
#
# Those rules allow many spellings of one address: `0:0:0:0:0:0:0:1`, `::0001`,
# `0::1` are all `::1`. Comparing, searching logs and writing tests need one spelling,
# so RFC 5952 §4 fixes it:
#
# 1. leading zeros dropped, a zero group written `0` (§4.1);
# 2. `::` replaces the **longest** run of zero groups, the **first** one on a tie
#    (§4.2.1, §4.2.3), and never a single zero group (§4.2.2);
# 3. hex digits in lowercase (§4.3).
#
# 🔮 **Predict:** what is the canonical form of `2001:0DB8:0000:0000:0001:0000:0000:0001`?
# Two runs of two zeros: which one gets the `::`?

# %%
# NBVAL_CHECK_OUTPUT
for step in ipv6.explain("2001:0DB8:0000:0000:0001:0000:0000:0001"):
    print(step)

# %% [markdown]
# The first run wins the tie. Some more, each checked against the C library
# (`socket.inet_pton` then `socket.inet_ntop`: glibc's `inet_ntop` implements the RFC 5952
# rules):

# %%
# NBVAL_CHECK_OUTPUT
import ipaddress
import socket

SAMPLES = ["0:0:0:0:0:0:0:1", "0000::0001", "2001:db8:0:1:1:1:1:1", "1:0:0:2:0:0:0:3",
           "FE80:0000:0000:0000:0000:0000:0000:0001", "::ffff:127.0.0.1"]
print(f"{'typed':<42}{'loopedu.ipv6.compress':<24}inet_ntop")
for text in SAMPLES:
    ntop = socket.inet_ntop(socket.AF_INET6, socket.inet_pton(socket.AF_INET6, text))
    print(f"{text:<42}{ipv6.compress(text):<24}{ntop}")

# %% [markdown]
# The last line is an *IPv4-mapped* address (`::ffff:0:0/96`, RFC 4291 §2.5.5.2):
# RFC 5952 §5 recommends writing its last 32 bits dotted, as `inet_ntop` does. Python's
# `ipaddress` agrees on every other line; for mapped addresses it depends on the version
# (3.11 prints hex, 3.13 dotted):

# %%
import sys

print(f"Python {sys.version_info.major}.{sys.version_info.minor}:",
      ipaddress.ip_address("::ffff:127.0.0.1"),
      "| compress(mixed=False):", ipv6.compress("::ffff:127.0.0.1", mixed=False))

# %% [markdown]
# ### Try it yourself
#
# Type any IPv6 address, in any spelling. The widget expands and compresses it as you
# type, step by step, and says what is wrong with text that is not an address.

# %%
from loopedu import widgets

widgets.ipv6_notation()

# %% [markdown]
# ## 💥 Break it on purpose: text that is not an address
#
# 🔮 **Predict:** what is wrong with each of these?

# %%
# NBVAL_CHECK_OUTPUT
for text in ["1::2::3", "2001:db8::12345", "2001:db8::g", "1:2:3:4:5:6:7:8:9",
             "1:2:3:4::5:6:7:8", "127.0.0.1"]:
    try:
        ipv6.expand(text)
    except ValueError as err:
        print(f"{text!r}:\n    {err}")

# %% [markdown]
# Two `::` are ambiguous (in `1::2::3`, how many zeros does each stand for?); a group is
# 16 bits, so at most 4 hex digits; `g` is not hex; 8 groups is the limit, and `::`
# always stands for at least one zero group. `127.0.0.1` is IPv4: as IPv6 it would be
# written `::ffff:127.0.0.1`.
#
# ## One loopback address, not a block
#
# IPv4 reserves a whole /8 for loopback. IPv6 reserves exactly **one** address:
# RFC 4291 §2.5.3 defines `::1` as the loopback address, which "must not be assigned to
# any physical interface"; packets to it never leave the node. The IANA IPv6
# special-purpose registry lists it as `::1/128`:

# %%
# NBVAL_CHECK_OUTPUT
entry = addresses.classify("::1")
print(entry.network, "|", entry.name, "|", entry.rfc)
for flag in ("source", "destination", "forwardable", "globally_reachable"):
    print(f"  {flag:<20}{getattr(entry, flag)}")
print("neighbours:", *(f"{a} loopback={addresses.is_loopback(a)}" for a in ["::2", "::"]))

# %% [markdown]
# `::2` is not loopback, and `::` is the *unspecified* address (for `bind`, like
# 0.0.0.0). Need more loopback addresses on IPv6? Programs usually bind `::1` on
# different ports, or use IPv4's 127/8. A 2025 individual Internet-Draft,
# *draft-kumari-ipv6-loopback* ("The IPv6 Loopback Address Prefix", Huston and Kumari),
# proposes a whole loopback prefix (`::/96` in its revision -01). The IETF datatracker
# lists it as an individual draft: it "has no formal standing in the IETF standards
# process", and no system implements it.
#
# ## Dual stack: one socket, two families
#
# A socket of family `AF_INET6` bound to `::` (all IPv6 addresses) can also accept IPv4
# connections, if its option **IPV6_V6ONLY** is off (RFC 3493 §5.3). The kernel then
# shows each IPv4 client as an IPv4-mapped IPv6 address: `127.0.0.1` becomes
# `::ffff:127.0.0.1`. The default differs by platform:

# %%
default = experiments.platform_dual_stack_default()
for name, entry in experiments.DUAL_STACK_DEFAULTS.items():
    print(f"{name:<8} V6ONLY default {'on ' if entry['v6only'] else 'off'}  {entry['text']}")
    print(f"         source: {entry['source']}")
print(f"\nthis machine ({default.system}): /proc/sys/net/ipv6/bindv6only = "
      f"{default.bindv6only}; a new AF_INET6 socket has IPV6_V6ONLY = "
      f"{default.new_socket_v6only}")

# %% [markdown]
# 🔮 **Predict:** a listener on `[::]`, port P. With IPV6_V6ONLY off, then on:
# does an IPv4 client connecting to 127.0.0.1:P get through? What address does the server
# see? And can another program then bind 0.0.0.0:P?

# %%
result = experiments.dual_stack()
print(experiments.format_dual_stack(result))

# %% [markdown]
# With V6ONLY **off** (Linux's default), the IPv4 client gets through and the server sees
# `::ffff:127.0.0.1`: the socket is IPv6, so the kernel hands it the IPv4 address inside
# an IPv6 one. The same socket also holds the IPv4 side of port P, so binding
# `0.0.0.0:P` fails with **EADDRINUSE**: the classic surprise of a server that opens
# `[::]` and then `0.0.0.0` on the same port (the ipv6(7) man page: with V6ONLY on, "an
# IPv4 and an IPv6 application can bind to a single port at the same time"). With
# V6ONLY **on** the IPv4 client is refused, and the IPv4 side of the port is free.
#
# If IPv6 is off on this machine, look at the table again: a socket on `::` may still
# bind and still take IPv4 clients (observed on Linux with `disable_ipv6=1`), while the
# `::1` client fails. Disabling IPv6 on the interfaces does not remove the IPv6 socket
# API.
#
# ## 💥 Break it on purpose: the locality check that mapped addresses break
#
# A common guard: "allow this admin page only for local clients", written as
# `ipaddress.ip_address(peer).is_loopback`. Behind a dual-stack server the peer of an
# IPv4 local client is `::ffff:127.0.0.1`.
#
# 🔮 **Predict:** what does the naive check say about it on this Python?

# %%
demo = experiments.locality_check_demo()
if demo.bind != "ok":
    print(f"no dual-stack socket here ({demo.bind}): "
          f"{experiments.EXPLAIN_ERRNO.get(demo.bind, '')}")
else:
    print(f"Python {demo.python}; the server on [::] saw the client as {demo.server_saw}")
    print(f"  naive ipaddress.ip_address(peer).is_loopback -> {demo.naive}")
    print(f"  loopedu.addresses.is_loopback(peer)          -> {demo.loopedu}")

# %% [markdown]
# Without the fix for CPython issue gh-117566 (in 3.13, and in later patch releases of
# 3.12 and 3.11), `ipaddress` answers `False` for every IPv4-mapped address: the naive
# check calls the server's own local clients remote (and a check that allows only "remote" clients would let them
# in). The fix is to look inside the mapped address first, as
# `loopedu.addresses.is_loopback` does: `ip.ipv4_mapped or ip`.

# %% [markdown]
# ## Scopes: ::1, link-local and unique-local
#
# `::1` has the smallest scope of all: this node. Two other kinds of address look local:
#
# - **link-local**, `fe80::/10` (RFC 4291 §2.5.6): valid on one link only. Every link
#   has the same `fe80::` prefix, so the address needs a **zone** saying which interface
#   (`fe80::1%lo`, RFC 4007 §11). A hosts file cannot express a zone: glibc does not
#   resolve `fe80::1%lo` lines (lesson 02).
# - **unique-local**, `fc00::/7` (RFC 4193): private addresses for a site, like
#   10.0.0.0/8. Routed inside the site, so **not** loopback.

# %%
# NBVAL_CHECK_OUTPUT
for text in ["::1", "fe80::1", "fd12:3456:789a::1"]:
    e = addresses.classify(text)
    print(f"{text:<20} loopback={str(addresses.is_loopback(text)):<6} "
          f"{e.network} {e.name} ({e.rfc})")

# %% [markdown]
# 🔮 **Predict:** what does `getaddrinfo` make of `fe80::1%lo`? Can a program bind it?
# Connect to `fe80::1` without a zone?

# %%
zones = experiments.zone_demo()
lo = zones.zone
for label, value in [(f"getaddrinfo('fe80::1%{lo}')", zones.getaddrinfo),
                     ("bind that 4-tuple", zones.bind_with_zone),
                     (f"bind(('fe80::1%{lo}', 0))", zones.bind_string_zone),
                     ("connect(('fe80::1', 9))", zones.connect_without_zone)]:
    print(f"{label:<28} -> {value}")

# %% [markdown]
# `getaddrinfo` turns the zone into a **scope id**, the last item of the 4-tuple: the
# interface index of `lo`. Binding that 4-tuple fails with **EADDRNOTAVAIL**: nobody
# assigned `fe80::1` to `lo`. Passing the text `'fe80::1%lo'` straight to `bind` is
# different in Python: the 2-tuple form sets the scope id to 0, the zone is lost, and
# Linux answers **EINVAL** ("invalid argument": a link-local address without an
# interface), the same as connecting to `fe80::1` with no zone at all. Use the 4-tuple
# that `getaddrinfo` returns. (Where IPv6 is off you may see other errors here: the
# point is the same.)

# %% [markdown]
# ## 💥 Break it on purpose: IPv6 switched off
#
# Containers often run with `net.ipv6.conf.all.disable_ipv6=1`. Then `::1` is not on
# `lo`, and binding it fails with **EADDRNOTAVAIL**. A kernel built without IPv6 fails
# one step earlier: creating an `AF_INET6` socket gives **EAFNOSUPPORT**.
#
# 🔮 **Predict:** what does binding `::1` do on this machine?

# %%
status = experiments.ipv6_status()
if status.available:
    print("::1 binds and answers here: IPv6 is on.")
    print("With IPv6 disabled you would get EADDRNOTAVAIL:",
          experiments.EXPLAIN_ERRNO["EADDRNOTAVAIL"])
    print("With IPv6 compiled out you would get EAFNOSUPPORT:",
          experiments.EXPLAIN_ERRNO["EAFNOSUPPORT"])
else:
    print(f"::1 fails here with {status.errno}: {status.explain}")

# %% [markdown]
# What breaks then: anything that binds `::1` or `localhost` when the hosts file maps
# localhost to `::1` first. Docker has written `::1 localhost` into containers' hosts
# files even with IPv6 disabled, so a server told to bind "localhost" failed
# (docker/for-linux#1374, moby#37616). A program that tries every address `getaddrinfo`
# returns (as `socket.create_connection` does) falls back to 127.0.0.1; one that takes
# only the first does not.

# %% [markdown]
# ## Same interface, same cost: ping and TCP over ::1
#
# ICMPv6 echo to `::1` works like ping to 127.0.0.1 (lesson 03's `measure.ping`: an
# unprivileged ICMP socket if the system allows it, a raw socket as root, or the
# system `ping`). Your numbers will differ from anyone else's.

# %%
from loopedu import measure

for target in ["127.0.0.1", "::1"] if IPV6 else ["127.0.0.1"]:
    print(measure.format_ping(measure.ping(target, count=3)))
if not IPV6:
    print("IPv6 is off here; what ping ::1 gets:",
          measure.format_ping(measure.ping("::1", count=1, timeout=0.5)))

# %% [markdown]
# 🔮 **Predict:** is TCP over `::1` slower than over `127.0.0.1`? The IPv6 header is
# 40 bytes against IPv4's 20.
#
# The experiment: one TCP connection per address to an echo thread, 200 small
# request/response exchanges on each, interleaved so both see the same machine load.

# %%
rtt = experiments.loopback_rtt(n=200, addresses=("127.0.0.1", "::1") if IPV6
                               else ("127.0.0.1",))
print(experiments.format_rtt(rtt))
plots.rtt_comparison(rtt)

# %% [markdown]
# Both go through the same loopback interface, the same TCP code and the same two
# processes' wake-ups, so the medians come out within about a microsecond of each other
# (on the course's Linux test machine, about 26 µs for both, `::1` slightly behind): the
# header size is noise next to the system calls and thread wake-ups. Choose between
# 127.0.0.1 and ::1 for reachability and correctness, not for speed.

# %% [markdown]
# ## Your turn
#
# `exercises/04-ipv6-loopback-exercises.ipynb`: compress and expand addresses, predict
# the dual-stack outcomes, and find the broken locality check.
#
# ## Key points
#
# - An IPv6 address is 128 bits in 8 groups of 16; `::1` is 127 zeros and a one.
#   RFC 5952's canonical form: lowercase, no leading zeros, the longest (first on a tie)
#   run of two or more zero groups as `::`.
# - IPv6 has one loopback address, `::1/128`, never assigned to a physical interface; a
#   2025 draft proposing a loopback prefix is an individual draft with no standing.
# - A socket on `::` with IPV6_V6ONLY off also takes IPv4, seen as `::ffff:127.0.0.1`,
#   and holds the IPv4 port too (EADDRINUSE for 0.0.0.0 on that port). Linux defaults to
#   off, Windows to on; OpenBSD has no mapped addresses.
# - "Is this client local?" must unwrap mapped addresses: Python's `ipaddress` says
#   `::ffff:127.0.0.1` is not loopback in releases without the gh-117566 fix.
# - Link-local `fe80::/10` needs a zone (`%lo`), a scope id in the socket address;
#   unique-local `fc00::/7` is private, not loopback.
# - With IPv6 disabled, binding `::1` gives EADDRNOTAVAIL; compiled out, EAFNOSUPPORT.
# - TCP over `::1` and over 127.0.0.1 cost the same to within noise.
#
# ## Sources
#
# - RFC 4291, IP Version 6 Addressing Architecture: §2.2 (text representation), §2.5.3
#   (loopback address), §2.5.5.2 (IPv4-mapped), §2.5.6 (link-local).
# - RFC 5952, A Recommendation for IPv6 Address Text Representation: §4.1–4.3, §5.
# - RFC 3493, Basic Socket Interface Extensions for IPv6: §5.3 (IPV6_V6ONLY).
# - RFC 4007, IPv6 Scoped Address Architecture: §11 (zone indices, `%zone`).
# - RFC 4193, Unique Local IPv6 Unicast Addresses.
# - Linux man pages ipv6(7) and IPV6_V6ONLY(2const): default from
#   /proc/sys/net/ipv6/bindv6only, 0.
# - Microsoft Learn, "Dual-Stack Sockets for IPv6 Winsock Applications":
#   https://learn.microsoft.com/en-us/windows/win32/winsock/dual-stack-sockets
# - OpenBSD ip6(4) and inet6(4) (no IPv4-mapped addresses; IPV6_V6ONLY always on).
# - CPython issue gh-117566 (`is_loopback` of IPv4-mapped addresses; fixed in 3.13,
#   backported in gh-118391 for 3.12 and with the gh-122792 security fix for 3.11).
# - draft-kumari-ipv6-loopback, "The IPv6 Loopback Address Prefix" (individual
#   Internet-Draft, 2025): https://datatracker.ietf.org/doc/draft-kumari-ipv6-loopback/
# - IANA IPv6 Special-Purpose Address Registry:
#   https://www.iana.org/assignments/iana-ipv6-special-registry/
# - docker/for-linux#1374 and moby/moby#37616 (`::1 localhost` with IPv6 disabled).
