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
# # 05 · IPv6 ::1
#
# **Objectives.** After this lesson you can:
# - read and write `::1`, or any IPv6 address, in full and in the one canonical form
#   RFC 5952 asks for *(exercises 05.expand, 05.compress)*;
# - predict what a dual-stack socket on `::` does with an IPv4 client, and why
#   IPV6_V6ONLY and the platform's default matter
#   *(exercise 05.dual-stack)*;
# - spot an "is this client local?" check that mapped addresses break
#   *(exercise 05.locality-check)*;
# - recognise a machine with IPv6 switched off, and what fails there
#   *(exercise 05.ipv6-off)*.
#
# **Prerequisites.** Lessons 01 (the loopback range) and 03 (what the address given to
# `bind()` means). Hexadecimal helps; the lesson recaps what it needs.
#
# **Minutes:** 46 teaching + 25 exercises; Going further: 5 more.

# %%
import ipaddress
import platform
import socket

from loopedu import addresses, doctor, dual_stack, ipv6, sandbox
from loopedu.dual_stack import ipv6_off_demo
from loopedu.exercises import NOT_MEASURED, explain, predict, reveal

print("this machine:      ", doctor.this_machine())
print("IPv6 loopback here:", sandbox.capabilities().ipv6_loopback)

# %% [markdown]
# The second line is lesson 00's check: the course binds `::1` and connects to it. Many
# containers switch IPv6 off. This lesson runs there too.
#
# The lesson follows `::1` through four questions:
#
# 1. How is it written?
# 2. How many loopback addresses does IPv6 have?
# 3. Can an IPv6 socket serve IPv4 clients, and what breaks?
# 4. What fails with IPv6 switched off?
#
# ## 128 bits, 8 groups
#
# How is `::1` written? An IPv6 [address](glossary.md#ip-address) is 128 bits. It is
# written as 8 groups of 16 bits, each as 4 hexadecimal digits, separated by colons (RFC
# 4291). The [loopback](glossary.md#loopback) address `::1` is 127 zeros and a single 1.
#
# A hexadecimal digit stands for 4 bits: 0-9, then a-f for 10 to 15. So a group of 4 hex
# digits is 16 bits, and `7f` is 7×16 + 15 = 127.

# %%
# NBVAL_CHECK_OUTPUT
full = ipv6.expand("::1")
print(full, f"({len(full)} characters)")
print(ipv6.format_bits("::1"))

# %% [markdown]
# Thirty-nine characters for one bit. So the same RFC allows two shorthands. Leading
# zeros of a group may be dropped: `0001` becomes `1`. And **one** run of zero groups
# may be replaced by `::`. For loopback's seven zero groups, that gives `::1`.
#
# ## One spelling: RFC 5952
#
# Those rules allow many spellings of one address. `0:0:0:0:0:0:0:1`, `::0001` and
# `0::1` are all `::1`. Logs, tests and comparisons need one spelling. RFC 5952 fixes it:
#
# 1. leading zeros dropped, a zero group written `0`;
# 2. `::` replaces the **longest** run of zero groups, never a single zero group;
# 3. hex digits in lowercase.

# %%
# 🔮 Your prediction: the canonical form of 2001:0DB8:0000:0000:0001:0000:0000:0001,
# as a string. It has two runs of two zero groups: which one becomes "::"?
prediction = ...
### BEGIN SOLUTION
prediction = "2001:db8:0:0:1::1"  # an example prediction
### END SOLUTION
predict("05.canonical", prediction)

# %%
# NBVAL_CHECK_OUTPUT
typed = "2001:0DB8:0000:0000:0001:0000:0000:0001"
print(ipv6.format_steps(typed))  # each step names its rule

# %%
reveal("05.canonical", ipv6.compress(typed))

# %%
# ✍️ Your explanation, in one line: which rule decided it?
explanation = ...
### BEGIN SOLUTION
explanation = "on a tie between runs, RFC 5952 picks the first one"
### END SOLUTION
explain("05.canonical", explanation)

