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
# # 02 · localhost is a name
#
# **Objectives.** After this lesson you can:
# - say where a program's question "what is `localhost`?" goes (nsswitch.conf, the hosts
#   file, DNS) and why `127.0.0.1` never asks anyone;
# - predict what getaddrinfo answers from a hosts file, exactly as the C library does;
# - reproduce the ::1-first trap (connection refused although the server runs) and fix
#   the client that falls into it;
# - explain why `localhost` and `127.0.0.1` are different things to MySQL and PostgreSQL.
#
# **Prerequisites.** Lessons 00 and 01.
#
# **Minutes:** 30.

# %%
import socket
import sys

from loopedu import hosts, localhost, measure, platforms, sandbox, unix_sockets

# %% [markdown]
# ## Where the name goes
#
# `127.0.0.1` is an address: a program can put it straight into a socket call. `localhost`
# is a **name**: before any packet is sent, the C library must turn it into addresses, with
# `getaddrinfo(3)`. On Linux with glibc, the `hosts:` line of `/etc/nsswitch.conf` says
# which sources it asks, in order (nsswitch.conf(5)); `files` is the hosts file.
#
# 🔮 **Predict:** which sources does this machine ask, and in which order?

# %%
sources = localhost.nsswitch_hosts()
print("hosts sources, in order:", " -> ".join(sources) or "(no hosts: line; glibc's default)")
print("hosts file:", platforms.hosts_file_path())

# %% [markdown]
# Typically `files dns`: the hosts file first, DNS only if the file has no answer. Other
# sources you may see: `myhostname` (nss-myhostname, which answers `localhost` and
# `*.localhost` with 127.0.0.1 and ::1 by itself), `resolve` (systemd-resolved),
# `mdns4_minimal` (multicast DNS for `.local`). macOS and Windows have no nsswitch.conf;
# they read their hosts file first too (Windows: `%SystemRoot%\System32\drivers\etc\hosts`).
#
# Should `localhost` ever reach DNS? RFC 6761 §6.3 says resolvers SHOULD answer localhost
# names themselves with loopback and not query DNS; the draft
# *draft-ietf-dnsop-let-localhost-be-localhost*, which would have made that a MUST,
# expired. Browsers did not wait: the WHATWG Fetch standard treats `localhost` as
# loopback, Chrome (2015) and Firefox (2020) hard-code it, and so does curl (2022).

# %% [markdown]
# ## Your own resolver, beside the model
#
# The course carries a *model* of glibc's files backend (`loopedu.hosts`): given the text
# of a hosts file it predicts getaddrinfo's answer, addresses, order and duplicates
# included. It is tested against glibc itself on many real-world hosts files. Here it is
# beside your machine's real resolver, for your own hosts file.
#
# 🔮 **Predict:** what does `localhost` resolve to here for IPv4 (`AF_INET`), IPv6
# (`AF_INET6`) and either (`AF_UNSPEC`)?

# %%
glibc = sys.platform.startswith("linux")
print(f"{'name':<11}{'family':<11}{'model (glibc rules)':<24}{'same?':<7}this machine")
for row in localhost.compare_with_resolver(names=("localhost",)):
    real = ", ".join(row.real) if isinstance(row.real, list) else row.real
    model = ", ".join(row.model) if isinstance(row.model, list) else row.model
    same = {True: "yes", False: "NO", None: "-"}[row.same]
    print(f"{row.name:<11}{row.family:<11}{model or '(nothing)':<24}{same:<7}"
          f"{real or '(nothing)'}")
if not glibc:
    print(f"\nThis is {sys.platform}, not glibc: the model shows what Linux would answer.")

# %% [markdown]
# Where the hosts file has no answer for a family, the real resolver would go on to the
# next source (usually DNS, a query that leaves your machine), so the course does not ask
# it and says so. A "NO" in the last column means something besides the hosts file
# answered first (for example `myhostname` adds ::1), or this is not glibc.
#
# Lines of the hosts file that glibc skips are easy to miss: it says nothing. The model
# lists them.

# %%
mine = hosts.load(platforms.hosts_file_path())
print(f"{len(mine)} lines glibc uses; lines skipped or read differently: {len(mine.problems)}")
for p in mine.problems[:10]:
    print(f"  line {p.line}: {p.reason}")

