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
# # 08 · When loopback leaks
#
# **Objectives.** After this lesson you can:
# - say what happens to packets for 127.0.0.1 that arrive from another machine, and what
#   `route_localnet` changes (CVE-2020-8558) *(exercise 08.route-localnet)*;
# - explain what DNS rebinding does to a service on 127.0.0.1, and write a Host-header
#   check for a service set up on your own machine *(exercise 08.fix-host)*;
# - recognise the setups that expose a service bound to 127.0.0.1 (published ports,
#   tunnels, browsers) *(exercise 08.exposes)*.
#
# **Prerequisites.** Lessons 03 (the virtual LAN, the weak host model) and 06 (containers,
# published ports, tunnels).
#
# **Minutes:** 39 teaching + 20 exercises; Going further: 2 more.

# %%
from loopedu import doctor, drawings, martians, rebinding, sandbox
from loopedu.exercises import explain, predict, reveal

print("this machine:", doctor.this_machine())
print("network namespaces:", sandbox.capabilities().network_namespaces)

# %% [markdown]
# Two popular claims are tested here. "A service bound to 127.0.0.1 cannot be reached
# from other devices. Period." And: "it is physically impossible for traffic sent to
# 127.0.0.1 to reach another device". Each section tries one way in.
#
# ## 127.0.0.1 from a neighbour
#
# Can another machine on your network reach a service bound to 127.0.0.1? The course
# builds two machines as [network namespaces](glossary.md#network-namespace) on a
# [veth pair](glossary.md#veth). S, the server, is 198.18.2.1; C, a neighbour, is
# 198.18.2.2. S runs a service bound to 127.0.0.1. C adds a route "127.0.0.1 via
# 198.18.2.1" and connects to 127.0.0.1. The experiment runs twice. First with S's
# settings as Linux ships them ("default"). Then with the sysctl
# [`route_localnet`](glossary.md#route-localnet) set to 1 on S's veth.

# %%
# 🔮 Your prediction: does C reach S's service on 127.0.0.1? (True or False)
prediction = {"default": ..., "route_localnet": ...}
### BEGIN SOLUTION
prediction = {"default": False, "route_localnet": False}  # an example prediction
### END SOLUTION
predict("08.route-localnet", prediction)

# %%
try:
    leak = martians.route_localnet_details()
    nat = martians.dnat_demo()
except sandbox.NamespaceUnavailable as exc:
    print(f"Not live here: network namespaces are not available ({exc}).")
    recorded = martians.route_localnet_fallback()
    leak, nat = recorded["route_localnet"], recorded["dnat"]
print(martians.format_route_localnet(leak))
reveal("08.route-localnet", leak.reached,
       recorded=None if leak.live else leak.where)

# %%
# 💬 Your explanation, in one line (or leave ... to skip):
explanation = ...
### BEGIN SOLUTION
explanation = "The switch lets S's kernel accept 127.0.0.1 from a network"  # an example
### END SOLUTION
explain("08.route-localnet", explanation)

# %% [markdown]
# ## Martians: the rule and the switch
#
# Why was C kept out, and what does the switch change? The rule: RFC 1122 §3.2.1.3(g) says an address of 127/8 "MUST NOT appear outside a
# host". RFC 1812 §5.3.7 tells routers not to forward it. A packet that arrives from a
# network with such an address is a *martian*. Linux drops it silently, and logs it with
# `log_martians` (the kernel log line above). `route_localnet` is the switch: "Do not
# consider loopback addresses as martian source or destination while routing", default
# off (Documentation/networking/ip-sysctl.rst).
#
# C had to bend its own kernel, too. It took 127.0.0.1/8 off its own `lo`; otherwise
# 127.0.0.1 would be C itself. It set `route_localnet=1` on its own link, to accept S's
# replies from 127.0.0.1. A real attacker crafts the packets instead.
#
# This happened in Kubernetes. kube-proxy set `route_localnet=1` on every node, for
# NodePorts on 127.0.0.1. So any machine on the same network reached services a node
# bound to 127.0.0.1 (CVE-2020-8558, kubernetes/kubernetes#92315). The fix added a
# KUBE-FIREWALL rule: drop packets for 127.0.0.0/8 that do not come from 127.0.0.0/8.
# It is the last line above. A DNAT rule that sends a public port to 127.0.0.1 needs the
# same switch:

