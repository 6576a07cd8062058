"""Helpers for tests that need small RecordIO files."""

from __future__ import annotations

from pathlib import Path

from recio import recordio


def write_records(path: Path, records: list[bytes]) -> list[int]:
    """Write `records` to `path` with an index beside it (keys 0..n-1); returns their offsets."""
    offsets = []
    with recordio.MXIndexedRecordIO(str(path.with_suffix(".idx")), str(path), "w") as w:
        for i, data in enumerate(records):
            offsets.append(w.tell())
            w.write_idx(i, data)
    return offsets
