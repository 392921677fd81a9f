"""``InputLayer`` and ``Input``: where a model's symbolic inputs come from."""

from __future__ import annotations

from typing import Any

from .. import _dtypes, _symbolic
from . import _node
from ._layer import Layer


class InputLayer(Layer):
    """The layer that owns a model input; it holds no weights.

    Args:
        shape: Shape of one sample (no batch dimension).
        batch_size: Optional fixed batch size.
        dtype: The input dtype; defaults to ``floatx()``.
        sparse: Kept for Keras compatibility; heft inputs are dense.
        batch_shape: Full shape including the batch dimension (instead of ``shape``).
        input_tensor: An existing symbolic tensor to wrap.
        optional: Whether the input may be ``None``.
        name: The layer's name.

    >>> InputLayer(shape=(3,)).batch_shape
    (None, 3)
    """

    def __init__(
        self,
        shape: Any = None,
        batch_size: int | None = None,
        dtype: Any = None,
        sparse: bool | None = None,
        batch_shape: Any = None,
        input_tensor: Any = None,
        optional: bool = False,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        if "input_shape" in kwargs:
            shape = kwargs.pop("input_shape")
        if "batch_input_shape" in kwargs:
            batch_shape = kwargs.pop("batch_input_shape")
        super().__init__(name=name, **kwargs)
        if shape is not None and batch_shape is not None:
            raise ValueError(
                "You cannot pass both `shape` and `batch_shape` at the same time. Pass one."
            )
        if sparse:
            raise ValueError(
                "heft inputs are dense: `sparse=True` is not supported. Densify the data "
                "before feeding it."
            )
        if input_tensor is not None:
            if not isinstance(input_tensor, _symbolic.KerasTensor):
                raise ValueError(
                    "Argument `input_tensor` must be a symbolic KerasTensor (from `heft.Input`). "
                    f"Received: input_tensor={input_tensor} of type {type(input_tensor)}"
                )
            batch_shape = input_tensor.shape
            dtype = dtype or input_tensor.dtype
        if shape is None and batch_shape is None:
            raise ValueError(
                "You must pass a `shape` argument (the shape of one sample, e.g. "
                "`Input(shape=(784,))`) or a `batch_shape`."
            )
        if shape is not None:
            if isinstance(shape, int):
                shape = (shape,)
            batch_shape = (batch_size, *tuple(shape))
        self._batch_shape = tuple(None if d is None else int(d) for d in batch_shape)
        self._dtype_name = _dtypes.standardize_dtype(dtype)
        self.optional = optional
        if input_tensor is not None:
            tensor = input_tensor
        else:
            tensor = _symbolic.KerasTensor(
                self._batch_shape, dtype=self._dtype_name, name=self.name
            )
        _node.record_input(self, tensor)
        self._output_tensor = tensor
        self.built = True
        self._lock_state()

    @property
    def batch_shape(self) -> tuple:
        return self._batch_shape

    @property
    def dtype(self) -> str:
        return self._dtype_name

    @property
    def output(self) -> _symbolic.KerasTensor:
        return self._output_tensor

    def call(self, inputs: Any = None) -> Any:
        return inputs

    def get_config(self) -> dict[str, Any]:
        return {
            "batch_shape": list(self._batch_shape),
            "dtype": self._dtype_name,
            "sparse": False,
            "ragged": False,
            "name": self.name,
            "optional": self.optional,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> InputLayer:
        config = dict(config)
        config.pop("ragged", None)
        return cls(**config)


def Input(
    shape: Any = None,
    batch_size: int | None = None,
    dtype: Any = None,
    sparse: bool | None = None,
    batch_shape: Any = None,
    name: str | None = None,
    tensor: Any = None,
    optional: bool = False,
) -> _symbolic.KerasTensor:
    """A symbolic input for a model, of ``shape`` per sample.

    Args:
        shape: Shape of one sample, e.g. ``(784,)``.
        batch_size: Optional fixed batch size.
        dtype: The input dtype; defaults to ``floatx()``.
        sparse: Not supported (heft inputs are dense).
        batch_shape: Full shape including the batch dimension.
        name: Name of the input layer.
        tensor: An existing symbolic tensor to wrap.
        optional: Whether the input may be ``None``.

    Returns:
        A ``KerasTensor`` whose history points to a new ``InputLayer``.

    >>> Input(shape=(784,)).shape
    (None, 784)
    """
    layer = InputLayer(
        shape=shape,
        batch_size=batch_size,
        dtype=dtype,
        sparse=sparse,
        batch_shape=batch_shape,
        name=name,
        input_tensor=tensor,
        optional=optional,
    )
    return layer.output