# %% [markdown]
# The C library agrees: `socket.inet_ntop` writes every address this way.
#
# ## One loopback address, not a block
#
# How many loopback addresses does IPv6 have? IPv4 reserves a whole /8, 16,777,216
# addresses (lesson 01). IPv6 reserves exactly **one**. RFC 4291 defines `::1`. It "must
# not be assigned to any physical interface". The IANA IPv6
# [special-purpose](glossary.md#special-purpose) registry lists it as `::1/128`:

# %%
# NBVAL_CHECK_OUTPUT
entry = addresses.classify("::1")
print(entry.network, "|", entry.name, "|", entry.rfc)
for flag in ("source", "destination", "forwardable", "globally_reachable"):
    print(f"  {flag:<20}{getattr(entry, flag)}")

# %% [markdown]
# `::2`, next to it, is an ordinary address. `::` is the
# [unspecified address](glossary.md#unspecified). In `bind()` it means every address,
# like 0.0.0.0. (Going further has `fe80::1`, link-local.)
#
# With one loopback address, a program needing several loopback endpoints binds `::1` on
# several [ports](glossary.md#port). Or it uses IPv4's 127/8.
#
# ## Dual stack: one socket, two families
#
# Can an IPv6 socket serve IPv4 clients? A [socket](glossary.md#socket) of
# [address family](glossary.md#address-family) `AF_INET6` can also accept IPv4
# connections, if its option **IPV6_V6ONLY** is off (RFC 3493). Such a socket is
# [dual stack](glossary.md#dual-stack).
#
# Now the plain socket calls. The server makes an `AF_INET6` socket and turns IPV6_V6ONLY
# off. It binds loopback only, on port 0, so nothing else can reach it. A client connects
# over plain IPv4 to 127.0.0.1. What does `accept()` say about the client?

# %%
# 🔮 Your prediction: what address does accept() return for the IPv4 client?
prediction = ...
### BEGIN SOLUTION
prediction = "127.0.0.1"  # an example prediction
### END SOLUTION
predict("05.server-sees", prediction)

# %%
# NBVAL_CHECK_OUTPUT
with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as server:
    server.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)  # dual stack
    server.bind(("::ffff:127.0.0.1", 0))                           # 127.0.0.1, mapped
    server.listen()
    port = server.getsockname()[1]
    with socket.create_connection(("127.0.0.1", port), timeout=2):  # an IPv4 client
        conn, peer = server.accept()
        conn.close()
print("the IPv4 client connected to 127.0.0.1 port", port)
print("accept() returned the peer", peer[0], "port", peer[1])

# %%
reveal("05.server-sees", peer[0])

# %%
# ✍️ Your explanation, in one line: why not plain 127.0.0.1?
explanation = ...
### BEGIN SOLUTION
explanation = "an IPv6 socket can only report IPv6 addresses, so IPv4 ones come mapped"
### END SOLUTION
explain("05.server-sees", explanation)

# %% [markdown]
# That form is an [IPv4-mapped address](glossary.md#mapped): `::ffff:` followed by the 32
# bits of an IPv4 address (RFC 4291). RFC 5952 recommends writing the last 32 bits dotted,
# `::ffff:127.0.0.1`. In hex, 127 is `7f` and 0.1 is `0001`, so 127.0.0.1 is `7f00:0001`
# and `::ffff:7f00:1` is the same address.
#
# Whether IPV6_V6ONLY starts off or on differs by platform. Linux and macOS: off.
# Windows: on. (Going further has the full table, with sources.)
#
# Now the real thing, at scale: a listener on `::`, every address.
# `dual_stack.dual_stack()` runs it with IPV6_V6ONLY off, then on. Each time:
#
# - an IPv4 client connects to 127.0.0.1;
# - an IPv6 client connects to `::1`;
# - another socket tries to bind 0.0.0.0 on the same port.
#
# A listener on `::` is reachable from your network, so this runs in a
# [network namespace](glossary.md#network-namespace) of its own, with only `lo`. Without
# namespaces it says "not run", unless you call `dual_stack.dual_stack(expose=True)`.

