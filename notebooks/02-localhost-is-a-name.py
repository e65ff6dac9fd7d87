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
# - say where a program's question "what is `localhost`?" goes, and predict what
#   getaddrinfo answers from a hosts file, including what `multi` in /etc/host.conf
#   changes and which lines it skips *(exercises 02.predict-hosts, 02.broken-hosts)*;
# - reproduce the ::1-first trap (connection refused although the server runs) and fix
#   the client that falls into it *(exercise 02.fix-client)*;
# - tell which transport, a Unix-domain socket or TCP, a MySQL or PostgreSQL client uses
#   for `localhost`, `127.0.0.1` and no host at all *(exercise 02.db-transport)*.
#
# **Prerequisites.** Lessons 00 and 01 (a refused connection; what 127.0.0.1 is).
#
# **Minutes:** 35 teaching + 25 exercises.

# %%
import socket

from IPython.display import Markdown, display

from loopedu import doctor, hosts, localhost, measure, platforms, sandbox, unix_sockets
from loopedu.exercises import predict, reveal

print("this machine:", doctor.this_machine())

# %% [markdown]
# ## Where the name goes
#
# `127.0.0.1` is an address: a program can put it straight into a [socket](glossary.md#socket)
# call. [`localhost`](glossary.md#localhost) is a **name**: before any packet is sent, the
# C library's [resolver](glossary.md#resolver) must turn it into addresses, with
# `getaddrinfo(3)`. Here is that call. `AF_UNSPEC` asks for addresses of either
# [address family](glossary.md#address-family) (IPv4 or IPv6); each answer is a tuple whose
# last item, `info[4]`, is the address (and port). The flag `AI_NUMERICHOST` means
# "numbers only, look nothing up".

# %%
def addresses(name, family=socket.AF_UNSPEC, flags=0):
    infos = socket.getaddrinfo(name, None, family, socket.SOCK_STREAM, 0, flags)
    return [info[4][0] for info in infos]          # info[4] = (address, port, ...)


print("localhost                 ->", addresses("localhost"))
print("127.0.0.1, numbers only   ->", addresses("127.0.0.1", flags=socket.AI_NUMERICHOST))
try:
    addresses("localhost", flags=socket.AI_NUMERICHOST)
except socket.gaierror as exc:
    print("localhost, numbers only   -> gaierror:", exc)

# %% [markdown]
# The first line depends on your machine: it is what your resolver answered. (The
# reference run, on the machine printed at the top, has a hosts file that lists only
# `127.0.0.1 localhost`.) The last line fails everywhere, only the wording of the error
# varies: with lookups forbidden, `localhost` is not an address at all, while
# `127.0.0.1` needs no lookup and never asks anyone.
#
# So who answers? On Linux with glibc, the `hosts:` line of
# [`/etc/nsswitch.conf`](glossary.md#nsswitch) lists the sources the resolver asks, in
# order (nsswitch.conf(5)); `files` is the [hosts file](glossary.md#hosts-file).

# %%
sources = localhost.nsswitch_hosts()
print("hosts sources, in order:", " -> ".join(sources) or "(no hosts: line; glibc's default)")
print("hosts file:", platforms.hosts_file_path())

# %% [markdown]
# Typically `files dns`: the hosts file first, [DNS](glossary.md#dns) only if the file
# has no answer. You may also see `myhostname` (nss-myhostname, which answers
# `localhost` with 127.0.0.1 and ::1 by itself) or `resolve` (systemd-resolved). macOS
# and Windows have no nsswitch.conf. Windows has a hosts file
# (`%SystemRoot%\System32\drivers\etc\hosts`), but since Windows 7 its `localhost`
# lines are commented out: "localhost name resolution is handled within DNS itself",
# that is, by Windows's own DNS client, without asking a server.
#
# RFC 6761 §6.3 says resolvers SHOULD answer localhost names themselves, with loopback;
# Chrome (2015), Firefox (2020) and curl (7.78.0, 2021; `*.localhost` too since 7.85.0,
# 2022) do so. Browsers also treat `http://localhost` as a secure context, by the W3C
# Secure Contexts rule "Is origin potentially trustworthy?".

# %% [markdown]
# ## Your own resolver, beside the model
#
# The course carries a *model* of glibc's files backend (`loopedu.hosts`): given the
# text of a hosts file it predicts getaddrinfo's answer, order and duplicates included
# (it is tested against glibc itself). Here it is beside your real resolver, for your
# own hosts file, asked only where the file answers: no query leaves your machine.

