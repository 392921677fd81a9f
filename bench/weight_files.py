"""Weight-file speed and memory: heft's .safetensors and .weights.h5 against Keras 3 and raw bytes."""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from typing import Any

# Each measurement runs in a fresh interpreter (this file with --worker), which
# builds the model, warms up with one untimed save and load, deletes the file,
# then times one save and one load while a thread samples its resident set
# size. The parent imports neither JAX nor Keras; each round runs every peer
# once, in a rotated order, and the report gives medians over the rounds.

_MARK = "BENCH_RESULT "
_MIB = 1 << 20
_DEPTH = 4  # Dense layers of the model: depth x (width x width) kernels plus biases

PEERS = {
    "raw": "raw bytes (tofile/fromfile)",
    "raw-durable": "raw bytes, fsync + keep old",
    "heft-safetensors": "heft .safetensors",
    "heft-h5": "heft .weights.h5",
    "keras-h5": "Keras 3 .weights.h5",
}
SUFFIX = {
    "raw": ".bin",
    "raw-durable": ".bin",
    "heft-safetensors": ".safetensors",
    "heft-h5": ".weights.h5",
    "keras-h5": ".weights.h5",
}
# Speed targets (heft rate / peer rate) and the memory bound of the weight files.
TARGETS = {("heft-safetensors", "raw"): 0.8, ("heft-h5", "keras-h5"): 1.0}


def bound_bytes(nbytes: int) -> float:
    """The peak memory heft may add while saving or loading ``nbytes`` of weights."""
    return 1.25 * nbytes + 64 * _MIB


# --------------------------------------------------------------------------- worker side
def _rss() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _timed(fn: Callable[[], Any]) -> tuple[float, int]:
    """Seconds ``fn`` takes and the resident memory it adds at its peak (sampled every ms)."""
    base = _rss()
    peak = [base]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _rss())
            time.sleep(0.001)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    start = time.perf_counter()
    try:
        fn()
    finally:
        elapsed = time.perf_counter() - start
        done.set()
        thread.join()
    return elapsed, max(peak[0], _rss()) - base


def _shapes(width: int) -> list[tuple[int, ...]]:
    return [s for _ in range(_DEPTH) for s in ((width, width), (width,))]


def _random_values(width: int) -> list[Any]:
    import numpy as np

    rng = np.random.default_rng(0)
    return [rng.random(shape, dtype=np.float32) for shape in _shapes(width)]


def _model(lib: Any, width: int) -> Any:
    stack = [lib.Input((width,))]
    stack += [lib.layers.Dense(width, kernel_initializer="zeros") for _ in range(_DEPTH)]
    model = lib.Sequential(stack)
    model.set_weights(_random_values(width))
    return model


def _raw_peer(width: int, durable: bool) -> tuple[Callable, Callable]:
    """Raw bytes: ``tofile`` then ``fromfile`` of every array, in one file.

    ``durable`` adds what heft's files guarantee on top: the save is fsynced,
    and the load keeps the previous arrays until every new one is read (as an
    all-or-nothing load must), so it needs a model's worth of new memory.
    """
    import numpy as np

    arrays = _random_values(width)
    current: list[list[Any]] = [arrays]

    def save(path: str) -> None:
        with open(path, "wb") as fh:
            for a in current[0]:
                a.tofile(fh)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())

    def load(path: str) -> None:
        if not durable:
            current[0] = []  # the old arrays go first: their memory is reused
        with open(path, "rb") as fh:
            new = [np.fromfile(fh, dtype=a.dtype, count=a.size).reshape(a.shape) for a in arrays]
        current[0] = new

    return save, load


def _peer_functions(peer: str, width: int) -> tuple[Callable, Callable]:
    if peer in ("raw", "raw-durable"):
        return _raw_peer(width, durable=peer == "raw-durable")
    if peer == "keras-h5":
        import keras

        model = _model(keras, width)
        return model.save_weights, model.load_weights
    import heft
    from heft.saving import load_weights, save_weights

    model = _model(heft, width)
    return (lambda path: save_weights(model, path)), (lambda path: load_weights(model, path))


def _worker(peer: str, width: int, folder: str) -> dict:
    save, load = _peer_functions(peer, width)
    path = os.path.join(folder, "model" + SUFFIX[peer])
    # Warm-up: the first touches of fresh memory and of new page-cache pages are
    # several times slower on a VM; one untimed round trip pays for them.
    save(path)
    load(path)
    os.remove(path)  # every timed save writes a new file (no old file to replace)
    save_s, save_peak = _timed(lambda: save(path))
    load_s, load_peak = _timed(lambda: load(path))
    nbytes = os.path.getsize(path)
    os.remove(path)
    weights = sum(math.prod(s) for s in _shapes(width)) * 4
    return {
        "save_s": save_s,
        "load_s": load_s,
        "save_peak": save_peak,
        "load_peak": load_peak,
        "file_bytes": nbytes,
        "bytes": weights,
    }


# --------------------------------------------------------------------------- parent side
def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["KERAS_BACKEND"] = "jax"
    env.setdefault("JAX_PLATFORMS", "cpu")
    env.setdefault("PYTHONWARNINGS", "ignore")
    return env


