"""PyTorch state dicts move both ways between PyTorch modules and the same heft architectures."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np
import pytest

import heft
from heft import layers as L

torch = pytest.importorskip("torch")
nn = torch.nn
safetensors_torch = pytest.importorskip("safetensors.torch")

RNG = np.random.default_rng(0)


def _randomize(module):
    """Random values everywhere, BatchNorm's statistics included (a fresh module has 0 and 1)."""
    with torch.no_grad():
        for name, tensor in module.state_dict().items():
            if tensor.is_floating_point():
                values = torch.randn(tensor.shape) * 0.5
                if name.endswith("running_var"):
                    values = values.abs() + 0.5
                tensor.copy_(values)
    return module.eval()


def _write(module, path):
    state = {k: v.contiguous() for k, v in module.state_dict().items()}
    if path.suffix == ".safetensors":
        safetensors_torch.save_file(state, str(path))
    else:
        torch.save(state, str(path))


def _run_torch(module, x):
    with torch.no_grad():
        return module(torch.from_numpy(x)).numpy()


def _round_trip(make_torch, heft_model, x, tmp_path, suffix, mapping=None, summed=()):
    """Torch -> file -> heft (same outputs) -> file -> a fresh torch module (same tensors)."""
    torch.manual_seed(1)
    source = _randomize(make_torch())
    path = tmp_path / f"source{suffix}"
    _write(source, path)
    report = heft_model.load_weights(path, layout="torch", mapping=mapping)
    assert report.ok and not report.unexpected and not report.skipped, report
    assert report.layout == "torch"
    expected = _run_torch(source, x)
    np.testing.assert_allclose(np.asarray(heft_model(x)), expected, atol=1e-5)

    back = tmp_path / "back.safetensors"
    heft_model.save_weights(back, layout="torch", mapping=report.mapping)
    torch.manual_seed(2)
    target = make_torch().eval()
    target.load_state_dict(safetensors_torch.load_file(str(back)), strict=True)
    np.testing.assert_allclose(_run_torch(target, x), expected, atol=1e-5)
    got, want = target.state_dict(), source.state_dict()
    for key, value in want.items():
        if key.endswith("num_batches_tracked"):
            continue
        if key.replace("bias_hh", "bias_ih") in summed:  # LSTM: Keras keeps their sum only
            continue
        torch.testing.assert_close(got[key], value, rtol=0, atol=0, msg=key)
    for key in summed:
        other = key.replace("bias_ih", "bias_hh")
        torch.testing.assert_close(got[key] + got[other], want[key] + want[other])
    return report


class MLP(nn.Sequential):
    def __init__(self):
        super().__init__(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))


def _heft_mlp():
    return heft.Sequential([heft.Input((4,)), L.Dense(8, activation="relu"), L.Dense(3)])


@pytest.mark.parametrize("suffix", [".safetensors", ".pt", ".bin"])
def test_mlp_moves_both_ways(tmp_path, suffix):
    x = RNG.normal(size=(5, 4)).astype("float32")
    report = _round_trip(MLP, _heft_mlp(), x, tmp_path, suffix)
    assert report.mapping == {"0": "layers/dense", "2": "layers/dense_1"}
    assert "transposed from (8, 4)" in report.table()


