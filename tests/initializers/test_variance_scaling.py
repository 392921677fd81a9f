import math

import numpy as np
import pytest

from heft.initializers import (
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    HeUniform,
    LecunNormal,
    LecunUniform,
    VarianceScaling,
    compute_fans,
)


def test_compute_fans_by_rank():
    assert compute_fans(()) == (1, 1)
    assert compute_fans((7,)) == (7, 7)
    assert compute_fans((3, 5)) == (3, 5)
    assert compute_fans((3, 3, 16, 32)) == (144, 288)


def test_compute_fans_with_explicit_axes():
    assert compute_fans((4, 5, 6), input_axes=[0, 1], output_axes=[2]) == (20, 6)
    # Both lists are needed; one alone is ignored.
    assert compute_fans((4, 5, 6), input_axes=[0], output_axes=None) == (20, 24)


@pytest.mark.parametrize(("mode", "fan"), [("fan_in", 400), ("fan_out", 100), ("fan_avg", 250)])
@pytest.mark.parametrize("distribution", ["truncated_normal", "untruncated_normal", "uniform"])
def test_variance_scaling_std_is_sqrt_scale_over_fan(mode, fan, distribution):
    init = VarianceScaling(scale=2.0, mode=mode, distribution=distribution, seed=1)
    values = np.asarray(init((400, 100)))
    assert abs(values.std() - math.sqrt(2.0 / fan)) < 0.03 * math.sqrt(2.0 / fan)


def test_variance_scaling_uniform_limit():
    values = np.asarray(VarianceScaling(3.0, "fan_in", "uniform", seed=2)((12, 50)))
    assert np.abs(values).max() <= math.sqrt(3.0 * 3.0 / 12)


def test_variance_scaling_small_fan_is_clamped_to_one():
    values = np.asarray(VarianceScaling(1.0, "fan_in", "uniform", seed=2)((0, 5)))
    assert values.shape == (0, 5)
    assert np.asarray(VarianceScaling(1.0, "fan_in", "uniform", seed=2)(())).size == 1


def test_variance_scaling_normal_is_alias_of_truncated_normal():
    init = VarianceScaling(distribution="Normal", seed=1)
    assert init.distribution == "truncated_normal"
    np.testing.assert_array_equal(init((5, 5)), VarianceScaling(seed=1)((5, 5)))


def test_variance_scaling_config():
    assert VarianceScaling(seed=1).get_config() == {
        "seed": 1,
        "scale": 1.0,
        "mode": "fan_in",
        "distribution": "truncated_normal",
        "input_axes": None,
        "output_axes": None,
    }


@pytest.mark.parametrize("scale", [0.0, -1.0])
def test_variance_scaling_rejects_non_positive_scale(scale):
    with pytest.raises(
        ValueError, match=f"Argument `scale` must be positive float. Received: scale={scale}"
    ):
        VarianceScaling(scale=scale)


def test_variance_scaling_rejects_bad_mode():
    with pytest.raises(ValueError, match="Invalid `mode` argument: fan_sum"):
        VarianceScaling(mode="fan_sum")


def test_variance_scaling_rejects_bad_distribution():
    with pytest.raises(ValueError, match="Invalid `distribution` argument: gaussian"):
        VarianceScaling(distribution="gaussian")


@pytest.mark.parametrize(
    ("cls", "scale", "mode", "distribution"),
    [
        (GlorotUniform, 1.0, "fan_avg", "uniform"),
        (GlorotNormal, 1.0, "fan_avg", "truncated_normal"),
        (HeNormal, 2.0, "fan_in", "truncated_normal"),
        (HeUniform, 2.0, "fan_in", "uniform"),
        (LecunNormal, 1.0, "fan_in", "truncated_normal"),
        (LecunUniform, 1.0, "fan_in", "uniform"),
    ],
)
def test_named_variance_scaling_equals_its_definition(cls, scale, mode, distribution):
    init = cls(seed=5)
    assert (init.scale, init.mode, init.distribution) == (scale, mode, distribution)
    assert isinstance(init, VarianceScaling)
    np.testing.assert_array_equal(
        init((30, 20)), VarianceScaling(scale, mode, distribution, seed=5)((30, 20))
    )
    assert init.get_config() == {"seed": 5, "input_axes": None, "output_axes": None}
    assert cls.from_config(init.get_config()).get_config() == init.get_config()


def test_glorot_uniform_limit():
    values = np.asarray(GlorotUniform(seed=1)((784, 64)))
    limit = math.sqrt(6.0 / (784 + 64))
    assert np.abs(values).max() <= limit
    assert np.abs(values).max() > 0.99 * limit


def test_named_variance_scaling_axes_change_fans():
    init = HeUniform(seed=1, input_axes=[0, 1], output_axes=[2])
    values = np.asarray(init((4, 5, 6)))
    assert np.abs(values).max() <= math.sqrt(6.0 / 20)
    assert init.get_config()["input_axes"] == [0, 1]
