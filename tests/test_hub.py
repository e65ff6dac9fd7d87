"""A real JupyterHub classroom on this machine (tests/benchmarks/hub.py, bench_hub.py):
three learners take lessons through the hub, two learners are isolated from each other,
the hub leaves nothing behind and never touches users it did not make, and the
Zero to JupyterHub values file matches the chart and the measured figures.

The hub needs Linux, root (it makes Unix users), jupyterhub (the ``hub`` extra) and
configurable-http-proxy (npm); where one is missing the hub tests are skipped, and
failed under CI (``.ci/run`` installs them).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from contextlib import contextmanager
from pathlib import Path

import pytest
from shared_checks import skip_or_fail

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "tests" / "benchmarks"
VALUES = ROOT / "hub" / "z2jh-values.yaml"
GUIDE = ROOT / "instructors" / "README.md"
LAST = re.compile(r"learners=(\d+) failures=(\d+) wall_s=(\d+\.\d) "
                  r"peak_mib_per_learner=(\d+) p95_lesson_s=(\d+\.\d)")
#: The lessons of the CI run of three learners: the kernel's own loopback (00),
#: namespaces (03), a PostgreSQL server per learner (06), leaks (08).
CI_LESSONS = "00,03,06,08"


def _load(name: str):
    if name in sys.modules:
        return sys.modules[name]
    sys.path.insert(0, str(BENCH))
    try:
        spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(BENCH))
    return module


def needs_a_hub():
    """hub.py's own check of the machine: skip (fail under CI) where it cannot run."""
    hubs = _load("hub")
    try:
        hubs.check_machine()
    except hubs.HubError as exc:
        skip_or_fail(f"no hub here: {exc}")
    return hubs


# --------------------------------------------------------------------------- three learners

@pytest.mark.slow
def test_three_learners_take_lessons_through_the_hub_and_nothing_is_left():
    needs_a_hub()
    done = subprocess.run([sys.executable, str(BENCH / "bench_hub.py"), "--learners", "3",
                           "--lessons", CI_LESSONS],
                          capture_output=True, text=True, timeout=1800, cwd=ROOT)
    lines = done.stdout.strip().splitlines()
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    match = LAST.fullmatch(lines[-1])
    assert match, lines[-1]
    learners, failures, wall, peak, p95 = match.groups()
    assert (int(learners), int(failures)) == (3, 0)
    assert float(wall) > 0 and int(peak) > 0 and float(p95) > 0
    rows = [line for line in lines if line.startswith("learner ")]
    assert len(rows) == 3 and all(row.endswith(" ok") for row in rows), rows
    # every learner ran the four lessons, each with its time
    for row in rows:
        lessons = lines[lines.index(row) + 1].split()   # "00 4.1s 03 10.2s ..."
        assert lessons[::2] == CI_LESSONS.split(","), lessons
    assert re.search(r"^cross-talk: 0 of [1-9]\d* sampled", done.stdout, re.M), done.stdout
    assert "port collisions: 0" in lines
    assert re.search(r"^kernel ports outside their learner's block: 0 of [1-9]\d* kernels",
                     done.stdout, re.M), done.stdout
    assert "nothing left: yes" in done.stdout


# --------------------------------------------------------------------------- two learners

@pytest.fixture(scope="module")
def two_learners():
    """A hub with learners A and B, both signed in (their own tokens) with servers
    running; removed afterwards, and nothing of it may be left."""
    hubs = needs_a_hub()
    bench = _load("bench_hub")
    quiet = lambda *args, **kwargs: None  # noqa: E731
    hub = hubs.up(2, say=quiet)
    try:
        clients = []
        passwords = hub.passwords()
        for name in hub.learners:
            client = bench.HubClient(hub.url, name)
            client.sign_in(passwords[name])
            client.start_server()
            clients.append(client)
        yield hub, clients
    finally:
        left = hubs.down(hub, say=quiet)
        assert left == [], left