def _run_worker(peer: str, width: int, folder: str) -> dict:
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", peer]
    cmd += ["--width", str(width), "--dir", folder]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=_child_env(), check=False)
    lines = [line for line in proc.stdout.splitlines() if line.startswith(_MARK)]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"worker {peer} failed:\n{proc.stderr[-3000:]}")
    return json.loads(lines[-1][len(_MARK) :])


def _load_average() -> str:
    try:
        return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    except OSError:
        return "load average unknown"


def _width(size_mb: float) -> int:
    """The Dense width whose model holds about ``size_mb`` MiB of float32."""
    width = math.sqrt(size_mb * _MIB / 4 / _DEPTH)
    return max(64, round(width / 64) * 64)


def measure(peers: list[str], width: int, rounds: int, folder: str) -> dict[str, list[dict]]:
    results: dict[str, list[dict]] = {peer: [] for peer in peers}
    for r in range(rounds):
        order = peers[r % len(peers) :] + peers[: r % len(peers)]
        for peer in order:
            print(f"round {r + 1}/{rounds}: {PEERS[peer]}", file=sys.stderr, flush=True)
            results[peer].append(_run_worker(peer, width, folder))
    return results


def _median(rows: list[dict], key: str) -> float:
    return statistics.median(row[key] for row in rows)


def report(results: dict[str, list[dict]]) -> str:
    nbytes = next(iter(results.values()))[0]["bytes"]
    gb = nbytes / 1e9
    lines = [
        f"model: {nbytes / _MIB:.0f} MiB of float32 in {2 * _DEPTH} variables; "
        f"medians of {len(next(iter(results.values())))} fresh process(es) per peer",
        "",
        f"{'peer':30s} {'save s':>7s} {'GB/s':>6s} {'load s':>7s} {'GB/s':>6s} "
        f"{'save +MiB':>9s} {'load +MiB':>9s}",
    ]
    med = {}
    for peer, rows in results.items():
        m = {k: _median(rows, k) for k in ("save_s", "load_s", "save_peak", "load_peak")}
        med[peer] = m
        lines.append(
            f"{PEERS[peer]:30s} {m['save_s']:7.3f} {gb / m['save_s']:6.2f} {m['load_s']:7.3f} "
            f"{gb / m['load_s']:6.2f} {m['save_peak'] / _MIB:9.0f} {m['load_peak'] / _MIB:9.0f}"
        )
    lines += ["", "rate ratios (heft / peer; above 1 means heft is faster):"]
    pairs = [
        ("heft-safetensors", "raw"),
        ("heft-safetensors", "raw-durable"),
        ("heft-h5", "keras-h5"),
        ("heft-h5", "raw-durable"),
    ]
    for heft_peer, peer in pairs:
        if heft_peer not in med or peer not in med:
            continue
        save = med[peer]["save_s"] / med[heft_peer]["save_s"]
        load = med[peer]["load_s"] / med[heft_peer]["load_s"]
        target = TARGETS.get((heft_peer, peer))
        goal = f"   target >= {target:g}x both ways" if target else ""
        lines.append(
            f"  {PEERS[heft_peer]} vs {PEERS[peer]}: save {save:.2f}x, load {load:.2f}x{goal}"
        )
    bound = bound_bytes(nbytes)
    lines += ["", f"peak memory added vs the bound 1.25 x model + 64 MiB = {bound / _MIB:.0f} MiB:"]
    for peer in med:
        if peer.startswith("heft"):
            worst = max(max(r["save_peak"], r["load_peak"]) for r in results[peer])
            verdict = "within" if worst <= bound else "OVER"
            lines.append(
                f"  {PEERS[peer]}: worst of all rounds {worst / _MIB:.0f} MiB "
                f"({worst / nbytes:.2f} x model), {verdict} the bound"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mb", type=float, help="model size in MiB (default 1024)")
    parser.add_argument("--rounds", type=int, help="fresh processes per peer (default 3)")
    parser.add_argument("--quick", action="store_true", help="256 MiB, one round (~1 min)")
    parser.add_argument("--only", choices=list(PEERS), action="append", help="peers to run")
    parser.add_argument("--dir", help="folder for the files (default: a new temporary folder)")
    parser.add_argument("--json", help="also write the raw measurements to this file")
    parser.add_argument("--worker", choices=list(PEERS), help=argparse.SUPPRESS)
    parser.add_argument("--width", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(_MARK + json.dumps(_worker(args.worker, args.width, args.dir)), flush=True)
        return
    size_mb = args.size_mb or (256 if args.quick else 1024)
    rounds = args.rounds or (1 if args.quick else 3)
    peers = args.only or list(PEERS)
    width = _width(size_mb)
    folder = tempfile.mkdtemp(prefix="heft-bench-", dir=args.dir)
    print(f"{_load_average()} before; files in {folder}", file=sys.stderr, flush=True)
    try:
        results = measure(peers, width, rounds, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(report(results))
    print(f"({_load_average()} after; {os.cpu_count()} CPU cores)")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=1)


if __name__ == "__main__":
    main()