# %% [markdown]
# ### A sandbox hosts file
#
# Edit the hosts text below and the names to look up: the panel answers as glibc's
# getaddrinfo would. Your real `/etc/hosts` is never read or written here. Try a line with
# `::1 localhost` removed, an address with an octet over 255, the same name on two lines,
# `LOCALHOST` in capitals, and `localhost.` with a trailing dot.

# %%
from loopedu import widgets

widgets.hosts_sandbox()

# %% [markdown]
# ## Why `getaddrinfo("localhost", AF_INET)` can answer 127.0.0.1 twice
#
# Debian and Ubuntu ship both `127.0.0.1 localhost` and `::1 localhost ip6-localhost`.
#
# 🔮 **Predict:** an IPv4-only (`AF_INET`) lookup of `localhost` in that file: one answer
# or two?

# %%
# NBVAL_CHECK_OUTPUT
table = localhost.resolve_table(localhost.TRAP_HOSTS, ["localhost", "ip6-localhost"])
for name in ("localhost", "ip6-localhost"):
    print(f"{name:<14} AF_INET  -> {table.answers[(name, 'AF_INET')]}")
    print(f"{name:<14} AF_INET6 -> {table.answers[(name, 'AF_INET6')]}")

# %% [markdown]
# **Twice.** For an `AF_INET` query, glibc's files backend reads the `::1` line too and
# answers it as the IPv4 loopback address (`nss/nss_files/files-hosts.c` maps IPv6
# loopback to `127.0.0.1` for AF_INET), so `localhost` matches two lines and both answer.
# Even `ip6-localhost`, a name that exists only on the `::1` line, answers `127.0.0.1`.
# Where the machine allows it, here is glibc itself with that hosts file, in a child
# process with a private mount namespace (Linux, as root or inside an unprivileged user
# namespace; your real `/etc/hosts` is untouched):

# %%
private = sandbox.capabilities().mount_namespaces
if private:
    print("glibc, AF_INET:", sandbox.call_with_hosts(
        localhost.TRAP_HOSTS, "loopedu.localhost:addresses_of", "localhost", "AF_INET"))
else:
    print(f"Not run live here ({private.reason}); the model's answer above is what glibc "
          "gives.")

# %% [markdown]
# ## 💥 Break it on purpose: the ::1-first trap
#
# The classic bug. The hosts file lists both addresses; a server listens on **127.0.0.1
# only** (a common default); a client resolves `localhost` and connects to the first
# answer only. glibc sorts the answers of getaddrinfo with the default policy table of
# RFC 3484 (gai.conf(5)): `::1` has precedence 50, IPv4 (as `::ffff:0:0/96`) 10, so **::1
# comes first even when the file lists 127.0.0.1 first**. Node.js 17 met this when it
# stopped reordering results to IPv4-first (nodejs/node issues 40537 and 40702).
#
# 🔮 **Predict:** what does the first-address client get? And `socket.create_connection`?

# %%
trap = localhost.localhost_trap()
how = {"this machine": "this machine's own resolver already puts ::1 first",
       "private hosts file": "live, with the trap's hosts file in a private mount namespace",
       "model": "order from the resolver model (no private hosts file here: "
                + trap.why_model + "); the connections are real"}
print("how:", how[trap.mode])
print("localhost resolves to:", list(trap.resolved))
print("server listens on:    ", trap.server, "only")
print("first address only:   ", trap.resolved[0], "->", trap.first_only)
print("create_connection:    ", trap.create_connection, "via", trap.create_connection_used)

# %% [markdown]
# The first-address client is **refused**: nothing listens on `[::1]` at that port, and
# the kernel answers at once with a reset (lesson 00). `socket.create_connection` tries
# *each* address getaddrinfo returned, in order, and keeps the first that connects, so it
# succeeds on 127.0.0.1 (Python docs, `socket.create_connection`). Two fixes: servers
# listen on both loopback addresses (Redis's default is `bind 127.0.0.1 -::1`), and
# clients try every address. *Happy Eyeballs* (RFC 8305) goes further: start the
# preferred family, and if it has not connected after a short delay (250 ms recommended)
# start the other in parallel; asyncio offers it as `happy_eyeballs_delay`.
#
# If IPv6 is off (lesson 04) the trap looks different: getaddrinfo's sort puts unusable
# destinations last (RFC 3484 rule 1), and binding "localhost" can fail outright when a
# container's hosts file says `::1 localhost` anyway (docker/for-linux issue 1374,
# moby/moby issue 37616).