# %%
# 🔮 Your prediction: while the listener on :: holds port P, what does binding 0.0.0.0
# on port P give? ("ok", or an errno name such as "EADDRINUSE")
prediction = {"v6only off": ..., "v6only on": ...}
### BEGIN SOLUTION
prediction = {"v6only off": "ok", "v6only on": "ok"}  # an example prediction
### END SOLUTION
predict("05.dual-stack-bind", prediction)

# %%
result = dual_stack.dual_stack()
print(dual_stack.format_dual_stack(result))
default = result.default  # what this machine gives a new socket
print(f"\nhere a new AF_INET6 socket starts with IPV6_V6ONLY = "
      f"{default.new_socket_v6only} (net.ipv6.bindv6only = {default.bindv6only})")
reveal("05.dual-stack-bind",
       {f"v6only {'on' if c.v6only else 'off'}":
        c.second_bind if c.bind == "ok" else NOT_MEASURED for c in result.cases})

# %% [markdown]
# With V6ONLY **off**, the IPv4 client gets through, seen as `::ffff:127.0.0.1`. The
# socket also holds the IPv4 side of its port. So binding 0.0.0.0 there fails with
# [EADDRINUSE](glossary.md#eaddrinuse). A server that opens `[::]`, then `0.0.0.0` on
# one port, meets exactly this. With V6ONLY **on**, the IPv4 client is refused, and the
# IPv4 side of the port is free.
#
# That is why the platform default matters. The same server code, with no `setsockopt`,
# takes IPv4 clients on Linux and macOS. On Windows it refuses them.
#
# So a dual-stack server sees its local IPv4 clients as `::ffff:127.0.0.1`. What does
# that do to code that checks addresses?
#
# ## 💥 Break it on purpose: is this client local?
#
# A common guard: "allow this admin page only for local clients". It is often written
# `ipaddress.ip_address(peer).is_loopback`. Behind a dual-stack server, a local IPv4
# client's peer is `::ffff:127.0.0.1`, as you just saw. Does `ipaddress` look inside a
# mapped address?

# %%
# 🔮 Your prediction: on this Python, what does
# ipaddress.ip_address("::ffff:127.0.0.1").is_loopback say? (True or False)
prediction = ...
### BEGIN SOLUTION
prediction = True  # an example prediction
### END SOLUTION
predict("05.naive-check", prediction)

# %%
host = peer[0]  # the peer accept() returned above
ip = ipaddress.ip_address(host)
print(f"Python {platform.python_version()}, host = {host!r}")
print(f"  ip_address(host).is_loopback          -> {ip.is_loopback}")
print(f"  (ip.ipv4_mapped or ip).is_loopback    -> {(ip.ipv4_mapped or ip).is_loopback}")
reveal("05.naive-check", ip.is_loopback)

# %%
# ✍️ Your explanation, in one line: what decides the answer?
explanation = ...
### BEGIN SOLUTION
explanation = "whether this Python release has the gh-117566 fix, not IPv6 itself"
### END SOLUTION
explain("05.naive-check", explanation)

