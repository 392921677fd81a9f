import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np
import pytest

from heft import callbacks as hc


class Optimizer:
    def __init__(self, learning_rate):
        self.assigned = []
        self.learning_rate = learning_rate

    @property
    def learning_rate(self):
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        # Both libraries' optimizers keep the rate in a float32 variable.
        self._learning_rate = float(np.float32(value))
        self.assigned.append(self._learning_rate)


class Model:
    def __init__(self, learning_rate=0.1):
        self.stop_training = False
        self.optimizer = Optimizer(learning_rate)
        self.weights = [np.zeros(2, np.float32)]
        self.saved = []

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        self.weights = [np.array(w) for w in weights]

    def save_weights(self, path, overwrite=True):
        self.saved.append(os.path.basename(path))

    def save(self, path, overwrite=True):
        self.saved.append(os.path.basename(path))


def _drive(callback_list_cls, callbacks, model, epoch_logs, steps=0, chunk=1):
    callbacks = callback_list_cls(callbacks, model=model)
    callbacks.on_train_begin()
    ran = []
    for epoch, logs in enumerate(epoch_logs):
        callbacks.on_epoch_begin(epoch)
        for batch in range(chunk - 1, steps + chunk - 1, chunk):
            callbacks.on_train_batch_end(min(batch, steps - 1), {"loss": logs.get("loss", 1.0)})
        model.weights = [np.full(2, epoch + 1, np.float32)]
        callbacks.on_epoch_end(epoch, logs)
        ran.append(epoch)
        if model.stop_training:
            break
    callbacks.on_train_end()
    return ran


def _both(make_callbacks, epoch_logs, learning_rate=0.1, **kwargs):
    results = []
    for library, cls in ((keras.callbacks, keras.callbacks.CallbackList), (hc, hc.CallbackList)):
        model = Model(learning_rate)
        callbacks = make_callbacks(library)
        ran = _drive(cls, callbacks, model, epoch_logs, **kwargs)
        results.append((ran, model, callbacks))
    return results


# Changes below float32 resolution, and steps of exactly one min_delta: Keras
# compares float32 tensors, so these are ties.
NEAR_TIES = [
    [1.0, 1.0 - 1e-9, 1.0 - 2e-9, 0.5, 0.5 + 1e-9, 0.4, 0.4, 0.4, 0.4, 0.4],
    [0.95, 0.93, 0.91, 0.89, 0.87, 0.86, 0.84, 0.82, 0.8, 0.78],
    [0.5, 0.52, 0.54, 0.56, 0.58, 0.6, 0.62, 0.61, 0.6, 0.59],
]


def _sequences(count, length, seed):
    rng = np.random.default_rng(seed)
    sequences = list(NEAR_TIES)
    for _ in range(count):
        drift = np.cumsum(rng.normal(-0.02, 0.05, length))
        # Rounding creates ties and tiny changes, where the comparisons matter.
        sequences.append([float(v) for v in np.round(1.0 + drift, 2)])
    return sequences


EARLY_STOPPING_CONFIGS = [
    dict(patience=0),
    dict(patience=2),
    dict(patience=3, min_delta=0.02),
    dict(patience=1, baseline=0.9),
    dict(patience=2, baseline=0.95, restore_best_weights=True),
    dict(patience=2, restore_best_weights=True, start_from_epoch=3),
    dict(patience=1, mode="max", restore_best_weights=True),
    dict(patience=4, min_delta=-0.01, mode="min"),
    dict(patience=1, min_delta=0.02),
    dict(patience=1, min_delta=0.02, mode="max"),
]


@pytest.mark.parametrize("config", EARLY_STOPPING_CONFIGS)
def test_early_stopping_matches_keras(config):
    for values in _sequences(12, 14, seed=len(str(config))):
        logs = [{"loss": 1.0, "val_loss": v} for v in values]
        (k_ran, k_model, k_cb), (h_ran, h_model, h_cb) = _both(
            lambda lib: [lib.EarlyStopping(**config)], logs
        )
        assert h_ran == k_ran, (config, values)
        assert h_cb[0].stopped_epoch == k_cb[0].stopped_epoch
        assert h_cb[0].best_epoch == k_cb[0].best_epoch
        assert h_cb[0].wait == k_cb[0].wait
        np.testing.assert_array_equal(h_model.weights[0], k_model.weights[0])


@pytest.mark.parametrize(
    "config",
    [
        dict(patience=1, factor=0.5),
        dict(patience=2, factor=0.1, min_lr=1e-3),
        dict(patience=1, factor=0.5, cooldown=2),
        dict(patience=0, factor=0.2, cooldown=1, min_delta=0.05),
        dict(patience=2, factor=0.5, mode="max", min_lr=0.01),
        dict(patience=1, factor=0.5, min_delta=0.02),
        dict(patience=0, factor=0.5, min_delta=0),
    ],
)
def test_reduce_lr_on_plateau_matches_keras(config):
    reductions = 0
    for values in _sequences(10, 16, seed=len(str(config))):
        logs = [{"loss": 1.0, "val_loss": v} for v in values]
        (_, k_model, k_cb), (_, h_model, h_cb) = _both(
            lambda lib: [lib.ReduceLROnPlateau(**config), lib.History()], logs
        )
        assert h_cb[1].history["learning_rate"] == k_cb[1].history["learning_rate"]
        assert h_model.optimizer.assigned == k_model.optimizer.assigned
        reductions += len(h_model.optimizer.assigned) - 1
    assert reductions > 0


