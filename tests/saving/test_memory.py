"""Peak memory of saving and loading weight files: bounded by 1.25x the model plus 64 MiB."""

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
_CHILD = textwrap.dedent(
    """
    import json, os, sys, threading, time
    import numpy as np
    import heft
    from heft import layers
    from heft.saving import load_weights, save_weights

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
