"""The ``>>>`` examples in heft.ops and heft.activations run and print what they show."""

import doctest
import importlib
import inspect

import jax
import pytest

from heft import activations, ops

MODULES = [
    "heft.ops._activation_ops",
    "heft.ops._binary",
    "heft.ops._control_flow",
    "heft.ops._core",
    "heft.ops._creation",
    "heft.ops._dispatch",
    "heft.ops._elementwise",
    "heft.ops._indexing",
    "heft.ops._join",
    "heft.ops._linalg",
    "heft.ops._nn",
    "heft.ops._normalization",
    "heft.ops._products",
    "heft.ops._reduction",
    "heft.ops._shape",
    "heft.ops._sorting",
    "heft.ops._spaces",
    "heft.ops._statistics",
    "heft.activations._activations",
    "heft.activations._lookup",
]
GLOBS = {
    "ops": ops,
    "jax": jax,
    **{n: getattr(activations, n) for n in dir(activations) if not n.startswith("_")},
}


def _public_functions(module):
    seen = set()
    for name, obj in vars(module).items():
        defined_here = getattr(obj, "__module__", None) in (module.__name__, "heft.ops")
        if (
            not name.startswith("_")
            and inspect.isfunction(obj)
            and defined_here
            and id(obj) not in seen
        ):
            seen.add(id(obj))
            yield name, obj


@pytest.mark.parametrize("module_name", MODULES)
def test_docstring_examples_run(module_name):
    module = importlib.import_module(module_name)
    finder = doctest.DocTestFinder(recurse=False)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    report = []
    attempted = 0
    for name, fn in _public_functions(module):
        for test in finder.find(fn, name, globs=dict(GLOBS)):
            result = runner.run(test, out=report.append)
            attempted += result.attempted
    assert attempted > 0
    assert runner.failures == 0, "".join(report)


def test_every_implementation_module_is_checked():
    import pathlib

    found = set()
    for package in ("ops", "activations"):
        folder = pathlib.Path(importlib.import_module(f"heft.{package}").__file__).parent
        found |= {f"heft.{package}.{p.stem}" for p in folder.glob("_*.py") if p.stem != "__init__"}
    assert found == set(MODULES)