# %%
print(martians.format_dnat(nat))

# %% [markdown]
# ## A web page and a name that changes address
#
# A martian needs a neighbour on your network. Can a web page get in without one? It
# needs only *DNS rebinding*. The page comes from `attacker.example`. Then the attacker's DNS server
# answers `attacker.example` with 127.0.0.1; a short time to live makes the browser ask
# again. The page's next requests are sent to 127.0.0.1, to the port of your loopback
# service, with `Host: attacker.example:PORT`.

# %% [markdown]
# The plain calls: a request is a few lines of text on a socket, and the Host line is
# whatever the client writes. Here a client asks a server on 127.0.0.1 for `/`, with
# `Host: localhost`.

# %%
import http.server
import socket
import threading

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
server.RequestHandlerClass.log_message = lambda *args: None   # keep the notebook quiet
thread = threading.Thread(target=server.serve_forever)
thread.start()
try:
    port = server.server_address[1]
    with socket.create_connection(("127.0.0.1", port)) as client:
        client.sendall(f"GET / HTTP/1.1\r\nHost: localhost:{port}\r\n"
                       "Connection: close\r\n\r\n".encode())
        print(client.recv(200).decode(errors="replace").splitlines()[0])
finally:
    server.shutdown()
    server.server_close()
    thread.join()

# %% [markdown]
# `rebinding.host_header_experiment()` runs two servers on 127.0.0.1, "unprotected" and
# "protected". They differ in one thing: the protected one applies a rule of its own to
# each request before it answers. Each server gets a request with
# `Host: localhost:PORT` and a rebound one, with `Host: attacker.example:PORT`.

# %%
# 🔮 Your prediction: which requests are served? (True or False)
prediction = {"unprotected": {"localhost": ..., "rebound": ...},
              "protected": {"localhost": ..., "rebound": ...}}
### BEGIN SOLUTION
prediction = {"unprotected": {"localhost": True, "rebound": False},
              "protected": {"localhost": True, "rebound": False}}  # an example
### END SOLUTION
predict("08.rebinding", prediction)

# %%
rebound = rebinding.host_header_experiment()
print(rebinding.format_host_header_run(rebound))
reveal("08.rebinding", rebound.to_dict())

# %%
# 💬 Your explanation, in one line (or leave ... to skip):
explanation = ...
### BEGIN SOLUTION
explanation = "The rebound request comes from my own machine; only Host gives it away"
### END SOLUTION
explain("08.rebinding", explanation)

# %% [markdown]
# The whole attack, step by step:

# %%
drawings.dns_rebinding()

# %% [markdown]
# How did the protected server tell the two requests apart? Its rule: accept only this
# machine's loopback names, with its own port. It answered the rebound request with 421
# Misdirected Request (RFC 9110 §15.5.20). The rule fits in four lines. A Host header is
# `name:port` (RFC 9110 §7.2). The name is compared whole, without regard to case
# (RFC 3986 §3.2.2):

# %%
def allowed_host(host_header, port):
    name, _, given = host_header.strip().rpartition(":")
    return name.lower() in ("localhost", "127.0.0.1", "[::1]") and given == str(port)


for host in ("localhost:8000", "attacker.example:8000", "localhost.attacker.example:8000"):
    print(f"Host: {host:<34} port 8000 -> allowed: {allowed_host(host, 8000)}")

# %% [markdown]
# A test for the word "localhost" inside the header would let the third one in: compare
# the whole name.
#
# For the browser, the page and its new requests share one origin (the same name and
# port), so the page's scripts may read the answers. Project Zero issue 1447 did this to
# the Transmission BitTorrent client's RPC server on 127.0.0.1 (2018). The fix was a list
# of allowed Host names. In the drawing above, step 7 is where a Host check stops it.