# %%
def shown(answer):
    return (", ".join(answer) or "(nothing)") if isinstance(answer, list) else answer


rows = [[r.name, r.family, shown(r.model), shown(r.real),
         {True: "yes", False: "**no**", None: "–"}[r.same]]
        for r in localhost.compare_with_resolver(names=("localhost",))]
mine = hosts.load(platforms.hosts_file_path())
print("this machine:", doctor.this_machine())
print(f"hosts file: {len(mine)} lines glibc uses; {len(mine.problems)} skipped or read "
      "differently", *(f"\n  line {p.line}: {p.reason}" for p in mine.problems[:10]))
Markdown(platforms.markdown_table(["name", "family", "model (glibc's rules)",
                                   "this machine's resolver", "same?"], rows))

# %% [markdown]
# A "no" in the last column means this is not glibc (macOS, Windows, Alpine's musl) or
# something the model does not read changed the answer. Lines glibc skips are easy to
# miss: it says nothing about them; the model lists them.
#
# ### A sandbox hosts file
#
# Edit the hosts text and the names below: the panel answers as glibc's getaddrinfo
# would, with this machine's `/etc/host.conf` (its last line says which setting; the
# next section explains it). Your real `/etc/hosts` is never read or written here. Try
# removing the `::1` line, an octet over 255, `LOCALHOST` in capitals, and `localhost.`
# with a trailing dot.

# %%
from loopedu import widgets

widgets.hosts_sandbox()

# %% [markdown]
# ## Once or twice? The Debian hosts file
#
# Debian's installer writes these two lines for `localhost` in `/etc/hosts` (some other
# systems leave `localhost` off the `::1` line):

# %%
debian = localhost.TRAP_HOSTS
print(debian)
multi = localhost.multi_here()
print("this machine's /etc/host.conf: multi", "on" if multi else "off")

# %% [markdown]
# Two rules of glibc's files backend decide what an IPv4-only (`AF_INET`) lookup of
# `localhost` gets from them (`nss/nss_files/files-hosts.c`, glibc 2.36):
#
# - for an `AF_INET` query, a `::1` line is not skipped: glibc answers it as the IPv4
#   loopback address, 127.0.0.1;
# - it stops at the **first** matching line, unless `/etc/host.conf` says `multi on`:
#   then every matching line answers. glibc's built-in default is off; Debian and Ubuntu
#   ship `multi on`; the environment variable `RESOLV_MULTI=on|off` overrides the file
#   (host.conf(5)). Your setting is printed above.
#
# Both rules are glibc's. musl, the C library of Alpine Linux and many container images,
# has no host.conf: its hosts lookup always answers from every matching line, skips a
# `::1` line for an `AF_INET` query (so never 127.0.0.1 twice) and compares names with
# their case (musl `src/network/lookup_name.c`, `name_from_hosts`).
#
# 🔮 **Predict:** with your machine's setting, how many addresses does an `AF_INET` lookup
# of `localhost` return from these two lines?

# %%
# 🔮 Your prediction: how many addresses? (a number)
prediction = ...
### BEGIN SOLUTION
prediction = 1  # an example prediction
### END SOLUTION
predict("02.inet-count", prediction)

# %% [markdown]
# Now glibc itself, in a child process with a private mount namespace whose
# `/etc/hosts` is those two lines (Linux, as root or inside an unprivileged
# [user namespace](glossary.md#user-namespace); your real `/etc/hosts` is untouched). The
# child runs once with your setting, then once with the other (`RESOLV_MULTI`). Where
# that is not possible, the model answers instead, and says so.

# %%
private = sandbox.capabilities().mount_namespaces
answers = {}
for setting in (multi, not multi):          # this machine's setting first
    if private:
        answers[setting] = sandbox.call_with_hosts(
            debian, "loopedu.localhost:addresses_with_multi", "localhost", "AF_INET", setting)
    else:
        answers[setting] = localhost.resolve_table(debian, multi=setting).answers[
            ("localhost", "AF_INET")]
    mark = "  <- this machine's setting" if setting == multi else ""
    print(f"multi {'on ' if setting else 'off'}: AF_INET localhost -> {answers[setting]}{mark}")
print("answered by:", "glibc itself, private hosts file" if private
      else f"the model of glibc ({private.reason})")
reveal("02.inet-count", len(answers[multi]),
       why=("with multi on, both lines match, and glibc answers the ::1 line as 127.0.0.1 "
            "for an AF_INET query: two answers, the same address twice." if multi else
            "with multi off, glibc stops at the first matching line, 127.0.0.1 localhost."))

