"""SGD's own argument checks and config."""

import pytest

from heft.optimizers import SGD


@pytest.mark.parametrize("momentum", [1, -0.1, 1.5])
def test_sgd_rejects_momentum_outside_float_unit_interval(momentum):
    with pytest.raises(ValueError, match=r"`momentum` must be a float between \[0, 1\]"):
        SGD(momentum=momentum)


def test_sgd_config_has_keras_keys_and_defaults():
    config = SGD().get_config()
    assert config["momentum"] == 0.0 and config["nesterov"] is False
    assert abs(config["learning_rate"] - 0.01) < 1e-8 and config["name"] == "sgd"
