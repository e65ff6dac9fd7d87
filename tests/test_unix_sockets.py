"""Abstract Unix sockets have no permissions (unix(7), FACTS §7): an ordinary user
connects to root's abstract socket, while a socket file of mode 0600 refuses them."""

import json
import socket
import subprocess
import sys

import pytest

from loopedu import unix_sockets
from loopedu.sandbox.recordings import recording_path


def check_abstract(result):
    assert result.name.startswith("@loopedu-abstract-")
    assert result.file_mode == "srw-------" and result.uid != 0
    assert (result.abstract, result.file) == ("connected", "EACCES")


@pytest.mark.needs("root")
def test_an_ordinary_user_connects_to_roots_abstract_socket():
    result = unix_sockets.abstract_socket_permissions()
    check_abstract(result)
    assert result.mechanism == "root" and result.why_recorded == ""
    assert result.uid == unix_sockets.ORDINARY_UID
    # and it is closed again: nothing listens on that name any more
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe, \
            pytest.raises(ConnectionRefusedError):
        probe.connect("\0" + result.name[1:])


def test_without_root_the_recording_stands_in_and_says_why(monkeypatch):
    monkeypatch.setattr(unix_sockets, "is_root", lambda: False)
    result = unix_sockets.abstract_socket_permissions()
    assert result.mechanism == "recorded" and "not root" in result.why_recorded
    check_abstract(result)


@pytest.mark.needs("root")
def test_when_the_ordinary_users_side_cannot_run_it_says_so(monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError("setuid refused (made to fail by the test)")

    monkeypatch.setattr(unix_sockets.subprocess, "run", refuse)
    result = unix_sockets.abstract_socket_permissions()
    assert result.mechanism == "recorded" and "made to fail" in result.why_recorded


def test_the_recording_says_where_and_when():
    result = unix_sockets.recorded_abstract_socket()
    check_abstract(result)
    data = json.loads(recording_path(unix_sockets.ABSTRACT_RECORDING).read_text())
    assert result.where == data["label"] and data["how"].startswith("as root")
    assert data["kernel"] in result.where and data["date"] in result.where


def test_the_ordinary_users_child_reads_an_abstract_name():
    """The child's program maps "@name" to the abstract name: with no such listener it
    gets ECONNREFUSED (no file to find), where a path would give ENOENT."""
    done = subprocess.run([sys.executable, "-I", "-S", "-c", unix_sockets._CONNECT,
                           "@loopedu-no-such-abstract-name"], capture_output=True,
                          text=True, timeout=20)
    assert done.stdout.strip() == "ECONNREFUSED"
