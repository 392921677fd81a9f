"""``MultiOptimizer`` and ``OptimizerMap`` against real Keras 3: steps, state, configs, archives."""

import io
import os
import zipfile

os.environ.setdefault("KERAS_BACKEND", "jax")

import h5py
import jax
import keras
import numpy as np
import pytest

import heft


@pytest.fixture(autouse=True)
def _fresh_names():
    """Automatic names (``adam``, ``sgd_1``) restart with each test in both libraries."""
    keras.backend.clear_session()
    heft._naming.reset_names()
    yield


def _multi(lib, callable_map=False):
    """Adam (lr 0.01) for every variable but the biases, SGD with momentum for the biases."""
    opts = lib.optimizers
    adam, sgd = opts.Adam(0.01), opts.SGD(0.1, momentum=0.9)
    if callable_map:
        return opts.MultiOptimizer(lambda v: sgd if v.path.endswith("bias") else adam)
    return opts.MultiOptimizer(opts.OptimizerMap(adam, {".*bias": sgd}))


def _model(lib, optimizer):
    model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(4), lib.layers.Dense(2)])
    model.compile(optimizer=optimizer, loss="mse")
    return model


def _values(variables):
    return [np.asarray(v.value) for v in variables]


def _assert_same_state(hopt, kopt, paths=True):
    if paths:
        assert [v.path for v in hopt.variables] == [v.path for v in kopt.variables]
    assert [tuple(v.shape) for v in hopt.variables] == [tuple(v.shape) for v in kopt.variables]
    for h, k in zip(_values(hopt.variables), _values(kopt.variables), strict=True):
        np.testing.assert_allclose(h, k, rtol=1e-6, atol=1e-7)


def _data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(8, 3)).astype("float32"), rng.normal(size=(8, 2)).astype("float32")


def _fitted_pair():
    kmodel = _model(keras, _multi(keras))
    hmodel = _model(heft, _multi(heft))
    hmodel.set_weights(_values(kmodel.weights))
    x, y = _data()
    for model in (kmodel, hmodel):
        model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    return kmodel, hmodel


def test_fit_matches_keras():
    """Four jitted train steps: same weights, same optimizer variables (paths, order, values)."""
    kmodel, hmodel = _fitted_pair()
    for h, k in zip(_values(hmodel.weights), _values(kmodel.weights), strict=True):
        np.testing.assert_allclose(h, k, rtol=1e-6, atol=1e-7)
    _assert_same_state(hmodel.optimizer, kmodel.optimizer)
    assert [o.name for o in hmodel.optimizer.optimizers] == ["sgd", "adam"]
    assert int(hmodel.optimizer.iterations.numpy()) == 4


def _variables(lib):
    """A kernel, a bias and an unmatched weight, with the same paths in both libraries."""
    rng = np.random.default_rng(1)
    values = [rng.normal(size=s).astype("float32") for s in [(3, 2), (2,), (2,)]]
    with lib.name_scope("dense"):
        kernel = lib.Variable(values[0], name="kernel")
        bias = lib.Variable(values[1], name="bias")
    with lib.name_scope("other"):
        scale = lib.Variable(values[2], name="scale")
    return [kernel, bias, scale]


def _three_way(lib):
    """Map with a pattern matching nothing (its optimizer stays unbuilt) and a default."""
    opts = lib.optimizers
    opt_map = lib.optimizers.OptimizerMap(opts.RMSprop(0.01))
    opt_map["dense/kernel"] = opts.Adam(0.01)
    opt_map[".*bias"] = opts.SGD(0.1, momentum=0.9)
    opt_map["nothing/.*"] = opts.Lion()
    return opts.MultiOptimizer(opt_map, name="multi")


def _grads(step):
    rng = np.random.default_rng(10 + step)
    return [rng.normal(size=s).astype("float32") for s in [(3, 2), (2,), (2,)]]


