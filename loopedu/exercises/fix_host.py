"""08.fix-host: a Host check for a service the lesson did not show, built from this machine.

Introduced in notebooks/08-when-loopback-leaks.ipynb (exercise 08.fix-host).

The lesson's protected server answers to ``localhost``, ``127.0.0.1`` and ``[::1]`` with
its port. The exercise's service is another setup: it listens on 127.0.0.1 and, where
this machine has IPv6 loopback (:func:`loopedu.sandbox.capabilities`), on ::1 too. Its
users also reach it by this machine's own name (``socket.gethostname()``), and some
write a name in its absolute form, with a trailing dot (``localhost.``; RFC 1034 §3.1).
So the battery comes from the learner's machine: two machines with other names, or one
with IPv6 loopback and one without, get different requests and different right answers.
No random seed: the real machine.

What must be refused follows RFC 9110 §7.2 (Host is ``uri-host [":" port]``, no
userinfo; the name is compared whole, without regard to case, RFC 3986 §3.2.2) and the
DNS rebinding attack of Project Zero issue 1447: a name that merely contains or ends
with one of the service's names is someone else's, and so is the right name on another
port. A request that names ``[::1]`` where the service does not listen on ::1 was meant
for another server: 421 Misdirected Request (RFC 9110 §15.5.20).
"""

from __future__ import annotations

import errno
import ipaddress
import re
import socket
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Callable, Iterator

from ..attacker_dns import rebound_dns
from ..rebinding import SECRET, HostTrial, HostValidationReport, _get, _Server
from ..dev_servers import serving
from ..sandbox import capabilities

__all__ = ["Service", "this_service", "service_battery", "check_service", "general_verdict"]

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST_NAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*", re.I)


def _usable(name: str) -> bool:
    """A host name that can stand in a Host header: letters, digits and hyphens in
    dot-separated labels, not localhost and not an address."""
    if not name or len(name) > 253 or not name.isascii() or not _HOST_NAME.fullmatch(name):
        return False
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return name.casefold() not in ("localhost", "localhost.localdomain")
    return False


@dataclass(frozen=True)
class Service:
    """The exercise's service on this machine: ``hostname`` (this machine's own name, or
    "" where it is no usable host name) and ``ipv6`` (it also listens on ::1).

    Introduced in notebooks/08-when-loopback-leaks.ipynb (exercise 08.fix-host).
    """
    hostname: str
    ipv6: bool

    @property
    def listens_on(self) -> tuple[str, ...]:
        """The addresses the service listens on, all at one port."""
        return ("127.0.0.1", "::1") if self.ipv6 else ("127.0.0.1",)

    def __str__(self) -> str:
        name = (f"this machine's name, {self.hostname!r} (socket.gethostname())"
                if self.hostname else "no other name: this machine's name is not a usable "
                                      "host name")
        return (f"The service listens on {' and '.join(self.listens_on)}, one port.\n"
                f"Its users reach it by localhost, by {name}, and by the addresses it "
                "listens on.")


def this_service() -> Service:
    """The service as this machine makes it: its own name, and ::1 where IPv6 loopback
    is on.

    Introduced in notebooks/08-when-loopback-leaks.ipynb (exercise 08.fix-host).
    """
    name = socket.gethostname()
    return Service(name if _usable(name) else "", bool(capabilities().ipv6_loopback))


def _other_case(name: str) -> str:
    swapped = name.swapcase()
    return swapped if swapped != name else "LocalHost"


