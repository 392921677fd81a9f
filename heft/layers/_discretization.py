"""``Discretization``: bucket numbers by boundaries given or adapted from data quantiles."""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp
import numpy as np

from . import _adapt_data, _categorical
from ._layer import Layer


def _summarize(values: np.ndarray, epsilon: float) -> np.ndarray:
    """A (values, weights) quantile summary of one batch with about ``1/epsilon`` points."""
    values = np.sort(np.reshape(values, [-1]))
    step = max(values.size / (1.0 / epsilon), 1)
    points = values[int(step - 1) :: int(step)]
    return np.stack([points, np.ones_like(points) * step])


def _compress(summary: np.ndarray, epsilon: float) -> np.ndarray:
    """Re-sample a summary at cumulative-weight fractions ``epsilon, 2*epsilon, ...``."""
    if summary.shape[1] * epsilon < 1:
        return summary
    fractions = epsilon + np.arange(0.0, 1.0, epsilon)
    cumulative = summary[1].cumsum()
    positions = cumulative / cumulative[-1]
    points = np.interp(fractions, positions, summary[0])
    cumulative = np.interp(fractions, positions, cumulative)
    weights = cumulative - np.concatenate((np.array([0]), cumulative[:-1]))
    return np.stack((points, weights)).astype("float32")


def _merge(first: np.ndarray, second: np.ndarray, epsilon: float) -> np.ndarray:
    merged = np.concatenate((first, second), axis=1)
    merged = np.take(merged, np.argsort(merged[0]), axis=1)
    return _compress(merged, epsilon)


