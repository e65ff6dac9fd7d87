"""The reachability matrix of lesson 03: which bind address answers which destination.

One listener per bind address (port 0), one connection to each destination on that
listener's port; each connection is matched to the listener by the client's own address
and port, so a stray connection can never be mistaken for it. Listeners on 0.0.0.0 and
``::`` would be reachable from the network, so the matrix runs in a network namespace of
its own (only ``lo``, this machine's IPv6 settings) wherever one can be made. Elsewhere it
runs here with those rows "not run", unless the learner passes ``expose=True``: then they
run here too, and the result says for how long each such listener was reachable, and on
which port.

Introduced in notebooks/03-bind-address.ipynb.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass

from .connections import Kind, Outcome, errno_name, is_lab_safe
from .listen_guard import may_listen
from .sandbox import isolated_call
from .servers import listener

__all__ = ["DEFAULT_BINDS", "DEFAULT_TARGETS", "Reach", "Matrix", "measure_here",
           "reachability_matrix", "reachability", "reachability_details",
           "format_reachability"]

#: The matrix's rows: where a server listens.
DEFAULT_BINDS = ("127.0.0.1", "0.0.0.0", "127.42.42.42", "::1", "::")
#: The matrix's columns: where a client connects.
DEFAULT_TARGETS = ("127.0.0.1", "127.0.0.2", "127.42.42.42", "::1")


@dataclass(frozen=True)
class Reach:
    """One cell: a listener on ``bind`` (port ``port``, None if the bind failed), a
    client to ``target``, the outcome, and the client address the listener saw
    (``::ffff:127.0.0.1`` for IPv4 reaching a dual-stack ``::``)."""

    bind: str
    target: str
    port: int | None
    outcome: Outcome
    server_saw: str | None = None

    def to_dict(self) -> dict:
        """Plain data (the outcome in words), ready for json.dumps."""
        return {"bind": self.bind, "target": self.target, "port": self.port,
                "outcome": str(self.outcome), "server_saw": self.server_saw}


@dataclass(frozen=True)
class Matrix:
    """The whole matrix, where it ran and what it exposed (see
    :func:`reachability_matrix`)."""

    rows: tuple
    isolated: bool
    where: str
    exposures: tuple = ()

    def outcome(self, bind: str, target: str) -> Outcome:
        """The outcome of one cell."""
        return next(r.outcome for r in self.rows if (r.bind, r.target) == (bind, target))

    def to_dict(self) -> dict:
        """``{(bind, target): "connected" / "refused" / ...}``, the classic form."""
        return {(r.bind, r.target): str(r.outcome) for r in self.rows}


def _check_targets(targets) -> None:
    for target in targets:
        if not is_lab_safe(target):
            raise ValueError(f"{target} is not a loopback address: experiments only "
                             "connect to loopback (and to the namespaces of the LAN lab)")


def measure_here(binds, targets, timeout: float = 1.0, v6only: bool | None = None,
                 expose: bool = False) -> tuple[tuple, tuple]:
    """Run the matrix on this process's own network stack; returns (rows, exposures).
    A bind the course may not listen on here (:func:`loopedu.listen_guard.may_listen`)
    gives "not run" rows and binds nothing.

    Introduced in notebooks/03-bind-address.ipynb.
    """
    _check_targets(targets)
    rows, exposures = [], []
    for bind in binds:
        if not may_listen(bind, expose):
            rows += [Reach(bind, t, None, Outcome(Kind.NOT_RUN)) for t in targets]
            continue
        with ExitStack() as stack:
            try:
                srv = stack.enter_context(listener(bind, v6only=v6only, expose=expose))
            except OSError as exc:
                failed = Outcome(Kind.BIND_FAILED, errno_name(exc))
                rows += [Reach(bind, t, None, failed) for t in targets]
                continue
            for target in targets:
                outcome, saw = srv.reach(target, timeout)
                rows.append(Reach(bind, target, srv.port, outcome, saw[0] if saw else None))
        exposure = srv.exposure()
        if exposure is not None:
            exposures.append(exposure)
    return tuple(rows), tuple(exposures)


def reachability_matrix(binds=DEFAULT_BINDS, targets=DEFAULT_TARGETS, timeout: float = 1.0,
                        v6only: bool | None = None, *, expose: bool = False) -> Matrix:
    """Bind a listener on each of ``binds``, connect to each of ``targets`` on its port.

    Outcomes: connected, refused, timeout, unreachable, ``bind failed: ERRNO``
    (``EADDRNOTAVAIL``: no interface has that address), ``failed: ERRNO``, and
    ``connected to another socket`` in the rare case where a different program listened
    on the same port number in the other family, and ``not run`` for a bind beyond
    loopback on a machine without network namespaces, unless ``expose=True`` (see
    :func:`loopedu.sandbox.isolated_call`). A client uses the target's family, so
    an IPv4 target reaches an IPv6 bind only through a dual-stack ``::`` (Linux default
    ``net.ipv6.bindv6only=0``; ``v6only=True`` turns it off, Windows' default).

    >>> m = reachability_matrix(["127.0.0.1", "0.0.0.0"], ["127.0.0.2"])
    >>> str(m.outcome("127.0.0.1", "127.0.0.2")), str(m.outcome("0.0.0.0", "127.0.0.2"))
    ('refused', 'connected')

    Introduced in notebooks/03-bind-address.ipynb.
    """
    _check_targets(targets)
    binds, targets = list(binds), list(targets)
    # the connect timeout goes to the experiment, positionally; the child's own deadline
    # covers starting Python in a namespace on a busy machine and every connect
    run = isolated_call("loopedu.reachability:measure_here", binds, targets, timeout,
                        timeout=60 + timeout * len(binds) * len(targets), v6only=v6only,
                        expose=expose)
    rows, exposures = run.result
    return Matrix(rows, run.isolated, run.reason, () if run.isolated else exposures)


def reachability(binds=DEFAULT_BINDS, targets=DEFAULT_TARGETS, timeout: float = 1.0,
                 v6only: bool | None = None, *, expose: bool = False) -> dict:
    """:func:`reachability_matrix` as ``{(bind, target): outcome in words}``.

    Introduced in notebooks/03-bind-address.ipynb.
    """
    return reachability_matrix(binds, targets, timeout, v6only, expose=expose).to_dict()


def reachability_details(binds=DEFAULT_BINDS, targets=DEFAULT_TARGETS,
                         timeout: float = 1.0, v6only: bool | None = None, *,
                         expose: bool = False) -> list[dict]:
    """:func:`reachability_matrix` as plain rows ``{"bind", "target", "port", "outcome",
    "server_saw"}`` (``loopedu experiment reachability --json``).

    Introduced in notebooks/03-bind-address.ipynb.
    """
    return [r.to_dict() for r in reachability_matrix(binds, targets, timeout, v6only,
                                                      expose=expose).rows]


def format_reachability(matrix) -> str:
    """The matrix as text: a row per bind address, a column per target, then where it
    ran (a :class:`Matrix`, or the ``{(bind, target): outcome}`` mapping).

    >>> print(format_reachability({("127.0.0.1", "127.0.0.2"): "refused"}))
    listening on \\ connecting to  127.0.0.2
    127.0.0.1                     refused

    Introduced in notebooks/03-bind-address.ipynb.
    """
    result = matrix.to_dict() if isinstance(matrix, Matrix) else matrix
    binds = list(dict.fromkeys(b for b, _ in result))
    targets = list(dict.fromkeys(t for _, t in result))
    first = max(len("listening on \\ connecting to"), *(len(b) for b in binds)) + 2
    width = max(len(t) for t in [*targets, *result.values()]) + 2
    lines = ["listening on \\ connecting to".ljust(first)
             + "".join(t.ljust(width) for t in targets).rstrip()]
    for bind in binds:
        lines.append(bind.ljust(first) + "".join(result.get((bind, t), "").ljust(width)
                                                 for t in targets).rstrip())
    if isinstance(matrix, Matrix):
        lines.append(f"({matrix.where})")
        lines += [f"note: {exposure}" for exposure in matrix.exposures]
    return "\n".join(lines)

