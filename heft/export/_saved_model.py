"""``Model.export``: a model's inference call as the ``serve`` endpoint of a SavedModel."""

from __future__ import annotations

import os
from typing import Any

from ._signature import model_input_signature

DEFAULT_ENDPOINT_NAME = "serve"

# The formats Keras 3.15's `Model.export` knows, in its order.
FORMATS = ("tf_saved_model", "onnx", "openvino", "litert", "torch")

_SAVED_MODEL_HINT = (
    "heft exports `format='tf_saved_model'`; a converter that reads SavedModels can take "
    "it from there"
)
_UNSUPPORTED = {
    "onnx": (
        "format='onnx' is not supported in heft: ONNX export needs the tf2onnx/onnx "
        f"toolchain. {_SAVED_MODEL_HINT} (`python -m tf2onnx.convert --saved-model PATH "
        "--output model.onnx`)."
    ),
    "openvino": (
        "format='openvino' is not supported in heft: OpenVINO export needs the OpenVINO "
        f"toolchain. {_SAVED_MODEL_HINT} (`openvino.convert_model(PATH)`)."
    ),
    "litert": (
        "format='litert' is not supported in heft: LiteRT export needs the LiteRT "
        "(TensorFlow Lite) converter, which Keras itself runs only on its TensorFlow and "
        "PyTorch backends. Use format='tf_saved_model'."
    ),
    "torch": (
        "format='torch' is not supported in heft: it writes a PyTorch ExportedProgram, which "
        "Keras makes only on its PyTorch backend, and heft runs on JAX. Use "
        "format='tf_saved_model'."
    ),
}


def export_model(
    model: Any,
    filepath: str | os.PathLike,
    format: str = "tf_saved_model",
    verbose: bool | None = None,
    input_signature: Any = None,
    **kwargs: Any,
) -> None:
    """``Model.export``: check ``format``, then write a SavedModel (see there)."""
    if format not in FORMATS:
        raise ValueError(f"Unrecognized format={format}. Supported formats are: {list(FORMATS)}.")
    if format != "tf_saved_model":
        raise ValueError(_UNSUPPORTED[format])
    export_saved_model(model, filepath, verbose, input_signature=input_signature, **kwargs)


def export_saved_model(
    model: Any,
    filepath: str | os.PathLike,
    verbose: bool | None = None,
    input_signature: Any = None,
    **kwargs: Any,
) -> None:
    """Write ``model``'s call (inference mode) as the endpoint ``serve`` of a SavedModel.

    Args:
        model: A built heft model.
        filepath: The SavedModel folder.
        verbose: Whether to print the endpoint (``None``: yes).
        input_signature: As for ``ExportArchive.add_endpoint``; by default the
            model's inputs with a free batch dimension.
        **kwargs: ``is_static`` and ``jax2tf_kwargs`` (see ``ExportArchive.add_endpoint``).
    """
    from ._archive import ExportArchive

    if input_signature is None:
        input_signature = model_input_signature(model)
    archive = ExportArchive()
    archive.track_and_add_endpoint(DEFAULT_ENDPOINT_NAME, model, input_signature, **kwargs)
    archive.write_out(filepath, verbose=True if verbose is None else verbose)
