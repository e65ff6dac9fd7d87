"""Shared test setup.

LOOPEDU_HOME points at a fresh temporary folder for the whole session, set when this
file is imported, so that neither the tests nor the notebook kernels that nbval starts
(they inherit the environment) ever touch the learner's real progress file.
"""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

_LOOPEDU_HOME = tempfile.mkdtemp(prefix="loopedu-test-home-")
os.environ["LOOPEDU_HOME"] = _LOOPEDU_HOME
atexit.register(shutil.rmtree, _LOOPEDU_HOME, ignore_errors=True)


@pytest.fixture(scope="session")
def loopedu_home() -> Path:
    """The temporary LOOPEDU_HOME of this test session."""
    return Path(_LOOPEDU_HOME)
