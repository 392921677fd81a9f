"""Tests for Model.summary: the "Connected to" column, totals, show_trainable, layer_range."""

import numpy as np
import pytest

import heft
from heft import layers


def _text(model, **kwargs):
    chunks = []
    model.summary(print_fn=chunks.append, **kwargs)
    assert len(chunks) == 1
    return chunks[0]


def _rows(text):
    """The table's body rows as lists of cell texts (wrapped lines joined by spaces)."""
    rows, current = [], None
    for line in text.splitlines():
        if line.startswith("│"):
            cells = [cell.strip() for cell in line.strip("│").split("│")]
            if current is None:
                current = cells
            else:
                current = [f"{a} {b}".strip() for a, b in zip(current, cells, strict=True)]
        elif line.startswith(("├", "└")) and current is not None:
            rows.append(current)
            current = None
    return rows


def _header(text):
    line = next(line for line in text.splitlines() if line.startswith("┃"))
    return [cell.strip() for cell in line.strip("┃").split("┃")]


def _two_input_model():
    a = heft.Input((4,), name="a")
    b = heft.Input((4,), name="b")
    shared = layers.Dense(3, name="shared")
    merged = layers.Concatenate(name="cat")([shared(a), shared(b)])
    out = layers.Dense(1, name="out")(merged * 2)
    return heft.Model([a, b], out, name="two")


def test_summary_functional_lists_connections():
    text = _text(_two_input_model(), line_length=150)
    assert text.startswith('Model: "two"\n')
    assert text.endswith("\n")
    assert _header(text) == ["Layer (type)", "Output Shape", "Param #", "Connected to"]
    assert _rows(text) == [
        ["a (InputLayer)", "(None, 4)", "0", "-"],
        ["b (InputLayer)", "(None, 4)", "0", "-"],
        ["shared (Dense)", "(None, 3)", "15", "a[0][0], b[0][0]"],
        ["cat (Concatenate)", "(None, 6)", "0", "shared[0][0], shared[1][0]"],
        ["multiply (Multiply)", "(None, 6)", "0", "cat[0][0]"],
        ["out (Dense)", "(None, 1)", "7", "multiply[0][0]"],
    ]


def test_summary_connections_use_each_layers_own_call_numbers():
    x = heft.Input((3,), name="x")
    dense = layers.Dense(3, name="dense")
    dense(heft.Input((3,), name="elsewhere"))  # call 0 is outside the model
    y = layers.Add(name="add")([dense(x), x])
    rows = _rows(_text(heft.Model(x, y), line_length=150))
    assert rows[1] == ["dense (Dense)", "(None, 3)", "12", "x[0][0]"]
    assert rows[2] == ["add (Add)", "(None, 3)", "0", "dense[1][0], x[0][0]"]


def test_summary_layer_called_twice_in_a_chain_is_not_sequential_like():
    x = heft.Input((3,), name="x")
    dense = layers.Dense(3, name="d")
    text = _text(heft.Model(x, dense(dense(x))), line_length=150)
    assert "Connected to" in _header(text)
    assert _rows(text)[1] == ["d (Dense)", "(None, 3)", "12", "x[0][0], d[0][0]"]


def test_summary_multi_output_layer_shapes_and_tensor_indices():
    x = heft.Input((2,), name="x")
    first, second = layers.Lambda(lambda t: [t, t * 2], name="split")(x)
    y = layers.Add(name="add")([first, second])
    rows = _rows(_text(heft.Model(x, y[:, 0]), line_length=150))
    assert rows[1][1] == "[(None, 2), (None, 2)]"
    assert rows[2][3] == "split[0][0], split[0][1]"
    assert rows[3][:2] == ["get_item (GetItem)", "(None)"]  # a 1-D shape, as Keras writes it


def test_summary_sequential_has_no_connected_to_column():
    model = heft.Sequential([heft.Input((3,)), layers.Dense(2), layers.Dense(1)])
    text = _text(model)
    assert _header(text) == ["Layer (type)", "Output Shape", "Param #"]
    assert _rows(text) == [
        ["dense (Dense)", "(None, 2)", "8"],
        ["dense_1 (Dense)", "(None, 1)", "3"],
    ]


def test_summary_chain_functional_with_an_op_has_no_connected_to_column():
    x = heft.Input((3,), name="x")
    y = heft.ops.relu(layers.Dense(2, name="d")(x))
    text = _text(heft.Model(x, y))
    assert _header(text) == ["Layer (type)", "Output Shape", "Param #"]
    assert [row[0] for row in _rows(text)] == ["x (InputLayer)", "d (Dense)", "relu (Relu)"]


def test_summary_show_trainable_marks_layers_without_weights():
    x = heft.Input((3,), name="x")
    h = layers.Dense(2, name="frozen", trainable=False)(x)
    h = layers.Dropout(0.1, name="drop")(h)
    model = heft.Model(x, layers.Dense(1, name="live")(h))
    text = _text(model, show_trainable=True, line_length=120)
    assert _header(text)[-1] == "Trainable"
    assert [row[-1] for row in _rows(text)] == ["-", "N", "-", "Y"]


