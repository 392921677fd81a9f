"""Weights made from a layer's own initializer, regularizer and constraint arguments."""

from __future__ import annotations

from typing import Any


def configured_weight(
    layer: Any, name: str, shape: tuple[int, ...], kind: str, initializer: Any = None
) -> Any:
    """``layer.add_weight`` with the layer's ``<kind>_initializer``, ``_regularizer``, ``_constraint``.

    Args:
        layer: The layer being built.
        name: The weight's name (``"kernel"``, ``"bias"``...).
        shape: The weight's shape.
        kind: The prefix of the layer's arguments for this weight (``"kernel"``,
            ``"bias"``, ``"depthwise"``...).
        initializer: Used instead of ``<kind>_initializer`` when given.

    >>> import heft
    >>> layer = heft.layers.Dense(2)
    >>> configured_weight(layer, "extra", (3,), "bias").path
    'dense/extra'
    """
    if initializer is None:
        initializer = getattr(layer, f"{kind}_initializer")
    return layer.add_weight(
        name=name,
        shape=shape,
        initializer=initializer,
        regularizer=getattr(layer, f"{kind}_regularizer"),
        constraint=getattr(layer, f"{kind}_constraint"),
    )


def optional_bias(layer: Any, shape: tuple[int, ...] | None) -> Any:
    """The layer's ``bias`` of ``shape``; ``None`` when ``shape`` is, or the layer's ``use_bias`` is False.

    >>> import heft
    >>> optional_bias(heft.layers.Dense(2, use_bias=False), (2,)) is None
    True
    """
    if shape is None or not getattr(layer, "use_bias", True):
        return None
    return configured_weight(layer, "bias", shape, "bias")


class KernelAttribute:
    """Mixin for layers that keep their kernel as ``_kernel`` and show it as ``kernel``.

    Reading ``kernel`` before the layer is built raises an ``AttributeError``
    that says how to build it.
    """

    @property
    def kernel(self) -> Any:
        if "_kernel" not in self.__dict__:
            raise AttributeError(
                f"{type(self).__name__} layer '{self.name}' is not built yet, so it has no "
                "`kernel`. Call it on data or call `layer.build(input_shape)` first."
            )
        return self._kernel
