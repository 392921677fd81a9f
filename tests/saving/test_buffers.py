"""Tests for the buffers values are read into: aligned, adopted by JAX, prepared ahead."""

import ctypes
import errno
import hashlib
import sys
import threading

import jax
import numpy as np
import pytest

from heft._platform import _prefault
from heft._platform._switches import PREFAULT_BUFFERS
from heft.saving import _buffers
from heft.saving._buffers import Ahead, aligned_empty

MIB = 1 << 20
LINUX = sys.platform.startswith("linux")
linux_only = pytest.mark.skipif(not LINUX, reason="buffers are faulted in ahead on Linux only")


@pytest.fixture
def prefault():
    """Buffers faulted in ahead, as on Linux with the switch on."""
    with PREFAULT_BUFFERS.forced(True):
        yield


@pytest.fixture(params=[True, False], ids=["prefault", "plain"])
def either_path(request):
    with PREFAULT_BUFFERS.forced(request.param):
        yield request.param


@pytest.mark.parametrize("shape", [(0,), (3,), (2, 3), (MIB,), (512, 1024)])
@pytest.mark.parametrize("dtype", ["float32", "int8", "float64"])
def test_aligned_empty_is_aligned_writable_and_of_the_asked_shape(either_path, shape, dtype):
    out = aligned_empty(shape, dtype)
    assert out.shape == shape and out.dtype == np.dtype(dtype)
    assert out.size == 0 or out.ctypes.data % _buffers.ALIGNMENT == 0
    out[...] = 7
    assert (out == 7).all()


@linux_only
def test_large_buffers_are_memory_maps_that_jax_adopts_without_a_copy(prefault):
    out = aligned_empty((MIB,), "float32")
    assert out.nbytes >= _prefault.MAPPED_BYTES
    assert out.ctypes.data % 4096 == 0  # a memory map of its own
    out[:] = np.arange(MIB, dtype="float32")
    value = jax.device_put(out)
    if jax.default_backend() == "cpu":
        assert value.unsafe_buffer_pointer() == out.ctypes.data
    del out  # the array JAX adopted keeps the mapping alive
    assert float(value[-1]) == MIB - 1


@linux_only
def test_ahead_hands_over_prepared_buffers_in_order(prefault):
    sizes = [4 * MIB, 12, 8 * MIB, 2 * MIB]
    ahead = Ahead(sizes)
    taken = [
        ahead.take((MIB,), "float32"),
        ahead.take((3,), "float32"),
        ahead.take((2 * MIB,), "float32"),
        ahead.take((MIB,), "int16"),
    ]
    for t in taken:
        t.ready(t.array.nbytes)
    ahead.close()
    first, small, third, fourth = (t.array for t in taken)
    assert [a.nbytes for a in (first, small, third, fourth)] == sizes
    assert fourth.dtype == np.int16
    for a in (first, third, fourth):
        assert a.ctypes.data % 4096 == 0  # mapped: page-aligned
        a[...] = 1
    # the buffers are distinct memory
    assert len({a.ctypes.data for a in (first, small, third, fourth)}) == 4


@linux_only
def test_ahead_falls_back_when_asked_for_another_size(prefault):
    ahead = Ahead([4 * MIB, 4 * MIB])
    other = ahead.take((3 * MIB,), "uint8").array  # not the next prepared size
    assert other.nbytes == 3 * MIB and other.ctypes.data % 64 == 0
    assert ahead.take((MIB,), "float32").array.nbytes == 4 * MIB  # the queue is still in order
    ahead.close()
    assert ahead.take((MIB,), "float32").array.nbytes == 4 * MIB  # after close: plain buffers


@linux_only
def test_ahead_close_drops_buffers_not_taken_and_leaves_no_work_behind(prefault):
    ahead = Ahead([16 * MIB] * 6)
    ahead.take((4 * MIB,), "float32")
    ahead.close()
    assert not ahead._pending and not ahead._sizes
    # the helper thread is idle: the next task runs at once
    done = threading.Event()
    _buffers.helper("heft-prefault").submit(done.set)
    assert done.wait(10)


