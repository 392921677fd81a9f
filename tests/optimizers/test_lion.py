"""Lion's range check on beta_1."""

import pytest

from heft.optimizers import Lion


@pytest.mark.parametrize("beta_1", [0.0, 1.5])
def test_lion_rejects_beta_1_outside_the_unit_interval(beta_1):
    with pytest.raises(ValueError, match=r"`beta_1` must be in the \[0, 1\] range.*SignSGD"):
        Lion(beta_1=beta_1)


def test_lion_config():
    assert Lion().get_config()["beta_2"] == 0.99