@contextmanager
def kernel_of(client, notebook: str = "isolation.ipynb"):
    """A kernel of ``client``'s own server, for as long as the block runs."""
    session, kernel_id = client.open_notebook(f"loopedu-workspace/{notebook}")
    channel = client.kernel(kernel_id)
    try:
        channel.wait_ready()
        yield channel
    finally:
        channel.close()
        client.close_notebook(session)


def run(channel, code: str):
    """Run ``code`` in the kernel; its last printed line, read as JSON."""
    result = channel.execute(textwrap.dedent(code))
    assert result["error"] is None, result["error"]
    return json.loads("".join(result["stdout"]).strip().splitlines()[-1])


#: Run in B's kernel: what B's own process may do with each of A's paths.
PROBE = """
import errno, json, os
def probe(path):
    out = {}
    try:
        os.listdir(path) if os.path.isdir(path) else open(path, "rb").close()
        out["read"] = "allowed"
    except OSError as exc:
        out["read"] = errno.errorcode.get(exc.errno, str(exc.errno))
    target = os.path.join(path, "from-b") if os.path.isdir(path) else path
    try:
        with open(target, "ab"):
            pass
        out["write"] = "allowed"
    except OSError as exc:
        out["write"] = errno.errorcode.get(exc.errno, str(exc.errno))
    return out
print(json.dumps({path: probe(path) for path in PATHS}))
"""


@pytest.mark.slow
def test_b_cannot_read_or_write_a_s_workspace_progress_exports_or_logs(two_learners):
    hub, (a, b) = two_learners
    home_a = hub.home(a.name)
    with kernel_of(a) as channel:   # A's work: a prediction, a pass, an export, a log
        made = run(channel, """
            import json, os
            from loopedu.cli import write_crash_log
            from loopedu.class_progress import export_progress
            from loopedu.exercises import check, predict
            predict("01.slash8-size", 2 ** 24)
            check("01.loopback-size", 2 ** 22)
            export_progress(os.path.expanduser("~/progress-export.json"), learner="A")
            log = write_crash_log("hub-test", RuntimeError("a test"))
            print(json.dumps([os.environ["LOOPEDU_HOME"], str(log)]))
        """)
        progress, log = Path(made[0]), Path(made[1])
        runtime = home_a / ".local" / "share" / "jupyter" / "runtime"
        connection = sorted(runtime.glob("kernel-*.json"))
        assert connection, f"no kernel connection file in {runtime}"
        paths = {
            "home": home_a, "workspace": home_a / "loopedu-workspace",
            "lesson": home_a / "loopedu-workspace" / "notebooks" / "00-start-here.ipynb",
            "pulled course": home_a / "loopedu",
            "progress folder": progress, "progress": progress / "progress.json",
            "export": home_a / "progress-export.json",
            "logs": log.parent, "log": log,
            "jupyter runtime": runtime, "kernel connection file": connection[0],
        }
        assert progress == hub.dir / "progress" / a.name
        for what, path in paths.items():   # they exist, as root sees them
            assert path.exists(), what
        with kernel_of(b) as other:
            seen = run(other, f"PATHS = {[str(p) for p in paths.values()]!r}\n" + PROBE)
    for what, path in paths.items():
        assert seen[str(path)] == {"read": "EACCES", "write": "EACCES"}, (what, seen[str(path)])
    assert not list(hub.dir.glob(f"progress/{a.name}/from-b"))
    assert not (home_a / "from-b").exists()


def server_port(uid: int) -> int:
    """The port A's single-user server listens on (root sees it; so could B, with ss)."""
    import psutil

    for proc in psutil.process_iter(["uids", "cmdline"]):
        if proc.info["uids"] and proc.info["uids"].real == uid and \
                "jupyterhub-singleuser" in " ".join(proc.info["cmdline"] or []):
            ports = {c.laddr.port for c in proc.net_connections(kind="tcp")
                     if c.status == psutil.CONN_LISTEN}
            assert len(ports) == 1, ports
            return ports.pop()
    raise AssertionError(f"no single-user server of uid {uid}")


