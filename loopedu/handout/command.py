"""``loopedu handout``: the subcommand's arguments and what it prints (the paths it
wrote, then any note for the instructor on stderr).

Introduced in notebooks/00-start-here.ipynb (``loopedu handout``, for instructors).
"""

from __future__ import annotations

import sys

from .book import build_handouts
from .style import LETTER_TERRITORIES, PAPERS, default_paper

__all__ = ["add_handout_command"]


def _handout(args) -> int:
    done = build_handouts(args.notebooks, args.output, pdf=args.pdf,
                          solutions=args.solutions, paper=args.paper,
                          exercises_only=args.exercises_only)
    for path in done.written:
        print(path)
    for note in done.notes:
        print(note, file=sys.stderr)
    return 0


def add_handout_command(sub) -> None:
    """Add ``loopedu handout`` to the subcommands ``sub`` (argparse's).

    Introduced in notebooks/00-start-here.ipynb (``loopedu handout``, for instructors).
    """
    han = sub.add_parser("handout", help="instructors: lessons, exercises and the glossary "
                         "as HTML (and PDF) handouts that read offline and print")
    han.add_argument("notebooks", nargs="+", metavar="NOTEBOOK.ipynb|PAGE.md",
                     help="lessons, exercise notebooks, notebooks/glossary.md; several "
                     "make one set: an index, a book of them all, links inside the set")
    han.add_argument("-o", "--output", required=True, metavar="DIR",
                     help="folder for the handouts (made if needed)")
    han.add_argument("--pdf", action="store_true",
                     help="also print each (and the book) to PDF with headless Chromium")
    han.add_argument("--paper", choices=sorted(PAPERS), default=None,
                     help="paper size (default: letter where the locale's country prints "
                     f"on it, {', '.join(LETTER_TERRITORIES[:3])} and a few more; a4 "
                     f"elsewhere; here: {default_paper()})")
    han.add_argument("--solutions", action="store_true",
                     help="include the example answers (default: left out, with ruled "
                     "lines to write on)")
    han.add_argument("--exercises-only", action="store_true",
                     help="one handout, exercises.html, of just the exercises")
    han.set_defaults(func=_handout)