@linux_only
def test_ahead_without_madvise_touches_the_pages_in(monkeypatch, prefault):
    monkeypatch.setattr(_prefault, "_MADVISE", None)
    ahead = Ahead([2 * MIB])
    out, ready = ahead.take((MIB // 2,), "float32")
    ready(out.nbytes)
    ahead.close()
    assert not out.any()  # touching fresh pages wrote zeros over zeros
    out[:] = 3
    assert out.sum() == 3 * (MIB // 2)


@linux_only
def test_a_refused_populate_falls_back_to_touching_for_good(monkeypatch, prefault):
    calls = []

    def refuse(address, length, advice):
        calls.append(advice)
        ctypes.set_errno(errno.EINVAL)  # a kernel older than MADV_POPULATE_WRITE
        return -1

    monkeypatch.setattr(_prefault, "_MADVISE", refuse)
    monkeypatch.setattr(_prefault, "_populate_works", True)
    out, ready = Ahead([3 * MIB]).take((3 * MIB,), "uint8")
    ready(out.nbytes)
    populate = _prefault._MADV_POPULATE_WRITE
    assert calls == [populate]  # asked once, then never again
    assert _prefault._populate_works is False
    out[:] = 5
    assert int(out.sum()) == 5 * 3 * MIB
    aligned_empty((2 * MIB,), "uint8")[:] = 1  # the same fallback, without asking again
    assert calls == [populate]


@linux_only
def test_a_transient_populate_failure_touches_the_pages_and_asks_again(monkeypatch, prefault):
    calls = []

    def out_of_memory(address, length, advice):
        calls.append(advice)
        ctypes.set_errno(errno.ENOMEM)
        return -1

    monkeypatch.setattr(_prefault, "_MADVISE", out_of_memory)
    monkeypatch.setattr(_prefault, "_populate_works", True)
    for _ in range(2):
        out = aligned_empty((2 * MIB,), "uint8")
        out[:] = 1
        assert int(out.sum()) == 2 * MIB
    assert len(calls) == 2 and _prefault._populate_works is True


@linux_only
def test_the_reader_and_the_helper_share_the_pieces_of_a_buffer(monkeypatch, prefault):
    faulted = []
    real = _prefault._fault_in
    gate = threading.Event()

    def recording(raw, start, stop):
        helping = threading.current_thread().name.startswith("heft-prefault")
        if helping:
            gate.wait(10)  # hold the helper back so the reader claims pieces first
        faulted.append((threading.current_thread().name, start, stop))
        real(raw, start, stop)
        if not helping and len(faulted) >= 2:
            gate.set()

    monkeypatch.setattr(_prefault, "_fault_in", recording)
    pieces = 6
    ahead = Ahead([pieces * _prefault.PIECE_BYTES])
    out, ready = ahead.take((pieces * _prefault.PIECE_BYTES,), "uint8")
    ready(3 * _prefault.PIECE_BYTES)  # the reader faults in what it needs itself
    readers = [f for f in faulted if not f[0].startswith("heft-prefault")]
    assert len(readers) >= 2  # the helper held at most one piece while gated
    ready(out.nbytes)
    ahead.close()
    starts = sorted(start for _, start, _ in faulted)
    assert starts == [i * _prefault.PIECE_BYTES for i in range(pieces)]  # each piece once
    out[:] = 1
    assert int(out.sum()) == out.nbytes


@linux_only
def test_ready_after_close_does_not_wait_for_pieces_nobody_will_fault(prefault):
    ahead = Ahead([8 * MIB, 8 * MIB])
    ahead.take((8 * MIB,), "uint8")
    second = ahead._pending[0][1]
    ahead.close()
    second.ready(8 * MIB)  # returns: the pages fault in when written
    assert second.raw.nbytes == 8 * MIB


@linux_only
def test_close_stops_the_helper_on_the_buffer_being_read(monkeypatch, prefault):
    started, release = threading.Event(), threading.Event()
    real = _prefault._fault_in

    def slow(raw, start, stop):
        if threading.current_thread().name.startswith("heft-prefault"):
            started.set()
            release.wait(10)
        real(raw, start, stop)

    monkeypatch.setattr(_prefault, "_fault_in", slow)
    pieces = 8
    ahead = Ahead([pieces * _prefault.PIECE_BYTES])
    ahead.take((pieces * _prefault.PIECE_BYTES,), "uint8")
    assert started.wait(10)  # the helper holds the first piece
    filling = ahead._current
    ahead.close()  # a failed read: the helper must not go on with the other pieces
    release.set()
    done = threading.Event()
    _buffers.helper("heft-prefault").submit(done.set)
    assert done.wait(10)
    assert filling._claimed == 1 and ahead._current is None


@linux_only
@pytest.mark.parametrize("suffix", [".weights.h5", ".safetensors", ".h5", ".weights.json"])
def test_loads_read_large_values_into_prepared_buffers_bit_for_bit(
    tmp_path, monkeypatch, prefault, suffix
):
    import heft
    from heft import layers
    from heft.saving import _checksum, load_weights, save_weights

    def model(seed):
        m = heft.Sequential([layers.Input((1000,)), layers.Dense(700), layers.Dense(3)])
        rng = np.random.default_rng(seed)
        m.set_weights([rng.standard_normal(w.shape).astype("float32") for w in m.weights])
        return m

    # Pieces of the read that end inside a faulted-in piece, not on its edge.
    monkeypatch.setattr(_checksum, "CHUNK_BYTES", 3 * MIB // 2 + 4000)
    faulted = []
    real = _prefault._fault_in
    monkeypatch.setattr(
        _prefault, "_fault_in", lambda raw, a, b: (faulted.append(b - a), real(raw, a, b))
    )
    source, target = model(0), model(1)
    path = tmp_path / f"m{suffix}"
    save_weights(source, path, **({"max_shard_size": 0.003} if suffix == ".weights.json" else {}))
    load_weights(target, path)
    kernel = 1000 * 700 * 4  # 2.67 MiB: the only value large enough to be prepared
    assert sum(faulted) == kernel
    for a, b in zip(source.weights, target.weights, strict=True):
        assert np.array_equal(a.numpy(), b.numpy())


def test_with_the_switch_off_buffers_are_plain_and_nothing_is_prepared(monkeypatch):
    monkeypatch.setattr(_prefault, "_mapped", lambda n: pytest.fail("a buffer was mapped"))
    monkeypatch.setattr(_prefault, "_fault_in", lambda *a: pytest.fail("pages were faulted in"))
    with PREFAULT_BUFFERS.forced(False):
        assert _prefault.applies() is False
        big = aligned_empty((2 * MIB,), "float32")
        ahead = Ahead([8 * MIB, 4 * MIB])
        assert not ahead._pending  # no helper thread was given work
        taken = ahead.take((2 * MIB,), "float32")
        taken.ready(taken.array.nbytes)
        ahead.close()
    for out in (big, taken.array):
        assert out.ctypes.data % _buffers.ALIGNMENT == 0
        out[:] = 2
        assert float(out.sum()) == 2 * out.size


def _digest(model):
    return hashlib.sha256(b"".join(np.asarray(w.numpy()).tobytes() for w in model.weights))


@pytest.mark.parametrize("suffix", [".weights.h5", ".safetensors", ".h5", ".weights.json"])
def test_loads_give_the_same_values_bit_for_bit_with_and_without_prefaulting(tmp_path, suffix):
    import heft
    from heft import layers
    from heft.saving import load_weights, save_weights

    def model(seed):
        m = heft.Sequential([layers.Input((600,)), layers.Dense(900), layers.Dense(3)])
        rng = np.random.default_rng(seed)
        m.set_weights([rng.standard_normal(w.shape).astype("float32") for w in m.weights])
        return m

    path = tmp_path / f"m{suffix}"
    save_weights(model(0), path, **({"max_shard_size": 0.003} if suffix == ".weights.json" else {}))
    digests = []
    for on in (True, False):
        target = model(1)
        with PREFAULT_BUFFERS.forced(on):
            load_weights(target, path)
        digests.append(_digest(target).hexdigest())
    assert digests[0] == digests[1] == _digest(model(0)).hexdigest()
