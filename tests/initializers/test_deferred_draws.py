"""Draws put off by ``deferred_draws``: the same values and random state as immediate draws."""

import sys

import numpy as np
import pytest

import heft
from heft import initializers
from heft._platform._switches import HOST_SAMPLING
from heft.initializers import _sampling
from heft.random import SeedGenerator

MAKERS = {
    "RandomNormal": lambda seed: initializers.RandomNormal(0.5, 2.0, seed=seed),
    "RandomUniform": lambda seed: initializers.RandomUniform(-1.0, 3.0, seed=seed),
    "TruncatedNormal": lambda seed: initializers.TruncatedNormal(stddev=1.5, seed=seed),
    "GlorotUniform": lambda seed: initializers.GlorotUniform(seed=seed),
    "HeNormal": lambda seed: initializers.HeNormal(seed=seed),
    "Orthogonal": lambda seed: initializers.Orthogonal(gain=2.0, seed=seed),
}


@pytest.mark.parametrize("host", [True, False], ids=["host", "jax.random"])
@pytest.mark.parametrize("seed", ["int", "generator", "global"])
@pytest.mark.parametrize("name", sorted(MAKERS))
def test_deferred_draws_give_the_values_and_random_state_of_immediate_draws(name, seed, host):
    def make():
        heft.utils.set_random_seed(11)
        return MAKERS[name]({"int": 5, "generator": SeedGenerator(3), "global": None}[seed])

    with HOST_SAMPLING.forced(host):
        init = make()
        first, second = init((6, 4)), init((6, 4))
        after = np.asarray(heft.random.normal((3,)))

        init = make()
        with _sampling.deferred_draws() as draws:
            placeholder = init((6, 4))
        later = init((6, 4))
        assert np.asarray(heft.random.normal((3,))).tolist() == after.tolist()
        assert placeholder.shape == (6, 4) and placeholder.dtype == first.dtype
        assert not np.asarray(placeholder).any()
        (drawn,) = draws.draw_missing([placeholder])
    assert np.asarray(drawn).tobytes() == np.asarray(first).tobytes()
    assert np.asarray(later).tobytes() == np.asarray(second).tobytes()


def test_draw_missing_only_draws_its_own_placeholders():
    init = initializers.RandomNormal(seed=1)
    with _sampling.deferred_draws() as draws:
        placeholder = init((2,))
    assert len(draws) == 1
    copy = placeholder + 0
    assert draws.draw_missing([copy, np.zeros(2), "x"]) == [None, None, None]
    # Outside the block, draws are immediate; custom initializers are never deferred.
    assert np.asarray(init((2,))).any()
    with _sampling.deferred_draws() as draws:
        value = initializers.Ones()((2,))
    assert len(draws) == 0 and np.asarray(value).tolist() == [1.0, 1.0]


def test_deferred_draws_check_their_arguments_at_once():
    with _sampling.deferred_draws(), pytest.raises(ValueError, match=r"floating point `dtype`"):
        initializers.Orthogonal(seed=1)((3, 3), dtype="int32")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/statm")
def test_placeholders_cost_no_memory_until_written():
    def rss():
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * 4096

    init = initializers.GlorotUniform(seed=2)
    before = rss()
    with _sampling.deferred_draws():
        values = [init((4096, 4096)) for _ in range(4)]  # 256 MiB of float32
    assert rss() - before < 32 << 20
    assert sum(v.nbytes for v in values) == 256 << 20
