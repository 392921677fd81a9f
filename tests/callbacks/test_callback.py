import pytest

from heft.callbacks import Callback
from heft.callbacks._callback import ALL_HOOKS


def test_callback_hooks_do_nothing_and_return_none():
    callback = Callback()
    for name in ALL_HOOKS:
        hook = getattr(callback, name)
        if "batch" in name or "epoch" in name:
            assert hook(0, {"loss": 1.0}) is None
        else:
            assert hook({"loss": 1.0}) is None


def test_callback_train_batch_hooks_forward_to_legacy_aliases():
    calls = []

    class Legacy(Callback):
        def on_batch_begin(self, batch, logs=None):
            calls.append(("begin", batch, logs))

        def on_batch_end(self, batch, logs=None):
            calls.append(("end", batch, logs))

    legacy = Legacy()
    legacy.on_train_batch_begin(3, {"a": 1.0})
    legacy.on_train_batch_end(3, {"loss": 0.5})
    legacy.on_test_batch_end(4, {"loss": 0.5})
    assert calls == [("begin", 3, {"a": 1.0}), ("end", 3, {"loss": 0.5})]


def test_callback_set_model_and_set_params_are_stored():
    callback = Callback()
    assert callback.model is None and callback.params is None
    model = object()
    callback.set_model(model)
    callback.set_params({"epochs": 3})
    assert callback.model is model
    assert callback.params == {"epochs": 3}


def test_callback_model_property_syncs_jax_state_first():
    class Model:
        syncs = 0

        def jax_state_sync(self):
            self.syncs += 1

    model = Model()
    callback = Callback()
    callback.set_model(model)
    assert callback.model is model
    assert callback.model.syncs == 2


def test_callback_subclass_without_super_init_still_gets_its_model():
    class NoInit(Callback):
        def __init__(self):
            self.count = 0

    callback = NoInit()
    assert callback.model is None
    callback.set_model("model")
    assert callback.model == "model"


@pytest.mark.parametrize("name", ["on_train_batch_begin", "on_epoch_end", "on_predict_end"])
def test_callback_every_hook_has_a_docstring(name):
    assert getattr(Callback, name).__doc__.strip()
