"""Predict, observe, explain: predictions kept in the learner's progress file with the
machine's fingerprint, compared fairly (tolerances, "not measured here", recordings),
and after a surprise the learner's explanation before the course's."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from shared_checks import run_together

from loopedu.connections import Kind, Outcome
from loopedu.exercises import (
    NOT_MEASURED,
    Recording,
    explain,
    machine,
    predict,
    progress_store,
    reveal,
    within,
)
from loopedu.exercises.predictions import forget_predictions
from loopedu.sandbox import Capability, assume

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    """Each test its own progress folder (the store is the predictions' only memory)."""
    monkeypatch.setenv("LOOPEDU_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(progress_store, "_UNSAVED", {})
    monkeypatch.setattr(progress_store, "_PENDING", {})
    monkeypatch.setattr(progress_store, "_TOLD", set())
    return tmp_path / "home"


def stored(home, section):
    return json.loads((home / "progress.json").read_text())[section]


# --- what predict and reveal said before, still said ---------------------------------

def test_a_matching_prediction():
    assert "Recorded your prediction for 03.test: 'Refused '" == str(predict("03.test", "Refused "))
    r = reveal("03.test", "refused", why="nothing listens there")
    assert r.recorded and r.matched and r.differences == ()
    assert str(r).splitlines()[1:] == ["As you predicted.", "Why: nothing listens there"]


def test_a_surprise_names_each_item_that_differs_and_an_unpredicted_one_is_not_a_difference():
    predict("03.phone", {"127.0.0.1": "yes", "0.0.0.0": True, "::1": False})
    r = reveal("03.phone", {"127.0.0.1": False, "0.0.0.0": True, "::1": False, "::": True})
    assert r.surprise and not r.matched and r.compared == 3
    assert r.differences == ("127.0.0.1: you said yes, it was False",)
    assert r.not_predicted == ("::",)
    assert "A surprise: 1 of 3 differ" in str(r) and "Not predicted: ::." in str(r)


@pytest.mark.parametrize("guess,actual,same", [
    (16777216, 16_777_216.0, True), ("16777216", 16777216, False), (True, "yes", True),
    ([1, 2], (1, 2), True), ([2, 1], [1, 2], False), ({"b", "a"}, {"a", "b"}, True)])
def test_lenient_but_not_careless(guess, actual, same):
    predict("01.test", guess)
    assert reveal("01.test", actual).matched is same


@pytest.mark.parametrize("skipped", [..., None, {"a": ..., "b": ...}, [None, ...]])
def test_a_skipped_prediction_is_noted_not_an_error(skipped):
    receipt = predict("00.test", skipped)
    assert receipt.startswith("No prediction recorded for 00.test")
    r = reveal("00.test", "refused", why="a reset")
    assert not r.recorded and not r.matched and r.verdict == "no prediction"
    assert "You made no prediction this time" in str(r)
    assert "your machine did 'refused'" in str(r) and "Why: a reset" in str(r)


def test_a_new_prediction_replaces_the_old_one_and_the_old_is_kept(home):
    predict("00.test", "connected")
    predict("00.test", "refused")
    assert reveal("00.test", "refused").matched
    entry = stored(home, "predictions")["00.test"]
    assert entry["value"] == "refused"
    assert [e["value"] for e in entry["earlier"]] == ["connected"]
    predict("00.test", ...)  # withdrawn: no prediction, history kept
    assert not reveal("00.test", "connected").recorded
    assert [e["value"] for e in stored(home, "predictions")["00.test"]["earlier"]] == [
        "connected", "refused"]


def test_forget_predictions_withdraws_one_lesson_or_all():
    predict("03.a", 1)
    predict("04.b", 2)
    forget_predictions(3)
    assert not reveal("03.a", 1).recorded and reveal("04.b", 2).recorded
    forget_predictions()
    assert not reveal("04.b", 2).recorded


def test_bad_ids_and_tolerances_are_refused_clearly():
    for bad in ("3.phone", "03 phone", "03.Phone", 3):
        with pytest.raises(ValueError, match="looks like '03.phone-reaches'"):
            predict(bad, True)
    with pytest.raises(ValueError, match=r"takes within\(\.\.\.\)"):
        predict("07.x", 40, tolerance=2)
    for kwargs in ({}, {"factor": 2, "percent": 5}, {"factor": 0.5}, {"percent": -1},
                   {"absolute": float("nan")}, {"magnitude": True}):
        with pytest.raises(ValueError):
            within(**kwargs)


# --- kept in the store, with the machine's fingerprint ---------------------------------

def test_a_prediction_is_stored_with_its_time_and_this_machines_fingerprint(home):
    machine.forget_fingerprint()
    try:
        with assume(root=False, ipv6_loopback=Capability(False, "IPv6 off"),
                    network_namespaces=Capability(False, "no netns")):
            predict("05.test", {"a": 1})
        entry = stored(home, "predictions")["05.test"]
        assert entry["value"] == {"a": 1} and entry["at"].endswith("+00:00")
        assert entry["machine"]["root"] is False
        assert entry["machine"]["ipv6_loopback"] is False
        assert entry["machine"]["network_namespaces"] is False
        import socket
        names = {info[4][0] for info in socket.getaddrinfo("localhost", None,
                                                           type=socket.SOCK_STREAM)}
        assert set(entry["machine"]["localhost"]) == names
        assert {"platform", "glibc_multi"} <= set(entry["machine"])
    finally:
        machine.forget_fingerprint()


#: One kernel of the learner: waits for the go file, then predicts ``count`` ids.
PREDICTOR = """
import sys, time
from pathlib import Path
from loopedu.exercises import predict
prefix, count, go = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
deadline = time.monotonic() + 60
while not go.exists() and time.monotonic() < deadline:
    time.sleep(0.001)
for n in range(count):
    receipt = predict(f"{prefix}.p-{n}", n)
    if "could not" in receipt:
        print(receipt)
"""


def test_two_kernels_predicting_at_once_lose_nothing(tmp_path, home):
    """Without the lock, one process's write replaces a file the other has just
    changed, and predictions are lost."""
    go = tmp_path / "go"
    env = {**os.environ, "LOOPEDU_HOME": str(home),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT),
                                                       os.environ.get("PYTHONPATH")]))}
    kernels, count = 2, 30
    for code, out, err in run_together(PREDICTOR, [(f"9{k}", count) for k in range(kernels)],
                                       env, go):
        assert code == 0 and out == "", out + err
    saved = stored(home, "predictions")
    expected = {f"9{k}.p-{n}": n for k in range(kernels) for n in range(count)}
    assert {ident: saved[ident]["value"] for ident in saved} == expected