def service_battery(service: Service, port: int, other: int) -> tuple:
    """(label, Host sent or None, address sent to, must it be served?, why) for each
    request of the check, built from ``service``: the right ones on every address it
    listens on, and the wrong ones the lesson did not send.

    Introduced in notebooks/08-when-loopback-leaks.ipynb (exercise 08.fix-host).
    """
    h = service.hostname
    v4 = "127.0.0.1"
    rows = [
        ("localhost", f"localhost:{port}", v4, True, "the service's own name and port"),
        ("127.0.0.1", f"127.0.0.1:{port}", v4, True, "an address it listens on"),
        ("absolute localhost", f"localhost.:{port}", v4, True,
         "'localhost.' is localhost written as an absolute name (trailing dot)"),
        ("rebound name", f"attacker.example:{port}", v4, False,
         "a rebound name: the attacker's page would read the answer"),
        ("wildcard DNS", f"127.0.0.1.nip.io:{port}", v4, False,
         "a public name that resolves to 127.0.0.1 is still someone else's name"),
        ("0.0.0.0", f"0.0.0.0:{port}", v4, False, "0.0.0.0 is no name of this service"),
        ("no port", "localhost", v4, False, "no port means port 80: another origin"),
        ("empty Host", "", v4, False, "an empty Host names nobody"),
        ("missing Host", None, v4, False, "no Host header at all (your function gets '')"),
    ]
    if service.ipv6:
        rows += [("::1", f"[::1]:{port}", "::1", True,
                  "::1 is an address it listens on here (brackets included)"),
                 ("localhost over ::1", f"localhost:{port}", "::1", True,
                  "the same name and port, over the service's IPv6 socket")]
    else:
        rows.append(("::1, not listened on", f"[::1]:{port}", v4, False,
                     "this machine has no IPv6 loopback, so the service does not listen "
                     "on ::1: the request was meant for another server (421)"))
    if h:
        rows += [
            ("this machine's name", f"{h}:{port}", v4, True,
             "this machine's own name (socket.gethostname()) with the port"),
            ("its name, other case", f"{_other_case(h)}:{port}", v4, True,
             "names are compared without regard to case (RFC 3986 §3.2.2)"),
            ("its name, absolute", f"{h}.:{port}", v4, True,
             "the machine's name written as an absolute name (trailing dot)"),
            ("its name as a subdomain", f"{h}.attacker.example:{port}", v4, False,
             "starts with the machine's name but is the attacker's: compare whole names"),
            ("a name ending in it", f"attacker-{h}:{port}", v4, False,
             "ends with the machine's name but is another name: compare whole names")]
    name = h or "localhost"
    rows += [(f"{'its name' if h else 'localhost'}, other port", f"{name}:{other}", v4, False,
              "the right name on another port is another origin, another service"),
             ("userinfo trick", f"{name}@attacker.example:{port}", v4, False,
              "Host carries no userinfo (RFC 9110 §7.2): the name after '@' is the "
              "attacker's")]
    return tuple(rows)


#: What kind of request each label of :func:`service_battery` is, in words that name no
#: Host value the learner has not seen in the lesson (said after repeated wrong tries).
_KINDS = {
    "localhost": "localhost with the service's port",
    "127.0.0.1": "127.0.0.1 with the service's port",
    "absolute localhost": "localhost written with a trailing dot",
    "rebound name": "a rebound name (an attacker's name that now leads to 127.0.0.1)",
    "wildcard DNS": "a public name that resolves to 127.0.0.1",
    "0.0.0.0": "a Host of 0.0.0.0",
    "no port": "a Host with no port",
    "empty Host": "an empty Host",
    "missing Host": "a request with no Host header",
    "::1": "[::1] with the service's port",
    "localhost over ::1": "localhost with the port, sent to ::1",
    "::1, not listened on": "[::1] where the service does not listen on ::1",
    "this machine's name": "this machine's own name with the port",
    "its name, other case": "this machine's name in another case",
    "its name, absolute": "this machine's name written with a trailing dot",
    "its name as a subdomain": "a name that starts with this machine's name",
    "a name ending in it": "a name that ends with this machine's name",
    "its name, other port": "the right name on another port",
    "localhost, other port": "the right name on another port",
    "userinfo trick": "a Host with userinfo (a name, '@', then another name)",
}


def _kind(label: str) -> str:
    return _KINDS.get(label, label)


def _what_went_wrong(problem: str) -> str:
    """What the learner's function did, from a trial's ``problem``, naming no Host."""
    if problem.startswith("raised "):
        return "raised " + problem[len("raised "):].partition(":")[0]
    if problem.startswith("returned "):
        kind = re.search(r"\(a (\w+)\), not True or False$", problem)
        return (f"returned a {kind.group(1)}, not True or False" if kind else
                "returned something other than True or False")
    return problem  # "did not answer within 1 s", "not asked: it hung ..."


