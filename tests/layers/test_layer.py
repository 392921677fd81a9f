"""Tests for heft.layers.Layer: add_weight, paths, weight lists, get/set_weights, losses."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import heft
from heft import Variable, layers


def _paths(vs):
    return [v.path for v in vs]


def _ids(items):
    return [id(x) for x in items]


def _snapshot(layer):
    """Every variable of ``layer`` with a bitwise copy of its value."""
    return [(v, v.numpy().tobytes(), v.trainable) for v in layer.variables]


def _assert_unchanged(layer, snap):
    now = layer.variables
    assert _ids(now) == [id(v) for v, _, _ in snap]
    for v, raw, trainable in snap:
        assert v.numpy().tobytes() == raw, v.path
        assert v.trainable == trainable


class Plain(layers.Layer):
    """A layer with no weights of its own; tests add them."""

    def call(self, x):
        return x


class Scale(layers.Layer):
    """``x * w`` with ``w`` made in ``build`` from the last input axis."""

    def __init__(self, regularizer=None, **kwargs):
        super().__init__(**kwargs)
        self.regularizer = regularizer

    def build(self, input_shape):
        self.w = self.add_weight(
            shape=(input_shape[-1],), initializer="ones", regularizer=self.regularizer, name="w"
        )

    def call(self, x):
        return x * self.w


class InitWeights(layers.Layer):
    """Weights created in ``__init__`` (one trainable, one not) and in ``build``."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.a = self.add_weight(shape=(2,), initializer="ones", name="a")
        self.n = self.add_weight(shape=(2,), initializer="zeros", trainable=False, name="n")

    def build(self, input_shape):
        self.b = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="b")

    def call(self, x):
        return x * self.b


class Counter(layers.Layer):
    """Counts its calls in a non-trainable int variable (a state update in ``call``)."""

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")
        self.count = self.add_weight(shape=(), dtype="int32", trainable=False, name="count")

    def call(self, x):
        self.count.assign_add(1)
        return x * self.w


# ============================================================================ add_weight
def test_add_weight_defaults():
    layer = Plain(name="p")
    v = layer.add_weight()
    assert v.shape == ()
    assert v.dtype == "float32"
    assert v.trainable is True
    assert v.autocast is True
    assert v.regularizer is None
    assert v.constraint is None
    assert v.aggregation == "none"
    assert v.overwrite_with_gradient is False
    assert v.name == "variable"
    assert v.path == "p/variable"


def test_add_weight_default_initializer_is_glorot_uniform_for_floats():
    layer = Plain()
    v = layer.add_weight(shape=(100, 50))
    limit = np.sqrt(6.0 / (100 + 50))
    values = v.numpy()
    assert np.abs(values).max() <= limit
    assert np.abs(values).max() > 0.9 * limit
    assert abs(values.mean()) < 0.01


@pytest.mark.parametrize("dtype", ["int32", "uint8", "bool", "int64"])
def test_add_weight_default_initializer_is_zeros_otherwise(dtype):
    v = Plain().add_weight(shape=(3,), dtype=dtype)
    assert v.dtype == dtype
    assert not v.numpy().any()


def test_add_weight_default_dtype_is_layer_variable_dtype():
    assert Plain(dtype="float16").add_weight(shape=(2,)).dtype == "float16"
    assert Plain(dtype="mixed_bfloat16").add_weight(shape=(2,)).dtype == "float32"
    assert Plain(dtype="float64").add_weight(shape=(2,)).dtype == "float64"


def test_add_weight_all_arguments():
    layer = Plain(name="p")
    reg = heft.regularizers.L2(0.5)
    con = heft.constraints.NonNeg()
    v = layer.add_weight(
        shape=(2, 3),
        initializer="ones",
        dtype="float16",
        trainable=False,
        autocast=False,
        regularizer=reg,
        constraint=con,
        aggregation="mean",
        overwrite_with_gradient=True,
        name="w",
    )
    assert v.shape == (2, 3)
    assert v.dtype == "float16"
    np.testing.assert_array_equal(v.numpy(), np.ones((2, 3), "float16"))
    assert v.trainable is False
    assert v.autocast is False
    assert v.regularizer is reg
    assert v.constraint is con
    assert v.aggregation == "mean"
    assert v.overwrite_with_gradient is True
    assert v.path == "p/w"
    assert _ids(layer.non_trainable_weights) == _ids([v])


def test_add_weight_resolves_string_regularizer_and_constraint():
    v = Plain().add_weight(shape=(2,), regularizer="l2", constraint="non_neg")
    assert isinstance(v.regularizer, heft.regularizers.L2)
    assert isinstance(v.constraint, heft.constraints.NonNeg)


def test_add_weight_accepts_callable_and_array_initializers():
    layer = Plain()
    v = layer.add_weight(shape=(2,), initializer=lambda shape, dtype=None: jnp.full(shape, 4.0))
    np.testing.assert_array_equal(v.numpy(), [4.0, 4.0])
    w = layer.add_weight(shape=(2,), initializer=np.array([1.0, 2.0]))
    np.testing.assert_array_equal(w.numpy(), [1.0, 2.0])


def test_add_weight_int_shape():
    assert Plain().add_weight(shape=4).shape == (4,)


