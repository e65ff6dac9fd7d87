"""loopedu: the helper package behind the loopback course.

Importing ``loopedu`` only imports: no sockets are opened, no files are written and no
heavy library (matplotlib, ipywidgets, psutil) is loaded until a function that needs it
is called. Each topic lives in its own module, named after what it teaches or does, in
layers that import only downwards (tests/test_layers.py keeps it so). The number after
each is the lesson that introduces it (tests/test_layers.py checks this map against
every module and its docstring).

leaves: pure logic, data, and the sockets every experiment uses
- ``loopedu.addresses``     127/8 math, parsing, the IANA special-purpose registries (01)
- ``loopedu.ipv6``          IPv6 notation: expand, compress (RFC 5952), compression_steps (05)
- ``loopedu.glibc``         a model of glibc's hosts-file lookup and sort (02)
- ``loopedu.hosts``         the hosts-file parser and lookup, glibc's model's public face (02)
- ``loopedu.platforms``     where Linux, macOS and Windows differ, with sources (01)
- ``loopedu.connections``   connection outcomes as types; traffic only to loopback (01)
- ``loopedu.listen_guard``  the one rule for where the course may listen (03)
- ``loopedu.servers``       listeners and echo servers: ephemeral port, always joined (01)
- ``loopedu.stats``         the one percentile definition behind every latency figure (05)
- ``loopedu.palette``       the colour-blind-safe colours and their contrast (01)
- ``loopedu.course``        where the course's own files are: a checkout or a wheel (00)
- ``loopedu.keep_edits``    writing generated files without losing a learner's edits (00)
- ``loopedu.data``          the IANA registries as shipped, with their sources

the one layer that knows the machine
- ``loopedu.sandbox``       what this machine allows (measured once), network and mount
  namespaces as root or in a user namespace, children run inside them, recordings (00)

experiments and tools, one topic each
- ``loopedu.kernel_link``   this notebook's own kernel, talking over loopback (00)
- ``loopedu.loopback_range`` bind and connect across 127.0.0.0/8 (01)
- ``loopedu.localhost``     what ``localhost`` resolves to, and the ::1-first trap (02)
- ``loopedu.unix_sockets``  Unix-domain sockets beside TCP (02)
- ``loopedu.reachability``  which bind address answers which destination (03)
- ``loopedu.lan``           a laptop and a phone on a virtual LAN of namespaces (03)
- ``loopedu.weak_host``     a LAN address reached from another network (03)
- ``loopedu.bind_demos``    EADDRINUSE, port shadowing, connecting to 0.0.0.0 (03)
- ``loopedu.audit``         this machine's listening sockets, and which are exposed (04)
- ``loopedu.lo_down``       ``lo`` never up, and ``lo`` set down (04)
- ``loopedu.own_address``   traffic to this host's own address goes over ``lo`` (04)
- ``loopedu.measure``       counters, ping, round trips, throughput, the Nagle stall (04)
- ``loopedu.dual_stack``    dual-stack sockets and a machine with IPv6 off (05)
- ``loopedu.dev_servers``   a dev server and the default binds of common tools (06)
- ``loopedu.forwarder``     a relay like ``ssh -L`` or docker-proxy (06)
- ``loopedu.containers``    a container's own loopback (06)
- ``loopedu.pods``          a pod's shared loopback (06)
- ``loopedu.postgres``      a throwaway PostgreSQL server over its Unix socket and TCP (06)
- ``loopedu.capture``       the packets of one request, captured on ``lo`` (07)
- ``loopedu.martians``      martians and ``route_localnet`` in two namespaces (08)
- ``loopedu.rebinding``     DNS rebinding and the Host-header defence (08)
- ``loopedu.attacker_dns``  a rebinding attacker's DNS answers, for the Host check (08)
- ``loopedu.browsers``      what browsers do about pages reaching loopback, dated (08)

what gathers and shows them
- ``loopedu.doctor``        the capability report and lesson plan (00)
- ``loopedu.plots``         matplotlib figures (functions return a Figure), shown with
  their alt text as caption and their data as a table (01)
- ``loopedu.widgets``       ipywidgets front ends over pure functions (01)
- ``loopedu.drawings``      drawings where a picture teaches, as SVG (02)
- ``loopedu.claims``        popular claims, checked, with this machine's own answers

front ends
- ``loopedu.exercises``     checks with instant feedback, hints, solutions, predictions,
  progress, student versions (00)
- ``loopedu.workspace``     the learner's own copy of every lesson and exercise (00)
- ``loopedu.lab``           JupyterLab on loopback, for the workspace (00)
- ``loopedu.class_progress`` the class view: exports, struggles, prediction polls (00)
- ``loopedu.handout``       printable handouts of the lessons (00)
- ``loopedu.cli``           the ``loopedu`` command (00)
- ``loopedu.bootstrap``     the README's Quick start (standard library only)
"""

__version__ = "0.2.0"
