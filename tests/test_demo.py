"""`make demo` runs: im2rec packs the built-in images, the iterators stream them."""

from __future__ import annotations

from pathlib import Path

import cv2
import pytest

from recio import demo, recordio


def test_demo_packs_streams_and_draws(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert demo.main([str(tmp_path), "--count", "36", "--epochs", "1"]) == 0
    out = capsys.readouterr().out
    assert "recio im2rec:" in out
    assert "images/s" in out
    with recordio.MXIndexedRecordIO(
        str(tmp_path / "sample.idx"), str(tmp_path / "sample.rec"), "r"
    ) as r:
        assert sorted(r.keys) == list(range(36))
        header, img = recordio.unpack_img(r.read_idx(0))
    assert header.label in (0.0, 1.0, 2.0)
    assert img.ndim == 3
    grid = cv2.imread(str(tmp_path / "batch.png"))
    assert grid is not None
    assert grid.shape[0] > 160
    det = cv2.imread(str(tmp_path / "det_batch.png"))
    assert det is not None
    assert det.shape[1] > 256
