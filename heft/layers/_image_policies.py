"""Augmentation policies built from the other augmentation layers: ``AugMix`` and ``RandAugment``.

Each policy holds one instance of each layer it may apply (as Keras does, each
with its own seed generator, so the variables match Keras's), but draws every
random number from its own generator, in Keras's order: with the same ``seed``
the outputs equal Keras 3's on JAX. ``AugMix`` also picks the layers of its
chains with Python's global ``random`` module, as Keras does: seed it (e.g.
``heft.utils.set_random_seed``) to repeat a call. Inside a compiled model those
picks are made once, when the step is traced.
"""

from __future__ import annotations

import random as _pyrandom
from typing import Any

import jax.numpy as jnp

from .. import random
from ..random._seed_generator import SeedGenerator
from ._image_base import BaseImagePreprocessingLayer
from ._image_color import RandomBrightness, RandomContrast
from ._image_equalization import Equalization
from ._image_geometric import RandomRotation, RandomTranslation
from ._image_hsv import RandomColorDegeneration, RandomSharpness
from ._image_tone import AutoContrast, RandomPosterization, Solarization
from ._image_warp import RandomShear

_GEOMETRIC_AND_TONE = [
    "random_shear",
    "random_translation",
    "random_rotation",
    "random_posterization",
    "solarization",
    "auto_contrast",
    "equalization",
]
_COLOR = ["random_brightness", "random_color_degeneration", "random_contrast", "random_sharpness"]


class _Policy(BaseImagePreprocessingLayer):
    """The shared part of the policies: the step layers, built from one factor and seed."""

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)
    value_range: Any
    seed: int | None

    def _make_steps(self, data_format: Any, colors_at: str, kwargs: dict) -> None:
        """Makes the step layers in Keras's order (which fixes the order of the variables).

        ``colors_at`` places the four colour layers: ``"start"`` (after the geometric
        ones), ``"end"`` or ``"nowhere"``.
        """
        factor, value_range, seed = self.factor, self.value_range, self.seed
        interpolation = self.interpolation
        common = {"seed": seed, "data_format": data_format, **kwargs}
        self.random_shear = RandomShear(
            x_factor=factor, y_factor=factor, interpolation=interpolation, **common
        )
        self.random_translation = RandomTranslation(
            height_factor=factor, width_factor=factor, interpolation=interpolation, **common
        )
        self.random_rotation = RandomRotation(factor=factor, interpolation=interpolation, **common)
        colors = {"factor": factor, "value_range": value_range, **common}
        if colors_at == "start":
            self._make_color_steps(colors)
        self.solarization = Solarization(
            addition_factor=factor, threshold_factor=factor, value_range=value_range, **common
        )
        self.random_posterization = RandomPosterization(
            factor=max(1, int(8 * factor[1])), value_range=value_range, **common
        )
        plain = {"value_range": value_range, "data_format": data_format, **kwargs}
        self.auto_contrast = AutoContrast(**plain)
        self.equalization = Equalization(**plain)
        if colors_at == "end":
            self._make_color_steps(colors)

    def _make_color_steps(self, colors: dict) -> None:
        self.random_brightness = RandomBrightness(**colors)
        self.random_color_degeneration = RandomColorDegeneration(**colors)
        self.random_contrast = RandomContrast(**colors)
        self.random_sharpness = RandomSharpness(**colors)

    def transform_labels(self, labels: Any, transformation: Any, training: bool = True) -> Any:
        return labels


