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
# - predict getaddrinfo's answers from a hosts file on your machine, skipped lines and
#   fresh edits included *(exercises 02.predict-hosts, 02.broken-hosts, 02.who-sees-it)*;
# - name the address of `localhost` a client tries first on your machine *(exercise
#   02.predict-hosts)*;
# - write a client that connects whatever that order *(exercise 02.fix-client)*;
# - tell the transport (Unix-domain socket or TCP) behind a database client's host,
#   with its guard *(exercises 02.db-transport, 02.who-sees-it)*.
#
# **Prerequisites.** Lessons 00 and 01 (a refused connection; what 127.0.0.1 is).
#
# **Minutes:** 33 teaching + 28 exercises; Going further: 5 more.

# %% [markdown]
# ## What does getaddrinfo do with a name?
#
# `127.0.0.1` is an address: a program can put it straight into a
# [socket](glossary.md#socket) call. [`localhost`](glossary.md#localhost) is a **name**.
# Before any packet is sent, the C library's [resolver](glossary.md#resolver) must turn
# it into addresses, with `getaddrinfo(3)`. Here is that call, once per
# [address family](glossary.md#address-family): `AF_INET` asks for IPv4 addresses only,
# `AF_INET6` for IPv6 only. Each answer is a tuple; its last item, `info[4]`, holds the
# address. The flag `AI_NUMERICHOST` means "numbers only, look nothing up".

# %%
import socket

from loopedu import doctor, localhost, platforms


def lookup(name, family, flags=0):
    try:
        infos = socket.getaddrinfo(name, None, family, socket.SOCK_STREAM, 0, flags)
    except socket.gaierror as exc:
        return f"gaierror: {exc.strerror}"
    return [info[4][0] for info in infos]          # info[4] = (address, port, ...)


print("this machine:", doctor.this_machine())         # where these outputs come from
print("localhost, AF_INET      ->", lookup("localhost", socket.AF_INET))
print("localhost, AF_INET6     ->", lookup("localhost", socket.AF_INET6))
print("127.0.0.1, numbers only ->", lookup("127.0.0.1", socket.AF_INET, socket.AI_NUMERICHOST))
print("localhost, numbers only ->", lookup("localhost", socket.AF_INET, socket.AI_NUMERICHOST))
print("hosts sources, in order:",
      " -> ".join(localhost.nsswitch_hosts()) or "(no hosts: line; glibc's default)")
print("hosts file:", platforms.hosts_file_path())

# %% [markdown]
# The two `localhost` lines show what your resolver answered for each family; an error
# means no answer of that family. The `localhost` numbers-only line fails on every
# system, though the words vary: with lookups forbidden, `localhost` is not an address.
# `127.0.0.1` needs no lookup.
#
# So who answers? On Linux, the `hosts:` line of
# [`/etc/nsswitch.conf`](glossary.md#nsswitch) lists the sources the resolver asks, in
# order (nsswitch.conf(5)); the cell printed them. `files` is the
# [hosts file](glossary.md#hosts-file). Typically `files dns`: the hosts file first,
# [DNS](glossary.md#dns) only if the file has no answer. macOS and Windows have no
# nsswitch.conf (Windows: Going further). So what decides the hosts file's answer?
#
# ## Which hosts lines answer?
#
# glibc, the C library of most Linux systems, reads the hosts file top to bottom. Each
# line is an address, then names. Two rules:
#
# - A line with a bad address is skipped, without a word.
# - How many lines answer depends on [`/etc/host.conf`](glossary.md#host-conf). With
#   `multi on` (Debian and Ubuntu ship it) every line with the name answers. With
#   `multi off`, glibc's default, only the first.
#
# Try them in a sandbox. Edit the hosts text and the names below: the panel answers as
# glibc would, with your `/etc/host.conf`. Your real `/etc/hosts` is never touched. Try
# two things: an octet over 255, and `LOCALHOST` in capitals: does case matter?

# %%
from loopedu import widgets