class Discretization(Layer):
    """Maps each number to the index of its bucket: ``i`` where ``b[i-1] <= x < b[i]``.

    The boundaries are given (``bin_boundaries``) or found by ``adapt`` as
    approximate quantiles splitting the data into ``num_bins`` bins of about
    equal counts (the same summaries and merges as Keras, so the boundaries are
    equal for the same data and batches). The indices may be returned as they
    are (``"int"``, ``int32``) or encoded (``"one_hot"``, ``"multi_hot"``, ``"count"``).
    ``adapt`` runs on the host with numpy.

    Args:
        bin_boundaries: Sorted boundaries; ``n`` boundaries give ``n + 1`` bins.
        num_bins: The number of bins ``adapt`` makes (instead of ``bin_boundaries``).
        epsilon: The error tolerance of the quantile summaries.
        output_mode: ``"int"``, ``"one_hot"``, ``"multi_hot"`` or ``"count"``.
        sparse: Only ``False`` (heft has no sparse arrays).
        dtype: The layer's dtype (of encoded outputs).
        name: The layer's name.

    Raises:
        ValueError: For both or neither of ``num_bins`` and ``bin_boundaries``, a
            negative ``num_bins``, an unknown ``output_mode``, or ``sparse=True``.

    >>> import numpy as np
    >>> Discretization(bin_boundaries=[0.0, 1.0])(np.array([-1.0, 0.5, 2.0])).tolist()
    [0, 1, 2]
    """

    def __init__(
        self,
        bin_boundaries: Any = None,
        num_bins: int | None = None,
        epsilon: float = 0.01,
        output_mode: str = "int",
        sparse: bool = False,
        dtype: Any = None,
        name: str | None = None,
    ) -> None:
        super().__init__(name=name, dtype=dtype)
        if sparse and output_mode == "int":
            raise ValueError(
                "`sparse=True` may only be used if `output_mode` is `'one_hot'`, "
                f"`'multi_hot'`, or `'count'`. Received: sparse={sparse} and "
                f"output_mode={output_mode}"
            )
        _categorical.check_not_sparse(sparse, "Discretization")
        _categorical.check_output_mode(output_mode, _categorical.OUTPUT_MODES, "Discretization")
        if num_bins is not None and num_bins < 0:
            raise ValueError(
                f"`num_bins` must be greater than or equal to 0. Received: `num_bins={num_bins}`"
            )
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError(
                "Both `num_bins` and `bin_boundaries` should not be set. Received: "
                f"`num_bins={num_bins}` and `bin_boundaries={bin_boundaries}`. Pass one."
            )
        if num_bins is None and bin_boundaries is None:
            raise ValueError(
                "You need to set either `num_bins` (then call `adapt`) or `bin_boundaries`."
            )
        self.bin_boundaries = bin_boundaries
        self.num_bins = num_bins
        self.epsilon = epsilon
        self.output_mode = output_mode
        self.sparse = sparse
        self.summary = None if bin_boundaries else np.array([[], []], dtype="float32")

    @property
    def input_dtype(self) -> str:
        return "float32"

    @property
    def output_dtype(self) -> str:
        return self.compute_dtype if self.output_mode != "int" else "int32"

    def adapt(self, data: Any, steps: int | None = None) -> None:
        """Find ``num_bins`` quantile boundaries of ``data``.

        Args:
            data: An array, a ``tf.data.Dataset``, a ``PyDataset``-like object or
                an iterable of batches.
            steps: The most batches to read from a dataset or iterable.

        Raises:
            ValueError: If the layer was made with ``bin_boundaries`` or the data is empty.
            TypeError: If the data is not numeric.

        On error the layer keeps its boundaries.
        """
        if self.num_bins is None:
            raise ValueError(
                "Cannot adapt a Discretization layer that has been initialized with "
                "`bin_boundaries`, use `num_bins` instead."
            )
        if _adapt_data.is_array(data):
            parts = [data]
        else:
            parts = list(_adapt_data.batches(data, steps))
        summary = np.array([[], []], dtype="float32")
        for part in parts:
            arr = _adapt_data.to_numpy(part)
            if arr.dtype.kind not in "biuf":
                raise TypeError(
                    f"Discretization adapts on numbers, but received an array of dtype "
                    f"{arr.dtype}. Pass numeric data."
                )
            summary = _merge(_summarize(arr.astype("float32"), self.epsilon), summary, self.epsilon)
        if summary.shape[1] == 0:
            raise ValueError("adapt() received empty data. Pass at least one value.")
        self.summary = summary
        self.bin_boundaries = _compress(summary, 1.0 / self.num_bins)[0, :-1].tolist()

    def reset_state(self) -> None:
        if self.num_bins is not None:
            self.summary = np.array([[], []], dtype="float32")

    def call(self, inputs: Any) -> Any:
        if self.bin_boundaries is None:
            raise ValueError(
                "You need to either pass the `bin_boundaries` argument at construction time "
                "or call `adapt(dataset)` before you can start using the `Discretization` layer."
            )
        x = jnp.asarray(inputs)
        if not jnp.issubdtype(x.dtype, jnp.floating):
            x = x.astype("float32")
        indices = jnp.digitize(x, jnp.asarray(self.bin_boundaries, dtype=x.dtype))
        return _categorical.encode(
            indices, self.output_mode, len(self.bin_boundaries) + 1, self.output_dtype
        )

    def _convert_input(self, x: Any) -> Any:
        if isinstance(x, np.ndarray | list) and np.asarray(x).dtype.kind in "USO":
            raise ValueError(
                f"Discretization '{self.name}' takes numbers, but received an array of dtype "
                f"{np.asarray(x).dtype}. Encode strings with `StringLookup` or `Hashing`."
            )
        return super()._convert_input(x)

    def compute_output_shape(self, input_shape: Any) -> Any:
        depth = len(self.bin_boundaries) + 1 if self.bin_boundaries is not None else self.num_bins
        return _categorical.encoded_shape(input_shape, self.output_mode, depth or 0)

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        from .._symbolic import KerasTensor

        return KerasTensor(self.compute_output_shape(args[0].shape), self.output_dtype)

    def load_own_variables(self, store: Any) -> None:
        if len(store) == 1:
            self.summary = np.asarray(store["0"])

    def get_config(self) -> dict[str, Any]:
        return {
            "bin_boundaries": self.bin_boundaries,
            "num_bins": self.num_bins,
            "epsilon": self.epsilon,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
            "name": self.name,
            "dtype": self.dtype,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Discretization:
        config = dict(config)
        config.pop("trainable", None)
        boundaries = None
        if config.get("bin_boundaries") is not None and config.get("num_bins") is not None:
            boundaries = config.pop("bin_boundaries")
        layer = super().from_config(config)
        if boundaries is not None:
            layer.bin_boundaries = boundaries  # type: ignore[attr-defined]
        return layer  # type: ignore[return-value]
