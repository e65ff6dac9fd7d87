"""A live view for the classroom: ``loopedu class-report --watch DIR`` shows the class's
predictions (and standing) again whenever a learner's record changes, until Ctrl+C.

Introduced in notebooks/00-start-here.ipynb (the instructor's ``loopedu class-report``).

``DIR`` is a folder the learners' exports arrive in, or a hub's folder of the learners'
progress folders (see :func:`loopedu.class_progress.load_exports`), which change as the
learners work, with nobody exporting anything. :func:`render_frame` makes one frame from
the folder; :func:`watch` calls it whenever what the folder holds changes (checked every
``every`` seconds), prints it and, when asked, redraws the chart of one prediction into a
file, so a projector showing that image follows the room.
"""

from __future__ import annotations

import io
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ..keep_edits import atomic_write_bytes
from .exports import ExportError, load_exports
from .poll import format_polls, prediction_chart
from .report import ClassReport, class_report, format_class_report

__all__ = ["Frame", "folder_state", "render_frame", "watch"]

#: What clears a terminal and puts the cursor at the top (ANSI/VT100 ``ED`` and ``CUP``).
CLEAR = "\x1b[2J\x1b[H"


@dataclass(frozen=True)
class Frame:
    """One frame of the live view: its ``text``, the ``report`` it shows (None when no
    record was found yet) and when it was made."""

    text: str
    report: ClassReport | None
    made_at: str


def folder_state(folder: str | os.PathLike) -> tuple:
    """What changes when a learner's record arrives or changes in ``folder``: the name,
    size and modification time of every ``*.json`` below it (hidden data folders of a
    hub's home folders included).

    Introduced in notebooks/00-start-here.ipynb.
    """
    found = []
    for path in sorted(Path(folder).expanduser().rglob("*.json")):
        try:
            info = path.stat()
        except OSError:  # gone between the listing and the look
            continue
        found.append((path.as_posix(), info.st_size, info.st_mtime_ns))
    return tuple(found)


def render_frame(folder: str | os.PathLike, prediction: str | None = None,
                 chart: str | os.PathLike | None = None) -> Frame:
    """One frame of the live view of ``folder``: the polls of every prediction (of
    ``prediction`` only, when given) first, for the room, then the class's standing;
    ``chart`` (with ``prediction``) is redrawn with that prediction's bars.

    Introduced in notebooks/00-start-here.ipynb.
    """
    made = datetime.now(timezone.utc).isoformat(timespec="seconds")
    try:
        loaded = load_exports(folder)
    except ExportError as exc:
        return Frame(f"loopedu class-report --watch: {exc}", None, made)
    head = (f"Live class view of {folder} at {made[11:19]} UTC: {len(loaded.exports)} "
            "learners' records (Ctrl+C stops)")
    if not loaded.exports:
        return Frame(f"{head}\n\nNo records yet: waiting for exports or progress "
                     "folders to appear.", None, made)
    report = class_report(loaded)
    parts = [head, "", *format_polls(report.polls, prediction)]
    if prediction is None:
        parts += ["", format_class_report(report)]
    if chart is not None and prediction is not None:
        poll = next((p for p in report.polls if p.id == prediction), None)
        if poll is not None:
            save_chart(poll, chart)
            parts += ["", f"Chart of {prediction} redrawn in {chart}"]
    return Frame("\n".join(parts), report, made)


def save_chart(poll, path: str | os.PathLike) -> None:
    """Draw :func:`loopedu.class_progress.poll.prediction_chart` of ``poll`` into
    ``path`` (PNG, SVG or PDF by its suffix), atomically: an image viewer never shows a
    half-written file."""
    fig = prediction_chart(poll)
    kind = Path(path).suffix.lstrip(".").lower() or "png"
    buffer = io.BytesIO()
    fig.savefig(buffer, format=kind, dpi=100, metadata=fig.savefig_metadata.get(kind))
    atomic_write_bytes(path, buffer.getvalue())


def watch(folder: str | os.PathLike, prediction: str | None = None,
          chart: str | os.PathLike | None = None, every: float = 2.0,
          frames: int | None = None, show: Callable[[str], None] | None = None,
          sleep: Callable[[float], None] | None = None) -> int:
    """Show :func:`render_frame` of ``folder`` now and again whenever
    :func:`folder_state` changes, checking every ``every`` seconds, until Ctrl+C (or
    ``frames`` frames, for tests). ``show`` prints a frame (default: the terminal,
    cleared first). Returns how many frames were shown.

    Introduced in notebooks/00-start-here.ipynb.
    """
    if show is None:
        def show(text: str) -> None:
            print(CLEAR + text, flush=True)
    sleep = sleep or time.sleep
    shown, state = 0, None
    try:
        while frames is None or shown < frames:
            now = folder_state(folder)
            if now != state:
                state = now
                show(render_frame(folder, prediction, chart).text)
                shown += 1
                if frames is not None and shown >= frames:
                    break
            sleep(every)
    except KeyboardInterrupt:
        pass
    return shown
