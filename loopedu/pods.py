"""Containers that share one loopback: a Kubernetes or podman pod, ``--network host`` and
``--network container:X``.

A container has its own ``lo`` only because it has its own network namespace. The
containers of one Kubernetes pod share one: "Every container in a Pod shares the
network namespace, including the IP address and network ports. Inside a Pod (and
only then), the containers that belong to the Pod can communicate with one another
using localhost" (kubernetes.io, Concepts, Workloads, Pods, "Pod networking"). A
podman pod does the same (podman-pod-create(1): ``--share``, the kernel namespaces
its containers share, ``net`` among the defaults). With ``docker run --network
container:X`` "a container will share the network stack of another container", and
``--network host`` uses "the host's network stack" (Docker's run reference, network
settings). So a server bound to 127.0.0.1 in one of them is reachable from the others
over that same 127.0.0.1.

The demo: two "containers" as two processes in ONE namespace (the "pod"), the "app"
serving on 127.0.0.1 (port 0) and a "sidecar" connecting to it; and a third process,
"other", in a namespace of its own, trying the same 127.0.0.1 and port: its own ``lo``
has nothing there (ECONNREFUSED). Each process reports its pid and the identity of its
network namespace (``readlink /proc/self/ns/net``): the app's and the sidecar's are the
same, "other"'s differs. The namespaces are made and removed by :mod:`loopedu.sandbox`
(as root or inside an unprivileged user namespace); where they cannot be made,
:func:`pod_demo` gives the result recorded on Linux, labelled.

Introduced in notebooks/06-loopback-at-work.ipynb.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass

from .connections import Outcome, connect
from .listen_guard import netns_identity
from .sandbox import namespaces
from .sandbox.recordings import Provenance, load_recording, measured_or_recorded, save_recording
from .servers import listener

__all__ = ["RECORDING", "RECORDED_EXPLANATION", "PodVisit", "PodResult", "serve_in_pod",
           "visit_in_pod", "shared_loopback_details", "recorded_pod", "pod_demo",
           "format_pod", "record"]

RECORDING = "pods-06"

#: Why a recorded result is shown, in one paragraph.
RECORDED_EXPLANATION = (
    "This machine cannot make network namespaces (a Linux feature that needs root or "
    "unprivileged user namespaces), so the result below was recorded by running the "
    "same demo on Linux; pids, ports and namespace numbers are those of that run. It "
    "shows that processes in one network namespace, like the containers of one pod, "
    "share one lo: the sidecar reaches the app's 127.0.0.1 server, while a container "
    "with its own namespace finds nothing there.")


@dataclass(frozen=True)
class PodVisit:
    """One "container" (a process) connecting to 127.0.0.1:``port``: its ``name``, its
    ``pid``, the identity of its network namespace (``netns``, ``net:[INODE]``), the
    outcome, and the peer the app's server saw (None if it never saw this client).

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """

    name: str
    pid: int
    netns: str
    port: int
    outcome: Outcome
    server_saw: str | None = None


@dataclass(frozen=True)
class PodResult(Provenance):
    """The app (its ``app_pid`` and ``app_netns``), the visits of the sidecar (same
    namespace) and of "other" (its own), and where the result comes from
    (:class:`~loopedu.sandbox.recordings.Provenance`).

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """

    app_pid: int
    app_netns: str
    visits: tuple

    @property
    def reached(self) -> dict:
        """``{name: did it reach the app's 127.0.0.1 server}``: on Linux
        ``{"sidecar": True, "other": False}``."""
        return {v.name: v.outcome.connected and v.server_saw is not None
                for v in self.visits}

    @property
    def shares_namespace(self) -> dict:
        """``{name: is it in the app's network namespace}``."""
        return {v.name: v.netns == self.app_netns for v in self.visits}

    def to_dict(self) -> dict:
        """Plain data, ready for json.dumps."""
        return {**super().to_dict(), "app_pid": self.app_pid, "app_netns": self.app_netns,
                "reached": self.reached,
                "shares_namespace": self.shares_namespace,
                "visits": [{**dataclasses.asdict(v), "outcome": str(v.outcome)}
                           for v in self.visits]}


def serve_in_pod(channel) -> str:
    """The app, run inside the pod's namespace: listen on 127.0.0.1 (port 0), send
    ``(port, pid, netns)``, then answer each client address received with the peer it
    was seen as (None if never), until None or ``"done"``.

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """
    with listener("127.0.0.1") as srv:
        channel.send((srv.port, os.getpid(), netns_identity() or ""))
        while (local := channel.receive()) not in (None, "done"):
            peer = srv.wait_for_peer(tuple(local), timeout=2)
            channel.send(peer[0] if peer else None)
    return "stopped"


def visit_in_pod(name: str, port: int, timeout: float = 1.0) -> tuple:
    """A container's side, run in a child: connect to 127.0.0.1:``port``; returns
    ``(PodVisit without server_saw, the client's own address or None)``.

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """
    attempt = connect("127.0.0.1", port, timeout=timeout)
    return (PodVisit(name, os.getpid(), netns_identity() or "", port, attempt.outcome),
            attempt.local)


def shared_loopback_details(timeout: float = 1.0) -> PodResult:
    """Run the demo (see the module's text) in two fresh namespaces, the "pod" and
    "other"'s own. Raises :class:`loopedu.sandbox.NamespaceUnavailable` where namespaces
    cannot be made (:func:`pod_demo` shows the recorded result then).

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """
    with namespaces("pod", "own") as (pod, own), \
            pod.start("loopedu.pods:serve_in_pod") as app:
        port, app_pid, app_netns = app.receive(timeout=30)
        visits = []
        for name, ns in (("sidecar", pod), ("other", own)):
            visit, local = ns.call("loopedu.pods:visit_in_pod", name, port, timeout,
                                   timeout=30 + timeout)
            if local is not None:
                app.send(list(local))
                visit = dataclasses.replace(visit, server_saw=app.receive(timeout=10))
            visits.append(visit)
        app.send("done")
        mechanism = pod.mechanism
    return PodResult(app_pid, app_netns, tuple(visits), mechanism=mechanism,
                     where=f"measured here, in two network namespaces made as {mechanism}")


def recorded_pod() -> PodResult:
    """The demo as recorded on Linux (``loopedu/data/pods-06-recorded.json``; its
    ``where`` says where, when and how), for machines that cannot make namespaces.

    >>> recorded_pod().reached
    {'sidecar': True, 'other': False}

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """
    return load_recording(RECORDING)


def pod_demo(timeout: float = 1.0) -> PodResult:
    """:func:`shared_loopback_details` where namespaces can be made; elsewhere
    :func:`recorded_pod`, with ``why_recorded`` saying why.

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """
    return measured_or_recorded(shared_loopback_details, RECORDING, timeout)


def record(path=None) -> dict:
    """Run :func:`shared_loopback_details` here and save it as the recording (Linux,
    best as root: ``python -c "from loopedu import pods; pods.record()"``).

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """
    return save_recording(RECORDING, shared_loopback_details(), path=path)


def format_pod(result: PodResult) -> str:
    """Text for a :class:`PodResult`.

    Introduced in notebooks/06-loopback-at-work.ipynb.
    """
    lines = result.provenance_lines(RECORDED_EXPLANATION)
    lines.append(f"  app      pid {result.app_pid:<7} {result.app_netns}  serves on "
                 "127.0.0.1")
    for v in result.visits:
        where = "same namespace" if v.netns == result.app_netns else "its own namespace"
        seen = f" (the app saw {v.server_saw})" if v.server_saw else ""
        lines.append(f"  {v.name:<8} pid {v.pid:<7} {v.netns}  {where}: 127.0.0.1:{v.port} "
                     f"{v.outcome}{seen}")
    return "\n".join(lines)