def test_explain_after_a_kernel_restart_still_shows_the_courses_why(home):
    """The why is kept by reveal in the store: a new process (a restarted kernel) that
    never saw the reveal call still shows it after the explanation."""
    predict("07.stall", 4, tolerance=within(factor=2))
    assert reveal("07.stall", 47.6, why="a delayed ACK").surprise
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-c", "from loopedu.exercises import explain; "
                           "print(explain('07.stall', 'Nagle waits'))"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["Recorded your explanation for 07.stall: 'Nagle waits'",
                                        "The course's explanation: a delayed ACK"]
    assert stored(home, "explanations")["07.stall"]["text"] == "Nagle waits"


# --- a fair comparison ----------------------------------------------------------------

def test_tolerance_40_against_47_6_within_a_factor_of_2_matches_and_4_does_not(home):
    receipt = predict("07.nagle-stall", 40, tolerance=within(factor=2))
    assert "within a factor of 2" in receipt
    r = reveal("07.nagle-stall", 47.6, why="delayed ACK")
    assert r.matched and r.approximately
    assert str(r).splitlines()[:2] == [
        "07.nagle-stall: you predicted 40 (within a factor of 2); your machine did 47.6.",
        "As you predicted (within a factor of 2)."]
    predict("07.nagle-stall", 4, tolerance=within(factor=2))
    r = reveal("07.nagle-stall", 47.6, why="delayed ACK")
    assert r.surprise
    assert r.differences == ("you said 4, it was 47.6 (not within a factor of 2)",)
    assert stored(home, "reveals")["07.nagle-stall"]["verdict"] == "surprise"


def test_without_a_tolerance_numbers_compare_exactly():
    predict("07.nagle-stall", 40)
    assert reveal("07.nagle-stall", 40.1).surprise
    predict("07.nagle-stall", 40)
    assert reveal("07.nagle-stall", 40.0).matched


@pytest.mark.parametrize("tolerance,predicted,actual,same", [
    (within(percent=10), 90, 100, True), (within(percent=10), 89, 100, False),
    (within(absolute=5), 45, 40, True), (within(absolute=5), 46, 40, False),
    (within(magnitude=1), 5, 47.6, True), (within(magnitude=1), 4, 47.6, False),
    (within(factor=2), -40, 47.6, False), (within(factor=2), 0, 0.0, True),
    (within(factor=2), "40", 47.6, True), (within(factor=2), 40, "47.6", False)])
def test_each_kind_of_tolerance(tolerance, predicted, actual, same):
    predict("07.t", predicted, tolerance=tolerance)
    assert reveal("07.t", actual).matched is same


