"""AdamW requires a weight decay."""

import pytest

from heft.optimizers import AdamW


def test_adamw_rejects_no_weight_decay():
    with pytest.raises(ValueError, match=r"`weight_decay` must be a float.*use `Adam`"):
        AdamW(weight_decay=None)


def test_adamw_defaults_match_keras():
    config = AdamW().get_config()
    assert config["weight_decay"] == 0.004 and config["amsgrad"] is False
    assert config["name"] == "adam_w"