class CNN(nn.Module):
    """Conv + BatchNorm, a depthwise conv, GroupNorm, a separable conv, a transposed conv."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.bn = nn.BatchNorm2d(4)
        self.dw = nn.Conv2d(4, 8, 3, groups=4)
        self.gn = nn.GroupNorm(4, 8)
        self.sep_dw = nn.Conv2d(8, 8, 3, groups=8, bias=False)
        self.sep_pw = nn.Conv2d(8, 6, 1)
        self.up = nn.ConvTranspose2d(6, 2, 3, stride=2)

    def forward(self, x):
        x = x.permute(0, 3, 1, 2)
        x = torch.relu(self.bn(self.conv(x)))
        x = self.gn(self.dw(x))
        x = self.up(self.sep_pw(self.sep_dw(x)))
        return x.permute(0, 2, 3, 1)


def _heft_cnn():
    return heft.Sequential(
        [
            heft.Input((12, 12, 3)),
            L.Conv2D(4, 3),
            L.BatchNormalization(epsilon=1e-5),
            L.Activation("relu"),
            L.DepthwiseConv2D(3, depth_multiplier=2),
            L.GroupNormalization(groups=4, epsilon=1e-5),
            L.SeparableConv2D(6, 3),
            L.Conv2DTranspose(2, 3, strides=2),
        ]
    )


@pytest.mark.parametrize("suffix", [".safetensors", ".pth"])
def test_cnn_with_batch_norm_moves_both_ways(tmp_path, suffix):
    x = RNG.normal(size=(2, 12, 12, 3)).astype("float32")
    report = _round_trip(CNN, _heft_cnn(), x, tmp_path, suffix)
    assert [e.key for e in report.dropped] == ["bn.num_batches_tracked"]
    assert "dropped  bn.num_batches_tracked" in report.table()
    assert report.mapping["sep_dw"] == report.mapping["sep_pw"] == "layers/separable_conv2d"


class ChannelsLast(nn.Module):
    """One channels-first PyTorch layer, fed and read channels-last."""

    def __init__(self, make):
        super().__init__()
        self.layer = make()

    def forward(self, x):
        n = x.ndim
        y = self.layer(x.permute(0, n - 1, *range(1, n - 1)))
        return y.permute(0, *range(2, n), 1)


@pytest.mark.parametrize(
    ("make", "heft_layer", "shape"),
    [
        (lambda: nn.Conv1d(3, 5, 3), lambda: L.Conv1D(5, 3), (2, 9, 3)),
        (lambda: nn.Conv3d(2, 3, 2), lambda: L.Conv3D(3, 2), (1, 4, 5, 4, 2)),
        (
            lambda: nn.ConvTranspose1d(3, 2, 3, stride=2),
            lambda: L.Conv1DTranspose(2, 3, strides=2),
            (2, 6, 3),
        ),
        (
            lambda: nn.Conv1d(3, 6, 3, groups=3),
            lambda: L.DepthwiseConv1D(3, depth_multiplier=2),
            (2, 8, 3),
        ),
        (lambda: nn.Conv2d(4, 6, 3, groups=2), lambda: L.Conv2D(6, 3, groups=2), (1, 6, 6, 4)),
    ],
    ids=["conv1d", "conv3d", "conv1d_transpose", "depthwise1d", "grouped2d"],
)
def test_convolutions_move_both_ways(tmp_path, make, heft_layer, shape):
    x = RNG.normal(size=shape).astype("float32")
    model = heft.Sequential([heft.Input(shape[1:]), heft_layer()])
    _round_trip(lambda: ChannelsLast(make), model, x, tmp_path, ".safetensors")


class Recurrent(nn.Module):
    """A bidirectional LSTM, a GRU, and a two-layer LSTM."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(5, 6, batch_first=True, bidirectional=True)
        self.gru = nn.GRU(12, 4, batch_first=True)
        self.deep = nn.LSTM(4, 3, num_layers=2, batch_first=True)

    def forward(self, x):
        x, _ = self.lstm(x)
        x, _ = self.gru(x)
        x, _ = self.deep(x)
        return x


def _heft_recurrent():
    return heft.Sequential(
        [
            heft.Input((7, 5)),
            L.Bidirectional(L.LSTM(6, return_sequences=True), name="both"),
            L.GRU(4, return_sequences=True, name="gru"),
            L.LSTM(3, return_sequences=True, name="deep_1"),
            L.LSTM(3, return_sequences=True, name="deep_2"),
        ]
    )


_LSTM_BIASES = (
    "lstm.bias_ih_l0",
    "lstm.bias_ih_l0_reverse",
    "deep.bias_ih_l0",
    "deep.bias_ih_l1",
)


def test_recurrent_layers_move_both_ways_from_pt_by_structure(tmp_path):
    x = RNG.normal(size=(2, 7, 5)).astype("float32")
    report = _round_trip(Recurrent, _heft_recurrent(), x, tmp_path, ".pt", summed=_LSTM_BIASES)
    assert report.mapping == {
        "lstm": "layers/bidirectional",
        "gru": "layers/gru",
        "deep": "layers/lstm",
        "deep.l1": "layers/lstm_1",
    }
    assert "gates r,z,n to z,r,h" in report.table()


def test_recurrent_layers_from_sorted_safetensors_with_a_mapping(tmp_path):
    # Sorted keys put "deep" before "gru" and "lstm": the model's order needs a mapping.
    x = RNG.normal(size=(2, 7, 5)).astype("float32")
    mapping = [(r"lstm", "both"), (r"gru", "gru"), (r"deep", "deep_1"), (r"deep\.l(\d)", r"deep_2")]
    _round_trip(
        Recurrent, _heft_recurrent(), x, tmp_path, ".safetensors", mapping, summed=_LSTM_BIASES
    )


class EncoderBlock(nn.Module):
    """A Transformer encoder block: self-attention, LayerNorm, a two-layer MLP, LayerNorm."""

    def __init__(self):
        super().__init__()
        self.attn = nn.MultiheadAttention(8, 2, batch_first=True)
        self.norm1 = nn.LayerNorm(8)
        self.ff1 = nn.Linear(8, 16)
        self.ff2 = nn.Linear(16, 8)
        self.norm2 = nn.LayerNorm(8)

    def forward(self, x):
        attended, _ = self.attn(x, x, x, need_weights=False)
        x = self.norm1(x + attended)
        return self.norm2(x + self.ff2(torch.relu(self.ff1(x))))


