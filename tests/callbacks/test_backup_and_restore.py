"""``BackupAndRestore``: a training process killed (SIGKILL) mid-epoch resumes where it was."""

import json
import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import heft

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SCRIPT = textwrap.dedent(
    """
    import os, signal, sys
    import numpy as np
    import heft

    backup_dir, out, save_freq, kill_at = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    save_freq = save_freq if save_freq == "epoch" else int(save_freq)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(80, 5)).astype("float32")
    y = (x @ rng.normal(size=(5, 1))).astype("float32")
    model = heft.Sequential([
        heft.Input((5,)),
        heft.layers.Dense(8, activation="relu", kernel_initializer=heft.initializers.GlorotUniform(1)),
        heft.layers.Dense(1, kernel_initializer=heft.initializers.GlorotUniform(2)),
    ])
    model.compile(heft.optimizers.Adam(0.01), "mse")
    seen = [0]

    class Kill(heft.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen[0] += 1
            if seen[0] == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)

    callbacks = [heft.callbacks.BackupAndRestore(backup_dir, save_freq=save_freq)]
    if kill_at:
        callbacks.append(Kill())
    model.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0, callbacks=callbacks)
    np.savez(out, *model.get_weights(), iterations=int(model.optimizer.iterations.numpy()))
    """
)


