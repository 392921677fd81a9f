import numpy as np
import pytest

from heft.callbacks import History, LearningRateScheduler


def test_learning_rate_scheduler_sets_rate_each_epoch_and_logs_it(make_model, fit):
    model = make_model(learning_rate=0.1)
    history = History()
    scheduler = LearningRateScheduler(lambda epoch, lr: lr * 0.5 if epoch > 0 else lr)
    fit([scheduler, history], model, [{"loss": 1.0}] * 3)
    assert model.optimizer.assigned == [np.float32(0.1), np.float32(0.05), np.float32(0.025)]
    assert history.history["learning_rate"] == pytest.approx([0.1, 0.05, 0.025])


def test_learning_rate_scheduler_accepts_epoch_only_schedules(make_model, fit):
    model = make_model()
    fit([LearningRateScheduler(lambda epoch: 0.1 / (epoch + 1))], model, [{"loss": 1.0}] * 2)
    assert model.optimizer.learning_rate == pytest.approx(0.05)


def test_learning_rate_scheduler_accepts_ints_and_numpy_scalars(make_model, fit):
    model = make_model()
    fit([LearningRateScheduler(lambda epoch, lr: np.float32(0.5))], model, [{"loss": 1.0}])
    assert model.optimizer.learning_rate == 0.5
    fit([LearningRateScheduler(lambda epoch, lr: 1)], model, [{"loss": 1.0}])
    assert model.optimizer.learning_rate == 1.0


@pytest.mark.parametrize("bad", [None, "0.1", [0.1], True, np.array([0.1, 0.2])])
def test_learning_rate_scheduler_rejects_non_numbers(bad, model, fit):
    scheduler = LearningRateScheduler(lambda epoch, lr: bad)
    with pytest.raises(ValueError, match=r"must return the learning rate as a float.*at epoch 0"):
        fit([scheduler], model, [{"loss": 1.0}])


def test_learning_rate_scheduler_does_not_hide_errors_in_the_schedule(model, fit):
    def schedule(epoch, lr):
        raise TypeError("bug inside the schedule")

    with pytest.raises(TypeError, match="bug inside the schedule"):
        fit([LearningRateScheduler(schedule)], model, [{"loss": 1.0}])


def test_learning_rate_scheduler_needs_an_optimizer(model, fit):
    model.optimizer = None
    with pytest.raises(ValueError, match=r"model.optimizer is None. Call `model.compile"):
        fit([LearningRateScheduler(lambda epoch, lr: lr)], model, [{"loss": 1.0}])


def test_learning_rate_scheduler_rejects_non_callables():
    with pytest.raises(TypeError, match="expects `schedule` to be a function"):
        LearningRateScheduler(0.1)


def test_learning_rate_scheduler_verbose_prints_the_rate(model, fit, capsys):
    fit([LearningRateScheduler(lambda epoch, lr: 0.5, verbose=1)], model, [{"loss": 1.0}])
    assert "Epoch 1: LearningRateScheduler set the learning rate to 0.5." in capsys.readouterr().out
