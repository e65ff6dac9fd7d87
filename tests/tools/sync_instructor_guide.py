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


def synced(text: str, lessons) -> str:
    for name, body in (("schedule", schedule(lessons)), ("objectives", objectives(lessons))):
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
