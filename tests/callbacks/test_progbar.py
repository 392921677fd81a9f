import io
import re

import numpy as np
import pytest
from rich.console import Console

from heft.callbacks import CallbackList, ProgbarLogger
from heft.callbacks._progbar import format_duration, format_rate, format_value


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def _bar(console=None, **params):
    clock = Clock()
    bar = ProgbarLogger(console=console)
    bar._clock = clock
    return bar, clock, CallbackList([bar], **params)


def _fit(callbacks, clock, epochs=2, steps=40, chunk=10, compile_s=2.0, step_s=0.05):
    callbacks.on_train_begin()
    for epoch in range(epochs):
        callbacks.on_epoch_begin(epoch)
        clock.now += compile_s
        for batch in range(chunk - 1, steps, chunk):
            clock.now += step_s * chunk
            callbacks.on_train_batch_end(batch, {"loss": 1.0 / (batch + 1), "accuracy": 0.5})
        callbacks.on_epoch_end(epoch, {"loss": 0.025, "accuracy": 0.89, "val_loss": 1e-4})
    callbacks.on_train_end()


def _terminal():
    buffer = io.StringIO()
    return buffer, Console(file=buffer, force_terminal=True, width=200, color_system="standard")


def test_progbar_verbose_0_prints_nothing(capsys):
    _, clock, callbacks = _bar(verbose=0, epochs=2, steps=40)
    _fit(callbacks, clock)
    assert capsys.readouterr().out == ""


def test_progbar_verbose_2_prints_one_plain_line_per_epoch(capsys):
    _, clock, callbacks = _bar(verbose=2, epochs=2, steps=40)
    _fit(callbacks, clock)
    out = capsys.readouterr().out
    line = "40/40 - 4s - 20.0 steps/s - accuracy: 0.8900 - loss: 0.0250 - val_loss: 1.0000e-04"
    assert out == f"Epoch 1/2\n{line}\nEpoch 2/2\n{line}\n"


def test_progbar_verbose_1_not_a_terminal_prints_plain_lines(capsys):
    _, clock, callbacks = _bar(verbose=1, epochs=1, steps=40)
    _fit(callbacks, clock, epochs=1)
    out = capsys.readouterr().out
    assert out == (
        "40/40 - 4s - 20.0 steps/s - accuracy: 0.8900 - loss: 0.0250 - val_loss: 1.0000e-04\n"
    )
    assert "\r" not in out and "\x1b" not in out


def test_progbar_verbose_1_not_a_terminal_reports_long_epochs_periodically(capsys):
    _, clock, callbacks = _bar(verbose="auto", epochs=1, steps=100)
    callbacks.on_train_begin()
    callbacks.on_epoch_begin(0)
    for batch in range(100):
        clock.now += 1.0
        callbacks.on_train_batch_end(batch, {"loss": 0.5})
    callbacks.on_epoch_end(0, {"loss": 0.5})
    callbacks.on_train_end()
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == " 30/100 - ETA 1:10 - 1.00 steps/s - loss: 0.5000"
    assert lines[1] == " 60/100 - ETA 40s - 1.00 steps/s - loss: 0.5000"
    assert lines[-1] == "100/100 - 1:40 - 1.00 steps/s - loss: 0.5000"
    assert len(lines) == 4


def test_progbar_verbose_1_terminal_redraws_in_place():
    buffer, console = _terminal()
    _, clock, callbacks = _bar(console=console, verbose=1, epochs=2, steps=40)
    _fit(callbacks, clock)
    out = buffer.getvalue()
    plain = re.sub(r"\x1b\[[0-9;]*m", "", out)
    epochs = plain.split("Epoch 2/2\n")
    assert epochs[0].startswith("Epoch 1/2\n\r10/40 ")
    frames = epochs[1].split("\r")[1:]
    assert [frame.split(" ")[0] for frame in frames] == [
        "10/40",
        "20/40",
        "30/40",
        "40/40",
        "40/40",
    ]
    # First report includes the compile time; later ones measure steps only.
    assert "ETA 8s 4.00 steps/s - accuracy: 0.5000 - loss: 0.1000" in frames[0]
    assert "ETA 1s 20.0 steps/s - accuracy: 0.5000 - loss: 0.0500" in frames[1]
    assert frames[-1].endswith(
        " 4s 20.0 steps/s - accuracy: 0.8900 - loss: 0.0250 - val_loss: 1.0000e-04\n"
    )
    assert "━" in frames[0] and "\x1b[" in out


def test_progbar_terminal_redraws_at_most_ten_times_a_second():
    buffer, console = _terminal()
    _, clock, callbacks = _bar(console=console, verbose=1, epochs=1, steps=1000)
    callbacks.on_train_begin()
    callbacks.on_epoch_begin(0)
    for batch in range(1000):
        clock.now += 0.001
        callbacks.on_train_batch_end(batch, {"loss": 0.5})
    callbacks.on_epoch_end(0, {"loss": 0.5})
    frames = buffer.getvalue().split("\r")[1:]
    # 1 s of batches: a first draw, then one every 0.1 s, then the final line.
    assert 10 <= len(frames) <= 12
    assert frames[-1].endswith("\n") and not any(f.endswith("\n") for f in frames[:-1])


