"""The notebook-safe dev server (http.server on loopback, port 0, quiet, joined) and the
table of default binds, each entry with its source."""

import subprocess
import sys
from pathlib import Path

import pytest
from shared_checks import listening

from loopedu.dev_servers import DEFAULT_BINDS, INDEX_TEXT, dev_server, fetch


def test_serves_a_file_from_the_given_folder(tmp_path, no_threads_or_listeners_left):
    (tmp_path / "notes.txt").write_text("loopback at work\n")
    with dev_server(str(tmp_path)) as srv:
        assert srv.url == f"http://127.0.0.1:{srv.port}/"
        assert ("127.0.0.1", srv.port) in listening()
        got = fetch(srv.url + "notes.txt")
        missing = fetch(srv.url + "nope.txt")
    assert (got.status, got.body) == (200, b"loopback at work\n")
    assert missing.status == 404
    assert any("GET /notes.txt" in line for line in srv.log)   # logged, but not printed
    assert (tmp_path / "notes.txt").exists()                   # the learner's folder stays


def test_the_default_folder_is_temporary(no_threads_or_listeners_left):
    with dev_server() as srv:
        got = fetch(srv.url, limit=20)
        folder = Path(srv.directory)
        assert (folder / "index.html").exists()
    assert got.status == 200 and got.body == INDEX_TEXT.encode()[:20]
    assert not folder.exists()


def test_nothing_reaches_stderr(capfd, no_threads_or_listeners_left):
    with dev_server() as srv:
        fetch(srv.url)
        fetch(srv.url + "missing")
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")


def test_closed_afterwards(no_threads_or_listeners_left):
    with dev_server() as srv:
        pass
    after = fetch(srv.url)
    assert after.status is None and after.error == "refused"
    assert str(after).endswith("no answer (refused)")


def test_closed_after_an_exception_in_the_block(no_threads_or_listeners_left):
    with pytest.raises(RuntimeError):
        with dev_server() as srv:
            assert fetch(srv.url).status == 200
            raise RuntimeError("the learner's cell failed")
    assert fetch(srv.url).error == "refused"


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "198.18.0.1"])
def test_refuses_to_listen_beyond_loopback_without_expose(host, no_threads_or_listeners_left):
    with pytest.raises(ValueError, match="not a loopback address.*expose=True"):
        with dev_server(host=host):
            pass


def test_host_must_be_an_address(no_threads_or_listeners_left):
    with pytest.raises(ValueError, match="IP address"):
        with dev_server(host="localhost"):
            pass


@pytest.mark.needs("ipv6_loopback")
def test_ipv6_loopback(no_threads_or_listeners_left):
    with dev_server(host="::1") as srv:
        assert srv.url == f"http://[::1]:{srv.port}/"
        assert fetch(srv.url).status == 200


@pytest.mark.parametrize("url", ["http://192.0.2.1/", "https://127.0.0.1/",
                                 "http://localhost:8000/", "file:///etc/passwd"])
def test_fetch_only_talks_to_this_machine(url):
    with pytest.raises(ValueError, match="loopback or lab address"):
        fetch(url)


def test_every_default_bind_has_its_source_and_version():
    assert len({entry.tool for entry in DEFAULT_BINDS}) == len(DEFAULT_BINDS)
    for entry in DEFAULT_BINDS:
        assert entry.source.startswith("https://"), entry.tool
        assert entry.applies_to and entry.default and entry.change, entry.tool


def test_default_binds_agree_with_the_fact_sheet():
    """shared/FACTS.md, "Default bind addresses": http.server, MySQL and docker -p listen on
    every interface; Flask, Django, Vite, Jupyter, PostgreSQL, Redis and MongoDB do not."""
    every = {entry.tool.split(" (")[0].split()[0].lower(): entry.all_interfaces
             for entry in DEFAULT_BINDS}
    assert {k for k in ("python", "mysql", "docker") if every[k]} == {"python", "mysql",
                                                                      "docker"}
    assert not any(every[k] for k in ("flask", "django", "vite", "jupyter", "postgresql",
                                      "redis", "mongodb"))
    defaults = {entry.tool.split()[0]: entry.default for entry in DEFAULT_BINDS}
    assert defaults["Django"] == "127.0.0.1:8000"
    assert defaults["Redis"] == "127.0.0.1 -::1"
    assert defaults["PostgreSQL"] == "localhost"


def test_this_pythons_http_server_says_it_binds_every_interface():
    done = subprocess.run([sys.executable, "-m", "http.server", "--help"],
                          capture_output=True, text=True, timeout=30)
    assert "all interfaces" in done.stdout
    (entry,) = [e for e in DEFAULT_BINDS if e.tool == "python -m http.server"]
    assert entry.all_interfaces