def _run(tmp_path, backup, out, save_freq, kill_at):
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    env = dict(os.environ, PYTHONPATH=ROOT, JAX_PLATFORMS="cpu")
    return subprocess.run(
        [sys.executable, str(script), str(backup), str(out), str(save_freq), str(kill_at)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _reference(tmp_path, save_freq):
    # The uninterrupted run, in this process (the script with no kill).
    argv = sys.argv
    sys.argv = ["train.py", str(tmp_path / "ref_backup"), str(tmp_path / "ref.npz"), save_freq, "0"]
    try:
        exec(compile(SCRIPT, "train.py", "exec"), {"__name__": "__main__"})
    finally:
        sys.argv = argv
    return np.load(tmp_path / "ref.npz")


def test_killed_training_resumes_with_the_same_weights_optimizer_epoch_and_step(tmp_path):
    backup = tmp_path / "backup"
    # 10 steps per epoch, a backup every 4 batches: killed at step 7 of the second
    # epoch, after the backup made at its step 6.
    killed = _run(tmp_path, backup, tmp_path / "killed.npz", 4, 17)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    metadata = json.loads((backup / "training_metadata.json").read_text())
    assert (metadata["epoch"], metadata["steps_in_epoch"]) == (1, 6)
    resumed = _run(tmp_path, backup, tmp_path / "resumed.npz", 4, 0)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert not backup.exists()  # delete_checkpoint=True
    ref, res = _reference(tmp_path, "4"), np.load(tmp_path / "resumed.npz")
    assert int(res["iterations"]) == int(ref["iterations"]) == 30
    for name in ref.files:
        np.testing.assert_allclose(res[name], ref[name], rtol=0, atol=1e-6)


def test_interrupted_training_with_epoch_backups_restarts_the_epoch(tmp_path):
    class Interrupt(heft.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if self.model.optimizer.iterations.numpy() == 17:
                raise KeyboardInterrupt

    rng = np.random.default_rng(0)
    x = rng.normal(size=(80, 5)).astype("float32")
    y = x[:, :1] * 2

    def model():
        m = heft.Sequential([heft.Input((5,)), heft.layers.Dense(1, kernel_initializer="zeros")])
        m.compile(heft.optimizers.Adam(0.01), "mse")
        return m

    def fit(m, *extra):
        backup = heft.callbacks.BackupAndRestore(tmp_path / "b")
        return m.fit(
            x, y, batch_size=8, epochs=3, shuffle=False, verbose=0, callbacks=[backup, *extra]
        )

    with pytest.raises(KeyboardInterrupt):
        fit(model(), Interrupt())
    resumed = model()
    history = fit(resumed)
    assert history.epoch == [1, 2]
    reference = model()
    reference.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    for a, b in zip(resumed.get_weights(), reference.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)
    assert int(resumed.optimizer.iterations.numpy()) == 30


def test_backup_and_restore_arguments():
    with pytest.raises(ValueError, match="Empty `backup_dir`"):
        heft.callbacks.BackupAndRestore("")
    with pytest.raises(ValueError, match="Invalid value for argument `save_freq`"):
        heft.callbacks.BackupAndRestore("b", save_freq="batch")


def test_backup_and_restore_double_checkpoint_falls_back_on_a_damaged_backup(tmp_path):
    x, y = np.ones((8, 2), "float32"), np.ones((8, 1), "float32")
    model = heft.Sequential([heft.Input((2,)), heft.layers.Dense(1)])
    model.compile("sgd", "mse")
    backup = heft.callbacks.BackupAndRestore(
        tmp_path, double_checkpoint=True, delete_checkpoint=False
    )
    model.fit(x, y, epochs=2, batch_size=4, verbose=0, callbacks=[backup])
    assert (tmp_path / "latest.weights.h5.bkp").exists()
    (tmp_path / "latest.weights.h5").write_bytes(b"damaged")
    model.fit(x, y, epochs=3, batch_size=4, verbose=0, callbacks=[backup])
    # The previous backup (after epoch 1) was restored: epochs 1 and 2 ran again.
    assert int(model.optimizer.iterations.numpy()) == 6


def _trained_backup(tmp_path):
    x, y = np.ones((8, 2), "float32"), np.ones((8, 1), "float32")
    model = heft.Sequential([heft.Input((2,)), heft.layers.Dense(1)])
    model.compile("sgd", "mse")
    backup = heft.callbacks.BackupAndRestore(tmp_path, delete_checkpoint=False)
    model.fit(x, y, epochs=2, batch_size=4, verbose=0, callbacks=[backup])
    return model, backup, (x, y)


def _fresh(tmp_path):
    model = heft.Sequential([heft.Input((2,)), heft.layers.Dense(1)])
    model.compile("sgd", "mse")
    return model, heft.callbacks.BackupAndRestore(tmp_path, delete_checkpoint=False)


def test_a_kill_between_position_and_weights_is_completed_at_restore(tmp_path):
    # The state a kill leaves after the new position is written and before the new
    # weights replace the old: restore must take the pending (newer) weights.
    model, _, (x, y) = _trained_backup(tmp_path)
    old_weights = [w.copy() for w in model.get_weights()]
    model.fit(x, y, epochs=1, batch_size=4, verbose=0)  # epoch 3, outside the backup
    model.save_weights(tmp_path / ".pending.weights.h5")
    metadata = json.loads((tmp_path / "training_metadata.json").read_text())
    assert metadata["epoch"] == 2
    metadata.update(epoch=3, weights_sha256=_sha256(tmp_path / ".pending.weights.h5"))
    (tmp_path / "training_metadata.json").write_text(json.dumps(metadata))

    restored, backup = _fresh(tmp_path)
    restored.fit(x, y, epochs=3, batch_size=4, verbose=0, callbacks=[backup])
    assert not (tmp_path / ".pending.weights.h5").exists()
    # Epoch 3 was already done, so nothing trained: the weights are the pending ones.
    for a, b in zip(restored.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert not all(
        np.array_equal(a, b) for a, b in zip(old_weights, model.get_weights(), strict=True)
    )


def test_an_uncommitted_backup_is_dropped_and_a_foreign_weights_file_is_refused(tmp_path):
    model, _, (x, y) = _trained_backup(tmp_path)
    committed = [w.copy() for w in model.get_weights()]
    # A kill before the position was written leaves only a pending file: ignored.
    model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    model.save_weights(tmp_path / ".pending.weights.h5")
    restored, backup = _fresh(tmp_path)
    restored.fit(x, y, epochs=2, batch_size=4, verbose=0, callbacks=[backup])
    assert not (tmp_path / ".pending.weights.h5").exists()
    for a, b in zip(restored.get_weights(), committed, strict=True):
        np.testing.assert_array_equal(a, b)
    # Weights that do not belong to the recorded position: a clear error, nothing loaded.
    model.save_weights(tmp_path / "latest.weights.h5")
    other, backup = _fresh(tmp_path)
    before = [w.copy() for w in other.get_weights()]
    with pytest.raises(ValueError, match=r"inconsistent.*SHA-256"):
        other.fit(x, y, epochs=3, batch_size=4, verbose=0, callbacks=[backup])
    for a, b in zip(other.get_weights(), before, strict=True):
        np.testing.assert_array_equal(a, b)


def _sha256(path):
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()
