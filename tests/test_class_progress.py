"""Tests of loopedu.class_progress and its commands: learners export their progress,
the instructor reports on the class from the files."""

import json

import pytest

from loopedu import cli
from loopedu.class_progress import (ExportError, class_chart, class_report, export_progress,
                                    format_class_report, load_exports, read_export,
                                    report_csv)
from loopedu.exercises import catalog, check, progress_store

RIGHT = {"00.kernel-transport": "127.0.0.1", "01.loopback-size": 2 ** 24,
         "01.slash16-size": 2 ** 16}
WRONG = {"00.kernel-transport": "0.0.0.0", "01.loopback-size": 1, "01.slash16-size": 3}

#: What each learner answers right; the other exercises of RIGHT they answer wrong.
PLAN = {"ada": {"00.kernel-transport", "01.loopback-size", "01.slash16-size"},
        "bob": {"00.kernel-transport"},
        "cy": {"00.kernel-transport", "01.loopback-size"}}


@pytest.fixture(autouse=True)
def _no_unsaved(monkeypatch):
    monkeypatch.setattr(progress_store, "_UNSAVED", {})


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
        assert cli.main(["progress", "--export", str(out), "--learner", name]) == 0
    return tmp_path / "collected", done


def test_export_holds_what_the_learner_passed(tmp_path, monkeypatch, capsys):
    passed = work_as("cy", tmp_path, monkeypatch)
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
    for name, passed in done.items():
        assert {i for i, ok in report.matrix[name].items() if ok} == passed
        assert report.totals[name] == len(passed)
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
        assert line.split()[1:-1] == ["".join(cells) for cells in by_lesson.values()]
        assert line.endswith(f"{len(passed)}/{len(catalog())}")
    assert "Most missed:" in text
    rows = report_csv(report).splitlines()
    assert rows[0].split(",")[0] == "learner" and len(rows) == 1 + 3 + 1
    bob = rows[2].split(",")
    header = rows[0].split(",")
    assert bob[0] == "bob" and bob[header.index("00.kernel-transport")] == "1"
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


def test_newest_export_of_a_learner_wins(tmp_path):
    def write(name, when, passed):
        data = {"format": "loopedu-progress", "version": 1, "learner": "ada",
                "exported_at": when, "passed": [{"id": i, "lesson": int(i[:2])}
                                                for i in passed]}
        (tmp_path / name).write_text(json.dumps(data))

    write("a-new.json", "2025-03-02T10:00:00+00:00", ["00.kernel-transport"])
    write("b-old.json", "2025-03-01T10:00:00+00:00", [])
    loaded = load_exports(tmp_path)
    assert len(loaded.exports) == 1 and loaded.exports[0].path.name == "a-new.json"
    assert "b-old.json" in loaded.replaced[0]


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
    assert report.matrix["ada"]["05.compress"] is True
    assert report.totals["ada"] == 1
