"""The ``heft`` command line: ``heft demo`` trains, inspects, saves and fine-tunes a model."""

from __future__ import annotations

import argparse
import os
import tempfile
from collections.abc import Sequence

import numpy as np
from rich.console import Console
from rich.table import Table


def _weights_table(title: str, layer: object) -> Table:
    table = Table(title=title, title_justify="left")
    for column in ("weight", "shape", "mean", "std", "first values"):
        table.add_column(column)
    for w in layer.weights:  # type: ignore[attr-defined]
        values = w.numpy()
        table.add_row(
            w.path,
            str(w.shape),
            f"{values.mean():+.4f}",
            f"{values.std():.4f}",
            np.array2string(values.ravel()[:4], precision=3, suppress_small=True),
        )
    return table


def demo(epochs: int = 30, verbose: int = 1) -> float:
    """Train the seed model on the shipped digits; inspect, save, reload and fine-tune it.

    Returns:
        The test accuracy of the fine-tuned model.
    """
    import heft

    console = Console()
    (x_train, y_train), (x_test, y_test) = heft.datasets.digits.load_data()
    x_train = x_train.reshape(len(x_train), -1).astype("float32") / 16.0
    x_test = x_test.reshape(len(x_test), -1).astype("float32") / 16.0
    console.print(
        f"[bold]heft demo[/bold]: {len(x_train)} training and {len(x_test)} test images of "
        "handwritten digits (8x8 pixels), shipped with heft."
    )

    model = heft.Sequential(
        [
            heft.layers.Dense(64, input_shape=(64,), activation="relu", name="base"),
            heft.layers.Dense(10, activation="softmax", name="head"),
        ]
    )
    model.summary()
    console.print(_weights_table("First layer before training", model.layers[0]))
    before = model.layers[0].get_weights()

    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=epochs, batch_size=32, verbose=verbose, validation_split=0.1)
    console.print(_weights_table("First layer after training", model.layers[0]))
    after = model.layers[0].get_weights()
    moved = float(np.abs(after[0] - before[0]).mean())
    console.print(f"Mean absolute change of the first kernel: {moved:.4f}")
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    console.print(f"Test accuracy after training: [bold]{accuracy:.4f}[/bold]")

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "digits.weights.h5")
        model.save_weights(path)
        fresh = heft.Sequential(
            [
                heft.layers.Dense(64, input_shape=(64,), activation="relu", name="base"),
                heft.layers.Dense(10, activation="softmax", name="head"),
            ]
        )
        report = fresh.load_weights(path)
        console.print(report)
        same = np.array_equal(model.predict(x_test, verbose=0), fresh.predict(x_test, verbose=0))
        console.print(f"Predictions of the reloaded model are identical: [bold]{same}[/bold]")
        if not same:
            raise RuntimeError("The reloaded model's predictions differ from the saved model's.")

    # Transfer learning: keep the trained base frozen, train a new head on top of it.
    base = fresh.get_layer("base")
    base.trainable = False
    transfer = heft.Sequential(
        [
            heft.Input(shape=(64,)),
            base,
            heft.layers.Dense(10, activation="softmax", name="new_head"),
        ]
    )
    frozen_before = base.get_weights()
    transfer.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    transfer.fit(x_train, y_train, epochs=max(epochs // 2, 1), batch_size=32, verbose=verbose)
    unchanged = all(
        np.array_equal(a, b) for a, b in zip(frozen_before, base.get_weights(), strict=True)
    )
    console.print(f"Frozen base unchanged by training the new head: [bold]{unchanged}[/bold]")

    # Fine-tuning: unfreeze and train everything with a small learning rate.
    base.trainable = True
    transfer.compile(
        optimizer=heft.optimizers.Adam(learning_rate=1e-4),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    transfer.fit(x_train, y_train, epochs=max(epochs // 3, 1), batch_size=32, verbose=verbose)
    _, accuracy = transfer.evaluate(x_test, y_test, verbose=0)
    console.print(
        f"Test accuracy after transfer learning and fine-tuning: [bold]{accuracy:.4f}[/bold]"
    )
    return accuracy


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``heft`` command line; returns the process exit code."""
    parser = argparse.ArgumentParser(prog="heft", description="heft: weights first, on JAX.")
    sub = parser.add_subparsers(dest="command", required=True)
    demo_parser = sub.add_parser("demo", help="train, inspect, save, reload and fine-tune a model")
    demo_parser.add_argument("--epochs", type=int, default=30)
    demo_parser.add_argument("--verbose", type=int, default=1, choices=(0, 1, 2))
    args = parser.parse_args(argv)
    if args.command == "demo":
        accuracy = demo(epochs=args.epochs, verbose=args.verbose)
        return 0 if accuracy >= 0.95 else 1
    return 2
