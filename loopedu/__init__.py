"""loopedu: the helper package behind the loopback course.

Importing ``loopedu`` only imports: no sockets are opened, no files are written and no
heavy library (matplotlib, ipywidgets, psutil) is loaded until a function that needs it
is called. Each topic lives in its own module, in layers that import only downwards
(tests/test_layers.py keeps it so):

leaves, pure logic and the sockets every experiment uses
- ``loopedu.addresses``    127/8 math, parsing, the IANA special-purpose registries (01)
- ``loopedu.ipv6``         IPv6 notation: expand, compress (RFC 5952), explain (04)
- ``loopedu.glibc``        a model of glibc's hosts-file lookup and sort (02);
  ``loopedu.hosts`` is its public face
- ``loopedu.platforms``    where Linux, macOS and Windows differ, with sources
- ``loopedu.connections``  connection outcomes as types; traffic only to loopback
- ``loopedu.servers``      listeners and echo servers: ephemeral port, always joined
- ``loopedu.stats``        the one percentile definition behind every latency figure

the one layer that knows the machine
- ``loopedu.sandbox``      what this machine allows (measured once), network and mount
  namespaces as root or in a user namespace, children run inside them

experiments and tools, one topic each
- ``loopedu.loopback_range`` (01), ``loopedu.localhost`` and ``loopedu.unix_sockets``
  (02), ``loopedu.reachability``, ``loopedu.lan``, ``loopedu.weak_host``,
  ``loopedu.bind_demos`` and ``loopedu.audit`` (03), ``loopedu.lo_down`` and
  ``loopedu.own_address`` (04), ``loopedu.dual_stack`` (05), ``loopedu.containers`` and
  ``loopedu.pods`` (06), ``loopedu.measure`` (counters, ping, round trips),
  ``loopedu.kernel_link`` (00), ``loopedu.release`` (writing generated files without
  losing a learner's edits)

what gathers and shows them
- ``loopedu.experiments``  every live experiment's name in one place
- ``loopedu.doctor``       the capability report and lesson plan (00)
- ``loopedu.plots``        matplotlib figures (functions return a Figure)
- ``loopedu.widgets``      ipywidgets front ends over pure functions

front ends
- ``loopedu.exercises``    checks with instant feedback, hints, predictions, progress,
  student versions
- ``loopedu.workspace``    the learner's own copy of every lesson and exercise
- ``loopedu.cli``          the ``loopedu`` command
- ``loopedu.bootstrap``    the README's Quick start (standard library only)
"""

__version__ = "0.2.0"
