"""`make demo` runs: the sample packs, reads back sequentially and by key."""

from __future__ import annotations

from pathlib import Path

import pytest

from recio import demo, recordio


def test_demo_packs_and_reads_back(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert demo.main([str(tmp_path), "--count", "30"]) == 0
    out = capsys.readouterr().out
    assert "packed 30 generated" in out and "read_idx(" in out
    with recordio.MXIndexedRecordIO(
        str(tmp_path / "sample.idx"), str(tmp_path / "sample.rec"), "r"
    ) as r:
        assert r.keys == list(range(30))
        header, img = recordio.unpack_img(r.read_idx(29))
    assert header.id == 29 and img.shape == (64, 64, 3)
    assert header.label[0] == 29 % 3