def test_summary_totals_include_the_built_optimizer():
    model = heft.Sequential([heft.Input((3,)), layers.Dense(2), layers.Dense(1, trainable=False)])
    model.compile(optimizer="adam", loss="mse")
    assert "Optimizer params" not in _text(model)  # compiled, optimizer not built yet
    model.fit(np.ones((2, 3), "float32"), np.ones((2, 1), "float32"), epochs=1, verbose=0)
    totals = _text(model).splitlines()[-4:]
    # Adam: iteration and learning rate, then two slots per trainable weight (8 values).
    assert totals == [
        " Total params: 29 (116.00 B)",
        " Trainable params: 8 (32.00 B)",
        " Non-trainable params: 3 (12.00 B)",
        " Optimizer params: 18 (72.00 B)",
    ]


def test_summary_memory_sizes_follow_weight_dtypes():
    model = heft.Sequential([heft.Input((3,)), layers.Dense(2, dtype="float16")])
    assert " Total params: 8 (16.00 B)" in _text(model)


def test_summary_layer_range_matches_name_prefixes():
    x = heft.Input((2,), name="x")
    h = layers.Dense(2, name="alpha")(x)
    h = layers.Dense(2, name="beta")(h)
    model = heft.Model(x, layers.Dense(2, name="beta_2")(h))
    names = lambda **kw: [row[0].split()[0] for row in _rows(_text(model, **kw))]  # noqa: E731
    assert names(layer_range=["alpha", "beta"]) == ["alpha", "beta", "beta_2"]
    assert names(layer_range=("beta_2", "alp")) == ["alpha", "beta", "beta_2"]
    assert names(layer_range=["x", "x"]) == ["x"]
    assert "Total params: 18" in _text(model, layer_range=["x", "x"])


@pytest.mark.parametrize(
    ("layer_range", "message"),
    [
        (["x"], r"must be a list or tuple of two layer names.*\['x'\] of length 1"),
        ("xd", r"must be a list or tuple of two layer names.*'xd' of length 2"),
        (5, r"must be a list or tuple of two layer names.*layer_range=5$"),
        (["x", 3], r"must hold two strings.*\['x', 3\]"),
        (["x", "zz"], r"names 'zz', which is not a layer of the model.*\['x', 'd'\]"),
    ],
)
def test_summary_bad_layer_range_raises(layer_range, message):
    x = heft.Input((2,), name="x")
    model = heft.Model(x, layers.Dense(2, name="d")(x))
    with pytest.raises(ValueError, match=message):
        model.summary(print_fn=lambda _: None, layer_range=layer_range)


def test_summary_positions_set_column_widths():
    model = heft.Sequential([heft.Input((3,)), layers.Dense(2)])
    top = _text(model, line_length=60, positions=[0.5, 0.75, 1.0]).splitlines()[1]
    assert [len(part) for part in top.strip("┏┓").split("┳")] == [29, 13, 14]
    default = _text(model, line_length=60).splitlines()[1]
    assert [len(part) for part in default.strip("┏┓").split("┳")] == [26, 19, 11]
    absolute = _text(model, line_length=60, positions=[30, 45, 60]).splitlines()[1]
    assert absolute == top
    with_trainable = _text(model, line_length=72, positions=[0.5, 0.75, 1.0], show_trainable=True)
    assert len(with_trainable.splitlines()[1]) == 72


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"positions": [0.5, 1.0]}, r"`positions` must give one position per column \(3"),
        ({"line_length": 10}, r"too narrow: `line_length=10`.*at least 4"),
    ],
)
def test_summary_bad_layout_raises(kwargs, message):
    model = heft.Sequential([heft.Input((3,)), layers.Dense(2)])
    with pytest.raises(ValueError, match=message):
        model.summary(print_fn=lambda _: None, **kwargs)


def test_summary_expand_nested_rows_and_their_connections():
    inner = heft.Sequential([layers.Dense(3, name="i1")], name="inner")
    a = heft.Input((3,), name="a")
    b = heft.Input((3,), name="b")
    y = layers.Add(name="add")([inner(a), b])
    rows = _rows(_text(heft.Model([a, b], y), expand_nested=True, line_length=150))
    assert rows[1] == ["inner (Sequential)", "(None, 3)", "12", "a[0][0]"]
    assert rows[2] == ["└ i1 (Dense)", "(None, 3)", "12", "-"]
    assert rows[4] == ["add (Add)", "(None, 3)", "0", "inner[0][0], b[0][0]"]


def test_summary_subclassed_model_shows_shapes_from_eager_builds():
    class MLP(heft.Model):
        def __init__(self):
            super().__init__(name="mlp")
            self.hidden = layers.Dense(4)
            self.out = layers.Dense(2)

        def call(self, x):
            return self.out(self.hidden(x))

    model = MLP()
    assert _rows(_text(model))[0] == ["dense (Dense)", "?", "0 (unbuilt)"]
    model(np.ones((1, 3), "float32"))
    assert _rows(_text(model)) == [
        ["dense (Dense)", "(1, 4)", "16"],
        ["dense_1 (Dense)", "(1, 2)", "10"],
    ]


def test_summary_without_print_fn_prints_the_same_text(capsys):
    model = _two_input_model()
    model.summary(line_length=150)
    printed = capsys.readouterr().out
    assert _rows(printed) == _rows(_text(model, line_length=150))
    assert 'Model: "two"' in printed