widgets.hosts_sandbox()

# %% [markdown]
# The sandbox answered each edit at once. Does a running program see an edit too?
#
# ## Is the hosts file remembered?
#
# A program looks up a name, `myapp.test`, which the hosts file maps to 127.0.0.1. Then
# someone edits the file: `myapp.test` is now 127.0.0.2. The same program, still
# running, looks the name up again. The next cell does that in a child process with a
# private hosts file; your real `/etc/hosts` is untouched.

# %%
# 🔮 Your prediction: which address does the second lookup get? "127.0.0.1" (the first
# answer, remembered) or "127.0.0.2" (the edited file)?
from loopedu.exercises import explain, predict, reveal

prediction = ...
### BEGIN SOLUTION
prediction = "127.0.0.1"  # an example prediction: cached after the first lookup
### END SOLUTION
predict("02.hosts-edit", prediction)

# %%
edit = localhost.hosts_edit_demo()
print("first lookup: ", list(edit.before), "  process", edit.pids[0])
print("after the edit:", list(edit.after), "  process", edit.pids[1])
reveal("02.hosts-edit", edit.after[0] if edit.after else "nothing",
       recorded=None if edit.live else edit.where)

# %%
# 💬 Your explanation, in one line (or leave ... to skip):
explanation = ...
### BEGIN SOLUTION
explanation = "Nothing caches the file: each lookup reads it again"  # an example
### END SOLUTION
explain("02.hosts-edit", explanation)

# %% [markdown]
# The same process saw the edit at once: glibc reads the hosts file again at every
# lookup (glibc's source; caching daemons: Going further). What if a name has two lines?

# %% [markdown]
# ## One name, two addresses
#
# The hosts file lists both loopback addresses, 127.0.0.1 first, as
# Debian's installer writes them:
#
# ```
# 127.0.0.1 localhost
# ::1 localhost ip6-localhost ip6-loopback
# ```
#
# A server listens on **127.0.0.1 only**, a common default. One client resolves
# `localhost` and connects to the first answer, and no other.
# `socket.create_connection((name, port))` is the other kind of client. It tries *each*
# address getaddrinfo returned, in order, until one connects.

# %%
# 🔮 Your prediction: "connected" or "refused" for each client
prediction = {"first address only": ..., "create_connection": ...}
### BEGIN SOLUTION
prediction = {"first address only": "connected", "create_connection": "connected"}  # an example
### END SOLUTION
predict("02.first-only", prediction)

# %% [markdown]
# ## 💥 Break it on purpose: the ::1-first trap
#
# First the plain calls, with your own hosts file: a server on 127.0.0.1 only, at an
# [ephemeral port](glossary.md#ephemeral-port), and a client that takes the first answer.

# %%
import errno

with socket.create_server(("127.0.0.1", 0)) as server:     # port 0: any free port
    port = server.getsockname()[1]
    infos = socket.getaddrinfo("localhost", port, type=socket.SOCK_STREAM)
    family, kind, proto, _, address = infos[0]              # the first answer, no other
    client = socket.socket(family, kind, proto)
    try:
        client.connect(address)
        result = "connected"
    except OSError as exc:
        result = errno.errorcode.get(exc.errno, str(exc))
    finally:
        client.close()
print("localhost ->", [info[4][0] for info in infos], "; first:", address[0], "->", result)

# %% [markdown]
# Your hosts file may differ. The helper repeats these calls with the two lines above
# as the hosts file, then runs `create_connection`.

# %%
trap = localhost.localhost_trap()
how = {"this machine": "this machine's own resolver already puts ::1 first",
       "model": "order from the resolver model (no private hosts file here: "
                + trap.why_model + "); the connections are real"}
if trap.mode != "private hosts file":           # how, when not live with the two lines
    print("how:                  ", how[trap.mode])
print("host.conf:            ", {True: "multi on", False: "multi off",
                                 None: "(not glibc)"}[trap.multi])
