"""Page-cache hints for files being saved: Linux only, switched, never changing a byte."""

from heft._platform import _write_hints
from heft._platform._switches import WRITE_HINTS


def test_the_hints_leave_the_file_as_it_is(tmp_path):
    path = tmp_path / "w.bin"
    path.write_bytes(b"xyz" * 5000)
    _write_hints.drop_cached_pages(str(path))
    _write_hints.start_writeback(str(path))
    assert path.read_bytes() == b"xyz" * 5000
    _write_hints.drop_cached_pages(str(tmp_path / "missing.bin"))
    _write_hints.start_writeback(str(tmp_path / "missing.bin"))
    _write_hints.drop_cached_pages(str(tmp_path))  # a folder: nothing to drop
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.bin"]


def test_the_hints_apply_on_linux_with_the_switch_on_only(monkeypatch):
    monkeypatch.setattr(_write_hints, "_LINUX", True)
    with WRITE_HINTS.forced(True):
        assert _write_hints.applies() is True
    with WRITE_HINTS.forced(False):
        assert _write_hints.applies() is False
        assert _write_hints.can_start_writeback() is False
    monkeypatch.setattr(_write_hints, "_LINUX", False)  # macOS, Windows, ...
    with WRITE_HINTS.forced(True):
        assert _write_hints.applies() is False
        assert _write_hints.can_start_writeback() is False
