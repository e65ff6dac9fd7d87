"""Tests of loopedu.class_progress and its commands: learners export their progress,
the instructor reports on the class from the files."""

import csv
import io
import json

import pytest

from loopedu import cli
from loopedu.class_progress import (
    ExportError,
    class_chart,
    class_report,
    export_progress,
    format_class_report,
    load_exports,
    prediction_chart,
    prediction_polls,
    read_export,
    render_frame,
    report_csv,
    watch,
)
from loopedu.exercises import (
    catalog,
    check,
    explain,
    hint,
    predict,
    progress_store,
    reveal,
    solution,
    within,
)

#: 00.kernel-transport's answer is the connection file as json.load reads it
RIGHT = {"00.kernel-transport": {"transport": "tcp", "ip": "127.0.0.1"},
         "01.loopback-size": 2 ** 22, "01.slash16-size": 2 ** 16}
WRONG = {"00.kernel-transport": {"transport": "tcp", "ip": "0.0.0.0"},
         "01.loopback-size": 1, "01.slash16-size": 3}

#: What each learner answers right; the other exercises of RIGHT they answer wrong.
PLAN = {"ada": {"00.kernel-transport", "01.loopback-size", "01.slash16-size"},
        "bob": {"00.kernel-transport"},
        "cy": {"00.kernel-transport", "01.loopback-size"}}


@pytest.fixture(autouse=True)
def _no_unsaved(monkeypatch):
    monkeypatch.setattr(progress_store, "_UNSAVED", {})
    monkeypatch.setattr(progress_store, "_PENDING", {})


def work_as(name, tmp_path, monkeypatch):
    """Learner ``name`` answers in a private LOOPEDU_HOME; returns what they passed."""
    monkeypatch.setenv("LOOPEDU_HOME", str(tmp_path / "homes" / name))
    passed = set()
    for ident in RIGHT:
        right = ident in PLAN[name]
        feedback = check(ident, RIGHT[ident] if right else WRONG[ident])
        assert feedback.passed is right, feedback
        if feedback.passed:
            passed.add(ident)
    return passed


@pytest.fixture
def class_folder(tmp_path, monkeypatch):
    """Three learners' exports in tmp_path/collected (by the CLI); what each passed."""
    done = {}
    for name in PLAN:
        done[name] = work_as(name, tmp_path, monkeypatch)
        out = tmp_path / "collected" / name / "progress.json"
        out.parent.mkdir(parents=True)
        assert cli.main(["progress", "--export", str(out), "--learner", name]) == 0
    return tmp_path / "collected", done


def test_export_holds_what_the_learner_passed(tmp_path, monkeypatch, capsys):
    passed = work_as("cy", tmp_path, monkeypatch)
    (tmp_path / "cy.json").parent.mkdir(exist_ok=True)
    out = tmp_path / "cy.json"
    assert cli.main(["progress", "--export", str(out), "--learner", "cy"]) == 0
    assert "Wrote 2 passed exercises of cy" in capsys.readouterr().out
    data = json.loads(out.read_text())
    assert data["format"] == "loopedu-progress" and data["version"] == 1
    assert data["learner"] == "cy" and data["loopedu_version"]
    assert "workspace_version" in data and data["exported_at"].endswith("+00:00")
    assert {row["id"] for row in data["passed"]} == passed
    assert all(row["first_passed"] and isinstance(row["lesson"], int)
               for row in data["passed"])
    assert read_export(out).learner == "cy"


def test_exporting_twice_refuses_without_force(tmp_path, monkeypatch, capsys):
    work_as("bob", tmp_path, monkeypatch)
    out = tmp_path / "bob.json"
    assert cli.main(["progress", "--export", str(out)]) == 0
    before = out.read_text()
    assert cli.main(["progress", "--export", str(out)]) == 2
    err = capsys.readouterr().err
    assert "exists already" in err and "--force" in err and str(out) in err
    assert out.read_text() == before
    with pytest.raises(ExportError):
        export_progress(out)
    assert cli.main(["progress", "--export", str(out), "--force", "--learner", "bo"]) == 0
    assert read_export(out).learner == "bo"


def test_learner_and_force_need_export(capsys):
    assert cli.main(["progress", "--force"]) == 2
    assert "--export" in capsys.readouterr().err