class AugMix(_Policy):
    """Mixes each batch with ``num_chains`` randomly augmented copies of itself, in training.

    Each chain applies up to ``chain_depth`` layers, each picked (or skipped) at
    random among shear, translation, rotation, posterization, solarization,
    auto-contrast and equalization (plus brightness, colour degeneration,
    contrast and sharpness with ``all_ops=True``). The chains are averaged with
    Dirichlet(``alpha``) weights and the result blended with the input with a
    Beta(``alpha``, ``alpha``) weight, then clipped to ``value_range``. The same
    chains apply to the whole batch. Segmentation masks go through the same
    chains; labels and bounding boxes are returned as they are.

    Args:
        value_range: The range of the pixels.
        num_chains: The number of chains.
        chain_depth: The most layers a chain applies.
        factor: A number ``f`` or a pair in ``[0, 1]``: the strength of every layer.
        alpha: The Dirichlet and Beta parameter.
        all_ops: Whether the four colour layers may be picked too.
        interpolation: ``"nearest"`` or ``"bilinear"``, for the geometric layers.
        seed: Seed of the layer's generator.
        data_format: ``"channels_last"`` or ``"channels_first"``.
        **kwargs: Base layer arguments (passed on to the step layers, as in Keras).

    >>> import numpy as np
    >>> layer = AugMix(seed=1)
    >>> layer.factor  # every step layer's strength
    (0, 0.3)
    >>> x = np.full((2, 8, 8, 3), 100.0, "float32")
    >>> bool((np.asarray(layer(x, training=False)) == x).all())  # inference: unchanged
    True
    """

    def __init__(
        self,
        value_range: Any = (0, 255),
        num_chains: int = 3,
        chain_depth: int = 3,
        factor: Any = 0.3,
        alpha: float = 1.0,
        all_ops: bool = True,
        interpolation: str = "bilinear",
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.value_range = value_range
        self.num_chains = num_chains
        self.chain_depth = chain_depth
        self._set_factor(factor)
        self.alpha = alpha
        self.all_ops = all_ops
        self.interpolation = interpolation
        self.seed = seed
        self.generator = SeedGenerator(seed)
        self._augment_layers = _GEOMETRIC_AND_TONE + (_COLOR if all_ops else [])
        self._make_steps(data_format, "end" if all_ops else "nowhere", kwargs)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None):
        if not training:
            return None
        seed = seed or self.generator
        gammas = random.gamma([self.num_chains], alpha=self.alpha, seed=seed)
        chain_weights = gammas / jnp.sum(gammas, axis=-1, keepdims=True)
        weight = random.beta((), self.alpha, self.alpha, seed=seed)
        chains = []
        for _ in range(self.num_chains):
            steps = []
            for _ in range(self.chain_depth):
                name = _pyrandom.choice([*self._augment_layers, None])
                if name is None:
                    continue
                layer = getattr(self, name)
                steps.append(
                    {
                        "layer_name": name,
                        "transformation": layer.get_random_transformation(
                            data, seed=self.generator
                        ),
                    }
                )
            chains.append(steps)
        return {"chain_mixing_weights": chain_weights, "weight_sample": weight,
                "chain_transforms": chains}  # fmt: skip

    def _mix(self, x: Any, transformation: Any, method: str) -> Any:
        dtype = self.compute_dtype
        chain_weights = jnp.asarray(transformation["chain_mixing_weights"]).astype(dtype)
        weight = jnp.asarray(transformation["weight_sample"]).astype(dtype)
        mixed = jnp.zeros_like(x)
        for index, chain in enumerate(transformation["chain_transforms"]):
            copy = x
            for step in chain:
                copy = getattr(getattr(self, step["layer_name"]), method)(
                    copy, step["transformation"]
                )
            mixed = mixed + copy * chain_weights[index]
        return weight * x + (1 - weight) * mixed

    def transform_images(self, images: Any, transformation: Any, training: bool = True) -> Any:
        images = jnp.asarray(images)
        if training:
            images = self._mix(
                images.astype(self.compute_dtype), transformation, "transform_images"
            )
            images = jnp.clip(images, self.value_range[0], self.value_range[1])
        return images.astype(self.compute_dtype)

    def transform_bounding_boxes(
        self, bounding_boxes: Any, transformation: Any, training: bool = True
    ) -> Any:
        return bounding_boxes

    def transform_segmentation_masks(
        self, segmentation_masks: Any, transformation: Any, training: bool = True
    ) -> Any:
        if training:
            return self._mix(
                jnp.asarray(segmentation_masks), transformation, "transform_segmentation_masks"
            )
        return segmentation_masks

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {"value_range": self.value_range, "num_chains": self.num_chains,
             "chain_depth": self.chain_depth, "factor": self.factor, "alpha": self.alpha,
             "all_ops": self.all_ops, "interpolation": self.interpolation, "seed": self.seed}
        )  # fmt: skip
        return config


