"""Convert the jupytext py:percent sources to notebooks and execute them in place.

    python tests/tools/execute_notebooks.py                   # every notebook
    python tests/tools/execute_notebooks.py notebooks/00-start-here.py

Each notebook runs top to bottom in a fresh kernel with its own folder as the working
directory, exactly as nbval runs it, and is saved with its outputs. Idempotent: running it
twice gives the same cells (outputs differ only where they are nondeterministic).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = ("notebooks", "exercises")


def sources(argv: list[str]) -> list[Path]:
    if argv:
        return [Path(a).resolve() for a in argv]
    return sorted(p for f in FOLDERS for p in (ROOT / f).glob("*.py"))


def execute(py: Path, timeout: int = 120, save: bool = True) -> float:
    """Execute the notebook of ``py`` (a .py source or an .ipynb) in a fresh kernel;
    return the seconds it took; save it as .ipynb with outputs when ``save``."""
    nb = jupytext.read(py) if py.suffix == ".py" else nbformat.read(py, as_version=4)
    nb.metadata.pop("jupytext", None)
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)",
                                 "language": "python", "name": "python3"}
    start = time.perf_counter()
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(py.parent)}}).execute()
    elapsed = time.perf_counter() - start
    if save:
        nbformat.validate(nb)
        nbformat.write(nb, py.with_suffix(".ipynb"))
    return elapsed


def main(argv: list[str]) -> int:
    # the kernels record exercise passes: in a private folder, never the author's own
    with tempfile.TemporaryDirectory(prefix="loopedu-authoring-") as home:
        os.environ.setdefault("LOOPEDU_HOME", home)
        for py in sources(argv):
            elapsed = execute(py)
            print(f"{py.relative_to(ROOT)}: executed in {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
