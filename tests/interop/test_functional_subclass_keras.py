"""A ``Model`` subclass built the Functional way, ``CustomModel(inputs, outputs)``, in Keras 3 and heft."""

import json
import os
import zipfile

os.environ.setdefault("KERAS_BACKEND", "jax")

import h5py
import numpy as np
import pytest

keras = pytest.importorskip("keras")

from keras.src.models.functional import Functional as KerasFunctional  # noqa: E402

import heft  # noqa: E402


def _classes(lib):
    """The same two subclasses in ``lib``: one with its own ``__init__``, one without."""

    class CustomModel(lib.Model):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.loss_tracker = lib.metrics.Mean(name="loss")
            self.extra = lib.layers.Dense(3, name="extra")
            self.extra.build((None, 2))

        def train_step(self, *args, **kwargs):
            return "custom train_step"

        def helper(self):
            return "helper"

    class Bare(lib.Model):
        def helper(self):
            return "bare"

    return CustomModel, Bare


def _graph(lib):
    x = lib.Input((4,), name="x")
    h = lib.layers.Dense(5, name="hidden")(x)
    y = lib.layers.Dense(2, name="head")(lib.layers.Activation("relu", name="act")(h))
    return x, y


def _pair(kind=0, **kwargs):
    """The same subclassed Functional model in Keras and in heft, with equal weights."""
    keras.backend.clear_session()
    heft._naming.reset_names()
    models = []
    for lib in (keras, heft):
        cls = _classes(lib)[kind]
        x, y = _graph(lib)
        models.append((cls, cls(x, y, **kwargs)))
    (k_cls, k_model), (h_cls, h_model) = models
    h_model.set_weights(k_model.get_weights())
    return k_cls, k_model, h_cls, h_model


def _x():
    return np.random.default_rng(0).normal(size=(3, 4)).astype("float32")


def test_functional_subclass_instance_layers_and_weights_match_keras():
    k_cls, k_model, h_cls, h_model = _pair(name="custom")
    assert isinstance(k_model, k_cls) and isinstance(k_model, KerasFunctional)
    assert isinstance(h_model, h_cls) and isinstance(h_model, heft.models.Functional)
    assert type(h_model).__name__ == type(k_model).__name__ == "CustomModel"
    assert h_model.name == k_model.name == "custom"
    assert [layer.name for layer in h_model.layers] == [layer.name for layer in k_model.layers]
    assert [w.path for w in h_model.weights] == [w.path for w in k_model.weights]
    assert [m.name for m in h_model.metrics] == [m.name for m in k_model.metrics] == ["loss"]
    assert h_model.count_params() == k_model.count_params()
    np.testing.assert_allclose(
        np.asarray(h_model(_x())), np.asarray(k_model(_x())), rtol=1e-6, atol=1e-6
    )
    # The subclass's methods are the instance's, in both libraries.
    for model, cls in ((k_model, k_cls), (h_model, h_cls)):
        assert model.train_step.__func__ is cls.train_step
        assert model.train_step() == "custom train_step"
        assert model.helper() == "helper"


@pytest.mark.parametrize(
    "call",
    [
        lambda cls, x, y: cls(inputs=x, outputs=y),
        lambda cls, x, y: cls(x, outputs=y),
        lambda cls, x, y: cls(inputs=x, outputs=y, name="named"),
    ],
    ids=["keywords", "outputs_keyword", "with_name"],
)
def test_functional_subclass_keyword_forms_match_keras(call):
    built = []
    for lib in (keras, heft):
        keras.backend.clear_session()
        heft._naming.reset_names()
        _, bare = _classes(lib)
        x, y = _graph(lib)
        built.append(call(bare, x, y))
    k_model, h_model = built
    assert h_model.name == k_model.name
    assert h_model.helper() == k_model.helper() == "bare"
    assert [w.path for w in h_model.weights] == [w.path for w in k_model.weights]