def test_add_weight_legacy_positional_form():
    layer = Plain(name="p")
    v = layer.add_weight((2, 3), "ones", "float16", name="w")
    assert v.shape == (2, 3)
    assert v.dtype == "float16"
    np.testing.assert_array_equal(v.numpy(), np.ones((2, 3)))
    assert layer.add_weight((4,)).shape == (4,)


def test_add_weight_too_many_positional_arguments():
    layer = Plain(name="p")
    with pytest.raises(TypeError, match=r"at most 3 positional arguments but 4 were given"):
        layer.add_weight((2,), "ones", "float32", True)
    assert layer.weights == []


def test_add_weight_name_as_first_positional_argument():
    layer = Plain(name="p")
    with pytest.raises(ValueError, match=r"`name` must be passed as a keyword.*name='kernel'"):
        layer.add_weight("kernel", (2,))
    assert layer.weights == []


@pytest.mark.parametrize(
    ("args", "kwargs", "argument"),
    [
        (((2,),), {"shape": (2,)}, "shape"),
        (((2,), "ones"), {"initializer": "zeros"}, "initializer"),
        (((2,), "ones", "float32"), {"dtype": "float32"}, "dtype"),
    ],
)
def test_add_weight_argument_given_twice(args, kwargs, argument):
    layer = Plain(name="p")
    with pytest.raises(ValueError, match=rf"`{argument}` was passed both positionally and as a"):
        layer.add_weight(*args, **kwargs)
    assert layer.weights == []


def test_add_weight_duplicate_names_allowed():
    layer = Plain(name="dup")
    layer.add_weight(shape=(1,), name="k")
    layer.add_weight(shape=(1,), name="k")
    assert _paths(layer.weights) == ["dup/k", "dup/k"]


def test_add_weight_returns_tracked_variable_even_without_attribute():
    layer = Plain(name="p")
    v = layer.add_weight(shape=(1,), name="w")
    assert isinstance(v, Variable)
    assert _ids(layer.weights) == _ids([v])
    layer.alias = v
    assert _ids(layer.weights) == _ids([v])


def test_add_weight_in_frozen_layer_is_off_but_stays_in_trainable_store():
    layer = Plain(trainable=False)
    v = layer.add_weight(shape=(1,), name="w")
    assert v.trainable is False
    assert layer.trainable_weights == []
    layer.trainable = True
    assert v.trainable is True
    assert _ids(layer.trainable_weights) == _ids([v])


# Bad input: each case gives (kwargs, exception type, message pattern).
BAD_ADD_WEIGHT = {
    "negative_dim": ({"shape": (-1, 2)}, ValueError, r"Negative dimensions are not allowed"),
    "none_dim": ({"shape": (None, 2)}, ValueError, r"fully-defined \(no `None` dimensions\)"),
    "float_dim": ({"shape": (2.5,)}, ValueError, r"invalid dimension '2\.5' of type 'float'"),
    "str_dim": ({"shape": ("2",)}, ValueError, r"invalid dimension '2' of type 'str'"),
    "unknown_dtype": ({"dtype": "foo"}, ValueError, r"(?i)invalid dtype.*foo"),
    "unknown_initializer": (
        {"initializer": "foo"},
        ValueError,
        r"Could not interpret initializer identifier: foo",
    ),
    "unknown_regularizer": (
        {"regularizer": "foo"},
        ValueError,
        r"Could not interpret regularizer identifier: foo",
    ),
    "unknown_constraint": (
        {"constraint": "foo"},
        ValueError,
        r"Could not interpret constraint identifier: foo",
    ),
    "slash_in_name": ({"name": "a/b"}, ValueError, r"cannot contain character `/`.*name=a/b"),
    "non_bool_trainable": ({"trainable": 1}, TypeError, r"`trainable` must be a boolean.*=1"),
    "non_bool_overwrite": (
        {"overwrite_with_gradient": "yes"},
        TypeError,
        r"`overwrite_with_gradient` must be a boolean.*yes",
    ),
    "bad_aggregation": (
        {"aggregation": "max"},
        ValueError,
        r"argument `aggregation`.*Received: aggregation=max",
    ),
    "array_initializer_wrong_shape": (
        {"shape": (2,), "initializer": np.zeros((3,))},
        ValueError,
        r"\(3,\).*\(2,\)|\(2,\).*\(3,\)",
    ),
}


def _layer_with_one_weight():
    layer = InitWeights(name="lay")
    return layer, _snapshot(layer)


@pytest.mark.parametrize("case", sorted(BAD_ADD_WEIGHT))
def test_add_weight_bad_input_raises_and_leaves_layer_unchanged(case):
    kwargs, error, pattern = BAD_ADD_WEIGHT[case]
    kwargs = {"shape": (2,), "name": "w", **kwargs}
    layer, snap = _layer_with_one_weight()
    with pytest.raises(error, match=pattern):
        layer.add_weight(**kwargs)
    _assert_unchanged(layer, snap)
    assert _paths(layer.weights) == ["lay/a", "lay/n"]


