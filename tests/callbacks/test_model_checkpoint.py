import pathlib

import numpy as np
import pytest

from heft.callbacks import CallbackList, ModelCheckpoint, TerminateOnNaN


def _logs(values, key="val_loss"):
    return [{"loss": 1.0, key: v} for v in values]


def test_model_checkpoint_names_files_by_epoch_and_logs(model, fit, tmp_path, marker):
    pattern = str(tmp_path / "ckpt-{epoch:02d}-{val_loss:.2f}.keras")
    fit([ModelCheckpoint(pattern)], model, _logs([0.5, 0.25, 0.125]))
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["ckpt-01-0.50.keras", "ckpt-02-0.25.keras", "ckpt-03-0.12.keras"]
    assert [kind for kind, _ in model.saved] == ["model"] * 3
    assert marker(tmp_path / "ckpt-02-0.25.keras").tolist() == [2.0, 2.0]


def test_model_checkpoint_save_weights_only_calls_save_weights(model, fit, tmp_path):
    path = tmp_path / "w.weights.h5"
    fit([ModelCheckpoint(path, save_weights_only=True)], model, _logs([0.5, 0.4]))
    assert model.saved == [("weights", str(path))] * 2


@pytest.mark.parametrize("name", ["a.weights.h5", "a.h5", "a.safetensors"])
def test_model_checkpoint_accepts_weight_file_suffixes(name, model, fit, tmp_path):
    fit([ModelCheckpoint(tmp_path / name, save_weights_only=True)], model, _logs([0.5]))
    assert (tmp_path / name).exists()


def test_model_checkpoint_save_best_only_keeps_the_best(model, fit, tmp_path, marker):
    path = tmp_path / "best.weights.h5"
    checkpoint = ModelCheckpoint(path, save_best_only=True, save_weights_only=True)
    fit([checkpoint], model, _logs([0.5, 0.6, 0.3, 0.4]))
    assert len(model.saved) == 2
    assert marker(path).tolist() == [3.0, 3.0]
    assert checkpoint.best == 0.3


