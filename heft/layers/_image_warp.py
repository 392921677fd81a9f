"""Random warps: ``RandomShear``, ``RandomPerspective`` and ``RandomElasticTransform``.

Active only with ``training=True``; with the same ``seed`` they draw the same
numbers as Keras 3 on JAX.
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

from .. import random
from ..ops import image as image_ops
from ..ops.image._transform import _homography
from ..random._seed_generator import SeedGenerator
from ..utils.bounding_boxes import clip_to_image_size, convert_format
from ._image_base import BaseImagePreprocessingLayer
from ._image_boxes import image_size
from ._image_geometric import _batched_call, _check_fill
from ._image_tone import _batch_size


def _unit_range(factor: Any, name: str, low: float = 0, high: float = 1) -> tuple[Any, Any]:
    """``(lower, upper)`` of a number or pair within ``[low, high]`` (Keras's by-name factor)."""
    message = (
        f"The `{name}` argument should be a number (or a list of two numbers) in the range "
        f"[{low}, {high}]. Received: factor={factor}"
    )
    if isinstance(factor, tuple | list):
        if len(factor) != 2 or factor[0] > high or factor[1] < low:
            raise ValueError(message)
        lower, upper = sorted(factor)
        return lower, upper
    if isinstance(factor, int | float) and not isinstance(factor, bool):
        if factor < low or factor > high:
            raise ValueError(message)
        return max(-abs(factor), low), abs(factor)
    raise ValueError(message)


class RandomShear(BaseImagePreprocessingLayer):
    """Shears each image along x and/or y by a random amount in training.

    Args:
        x_factor: A number ``f`` or a pair in ``[0, 1]``: the horizontal shear is
            drawn in ``[-f, f]`` (or the pair's range), its sign flipped at random.
        y_factor: The same for the vertical shear.
        interpolation: ``"bilinear"`` or ``"nearest"``.
        fill_mode: ``"reflect"``, ``"wrap"``, ``"constant"`` or ``"nearest"``.
        fill_value: Value outside the image with ``fill_mode="constant"``.
        data_format: ``"channels_last"`` or ``"channels_first"``.
        seed: Seed of the layer's generator.
        **kwargs: Base layer arguments.

    >>> import numpy as np
    >>> RandomShear(0.3, 0.3, seed=1)(np.ones((2, 4, 4, 3))).shape
    (2, 4, 4, 3)
    """

    _USE_BASE_FACTOR = False
    _MESSAGE = (
        "The `factor` argument should be a number (or a list of two numbers) in the range "
        "[0, 1.0]. "
    )

    def __init__(
        self,
        x_factor: Any = 0.0,
        y_factor: Any = 0.0,
        interpolation: str = "bilinear",
        fill_mode: str = "reflect",
        fill_value: float = 0.0,
        data_format: str | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.x_factor = self._range(x_factor, "x_factor")
        self.y_factor = self._range(y_factor, "y_factor")
        _check_fill(fill_mode, interpolation)
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.interpolation = interpolation
        self.seed = seed
        self.generator = SeedGenerator(seed)

    def _range(self, factor: Any, name: str) -> tuple[Any, Any]:
        def check(value: float) -> None:
            if value > 1.0 or value < 0.0:
                raise ValueError(self._MESSAGE + f"Received: input_number={value}")

        if isinstance(factor, tuple | list):
            if len(factor) != 2:
                raise ValueError(self._MESSAGE + f"Received: {name}={factor}")
            check(factor[0])
            check(factor[1])
            lower, upper = sorted(factor)
            return lower, upper
        if isinstance(factor, int | float) and not isinstance(factor, bool):
            check(factor)
            return -abs(factor), abs(factor)
        raise ValueError(self._MESSAGE + f"Received: {name}={factor}")

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None):
        if not training:
            return None
        batch = _batch_size(data)
        seed = self.generator if seed is None else seed
        dtype = self.compute_dtype
        sign = random.uniform([batch, 1], 0, 1, seed=seed, dtype=dtype)
        sign = jnp.where(sign > 0.5, -jnp.ones_like(sign), jnp.ones_like(sign))
        shear_y = random.uniform([batch, 1], *self.y_factor, seed=seed, dtype=dtype)
        shear_x = random.uniform([batch, 1], *self.x_factor, seed=seed, dtype=dtype)
        shear = jnp.concatenate([shear_x, shear_y], axis=1).astype(dtype) * sign
        return {"shear_factor": shear, "input_shape": tuple(_images_shape(data))}

    def _transform_images(self, images: Any, transformation: Any, interpolation: str) -> Any:
        if transformation is None:
            return images
        shear = transformation["shear_factor"]
        n = shear.shape[0]
        ones, zeros = jnp.ones((n,)), jnp.zeros((n,))
        matrix = jnp.stack([ones, shear[:, 0], zeros, shear[:, 1], ones, zeros, zeros, zeros], 1)

        def run(batch: Any) -> Any:
            return image_ops.affine_transform(
                batch, matrix, interpolation=interpolation, fill_mode=self.fill_mode,
                fill_value=self.fill_value, data_format=self.data_format,
            )  # fmt: skip

        return _batched_call(run, images)

    def transform_bounding_boxes(
        self, bounding_boxes: Any, transformation: Any, training: bool = True
    ) -> Any:
        """Boxes sheared with the images (relative coordinates), then clipped.

        Labels of boxes left without area become ``-1``.
        """
        if not training or transformation is None:
            return bounding_boxes
        height, width = image_size(transformation["input_shape"], self.data_format)
        dtype = self.compute_dtype
        boxes = convert_format(
            bounding_boxes, self._box_format(), "rel_xyxy", height, width, dtype=dtype
        )
        shear = jnp.asarray(transformation["shear_factor"]).astype(dtype)
        sx, sy = jnp.split(shear, 2, axis=-1)
        x1, y1, x2, y2 = (jnp.squeeze(c, -1) for c in jnp.split(boxes["boxes"], 4, axis=-1))
        # The corner that ends up outermost depends on the shear's sign.
        x1 = jnp.where(sx < 0, x1 - sx * y1, x1 - sx * y2)
        x2 = jnp.where(sx < 0, x2 - sx * y2, x2 - sx * y1)
        y1 = jnp.where(sy > 0, y1 - sy * x2, y1 - sy * x1)
        y2 = jnp.where(sy > 0, y2 - sy * x1, y2 - sy * x2)
        boxes["boxes"] = jnp.stack([x1, y1, x2, y2], axis=-1)
        boxes = clip_to_image_size(boxes, height, width, "rel_xyxy")
        return convert_format(boxes, "rel_xyxy", self._box_format(), height, width, dtype=dtype)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "x_factor": self.x_factor,
                "y_factor": self.y_factor,
                "fill_mode": self.fill_mode,
                "interpolation": self.interpolation,
                "seed": self.seed,
                "fill_value": self.fill_value,
                "data_format": self.data_format,
            }
        )
        return config