# %% [markdown]
# The answer depends on the Python release. Older releases lack a fix (CPython issue
# gh-117566). Going further says which releases have it.
#
# Without the fix, the naive check calls the server's own local clients remote. Turned
# around ("only remote clients may do this"), it lets them in.
#
# The second line works on every release. Look inside a mapped address first,
# `ip.ipv4_mapped or ip`, then ask. `loopedu.addresses.is_loopback` does exactly that.
#
# ## 💥 Break it on purpose: IPv6 switched off
#
# Last question: what fails with IPv6 switched off? Containers often set the
# [sysctl](glossary.md#sysctl) `net.ipv6.conf.all.disable_ipv6=1`. Then `lo` has no
# `::1`, and binding it fails with
# [EADDRNOTAVAIL](glossary.md#eaddrnotavail): no interface has that address. A
# [kernel](glossary.md#kernel) built without IPv6, or booted with `ipv6.disable=1`, fails
# one step earlier. Creating the `AF_INET6` socket gives
# [EAFNOSUPPORT](glossary.md#eafnosupport), "address family not supported".
#
# And a dual-stack socket on `::`, with IPv6 disabled? The next cell makes a namespace
# with `disable_ipv6=1` (where this machine allows it). There it binds `::1`, and lets an
# IPv4 client try a socket on `::` with IPV6_V6ONLY off.

# %%
off = ipv6_off_demo()
print("ran in:", off.where)
if off.ran:
    print(f"  bind ::1                          -> {off.bind_loopback}")
    print(f"  bind :: with IPV6_V6ONLY 0        -> {off.dual_stack_bind}")
    print(f"  IPv4 client to 127.0.0.1, port P  -> {off.ipv4_client}, "
          f"server saw {off.server_saw}")

# %% [markdown]
# `::1` is gone, but the IPv6 socket API is not. `::` still binds. The dual-stack socket
# still takes IPv4 clients as `::ffff:127.0.0.1` (observed on Linux).
#
# So a server on `[::]` keeps serving IPv4. Anything that binds `::1` fails. That
# includes a server told to bind `localhost` when the hosts file lists `::1` for it.
# (Going further: containers whose hosts file does that.)

