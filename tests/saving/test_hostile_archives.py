"""``.keras`` archives that try to hang, exhaust or fill the machine: special files, deep
configs, decompression bombs, lying headers; and the legitimate archives that look alike."""

import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
import zipfile

import numpy as np
import pytest

import heft
from heft import layers
from heft.saving import _archive, load_model

GIB = 1 << 30


def _small():
    return heft.Sequential([layers.Input((3,)), layers.Dense(4), layers.Dense(2)])


def _members(path):
    with zipfile.ZipFile(path) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


def _rezip(src, dst, replace=None, compression=zipfile.ZIP_STORED):
    members = {**_members(src), **(replace or {})}
    with zipfile.ZipFile(dst, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)


# ------------------------------------------------------------------ special files

_SPECIAL_FILES_CHILD = textwrap.dedent(
    """
    import json, os, sys, time
    import heft
    from heft.saving import load_model

    folder = sys.argv[1]
    fifo = os.path.join(folder, "fifo.keras")
    os.mkfifo(fifo)
    paths = {"fifo": fifo}
    if os.path.exists("/dev/zero"):
        paths["zero"] = os.path.join(folder, "zero.keras")
        os.symlink("/dev/zero", paths["zero"])
    model = heft.Sequential([heft.Input((3,)), heft.layers.Dense(2)])
    out = {}
    for kind, path in paths.items():
        for call in ("load_model", "load_weights"):
            start = time.perf_counter()
            try:
                load_model(path) if call == "load_model" else model.load_weights(path)
                result = "loaded"
            except Exception as err:
                result = f"{type(err).__name__}: {err}"
            out[f"{kind} {call}"] = [result, time.perf_counter() - start]
    print(json.dumps(out))
    """
)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs (POSIX)")
def test_load_refuses_fifos_and_devices_at_once(tmp_path):
    # In a child process with a timeout: a reader that blocks on the FIFO, or
    # reads /dev/zero until memory runs out, fails this test instead of hanging it.
    result = subprocess.run(
        [sys.executable, "-c", _SPECIAL_FILES_CHILD, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert {key.split()[1] for key in out} == {"load_model", "load_weights"}
    for key, (message, seconds) in out.items():
        name = key.split()[0]
        kind = "a FIFO" if name == "fifo" else "a character device"
        assert message.startswith("OSError: Refusing to read"), (key, message)
        assert f"{name}.keras': it is {kind}" in message, message
        assert seconds < 1.0, (key, seconds)


def test_load_model_refuses_a_config_nested_too_deep(tmp_path):
    _small().save(tmp_path / "m.keras")
    deep = b"[" * 100_000 + b"]" * 100_000
    _rezip(tmp_path / "m.keras", tmp_path / "deep.keras", {"config.json": deep})
    with pytest.raises(
        ValueError,
        match=r"Refusing to read member 'config.json' of '.*deep.keras': it nests lists or "
        r"objects more than 100 deep.*limits\(json_depth=",
    ):
        load_model(tmp_path / "deep.keras")


# ------------------------------------------------------------------ decompression bombs


@pytest.fixture(scope="module")
def bomb(tmp_path_factory):
    """A `.keras` archive whose weights are 1 GiB of zeros, DEFLATE-compressed to a few MiB.

    Built by streaming zeros through zipfile (about 3 s); nothing of 1 GiB is
    ever written.
    """
    folder = tmp_path_factory.mktemp("bomb")
    _small().save(folder / "m.keras")
    members = _members(folder / "m.keras")
    path = folder / "bomb.keras"
    zeros = bytes(16 << 20)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("metadata.json", members["metadata.json"])
        zf.writestr("config.json", members["config.json"])
        with zf.open("model.weights.h5", "w", force_zip64=True) as f:
            for _ in range(GIB // len(zeros)):
                f.write(zeros)
    assert path.stat().st_size < 8 << 20
    return path


@pytest.fixture
def extraction_spy(monkeypatch):
    """Records every temporary file the archive reader creates to extract weights."""
    made = []
    real = tempfile.TemporaryFile

    def spy(*args, **kwargs):
        made.append(kwargs.get("prefix"))
        return real(*args, **kwargs)

    monkeypatch.setattr(_archive.tempfile, "TemporaryFile", spy)
    return made


def test_load_model_refuses_a_decompression_bomb_before_extracting(bomb, extraction_spy):
    start = time.perf_counter()
    with pytest.raises(ValueError) as info:
        load_model(bomb)
    seconds = time.perf_counter() - start
    message = str(info.value)
    assert f"Refusing to extract member 'model.weights.h5' of the `.keras` archive '{bomb}'" in (
        message
    )
    need = _archive.weights_need(_small(), False, "x").nbytes
    assert f"it declares {GIB:,} bytes" in message
    assert f"but at most {need:,} can hold the weights" in message
    assert "the model its config describes has 4 variables of 104 bytes in all" in message
    assert "decompression bomb" in message and "zip -0" in message
    assert seconds < 2.0, seconds
    assert extraction_spy == []  # nothing was extracted, not even a little
    assert sorted(os.listdir(bomb.parent)) == ["bomb.keras", "m.keras"]


def test_load_weights_refuses_a_decompression_bomb_before_extracting(bomb, extraction_spy):
    model = _small()
    before = [w.numpy() for w in model.weights]
    start = time.perf_counter()
    with pytest.raises(ValueError, match=r"at most [\d,]+ can hold the weights \(the model being"):
        model.load_weights(bomb)
    assert time.perf_counter() - start < 2.0
    assert extraction_spy == []
    for old, new in zip(before, model.weights, strict=True):
        np.testing.assert_array_equal(old, new.numpy())


def test_a_compressed_model_of_zeros_still_loads(tmp_path, extraction_spy):
    # All-zeros weights compress about as well as a bomb: what tells them apart
    # is that their size is what the model needs.
    model = heft.Sequential(
        [layers.Input((1024,)), layers.Dense(1024, kernel_initializer="zeros"), layers.Dense(2)]
    )
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.zeros((4, 1024), "float32"), np.zeros((4, 2), "float32"), verbose=0)
    model.save(tmp_path / "m.keras")
    _rezip(tmp_path / "m.keras", tmp_path / "z.keras", compression=zipfile.ZIP_DEFLATED)
    with zipfile.ZipFile(tmp_path / "z.keras") as zf:
        weights = zf.getinfo("model.weights.h5")
    assert weights.file_size > 200 * weights.compress_size  # bomb-like
    for compile in (True, False):
        loaded = load_model(tmp_path / "z.keras", compile=compile)
        for old, new in zip(model.weights, loaded.weights, strict=True):
            np.testing.assert_array_equal(old.numpy(), new.numpy())
        if compile:
            assert int(loaded.optimizer.iterations.numpy()) == 1
    fresh = heft.Sequential([layers.Input((1024,)), layers.Dense(1024), layers.Dense(2)])
    fresh.load_weights(tmp_path / "z.keras")
    np.testing.assert_array_equal(fresh.layers[0].kernel.numpy(), 0)
    assert len(extraction_spy) == 3  # each load extracted the weights once


def test_archive_bytes_limits_what_one_archive_extracts(tmp_path):
    _small().save(tmp_path / "m.keras")
    _rezip(tmp_path / "m.keras", tmp_path / "z.keras", compression=zipfile.ZIP_DEFLATED)
    with zipfile.ZipFile(tmp_path / "z.keras") as zf:
        config, weights = (zf.getinfo(n).file_size for n in ("config.json", "model.weights.h5"))
    limit = config + weights - 1
    with (
        heft.saving.limits(archive_bytes=limit),
        pytest.raises(
            ValueError,
            match=rf"Refusing to read member 'model.weights.h5' \(with the members extracted before "
            rf"it\) of '.*z.keras': it holds {config + weights:,} bytes, more than the limit of "
            rf"{limit:,} bytes.*limits\(archive_bytes=",
        ),
    ):
        load_model(tmp_path / "z.keras")
    with heft.saving.limits(archive_bytes=limit + 1):
        load_model(tmp_path / "z.keras")


def test_weights_need_counts_variables_optimizer_and_hdf5(tmp_path):
    model = _small()
    plain = _archive.weights_need(model, False, "the model")
    with_optimizer = _archive.weights_need(model, True, "the model")
    values, count = 104, 4  # (3*4 + 4 + 4*2 + 2) float32 values
    assert plain.nbytes == values + (1 << 20) + (4 << 10) * count
    assert with_optimizer.nbytes == plain.nbytes + 5 * values + (4 << 10) * (5 * count + 16)
    assert "an optimizer may add up to 5 values the size of each" in with_optimizer.how
    # Every archive heft writes fits, trained optimizer included.
    model.compile(optimizer=heft.optimizers.Adam(amsgrad=True, use_ema=True), loss="mse")
    model.fit(np.ones((2, 3), "float32"), np.ones((2, 2), "float32"), verbose=0)
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as zf:
        size = zf.getinfo("model.weights.h5").file_size
    assert size <= _archive.weights_need(_small(), True, "the model").nbytes
