"""RecordStore: records by global offset, image records split without copying the payload."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from recio import recordio
from recio._errors import RecordIOError
from recio._header import IRHeader, pack
from recio._io._record_store import RecordStore


def write(path: Path, records: list[bytes]) -> None:
    rec = recordio.MXRecordIO(str(path), "w")
    for r in records:
        rec.write(r)
    rec.close()


def test_image_record_views_the_payload_and_matches_unpack(tmp_path: Path) -> None:
    records = [
        pack(IRHeader(0, 3.5, 7, 0), b"\xff\xd8payload-one"),
        pack(IRHeader(0, np.array([1.0, 2.0, 3.0]), 8, 1), b"two"),
        pack(IRHeader(0, 0.0, 9, 0), b""),
    ]
    write(tmp_path / "a.rec", records[:2])
    write(tmp_path / "b.rec", records[2:])
    store = RecordStore([str(tmp_path / "a.rec"), str(tmp_path / "b.rec")])
    got = [store.image_record(int(o)) for o in store.offsets]
    want = [recordio.unpack(store.record(int(o))) for o in store.offsets]
    for (gh, gp), (wh, wp) in zip(got, want, strict=True):
        assert isinstance(gp, memoryview)  # local files: a view of the map, no copy
        assert bytes(gp) == wp
        assert (gh.flag, gh.id, gh.id2) == (wh.flag, wh.id, wh.id2)
        np.testing.assert_array_equal(gh.label, wh.label)


def test_image_record_errors(tmp_path: Path) -> None:
    write(tmp_path / "a.rec", [b"short", pack(IRHeader(0, 1.0, 1, 0), b"x")])
    store = RecordStore([str(tmp_path / "a.rec")])
    with pytest.raises(ValueError, match="24-byte header"):
        store.image_record(int(store.offsets[0]))
    with pytest.raises(RecordIOError):
        store.image_record(int(store.offsets[1]) + 4)  # not a record start
