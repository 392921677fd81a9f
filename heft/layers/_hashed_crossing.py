"""``HashedCrossing``: the cross of categorical features, hashed into bins on the host."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from . import _categorical
from ._hashing import canonical_int, host_values
from ._layer import Layer
from ._string_hash import cross_hash


class HashedCrossing(Layer):
    """Hashes each combination of its inputs' values into one of ``num_bins`` bins.

    The inputs (two or more, integers or strings, all of shape ``()``,
    ``(batch,)`` or ``(batch, 1)``) are crossed element by element and each
    tuple hashed as ``tf.sparse.cross_hashed`` does (FarmHash fingerprints of
    strings, integers as they are, combined with ``FingerprintCat64``), so the
    bins equal Keras's. It runs on the host with numpy and Python: call it on
    numpy arrays, e.g. in a data pipeline (Keras on JAX needs TensorFlow here).

    Args:
        num_bins: The number of bins.
        output_mode: ``"int"`` (bin indices) or ``"one_hot"``.
        sparse: Only ``False``.
        name: The layer's name.
        dtype: Defaults to ``"int64"`` for ``"int"`` output (``int32`` arrays unless
            JAX runs with x64), to ``"float32"`` otherwise.
        **kwargs: Base layer arguments.

    >>> import numpy as np
    >>> layer = HashedCrossing(num_bins=5)
    >>> layer((np.array([1, 2]), np.array(["a", "b"]))).shape
    (2,)
    """

    def __init__(
        self,
        num_bins: int,
        output_mode: str = "int",
        sparse: bool = False,
        name: str | None = None,
        dtype: Any = None,
        **kwargs: Any,
    ) -> None:
        if output_mode == "int" and dtype is None:
            dtype = "int64"
        super().__init__(name=name, dtype=dtype)
        if sparse:
            raise ValueError("`sparse=True` can only be used with the TensorFlow backend.")
        _categorical.check_output_mode(output_mode, ("int", "one_hot"), "HashedCrossing")
        self.num_bins = num_bins
        self.output_mode = output_mode
        self.sparse = sparse

    def _convert_input(self, x: Any) -> Any:
        return x

    def call(self, inputs: Any) -> Any:
        if not isinstance(inputs, list | tuple):
            raise ValueError(
                "`HashedCrossing` should be called on a list or tuple of inputs. "
                f"Received: inputs={inputs}"
            )
        if len(inputs) < 2:
            raise ValueError(
                f"`HashedCrossing` should be called on at least two inputs. Received: "
                f"inputs={inputs}"
            )
        if any(isinstance(x, jax.core.Tracer) for x in inputs):
            # Inside a jitted function (a model's predict): integers hashed on the host.
            spec = jax.ShapeDtypeStruct(jnp.shape(inputs[0]), canonical_int("int64"))
            indices = jax.pure_callback(
                lambda *v: self._bins([np.asarray(a) for a in v]).astype(spec.dtype),
                spec,
                *inputs,
            )
        else:
            bins = self._bins([host_values(x) for x in inputs])
            indices = jnp.asarray(bins.astype(canonical_int("int64")))
        out = _categorical.encode(indices, self.output_mode, self.num_bins, self.compute_dtype)
        return out.astype(canonical_int(self.dtype) if self.output_mode == "int" else self.dtype)

    def _bins(self, arrays: list[np.ndarray]) -> np.ndarray:
        """The bin of each tuple of values of ``arrays``, as ``int64`` of their shape."""
        shape = arrays[0].shape
        if len(shape) > 2 or (len(shape) == 2 and shape[-1] != 1):
            raise ValueError(
                "All `HashedCrossing` inputs should have shape `()`, `(batch_size)` or "
                f"`(batch_size, 1)`. Received: inputs={arrays}"
            )
        if not all(a.shape == shape for a in arrays[1:]):
            raise ValueError(
                f"All `HashedCrossing` inputs should have equal shape. Received: inputs={arrays}"
            )
        if not all(a.dtype.kind in "iuUO" for a in arrays):
            raise ValueError(
                "All `HashedCrossing` inputs should have an integer or string dtype. "
                f"Received: inputs={arrays}"
            )
        columns = [a.reshape(-1).tolist() for a in arrays]
        bins = np.asarray(
            [cross_hash(values) % self.num_bins for values in zip(*columns, strict=True)],
            "int64",
        ).reshape(shape)
        return bins

    def compute_output_shape(self, input_shape: Any) -> Any:
        if (
            len(input_shape) != 2
            or not isinstance(input_shape[0], tuple)
            or not isinstance(input_shape[1], tuple)
        ):
            raise ValueError(
                f"Expected as input a list/tuple of 2 tensors. Received input_shape={input_shape}"
            )
        if input_shape[0][-1:] != input_shape[1][-1:]:
            raise ValueError(
                "Expected the two input tensors to have identical shapes. Received "
                f"input_shape={input_shape}"
            )
        first = tuple(input_shape[0])
        if self.output_mode == "int":
            return first
        if first and first[-1] != 1:
            return (*first, self.num_bins)
        return (*first[:-1], self.num_bins)

    def get_config(self) -> dict[str, Any]:
        return {
            "num_bins": self.num_bins,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
            "name": self.name,
            "dtype": self.dtype,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> HashedCrossing:
        config = dict(config)
        config.pop("trainable", None)
        return super().from_config(config)  # type: ignore[return-value]