print("localhost resolves to:", list(trap.resolved))
first = trap.resolved[0] if trap.resolved else "(nothing)"
reveal("02.first-only", {"first address only": trap.first_only,
                         "create_connection": trap.create_connection,
                         "first answer": first, "server listens on": trap.server})

# %%
# 💬 Your explanation, in one line (or leave ... to skip):
explanation = ...
### BEGIN SOLUTION
explanation = "getaddrinfo reorders the answers: ::1 before 127.0.0.1"  # an example
### END SOLUTION
explain("02.first-only", explanation)

# %% [markdown]
# ## Why was the first client refused?
#
# With `multi on` and IPv6 on, **::1 comes first, even though the file lists 127.0.0.1
# first.** getaddrinfo sorts its answers by a default policy table (gai.conf(5)), and
# that table ranks `::1` above every IPv4 address. Nothing listens on `[::1]` at that
# [port](glossary.md#port), so the [kernel](glossary.md#kernel) refuses at once:
# [ECONNREFUSED](glossary.md#econnrefused), as in lesson 00. `create_connection` goes on
# to 127.0.0.1 and connects. The drawing follows the answers to the refused arrow:

# %%
from loopedu import drawings

drawings.localhost_trap()

# %% [markdown]
# With IPv6 off, `::1` is unusable, so getaddrinfo puts it last: no trap. Going further
# ("The sort") has the other cases.
#
# Two fixes. Servers listen on both loopback addresses, as Redis does (Going further).
# And clients try every address, as `create_connection` does. Some database clients
# skip the lookup altogether.

# %% [markdown]
# ## `localhost` versus `127.0.0.1` for databases
#
# Some database clients choose the **transport** from the host you give them: TCP, or a
# [Unix-domain socket](glossary.md#unix-socket), a file reached by its path, with no
# address and no port.
#
# - **MySQL** (the `mysql` client): on Unix, the host name `localhost` means "the
#   server's Unix socket file"; the name is not even looked up. `127.0.0.1` means TCP.
#   `--protocol=TCP` forces TCP even for `localhost` (MySQL Reference Manual,
#   "Connecting to the MySQL Server Using Command Options").
# - **PostgreSQL** (libpq, the library under `psql`): `localhost` is a host name like
#   any other, looked up and reached over [TCP](glossary.md#tcp). A Unix socket is used
#   when no host is given, or when the host is a directory such as `/var/run/postgresql`
#   (libpq documentation, parameter `host`).
#
# The plain calls: the server [binds](glossary.md#bind) a path, not an address and port.

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
            mode = stat.filemode(os.stat(path).st_mode)
            print("socket file:", os.path.basename(path), mode)
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
                client.connect(path)                # a path: no address, no port
                print("client connected:", client.getpeername() == path)
else:
    print("This Python has no AF_UNIX (Windows): Unix-domain sockets are not available.")

# %% [markdown]
# In `srwxr-xr-x` the leading `s` marks a socket file. A Unix socket is guarded by its
# file's permissions, not by addresses. Connecting needs write permission (`w`) on the
# file (unix(7)), and here only the owner has it.
#
# `unix_sockets.permissions_table` repeats those calls on a socket file open to everyone.
# It connects, runs `os.chmod(path, 0)` (`chmod 000`), and connects again. As
# [root](glossary.md#root) it also connects as an ordinary user (`nobody`).

# %%
from IPython.display import Markdown, display

from loopedu import unix_sockets

display(Markdown(unix_sockets.permissions_table()))

# %% [markdown]
# After `chmod 000` an ordinary user gets [EACCES](glossary.md#eacces), "permission
# denied". Root still
# connects: root bypasses file permissions. TCP on 127.0.0.1 has no file at all, so any
# local user can connect. That is one reason database servers ask TCP clients for a
# password.

