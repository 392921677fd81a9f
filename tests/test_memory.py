"""Variables check the memory they need before any initializer runs (heft/_memory.py)."""

import json
import os
import subprocess
import sys
import textwrap

import jax.numpy as jnp
import pytest

import heft
from heft import _memory
from heft._variable import Variable

GIB = 1 << 30

# The child sets an address-space limit before importing heft, so a variable that
# is allocated anyway fails there (or an abort kills only the child), never pytest.
_CHILD = textwrap.dedent(
    """
    import json, resource, sys, time
    limit = int(sys.argv[1])
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    import heft
    units = int(sys.argv[2])
    start = time.perf_counter()
    try:
        heft.Sequential([heft.Input((32,)), heft.layers.Dense(units)])
        outcome = {"raised": None}
    except BaseException as err:
        notes = "\\n".join(getattr(err, "__notes__", []))
        outcome = {"raised": type(err).__name__, "message": str(err), "notes": notes}
    outcome["seconds"] = time.perf_counter() - start
    print(json.dumps(outcome))
    """
)


def _address_space_used():
    """The address space a child uses once heft has built a small model (JAX's CPU client
    reserves some when it starts)."""
    code = (
        "import heft; heft.Sequential([heft.Input((32,)), heft.layers.Dense(2)]); "
        "print(open('/proc/self/statm').read())"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env=_child_env(),
        check=True,
    )
    return int(result.stdout.split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _child_env():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.path.dirname(os.path.dirname(heft.__file__))
    return env


def _build_dense_in_child(units, limit):
    result = subprocess.run(
        [sys.executable, "-c", _CHILD, str(limit), str(units)],
        capture_output=True,
        text=True,
        timeout=120,
        env=_child_env(),
        check=False,
    )
    assert result.returncode == 0, (
        f"the child died (status {result.returncode}) instead of raising:\n{result.stderr[-3000:]}"
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


needs_rlimit = pytest.mark.skipif(
    not os.path.exists("/proc/self/statm") or sys.platform == "win32",
    reason="needs POSIX rlimits and /proc to bound the child's memory",
)


@needs_rlimit
@pytest.mark.parametrize("units", [2**31, 2**27])
def test_dense_too_large_for_the_process_raises_value_error_quickly(units):
    # 2**31 units: a 256 GiB kernel (more elements than int32 counts); 2**27: 16 GiB,
    # within this machine's memory but over the child's 6 GiB address-space limit.
    outcome = _build_dense_in_child(units, 6 * GIB)
    assert outcome["raised"] == "ValueError", outcome
    message = outcome["message"]
    assert f"'sequential/dense/kernel' of shape (32, {units}) and dtype float32" in message
    assert f"{32 * units * 4:,} bytes" in message
    assert "ulimit" in message and "a typo in `units`" in message
    assert outcome["seconds"] < 1.0, outcome


@needs_rlimit
def test_variable_whose_allocation_fails_raises_instead_of_aborting():
    # The limit leaves 1 GiB of address space: a 1.5 GiB kernel passes the size check
    # (under the limit) but cannot be allocated. JAX reports that when the value is
    # used, and fetching such a value aborts the process; it must raise here instead.
    limit = _address_space_used() + GIB
    units = (3 * GIB // 2) // (32 * 4)
    outcome = _build_dense_in_child(units, limit)
    assert outcome["raised"] in ("JaxRuntimeError", "MemoryError"), outcome
    assert "RESOURCE_EXHAUSTED" in outcome["message"] or outcome["raised"] == "MemoryError"
    assert "variable 'sequential/dense/kernel'" in outcome["notes"]


def test_check_variable_counts_bytes_in_python_ints():
    assert _memory.check_variable("w", (3, 5), "float32", 4) == 60
    huge = (2**40, 2**40, 2**40)
    with pytest.raises(ValueError, match=rf"it needs {2**122:,} bytes \(4.61e\+18 EiB\)"):
        _memory.check_variable("layer/w", huge, "float32", 4)


def test_variable_over_physical_memory_raises_before_the_initializer_runs():
    calls = []

    def initializer(shape, dtype=None):
        calls.append(shape)
        return jnp.zeros(shape, dtype)

    with pytest.raises(ValueError, match=r"Cannot create variable 'big' of shape \(1099511627776,"):
        Variable(initializer, shape=(2**40, 2**10), name="big")
    assert calls == []


@pytest.mark.parametrize(
    ("shape", "match"),
    [
        ((4, -1), r"Negative dimensions are not allowed"),
        ((4, 2.0), r"invalid dimension '2.0' of type 'float'"),
        ((4, None), r"must be fully-defined"),
        ((4, True), r"invalid dimension 'True' of type 'bool'"),
    ],
)
def test_add_weight_with_a_bad_dimension_raises_a_clear_error(shape, match):
    layer = heft.layers.Layer(name="demo")
    with pytest.raises(ValueError, match=match):
        layer.add_weight(shape=shape, name="w")
    assert layer.weights == []


@pytest.mark.parametrize("units", [-1, 2.5])
def test_dense_with_bad_units_raises_before_building(units):
    with pytest.raises(ValueError, match="units"):
        heft.layers.Dense(units)


def test_available_bytes_is_the_smallest_known_limit():
    size, source = _memory.available_bytes()
    physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    assert 0 < size <= physical
    assert source in (
        "physical memory",
        "the container's memory limit",
        "the process's memory rlimit (ulimit -v/-d)",
    )


def test_budget_refuses_the_variable_that_goes_over_and_counts_the_others():
    with _memory.budget(100, "a demo build", "allocation_bytes") as budget:
        Variable("zeros", shape=(10,), name="a")
        with pytest.raises(
            ValueError,
            match=r"Refusing to create variable 'b' of shape \(20,\).*would take 120 bytes, "
            r"more than the limit of 100 bytes.*allocation_bytes=",
        ):
            Variable("zeros", shape=(20,), name="b")
        assert budget.used == 40
        assert budget.largest == (40, "a")
    Variable("zeros", shape=(20,), name="c")  # no budget outside the block
