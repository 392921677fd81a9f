"""model.summary() in real Keras 3 and in heft: rows, "Connected to" entries and totals."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np
import pytest

import heft


def _two_inputs_shared_merge(lib):
    a = lib.Input((4,), name="a")
    b = lib.Input((4,), name="b")
    shared = lib.layers.Dense(3, name="shared")
    merged = lib.layers.Concatenate(name="cat")([shared(a), shared(b)])
    out = lib.layers.Dense(1, name="out")(merged * 2)
    return lib.Model([a, b], out, name="two")


def _called_outside_first(lib):
    x = lib.Input((3,), name="x")
    y = lib.Input((3,), name="y")
    dense = lib.layers.Dense(3, name="dd")
    dense(lib.Input((3,), name="elsewhere"))
    return lib.Model([x, y], dense(x) + y, name="outside")


def _attention_kwargs(lib):
    q = lib.Input((4, 8), name="q")
    v = lib.Input((6, 8), name="v")
    att = lib.layers.MultiHeadAttention(2, 4, name="mha")(q, value=v)
    return lib.Model([q, v], lib.layers.GlobalAveragePooling1D(name="pool")(att), name="att")


def _nested_shared(lib):
    inner = lib.Sequential(
        [lib.layers.Dense(3, name="i1"), lib.layers.Dense(3, name="i2", trainable=False)],
        name="inner",
    )
    x = lib.Input((3,), name="x")
    h = lib.layers.BatchNormalization(name="bn")(inner(inner(x)))
    return lib.Model(x, h, name="nested")


def _chain_with_op(lib):
    x = lib.Input((3,), name="x")
    return lib.Model(x, lib.ops.relu(lib.layers.Dense(2, name="d")(x)), name="chain")


def _split_and_dict(lib):
    x = lib.Input((2,), name="x")
    first, second = lib.layers.Lambda(lambda t: [t, t * 2], name="split")(x)
    total = lib.layers.Add(name="add")([first, second])
    return lib.Model(x, {"sum": total, "col": total[:, 0]}, name="dicts")


def _sequential(lib):
    return lib.Sequential(
        [lib.Input((5,)), lib.layers.Dense(4, name="d1"), lib.layers.Dropout(0.1, name="drop")],
        name="seq",
    )


def _fitted(lib):
    model = lib.Sequential(
        [lib.Input((3,)), lib.layers.Dense(2, name="d1"), lib.layers.BatchNormalization(name="bn")],
        name="fitted",
    )
    model.compile(optimizer="adam", loss="mse")
    x = np.ones((4, 3), "float32")
    model.fit(x, np.zeros((4, 2), "float32"), epochs=1, verbose=0)
    return model


BUILDERS = [
    _two_inputs_shared_merge,
    _called_outside_first,
    _attention_kwargs,
    _nested_shared,
    _chain_with_op,
    _split_and_dict,
    _sequential,
    _fitted,
]


def _summary(lib, builder, kwargs):
    if lib is keras:
        keras.backend.clear_session()
    else:
        heft._naming.reset_names()
    model = builder(lib)
    chunks = []
    model.summary(print_fn=chunks.append, line_length=180, **kwargs)
    return "".join(chunks)


def _rows(text):
    """The header and body rows as lists of cell texts (wrapped lines joined by spaces)."""
    rows, current = [], None
    for line in text.splitlines():
        if line.startswith(("│", "┃")):
            cells = [cell.strip() for cell in line[1:-1].split(line[0])]
            if current is None:
                current = cells
            else:
                current = [f"{a} {b}".strip() for a, b in zip(current, cells, strict=True)]
        elif line.startswith(("├", "└", "┡")) and current is not None:
            rows.append(current)
            current = None
    return rows


def _compare(builder, monkeypatch, **kwargs):
    monkeypatch.setenv("COLUMNS", "200")  # Keras sizes its console from the terminal
    expected = _summary(keras, builder, kwargs)
    got = _summary(heft, builder, kwargs)
    assert _rows(got) == _rows(expected)
    assert len(_rows(got)) > 1
    assert got.splitlines()[0] == expected.splitlines()[0]  # Model: "name"
    totals = [line for line in expected.splitlines() if " params: " in line]
    assert [line for line in got.splitlines() if " params: " in line] == totals


@pytest.mark.parametrize("builder", BUILDERS, ids=lambda b: b.__name__.strip("_"))
def test_summary_matches_keras(builder, monkeypatch):
    _compare(builder, monkeypatch)


def test_summary_connected_to_matches_keras_for_shared_layer_and_merge(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    rows = _rows(_summary(heft, _two_inputs_shared_merge, {}))
    assert rows[0][-1] == "Connected to"
    assert rows == _rows(_summary(keras, _two_inputs_shared_merge, {}))
    assert rows[4][-1] == "shared[0][0], shared[1][0]"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"show_trainable": True},
        {"expand_nested": True},
        {"expand_nested": True, "show_trainable": True},
        {"layer_range": ["inn", "b"]},
        {"layer_range": ["bn", "x"]},
    ],
)
def test_summary_options_match_keras(kwargs, monkeypatch):
    _compare(_nested_shared, monkeypatch, **kwargs)


@pytest.mark.parametrize("layer_range", [["x"], ["x", 3], ["zz", "x"]])
def test_summary_layer_range_errors_match_keras_types(layer_range):
    for lib in (keras, heft):
        model = _chain_with_op(lib)
        with pytest.raises(ValueError, match=r"layer_range|layer_names"):
            model.summary(print_fn=lambda _: None, layer_range=layer_range)
