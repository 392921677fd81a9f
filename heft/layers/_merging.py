"""Merging layers: combine a list of inputs (add, multiply, concatenate, dot...)."""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from .. import _config
from ._layer import Layer


def _is_shape(x: Any) -> bool:
    """Whether ``x`` is a shape: ints, ``None``s, symbolic dimensions (shape-polymorphic export)."""
    return isinstance(x, list | tuple) and all(
        d is None or isinstance(d, int) or jax.export.is_symbolic_dim(d) for d in x
    )


class _Merge(Layer):
    """Shared checks of the layers that merge a list of at least two inputs."""

    min_inputs = 2
    max_inputs: int | None = None

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True

    def _check_list(self, shapes: Any) -> list[tuple]:
        cls = type(self).__name__
        if not isinstance(shapes, list | tuple) or not all(_is_shape(s) for s in shapes):
            raise ValueError(
                f"A `{cls}` layer should be called on a list of inputs. Received: "
                f"input_shape={shapes}. Call it as `{cls}()([x1, x2])`."
            )
        shapes = [tuple(s) for s in shapes]
        wanted = (
            f"exactly {self.min_inputs}"
            if self.max_inputs == self.min_inputs
            else f"at least {self.min_inputs}"
        )
        if len(shapes) < self.min_inputs or (
            self.max_inputs is not None and len(shapes) > self.max_inputs
        ):
            raise ValueError(
                f"A `{cls}` layer should be called on {wanted} inputs. Received: "
                f"{len(shapes)} inputs (input_shape={shapes})."
            )
        return shapes

    def _broadcast_shape(self, shapes: list[tuple]) -> tuple:
        out = shapes[0]
        for shape in shapes[1:]:
            long, short = (out, shape) if len(out) >= len(shape) else (shape, out)
            merged = list(long[: len(long) - len(short)])
            for a, b in zip(long[len(long) - len(short) :], short, strict=True):
                if a is None or b is None:
                    merged.append(None)
                elif a == 1 or b == 1 or a == b:
                    merged.append(b if a == 1 else a)
                else:
                    raise ValueError(
                        f"Inputs of a `{type(self).__name__}` layer ('{self.name}') must have "
                        f"compatible shapes. Received shapes {shapes}: sizes {a} and {b} "
                        "differ. Reshape the inputs so their shapes match or broadcast."
                    )
            out = tuple(merged)
        return out

    def build(self, input_shape: Any) -> None:
        self._broadcast_shape(self._check_list(input_shape))

    def call(self, inputs: Any) -> Any:
        self._check_list(
            [tuple(x.shape) for x in inputs] if isinstance(inputs, list | tuple) else inputs
        )
        return self._merge(list(inputs))

    # The elementwise operation folded over the inputs, left to right (Add: ``+``).
    _combine: Callable[[Any, Any], Any] | None = None

    def _merge(self, inputs: list[Any]) -> Any:
        if self._combine is None:
            raise NotImplementedError(
                f"`{type(self).__name__}` must define `_combine` or override `_merge`."
            )
        return functools.reduce(self._combine, inputs)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return self._broadcast_shape(self._check_list(input_shape))

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if mask is None or all(m is None for m in mask):
            return None
        masks = [
            jnp.ones(x.shape[:-1], bool) if m is None else m
            for x, m in zip(inputs, mask, strict=True)
        ]
        return jnp.all(jnp.stack(masks), axis=0)


class Add(_Merge):
    """Sums a list of inputs of the same (or broadcastable) shape.

    Args:
        **kwargs: Base layer arguments.

    Raises:
        ValueError: If not called on a list of at least two compatible inputs.

    >>> import heft
    >>> Add()([heft.ops.ones((2, 3)), heft.ops.ones((2, 3))]).tolist()
    [[2.0, 2.0, 2.0], [2.0, 2.0, 2.0]]
    """

    _combine = staticmethod(operator.add)


