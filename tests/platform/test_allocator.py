"""With HEFT_RETAIN_FREED_MEMORY=1, freed host memory is kept while heft trains (glibc)."""

import json
import os
import platform
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import heft
from heft._platform import _allocator
from heft._platform._switches import RETAIN_FREED_MEMORY

GLIBC = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"

# A fresh process imports heft, then allocates, touches and frees 96 MiB twice from
# a worker thread (as XLA's CPU backend does with a computation's buffer), inside
# and outside ``keep_freed_memory``, and counts the page faults of each second round.
# It then trains a small model and prints a digest of its weights.
_CHILD = textwrap.dedent(
    """
    import ctypes, hashlib, json, resource, threading
    import numpy as np
    import heft
    from heft._platform import _allocator

    libc = ctypes.CDLL(None)
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = (ctypes.c_size_t,)
    libc.free.argtypes = (ctypes.c_void_p,)
    SIZE = 96 << 20

    def round_trip():
        pointer = libc.malloc(SIZE)
        ctypes.memset(pointer, 1, SIZE)
        libc.free(pointer)

    def second_round_faults():
        counts = []
        def worker():
            round_trip()
            before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            round_trip()
            counts.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
        return counts[0]

    with _allocator.keep_freed_memory():
        kept = second_round_faults()
        with _allocator.usual_allocation():
            usual_inside = second_round_faults()
    after = second_round_faults()

    # A few training steps, whose weights must not depend on the allocator.
    model = heft.Sequential([heft.Input((12,)), heft.layers.Dense(64, activation="relu"),
                             heft.layers.Dense(3)])
    rng = np.random.default_rng(0)
    model.set_weights([rng.normal(size=w.shape).astype("float32") for w in model.weights])
    model.compile(optimizer="adam", loss="mse")
    x = rng.normal(size=(256, 12)).astype("float32")
    y = rng.normal(size=(256, 3)).astype("float32")
    model.fit(x, y, batch_size=32, epochs=2, shuffle=False, verbose=0)
    digest = hashlib.sha256(b"".join(w.numpy().tobytes() for w in model.weights)).hexdigest()
    print(json.dumps({"active": _allocator.active(), "kept": kept,
                      "usual_inside": usual_inside, "after": after, "weights": digest}))
    """
)


def _child(**env: str) -> dict:
    environment = {k: v for k, v in os.environ.items() if k != RETAIN_FREED_MEMORY.env} | env
    out = subprocess.run(
        [sys.executable, "-c", _CHILD], capture_output=True, text=True, env=environment, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not GLIBC, reason="the allocator settings are glibc's")
def test_training_reuses_freed_memory_and_file_io_maps_it_as_usual():
    on = _child(HEFT_RETAIN_FREED_MEMORY="1")
    off = _child()
    assert on["active"] is True
    assert off["active"] is False
    # The plain path trains to the same weights, bit for bit.
    assert on["weights"] == off["weights"]
    # 96 MiB are 24,576 pages of 4 KiB. Where the kernel backs fresh memory with
    # huge pages, the usual allocator faults little too and there is nothing to see.
    fresh = off["kept"]
    if fresh < 5_000:
        pytest.skip(f"fresh memory faulted only {fresh} times here")
    assert on["kept"] < fresh / 20
    assert on["usual_inside"] > fresh / 2
    assert on["after"] > fresh / 2


