"""Adafactor, Ftrl, Lamb, Muon and ScheduleFreeAdamW against real Keras 3: steps, slots, configs, files."""

import inspect
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax
import keras
import numpy as np
import pytest

import heft
from heft import optimizers

NAMES = ["Adafactor", "Ftrl", "Lamb", "Muon", "ScheduleFreeAdamW"]
# A wide and a tall matrix, a vector, a 3-D kernel and an embedding: Muon sends
# the last three to AdamW.
SHAPES = {
    "kernel": (3, 4),
    "bias": (4,),
    "filters": (2, 3, 2),
    "tall": (5, 3),
    "embedding": (4, 3),
}

# Adafactor's default (relative step) is checked by the archive test's training.
CASES = [
    (
        "Adafactor",
        {
            "relative_step": False,
            "beta_2_decay": -0.5,
            "weight_decay": 0.1,
            "clipnorm": 0.5,
            "gradient_accumulation_steps": 2,
            "loss_scale_factor": 4.0,
        },
    ),
    ("Ftrl", {"learning_rate_power": 0.0, "initial_accumulator_value": 0.0, "clipvalue": 0.3}),
    (
        "Ftrl",
        {
            "learning_rate": 0.1,
            "learning_rate_power": -0.7,
            "l1_regularization_strength": 0.01,
            "l2_regularization_strength": 0.1,
            "l2_shrinkage_regularization_strength": 0.05,
            "beta": 0.5,
            "weight_decay": 0.05,
        },
    ),
    (
        "Lamb",
        {
            "learning_rate": 0.01,
            "beta_1": 0.8,
            "epsilon": 1e-4,
            "weight_decay": 0.1,
            "global_clipnorm": 1.0,
            "use_ema": True,
            "ema_overwrite_frequency": 2,
        },
    ),
    ("ScheduleFreeAdamW", {"warmup_steps": 3, "weight_decay": 0.1, "clipnorm": 1.0}),
    ("ScheduleFreeAdamW", {"gradient_accumulation_steps": 2, "use_ema": True}),
    ("Muon", {}),
    (
        "Muon",
        {
            "nesterov": False,
            "rms_rate": None,
            "exclude_layers": ["tall"],
            "weight_decay": None,
            "learning_rate": 0.01,
            "clipnorm": 0.5,
            "adam_lr_ratio": 0.1,
            "use_ema": True,
            "gradient_accumulation_steps": 2,
        },
    ),
]


@pytest.fixture(autouse=True)
def _fresh_keras_names():
    keras.backend.clear_session()
    yield


def _pair(seed=0):
    rng = np.random.default_rng(seed)
    values = {n: rng.normal(size=s).astype("float32") for n, s in SHAPES.items()}
    with heft.name_scope("dense"):
        hv = [heft.Variable(values[n], name=n) for n in SHAPES]
    with keras.name_scope("dense"):
        kv = [keras.Variable(values[n], name=n) for n in SHAPES]
    return hv, kv


def _grads(step):
    rng = np.random.default_rng(1 + 100 * step)
    return [rng.normal(size=s).astype("float32") for s in SHAPES.values()]


def _close(h, k):
    np.testing.assert_allclose(np.asarray(h), np.asarray(k), rtol=1e-6, atol=1e-7)


def _ids(case):
    name, kwargs = case
    return name + "(" + ",".join(f"{k}={v}" for k, v in kwargs.items()) + ")"


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_new_optimizer_steps_slots_and_config_match_keras(case):
    name, kwargs = case
    hv, kv = _pair()
    hopt, kopt = getattr(optimizers, name)(**kwargs), getattr(keras.optimizers, name)(**kwargs)
    for step in range(3):
        grads = _grads(step)
        hopt.apply([g.copy() for g in grads], hv)
        kopt.apply([g.copy() for g in grads], kv)
        for h, k in zip(hv, kv, strict=True):
            _close(h.numpy(), k.value)
    assert [v.path for v in hopt.variables] == [v.path for v in kopt.variables]
    for h, k in zip(hopt.variables, kopt.variables, strict=True):
        assert h.dtype == k.dtype and h.shape == tuple(k.shape)
        _close(h.numpy(), k.value)
    assert hopt.get_config() == kopt.get_config()
    assert list(hopt.get_config()) == list(kopt.get_config())


