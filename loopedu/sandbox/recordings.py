"""Results recorded on Linux, for machines that cannot run an experiment: each saved with
where, when and how it was made, and shown with that label.

A recording is a small JSON file in ``loopedu/data/`` named ``<name>-recorded.json``:
the machine (system, kernel release, distribution, C library), the date, how the
experiment ran (``"in network namespaces made as root"``), the label built from them,
and the result itself in the children's typed JSON (:func:`children.encode`), so it
comes back as the very dataclasses a live run returns. :func:`load_recording` gives it
back with ``mechanism="recorded"`` and ``where`` set to the label.

Such results are :class:`Provenance` dataclasses: they say where they come from, and
:func:`measured_or_recorded` runs an experiment or, where the machine cannot, gives its
recording with the reason. A lesson's module records its experiment with its own
``record()`` function, run on a Linux machine that can (as root, so the label says so).

Introduced in notebooks/02-localhost-is-a-name.ipynb.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import platform
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from . import children
from .holders import NamespaceUnavailable

__all__ = ["DATA", "Provenance", "recording_path", "this_machine", "save_recording",
           "load_recording", "measured_or_recorded"]

#: Where recordings live: the package's data folder (shipped in the wheel).
DATA = Path(__file__).resolve().parents[1] / "data"


@dataclass(frozen=True, kw_only=True)
class Provenance:
    """Where a result comes from: ``mechanism`` is how it was measured here (``"root"``,
    ``"user namespace"``) or ``"recorded"``; ``where`` says it in words (for a recording:
    where, when and how it was recorded); ``why_recorded`` why it was not measured here.
    Results of the live experiments subclass it (its fields are keyword-only).

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """

    mechanism: str
    where: str
    why_recorded: str = ""

    @property
    def live(self) -> bool:
        """True when measured here."""
        return self.mechanism != "recorded"

    def provenance_lines(self, explanation: str, about: str = "") -> list[str]:
        """The first lines of a result's text: ``[LIVE]`` or ``[RECORDED]``, ``about``
        the setup and where the result comes from; for a recording ``explanation``
        (why a recording is shown, what it shows) and the reason it is not live here."""
        head = f"[{'LIVE' if self.live else 'RECORDED'}] {about}{self.where}"
        if self.live:
            return [head]
        return [head, explanation] + ([f"(not live here: {self.why_recorded})"]
                                      if self.why_recorded else [])

    def to_dict(self) -> dict:
        """Plain data, ready for json.dumps (subclasses add what they measured)."""
        return {"mechanism": self.mechanism, "where": self.where,
                "why_recorded": self.why_recorded}


def recording_path(name: str) -> Path:
    """The file of the recording ``name`` (lower-case words joined by ``-``).

    >>> recording_path("lo-down-04").name
    'lo-down-04-recorded.json'

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    if not name or not all(part.isalnum() and part.islower() or part.isdigit()
                           for part in name.split("-")):
        raise ValueError(f"a recording's name is lower-case words and digits joined by "
                         f"'-', not {name!r}")
    return DATA / f"{name}-recorded.json"


def this_machine() -> dict:
    """This machine in the words a recording keeps: ``system``, ``kernel`` (the release,
    ``platform.release()``), ``distribution`` (``"Debian 12"``) and ``libc`` (``"glibc
    2.36"``), each ``""`` where unknown.

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    distribution = ""
    try:  # "Debian 12", as loopedu.postgres labels its recording
        release = platform.freedesktop_os_release()
        distribution = " ".join(part for part in (release.get("NAME", "").split()[:1]
                                                  + [release.get("VERSION_ID", "")]) if part)
    except (OSError, AttributeError):
        pass
    lib, version = platform.libc_ver()
    return {"system": platform.system(), "kernel": platform.release(),
            "distribution": distribution, "libc": f"{lib} {version}".strip()}


def _label(machine: dict, how: str, date: str) -> str:
    detail = ", ".join(part for part in (machine["distribution"], machine["libc"]) if part)
    inner = f" ({detail})" if detail else ""
    return f"recorded on {machine['system']} {machine['kernel']}{inner} {how}, {date}"


def save_recording(name: str, result: Provenance, how: str | None = None,
                   path: str | Path | None = None) -> dict:
    """Save ``result`` (as a live run returned it) as the recording ``name``, labelled
    with this machine, today's date and ``how`` it ran (by default ``"in network
    namespaces made as <its mechanism>"``); returns what was written.

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    if how is None:
        how = f"in network namespaces made as {result.mechanism}"
    machine = this_machine()
    date = datetime.date.today().isoformat()
    data = {"label": _label(machine, how, date), "date": date, **machine, "how": how,
            "result": children.encode(result)}
    target = Path(path) if path is not None else recording_path(name)
    target.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    return data


def load_recording(name: str, path: str | Path | None = None) -> Any:
    """The recording ``name`` as the dataclass a live run returns, with ``mechanism``
    ``"recorded"`` and ``where`` its label (where, when and how it was recorded).

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    source = Path(path) if path is not None else recording_path(name)
    data = json.loads(source.read_text(encoding="utf-8"))
    result = children.decode(data["result"])
    return dataclasses.replace(result, mechanism="recorded", where=data["label"])


def measured_or_recorded(measure: Callable[..., Provenance], name: str, *args,
                         unavailable: tuple = (NamespaceUnavailable,), **kwargs) -> Any:
    """``measure(*args, **kwargs)`` where this machine can; where it raises one of
    ``unavailable`` (by default :class:`NamespaceUnavailable`), the recording ``name``
    with ``why_recorded`` saying why.

    Introduced in notebooks/02-localhost-is-a-name.ipynb.
    """
    try:
        return measure(*args, **kwargs)
    except unavailable as exc:
        return dataclasses.replace(load_recording(name), why_recorded=str(exc))
