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
# - explain when packets for 127.0.0.1 from another machine are dropped as martians, and
#   how `route_localnet` lets them in (CVE-2020-8558) *(exercise 08.route-localnet)*;
# - show how DNS rebinding reaches a loopback service through your own browser, and stop
#   it by validating the Host header *(exercise 08.fix-host)*;
# - recognise the setups that expose a service bound to 127.0.0.1: published ports,
#   tunnels, 0.0.0.0 in a browser, and apply the checklist *(exercise 08.exposes)*.
#
# **Prerequisites.** Lessons 03 (the virtual LAN) and 06 (containers, published ports,
# tunnels).
#
# **Minutes:** 35 teaching + 20 exercises.

# %%
from loopedu import doctor, martians, rebinding, sandbox
from loopedu.exercises import predict, reveal

print("this machine:", doctor.this_machine())
print("network namespaces:", sandbox.capabilities().network_namespaces)

# %% [markdown]
# Two popular claims are tested here: "a service bound to 127.0.0.1 cannot be reached
# from other devices. Period." and "it is physically impossible for traffic sent to
# 127.0.0.1 to reach another device". Both rest on a rule, and a rule can be bent.
#
# ## Martians: the rule and the switch
#
# RFC 1122 §3.2.1.3(g) tells hosts that an address of 127/8 "MUST NOT appear outside a
# host", and RFC 1812 §5.3.7 tells routers not to forward it: a packet that arrives from
# a network with such an address is a *martian*, and Linux drops it silently
# (Documentation/networking/ip-sysctl.rst, `route_localnet`: "Do not consider loopback
# addresses as martian source or destination while routing", default off). Nothing
# physical stops a neighbour from *sending* one: its kernel only needs a route.
#
# The course builds two machines, S (the server, 198.18.2.1) and C (a neighbour,
# 198.18.2.2), as [network namespaces](glossary.md#network-namespace) on a
# [veth pair](glossary.md#veth). S runs a service bound to 127.0.0.1. C adds a route
# "127.0.0.1 via 198.18.2.1" and connects to 127.0.0.1.

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
       why="by default S's kernel drops a packet for 127.0.0.1 that arrives on its veth "
           "as a martian, so C's connect times out; with route_localnet=1 on that "
           "interface the packet is routed to lo and the listener on 127.0.0.1 accepts.")

# %% [markdown]
# This is what happened in Kubernetes: kube-proxy set `route_localnet=1` on every node
# (for NodePorts on 127.0.0.1), so any machine on the same network could reach services
# the node bound to 127.0.0.1 (CVE-2020-8558, kubernetes/kubernetes#92315). The fix
# (Kubernetes 1.18.4, 1.17.7, 1.16.11) added a rule to the KUBE-FIREWALL chain that drops
# packets for 127.0.0.0/8 that do not come from 127.0.0.0/8, the last line above.
# A DNAT rule that sends a public port to 127.0.0.1 needs the same switch:

# %%
print(martians.format_dnat(nat))

# %% [markdown]
# ## DNS rebinding: your own browser as the way in
#
# A martian needs a neighbour on your network. DNS rebinding needs only a web page. The
# page is served from `attacker.example`; then the attacker's DNS server answers
# `attacker.example` with 127.0.0.1 (a short TTL makes the browser ask again). For the
# browser the page and its new requests share one origin, so its scripts may read the
# answers; the requests go to your loopback service, with `Host: attacker.example:PORT`.
# Project Zero issue 1447 did this to the Transmission BitTorrent client's RPC server on
# 127.0.0.1 (2018); the fix was a list of allowed Host names.
#
# The plain calls: a request is a few lines of text on a socket, and the Host line is
# whatever the client writes. Here a client sends a rebound Host to a server on
# 127.0.0.1 that does not look at it.

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
        client.sendall(f"GET / HTTP/1.1\r\nHost: attacker.example:{port}\r\n"
                       "Connection: close\r\n\r\n".encode())
        print(client.recv(200).decode(errors="replace").splitlines()[0])
finally:
    server.shutdown()
    server.server_close()
    thread.join()

# %% [markdown]
# Served. `host_header_demo()` runs two loopback servers, one that serves every Host and
# one that accepts only this machine's loopback names with its own port, and sends each
# a `localhost` request and a rebound one.

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
reveal("08.rebinding", rebinding.host_header_demo(),
       why="a server on 127.0.0.1 cannot tell a rebound request by where it comes from: "
           "it is the learner's own browser, on loopback. Only the Host header says which "
           "name the browser thought it was talking to.")

