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
from heft import _host_memory

GLIBC = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"

# A fresh process imports heft, then allocates, touches and frees 96 MiB twice from
# a worker thread (as XLA's CPU backend does with a computation's buffer), inside
# and outside ``keep_freed_memory``, and counts the page faults of each second round.
_CHILD = textwrap.dedent(
    """
    import ctypes, json, resource, threading
    import heft
    from heft import _host_memory

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

    with _host_memory.keep_freed_memory():
        kept = second_round_faults()
        with _host_memory.usual_allocation():
            usual_inside = second_round_faults()
    after = second_round_faults()
    print(json.dumps({"active": _host_memory.active(), "kept": kept,
                      "usual_inside": usual_inside, "after": after}))
    """
)


def _child(**env: str) -> dict:
    environment = {k: v for k, v in os.environ.items() if k != _host_memory.ENV_VAR} | env
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
    monkeypatch.setattr(_host_memory, "_state", _host_memory._State())
    _host_memory._state.libc = fake
    return fake


def _mmap_max(fake: _FakeLibc) -> list[int]:
    """The values given to ``M_MMAP_MAX``, in order."""
    return [
        call[2]
        for call in fake.calls
        if call[0] == "mallopt" and call[1] == _host_memory._M_MMAP_MAX
    ]


def test_nested_keeping_sets_the_allocator_once_and_restores_it_at_the_outermost_exit(fake_libc):
    with _host_memory.keep_freed_memory():
        with _host_memory.keep_freed_memory():
            assert _mmap_max(fake_libc) == [0]
        assert ("trim", 0) not in fake_libc.calls
    assert _mmap_max(fake_libc) == [0, _host_memory._MMAP_MAX_DEFAULT]
    assert fake_libc.calls[-1] == ("trim", 0)


def test_usual_allocation_inside_keeping_maps_again_then_keeps_again(fake_libc):
    with _host_memory.keep_freed_memory():
        with _host_memory.usual_allocation():
            with _host_memory.usual_allocation():
                assert _mmap_max(fake_libc) == [0, _host_memory._MMAP_MAX_DEFAULT]
        assert _mmap_max(fake_libc) == [0, _host_memory._MMAP_MAX_DEFAULT, 0]
    assert _mmap_max(fake_libc)[-1] == _host_memory._MMAP_MAX_DEFAULT


def test_training_that_starts_during_file_io_keeps_memory_once_the_io_ends(fake_libc):
    with _host_memory.usual_allocation():
        with _host_memory.keep_freed_memory():
            assert _mmap_max(fake_libc) == []
        assert _mmap_max(fake_libc) == [_host_memory._MMAP_MAX_DEFAULT]
    assert _mmap_max(fake_libc) == [_host_memory._MMAP_MAX_DEFAULT]


def test_usual_allocation_outside_training_changes_nothing(fake_libc):
    with _host_memory.usual_allocation():
        pass
    assert fake_libc.calls == []


def test_an_error_inside_training_still_restores_the_allocator(fake_libc):
    with pytest.raises(RuntimeError), _host_memory.keep_freed_memory():
        raise RuntimeError("boom")
    assert _mmap_max(fake_libc) == [0, _host_memory._MMAP_MAX_DEFAULT]


def test_fit_keeps_freed_memory_and_a_checkpoint_inside_it_saves_as_usual(fake_libc, tmp_path):
    seen = []

    class Probe(heft.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append(("epoch", _host_memory._state.keeping, _host_memory._state.usual))
            self.model.save_weights(str(tmp_path / "w.weights.h5"))
            seen.append(("after save", _host_memory._state.keeping, _host_memory._state.usual))

    model = heft.Sequential([heft.Input((3,)), heft.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.ones((8, 3), "float32"), np.zeros((8, 2), "float32")
    model.fit(x, y, epochs=1, verbose=0, callbacks=[Probe()])
    assert seen == [("epoch", 1, 0), ("after save", 1, 0)]
    # The save inside fit mapped large requests again, then training kept them.
    default = _host_memory._MMAP_MAX_DEFAULT
    assert _mmap_max(fake_libc) == [0, default, 0, default]
    assert _host_memory._state.keeping == 0


@pytest.mark.parametrize("value", [None, "", "0", "false", "No", " off "])
def test_the_settings_are_off_unless_the_environment_asks(monkeypatch, value):
    if value is None:
        monkeypatch.delenv(_host_memory.ENV_VAR, raising=False)
    else:
        monkeypatch.setenv(_host_memory.ENV_VAR, value)
    monkeypatch.setattr(_host_memory, "_state", _host_memory._State())
    assert _host_memory.share_one_arena() is False
    assert _host_memory.active() is False


@pytest.mark.parametrize("value", ["1", "true", "Yes", " on "])
def test_the_environment_turns_the_settings_on(monkeypatch, value):
    monkeypatch.setenv(_host_memory.ENV_VAR, value)
    assert _host_memory._wanted() is True


def test_other_c_libraries_are_left_alone(monkeypatch):
    monkeypatch.setenv(_host_memory.ENV_VAR, "1")
    monkeypatch.setattr(_host_memory, "_state", _host_memory._State())
    monkeypatch.setattr(platform, "libc_ver", lambda: ("", ""))
    assert _host_memory.share_one_arena() is False
