"""Model.export and ExportArchive: SavedModels that TensorFlow reloads and runs without heft."""

import os
import sys

import numpy as np
import pytest

import heft
from heft.export import ExportArchive
from heft.export._signature import export_platforms, model_input_signature

RNG = np.random.default_rng(0)
X = RNG.normal(size=(5, 3)).astype("float32")
X2 = RNG.normal(size=(5, 2)).astype("float32")
SPEC = heft.InputSpec(shape=(None, 3), dtype="float32")


@pytest.fixture(scope="module")
def tf():
    return pytest.importorskip("tensorflow")


def _moved_statistics(model):
    """Non-trivial moving statistics, so inference differs from training."""
    for layer in model.layers:
        if isinstance(layer, heft.layers.BatchNormalization):
            n = layer.moving_mean.shape[0]
            layer.moving_mean.assign(np.linspace(-0.5, 0.5, n).astype("float32"))
            layer.moving_variance.assign(np.linspace(0.5, 2.0, n).astype("float32"))


def _sequential():
    model = heft.Sequential(
        [
            heft.Input((3,), name="x"),
            heft.layers.Dense(4),
            heft.layers.BatchNormalization(),
            heft.layers.Dropout(0.5),
            heft.layers.Dense(2),
        ]
    )
    _moved_statistics(model)
    return model


def _functional():
    a = heft.Input((3,), name="a")
    b = heft.Input((2,), name="b")
    h = heft.layers.Concatenate()([heft.layers.Dense(4)(a), b])
    h = heft.layers.BatchNormalization()(h)
    h = heft.layers.Dropout(0.3)(h)
    model = heft.Model([a, b], heft.layers.Dense(2)(h))
    for layer in model.layers:
        if isinstance(layer, heft.layers.BatchNormalization):
            layer.moving_mean.assign(np.full((6,), 0.25, "float32"))
            layer.moving_variance.assign(np.full((6,), 1.5, "float32"))
    return model


def _values(variables):
    return [np.asarray(v) for v in variables]


def test_sequential_export_serves_predict_for_any_batch_and_holds_the_variables(tf, tmp_path):
    model = _sequential()
    model.export(tmp_path / "sm", verbose=False)
    reloaded = tf.saved_model.load(str(tmp_path / "sm"))

    for batch in (X, X[:1], np.tile(X, (3, 1))):
        np.testing.assert_allclose(
            reloaded.serve(batch).numpy(), model.predict(batch, verbose=0), rtol=1e-6, atol=1e-6
        )
    spec = reloaded.signatures["serving_default"].structured_input_signature[1]
    assert spec == {"x": tf.TensorSpec((None, 3), tf.float32, name="x")}
    assert [v.name for v in reloaded.trainable_variables] == [
        f"{v.name}:0" for v in model.trainable_variables
    ]
    for saved, own in [
        (reloaded.trainable_variables, model.trainable_variables),
        (reloaded.non_trainable_variables, model.non_trainable_variables),
        (reloaded.variables, model.trainable_variables + model.non_trainable_variables),
    ]:
        assert len(saved) == len(own)
        for s, o in zip(_values(saved), _values(own), strict=True):
            np.testing.assert_array_equal(s, o)
    # And back into heft, as a layer running the SavedModel.
    layer = heft.layers.TFSMLayer(str(tmp_path / "sm"))
    np.testing.assert_allclose(layer(X), model.predict(X, verbose=0), rtol=1e-6, atol=1e-6)


def test_functional_export_takes_the_inputs_structure(tf, tmp_path, capsys):
    model = _functional()
    model.export(str(tmp_path / "sm"))
    assert "* Endpoint 'serve'" in capsys.readouterr().out
    reloaded = tf.saved_model.load(str(tmp_path / "sm"))
    expected = model.predict([X, X2], verbose=0)
    np.testing.assert_allclose(reloaded.serve([X, X2]).numpy(), expected, rtol=1e-6, atol=1e-6)
    outputs = reloaded.signatures["serving_default"](a=X[:2], b=X2[:2])
    np.testing.assert_allclose(outputs["output_0"].numpy(), expected[:2], rtol=1e-6, atol=1e-6)
    assert len(reloaded.variables) == len(model.variables)