class _FakeLibc:
    """Records ``mallopt`` and ``malloc_trim`` calls instead of making them."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def mallopt(self, param: int, value: int) -> int:
        self.calls.append(("mallopt", param, value))
        return 1

    def malloc_trim(self, pad: int) -> int:
        self.calls.append(("trim", pad))
        return 1


@pytest.fixture
def fake_libc(monkeypatch):
    fake = _FakeLibc()
    monkeypatch.setattr(_allocator, "_state", _allocator._State())
    _allocator._state.libc = fake
    with RETAIN_FREED_MEMORY.forced(True):
        yield fake


def _mmap_max(fake: _FakeLibc) -> list[int]:
    """The values given to ``M_MMAP_MAX``, in order."""
    return [
        call[2] for call in fake.calls if call[0] == "mallopt" and call[1] == _allocator._M_MMAP_MAX
    ]


def test_nested_keeping_sets_the_allocator_once_and_restores_it_at_the_outermost_exit(fake_libc):
    with _allocator.keep_freed_memory():
        with _allocator.keep_freed_memory():
            assert _mmap_max(fake_libc) == [0]
        assert ("trim", 0) not in fake_libc.calls
    assert _mmap_max(fake_libc) == [0, _allocator._MMAP_MAX_DEFAULT]
    assert fake_libc.calls[-1] == ("trim", 0)


def test_usual_allocation_inside_keeping_maps_again_then_keeps_again(fake_libc):
    with _allocator.keep_freed_memory():
        with _allocator.usual_allocation():
            with _allocator.usual_allocation():
                assert _mmap_max(fake_libc) == [0, _allocator._MMAP_MAX_DEFAULT]
        assert _mmap_max(fake_libc) == [0, _allocator._MMAP_MAX_DEFAULT, 0]
    assert _mmap_max(fake_libc)[-1] == _allocator._MMAP_MAX_DEFAULT


def test_training_that_starts_during_file_io_keeps_memory_once_the_io_ends(fake_libc):
    with _allocator.usual_allocation():
        with _allocator.keep_freed_memory():
            assert _mmap_max(fake_libc) == []
        assert _mmap_max(fake_libc) == [_allocator._MMAP_MAX_DEFAULT]
    assert _mmap_max(fake_libc) == [_allocator._MMAP_MAX_DEFAULT]


def test_usual_allocation_outside_training_changes_nothing(fake_libc):
    with _allocator.usual_allocation():
        pass
    assert fake_libc.calls == []


def test_an_error_inside_training_still_restores_the_allocator(fake_libc):
    with pytest.raises(RuntimeError), _allocator.keep_freed_memory():
        raise RuntimeError("boom")
    assert _mmap_max(fake_libc) == [0, _allocator._MMAP_MAX_DEFAULT]


def test_fit_keeps_freed_memory_and_a_checkpoint_inside_it_saves_as_usual(fake_libc, tmp_path):
    seen = []

    class Probe(heft.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append(("epoch", _allocator._state.keeping, _allocator._state.usual))
            self.model.save_weights(str(tmp_path / "w.weights.h5"))
            seen.append(("after save", _allocator._state.keeping, _allocator._state.usual))

    model = heft.Sequential([heft.Input((3,)), heft.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.ones((8, 3), "float32"), np.zeros((8, 2), "float32")
    model.fit(x, y, epochs=1, verbose=0, callbacks=[Probe()])
    assert seen == [("epoch", 1, 0), ("after save", 1, 0)]
    # The save inside fit mapped large requests again, then training kept them.
    default = _allocator._MMAP_MAX_DEFAULT
    assert _mmap_max(fake_libc) == [0, default, 0, default]
    assert _allocator._state.keeping == 0


def test_nothing_is_asked_of_the_c_library_with_the_switch_off(fake_libc):
    with RETAIN_FREED_MEMORY.forced(False):
        assert _allocator.active() is False
        with _allocator.keep_freed_memory(), _allocator.usual_allocation():
            pass
    assert fake_libc.calls == []
    assert _allocator._state.keeping == 0


def test_the_arena_is_left_alone_with_the_switch_off(monkeypatch):
    monkeypatch.setattr(_allocator, "_state", _allocator._State())
    monkeypatch.setattr(_allocator, "_libc", lambda: pytest.fail("glibc was asked"))
    with RETAIN_FREED_MEMORY.forced(False):
        assert _allocator.share_one_arena() is False
    assert _allocator.active() is False


def test_other_c_libraries_are_left_alone(monkeypatch):
    monkeypatch.setattr(_allocator, "_state", _allocator._State())
    monkeypatch.setattr(platform, "libc_ver", lambda: ("", ""))
    with RETAIN_FREED_MEMORY.forced(True):
        assert _allocator.share_one_arena() is False
        assert _allocator.active() is False