# %% [markdown]
# Checking Host stops rebinding. It does not stop a page from sending requests to
# `http://localhost:PORT` directly. Browsers allow such "simple" requests. They only keep
# the page from reading the answer (the Fetch standard's CORS rules). So requests that
# change anything must also check `Origin`. And a local service authenticates its
# clients, even on loopback (Going further has an example).
#
# ## 💥 Break it on purpose: 0.0.0.0 in a browser
#
# Can a page reach loopback by another address? 0.0.0.0 is the "any address" of
# `bind()`. What if a program *connects* to it? In 2024
# Oligo Security called a hole "0.0.0.0 Day". Chrome's Private Network Access restricted
# public pages' requests to `127.0.0.1`, but not to `http://0.0.0.0:PORT`. The cell
# below connects to 0.0.0.0 and `::` where a server listens on loopback only, then sends
# both servers above a request to 0.0.0.0 with `Host: 0.0.0.0:PORT`, as a browser
# would.

# %%
from loopedu import bind_demos

for target, reach in bind_demos.connect_to_any_demo().items():
    print(f"connect to {target:<8} -> {reach.outcome}, the server saw {reach.server_saw}")
print()
zero = rebinding.zero_address_demo()
for name, served in zero.to_dict().items():
    print(f"an HTTP request to 0.0.0.0 with Host: 0.0.0.0:PORT: the {name} server "
          f"{'served it' if served else 'refused it'}")

# %% [markdown]
# On Linux the kernel turns destination 0.0.0.0 into 127.0.0.1 (and `::` into `::1`);
# macOS does the same. Going further shows where. So the connection reached a server
# bound to loopback only. The protected server refused `Host: 0.0.0.0`: it is not a
# loopback name. It was a bypass of one browser's protection (Chrome's blink-dev "intent
# to deprecate 0.0.0.0"), not a property of every browser.
#
# What do browsers do today? The table is as of December 2026; these change, so look
# again before you rely on it. Its sources are under Going further.

# %%
from IPython.display import Markdown

from loopedu import browsers, platforms

Markdown(platforms.markdown_table(
    ["browser", "what it does", "since"],
    [[f"**{b.browser}**", b.change.split(" (")[0], b.version.split(";")[0]]
     for b in browsers.BROWSER_STATUS]))