def _heft_encoder():
    inputs = heft.Input((6, 8))
    attended = L.MultiHeadAttention(num_heads=2, key_dim=4)(inputs, inputs)
    x = L.LayerNormalization(epsilon=1e-5)(L.Add()([inputs, attended]))
    y = L.Dense(8)(L.Dense(16, activation="relu")(x))
    outputs = L.LayerNormalization(epsilon=1e-5)(L.Add()([x, y]))
    return heft.Model(inputs, outputs)


@pytest.mark.parametrize("suffix", [".safetensors", ".pt"])
def test_transformer_encoder_block_moves_both_ways(tmp_path, suffix):
    x = RNG.normal(size=(2, 6, 8)).astype("float32")
    report = _round_trip(EncoderBlock, _heft_encoder(), x, tmp_path, suffix)
    assert report.mapping["attn"] == "layers/multi_head_attention"
    assert "part 2 of 3" in report.table(max_rows=50)


class Embedder(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(10, 4)
        self.fc = nn.Linear(4, 2)

    def forward(self, ids):
        return self.fc(self.emb(ids))


def test_embedding_model_moves_both_ways(tmp_path):
    ids = RNG.integers(0, 10, size=(3, 5)).astype("int64")
    model = heft.Sequential([heft.Input((5,), dtype="int32"), L.Embedding(10, 4), L.Dense(2)])
    torch.manual_seed(1)
    source = _randomize(Embedder())
    path = tmp_path / "emb.safetensors"
    _write(source, path)
    model.load_weights(path, layout="torch")
    with torch.no_grad():
        expected = source(torch.from_numpy(ids)).numpy()
    np.testing.assert_allclose(np.asarray(model(ids.astype("int32"))), expected, atol=1e-5)
    back = tmp_path / "back.safetensors"
    model.save_weights(back, layout="torch", mapping={"emb": "embedding", "fc.weight": "dense"})
    target = Embedder()
    target.load_state_dict(safetensors_torch.load_file(str(back)), strict=True)
    for key, value in source.state_dict().items():
        torch.testing.assert_close(target.state_dict()[key], value, rtol=0, atol=0)


def test_default_save_names_follow_layer_names(tmp_path):
    # Without a mapping, a layer named like the PyTorch attribute gives that module's keys.
    model = heft.Sequential(
        [
            heft.Input((4,)),
            L.Dense(8, name="fc1"),
            L.BatchNormalization(name="bn"),
            L.Dense(3, name="fc2"),
        ]
    )

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1, self.bn, self.fc2 = nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Linear(8, 3)

    path = tmp_path / "named.safetensors"
    model.save_weights(path, layout="torch")
    net = Net()
    net.load_state_dict(safetensors_torch.load_file(str(path)), strict=True)
    kernel = np.asarray(model.layers[0].kernel)
    np.testing.assert_array_equal(net.fc1.weight.detach().numpy(), kernel.T)


def _keras_recurrent():
    return keras.Sequential(
        [
            keras.Input((7, 5)),
            keras.layers.Bidirectional(keras.layers.LSTM(6, return_sequences=True)),
            keras.layers.GRU(4, return_sequences=True),
            keras.layers.LSTM(3, return_sequences=True),
            keras.layers.LSTM(3, return_sequences=True),
        ]
    )


def _keras_encoder():
    inputs = keras.Input((6, 8))
    attended = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4)(inputs, inputs)
    x = keras.layers.LayerNormalization(epsilon=1e-5)(keras.layers.Add()([inputs, attended]))
    y = keras.layers.Dense(8)(keras.layers.Dense(16, activation="relu")(x))
    outputs = keras.layers.LayerNormalization(epsilon=1e-5)(keras.layers.Add()([x, y]))
    return keras.Model(inputs, outputs)


@pytest.mark.parametrize(
    ("make_torch", "make_heft", "make_keras", "shape"),
    [
        # Keras's recurrent layers take some 15 s to trace: a slow variant.
        pytest.param(
            Recurrent, _heft_recurrent, _keras_recurrent, (2, 7, 5), marks=pytest.mark.slow
        ),
        (EncoderBlock, _heft_encoder, _keras_encoder, (2, 6, 8)),
    ],
    ids=["recurrent", "encoder"],
)
def test_real_keras_computes_what_torch_does_with_the_converted_weights(
    tmp_path, make_torch, make_heft, make_keras, shape
):
    # The conversions give Keras's own conventions: Keras 3 loads heft's file of them
    # and computes PyTorch's outputs.
    x = RNG.normal(size=shape).astype("float32")
    torch.manual_seed(1)
    source = _randomize(make_torch())
    path = tmp_path / "source.pt"
    _write(source, path)
    model = make_heft()
    model.load_weights(path, layout="torch")
    model.save_weights(tmp_path / "converted.weights.h5")
    reference = make_keras()
    reference.load_weights(str(tmp_path / "converted.weights.h5"))
    got = reference.predict(x, verbose=0)
    np.testing.assert_allclose(got, _run_torch(source, x), atol=1e-5)
