from heft.callbacks import CallbackList, History


def test_history_records_each_epochs_logs(model, fit):
    history = History()
    ran = fit([history], model, [{"loss": 0.9, "val_loss": 1.0}, {"loss": 0.5, "val_loss": 0.7}])
    assert ran == [0, 1]
    assert history.history == {"loss": [0.9, 0.5], "val_loss": [1.0, 0.7]}
    assert history.epoch == [0, 1]
    assert model.history is history


def test_history_keeps_values_across_fits_and_resets_epochs(model, fit):
    history = History()
    fit([history], model, [{"loss": 1.0}])
    fit([history], model, [{"loss": 0.5}, {"loss": 0.25}])
    assert history.history == {"loss": [1.0, 0.5, 0.25]}
    assert history.epoch == [0, 1]


def test_history_added_by_callback_list_is_set_on_the_model(model):
    callbacks = CallbackList(add_history=True, model=model)
    (history,) = callbacks.callbacks
    assert isinstance(history, History) and model.history is history
    callbacks.on_train_begin()
    callbacks.on_epoch_end(0, {"loss": 2})
    callbacks.on_train_end()
    assert history.history == {"loss": [2.0]}