#: Run in B's kernel: GET each URL with B's token and with none; the status codes.
GET = """
import json, urllib.error, urllib.request
def get(url, token=None):
    headers = {"Authorization": f"token {token}"} if token else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers),
                                    timeout=30) as answer:
            return answer.status
    except urllib.error.HTTPError as exc:
        return exc.code
print(json.dumps([[get(url, TOKEN), get(url)] for url in URLS]))
"""


@pytest.mark.slow
def test_b_cannot_reach_a_s_server_or_kernels(two_learners):
    """A's server and A's kernel listen on the shared loopback, so B can connect to
    them; but A's server wants A's token, and A's kernel ignores messages not signed
    with the key that only A's private connection file holds."""
    hub, (a, b) = two_learners
    assert "kernels" in b.server("GET", "/api/status")   # B's token: B's own server
    direct = f"http://127.0.0.1:{server_port(hub.uid(a.name))}/user/{a.name}"
    with kernel_of(a) as channel:
        connection_file, connection, mode = run(channel, """
            import json, os
            from ipykernel.connect import get_connection_file
            cf = get_connection_file()
            print(json.dumps([cf, json.load(open(cf)), oct(os.stat(cf).st_mode & 0o777)]))
        """)
        assert mode == "0o600"
        with kernel_of(b) as other:
            codes = run(other, f"TOKEN = {b.token!r}\nURLS = "
                        f"{[f'{hub.url}/user/{a.name}/api/kernels', f'{direct}/api/kernels']!r}\n"
                        + GET)
            seen = run(other, f"""
                import json, os, tempfile, uuid
                import zmq
                from jupyter_client.session import Session
                results = {{"connection file": os.access({connection_file!r}, os.R_OK)}}
                ctx = zmq.Context()
                shell = ctx.socket(zmq.DEALER)
                shell.connect("tcp://127.0.0.1:{connection['shell_port']}")
                marker = os.path.join(tempfile.gettempdir(), "from-b-" + uuid.uuid4().hex)
                Session(key=b"not-the-key").send(shell, "execute_request", {{
                    "code": f"open({{marker!r}}, 'w').close()", "silent": False,
                    "store_history": False, "user_expressions": {{}},
                    "allow_stdin": False, "stop_on_error": True}})
                results["kernel answered"] = bool(shell.poll(5000))
                results["marker"] = marker
                shell.close(0)
                ctx.term()
                print(json.dumps(results))
            """)
    (proxy_b, proxy_none), (direct_b, direct_none) = codes
    assert proxy_b == 403 and proxy_none in (302, 401, 403), codes
    assert direct_b == 403 and direct_none in (302, 401, 403), codes
    assert seen["connection file"] is False
    assert seen["kernel answered"] is False, "A's kernel answered a message B signed"
    assert not Path(seen["marker"]).exists(), "B ran code in A's kernel"