class Subtract(_Merge):
    """Subtracts the second of two inputs from the first.

    Args:
        **kwargs: Base layer arguments.

    Raises:
        ValueError: If not called on a list of exactly two compatible inputs.

    >>> import heft
    >>> Subtract()([heft.ops.ones((1, 2)), heft.ops.ones((1, 2))]).tolist()
    [[0.0, 0.0]]
    """

    max_inputs = 2

    def _merge(self, inputs: list[Any]) -> Any:
        return inputs[0] - inputs[1]


class Multiply(_Merge):
    """Multiplies a list of inputs elementwise.

    Args:
        **kwargs: Base layer arguments.

    Raises:
        ValueError: If not called on a list of at least two compatible inputs.

    >>> import heft
    >>> Multiply()([heft.ops.ones((1, 2)) * 2, heft.ops.ones((1, 2)) * 3]).tolist()
    [[6.0, 6.0]]
    """

    _combine = staticmethod(operator.mul)


class Average(_Merge):
    """Averages a list of inputs elementwise.

    Args:
        **kwargs: Base layer arguments.

    Raises:
        ValueError: If not called on a list of at least two compatible inputs.

    >>> import heft
    >>> Average()([heft.ops.ones((1, 2)), heft.ops.zeros((1, 2))]).tolist()
    [[0.5, 0.5]]
    """

    _combine = staticmethod(operator.add)

    def _merge(self, inputs: list[Any]) -> Any:
        return super()._merge(inputs) / len(inputs)


class Maximum(_Merge):
    """Elementwise maximum of a list of inputs.

    Args:
        **kwargs: Base layer arguments.

    Raises:
        ValueError: If not called on a list of at least two compatible inputs.

    >>> import heft
    >>> Maximum()([heft.ops.ones((1, 2)), heft.ops.zeros((1, 2))]).tolist()
    [[1.0, 1.0]]
    """

    _combine = staticmethod(jnp.maximum)


class Minimum(_Merge):
    """Elementwise minimum of a list of inputs.

    Args:
        **kwargs: Base layer arguments.

    Raises:
        ValueError: If not called on a list of at least two compatible inputs.

    >>> import heft
    >>> Minimum()([heft.ops.ones((1, 2)), heft.ops.zeros((1, 2))]).tolist()
    [[0.0, 0.0]]
    """

    _combine = staticmethod(jnp.minimum)