def test_subclassed_model_exports_with_the_shapes_of_its_first_call(tf, tmp_path):
    class Net(heft.Model):
        def __init__(self):
            super().__init__()
            self.dense = heft.layers.Dense(2)

        def call(self, x):
            return self.dense(x)

    net = Net()
    with pytest.raises(ValueError, match="not yet been built"):
        net.export(tmp_path / "sm")
    net.built = True
    with pytest.raises(ValueError, match="never been called"):
        net.export(tmp_path / "sm")
    net.built = False
    net(X)
    net.export(tmp_path / "sm", verbose=False)
    reloaded = tf.saved_model.load(str(tmp_path / "sm"))
    np.testing.assert_allclose(reloaded.serve(X[:3]).numpy(), net(X[:3]), rtol=1e-6)


def test_archive_with_two_endpoints_and_a_variable_collection(tf, tmp_path):
    model = _sequential()
    archive = ExportArchive()
    archive.track(model)
    archive.add_endpoint("infer", lambda x: model(x, training=False), input_signature=[SPEC])
    archive.add_endpoint(
        "train",
        lambda x: model(x, training=True),
        input_signature=[tf.TensorSpec((None, 3), tf.float32)],
    )
    archive.add_variable_collection("statistics", model.non_trainable_variables[:2])
    archive.add_variable_collection("extra", [tf.Variable(3.0, name="extra")])
    archive.write_out(tmp_path / "sm", verbose=False)
    # Tracked variables stay those of the model: training the copy touches nothing here.
    before = _values(model.weights)

    reloaded = tf.saved_model.load(str(tmp_path / "sm"))
    assert set(reloaded.signatures) == {"infer", "train", "serving_default"}
    np.testing.assert_allclose(
        reloaded.infer(X).numpy(), model.predict(X, verbose=0), rtol=1e-6, atol=1e-6
    )
    collected = [v.numpy() for v in reloaded.statistics]
    np.testing.assert_array_equal(collected[0], model.non_trainable_variables[0].numpy())
    assert float(reloaded.extra[0].numpy()) == 3.0
    # The collection holds the very variables the endpoints use.
    assert reloaded.statistics[0] is reloaded.non_trainable_variables[0]

    trained = reloaded.train(X).numpy()
    assert not np.allclose(trained, reloaded.infer(X).numpy())
    # The training endpoint moved the SavedModel's statistics and advanced the dropout seed.
    mean = reloaded.non_trainable_variables[0].numpy()
    assert not np.allclose(mean, model.non_trainable_variables[0].numpy())
    seed = reloaded.non_trainable_variables[2].numpy()
    assert not np.array_equal(seed, model.non_trainable_variables[2].numpy())
    for a, b in zip(before, _values(model.weights), strict=True):
        np.testing.assert_array_equal(a, b)


