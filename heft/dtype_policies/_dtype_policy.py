"""``DTypePolicy``: the compute and variable dtypes of a layer (``"mixed_bfloat16"`` etc.)."""

from __future__ import annotations

from typing import Any

from .. import _config, _dtypes


class DTypePolicy:
    """The dtypes a layer computes in and stores its variables in.

    Args:
        name: ``"mixed_float16"`` or ``"mixed_bfloat16"`` (compute in 16 bits,
            variables in float32), or a dtype name used for both. ``None``
            gives the global policy's name.

    >>> p = DTypePolicy("mixed_bfloat16")
    >>> p.compute_dtype, p.variable_dtype
    ('bfloat16', 'float32')
    """

    def __init__(self, name: str | None = None) -> None:
        if name is None:
            name = _config.dtype_policy().name
        if not isinstance(name, str):
            raise TypeError(
                "'name' must be a string, such as 'mixed_float16'. "
                f"Received: name={name} (of type {type(name)})"
            )
        if name in ("mixed_float16", "mixed_bfloat16"):
            compute, variable = name.split("_")[1], "float32"
        else:
            try:
                compute = variable = _dtypes.standardize_dtype(name)
            except ValueError:
                raise ValueError(
                    f"Cannot convert '{name}' to a mixed precision DTypePolicy. Valid policies "
                    "include 'mixed_float16', 'mixed_bfloat16', and the name of any float "
                    "dtype such as 'float32'."
                ) from None
            name = compute
        self._name = name
        self._compute_dtype = compute
        self._variable_dtype = variable

    @property
    def name(self) -> str:
        return self._name

    @property
    def compute_dtype(self) -> str:
        return self._compute_dtype

    @property
    def variable_dtype(self) -> str:
        return self._variable_dtype

    @property
    def quantization_mode(self) -> None:
        return None

    def get_config(self) -> dict[str, Any]:
        return {"name": self._name}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> DTypePolicy:
        return cls(**config)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.name == self.name  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._name))

    def __repr__(self) -> str:
        return f'<DTypePolicy "{self._name}">'


FloatDTypePolicy = DTypePolicy


def get(identifier: Any) -> DTypePolicy:
    """A ``DTypePolicy`` from ``None`` (global), a policy, a name or a config dict."""
    if identifier is None:
        return _config.dtype_policy()  # type: ignore[return-value]
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, dict):
        return DTypePolicy.from_config(identifier.get("config", identifier))
    if isinstance(identifier, str):
        return DTypePolicy(identifier)
    try:
        return DTypePolicy(_dtypes.standardize_dtype(identifier))
    except ValueError:
        raise ValueError(
            "Cannot interpret `dtype` argument. Expected a string or an instance of "
            f"DTypePolicy. Received: dtype={identifier}"
        ) from None


def serialize(policy: DTypePolicy) -> dict[str, Any]:
    """The Keras dict form of ``policy``."""
    return {
        "module": "keras",
        "class_name": "DTypePolicy",
        "config": policy.get_config(),
        "registered_name": None,
    }
