"""When loopback leaks through the browser: DNS rebinding, the Host header, and 0.0.0.0.

A service bound to 127.0.0.1 cannot be reached from another machine, but the learner's
own browser runs on this machine and runs other people's JavaScript. **DNS rebinding**:
the learner opens the attacker's page at ``http://attacker.example:PORT/``; the
attacker's DNS server first answers with the attacker's address, with a very short TTL.
When the page's script asks again, the answer has changed to 127.0.0.1. The browser's
same-origin policy compares scheme, host *name* and port, so it sees the same origin
and lets the script read the answers; the request lands on the loopback service, and
the only trace of the trick is in the request: ``Host: attacker.example:PORT``.

Defences: validate the Host header (only this machine's loopback names with this
server's own port; answer anything else with an error), check Origin on requests that
change state, and authenticate even on loopback. Real cases: Project Zero issue 1447
(Transmission's RPC server, 2018; fixed with a Host whitelist),
https://bugs.chromium.org/p/project-zero/issues/detail?id=1447, and the Zoom local web
server (CVE-2019-13450, 2019), https://nvd.nist.gov/vuln/detail/CVE-2019-13450.
"0.0.0.0 Day" (Oligo, 2024): browsers sent requests to 0.0.0.0, which Linux and macOS
deliver to loopback (:func:`zero_address_demo`; what browsers do about it today is
:data:`loopedu.browsers.BROWSER_STATUS`).

The rule here (:func:`allowed_host`): serve only ``localhost:PORT``, ``127.0.0.1:PORT``
or ``[::1]:PORT``, PORT this server's, in any case (RFC 3986 §3.2.2). The port is
required: these servers are never on port 80 and a browser sends the port when it is
not the default, so ``Host: localhost`` names another origin (port 80). ``localhost.``
(trailing dot) is another origin too: an allowlist matches exactly. A missing or empty
Host is refused (RFC 9112 §3.2 requires Host). Refusals are ``421 Misdirected Request``
(RFC 9110 §15.5.20: not willing to answer for that name). Every request goes to
127.0.0.1 (0.0.0.0 in :func:`zero_address_demo`); attacker.example is never resolved.
While :func:`check_host_validation` runs, a learner's function that looks a name up
meets the attacker's DNS instead of the real one (:mod:`loopedu.attacker_dns`): the
battery's names resolve to 127.0.0.1 (the rebinding), any other name to nothing, and
no query leaves the machine.

Introduced in notebooks/08-when-loopback-leaks.ipynb.
"""

from __future__ import annotations

import http.server
import ipaddress
import socket
import threading
from dataclasses import asdict, dataclass
from typing import Callable

from .attacker_dns import asking, rebound_dns
from .connections import lab_socket
from .dev_servers import NoLookupBind, serving

__all__ = ["SECRET", "LOOPBACK_HOST_NAMES", "REFUSED_STATUS", "allowed_host",
           "HostRow", "HostHeaderRun", "host_header_experiment", "host_header_demo",
           "format_host_header_run", "HostTrial", "HostValidationReport",
           "check_host_validation", "ZeroAddressRun", "zero_address_demo",
           "KernelSource", "KERNEL_SOURCES"]

#: The body a served request gets: what the attacker's script wants to read.
SECRET = b"secret: an API token only loopback clients should see"
#: The names of this machine's loopback that a browser may put in Host.
LOOPBACK_HOST_NAMES = ("localhost", "127.0.0.1", "[::1]")
#: The answer to a Host the server does not serve (RFC 9110 §15.5.20).
REFUSED_STATUS = 421
_BROKEN_STATUS = 500  # the learner's function raised, hung or gave no bool


def allowed_host(host_header: str, port: int) -> bool:
    """The rule: True only for a loopback name of this machine with this server's port
    (case-insensitive); everything else, a missing Host ('') included, is refused.

    >>> allowed_host("LocalHost:8080", 8080), allowed_host("localhost", 8080)
    (True, False)
    >>> allowed_host("attacker.example:8080", 8080)
    False

    Introduced in notebooks/08-when-loopback-leaks.ipynb.
    """
    return (isinstance(host_header, str)
            and host_header.lower() in {f"{name}:{port}" for name in LOOPBACK_HOST_NAMES})


