"""FeatureSpace in real Keras 3 and in heft: encoded outputs, sublayers, configs, archives, errors."""

import json
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np
import pytest

import heft

RNG = np.random.default_rng(0)
N = 40
DATA = {
    "f": RNG.normal(size=N).astype("float32"),
    "fr": RNG.normal(size=N),
    "n": RNG.normal(size=N) * 3 + 1,
    "d": RNG.uniform(0, 10, size=N),
    "i": RNG.integers(0, 5, size=N),
    "s": RNG.choice(["a", "b", "c", "dd"], size=N),
    "h": RNG.choice(["x", "y", "z"], size=N),
    "ih": RNG.integers(0, 100, size=N),
}
NUMERIC = {key: DATA[key] for key in ("n", "i", "ih", "f")}


def _space(lib, output_mode="concat", encoding="one_hot"):
    lib.backend.clear_session()
    fs = lib.utils.FeatureSpace
    features = {
        "f": "float",
        "fr": fs.float_rescaled(scale=2.0, offset=1.0),
        "n": "float_normalized",
        "d": fs.float_discretized(5, output_mode=encoding),
        "i": fs.integer_categorical(max_tokens=4, output_mode=encoding),
        "s": fs.string_categorical(num_oov_indices=2, output_mode=encoding),
        "h": fs.string_hashed(7, output_mode=encoding),
        "ih": "integer_hashed",
    }
    crosses = [("i", "s"), fs.cross(("d", "h"), 16, output_mode=encoding)]
    space = fs(features, output_mode=output_mode, crosses=crosses, crossing_dim=8, hashing_dim=4)
    space.adapt(DATA)
    return space


def _numeric_space(lib):
    lib.backend.clear_session()
    space = lib.utils.FeatureSpace(
        {"n": "float_normalized", "i": "integer_categorical", "ih": "integer_hashed", "f": "float"},
        crosses=[("i", "ih")],
        crossing_dim=4,
    )
    space.adapt(NUMERIC)
    return space


def _close(theirs, ours):
    if isinstance(theirs, dict):
        assert list(theirs) == list(ours)
        for key in theirs:
            _close(theirs[key], ours[key])
        return
    theirs, ours = np.asarray(theirs), np.asarray(ours)
    assert theirs.shape == ours.shape
    assert theirs.dtype == ours.dtype
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6)


def _plain(config):
    return json.loads(json.dumps(config, default=str))


# Keras on JAX without x64 warns that its int64 index outputs become int32.
@pytest.mark.filterwarnings("ignore:.*Explicitly requested dtype int64:UserWarning")
@pytest.mark.parametrize(
    ("output_mode", "encoding"), [("concat", "one_hot"), ("dict", "one_hot"), ("dict", "int")]
)
def test_feature_space_outputs_config_and_sublayers_match(output_mode, encoding):
    theirs = _space(keras, output_mode, encoding)
    ours = _space(heft, output_mode, encoding)
    _close(theirs(DATA), ours(DATA))
    one = {key: value[3] for key, value in DATA.items()}
    _close(theirs(one), ours(one))
    assert _plain(ours.get_config()) == _plain(theirs.get_config())
    assert _plain(ours.get_build_config()) == _plain(theirs.get_build_config())
    for attribute in ("preprocessors", "crossers", "one_hot_encoders"):
        names = {k: v.name for k, v in getattr(theirs, attribute).items()}
        assert {k: v.name for k, v in getattr(ours, attribute).items()} == names
    assert getattr(ours.concat, "name", None) == getattr(theirs.concat, "name", None)
    for key, layer in theirs.preprocessors.items():
        assert _plain(ours.preprocessors[key].get_config()) == _plain(layer.get_config())


@pytest.mark.parametrize("batch", [16, None])
def test_feature_space_adapts_from_tf_dataset_as_keras(batch):
    tf = pytest.importorskip("tensorflow")
    ds = tf.data.Dataset.from_tensor_slices(DATA)
    if batch is not None:
        ds = ds.batch(batch)
    theirs, ours = _space(keras), _space(heft)
    theirs.adapt(ds)
    ours.adapt(ds)
    _close(theirs(DATA), ours(DATA))


