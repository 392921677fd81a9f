"""Nadam's shared u_product variable: listed last, automatically named, updated each step."""

import jax.numpy as jnp
import numpy as np

from heft import Variable
from heft.optimizers import Nadam


def test_nadam_shared_variable_is_last_and_tracks_the_momentum_schedule():
    w = Variable(np.zeros(2, "float32"), name="w")
    opt = Nadam()
    opt.apply([jnp.ones(2)], [w])
    assert [v.path for v in opt.variables] == [
        "nadam/iteration",
        "nadam/learning_rate",
        "nadam/w_momentum",
        "nadam/w_velocity",
        "nadam/variable",
    ]
    np.testing.assert_allclose(opt.variables[-1].numpy(), 0.9 * (1 - 0.5 * 0.96), rtol=1e-6)


def test_nadam_building_again_keeps_one_shared_variable():
    w, b = Variable([1.0], name="w"), Variable([1.0], name="b")
    opt = Nadam()
    opt.build([w])
    opt.build([w, b])
    assert [v.path for v in opt.variables].count("nadam/variable") == 1
