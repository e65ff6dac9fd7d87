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
# - show how DNS rebinding reaches a loopback service through your own browser, and stop
#   it by validating the Host header *(exercise 08.fix-host)*;
# - recognise the setups that expose a service bound to 127.0.0.1 (published ports,
#   tunnels, browsers), and apply the checklist *(exercise 08.exposes)*.
#
# **Prerequisites.** Lessons 03 (the virtual LAN, the weak host model) and 06 (containers,
# published ports, tunnels).
#
# **Minutes:** 32 teaching + 20 exercises; Going further: 1 more.

# %%
from loopedu import doctor, drawings, martians, rebinding, sandbox
from loopedu.exercises import explain, predict, reveal

print("this machine:", doctor.this_machine())
print("network namespaces:", sandbox.capabilities().network_namespaces)

# %% [markdown]
# Two popular claims are tested here. "A service bound to 127.0.0.1 cannot be reached
# from other devices. Period." And: "it is physically impossible for traffic sent to
# 127.0.0.1 to reach another device".
#
# ## Martians: the rule and the switch
#
# The course builds two machines as [network namespaces](glossary.md#network-namespace)
# on a [veth pair](glossary.md#veth). S, the server, is 198.18.2.1; C, a neighbour, is
# 198.18.2.2. S runs a service bound to 127.0.0.1. C adds a route "127.0.0.1 via
# 198.18.2.1" and connects to 127.0.0.1. S's kernel has a switch per interface,
# [`route_localnet`](glossary.md#route-localnet): 0 by default, 1 on some Kubernetes
# nodes. The experiment tries both.

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
# The rule: RFC 1122 §3.2.1.3(g) says an address of 127/8 "MUST NOT appear outside a
# host". RFC 1812 §5.3.7 tells routers not to forward it. A packet that arrives from a
# network with such an address is a *martian*. Linux drops it silently, and logs it with
# `log_martians` (the kernel log line above). `route_localnet` is the switch: "Do not
# consider loopback addresses as martian source or destination while routing", default
# off (Documentation/networking/ip-sysctl.rst).
#
# Look at what C had to do, too. It took 127.0.0.1/8 off its own `lo`; otherwise
# 127.0.0.1 would be C itself. It also set `route_localnet=1` on its own link, to accept
# S's replies, which come from 127.0.0.1. A real attacker need not bend their own kernel
# like this: they craft the packets instead.
#
# This happened in Kubernetes. kube-proxy set `route_localnet=1` on every node, for
# NodePorts on 127.0.0.1. So any machine on the same network could reach services a node
# bound to 127.0.0.1 (CVE-2020-8558, kubernetes/kubernetes#92315). The fix (Kubernetes
# 1.18.4, 1.17.7, 1.16.11) added a KUBE-FIREWALL rule: drop packets for 127.0.0.0/8 that
# do not come from 127.0.0.0/8, the last line above. A DNAT rule that sends a public port
# to 127.0.0.1 needs the same switch:

# %%
print(martians.format_dnat(nat))

# %% [markdown]
# ## DNS rebinding: your own browser as the way in
#
# A martian needs a neighbour on your network. DNS rebinding needs only a web page. The
# page comes from `attacker.example`. Then the attacker's DNS server answers
# `attacker.example` with 127.0.0.1; a short time to live makes the browser ask again.
# The page's next requests go to your loopback service, with
# `Host: attacker.example:PORT`. Does the service answer them?
#
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
# `host_header_demo()` runs two loopback servers. The unprotected one has no check of
# its own. The protected one reads the Host header first. Each gets a `localhost` request
# and a rebound one.

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
reveal("08.rebinding", rebinding.host_header_demo())

# %%
# 💬 Your explanation, in one line (or leave ... to skip):
explanation = ...
### BEGIN SOLUTION
explanation = "The rebound request comes from my own machine; only Host gives it away"
### END SOLUTION
explain("08.rebinding", explanation)

# %% [markdown]
# The protected server accepts only this machine's loopback names, with its own port.
# It answered the rebound request with 421 Misdirected Request (RFC 9110 §15.5.20).
#
# For the browser, the page and its new requests share one origin (the same name and
# port), so the page's scripts may read the answers. Project Zero issue 1447 did this to
# the Transmission BitTorrent client's RPC server on 127.0.0.1 (2018). The fix was a list
# of allowed Host names. The drawing shows the whole sequence: step 7 is where a Host
# check stops it.

