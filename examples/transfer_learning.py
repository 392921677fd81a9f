"""Transfer learning end to end: a pretrained base, a new head, fine-tuning, save and reload.

The flow is the one of any fine-tune from published weights, run offline on the
8x8 handwritten digits shipped with heft:

1. A "pretrained checkpoint": MobileNetV2 (alpha 0.35) trained on the digits
   0-4, its base (no classifier) saved as a weights file. With real pretrained
   weights this step is ``MobileNetV2(include_top=False, weights="imagenet")``.
2. The base loaded from that file with ``include_top=False, weights=<file>``,
   frozen (``trainable = False``), and a new head trained on the digits 5-9.
3. The base unfrozen except its BatchNormalization layers, which stay frozen
   and hence in inference mode (their moving statistics keep the pretrained
   values), and the model fine-tuned with a small learning rate (after a
   recompile).
4. The model saved as ``.keras``, reloaded, and its predictions compared.

The program is Keras 3 code; it runs on heft or on Keras 3 (JAX backend):

    python examples/transfer_learning.py                 # on heft
    python examples/transfer_learning.py --backend keras # on Keras 3, KERAS_BACKEND=jax
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from types import ModuleType
from typing import Any

import numpy as np

SIZE = 32  # MobileNetV2's smallest input: 8x8 digits are upscaled 4x
ACCURACY_BAR = 0.75  # test accuracy the transferred model must reach on the digits 5-9


def load_digits(classes: range) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, ...]]:
    """The digits of ``classes`` as 32x32x3 images in [-1, 1], labels counted from 0."""
    from heft.datasets import digits

    def prepare(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        keep = np.isin(y, classes)
        x = x[keep].astype("float32") / 8.0 - 1.0  # 0-16 to [-1, 1], as MobileNetV2 expects
        x = x.repeat(SIZE // 8, axis=1).repeat(SIZE // 8, axis=2)  # nearest-neighbour upscale
        x = np.repeat(x[..., None], 3, axis=-1)  # grey to three channels
        return x, (y[keep] - classes.start).astype("int32")

    (x_train, y_train), (x_test, y_test) = digits.load_data()
    return prepare(x_train, y_train), prepare(x_test, y_test)


def count(weights: list[Any]) -> int:
    """The number of scalars in ``weights``."""
    return int(sum(np.prod(w.shape) for w in weights))


def describe(model: Any) -> str:
    """How many trainable and non-trainable values ``model`` holds."""
    return (
        f"{count(model.trainable_weights):,} trainable / "
        f"{count(model.non_trainable_weights):,} non-trainable values"
    )


def accuracy(model: Any, x: np.ndarray, y: np.ndarray) -> float:
    """The fraction of ``x`` that ``model`` classifies as ``y`` says."""
    return float(np.mean(np.argmax(model.predict(x, verbose=0), axis=-1) == y))


def bn_statistics(model: Any) -> list[np.ndarray]:
    """The moving means and variances of every BatchNormalization layer of ``model``."""
    return [
        np.array(w.numpy())
        for layer in model.layers
        if type(layer).__name__ == "BatchNormalization"
        for w in (layer.moving_mean, layer.moving_variance)
    ]


def pretrain(keras: ModuleType, path: str, epochs: int) -> None:
    """Step 1: train MobileNetV2 on the digits 0-4 and save its base's weights to ``path``."""
    (x, y), (x_test, y_test) = load_digits(range(0, 5))
    base = keras.applications.MobileNetV2(
        input_shape=(SIZE, SIZE, 3), alpha=0.35, include_top=False, weights=None, pooling="avg"
    )
    # MobileNetV2's BatchNormalization momentum (0.999) suits ImageNet's long runs; in a
    # few hundred steps its moving statistics would barely leave their initial values.
    for layer in base.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.momentum = 0.9
    model = keras.Sequential([base, keras.layers.Dense(5, activation="softmax")])
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    model.fit(x, y, epochs=epochs, batch_size=32, verbose=0)
    print(f"1. pretrained on digits 0-4: test accuracy {accuracy(model, x_test, y_test):.3f}")
    base.save_weights(path)
    print(f"   base saved as {os.path.basename(path)} ({describe(base)})")


