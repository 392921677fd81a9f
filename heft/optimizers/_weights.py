"""Reading and writing an optimizer's variables: ``set_weights``, ``get_weights``, save/load hooks."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import jax
import numpy as np


class OptimizerWeights:
    """The weight-transfer methods of ``Optimizer`` (which provides ``variables``, ``built``, ``name``)."""

    variables: list
    built: bool
    name: str

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Set every optimizer variable, in ``variables`` order; nothing is set if one fails.

        Raises:
            ValueError: If the optimizer is not built, or a count or shape differs.
        """
        if not self.built:
            raise ValueError(
                "You are calling `set_weights()` on an optimizer that has not yet been built. "
                "Please call `optimizer.build(trainable_variables)` to create the optimizer "
                "weights before calling `set_weights()`."
            )
        opt_vars = self.variables
        weights = list(weights)
        if len(weights) != len(opt_vars):
            raise ValueError(
                f"Optimizer '{self.name}' has {len(opt_vars)} variables but {len(weights)} "
                "weights were given. Pass one array per entry of `optimizer.variables`."
            )
        for v, w in zip(opt_vars, weights, strict=True):
            if tuple(v.shape) != tuple(np.shape(w)):
                raise ValueError(
                    f"Optimizer variable {v.path} has shape {tuple(v.shape)} not compatible "
                    f"with provided weight shape {tuple(np.shape(w))}."
                )
        for v, w in zip(opt_vars, weights, strict=True):
            v.assign(w)

    def get_weights(self) -> list[np.ndarray]:
        """The values of ``variables`` as numpy arrays."""
        return [np.asarray(x) for x in jax.device_get([v.value for v in self.variables])]

    def save_own_variables(self, store: Any) -> None:
        """Write the variables to ``store`` under keys ``"0"``, ``"1"``, ... ."""
        for i, v in enumerate(self.variables):
            store[str(i)] = v.numpy()

    def load_own_variables(self, store: Any) -> None:
        """Read the variables from ``store``; warns and skips on a count mismatch, as Keras."""
        opt_vars = self.variables
        if len(store.keys()) != len(opt_vars):
            msg = (
                f"Skipping variable loading for optimizer '{self.name}', because it has "
                f"{len(opt_vars)} variables whereas the saved optimizer has "
                f"{len(store.keys())} variables. "
            )
            if len(opt_vars) <= 2 and not self.built:
                msg += "This is likely because the optimizer has not been called/built yet."
            warnings.warn(msg, stacklevel=2)
            return
        for i, v in enumerate(opt_vars):
            v.assign(store[str(i)])