# %% [markdown]
# Checking Host stops rebinding; it does not stop a page from sending requests to
# `http://localhost:PORT` directly, which browsers allow for "simple" requests without
# letting the page read the answer (the Fetch standard's CORS rules). So requests that
# change anything also check `Origin`, and a local service authenticates its clients even
# on loopback: the Zoom client's local web server on port 19421 let any web page start a
# video call (CVE-2019-13450).
#
# ## 💥 Break it on purpose: 0.0.0.0 in a browser
#
# Lesson 03 showed that `connect()` to 0.0.0.0 reaches loopback on Linux. In 2024 Oligo
# Security called it "0.0.0.0 Day": browsers that blocked public pages from requesting
# `127.0.0.1` let them request `http://0.0.0.0:PORT`, which Linux and macOS deliver to
# loopback services.

# %%
from loopedu import bind_demos

for target, reach in bind_demos.connect_to_any_demo().items():
    print(f"connect to {target:<8} -> {reach.outcome}, the server saw {reach.server_saw}")
print()
zero = rebinding.zero_address_demo()
print("an HTTP request to 0.0.0.0, Host: 0.0.0.0:PORT, served by:", zero.to_dict())
print()
for source in rebinding.KERNEL_SOURCES:
    print(source, end="\n\n")

# %% [markdown]
# The browsers' answer, as of the date in each row. The primary sources are the browsers'
# own announcements, status pages and policies; where a version or date is not confirmed
# by one, the last column says so. These change: look again before you teach them.

# %%
from IPython.display import Markdown

from loopedu import browsers, platforms

Markdown(platforms.markdown_table(
    ["browser", "what it does", "since", "a page still reaches loopback with", "source",
     "checked", "not yet confirmed"],
    [[b.browser, b.change, b.version, b.still_reaches, b.source, b.as_of,
      b.note if b.uncertain else ""] for b in browsers.BROWSER_STATUS]))

# %% [markdown]
# ## Published ports and tunnels
#
# Lesson 06 showed the two other ways in. Docker's `-p 8080:80` publishes on 0.0.0.0
# and `[::]`, through NAT rules that the host firewall `ufw` does not see (Docker
# documentation, "Packet filtering and firewalls"); before Engine 28 even
# `-p 127.0.0.1:8080:80` let machines on the LAN route to the container's address
# (moby/moby#45610). A tunnel (`ssh -L`, `ssh -R`) forwards a loopback port wherever its
# other end is; `GatewayPorts` (default `no`) keeps both ends on loopback.
#
# ## A checklist
#
# 1. Bind the most restrictive address that meets the need: 127.0.0.1 (or a Unix-domain
#    socket) for anything only this machine uses; a specific address, not 0.0.0.0,
#    when others need it.
# 2. Validate `Host` against your own names, and `Origin` on requests that change
#    anything.
# 3. Authenticate even on loopback: other users of the machine, containers and browsers
#    all reach it.
# 4. Audit what listens (`loopedu audit`, lesson 04) and what publishes ports
#    (`docker ps`), and keep `route_localnet` off unless you know why it is on.
#
# ## Verdicts
#
# - "A service bound to 127.0.0.1 cannot be reached from other devices. Period." **True
#   with conditions**: with Linux's defaults other machines' packets are martians; it
#   breaks with `route_localnet=1` and a neighbour's route, a DNAT rule, a forwarder or
#   tunnel, and DNS rebinding through the host's own browser (this lesson's outputs).
# - "It is physically impossible for traffic sent to 127.0.0.1 to reach another
#   device." **False**: C sent such packets over the veth above; RFC 1122 is a rule for
#   hosts, and S's kernel accepted them once `route_localnet` was on.
#
# ## Your turn
#
# [The exercises](../exercises/08-when-loopback-leaks-exercises.ipynb): route_localnet,
# a Host check tested against a live server, and which setups expose a service.
#
# ## Key points
#
# - 127/8 from a network is a martian by rule (RFC 1122, RFC 1812), dropped by Linux
#   unless `route_localnet=1`; kube-proxy's setting made node-local services reachable
#   (CVE-2020-8558).
# - DNS rebinding reaches loopback services through the learner's own browser; validate
#   Host (and Origin) and authenticate.
# - Connecting to 0.0.0.0 reaches loopback on Linux and macOS: browsers now block it.
# - Published ports and tunnels forward to loopback on purpose; know where their other
#   end listens.
#
# ## Sources
#
# - RFC 1122 §3.2.1.3, RFC 1812 §5.3.7; Linux Documentation/networking/ip-sysctl.rst
#   (`route_localnet`, `log_martians`, `rp_filter`).
# - Kubernetes CVE-2020-8558, kubernetes/kubernetes#92315.
# - Project Zero issue 1447 (Transmission, DNS rebinding); CVE-2019-13450 (Zoom).
# - RFC 9110 §7.2 (Host) and §15.5 (client error status codes); RFC 6454 (Origin).
# - Oligo Security, "0.0.0.0 Day" (2024); the browsers' announcements in the table above;
#   Linux `net/ipv4/route.c` and `net/ipv6/tcp_ipv6.c`.
# - Docker documentation, "Packet filtering and firewalls" and "Port publishing and
#   mapping"; moby/moby#45610; `sshd_config(5)` (`GatewayPorts`).
