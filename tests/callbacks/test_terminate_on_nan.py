import pytest

from heft.callbacks import CallbackList, TerminateOnNaN


@pytest.mark.parametrize("loss", [float("nan"), float("inf"), float("-inf")])
def test_terminate_on_nan_stops_on_non_finite_loss(loss, model, capsys):
    callbacks = CallbackList([TerminateOnNaN()], model=model)
    callbacks.on_train_batch_end(0, {"loss": 1.0})
    assert model.stop_training is False
    callbacks.on_train_batch_end(5, {"loss": loss})
    assert model.stop_training is True
    assert f"Batch 5: the loss is {loss}; stopping training." in capsys.readouterr().out


def test_terminate_on_nan_ignores_missing_or_non_numeric_loss(model):
    callback = TerminateOnNaN()
    callback.set_model(model)
    callback.on_train_batch_end(0, {"accuracy": float("nan")})
    callback.on_train_batch_end(1, None)
    callback.on_train_batch_end(2, {"loss": "n/a"})
    assert model.stop_training is False


def test_terminate_on_nan_stops_the_simulated_fit(model, fit):
    def batch_logs(epoch, batch):
        return {"loss": float("nan") if epoch == 1 and batch >= 2 else 0.3}

    ran = fit([TerminateOnNaN()], model, [{"loss": 0.3}] * 5, batch_logs=batch_logs)
    assert ran == [0, 1]


def test_terminate_on_nan_works_with_chunked_batch_reports(model, fit):
    reported = []

    def batch_logs(epoch, batch):
        reported.append(batch)
        return {"loss": float("nan") if epoch == 0 and batch >= 5 else 0.3}

    ran = fit(
        [TerminateOnNaN()], model, [{"loss": 0.3}] * 3, steps=12, chunk=4, batch_logs=batch_logs
    )
    assert ran == [0] and reported == [3, 7]


def test_terminate_on_nan_raise_error(model):
    callbacks = CallbackList([TerminateOnNaN(raise_error=True)], model=model)
    with pytest.raises(RuntimeError, match=r"the loss is nan at batch 3. Lower the learning rate"):
        callbacks.on_train_batch_end(3, {"loss": float("nan")})
    assert model.stop_training is False
