"""The instructor guide's schedule and objectives are the lessons' own (regenerate with
tests/tools/sync_instructor_guide.py), and its links resolve."""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "tools"))
import sync_instructor_guide as sync  # noqa: E402


def test_schedule_and_objectives_match_the_lessons():
    text = sync.GUIDE.read_text(encoding="utf-8")
    assert sync.synced(text, sync.lesson_headers()) == text, \
        "run python tests/tools/sync_instructor_guide.py"
    lessons = sync.lesson_headers()
    assert len(lessons) >= 6 and all(x["objectives"] for x in lessons)


def test_links_in_the_guide_resolve():
    text = sync.GUIDE.read_text(encoding="utf-8")
    for target in re.findall(r"\]\((\.\./[^)#]+)\)", text):
        assert (sync.GUIDE.parent / target).resolve().exists(), target


def moves_rows() -> dict[str, list[str]]:
    text = sync.GUIDE.read_text(encoding="utf-8")
    table = text.split("<!-- moves:", 1)[1].split("\n\n", 1)[0]
    rows = {}
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if re.fullmatch(r"\d\d", cells[0]):
            rows[cells[0]] = cells
    return rows


def test_every_lesson_has_its_moves_and_they_name_what_the_lesson_has():
    """The workshop table's polls are predictions the lesson records, its drawings are
    the lesson's own, and what it cuts is a section of the lesson with an exercise of it."""
    import nbformat

    from loopedu import drawings

    rows = moves_rows()
    lessons = {x["number"]: x for x in sync.lesson_headers()}
    assert set(rows) == set(lessons)
    for number, (_, live, draw, poll, cut) in rows.items():
        source = "\n".join(c.source for c in nbformat.read(
            sync.ROOT / "notebooks" / lessons[number]["file"], as_version=4).cells)
        assert live and draw, number
        polled = re.fullmatch(r"`(\d\d\.[a-z0-9-]+)`", poll)
        assert polled and f'predict("{polled.group(1)}"' in source, (number, poll)
        for name in re.findall(r"drawings\.(\w+)\(\)", draw):
            assert callable(getattr(drawings, name, None)), name
            assert f"drawings.{name}()" in source, (number, name)
        section = re.match(r'"(.+?)"', cut)
        assert section and f"## {section.group(1)}" in source, (number, cut)
        objectives = " ".join(lessons[number]["objectives"])
        for exercise in re.findall(r"exercise (\d\d\.[a-z0-9-]+)", cut):
            assert exercise in objectives, (number, exercise)


def test_the_agenda_gives_every_lesson_its_minutes_and_breaks_come_often():
    text = sync.GUIDE.read_text(encoding="utf-8")
    agenda = text.split("<!-- BEGIN agenda -->", 1)[1].split("<!-- END agenda -->", 1)[0]
    lessons = {x["number"]: x for x in sync.lesson_headers()}
    for plan in agenda.split("**")[2::2]:
        clock = []
        for time, what, minutes in re.findall(r"^\| (\d\d:\d\d) \| (.+?) \| (\d*) \|$",
                                              plan, flags=re.M):
            hours, mins = map(int, time.split(":"))
            clock.append((hours * 60 + mins, what, minutes))
        since_break = 0
        for (start, what, minutes), (following, _, _) in zip(clock, clock[1:]):
            assert following - start == int(minutes), what
            lesson = re.match(r"Lesson (\d\d)", what)
            if lesson:
                x = lessons[lesson.group(1)]
                cut = re.search(r"(\d+) of its (\d+) exercise minutes: (.+?) after the "
                                r"workshop", what)
                in_room = int(cut.group(1)) if cut else int(x["exercises"])
                assert not cut or cut.group(2) == x["exercises"], what
                assert int(minutes) >= int(x["teaching"]) + in_room, what
            since_break = 0 if what in ("Break", "Lunch") else since_break + int(minutes)
            assert since_break <= 130, f"{what}: {since_break} minutes without a break"
    assert "A half day" in agenda and "12:00 | End" in agenda.split("**A full day")[0]