@pytest.mark.parametrize("case", [CASES[i] for i in (0, 2, 4, 7)], ids=_ids)
def test_new_optimizer_stateless_apply_jitted_matches_keras(case):
    name, kwargs = case
    hv, kv = _pair()
    hopt, kopt = getattr(optimizers, name)(**kwargs), getattr(keras.optimizers, name)(**kwargs)
    hopt.build(hv)
    step = jax.jit(hopt.stateless_apply)
    state, params = [v.value for v in hopt.variables], [v.value for v in hv]
    for i in range(2):
        grads = _grads(i)
        kopt.apply(grads, kv)
        params, state = step(state, grads, params)
        for h, k in zip(params, kv, strict=True):
            _close(h, k.value)
    assert [np.asarray(v.value).tolist() for v in hv] != [np.asarray(p).tolist() for p in params]


@pytest.mark.parametrize("name", NAMES)
def test_new_optimizer_signature_and_serialization_match_keras(name):
    heft_params = inspect.signature(getattr(optimizers, name)).parameters
    keras_params = inspect.signature(getattr(keras.optimizers, name)).parameters
    assert list(heft_params) == list(keras_params)
    for p, v in keras_params.items():
        assert heft_params[p].default == v.default, p
    mine = getattr(optimizers, name)(learning_rate=0.05, clipnorm=1.0)
    # Keras 3.15 leaves Lamb out of its name table (its `optimizers.deserialize`
    # returns the string 'Lamb'); archives load it through the generic path.
    theirs = keras.saving.deserialize_keras_object(optimizers.serialize(mine))
    assert type(theirs).__name__ == name and theirs.get_config() == mine.get_config()
    again = optimizers.deserialize(keras.optimizers.serialize(theirs))
    assert type(again) is type(mine) and again.get_config() == mine.get_config()
    assert type(optimizers.get(name.lower())) is type(mine)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"initial_accumulator_value": -1.0}, "initial_accumulator_value"),
        ({"learning_rate_power": 0.5}, "learning_rate_power"),
        ({"l1_regularization_strength": -0.1}, "l1_regularization_strength"),
        ({"l2_regularization_strength": -0.1}, "l2_regularization_strength"),
        ({"l2_shrinkage_regularization_strength": -0.1}, "l2_shrinkage"),
    ],
)
def test_ftrl_rejects_bad_arguments_like_keras(kwargs, match):
    with pytest.raises(ValueError, match=match):
        keras.optimizers.Ftrl(**kwargs)
    with pytest.raises(ValueError, match=match):
        optimizers.Ftrl(**kwargs)


def _trained(lib, name):
    model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(4), lib.layers.Dense(2)])
    model.set_weights(
        [np.full(w.shape, 0.1 * (i + 1), "float32") for i, w in enumerate(model.weights)]
    )
    model.compile(optimizer=getattr(lib.optimizers, name)(learning_rate=0.01), loss="mse")
    x = np.linspace(-1.0, 1.0, 24, dtype="float32").reshape(8, 3)
    model.fit(x, np.ones((8, 2), "float32"), batch_size=4, epochs=1, shuffle=False, verbose=0)
    return model


@pytest.mark.parametrize("name", ["Adafactor"])
def test_new_optimizer_state_moves_both_ways_in_keras_archives(tmp_path, name):
    ours = _trained(heft, name)
    ours.save(tmp_path / "h.keras")
    in_keras = keras.saving.load_model(tmp_path / "h.keras")
    theirs = _trained(keras, name)
    for h, k in zip(ours.optimizer.variables, theirs.optimizer.variables, strict=True):
        _close(h.numpy(), k.value)  # the same training gives the same state
    assert type(in_keras.optimizer).__name__ == name
    for h, k in zip(ours.optimizer.variables, in_keras.optimizer.variables, strict=True):
        assert h.dtype == k.dtype
        np.testing.assert_array_equal(h.numpy(), np.asarray(k.value))
    theirs.save(tmp_path / "k.keras")
    in_heft = heft.models.load_model(tmp_path / "k.keras")
    assert type(in_heft.optimizer).__name__ == name
    for h, k in zip(in_heft.optimizer.variables, theirs.optimizer.variables, strict=True):
        np.testing.assert_array_equal(h.numpy(), np.asarray(k.value))


def test_keras2_optimizer_names_raise_import_error_as_in_keras():
    names = sorted(n for n in dir(keras.optimizers.legacy) if not n.startswith("_"))
    assert names == sorted(heft.optimizers.legacy.__all__)
    for name in names:
        with pytest.raises(ImportError, match="Keras 3"):
            getattr(keras.optimizers.legacy, name)(learning_rate=0.1)
        with pytest.raises(ImportError, match=rf"heft\.optimizers\.{name}`"):
            getattr(heft.optimizers.legacy, name)(learning_rate=0.1)