# %% [markdown]
# The same rules for both orders of the two lines, and for `AF_UNSPEC` (either family),
# from the model (the order of `AF_UNSPEC` answers is explained in the next section; it
# depends on IPv6 being on, see the top of the lesson):

# %%
def table(text, query):
    return [", ".join(localhost.resolve_table(text, multi=m).answers[("localhost", query)])
            for m in (True, False)]


files = {"127.0.0.1 first (Debian)": debian,
         "::1 first": "::1 localhost\n127.0.0.1 localhost\n"}
print("this machine:", doctor.this_machine())
Markdown(platforms.markdown_table(
    ["hosts file", "query", "multi on", "multi off"],
    [[label, query, *table(text, query)] for label, text in files.items()
     for query in ("AF_INET", "AF_UNSPEC")]))

# %% [markdown]
# With `multi off`, the first line that matches both the name and the family wins; for
# `AF_UNSPEC` every line's family matches, so a file that lists `::1` first answers
# `::1` alone. Names are compared ignoring case
# (`LOCALHOST` works), but a trailing dot is part of the name (`localhost.` is another
# name), and glibc de-duplicates nothing.

# %% [markdown]
# ## 💥 Break it on purpose: the ::1-first trap
#
# The classic bug. The hosts file lists both addresses; a server listens on **127.0.0.1
# only** (a common default); a client resolves `localhost` and connects to the first
# answer only:
#
# ```python
# infos = socket.getaddrinfo("localhost", port, socket.AF_UNSPEC, socket.SOCK_STREAM)
# family, kind, proto, _, address = infos[0]        # the first answer, and no other
# with socket.socket(family, kind, proto) as sock:
#     sock.connect(address)
# ```
#
# With `multi on`, `AF_UNSPEC` gets both addresses, and glibc sorts them with the default
# policy table of RFC 3484 (gai.conf(5)): `::1` has precedence 50, IPv4 (as
# `::ffff:0:0/96`) 10, so **::1 comes first even though the file lists 127.0.0.1 first**.
# RFC 6724 (2012) replaced RFC 3484 and raised IPv4 to precedence 35 (§2.1); musl sorts
# with that table (`defpolicy` in `lookup_name.c`) and so does Windows (`netsh interface
# ipv6 show prefixpolicies` prints it), while glibc kept 3484's. ::1, at 50, comes first
# under both.
# Node.js 17 met this when it stopped reordering results to IPv4-first (nodejs/node
# issues 40537 and 40702). `socket.create_connection((name, port))` is the other kind of
# client: it tries *each* address getaddrinfo returned, in order, until one connects.
#
# 🔮 **Predict:** with the Debian lines and your machine's setting, what does each client
# get: `"connected"` or `"refused"`?

# %%
# 🔮 Your prediction: "connected" or "refused" for each client
prediction = {"first address only": ..., "create_connection": ...}
### BEGIN SOLUTION
prediction = {"first address only": "connected", "create_connection": "connected"}  # an example
### END SOLUTION
predict("02.first-only", prediction)

# %%
trap = localhost.localhost_trap()
how = {"this machine": "this machine's own resolver already puts ::1 first",
       "private hosts file": "live, the Debian lines in a private mount namespace",
       "model": "order from the resolver model (no private hosts file here: "
                + trap.why_model + "); the connections are real"}
print("this machine:         ", doctor.this_machine())
print("how:                  ", how[trap.mode])
print("host.conf:            ", {True: "multi on", False: "multi off",
                                 None: "(not glibc)"}[trap.multi])
print("localhost resolves to:", list(trap.resolved))
print("server listens on:    ", trap.server, "only")
print("first address only:   ", trap.resolved[0], "->", trap.first_only)
print("create_connection:    ", trap.create_connection, "via", trap.create_connection_used)
first = trap.resolved[0] if trap.resolved else "(nothing)"
reveal("02.first-only", {"first address only": trap.first_only,
                         "create_connection": trap.create_connection},
       why=(f"the first answer was {first}, where the server listens, so both connect."
            if first == trap.server else
            f"the first answer was {first}, where nothing listens at that port, so the "
            "first-address client is refused; create_connection goes on to the next "
            "address and reaches the server."))