# %% [markdown]
# ## `localhost` versus `127.0.0.1` for databases
#
# To MySQL clients on Unix the two are **different transports**: the MySQL manual says
# `localhost` means "connect through the Unix socket file", and only `127.0.0.1` (or
# `--protocol=TCP`) uses TCP. PostgreSQL's libpq with no host uses a Unix-domain socket,
# while `host=localhost` is TCP, and `pg_hba.conf` has separate rules for each (`local`
# rows for Unix sockets, `host` rows for TCP). So a permission that works with one can
# fail with the other.
#
# Here is a small server doing what those databases do: one service on a Unix-domain
# socket *and* on TCP 127.0.0.1.

# %%
with unix_sockets.unix_and_tcp_server() as server:
    print("Unix socket file:", server.unix.rsplit("/", 1)[-1], "(in a private folder)")
    print("TCP:              127.0.0.1, an ephemeral port")

perm = unix_sockets.socket_file_permissions()
print("socket file mode as created:", perm.mode)
print("connect after chmod 000:    ", perm.after_chmod_000,
      "(as root, which bypasses file permissions)" if perm.root else "")
print("TCP needs no file:          ", perm.tcp_needs_no_file)

# %% [markdown]
# A Unix socket is a file: who may connect is decided by its permissions (unix(7):
# connecting needs write permission on the socket file), not by addresses. As an
# ordinary user, `chmod 000` makes the connection fail with `EACCES`; as root it still
# works, because root bypasses file permissions (CAP_DAC_OVERRIDE, capabilities(7)). TCP
# on 127.0.0.1 has no file: any local user can connect, which is why databases add
# passwords.
#
# And the cost? The same echo exchange over both transports:

# %%
speed = measure.unix_vs_tcp(rounds=2000)
for label, r in speed.results.items():
    print(f"{label:<14} median {r.median_us:6.1f} µs   p90 {r.p90_us:6.1f} µs")
print(f"TCP takes {speed.ratio('tcp 127.0.0.1', 'unix socket'):.1f}× the Unix socket's "
      "median round trip here")

# %% [markdown]
# Both are fast (tens of microseconds); the Unix socket skips TCP and IP processing
# altogether, so it is usually a little faster. Your numbers will differ: they depend on
# the CPU and what else the machine is doing.

# %% [markdown]
# ## Your turn
#
# `exercises/02-localhost-is-a-name-exercises.ipynb`: predict what a hosts file resolves
# to, find the lines glibc skips, and fix a client that only tries the first address.
#
# ## Key points
#
# - `localhost` is a name: nsswitch.conf decides who answers (usually the hosts file,
#   then DNS); `127.0.0.1` is an address and needs no lookup.
# - glibc answers every matching hosts line, compares names ignoring case, keeps a
#   trailing dot, silently skips bad lines, and answers an `::1` line as 127.0.0.1 for an
#   IPv4 query, so `localhost` can resolve to 127.0.0.1 twice.
# - getaddrinfo sorts ::1 before 127.0.0.1 (RFC 3484 default policy): a server on
#   127.0.0.1 only plus a client that tries only the first address gives ECONNREFUSED.
#   Try every address (`socket.create_connection`, Happy Eyeballs).
# - To MySQL and PostgreSQL clients, `localhost` means a Unix-domain socket, guarded by
#   file permissions; `127.0.0.1` means TCP.
#
# ## Sources
#
# - getaddrinfo(3), nsswitch.conf(5), hosts(5), gai.conf(5), unix(7), capabilities(7):
#   Linux manual pages.
# - glibc 2.36 source: `nss/nss_files/files-hosts.c`, `sysdeps/posix/getaddrinfo.c`
#   (`rfc3484_sort`).
# - RFC 6761 §6.3 (localhost names); draft-ietf-dnsop-let-localhost-be-localhost
#   (expired); WHATWG Fetch standard; RFC 3484 §6 and RFC 6724 (address selection);
#   RFC 8305 (Happy Eyeballs v2).
# - nodejs/node issues 40537 and 40702; docker/for-linux issue 1374; moby/moby issue 37616.
# - MySQL Reference Manual, "Connecting to the MySQL Server Using Command Options"
#   (localhost and the Unix socket file); PostgreSQL documentation, libpq connection
#   parameters and "The pg_hba.conf File".
# - Python documentation: `socket.create_connection`, asyncio `happy_eyeballs_delay`.
