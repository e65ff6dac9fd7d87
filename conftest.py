"""Test isolation for every path the test command accepts (tests/, notebooks/,
exercises/, or a single file): loaded by pytest for anything under this folder.

- LOOPEDU_HOME and LOOPEDU_WORKSPACE point into a fresh private folder for the whole
  run, set before any notebook kernel starts (kernels inherit them), so no test, doctest
  or notebook ever writes the learner's real progress or workspace; the folder is
  removed at exit.
- Every test must leave ``os.environ`` and the working directory as it found them: an
  autouse check fails the test that changed them (and puts them back).
"""

import atexit
import os
import shutil
import tempfile

import pytest

_HOME = tempfile.mkdtemp(prefix="loopedu-test-home-")
os.environ["LOOPEDU_HOME"] = _HOME
os.environ["LOOPEDU_WORKSPACE"] = os.path.join(_HOME, "workspace")
atexit.register(shutil.rmtree, _HOME, ignore_errors=True)


#: Set by pytest itself while a test runs.
_PYTEST_OWN = {"PYTEST_CURRENT_TEST"}


@pytest.fixture(autouse=True)
def _leaves_environment_and_cwd_alone(request):
    env, cwd = dict(os.environ), os.getcwd()
    yield
    changed = sorted(k for k in set(env) | set(os.environ)
                     if env.get(k) != os.environ.get(k) and k not in _PYTEST_OWN)
    moved = os.getcwd() != cwd
    if changed:
        for key in changed:
            if key in env:
                os.environ[key] = env[key]
            else:
                del os.environ[key]
    if moved:
        os.chdir(cwd)
    if changed or moved:
        pytest.fail(f"{request.node.nodeid} left process-wide state behind: "
                    + ", ".join([f"os.environ[{k!r}]" for k in changed]
                                + (["the working directory"] if moved else [])), pytrace=False)