def test_report_matrix_matches_what_each_learner_did(class_folder):
    folder, done = class_folder
    report = class_report(load_exports(folder))
    assert report.learners == ("ada", "bob", "cy")
    assert [row.id for row in report.exercises] == catalog()
    assert report.places == tuple(f"{name}/progress.json" for name in ("ada", "bob", "cy"))
    for name, passed in done.items():
        place = f"{name}/progress.json"
        assert report.names[place] == name
        assert {i for i, ok in report.matrix[place].items() if ok} == passed
        assert report.totals[place] == len(passed)
    counts = {row.id: row.passed for row in report.exercises}
    for ident in RIGHT:
        assert counts[ident] == sum(ident in p for p in done.values())
    # one of the three exercises tried is the one most learners missed: fewest passes
    tried = sorted(RIGHT, key=lambda i: sum(i in p for p in done.values()))
    assert tried[0] == "01.slash16-size"
    nobody = [row for row in report.most_missed if row.passed == 0]
    assert report.most_missed[0].passed == 0 and report.most_missed[0].id == nobody[0].id
    missed_tried = [row.id for row in report.most_missed if row.id in RIGHT]
    assert missed_tried == ["01.slash16-size", "01.loopback-size"]
    assert "00.kernel-transport" not in [row.id for row in report.most_missed]


def test_text_table_and_csv(class_folder):
    folder, done = class_folder
    report = class_report(load_exports(folder))
    text = format_class_report(report)
    for name, passed in done.items():
        line = next(line for line in text.splitlines() if line.startswith(name + " "))
        by_lesson = {}
        for ident in catalog():
            by_lesson.setdefault(ident[:2], []).append("x" if ident in passed else ".")
        assert line.split()[1] == f"{name}/progress.json"  # the file, beside the name
        assert line.split()[2:-1] == ["".join(cells) for cells in by_lesson.values()]
        assert line.endswith(f"{len(passed)}/{len(catalog())}")
    assert "Most missed:" in text and "clash" not in text
    rows = report_csv(report).splitlines()
    assert rows[0].split(",")[:2] == ["learner", "file"] and len(rows) == 1 + 3 + 1
    bob = rows[2].split(",")
    header = rows[0].split(",")
    assert bob[:2] == ["bob", "bob/progress.json"]
    assert bob[header.index("00.kernel-transport")] == "1"
    assert bob[header.index("01.loopback-size")] == "0"


def test_chart_has_one_bar_per_exercise(class_folder):
    folder, done = class_folder
    report = class_report(load_exports(folder))
    fig = class_chart(report)
    bars = {p.get_gid(): p.get_width() for p in fig.axes[0].patches if p.get_gid()}
    assert list(bars) == [f"bar-{i}" for i in catalog()]
    assert all(0.0 <= w <= 1.0 for w in bars.values())
    assert bars["bar-00.kernel-transport"] == 1.0
    assert bars["bar-01.slash16-size"] == pytest.approx(1 / 3)
    table = {row[0]: row[1:] for row in fig.data_table[1]}  # the data, for print and readers
    assert table["00.kernel-transport"] == (3, 3, "100%")
    assert table["01.slash16-size"] == (1, 3, "33%")
    assert fig.axes[0].get_xlabel() and fig.axes[0].get_ylabel()
    assert fig.alt_text and "\n" not in fig.alt_text


def test_broken_and_foreign_json_are_skipped_with_their_names(class_folder, capsys):
    folder, _ = class_folder
    (folder / "broken.json").write_text('{"format": "loopedu-progress", ')
    (folder / "package.json").write_text('{"name": "something else"}')
    (folder / ".hidden").mkdir()
    (folder / ".hidden" / "manifest.json").write_text("{}")
    loaded = load_exports(folder)
    assert [e.learner for e in loaded.exports] == ["ada", "bob", "cy"]
    assert len(loaded.skipped) == 2
    assert any("broken.json" in s and "not valid JSON" in s for s in loaded.skipped)
    assert any("package.json" in s and "not a loopedu progress export" in s
               for s in loaded.skipped)
    assert cli.main(["class-report", str(folder)]) == 0
    out, err = capsys.readouterr()
    assert "broken.json" in err and "package.json" in err and "skipped" in err
    assert "Class progress: 3 learners" in out