@pytest.mark.parametrize("case", sorted(BAD_ADD_WEIGHT))
def test_add_weight_bad_input_message_names_layer_and_weight(case):
    # Issue 2, "Bad input": the message names the layer and the weight's path.
    kwargs, error, _ = BAD_ADD_WEIGHT[case]
    kwargs = {"shape": (2,), "name": "w", **kwargs}
    layer, _ = _layer_with_one_weight()
    with pytest.raises(error) as info:
        layer.add_weight(**kwargs)
    message = str(info.value)
    assert "lay" in message
    expected_path = "lay/a/b" if case == "slash_in_name" else "lay/w"
    assert expected_path in message


def test_add_weight_after_build_raises():
    layer = Scale(name="scale")
    layer.build((None, 3))
    snap = _snapshot(layer)
    with pytest.raises(ValueError, match=r"already built.*Layer 'scale'.*name='late'"):
        layer.add_weight(shape=(1,), name="late")
    _assert_unchanged(layer, snap)


def test_add_weight_in_call_raises():
    class Late(layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(1,), name="w")

        def call(self, x):
            self.add_weight(shape=(1,), name="late")
            return x

    layer = Late(name="late_layer")
    with pytest.raises(ValueError, match=r"already built"):
        layer(np.ones((1, 1), "float32"))
    assert _paths(layer.weights) == ["late_layer/w"]


def test_add_weight_after_first_call_of_layer_without_build_raises():
    layer = Plain(name="p")
    layer(np.ones((1, 2), "float32"))
    with pytest.raises(ValueError, match=r"already built"):
        layer.add_weight(shape=(1,), name="late")
    assert layer.weights == []


def test_add_weight_before_super_init_raises():
    class Forgetful(layers.Layer):
        def __init__(self):
            self.w = self.add_weight(shape=(1,), name="w")
            super().__init__()

    with pytest.raises(RuntimeError, match=r"In layer 'Forgetful', you forgot to call `super"):
        Forgetful()


def test_add_variable_positional_alias():
    layer = Plain(name="p")
    v = layer.add_variable((2,), "ones", "float16", name="w")
    assert v.path == "p/w"
    assert v.dtype == "float16"
    np.testing.assert_array_equal(v.numpy(), [1.0, 1.0])