@pytest.mark.slow
def test_each_learner_s_namespaces_are_its_own_user_namespace(two_learners):
    """A namespace lab of A runs in a user namespace of A's own (A is not root); B
    cannot enter it or even look at it."""
    hub, (a, b) = two_learners
    with kernel_of(a) as channel:
        held = run(channel, """
            import json, os
            from loopedu.sandbox import USER, namespace
            holder = namespace("hubisolation")
            ns = holder.__enter__()
            print(json.dumps({"pid": ns.pid, "mechanism": ns.mechanism,
                              "user": os.readlink(f"/proc/{ns.pid}/ns/user"),
                              "mine": os.readlink("/proc/self/ns/user"),
                              "uid": os.getuid(), "is_user": ns.mechanism == USER}))
        """)
        assert held["uid"] == hub.uid(a.name) and held["uid"] != 0
        assert held["is_user"] and held["user"] != held["mine"], held
        with kernel_of(b) as other:
            tried = run(other, f"""
                import json, os, subprocess
                out = {{}}
                try:
                    os.readlink("/proc/{held['pid']}/ns/net")
                    out["look"] = "allowed"
                except OSError as exc:
                    out["look"] = exc.errno
                done = subprocess.run(["nsenter", "--target", "{held['pid']}", "--user",
                                       "--preserve-credentials", "--net", "--", "true"],
                                      capture_output=True, text=True)
                out["enter"] = [done.returncode, done.stderr.strip()]
                print(json.dumps(out))
            """)
        run(channel, "holder.__exit__(None, None, None); print('[]')")
    assert tried["look"] == 13, tried          # EACCES
    assert tried["enter"][0] != 0 and "ermission" in tried["enter"][1], tried