# %% [markdown]
# With `multi on` and IPv6 on, the first-address client is **refused**
# ([ECONNREFUSED](glossary.md#econnrefused)): nothing listens on `[::1]` at that
# [port](glossary.md#port), so the [kernel](glossary.md#kernel) answers the
# [SYN](glossary.md#syn) with a reset at once (lesson 00). `socket.create_connection`
# succeeds on 127.0.0.1 (Python docs, `socket.create_connection`). The other settings
# change the story:
#
# - `multi off`, 127.0.0.1 listed first: glibc answers 127.0.0.1 alone. No trap.
# - `multi off`, `::1` listed first: glibc answers `::1` alone, and then even
#   `create_connection` is refused: there is nothing to fall back to.
# - IPv6 off (lesson 05): the sort puts unusable destinations last (RFC 3484 rule 1), so
#   127.0.0.1 comes first; and binding "localhost" can fail outright when a container's
#   hosts file says `::1 localhost` anyway (docker/for-linux issue 1374, moby/moby issue
#   37616).
#
# Two fixes: servers listen on both loopback addresses (Redis's default is
# `bind 127.0.0.1 -::1`), and clients try every address. *Happy Eyeballs* (RFC 8305) goes
# further: start with the preferred family and, if it has not connected after a short
# delay (250 ms recommended), start the other in parallel; asyncio offers it as
# `happy_eyeballs_delay`.

# %% [markdown]
# ## `localhost` versus `127.0.0.1` for databases
#
# Some database clients choose the **transport** from the host you give them: TCP, or a
# [Unix-domain socket](glossary.md#unix-socket), a socket that is a file, reached by its
# path, with no address and no port.
#
# - **MySQL** (the `mysql` client and its library): on Unix, the host name `localhost`
#   means "connect through the server's Unix socket file"; the name is not even looked
#   up. `127.0.0.1` means TCP, and `--protocol=TCP` forces TCP even for `localhost`
#   (MySQL Reference Manual, "Connecting to the MySQL Server Using Command Options").
# - **PostgreSQL** (libpq, the library under `psql` and most drivers): `localhost` is a
#   host name like any other, looked up and reached over [TCP](glossary.md#tcp). A Unix
#   socket is used when no host is given, or when the host is a directory path such as
#   `/var/run/postgresql` (libpq documentation, parameter `host`).
#
# The server's rules differ too. PostgreSQL's `pg_hba.conf` has `local` rows for Unix
# sockets and `host` rows for TCP; a `local` row can say `peer` (your operating-system
# user name is enough) where a `host` row typically asks for a password. Even `localhost` and
# `127.0.0.1` can meet different `host` rows: `localhost` may arrive from `::1`
# (matching `::1/128`), `127.0.0.1` from 127.0.0.1 (`127.0.0.1/32`).
#
# Here are the plain calls for a Unix-domain socket: the server
# [binds](glossary.md#bind) a path instead of an address and port.

# %%
import os
import stat
import tempfile

if hasattr(socket, "AF_UNIX"):
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "demo.sock")
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
            server.bind(path)                       # a new file appears: the socket
            server.listen()
            print("socket file:", os.path.basename(path), stat.filemode(os.stat(path).st_mode))
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
                client.connect(path)                # a path: no address, no port
                print("client connected:", client.getpeername() == path)
else:
    print("This Python has no AF_UNIX (Windows): Unix-domain sockets are not available.")

# %% [markdown]
# A Unix socket is guarded by its file's permissions, not by addresses. On Linux,
# connecting needs write permission on the socket file (unix(7)) and search permission
# on the folders on its path (path_resolution(7)). The next cell opens a socket file to
# everyone (`srw-rw-rw-`), connects, then runs `chmod 000` on it and connects again. It
# does that as this process and, when this process is [root](glossary.md#root), also
# from a child process running as an ordinary user (uid 65534, `nobody`).

# %%
if hasattr(socket, "AF_UNIX") and hasattr(os, "geteuid"):
    perm = unix_sockets.socket_file_permissions()
    tried = [perm.this_process]
    if perm.ordinary_user is not None and perm.ordinary_user != perm.this_process:
        tried.append(perm.ordinary_user)
    print("this machine:", doctor.this_machine())
    print("socket file as the server made it:", perm.mode, "then opened to", perm.mode_before)
    if perm.root and perm.ordinary_user is None:
        print("no ordinary user could be tried here:", perm.why_no_ordinary)
    print("TCP to the same service on 127.0.0.1 (no file involved):", perm.tcp_needs_no_file)
    display(Markdown(platforms.markdown_table(
        ["who connects", "before chmod 000", "after chmod 000"],
        [[a.who, a.before, a.after] for a in tried])))
else:
    print("Not on this platform: socket-file permissions are a Unix feature.")

