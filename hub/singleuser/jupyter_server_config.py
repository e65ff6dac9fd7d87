"""Read by each learner's single-user server on the classroom hub (the hub's config puts
this folder on ``JUPYTER_CONFIG_PATH``): kernels take ports from the learner's own block
(``../kernel_ports.py`` says why)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import kernel_ports  # noqa: E402

kernel_ports.install()
