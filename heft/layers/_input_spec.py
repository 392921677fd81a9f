"""``InputSpec``: the rank, shape and dtype a layer accepts, checked before each call."""

from __future__ import annotations

from typing import Any

import jax


class InputSpec:
    """Constraints a layer puts on its input.

    Args:
        dtype: Expected dtype, or ``None`` for any.
        shape: Expected full shape (``None`` entries match anything).
        ndim: Expected rank.
        max_ndim: Largest accepted rank.
        min_ndim: Smallest accepted rank.
        axes: ``{axis: size}`` sizes required on given axes.
        allow_last_axis_squeeze: Accept inputs whose last axis of size 1 is dropped.
        name: The input's name, for messages.

    >>> InputSpec(min_ndim=2, axes={-1: 784}).axes
    {-1: 784}
    """

    def __init__(
        self,
        dtype: Any = None,
        shape: Any = None,
        ndim: int | None = None,
        max_ndim: int | None = None,
        min_ndim: int | None = None,
        axes: dict[int, int] | None = None,
        allow_last_axis_squeeze: bool = False,
        name: str | None = None,
        optional: bool = False,
    ) -> None:
        self.dtype = dtype
        self.shape = tuple(shape) if shape is not None else None
        self.ndim = len(self.shape) if self.shape is not None else ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.name = name
        self.optional = optional
        self.allow_last_axis_squeeze = allow_last_axis_squeeze
        self.axes = {int(k): v for k, v in (axes or {}).items()}

    def get_config(self) -> dict[str, Any]:
        return {
            "dtype": self.dtype,
            "shape": self.shape,
            "ndim": self.ndim,
            "max_ndim": self.max_ndim,
            "min_ndim": self.min_ndim,
            "axes": self.axes,
        }

    def __repr__(self) -> str:
        parts = [f"{k}={v}" for k, v in self.get_config().items() if v]
        return f"InputSpec({', '.join(parts)})"


def assert_input_compatibility(spec: Any, inputs: Any, layer_name: str) -> None:
    """Raise ``ValueError`` naming the layer if ``inputs`` break ``spec``."""
    if spec is None:
        return
    specs = spec if isinstance(spec, list | tuple) else [spec]
    flat = jax.tree_util.tree_leaves(inputs, is_leaf=lambda x: hasattr(x, "shape"))
    for index, (s, x) in enumerate(zip(specs, flat, strict=False)):
        if s is None or not hasattr(x, "shape"):
            continue
        shape = tuple(x.shape)
        rank = len(shape)
        where = f'Input {index} of layer "{layer_name}" is incompatible with the layer'
        if s.ndim is not None and rank != s.ndim:
            raise ValueError(
                f"{where}: expected ndim={s.ndim}, found ndim={rank}. Full shape received: "
                f"{shape}. Reshape the input to rank {s.ndim}."
            )
        if s.max_ndim is not None and rank > s.max_ndim:
            raise ValueError(
                f"{where}: expected max_ndim={s.max_ndim}, found ndim={rank}. Full shape "
                f"received: {shape}."
            )
        if s.min_ndim is not None and rank < s.min_ndim:
            raise ValueError(
                f"{where}: expected min_ndim={s.min_ndim}, found ndim={rank}. Full shape "
                f"received: {shape}. Add a batch dimension or reshape the input."
            )
        for axis, size in s.axes.items():
            if size is None:
                continue
            if -rank <= axis < rank and shape[axis] is not None and shape[axis] != size:
                raise ValueError(
                    f"{where}: expected axis {axis} of input shape to have value {size}, but "
                    f"received input with shape {shape}. The layer was built for inputs whose "
                    f"axis {axis} is {size}."
                )
        if s.shape is not None:
            for expected, got in zip(s.shape, shape, strict=False):
                if expected is not None and got is not None and expected != got:
                    raise ValueError(f"{where}: expected shape={s.shape}, found shape={shape}.")