def test_tolerance_applies_to_numbers_inside_a_mapping():
    predict("07.sizes", {"1 KiB": 10, "128 KiB": 0.3}, tolerance=within(factor=3))
    r = reveal("07.sizes", {"1 KiB": 25.0, "128 KiB": 1.2})
    assert r.differences == ("128 KiB: you said 0.3, it was 1.2 (not within a factor of 3)",)


@pytest.mark.parametrize("actual", [None, "not run", "Not run: IPv6 is on here",
                                    Kind.NOT_RUN, Kind.NOT_RUN.value,
                                    Outcome(Kind.NOT_RUN), NOT_MEASURED])
def test_a_fallback_is_not_measured_here_and_never_a_surprise(actual, home):
    predict("04.lo-down", "ENETUNREACH")
    r = reveal("04.lo-down", actual, why="no route")
    assert r.verdict == "not measured" and not r.surprise and not r.matched
    text = str(r)
    assert "not measured on this machine" in text and "A surprise" not in text
    assert "not measured on this machine (not measured)" not in text
    assert "your machine did" not in text and "Why: no route" in text
    shown = stored(home, "reveals")["04.lo-down"]
    assert shown["verdict"] == "not measured" and shown["source"] == "not measured"
    assert shown["differences"] == []


def test_missing_and_not_run_items_are_not_differences():
    predict("03.matrix", {"a": "refused", "b": "connected", "c": "refused"})
    r = reveal("03.matrix", {"a": "refused", "b": "not run"})  # c was not measured at all
    assert r.matched and r.compared == 1 and r.differences == ()
    assert r.not_measured == ("b", "c")
    assert "Not measured on this machine (not counted): b, c." in str(r)


def test_a_recording_is_never_called_your_machine(home):
    label = "recorded on Linux (Debian 12) as root, 2026-11-29"
    predict("06.container", {"published port": True, "host loopback": False})
    r = reveal("06.container", {"published port": False, "host loopback": False},
               why="the proxy resets", recorded=label)
    text = str(r)
    assert text.splitlines()[0].endswith(
        "a recording made on Linux (Debian 12) as root (2026-11-29) shows "
        "{'published port': False, 'host loopback': False}.")
    assert "your machine" not in text and "the recording differs from your prediction" in text
    shown = stored(home, "reveals")["06.container"]
    assert shown["source"] == "recording"
    assert shown["recording"] == {"where": "Linux (Debian 12) as root", "when": "2026-11-29"}
    predict("08.route", True)
    r = reveal("08.route", True, recorded=Recording(where="Linux 6.1 (Debian 12), as root"))
    assert "The recording agrees with your prediction." in str(r)
    assert "your machine" not in str(r)


# --- explain ------------------------------------------------------------------------

def test_after_a_surprise_the_why_waits_for_the_learners_explanation(home):
    predict("00.closed-port", "timeout")
    r = reveal("00.closed-port", "refused", why="the kernel answers with a reset")
    text = str(r)
    assert "the kernel answers with a reset" not in text
    assert "explain('00.closed-port', '...')" in text
    said = explain("00.closed-port", "  nothing listens,\n so a reset ")
    assert said.splitlines() == [
        "Recorded your explanation for 00.closed-port: 'nothing listens, so a reset'",
        "The course's explanation: the kernel answers with a reset"]
    entry = stored(home, "explanations")["00.closed-port"]
    assert entry["text"] == "nothing listens, so a reset" and entry["at"]


def test_an_explanation_may_be_skipped_and_needs_a_reveal_first(home):
    assert explain("00.x", "my guess").startswith("Nothing has been revealed for 00.x")
    assert not (home / "progress.json").exists()
    predict("00.x", 1)
    reveal("00.x", 2, why="because")
    skipped = explain("00.x", ...)
    assert skipped.splitlines() == ["No explanation recorded for 00.x (that is fine).",
                                    "The course's explanation: because"]
    assert stored(home, "explanations")["00.x"]["skipped"] is True


# --- when the store cannot be written --------------------------------------------------