class RandAugment(_Policy):
    """Applies ``num_ops`` layers picked at random (with repeats) to the batch, in training.

    The layers are shear, translation, rotation, brightness, colour degeneration,
    contrast, sharpness, posterization, solarization, auto-contrast and
    equalization, all at strength ``factor``. As in Keras, every layer's random
    parameters are drawn on each call and a layer picked twice applies the same
    parameters twice; the same picks apply to the whole batch. Segmentation masks
    (and bounding boxes, where the picked layers transform them) follow the images.

    Args:
        value_range: The range of the pixels.
        num_ops: The number of layers applied in sequence.
        factor: A number ``f`` or a pair in ``[0, 1]``: the strength of every layer.
        interpolation: ``"nearest"`` or ``"bilinear"``, for the geometric layers.
        seed: Seed of the layer's generator.
        data_format: ``"channels_last"`` or ``"channels_first"``.
        **kwargs: Base layer arguments (passed on to the step layers, as in Keras).

    >>> import numpy as np
    >>> layer = RandAugment(seed=1)
    >>> layer.factor  # every step layer's strength
    (0, 0.5)
    >>> x = np.full((2, 8, 8, 3), 100.0, "float32")
    >>> bool((np.asarray(layer(x, training=False)) == x).all())  # inference: unchanged
    True
    """

    _AUGMENT_LAYERS = [
        "random_shear",
        "random_translation",
        "random_rotation",
        "random_brightness",
        "random_color_degeneration",
        "random_contrast",
        "random_sharpness",
        "random_posterization",
        "solarization",
        "auto_contrast",
        "equalization",
    ]

    def __init__(
        self,
        value_range: Any = (0, 255),
        num_ops: int = 2,
        factor: Any = 0.5,
        interpolation: str = "bilinear",
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.value_range = value_range
        self.num_ops = num_ops
        self._set_factor(factor)
        self.interpolation = interpolation
        self.seed = seed
        self.generator = SeedGenerator(seed)
        self._make_steps(data_format, "start", kwargs)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None):
        if not training:
            return None
        picks = random.randint((self.num_ops,), 0, len(self._AUGMENT_LAYERS), seed=self.generator)
        transforms = {
            name: getattr(self, name).get_random_transformation(
                data, training=training, seed=self.generator
            )
            for name in self._AUGMENT_LAYERS
        }
        return {"transforms": transforms, "layer_idxes": picks}

    def _apply(self, x: Any, transformation: Any, method: str) -> Any:
        picks = transformation["layer_idxes"]
        for i in range(self.num_ops):
            for index, (name, drawn) in enumerate(transformation["transforms"].items()):
                done = getattr(getattr(self, name), method)(x, drawn)
                x = jnp.where(picks[i] == index, done, x)
        return x

    def transform_images(self, images: Any, transformation: Any, training: bool = True) -> Any:
        images = jnp.asarray(images)
        if training:
            images = self._apply(images.astype(self.compute_dtype), transformation,
                                 "transform_images")  # fmt: skip
        return images.astype(self.compute_dtype)

    def transform_segmentation_masks(
        self, segmentation_masks: Any, transformation: Any, training: bool = True
    ) -> Any:
        if training:
            return self._apply(
                jnp.asarray(segmentation_masks), transformation, "transform_segmentation_masks"
            )
        return segmentation_masks

    def transform_bounding_boxes(
        self, bounding_boxes: Any, transformation: Any, training: bool = True
    ) -> Any:
        if not training:
            return bounding_boxes
        picks = transformation["layer_idxes"]
        for index, (name, drawn) in enumerate(transformation["transforms"].items()):
            done = getattr(self, name).transform_bounding_boxes(dict(bounding_boxes), drawn)
            for i in range(self.num_ops):
                for key in ("boxes", "labels"):
                    bounding_boxes[key] = jnp.where(
                        picks[i] == index, done[key], bounding_boxes[key]
                    )
        return bounding_boxes

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {"value_range": self.value_range, "num_ops": self.num_ops, "factor": self.factor,
             "interpolation": self.interpolation, "seed": self.seed}
        )  # fmt: skip
        return config
