import pytest

from heft.callbacks import CallbackList, LambdaCallback


def test_lambda_callback_calls_the_given_functions(model):
    calls = []
    callback = LambdaCallback(
        on_epoch_begin=lambda epoch, logs: calls.append(("epoch_begin", epoch)),
        on_epoch_end=lambda epoch, logs: calls.append(("epoch_end", epoch, logs)),
        on_train_begin=lambda logs: calls.append(("train_begin",)),
        on_train_end=lambda logs: calls.append(("train_end", logs)),
        on_train_batch_begin=lambda batch, logs: calls.append(("batch_begin", batch)),
        on_train_batch_end=lambda batch, logs: calls.append(("batch_end", batch, logs)),
        on_test_end=lambda logs: calls.append(("test_end", logs)),
    )
    callbacks = CallbackList([callback], model=model)
    callbacks.on_train_begin()
    callbacks.on_epoch_begin(0)
    callbacks.on_train_batch_begin(0)
    callbacks.on_train_batch_end(0, {"loss": 2})
    callbacks.on_test_begin()
    callbacks.on_test_end({"loss": 1})
    callbacks.on_epoch_end(0, {"loss": 2})
    callbacks.on_train_end({"loss": 2})
    assert calls == [
        ("train_begin",),
        ("epoch_begin", 0),
        ("batch_begin", 0),
        ("batch_end", 0, {"loss": 2.0}),
        ("test_end", {"loss": 1.0}),
        ("epoch_end", 0, {"loss": 2.0}),
        ("train_end", {"loss": 2.0}),
    ]


def test_lambda_callback_leaves_other_hooks_as_no_ops():
    callback = LambdaCallback(on_epoch_end=None)
    assert callback.on_epoch_end(0, {}) is None
    assert callback.on_predict_end({}) is None


def test_lambda_callback_rejects_unknown_hook_names():
    with pytest.raises(TypeError, match=r"unknown hook names \['on_epoch_ends'\]"):
        LambdaCallback(on_epoch_ends=lambda epoch, logs: None)


def test_lambda_callback_rejects_non_callables():
    with pytest.raises(TypeError, match="expects `on_train_end` to be a function"):
        LambdaCallback(on_train_end="print")
