"""How many printed pages each handout takes, and how many its main path takes: the
pages up to its "Going further" heading (or "Sources" where it has none), as in
tests/tools/lesson_minutes.py. Issue 22 aims at 8 A4 pages for a lesson's main path.

    python tests/tools/handout_pages.py                      # every lesson, A4
    python tests/tools/handout_pages.py --paper letter exercises/*.ipynb

Builds the handouts (``loopedu handout --pdf``) into a temporary folder (``-o DIR`` to
keep them) and reads the PDFs with pdftotext (Debian's poppler-utils).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
MAIN_PATH_ENDS = ("Going further", "Sources")
AIM = 8


def page_texts(pdf: Path) -> list[str]:
    """The text of each page of ``pdf``."""
    done = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True)
    return done.stdout.split("\f")[:-1]


def main_path_pages(pages: list[str]) -> float:
    """Pages before the main path's end; the page it ends on counts as the share of its
    lines above the heading."""
    for end in MAIN_PATH_ENDS:
        for number, text in enumerate(pages):
            lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
            if end in lines[:-1]:  # the last line is the footer
                return number + lines.index(end) / max(1, len(lines) - 1)
    return float(len(pages))


def count(sources: list[Path], paper: str, out: Path) -> list[tuple[str, int, float]]:
    from loopedu.handout import build_handouts

    build_handouts(sources, out, pdf=True, paper=paper)
    rows = []
    for source in sources:
        pages = page_texts(out / f"{source.stem}.pdf")
        rows.append((source.stem, len(pages), main_path_pages(pages)))
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sources", nargs="*", type=Path)
    parser.add_argument("--paper", default="a4", choices=("a4", "letter"))
    parser.add_argument("-o", "--output", type=Path, help="keep the handouts here")
    args = parser.parse_args(argv)
    sources = args.sources or sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
    with tempfile.TemporaryDirectory() as scratch:
        rows = count(sources, args.paper, args.output or Path(scratch))
    print(f"{'handout':<40} {'pages':>5} {'main path':>9}")
    for name, pages, main_path in rows:
        flag = "  over the aim" if main_path > AIM else ""
        print(f"{name:<40} {pages:>5} {main_path:>9.1f}{flag}")
    print(f"{'total':<40} {sum(r[1] for r in rows):>5}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
