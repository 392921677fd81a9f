"""Hostile variants of one weight-file format, loaded in this process (run by test_hostile_properties).

``python hostile_child.py SUFFIX EXAMPLES MEMORY_MIB`` saves a model in the
format ``SUFFIX``, then lets hypothesis generate hostile variants of the saved
file (nesting, declared sizes, special files, parts swapped in from another
save, decompression bombs, floods of entries, cut and flipped bytes) and loads
each. Every load must either give exactly the values of a complete save, or
raise the documented error naming the file with the model unchanged; no load
may leave a file behind. The process runs under an address-space limit, and
the parent under a timeout, so a runaway or a hang fails instead of stalling.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import stat
import struct
import sys
import tempfile
import zipfile

SUFFIX, EXAMPLES, MEMORY_MIB = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
resource.setrlimit(resource.RLIMIT_AS, (MEMORY_MIB << 20, MEMORY_MIB << 20))

import h5py  # noqa: E402
import numpy as np  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import heft  # noqa: E402

SHARD = 60 / 1024**3  # shards of at most 60 bytes: several shards for the model below


def make_model(seed: int) -> heft.Model:
    model = heft.Sequential([heft.Input((3,)), heft.layers.Dense(4), heft.layers.Dense(2)])
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(size=w.shape).astype("float32") for w in model.weights])
    return model


def values(model: heft.Model) -> list[bytes]:
    return [w.numpy().tobytes() for w in model.weights]


def save(model: heft.Model, folder: str) -> str:
    path = os.path.join(folder, f"m.{SUFFIX}")
    if SUFFIX == "keras":
        model.save(path)
    elif SUFFIX == "weights.json":
        model.save_weights(path, max_shard_size=SHARD)
    else:
        model.save_weights(path)
    return path


ROOT = tempfile.mkdtemp()
SAVES = {}
for seed in (0, 1):
    folder = os.path.join(ROOT, f"save{seed}")
    os.mkdir(folder)
    SAVES[seed] = (save(make_model(seed), folder), values(make_model(seed)))
TARGET = make_model(2)
BEFORE = values(TARGET)


# --------------------------------------------------------------------------- mutations
def _files(folder: str) -> list[str]:
    """The non-empty files of ``folder`` (a sharded save's lock file is empty)."""
    return sorted(
        os.path.join(folder, name)
        for name in os.listdir(folder)
        if os.path.isfile(os.path.join(folder, name))
        and os.path.getsize(os.path.join(folder, name)) > 0
    )


def _deep(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def _special(path: str, kind: str) -> None:
    os.remove(path)
    if kind == "fifo":
        os.mkfifo(path)
    else:
        os.symlink("/dev/zero", path)


def _edit_json(path: str, edit) -> None:
    with open(path, "rb") as fh:
        data = json.loads(fh.read())
    data = edit(data)
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    with open(path, "wb") as fh:
        fh.write(raw)


def _safetensors_header(path: str, edit) -> None:
    with open(path, "rb") as fh:
        raw = fh.read()
    (length,) = struct.unpack("<Q", raw[:8])
    header = edit(json.loads(raw[8 : 8 + length]))
    text = header if isinstance(header, bytes) else json.dumps(header).encode()
    text += b" " * (-(8 + len(text)) % 8)
    with open(path, "wb") as fh:
        fh.write(struct.pack("<Q", len(text)) + text + raw[8 + length :])


def _h5_bomb(path: str) -> None:
    """A dataset declaring 16 GiB, chunked and compressed, with no data written."""
    with h5py.File(path, "a") as f:
        key = next(k for k in _datasets(f))
        attrs = dict(f[key].attrs)
        del f[key]
        ds = f.create_dataset(
            key, shape=(1 << 16, 1 << 16), dtype="float32", chunks=(256, 256), compression="gzip"
        )
        for name, value in attrs.items():
            ds.attrs[name] = value


def _h5_flood(path: str, count: int) -> None:
    """``count`` extra entries: hard links to one tiny dataset (quick to write, each indexed)."""
    with h5py.File(path, "a") as f:
        group = f.create_group("flood")
        first = group.create_dataset("0", data=np.zeros(1, "float32"))
        for i in range(1, count):
            group[str(i)] = first


def _datasets(f: h5py.File) -> list[str]:
    found: list[str] = []
    f.visititems(lambda k, o: found.append(k) if isinstance(o, h5py.Dataset) else None)
    return found


def _zip_rewrite(path: str, member: str, payload, compress: bool = True) -> None:
    """Rewrite the archive with ``member`` replaced by ``payload`` (bytes, or a writer)."""
    tmp = path + ".build"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w") as dst:
        for info in src.infolist():
            if info.filename != member:
                dst.writestr(info, src.read(info))
                continue
            method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
            if callable(payload):
                with dst.open(zipfile.ZipInfo(member), "w", force_zip64=True) as out:
                    payload(out)
            else:
                dst.writestr(zipfile.ZipInfo(member), payload, compress_type=method)
    os.replace(tmp, path)


def _zeros(total: int):
    def write(out) -> None:
        block = bytes(1 << 20)
        for _ in range(total >> 20):
            out.write(block)

    return write


OPERATIONS = {
    "every": ["truncate", "flip", "fifo", "zero", "replace"],
    "weights.h5": ["bomb", "flood"],
    "h5": ["bomb", "flood"],
    "safetensors": ["nest header", "nest entry", "nest metadata", "huge shape", "flood"],
    "weights.json": [
        "nest index",
        "fifo shard",
        "zero shard",
        "swap shard",
        "bomb shard",
        "missing shard",
    ],
    "keras": ["nest config", "bomb member", "swap weights", "fifo archive", "huge config"],
}
# Operations after which the file is a complete save of the other model: loading
# it exactly is as right as refusing it.
WHOLE = {"replace", "swap weights"}


def mutate(path: str, op: str, data) -> None:
    folder = os.path.dirname(path)
    other_path = SAVES[1][0]
    files = _files(folder) if SUFFIX == "weights.json" else [path]
    if op in ("truncate", "flip"):
        target = data.draw(st.sampled_from(files), label="file")
        raw = bytearray(open(target, "rb").read())
        if op == "truncate":
            del raw[data.draw(st.integers(0, len(raw) - 1), label="cut") :]
        else:
            for _ in range(data.draw(st.integers(1, 4), label="flips")):
                at = data.draw(st.integers(0, len(raw) - 1), label="at")
                raw[at] ^= data.draw(st.integers(1, 255), label="xor")
        open(target, "wb").write(bytes(raw))
    elif op in ("fifo", "zero", "fifo archive"):
        _special(path, "fifo" if op.startswith("fifo") else "zero")
    elif op == "replace":
        for name in os.listdir(folder):
            os.remove(os.path.join(folder, name))
        for name in os.listdir(os.path.dirname(other_path)):
            shutil.copy(os.path.join(os.path.dirname(other_path), name), folder)
    elif op == "bomb":
        _h5_bomb(path)
    elif op == "flood":
        count = data.draw(st.sampled_from([1000, 40_000]), label="count")
        if SUFFIX == "safetensors":

            def add(header):
                end = max(e["data_offsets"][1] for k, e in header.items() if k != "__metadata__")
                for i in range(count * 5):
                    header[f"f{i}"] = {"dtype": "F32", "shape": [0], "data_offsets": [end, end]}
                return header

            _safetensors_header(path, add)
        else:
            _h5_flood(path, count)
    elif op == "nest header":
        _safetensors_header(path, lambda h: _deep(data.draw(st.sampled_from([150, 100_000]))))
    elif op == "nest entry":

        def nest(header):
            key = next(k for k in header if k != "__metadata__")
            return (
                json.dumps(header)
                .replace(f'"{key}": {{', f'"{key}": {{"x": {_deep(100_000).decode()}, ', 1)
                .encode()
            )

        _safetensors_header(path, nest)
    elif op == "nest metadata":
        _safetensors_header(
            path,
            lambda h: (
                json.dumps(h)
                .replace(
                    '"__metadata__": {', f'"__metadata__": {{"x": {_deep(100_000).decode()}, ', 1
                )
                .encode()
            ),
        )
    elif op == "huge shape":

        def huge(header):
            key = next(k for k in header if k != "__metadata__")
            header[key]["shape"] = [1 << 31, 1 << 31]
            return header

        _safetensors_header(path, huge)
    elif op == "nest index":
        _edit_json(path, lambda d: _deep(100_000))
    elif op in ("fifo shard", "zero shard", "swap shard", "bomb shard", "missing shard"):
        shards = [f for f in files if f != path]
        shard = data.draw(st.sampled_from(shards), label="shard")
        if op == "swap shard":
            others = sorted(f for f in _files(os.path.dirname(other_path)) if f != other_path)
            shutil.copy(others[shards.index(shard) % len(others)], shard)
        elif op == "bomb shard":
            _h5_bomb(shard)
        elif op == "missing shard":
            os.remove(shard)
        else:
            _special(shard, "fifo" if op == "fifo shard" else "zero")
    elif op == "nest config":
        _zip_rewrite(path, "config.json", b'{"class_name": ' + _deep(100_000) + b"}")
    elif op == "huge config":
        _zip_rewrite(path, "config.json", _zeros(64 << 20))
    elif op == "bomb member":
        _zip_rewrite(path, "model.weights.h5", _zeros(256 << 20))
    elif op == "swap weights":
        with zipfile.ZipFile(other_path) as other:
            payload = other.read("model.weights.h5")
        _zip_rewrite(path, "model.weights.h5", payload)
    else:
        raise AssertionError(op)


# --------------------------------------------------------------------------- the property
def load(path: str) -> None:
    if SUFFIX == "keras":
        loaded = heft.saving.load_model(path)
        TARGET.set_weights(loaded.get_weights())  # compare through the same target
    else:
        TARGET.load_weights(path)


ops = OPERATIONS["every"] + OPERATIONS[SUFFIX]
OUTCOMES: dict[str, list[str]] = {}


def load_exactly_or_raise_the_documented_error(data, op: str) -> None:
    folder = tempfile.mkdtemp(dir=ROOT)
    source = os.path.dirname(SAVES[0][0])
    for name in os.listdir(source):
        shutil.copy(os.path.join(source, name), folder)
    path = os.path.join(folder, f"m.{SUFFIX}")
    mutate(path, op, data)
    listed = sorted(os.listdir(folder))
    TARGET.set_weights(
        [
            np.frombuffer(b, "float32").reshape(w.shape)
            for b, w in zip(BEFORE, TARGET.weights, strict=True)
        ]
    )
    try:
        load(path)
    except (ValueError, OSError) as err:
        assert folder in str(err), f"{op}: the error does not name the file: {err!r}"
        assert values(TARGET) == BEFORE, f"{op}: a failed load changed the model"
        OUTCOMES.setdefault(op, []).append(type(err).__name__)
    else:
        OUTCOMES.setdefault(op, []).append("loaded")
        got = values(TARGET)
        allowed = [SAVES[0][1]] + ([SAVES[1][1]] if op in WHOLE else [])
        assert got in allowed, f"{op}: the load gave values of no complete save"
    assert sorted(os.listdir(folder)) == listed, f"{op}: the load left files behind"
    for name in listed:
        mode = os.lstat(os.path.join(folder, name)).st_mode
        if stat.S_ISFIFO(mode) or stat.S_ISLNK(mode):
            os.remove(os.path.join(folder, name))
    shutil.rmtree(folder)


# Each operation gets its share of the examples (hypothesis would favour the first ones).
for op in ops:
    settings(
        max_examples=max(2, EXAMPLES // len(ops)),
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )(given(data=st.data(), op=st.just(op))(load_exactly_or_raise_the_documented_error))()
shutil.rmtree(ROOT)
for op in ops:
    outcomes = OUTCOMES.get(op, [])
    print(f"{op}: " + ", ".join(f"{o} x{outcomes.count(o)}" for o in sorted(set(outcomes))))
print("ok", SUFFIX, EXAMPLES)