# %% [markdown]
# After `chmod 000` an ordinary user gets `EACCES` ("permission denied",
# an [errno](glossary.md#errno) name). Root still connects, because root bypasses file
# permission checks (the capability CAP_DAC_OVERRIDE, capabilities(7)): that is why the
# table can show both. (POSIX leaves socket-file permissions open; some older BSDs ignore
# them, unix(7).) TCP on 127.0.0.1 has no file at all: any local user can connect, which
# is one reason database servers ask TCP clients for a password.
#
# And the cost? The same echo exchange over both transports, interleaved:

# %%
speed = measure.unix_vs_tcp(rounds=2000)
for label, r in speed.results.items():
    print(f"{label:<14} median {r.median_us:6.1f} µs   p90 {r.p90_us:6.1f} µs")
print(f"TCP takes {speed.ratio('tcp 127.0.0.1', 'unix socket'):.1f}× the Unix socket's "
      "median round trip here")

# %% [markdown]
# Both take tens of microseconds. The Unix socket skips TCP and IP processing, which
# often makes it a little faster; on a busy or virtual machine the difference can vanish
# in the noise. Your numbers will differ from the reference run's.

# %% [markdown]
# ## Your turn
#
# [exercises/02-localhost-is-a-name-exercises.ipynb](../exercises/02-localhost-is-a-name-exercises.ipynb):
# predict what a hosts file resolves to, find the lines glibc skips, fix a client that
# tries only the first address, and say which transport each database client uses.

# %% [markdown]
# ## Key points
#
# - `localhost` is a name: nsswitch.conf decides who answers (usually the hosts file,
#   then DNS); `127.0.0.1` is an address and needs no lookup. Windows answers
#   `localhost` in its DNS client, not from its hosts file.
# - glibc's files backend compares names ignoring case, keeps a trailing dot, silently
#   skips bad lines, and answers an `::1` line as 127.0.0.1 for an IPv4 query. It stops
#   at the first matching line unless /etc/host.conf says `multi on` (Debian and Ubuntu
#   ship it; glibc's default is off): only then can `localhost` give 127.0.0.1 twice.
# - With both lines answering, getaddrinfo sorts ::1 before 127.0.0.1 (RFC 3484 default
#   policy): a server on 127.0.0.1 only plus a client that tries only the first address
#   gives ECONNREFUSED. Try every address (`socket.create_connection`, Happy Eyeballs).
# - To the MySQL client on Unix, `localhost` means its Unix socket and `127.0.0.1` TCP.
#   To libpq, `localhost` is TCP like any host name; a Unix socket needs no host or a
#   directory. A Unix socket is guarded by file permissions, which root bypasses.
#
# ## Sources
#
# - Linux manual pages: getaddrinfo(3), nsswitch.conf(5), hosts(5), host.conf(5),
#   gai.conf(5), unix(7), path_resolution(7), capabilities(7).
# - glibc 2.36 source: `nss/nss_files/files-hosts.c` (`_nss_files_gethostbyname3_r`,
#   `_nss_files_gethostbyname4_r`: the first match unless `HCONF_FLAG_MULTI`),
#   `resolv/res_hconf.c` (`multi`, `RESOLV_MULTI`), `sysdeps/posix/getaddrinfo.c`
#   (`rfc3484_sort`).
# - RFC 6761 §6.3 (localhost names); curl 7.78.0 and 7.85.0 release notes (curl pull
#   request 7039); W3C Secure Contexts, "Is origin potentially trustworthy?"; RFC 3484
#   §6 and RFC 6724 §2.1 (address selection, the policy tables); RFC 8305 §5 (Happy
#   Eyeballs v2, the 250 ms delay).
# - musl `src/network/lookup_name.c` (`name_from_hosts`, `defpolicy`).
# - Microsoft, the default Windows hosts file since Windows 7 ("localhost name
#   resolution is handled within DNS itself"), KB 972034:
#   https://support.microsoft.com/help/972034
# - nodejs/node issues 40537 and 40702; docker/for-linux issue 1374; moby/moby issue 37616.
# - MySQL Reference Manual, "Connecting to the MySQL Server Using Command Options":
#   https://dev.mysql.com/doc/refman/8.4/en/connecting.html
# - PostgreSQL documentation, libpq "Parameter Key Words" (`host`):
#   https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-PARAMKEYWORDS
#   and "The pg_hba.conf File":
#   https://www.postgresql.org/docs/current/auth-pg-hba-conf.html
# - Python documentation: `socket.getaddrinfo`, `socket.create_connection`, asyncio
#   `happy_eyeballs_delay`.
