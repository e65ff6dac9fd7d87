"""loopedu: the helper package behind the loopback course.

Importing ``loopedu`` only imports: no sockets are opened, no files are written and no
heavy library (matplotlib, ipywidgets, psutil) is loaded until a function that needs it
is called. Each topic lives in its own module:

- ``loopedu.addresses``  127/8 math and the IANA special-purpose registries (lesson 01)
- ``loopedu.doctor``     what this machine allows (lesson 00, ``loopedu doctor``)
- ``loopedu.exercises``  checks with instant feedback, hints, progress (every lesson)
- ``loopedu.plots``      matplotlib figures (functions return a Figure)
- ``loopedu.widgets``    ipywidgets front ends over pure functions
- ``loopedu.cli``        the ``loopedu`` command
"""

__version__ = "0.1.0"
