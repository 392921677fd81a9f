"""get_weights()/set_weights() speed of heft against Keras 3 (JAX backend) and a plain host copy."""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import os
import pstats
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax
import numpy as np

# Targets of issue 2: heft/Keras time on the many-variable model, heft/plain-copy time on the
# large one.
TARGET_VS_KERAS = 1 / 5
TARGET_VS_COPY = 1.5


# --------------------------------------------------------------------------- models
def many_small(K: Any, count: int, size: int) -> Any:
    """A model holding one layer with ``count`` weights of shape ``(size,)``."""

    class ManySmall(K.layers.Layer):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.ws = [
                self.add_weight(shape=(size,), initializer="zeros", name=f"w{i}")
                for i in range(count)
            ]

        def call(self, x: Any) -> Any:
            return x

    return K.Sequential([K.Input((size,)), ManySmall(name="many")])


def large(K: Any, width: int, depth: int) -> Any:
    """``depth`` Dense layers of ``width x width`` (zeros, so building is quick)."""
    layers = [K.Input((width,))]
    layers += [K.layers.Dense(width, kernel_initializer="zeros") for _ in range(depth)]
    return K.Sequential(layers)


# --------------------------------------------------------------------------- timing
def _block(model: Any) -> None:
    jax.block_until_ready([v.value for v in model.weights])


def time_round_robin(
    fns: dict[str, Callable[[], Any]], repeats: int, warmup: int, collect: bool = True
) -> dict[str, float]:
    """Median seconds per call of each function; one repeat runs each once, in rotated order.

    With ``collect``, a full garbage collection runs before each timed call, so no
    collection falls inside one; without, calls run back to back as in a loop.
    """
    names = list(fns)
    for name in names:
        for _ in range(warmup):
            fns[name]()
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(repeats):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            if collect:
                gc.collect()
            start = time.perf_counter()
            fns[name]()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(ts) for name, ts in times.items()}


def measure(
    label: str, heft_model: Any, keras_model: Any, repeats: int, warmup: int, collect: bool = True
) -> list:
    """Time get and set on both models, plus the plain-copy floors of the same bytes."""
    values = heft_model.get_weights()
    values = [np.array(v) for v in values]  # writable host arrays, the input of set_weights
    nbytes = sum(v.nbytes for v in values)
    prealloc = [np.empty_like(v) for v in values]

    def copy_prealloc() -> None:
        for dst, src in zip(prealloc, values, strict=True):
            np.copyto(dst, src)

    def copy_fresh() -> list:
        return [np.array(v, copy=True) for v in values]

    def device_put() -> None:
        jax.block_until_ready(jax.device_put(values))

    def set_heft() -> None:
        heft_model.set_weights(values)
        _block(heft_model)

    def set_keras() -> None:
        keras_model.set_weights(values)
        _block(keras_model)

    get = time_round_robin(
        {
            "heft": heft_model.get_weights,
            "keras": keras_model.get_weights,
            "copy": copy_prealloc,
            "copy_fresh": copy_fresh,
        },
        repeats,
        warmup,
        collect,
    )
    put = time_round_robin(
        {
            "heft": set_heft,
            "keras": set_keras,
            "copy": copy_prealloc,
            "copy_fresh": copy_fresh,
            "device_put": device_put,
        },
        repeats,
        warmup,
        collect,
    )
    n = len(values)
    return [
        (label, n, nbytes, "get_weights", get),
        (label, n, nbytes, "set_weights", put),
    ]


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:10.2f}"


def print_table(rows: list) -> None:
    header = (
        f"{'model':<28} {'vars':>5} {'MB':>7} {'op':<12} {'heft ms':>10} {'keras ms':>10} "
        f"{'copy ms':>10} {'fresh ms':>10} {'heft/keras':>10} {'heft/copy':>9} {'heft/fresh':>10}"
    )
    print(header)
    print("-" * len(header))
    for label, n, nbytes, op, t in rows:
        print(
            f"{label:<28} {n:>5} {nbytes / 2**20:>7.1f} {op:<12} {_ms(t['heft'])} "
            f"{_ms(t['keras'])} {_ms(t['copy'])} {_ms(t['copy_fresh'])} "
            f"{t['heft'] / t['keras']:>10.3f} {t['heft'] / t['copy']:>9.2f} "
            f"{t['heft'] / t['copy_fresh']:>10.2f}"
        )
    extra = [(label, t["device_put"]) for label, _, _, _, t in rows if "device_put" in t]
    for label, seconds in extra:
        print(f"  ({label}: one jax.device_put of the same arrays: {seconds * 1e3:.2f} ms)")


