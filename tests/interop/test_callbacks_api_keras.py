"""TensorBoard, SwapEMAWeights and RemoteMonitor side by side with Keras 3."""

import http.server
import json
import os
import struct
import threading
import urllib.parse

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np
import pytest

import heft

RNG = np.random.default_rng(0)
X = RNG.normal(size=(32, 4)).astype("float32")
Y = RNG.normal(size=(32, 1)).astype("float32")


def _model(lib, optimizer):
    model = lib.Sequential(
        [
            lib.Input((4,)),
            lib.layers.Dense(3, activation="relu", name="d1"),
            lib.layers.Dense(1, name="d2"),
        ],
        name="net",
    )
    model.compile(optimizer=optimizer, loss="mse", metrics=["mae"])
    return model


def _pair(make_optimizer):
    keras_model = _model(keras, make_optimizer(keras))
    heft_model = _model(heft, make_optimizer(heft))
    heft_model.set_weights(keras_model.get_weights())
    return keras_model, heft_model


# ------------------------------------------------------------------------- SwapEMAWeights


@pytest.mark.parametrize("swap_on_epoch", [False, True])
def test_swap_ema_weights_matches_keras(swap_on_epoch):
    keras_model, heft_model = _pair(
        lambda lib: lib.optimizers.SGD(0.05, use_ema=True, ema_momentum=0.5)
    )
    histories = []
    for lib, model in ((keras, keras_model), (heft, heft_model)):
        history = model.fit(
            X,
            Y,
            batch_size=8,
            epochs=2,
            validation_data=(X[:8], Y[:8]),
            callbacks=[lib.callbacks.SwapEMAWeights(swap_on_epoch=swap_on_epoch)],
            shuffle=False,
            verbose=0,
        )
        histories.append(history.history)
    for key in ("loss", "val_loss", "val_mae"):
        np.testing.assert_allclose(histories[1][key], histories[0][key], rtol=1e-5, atol=1e-6)
    for ours, theirs in zip(heft_model.get_weights(), keras_model.get_weights(), strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    # Evaluation with the callback sees the averages, and leaves the trained weights in place.
    before = heft_model.get_weights()
    ours = heft_model.evaluate(X, Y, callbacks=[heft.callbacks.SwapEMAWeights()], verbose=0)
    theirs = keras_model.evaluate(X, Y, callbacks=[keras.callbacks.SwapEMAWeights()], verbose=0)
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    for a, b in zip(heft_model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(a, b)


def test_swap_ema_weights_needs_use_ema():
    for lib in (keras, heft):
        model = _model(lib, lib.optimizers.SGD(0.05))
        with pytest.raises(ValueError, match="use_ema"):
            model.fit(
                X,
                Y,
                epochs=1,
                validation_data=(X, Y),
                callbacks=[lib.callbacks.SwapEMAWeights()],
                verbose=0,
            )


# ------------------------------------------------------------------------- RemoteMonitor


class _Recorder(http.server.BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        body = self.rfile.read(length).decode("utf-8")
        _Recorder.received.append((self.path, self.headers["Content-Type"], body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    _Recorder.received = []
    httpd = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _payloads(received):
    out = []
    for path, content_type, body in received:
        if content_type.startswith("application/json"):
            out.append((path, "json", json.loads(body)))
        else:
            fields = urllib.parse.parse_qs(body)
            out.append((path, "form", {k: json.loads(v[0]) for k, v in fields.items()}))
    return out


@pytest.mark.parametrize("send_as_json", [False, True])
def test_remote_monitor_posts_what_keras_posts(server, send_as_json):
    keras_model, heft_model = _pair(lambda lib: lib.optimizers.SGD(0.01))
    results = []
    for lib, model in ((keras, keras_model), (heft, heft_model)):
        _Recorder.received = []
        monitor = lib.callbacks.RemoteMonitor(
            root=server, path="/epoch/", field="payload", send_as_json=send_as_json
        )
        model.fit(X, Y, batch_size=16, epochs=2, callbacks=[monitor], shuffle=False, verbose=0)
        results.append(_payloads(_Recorder.received))
    theirs, ours = results
    assert len(ours) == len(theirs) == 2
    for (p1, kind1, a), (p2, kind2, b) in zip(ours, theirs, strict=True):
        assert (p1, kind1) == (p2, kind2) == ("/epoch/", "json" if send_as_json else "form")
        if not send_as_json:
            a, b = a["payload"], b["payload"]
        assert sorted(a) == sorted(b)
        for key in b:
            np.testing.assert_allclose(a[key], b[key], rtol=1e-5)


def test_remote_monitor_unreachable_server_warns():
    monitor = heft.callbacks.RemoteMonitor(root="http://127.0.0.1:9", timeout=2)
    with pytest.warns(UserWarning, match="Could not reach RemoteMonitor"):
        monitor.on_epoch_end(0, {"loss": np.float32(0.5)})


# ------------------------------------------------------------------------- TensorBoard


def _events(folder):
    """Every event of the event files in ``folder`` (TFRecord framing, read by hand)."""
    from tensorboardX.proto import event_pb2

    events = []
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name), "rb") as f:
            data = f.read()
        offset = 0
        while offset < len(data):
            (length,) = struct.unpack("<Q", data[offset : offset + 8])
            record = data[offset + 12 : offset + 12 + length]
            offset += 12 + length + 4
            event = event_pb2.Event()
            event.ParseFromString(record)
            events.append(event)
    return events


def _scalars(folder):
    found = {}
    for event in _events(folder):
        for value in event.summary.value:
            if value.HasField("simple_value"):
                number = value.simple_value
            elif value.HasField("tensor") and value.tensor.float_val:
                number = value.tensor.float_val[0]
            elif value.HasField("tensor") and value.tensor.tensor_content:
                number = float(np.frombuffer(value.tensor.tensor_content, "float32")[0])
            else:
                continue
            found.setdefault(value.tag, []).append((event.step, number))
    return found


def _other_tags(folder):
    tags = {}
    for event in _events(folder):
        for value in event.summary.value:
            if value.HasField("histo"):
                tags[value.tag] = "histogram"
            elif value.metadata.plugin_data.plugin_name == "graph_keras_model":
                tags[value.tag] = value.tensor.string_val[0].decode()
            elif value.metadata.plugin_data.plugin_name == "histograms":
                tags[value.tag] = "histogram"
    return tags


def test_tensorboard_event_files_have_keras_tags_and_values(tmp_path):
    """The tags, steps and folders of Keras 3.15's TensorBoard callback.

    Keras's own callback needs the `tensorboard` package to write; the layout
    below is the one its code writes (keras/src/callbacks/tensorboard.py).
    """
    model = _model(heft, heft.optimizers.SGD(0.01))
    callback = heft.callbacks.TensorBoard(tmp_path, histogram_freq=1, update_freq=2)
    history = model.fit(
        X,
        Y,
        batch_size=8,
        epochs=2,
        validation_data=(X[:8], Y[:8]),
        callbacks=[callback],
        shuffle=False,
        verbose=0,
    ).history
    train, val = _scalars(tmp_path / "train"), _scalars(tmp_path / "validation")
    assert sorted(train) == [
        "batch_loss",
        "batch_mae",
        "epoch_learning_rate",
        "epoch_loss",
        "epoch_mae",
    ]
    assert sorted(val) == [
        "epoch_loss",
        "epoch_mae",
        "evaluation_loss_vs_iterations",
        "evaluation_mae_vs_iterations",
    ]
    # 4 batches an epoch: batch scalars every 2 global batches; epochs at steps 0 and 1;
    # evaluations at the optimizer's iteration count.
    assert [s for s, _ in train["batch_loss"]] == [2, 4, 6, 8]
    assert [s for s, _ in train["epoch_loss"]] == [0, 1]
    assert [s for s, _ in val["evaluation_loss_vs_iterations"]] == [4, 8]
    np.testing.assert_allclose([v for _, v in train["epoch_loss"]], history["loss"], rtol=1e-6)
    np.testing.assert_allclose([v for _, v in val["epoch_mae"]], history["val_mae"], rtol=1e-6)
    np.testing.assert_allclose(
        [v for _, v in train["epoch_learning_rate"]], [0.01, 0.01], rtol=1e-6
    )
    np.testing.assert_allclose(
        [v for _, v in val["evaluation_loss_vs_iterations"]], history["val_loss"], rtol=1e-6
    )
    other = _other_tags(tmp_path / "train")
    histograms = sorted(t for t, kind in other.items() if kind == "histogram")
    keras_model = _model(keras, keras.optimizers.SGD(0.01))
    assert histograms == sorted(f"{w.path}/histogram" for w in keras_model.weights)
    assert len(histograms) == 4
    graph = json.loads(other["keras"])
    assert graph == json.loads(model.to_json())
    # Keras's model JSON, as Keras's callback writes it for the graph plugin, loads in Keras.
    rebuilt = keras.models.model_from_json(other["keras"])
    assert [layer.name for layer in rebuilt.layers] == ["d1", "d2"]


def test_tensorboard_without_tensorboardx_names_the_package(tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_tensorboardx(name, *args, **kwargs):
        if name.startswith("tensorboardX"):
            raise ImportError("No module named 'tensorboardX'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tensorboardx)
    model = _model(heft, heft.optimizers.SGD(0.01))
    with pytest.raises(ImportError, match="pip install tensorboardX"):
        model.fit(X, Y, epochs=1, callbacks=[heft.callbacks.TensorBoard(tmp_path)], verbose=0)


def test_tensorboard_epoch_only_keeps_fast_path_and_bad_arguments(tmp_path):
    from heft.callbacks._callback_list import _needs_every_step

    assert not _needs_every_step(heft.callbacks.TensorBoard(tmp_path), "on_train_batch_end")
    assert _needs_every_step(
        heft.callbacks.TensorBoard(tmp_path, update_freq="batch"), "on_train_batch_end"
    )
    with pytest.raises(ValueError, match="update_freq"):
        heft.callbacks.TensorBoard(tmp_path, update_freq=0)
    with pytest.raises(ValueError, match="profile"):
        heft.callbacks.TensorBoard(tmp_path, profile_batch=2)


def test_fit_runs_test_hooks_and_finalizes_ema_as_keras():
    """Regressions: fit's validation calls the callbacks' test hooks; `use_ema` ends with the averages."""
    keras_model, heft_model = _pair(
        lambda lib: lib.optimizers.Adam(0.01, use_ema=True, ema_momentum=0.8)
    )
    calls = {}
    for lib, model in ((keras, keras_model), (heft, heft_model)):
        seen = []
        hooks = lib.callbacks.LambdaCallback(
            on_epoch_end=lambda epoch, logs, seen=seen: seen.append("epoch_end")
        )
        hooks.on_test_begin = lambda logs=None, seen=seen: seen.append("test_begin")
        hooks.on_test_end = lambda logs=None, seen=seen: seen.append("test_end")
        model.fit(
            X,
            Y,
            batch_size=8,
            epochs=2,
            validation_data=(X, Y),
            callbacks=[hooks],
            shuffle=False,
            verbose=0,
        )
        calls[lib.__name__] = seen
    assert calls["heft"] == calls["keras"] == ["test_begin", "test_end", "epoch_end"] * 2
    for ours, theirs in zip(heft_model.get_weights(), keras_model.get_weights(), strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