def main(
    keras: ModuleType,
    folder: str,
    pretrain_epochs: int = 12,
    head_epochs: int = 5,
    fine_tune_epochs: int = 10,
) -> dict[str, Any]:
    """Runs the whole flow with ``keras`` (heft or Keras 3) in ``folder``; returns what it saw."""
    keras.utils.set_random_seed(0)
    checkpoint = os.path.join(folder, "digits_0_4_base.weights.h5")
    pretrain(keras, checkpoint, pretrain_epochs)

    # 2. The pretrained base, frozen, with a new head for the digits 5-9.
    (x, y), (x_test, y_test) = load_digits(range(5, 10))
    base = keras.applications.MobileNetV2(
        input_shape=(SIZE, SIZE, 3), alpha=0.35, include_top=False, weights=checkpoint
    )
    base.trainable = False  # a frozen BatchNormalization layer also runs in inference mode
    inputs = keras.Input((SIZE, SIZE, 3))
    features = base(inputs)
    features = keras.layers.GlobalAveragePooling2D()(features)
    features = keras.layers.Dropout(0.2)(features)
    outputs = keras.layers.Dense(5, activation="softmax")(features)
    model = keras.Model(inputs, outputs)
    print(f"2. base loaded from the checkpoint and frozen: {describe(model)}")

    pretrained = [np.array(w.numpy()) for w in base.weights]
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    model.fit(x, y, epochs=head_epochs, batch_size=32, verbose=0)
    head_accuracy = accuracy(model, x_test, y_test)
    base_change = max(
        float(np.max(np.abs(a - w.numpy()))) for a, w in zip(pretrained, base.weights, strict=True)
    )
    print(f"   new head trained on digits 5-9: test accuracy {head_accuracy:.3f}")
    print(f"   largest change of a frozen base weight: {base_change:g}")

    # 3. Fine-tuning: the base unfrozen except its BatchNormalization layers, which stay
    # frozen and so in inference mode: their moving statistics keep the pretrained
    # values, and their normalisation does not follow the small batches of the new data.
    # (A model built with `base(inputs, training=False)` is not enough in Keras 3: `fit`
    # hands its `training=True` to every layer of a functional model.)
    base.trainable = True
    for layer in base.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False
    print(f"3. base unfrozen, BatchNormalization kept frozen: {describe(model)}")
    statistics = bn_statistics(base)
    model.compile(
        optimizer=keras.optimizers.Adam(2e-4),  # a fifth of the head's: features move a little
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    model.fit(x, y, epochs=fine_tune_epochs, batch_size=32, verbose=0)
    tuned_accuracy = accuracy(model, x_test, y_test)
    bn_change = max(
        float(np.max(np.abs(a - b))) for a, b in zip(statistics, bn_statistics(base), strict=True)
    )
    print(f"   fine-tuned: test accuracy {tuned_accuracy:.3f}")
    print(f"   largest change of a BatchNormalization moving statistic: {bn_change:g}")

    # 4. Save, reload, check.
    path = os.path.join(folder, "digits_5_9.keras")
    model.save(path)
    reloaded = keras.models.load_model(path)
    predictions = model.predict(x_test, verbose=0)
    reloaded_predictions = reloaded.predict(x_test, verbose=0)
    reload_difference = float(np.max(np.abs(predictions - reloaded_predictions)))
    print(
        f"4. saved as {os.path.basename(path)} and reloaded: largest prediction difference "
        f"{reload_difference:g}"
    )
    verdict = "above" if tuned_accuracy >= ACCURACY_BAR else "BELOW"
    print(f"   test accuracy {tuned_accuracy:.3f}, {verdict} the bar of {ACCURACY_BAR}")
    return {
        "checkpoint": checkpoint,
        "saved": path,
        "head_accuracy": head_accuracy,
        "accuracy": tuned_accuracy,
        "base_change_during_head_training": base_change,
        "bn_change_during_fine_tuning": bn_change,
        "reload_difference": reload_difference,
        "model": model,
        "x_test": x_test,
        "y_test": y_test,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["heft", "keras"], default="heft")
    args = parser.parse_args()
    if args.backend == "keras":
        os.environ["KERAS_BACKEND"] = "jax"
        import keras
    else:
        import heft as keras
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        result = main(keras, tmp)
    print(f"done in {time.perf_counter() - start:.1f} s")
    sys.exit(0 if result["accuracy"] >= ACCURACY_BAR and result["reload_difference"] < 1e-5 else 1)
