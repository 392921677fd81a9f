"""The same model exported by Keras 3 and by heft: same endpoints, signatures, variables, outputs."""

import os
import re

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np
import pytest

import heft

tf = pytest.importorskip("tensorflow")

RNG = np.random.default_rng(0)
X = RNG.normal(size=(5, 3)).astype("float32")
X2 = RNG.normal(size=(5, 2)).astype("float32")


@pytest.fixture(autouse=True)
def _fresh_keras_names():
    keras.utils.clear_session()
    yield


def _sequential(lib):
    return lib.Sequential(
        [
            lib.Input((3,), name="x"),
            lib.layers.Dense(4),
            lib.layers.BatchNormalization(),
            lib.layers.Dropout(0.5),
            lib.layers.Dense(2),
        ]
    )


def _functional(lib):
    a = lib.Input((3,), name="a")
    b = lib.Input((2,), name="b")
    h = lib.layers.Concatenate()([lib.layers.Dense(4)(a), b])
    h = lib.layers.BatchNormalization()(h)
    h = lib.layers.Dropout(0.3)(h)
    return lib.Model([a, b], lib.layers.Dense(2)(h))


def _pair(build):
    """The model in Keras (with moved statistics) and in heft, with the same weights."""
    k_model = build(keras)
    weights = k_model.get_weights()
    for i, w in enumerate(weights):
        if w.ndim == 1:  # biases, gamma, beta, moving statistics: away from 0 and 1
            weights[i] = np.linspace(0.5, 1.5, w.shape[0]).astype(w.dtype)
    k_model.set_weights(weights)
    h_model = build(heft)
    h_model.set_weights(weights)
    return k_model, h_model


def _same_variables(k_saved, h_saved):
    for attribute in ("variables", "trainable_variables", "non_trainable_variables"):
        k_vars, h_vars = getattr(k_saved, attribute), getattr(h_saved, attribute)
        assert [(v.name, v.shape, v.dtype) for v in k_vars] == [
            (v.name, v.shape, v.dtype) for v in h_vars
        ]
        for k, h in zip(k_vars, h_vars, strict=True):
            if k.name != "seed_generator_state:0":  # a random seed on each side
                np.testing.assert_allclose(k.numpy(), h.numpy(), rtol=1e-6)


def _same_signatures(k_saved, h_saved):
    assert sorted(k_saved.signatures) == sorted(h_saved.signatures)
    for key in k_saved.signatures:
        k_fn, h_fn = k_saved.signatures[key], h_saved.signatures[key]
        assert k_fn.structured_input_signature == h_fn.structured_input_signature
        assert k_fn.structured_outputs == h_fn.structured_outputs


def _printed(capsys):
    """The printed endpoint description, with the ids of captured variables removed."""
    return re.sub(r"\d+: TensorSpec", "N: TensorSpec", capsys.readouterr().out)


def test_model_export_matches_keras_for_sequential_and_functional(tmp_path, capsys):
    for name, build, inputs in [
        ("sequential", _sequential, X),
        ("functional", _functional, [X, X2]),
    ]:
        k_model, h_model = _pair(build)
        k_model.export(str(tmp_path / f"k_{name}"))
        k_text = _printed(capsys)
        h_model.export(str(tmp_path / f"h_{name}"))
        assert _printed(capsys).replace("/h_", "/k_") == k_text
        k_saved = tf.saved_model.load(str(tmp_path / f"k_{name}"))
        h_saved = tf.saved_model.load(str(tmp_path / f"h_{name}"))
        _same_signatures(k_saved, h_saved)
        _same_variables(k_saved, h_saved)
        expected = k_saved.serve(inputs).numpy()
        np.testing.assert_allclose(h_saved.serve(inputs).numpy(), expected, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(
            h_model.predict(inputs, verbose=0), expected, rtol=1e-5, atol=1e-6
        )


def _archive(lib, model, path, spec):
    archive = lib.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint("infer", lambda x: model(x, training=False), input_signature=[spec])
    archive.add_endpoint("train", lambda x: model(x, training=True), input_signature=[spec])
    archive.add_variable_collection("stats", model.non_trainable_variables[:2])
    archive.write_out(path, verbose=False)
    return tf.saved_model.load(path)


def test_archive_with_two_endpoints_matches_keras(tmp_path):
    def build(lib):  # BatchNormalization before Dropout: its training update is deterministic
        return lib.Sequential(
            [
                lib.Input((3,), name="x"),
                lib.layers.Dense(4),
                lib.layers.BatchNormalization(),
                lib.layers.Dense(2),
            ]
        )

    k_model, h_model = _pair(build)
    k_saved = _archive(
        keras, k_model, str(tmp_path / "k"), keras.InputSpec(shape=(None, 3), dtype="float32")
    )
    h_saved = _archive(
        heft, h_model, str(tmp_path / "h"), tf.TensorSpec((None, 3), tf.float32, name="x")
    )
    _same_signatures(k_saved, h_saved)
    _same_variables(k_saved, h_saved)
    for endpoint in ("infer", "train"):
        np.testing.assert_allclose(
            getattr(h_saved, endpoint)(X).numpy(),
            getattr(k_saved, endpoint)(X).numpy(),
            rtol=1e-5,
            atol=1e-6,
        )
    # Both training endpoints moved the statistics alike.
    _same_variables(k_saved, h_saved)
    moved = [v.numpy() for v in k_saved.non_trainable_variables[:2]]
    assert not np.allclose(moved[0], k_model.non_trainable_variables[0].numpy())
    # Keras saves copies in the collection, which keep the values of the export; heft
    # saves the variables the endpoints use, which moved with them.
    np.testing.assert_allclose(
        [v.numpy() for v in k_saved.stats], [v.numpy() for v in k_model.non_trainable_variables]
    )
    np.testing.assert_allclose([v.numpy() for v in h_saved.stats], moved, rtol=1e-6)


def test_export_errors_match_keras(tmp_path):
    k_model, h_model = _pair(_sequential)
    for model in (k_model, h_model):
        with pytest.raises(ValueError) as info:
            model.export(str(tmp_path / "a"), format="keras")
        assert str(info.value).startswith("Unrecognized format=keras. Supported formats are:")
    for lib in (keras, heft):
        with pytest.raises(ValueError, match="Unsupported format: zip"):
            lib.export.ExportArchive("zip")
    k_messages, h_messages = [], []
    for lib, messages in ((keras, k_messages), (heft, h_messages)):
        archive = lib.export.ExportArchive()
        for method, args in (
            ("add_endpoint", ("serve", k_model.call)),
            ("write_out", (str(tmp_path / "b"),)),
            ("add_variable_collection", ("c", 1)),
        ):
            with pytest.raises(ValueError) as info:
                getattr(archive, method)(*args)
            messages.append(str(info.value).split(".")[0])
    assert h_messages == k_messages
