"""``Hashing``: values (strings or numbers) to bins by FarmHash or keyed SipHash, on the host."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from . import _categorical
from ._layer import Layer
from ._string_hash import fingerprint64, siphash24


def as_hash_text(value: Any) -> bytes:
    """A value as the bytes TensorFlow's ``as_string`` gives it (strings as UTF-8)."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, bool | np.bool_):
        return b"true" if value else b"false"
    if isinstance(value, float | np.floating):
        value = int(value)
    return str(int(value)).encode("ascii")


def hash_to_bins(values: Any, num_bins: int, salt: list[int] | None) -> np.ndarray:
    """The bin (``hash % num_bins``) of each value, as ``int64``; equal values hashed once."""
    arr = np.asarray(values)
    if arr.dtype.kind == "f":
        arr = np.trunc(arr).astype("int64")
    flat = arr.reshape(-1)
    if flat.size == 0:
        return np.zeros(arr.shape, "int64")
    uniques, inverse = np.unique(flat, return_inverse=True)
    if salt is None:
        hashed = [fingerprint64(as_hash_text(u)) % num_bins for u in uniques.tolist()]
    else:
        key = (int(salt[0]), int(salt[1]))
        hashed = [siphash24(key, as_hash_text(u)) % num_bins for u in uniques.tolist()]
    return np.asarray(hashed, "int64")[inverse].reshape(arr.shape)


def host_values(inputs: Any) -> np.ndarray:
    """Inputs of a host-side layer as a numpy array (bytes decoded to ``str``)."""
    if hasattr(inputs, "numpy") and not isinstance(inputs, np.ndarray | jax.Array):
        inputs = inputs.numpy()
    arr = np.asarray(inputs)
    if arr.dtype.kind == "S":
        arr = np.char.decode(arr, "utf-8")
    return arr


def canonical_int(dtype: Any) -> Any:
    """``dtype`` as JAX stores it (``int64`` becomes ``int32`` without x64)."""
    return jax.dtypes.canonicalize_dtype(np.dtype(dtype))


class Hashing(Layer):
    """Hashes each value into one of ``num_bins`` bins (the same bins as Keras).

    Strings are hashed as their UTF-8 bytes, integers as their decimal text and
    floats as the decimal text of their integer part, with FarmHash
    ``Fingerprint64`` or, when ``salt`` is given, SipHash-2-4 keyed by ``salt``:
    the hashes Keras reaches through TensorFlow, computed here on the host
    without it. Strings are read from numpy arrays (``str``, ``bytes`` or
    object dtype); numeric inputs may also come from inside a jitted function
    (the hashing then runs as a host callback). With ``mask_value``, values
    equal to it go to bin ``0`` and the others to ``1 ... num_bins - 1``.

    Args:
        num_bins: The number of bins (``> 0``), including the mask bin.
        mask_value: The value sent to bin 0, or ``None``.
        salt: An integer, or a pair of integers, keying SipHash; ``None`` uses FarmHash.
        output_mode: ``"int"``, ``"one_hot"``, ``"multi_hot"`` or ``"count"``.
        sparse: Only ``False`` (heft has no sparse arrays).
        **kwargs: Base layer arguments; ``dtype`` defaults to ``"int64"`` for
            ``"int"`` output (``int32`` arrays unless JAX runs with x64) and
            ``"float32"`` otherwise.

    Raises:
        ValueError: For a bad ``num_bins``, ``salt``, ``output_mode`` or dtype,
            or ``sparse=True``.

    >>> import numpy as np
    >>> Hashing(num_bins=3)(np.array([["A"], ["B"], ["C"]])).tolist()
    [[1], [0], [1]]
    """

    def __init__(
        self,
        num_bins: int,
        mask_value: Any = None,
        salt: Any = None,
        output_mode: str = "int",
        sparse: bool = False,
        **kwargs: Any,
    ) -> None:
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int64" if output_mode == "int" else "float32"
        super().__init__(**kwargs)
        if num_bins is None or num_bins <= 0:
            raise ValueError(
                "The `num_bins` for `Hashing` cannot be `None` or non-positive values. "
                f"Received: num_bins={num_bins}."
            )
        if output_mode == "int" and self.dtype_policy.name not in ("int32", "int64"):
            raise ValueError(
                "When `output_mode=\"int\"`, `dtype` should be an integer type, 'int32' or "
                f"'int64'. Received: dtype={kwargs['dtype']}"
            )
        modes = ("int", "one_hot", "multi_hot", "count")
        if output_mode not in modes:
            raise ValueError(
                f"Invalid value for argument `output_mode`. Expected one of {modes}. "
                f"Received: output_mode={output_mode}"
            )
        if sparse and output_mode == "int":
            raise ValueError(
                '`sparse` may only be true if `output_mode` is `"one_hot"`, `"multi_hot"`, '
                f'or `"count"`. Received: sparse={sparse} and output_mode={output_mode}'
            )
        _categorical.check_not_sparse(sparse, "Hashing")
        self.num_bins = num_bins
        self.mask_value = mask_value
        self.strong_hash = salt is not None
        self.output_mode = output_mode
        self.sparse = sparse
        self.salt: list[int] | None = None
        if salt is not None:
            if isinstance(salt, tuple | list) and len(salt) == 2:
                self.salt = list(salt)
            elif isinstance(salt, int):
                self.salt = [salt, salt]
            else:
                raise ValueError(
                    "The `salt` argument for `Hashing` can only be a tuple of size 2 integers, "
                    f"or a single integer. Received: salt={salt}."
                )

    def _convert_input(self, x: Any) -> Any:
        return x

    def _bins(self, values: np.ndarray) -> np.ndarray:
        values = host_values(values)
        bins = self.num_bins
        mask = None
        if self.mask_value is not None and bins > 1:
            bins -= 1
            mask = values == self.mask_value
        out = hash_to_bins(values, bins, self.salt)
        if mask is not None:
            out = np.where(mask, 0, out + 1)
        return out

    def call(self, inputs: Any) -> Any:
        if isinstance(inputs, jax.Array) and isinstance(inputs, jax.core.Tracer):
            shape = jax.ShapeDtypeStruct(inputs.shape, canonical_int("int64"))
            indices = jax.pure_callback(
                lambda v: self._bins(np.asarray(v)).astype(shape.dtype), shape, inputs
            )
        else:
            values = host_values(inputs)
            if self.output_mode == "one_hot" and values.ndim and values.shape[-1] == 1:
                values = values.reshape(values.shape[:-1])
            indices = jnp.asarray(self._bins(values).astype(canonical_int("int64")))
        if self.output_mode == "int":
            return indices.astype(canonical_int(self.dtype))
        return _categorical.encode(indices, self.output_mode, self.num_bins, self.dtype)

    def compute_output_shape(self, input_shape: Any) -> Any:
        if self.output_mode == "int":
            return tuple(input_shape)
        if len(input_shape) == 0:
            return (self.num_bins,)
        return (*tuple(input_shape)[:-1], self.num_bins)

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        from .._symbolic import KerasTensor

        return KerasTensor(self.compute_output_shape(args[0].shape), self.dtype)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "num_bins": self.num_bins,
                "salt": self.salt,
                "mask_value": self.mask_value,
                "output_mode": self.output_mode,
                "sparse": self.sparse,
            }
        )
        return config