def test_progbar_terminal_truncates_live_lines_to_the_width():
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=60)
    _, _, callbacks = _bar(console=console, verbose=1, epochs=1, steps=10)
    callbacks.on_train_begin()
    callbacks.on_epoch_begin(0)
    logs = {f"metric_{i}": 0.5 for i in range(10)}
    callbacks.on_train_batch_end(0, logs)
    live = re.sub(r"\x1b\[[0-9;]*m", "", buffer.getvalue()).split("\r")[1]
    assert len(live) <= 59 and live.endswith("…")


def test_progbar_unknown_steps_then_known(capsys):
    bar, clock, callbacks = _bar(verbose=2, epochs=2, steps=None)
    _fit(callbacks, clock, steps=30)
    out = capsys.readouterr().out.splitlines()
    assert out[1].startswith("30/30 - ")
    assert bar.target == 30


def test_progbar_unknown_steps_on_terminal_shows_unknown():
    buffer, console = _terminal()
    _, clock, callbacks = _bar(console=console, verbose=1, epochs=1, steps=None)
    callbacks.on_train_begin()
    callbacks.on_epoch_begin(0)
    clock.now += 3
    callbacks.on_train_batch_end(4, {"loss": 0.5})
    plain = re.sub(r"\x1b\[[0-9;]*m", "", buffer.getvalue())
    assert plain == "\r      5/Unknown 3s 1.67 steps/s - loss: 0.5000"


def test_progbar_stopped_epoch_shows_the_steps_done(capsys):
    _, clock, callbacks = _bar(verbose=2, epochs=1, steps=100)
    callbacks.on_train_begin()
    callbacks.on_epoch_begin(0)
    clock.now += 10
    callbacks.on_train_batch_end(36, {"loss": float("nan")})
    callbacks.on_epoch_end(0, {"loss": float("nan")})
    assert capsys.readouterr().out == " 37/100 - 10s - 3.70 steps/s - loss: nan\n"


def test_progbar_evaluate_outside_fit_and_silent_validation_inside(capsys):
    _, clock, callbacks = _bar(verbose=2, epochs=1, steps=5)
    callbacks.on_test_begin()
    clock.now += 1
    callbacks.on_test_batch_end(4, {"loss": 0.5})
    callbacks.on_test_end({"loss": 0.25, "accuracy": 1.0})
    assert capsys.readouterr().out == "5/5 - 1s - 5.00 steps/s - accuracy: 1.0000 - loss: 0.2500\n"
    callbacks.on_train_begin()
    callbacks.on_epoch_begin(0)
    callbacks.on_train_batch_end(4, {"loss": 0.5})
    callbacks.on_test_begin()
    callbacks.on_test_batch_end(0, {"loss": 9.0})
    callbacks.on_test_end({"loss": 9.0})
    callbacks.on_epoch_end(0, {"loss": 0.5, "val_loss": 9.0})
    callbacks.on_train_end()
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "val_loss: 9.0000" in out


def test_progbar_predict_shows_progress_without_outputs(capsys):
    _, clock, callbacks = _bar(verbose=1, epochs=1, steps=3)
    callbacks.on_predict_begin()
    for batch in range(3):
        clock.now += 2
        callbacks.on_predict_batch_end(batch, {"outputs": np.ones((2, 2))})
    callbacks.on_predict_end()
    assert capsys.readouterr().out == "3/3 - 6s - 2.00 s/step\n"


def test_progbar_rejects_bad_verbose():
    with pytest.raises(ValueError, match=r"verbose=3; expected 0 \(silent\), 1"):
        CallbackList([ProgbarLogger()], verbose=3, epochs=1, steps=1)


def test_progbar_default_console_follows_sys_stdout(capsys):
    callbacks = CallbackList([ProgbarLogger()], verbose=2, epochs=3, steps=1)
    callbacks.on_epoch_begin(1)
    assert capsys.readouterr().out == "Epoch 2/3\n"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.4, "0s"), (7.2, "7s"), (59.4, "59s"), (125, "2:05"), (3725, "1:02:05"), (-1, "0s")],
)
def test_progbar_format_duration(seconds, text):
    assert format_duration(seconds) == text


@pytest.mark.parametrize(
    ("per_step", "text"),
    [
        (0.0, ""),
        (1e-4, "10,000 steps/s"),
        (0.05, "20.0 steps/s"),
        (0.5, "2.00 steps/s"),
        (2.5, "2.50 s/step"),
        (float("inf"), ""),
    ],
)
def test_progbar_format_rate(per_step, text):
    assert format_rate(per_step) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.123456, "0.1235"),
        (-2.0, "-2.0000"),
        (0.0, "0.0000e+00"),
        (1e-5, "1.0000e-05"),
        (3, "3.0000"),
        (np.array([1.0, 2.0]), "1.5000"),
        ("n/a", "n/a"),
    ],
)
def test_progbar_format_value_like_keras(value, text):
    assert format_value(value) == text
