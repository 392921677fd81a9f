"""``heft.Operation`` and ``heft.SymbolicScope`` beside Keras 3's: custom ops in models and files."""

import json

import keras
import numpy as np
import pytest
from keras.src.backend.common.symbolic_scope import in_symbolic_scope as keras_in_symbolic_scope

import heft
from heft._symbolic_scope import in_symbolic_scope as heft_in_symbolic_scope

LIBS = [keras, heft]


def _fresh(lib):
    if lib is keras:
        keras.backend.clear_session()
    else:
        heft._naming.reset_names()


def _scale_op(lib):
    """A custom op with a plain constructor argument and no `get_config`."""

    class ScaleShift(lib.Operation):
        def __init__(self, factor=2.0, name=None):
            super().__init__(name=name)
            self.factor = factor

        def call(self, x):
            return lib.ops.add(lib.ops.multiply(x, self.factor), 1.0)

    return ScaleShift


def _x():
    return np.random.default_rng(0).normal(size=(2, 3)).astype("float32")


def _model(lib, op_cls):
    x = lib.Input((3,), name="x")
    h = op_cls(3.0)(x)
    y = lib.layers.Dense(2, name="d")(h)
    return lib.Model(x, y)


def test_operation_keras_is_the_base_of_every_layer():
    for lib in LIBS:
        x = lib.Input((3,))
        model = lib.Model(x, lib.layers.Dense(2)(x * 2.0))
        assert all(isinstance(op, lib.Operation) for op in model.operations)
        assert isinstance(model, lib.Operation)
        assert not issubclass(lib.Operation, lib.layers.Layer)
        # The node of an op on symbolic tensors is an Operation, not a layer.
        assert [isinstance(op, lib.layers.Layer) for op in model.operations] == [True, False, True]
        assert repr(model.operations[1]) == "<Operation name=multiply>"


def test_operation_keras_eager_call_and_config():
    results = {}
    for lib in LIBS:
        _fresh(lib)
        op = _scale_op(lib)(3.0)
        results[lib] = (
            np.asarray(op(_x())),
            op.name,
            op.get_config(),
            repr(op),
            _scale_op(lib).from_config(op.get_config()).get_config(),
        )
    k, h = results[keras], results[heft]
    np.testing.assert_allclose(h[0], k[0], rtol=1e-6)
    assert h[1:] == k[1:]
    assert h[2] == {"name": "scale_shift", "factor": 3.0}


def test_operation_keras_in_functional_model():
    seen = {}
    for lib in LIBS:
        _fresh(lib)
        model = _model(lib, _scale_op(lib))
        op = model.operations[1]
        chunks = []
        model.summary(print_fn=chunks.append)
        seen[lib] = {
            "operations": [(type(o).__name__, o.name) for o in model.operations],
            "layers": [layer.name for layer in model.layers],
            "weights": [w.path for w in model.weights],
            "io": (op.input.shape, op.output.shape),
            "rows": [line for line in "".join(chunks).splitlines() if line.startswith("│")],
            "config": json.loads(json.dumps(model.get_config()))["layers"][1],
        }
        seen[lib]["outputs"] = model
    k_model, h_model = seen[keras].pop("outputs"), seen[heft].pop("outputs")
    assert seen[heft] == seen[keras]
    assert seen[heft]["operations"][1] == ("ScaleShift", "scale_shift")
    assert seen[heft]["layers"] == ["x", "d"]
    h_model.set_weights(k_model.get_weights())
    np.testing.assert_allclose(np.asarray(h_model(_x())), np.asarray(k_model(_x())), rtol=1e-6)


@pytest.mark.parametrize("saved_by", ["keras", "heft"])
def test_operation_keras_model_file_loads_in_the_other_library(tmp_path, saved_by):
    source, target = (keras, heft) if saved_by == "keras" else (heft, keras)
    model = _model(source, _scale_op(source))
    path = str(tmp_path / "op.keras")
    model.save(path)
    op_cls = _scale_op(target)
    loaded = target.saving.load_model(path, custom_objects={"ScaleShift": op_cls})
    assert isinstance(loaded.operations[1], op_cls)
    assert loaded.operations[1].factor == 3.0
    np.testing.assert_allclose(np.asarray(loaded(_x())), np.asarray(model(_x())), rtol=1e-6)
    # A config moves too (the op's class given by name).
    config = json.loads(json.dumps(model.get_config()))
    again = target.Model.from_config(config, custom_objects={"ScaleShift": op_cls})
    assert [o.name for o in again.operations] == [o.name for o in model.operations]


def test_operation_keras_clone_model_keeps_a_custom_op():
    for lib in LIBS:
        model = _model(lib, _scale_op(lib))
        clone = lib.models.clone_model(model)
        assert type(clone.operations[1]) is type(model.operations[1])
        assert clone.operations[1] is not model.operations[1]
        assert clone.operations[1].factor == 3.0


