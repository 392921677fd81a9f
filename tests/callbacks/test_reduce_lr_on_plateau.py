import numpy as np
import pytest

from heft.callbacks import History, ReduceLROnPlateau


def _run(fit, make_model, values, lr=1.0, key="val_loss", **kwargs):
    model = make_model(learning_rate=lr)
    history = History()
    fit(
        [ReduceLROnPlateau(monitor=key, **kwargs), history],
        model,
        [{"loss": 1.0, key: v} for v in values],
    )
    return history.history["learning_rate"], model


def test_reduce_lr_on_plateau_reduces_after_patience(fit, make_model):
    rates, model = _run(fit, make_model, [1.0, 1.0, 1.0, 1.0, 1.0], factor=0.5, patience=2)
    # The logged rate is the one in use during the epoch.
    assert rates == [1.0, 1.0, 1.0, 0.5, 0.5]
    assert model.optimizer.learning_rate == 0.25


def test_reduce_lr_on_plateau_improvements_reset_the_wait(fit, make_model):
    rates, model = _run(fit, make_model, [1.0, 0.9, 0.95, 0.8, 0.85, 0.86], factor=0.5, patience=2)
    assert rates == [1.0] * 6
    assert model.optimizer.learning_rate == 0.5


def test_reduce_lr_on_plateau_min_delta(fit, make_model):
    _, model = _run(fit, make_model, [1.0, 0.99, 0.98], factor=0.5, patience=1, min_delta=0.05)
    assert model.optimizer.learning_rate == 0.25


def test_reduce_lr_on_plateau_cooldown(fit, make_model):
    rates, model = _run(fit, make_model, [1.0] * 7, factor=0.5, patience=1, cooldown=2)
    # Reductions at the ends of epochs 1, 3 and 5: the cooldown epoch that
    # brings the counter to 0 already counts towards patience again.
    assert rates == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.125]
    assert model.optimizer.learning_rate == 0.125


def test_reduce_lr_on_plateau_never_goes_below_min_lr(fit, make_model):
    rates, model = _run(fit, make_model, [1.0] * 5, lr=0.1, factor=0.1, patience=1, min_lr=0.005)
    assert model.optimizer.learning_rate == pytest.approx(0.005)
    assert model.optimizer.assigned == [np.float32(0.1 * 0.1), np.float32(0.005)]
    assert rates == pytest.approx([0.1, 0.1, 0.01, 0.005, 0.005])


def test_reduce_lr_on_plateau_max_mode(fit, make_model):
    _, model = _run(fit, make_model, [0.5, 0.6, 0.6], key="val_accuracy", factor=0.5, patience=1)
    assert model.optimizer.learning_rate == 0.5


def test_reduce_lr_on_plateau_state_resets_each_fit(fit, make_model):
    model = make_model(learning_rate=1.0)
    reduce = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1)
    fit([reduce], model, [{"loss": 1.0}, {"loss": 1.0}])
    assert model.optimizer.learning_rate == 0.5
    fit([reduce], model, [{"loss": 5.0}])
    assert reduce.best == 5.0 and reduce.wait == 0


def test_reduce_lr_on_plateau_warns_when_metric_missing(fit, make_model):
    model = make_model(learning_rate=1.0)
    with pytest.warns(
        UserWarning, match=r"monitoring `val_loss`, which is not in the logs.*learning_rate"
    ):
        fit([ReduceLROnPlateau(patience=0)], model, [{"loss": 1.0}, {"loss": 2.0}])
    assert model.optimizer.learning_rate == 1.0


def test_reduce_lr_on_plateau_rejects_factor_at_least_one():
    with pytest.raises(ValueError, match=r"received factor=1.0, but the factor must be below 1.0"):
        ReduceLROnPlateau(factor=1.0)


def test_reduce_lr_on_plateau_rejects_bad_mode():
    with pytest.raises(ValueError, match="ReduceLROnPlateau received mode='down'"):
        ReduceLROnPlateau(mode="down")


def test_reduce_lr_on_plateau_needs_an_optimizer(model, fit):
    model.optimizer = None
    with pytest.raises(ValueError, match="ReduceLROnPlateau needs a model whose optimizer"):
        fit([ReduceLROnPlateau(monitor="loss")], model, [{"loss": 1.0}])


def test_reduce_lr_on_plateau_verbose(fit, make_model, capsys):
    _run(fit, make_model, [1.0, 1.0], factor=0.5, patience=1, verbose=1)
    assert "Epoch 2: ReduceLROnPlateau set the learning rate to 0.5." in capsys.readouterr().out
