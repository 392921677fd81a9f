"""Finding a convolution in a traced training step, wherever the step nests it."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import heft
from heft import layers
from heft._platform import _conv_steps, _cpu_conv
from heft._platform._conv_steps import convolves, convolves_on_cpu, primitives
from heft._platform._switches import CONV_ONE_STEP

CPU = jax.default_backend() == "cpu"
X = jnp.ones((2, 1, 6))
K = jnp.ones((3, 1, 3))


@pytest.fixture(autouse=True)
def _conv_one_step_on():
    """The tweak as by default, whatever the environment says; tests turn it off."""
    with CONV_ONE_STEP.forced(True):
        yield


def _conv(x, k):
    return jax.lax.conv_general_dilated(x, k, (1,), "VALID")


def _with_custom_vjp(x, k):
    @jax.custom_vjp
    def f(x):
        return jnp.sin(x)

    f.defvjp(lambda x: (f(x), x), lambda x, g: (g * _conv(x, k).sum(),))
    return jax.grad(lambda x: f(x).sum())(x)


# Each program convolves somewhere, most of them only inside a nested jaxpr.
CONVOLVING = {
    "plain": lambda x, k: _conv(x, k),
    "gradient": jax.grad(lambda k, x: _conv(x, k).sum()),
    "nested jit": lambda x, k: jax.jit(jax.jit(_conv))(x, k),
    "scan body": lambda x, k: jax.lax.scan(
        lambda c, _: (c + _conv(x, k).sum(), None), 0.0, None, 3
    )[0],
    "cond branch": lambda x, k: jax.lax.cond(x.sum() > 0, lambda: _conv(x, k).sum(), lambda: 0.0),
    "while body": lambda x, k: jax.lax.while_loop(
        lambda c: c[0] < 2, lambda c: (c[0] + 1, c[1] + _conv(x, k).sum()), (0, 0.0)
    )[1],
    "remat": lambda x, k: jax.checkpoint(_conv)(x, k),
    "vmap": lambda x, k: jax.vmap(_conv, in_axes=(0, None))(x[:, None], k),
    "custom_jvp split": lambda x, k: _cpu_conv.split_convolution(
        x, k, _conv, _cpu_conv.Split(2, 1)
    ),
    "custom_vjp backward": lambda x, k: _with_custom_vjp(x, k),
}
# Those whose convolution is only inside a nested jaxpr.
NESTED = {"nested jit", "scan body", "cond branch", "while body", "remat", "custom_jvp split"}
NOT_CONVOLVING = {
    "matmul": lambda x, k: x.reshape(2, 6) @ jnp.ones((6, 2)),
    "scan of a sum": lambda x, k: jax.lax.scan(lambda c, _: (c + x.sum(), None), 0.0, None, 3)[0],
    "cond": lambda x, k: jax.lax.cond(x.sum() > 0, lambda: x.sum(), lambda: k.sum()),
}


@pytest.mark.parametrize("name", sorted(CONVOLVING))
def test_convolves_finds_a_convolution_nested_anywhere(name):
    jaxpr = jax.make_jaxpr(CONVOLVING[name])(X, K)
    assert convolves(jaxpr)
    assert convolves(jaxpr.jaxpr)  # an open Jaxpr as well as a ClosedJaxpr
    # The reference: the convolution's name in the printed program.
    assert "conv_general_dilated" in str(jaxpr)
    top = {eqn.primitive.name for eqn in jaxpr.jaxpr.eqns}
    assert (_conv_steps.CONVOLUTION not in top) is (name in NESTED)


@pytest.mark.parametrize("name", sorted(NOT_CONVOLVING))
def test_convolves_finds_nothing_where_nothing_convolves(name):
    jaxpr = jax.make_jaxpr(NOT_CONVOLVING[name])(X, K)
    assert not convolves(jaxpr)
    assert "conv_general_dilated" not in str(jaxpr)


def test_primitives_lists_those_of_loops_and_branches():
    jaxpr = jax.make_jaxpr(CONVOLVING["scan body"])(X, K)
    names = list(primitives(jaxpr))
    assert "scan" in names and _conv_steps.CONVOLUTION in names


def test_a_convolution_model_training_step_convolves():
    model = heft.Sequential(
        [layers.Input((6, 6, 1)), layers.Conv2D(2, 3), layers.Flatten(), layers.Dense(2)]
    )
    dense = heft.Sequential([layers.Input((4,)), layers.Dense(2)])

    def step(model, x):
        trainable = [v.value for v in model.trainable_variables]

        def loss(values):
            return jnp.sum(model.stateless_call(values, [], x)[0] ** 2)

        return jax.grad(loss)(trainable)

    x = np.ones((4, 6, 6, 1), "float32")
    assert convolves_on_cpu(jax.jit(lambda x: step(model, x)), (x,)) is CPU
    flat = np.ones((4, 4), "float32")
    assert convolves_on_cpu(jax.jit(lambda x: step(dense, x)), (flat,)) is False


def test_convolves_on_cpu_is_false_with_the_switch_off_or_without_a_traceable_step():
    jitted = jax.jit(_conv)
    assert convolves_on_cpu(jitted, (X, K)) is CPU
    with CONV_ONE_STEP.forced(False):
        assert convolves_on_cpu(jitted, (X, K)) is False
    assert convolves_on_cpu(_conv, (X, K)) is False  # a plain function (run_eagerly)


def test_another_backend_takes_the_plain_path(monkeypatch):
    jitted = jax.jit(_conv)
    monkeypatch.setattr(jax, "default_backend", lambda: "gpu")
    assert convolves_on_cpu(jitted, (X, K)) is False