# %%
drawings.dns_rebinding()

# %% [markdown]
# Checking Host stops rebinding. It does not stop a page from sending requests to
# `http://localhost:PORT` directly. Browsers allow such "simple" requests; they only keep
# the page from reading the answer (the Fetch standard's CORS rules). So requests that
# change anything must also check `Origin`. And a local service authenticates its
# clients, even on loopback: the Zoom client's local web server let any web page start a
# video call (CVE-2019-13450).
#
# ## 💥 Break it on purpose: 0.0.0.0 in a browser
#
# Lesson 03 showed that `connect()` to 0.0.0.0 reaches loopback on Linux. In 2024 Oligo
# Security called a hole "0.0.0.0 Day". Chrome's Private Network Access restricted public
# pages' requests to `127.0.0.1`, but not to `http://0.0.0.0:PORT`, which Linux and macOS
# deliver to loopback. It was a bypass of one browser's protection (Chrome's blink-dev
# "intent to deprecate 0.0.0.0"), not a property of every browser.

# %%
from loopedu import bind_demos

for target, reach in bind_demos.connect_to_any_demo().items():
    print(f"connect to {target:<8} -> {reach.outcome}, the server saw {reach.server_saw}")
print()
zero = rebinding.zero_address_demo()
print("an HTTP request to 0.0.0.0, Host: 0.0.0.0:PORT, served by:", zero.to_dict())

# %% [markdown]
# The kernel turns destination 0.0.0.0 into 127.0.0.1 (and `::` into `::1`); Going
# further shows where. The protected server refused `Host: 0.0.0.0`: it is not a
# loopback name.
#
# What do browsers do today? Each row below carries its source and the day it was
# checked; these change, so look again before you teach them.

# %%
from IPython.display import Markdown

from loopedu import browsers, platforms

Markdown(platforms.markdown_table(
    ["browser", "what it does, since", "a page still reaches loopback with",
     "source, checked"],
    [[f"**{b.browser}**", f"{b.change}; since: {b.version}", b.still_reaches,
      f"{b.source} (checked {b.as_of})" + (f"; not yet confirmed: {b.note}" if b.uncertain
                                           else "")] for b in browsers.BROWSER_STATUS]))

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
# Lesson 06 showed two other ways in. Docker's `-p 8080:80` publishes on 0.0.0.0 and
# `[::]`, through NAT rules that the host firewall `ufw` does not see (Docker,
# "Packet filtering and firewalls"). `-p 127.0.0.1:8080:80` keeps other machines out
# only on some versions and setups: Going further lists them. A tunnel forwards a
# loopback port to wherever its other end is. An `ssh -R` port with `GatewayPorts no`
# sits on the server's loopback, open to every user of that server.
#
# ## A checklist
#
# 1. Bind the most restrictive address that meets the need. Use 127.0.0.1, or a
#    Unix-domain socket file, for anything only this machine uses.
# 2. When other machines need it, one LAN address is a start, not a wall. Linux is a
#    [weak host](glossary.md#weak-host) (RFC 1122 §3.3.4.2): a host on another attached
#    network that routes that address via this machine reaches it (lesson 03). To
#    restrict by network, add a firewall rule on the incoming interface, or bind the
#    socket to one device (`SO_BINDTODEVICE`, socket(7)).
# 3. Validate `Host` against your own names, and `Origin` on requests that change
#    anything.
# 4. Authenticate even on loopback: other users of the machine, the containers of a pod,
#    tunnels and browsers all reach it.
# 5. Audit what listens (`loopedu audit`, lesson 04) and what publishes ports
#    (`docker ps`). Keep `route_localnet` off unless you know why it is on.
#
# ## Verdicts
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
# network in three new setups, a Host check tested against a live server, and which
# setups expose a service.
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
# **When `-p 127.0.0.1:…` keeps other machines out.** Only on Docker Engine 28 or later
# (moby/moby#45610), not 28.0 to 28.3.2 after a firewalld reload (CVE-2025-54388), and
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