class Concatenate(_Merge):
    """Concatenates a list of inputs along ``axis``.

    Args:
        axis: The axis to join along; every other axis must match.
        **kwargs: Base layer arguments.

    Raises:
        ValueError: If not called on a list of at least two inputs whose other
            axes match.

    >>> import heft
    >>> Concatenate()([heft.ops.ones((2, 3)), heft.ops.ones((2, 1))]).shape
    (2, 4)
    """

    min_inputs = 1

    def __init__(self, axis: int = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = axis

    def compute_output_shape(self, input_shape: Any) -> tuple:
        shapes = self._check_list(input_shape)
        rank = len(shapes[0])
        if any(len(s) != rank for s in shapes) or not -rank <= self.axis < rank:
            raise ValueError(
                f"A `Concatenate` layer ('{self.name}') requires inputs of one rank with "
                f"axis={self.axis} inside it. Received: input_shape={shapes}."
            )
        axis = self.axis % rank
        out = list(shapes[0])
        for shape in shapes[1:]:
            for i, (a, b) in enumerate(zip(out, shape, strict=True)):
                if i == axis:
                    out[i] = None if a is None or b is None else a + b
                elif a is None:
                    out[i] = b
                elif b is not None and a != b:
                    raise ValueError(
                        f"A `Concatenate` layer ('{self.name}') requires inputs with matching "
                        f"shapes except for the concatenation axis {self.axis}. Received: "
                        f"input_shape={shapes}."
                    )
        return tuple(out)

    def build(self, input_shape: Any) -> None:
        self.compute_output_shape(input_shape)

    def _merge(self, inputs: list[Any]) -> Any:
        self.compute_output_shape([tuple(x.shape) for x in inputs])
        return jnp.concatenate(inputs, axis=self.axis)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["axis"] = self.axis
        return config


class Dot(_Merge):
    """Batchwise dot product of two inputs along ``axes`` (the batch axis is kept).

    The output has the first input's axes (minus the summed one) followed by the
    second's (minus the batch and summed axes); a rank-1 result becomes ``(batch, 1)``.

    Args:
        axes: An int, or a pair of ints (one per input): the axes summed over.
        normalize: Whether to L2-normalize both inputs along ``axes`` first,
            giving the cosine similarity.
        **kwargs: Base layer arguments.

    Raises:
        TypeError: If ``axes`` is not an int or a list.
        ValueError: For a malformed ``axes``, or inputs whose summed axes differ.

    >>> import heft
    >>> Dot(axes=1)([heft.ops.ones((2, 3)), heft.ops.ones((2, 3))]).tolist()
    [[3.0], [3.0]]
    """

    max_inputs = 2

    def __init__(self, axes: int | tuple[int, int], normalize: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(axes, int):
            if not isinstance(axes, list | tuple):
                raise TypeError(
                    f"Invalid type for argument `axes`: it should be a list or an int. "
                    f"Received: axes={axes!r}"
                )
            if len(axes) != 2 or not all(isinstance(a, int) for a in axes):
                raise ValueError(
                    "Invalid format for argument `axes`: it should contain two integers "
                    f"(one axis per input). Received: axes={axes}"
                )
        self.axes = axes
        self.normalize = normalize

    def _axes_for(self, shapes: list[tuple]) -> list[int]:
        if isinstance(self.axes, int):
            axes = [self.axes, self.axes]
        else:
            axes = list(self.axes)
        axes = [a % len(s) if a < 0 else a for a, s in zip(axes, shapes, strict=True)]
        for a, s in zip(axes, shapes, strict=True):
            if a == 0 or a >= len(s):
                raise ValueError(
                    f"`Dot` layer '{self.name}': axes={self.axes} is invalid for input shapes "
                    f"{shapes}. The batch axis 0 cannot be summed over; pick axes in "
                    "[1, rank - 1]."
                )
        return axes

    def compute_output_shape(self, input_shape: Any) -> tuple:
        shapes = self._check_list(input_shape)
        a0, a1 = self._axes_for(shapes)
        d0, d1 = shapes[0][a0], shapes[1][a1]
        if d0 is not None and d1 is not None and d0 != d1:
            raise ValueError(
                f"Incompatible input shapes for `Dot` layer '{self.name}': axis values {d0} "
                f"(at axis {a0}) != {d1} (at axis {a1}). Full input shapes: {shapes[0]}, "
                f"{shapes[1]}."
            )
        first = [d for i, d in enumerate(shapes[0]) if i != a0]
        second = [d for i, d in enumerate(shapes[1]) if i not in (0, a1)]
        out = first + second
        return tuple([*out, 1] if len(out) == 1 else out)

    def build(self, input_shape: Any) -> None:
        self.compute_output_shape(input_shape)

    def _merge(self, inputs: list[Any]) -> Any:
        x, y = inputs
        a0, a1 = self._axes_for([tuple(x.shape), tuple(y.shape)])
        self.compute_output_shape([tuple(x.shape), tuple(y.shape)])
        if self.normalize:
            eps = _config.epsilon()

            def _l2(v: Any, axis: int) -> Any:
                inv = jax.lax.rsqrt(jnp.sum(jnp.square(v), axis=axis, keepdims=True))
                return v * jnp.minimum(inv, 1.0 / eps)

            x, y = _l2(x, a0), _l2(y, a1)
        x = jnp.moveaxis(x, a0, -1)
        y = jnp.moveaxis(y, a1, 1)
        x_rest, y_rest = x.shape[1:-1], y.shape[2:]
        batch = x.shape[0]
        x3 = jnp.reshape(x, (batch, -1, x.shape[-1]))
        y3 = jnp.reshape(y, (batch, y.shape[1], -1))
        out = jnp.matmul(x3, y3)
        shape = (batch, *x_rest, *y_rest)
        return jnp.reshape(out, shape if len(shape) > 1 else (batch, 1))

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        return None

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"axes": self.axes, "normalize": self.normalize})
        return config