def test_static_endpoints_hold_no_variables_and_leave_the_model_untouched(tf, tmp_path):
    model = _sequential()
    expected = model.predict(X, verbose=0)
    before = _values(model.variables)
    archive = ExportArchive()
    archive.add_endpoint(
        "train", lambda x: model(x, training=True), input_signature=[SPEC], is_static=True
    )
    archive.add_endpoint(
        "infer",
        model.call,
        input_signature=[heft.ops.convert_to_tensor(X)],  # an array: its batch is left free
        is_static=True,
        jax2tf_kwargs={"with_gradient": False},
    )
    # The traced training call (moving statistics, dropout seed) assigned nothing.
    for a, b in zip(before, _values(model.variables), strict=True):
        np.testing.assert_array_equal(a, b)
    archive.write_out(tmp_path / "sm", verbose=False)
    reloaded = tf.saved_model.load(str(tmp_path / "sm"))
    np.testing.assert_allclose(reloaded.infer(X).numpy(), expected, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(reloaded.infer(X[:2]).numpy(), expected[:2], rtol=1e-6, atol=1e-6)
    assert reloaded.train(X).shape == (5, 2)
    assert len(reloaded.variables) == 0


def test_tf_function_endpoint_with_a_tracked_lookup_table(tf, tmp_path):
    model = heft.Sequential([heft.Input((3,)), heft.layers.Dense(2)])
    archive = ExportArchive()
    model_fn = archive.track_and_add_endpoint(
        "model_fn", model, [tf.TensorSpec((None, 3), tf.float32)]
    )
    table = tf.lookup.StaticHashTable(
        tf.lookup.KeyValueTensorInitializer(["a", "b"], [1.0, 2.0]), default_value=0.0
    )
    archive.track(table)

    @tf.function(input_signature=[tf.TensorSpec((None,), tf.string)])
    def serve(keys):
        return model_fn(tf.stack([table.lookup(keys)] * 3, axis=-1))

    serve(tf.constant(["a"]))
    archive.add_endpoint("serve", serve)
    archive.write_out(tmp_path / "sm", verbose=False)
    reloaded = tf.saved_model.load(str(tmp_path / "sm"))
    expected = model.predict(np.array([[1.0] * 3, [2.0] * 3, [0.0] * 3], "float32"), verbose=0)
    np.testing.assert_allclose(
        reloaded.serve(tf.constant(["a", "b", "z"])).numpy(), expected, rtol=1e-6, atol=1e-6
    )
    assert "serving_default" in reloaded.signatures


def test_write_out_replaces_a_saved_model_whole_and_fails_without_harm(tf, tmp_path):
    model = heft.Sequential([heft.Input((3,)), heft.layers.Dense(2)])
    target = tmp_path / "sm"
    model.export(target, verbose=False)
    (target / "notes.txt").write_text("mine")
    (target / "variables" / "stale").write_text("old")
    listing = sorted(os.listdir(target))

    archive = ExportArchive()
    archive.track_and_add_endpoint("serve", model, [SPEC])
    with pytest.raises(AttributeError, match="experimental_variable_policy"):
        archive.write_out(target, options="not options", verbose=False)
    assert sorted(os.listdir(target)) == listing
    assert sorted(os.listdir(tmp_path)) == ["sm"]

    archive.write_out(target, verbose=False)
    assert (target / "notes.txt").read_text() == "mine"
    assert not (target / "variables" / "stale").exists()
    assert sorted(os.listdir(tmp_path)) == ["sm"]
    assert tf.saved_model.load(str(target)).serve(X).shape == (5, 2)

    (tmp_path / "file").write_text("x")
    with pytest.raises(FileExistsError, match="it is a file"):
        archive.write_out(tmp_path / "file", verbose=False)
    archive.write_out(tmp_path / "new" / "deeper", verbose=False)
    assert (tmp_path / "new" / "deeper" / "saved_model.pb").exists()


def test_failed_endpoint_leaves_the_archive_as_it_was(tf):
    class ByBatch(heft.layers.Layer):
        def call(self, x):
            return x / float(x.shape[0] or 1)  # needs a known batch size

    model = heft.Sequential([heft.Input((3,)), heft.layers.Dense(3), ByBatch()])
    archive = ExportArchive()
    with pytest.raises(TypeError, match="_DimExpr") as info:
        archive.track_and_add_endpoint("serve", model, [SPEC])
    assert any("a size in `input_signature`" in note for note in info.value.__notes__)
    assert archive.variables == [] and archive._endpoint_names == []
    archive.track_and_add_endpoint("serve", model, [heft.InputSpec(shape=(5, 3), dtype="float32")])
    assert len(archive.variables) == 2


def test_export_errors(tf, tmp_path):
    model = _sequential()
    with pytest.raises(ValueError, match=r"Unrecognized format=keras\. Supported formats"):
        model.export(tmp_path / "a", format="keras")
    for format in ("onnx", "openvino", "litert", "torch"):
        with pytest.raises(ValueError, match=f"format='{format}' is not supported in heft"):
            model.export(tmp_path / "a", format=format)
    with pytest.raises(ValueError, match="not yet been built"):
        heft.Sequential([heft.layers.Dense(2)]).export(tmp_path / "a")
    with pytest.raises(TypeError, match=r"must be a `heft\.Model`"):
        model_input_signature(heft.layers.Dense(2))
    with pytest.raises(TypeError, match="unexpected keyword argument 'opset_version'"):
        model.export(tmp_path / "a", verbose=False, opset_version=18)
    assert not (tmp_path / "a").exists()


def test_archive_errors(tf):
    model = _sequential()
    with pytest.raises(ValueError, match="Unsupported format: onnx"):
        ExportArchive(format="onnx")
    with pytest.raises(NotImplementedError, match="abstract"):
        ExportArchive(format="neptune_model")
    archive = ExportArchive()
    with pytest.raises(ValueError, match="not yet been built"):
        archive.track(heft.layers.Dense(2))
    with pytest.raises(ValueError, match="Invalid resource type"):
        archive.track("model")
    with pytest.raises(ValueError, match="you must provide an `input_signature`"):
        archive.add_endpoint("serve", model.call)
    with pytest.raises(ValueError, match="has never been called"):
        archive.add_endpoint("serve", tf.function(lambda x: x))
    with pytest.raises(TypeError, match="must be a list or tuple"):
        archive.add_endpoint("serve", model.call, input_signature=SPEC)
    with pytest.raises(ValueError, match="`shape` and `dtype` must be provided"):
        archive.add_endpoint("serve", model.call, input_signature=[heft.InputSpec(ndim=2)])
    with pytest.raises(TypeError, match="Unsupported x=3"):
        archive.add_endpoint("serve", model.call, input_signature=[3])
    with pytest.raises(TypeError, match="`jax2tf_kwargs` must be a dict"):
        archive.add_endpoint("serve", model.call, input_signature=[SPEC], jax2tf_kwargs=1)
    with pytest.raises(ValueError, match="reserved"):
        archive.add_endpoint("variables", model.call, input_signature=[SPEC])
    with pytest.raises(ValueError, match="Python identifier"):
        archive.add_endpoint("my endpoint", model.call, input_signature=[SPEC])
    with pytest.raises(ValueError, match="No endpoints have been set yet"):
        archive.write_out("unused")
    archive.add_endpoint("serve", model.call, input_signature=[SPEC])
    with pytest.raises(ValueError, match="Endpoint name 'serve' is already taken"):
        archive.add_endpoint("serve", model.call, input_signature=[SPEC])
    with pytest.raises(ValueError, match="Expected `variables` to be a list/tuple/set"):
        archive.add_variable_collection("c", model.weights[0])
    with pytest.raises(ValueError, match=r"Found instead the following types: \['ndarray'\]"):
        archive.add_variable_collection("c", [np.zeros(2)])
    with pytest.raises(ValueError, match="already taken"):
        archive.add_variable_collection("serve", model.weights)


def test_missing_tensorflow_names_the_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorflow", None)
    with pytest.raises(ImportError, match="pip install tensorflow-cpu"):
        ExportArchive()


def test_export_platforms_add_the_cpu_when_tensorflow_cannot_run_the_gpu():
    assert export_platforms("cpu", False) is None
    assert export_platforms("cuda", True) is None
    assert export_platforms("tpu", False) is None
    assert export_platforms("cuda", False) == ("cuda", "cpu")
    assert export_platforms("rocm", False) == ("rocm", "cpu")