def _images_shape(data: Any) -> Any:
    return (data["images"] if isinstance(data, dict) else data).shape


class RandomPerspective(BaseImagePreprocessingLayer):
    """Moves each image's corners by random offsets (a perspective warp), with a probability.

    Args:
        factor: A number ``f`` or a pair in ``[0, 1]``: each image is warped with a
            probability drawn in ``[0, f]`` (or the pair's range).
        scale: In ``[0, 1]``: corners move by up to ``scale / 2`` of their coordinates.
        interpolation: ``"bilinear"`` or ``"nearest"``.
        fill_value: Value of points that fall outside the image.
        seed: Seed of the layer's generator.
        data_format: ``"channels_last"`` or ``"channels_first"``.
        **kwargs: Base layer arguments.

    >>> import numpy as np
    >>> RandomPerspective(seed=1)(np.ones((2, 4, 4, 3))).shape
    (2, 4, 4, 3)
    """

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def __init__(
        self,
        factor: Any = 1.0,
        scale: float = 1.0,
        interpolation: str = "bilinear",
        fill_value: float = 0.0,
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.scale = scale
        self.fill_value = fill_value
        self.interpolation = interpolation
        self.seed = seed
        self.generator = SeedGenerator(seed)
        if scale < 0.0 or scale > 1.0:
            raise ValueError(
                f"The `scale` argument should be a number in the range [0,1]. Received: scale={scale}"
            )
        if interpolation not in ("nearest", "bilinear"):
            raise NotImplementedError(
                f"Unknown `interpolation` {interpolation}. Expected of one ('nearest', 'bilinear')."
            )

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None):
        if not training:
            return None
        shape = tuple(_images_shape(data))
        batch = _batch_size(data)
        h_axis, w_axis = self._spatial_axes()
        height, width = shape[h_axis], shape[w_axis]
        seed = seed or self.generator
        probability = random.uniform((batch,), self.factor[0], self.factor[1], seed=seed)
        threshold = random.uniform((batch,), 0.0, 1.0, seed=seed)
        offsets = random.uniform(
            (batch, 4, 2), -0.5 * self.scale, 0.5 * self.scale, seed=seed, dtype=self.compute_dtype
        )
        corners = [[0.0, 0.0], [width - 1, 0.0], [0.0, height - 1], [width - 1, height - 1]]
        start = jnp.repeat(jnp.asarray([corners], dtype=self.compute_dtype), batch, axis=0)
        return {"apply_perspective": threshold < probability, "start_points": start,
                "end_points": start + start * offsets, "input_shape": shape}  # fmt: skip

    def _transform_images(self, images: Any, transformation: Any, interpolation: str) -> Any:
        if transformation is None:
            return images

        def run(batch: Any) -> Any:
            warped = image_ops.perspective_transform(
                batch, transformation["start_points"], transformation["end_points"],
                interpolation=interpolation, fill_value=self.fill_value,
                data_format=self.data_format,
            )  # fmt: skip
            apply = transformation["apply_perspective"][:, None, None, None]
            return jnp.where(apply, warped, batch)

        return _batched_call(run, images)

    def transform_bounding_boxes(
        self, bounding_boxes: Any, transformation: Any, training: bool = True
    ) -> Any:
        """The boxes enclosing the warped boxes of warped images, clipped, in ``"xyxy"``.

        As in Keras 3, the result stays in ``"xyxy"`` whatever the layer's
        ``bounding_box_format``; labels of boxes left without area become ``-1``.
        """
        if not training or transformation is None:
            return bounding_boxes
        height, width = image_size(transformation["input_shape"], self.data_format)
        boxes = convert_format(bounding_boxes, self._box_format(), "xyxy", height, width)
        x0, y0, x1, y1 = jnp.split(boxes["boxes"], 4, axis=-1)
        coefficients = _homography(
            jnp.asarray(transformation["start_points"]), jnp.asarray(transformation["end_points"])
        )
        batch = coefficients.shape[0]
        matrix = jnp.concatenate(
            [coefficients.astype(self.compute_dtype), jnp.ones((batch, 1))], axis=-1
        ).reshape(batch, 3, 3)
        inverse = jnp.linalg.inv(matrix)

        def move(x: Any, y: Any) -> tuple[Any, Any]:
            points = jnp.concatenate([x, y, jnp.ones_like(x)], axis=-1)
            moved = jnp.einsum("bij,bnj->bni", inverse, points)
            return moved[..., 0] / moved[..., 2], moved[..., 1] / moved[..., 2]

        corners = [move(x, y) for x, y in [(x0, y0), (x1, y1), (x0, y1), (x1, y0)]]
        xs_all = jnp.stack([c[0] for c in corners], axis=-1)
        ys_all = jnp.stack([c[1] for c in corners], axis=-1)
        warped = jnp.stack(
            [xs_all.min(-1), ys_all.min(-1), xs_all.max(-1), ys_all.max(-1)], axis=-1
        )
        apply = jnp.asarray(transformation["apply_perspective"])[:, None, None]
        boxes["boxes"] = jnp.where(apply, warped, boxes["boxes"])
        return clip_to_image_size(boxes, height, width, "xyxy")

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {"factor": self.factor, "scale": self.scale, "interpolation": self.interpolation,
             "fill_value": self.fill_value, "seed": self.seed}
        )  # fmt: skip
        return config


