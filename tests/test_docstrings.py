"""Every example in a docstring of the package runs and gives what it shows."""

import doctest
import importlib
import io
import pkgutil

import pytest

import loopedu

MODULES = sorted(m.name for m in pkgutil.walk_packages(loopedu.__path__, "loopedu.")
                 if not m.name.endswith(("__main__", ".bootstrap")))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    out = io.StringIO()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in doctest.DocTestFinder().find(module):
        runner.run(test, out=out.write)
    assert runner.failures == 0, out.getvalue()