def write_export(path, learner, passed, when="2025-03-02T10:00:00+00:00"):
    """An export file as `loopedu progress --export` writes it, or as anyone could."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"format": "loopedu-progress", "version": 1,
                                "learner": learner, "exported_at": when,
                                "passed": [{"id": i, "lesson": 9} for i in passed]}))


def test_a_file_claiming_another_learners_name_gets_its_own_row(tmp_path, capsys):
    """Rows are keyed by where each file is, not by the name written in it: a later
    file that says it is alice's leaves Alice's row alone, and the report says that two
    files declare the name."""
    write_export(tmp_path / "alice" / "progress.json", "alice", ["00.kernel-transport"],
                 when="2025-03-01T10:00:00+00:00")
    write_export(tmp_path / "mallory" / "progress.json", "alice", [],
                 when="2025-03-02T10:00:00+00:00")  # newer, and claims her name
    write_export(tmp_path / "bob.json", "bob", [])
    report = class_report(load_exports(tmp_path))
    assert report.places == ("alice/progress.json", "mallory/progress.json", "bob.json")
    assert report.learners == ("alice", "alice", "bob")
    assert report.matrix["alice/progress.json"]["00.kernel-transport"] is True
    assert report.matrix["mallory/progress.json"]["00.kernel-transport"] is False
    standing = next(r for r in report.exercises if r.id == "00.kernel-transport")
    assert (standing.passed, standing.learners) == (1, 3)
    assert report.clashes == ('"alice" is declared by 2 files: alice/progress.json, '
                              'mallory/progress.json',)
    text = format_class_report(report)
    assert "Names clash" in text and report.clashes[0] in text
    rows = {line.split()[1]: line.split()[0] for line in text.splitlines()
            if line.endswith(f"/{len(catalog())}")}
    assert rows == {"alice/progress.json": "alice", "mallory/progress.json": "alice",
                    "bob.json": "bob"}
    assert cli.main(["class-report", str(tmp_path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [(r["file"], r["learner"], r["passed"]) for r in data["learners"]] == [
        ("alice/progress.json", "alice", 1), ("mallory/progress.json", "alice", 0),
        ("bob.json", "bob", 0)]
    assert data["name_clashes"] == list(report.clashes)


def test_names_clash_whatever_their_case(tmp_path):
    write_export(tmp_path / "a.json", "Ada", [])
    write_export(tmp_path / "b.json", "ada", [])
    assert class_report(load_exports(tmp_path)).clashes == (
        '"Ada" is declared by 2 files: a.json, b.json',)


def test_one_file_given_twice_is_one_row_and_same_names_in_two_folders_stay_apart(
        tmp_path):
    write_export(tmp_path / "a" / "x.json", "ada", [])
    write_export(tmp_path / "b" / "x.json", "bob", [])
    loaded = load_exports([tmp_path / "a", tmp_path / "a" / "x.json", tmp_path / "b"])
    assert [e.learner for e in loaded.exports] == ["ada", "bob"]
    places = [e.place for e in loaded.exports]
    assert places == [(tmp_path / "a" / "x.json").as_posix(),
                      (tmp_path / "b" / "x.json").as_posix()]
    assert class_report(loaded).clashes == ()


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_cells_a_spreadsheet_would_run_as_formulas_are_neutralised(tmp_path, start):
    """OWASP, "CSV Injection": a learner name, a file name or an exercise id from an
    export that starts like a formula gets a single quote in front in the CSV."""
    formula = f"{start}HYPERLINK(\"http://evil.test\",\"x\")"
    write_export(tmp_path / f"{start}cmd.json", f"x{formula}", ["09.x", formula])
    table = list(csv.reader(io.StringIO(report_csv(class_report(load_exports(tmp_path))),
                                        newline="")))
    header, row = table[0], table[1]
    assert len(table) == 3 and row[:2] == [f"x{formula}", f"'{start}cmd.json"]
    assert "'" + formula in header and formula not in header
    every_cell = [cell for line in table for cell in line]
    assert not [c for c in every_cell if c.startswith(("=", "+", "-", "@", "\t", "\r"))]
    assert row[header.index("09.x")] == "1" and row[header.index("'" + formula)] == "1"


def test_a_learner_name_starting_like_a_formula_or_hiding_one_after_a_cr(tmp_path):
    """A name is read without surrounding space, so it is its first visible character
    that counts; a carriage return inside a name stays inside its (quoted) cell rather
    than starting a new line whose first cell is a formula."""
    write_export(tmp_path / "a.json", "=1+1", [])
    write_export(tmp_path / "b.json", "bo\r=cmd|' /C calc'!A0", [])
    text = report_csv(class_report(load_exports(tmp_path)))
    table = list(csv.reader(io.StringIO(text, newline="")))
    assert [row[:2] for row in table[1:3]] == [["'=1+1", "a.json"],
                                               ["bo\r=cmd|' /C calc'!A0", "b.json"]]
    assert len(table) == 4 and len(text.split("\r\n")) == 5  # header, 2 rows, rates, ""


def test_a_newer_format_is_refused_by_name(tmp_path):
    path = tmp_path / "x.json"
    path.write_text(json.dumps({"format": "loopedu-progress", "version": 99}))
    with pytest.raises(ExportError, match=r"x\.json: written by a newer loopedu"):
        read_export(path)


def test_class_report_cli_outputs_and_exit_codes(class_folder, tmp_path, capsys):
    folder, done = class_folder
    chart, table = tmp_path / "chart.png", tmp_path / "m.csv"
    files = sorted(str(p) for p in folder.rglob("*.json"))
    assert cli.main(["class-report", *files, "--json", "--chart", str(chart),
                     "--csv", str(table)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [row["learner"] for row in data["learners"]] == ["ada", "bob", "cy"]
    assert data["learners"][1]["exercises"]["00.kernel-transport"] is True
    assert chart.read_bytes()[:4] == b"\x89PNG" and table.read_text().startswith("learner")
    assert cli.main(["class-report", str(tmp_path / "missing")]) == 2
    assert "does not exist" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert cli.main(["class-report", str(empty)]) == 2
    assert "no progress exports found" in capsys.readouterr().err


def test_the_export_carries_the_workspace_version_and_the_report_groups_by_it(
        tmp_path, monkeypatch, capsys):
    """Two learners on one course version, one on another: the report says who has not
    pulled, and each export names its learner's workspace version."""
    from loopedu.workspace import update_workspace

    course = tmp_path / "course"
    (course / "notebooks").mkdir(parents=True)
    (course / "notebooks" / "00-a.ipynb").write_text(
        '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    (course / "loopedu").mkdir()
    for name, version in (("ada", "1.0"), ("bob", "1.1"), ("cy", "1.1")):
        (course / "loopedu" / "__init__.py").write_text(f'__version__ = "{version}"\n')
        ws = tmp_path / "ws" / name
        update_workspace(course, ws)
        monkeypatch.setenv("LOOPEDU_WORKSPACE", str(ws))
        work_as(name, tmp_path, monkeypatch)
        out = tmp_path / "collected" / f"{name}.json"
        out.parent.mkdir(exist_ok=True)
        assert cli.main(["progress", "--export", str(out), "--learner", name]) == 0
        assert json.loads(out.read_text())["workspace_version"] == version
    capsys.readouterr()
    assert cli.main(["class-report", str(tmp_path / "collected")]) == 0
    text = capsys.readouterr().out
    assert "  1.1: 2 (bob, cy)" in text and "  1.0: 1 (ada)" in text
    assert "has not pulled" in text
    data = class_report(load_exports(tmp_path / "collected")).to_dict()
    assert {row["learner"]: row["workspace_version"] for row in data["learners"]} == {
        "ada": "1.0", "bob": "1.1", "cy": "1.1"}
    # one version for all: one line
    monkeypatch.delenv("LOOPEDU_WORKSPACE")
    one = class_report([e for e in load_exports(tmp_path / "collected").exports
                        if e.learner != "ada"])
    assert "Workspace version: 1.1 (every learner)" in format_class_report(one)


def test_an_exercise_passed_under_its_old_id_counts_under_its_new_one(tmp_path):
    """An export written before 04.compress became 05.compress: one column, passed."""
    data = {"format": "loopedu-progress", "version": 1, "learner": "ada",
            "exported_at": "2025-03-02T10:00:00+00:00",
            "passed": [{"id": "04.compress", "lesson": 4}]}
    (tmp_path / "ada.json").write_text(json.dumps(data))
    report = class_report(load_exports(tmp_path))
    ids = [row.id for row in report.exercises]
    assert "04.compress" not in ids and "05.compress" in ids
    assert report.matrix["ada.json"]["05.compress"] is True
    assert report.totals["ada.json"] == 1


# --- the learners' records: attempts, hints, worked answers and predictions -------------


RECORDING = "recorded on Linux (Debian 12) as root, 2026-11-29"
SIZE = "01.loopback-size"

#: Six learners with known answers. "tries": the answers they give to SIZE in order
#: (2**22 is right); "hints": how many hints they ask for; "solution": whether they then
#: look at the worked answer; "stall": their prediction for 07.nagle-stall (within a
#: factor of 2) and what their reveal shows; "matrix": their prediction and result for
#: 03.matrix; "explains": an explanation of 07.nagle-stall.
CLASS = {
    "ada": {"tries": [256, 2**22], "stall": (40, 47.6), "hints": 0,
            "matrix": ({"a": "refused", "b": "connected"}, {"a": "refused", "b": "not run"})},
    "bob": {"tries": [2**22], "stall": (4, 44.0), "hints": 0, "explains": "Nagle waits",
            "matrix": ({"a": "refused", "b": "refused"}, {"a": "refused", "b": "connected"})},
    "cy": {"tries": [256, 4194302, 2**22], "stall": (40, "not run"), "hints": 1},
    "dee": {"tries": [256, " 256"], "stall": (200, ("recording", 47.6)), "hints": 2,
            "solution": True},
    "eve": {"tries": [24, 2**22], "stall": (40, 44.0), "hints": 0},
    "fay": {"tries": [], "stall": (None, 41), "hints": 0},
}


def learn_as(name, plan, tmp_path, monkeypatch):
    """``name`` works through ``plan`` in a private LOOPEDU_HOME; returns that folder."""
    home = tmp_path / "homes" / name
    monkeypatch.setenv("LOOPEDU_HOME", str(home))
    for answer in plan["tries"]:
        check(SIZE, answer)
    for n in range(1, plan["hints"] + 1):
        hint(SIZE, n)
    if plan.get("solution"):
        assert solution(SIZE).shown
    guess, shown = plan["stall"]
    if guess is not None:
        predict("07.nagle-stall", guess, tolerance=within(factor=2))
    if isinstance(shown, tuple):
        reveal("07.nagle-stall", shown[1], why="delayed ACK", recorded=RECORDING)
    else:
        reveal("07.nagle-stall", shown, why="delayed ACK")
    if plan.get("explains"):
        explain("07.nagle-stall", plan["explains"])
    if "matrix" in plan:
        predict("03.matrix", plan["matrix"][0])
        reveal("03.matrix", plan["matrix"][1], why="a listener answers its own address")
    return home


@pytest.fixture
def six_learners(tmp_path, monkeypatch):
    """The class of CLASS: their progress folders (tmp_path/homes) and their exports
    (tmp_path/exports, written by the CLI)."""
    exports = tmp_path / "exports"
    exports.mkdir()
    for name, plan in CLASS.items():
        learn_as(name, plan, tmp_path, monkeypatch)
        assert cli.main(["progress", "--export", str(exports / f"{name}.json"),
                         "--learner", name]) == 0
    return tmp_path / "homes", exports


def standing(report, ident):
    return next(row for row in report.exercises if row.id == ident)


def check_six(report):
    """What CLASS gives, worked out by hand from the plan above."""
    assert report.learners == tuple(CLASS)
    row = standing(report, SIZE)
    assert (row.passed, row.learners, row.tried) == (4, 6, 5)
    assert row.median_failed_before_pass == 1  # failed before passing: 1, 0, 2, 1
    assert (row.hints_used, row.solutions_viewed) == (2, 1)
    assert row.wrong_answers == (("256", 3), ("24", 1), ("4194302", 1))
    stall = next(p for p in report.polls if p.id == "07.nagle-stall")
    assert (stall.learners, stall.predicted, stall.revealed) == (6, 5, 6)
    assert (stall.measured, stall.not_measured, stall.recording_only) == (4, 1, 1)
    assert (stall.matched, stall.surprised, stall.explained) == (2, 2, 1)
    item, = stall.items
    assert item.predicted == (("4", 1), ("40", 3), ("200", 1))
    assert item.measured == (("41", 1), ("44", 2), ("47.6", 1))
    assert item.recorded == (("47.6", 1),)
    assert stall.explanations == (("bob", "Nagle waits"),)
    matrix = next(p for p in report.polls if p.id == "03.matrix")
    by_item = {i.item: i for i in matrix.items}
    assert by_item["a"].predicted == (("refused", 2),)
    assert by_item["a"].measured == (("refused", 2),)
    assert dict(by_item["b"].predicted) == {"connected": 1, "refused": 1}
    assert by_item["b"].measured == (("connected", 1),)  # ada's "not run" is not counted


def test_the_export_carries_the_whole_record_with_fingerprints(six_learners):
    _, exports = six_learners
    data = json.loads((exports / "dee.json").read_text())
    assert data["attempts_recorded"] is True
    attempts = {row["id"]: row for row in data["attempts"]}
    assert attempts[SIZE]["failed"] == 2
    assert [a["answer"] for a in attempts[SIZE]["recent"]] == ["256", '" 256"']
    assert {row["id"]: [h["n"] for h in row["shown"]] for row in data["hints"]} == {SIZE: [1, 2]}
    assert [row["id"] for row in data["solutions"]] == [SIZE]
    prediction = next(row for row in data["predictions"] if row["id"] == "07.nagle-stall")
    assert prediction["value"] == 200 and prediction["tolerance"]["kind"] == "factor"
    assert {"platform", "root", "ipv6_loopback", "network_namespaces", "glibc_multi",
            "localhost"} <= set(prediction["machine"])
    shown = next(row for row in data["reveals"] if row["id"] == "07.nagle-stall")
    assert shown["source"] == "recording" and shown["verdict"] == "surprise"
    ada = json.loads((exports / "ada.json").read_text())
    assert next(r for r in ada["passed"] if r["id"] == SIZE)["failed_before"] == 1
    bob = json.loads((exports / "bob.json").read_text())
    assert [(row["id"], row["text"]) for row in bob["explanations"]] == [
        ("07.nagle-stall", "Nagle waits")]


def test_a_class_of_six_gives_the_expected_distributions_and_attempt_counts(six_learners):
    _, exports = six_learners
    check_six(class_report(load_exports(exports)))


def test_the_report_prints_and_jsons_all_of_it(six_learners, capsys, tmp_path):
    _, exports = six_learners
    capsys.readouterr()
    assert cli.main(["class-report", str(exports)]) == 0
    text = capsys.readouterr().out
    line = next(line for line in text.splitlines() if f" {SIZE} " in line)
    assert "4/6" in line and "tried 5" in line and "failed before pass 1" in line
    assert "most common wrong answers: 256 (3 learners); 24 (1 learner)" in text
    assert ("07.nagle-stall: 5 of 6 learners predicted; measured on 4 machines, 1 could "
            "not run it, 1 saw a recording; 2 as predicted, 2 surprised, 1 explained") in text
    assert "predicted  4 (1), 40 (3), 200 (1)" in text
    assert cli.main(["class-report", str(exports), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    row = next(r for r in data["exercises"] if r["id"] == SIZE)
    assert row["median_failed_before_pass"] == 1 and row["tried"] == 5
    assert row["wrong_answers"][0] == {"answer": "256", "learners": 3}
    poll = next(p for p in data["predictions"] if p["id"] == "07.nagle-stall")
    assert poll["items"][0]["predicted"] == {"4": 1, "40": 3, "200": 1}
    assert poll["explanations"] == [{"learner": "bob", "text": "Nagle waits"}]
    chart = tmp_path / "poll.png"
    assert cli.main(["class-report", str(exports), "--prediction", "07.nagle-stall",
                     "--prediction-chart", str(chart)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Predictions") and "Class progress" not in out
    assert chart.read_bytes()[:4] == b"\x89PNG"
    assert cli.main(["class-report", str(exports), "--prediction", "09.nothing"]) == 2
    assert "07.nagle-stall" in capsys.readouterr().err
    assert cli.main(["class-report", str(exports), "--prediction-chart", str(chart)]) == 2


def test_the_prediction_chart_draws_the_counts(six_learners):
    _, exports = six_learners
    polls = {p.id: p for p in prediction_polls(load_exports(exports).exports)}
    fig = prediction_chart(polls["07.nagle-stall"])
    bars = {p.get_gid(): p.get_width() for ax in fig.axes for p in ax.patches
            if p.get_gid()}
    assert bars["predicted--40"] == 3 and bars["predicted--200"] == 1
    assert bars["measured--44"] == 2 and bars["measured--40"] == 0
    assert bars["recorded--47.6"] == 1
    headers, rows = fig.data_table  # the same counts as a table, for print and readers
    table = {row[1]: row[2:] for row in rows}
    assert headers == ("item", "answer", "predicted", "measured", "recorded")
    assert table["40"] == (3, 0, 0) and table["44"] == (0, 2, 0)
    assert table["47.6"] == (0, 1, 1) and table["200"] == (1, 0, 0)  # as check_six
    hatches = {p.get_gid().split("-")[0]: p.get_hatch() for p in fig.axes[0].patches}
    assert len(set(hatches.values())) == 3  # told apart without colour
    ax = fig.axes[0]
    assert ax.get_xlabel() == "Learners" and ax.get_ylabel()
    assert fig.alt_text and "\n" not in fig.alt_text and "07.nagle-stall" in fig.alt_text
    two = prediction_chart(polls["03.matrix"])
    assert len(two.axes) == 2 and {a.get_ylabel() for a in two.axes} == {
        "Answer: a", "Answer: b"}


def test_the_class_view_renders_from_a_hub_folder_of_progress_folders(six_learners):
    homes, _ = six_learners
    frame = render_frame(homes)
    check_six(frame.report)
    assert frame.report.places == tuple(f"{name}/progress.json" for name in CLASS)
    assert "07.nagle-stall: 5 of 6 learners predicted" in frame.text
    only = render_frame(homes, "07.nagle-stall")
    assert "03.matrix" not in only.text and "Class progress" not in only.text


def test_home_folders_on_a_hub_read_as_learners_and_a_broken_one_is_skipped(
        tmp_path, monkeypatch):
    hub = tmp_path / "home"
    monkeypatch.setenv("LOOPEDU_HOME", str(hub / "gus" / ".local" / "share" / "loopedu"))
    check(SIZE, 2**22)
    predict("07.nagle-stall", 40)
    broken = hub / "hal" / ".local" / "share" / "loopedu" / "progress.json"
    broken.parent.mkdir(parents=True)
    broken.write_text('{"passed": {"x": 5}}')
    loaded = load_exports(hub)
    assert [e.learner for e in loaded.exports] == ["gus"]
    assert loaded.exports[0].place == "gus/.local/share/loopedu/progress.json"
    assert SIZE in loaded.exports[0].passed
    assert len(loaded.skipped) == 1 and "hal" in loaded.skipped[0]


def test_watch_redraws_when_a_record_arrives_and_stops_on_ctrl_c(
        six_learners, tmp_path, monkeypatch, capsys):
    homes, _ = six_learners
    frames, sleeps = [], []

    def a_new_learner_arrives(seconds):
        sleeps.append(seconds)
        if len(sleeps) == 1:
            learn_as("gil", {"tries": [1], "stall": (40, 47.6), "hints": 0}, tmp_path,
                     monkeypatch)

    chart = tmp_path / "live.png"
    assert watch(homes, "07.nagle-stall", chart, every=0.5, frames=2, show=frames.append,
                 sleep=a_new_learner_arrives) == 2
    assert "6 of 6 learners" not in frames[0] and "5 of 6 learners predicted" in frames[0]
    assert "6 of 7 learners predicted" in frames[1]
    assert sleeps == [0.5] and chart.read_bytes()[:4] == b"\x89PNG"
    # from the command line, until Ctrl+C
    import time

    def interrupt(seconds):
        raise KeyboardInterrupt

    monkeypatch.setattr(time, "sleep", interrupt)
    capsys.readouterr()
    assert cli.main(["class-report", "--watch", str(homes), "--prediction",
                     "07.nagle-stall"]) == 0
    out, err = capsys.readouterr()
    assert "6 of 7 learners predicted" in out and "stopped watching" in err
    assert cli.main(["class-report", "--watch", str(homes / "ada" / "progress.json")]) == 2
    assert cli.main(["class-report", "--watch", str(homes), str(homes)]) == 2
