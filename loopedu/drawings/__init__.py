"""Drawings where a picture teaches: each a :class:`Drawing` (SVG written by the package,
with a title and an alt text), drawn by a function named after what it shows. Jupyter
shows one as a figure whose caption is its alt text; handouts print it the same way.

- :func:`packet_path` a packet to 127.0.0.1 through the stack and ``lo`` (04)
- :func:`bind_matrix` which bind address answers which destination (03)
- :func:`localhost_trap` the ::1-first trap (02)
- :func:`container_loopbacks` a container's own loopback, and a pod's shared one (06)
- :func:`ssh_tunnels` ``ssh -L`` and ``ssh -R`` (06)
- :func:`dns_rebinding` the DNS rebinding sequence (08)

Introduced in notebooks/02-localhost-is-a-name.ipynb (the first drawing).
"""

from .canvas import Drawing
from .inside import bind_matrix, container_loopbacks, packet_path
from .paths import dns_rebinding, localhost_trap, ssh_tunnels

__all__ = ["Drawing", "packet_path", "bind_matrix", "localhost_trap", "container_loopbacks",
           "ssh_tunnels", "dns_rebinding", "ALL"]

#: Every drawing function, in course order.
ALL = (localhost_trap, bind_matrix, packet_path, container_loopbacks, ssh_tunnels,
       dns_rebinding)
