"""Tests for the buffers values are read into: aligned, adopted by JAX, prepared ahead."""

import threading

import jax
import numpy as np
import pytest

from heft.saving import _buffers
from heft.saving._buffers import Ahead, aligned_empty

MIB = 1 << 20


@pytest.mark.parametrize("shape", [(0,), (3,), (2, 3), (MIB,), (512, 1024)])
@pytest.mark.parametrize("dtype", ["float32", "int8", "float64"])
def test_aligned_empty_is_aligned_writable_and_of_the_asked_shape(shape, dtype):
    out = aligned_empty(shape, dtype)
    assert out.shape == shape and out.dtype == np.dtype(dtype)
    assert out.size == 0 or out.ctypes.data % _buffers.ALIGNMENT == 0
    out[...] = 7
    assert (out == 7).all()


def test_large_buffers_are_memory_maps_that_jax_adopts_without_a_copy():
    out = aligned_empty((MIB,), "float32")
    assert out.nbytes >= _buffers.MAPPED_BYTES
    out[:] = np.arange(MIB, dtype="float32")
    value = jax.device_put(out)
    if jax.default_backend() == "cpu":
        assert value.unsafe_buffer_pointer() == out.ctypes.data
    del out  # the array JAX adopted keeps the mapping alive
    assert float(value[-1]) == MIB - 1


def test_ahead_hands_over_prepared_buffers_in_order():
    sizes = [4 * MIB, 12, 8 * MIB, 2 * MIB]
    ahead = Ahead(sizes)
    first = ahead.take((MIB,), "float32")
    small = ahead.take((3,), "float32")
    third = ahead.take((2 * MIB,), "float32")
    fourth = ahead.take((MIB,), "int16")
    ahead.close()
    assert [a.nbytes for a in (first, small, third, fourth)] == sizes
    assert fourth.dtype == np.int16
    for a in (first, third, fourth):
        assert a.ctypes.data % 4096 == 0  # mapped: page-aligned
        a[...] = 1
    # the buffers are distinct memory
    assert len({a.ctypes.data for a in (first, small, third, fourth)}) == 4


def test_ahead_falls_back_when_asked_for_another_size():
    ahead = Ahead([4 * MIB, 4 * MIB])
    other = ahead.take((3 * MIB,), "uint8")  # not the next prepared size
    assert other.nbytes == 3 * MIB and other.ctypes.data % 64 == 0
    assert ahead.take((MIB,), "float32").nbytes == 4 * MIB  # the queue is still in order
    ahead.close()
    assert ahead.take((MIB,), "float32").nbytes == 4 * MIB  # after close: plain buffers


def test_ahead_close_drops_buffers_not_taken_and_leaves_no_work_behind():
    ahead = Ahead([16 * MIB] * 6)
    ahead.take((4 * MIB,), "float32")
    ahead.close()
    assert not ahead._pending and not ahead._sizes
    # the helper thread is idle: the next task runs at once
    done = threading.Event()
    _buffers.helper("heft-prefault").submit(done.set)
    assert done.wait(10)


def test_ahead_without_madvise_still_populates(monkeypatch):
    monkeypatch.setattr(_buffers, "_MADVISE", None)
    ahead = Ahead([2 * MIB])
    out = ahead.take((MIB // 2,), "float32")
    ahead.close()
    out[:] = 3
    assert out.sum() == 3 * (MIB // 2)
