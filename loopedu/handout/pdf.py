"""Printing a handout to PDF with headless Chromium (or Chrome), offline.

Chromium's own ``--print-to-pdf`` does it: the paper size, the margins and the footer
(the title, and page N of M) are CSS ``@page`` rules in the handout itself
(:mod:`loopedu.handout.style`), which Chromium prints since version 131. Nothing else
is needed: no Playwright, no DevTools connection, so an instructor's plain ``lab``
install prints too. An older Chromium prints the pages without their footer, and
:func:`footer_note` says so.

Introduced in notebooks/00-start-here.ipynb (``loopedu handout --pdf``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from .page import HandoutError

__all__ = ["find_chromium", "chromium_version", "footer_note", "print_pdf",
           "OFFLINE_FLAGS", "MARGIN_BOXES_SINCE"]

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
INSTALL_HINT = ("on Debian or Ubuntu: sudo apt-get install chromium (or install Google "
                "Chrome), then run the command again")
#: Flags that keep Chromium off every network while it renders a local file.
OFFLINE_FLAGS = ("--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
                 "--host-resolver-rules=MAP * ~NOTFOUND")
#: The first Chromium that prints CSS page-margin boxes (the footer).
MARGIN_BOXES_SINCE = 131


def find_chromium() -> str | None:
    """The Chromium (or Chrome) program that prints PDFs, or ``None`` if there is none.

    Introduced in notebooks/00-start-here.ipynb (``loopedu handout --pdf``).
    """
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None


def chromium_version(chromium: str) -> int | None:
    """The major version ``chromium --version`` prints, or ``None`` if it says none.

    Introduced in notebooks/00-start-here.ipynb (``loopedu handout --pdf``).
    """
    try:
        done = subprocess.run([chromium, "--version"], capture_output=True, text=True,
                              timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = re.search(r"\b(\d+)\.\d+\.\d+", done.stdout)
    return int(found.group(1)) if found else None


def footer_note(chromium: str) -> str:
    """A line for the instructor when this Chromium prints no page numbers, else "".

    Introduced in notebooks/00-start-here.ipynb (``loopedu handout --pdf``).
    """
    version = chromium_version(chromium)
    if version is None or version >= MARGIN_BOXES_SINCE:
        return ""
    return (f"note: Chromium {version} prints the PDFs without page numbers or titles in "
            f"the footer (they need Chromium {MARGIN_BOXES_SINCE} or newer); update it "
            "for numbered pages")


def _sandbox_flags() -> list[str]:
    """``--no-sandbox`` as root only: Chromium refuses to run as root with its sandbox,
    and anyone else keeps it (the page is the course's own, but a sandbox costs nothing)."""
    geteuid = getattr(os, "geteuid", None)  # none on Windows, where the sandbox works
    return ["--no-sandbox"] if geteuid is not None and geteuid() == 0 else []


def print_pdf(html_file: Path, pdf_file: Path, chromium: str | None = None,
              timeout: float = 120) -> Path:
    """Print ``html_file`` to ``pdf_file`` with headless Chromium, offline; the page
    size, margins and footer are the page's own CSS.

    Introduced in notebooks/00-start-here.ipynb (``loopedu handout --pdf``).
    """
    chromium = chromium or find_chromium()
    if chromium is None:
        raise HandoutError(f"--pdf needs Chromium and none was found; {INSTALL_HINT}")
    if pdf_file.is_file():
        pdf_file.unlink()  # a PDF from an earlier run must not pass for this one
    with tempfile.TemporaryDirectory(prefix="loopedu-chromium-") as profile:
        cmd = [chromium, "--headless", *_sandbox_flags(), "--disable-gpu",
               "--no-pdf-header-footer", f"--user-data-dir={profile}", *OFFLINE_FLAGS,
               f"--print-to-pdf={pdf_file}", Path(html_file).resolve().as_uri()]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise HandoutError(f"Chromium could not print {html_file}: {exc}") from None
    if not pdf_file.is_file() or pdf_file.read_bytes()[:4] != b"%PDF":
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise HandoutError(f"Chromium printed no PDF for {html_file} (exit status "
                           f"{done.returncode}: {last[:200]})")
    return pdf_file