def _opaque_op(lib):
    class Opaque(lib.Operation):
        def __init__(self, fn, name=None):
            super().__init__(name=name)
            self.fn = fn

        def call(self, x):
            return self.fn(x)

    return Opaque


def _variadic_op(lib):
    class Variadic(lib.Operation):
        def __init__(self, *factors):
            super().__init__()
            self.factors = factors

        def call(self, x):
            return x

    return Variadic


def _nameless_op(lib):
    class Nameless(lib.Operation):
        def __init__(self, axis=-1):
            super().__init__()
            self.axis = axis

        def call(self, x):
            return lib.ops.sum(x, axis=self.axis)

    return Nameless


def test_operation_keras_automatic_config_limits():
    for lib in LIBS:
        # Without `name` in `__init__`, the config leaves the name out.
        assert _nameless_op(lib)(axis=0).get_config() == {"axis": 0}
        # Not plain values, or positional variadic ones: no config can be made.
        with pytest.raises(NotImplementedError, match="get_config"):
            _opaque_op(lib)(abs).get_config()
        with pytest.raises(NotImplementedError, match="variadic"):
            _variadic_op(lib)(1.0, 2.0).get_config()
        # A config that the constructor refuses: TypeError.
        with pytest.raises(TypeError, match="Error when deserializing class 'Nameless'"):
            _nameless_op(lib).from_config({"name": "n", "axis": 1})


def test_operation_keras_model_with_opaque_op_cannot_be_configured():
    for lib in LIBS:
        x = lib.Input((3,))
        model = lib.Model(x, _opaque_op(lib)(lib.ops.abs)(x))
        np.testing.assert_allclose(np.asarray(model(-_x())), np.abs(_x()), rtol=1e-6)
        with pytest.raises(NotImplementedError, match="get_config"):
            model.get_config()


def _broken_op(lib):
    class Broken(lib.Operation):
        def call(self, x):
            return lib.ops.matmul(x, lib.ops.ones((5, 2)))

    return Broken


def test_operation_keras_errors():
    for lib in LIBS:
        _fresh(lib)
        op = lib.Operation()
        assert op.name == "operation"
        with pytest.raises(NotImplementedError):
            op(_x())
        with pytest.raises(ValueError, match="cannot contain character `/`"):
            lib.Operation(name="a/b")
        with pytest.raises(AttributeError, match="has never been called"):
            _ = _scale_op(lib)().output
        with pytest.raises(TypeError, match="Could not automatically infer the output shape"):
            _broken_op(lib)()(lib.Input((3,)))


def _probe_layer(lib, seen):
    in_scope = keras_in_symbolic_scope if lib is keras else heft_in_symbolic_scope

    class Probe(lib.layers.Layer):
        def call(self, x):
            seen.append(in_scope())
            return x * 2.0

    return Probe


def _probe_op(lib, seen):
    in_scope = keras_in_symbolic_scope if lib is keras else heft_in_symbolic_scope

    class ProbeOp(lib.Operation):
        def call(self, x):
            seen.append(in_scope())
            return x + 1.0

    return ProbeOp


def test_symbolic_scope_keras_entered_where_keras_enters_it():
    results = {}
    for lib in LIBS:
        seen = []
        x = lib.Input((3,))
        layer, op = _probe_layer(lib, seen)(), _probe_op(lib, seen)()
        model = lib.Model(x, op(layer(x)))
        symbolic = set(seen)
        seen.clear()
        model(_x())
        eager = set(seen)
        seen.clear()
        layer.compute_output_spec(lib.KerasTensor((2, 3)))
        results[lib] = (symbolic, eager, set(seen))
    assert results[heft] == results[keras] == ({True}, {False}, {True})


def test_symbolic_scope_keras_nests_and_restores():
    for lib, in_scope in ((keras, keras_in_symbolic_scope), (heft, heft_in_symbolic_scope)):
        assert not in_scope()
        with lib.SymbolicScope() as outer:
            assert in_scope()
            with lib.SymbolicScope() as inner:
                assert inner.original_scope is outer
            assert in_scope()
        assert not in_scope()


def test_operation_keras_model_to_dot_labels():
    labels = {}
    for lib in LIBS:
        _fresh(lib)
        x = lib.Input((3,), name="x")
        model = lib.Model(x, _scale_op(lib)(3.0)(x * 2.0))
        dot = lib.utils.model_to_dot(model, show_shapes=True)
        labels[lib] = sorted(str(n.get_label()) for n in dot.get_nodes() if n.get_label())
    assert labels[heft] == labels[keras]
    assert any("(ScaleShift)" in label for label in labels[heft])
    assert any("(Multiply)" in label for label in labels[heft])
