"""Fixtures shared by test folders: a local HTTP server on 127.0.0.1 for the download tests."""

from __future__ import annotations

import http.server
import re
import threading
from collections import Counter
from pathlib import Path

import pytest


class LocalServer:
    """Files under ``root`` served at ``url(name)``; ``hits[name]`` counts the requests."""

    def __init__(
        self, root: Path, port: int, hits: Counter[str], broken: set[str], stalled: set[str]
    ) -> None:
        self.root = root
        self.port = port
        self.hits = hits
        self.broken = broken
        self.stalled = stalled
        self.release = threading.Event()

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}"

    def put(self, name: str, data: bytes) -> str:
        """Serve ``data`` as ``name``; returns its URL."""
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return self.url(name)


@pytest.fixture
def local_http(tmp_path):
    """A threaded HTTP server on 127.0.0.1 serving ``tmp_path / "www"`` (no network needed).

    A name in ``server.broken`` is answered with a length header twice its size
    and half of its bytes, then the connection is closed (an interrupted download).
    A name in ``server.stalled`` gets half of its bytes, then nothing until
    ``server.release`` is set (at most 5 s), then the connection is closed.
    """
    root = tmp_path / "www"
    root.mkdir()
    hits: Counter[str] = Counter()
    broken: set[str] = set()
    stalled: set[str] = set()

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, format, *args):
            pass

        def do_GET(self):
            name = self.path.lstrip("/")
            hits[name] += 1
            if name in broken or name in stalled:
                data = (root / name).read_bytes()
                self.send_response(200)
                self.send_header("Content-Length", str(2 * len(data) + 10))
                self.end_headers()
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                if name in stalled:
                    local.release.wait(5)
                self.close_connection = True
                return
            super().do_GET()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    local = LocalServer(root, server.server_address[1], hits, broken, stalled)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield local
    finally:
        local.release.set()
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    """An empty cache root, set as ``KERAS_HOME`` for the test."""
    home = tmp_path / "keras_home"
    home.mkdir()
    monkeypatch.setenv("KERAS_HOME", str(home))
    return home


def _npz(**arrays) -> bytes:
    import io

    import numpy as np

    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _idx(array) -> bytes:
    import gzip

    header = (0x800 | array.ndim).to_bytes(4, "big")
    header += b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    return gzip.compress(header + array.astype("uint8").tobytes())


