"""TorchModuleWrapper and TFSMLayer: another framework's module or SavedModel as a heft layer."""

import sys

import numpy as np
import pytest

import heft


def test_torch_module_trains_with_fit_like_torch_sgd(tmp_path):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    reference = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    reference.load_state_dict(module.state_dict())
    x = np.random.default_rng(0).normal(size=(6, 3)).astype("float32")
    y = np.random.default_rng(1).normal(size=(6, 2)).astype("float32")

    layer = heft.layers.TorchModuleWrapper(module)
    assert [w.trainable for w in layer.weights] == [True] * 4
    np.testing.assert_allclose(
        np.asarray(layer(x)), module(torch.from_numpy(x)).detach().numpy(), rtol=1e-6
    )
    model = heft.Sequential([heft.Input((3,)), layer])
    model.compile(optimizer=heft.optimizers.SGD(0.1), loss="mse")
    model.fit(x, y, batch_size=6, epochs=2, shuffle=False, verbose=0)

    optimizer = torch.optim.SGD(reference.parameters(), lr=0.1)
    for _ in range(2):
        optimizer.zero_grad()
        loss = ((reference(torch.from_numpy(x)) - torch.from_numpy(y)) ** 2).mean()
        loss.backward()
        optimizer.step()
    for weight, param in zip(layer.weights, reference.parameters(), strict=True):
        np.testing.assert_allclose(weight.numpy(), param.detach().numpy(), rtol=1e-5, atol=1e-6)

    path = str(tmp_path / "torch.weights.h5")
    model.save_weights(path)
    fresh = heft.Sequential([heft.Input((3,)), heft.layers.TorchModuleWrapper(module)])
    fresh.load_weights(path)
    np.testing.assert_allclose(np.asarray(fresh(x)), np.asarray(model(x)), rtol=1e-6)


def test_torch_module_gradients_reach_earlier_layers():
    torch = pytest.importorskip("torch")
    model = heft.Sequential(
        [
            heft.Input((3,)),
            heft.layers.Dense(4),
            heft.layers.TorchModuleWrapper(torch.nn.Linear(4, 1)),
        ]
    )
    model.compile(optimizer="sgd", loss="mse")
    before = model.layers[0].kernel.numpy().copy()
    model.fit(np.ones((4, 3), "float32"), np.zeros((4, 1), "float32"), verbose=0)
    assert not np.allclose(before, model.layers[0].kernel.numpy())


@pytest.mark.parametrize(
    ("name", "package", "make"),
    [
        ("torch", "torch", lambda: heft.layers.TorchModuleWrapper(object())),
        ("tensorflow", "tensorflow", lambda: heft.layers.TFSMLayer("missing")),
    ],
)
def test_missing_framework_gives_an_import_error_naming_the_package(
    monkeypatch, name, package, make
):
    monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(ImportError, match=f"pip install {package}"):
        make()


def _export_saved_model(tf, path):
    class Affine(tf.Module):
        def __init__(self):
            super().__init__()
            self.w = tf.Variable(np.arange(6, dtype="float32").reshape(3, 2) / 10, name="w")
            self.b = tf.Variable(np.ones(2, "float32"), name="b")
            self.steps = tf.Variable(0.0, trainable=False, name="steps")

        @tf.function(input_signature=[tf.TensorSpec((None, 3), tf.float32)])
        def serve(self, x):
            return tf.tanh(x @ self.w + self.b) + 0.0 * self.steps

    module = Affine()
    tf.saved_model.save(module, path)
    return module


def test_tfsm_layer_matches_tensorflow_and_trains(tmp_path):
    tf = pytest.importorskip("tensorflow")
    path = str(tmp_path / "saved")
    module = _export_saved_model(tf, path)
    x = np.random.default_rng(2).normal(size=(4, 3)).astype("float32")
    y = np.random.default_rng(3).normal(size=(4, 2)).astype("float32")

    layer = heft.layers.TFSMLayer(path, call_endpoint="serve")
    assert [w.trainable for w in layer.weights] == [True, True, False]
    np.testing.assert_allclose(np.asarray(layer(x)), module.serve(x).numpy(), rtol=1e-6)

    model = heft.Sequential([heft.Input((3,)), layer])
    assert model.output_shape == (None, 2)
    model.compile(optimizer=heft.optimizers.SGD(0.5), loss="mse")
    model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)

    with tf.GradientTape() as tape:
        loss = tf.reduce_mean((module.serve(x) - y) ** 2)
    grads = tape.gradient(loss, [module.w, module.b])
    expected = [module.w.numpy() - 0.5 * grads[0].numpy(), module.b.numpy() - 0.5 * grads[1]]
    for weight, want in zip(layer.trainable_weights, expected, strict=True):
        np.testing.assert_allclose(weight.numpy(), np.asarray(want), rtol=1e-5, atol=1e-6)


def test_tfsm_layer_bad_endpoint_and_safe_mode(tmp_path):
    tf = pytest.importorskip("tensorflow")
    path = str(tmp_path / "saved")
    _export_saved_model(tf, path)
    with pytest.raises(ValueError, match="Available endpoints"):
        heft.layers.TFSMLayer(path, call_endpoint="nope")
    config = heft.layers.TFSMLayer(path).get_config()
    with pytest.raises(ValueError, match="safe_mode=False"):
        heft.layers.TFSMLayer.from_config(config)
    clone = heft.layers.TFSMLayer.from_config(config, safe_mode=False)
    assert clone.get_config()["filepath"] == path
