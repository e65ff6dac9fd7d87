"""How long a lesson takes a learner, estimated the way issue 21's reviewer did: 120 words
a minute of text, 1.5 minutes a code cell, 2.5 a prediction cell, 3 a widget cell. A
lesson's *main path* runs from its first cell to its "## Going further" heading (or to
"## Sources" where it has none); "Going further" is what a first pass may skip. The
Sources section is reference, not reading time.

That estimate counts a code cell at 1.5 minutes whatever it prints. The column
"+outputs" gives the minutes to read the words the main path's stored outputs print
(text, not figures, drawings or widgets) at the same 120 words a minute. A lesson's
stated teaching minutes cover both (tests/test_notebook_lint.py): reviewers reading as
learners found the outputs took 5-11 minutes the estimate left out.

    python tests/tools/lesson_minutes.py            # a table of every lesson
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
WORDS_A_MINUTE = 120
CODE, PREDICTION, WIDGET = 1.5, 2.5, 3.0
_FURTHER = re.compile(r"^## Going further", re.M)
_SOURCES = re.compile(r"^## Sources", re.M)
_STATED = re.compile(r"\*\*Minutes:\*\*\s*(\d+) teaching \+ (\d+) exercises"
                     r"(?:;?\s*Going further:?\s*(\d+)(?: more)?)?")


@dataclass(frozen=True)
class Estimate:
    """A lesson's reading and running time: main path and Going further, in minutes, its
    stated minutes, and the main path's average sentence length in words."""

    lesson: str
    main: float
    further: float
    stated_teaching: int
    stated_exercises: int
    stated_further: int | None
    words_a_sentence: float
    output_minutes: float = 0.0


def _prose(markdown: str) -> str:
    text = re.sub(r"```.*?```", " ", markdown, flags=re.S)        # code blocks
    text = re.sub(r"`[^`]*`", "x", text)                           # inline code: one word
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)         # links: their text
    text = re.sub(r"^\s*#+\s*", "", text, flags=re.M)              # headings
    return text


def _sentences(text: str) -> list[str]:
    lines = [line.strip("-* ") for line in text.splitlines()]
    joined = " ".join(line for line in lines if line and not line.startswith("|"))
    return [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z0-9`*(\"“])", joined) if len(s.split()) > 2]


def _output_words(cell) -> int:
    """Words of text a code cell's stored outputs print (figures and widgets: none)."""
    words = 0
    for output in cell.get("outputs", []):
        data = output.get("data", {})
        html = "".join(data.get("text/html", ""))
        if "image/png" in data or "image/svg+xml" in data or "<svg" in html \
                or "<img" in html or "application/vnd.jupyter.widget-view+json" in data:
            continue  # a figure or drawing (its text/plain is the alt text), a widget
        text = output.get("text") or data.get("text/plain", "")
        words += len(("".join(text) if isinstance(text, list) else text).split())
    return words


def estimate(path: Path) -> Estimate:
    """The :class:`Estimate` of the lesson notebook at ``path``."""
    cells = nbformat.read(path, as_version=4).cells
    part, minutes, sentences = "main", {"main": 0.0, "further": 0.0}, []
    output_words = 0
    for i, cell in enumerate(cells):
        source = cell.source
        if cell.cell_type == "markdown":
            if _SOURCES.search(source):
                head = source[:_SOURCES.search(source).start()]
                if _FURTHER.search(head):
                    minutes[part] += len(_prose(head[:_FURTHER.search(head).start()]).split()) \
                        / WORDS_A_MINUTE
                    part = "further"
                    head = head[_FURTHER.search(head).start():]
                minutes[part] += len(_prose(head).split()) / WORDS_A_MINUTE
                break
            if _FURTHER.search(source):
                before = source[:_FURTHER.search(source).start()]
                minutes[part] += len(_prose(before).split()) / WORDS_A_MINUTE
                part, source = "further", source[_FURTHER.search(source).start():]
            prose = _prose(source)
            minutes[part] += len(prose.split()) / WORDS_A_MINUTE
            if part == "main" and i > 0:
                sentences += _sentences(prose)
        elif cell.cell_type == "code":
            cost = (PREDICTION if re.search(r"^predict\(", source, re.M) else
                    WIDGET if "widgets." in source else CODE)
            minutes[part] += cost
            if part == "main":
                output_words += _output_words(cell)
    stated = _STATED.search(cells[0].source)
    teaching, exercises, further = (int(stated.group(1)), int(stated.group(2)),
                                    int(stated.group(3)) if stated.group(3) else None) \
        if stated else (0, 0, None)
    average = sum(len(s.split()) for s in sentences) / max(1, len(sentences))
    return Estimate(path.stem, round(minutes["main"], 1), round(minutes["further"], 1),
                    teaching, exercises, further, round(average, 1),
                    round(output_words / WORDS_A_MINUTE, 1))


def main() -> int:
    print(f"{'lesson':<28}{'main':>6}{'stated':>8}{'further':>9}{'stated':>8}{'words/sentence':>16}"
          f"{'+outputs':>10}")
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb")):
        e = estimate(path)
        print(f"{e.lesson:<28}{e.main:>6}{e.stated_teaching:>8}{e.further:>9}"
              f"{e.stated_further if e.stated_further is not None else '-':>8}"
              f"{e.words_a_sentence:>16}{e.output_minutes:>10}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