# %% [markdown]
# ## Your turn
#
# [The exercises](../exercises/05-ipv6-loopback-exercises.ipynb):
# expand and compress addresses, predict the dual-stack outcomes, judge five locality
# checks, and say what a client meets where IPv6 is off.
#
# ## Key points
#
# - An IPv6 address is 128 bits in 8 groups of 16; `::1` is 127 zeros and a one. RFC
#   5952's canonical form: lowercase, no leading zeros, the longest run of two or more
#   zero groups as `::`, the first on a tie.
# - IPv6 has one loopback address, `::1/128`, never assigned to a physical interface.
#   `::` is unspecified; `fe80::/10` is link-local, not loopback.
# - A socket on `::` with IPV6_V6ONLY off also takes IPv4 clients, seen as
#   `::ffff:127.0.0.1`, and holds the IPv4 side of its port. Linux and macOS default to
#   off; Windows to on.
# - "Is this client local?" must unwrap mapped addresses first: without the gh-117566
#   fix, `ipaddress` says `::ffff:127.0.0.1` is not loopback.
# - With IPv6 disabled, binding `::1` gives EADDRNOTAVAIL, but a dual-stack socket on `::`
#   still serves IPv4. With IPv6 compiled out, `socket(AF_INET6)` itself gives
#   EAFNOSUPPORT.
#
# ## Going further
#
# **Try spellings yourself.** After `from loopedu import widgets`,
# `widgets.ipv6_notation()` expands and compresses what you
# type, step by step. `ipv6.expand()` says what is wrong with text that is not an address.
# Try `1::2::3` (two `::` are ambiguous), `2001:db8::12345` (a group is at most 4 hex
# digits), `2001:db8::g` (not hex) and `1:2:3:4::5:6:7:8` (`::` must stand for at least
# one zero group). And `127.0.0.1` is IPv4: as IPv6 it is `::ffff:127.0.0.1`.
#
# **What does your Python print for a mapped address?** Try
# `print(ipaddress.ip_address("::ffff:127.0.0.1"))`. Python 3.11 prints the hex form
# `::ffff:7f00:1` (observed); `socket.inet_ntop` prints the dotted form RFC 5952 §5
# recommends.
#
# **Scopes.** Every IPv6 address has a *scope*: how far it is meant to reach.
# `fe80::1` is [link-local](glossary.md#link-local) (RFC 4291 §2.5.6): it belongs to one
# link, named with a zone such as `%eth0`; `addresses.classify("fe80::1")` finds its
# block. RFC 4291 §2.5.3 says `::1` "is treated as having Link-Local scope", the scope
# of `fe80::1` too. The narrower interface-local scope exists only for multicast addresses (`ff01::/16`,
# §2.7). RFC 4007 defines zones and scopes: an address of Link-Local scope is unique only
# on its link, so `fe80::1%eth0` names the link. For `::1` the zone is implicit: this
# host.
#
# **The other systems' defaults.** `from loopedu import platforms`, then
# `print(platforms.dual_stack_table())` lists five platforms' IPV6_V6ONLY defaults, each
# with its source. FreeBSD and NetBSD set `ip6_v6only = 1` in
# `sys/netinet6/in6_proto.c`; Apple's XNU sets `ip6_v6only = 0` in the same file, so
# macOS is dual stack like Linux. OpenBSD has no IPv4-mapped addresses at all.
#
# **Which Pythons have the gh-117566 fix (as of December 2026).** The fix shipped in
# Python 3.13. It was backported to 3.12 (gh-118391). It is reported in 3.11.11, with the
# gh-122792 security backport. Earlier patch releases lack it. Backports can still come,
# so test your own interpreter, as the lesson did, not a version number.
#
# **The hosts file with IPv6 off.** Docker has written `::1 localhost` into containers'
# hosts files even with IPv6 disabled (docker/for-linux#1374, moby/moby#37616). Whether
# your Docker version does can change: look at the container's `/etc/hosts`. A client
# that tries every address `getaddrinfo` returns, as `socket.create_connection` does,
# falls back to 127.0.0.1 when `::1` fails. One that takes only the first does not
# (lesson 02).
#
# ## Sources
#
# - RFC 4291, IP Version 6 Addressing Architecture: §2.2 (text representation), §2.5.3
#   (loopback address, Link-Local scope), §2.5.5.2 (IPv4-mapped), §2.5.6 (link-local),
#   §2.7 (multicast scopes, interface-local); RFC 4007 (scoped address architecture).
# - RFC 5952, A Recommendation for IPv6 Address Text Representation: §4.1–4.3, §5.
# - RFC 3493, Basic Socket Interface Extensions for IPv6: §5.3 (IPV6_V6ONLY).
# - Linux man pages ipv6(7) and IPV6_V6ONLY(2const) (default from
#   /proc/sys/net/ipv6/bindv6only, 0), bind(2) (EADDRNOTAVAIL), socket(2) (EAFNOSUPPORT).
# - Microsoft Learn, "Dual-Stack Sockets for IPv6 Winsock Applications":
#   https://learn.microsoft.com/en-us/windows/win32/winsock/dual-stack-sockets
# - Apple XNU `bsd/netinet6/in6_proto.c` (`int ip6_v6only = 0;`, the default of the
#   sysctl `net.inet6.ip6.v6only`):
#   https://github.com/apple-oss-distributions/xnu/blob/main/bsd/netinet6/in6_proto.c
# - OpenBSD ip6(4) and inet6(4) (no IPv4-mapped addresses; IPV6_V6ONLY always on);
#   FreeBSD and NetBSD `sys/netinet6/in6_proto.c` (`ip6_v6only = 1`, the default of
#   the sysctl `net.inet6.ip6.v6only`).
# - CPython issue gh-117566 (`is_loopback` of IPv4-mapped addresses; fixed in 3.13,
#   backported to 3.12 in gh-118391, reported in 3.11.11 with the gh-122792 security
#   backport):
#   https://github.com/python/cpython/issues/117566
# - IANA IPv6 Special-Purpose Address Registry:
#   https://www.iana.org/assignments/iana-ipv6-special-registry/
# - docker/for-linux#1374 and moby/moby#37616 (`::1 localhost` with IPv6 disabled).
