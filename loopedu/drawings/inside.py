"""Drawings of what happens inside one machine: a packet's path to 127.0.0.1, which bind
address answers which destination, and whose loopback a container uses.

Introduced in notebooks/03-bind-address.ipynb (the bind matrix).
"""

from __future__ import annotations

from .canvas import Canvas, Drawing, drawing

__all__ = ["packet_path", "bind_matrix", "container_loopbacks"]


def packet_path() -> Drawing:
    """A TCP segment from a client to a server on 127.0.0.1, down one side of the stack
    and up the other, through ``lo``; the network card is never used.

    >>> "table local" in packet_path().svg
    True

    Introduced in notebooks/04-loopback-interface.ipynb.
    """
    c = Canvas(700, 415)
    c.box(20, 20, 170, 40, "client: to 127.0.0.1", fill="program")
    c.box(510, 20, 170, 40, "server program", fill="program")
    c.box(10, 80, 680, 250, "the kernel (one machine)", fill="kernel", label_at="top",
          bold=True)
    layers = [("socket: send()", "socket: recv()"), ("TCP", "TCP"),
              ("IP: routing decision", "IP: receive")]
    for i, (down, up) in enumerate(layers):
        y = 110 + i * 55
        c.box(30, y, 150, 38, down, fill="program")
        c.box(520, y, 150, 38, up, fill="program")
        if i:
            c.arrow(105, y - 17, 105, y, kind="ok")
            c.arrow(595, y, 595, y - 17, kind="ok")
    c.arrow(105, 60, 105, 110, kind="ok")
    c.arrow(595, 110, 595, 60, kind="ok")
    c.box(215, 205, 270, 50, "route: local 127.0.0.0/8 dev lo\n(table local)", fill="other",
          size=12)
    c.arrow(180, 229, 215, 229, kind="plain")
    c.box(250, 275, 200, 42, "lo (loopback driver)", fill="lo", bold=True)
    c.arrow(105, 258, 105, 296, kind="ok")
    c.arrow(105, 296, 250, 296, "down", kind="ok", label_side=-10)
    c.arrow(450, 296, 595, 296, "and straight up", kind="ok", label_side=-10)
    c.arrow(595, 296, 595, 258, kind="ok")
    c.box(250, 360, 200, 42, "network card (eth0, Wi-Fi)", fill="net", dashed=True)
    c.arrow(350, 317, 350, 360, "not used", kind="refused", dashed=True, blocked=True,
            label_side=-40)
    c.text(560, 380, "nothing goes on a wire", italic=True)
    return drawing(
        c, "packet-path", "A packet to 127.0.0.1",
        "A client program sends on a socket; TCP and then IP handle the segment. IP's "
        "routing decision finds the route 'local 127.0.0.0/8 dev lo' in the kernel's "
        "local table, so the packet goes to lo, the loopback driver, which hands it "
        "straight back up: IP, TCP and the server's socket receive it. The network card "
        "is not used and nothing goes on a wire.")


#: Linux's answers, as lesson 03's matrix measures them: bind -> destination -> outcome.
BIND_MATRIX = {
    "127.0.0.1": {"127.0.0.1": True, "127.0.0.2": False, "LAN address": False, "::1": False},
    "0.0.0.0": {"127.0.0.1": True, "127.0.0.2": True, "LAN address": True, "::1": False},
    "::": {"127.0.0.1": True, "127.0.0.2": True, "LAN address": True, "::1": True},
}


def bind_matrix() -> Drawing:
    """Three listeners (bound to 127.0.0.1, 0.0.0.0 and ``::``) and four destinations:
    which connections each accepts on Linux.

    >>> bind_matrix().alt.count("accepts")
    3

    Introduced in notebooks/03-bind-address.ipynb.
    """
    binds = list(BIND_MATRIX)
    targets = list(next(iter(BIND_MATRIX.values())))
    c = Canvas(700, 300)
    c.text(100, 30, "a client connects to", bold=True)
    c.text(450, 30, "a listener bound to", bold=True)
    for j, bind in enumerate(binds):
        c.box(270 + j * 140, 45, 120, 36, bind, fill="host", bold=True)
    for i, target in enumerate(targets):
        y = 105 + i * 45
        c.box(20, y, 170, 34, target, fill="program")
        for j, bind in enumerate(binds):
            ok = BIND_MATRIX[bind][target]
            x = 270 + j * 140
            c.box(x, y, 120, 34, "✓ connects" if ok else "✗ refused",
                  fill="lo" if ok else "danger", dashed=not ok)
    c.text(350, 290, "Linux defaults; :: is dual stack (net.ipv6.bindv6only=0)", size=12,
           italic=True)
    sentences = []
    for bind in binds:
        yes = [t for t, ok in BIND_MATRIX[bind].items() if ok]
        sentences.append(f"A listener on {bind} accepts connections to {', '.join(yes)}.")
    return drawing(c, "bind-matrix", "Which bind address answers which destination",
                   " ".join(sentences) + " Every other connection is refused. These are "
                   "Linux's defaults, with :: dual stack.")


def container_loopbacks() -> Drawing:
    """A container with a network namespace of its own has its own ``lo``; the
    containers of one pod share one namespace, so one ``lo``.

    >>> "pod" in container_loopbacks().alt
    True

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """
    c = Canvas(700, 320)
    c.box(10, 20, 330, 290, "one machine", fill="program", label_at="top", bold=True)
    c.box(25, 45, 140, 150, "host namespace", fill="host", label_at="top")
    c.text(95, 78, '(like the pod\'s "other")', size=12)
    c.box(40, 130, 110, 40, "lo: 127.0.0.1", fill="lo")
    c.box(185, 45, 140, 150, "container", fill="host", label_at="top")
    c.text(255, 78, "(its own namespace)", size=12)
    c.box(200, 130, 110, 40, "lo: 127.0.0.1", fill="lo")
    c.text(255, 106, "server on 127.0.0.1", size=12)
    c.arrow(95, 210, 255, 210, "host to 127.0.0.1: another lo", kind="refused", dashed=True,
            blocked=True, label_side=16)
    c.line(95, 170, 95, 210, kind="refused", dashed=True)
    c.text(175, 265, "each namespace has its own lo\nand its own 127.0.0.1", size=12,
           italic=True)
    c.box(360, 20, 330, 290, "one pod (Kubernetes, podman)", fill="program",
          label_at="top", bold=True)
    c.box(375, 45, 300, 205, "one shared network namespace", fill="host", label_at="top")
    c.box(390, 75, 120, 60, "app\nserver on\n127.0.0.1", fill="program", size=12)
    c.box(540, 75, 120, 60, "sidecar\nclient", fill="program", size=12)
    c.box(465, 185, 120, 40, "lo: 127.0.0.1", fill="lo")
    c.arrow(600, 135, 540, 185, kind="ok")
    c.arrow(490, 185, 450, 135, "connects", kind="ok", label_side=-30)
    c.text(525, 275, "also --network host (the host's lo)\nand --network container:X",
           size=12, italic=True)
    return drawing(
        c, "container-loopbacks", "A container's own loopback, and a pod's shared one",
        "Left: on one machine, the host's network namespace and a container's each have "
        "their own lo and their own 127.0.0.1, so a connection from the host to 127.0.0.1 "
        "never reaches a server the container runs on its 127.0.0.1; the pod demo's "
        "\"other\", in a namespace of its own, is in the host's place. Right: the "
        "containers of one pod share one network namespace and one lo, so the sidecar "
        "connects to the app's server on 127.0.0.1; containers run with --network host or "
        "--network container:X share a loopback the same way.")
