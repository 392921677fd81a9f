"""Training speed of an Embedding + LSTM text classifier: heft, Keras 3 on JAX, PyTorch eager."""

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

# Each measurement runs in a fresh interpreter (this file with --worker), so the
# frameworks never share a process, a compilation cache or a thread pool. The parent
# only starts workers and prints. Each round runs every peer once, in a rotated order.

_MARK = "BENCH_RESULT "
SIZES = {"vocab": 20_000, "length": 100, "embed": 128, "units": 64, "batch": 32}
DEFAULTS = {"samples": 4_096, "warm_epochs": 2, "rounds": 3}
QUICK = {"samples": 1_024, "warm_epochs": 1, "rounds": 1}
PEERS = [
    ("heft", "heft"),
    ("keras", "Keras 3 (JAX)"),
    ("torch", "PyTorch eager"),
    ("torch1", "PyTorch eager, torch.set_num_threads(1)"),
]
TARGETS = {"keras": 2.0, "torch": 1.0}  # minimum heft/peer speed ratio asked for


def _data(samples: int, length: int, vocab: int) -> tuple[Any, Any]:
    """Integer sequences; the label says whether low token ids outnumber high ones."""
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.integers(1, vocab, size=(samples, length)).astype(np.int32)
    y = (np.mean(x < vocab // 2, axis=1) > 0.5).astype(np.float32)[:, None]
    return x, y


# --------------------------------------------------------------------------- workers
def _worker_keras_like(framework: str, samples: int, epochs: int) -> dict:
    """heft or Keras: ``fit`` over all epochs; a callback stamps the end of each epoch."""
    import warnings

    warnings.simplefilter("ignore")
    if framework == "keras":
        import keras as K
    else:
        import heft as K
    s = SIZES
    x, y = _data(samples, s["length"], s["vocab"])
    model = K.Sequential(
        [
            K.Input((s["length"],), dtype="int32"),
            K.layers.Embedding(s["vocab"], s["embed"]),
            K.layers.LSTM(s["units"]),
            K.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])

    class EpochClock(K.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.ends: list[float] = []
            self.logs: dict[str, float] = {}

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            self.logs = {k: float(v) for k, v in (logs or {}).items()}  # waits for the steps
            self.ends.append(time.perf_counter())

    clock = EpochClock()
    start = time.perf_counter()
    model.fit(x, y, batch_size=s["batch"], epochs=epochs, verbose=0, callbacks=[clock])
    marks = [start, *clock.ends]
    result = {
        "epoch_seconds": [b - a for a, b in itertools.pairwise(marks)],
        "loss": clock.logs.get("loss"),
        "accuracy": clock.logs.get("accuracy"),
    }
    if framework == "heft":
        result["k"] = sorted({p.k for p in model._plans if p.k is not None})
    return result


def _worker_torch(samples: int, epochs: int, threads: int | None) -> dict:
    """The same model in PyTorch eager: a plain loop, Adam with Keras's defaults."""
    import numpy as np
    import torch

    s = SIZES
    torch.manual_seed(0)
    if threads is not None:
        torch.set_num_threads(threads)

    class Classifier(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embedding = torch.nn.Embedding(s["vocab"], s["embed"])
            self.lstm = torch.nn.LSTM(s["embed"], s["units"], batch_first=True)
            self.dense = torch.nn.Linear(s["units"], 1)

        def forward(self, ids: Any) -> Any:
            _, (h, _) = self.lstm(self.embedding(ids))
            return torch.sigmoid(self.dense(h[-1]))

    x, y = _data(samples, s["length"], s["vocab"])
    x_t, y_t = torch.from_numpy(x).long(), torch.from_numpy(y)
    model = Classifier()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = torch.nn.BCELoss()
    rng = np.random.default_rng(1)
    seconds, loss_value, accuracy = [], None, None
    for _ in range(epochs):
        t0 = time.perf_counter()
        order = torch.from_numpy(rng.permutation(samples))
        loss_sum, correct = torch.zeros(()), torch.zeros(())
        for start in range(0, samples, s["batch"]):
            idx = order[start : start + s["batch"]]
            xb, yb = x_t[idx], y_t[idx]
            optimizer.zero_grad()
            probs = model(xb)
            loss = loss_fn(probs, yb)
            loss.backward()
            optimizer.step()
            with torch.no_grad():
                loss_sum += loss.detach() * len(idx)
                correct += ((probs > 0.5).float() == yb).sum()
        loss_value = float(loss_sum) / samples
        accuracy = float(correct) / samples
        seconds.append(time.perf_counter() - t0)
    return {
        "epoch_seconds": seconds,
        "loss": loss_value,
        "accuracy": accuracy,
        "threads": torch.get_num_threads(),
    }


def _worker(framework: str, samples: int, epochs: int) -> dict:
    if framework == "torch":
        return _worker_torch(samples, epochs, None)
    if framework == "torch1":
        return _worker_torch(samples, epochs, 1)
    return _worker_keras_like(framework, samples, epochs)


# --------------------------------------------------------------------------- orchestration
def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["KERAS_BACKEND"] = "jax"
    env.setdefault("PYTHONWARNINGS", "ignore")
    return env


def _torch_available() -> str | None:
    """``None`` if PyTorch imports in the child interpreter, else the reason it does not."""
    proc = subprocess.run(
        [sys.executable, "-c", "import torch"], capture_output=True, text=True, env=_child_env()
    )
    if proc.returncode == 0:
        return None
    return (proc.stderr.strip().splitlines() or ["import failed"])[-1]


def _run_worker(framework: str, samples: int, epochs: int) -> dict:
    cmd = [
        sys.executable,
        os.path.abspath(__file__),
        "--worker",
        framework,
        "--samples",
        str(samples),
        "--epochs",
        str(epochs),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=_child_env())
    lines = [line for line in proc.stdout.splitlines() if line.startswith(_MARK)]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"worker {framework} failed:\n{proc.stderr[-3000:]}")
    return json.loads(lines[-1][len(_MARK) :])


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _measure(peers: list[str], samples: int, warm_epochs: int, rounds: int) -> dict:
    runs: dict[str, list[dict]] = {name: [] for name in peers}
    for r in range(rounds):
        for name in peers[r % len(peers) :] + peers[: r % len(peers)]:
            _log(f"  {name} (round {r + 1}/{rounds})")
            runs[name].append(_run_worker(name, samples, warm_epochs + 1))
    summary = {}
    for name in peers:
        warm = [s for run in runs[name] for s in run["epoch_seconds"][1:]]
        summary[name] = {
            "warm": warm,
            "median": statistics.median(warm),
            "first": statistics.median(run["epoch_seconds"][0] for run in runs[name]),
            "loss": runs[name][-1]["loss"],
            "accuracy": runs[name][-1]["accuracy"],
            "k": sorted({k for run in runs[name] for k in run.get("k") or []}),
            "threads": runs[name][-1].get("threads"),
        }
    return summary


# --------------------------------------------------------------------------- report
def _load() -> str:
    try:
        one, five, fifteen = os.getloadavg()
        return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"
    except OSError:
        return "load average unknown"


def _print_report(summary: dict, samples: int, header: str, torch_missing: str | None) -> None:
    from rich.console import Console
    from rich.table import Table

    s = SIZES
    console = Console(width=max(Console().width, 150))
    console.print(f"[bold]bench/lstm.py[/] on {header}")
    table = Table(
        title=f"Embedding({s['vocab']:,}, {s['embed']}) -> LSTM({s['units']}) -> Dense(1, "
        f"sigmoid); sequences of {s['length']}, batch {s['batch']}, {samples:,} samples, Adam, "
        f"binary crossentropy; medians of {len(summary['heft']['warm'])} warm epochs"
    )
    columns = (
        "peer",
        "s/epoch",
        "min-max",
        "samples/s",
        "heft speed / peer",
        "same, best epochs",
        "target",
        "1st epoch s",
        "loss",
        "accuracy",
    )
    for col in columns:
        table.add_column(col, justify="left" if col == "peer" else "right")
    heft = summary["heft"]
    labels = dict(PEERS)
    for name, row in summary.items():
        label = labels[name]
        if name == "heft" and row["k"]:
            label += f" (K={','.join(str(k) for k in row['k'])})"
        if name == "torch" and row["threads"]:
            label += f" ({row['threads']} threads)"
        ratio = row["median"] / heft["median"]
        target = TARGETS.get(name)
        verdict = (
            ""
            if target is None
            else f">= {target}x " + ("[green]met[/]" if ratio >= target else "[red]missed[/]")
        )
        table.add_row(
            label,
            f"{row['median']:.3f}",
            f"{min(row['warm']):.3f}-{max(row['warm']):.3f}",
            f"{samples / row['median']:,.0f}",
            "" if name == "heft" else f"{ratio:.2f}x",
            "" if name == "heft" else f"{min(row['warm']) / min(heft['warm']):.2f}x",
            verdict,
            f"{row['first']:.2f}",
            f"{row['loss']:.4f}",
            f"{row['accuracy']:.4f}",
        )
    if torch_missing is not None:
        table.add_row("PyTorch eager", "not run", "", "", "", "", "", "", "", torch_missing[:60])
    console.print(table)


def _device_description() -> str:
    code = "import jax; d = jax.devices()[0]; print(d.platform, d.device_kind)"
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=_child_env()
    )
    return f"{proc.stdout.strip() or 'unknown device'}, {os.cpu_count()} CPU cores"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1,024 samples, one round")
    parser.add_argument("--samples", type=int, help=f"samples (default {DEFAULTS['samples']})")
    parser.add_argument("--rounds", type=int, help="fresh processes per peer (default 3)")
    parser.add_argument("--warm-epochs", type=int, help="timed epochs per process (default 2)")
    parser.add_argument("--only", choices=[p for p, _ in PEERS], action="append")
    parser.add_argument("--json", help="also write the raw measurements to this file")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--epochs", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        result = _worker(args.worker, args.samples, args.epochs)
        print(_MARK + json.dumps(result), flush=True)
        return

    base = dict(QUICK if args.quick else DEFAULTS)
    samples = args.samples or base["samples"]
    rounds = args.rounds or base["rounds"]
    warm_epochs = args.warm_epochs or base["warm_epochs"]
    peers = args.only or [p for p, _ in PEERS]
    if "heft" not in peers:
        peers = ["heft", *peers]
    wants_torch = any(p.startswith("torch") for p in peers)
    torch_missing = _torch_available() if wants_torch else None
    if torch_missing is not None:
        _log(f"PyTorch is not available ({torch_missing}); timing heft and Keras only.")
        peers = [p for p in peers if not p.startswith("torch")]
    header = f"{_device_description()}; {_load()} before"
    _log(f"{samples} samples, {rounds} round(s), {warm_epochs} warm epoch(s)")
    summary = _measure(peers, samples, warm_epochs, rounds)
    header += f", {_load()} after"
    _print_report(summary, samples, header, torch_missing)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"device": header, "sizes": SIZES, "samples": samples, **summary}, f)


if __name__ == "__main__":
    main()
