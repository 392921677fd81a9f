"""ReLU, LeakyReLU, PReLU, ELU and Softmax layers: values, masks, weights, configs, errors."""

import numpy as np
import pytest

import heft
from heft.layers import ELU, LeakyReLU, PReLU, ReLU, Softmax

X = np.array([[-3.0, -1.0, 0.0, 0.5, 2.0, 8.0]], "float32")


def test_relu_defaults_and_options():
    np.testing.assert_allclose(np.asarray(ReLU()(X)), np.maximum(X, 0))
    capped = np.asarray(ReLU(max_value=1.0)(X))
    np.testing.assert_allclose(capped, np.clip(X, 0, 1))
    leaky = np.asarray(ReLU(negative_slope=0.1, threshold=1.0)(X))
    expected = np.where(X >= 1.0, X, 0.1 * (X - 1.0))
    np.testing.assert_allclose(leaky, expected, rtol=1e-6)


def test_relu_is_built_at_init_and_has_no_weights():
    layer = ReLU()
    assert layer.built
    assert layer.weights == []
    assert layer.supports_masking
    assert layer.compute_output_shape((None, 6)) == (None, 6)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"max_value": -1.0}, "max_value=-1.0"),
        ({"negative_slope": -0.1}, "negative_slope=-0.1"),
        ({"negative_slope": None}, "negative_slope=None"),
        ({"threshold": -2}, "threshold=-2"),
        ({"threshold": "a"}, "threshold='a'"),
    ],
)
def test_relu_rejects_bad_arguments_naming_the_layer(kwargs, match):
    with pytest.raises(ValueError, match=match) as info:
        ReLU(name="act", **kwargs)
    assert "ReLU layer 'act'" in str(info.value)


def test_leaky_relu_default_slope_and_config():
    layer = LeakyReLU()
    np.testing.assert_allclose(np.asarray(layer(X)), np.where(X > 0, X, 0.3 * X), rtol=1e-6)
    assert layer.get_config()["negative_slope"] == 0.3
    assert LeakyReLU.from_config(layer.get_config()).negative_slope == 0.3


def test_leaky_relu_alpha_is_a_deprecated_alias():
    with pytest.warns(UserWarning, match="deprecated"):
        layer = LeakyReLU(alpha=0.5)
    assert layer.negative_slope == 0.5


def test_leaky_relu_rejects_negative_slope():
    with pytest.raises(ValueError, match=r"LeakyReLU layer .* negative_slope=-1"):
        LeakyReLU(negative_slope=-1)


def test_elu_alpha_and_config():
    layer = ELU(alpha=0.5)
    np.testing.assert_allclose(
        np.asarray(layer(X)), np.where(X > 0, X, 0.5 * (np.exp(X) - 1)), rtol=1e-6
    )
    assert ELU.from_config(layer.get_config()).alpha == 0.5


def test_prelu_learns_alpha_per_feature_and_shares_axes():
    layer = PReLU(alpha_initializer="ones")
    x = np.random.default_rng(0).normal(size=(2, 3, 4)).astype("float32")
    layer.build(x.shape)
    assert [w.path for w in layer.weights] == ["p_re_lu/alpha"]
    assert tuple(layer.alpha.shape) == (3, 4)
    alpha = np.random.default_rng(1).uniform(size=(3, 4)).astype("float32")
    layer.set_weights([alpha])
    np.testing.assert_allclose(np.asarray(layer(x)), np.where(x > 0, x, alpha * x), rtol=1e-6)
    shared = PReLU(shared_axes=1)
    shared.build((None, 3, 4))
    assert tuple(shared.alpha.shape) == (1, 4)
    assert shared.get_config()["shared_axes"] == [1]
    assert shared(x).shape == x.shape
    assert shared.count_params() == 4


def test_prelu_alpha_regularizer_adds_a_loss():
    layer = PReLU(alpha_initializer="ones", alpha_regularizer=heft.regularizers.L2(0.5))
    layer.build((None, 2))
    assert float(layer.losses[0]) == pytest.approx(1.0)


def test_prelu_input_spec_checks_unshared_axes():
    layer = PReLU(shared_axes=[1])
    layer.build((None, 3, 4))
    assert layer(np.ones((2, 7, 4), "float32")).shape == (2, 7, 4)
    with pytest.raises(ValueError, match="p_re_lu"):
        layer(np.ones((2, 7, 5), "float32"))


@pytest.mark.parametrize("shared_axes", [0, -1, [1, "a"], True])
def test_prelu_rejects_bad_shared_axes(shared_axes):
    with pytest.raises(ValueError, match="shared_axes"):
        PReLU(shared_axes=shared_axes)


def test_prelu_build_errors_leave_layer_unbuilt():
    layer = PReLU(shared_axes=[3])
    with pytest.raises(ValueError, match="names axis 3, but the input has rank 3"):
        layer.build((None, 3, 4))
    assert not layer.built and layer.weights == []
    unknown = PReLU()
    with pytest.raises(ValueError, match="needs every non-batch input size"):
        unknown.build((None, None, 4))
    assert PReLU(shared_axes=[1]).build((None, None, 4)) is None


def test_softmax_axis_and_multiple_axes():
    x = np.random.default_rng(2).normal(size=(2, 3, 4)).astype("float32")
    out = np.asarray(Softmax(axis=1)(x))
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-6)
    both = np.asarray(Softmax(axis=(1, 2))(x))
    np.testing.assert_allclose(both.sum(axis=(1, 2)), 1.0, rtol=1e-6)
    single = np.asarray(Softmax(axis=[-1])(x))
    np.testing.assert_allclose(single, np.asarray(Softmax()(x)), rtol=1e-6)


def test_softmax_mask_zeroes_masked_positions():
    x = np.array([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]], "float32")
    mask = np.array([[True, False, True], [False, False, False]])
    out = np.asarray(Softmax()(x, mask=mask))
    e = np.exp([1.0, 3.0])
    np.testing.assert_allclose(out[0], [e[0] / e.sum(), 0.0, e[1] / e.sum()], rtol=1e-6)
    np.testing.assert_array_equal(out[1], 0.0)
    float_mask = np.asarray(Softmax()(x, mask=mask.astype("float32")))
    np.testing.assert_allclose(float_mask, out)
    broadcast = np.asarray(Softmax()(x, mask=np.array([True, True, False])))
    np.testing.assert_allclose(broadcast.sum(axis=-1), 1.0, rtol=1e-6)
    assert np.all(broadcast[:, 2] == 0.0)


def test_softmax_mask_must_broadcast():
    with pytest.raises(ValueError, match=r"Softmax layer 'softmax'.*mask.shape=\(2, 2\)"):
        Softmax()(np.ones((2, 3), "float32"), mask=np.ones((2, 2), bool))
    with pytest.raises(ValueError, match="must be broadcastable"):
        Softmax()(np.ones((3,), "float32"), mask=np.ones((1, 3), bool))


def test_softmax_passes_the_mask_on():
    layer = Softmax()
    mask = np.array([True, False])
    assert layer.compute_mask(np.ones((2,)), mask) is mask


def test_activation_layers_config_round_trip():
    for layer in (
        ReLU(max_value=6.0, negative_slope=0.1, threshold=0.5),
        LeakyReLU(0.2),
        ELU(0.7),
        Softmax(axis=(1, 2)),
        PReLU(alpha_initializer="ones", shared_axes=[1, 2]),
    ):
        config = layer.get_config()
        assert type(layer).from_config(config).get_config() == config
