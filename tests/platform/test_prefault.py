"""Load buffers faulted in ahead: Linux only, switched, whole and ready when asked."""

import sys
import threading

import numpy as np
import pytest

from heft._platform import _prefault
from heft._platform._switches import PREFAULT_BUFFERS

MIB = 1 << 20
linux_only = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="buffers are faulted in ahead on Linux only"
)


def test_prefaulting_applies_on_linux_with_the_switch_on_only(monkeypatch):
    monkeypatch.setattr(_prefault, "_LINUX", True)
    with PREFAULT_BUFFERS.forced(True):
        assert _prefault.applies() is True
    with PREFAULT_BUFFERS.forced(False):
        assert _prefault.applies() is False
    monkeypatch.setattr(_prefault, "_LINUX", False)  # macOS, Windows, ...
    with PREFAULT_BUFFERS.forced(True):
        assert _prefault.applies() is False


@linux_only
def test_faulted_gives_page_aligned_zeroed_memory_of_the_asked_size():
    raw = _prefault.faulted(3 * MIB + 5)
    assert raw.nbytes == 3 * MIB + 5 and raw.dtype == np.uint8
    assert raw.ctypes.data % _prefault._PAGE == 0
    assert not raw.any()
    raw[:] = 9
    assert int(raw.sum()) == 9 * raw.nbytes


@linux_only
def test_filling_on_a_helper_thread_readies_every_piece_once(monkeypatch):
    faulted = []
    real = _prefault._fault_in
    monkeypatch.setattr(
        _prefault, "_fault_in", lambda raw, a, b: (faulted.append(a), real(raw, a, b))
    )
    filling = _prefault.Filling(5 * _prefault.PIECE_BYTES + 10)
    helper = threading.Thread(target=filling.fill)
    helper.start()
    filling.ready(filling.raw.nbytes)
    helper.join(10)
    assert sorted(faulted) == [i * _prefault.PIECE_BYTES for i in range(6)]


@linux_only
def test_a_stopped_filling_claims_no_more_pieces_and_ready_returns():
    filling = _prefault.Filling(4 * _prefault.PIECE_BYTES)
    filling.ready(_prefault.PIECE_BYTES)
    filling.stop()
    filling.fill()  # nothing left to claim
    filling.ready(filling.raw.nbytes)  # returns: the rest faults in when written
    assert filling._claimed == 1
    filling.raw[:] = 1
    assert int(filling.raw.sum()) == filling.raw.nbytes
