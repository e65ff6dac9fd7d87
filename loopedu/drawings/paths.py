"""Drawings of the paths a connection takes between programs: the ::1-first trap of a
name, ssh's two tunnels, and a web page rebinding a name to 127.0.0.1.

Introduced in notebooks/02-localhost-is-a-name.ipynb (the ::1-first trap).
"""

from __future__ import annotations

from .canvas import Canvas, Drawing, drawing

__all__ = ["localhost_trap", "ssh_tunnels", "dns_rebinding"]


def localhost_trap() -> Drawing:
    """A server listens on 127.0.0.1 only; the client asks for ``localhost``, gets ::1
    first, and a client that tries only the first answer is refused.

    >>> "ECONNREFUSED" in localhost_trap().svg
    True

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    c = Canvas(700, 275)
    c.box(20, 20, 200, 70, "/etc/hosts\n127.0.0.1 localhost\n::1       localhost",
          fill="other", size=12)
    c.box(250, 20, 200, 70, "getaddrinfo(\"localhost\")\nsorts the answers\n(RFC 3484/6724 table)",
          fill="kernel", size=12)
    c.arrow(220, 55, 250, 55, kind="plain")
    c.box(480, 20, 200, 70, "answers, in order:\n1. ::1\n2. 127.0.0.1", fill="program",
          size=12)
    c.arrow(450, 55, 480, 55, kind="plain")
    c.box(20, 160, 200, 60, "client: tries the\nanswers in order", fill="program",
          size=12)
    c.box(480, 160, 200, 60, "server: listens on\n127.0.0.1 only", fill="host", size=12)
    c.arrow(220, 175, 480, 175, "1st, [::1]: ECONNREFUSED", kind="refused", dashed=True,
            blocked=True, label_side=-12)
    c.arrow(220, 208, 480, 208, "2nd, 127.0.0.1: connects", kind="ok", label_side=16)
    c.text(350, 120, "The file lists 127.0.0.1 first, yet ::1 comes first.", italic=True,
           size=12)
    c.text(350, 255, "A client that stops after the first answer fails.", italic=True,
           size=12)
    return drawing(
        c, "localhost-trap", "The ::1-first trap",
        "The hosts file lists 127.0.0.1 localhost, then ::1 localhost. getaddrinfo sorts "
        "its answers by the default address-selection table (RFC 3484, which glibc uses; "
        "RFC 6724 gives the same order here), so ::1 comes first and 127.0.0.1 second. A "
        "server listening on 127.0.0.1 only refuses a connection to ::1 (ECONNREFUSED); a "
        "client that tries only the first answer fails, one that tries the second "
        "connects.")


def ssh_tunnels() -> Drawing:
    """``ssh -L 8080:127.0.0.1:5432 server`` and ``ssh -R 8080:127.0.0.1:3000 server``:
    where each listens, who can connect, where it ends.

    >>> "GatewayPorts no" in ssh_tunnels().svg
    True

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """
    c = Canvas(700, 360)
    c.text(120, 20, "laptop", bold=True)
    c.text(580, 20, "server", bold=True)
    # -L
    c.text(350, 45, "ssh -L 8080:127.0.0.1:5432 server", bold=True, size=12)
    c.box(20, 60, 200, 50, "ssh listens on\nlaptop 127.0.0.1:8080", fill="lo", size=12)
    c.box(480, 60, 200, 50, "database on\nserver 127.0.0.1:5432", fill="host", size=12)
    c.arrow(220, 85, 480, 85, "the ssh connection", kind="ok", label_side=-10)
    c.text(120, 130, "laptop programs connect here", size=12, italic=True)
    # -R
    c.text(350, 185, "ssh -R 8080:127.0.0.1:3000 server", bold=True, size=12)
    c.box(20, 200, 200, 50, "dev server on\nlaptop 127.0.0.1:3000", fill="host", size=12)
    c.box(480, 200, 200, 50, "sshd listens on\nserver 127.0.0.1:8080", fill="lo", size=12)
    c.arrow(480, 225, 220, 225, "the ssh connection", kind="ok", label_side=-10)
    c.box(430, 280, 250, 55, "every program of every user\non the server connects here\n"
          "(GatewayPorts no: loopback only)", fill="danger", size=12)
    c.arrow(555, 280, 555, 250, kind="ok")
    return drawing(
        c, "ssh-tunnels", "ssh -L and ssh -R",
        "With ssh -L 8080:127.0.0.1:5432 server, ssh listens on the laptop's 127.0.0.1 "
        "port 8080 and carries each connection over the ssh connection to the database on "
        "the server's 127.0.0.1 port 5432: laptop programs reach the server's database. "
        "With ssh -R 8080:127.0.0.1:3000 server, sshd listens on the server's 127.0.0.1 "
        "port 8080 and carries connections back to the laptop's dev server on 127.0.0.1 "
        "port 3000: with GatewayPorts no that port is on the server's loopback only, yet "
        "every program of every user on the server can connect to it, and so to the "
        "laptop's service.")


def dns_rebinding() -> Drawing:
    """The DNS rebinding sequence: a page loads from the attacker's address, its name is
    then answered with 127.0.0.1, and its script reads the loopback service.

    >>> "Host: attacker.example" in dns_rebinding().svg
    True

    Introduced in notebooks/08-when-loopback-leaks.ipynb.
    """
    lanes = {"browser (your laptop)": 85, "attacker's DNS server": 260,
             "attacker's web server\n203.0.113.7": 440, "service on\n127.0.0.1:PORT": 612}
    c = Canvas(700, 430)
    for name, x in lanes.items():
        c.box(x - 76, 15, 152, 44, name, fill="host" if "browser" in name else (
            "lo" if "127" in name else "other"), size=12)
        c.line(x, 59, x, 415, dashed=True, width=1)
    b, dns, web, svc = lanes.values()
    steps = [
        (b, dns, 90, "1. attacker.example? TTL 0"),
        (dns, b, 125, "2. 203.0.113.7"),
        (b, web, 160, "3. GET / : the page and its script"),
        (b, dns, 205, "4. attacker.example? (the TTL ran out)"),
        (dns, b, 240, "5. 127.0.0.1"),
        (b, svc, 285, "6. GET /secret, Host: attacker.example:PORT"),
        (svc, b, 320, "7. the secret, unless the Host is checked"),
        (b, web, 360, "8. the script sends it home"),
    ]
    for x1, x2, y, label in steps:
        danger = label.startswith(("6", "7", "8"))
        # the label above the arrow, on paper: the lifelines it spans stop at it
        c.arrow(x1, y, x2, y, label, kind="refused" if danger else "ok", dashed=danger,
                label_side=-10 if x2 > x1 else 10, size=12, backed=True)
    c.text(350, 400, "same origin to the browser: the name and port never changed",
           italic=True, size=12, backed=True)
    return drawing(
        c, "dns-rebinding", "DNS rebinding",
        "1 and 2: the browser asks for attacker.example and the attacker's DNS server "
        "answers 203.0.113.7 with a time to live of 0. 3: the page and its script load "
        "from that address. 4 and 5: when the script asks again, the name now answers "
        "127.0.0.1. 6 and 7: the script's request goes to the service on this machine's "
        "127.0.0.1, with Host: attacker.example:PORT, and the service answers unless it "
        "checks the Host header. 8: the script sends what it read to the attacker. To "
        "the browser it is all one origin: the name and the port never changed.")
