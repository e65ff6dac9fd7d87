"""The kernel's own loopback sockets, read from a real kernel."""

import json

import pytest

from loopedu import kernel_link
from loopedu.servers import listener


def test_outside_a_kernel_there_is_no_connection_file():
    assert kernel_link.connection_info() is None


def test_sockets_are_labelled_by_channel_and_loopback():
    with listener("127.0.0.1") as srv:
        info = {"shell_port": srv.port, "iopub_port": 1, "stdin_port": 2,
                "control_port": 3, "hb_port": 4}
        rows = kernel_link.kernel_sockets(info=info)
    mine = [r for r in rows if r.local and r.local[1] == srv.port]
    assert mine == [kernel_link.KernelSocket(("127.0.0.1", srv.port), None, "LISTEN", True,
                                             "shell")]


@pytest.mark.needs("network_namespaces")
def test_a_socket_on_every_interface_is_not_loopback():
    """The listener on 0.0.0.0 lives where nothing real is exposed: a namespace without
    the course's mark, where the course behaves as on a host (expose=True)."""
    from netns_helpers import run_as_host_without_namespaces

    from loopedu.sandbox import namespace

    with namespace("kernel") as ns:
        port, rows = run_as_host_without_namespaces(ns, (
            "from loopedu import kernel_link\n"
            "from loopedu.servers import listener\n"
            "with listener('0.0.0.0', expose=True) as srv:\n"
            "    result = (srv.port, kernel_link.kernel_sockets(info={}))"))
    mine = [r for r in rows if r.local and r.local[1] == port]
    assert len(mine) == 1 and mine[0].loopback is False and mine[0].channel == "other"


def test_connection_info_reads_a_real_kernel_without_its_key():
    jupyter_client = pytest.importorskip("jupyter_client")
    km, kc = jupyter_client.manager.start_new_kernel(kernel_name="python3")
    streams = []

    def keep(msg):
        if msg["msg_type"] == "stream":
            streams.append(msg["content"]["text"])

    try:
        kc.execute_interactive(
            "import json, dataclasses; from loopedu import kernel_link; "
            "print(json.dumps([kernel_link.connection_info(), "
            "[dataclasses.asdict(s) for s in kernel_link.kernel_sockets()]]))",
            output_hook=keep, timeout=60)
        expected = km.get_connection_info()
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    info, sockets = json.loads("".join(streams))
    assert "key" not in info
    assert info["ip"] == expected["ip"] == "127.0.0.1"
    assert info["shell_port"] == expected["shell_port"]
    listening = {s["channel"] for s in sockets if s["status"] == "LISTEN"}
    assert {"shell", "iopub", "stdin", "control", "hb"} <= listening
    assert all(s["loopback"] for s in sockets)
