"""Building a layer: the wrapper every ``build`` runs in, and the shapes ``build`` receives."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _scope, _symbolic


def wrap_build(build: Callable) -> Callable:
    """Wrap a ``build`` so it opens the layer's name scope, records shapes and locks state.

    A build that fails leaves the layer's tracked state as it was before. A
    subclass's ``build`` calling ``super().build()`` runs the inner one plainly.
    """

    @functools.wraps(build)
    def build_wrapper(self: Any, *args: Any, **kwargs: Any) -> None:
        self._check_super_called()
        if self._building:  # a subclass's build calling super().build()
            return build(self, *args, **kwargs)
        self._building = True
        snapshot = self._tracker.snapshot()
        try:
            with self._open_name_scope():
                self._path = _scope.current_path()
                build(self, *args, **kwargs)
        except BaseException:
            self._tracker.restore(snapshot)
            raise
        finally:
            self._building = False
        try:
            bound = inspect.signature(build).bind(self, *args, **kwargs).arguments
            bound.pop(next(iter(bound)))
            self._build_shapes_dict = dict(bound)
        except TypeError:
            self._build_shapes_dict = None
        self.built = True
        self._post_build()
        self._lock_state()

    build_wrapper._heft_build_wrapper = True  # type: ignore[attr-defined]
    return build_wrapper


def is_wrapped(build: Callable) -> bool:
    """Whether ``build`` is already a ``wrap_build`` wrapper."""
    return getattr(build, "_heft_build_wrapper", False)


def shapes_of(x: Any) -> Any:
    """The shape of an array, or the same structure of shapes for a list/tuple/dict of them."""
    if isinstance(x, list | tuple) and not is_shape_like(x):
        return (
            type(x)(shapes_of(v) for v in x) if isinstance(x, tuple) else [shapes_of(v) for v in x]
        )
    if isinstance(x, dict):
        return {k: shapes_of(v) for k, v in x.items()}
    if hasattr(x, "shape"):
        return tuple(x.shape)
    return tuple(np.shape(x))


def is_shape_like(x: Any) -> bool:
    """Whether ``x`` (a list or tuple) is one shape: ints and ``None``s."""
    return all(d is None or isinstance(d, int | np.integer) for d in x)


def shapes_to_symbolic(shape: Any, dtype: str, owner: str) -> Any:
    """Symbolic inputs for a shape, or a list/dict of shapes.

    Raises:
        ValueError: If ``shape`` is neither a shape nor a list or dict of shapes.
    """
    if isinstance(shape, dict):
        return {k: shapes_to_symbolic(v, dtype, owner) for k, v in shape.items()}
    if isinstance(shape, list | tuple) and is_shape_like(shape):
        return _symbolic.KerasTensor(tuple(shape), dtype)
    if isinstance(shape, list | tuple) and shape:
        return [shapes_to_symbolic(s, dtype, owner) for s in shape]
    raise ValueError(
        f"Cannot read the input shape {shape!r} given to `build()` of layer '{owner}'. "
        "Pass a tuple of ints (None for unknown sizes), or a list or dict of such tuples."
    )


def shape_to_spec(shape: Any, dtype: str) -> Any:
    """The ``KerasTensor`` (or list/dict of them) for an output shape."""
    if isinstance(shape, dict):
        return {k: shape_to_spec(v, dtype) for k, v in shape.items()}
    if isinstance(shape, list | tuple) and shape and isinstance(shape[0], list | tuple):
        return [shape_to_spec(s, dtype) for s in shape]
    return _symbolic.KerasTensor(tuple(shape), dtype)
