import jax.numpy as jnp
import numpy as np
import pytest

from heft.callbacks import (
    Callback,
    CallbackList,
    EarlyStopping,
    History,
    LambdaCallback,
    ModelCheckpoint,
    ProgbarLogger,
    TerminateOnNaN,
)
from heft.callbacks._callback import ALL_HOOKS
from heft.callbacks._callback_list import pythonify_logs


class Recorder(Callback):
    def __init__(self, tag, calls):
        super().__init__()
        self.tag = tag
        self.calls = calls

    def __getattribute__(self, name):
        if name in ALL_HOOKS:
            calls = object.__getattribute__(self, "calls")
            tag = object.__getattribute__(self, "tag")

            def hook(*args, **kwargs):
                calls.append((tag, name, args, kwargs))

            return hook
        return object.__getattribute__(self, name)


def test_callback_list_calls_every_hook_on_every_callback_in_order():
    calls = []
    callbacks = CallbackList([Recorder("a", calls), Recorder("b", calls)])
    callbacks.on_train_begin()
    callbacks.on_epoch_begin(0)
    callbacks.on_train_batch_begin(0)
    callbacks.on_train_batch_end(0, {"loss": 1})
    callbacks.on_batch_begin(1)
    callbacks.on_batch_end(1)
    callbacks.on_test_begin()
    callbacks.on_test_batch_begin(0)
    callbacks.on_test_batch_end(0)
    callbacks.on_test_end()
    callbacks.on_epoch_end(0, {"loss": 1})
    callbacks.on_train_end()
    callbacks.on_predict_begin()
    callbacks.on_predict_batch_begin(0)
    callbacks.on_predict_batch_end(0)
    callbacks.on_predict_end()
    names = [name for tag, name, _, _ in calls if tag == "a"]
    assert names == [
        "on_train_begin",
        "on_epoch_begin",
        "on_train_batch_begin",
        "on_train_batch_end",
        "on_batch_begin",
        "on_batch_end",
        "on_test_begin",
        "on_test_batch_begin",
        "on_test_batch_end",
        "on_test_end",
        "on_epoch_end",
        "on_train_end",
        "on_predict_begin",
        "on_predict_batch_begin",
        "on_predict_batch_end",
        "on_predict_end",
    ]
    assert [tag for tag, *_ in calls[:2]] == ["a", "b"]
    # Batch hooks get logs as a keyword, the others positionally (as Keras calls them).
    batch_end = next(c for c in calls if c[1] == "on_train_batch_end")
    assert batch_end[2] == (0,) and batch_end[3] == {"logs": {"loss": 1.0}}
    epoch_end = next(c for c in calls if c[1] == "on_epoch_end")
    assert epoch_end[2] == (0, {"loss": 1.0}) and epoch_end[3] == {}


def test_callback_list_converts_logs_without_touching_the_callers_dict():
    received = []
    callbacks = CallbackList([LambdaCallback(on_epoch_end=lambda e, logs: received.append(logs))])
    logs = {"val_loss": jnp.float32(0.5), "loss": np.float32(0.25), "out": {"acc": 1}}
    callbacks.on_epoch_end(0, logs)
    (seen,) = received
    assert list(seen) == ["loss", "acc", "val_loss"]
    assert seen == {"loss": 0.25, "acc": 1.0, "val_loss": 0.5}
    assert all(type(v) is float for v in seen.values())
    assert set(logs) == {"val_loss", "loss", "out"} and logs["out"] == {"acc": 1}


def test_callback_list_pythonify_keeps_arrays_and_strings():
    array = np.arange(3.0)
    converted = pythonify_logs({"outputs": array, "name": "x", "flag": True, "jax": jnp.ones(())})
    assert converted["outputs"] is array
    assert converted["name"] == "x"
    assert converted["flag"] == 1.0 and converted["jax"] == 1.0
    assert pythonify_logs(None) == {}