@pytest.mark.slow
def test_the_class_report_reads_progress_only_where_the_instructor_has_access(
        two_learners):
    hub, (a, b) = two_learners
    hubs = _load("hub")
    for client in (a, b):
        with kernel_of(client) as channel:
            run(channel, """
                from loopedu.exercises import check
                print(int(check("01.loopback-size", 2 ** 22).passed))
            """)
    progress = hub.dir / "progress"
    report = ["loopedu", "class-report", str(progress), "--json"]
    env = {"PATH": f"{hub.venv}/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}
    runuser = shutil.which("runuser") or "/usr/sbin/runuser"
    teacher = subprocess.run([runuser, "-u", hubs.instructor_name(hub.id), "--", *report],
                             capture_output=True, text=True, timeout=120, cwd="/",
                             env={**env, "HOME": "/"})
    assert teacher.returncode == 0, teacher.stderr
    rows = {row["file"] for row in json.loads(teacher.stdout)["learners"]}
    assert rows == {f"{a.name}/progress.json", f"{b.name}/progress.json"}, rows
    with kernel_of(b) as channel:
        seen = run(channel, f"""
            import json, subprocess
            done = subprocess.run({report!r}, capture_output=True, text=True)
            print(json.dumps([done.returncode, done.stdout, done.stderr]))
        """)
    code, out, err = seen
    assert code == 0, err
    rows = {row["file"] for row in json.loads(out)["learners"]}
    assert rows == {f"{b.name}/progress.json"}, (rows, err)


# --------------------------------------------------------------------------- up and down

@pytest.mark.slow
def test_down_after_a_crash_removes_everything_and_never_touches_others(monkeypatch,
                                                                        tmp_path):
    """The hub is killed (SIGKILL, no clean-up of its own) while a learner's server runs;
    ``down`` finds the hub by its state folder and removes it all. A user that looks
    like one of the hub's but was not made by it (no ``loopedu-hub ID`` comment) is
    left alone, and ``up`` refuses to start over it."""
    hubs = needs_a_hub()
    bench = _load("bench_hub")
    hub = hubs.up(1, say=lambda *a, **k: None)
    try:
        client = bench.HubClient(hub.url, hub.learners[0])
        client.sign_in(hub.passwords()[hub.learners[0]])
        client.start_server()
        uid = hub.uid(hub.learners[0])
        os.kill(hub.pid, 9)
        assert bench.memory_of(uid)[0] > 0   # the learner's server outlived the hub
    finally:
        done = subprocess.run([sys.executable, str(BENCH / "hub.py"), "down", "--dir",
                               str(hub.dir)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert hubs.leftovers(hub, {uid}) == []
    assert not Path("/home", hubs.system_name(hub.learners[0])).exists()

    # someone else's user with a name of the hub's kind
    monkeypatch.setattr(hubs.secrets, "token_hex", lambda n: "f00d42")
    other = hubs.system_name("lhf00d42-01")
    made = subprocess.run(["useradd", "--no-create-home", "--comment", "someone else",
                           other], capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    try:
        with pytest.raises(hubs.HubError, match="exists already; nothing was changed"):
            hubs.up(1, folder=tmp_path / "state", say=lambda *a, **k: None)
        assert not (tmp_path / "state").exists()
        assert all(hub.id != "f00d42" for hub in hubs.all_hubs())
    finally:
        subprocess.run(["userdel", other], capture_output=True)


def test_hub_names_follow_tljh_and_carry_the_hub_s_mark():
    hubs = _load("hub")
    names = hubs.hub_names("abc123", 3)
    assert names == ["lhabc123-01", "lhabc123-02", "lhabc123-03"]
    assert hubs.system_name(names[0]) == "jupyter-lhabc123-01"
    assert len(hubs.instructor_name("abc123")) <= 32     # useradd's limit
    entry = type("Entry", (), {})()
    entry.pw_name, entry.pw_gecos = "jupyter-lhabc123-01", "loopedu-hub abc123,,,"
    assert hubs.ours(entry, "abc123") and hubs.ours(entry)
    entry.pw_gecos = "loopedu-hub other1"
    assert not hubs.ours(entry, "abc123") and not hubs.ours(entry)
    entry.pw_gecos, entry.pw_name = "loopedu-hub abc123", "jupyter-alice"
    assert not hubs.ours(entry)


def test_the_hub_config_binds_loopback_only_and_runs_learners_as_jupyter_users(
        tmp_path, monkeypatch):
    """Load hub/jupyterhub_config.py as JupyterHub does, on a state folder of our own."""
    pytest.importorskip("jupyterhub")
    from jupyterhub.spawner import LocalProcessSpawner

    namespace = _hub_config(tmp_path, monkeypatch)
    config = namespace["c"]
    assert config.JupyterHub.bind_url == "http://127.0.0.1:8001"
    assert config.JupyterHub.hub_ip == config.Spawner.ip == "127.0.0.1"
    assert config.ConfigurableHTTPProxy.api_url == "http://127.0.0.1:8003"
    assert issubclass(namespace["LearnerSpawner"], LocalProcessSpawner)
    assert namespace["system_name"]("lhabc123-01") == "jupyter-lhabc123-01"
    start = " ".join(config.Spawner.cmd)
    assert start.index("gitpuller") < start.index("loopedu workspace --from")
    assert config.Spawner.cmd[-1].endswith("jupyterhub-singleuser")
    args = " ".join(config.Spawner.args)
    assert "cull_idle_timeout" in args and "jupyter_lsp=False" in args


# --------------------------------------------------------------------------- Kubernetes

#: The `jupyterhub` chart's documented keys that hub/z2jh-values.yaml may set (its
#: values.schema.yaml, the configuration reference of Zero to JupyterHub); below the
#: free-form ones (lifecycleHooks: Kubernetes' own; extraFiles: files) anything goes.
DOCUMENTED = {"singleuser.image.name", "singleuser.image.tag", "singleuser.defaultUrl",
              "singleuser.memory.guarantee", "singleuser.memory.limit",
              "singleuser.cpu.guarantee", "singleuser.cpu.limit",
              "cull.enabled", "cull.timeout", "cull.every"}
FREE_FORM = ("singleuser.lifecycleHooks.", "singleuser.extraFiles.", "singleuser.extraEnv.")


def _paths(tree: dict, prefix: str = "") -> list[str]:
    found = []
    for key, value in tree.items():
        path = f"{prefix}{key}"
        found += _paths(value, path + ".") if isinstance(value, dict) else [path]
    return found


def _mib(size: str) -> int:
    """KubeSpawner's byte sizes: K, M, G are powers of 1024."""
    number, unit = re.fullmatch(r"(\d+)([KMG])", size).groups()
    return int(number) * {"K": 1 / 1024, "M": 1, "G": 1024}[unit]


def _hub_config(tmp_path, monkeypatch, **more) -> dict:
    from traitlets.config import Config

    (tmp_path / "hub").mkdir()
    (tmp_path / "hub" / "hub.json").write_text(json.dumps({
        "hub_names": ["lhabc123-01"], "system_prefix": "jupyter-", "venv": sys.prefix,
        "ports": {"public": 8001, "hub": 8002, "proxy_api": 8003}, "service_token": "t",
        "proxy_command": "configurable-http-proxy", "lean": True,
        "course_repo": "file:///x/course.git", **more}))
    monkeypatch.setenv("LOOPEDU_HUB_STATE", str(tmp_path))
    namespace = {"get_config": Config, "__file__": str(ROOT / "hub" / "jupyterhub_config.py")}
    exec(compile((ROOT / "hub" / "jupyterhub_config.py").read_text(), "config", "exec"),
         namespace)
    return namespace


def test_the_values_file_uses_the_chart_s_documented_keys():
    yaml = pytest.importorskip("yaml")
    values = yaml.safe_load(VALUES.read_text())
    unknown = [p for p in _paths(values)
               if p not in DOCUMENTED and not p.startswith(FREE_FORM)]
    assert unknown == [], f"not keys of the jupyterhub chart: {unknown}"
    hook = " ".join(values["singleuser"]["lifecycleHooks"]["postStart"]["exec"]["command"])
    assert hook.index("gitpuller") < hook.index("loopedu workspace --from loopedu")
    assert values["singleuser"]["defaultUrl"] == \
        "/lab/tree/loopedu-workspace/notebooks/00-start-here.ipynb"
    assert (ROOT / "notebooks" / "00-start-here.ipynb").is_file()


def test_the_values_file_has_the_one_machine_hub_s_server_settings(tmp_path, monkeypatch):
    yaml = pytest.importorskip("yaml")
    pytest.importorskip("jupyterhub")
    config = _hub_config(tmp_path, monkeypatch)
    files = yaml.safe_load(VALUES.read_text())["singleuser"]["extraFiles"]
    (server,) = [f["data"] for f in files.values()
                 if f["mountPath"].endswith("jupyter_server_config.json")]
    assert server["MappingKernelManager"]["cull_idle_timeout"] == config["CULL_IDLE_S"]
    assert server["ServerApp"]["jpserver_extensions"] == \
        dict.fromkeys(config["UNUSED_EXTENSIONS"], False)
    environment = yaml.safe_load(VALUES.read_text())["singleuser"]["extraEnv"]
    assert environment["MALLOC_ARENA_MAX"] == \
        config["c"].Spawner.environment["MALLOC_ARENA_MAX"]


def test_the_sizing_table_follows_from_the_values_file():
    """Each row of the guide's table: min((memory - 1 GiB) / guarantee, CPUs / CPU
    guarantee), with the guarantees of the values file; the guide names them too."""
    yaml = pytest.importorskip("yaml")
    single = yaml.safe_load(VALUES.read_text())["singleuser"]
    memory, cpu = _mib(single["memory"]["guarantee"]), float(single["cpu"]["guarantee"])
    guide = GUIDE.read_text()
    section = guide.split("## Sizing a hub", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (\d+) CPUs, (\d+) GiB \| (\d+) \|$", section, flags=re.M)
    assert len(rows) >= 3, section
    for cpus, gib, learners in rows:
        expected = min((int(gib) * 1024 - 1024) // memory, int(int(cpus) / cpu))
        assert int(learners) == expected, (cpus, gib, learners, expected)
    later = guide.split("## The Zero to JupyterHub values file", 1)[1]
    for key in ("memory", "cpu"):
        for kind in ("guarantee", "limit"):
            assert f"`{key}.{kind}: {single[key][kind]}`" in later, (key, kind)
    assert _mib(single["memory"]["limit"]) > memory


# --------------------------------------------------------------------------- kernel ports

def _kernel_ports():
    pytest.importorskip("jupyter_client")
    spec = importlib.util.spec_from_file_location("kernel_ports", ROOT / "hub" / "kernel_ports.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _free_block(size: int) -> range:
    """``size`` ports below the ephemeral range that nothing holds now."""
    import random
    import socket

    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0]) \
        if Path("/proc/sys/net/ipv4/ip_local_port_range").exists() else 32768
    rng = random.SystemRandom()
    for _ in range(50):
        first = rng.randrange(10_000, low - size)
        block = range(first, first + size)
        free = True
        for port in block:
            with socket.socket() as probe:
                try:
                    probe.bind(("127.0.0.1", port))
                except OSError:
                    free = False
                    break
        if free:
            return block
    pytest.fail("no free block of ports below the ephemeral range")


@pytest.mark.parametrize("spec", ["", "20000", "20010-20000", "80-90", "20000-70000", "a-b"])
def test_a_kernel_port_block_that_is_not_first_last_is_refused(spec):
    kernel_ports = _kernel_ports()
    with pytest.raises(ValueError, match="FIRST-LAST"):
        kernel_ports.parse(spec)
    assert kernel_ports.parse("20000-20059") == range(20000, 20060)


def test_kernels_take_the_block_s_ports_in_turn_skip_a_taken_one_and_fall_back(monkeypatch):
    import socket

    from jupyter_client.provisioning.local_provisioner import LocalPortCache

    kernel_ports = _kernel_ports()
    monkeypatch.setattr(LocalPortCache, "_instance", None)
    block = _free_block(4)
    cache = kernel_ports.install(f"{block[0]}-{block[-1]}")
    assert LocalPortCache.instance() is cache          # what LocalProvisioner asks for
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", block[1]))            # another program holds this one
        got = [cache.find_available_port("127.0.0.1") for _ in range(3)]
        assert got == [block[0], block[2], block[3]]
        fallback = cache.find_available_port("127.0.0.1")   # the block is used up
    assert fallback not in block and fallback > 1023
    cache.return_port(block[0])                        # a kernel shut down: usable again
    assert cache.find_available_port("127.0.0.1") == block[0]


def test_nothing_changes_without_a_block(monkeypatch):
    from jupyter_client.provisioning.local_provisioner import LocalPortCache

    kernel_ports = _kernel_ports()
    monkeypatch.setattr(LocalPortCache, "_instance", None)
    monkeypatch.delenv("LOOPEDU_KERNEL_PORTS", raising=False)
    assert kernel_ports.install() is None
    assert type(LocalPortCache.instance()) is LocalPortCache


def test_each_learner_s_server_gets_its_block_and_the_config_that_applies_it(tmp_path,
                                                                             monkeypatch):
    pytest.importorskip("jupyterhub")
    config = _hub_config(tmp_path, monkeypatch, kernel_ports={"lhabc123-01": "20000-20059"})
    environment = config["c"].Spawner.environment
    spawner = type("Spawner", (), {"user": type("User", (), {"name": "lhabc123-01"})})()
    assert environment["LOOPEDU_KERNEL_PORTS"](spawner) == "20000-20059"
    folder = Path(environment["JUPYTER_CONFIG_PATH"])
    assert "kernel_ports.install()" in (folder / "jupyter_server_config.py").read_text()


def test_learners_blocks_lie_below_the_ephemeral_range_and_never_overlap():
    hubs = _load("hub")
    bench = _load("bench_classroom")
    firsts = bench.kernel_port_blocks(30)
    low = bench.ephemeral_range()[0]
    blocks = [range(f, f + hubs.PORTS_PER_LEARNER) for f in firsts]
    assert all(1024 <= b[0] and b[-1] < low for b in blocks)
    assert len({p for b in blocks for p in b}) == 30 * hubs.PORTS_PER_LEARNER
