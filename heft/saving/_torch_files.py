"""PyTorch's checkpoint files: pickled state dicts (``.bin``/``.pt``/``.pth``), Hugging Face's
sharded safetensors, and writing a state dict.

Pickled files are read only through ``torch.load(..., weights_only=True)``,
which refuses any object other than tensors and plain containers; heft never
unpickles them itself. Without PyTorch installed they cannot be read at all.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import struct
from collections.abc import Iterator
from typing import Any

import ml_dtypes
import numpy as np

from . import _checksum, _safetensors, _untrusted
from ._atomic import atomic_path
from ._buffers import Take
from ._format import FileIndex, Opened, StoredArray, WeightFormat, check_readable

PICKLE_SUFFIXES = (".bin", ".pt", ".pth")
INDEX_SUFFIX = ".safetensors.index.json"


def import_torch(filepath: str, action: str) -> Any:
    """``torch``, or an ImportError naming ``filepath`` and the package to install."""
    try:
        import torch
    except ImportError:
        raise ImportError(
            f"{action} '{filepath}' needs PyTorch: it is a pickle-based PyTorch checkpoint, "
            "which heft reads and writes only through `torch.load(weights_only=True)` and "
            "`torch.save`. Install it (`pip install torch`), or use a `.safetensors` file "
            "instead, which needs no PyTorch (convert a checkpoint once with "
            "`safetensors.torch.save_file(torch.load(path), 'model.safetensors')`)."
        ) from None
    return torch


def _to_numpy(tensor: Any, torch: Any) -> np.ndarray:
    tensor = tensor.detach().cpu().contiguous()
    if tensor.dtype == torch.bfloat16:
        return tensor.view(torch.int16).numpy().view(ml_dtypes.bfloat16)
    return tensor.numpy()


def _state_dict(obj: Any, filepath: str, torch: Any) -> dict[str, Any]:
    """The state dict in what ``torch.load`` returned (a checkpoint may wrap it)."""
    if isinstance(obj, dict) and not all(isinstance(v, torch.Tensor) for v in obj.values()):
        for name in ("state_dict", "model_state_dict", "model"):
            inner = obj.get(name)
            if isinstance(inner, dict) and all(isinstance(v, torch.Tensor) for v in inner.values()):
                return inner
    if not isinstance(obj, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in obj.items()
    ):
        raise ValueError(
            f"'{filepath}' does not hold a PyTorch state dict (a dict of parameter names to "
            f"tensors, or a checkpoint dict with one under 'state_dict'): it holds "
            f"{type(obj).__name__!s}. Save `module.state_dict()` and load that file."
        )
    return obj


@contextlib.contextmanager
def open_pickle(filepath: str) -> Iterator[Opened]:
    """Open a pickled PyTorch state dict through ``torch.load(weights_only=True)``.

    Raises:
        ImportError: If PyTorch is not installed.
        FileNotFoundError: If the file does not exist.
        ValueError: If ``torch.load`` refuses the file (not a checkpoint, or one
            holding objects other than tensors) or it holds no state dict.
    """
    check_readable(filepath, "PyTorch `.bin`/`.pt`/`.pth`")
    torch = import_torch(filepath, "Reading")
    try:
        loaded = torch.load(filepath, map_location="cpu", weights_only=True)
    except Exception as err:
        raise ValueError(
            f"Cannot read '{filepath}' as a PyTorch checkpoint: `torch.load(weights_only=True)` "
            f"refused it ({type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}). "
            "It is damaged, in another format, or holds objects other than tensors; heft "
            "never unpickles arbitrary objects. Save `module.state_dict()` with `torch.save`, "
            "or as `.safetensors`."
        ) from None
    arrays = {
        key: _to_numpy(value, torch) for key, value in _state_dict(loaded, filepath, torch).items()
    }
    del loaded
    limit = _untrusted.current().file_entries
    if len(arrays) > limit:
        raise _untrusted.too_large("the tensor list", filepath, len(arrays), limit, "file_entries")
    index = FileIndex(
        {
            key: StoredArray(
                key,
                tuple(a.shape),
                a.dtype.name,
                a.dtype.kind in "biufc" or a.dtype.name == "bfloat16",
            )
            for key, a in arrays.items()
        },
        set(),
    )

    def read(stored: StoredArray, take: Take) -> tuple[np.ndarray, Any]:
        return np.array(arrays[stored.key]), _nothing

    yield Opened(filepath, index, read)


def _nothing() -> None:
    return None


def _bad_index(filepath: str, what: str) -> ValueError:
    return ValueError(
        f"'{filepath}' is not a valid sharded safetensors index: {what}. It should be the "
        "`model.safetensors.index.json` written beside its shards, with a `weight_map` of "
        "tensor names to shard file names."
    )


@contextlib.contextmanager
def open_index(filepath: str) -> Iterator[Opened]:
    """Open Hugging Face's sharded safetensors: an index JSON and its shards in the same folder.

    Every shard is opened and its header checked before any tensor is read,
    and every tensor the index names must be in the shard it names.

    Raises:
        FileNotFoundError: If the index or a shard does not exist.
        ValueError: If the index is malformed, names a shard outside its folder,
            or disagrees with a shard.
    """
    check_readable(filepath, "`.safetensors.index.json`")
    with _untrusted.open_regular(filepath, "a sharded safetensors index") as fh:
        size = os.fstat(fh.fileno()).st_size
        limit = _untrusted.current()
        if size > limit.json_bytes:
            raise _untrusted.too_large("the index", filepath, size, limit.json_bytes, "json_bytes")
        parsed = _untrusted.parse_json(
            fh.read(), "the index", filepath, lambda problem: _bad_index(filepath, problem)
        )
    weight_map = parsed.get("weight_map") if isinstance(parsed, dict) else None
    if not isinstance(weight_map, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in weight_map.items()
    ):
        raise _bad_index(filepath, "it has no `weight_map` of strings to strings")
    folder = os.path.dirname(filepath)
    shards = sorted(set(weight_map.values()))
    for shard in shards:
        if os.path.basename(shard) != shard or shard in ("", ".", ".."):
            raise _bad_index(filepath, f"shard '{shard}' is not a file name in the index's folder")
    with contextlib.ExitStack() as stack:
        opened = {
            s: stack.enter_context(_safetensors.open_file(os.path.join(folder, s))) for s in shards
        }
        arrays: dict[str, StoredArray] = {}
        where: dict[str, Opened] = {}
        for key, shard in weight_map.items():
            part = opened[shard]
            if key not in part.index.arrays:
                raise _bad_index(filepath, f"tensor '{key}' is not in its shard '{shard}'")
            arrays[key] = part.index.arrays[key]
            where[key] = part
        for shard, part in opened.items():
            extra = sorted(set(part.index.arrays) - set(arrays))
            if extra:
                raise _bad_index(
                    filepath, f"shard '{shard}' holds '{extra[0]}', which it does not list"
                )

        def read(stored: StoredArray, take: Take) -> tuple[np.ndarray, Any]:
            return where[stored.key].read(stored, take)

        yield Opened(filepath, FileIndex(arrays, set()), read)


PICKLE_FORMAT = WeightFormat(
    name="pytorch",
    suffixes=PICKLE_SUFFIXES,
    description="a PyTorch state dict (with `layout='torch'`, through `torch.load(weights_only=True)`)",
    open=open_pickle,
)
INDEX_FORMAT = WeightFormat(
    name="sharded safetensors",
    suffixes=(INDEX_SUFFIX,),
    description="Hugging Face's sharded safetensors (with `layout='torch'`)",
    open=open_index,
)


def write_safetensors(tensors: dict[str, np.ndarray], filepath: str, overwrite: bool) -> None:
    """Write ``{key: array}`` as a safetensors file with ``{"format": "pt"}`` metadata, atomically.

    The metadata also holds heft's checksum of each tensor, which heft checks
    when it reads the file back and other readers ignore.

    Raises:
        ValueError: If an array's dtype is not one safetensors stores.
    """
    codes = {name: code for code, name in _safetensors._DTYPES.items()}
    checksums = {key: _checksum.digest(a, key.rsplit("/", 1)[-1]) for key, a in tensors.items()}
    metadata = {
        "format": "pt",
        _safetensors.META_CHECKSUMS: json.dumps(checksums, separators=(",", ":")),
    }
    header: dict[str, Any] = {"__metadata__": metadata}
    order = sorted(tensors, key=lambda k: (-tensors[k].dtype.itemsize, k))
    start = 0
    for key in order:
        array = tensors[key]
        code = codes.get(array.dtype.name)
        if code is None:
            raise ValueError(
                f"Cannot save '{key}' to '{filepath}': its dtype {array.dtype.name} is not one "
                "safetensors stores. Cast the model to float32 first."
            )
        end = start + math.prod(array.shape) * array.dtype.itemsize
        header[key] = {"dtype": code, "shape": list(array.shape), "data_offsets": [start, end]}
        start = end
    raw = _safetensors._encode(header)
    with atomic_path(filepath, overwrite) as tmp, open(tmp, "wb") as out:
        out.write(struct.pack("<Q", len(raw)) + raw)
        for key in order:
            out.write(np.ascontiguousarray(tensors[key]).reshape(-1).view(np.uint8).data)


def write_pickle(tensors: dict[str, np.ndarray], filepath: str, overwrite: bool) -> None:
    """Write ``{key: array}`` with ``torch.save`` as a state dict of tensors, atomically.

    Raises:
        ImportError: If PyTorch is not installed.
    """
    torch = import_torch(filepath, "Writing")
    state = {}
    for key, array in tensors.items():
        array = np.ascontiguousarray(array)
        if array.dtype == ml_dtypes.bfloat16:
            state[key] = torch.from_numpy(array.view(np.int16)).view(torch.bfloat16)
        else:
            state[key] = torch.from_numpy(array.copy())
    with atomic_path(filepath, overwrite) as tmp:
        torch.save(state, tmp)