def test_apply_and_stateless_apply_match_keras():
    """Eager ``apply`` (and heft's jitted ``stateless_apply``) against Keras's eager ``apply``."""
    kv, hv, sv = _variables(keras), _variables(heft), _variables(heft)
    kopt, hopt, sopt = _three_way(keras), _three_way(heft), _three_way(heft)
    sopt.build(sv)
    step = jax.jit(sopt.stateless_apply)
    opt_values, params = _values(sopt.variables), _values(sv)
    for i in range(3):
        kopt.apply(_grads(i), kv)
        hopt.apply(_grads(i), hv)
        params, opt_values = step(opt_values, _grads(i), params)
    for h, s, k in zip(_values(hv), params, _values(kv), strict=True):
        np.testing.assert_allclose(h, k, rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(s, k, rtol=1e-6, atol=1e-7)
    _assert_same_state(hopt, kopt)
    for s, k in zip(opt_values, _values(kopt.variables), strict=True):
        np.testing.assert_allclose(s, k, rtol=1e-6, atol=1e-7)
    assert not hopt.optimizers[2].built and hopt.optimizers[2].name == "lion"
    assert [int(o.iterations.numpy()) for o in hopt.optimizers] == [3, 3, 0, 3]
    assert np.asarray(_values(sv)[0]).tolist() == np.asarray(_values(_variables(heft))[0]).tolist()


def test_callable_map_matches_keras():
    """With a function as the map, inner optimizers are found in variable order."""
    kv, hv = _variables(keras), _variables(heft)
    kopt, hopt = _multi(keras, callable_map=True), _multi(heft, callable_map=True)
    for i in range(2):
        kopt.apply(_grads(i), kv)
        hopt.apply(_grads(i), hv)
    for h, k in zip(_values(hv), _values(kv), strict=True):
        np.testing.assert_allclose(h, k, rtol=1e-6, atol=1e-7)
    assert [o.name for o in hopt.optimizers] == ["adam", "sgd"]
    _assert_same_state(hopt, kopt)


def test_config_round_trip_both_ways():
    hopt, kopt = _three_way(heft), _three_way(keras)
    assert hopt.get_config() == kopt.get_config()
    assert heft.optimizers.serialize(hopt) == keras.optimizers.serialize(kopt)
    again = heft.optimizers.deserialize(keras.optimizers.serialize(kopt))
    assert isinstance(again, heft.optimizers.MultiOptimizer)
    assert again.get_config() == kopt.get_config()
    from_heft = keras.optimizers.deserialize(heft.optimizers.serialize(hopt))
    assert from_heft.get_config() == kopt.get_config()
    assert heft.optimizers.MultiOptimizer.from_config(hopt.get_config()).get_config() == (
        hopt.get_config()
    )
    # The factor is set on every inner optimizer (overriding theirs), as Keras does.
    inner = heft.optimizers.SGD(loss_scale_factor=2.0)
    scaled = heft.optimizers.MultiOptimizer(
        heft.optimizers.OptimizerMap(inner), loss_scale_factor=4.0
    )
    assert inner.loss_scale_factor == 4.0 and scaled.get_config()["loss_scale_factor"] == 4.0
    heft.optimizers.MultiOptimizer(heft.optimizers.OptimizerMap(inner))
    assert inner.loss_scale_factor is None


def _h5_groups(path):
    with zipfile.ZipFile(path) as archive:
        data = archive.read("model.weights.h5")
    names = []
    with h5py.File(io.BytesIO(data), "r") as f:
        f.visit(names.append)
    return sorted(names)


def test_archive_with_optimizer_state_both_ways(tmp_path):
    kmodel, hmodel = _fitted_pair()
    hmodel.save(tmp_path / "h.keras")
    kmodel.save(tmp_path / "k.keras")
    assert _h5_groups(tmp_path / "h.keras") == _h5_groups(tmp_path / "k.keras")
    in_keras = keras.saving.load_model(tmp_path / "h.keras")
    assert isinstance(in_keras.optimizer, keras.optimizers.MultiOptimizer)
    # Keras names the variables of a model it loads without the model's scope
    # (``sgd/dense_bias_momentum``): compare shapes and values there.
    _assert_same_state(hmodel.optimizer, in_keras.optimizer, paths=False)
    in_keras.save(tmp_path / "k2.keras")
    back = heft.models.load_model(tmp_path / "k2.keras")
    assert isinstance(back.optimizer, heft.optimizers.MultiOptimizer)
    _assert_same_state(back.optimizer, kmodel.optimizer)
    # Training goes on from the loaded state as Keras's does.
    x, y = _data()
    for model in (back, kmodel):
        model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    _assert_same_state(back.optimizer, kmodel.optimizer)


def _error_type(call):
    try:
        call()
    except Exception as err:
        return type(err)
    return None


def _bad_inputs(lib):
    opts = lib.optimizers

    def set_item(key, value):
        opt_map = opts.OptimizerMap(opts.Adam())
        opt_map["dense/.*"] = opts.SGD()
        opt_map[key] = value

    def conflicting():
        opt_map = opts.OptimizerMap(opts.Adam())
        opt_map[".*kernel"] = opts.SGD()
        opt_map["dense/.*"] = opts.RMSprop()
        opts.MultiOptimizer(opt_map).build(_variables(lib))

    def multi_lr(setting):
        multi = opts.MultiOptimizer(opts.OptimizerMap(opts.Adam()))
        if setting:
            multi.learning_rate = 0.1
        return multi.learning_rate

    return {
        "default_not_optimizer": lambda: opts.OptimizerMap("adam"),
        "map_not_dict": lambda: opts.OptimizerMap(opts.Adam(), [("a", opts.SGD())]),
        "duplicate_key": lambda: set_item("dense/.*", opts.SGD()),
        "key_not_string": lambda: set_item(3, opts.SGD()),
        "value_not_optimizer": lambda: set_item("x", "sgd"),
        "nested_multi": lambda: set_item("x", opts.MultiOptimizer(opts.OptimizerMap(opts.SGD()))),
        "two_patterns": conflicting,
        "callable_returns_junk": lambda: opts.MultiOptimizer(lambda v: "adam").build(
            _variables(lib)
        ),
        "get_learning_rate": lambda: multi_lr(False),
        "set_learning_rate": lambda: multi_lr(True),
        "apply_unbuilt_without_variables": lambda: opts.MultiOptimizer(
            opts.OptimizerMap(opts.Adam())
        ).apply([np.ones(2)]),
    }


@pytest.mark.parametrize("case", list(_bad_inputs(heft)))
def test_bad_input_errors_match_keras(case):
    expected = _error_type(_bad_inputs(keras)[case])
    assert expected is not None
    with pytest.raises(expected):
        _bad_inputs(heft)[case]()