def general_verdict(report: HostValidationReport) -> str:
    """The verdict in numbers and the kind of the first request got wrong, naming no
    Host value (said after repeated wrong tries); where the function raised, hung or
    returned something else, which exception (or what) and on what kind of request.

    Introduced in notebooks/08-when-loopback-leaks.ipynb (exercise 08.fix-host).
    """
    wrong = report.wrong
    broke = [t for t in wrong if t.problem]
    decided = [t for t in wrong if not t.problem]
    served = sum(t.served for t in decided)
    counts = [text for n, text in (
        (served, f"{served} served that must be refused"),
        (len(decided) - served, f"{len(decided) - served} refused that must be served"),
        (len(broke), f"{len(broke)} where your function gave no True or False")) if n]
    parts = [f"{len(wrong)} of {len(report.trials)} requests went wrong "
             f"({', '.join(counts)})."]
    if decided:
        first = decided[0]
        how = ("served it, but it must be refused" if first.served else
               "refused it, but it must be served")
        parts.append(f"Your function got one kind of request wrong first: "
                     f"{_kind(first.label)}. It {how}.")
    if broke:
        where = ("On every request" if len(broke) == len(report.trials) else
                 f"On {_kind(broke[0].label)}, the first it gave no answer for")
        parts.append(f"{where}, your function {_what_went_wrong(broke[0].problem)}.")
    return " ".join(parts)


@contextmanager
def _servers(is_allowed: Callable, service: Service, answer_timeout: float) -> Iterator[dict]:
    """The service's live servers, one per address it listens on, all at one ephemeral
    port: {address: server}. A port taken on ::1 meanwhile is tried again."""
    for _ in range(20):
        with ExitStack() as stack:
            first = _Server(is_allowed, answer_timeout)
            stack.enter_context(serving(first, f"loopedu-fix-host-{first.server_port}"))
            running = {"127.0.0.1": first}
            try:
                for address in service.listens_on[1:]:
                    server = _Server(is_allowed, answer_timeout, (address, first.server_port))
                    running[address] = stack.enter_context(
                        serving(server, f"loopedu-fix-host-{address}"))
            except OSError as exc:
                if exc.errno != errno.EADDRINUSE:
                    raise
                continue
            yield running
            return
    raise OSError(errno.EADDRINUSE, "no port was free on both 127.0.0.1 and ::1")


def _rebound_names(rows: tuple) -> dict[str, tuple[str, ...]]:
    """Each name the battery sends -> its addresses at the moment of the attack:
    localhost's own, 127.0.0.1 for every other (the rebinding), none for addresses."""
    names: dict[str, tuple[str, ...]] = {"localhost": ("127.0.0.1", "::1")}
    for _, host, _, _, _ in rows:
        name = (host or "").rpartition("@")[2].rpartition(":")[0] or (host or "")
        name = name.rstrip(".").casefold()
        try:
            ipaddress.ip_address(name.strip("[]"))
        except ValueError:
            if name:
                names.setdefault(name, ("127.0.0.1",))
    return names


def check_service(is_allowed: Callable[[str, int], bool], service: Service | None = None,
                  answer_timeout: float = 1.0) -> HostValidationReport:
    """Run the service (``service``, else :func:`this_service`) live, serving a request
    only when ``is_allowed(host_header, port)`` is True, send it :func:`service_battery`
    and report what was served. Never raises because of ``is_allowed``.

    Introduced in notebooks/08-when-loopback-leaks.ipynb (exercise 08.fix-host).
    """
    service = service or this_service()
    trials = []
    with _servers(is_allowed, service, answer_timeout) as running:
        port = running["127.0.0.1"].server_port
        other = port + 1 if port < 65535 else port - 1
        rows = service_battery(service, port, other)
        with rebound_dns(_rebound_names(rows)):
            for label, host, target, must_serve, why in rows:
                seen = running[target].seen
                before, (status, body, sent_to) = len(seen), _get(port, host, target)
                problem = seen[before][3] if len(seen) > before else ""
                served = status == 200 and body == SECRET
                trials.append(HostTrial(label, host, must_serve, status, served, why,
                                        sent_to, problem))
    return HostValidationReport(port, tuple(trials))
