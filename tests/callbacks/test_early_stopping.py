import numpy as np
import pytest

from heft.callbacks import EarlyStopping


def _logs(values, key="val_loss"):
    return [{"loss": 1.0, key: v} for v in values]


def test_early_stopping_counts_patience_from_the_last_improvement(model, fit):
    stopper = EarlyStopping(patience=2)
    ran = fit([stopper], model, _logs([1.0, 0.9, 0.95, 0.96, 0.97, 0.5]))
    assert ran == [0, 1, 2, 3]
    assert stopper.stopped_epoch == 3
    assert stopper.best == 0.9 and stopper.best_epoch == 1
    assert model.stop_training is True


def test_early_stopping_patience_zero_never_stops_at_the_first_epoch(model, fit):
    stopper = EarlyStopping(monitor="loss", patience=0)
    ran = fit([stopper], model, [{"loss": 1.0}, {"loss": 1.0}, {"loss": 0.5}])
    assert ran == [0, 1]
    assert stopper.stopped_epoch == 1


def test_early_stopping_runs_all_epochs_while_improving(model, fit):
    stopper = EarlyStopping(patience=1)
    ran = fit([stopper], model, _logs([1.0, 0.9, 0.8, 0.7]))
    assert ran == [0, 1, 2, 3]
    assert stopper.stopped_epoch == 0 and not model.stop_training


def test_early_stopping_min_delta_ignores_small_improvements(model, fit):
    stopper = EarlyStopping(min_delta=0.05, patience=1)
    ran = fit([stopper], model, _logs([1.0, 0.97, 0.94, 0.5]))
    assert ran == [0, 1]
    assert stopper.best == 1.0


def test_early_stopping_max_mode_and_auto_for_accuracy(model, fit, make_model):
    stopper = EarlyStopping(monitor="val_accuracy", patience=1)
    ran = fit([stopper], model, _logs([0.5, 0.7, 0.69, 0.9], key="val_accuracy"))
    assert ran == [0, 1, 2]
    assert stopper.best == 0.7
    explicit = EarlyStopping(monitor="score", mode="max", patience=1)
    ran = fit([explicit], make_model(), _logs([0.5, 0.4, 0.9], key="score"))
    assert ran == [0, 1]


def test_early_stopping_baseline_stops_when_it_is_never_beaten(model, fit):
    stopper = EarlyStopping(baseline=0.5, patience=2)
    # 0.9 improves on the best (none yet) but not on the baseline: it counts.
    ran = fit([stopper], model, _logs([0.9, 0.95, 0.97, 0.4]))
    assert ran == [0, 1]
    assert stopper.stopped_epoch == 1


def test_early_stopping_baseline_improvement_over_best_but_not_baseline_continues(model, fit):
    # Keras only checks patience on epochs that do not improve on the best value,
    # so steadily improving values above the baseline never trigger a stop.
    stopper = EarlyStopping(baseline=0.1, patience=1)
    ran = fit([stopper], model, _logs([0.9, 0.8, 0.7, 0.6]))
    assert ran == [0, 1, 2, 3]
    assert stopper.wait == 4


def test_early_stopping_baseline_beaten_resets_wait(model, fit):
    stopper = EarlyStopping(baseline=0.5, patience=1)
    ran = fit([stopper], model, _logs([0.4, 0.45, 0.3]))
    assert ran == [0, 1]
    assert stopper.best == 0.4


def test_early_stopping_restores_the_best_weights(model, fit):
    stopper = EarlyStopping(patience=2, restore_best_weights=True)
    ran = fit([stopper], model, _logs([1.0, 0.5, 0.7, 0.8, 0.1]))
    assert ran == [0, 1, 2, 3]
    # fit's stand-in sets the weights to epoch + 1 during each epoch.
    np.testing.assert_array_equal(model.weights[0], [2.0, 2.0])
    assert stopper.best_epoch == 1


def test_early_stopping_restores_best_weights_even_without_stopping(model, fit):
    stopper = EarlyStopping(patience=5, restore_best_weights=True)
    fit([stopper], model, _logs([1.0, 0.5, 0.7]))
    assert stopper.stopped_epoch == 0
    np.testing.assert_array_equal(model.weights[0], [2.0, 2.0])


def test_early_stopping_restores_first_watched_epoch_when_baseline_never_beaten(model, fit):
    stopper = EarlyStopping(baseline=0.1, patience=2, restore_best_weights=True, start_from_epoch=1)
    ran = fit([stopper], model, _logs([0.05, 0.9, 0.95, 0.99, 0.2]))
    assert ran == [0, 1, 2]
    assert stopper.best_epoch == 1
    np.testing.assert_array_equal(model.weights[0], [2.0, 2.0])


def test_early_stopping_without_restore_keeps_last_weights(model, fit):
    stopper = EarlyStopping(patience=1)
    fit([stopper], model, _logs([1.0, 0.5, 0.7]))
    np.testing.assert_array_equal(model.weights[0], [3.0, 3.0])
    assert stopper.best_weights is None


def test_early_stopping_start_from_epoch_skips_warm_up(model, fit):
    stopper = EarlyStopping(patience=0, start_from_epoch=3)
    ran = fit([stopper], model, _logs([1.0, 2.0, 3.0, 4.0, 5.0, 6.0]))
    assert ran == [0, 1, 2, 3, 4]
    assert stopper.best == 4.0


def test_early_stopping_state_is_reset_at_each_fit(model, fit, make_model):
    stopper = EarlyStopping(patience=1)
    fit([stopper], model, _logs([1.0, 2.0, 3.0]))
    assert stopper.stopped_epoch == 1
    second = make_model()
    ran = fit([stopper], second, _logs([5.0, 4.0]))
    assert ran == [0, 1] and stopper.best == 4.0 and stopper.stopped_epoch == 0


def test_early_stopping_warns_when_the_monitored_metric_is_missing(model, fit):
    stopper = EarlyStopping(monitor="val_loss", patience=0)
    with pytest.warns(UserWarning, match=r"monitoring `val_loss`, which is not in the logs.*loss"):
        ran = fit([stopper], model, [{"loss": 1.0}, {"loss": 2.0}])
    assert ran == [0, 1]
    assert not model.stop_training


def test_early_stopping_verbose_prints_stop_and_restore(model, fit, capsys):
    stopper = EarlyStopping(patience=1, verbose=1, restore_best_weights=True)
    fit([stopper], model, _logs([1.0, 0.5, 0.7, 0.8]))
    out = capsys.readouterr().out
    assert "Epoch 3: early stopping, val_loss did not improve for 1 epoch." in out
    assert "Restoring the weights of the best epoch, 2." in out


def test_early_stopping_silent_by_default(model, fit, capsys):
    fit([EarlyStopping(patience=0, restore_best_weights=True)], model, _logs([1.0, 2.0]))
    assert capsys.readouterr().out == ""


def test_early_stopping_bad_mode_raises():
    with pytest.raises(ValueError, match=r"EarlyStopping received mode='minimum'"):
        EarlyStopping(mode="minimum")


def test_early_stopping_unknown_direction_raises_at_first_epoch_end(model, fit):
    stopper = EarlyStopping(monitor="val_custom")
    with pytest.raises(ValueError, match=r"monitor='val_custom'.*Pass mode='min'"):
        fit([stopper], model, _logs([1.0], key="val_custom"))