# %% [markdown]
# Since Chrome 142, a public page needs the user's permission to reach loopback or the
# local network: [Local Network Access](glossary.md#local-network-access). Firefox is
# rolling out a prompt of its own. No shipped Safari block was found. So DNS rebinding
# and simple requests to localhost still reach a loopback service through:
#
# - older browsers, Safari, and a Firefox whose prompt is not on yet;
# - any browser where the user granted the permission;
# - pages served from the local network, or from loopback, themselves;
# - every client that is not a browser: an app, a script, `curl`.
#
# A browser prompt is a second line of defence, not the first.
#
# ## Published ports and tunnels
#
# What else reaches past a bind to 127.0.0.1? Lesson 06 showed two other ways in. Docker's `-p 8080:80` publishes on 0.0.0.0 and
# `[::]`, through NAT rules that the host firewall `ufw` does not see (Docker,
# "Packet filtering and firewalls"). `-p 127.0.0.1:8080:80` keeps other machines out
# only on some versions and setups. Before Engine 28 it did not (moby/moby#45610);
# Going further has the rest. A tunnel forwards a loopback port to wherever its other
# end is. An `ssh -R` port with `GatewayPorts no` sits on the server's loopback. Every
# user of that server can reach it.
#
# ## A checklist
#
# So what should a service on loopback do?
#
# 1. Bind the most restrictive address that meets the need. Use 127.0.0.1, or a
#    Unix-domain socket file, for anything only this machine uses.
# 2. When other machines need it, one LAN address is a start, not a wall (lesson 03's
#    [weak host](glossary.md#weak-host)). To restrict by network, add a firewall rule on
#    the incoming interface.
# 3. Validate `Host` against your own names, and `Origin` on requests that change
#    anything.
# 4. Authenticate even on loopback: other users of the machine, the containers of a pod,
#    tunnels and browsers all reach it.
# 5. Audit what listens (`loopedu audit`, lesson 04) and what publishes ports
#    (`docker ps`). Keep `route_localnet` off unless you know why it is on.
#
# ## Verdicts
#
# What about the two claims we started from?
#
# - "A service bound to 127.0.0.1 cannot be reached from other devices. Period." **True
#   with conditions**. With Linux's defaults, other machines' packets are martians. It
#   breaks with `route_localnet=1` and a crafted or routed packet, a DNAT rule, a
#   forwarder or tunnel, and DNS rebinding through the host's own browser.
# - "It is physically impossible for traffic sent to 127.0.0.1 to reach another device."
#   **False**. C sent such packets over the veth above. RFC 1122 is a rule for hosts, and
#   S's kernel accepted them once `route_localnet` was on.
#
# ## Your turn
#
# [The exercises](../exercises/08-when-loopback-leaks-exercises.ipynb): 127.0.0.1 from the
# network in three new setups, a Host check for another service on your own machine
# (tested live), and which setups expose a service.
#
# ## Key points
#
# - 127/8 from a network is a martian by rule (RFC 1122, RFC 1812), dropped by Linux
#   unless `route_localnet=1`. kube-proxy's setting made node-local services reachable
#   (CVE-2020-8558).
# - DNS rebinding reaches loopback services through the learner's own browser: validate
#   Host (and Origin), and authenticate.
# - Browsers now ask before a public page reaches loopback (Chrome since 142, Firefox
#   rolling out); older browsers, granted permissions and non-browser clients still
#   reach it.
# - Published ports, tunnels and a second network reach past a bind; know where each
#   listens, and filter by interface where it matters.
#
# ## Going further
#
# **How `0.0.0.0` becomes loopback.** In `net/ipv4/route.c`, a route lookup for
# destination 0 takes the bound source address, else 127.0.0.1, and sends it through the
# loopback device. `net/ipv6/tcp_ipv6.c` does the same for `::`; its comment calls it
# "a BSD'ism". `rebinding.KERNEL_SOURCES` holds those lines, with links.
#
# **The Kubernetes fix** shipped in 1.18.4, 1.17.7 and 1.16.11.
#
# **Authenticate, even on loopback.** The Zoom client's local web server let any web
# page start a video call (CVE-2019-13450): a simple request needs no answer to do harm.
#
# **Weak host, one device.** Linux is a weak host (RFC 1122 §3.3.4.2): a host on another
# attached network that routes a LAN address via this machine reaches a service bound to
# it. A socket bound to one device (`SO_BINDTODEVICE`, socket(7)) accepts only what
# arrives there.
#
# **What browsers do, with sources.** `browsers.BROWSER_STATUS` holds each row of the
# table above with what still reaches loopback, its sources and the day it was checked;
# unconfirmed versions say so.
#
# **When `-p 127.0.0.1:…` keeps other machines out.** Only on Docker Engine 28 or later
# (moby/moby#45610: before, a LAN host routing the container's address via the Docker
# host reached it), not 28.0 to 28.3.2 after a firewalld reload (CVE-2025-54388), and
# without `allow-direct-routing` (moby/moby#49832). Its NAT rule can even leak the other
# way: a crafted packet to 127.0.0.1, sent to the host's MAC address, is DNAT-ed into
# the container (moby/moby#41872, open as far as checked, 2026-12).
#
# ## Sources
#
# - RFC 1122 §3.2.1.3 and §3.3.4.2, RFC 1812 §5.3.7; Linux
#   Documentation/networking/ip-sysctl.rst (`route_localnet`, `log_martians`,
#   `rp_filter`); socket(7) (`SO_BINDTODEVICE`).
# - Kubernetes CVE-2020-8558, kubernetes/kubernetes#92315.
# - Project Zero issue 1447 (Transmission, DNS rebinding); CVE-2019-13450 (Zoom).
# - RFC 9110 §7.2 (Host) and §15.5 (client error status codes); RFC 6454 (Origin); the
#   Fetch standard (CORS, simple requests).
# - Oligo Security, "0.0.0.0 Day" (2024); blink-dev "Intent to Deprecate: 0.0.0.0 for
#   Private Network Access" (chromestatus 5106143060033536); chromestatus 5152728072060928
#   (Local Network Access); Mozilla Support, "Control personal device and local network
#   permissions in Firefox"; the other rows of the table above. Linux `net/ipv4/route.c`
#   and `net/ipv6/tcp_ipv6.c`.
# - Docker documentation, "Packet filtering and firewalls" and "Port publishing and
#   mapping"; moby/moby#45610, #49832, #41872; CVE-2025-54388; `sshd_config(5)`
#   (`GatewayPorts`).