# %% [markdown]
# ## Your turn
#
# [exercises/02-localhost-is-a-name-exercises.ipynb](../exercises/02-localhost-is-a-name-exercises.ipynb):
# predict a new hosts file's answers, find skipped lines, fix a first-address client,
# name database transports, and say who sees an edit or may connect.
#
# ## Key points
#
# - `localhost` is a name: nsswitch.conf decides who answers (usually the hosts file,
#   then DNS); `127.0.0.1` is an address and needs no lookup.
# - glibc reads the hosts file at every lookup, ignores case, skips bad lines. With
#   `multi on` in /etc/host.conf every matching line answers.
# - With both lines answering and IPv6 on, ::1 comes first. A client that tries only
#   the first address then meets ECONNREFUSED from a server on 127.0.0.1 only. Try
#   every address (`socket.create_connection`).
# - To the MySQL client on Unix, `localhost` means its Unix socket; to libpq, `localhost` is TCP.
#   A Unix socket is guarded by file permissions, which root bypasses.
#
# ## Going further
#
# **Windows** has a hosts file, but since Windows 7 its `localhost` lines are commented
# out: "localhost name resolution is handled within DNS itself". Windows's own DNS
# client answers the name (Microsoft KB 972034).
#
# **Inside glibc's files backend** (`nss/nss_files/files-hosts.c`, glibc 2.36): the
# file is read at every lookup, and names match without case. A trailing dot is part of
# the name: `localhost.` is another name. An IPv4-only query is answered from a `::1`
# line too, as 127.0.0.1; an IPv6-only query gets no IPv4 line. The first match wins
# unless `HCONF_FLAG_MULTI` is set (`resolv/res_hconf.c`). The
# environment variable `RESOLV_MULTI=on|off` overrides `/etc/host.conf` (host.conf(5)).
# With Debian's two lines, `127.0.0.1 localhost` then `::1 localhost`, an `AF_INET` lookup
# of `localhost` gives 127.0.0.1 twice with `multi on`, once with `multi off`.
# `localhost.compare_with_resolver()` puts the course's model of these rules beside your
# real resolver, for your own hosts file. The lesson's hosts lines are
# `localhost.TRAP_HOSTS`.
#
# **Caching.** glibc itself keeps no hosts-file answers. Caching needs a daemon in front
# of it, such as `nscd` ([nscd](glossary.md#nscd)) or systemd-resolved. Where one runs,
# an edit can take a while to show.
#
# **musl**, the C library of Alpine Linux and many container images, has no host.conf.
# Its hosts lookup always answers from every matching line, skips a `::1` line for an
# `AF_INET` query, and compares names with their case (musl
# `src/network/lookup_name.c`, `name_from_hosts`).
#
# **The sort.** glibc sorts with the default policy table of RFC 3484
# ([gai.conf](glossary.md#gai-conf)): `::1` has precedence 50, IPv4 (as `::ffff:0:0/96`)
# 10. RFC 6724 (2012) replaced RFC 3484 and raised IPv4 to 35 (§2.1). musl sorts with RFC 6724's table (`defpolicy`) and so does
# Windows (`netsh interface ipv6 show prefixpolicies`). `::1`, at 50, comes first under
# both. `precedence ::ffff:0:0/96 100` in `/etc/gai.conf` flips it. With IPv6 off, rule 1
# (avoid unusable destinations) puts 127.0.0.1 first. With `multi off`, only the first
# listed line answers: 127.0.0.1 alone (no trap), or `::1` alone, and then even
# `create_connection` is refused.
#
# **Redis.** Its shipped `redis.conf` listens on both loopback addresses: `bind
# 127.0.0.1 -::1`. Redis with no config file listens on every address (`CONFIG_DEFAULT_BINDADDR
# {"*", "-::*"}` in `src/server.h`), guarded by its protected mode.
#
# **Other answers for localhost.** `nsswitch.conf` may also list `myhostname`
# (nss-myhostname answers `localhost` with 127.0.0.1 and ::1 by itself) or `resolve`
# (systemd-resolved). RFC 6761 §6.3 says resolvers SHOULD answer localhost names
# themselves, with loopback. Chrome (2015), Firefox (2020) and curl (7.78.0, 2021;
# `*.localhost` too since 7.85.0, 2022) do so. Browsers treat `http://localhost` as a
# secure context, by the W3C Secure Contexts rule "Is origin potentially trustworthy?".
# Docker has written `::1 localhost` into a container's hosts file even with IPv6 off,
# so binding "localhost" fails there (docker/for-linux issue 1374, moby/moby issue 37616).
#
# **[Happy Eyeballs](glossary.md#happy-eyeballs)** (RFC 8305) goes further than trying in turn. Start with the
# preferred family; if it has not connected after a short delay (250 ms recommended),
# start the other in parallel. asyncio offers it as `happy_eyeballs_delay`. Node.js 17
# met the trap when it stopped reordering results to IPv4-first (nodejs/node issues 40537
# and 40702). Node 20 turned on `autoSelectFamily`, its Happy Eyeballs, by default
# (nodejs/node pull request 46790), which hides the trap there.
#
# **Root and socket files.** Root passes file permission checks because it holds the
# capability CAP_DAC_OVERRIDE (capabilities(7)). On Linux, connecting also needs search
# permission on the folders of the path (path_resolution(7)); POSIX leaves socket-file
# permissions open, and some older BSDs ignore them (unix(7)). PostgreSQL's
# `pg_hba.conf` has `local` rows for Unix sockets and `host` rows for TCP; a `local` row
# can say `peer` (your operating-system user name is enough). `localhost` and
# `127.0.0.1` can meet different `pg_hba.conf` `host` rows: `localhost` may arrive from
# `::1` (matching `::1/128`).
#
# **Which transport is faster?** Lesson 07 asks you to predict it, then times a Unix
# socket against TCP and UDP on loopback.
#
# ## Sources
#
# - Linux manual pages: getaddrinfo(3), nsswitch.conf(5), hosts(5), host.conf(5),
#   gai.conf(5), unix(7), path_resolution(7), capabilities(7), nscd(8),
#   systemd-resolved.service(8).
# - glibc 2.36 source: `nss/nss_files/files-hosts.c` (`_nss_files_gethostbyname3_r`,
#   `_nss_files_gethostbyname4_r`: the file is read at each lookup; the first match
#   unless `HCONF_FLAG_MULTI`), `resolv/res_hconf.c` (`multi`, `RESOLV_MULTI`),
#   `sysdeps/posix/getaddrinfo.c` (`rfc3484_sort`).
# - RFC 6761 §6.3 (localhost names); curl 7.78.0 and 7.85.0 release notes (curl pull
#   request 7039); W3C Secure Contexts, "Is origin potentially trustworthy?"; RFC 3484
#   §6 and RFC 6724 §2.1 (address selection, the policy tables); RFC 8305 §5 (Happy
#   Eyeballs v2, the 250 ms delay).
# - musl `src/network/lookup_name.c` (`name_from_hosts`, `defpolicy`).
# - Microsoft, the default Windows hosts file since Windows 7 ("localhost name
#   resolution is handled within DNS itself"), KB 972034:
#   https://support.microsoft.com/help/972034
# - nodejs/node issues 40537 and 40702, pull request 46790 (`autoSelectFamily` on by
#   default, Node 20); docker/for-linux issue 1374; moby/moby issue 37616.
# - Redis: `redis.conf` (`bind 127.0.0.1 -::1`) and `src/server.h`
#   (`CONFIG_DEFAULT_BINDADDR`), https://github.com/redis/redis
# - MySQL Reference Manual, "Connecting to the MySQL Server Using Command Options":
#   https://dev.mysql.com/doc/refman/8.4/en/connecting.html
# - PostgreSQL documentation, libpq "Parameter Key Words" (`host`):
#   https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-PARAMKEYWORDS
#   and "The pg_hba.conf File":
#   https://www.postgresql.org/docs/current/auth-pg-hba-conf.html
# - Python documentation: `socket.getaddrinfo`, `socket.create_connection`, asyncio
#   `happy_eyeballs_delay`.