# ---- a loopback HTTP server that asks a function whether to serve a Host ----

def _ask(is_allowed: Callable, host: str, port: int, timeout: float) -> tuple:
    """(verdict or None, problem): never raises, whatever ``is_allowed`` does."""
    box: dict = {}

    def run() -> None:
        try:
            with asking():  # its lookups meet the attacker's DNS during the check
                box["value"] = is_allowed(host, port)
        except BaseException as exc:  # noqa: BLE001 - a learner's function may do anything
            box["error"] = exc

    worker = threading.Thread(target=run, name="loopedu-rebinding-is-allowed", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        return None, f"did not answer within {timeout:g} s"
    if "error" in box:
        return None, f"raised {type(box['error']).__name__}: {str(box['error'])[:80]}"
    if not isinstance(box["value"], bool):
        value = box["value"]
        return None, f"returned {value!r:.40} (a {type(value).__name__}), not True or False"
    return box["value"], ""


class _Handler(http.server.BaseHTTPRequestHandler):
    timeout = 2  # a client that connects and says nothing cannot hold the server
    protocol_version = "HTTP/1.0"  # one request per connection

    def do_GET(self) -> None:  # noqa: N802 - the base class's name
        server = self.server
        host = self.headers.get("Host")
        if server.hung:
            verdict, problem = None, "not asked: it hung on an earlier request"
        else:
            verdict, problem = _ask(server.is_allowed, host or "", server.server_port,
                                    server.answer_timeout)
            server.hung = problem.startswith("did not answer")
        status = _BROKEN_STATUS if verdict is None else 200 if verdict else REFUSED_STATUS
        body = SECRET if status == 200 else b"this server does not answer for that Host"
        server.seen.append((host, self.client_address[0], status, problem))
        self.send_response(status)
        for name, value in (("Content-Type", "text/plain"), ("Content-Length", len(body))):
            self.send_header(name, str(value))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


class _Server(NoLookupBind, http.server.HTTPServer):
    def __init__(self, is_allowed: Callable, answer_timeout: float,
                 address: tuple = ("127.0.0.1", 0)):
        self.is_allowed, self.answer_timeout, self.hung = is_allowed, answer_timeout, False
        self.seen: list = []  # (Host or None, client address, status, problem)
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        super().__init__(address, _Handler)


def _host_server(is_allowed: Callable, answer_timeout: float = 1.0):
    """Serve SECRET on 127.0.0.1, port 0, to the Hosts ``is_allowed`` accepts; joined."""
    server = _Server(is_allowed, answer_timeout)
    return serving(server, f"loopedu-rebinding-{server.server_port}")


def _get(port: int, host: str | None, target: str = "127.0.0.1",
         timeout: float = 3.0) -> tuple:
    """GET / with exactly this Host (None: none): (status or None, body, peer address)."""
    lines = ["GET / HTTP/1.1", *([] if host is None else [f"Host: {host}"]),
             "Connection: close", "", ""]
    try:
        with lab_socket(target) as sock:  # ValueError beyond loopback and the lab
            sock.settimeout(timeout)
            sock.connect((target, port))
            sent_to = sock.getpeername()[0]
            sock.sendall("\r\n".join(lines).encode("latin-1"))
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
    except OSError:
        return None, b"", target
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    parts = head.split(b" ", 2)
    return (int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None), body, sent_to


# ---- the demo: a server without and a server with Host validation ----

@dataclass(frozen=True)
class HostRow:
    """One request of the demos: which server, the Host sent, the HTTP status, whether
    the secret came back, the address connected to and the client the server saw.
    Introduced in notebooks/08-when-loopback-leaks.ipynb.
    """
    server: str
    host: str
    status: int | None
    served: bool
    sent_to: str = "127.0.0.1"
    server_saw: str = "127.0.0.1"


def _both_servers(hosts: Callable[[int], tuple], target: str = "127.0.0.1") -> tuple:
    """Send each of ``hosts(port)`` to an unprotected and a protected loopback server."""
    rows = []
    for name, rule in (("unprotected", lambda host, port: True), ("protected", allowed_host)):
        with _host_server(rule) as server:
            for host in hosts(server.server_port):
                status, body, sent_to = _get(server.server_port, host, target)
                saw = server.seen[-1][1] if server.seen else ""
                served = status == 200 and body == SECRET
                rows.append(HostRow(name, host, status, served, sent_to, saw))
    return tuple(rows)


@dataclass(frozen=True)
class HostHeaderRun:
    """Both servers' answers to ``Host: localhost:PORT`` and ``Host: attacker.example:PORT``.
    Introduced in notebooks/08-when-loopback-leaks.ipynb.
    """
    rows: tuple

    def to_dict(self) -> dict:
        """``{server: {"localhost" | "rebound": served}}``."""
        out: dict = {}
        for row in self.rows:
            kind = "localhost" if row.host.startswith("localhost:") else "rebound"
            out.setdefault(row.server, {})[kind] = row.served
        return out


def host_header_experiment() -> HostHeaderRun:
    """Run two loopback servers, one serving every Host and one only the loopback names
    with its port, and send each ``Host: localhost:PORT`` and the rebound
    ``Host: attacker.example:PORT``, all to 127.0.0.1.

    Introduced in notebooks/08-when-loopback-leaks.ipynb.
    """
    return HostHeaderRun(_both_servers(lambda p: (f"localhost:{p}", f"attacker.example:{p}")))


def host_header_demo() -> dict:
    """:func:`host_header_experiment` as ``{server: {"localhost": served, "rebound":
    served}}``: only the unprotected server serves the rebound name.

    Introduced in notebooks/08-when-loopback-leaks.ipynb.
    """
    return host_header_experiment().to_dict()


def format_host_header_run(run: HostHeaderRun) -> str:
    """A text table of :func:`host_header_experiment`'s requests.

    Introduced in notebooks/08-when-loopback-leaks.ipynb.
    """
    return "\n".join([f"{'server':<12} {'Host sent':<28} {'status':>6}  served the secret?",
                      *(f"{r.server:<12} {r.host:<28} {r.status or '-':>6}  "
                        f"{'YES' if r.served else 'no'}" for r in run.rows)])


# ---- the exercise harness: a learner's is_allowed against a live server ----

#: (label, Host sent with {port} and {other} filled in, or None for no Host header,
#: must it be served?, why). The expectations follow the rule of allowed_host.
_BATTERY = (
    ("localhost", "localhost:{port}", True, "the service's own name and port"),
    ("127.0.0.1", "127.0.0.1:{port}", True, "loopback itself with this port"),
    ("::1", "[::1]:{port}", True, "IPv6 loopback with this port (brackets included)"),
    ("upper case", "LOCALHOST:{port}", True, "host names are case-insensitive (RFC 3986)"),
    ("rebound name", "attacker.example:{port}", False, "the attacker's page would read it"),
    ("subdomain", "localhost.attacker.example:{port}", False,
     "contains 'localhost' but is the attacker's name: compare whole names"),
    ("wildcard DNS", "127.0.0.1.nip.io:{port}", False,
     "a public name resolving to 127.0.0.1 is still someone else's name"),
    ("0.0.0.0", "0.0.0.0:{port}", False,
     "0.0.0.0 is no name of loopback, yet a page that asks for http://0.0.0.0:PORT "
     "reaches a loopback server on Linux and macOS (the 0.0.0.0 Day)"),
    ("other port", "localhost:{other}", False, "another port is another origin"),
    ("no port", "localhost", False, "no port means port 80: another origin"),
    ("trailing dot", "localhost.:{port}", False, "'localhost.' is not on the allowlist"),
    ("empty Host", "", False, "an empty Host names nobody"),
    ("missing Host", None, False, "no Host header at all (your function gets '')"),
)


@dataclass(frozen=True)
class HostTrial:
    """One request of :func:`check_host_validation`: the Host sent (None: none), whether
    the rule says to serve it, what the live server did, and what went wrong.
    Introduced in notebooks/08-when-loopback-leaks.ipynb.
    """
    label: str
    host: str | None
    must_serve: bool
    status: int | None
    served: bool
    why: str
    sent_to: str = "127.0.0.1"
    problem: str = ""

    @property
    def wrong(self) -> bool:
        """The function misbehaved, or the outcome is not what the rule says."""
        return bool(self.problem) or self.served != self.must_serve

    @property
    def reason(self) -> str:
        """One line: why this request's outcome is wrong ('' when it is right)."""
        shown = "no Host header" if self.host is None else f"Host {self.host!r}"
        if self.problem:
            return f"{shown}: your function {self.problem}"
        if self.served != self.must_serve:
            verb = "served but must be" if self.served else "refused but must be"
            return f"{shown} was {verb} {'refused' if self.served else 'served'}: {self.why}"
        return ""


@dataclass(frozen=True)
class HostValidationReport:
    """What :func:`check_host_validation` found: every request, served or refused, and
    the wrong ones with a reason each. ``bool(report)`` is ``report.passed``.
    Introduced in notebooks/08-when-loopback-leaks.ipynb.
    """
    port: int
    trials: tuple

    @property
    def wrong(self) -> tuple:
        """The trials whose outcome is wrong."""
        return tuple(t for t in self.trials if t.wrong)

    @property
    def passed(self) -> bool:
        """True when every request was served or refused as the rule says."""
        return not self.wrong

    def __bool__(self) -> bool:
        return self.passed

    @property
    def served(self) -> tuple:
        """The Host values the live server served."""
        return tuple(t.host for t in self.trials if t.served)

    @property
    def refused(self) -> tuple:
        """The Host values the live server refused (or could not decide)."""
        return tuple(t.host for t in self.trials if not t.served)

    @property
    def message(self) -> str:
        """A verdict and one line per wrong request (one line for a problem that every
        request met)."""
        if self.passed:
            return (f"All {len(self.trials)} requests served or refused correctly: only "
                    "the loopback names with the server's port get through.")
        head = f"{len(self.wrong)} of {len(self.trials)} requests went wrong:"
        problems = {t.problem for t in self.trials}
        if len(problems) == 1 and "" not in problems and len(self.trials) > 1:
            return f"{head} for every Host, your function {problems.pop()}"
        return "\n".join([head, *(f"- {t.reason}" for t in self.wrong)])

    def to_dict(self) -> dict:
        """Plain data: the port, the verdict and every trial."""
        return {"port": self.port, "passed": self.passed,
                "trials": [asdict(t) for t in self.trials]}

    def __str__(self) -> str:
        lines = [f"{'request':<23} {'Host sent':<36} {'status':>6}  outcome"]
        for t in self.trials:
            shown = "(none)" if t.host is None else repr(t.host)
            outcome = "served" if t.served else "refused"
            lines.append(f"{t.label:<23} {shown:<36} {t.status or '-':>6}  {outcome}"
                         f"{'  <- WRONG' if t.wrong else ''}")
        return "\n".join([*lines, "", self.message])


def check_host_validation(is_allowed: Callable[[str, int], bool],
                          answer_timeout: float = 1.0) -> HostValidationReport:
    """Run a live loopback server that serves a request only when
    ``is_allowed(host_header, port)`` returns True (421 when False, 500 when it raises,
    hangs past ``answer_timeout`` seconds or returns something else than a bool), send
    it a fixed battery of Host headers over 127.0.0.1 and report which were served and
    which of those outcomes are wrong. Never raises because of ``is_allowed``.

    >>> check_host_validation(allowed_host).passed
    True
    >>> print(check_host_validation(lambda host, port: True).wrong[0].reason)
    Host 'attacker.example:...' was served but must be refused: the attacker's page would read it

    Introduced in notebooks/08-when-loopback-leaks.ipynb.
    """
    trials = []
    with _host_server(is_allowed, answer_timeout) as server, rebound_dns(_rebound_names()):
        port = server.server_port
        other = port + 1 if port < 65535 else port - 1
        for label, template, must_serve, why in _BATTERY:
            host = None if template is None else template.format(port=port, other=other)
            before, (status, body, sent_to) = len(server.seen), _get(port, host)
            problem = server.seen[before][3] if len(server.seen) > before else ""
            served = status == 200 and body == SECRET
            trials.append(HostTrial(label, host, must_serve, status, served, why, sent_to,
                                    problem))
    return HostValidationReport(port, tuple(trials))


# ---- the attacker's DNS, inside the check only (loopedu.attacker_dns) ---------------------

#: What the names of the battery resolve to in the check: loopback for localhost (RFC
#: 6761 §6.3), and for the attacker's names too, as their DNS answers once rebound.
_LOCALHOST = ("127.0.0.1", "::1")


def _rebound_names() -> dict[str, tuple[str, ...]]:
    """Every name the battery sends (lower case, no trailing dot) -> its addresses at
    the moment of the attack: localhost's own, and 127.0.0.1 for every other name."""
    names: dict[str, tuple[str, ...]] = {"localhost": _LOCALHOST}
    for _, template, _, _ in _BATTERY:
        if not template:
            continue
        host = template.format(port=0, other=0)
        name = host.rpartition(":")[0] if host.endswith(":0") else host
        name = name.rstrip(".").casefold()
        try:
            ipaddress.ip_address(name.strip("[]"))
        except ValueError:
            names.setdefault(name, ("127.0.0.1",))
    return names


@dataclass(frozen=True)
class ZeroAddressRun:
    """``GET /`` sent to 0.0.0.0:PORT with ``Host: 0.0.0.0:PORT`` (what a browser sends
    for ``http://0.0.0.0:PORT/``) to servers bound to 127.0.0.1 only, without and with
    the Host check: one :class:`HostRow` each.
    Introduced in notebooks/08-when-loopback-leaks.ipynb.
    """
    target: str
    rows: tuple

    def to_dict(self) -> dict:
        """``{server: served}``."""
        return {row.server: row.served for row in self.rows}


def zero_address_demo() -> ZeroAddressRun:
    """Connect to 0.0.0.0 where the servers listen on 127.0.0.1 only: on Linux (and
    macOS) the kernel delivers it to loopback (``sent_to`` and ``server_saw`` are
    127.0.0.1); the Host check refuses it, 0.0.0.0 not being a loopback name.

    Introduced in notebooks/08-when-loopback-leaks.ipynb.
    """
    return ZeroAddressRun("0.0.0.0", _both_servers(lambda p: (f"0.0.0.0:{p}",), "0.0.0.0"))


@dataclass(frozen=True)
class KernelSource:
    """Where the Linux kernel turns a connection to 0.0.0.0 (or ``::``) into one to
    loopback: file, function, what it does, the lines, and a link.
    Introduced in notebooks/08-when-loopback-leaks.ipynb.
    """
    file: str
    function: str
    what: str
    lines: str
    url: str

    def __str__(self) -> str:
        return f"{self.file}, {self.function}: {self.what}\n{self.lines}\n{self.url}"


#: The kernel lines behind "connecting to 0.0.0.0 reaches loopback".
KERNEL_SOURCES = (
    KernelSource(
        "net/ipv4/route.c", "ip_route_output_key_hash_rcu()",
        "destination 0 becomes the bound source address, else 127.0.0.1 as destination and "
        "source, via the loopback device (some versions split the last assignment)",
        "if (!fl4->daddr) {\n"
        "        fl4->daddr = fl4->saddr;\n"
        "        if (!fl4->daddr)\n"
        "                fl4->daddr = fl4->saddr = htonl(INADDR_LOOPBACK);\n"
        "        dev_out = net->loopback_dev;\n"
        "        fl4->flowi4_oif = LOOPBACK_IFINDEX;",
        "https://github.com/torvalds/linux/blob/master/net/ipv4/route.c"),
    KernelSource(
        "net/ipv6/tcp_ipv6.c", "tcp_v6_connect()",
        "connect() to :: goes to ::1 (::ffff:127.0.0.1 for a socket bound IPv4-mapped)",
        "/*\n"
        " *      connect() to INADDR_ANY means loopback (BSD'ism).\n"
        " */\n"
        "if (ipv6_addr_any(&usin->sin6_addr)) {\n"
        "        if (ipv6_addr_v4mapped(&sk->sk_v6_rcv_saddr))\n"
        "                ipv6_addr_set_v4mapped(htonl(INADDR_LOOPBACK),\n"
        "                                       &usin->sin6_addr);\n"
        "        else\n"
        "                usin->sin6_addr = in6addr_loopback;\n"
        "}",
        "https://github.com/torvalds/linux/blob/master/net/ipv6/tcp_ipv6.c"),
)