def test_feature_space_archives_load_across_libraries(tmp_path):
    theirs, ours = _space(keras), _space(heft)
    theirs.save(str(tmp_path / "k.keras"))
    ours.save(str(tmp_path / "h.keras"))
    from_keras = heft.saving.load_model(tmp_path / "k.keras")
    from_heft = keras.saving.load_model(str(tmp_path / "h.keras"))
    assert isinstance(from_keras, heft.utils.FeatureSpace)
    _close(theirs(DATA), from_keras(DATA))
    _close(theirs(DATA), from_heft(DATA))


# Keras's predict warns about the dict structure of the inputs it was given itself,
# and about int64 on JAX without x64.
@pytest.mark.filterwarnings("ignore:The structure of `inputs`:UserWarning")
@pytest.mark.filterwarnings("ignore:.*Explicitly requested dtype int64:UserWarning")
def test_feature_space_functional_models_match_and_load_across_libraries(tmp_path):
    theirs, ours = _numeric_space(keras), _numeric_space(heft)
    models = []
    for lib, space in ((keras, theirs), (heft, ours)):
        out = lib.layers.Dense(1, kernel_initializer="ones")(space.get_encoded_features())
        models.append(lib.Model(space.get_inputs(), out))
    keras_model, heft_model = models
    assert [layer.name for layer in heft_model.layers] == [
        layer.name for layer in keras_model.layers
    ]
    batch = {key: value[:6, None] for key, value in NUMERIC.items()}
    expected = keras_model.predict(batch, verbose=0)
    _close(expected, heft_model.predict(batch, verbose=0))
    _close(expected, heft_model(batch))
    keras_model.save(str(tmp_path / "k.keras"))
    heft_model.save(tmp_path / "h.keras")
    _close(expected, heft.saving.load_model(tmp_path / "k.keras").predict(batch, verbose=0))
    _close(expected, keras.saving.load_model(str(tmp_path / "h.keras")).predict(batch, verbose=0))


def _error(fn):
    with pytest.raises(Exception) as info:
        fn()
    return info.type


@pytest.mark.parametrize(
    "case",
    [
        "unknown_feature_in_call",
        "not_adapted",
        "bad_output_mode",
        "cross_unknown_feature",
        "cross_spec_unknown_feature",
        "adapt_data_lacks_feature",
        "bad_feature_type",
        "bad_feature_output_mode",
        "bad_cross_output_mode",
        "empty_features",
        "call_not_dict",
        "adapt_on_array",
    ],
)
def test_feature_space_errors_match_keras(case):
    def run(lib):
        fs = lib.utils.FeatureSpace
        if case == "unknown_feature_in_call":
            space = fs({"n": "float"})
            return lambda: space({"n": np.ones(2), "other": np.ones(2)})
        if case == "not_adapted":
            space = fs({"n": "float_normalized"})
            return lambda: space({"n": np.ones(2)})
        if case == "bad_output_mode":
            return lambda: fs({"n": "float"}, output_mode="list")
        if case == "cross_unknown_feature":
            return lambda: fs({"a": "integer_categorical"}, crosses=[("a", "b")])
        if case == "cross_spec_unknown_feature":
            space = fs({"a": "integer_categorical"}, crosses=[fs.cross(("a", "b"), 4)])
            return lambda: space.adapt({"a": np.array([1, 2])})
        if case == "adapt_data_lacks_feature":
            space = fs({"a": "integer_categorical", "b": "string_categorical"})
            return lambda: space.adapt({"a": np.array([1, 2])})
        if case == "bad_feature_type":
            return lambda: fs({"a": "complex"})
        if case == "bad_feature_output_mode":
            return lambda: fs.integer_categorical(output_mode="multi_hot")
        if case == "bad_cross_output_mode":
            return lambda: fs.cross(("a", "b"), 4, output_mode="float")
        if case == "empty_features":
            return lambda: fs({})
        if case == "call_not_dict":
            space = fs({"n": "float"})
            return lambda: space(np.ones(2))
        space = fs({"n": "float_normalized"})
        return lambda: space.adapt(np.ones(3))

    theirs = _error(run(keras))
    assert _error(run(heft)) is theirs
    assert theirs in (ValueError, KeyError)