def test_an_unwritable_store_keeps_predictions_for_the_session_and_says_so_once(
        tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("LOOPEDU_HOME", str(blocker / "home"))
    first = predict("03.a", "refused")
    assert "could not be saved" in first and "LOOPEDU_HOME" in first
    second = predict("03.b", "refused")
    assert second == "Recorded your prediction for 03.b: 'refused'"  # said once
    assert reveal("03.a", "refused").matched and reveal("03.b", "connected").surprise


# --- shown in a notebook --------------------------------------------------------------

def _luminance(hex_colour):
    def channel(c):
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


@pytest.mark.parametrize("actual,label", [("refused", "As predicted"),
                                          ("<b>connected</b>", "A surprise"),
                                          ("not run", "Not measured here")])
def test_html_says_it_in_words_not_colour_alone(actual, label):
    import re

    predict("00.test", "refused")
    html = reveal("00.test", actual)._repr_html_()
    assert 'role="status"' in html and f"Predicted, then ran: {label}" in html
    if "<b>" in actual:  # what the experiment gave is escaped
        assert "&lt;b&gt;connected&lt;/b&gt;" in html and "<b>connected" not in html
    assert re.search(r'aria-hidden="true">[^<]+</span> Predicted', html)
    colour = re.search(r";color:(#[0-9a-fA-F]{6})", html).group(1)
    background = re.search(r"background:(#[0-9a-fA-F]{6})", html).group(1)
    light, dark = sorted([_luminance(colour), _luminance(background)], reverse=True)
    assert (light + 0.05) / (dark + 0.05) >= 4.5


# --- a scripted learner, in a real kernel, on a workspace copy ---------------------------

LEDGER_LESSON = [
    "import os\nfrom loopedu.exercises import predict, reveal, explain, within\nos.getpid()",
    'prediction = ...\n### BEGIN SOLUTION\nprediction = "refused"\n### END SOLUTION\n'
    'predict("00.closed-port", prediction)',
    'reveal("00.closed-port", "refused", why="the kernel answers with a reset")',
    'prediction = ...\n### BEGIN SOLUTION\nprediction = 40\n### END SOLUTION\n'
    'predict("07.nagle-stall", prediction, tolerance=within(factor=2))',
    'reveal("07.nagle-stall", 47.6, why="the server delays its ACK")',
    'prediction = ...\n### BEGIN SOLUTION\nprediction = "ENETUNREACH"\n### END SOLUTION\n'
    'predict("04.lo-down", prediction)',
    'reveal("04.lo-down", "not run", why="no route with lo down")',
]


def _outputs(cell) -> str:
    return "\n".join(o.get("text") or o.get("data", {}).get("text/plain", "")
                     for o in cell.get("outputs", []))


def test_a_scripted_learner_keeps_every_prediction_across_a_kernel_restart(
        tmp_path, monkeypatch):
    """A learner predicts and reveals in the workspace copy of a lesson, the kernel is
    restarted, more predictions follow (and an explanation of a surprise from before the
    restart): the export holds all of them, each with this machine's fingerprint."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    from nbclient.util import run_sync

    from loopedu import cli
    from loopedu.workspace import update_workspace

    course = tmp_path / "course"
    (course / "notebooks").mkdir(parents=True)
    (course / "loopedu").mkdir()
    (course / "loopedu" / "__init__.py").write_text('__version__ = "9.9"\n')
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c)
                                                   for c in LEDGER_LESSON]),
                   course / "notebooks" / "00-ledger.ipynb")
    workspace = tmp_path / "workspace"
    update_workspace(course, workspace)
    nb = nbformat.read(workspace / "notebooks" / "00-ledger.ipynb", as_version=4)
    assert "### BEGIN SOLUTION" not in nb.cells[1].source  # the learner's copy
    mine = {1: '"timeout"', 3: "4", 5: '"ENETUNREACH"'}  # what the learner types
    for index, value in mine.items():
        assert "prediction = ..." in nb.cells[index].source
        nb.cells[index].source = nb.cells[index].source.replace("prediction = ...",
                                                                f"prediction = {value}")
    nb.cells.append(nbformat.v4.new_code_cell(
        'explain("00.closed-port", "nothing listened, so the kernel said no at once")'))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(workspace)}})
    with client.setup_kernel():
        for index in (0, 1, 2):
            client.execute_cell(nb.cells[index], index)
        first_pid = _outputs(nb.cells[0])
        run_sync(client.km.restart_kernel)(now=True)  # Kernel > Restart Kernel
        run_sync(client.kc.wait_for_ready)(timeout=60)
        for index in (0, 3, 4, 5, 6, 7):
            client.execute_cell(nb.cells[index], index)
        assert _outputs(nb.cells[0]) != first_pid  # a new kernel process
    assert "explain('00.closed-port', '...')" in _outputs(nb.cells[2])
    assert "the kernel answers with a reset" not in _outputs(nb.cells[2])
    assert "The course's explanation: the kernel answers with a reset" in _outputs(nb.cells[7])
    assert "As you predicted (within a factor of 2)" not in _outputs(nb.cells[4])
    assert "not measured on this machine" in _outputs(nb.cells[6])

    out = tmp_path / "export.json"
    assert cli.main(["progress", "--export", str(out), "--learner", "ada"]) == 0
    data = json.loads(out.read_text())
    predictions = {row["id"]: row for row in data["predictions"]}
    assert {i: p["value"] for i, p in predictions.items()} == {
        "00.closed-port": "timeout", "07.nagle-stall": 4, "04.lo-down": "ENETUNREACH"}
    assert predictions["07.nagle-stall"]["tolerance"]["words"] == "within a factor of 2"
    for row in predictions.values():
        assert row["machine"]["platform"] and "localhost" in row["machine"]
        assert isinstance(row["machine"]["root"], bool)
    reveals = {row["id"]: (row["verdict"], row["source"]) for row in data["reveals"]}
    assert reveals == {"00.closed-port": ("surprise", "this machine"),
                       "07.nagle-stall": ("surprise", "this machine"),
                       "04.lo-down": ("not measured", "not measured")}
    assert [(r["id"], r["text"]) for r in data["explanations"]] == [
        ("00.closed-port", "nothing listened, so the kernel said no at once")]


def test_what_the_sources_say_is_never_a_machine_or_a_recording():
    """A quiz answer (the claims page's verdicts) comes from the primary sources."""
    from loopedu.exercises import SOURCES

    predict("claims.verdicts", {"rfc776": "true", "lo-always-up": "false"})
    shown = str(reveal("claims.verdicts", {"rfc776": "false", "lo-always-up": "false"},
                       recorded=SOURCES))
    assert "the primary sources say" in shown and "your machine" not in shown
    assert "recording" not in shown and "the sources differ from your prediction" in shown


# --- the course's explanation is not in the lesson's cell -----------------------------

def _reveal_calls():
    """(lesson file, prediction id, keyword names) of every reveal(...) in the lessons."""
    import ast

    for path in sorted((ROOT / "notebooks").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "reveal":
                yield path.name, node.args[0].value, {k.arg for k in node.keywords}


def test_no_lesson_cell_shows_the_courses_explanation_before_the_learners():
    """A why= in the reveal cell is read before the learner predicts and explains (the
    reviewers' finding); each lesson's explanation lives in loopedu.exercises.explanations,
    one per revealed prediction, none unused, and its words are nowhere in a lesson."""
    from loopedu.exercises.explanations import WHY

    calls = list(_reveal_calls())
    assert len(calls) >= 20
    assert [(f, pid) for f, pid, kws in calls if "why" in kws] == []
    revealed = {pid for _, pid, _ in calls}
    assert revealed == set(WHY)
    sources = "".join(p.read_text(encoding="utf-8")
                      for p in (ROOT / "notebooks").glob("*.py"))
    for pid, why in WHY.items():
        if isinstance(why, str):
            assert why[:40] not in sources, pid


def test_reveal_finds_the_courses_explanation_and_a_given_one_wins():
    from loopedu.exercises.explanations import WHY

    predict("01.slash8-size", 16_777_216)
    assert str(reveal("01.slash8-size", 16_777_216)).splitlines()[-1] == \
        "Why: " + WHY["01.slash8-size"]
    predict("01.slash8-size", 16_777_216)
    assert str(reveal("01.slash8-size", 16_777_216, why="mine")).splitlines()[-1] == \
        "Why: mine"
    predict("00.closed-port", "timeout")          # a surprise: the why waits for explain
    r = reveal("00.closed-port", "ECONNREFUSED")
    assert r.surprise and WHY["00.closed-port"] not in str(r)
    assert str(explain("00.closed-port", "nothing listens")).endswith(WHY["00.closed-port"])


def test_explanations_that_depend_on_what_was_shown():
    from loopedu.exercises.explanations import why_of

    assert "127.0.0.2 binds and answers" in why_of("01.binds-127-0-0-2", "127.0.0.1")
    assert "nothing to bind" in why_of("01.binds-127-0-0-2", NOT_MEASURED)
    assert "nothing to bind" in why_of("01.binds-127-0-0-2", None)
    same = why_of("02.first-only", {"first answer": "::1", "server listens on": "::1"})
    other = why_of("02.first-only", {"first answer": "::1", "server listens on": "127.0.0.1"})
    assert "both connect" in same and "refused" not in same
    assert "::1" in other and "refused" in other
    assert "has the gh-117566 fix" in why_of("05.naive-check", True)
    assert "lacks the gh-117566 fix" in why_of("05.naive-check", False)
    assert "Run the cell again" not in why_of("07.fastest", "unix")
    assert "Here udp won" in why_of("07.fastest", "udp")
    assert why_of("99.unknown", 1) == ""
