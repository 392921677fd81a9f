"""Batched, checked transfers of many values: ``get_weights``/``set_weights``' machinery."""

import numpy as np

import heft
from heft.layers import _assign

MIB = 1 << 20


def _model(width=600, count=40):
    class Many(heft.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.small = [self.add_weight(shape=(3,), name=f"s{i}") for i in range(count)]
            self.big = self.add_weight(shape=(width, width), name="big")

        def call(self, x):
            return x

    return heft.Sequential([heft.Input((3,)), Many(name="many")])


def test_assign_large_and_small_values_round_trip_bit_for_bit():
    model = _model()
    rng = np.random.default_rng(0)
    values = [rng.standard_normal(w.shape) for w in model.weights]  # float64: cast
    model.set_weights(values)
    got = model.get_weights()
    assert model.weights[-1].size * 4 >= MIB  # one large value, many grouped small ones
    for g, v in zip(got, values, strict=True):
        assert g.dtype == np.float32
        np.testing.assert_array_equal(g, v.astype("float32"))


def test_assign_values_share_no_memory_with_the_callers_arrays():
    model = _model()
    values = [np.full(w.shape, 2.0, "float32") for w in model.weights]
    model.set_weights(values)
    for v in values:
        v[...] = 5.0  # the caller reuses its arrays
    got = model.get_weights()
    for g in got:
        assert g.flags.writeable
        np.testing.assert_array_equal(g, 2.0)
        g[...] = 7.0  # writing into what get_weights returned changes no weight
    for g in model.get_weights():
        np.testing.assert_array_equal(g, 2.0)


def test_assign_large_values_are_adopted_by_the_device_without_a_further_copy(monkeypatch):
    buffers = []
    real = _assign._aligned_copies

    def spy(sources, dtypes):
        out = real(sources, dtypes)
        buffers.extend(out)
        return out

    monkeypatch.setattr(_assign, "_aligned_copies", spy)
    values = [np.ones((512, 1024), "float32")]
    placed = _assign.to_device(values)
    assert len(buffers) == 1  # one copy, into the prepared buffer...
    assert placed[0].unsafe_buffer_pointer() == buffers[0].ctypes.data  # ...that JAX adopted
    assert not np.shares_memory(buffers[0], values[0])


def test_assign_replaced_large_values_are_released_before_set_weights_returns(monkeypatch):
    import weakref

    buffers = []
    real = _assign._aligned_copies

    def spy(sources, dtypes):
        out = real(sources, dtypes)
        buffers.extend(weakref.ref(b.base if b.base is not None else b) for b in out)
        return out

    monkeypatch.setattr(_assign, "_aligned_copies", spy)
    monkeypatch.setattr(_assign, "_RELEASE_BYTES", 1 << 20)
    model = _model(width=1024)
    values = [np.ones(w.shape, "float32") for w in model.weights]
    model.set_weights(values)
    first = list(buffers)
    assert first and all(ref() is not None for ref in first)  # adopted by the device
    model.set_weights(values)
    assert all(ref() is None for ref in first)  # freed, with no collection by the caller


def test_get_weights_cuts_each_group_into_arrays_of_the_right_shapes():
    # Groups of equal shapes are cut in one reshape; scalars and mixed shapes piece by piece.
    shapes = [(4,)] * 40 + [()] * 40 + [(2, 3), (5,), (1, 1, 2)] * 12 + [(2, 2)] * 33

    class Shapes(heft.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.ws = [self.add_weight(shape=s, name=f"w{i}") for i, s in enumerate(shapes)]
            self.ints = [
                self.add_weight(shape=(2,), dtype="int32", trainable=False, name=f"i{i}")
                for i in range(35)
            ]

        def call(self, x):
            return x

    layer = Shapes()
    rng = np.random.default_rng(1)
    values = [rng.standard_normal(w.shape).astype(w.dtype) for w in layer.weights]
    layer.set_weights(values)
    for _ in range(2):  # the second call runs the kept plan
        got = layer.get_weights()
        assert len(got) == len(values)
        for g, v in zip(got, values, strict=True):
            assert isinstance(g, np.ndarray) and g.shape == v.shape and g.dtype == v.dtype
            np.testing.assert_array_equal(g, v)
            assert g.flags.writeable
    got[0][:] = 7.0  # writable copies: the variables keep their values
    np.testing.assert_array_equal(layer.get_weights()[0], values[0])