def test_model_checkpoint_max_mode_with_epoch_names(model, fit, tmp_path):
    pattern = tmp_path / "{epoch}.keras"
    checkpoint = ModelCheckpoint(pattern, monitor="val_acc", save_best_only=True, mode="max")
    fit([checkpoint], model, _logs([0.5, 0.4, 0.7, 0.7], key="val_acc"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["1.keras", "3.keras"]


def test_model_checkpoint_initial_value_threshold(model, fit, tmp_path):
    checkpoint = ModelCheckpoint(
        tmp_path / "{epoch}.keras", save_best_only=True, initial_value_threshold=0.45
    )
    fit([checkpoint], model, _logs([0.5, 0.46, 0.44, 0.2]))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["3.keras", "4.keras"]


def test_model_checkpoint_best_carries_over_between_fits(model, fit, tmp_path):
    checkpoint = ModelCheckpoint(tmp_path / "{val_loss:.1f}.keras", save_best_only=True)
    fit([checkpoint], model, _logs([0.5]))
    fit([checkpoint], model, _logs([0.7, 0.3]))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["0.3.keras", "0.5.keras"]


def test_model_checkpoint_integer_save_freq_counts_batches(model, fit, tmp_path):
    pattern = tmp_path / "e{epoch}-b{batch}.keras"
    fit([ModelCheckpoint(pattern, save_freq=3)], model, _logs([0.5, 0.4]), steps=4)
    # 8 batches over two epochs: saves after batches 3 and 6 overall.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e1-b3.keras", "e2-b2.keras"]


def test_model_checkpoint_integer_save_freq_with_chunked_batches(model, fit, tmp_path):
    pattern = tmp_path / "e{epoch}-b{batch}.keras"
    # The trainer reports every 4th batch of 10: indices 3, 7, 9 in each epoch.
    fit([ModelCheckpoint(pattern, save_freq=5)], model, _logs([0.5, 0.4]), steps=10, chunk=4)
    names = sorted(p.name for p in tmp_path.iterdir())
    # Steps counted: 4, 8 (save), 2 | 6 (save), 4, 6 (save).
    assert names == ["e1-b8.keras", "e2-b10.keras", "e2-b4.keras"]


def test_model_checkpoint_batch_in_logs_is_not_overridden(tmp_path, model):
    checkpoint = ModelCheckpoint(tmp_path / "{batch}.keras", save_freq=1)
    checkpoint.set_model(model)
    checkpoint.on_epoch_begin(0)
    checkpoint.on_train_batch_end(0, {"batch": 41, "loss": 1.0})
    assert (tmp_path / "41.keras").exists()


def test_model_checkpoint_creates_missing_directories(model, fit, tmp_path):
    path = tmp_path / "a" / "b" / "m.keras"
    fit([ModelCheckpoint(str(path))], model, _logs([0.5]))
    assert path.exists()


def test_model_checkpoint_missing_monitor_warns_and_saves(model, fit, tmp_path):
    checkpoint = ModelCheckpoint(tmp_path / "m.keras", save_best_only=True)
    with pytest.warns(UserWarning, match=r"needs `val_loss` in the logs.*saving anyway"):
        fit([checkpoint], model, [{"loss": 0.5}])
    assert (tmp_path / "m.keras").exists()


def test_model_checkpoint_non_scalar_monitor_warns_and_saves(model, tmp_path):
    checkpoint = ModelCheckpoint(tmp_path / "m.keras", monitor="loss", save_best_only=True)
    checkpoint.set_model(model)
    with pytest.warns(UserWarning, match="can only compare a scalar `loss`"):
        checkpoint.on_epoch_end(0, {"loss": np.array([0.1, 0.2])})
    assert (tmp_path / "m.keras").exists()


def test_model_checkpoint_skips_saving_non_finite_loss(model, fit, tmp_path, marker, capsys):
    path = tmp_path / "last.weights.h5"
    checkpoint = ModelCheckpoint(path, save_weights_only=True, monitor="loss")
    ran = fit([checkpoint], model, [{"loss": 0.5}, {"loss": 0.4}, {"loss": float("nan")}])
    assert ran == [0, 1, 2]
    assert marker(path).tolist() == [2.0, 2.0]
    assert "not saving to" in capsys.readouterr().out


def test_model_checkpoint_keeps_last_good_weights_after_terminate_on_nan(
    model, fit, tmp_path, marker, capsys
):
    path = tmp_path / "ckpt.weights.h5"

    def batch_logs(epoch, batch):
        return {"loss": float("nan") if (epoch, batch) == (2, 1) else 0.5}

    epoch_logs = [{"loss": 0.5}, {"loss": 0.5}, {"loss": float("nan")}, {"loss": 0.5}]
    callbacks = [ModelCheckpoint(path, save_weights_only=True, monitor="loss"), TerminateOnNaN()]
    ran = fit(callbacks, model, epoch_logs, batch_logs=batch_logs)
    assert ran == [0, 1, 2]
    assert marker(path).tolist() == [2.0, 2.0]
    out = capsys.readouterr().out
    assert "Batch 1: the loss is nan; stopping training." in out


def test_model_checkpoint_verbose_messages(model, fit, tmp_path, capsys):
    checkpoint = ModelCheckpoint(tmp_path / "m.keras", save_best_only=True, verbose=1)
    fit([checkpoint], model, _logs([0.5, 0.6]))
    out = capsys.readouterr().out
    assert "Epoch 1: val_loss improved from None to 0.50000; saving the model to" in out
    assert "Epoch 2: val_loss did not improve from 0.50000" in out
    plain = ModelCheckpoint(tmp_path / "n.keras", verbose=1)
    fit([plain], model, _logs([0.5]))
    assert f"Epoch 1: saving the model to {tmp_path / 'n.keras'}" in capsys.readouterr().out


def test_model_checkpoint_rejects_wrong_suffixes(tmp_path):
    with pytest.raises(ValueError, match=r"must end in '.weights.h5'.*filepath='.*m.keras'"):
        ModelCheckpoint(str(tmp_path / "m.keras"), save_weights_only=True)
    with pytest.raises(ValueError, match=r"must end in '.keras'.*save_weights_only=True"):
        ModelCheckpoint(str(tmp_path / "m.weights.h5"))
    with pytest.raises(ValueError, match=r"must end in '.keras'"):
        ModelCheckpoint(str(tmp_path / "model"))


@pytest.mark.parametrize("save_freq", ["batch", 0, -2, 1.5, True])
def test_model_checkpoint_rejects_bad_save_freq(save_freq, tmp_path):
    with pytest.raises(ValueError, match=r"expected 'epoch'.*or a positive integer"):
        ModelCheckpoint(str(tmp_path / "m.keras"), save_freq=save_freq)


def test_model_checkpoint_rejects_bad_mode_and_patterns(tmp_path):
    with pytest.raises(ValueError, match="ModelCheckpoint received mode='best'"):
        ModelCheckpoint(str(tmp_path / "m.keras"), mode="best")
    with pytest.raises(ValueError, match=r"cannot use filepath=.* as a format pattern"):
        ModelCheckpoint(str(tmp_path / "m-{epoch.keras"))


def test_model_checkpoint_missing_format_field_raises_key_error(model, fit, tmp_path):
    checkpoint = ModelCheckpoint(str(tmp_path / "{val_acc:.2f}.keras"))
    with pytest.raises(KeyError, match=r"the field 'val_acc' is not in the logs.*epoch, loss"):
        fit([checkpoint], model, _logs([0.5]))


def test_model_checkpoint_existing_directory_raises(model, fit, tmp_path):
    (tmp_path / "dir.keras").mkdir()
    with pytest.raises(IsADirectoryError, match="is an existing directory"):
        fit([ModelCheckpoint(str(tmp_path / "dir.keras"))], model, _logs([0.5]))


def test_model_checkpoint_accepts_path_objects(tmp_path):
    checkpoint = ModelCheckpoint(pathlib.Path(tmp_path) / "m.keras")
    assert checkpoint.filepath == str(tmp_path / "m.keras")
    assert CallbackList([checkpoint]).needs_batch_hooks is False