@pytest.mark.parametrize(
    "config",
    [
        dict(),
        dict(save_best_only=True),
        dict(save_best_only=True, mode="max", monitor="val_acc"),
        dict(save_best_only=True, initial_value_threshold=0.97),
    ],
)
def test_model_checkpoint_saves_the_same_files_as_keras(config, tmp_path):
    pattern = str(tmp_path / "ckpt-{epoch:02d}-{val_loss:.3f}.weights.h5")
    saved = 0
    for values in _sequences(4, 10, seed=3):
        logs = [{"loss": 1.0, "val_loss": v, "val_acc": 1 - v} for v in values]
        (_, k_model, _), (_, h_model, _) = _both(
            lambda lib: [lib.ModelCheckpoint(pattern, save_weights_only=True, **config)], logs
        )
        assert h_model.saved == k_model.saved
        saved += len(h_model.saved)
    assert saved > 0


@pytest.mark.parametrize("chunk", [1, 3])
def test_model_checkpoint_batch_frequency_matches_keras(chunk, tmp_path):
    pattern = str(tmp_path / "e{epoch}-b{batch}.keras")
    logs = [{"loss": 1.0, "val_loss": 0.5}] * 3
    (_, k_model, _), (_, h_model, _) = _both(
        lambda lib: [lib.ModelCheckpoint(pattern, save_freq=4)], logs, steps=7, chunk=chunk
    )
    assert h_model.saved == k_model.saved
    assert len(h_model.saved) >= 4


def test_csv_logger_writes_the_same_bytes_as_keras(tmp_path):
    logs = [
        {"loss": 0.5, "accuracy": 0.25},
        {"loss": 0.25, "accuracy": 0.5, "val_loss": 0.75},
        {"loss": np.float32(0.1), "accuracy": 0.75},
    ]
    for append in (False, True):
        paths = []
        for library in (keras.callbacks, hc):
            path = tmp_path / f"{library.__name__}-{append}.csv"
            ran = _drive(
                keras.callbacks.CallbackList if library is keras.callbacks else hc.CallbackList,
                [library.CSVLogger(str(path), separator=";", append=append)],
                Model(),
                logs,
            )
            assert ran == [0, 1, 2]
            paths.append(path)
        if append:
            for library, path in zip((keras.callbacks, hc), paths, strict=True):
                cls = (
                    keras.callbacks.CallbackList if library is keras.callbacks else hc.CallbackList
                )
                _drive(cls, [library.CSVLogger(str(path), append=True)], Model(), logs[:1])
        assert paths[0].read_bytes() == paths[1].read_bytes()


def test_history_and_learning_rate_scheduler_match_keras():
    logs = [{"loss": 1.0 / (e + 1), "val_loss": 2.0 / (e + 1)} for e in range(5)]

    def schedule(epoch, lr):
        return lr if epoch < 2 else lr * 0.9

    (_, k_model, k_cb), (_, h_model, h_cb) = _both(
        lambda lib: [lib.LearningRateScheduler(schedule), lib.History()], logs
    )
    assert h_cb[1].history == k_cb[1].history
    assert h_cb[1].epoch == k_cb[1].epoch
    assert h_model.optimizer.assigned == k_model.optimizer.assigned


def test_terminate_on_nan_stops_on_the_same_batches_as_keras():
    for loss in (0.5, float("nan"), float("inf"), -float("inf")):
        stops = []
        for library, cls in (
            (keras.callbacks, keras.callbacks.CallbackList),
            (hc, hc.CallbackList),
        ):
            model = Model()
            callbacks = cls([library.TerminateOnNaN()], model=model)
            callbacks.on_train_begin()
            callbacks.on_train_batch_end(0, {"loss": loss})
            callbacks.on_train_end()
            stops.append(model.stop_training)
        assert stops[0] == stops[1] == (loss != 0.5)


def test_missing_metric_warnings_match_keras():
    logs = [{"loss": 1.0}, {"loss": 0.5}]
    for name in ("EarlyStopping", "ReduceLROnPlateau"):
        counts = []
        for library, cls in (
            (keras.callbacks, keras.callbacks.CallbackList),
            (hc, hc.CallbackList),
        ):
            with pytest.warns(UserWarning, match="val_loss") as record:
                _drive(cls, [getattr(library, name)(monitor="val_loss")], Model(), logs)
            counts.append(len(record))
        assert counts[0] == counts[1] == 2