def test_callback_list_logs_added_by_one_callback_reach_the_next():
    seen = []

    class AddsKey(Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["extra"] = 7.0

    callbacks = CallbackList(
        [AddsKey(), LambdaCallback(on_epoch_end=lambda e, logs: seen.append(dict(logs)))]
    )
    callbacks.on_epoch_end(0, {"loss": 1.0})
    assert seen == [{"loss": 1.0, "extra": 7.0}]


def test_callback_list_adds_history_and_progbar_once(model):
    history = History()
    callbacks = CallbackList([history], add_history=True, add_progbar=True, model=model)
    assert callbacks.callbacks[0] is history
    assert len(callbacks.callbacks) == 2
    assert isinstance(callbacks.callbacks[1], ProgbarLogger)
    assert model.history is history
    plain = CallbackList()
    assert plain.callbacks == []


def test_callback_list_does_not_change_the_callers_list():
    given = [History()]
    callbacks = CallbackList(given, add_progbar=True)
    assert len(given) == 1 and len(callbacks.callbacks) == 2


def test_callback_list_flattens_nested_lists_and_single_callbacks():
    a, b, c = Callback(), Callback(), Callback()
    assert CallbackList([a, [b, (c,)]]).callbacks == [a, b, c]
    assert CallbackList(a).callbacks == [a]


def test_callback_list_sets_model_and_params_on_each_callback(model):
    a, b = Callback(), Callback()
    callbacks = CallbackList([a, b], model=model, verbose=1, epochs=2, steps=5)
    assert a.model is model and b.model is model
    assert a.params == {"verbose": 1, "epochs": 2, "steps": 5}
    untouched = Callback()
    CallbackList([untouched])
    assert untouched.params is None and untouched.model is None
    assert callbacks.params == {"verbose": 1, "epochs": 2, "steps": 5}


def test_callback_list_rejects_objects_that_are_not_callbacks():
    with pytest.raises(TypeError, match=r"must be an instance of heft.callbacks.Callback"):
        CallbackList([Callback(), "early_stopping"])
    with pytest.raises(TypeError, match="must be a Callback or a list"):
        CallbackList({"a": Callback()})


def test_callback_list_end_without_begin_raises():
    callbacks = CallbackList([Callback()])
    callbacks.on_train_begin()
    callbacks.on_train_end()
    with pytest.raises(ValueError, match="on_train_end was called without a matching begin"):
        callbacks.on_train_end()
    with pytest.raises(ValueError, match="on_predict_end was called without"):
        CallbackList().on_predict_end()


def _needs(callback):
    callbacks = CallbackList([callback])
    return (
        callbacks.needs_train_batch_hooks,
        callbacks.needs_test_batch_hooks,
        callbacks.needs_predict_batch_hooks,
        callbacks.needs_batch_hooks,
    )


def test_callback_list_needs_no_batch_hooks_for_epoch_level_callbacks(tmp_path):
    quiet = [
        Callback(),
        History(),
        ProgbarLogger(),
        EarlyStopping(),
        TerminateOnNaN(),
        ModelCheckpoint(str(tmp_path / "m.keras")),
        ModelCheckpoint(str(tmp_path / "m.keras"), save_freq=3),
        LambdaCallback(on_epoch_end=lambda epoch, logs: None),
    ]
    for callback in quiet:
        assert _needs(callback) == (False, False, False, False), callback
    assert CallbackList(quiet).needs_batch_hooks is False


@pytest.mark.parametrize(
    ("hook", "expected"),
    [
        ("on_train_batch_begin", (True, False, False, True)),
        ("on_train_batch_end", (True, False, False, True)),
        ("on_batch_begin", (True, False, False, True)),
        ("on_batch_end", (True, False, False, True)),
        ("on_test_batch_begin", (False, True, False, True)),
        ("on_test_batch_end", (False, True, False, True)),
        ("on_predict_batch_begin", (False, False, True, True)),
        ("on_predict_batch_end", (False, False, True, True)),
        ("on_epoch_end", (False, False, False, False)),
    ],
)
def test_callback_list_needs_batch_hooks_when_one_is_overridden(hook, expected):
    subclass = type("Custom", (Callback,), {hook: lambda self, *args, **kwargs: None})
    assert _needs(subclass()) == expected
    assert _needs(LambdaCallback(**{hook: lambda *args, **kwargs: None})) == expected


def test_callback_list_chunk_safe_covers_only_the_class_that_declares_it():
    class PerStepProgbar(ProgbarLogger):
        def on_train_batch_end(self, batch, logs=None):
            pass

    assert _needs(PerStepProgbar())[0] is True

    class Vouched(Callback):
        chunk_safe = True

        def on_train_batch_end(self, batch, logs=None):
            pass

    assert _needs(Vouched()) == (False, False, False, False)
    lam = LambdaCallback(on_train_batch_end=lambda batch, logs=None: None)
    lam.chunk_safe = True
    assert _needs(lam)[0] is False


def test_callback_list_needs_batch_hooks_looks_into_nested_lists():
    inner = CallbackList([LambdaCallback(on_test_batch_end=lambda b, logs=None: None)])
    outer = CallbackList([Callback(), inner])
    assert outer.needs_test_batch_hooks is True
    assert outer.needs_train_batch_hooks is False
    assert CallbackList([CallbackList([History()])]).needs_batch_hooks is False
