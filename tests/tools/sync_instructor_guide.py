"""Write the schedule and the objectives of instructors/README.md from the lessons' own
first cells, so the guide never drifts from them.

    python tests/tools/sync_instructor_guide.py          # rewrite the two blocks
    python tests/tools/sync_instructor_guide.py --check  # exit 1 if they are stale
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "instructors" / "README.md"


def lesson_headers() -> list[dict]:
    out = []
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb")):
        first = nbformat.read(path, as_version=4).cells[0].source
        title = re.match(r"^# (\d\d) · (.+)$", first, flags=re.M)
        minutes = re.search(r"\*\*Minutes:\*\* (\d+) teaching \+ (\d+) exercises", first)
        block = first.split("**Objectives.**", 1)[1].split("**Prerequisites.**", 1)[0]
        objectives = []
        for line in block.splitlines():
            if line.startswith("- "):
                objectives.append(line[2:].strip())
            elif objectives and line.startswith("  "):
                objectives[-1] += " " + line.strip()
        out.append({"number": title.group(1), "title": title.group(2).strip(),
                    "teaching": minutes.group(1), "exercises": minutes.group(2),
                    "objectives": objectives, "file": path.name})
    return out


def schedule(lessons) -> str:
    rows = ["| lesson | title | teaching | exercises |", "|---|---|---|---|"]
    rows += [f"| {x['number']} | {x['title']} | {x['teaching']} | {x['exercises']} |"
             for x in lessons]
    total_t = sum(int(x["teaching"]) for x in lessons)
    total_e = sum(int(x["exercises"]) for x in lessons)
    rows.append(f"| all | | {total_t} | {total_e} |")
    return "\n".join(rows)


def objectives(lessons) -> str:
    parts = []
    for x in lessons:
        parts.append(f"**{x['number']} · {x['title']}** "
                     f"([lesson](../notebooks/{x['file']}))\n")
        parts += [f"- {objective}" for objective in x["objectives"]]
        parts.append("")
    return "\n".join(parts).rstrip()


# A workshop's pieces besides the lessons, in minutes. Each lesson gets its teaching and
# exercise minutes plus DISCUSSION for the poll and questions.
DISCUSSION = 5
PIECES = {
    "welcome": (10, "Welcome; everyone opens lesson 00 in their workspace (`loopedu lab`) "
                    "and runs its first cell"),
    "welcome2": (10, "Welcome back; one prediction from day one, re-run on the projector"),
    "break": (15, "Break"),
    # the half day's one break is shorter, so that lesson 03's 20 exercise minutes fit;
    # day two has one too between 07 and 08, which together run past two hours
    "short break": (10, "Break"),
    "lunch": (60, "Lunch"),
    "wrap": (5, "Wrap-up: [Popular claims, checked](../notebooks/popular-claims.ipynb), "
                "three claims voted on by the room"),
}
#: Cut points: a lesson whose exercises do not all fit in a plan gets these minutes of
#: them in the room, and the rest named for after the workshop (no objective is lost:
#: each named exercise tests one).
CUTS = {
    "01": (11, "exercises 1, 3 and 5 in the room; 2, 4, 6 and 7 after the workshop"),
}
PLANS = {
    "A half day (three hours)": ["welcome", "00", ("01", "cut"), "short break", "03",
                                 "wrap"],
    "A full day (day one of two)": ["welcome", "00", "01", "break", "02", "lunch", "03",
                                    "04", "break", "05", "wrap"],
    "Day two (a long morning)": ["welcome2", "06", "break", "07", "short break", "08",
                                 "wrap"],
}


def agenda(lessons, start: int = 9 * 60) -> str:
    """Clock-time plans from the lessons' minutes: no slot is shorter than its lesson."""
    by_number = {x["number"]: x for x in lessons}
    parts = []
    for title, plan in PLANS.items():
        rows = ["| time | what | minutes |", "|---|---|---|"]
        clock = start
        for piece in plan:
            cut = isinstance(piece, tuple)
            piece = piece[0] if cut else piece
            if piece in by_number:
                x = by_number[piece]
                exercises = f"{x['exercises']} exercises"
                in_room = int(x["exercises"])
                if cut:
                    in_room, rest = CUTS[piece]
                    exercises = f"{in_room} of its {x['exercises']} exercise minutes: {rest}"
                minutes = int(x["teaching"]) + in_room + DISCUSSION
                what = (f"Lesson {piece} · {x['title']} ({x['teaching']} teaching, "
                        f"{exercises}, {DISCUSSION} poll and questions)")
            else:
                minutes, what = PIECES[piece]
            rows.append(f"| {clock // 60:02d}:{clock % 60:02d} | {what} | {minutes} |")
            clock += minutes
        rows.append(f"| {clock // 60:02d}:{clock % 60:02d} | End | |")
        parts.append(f"**{title}**, {clock - start} minutes\n\n" + "\n".join(rows))
    return "\n\n".join(parts)


def synced(text: str, lessons) -> str:
    for name, body in (("schedule", schedule(lessons)), ("objectives", objectives(lessons)),
                       ("agenda", agenda(lessons))):
        text = re.sub(rf"(<!-- BEGIN {name} -->\n).*?(<!-- END {name} -->)",
                      lambda m: m.group(1) + body + "\n" + m.group(2), text, flags=re.S)
    return text


def main(argv: list[str]) -> int:
    text = GUIDE.read_text(encoding="utf-8")
    new = synced(text, lesson_headers())
    if "--check" in argv:
        return 0 if new == text else 1
    GUIDE.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
