"""Input signatures of exported endpoints: from a model, from specs, as ``tf.TensorSpec``s."""

from __future__ import annotations

import itertools
import string
from collections.abc import Iterator
from typing import Any

from .. import tree
from .._dtypes import standardize_dtype
from .._symbolic import KerasTensor
from ..layers._input_spec import InputSpec
from ..ops import is_tensor


def model_input_signature(model: Any) -> list[Any]:
    """The input signature of a built model's call, batch dimension left free.

    A Functional model takes one argument (the structure of its inputs), so its
    signature is a one-element list holding that structure; a Sequential model's
    is one spec per input; a subclassed model's comes from the shapes it was built
    with.

    Raises:
        TypeError: If ``model`` is not a ``heft.Model``.
        ValueError: If the model is not built, or a subclassed model was never called.
    """
    from ..models import Functional, Model, Sequential

    if not isinstance(model, Model):
        raise TypeError(
            "The model must be a `heft.Model` (or a `keras.Model` written with `import heft "
            f"as keras`). Received: model={model} of the type {type(model)}"
        )
    if not model.built:
        raise ValueError(
            f"The model provided has not yet been built. It must be built before export: "
            f"call it on a batch of data, or call `model.build(input_shape)`. Model: "
            f"'{model.name}'."
        )
    if isinstance(model, Functional):
        return [tree.map_structure(make_input_spec, model.input)]
    if isinstance(model, Sequential):
        return list(tree.map_structure(make_input_spec, model.inputs))
    shapes = model.__dict__.get("_build_shapes_dict")
    if not shapes:
        raise ValueError(
            f"The model provided has never been called, so the shapes of its inputs are "
            f"unknown. Call it once on a batch of data before export, or pass "
            f"`input_signature`. Model: '{model.name}'."
        )
    return [_spec_from_shape(value, model.input_dtype) for value in shapes.values()]


def _spec_from_shape(structure: Any, dtype: str) -> Any:
    """Specs for a recorded build shape (or a dict/list/tuple of them), batch left free."""
    if isinstance(structure, dict):
        return {k: _spec_from_shape(v, dtype) for k, v in structure.items()}
    if isinstance(structure, (tuple, list)):
        if all(d is None or isinstance(d, int) for d in structure):
            return InputSpec(shape=(None, *tuple(structure)[1:]), dtype=dtype)
        return type(structure)(_spec_from_shape(v, dtype) for v in structure)
    raise ValueError(
        f"Cannot make an input spec from the recorded build shape {structure!r} of type "
        f"{type(structure)}: expected a tuple or list of dimensions, or a dict, list or "
        "tuple of them. Pass `input_signature` explicitly."
    )


def make_input_spec(x: Any) -> InputSpec:
    """An ``InputSpec`` with shape and dtype for ``x``, batch dimension left free.

    ``x`` is an ``InputSpec`` (returned as is; it must have a shape and a dtype),
    a symbolic ``KerasTensor`` or an array.

    Raises:
        ValueError: For an ``InputSpec`` without shape or dtype.
        TypeError: For anything else.
    """
    if isinstance(x, InputSpec):
        if x.shape is None or x.dtype is None:
            raise ValueError(
                "The `shape` and `dtype` must be provided. Received: "
                f"x={x}. Pass for example `InputSpec(shape=(None, 3), dtype='float32')`."
            )
        return x
    if isinstance(x, KerasTensor):
        return InputSpec(
            dtype=standardize_dtype(x.dtype), shape=(None, *tuple(x.shape)[1:]), name=x.name
        )
    if is_tensor(x):
        return InputSpec(dtype=standardize_dtype(x.dtype), shape=(None, *tuple(x.shape)[1:]))
    raise TypeError(
        f"Unsupported x={x} of the type ({type(x)}). Supported types are: `heft.InputSpec`, "
        "`heft.KerasTensor`, `tf.TensorSpec` and JAX arrays."
    )


def make_tf_tensor_spec(x: Any, tf: Any) -> Any:
    """``x`` as a ``tf.TensorSpec`` (a ``tf.TensorSpec`` is kept as it is)."""
    if isinstance(x, tf.TensorSpec):
        return x
    spec = make_input_spec(x)
    return tf.TensorSpec(spec.shape, dtype=spec.dtype, name=spec.name)


def _dimension_names() -> Iterator[str]:
    """``a, b, ..., z, aa, ab, ..., zz``: names for unknown non-batch dimensions."""
    pairs = ("".join(p) for p in itertools.product(string.ascii_lowercase, repeat=2))
    return itertools.chain(string.ascii_lowercase, pairs)


def polymorphic_shapes(signature: Any) -> Any:
    """``jax2tf`` shape strings for a structure of specs: ``"(batch, 3)"``.

    The first unknown dimension of each input is ``batch`` (shared by all inputs);
    other unknown dimensions get their own names (``a``, ``b``, ...), so nothing
    but the batch is assumed equal across inputs.
    """
    names = _dimension_names()

    def convert(spec: Any) -> str:
        dims = []
        for index, dim in enumerate(list(spec.shape)):
            if dim is not None:
                dims.append(str(dim))
            elif index == 0:
                dims.append("batch")
            else:
                dims.append(next(names))
        return f"({', '.join(dims)})"

    return tree.map_structure(convert, signature)


def static_shapes(variables: list[Any]) -> list[str]:
    """``jax2tf`` shape strings for variables, whose shapes are all known."""
    return [f"({', '.join(str(d) for d in v.shape)})" for v in variables]


def export_platforms(jax_platform: str, tf_sees_gpu: bool) -> tuple[str, ...] | None:
    """The platforms to lower an endpoint for, or ``None`` for JAX's default.

    JAX lowers for the platform it runs on. When that is a GPU (``cuda``,
    ``rocm``) that the installed TensorFlow cannot use, the artifact is lowered
    for the CPU as well, so that TensorFlow on this machine (or any CPU server)
    can run it.
    """
    if jax_platform not in ("cuda", "rocm") or tf_sees_gpu:
        return None
    return (jax_platform, "cpu")