def _cifar_tar(top: str, batches: dict) -> bytes:
    import io
    import pickle
    import tarfile

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, batch in batches.items():
            data = pickle.dumps(batch, protocol=3)
            info = tarfile.TarInfo(f"{top}/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _sequences(rng, n: int) -> object:
    import numpy as np

    out = np.empty(n, dtype=object)
    for i in range(n):
        out[i] = [int(w) for w in rng.integers(1, 60, size=rng.integers(3, 12))]
    return out


@pytest.fixture
def fake_datasets(local_http, keras_home, monkeypatch):
    """Small files in the formats of every Keras data set, served locally; heft's table points at them.

    Returns a dict from each key of ``heft.datasets._sources.SOURCES`` to the
    ``Source`` (local URL, sha256) that replaced it, so a test can point
    another loader (Keras's) at the same files.
    """
    import hashlib
    import json

    import numpy as np

    from heft.datasets import _sources

    rng = np.random.default_rng(0)

    def u8(*shape):
        return rng.integers(0, 256, size=shape, dtype=np.uint8)

    files = {
        "mnist": _npz(
            x_train=u8(12, 28, 28), y_train=u8(12) % 10, x_test=u8(5, 28, 28), y_test=u8(5) % 10
        ),
        "fashion_mnist/train-labels-idx1-ubyte.gz": _idx(np.arange(12) % 10),
        "fashion_mnist/train-images-idx3-ubyte.gz": _idx(u8(12, 28, 28)),
        "fashion_mnist/t10k-labels-idx1-ubyte.gz": _idx(np.arange(5) % 10),
        "fashion_mnist/t10k-images-idx3-ubyte.gz": _idx(u8(5, 28, 28)),
        "cifar10": _cifar_tar(
            "cifar-10-batches-py",
            {
                **{
                    f"data_batch_{i}": {
                        b"batch_label": b"b",
                        b"labels": [int(v) for v in u8(3) % 10],
                        b"data": u8(3, 3072),
                        b"filenames": [b"f"] * 3,
                    }
                    for i in range(1, 6)
                },
                "test_batch": {b"labels": [1, 2, 3, 4], b"data": u8(4, 3072)},
            },
        ),
        "cifar100": _cifar_tar(
            "cifar-100-python",
            {
                part: {
                    b"fine_labels": [int(v) for v in u8(n) % 100],
                    b"coarse_labels": [int(v) for v in u8(n) % 20],
                    b"data": u8(n, 3072),
                }
                for part, n in (("train", 6), ("test", 3))
            },
        ),
        "imdb": _npz(
            x_train=_sequences(rng, 10),
            y_train=np.arange(10) % 2,
            x_test=_sequences(rng, 8),
            y_test=np.arange(8) % 2,
        ),
        "imdb_word_index": json.dumps({"the": 1, "and": 2}).encode(),
        "reuters": _npz(x=_sequences(rng, 15), y=np.arange(15) % 46),
        "reuters_word_index": json.dumps({"said": 1}).encode(),
        "boston_housing": _npz(x=rng.normal(size=(20, 13)), y=rng.normal(size=(20,))),
        "california_housing": _npz(
            x=rng.normal(size=(700, 8)).astype("float32"),
            y=rng.normal(size=(700,)).astype("float32"),
        ),
    }
    sources = {}
    for key, data in files.items():
        url = local_http.put(key.replace("/", "_"), data)
        sources[key] = _sources.Source(url, hashlib.sha256(data).hexdigest())
        monkeypatch.setitem(_sources.SOURCES, key, sources[key])
    return sources


class PublishedFiles:
    """Files served on 127.0.0.1 at the path of their published address (see ``published``).

    ``publish(origin, data)`` serves ``data`` for the address ``origin``
    (``https://storage.googleapis.com/...``): every download heft's applications
    make of that address fetches it from the local server instead. The hash
    checked stays the published one unless ``rehash=True`` makes the served
    file's sha256 the one expected (a file with the real published content
    cannot be made here).
    """

    def __init__(self, server: LocalServer) -> None:
        self.server = server
        self.hashes: dict[str, str] = {}

    @staticmethod
    def local_name(origin: str) -> str:
        return re.sub(r"^https?://", "", origin)

    def publish(self, origin: str, data: bytes, rehash: bool = True) -> str:
        import hashlib

        name = self.local_name(origin)
        self.server.put(name, data)
        if rehash:
            self.hashes[origin] = hashlib.sha256(data).hexdigest()
        return name


@pytest.fixture
def published(local_http, keras_home, monkeypatch):
    """Downloads of published files (weights, the ImageNet class index) served locally.

    Rewrites the address every ``get_file`` call of ``heft.applications`` asks
    for to the local server, with an empty ``KERAS_HOME`` cache; an address that
    was not published gets a 404 from the server.
    """
    from heft.applications import _common, _imagenet_utils
    from heft.utils import _get_file

    files = PublishedFiles(local_http)

    def get_file(fname=None, origin=None, *args, file_hash=None, **kwargs):
        file_hash = files.hashes.get(origin, file_hash)
        local = local_http.url(files.local_name(origin))
        return _get_file.get_file(fname, local, *args, file_hash=file_hash, **kwargs)

    for module in (_common, _imagenet_utils):
        monkeypatch.setattr(module, "get_file", get_file)
    monkeypatch.setattr(_imagenet_utils, "_class_index", None)
    return files


# Heavy variants beside representative cases that stay in the default run (each
# 4-20 s on two cores); `-m slow` runs them. Exact node ids.
SLOW_TESTS = frozenset(
    (
        # The ImageNet download flow is one shared path (tests/applications/test_common.py,
        # EfficientNet's and DenseNet's in the default run); these repeat it on big models.
        "tests/interop/test_applications_nasnet_keras.py::test_imagenet_weights_download_once_and_match_keras",
        "tests/interop/test_applications_convnext_keras.py::test_imagenet_weights_download_once_and_match_keras",
        "tests/interop/test_applications_efficientnet_v2_keras.py::test_imagenet_weights_download_once_and_match_keras",
        "tests/interop/test_applications_efficientnet_keras.py::test_efficientnetb0_with_classifier_matches_keras",
        "tests/interop/test_applications_mobilenet_v2_keras.py::test_mobilenetv2_channels_first_at_an_odd_size_predicts_as_keras",
        "tests/interop/test_distillation_keras.py::test_sequential_conv_loss_matches_keras",
        "tests/interop/test_image_layers_keras.py::test_batch_mixing_layers_mix_images_and_labels_as_keras[CutMix]",
        "tests/interop/test_image_layers_keras.py::test_image_layer_matches_keras[RandomElasticTransform-()-[('seed', 3)]-(2, 6, 7, 1)-float32]",
        "tests/interop/test_image_layers_keras.py::test_image_layer_matches_keras[RandomPerspective-(0.7, 0.5)-[('data_format', 'channels_first'), ('interpolation', 'nearest'), ('seed', 3)]-(3, 3, 6, 7)-float32]",
        "tests/interop/test_image_ops_keras.py::test_image_op_matches_keras[affine_transform-[(2, 8)]-[('data_format', 'channels_first')]]",
        "tests/interop/test_image_ops_keras.py::test_image_op_matches_keras[elastic_transform-[]-[('seed', 3)]]",
        "tests/interop/test_image_ops_keras.py::test_image_op_matches_keras[perspective_transform-[(4, 2), (4, 2)]-[]]",
        "tests/interop/test_image_ops_keras.py::test_image_op_matches_keras[scale_and_translate-[(2, 5, 4, 3), (2,), (2,), (1, 2), 'linear']-[]]",
        "tests/interop/test_image_ops_keras.py::test_image_op_matches_keras[ssim-[(2, 16, 17, 3)]-[]]",
        "tests/interop/test_layers_extra_keras.py::test_conv_lstm_matches_keras[ConvLSTM2D-{'filters': 2, 'kernel_size': (2, 3), 'strides': 2, 'data_format': 'channels_first', 'return_state': True, 'go_backwards': True}]",
        "tests/interop/test_layers_extra_keras.py::test_conv_lstm_matches_keras[ConvLSTM3D-{'filters': 2, 'kernel_size': 2, 'dropout': 0.3, 'recurrent_dropout': 0.2, 'seed': 1}]",
        "tests/interop/test_layers_extra_keras.py::test_group_query_attention_matches_keras[kwargs0-call_kwargs0]",
        "tests/interop/test_layers_extra_keras.py::test_stateful_conv_lstm_carries_states_like_keras",
        "tests/interop/test_optimizers_more.py::test_new_optimizer_steps_slots_and_config_match_keras[Adafactor(relative_step=False,beta_2_decay=-0.5,weight_decay=0.1,clipnorm=0.5,gradient_accumulation_steps=2,loss_scale_factor=4.0)]",
        "tests/interop/test_preprocessing_keras.py::test_mel_spectrogram_matches[kwargs0]",
    )
)


# Side-by-side grids against Keras: the default run keeps the first case of each family
# (the parameter id's leading name: one layer, op, metric or optimizer), `-m slow` runs
# every case. Each compiles small programs in both libraries, which is what CI pays for.
SAMPLED_GRIDS = frozenset(
    (
        "tests/interop/test_image_layers_keras.py",
        "tests/interop/test_image_ops_keras.py",
        "tests/interop/test_bounding_boxes_keras.py",
        "tests/interop/test_preprocessing_keras.py",
        "tests/interop/test_metrics_families.py",
        "tests/interop/test_optimizers_more.py",
        "tests/interop/test_layers_extra_keras.py",
        "tests/interop/test_ops_nn_signal_keras.py",
        "tests/layers/test_image_layers.py",
    )
)
_FAMILY = re.compile(r"[A-Za-z_][A-Za-z_0-9]*|")


def _family(item) -> tuple[str, str] | None:
    callspec = getattr(item, "callspec", None)
    path = item.nodeid.split("::", 1)[0]
    if callspec is None or path not in SAMPLED_GRIDS:
        return None
    match = _FAMILY.match(callspec.id)
    return item.nodeid.split("[", 1)[0], match.group(0) if match else callspec.id


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    seen: set[tuple[str, str]] = set()
    for item in items:
        family = _family(item)
        if item.nodeid in SLOW_TESTS or (family is not None and family in seen):
            item.add_marker(pytest.mark.slow)
        if family is not None:
            seen.add(family)
