"""mapdata.files: a file is replaced whole or not at all."""

from __future__ import annotations

import pytest

from mapdata.files import write_atomically, write_text_atomically


def test_a_write_replaces_the_file_whole(tmp_path):
    target = tmp_path / "index.json"
    target.write_text("old", encoding="utf-8")
    assert write_text_atomically(target, "new") == target
    assert target.read_text(encoding="utf-8") == "new" and [p.name for p in tmp_path.iterdir()] == ["index.json"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path):
    target = tmp_path / "index.json"
    target.write_text("old", encoding="utf-8")

    def half_then_fail(tmp):
        tmp.write_text("half", encoding="utf-8")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomically(target, half_then_fail)
    assert target.read_text(encoding="utf-8") == "old" and [p.name for p in tmp_path.iterdir()] == ["index.json"]
