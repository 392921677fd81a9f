"""``Model(inputs, outputs)`` where some inputs are layer outputs (Keras 3's graph cloning)."""

import numpy as np
import pytest

import heft


def _chain():
    x = heft.Input((4,), name="x")
    h1 = heft.layers.Dense(3, name="d1")(x)
    h2 = heft.layers.Dense(3, name="d2")(h1)
    out = heft.layers.Dense(2, name="d3")(h2)
    return x, h1, h2, out


def test_two_cuts_get_distinct_inputs_and_the_full_model_keeps_its_config():
    heft.backend.clear_session()
    x, h1, h2, out = _chain()
    full = heft.Model(x, out)
    tail = heft.Model(h2, out)
    middle = heft.Model(h1, h2)
    names = [tail.layers[0].name, middle.layers[0].name]
    assert len(set(names)) == 2 and all(n.endswith("CLONE") for n in names)
    assert [layer.name for layer in tail.layers[1:]] == ["d3"]
    # The layers now have more calls; the full model's config still names its own.
    rebuilt = heft.Model.from_config(full.get_config())
    rebuilt.set_weights(full.get_weights())
    data = np.random.default_rng(0).normal(size=(6, 4)).astype("float32")
    np.testing.assert_allclose(rebuilt.predict(data, verbose=0), full.predict(data, verbose=0))
    # The pieces compose to the whole, with the same (shared) weights.
    composed = tail.predict(middle.predict(full.layers[1](data), verbose=0), verbose=0)
    np.testing.assert_allclose(composed, full.predict(data, verbose=0), rtol=1e-6)


def test_training_the_cut_model_trains_the_shared_layers():
    x, _, h2, out = _chain()
    full, tail = heft.Model(x, out), heft.Model(h2, out)
    tail.compile("sgd", "mse")
    before = full.get_layer("d3").kernel.numpy().copy()
    tail.fit(np.ones((8, 3), "float32"), np.zeros((8, 2), "float32"), verbose=0)
    assert not np.array_equal(full.get_layer("d3").kernel.numpy(), before)
    np.testing.assert_array_equal(
        full.get_layer("d1").kernel.numpy(), full.layers[1].kernel.numpy()
    )


def test_an_output_that_needs_an_input_upstream_of_the_cut_is_an_error():
    x, h1, _, out = _chain()
    y = heft.Input((3,), name="y")
    joined = heft.layers.Add(name="add")([out, heft.layers.Dense(2, name="d4")(y)])
    calls = {layer.name: len(layer._inbound_nodes) for layer in heft.Model([x, y], joined).layers}
    with pytest.raises(ValueError, match="reaches input 'y', which is not among"):
        heft.Model(h1, joined)  # `y` is not among the inputs
    model = heft.Model([x, y], joined)  # nothing was recorded by the failed call
    assert {layer.name: len(layer._inbound_nodes) for layer in model.layers} == calls
