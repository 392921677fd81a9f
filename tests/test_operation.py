"""``heft.Operation``: custom ops on arrays, in graphs, under remat and in training."""

import threading

import jax
import numpy as np
import pytest

import heft
from heft._symbolic_scope import get_symbolic_scope, in_symbolic_scope
from heft.ops._graph_op import GraphOp


class Square(heft.Operation):
    def call(self, x):
        return heft.ops.square(x)


def test_operation_graph_op_nodes_are_operations_not_layers():
    x = heft.Input((3,))
    model = heft.Model(x, heft.ops.relu(x) + 1.0)
    nodes = model.operations[1:]
    assert [type(n) for n in nodes] == [GraphOp, GraphOp]
    assert all(isinstance(n, heft.Operation) and not isinstance(n, heft.Layer) for n in nodes)
    assert model.layers == model.operations[:1]


def test_operation_layers_keep_their_own_config_and_name():
    layer = heft.layers.Dense(2, name="d")
    assert isinstance(layer, heft.Operation)
    assert "_auto_config" not in layer.__dict__
    with pytest.raises(AttributeError):
        layer.name = "other"  # a layer's name is fixed, as before


def test_operation_name_is_checked():
    with pytest.raises(ValueError, match="must be a string"):
        Square(name=3)
    with pytest.raises(AttributeError):
        Square(name="sq").name = "other"


def test_operation_remat_scope_checkpoints_the_call():
    with heft.RematScope(mode="full"):
        op = Square()
    assert op._remat_mode.mode == "full"
    grad = jax.grad(lambda v: op(v).sum())(np.arange(3.0, dtype="float32"))
    np.testing.assert_allclose(np.asarray(grad), [0.0, 2.0, 4.0])


def test_operation_trains_inside_a_model():
    x = heft.Input((3,))
    model = heft.Model(x, heft.layers.Dense(1)(Square()(x)))
    model.compile(optimizer="sgd", loss="mse")
    data = np.ones((4, 3), "float32")
    history = model.fit(data, np.zeros((4, 1), "float32"), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_operation_input_and_output_of_the_first_call():
    op = Square()
    a, b = heft.Input((3,), name="a"), heft.Input((4,), name="b")
    first, second = op(a), op(b)
    assert op.input is a and op.output is first
    assert op._inbound_nodes[1].outputs is second
    with pytest.raises(ValueError, match="has only 2 inbound nodes"):
        op._node_attribute(2, "input_tensors", "input")


class _NeedsTwoArguments(Exception):
    def __init__(self, code, text):
        super().__init__(f"{code}: {text}")


class Strict(heft.Operation):
    def call(self, x):
        raise _NeedsTwoArguments(7, "no shapes here")


def test_operation_shape_error_keeps_an_exception_it_cannot_rewrap():
    with pytest.raises(_NeedsTwoArguments, match="7: no shapes here"):
        Strict()(heft.Input((3,)))


def test_symbolic_scope_is_per_thread():
    seen = []
    with heft.SymbolicScope() as scope:
        thread = threading.Thread(target=lambda: seen.append(in_symbolic_scope()))
        thread.start()
        thread.join()
        assert get_symbolic_scope() is scope
    assert seen == [False]
    assert get_symbolic_scope() is None


def test_symbolic_scope_wraps_a_build_that_runs_call_on_shapes():
    seen = []

    class Inner(heft.layers.Layer):
        def call(self, x):
            return x

    class Outer(heft.Model):
        def __init__(self):
            super().__init__()
            self.inner = Inner()
            self.dense = heft.layers.Dense(2)

        def call(self, x):
            seen.append(in_symbolic_scope())
            return self.dense(self.inner(x))

    Outer().build((None, 3))
    assert seen == [True]
    seen.clear()
    Outer()(np.ones((1, 3), "float32"))
    assert seen == [False]
