"""loopedu: the helper package behind the loopback course.

Importing ``loopedu`` only imports: no sockets are opened, no files are written and no
heavy library (matplotlib, ipywidgets, psutil) is loaded until a function that needs it
is called. Each topic lives in its own module:

- ``loopedu.addresses``  127/8 math and the IANA special-purpose registries (lesson 01)
- ``loopedu.doctor``     what this machine allows (lesson 00, ``loopedu doctor``)
- ``loopedu.exercises``  checks with instant feedback, hints, progress (every lesson)
- ``loopedu.servers``    experiment listeners: ephemeral port, context-managed, joined
- ``loopedu.experiments`` live experiments returning plain data (lessons 01 and 03)
- ``loopedu.kernel_link`` the notebook's own loopback sockets to its kernel (lesson 00)
- ``loopedu.netlab``     network-namespace labs, always torn down (lesson 03)
- ``loopedu.measure``    interface counters and ping (lesson 03)
- ``loopedu.audit``      this machine's listening sockets, and which are exposed (lesson 03)
- ``loopedu.hosts``      hosts files resolved like the C library (lesson 02)
- ``loopedu.localhost``  nsswitch order, the ::1-first trap, Unix socket versus TCP (lesson 02)
- ``loopedu.ipv6``       IPv6 notation: expand, compress (RFC 5952), explain (lesson 04)
- ``loopedu.plots``      matplotlib figures (functions return a Figure)
- ``loopedu.widgets``    ipywidgets front ends over pure functions
- ``loopedu.cli``        the ``loopedu`` command
- ``loopedu.bootstrap``  the README's Quick start (standard library only)
"""

__version__ = "0.1.0"