def check_targets(small_rows: list, large_rows: list) -> list[str]:
    lines = []
    for _, _, _, op, t in small_rows:
        ratio = t["heft"] / t["keras"]
        verdict = "met" if ratio <= TARGET_VS_KERAS else "MISSED"
        lines.append(
            f"many-small {op}: Keras time / heft time = {t['keras'] / t['heft']:.2f} "
            f"(target >= {1 / TARGET_VS_KERAS:.0f}): {verdict}"
        )
    for _, _, _, op, t in large_rows:
        ratio = t["heft"] / t["copy"]
        verdict = "met" if ratio <= TARGET_VS_COPY else "MISSED"
        lines.append(
            f"large {op}: heft takes {ratio:.2f}x one plain host copy into preallocated arrays "
            f"({t['heft'] / t['copy_fresh']:.2f}x a copy into fresh arrays) "
            f"(target <= {TARGET_VS_COPY}x): {verdict}"
        )
    return lines


def profile(model: Any, label: str, top: int) -> None:
    """Print where heft's time goes in get_weights and set_weights."""
    values = [np.array(v) for v in model.get_weights()]
    for name, fn in (
        ("get_weights", model.get_weights),
        ("set_weights", lambda: (model.set_weights(values), _block(model))),
    ):
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(3):
            fn()
        prof.disable()
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(top)
        print(f"\n--- cProfile: heft {name} on {label} (3 calls) ---")
        print(out.getvalue())


# --------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=1000, help="variables in the small model")
    parser.add_argument("--size", type=int, default=8, help="length of each small variable")
    parser.add_argument("--width", type=int, default=5000, help="Dense width of the large model")
    parser.add_argument("--depth", type=int, default=4, help="Dense layers in the large model")
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--profile", action="store_true", help="cProfile heft's calls too")
    parser.add_argument("--quick", action="store_true", help="a 10M-parameter large model")
    args = parser.parse_args(argv)
    if args.quick:
        args.width, args.repeats = 1600, 5

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import keras

    import heft

    print(
        f"heft {heft.__version__}, keras {keras.__version__} ({keras.backend.backend()}), "
        f"jax {jax.__version__}, numpy {np.__version__}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    print(f"medians of {args.repeats} repeats after {args.warmup} warm-up calls, round robin\n")

    small_label = f"{args.count:,} x ({args.size},)"
    small_h = many_small(heft, args.count, args.size)
    small_k = many_small(keras, args.count, args.size)
    small_rows = measure(small_label, small_h, small_k, args.repeats, args.warmup)
    loop_rows = measure(
        f"{small_label}, no gc", small_h, small_k, args.repeats, args.warmup, collect=False
    )

    params = args.depth * (args.width * args.width + args.width)
    large_label = f"{args.depth} x Dense({args.width}) {params / 1e6:.0f}M"
    large_h = large(heft, args.width, args.depth)
    large_k = large(keras, args.width, args.depth)
    large_rows = measure(large_label, large_h, large_k, args.repeats, args.warmup)

    print_table(small_rows + loop_rows + large_rows)
    print(
        "\ncopy = np.copyto of the same bytes into preallocated arrays; "
        'fresh = np.array copies into new arrays; "no gc": calls back to back, without the '
        "full garbage collection before each timed call (the targets use the rows with it)."
    )
    print("\n".join(check_targets(small_rows, large_rows)))
    for name, model in (("heft", large_h), ("keras", large_k)):
        if not all(a.flags.writeable for a in model.get_weights()):
            print(
                f"note: {name} get_weights returns read-only arrays (views of the device "
                "buffers, no copy), so its get time is not a copy of the bytes."
            )
    print(f"\nload average at the end {os.getloadavg()[0]:.2f}")
    if args.profile:
        profile(small_h, small_label, 25)
        profile(large_h, large_label, 15)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