class RandomElasticTransform(BaseImagePreprocessingLayer):
    """Distorts images with a random smooth displacement field, with a probability.

    The displacement's strength and smoothness grow with a factor drawn in
    ``scale``'s range (``heft.ops.image.elastic_transform``). The smoothing kernel's
    size depends on the drawn value, so the layer runs eagerly (a plain call or a
    data pipeline), not inside ``jax.jit`` (``fit``), as in Keras.

    Args:
        factor: A number ``f`` or a pair in ``[0, 1]``: each image is distorted with
            a probability drawn in ``[0, f]`` (or the pair's range).
        scale: A number or a pair in ``[0, 1]``: the distortion factor's range.
        interpolation: ``"bilinear"`` or ``"nearest"``.
        fill_mode: ``"reflect"``, ``"wrap"``, ``"constant"``, ``"nearest"`` or ``"mirror"``.
        fill_value: Value outside the image with ``fill_mode="constant"``.
        value_range: The range of the pixels; results are clipped to it.
        seed: Seed of the layer's generator.
        data_format: ``"channels_last"`` or ``"channels_first"``.
        **kwargs: Base layer arguments.

    >>> import numpy as np
    >>> RandomElasticTransform(seed=1)(np.ones((2, 8, 8, 3))).shape
    (2, 8, 8, 3)
    """

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)
    _FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")

    def __init__(
        self,
        factor: Any = 1.0,
        scale: Any = 1.0,
        interpolation: str = "bilinear",
        fill_mode: str = "reflect",
        fill_value: float = 0.0,
        value_range: Any = (0, 255),
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.scale = _unit_range(scale, "scale")
        self.interpolation = interpolation
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.value_range = value_range
        self.seed = seed
        self.generator = SeedGenerator(seed)
        if interpolation not in ("nearest", "bilinear"):
            raise NotImplementedError(
                f"Unknown `interpolation` {interpolation}. Expected of one ('nearest', 'bilinear')."
            )
        if fill_mode not in self._FILL_MODES:
            raise NotImplementedError(
                f"Unknown `fill_mode` {fill_mode}. Expected of one {set(self._FILL_MODES)}."
            )

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None):
        if not training or self.scale[1] == 0 or self.factor[1] == 0:
            return None
        batch = _batch_size(data)
        seed = seed or self.generator
        probability = random.uniform((batch,), self.factor[0], self.factor[1], seed=seed)
        threshold = random.uniform((batch,), 0.0, 1.0, seed=seed)
        distortion = random.uniform((), *self.scale, seed=seed, dtype=self.compute_dtype)
        return {"apply_transform": threshold < probability, "distortion_factor": distortion,
                "seed": seed}  # fmt: skip

    def _transform_images(self, images: Any, transformation: Any, interpolation: str) -> Any:
        if transformation is None:
            return images
        h_axis, w_axis = self._spatial_axes()
        height, width = images.shape[h_axis], images.shape[w_axis]
        factor = transformation["distortion_factor"]
        alpha = max(height, width) * (0.1 * factor)
        sigma = min(height, width) * (0.05 * factor)
        warped = image_ops.elastic_transform(
            images, alpha=alpha, sigma=sigma, interpolation=interpolation,
            fill_mode=self.fill_mode, fill_value=self.fill_value,
            seed=transformation["seed"], data_format=self.data_format,
        )  # fmt: skip
        apply = transformation["apply_transform"]
        apply = apply[:, None, None] if images.ndim == 3 else apply[:, None, None, None]
        images = jnp.clip(jnp.where(apply, warped, images), *self.value_range)
        return images.astype(self.compute_dtype)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "factor": self.factor,
                "scale": self.scale,
                "interpolation": self.interpolation,
                "fill_mode": self.fill_mode,
                "fill_value": self.fill_value,
                "value_range": self.value_range,
                "seed": self.seed,
            }
        )
        return config
