"""Handouts: lessons, exercise notebooks and the glossary as HTML files (and PDFs) a
workshop prints or reads offline.

``loopedu handout SOURCE... -o DIR [--pdf] [--paper a4|letter] [--solutions]
[--exercises-only]`` writes ``DIR/<name>.html`` for each notebook (``.ipynb``) or markdown
page (``.md``, such as ``notebooks/glossary.md``), from the version named (the
committed, executed reference copy, or a learner's); with several, ``index.html`` and
``book.html`` (the whole set as one document) too; with ``--pdf``, a PDF of each and
``book.pdf``. Each file stands alone: its CSS inside, figures as ``data:`` URIs, no
script or stylesheet fetched from anywhere.

- :mod:`loopedu.handout.page`: one notebook as a page (solutions, ruled lines to write
  on, the banner, test markers, headings);
- :mod:`loopedu.handout.outputs`: figures with caption and data table, widgets as
  saved, the course's icons in words;
- :mod:`loopedu.handout.style`: paper size, footer with the title and page N of M, code
  scaled to the line, contrast;
- :mod:`loopedu.handout.links` and :mod:`loopedu.handout.book`: links inside the set,
  the index and the book; :mod:`loopedu.handout.exercises_only`: the exercises alone;
- :mod:`loopedu.handout.pdf`: printing with headless Chromium, offline;
  :mod:`loopedu.handout.command`: the ``loopedu handout`` subcommand.

Introduced in notebooks/00-start-here.ipynb (``loopedu handout``, for instructors).
"""

from .book import Handouts, build_handouts
from .page import HandoutError, HandoutPage, handout_html
from .pdf import find_chromium, print_pdf
from .style import PAPERS, default_paper

__all__ = ["HandoutError", "HandoutPage", "Handouts", "build_handouts", "default_paper",
           "find_chromium", "handout_html", "print_pdf", "PAPERS"]
