"""Training speed from data sources: arrays, a generator, a PyDataset, a torch DataLoader.

The seed model (784 -> 64 relu -> 10 softmax, Adam, batch 32) trained by heft
and by Keras 3 on JAX, each fed the same data four ways. Every measurement
runs in a fresh process (this file with ``--worker``); rounds rotate the order.
Prints per-epoch medians and the ratios the issue asks for: heft from a
generator against heft from arrays (target 0.8x), and heft against Keras on
the same input (target 1.5x).

    python bench/input_pipeline.py                 # 60,000 samples, 2 rounds
    python bench/input_pipeline.py --quick         # 12,000 samples, 1 round
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any

_MARK = "BENCH_RESULT "
_FEATURES, _CLASSES, _BATCH = 784, 10, 32
SOURCES = ["arrays", "generator", "pydataset", "torch"]
FRAMEWORKS = ["heft", "keras"]


def _data(samples: int) -> tuple[Any, Any]:
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.random((samples, _FEATURES), dtype=np.float32)
    y = rng.integers(0, _CLASSES, size=samples).astype(np.int32)
    return x, y


def _worker(framework: str, source: str, samples: int, epochs: int) -> dict:
    import warnings

    warnings.simplefilter("ignore")
    if framework == "keras":
        import keras as K
    else:
        import heft as K
    x, y = _data(samples)
    steps = samples // _BATCH
    model = K.Sequential(
        [
            K.Input((_FEATURES,)),
            K.layers.Dense(64, activation="relu"),
            K.layers.Dense(_CLASSES, activation="softmax"),
        ]
    )
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])

    class EpochClock(K.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.ends: list[float] = []

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            {k: float(v) for k, v in (logs or {}).items()}  # waits for every step
            self.ends.append(time.perf_counter())

    kwargs: dict[str, Any] = {"epochs": epochs, "verbose": 0, "callbacks": [clock := EpochClock()]}
    if source == "arrays":
        data: Any = x
        kwargs.update(y=y, batch_size=_BATCH)
    elif source == "generator":

        def batches() -> Any:
            while True:
                for i in range(steps):
                    yield x[i * _BATCH : (i + 1) * _BATCH], y[i * _BATCH : (i + 1) * _BATCH]

        data = batches()
        kwargs.update(steps_per_epoch=steps, shuffle=False)
    elif source == "pydataset":

        class Batches(K.utils.PyDataset):
            def __init__(self) -> None:
                super().__init__()

            def __len__(self) -> int:
                return steps

            def __getitem__(self, i: int) -> Any:
                return x[i * _BATCH : (i + 1) * _BATCH], y[i * _BATCH : (i + 1) * _BATCH]

        data = Batches()
        kwargs.update(shuffle=False)
    else:
        import torch

        dataset = torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
        data = torch.utils.data.DataLoader(dataset, batch_size=_BATCH, drop_last=True)
        kwargs.update(shuffle=False)
    start = time.perf_counter()
    model.fit(data, **kwargs)
    marks = [start, *clock.ends]
    return {"epoch_seconds": [b - a for a, b in itertools.pairwise(marks)]}


def _run(framework: str, source: str, samples: int, epochs: int) -> dict:
    env = dict(os.environ, KERAS_BACKEND="jax", PYTHONWARNINGS="ignore")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", framework, source]
    cmd += ["--samples", str(samples), "--epochs", str(epochs)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    lines = [line for line in proc.stdout.splitlines() if line.startswith(_MARK)]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"worker {framework}/{source} failed:\n{proc.stderr[-3000:]}")
    return json.loads(lines[-1][len(_MARK) :])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", nargs=2, metavar=("FRAMEWORK", "SOURCE"))
    parser.add_argument("--samples", type=int, default=60_000)
    parser.add_argument("--epochs", type=int, default=3, help="1 compiling + warm epochs")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", help="write the medians to this file")
    args = parser.parse_args()
    if args.worker:
        result = _worker(args.worker[0], args.worker[1], args.samples, args.epochs)
        print(_MARK + json.dumps(result), flush=True)
        return
    if args.quick:
        args.samples, args.rounds = 12_000, 1
    load = os.getloadavg()[0]
    print(
        f"seed model, {args.samples} samples, batch {_BATCH}, {args.rounds} rounds, load {load:.1f}"
    )
    runs = [(f, s) for f in FRAMEWORKS for s in SOURCES]
    warm: dict[tuple[str, str], list[float]] = {run: [] for run in runs}
    first: dict[tuple[str, str], list[float]] = {run: [] for run in runs}
    for r in range(args.rounds):
        for framework, source in runs[r % len(runs) :] + runs[: r % len(runs)]:
            seconds = _run(framework, source, args.samples, args.epochs)["epoch_seconds"]
            first[(framework, source)].append(seconds[0])
            warm[(framework, source)].extend(seconds[1:])
            print(f"  round {r + 1}: {framework:5} {source:9} {seconds}", file=sys.stderr)
    med = {run: statistics.median(v) for run, v in warm.items()}
    print(f"load after {os.getloadavg()[0]:.1f}")
    print(
        f"{'source':10} {'heft s/epoch':>13} {'keras s/epoch':>14} {'heft/keras':>11} "
        f"{'heft vs heft arrays':>20}"
    )
    for source in SOURCES:
        h, k = med[("heft", source)], med[("keras", source)]
        own = med[("heft", "arrays")] / h
        print(f"{source:10} {h:13.3f} {k:14.3f} {k / h:10.2f}x {own:19.2f}x")
    gen = med[("heft", "generator")]
    print(
        f"targets: generator {med[('heft', 'arrays')] / gen:.2f}x heft arrays (>= 0.8x); "
        f"{med[('keras', 'generator')] / gen:.2f}x Keras on a generator (>= 1.5x)"
    )
    if args.json:
        with open(args.json, "w") as f:
            json.dump({f"{a}/{b}": v for (a, b), v in med.items()}, f, indent=1)


if __name__ == "__main__":
    main()
