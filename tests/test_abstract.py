"""Abstract builds: variables record their shapes and allocate nothing (heft/_abstract.py)."""

import random

import jax
import numpy as np

import heft
from heft import _abstract, _naming
from heft._variable import Variable


def test_abstract_run_records_variables_and_allocates_none():
    def build():
        model = heft.Sequential([heft.Input((32,)), heft.layers.Dense(2**31)])
        model(np.zeros((1, 32), "float32"))

    records, error = _abstract.run(build)
    assert error is None
    assert [(r.path, r.shape, r.dtype) for r in records] == [
        ("sequential/dense/kernel", (32, 2**31), "float32"),
        ("sequential/dense/bias", (2**31,), "float32"),
    ]
    assert sum(r.nbytes for r in records) == (32 + 1) * 2**31 * 4


def test_abstract_run_uses_up_no_names_and_no_random_state():
    state = random.getstate()
    records, error = _abstract.run(
        lambda: heft.layers.Dense(2, kernel_initializer="glorot_uniform").build((None, 3))
    )
    assert error is None and len(records) == 2
    assert random.getstate() == state
    assert _naming.auto_name("Dense") == "dense"


def test_abstract_run_returns_the_error_and_the_records_before_it():
    def build():
        Variable("zeros", shape=(4,), name="first")
        raise KeyError("stop")

    records, error = _abstract.run(build)
    assert [r.path for r in records] == ["first"]
    assert isinstance(error, KeyError)


def test_abstract_variables_stay_tracers_under_constant_folding():
    with jax.ensure_compile_time_eval():
        records, error = _abstract.run(lambda: Variable("ones", shape=(2**20, 2**20)))
    assert error is None and records[0].nbytes == 4 * 2**40