def test_functional_subclass_summary_matches_keras(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # Keras sizes its console from the terminal
    _, k_model, _, h_model = _pair()
    texts = []
    for model in (k_model, h_model):
        chunks = []
        model.summary(print_fn=chunks.append, line_length=120)
        texts.append("".join(chunks))
    expected, got = texts
    assert [line.rstrip() for line in got.splitlines()] == [
        line.rstrip() for line in expected.splitlines()
    ]


def test_functional_subclass_configs_revive_the_subclass_in_both_libraries():
    k_cls, k_model, h_cls, h_model = _pair()
    k_config = json.loads(json.dumps(k_model.get_config()))
    h_config = json.loads(json.dumps(h_model.get_config()))
    # Keras also keeps each layer's build config, which heft leaves out (calls rebuild layers).
    stripped = [{k: v for k, v in e.items() if k != "build_config"} for e in k_config["layers"]]
    assert h_config == {**k_config, "layers": stripped}
    from_keras = h_cls.from_config(k_config)
    from_heft = k_cls.from_config(h_config)
    assert isinstance(from_keras, h_cls) and isinstance(from_keras, heft.models.Functional)
    assert isinstance(from_heft, k_cls) and isinstance(from_heft, KerasFunctional)
    assert [w.path for w in from_keras.weights] == [w.path for w in k_model.weights]
    assert [w.path for w in from_heft.weights] == [w.path for w in h_model.weights]


def _datasets(group, prefix=""):
    for key, item in group.items():
        if isinstance(item, h5py.Dataset):
            yield prefix + key
        else:
            yield from _datasets(item, f"{prefix}{key}/")


def test_functional_subclass_weight_files_have_keras_layout(tmp_path):
    _, k_model, _, h_model = _pair()
    layouts = []
    for lib, model in (("keras", k_model), ("heft", h_model)):
        path = tmp_path / f"{lib}.weights.h5"
        model.save_weights(path)
        with h5py.File(path, "r") as f:
            layouts.append(sorted(_datasets(f)))
    assert layouts[1] == layouts[0]
    assert "extra/vars/0" in layouts[0] and "layers/dense/vars/0" in layouts[0]


def _check_loaded(loaded, cls, reference):
    assert isinstance(loaded, cls) and loaded.helper() == "helper"
    assert [w.path for w in loaded.weights] == [w.path for w in reference.weights]
    for value, original in zip(loaded.get_weights(), reference.get_weights(), strict=True):
        np.testing.assert_array_equal(value, original)
    np.testing.assert_allclose(
        np.asarray(loaded(_x())), np.asarray(reference(_x())), rtol=1e-6, atol=1e-6
    )


def test_functional_subclass_keras_archive_loads_in_heft_with_custom_objects(tmp_path):
    _, k_model, h_cls, h_model = _pair()
    k_model.save(tmp_path / "k.keras")
    h_model.save(tmp_path / "h.keras")
    for path in ("k.keras", "h.keras"):
        loaded = heft.models.load_model(tmp_path / path, custom_objects={"CustomModel": h_cls})
        _check_loaded(loaded, h_cls, k_model)


def test_functional_subclass_registered_archives_load_both_ways(tmp_path):
    keras.backend.clear_session()
    heft._naming.reset_names()
    pair = []
    for lib in (keras, heft):
        register = lib.saving.register_keras_serializable(package="heft_interop_subclass")
        cls = register(_classes(lib)[0])
        pair.append((cls, cls(*_graph(lib))))
    (k_cls, k_model), (h_cls, h_model) = pair
    h_model.set_weights(k_model.get_weights())
    k_model.save(tmp_path / "k.keras")
    h_model.save(tmp_path / "h.keras")
    with zipfile.ZipFile(tmp_path / "h.keras") as archive:
        saved = json.loads(archive.read("config.json"))
    assert saved["class_name"] == "CustomModel"
    assert saved["registered_name"] == "heft_interop_subclass>CustomModel"
    _check_loaded(heft.models.load_model(tmp_path / "k.keras"), h_cls, k_model)
    _check_loaded(heft.models.load_model(tmp_path / "h.keras"), h_cls, k_model)
    _check_loaded(keras.models.load_model(tmp_path / "h.keras"), k_cls, k_model)


def test_functional_subclass_clone_model_keeps_the_class_as_keras():
    k_cls, k_model, h_cls, h_model = _pair()
    k_clone = keras.models.clone_model(k_model)
    h_clone = heft.models.clone_model(h_model)
    assert isinstance(k_clone, k_cls) and isinstance(h_clone, h_cls)
    assert h_clone.helper() == "helper"
    assert [w.path for w in h_clone.weights] == [w.path for w in k_clone.weights]
    assert [layer.name for layer in h_clone.layers] == [layer.name for layer in k_clone.layers]
