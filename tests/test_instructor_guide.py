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
