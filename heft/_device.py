"""``heft.device``: a scope that places the arrays created inside it on one JAX device."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import jax


def _resolve(device_name: Any) -> Any:
    if isinstance(device_name, jax.Device):
        return device_name
    if not isinstance(device_name, str):
        raise ValueError(
            f"Invalid value for argument `device_name`: {device_name!r}. Expected a string "
            "such as 'cpu', 'gpu:0' or 'tpu:1', or a `jax.Device`."
        )
    kind, _, index = device_name.lower().partition(":")
    if kind == "cuda":
        kind = "gpu"
    try:
        devices = jax.devices(kind)
    except RuntimeError:
        devices = []
    position = int(index) if index.isdigit() else 0 if not index else -1
    if not devices or not 0 <= position < len(devices):
        available = ", ".join(f"{d.platform}:{d.id}" for d in jax.devices())
        raise ValueError(
            f"Invalid device {device_name!r}: there is no such JAX device here. "
            f"Available devices: {available}."
        )
    return devices[position]


@contextlib.contextmanager
def device(device_name: Any) -> Iterator[Any]:
    """Place arrays created inside the scope on ``device_name`` (``"cpu:0"``, ``"gpu:1"``, ...).

    This is ``jax.default_device``: arrays made by heft (weights, ``heft.ops``
    results of uncommitted inputs) go to that device.

    Raises:
        ValueError: If the name is malformed or the device does not exist.

    >>> import heft
    >>> with device("cpu:0"):
    ...     x = heft.ops.ones((2,))
    >>> next(iter(x.devices())).platform
    'cpu'
    """
    target = _resolve(device_name)
    with jax.default_device(target):
        yield target
