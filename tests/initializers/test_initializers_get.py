import jax.numpy as jnp
import numpy as np
import pytest

from heft import initializers
from heft._registry import register_keras_serializable
from heft._variable import Variable
from heft.initializers import (
    Constant,
    GlorotUniform,
    Identity,
    Initializer,
    Ones,
    Orthogonal,
    RandomNormal,
    RandomUniform,
    Zeros,
)


def test_get_none_is_none():
    assert initializers.get(None) is None


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("glorot_uniform", GlorotUniform),
        ("GlorotUniform", GlorotUniform),
        ("zeros", Zeros),
        ("zero", Zeros),
        ("one", Ones),
        ("normal", RandomNormal),
        ("uniform", RandomUniform),
        ("random_normal", RandomNormal),
        ("IdentityInitializer", Identity),
        ("identity", Identity),
        ("OrthogonalInitializer", Orthogonal),
        ("constant", Constant),
        ("variance_scaling", initializers.VarianceScaling),
        ("he_normal", initializers.HeNormal),
        ("lecun_uniform", initializers.LecunUniform),
        ("truncated_normal", initializers.TruncatedNormal),
    ],
)
def test_get_string_names_and_aliases(name, cls):
    assert type(initializers.get(name)) is cls


def test_get_unseeded_string_gives_fresh_seed_each_time():
    a, b = initializers.get("random_normal"), initializers.get("random_normal")
    assert not np.array_equal(a((4,)), b((4,)))


def test_get_unknown_string_raises_with_names():
    with pytest.raises(
        ValueError, match=r"Could not interpret initializer identifier: foo\. Expected one of"
    ):
        initializers.get("foo")


def test_get_dict_deserializes():
    init = initializers.get(
        {"class_name": "RandomUniform", "config": {"minval": 1.0, "maxval": 2.0, "seed": 3}}
    )
    assert isinstance(init, RandomUniform) and init.minval == 1.0 and init.seed == 3


def test_get_class_is_instantiated():
    assert type(initializers.get(Ones)) is Ones


def test_get_instance_and_callable_returned_as_is():
    init = Ones()
    assert initializers.get(init) is init

    def fn(shape, dtype=None):
        return jnp.zeros(shape, dtype)

    assert initializers.get(fn) is fn


def test_get_array_returns_closure_that_casts():
    fn = initializers.get(np.ones((2, 2)))
    out = fn((2, 2), dtype="float16")
    assert out.dtype == jnp.float16 and out.tolist() == [[1.0, 1.0], [1.0, 1.0]]
    assert initializers.get(jnp.arange(3.0))((3,)).tolist() == [0.0, 1.0, 2.0]


def test_get_jax_array_same_dtype_returned_unchanged():
    value = jnp.arange(3.0)
    assert initializers.get(value)((3,), dtype="float32") is value


def test_get_variable_uses_current_value():
    var = Variable(np.zeros((2,), dtype=np.float32))
    fn = initializers.get(var)
    var.assign(np.array([1.0, 2.0], dtype=np.float32))
    assert fn((2,)).tolist() == [1.0, 2.0]


def test_get_array_closure_rejects_other_shape():
    fn = initializers.get(np.ones((2, 2)))
    with pytest.raises(
        ValueError,
        match=r"Expected `shape` to be \(2, 2\) for direct tensor as initializer. Received shape=\(3, 3\)",
    ):
        fn((3, 3))


@pytest.mark.parametrize("identifier", [5, 2.5, [1, 2]])
def test_get_uninterpretable_raises(identifier):
    with pytest.raises(ValueError, match="Could not interpret initializer identifier"):
        initializers.get(identifier)


def test_serialize_keras_form():
    assert initializers.serialize(GlorotUniform(seed=1)) == {
        "module": "keras.initializers",
        "class_name": "GlorotUniform",
        "config": {"seed": 1, "input_axes": None, "output_axes": None},
        "registered_name": None,
    }
    assert initializers.serialize(None) is None


@pytest.mark.parametrize(
    "init",
    [
        Zeros(),
        Ones(),
        Constant(2.0),
        Identity(3.0),
        RandomNormal(1.0, 2.0, seed=4),
        RandomUniform(seed=2),
        initializers.TruncatedNormal(seed=2),
        initializers.VarianceScaling(0.5, "fan_out", "uniform", seed=1),
        GlorotUniform(seed=3),
        initializers.HeNormal(seed=3),
        Orthogonal(2.0, seed=1),
    ],
)
def test_serialize_deserialize_round_trip(init):
    restored = initializers.deserialize(initializers.serialize(init))
    assert type(restored) is type(init)
    assert restored.get_config() == init.get_config()
    shape = (4, 3)
    np.testing.assert_array_equal(restored(shape), init(shape))


def test_deserialize_snake_case_class_name():
    assert (
        type(initializers.deserialize({"class_name": "he_uniform", "config": {}}))
        is initializers.HeUniform
    )


def test_deserialize_unknown_class_raises():
    with pytest.raises(ValueError, match="'Foo' is not a known initializer"):
        initializers.deserialize({"class_name": "Foo", "config": {}})


def test_deserialize_custom_objects_and_registered():
    class Twos(Initializer):
        def __call__(self, shape, dtype=None):
            return jnp.full(shape, 2.0, dtype)

    init = initializers.deserialize(
        {"class_name": "Twos", "config": {}}, custom_objects={"Twos": Twos}
    )
    assert init((1,)).tolist() == [2.0]

    register_keras_serializable(package="test_init")(Twos)
    config = initializers.serialize(Twos())
    assert config["registered_name"] == "test_init>Twos"
    assert type(initializers.deserialize(config)) is Twos