# ============================================================================ paths
def test_paths_weights_made_in_init_have_no_parent_prefix():
    class Outer(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.inner = InitWeights(name="inner")

        def call(self, x):
            return self.inner(x)

    outer = Outer(name="outer")
    assert _paths(outer.weights) == ["inner/a", "inner/n"]
    assert outer.inner.path is None
    assert outer.inner.built is False


def test_paths_weights_made_in_build_from_parent_call():
    class Outer(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.inner = Scale(name="inner")

        def call(self, x):
            return self.inner(x)

    outer = Outer(name="outer")
    outer(np.ones((1, 3), "float32"))
    assert _paths(outer.weights) == ["outer/inner/w"]
    assert outer.inner.path == "outer/inner"


def test_paths_layer_without_build_gets_its_path_on_first_call():
    layer = Plain(name="plain_layer")
    assert layer.path is None
    layer(np.ones((1, 2), "float32"))
    assert layer.path == "plain_layer"


def test_paths_build_after_init_weights_uses_parent_scope():
    # Keras: inner/a (made in __init__) but outer/inner/b (made in build from outer's call).
    class Outer(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.inner = InitWeights(name="inner")

        def call(self, x):
            return self.inner(x)

    outer = Outer(name="outer")
    outer(np.ones((1, 3), "float32"))
    assert _paths(outer.weights) == ["inner/a", "outer/inner/b", "inner/n"]


def test_paths_three_levels_deep():
    class Middle(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.leaf = Scale(name="leaf")

        def call(self, x):
            return self.leaf(x)

    class Top(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.middle = Middle(name="middle")

        def call(self, x):
            return self.middle(x)

    top = Top(name="top")
    top(np.ones((1, 2), "float32"))
    assert _paths(top.weights) == ["top/middle/leaf/w"]


def test_paths_built_standalone_then_used_in_parent_keep_first_path():
    inner = Scale(name="inner")
    inner(np.ones((1, 2), "float32"))

    class Outer(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.inner = inner

        def call(self, x):
            return self.inner(x)

    outer = Outer(name="outer")
    outer(np.ones((1, 2), "float32"))
    assert _paths(outer.weights) == ["inner/w"]


def test_paths_raw_variable_assigned_in_init_keeps_bare_name():
    class Raw(layers.Layer):
        def __init__(self):
            super().__init__(name="holder")
            self.raw = Variable(np.zeros((2,)), name="raw")

        def call(self, x):
            return x

    assert _paths(Raw().weights) == ["raw"]


def test_paths_layer_path_is_none_until_built():
    layer = Scale(name="s")
    assert layer.path is None
    layer.build((None, 2))
    assert layer.path == "s"


# ============================================================================ weight lists
def test_weights_own_before_sublayers_even_if_assigned_first():
    class M(layers.Layer):
        def __init__(self):
            super().__init__(name="m")
            self.d = layers.Dense(2, name="d")
            self.own = self.add_weight(shape=(1,), name="own")

        def call(self, x):
            return self.d(x) + self.own

    m = M()
    m(np.ones((1, 3), "float32"))
    assert _paths(m.weights) == ["m/own", "m/d/kernel", "m/d/bias"]


def test_weights_trainable_tracked_before_non_trainable():
    layer = Plain(name="p")
    n = layer.add_weight(shape=(1,), trainable=False, name="n")
    t = layer.add_weight(shape=(1,), name="t")
    assert _ids(layer.weights) == _ids([t, n])
    assert _ids(layer.trainable_weights) == _ids([t])
    assert _ids(layer.non_trainable_weights) == _ids([n])


def test_weights_int_and_bool_default_to_trainable_store():
    layer = Plain(name="p")
    i = layer.add_weight(shape=(1,), dtype="int32", name="i")
    b = layer.add_weight(shape=(1,), dtype="bool", name="b")
    assert i.trainable and b.trainable
    assert _ids(layer.trainable_weights) == _ids([i, b])


def test_weights_sublayers_in_assignment_order_recursively():
    class Block(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.first = layers.Dense(2, name=f"{self.name}_first")
            self.second = layers.Dense(2, name=f"{self.name}_second")

        def call(self, x):
            return self.second(self.first(x))

    class Net(layers.Layer):
        def __init__(self):
            super().__init__(name="net")
            self.blocks = [Block(name="b0"), Block(name="b1")]

        def call(self, x):
            for block in self.blocks:
                x = block(x)
            return x

    net = Net()
    net(np.ones((1, 2), "float32"))
    names = [
        f"{b}_{p}/{w}"
        for b in ("b0", "b1")
        for p in ("first", "second")
        for w in ("kernel", "bias")
    ]
    assert [v.path.split("/", 2)[-1] for v in net.weights] == names


def test_weights_shared_layer_and_shared_variable_deduplicated():
    shared = layers.Dense(2, name="shared")
    shared.build((None, 2))

    class Twice(layers.Layer):
        def __init__(self):
            super().__init__(name="twice")
            self.a = shared
            self.b = shared
            self.also = [shared]
            self.kernel_alias = shared.kernel

        def call(self, x):
            return self.b(self.a(x))

    t = Twice()
    assert _ids(t.weights) == _ids([shared.kernel, shared.bias])
    assert len(t.variables) == 2
    t(np.ones((1, 2), "float32"))
    assert len(t.weights) == 2


def test_weights_variable_shared_between_two_sublayers_counted_once():
    v = Variable(np.ones((2,)), name="tied")
    a, b = Plain(name="a"), Plain(name="b")
    a.w = v
    b.w = v
    parent = Plain(name="parent")
    parent.children = [a, b]
    assert _ids(parent.weights) == _ids([v])


def test_variables_include_seed_generator_states_after_own():
    class Noisy(layers.Layer):
        def __init__(self):
            super().__init__(name="noisy")
            self.sub = layers.Dense(2, name="sub")
            self.gen = heft.random.SeedGenerator(1, name="gen")
            self.w = self.add_weight(shape=(1,), name="w")

        def call(self, x):
            return self.sub(x)

    n = Noisy()
    n(np.ones((1, 2), "float32"))
    assert _paths(n.weights) == ["noisy/w", "noisy/sub/kernel", "noisy/sub/bias"]
    assert _paths(n.variables) == [
        "noisy/w",
        "gen/seed_generator_state",
        "noisy/sub/kernel",
        "noisy/sub/bias",
    ]
    assert _paths(n.trainable_variables) == _paths(n.trainable_weights)
    assert _paths(n.non_trainable_variables) == ["gen/seed_generator_state"]
    assert n.non_trainable_weights == []


def test_weights_toggling_one_variable_changes_filters_not_order():
    layer = InitWeights(name="lay")
    layer.build((None, 2))
    before = _paths(layer.weights)
    layer.a.trainable = False
    assert _paths(layer.weights) == before
    assert _paths(layer.trainable_weights) == ["lay/b"]
    assert _paths(layer.non_trainable_weights) == ["lay/a", "lay/n"]


# ============================================================================ trainable
def test_trainable_setter_freezes_recursively_and_back():
    class Net(layers.Layer):
        def __init__(self):
            super().__init__(name="net")
            self.body = InitWeights(name="body")
            self.head = layers.Dense(2, name="head")
            self.drop = layers.Dropout(0.5, seed=1, name="drop")

        def call(self, x):
            return self.head(self.drop(self.body(x)))

    net = Net()
    net(np.ones((1, 2), "float32"))
    counts = lambda: (  # noqa: E731
        len(net.trainable_weights),
        len(net.trainable_variables),
        len(net.non_trainable_weights),
        len(net.non_trainable_variables),
    )
    assert counts() == (4, 4, 1, 2)
    net.trainable = False
    assert counts() == (0, 0, 5, 6)
    assert net.body.trainable is False
    assert net.head.trainable is False
    assert net.head.kernel.trainable is False
    assert _ids(net.non_trainable_weights) == _ids(net.weights)
    assert _ids(net.non_trainable_variables) == _ids(net.variables)
    net.trainable = True
    assert counts() == (4, 4, 1, 2)
    assert net.body.n.trainable is False


def test_trainable_setter_never_turns_on_variables_created_non_trainable():
    layer = InitWeights(name="lay")
    layer.trainable = False
    layer.trainable = True
    assert layer.n.trainable is False
    assert layer.a.trainable is True


def test_trainable_setter_coerces_to_bool():
    layer = InitWeights()
    layer.trainable = 0
    assert layer.trainable is False


def test_trainable_init_arg_keeps_variables_in_trainable_store():
    d = layers.Dense(2, trainable=False)
    d.build((None, 3))
    assert len(d._tracker.trainable_variables) == 2
    assert d.trainable_weights == []
    assert len(d.non_trainable_weights) == 2
    d.trainable = True
    assert len(d.trainable_weights) == 2


def test_trainable_init_arg_rejects_non_bool():
    with pytest.raises(ValueError, match=r"Expected `trainable` to be a boolean.*trainable=yes"):
        Plain(trainable="yes")


def test_trainable_frozen_sublayer_inside_trainable_parent():
    class Net(layers.Layer):
        def __init__(self):
            super().__init__(name="net")
            self.a = layers.Dense(2, name="a")
            self.b = layers.Dense(2, name="b")

        def call(self, x):
            return self.b(self.a(x))

    net = Net()
    net(np.ones((1, 2), "float32"))
    net.a.trainable = False
    assert _paths(net.trainable_weights) == ["net/b/kernel", "net/b/bias"]
    assert _paths(net.non_trainable_weights) == ["net/a/kernel", "net/a/bias"]


# ============================================================================ get/set_weights
def _model():
    return heft.Sequential(
        [heft.Input((3,)), layers.Dense(4, name="d0"), layers.Dense(2, name="d1")]
    )


def test_get_weights_returns_numpy_in_weights_order():
    model = _model()
    values = model.get_weights()
    assert [type(v) for v in values] == [np.ndarray] * 4
    assert [v.shape for v in values] == [(3, 4), (4,), (4, 2), (2,)]
    for value, v in zip(values, model.weights, strict=True):
        np.testing.assert_array_equal(value, v.numpy())


def test_get_weights_single_host_transfer(monkeypatch):
    model = _model()
    calls = []
    real = jax.device_get

    def counting(x):
        calls.append(x)
        return real(x)

    monkeypatch.setattr(jax, "device_get", counting)
    values = model.get_weights()
    assert len(calls) == 1
    assert len(values) == 4


def test_get_weights_returns_writable_copies():
    model = _model()
    values = model.get_weights()
    values[0][0, 0] = 123.0
    assert model.weights[0].numpy()[0, 0] != 123.0
    model.set_weights(values)
    assert model.weights[0].numpy()[0, 0] == 123.0


def test_get_weights_keeps_dtypes():
    layer = Plain()
    layer.add_weight(shape=(2,), dtype="int32", name="i")
    layer.add_weight(shape=(2,), dtype="bfloat16", name="h")
    i, h = layer.get_weights()
    assert i.dtype == np.int32
    assert h.dtype == jnp.dtype("bfloat16")


def test_get_weights_of_unbuilt_layer_is_empty():
    assert layers.Dense(2).get_weights() == []


def test_set_weights_from_numpy():
    model = _model()
    new = [np.full(v.shape, i, dtype="float32") for i, v in enumerate(model.weights)]
    model.set_weights(new)
    for i, v in enumerate(model.weights):
        np.testing.assert_array_equal(v.numpy(), np.full(v.shape, i))


def test_set_weights_from_jax_arrays_and_nested_lists():
    layer = layers.Dense(2)
    layer.build((None, 2))
    layer.set_weights([jnp.array([[1.0, 2.0], [3.0, 4.0]]), [5.0, 6.0]])
    np.testing.assert_array_equal(layer.kernel.numpy(), [[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(layer.bias.numpy(), [5.0, 6.0])


def test_set_weights_casts_to_variable_dtype():
    layer = Plain()
    f = layer.add_weight(shape=(2,), name="f")
    i = layer.add_weight(shape=(2,), dtype="int32", name="i")
    layer.set_weights([np.array([0.1, 0.2], dtype=np.float64), np.array([1.9, 2.1])])
    assert f.value.dtype == jnp.float32
    np.testing.assert_array_equal(f.numpy(), np.array([0.1, 0.2], "float32"))
    assert i.value.dtype == jnp.int32
    np.testing.assert_array_equal(i.numpy(), [1, 2])


def test_set_weights_accepts_a_tuple_and_get_weights_round_trip():
    model = _model()
    other = _model()
    other.set_weights(tuple(model.get_weights()))
    for a, b in zip(model.get_weights(), other.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_set_weights_wrong_count_raises_and_changes_nothing():
    model = _model()
    snap = _snapshot(model)
    values = [np.zeros(v.shape) for v in model.weights]
    with pytest.raises(
        ValueError,
        match=r"layer 'sequential' with a weight list of length 3, but the layer was "
        r"expecting 4 weights",
    ):
        model.set_weights(values[:3])
    with pytest.raises(ValueError, match=r"length 5.*expecting 4"):
        model.set_weights([*values, np.zeros(1)])
    _assert_unchanged(model, snap)


def test_set_weights_wrong_shape_in_last_position_changes_nothing():
    model = _model()
    snap = _snapshot(model)
    values = [np.zeros(v.shape) for v in model.weights]
    values[-1] = np.zeros((3,))
    with pytest.raises(
        ValueError,
        match=r"weight shape \(2,\) is not compatible with provided weight shape \(3,\).*"
        r"sequential/d1/bias",
    ):
        model.set_weights(values)
    _assert_unchanged(model, snap)


def test_set_weights_transposed_shape_raises():
    layer = layers.Dense(2, name="d")
    layer.build((None, 3))
    snap = _snapshot(layer)
    with pytest.raises(ValueError, match=r"\(3, 2\) is not compatible.*\(2, 3\)"):
        layer.set_weights([np.zeros((2, 3)), np.zeros((2,))])
    _assert_unchanged(layer, snap)


@pytest.mark.parametrize(
    "bad", [np.array(["a", "b"]), ["x", "y"], None, {"a": 1}, np.array([object(), object()])]
)
def test_set_weights_non_numeric_value_raises_and_changes_nothing(bad):
    model = _model()
    snap = _snapshot(model)
    values = [np.zeros(v.shape) for v in model.weights]
    values[-1] = bad
    with pytest.raises(TypeError, match=r"Weight #3 \('sequential/d1/bias'\).*(non-numeric|not)"):
        model.set_weights(values)
    _assert_unchanged(model, snap)


def test_set_weights_ragged_nested_list_raises():
    layer = layers.Dense(2, name="d")
    layer.build((None, 2))
    snap = _snapshot(layer)
    with pytest.raises((TypeError, ValueError), match=r"d/kernel"):
        layer.set_weights([[[1.0, 2.0], [3.0]], [0.0, 0.0]])
    _assert_unchanged(layer, snap)


def test_set_weights_does_not_mutate_callers_list():
    layer = layers.Dense(2)
    layer.build((None, 2))
    values = [np.ones((2, 2), "float64"), [1.0, 2.0]]
    layer.set_weights(values)
    assert values[0].dtype == np.float64
    assert values[1] == [1.0, 2.0]


def test_set_weights_ignores_constraints():
    layer = layers.Dense(1, kernel_constraint="non_neg")
    layer.build((None, 1))
    layer.set_weights([np.array([[-1.0]]), np.array([0.0])])
    assert layer.kernel.numpy()[0, 0] == -1.0


# ============================================================================ count_params
def test_count_params_includes_non_trainable_and_int_weights():
    layer = InitWeights(name="lay")
    layer.add_weight(shape=(3,), dtype="int32", name="i")
    layer.build((None, 5))
    assert layer.count_params() == 2 + 2 + 3 + 5


def test_count_params_excludes_seed_generator_state():
    model = heft.Sequential([heft.Input((3,)), layers.Dense(2), layers.Dropout(0.5)])
    assert model.count_params() == 3 * 2 + 2


def test_count_params_unbuilt_raises():
    with pytest.raises(ValueError, match=r"`count_params` on layer 'd'.*isn't built.*build"):
        layers.Dense(2, name="d").count_params()


# ============================================================================ losses
def test_losses_weight_regularization_computed_on_access():
    layer = Scale(regularizer=heft.regularizers.L2(0.5))
    layer.build((None, 2))
    assert [float(x) for x in layer.losses] == [pytest.approx(1.0)]
    layer.w.assign([2.0, 2.0])
    assert [float(x) for x in layer.losses] == [pytest.approx(4.0)]


def test_losses_only_trainable_weights_regularized():
    layer = Plain()
    layer.add_weight(shape=(2,), initializer="ones", regularizer="l1", name="t")
    layer.add_weight(shape=(2,), initializer="ones", regularizer="l1", trainable=False, name="n")
    assert [float(x) for x in layer.losses] == [pytest.approx(0.02)]
    layer.trainable = False
    assert layer.losses == []


def test_losses_include_sublayer_regularization():
    class Net(layers.Layer):
        def __init__(self):
            super().__init__()
            self.a = Scale(regularizer=heft.regularizers.L1(1.0))
            self.b = Scale(regularizer=heft.regularizers.L1(2.0))

        def call(self, x):
            return self.b(self.a(x))

    net = Net()
    net(np.ones((1, 3), "float32"))
    assert [float(x) for x in net.losses] == [pytest.approx(3.0), pytest.approx(6.0)]


def test_losses_add_loss_in_call_and_cleared_next_call():
    class AddsLoss(layers.Layer):
        def call(self, x):
            self.add_loss(jnp.sum(x))
            return x

    layer = AddsLoss()
    layer(np.ones((2, 2), "float32"))
    assert [float(x) for x in layer.losses] == [4.0]
    layer(np.full((1, 2), 3.0, "float32"))
    assert [float(x) for x in layer.losses] == [6.0]


def test_losses_add_loss_accepts_python_numbers():
    layer = Plain()
    layer.add_loss(2.5)
    assert [float(x) for x in layer.losses] == [2.5]


def test_losses_add_loss_rejects_non_tensor():
    layer = Plain()
    with pytest.raises(
        ValueError, match=r"`add_loss\(\)` can only be called.*Received invalid value: oops"
    ):
        layer.add_loss("oops")
    assert layer.losses == []


def test_losses_activity_regularizer_divided_by_batch_size():
    layer = layers.Dense(3, kernel_initializer="ones", activity_regularizer="l1")
    x = np.arange(8, dtype="float32").reshape(2, 4)
    y = np.asarray(layer(x))
    assert len(layer.losses) == 1
    assert float(layer.losses[0]) == pytest.approx(0.01 * np.abs(y).sum() / 2, rel=1e-6)


def test_losses_order_activity_then_kernel_then_bias():
    layer = layers.Dense(
        2,
        kernel_initializer="ones",
        bias_initializer="ones",
        kernel_regularizer=heft.regularizers.L2(1.0),
        bias_regularizer=heft.regularizers.L1(10.0),
        activity_regularizer=heft.regularizers.L1(100.0),
    )
    layer(np.ones((1, 3), "float32"))
    values = [float(x) for x in layer.losses]
    # activity: 100 * |1+1+1+1| * 2 units / batch 1; kernel: 6 ones; bias: 10 * 2 ones
    assert values == [pytest.approx(800.0), pytest.approx(6.0), pytest.approx(20.0)]
    layer.trainable = False
    assert [float(x) for x in layer.losses] == [pytest.approx(800.0)]


def test_losses_of_symbolic_call_are_empty():
    layer = layers.Dense(2, activity_regularizer="l1")
    layer(heft.Input((3,)))
    assert layer.losses == []


# ============================================================================ config
def test_get_config_base_keys():
    layer = Plain(name="p", trainable=False, dtype="float16")
    config = layer.get_config()
    assert config["name"] == "p"
    assert config["trainable"] is False
    assert config["dtype"]["config"]["name"] == "float16"
    assert config["dtype"]["class_name"] == "DTypePolicy"


def test_from_config_round_trip():
    layer = Scale(name="s", trainable=False)
    clone = Scale.from_config(layer.get_config())
    assert clone.name == "s"
    assert clone.trainable is False
    assert clone.dtype == "float32"
    assert clone.built is False


def test_from_config_missing_argument_raises():
    class Needs(layers.Layer):
        def __init__(self, size, **kwargs):
            super().__init__(**kwargs)
            self.size = size

    with pytest.raises(TypeError, match=r"deserializing class 'Needs'.*override `from_config"):
        Needs.from_config(Needs(3, name="n").get_config())


def test_layer_unknown_kwargs_raise():
    with pytest.raises(ValueError, match=r"Unrecognized keyword arguments passed to Plain.*units"):
        Plain(units=3)


def test_layer_bad_name_raises():
    with pytest.raises(ValueError, match=r"cannot contain character `/`.*name=a/b"):
        Plain(name="a/b")


def test_layer_automatic_names():
    assert Plain().name == "plain"
    assert Plain().name == "plain_1"
    assert layers.Dense(1).name == "dense"


def test_layer_call_without_call_method_raises():
    with pytest.raises(NotImplementedError, match=r"Layer Layer does not have a `call\(\)`"):
        layers.Layer()(np.ones((1, 2), "float32"))


def test_layer_call_before_super_init_raises():
    class NoSuper(layers.Layer):
        def __init__(self):
            pass

    with pytest.raises(RuntimeError, match=r"you forgot to call `super\(\).__init__\(\)`"):
        NoSuper()(np.ones((1,), "float32"))


# ============================================================================ build
def test_build_runs_on_first_call_with_input_shape():
    layer = Scale(name="s")
    assert not layer.built
    out = layer(np.full((2, 3), 2.0, "float32"))
    assert layer.built
    assert layer.w.shape == (3,)
    np.testing.assert_array_equal(np.asarray(out), np.full((2, 3), 2.0))
    assert layer.get_build_config() == {"input_shape": (2, 3)}


def test_build_failure_leaves_no_half_tracked_variables():
    class Fragile(layers.Layer):
        fail = True

        def build(self, input_shape):
            self.a = self.add_weight(shape=(1,), name="a")
            self.sub = layers.Dense(1, name="sub")
            if Fragile.fail:
                raise RuntimeError("boom in build")
            self.b = self.add_weight(shape=(1,), name="b")

        def call(self, x):
            return x

    layer = Fragile(name="fragile")
    with pytest.raises(RuntimeError, match=r"boom in build"):
        layer(np.ones((1, 1), "float32"))
    assert layer.weights == []
    assert layer.variables == []
    assert layer._tracker.layers == []
    assert not layer.built
    Fragile.fail = False
    layer(np.ones((1, 1), "float32"))
    assert _paths(layer.weights) == ["fragile/a", "fragile/b"]
    assert [sub.name for sub in layer._tracker.layers] == ["sub"]


def test_build_from_config_rebuilds_weights():
    layer = Scale(name="s")
    layer.build((None, 4))
    clone = Scale.from_config(layer.get_config())
    clone.build_from_config(layer.get_build_config())
    assert clone.built
    assert clone.w.shape == (4,)


# ============================================================================ stateless_call
def _built_dense():
    layer = layers.Dense(2, name="d")
    layer.build((None, 3))
    layer.set_weights([np.arange(6, dtype="float32").reshape(3, 2), np.array([1.0, -1.0])])
    return layer


def test_stateless_call_uses_given_values_and_changes_nothing():
    layer = _built_dense()
    snap = _snapshot(layer)
    x = np.ones((1, 3), "float32")
    kernel = np.ones((3, 2), "float32")
    bias = np.zeros((2,), "float32")
    out, non_trainable = layer.stateless_call([kernel, bias], [], x)
    np.testing.assert_array_equal(np.asarray(out), [[3.0, 3.0]])
    assert non_trainable == []
    _assert_unchanged(layer, snap)


def test_stateless_call_under_jit_returns_new_non_trainable_values():
    layer = Counter(name="c")
    layer.build((None, 2))
    snap = _snapshot(layer)
    trainable = [v.value for v in layer.trainable_variables]
    non_trainable = [v.value for v in layer.non_trainable_variables]

    @jax.jit
    def step(tv, ntv, x):
        return layer.stateless_call(tv, ntv, x)

    x = jnp.ones((1, 2))
    out, non_trainable = step(trainable, non_trainable, x)
    out, non_trainable = step(trainable, non_trainable, x)
    np.testing.assert_array_equal(np.asarray(out), [[1.0, 1.0]])
    assert int(non_trainable[0]) == 2
    _assert_unchanged(layer, snap)
    assert int(layer.count.numpy()) == 0


def test_stateless_call_under_grad():
    layer = _built_dense()
    snap = _snapshot(layer)
    x = jnp.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])

    def loss(tv):
        out, _ = layer.stateless_call(tv, [], x)
        return jnp.sum(out)

    grads = jax.grad(loss)([v.value for v in layer.trainable_variables])
    np.testing.assert_allclose(np.asarray(grads[0]), np.repeat([[5.0], [7.0], [9.0]], 2, axis=1))
    np.testing.assert_allclose(np.asarray(grads[1]), [2.0, 2.0])
    _assert_unchanged(layer, snap)


def test_stateless_call_jit_of_grad():
    layer = _built_dense()
    x = jnp.ones((4, 3))

    @jax.jit
    def grads(tv):
        return jax.grad(lambda t: jnp.sum(layer.stateless_call(t, [], x)[0] ** 2))(tv)

    g = grads([v.value for v in layer.trainable_variables])
    assert [tuple(a.shape) for a in g] == [(3, 2), (2,)]
    assert np.isfinite(np.asarray(g[0])).all()


def test_stateless_call_dropout_advances_seed_in_returned_values():
    layer = layers.Dropout(0.5, seed=7)
    layer.build((None, 4))
    (state,) = layer.non_trainable_variables
    np.testing.assert_array_equal(state.numpy(), [7, 0])
    x = jnp.ones((8, 4))

    @jax.jit
    def step(ntv):
        return layer.stateless_call([], ntv, x, training=True)

    out1, ntv = step([state.value])
    np.testing.assert_array_equal(np.asarray(ntv[0]), [7, 1])
    out2, ntv = step(ntv)
    np.testing.assert_array_equal(np.asarray(ntv[0]), [7, 2])
    np.testing.assert_array_equal(state.numpy(), [7, 0])
    assert set(np.unique(np.asarray(out1)).tolist()) <= {0.0, 2.0}
    assert not np.array_equal(np.asarray(out1), np.asarray(out2))


def test_stateless_call_return_losses():
    layer = layers.Dense(
        2,
        kernel_initializer="ones",
        kernel_regularizer=heft.regularizers.L1(1.0),
        activity_regularizer=heft.regularizers.L1(1.0),
    )
    layer.build((None, 2))
    kernel = np.full((2, 2), 2.0, "float32")
    out, _, losses = layer.stateless_call(
        [kernel, np.zeros(2, "float32")], [], np.ones((1, 2), "float32"), return_losses=True
    )
    np.testing.assert_array_equal(np.asarray(out), [[4.0, 4.0]])
    assert [float(x) for x in losses] == [pytest.approx(8.0), pytest.approx(8.0)]
    # The layer's own losses are still those of its real (all-ones) kernel.
    assert [float(x) for x in layer.losses] == [pytest.approx(4.0)]


def test_stateless_call_unbuilt_raises():
    with pytest.raises(ValueError, match=r"layer 'd' must be built"):
        layers.Dense(2, name="d").stateless_call([], [], np.ones((1, 2)))


def test_stateless_call_wrong_lengths_raise():
    layer = _built_dense()
    with pytest.raises(ValueError, match=r"`trainable_variables` must be a list.*length 1.*2"):
        layer.stateless_call([np.zeros((3, 2))], [], np.ones((1, 3)))
    with pytest.raises(ValueError, match=r"`non_trainable_variables`.*length 1.*0"):
        layer.stateless_call([np.zeros((3, 2)), np.zeros(2)], [np.zeros(1)], np.ones((1, 3)))


def test_stateless_call_wrong_value_shape_raises():
    layer = _built_dense()
    with pytest.raises(
        ValueError, match=r"variable\.shape=\(3, 2\), Received: value\.shape=\(2, 3\)"
    ):
        layer.stateless_call([np.zeros((2, 3)), np.zeros(2)], [], np.ones((1, 3)))


# ============================================================================ misc
def test_layer_repr():
    assert repr(layers.Dense(2, name="d")) == "<Dense name=d, built=False>"


def test_layer_dtype_properties():
    layer = Plain(dtype="mixed_bfloat16")
    assert layer.dtype == "float32"
    assert layer.variable_dtype == "float32"
    assert layer.compute_dtype == "bfloat16"
    assert layer.dtype_policy.name == "mixed_bfloat16"


def test_layer_mixed_precision_call_computes_in_compute_dtype():
    layer = Scale(dtype="mixed_bfloat16")
    out = layer(np.ones((1, 2), "float32"))
    assert out.dtype == jnp.bfloat16
    assert layer.w.value.dtype == jnp.float32
