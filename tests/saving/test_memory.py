"""Peak memory of saving and loading weight files (bounded by 1.25x the model plus 64 MiB)
and of ``load_model`` (the new model plus that bound)."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

MIB = 1 << 20
FORMATS = (".weights.h5", ".h5", ".safetensors", ".weights.json")

# Run in a fresh process: ``ru_maxrss`` and the allocator's state of the test
# process would blur the numbers. A thread samples the resident set size
# (/proc/self/statm) every millisecond; "added" is the peak minus the size just
# before the call. Each format is warmed up on a small model first, so that
# libraries loaded on first use are not counted.
_SAMPLER = textwrap.dedent(
    """
    import json, os, sys, threading, time
    import numpy as np
    import heft
    from heft import layers

    PAGE = os.sysconf("SC_PAGE_SIZE")

    def rss():
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * PAGE

    def peak_added(fn):
        base = rss()
        peak = [base]
        done = threading.Event()

        def sample():
            while not done.is_set():
                peak[0] = max(peak[0], rss())
                time.sleep(0.001)

        thread = threading.Thread(target=sample)
        thread.start()
        try:
            fn()
        finally:
            done.set()
            thread.join()
        return max(peak[0], rss()) - base
    """
)

_CHILD = _SAMPLER + textwrap.dedent(
    """
    from heft.saving import load_weights, save_weights

    def mlp(width, depth):
        stack = [layers.Input((width,))]
        stack += [layers.Dense(width, kernel_initializer="ones") for _ in range(depth)]
        return heft.Sequential(stack)

    folder, width, depth = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    small, model = mlp(8, 2), mlp(width, depth)
    nbytes = sum(w.numpy().nbytes for w in model.weights)
    out = {"bytes": nbytes}
    kernel = model.layers[0].kernel
    for suffix in sys.argv[4:]:
        sharded = suffix == ".weights.json"
        path = os.path.join(folder, "small" + suffix)
        save_weights(small, path, **({"max_shard_size": 1.0} if sharded else {}))
        load_weights(small, path)
        path = os.path.join(folder, "big" + suffix)
        kwargs = {"max_shard_size": nbytes / 3 * 1.001 / 1024**3} if sharded else {}
        saved = peak_added(lambda: save_weights(model, path, **kwargs))
        kernel.assign(np.full(kernel.shape, 2.0, "float32"))
        loaded = peak_added(lambda: load_weights(model, path))
        ok = bool(np.all(kernel.numpy() == 1.0))
        out[suffix] = {"save": saved, "load": loaded, "values_ok": ok}
        for name in os.listdir(folder):
            os.remove(os.path.join(folder, name))
    print(json.dumps(out))
    """
)


@pytest.fixture(scope="module")
def measured(tmp_path_factory):
    if not os.path.exists("/proc/self/statm"):
        pytest.skip("needs /proc/self/statm to sample the resident set size")
    folder = tmp_path_factory.mktemp("memory")
    # Three Dense(4096) layers on 4096 inputs: 192 MiB of float32.
    result = subprocess.run(
        [sys.executable, "-c", _CHILD, str(folder), "4096", "3", *FORMATS],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("suffix", FORMATS)
def test_save_and_load_weights_peak_memory_is_bounded(measured, suffix):
    size = measured["bytes"]
    assert size > 190 * MIB
    bound = 1.25 * size + 64 * MIB
    row = measured[suffix]
    assert row["values_ok"]
    assert row["load"] < bound, f"load added {row['load'] / MIB:.0f} MiB (bound {bound / MIB:.0f})"
    assert row["save"] < bound, f"save added {row['save'] / MIB:.0f} MiB (bound {bound / MIB:.0f})"
    # Saving streams variable by variable: never more than one variable (64 MiB
    # here) beside the model, whatever the format.
    assert row["save"] < 0.35 * size + 64 * MIB, f"save added {row['save'] / MIB:.0f} MiB"


# ``load_model`` builds a new model, then loads it. The model is 12 Dense(2048)
# layers with their default (random) initializers, 16 MiB per kernel: the
# sizes whose initial draws left about 1.3 x the model behind before
# ``load_model`` stopped drawing values the file replaces. The archive is
# written from a model built with its draws put off (zeros), which saves the
# child a minute of drawing and changes nothing in the file but the values.
_MODEL_CHILD = _SAMPLER + textwrap.dedent(
    """
    from heft.initializers import _sampling
    from heft.saving import load_model

    def mlp(width, depth):
        return heft.Sequential(
            [layers.Input((width,))] + [layers.Dense(width) for _ in range(depth)]
        )

    folder = sys.argv[1]
    paths = [os.path.join(folder, name) for name in ("small.keras", "big.keras")]
    with _sampling.deferred_draws():
        mlp(8, 2).save(paths[0])
        mlp(2048, 12).save(paths[1])
    load_model(paths[0])
    added = peak_added(lambda: load_model(paths[1]))
    model = load_model(paths[1])
    nbytes = sum(v.value.nbytes for v in model.variables)
    ok = all(not np.asarray(v.value).any() for v in model.variables)
    print(json.dumps({"bytes": nbytes, "load": added, "values_ok": ok}))
    """
)


def test_load_model_peak_memory_is_bounded(tmp_path):
    if not os.path.exists("/proc/self/statm"):
        pytest.skip("needs /proc/self/statm to sample the resident set size")
    result = subprocess.run(
        [sys.executable, "-c", _MODEL_CHILD, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    row = json.loads(result.stdout.strip().splitlines()[-1])
    size, added = row["bytes"], row["load"]
    assert size > 190 * MIB
    assert row["values_ok"]
    # The stated bound: the new model, plus 1.25 x its bytes + 64 MiB.
    bound = size + 1.25 * size + 64 * MIB
    assert added < bound, f"load_model added {added / MIB:.0f} MiB (bound {bound / MIB:.0f})"
    # What it does: the new model's values only (its initial values are never
    # drawn, and their placeholders take no memory).
    assert added < 1.25 * size + 64 * MIB, f"load_model added {added / MIB:.0f} MiB"
