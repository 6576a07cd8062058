"""recio.recordio against MXNet 1.9.1's mxnet.recordio on the same generated inputs.

Files written by either side are read by the other, and files written by both
from the same records are compared byte for byte (.rec and .idx). Only bytes
payloads are compared: MXNet 1.9.1 on Python 3 rejects str (TypeError), recio
encodes it as UTF-8 (see test_recordio_edge_cases.py).
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from recio import recordio

from _reference import MXNetReference, local_outcome
from _strategies import (
    MAGIC,
    headers,
    images,
    int_keys,
    labels_multi,
    payloads,
    record_lists,
    str_key,
    uint64,
)

pytestmark = pytest.mark.conformance

FAST = settings(max_examples=60, deadline=None)


@contextmanager
def workdir() -> Iterator[Path]:
    """A fresh directory per hypothesis example (tmp_path is shared by all examples)."""
    with tempfile.TemporaryDirectory(prefix="recio-conf-") as name:
        yield Path(name)


def recio_write(path: Path, records: Sequence[bytes]) -> None:
    with recordio.MXRecordIO(str(path), "w") as writer:
        for record in records:
            writer.write(record)


def recio_read(path: Path) -> list[bytes]:
    with recordio.MXRecordIO(str(path), "r") as reader:
        out = []
        while (record := reader.read()) is not None:
            out.append(record)
        assert reader.read() is None  # stays at the end
        return out


def recio_write_indexed(
    idx: Path, rec: Path, items: Sequence[tuple[Any, bytes]], key_type: type = int
) -> dict[str, Any]:
    with recordio.MXIndexedRecordIO(str(idx), str(rec), "w", key_type=key_type) as writer:
        tells = [writer.tell()]
        for key, payload in items:
            writer.write_idx(key, payload)
            tells.append(writer.tell())
        return {"tells": tells, "keys": list(writer.keys), "idx": dict(writer.idx)}


def recio_read_indexed(
    idx: Path, rec: Path, key_type: type = int, order: Sequence[Any] | None = None
) -> dict[str, Any]:
    with recordio.MXIndexedRecordIO(str(idx), str(rec), "r", key_type=key_type) as reader:
        keys = list(reader.keys)
        by_key = [(key, reader.read_idx(key)) for key in (keys if order is None else order)]
        reader.reset()
        sequential = list(iter(reader.read, None))
        return {"keys": keys, "idx": dict(reader.idx), "by_key": by_key, "sequential": sequential}


# -- sequential files ------------------------------------------------------------


@FAST
@given(records=record_lists)
def test_mxnet_writes_recio_reads(mxnet_ref: MXNetReference, records: list[bytes]) -> None:
    with workdir() as d:
        mxnet_ref.call("recordio.write_records", str(d / "m.rec"), records)
        assert recio_read(d / "m.rec") == records
        with recordio.MXRecordIO(str(d / "m.rec"), "r") as reader:
            assert list(reader) == records


@FAST
@given(records=record_lists)
def test_recio_writes_mxnet_reads(mxnet_ref: MXNetReference, records: list[bytes]) -> None:
    with workdir() as d:
        recio_write(d / "r.rec", records)
        assert mxnet_ref.call("recordio.read_records", str(d / "r.rec")) == records


@FAST
@given(records=record_lists)
def test_rec_files_are_byte_identical(mxnet_ref: MXNetReference, records: list[bytes]) -> None:
    with workdir() as d:
        mxnet_ref.call("recordio.write_records", str(d / "m.rec"), records)
        recio_write(d / "r.rec", records)
        assert (d / "r.rec").read_bytes() == (d / "m.rec").read_bytes()


def _magic_cases() -> list[tuple[str, bytes]]:
    cases = [
        ("exactly-magic", MAGIC),
        ("magic-twice", MAGIC * 2),
        ("magic-thrice-then-byte", MAGIC * 3 + b"z"),
        ("magic-at-end-aligned", b"abcd" + MAGIC),
        ("magic-prefix-only", MAGIC[:3]),
        ("magic-split-over-alignment", b"ab" + MAGIC[:2] + MAGIC[2:] + b"cd"),
        ("magic-every-alignment", b"".join(b"x" * k + MAGIC for k in range(4))),
        ("magic-adjacent-unaligned", b"q" + MAGIC + MAGIC + b"q"),
    ]
    for align in range(4):
        for lead in (0, 4, 8):
            pad = b"\x11" * (lead + align)
            cases.append((f"align{align}-start{lead + align}", pad + MAGIC))
            cases.append((f"align{align}-mid{lead + align}", pad + MAGIC + b"tail!"))
            cases.append((f"align{align}-two{lead + align}", pad + MAGIC + b"1234" + MAGIC))
    return cases


@pytest.mark.parametrize(
    ("payload"), [c[1] for c in _magic_cases()], ids=[c[0] for c in _magic_cases()]
)
def test_magic_word_payloads(mxnet_ref: MXNetReference, tmp_path: Path, payload: bytes) -> None:
    records = [payload, b"", payload + b"!", b"!" + payload]
    mxnet_ref.call("recordio.write_records", str(tmp_path / "m.rec"), records)
    recio_write(tmp_path / "r.rec", records)
    assert (tmp_path / "r.rec").read_bytes() == (tmp_path / "m.rec").read_bytes()
    assert recio_read(tmp_path / "m.rec") == records
    assert mxnet_ref.call("recordio.read_records", str(tmp_path / "r.rec")) == records


# -- indexed files ---------------------------------------------------------------


@FAST
@given(data=st.data(), records=record_lists)
def test_indexed_int_keys_both_ways(
    mxnet_ref: MXNetReference, data: st.DataObject, records: list[bytes]
) -> None:
    keys = data.draw(int_keys(len(records)))
    items = list(zip(keys, records, strict=True))
    order = data.draw(st.permutations(keys))
    with workdir() as d:
        m_idx, m_rec, r_idx, r_rec = d / "m.idx", d / "m.rec", d / "r.idx", d / "r.rec"
        m_wrote = mxnet_ref.call("recordio.write_indexed", str(m_idx), str(m_rec), items)
        r_wrote = recio_write_indexed(r_idx, r_rec, items)
        assert r_wrote == m_wrote  # tell() before/after every write, keys, idx
        assert r_rec.read_bytes() == m_rec.read_bytes()
        assert r_idx.read_bytes() == m_idx.read_bytes()
        expected = {
            "keys": keys,
            "idx": m_wrote["idx"],
            "by_key": [(k, dict(items)[k]) for k in order],
            "sequential": records,
        }
        assert recio_read_indexed(m_idx, m_rec, order=order) == expected
        got = mxnet_ref.call("recordio.read_indexed", str(r_idx), str(r_rec), order=order)
        assert got == expected


@FAST
@given(data=st.data(), records=st.lists(payloads, max_size=8))
def test_indexed_str_keys_both_ways(
    mxnet_ref: MXNetReference, data: st.DataObject, records: list[bytes]
) -> None:
    keys = data.draw(st.lists(str_key, min_size=len(records), max_size=len(records), unique=True))
    items = list(zip(keys, records, strict=True))
    with workdir() as d:
        m_idx, m_rec, r_idx, r_rec = d / "m.idx", d / "m.rec", d / "r.idx", d / "r.rec"
        m_wrote = mxnet_ref.call("recordio.write_indexed", str(m_idx), str(m_rec), items, "str")
        r_wrote = recio_write_indexed(r_idx, r_rec, items, key_type=str)
        assert r_wrote == m_wrote
        assert r_idx.read_bytes() == m_idx.read_bytes()
        assert r_rec.read_bytes() == m_rec.read_bytes()
        mine = recio_read_indexed(m_idx, m_rec, key_type=str)
        theirs = mxnet_ref.call("recordio.read_indexed", str(r_idx), str(r_rec), "str")
        assert mine == theirs
        assert mine["by_key"] == items


@FAST
@given(records=record_lists)
def test_tell_matches_mxnet_writer_and_index(
    mxnet_ref: MXNetReference, records: list[bytes]
) -> None:
    """recio's tell() on plain MXRecordIO (MXNet has none) agrees with MXNet's indexed offsets."""
    items = list(enumerate(records))
    with workdir() as d:
        m_wrote = mxnet_ref.call(
            "recordio.write_indexed", str(d / "m.idx"), str(d / "m.rec"), items
        )
        with recordio.MXRecordIO(str(d / "r.rec"), "w") as writer:
            tells = [writer.tell()]
            for record in records:
                writer.write(record)
                tells.append(writer.tell())
        assert tells == m_wrote["tells"]
        with recordio.MXRecordIO(str(d / "m.rec"), "r") as reader:
            positions = [reader.tell()]
            while reader.read() is not None:
                positions.append(reader.tell())
        assert positions == m_wrote["tells"]


# -- image-record headers ----------------------------------------------------------


def _same_header(mine: Any, theirs: dict[str, Any]) -> None:
    """recio's header equals MXNet's, field types included (float vs float32 array)."""
    assert [type(v).__name__ for v in mine] == theirs["types"]
    assert (mine.flag, mine.id, mine.id2) == (theirs["flag"], theirs["id"], theirs["id2"])
    if isinstance(theirs["label"], np.ndarray):
        assert isinstance(mine.label, np.ndarray)
        assert mine.label.dtype == np.float32
        np.testing.assert_array_equal(mine.label, theirs["label"])
    else:
        assert type(mine.label) is float
        assert mine.label == theirs["label"] or (
            math.isnan(mine.label) and math.isnan(theirs["label"])
        )


@settings(max_examples=150, deadline=None)
@given(header=headers, payload=payloads)
@example(header=(0, 3.4028235677973366e38, 0, 0), payload=b"")  # rounds past float32's max
@example(header=(2, [1.0, -0.0], 2**64 - 1, 2**64 - 1), payload=MAGIC)
def test_pack_and_unpack_match(mxnet_ref: MXNetReference, header: tuple, payload: bytes) -> None:
    theirs = mxnet_ref.outcome("recordio.pack", header, payload)
    mine = local_outcome(recordio.pack, recordio.IRHeader(*header), payload)
    assert (mine.error, mine.value) == (theirs.error, theirs.value)
    if not mine.ok:
        return
    packed = mine.value
    theirs_unpacked = mxnet_ref.call("recordio.unpack", packed)
    mine_header, mine_payload = recordio.unpack(packed)
    assert mine_payload == theirs_unpacked["payload"] == payload
    _same_header(mine_header, theirs_unpacked["header"])


@pytest.mark.parametrize(
    "label",
    [0.0, 1.5, -2.0, 2**24 + 1, 1e-46, 3.4028235e38, 1e39, -1e39, float("inf"), float("-inf")],
)
def test_scalar_label_edges(mxnet_ref: MXNetReference, label: float) -> None:
    """Scalar labels are packed as float32: rounded, and beyond its range +-inf (as MXNet)."""
    header = (0, label, 1, 2)
    theirs = mxnet_ref.outcome("recordio.pack", header, b"p")
    mine = local_outcome(recordio.pack, header, b"p")
    assert theirs.ok, theirs
    assert (mine.error, mine.message, mine.value) == (None, "", theirs.value)


@pytest.mark.parametrize(
    "header",
    [(0, 1.0, -1, 0), (0, 1.0, 0, 2**64), (0, [1.0], 2**64, 0), (0, 1.0, 1.5, 0)],
    ids=["negative-id", "id2-too-big", "id-too-big-multi", "float-id"],
)
def test_ids_out_of_range(mxnet_ref: MXNetReference, header: tuple[Any, ...]) -> None:
    """ids are uint64: both sides refuse anything else the same way (struct.error)."""
    theirs = mxnet_ref.outcome("recordio.pack", header, b"")
    mine = local_outcome(recordio.pack, header, b"")
    assert theirs.error is not None
    assert (mine.error, mine.message) == (theirs.error, theirs.message)


@FAST
@given(labels=labels_multi, ids=st.tuples(uint64, uint64), flag=st.integers(0, 2**32 - 1))
def test_multi_label_headers(
    mxnet_ref: MXNetReference, labels: list[float], ids: tuple[int, int], flag: int
) -> None:
    """flag > 0: the labels follow the header as float32; both sides override the given flag."""
    for label in (labels, np.asarray(labels, dtype=np.float64), tuple(labels)):
        header = (flag, label, *ids)
        packed = recordio.pack(header, b"xyz")
        assert packed == mxnet_ref.call("recordio.pack", header, b"xyz")
        theirs = mxnet_ref.call("recordio.unpack", packed)
        mine_header, mine_payload = recordio.unpack(packed)
        _same_header(mine_header, theirs["header"])
        assert mine_header.flag == len(labels)
        assert mine_payload == theirs["payload"] == b"xyz"


@pytest.mark.parametrize(
    "label",
    [np.float32(2.5), np.float64(-1.25), np.int64(7), True, np.array(2.5), np.ones((2, 2)), []],
    ids=["np.float32", "np.float64", "np.int64", "bool", "0-d array", "2-d array", "empty list"],
)
def test_label_kinds(mxnet_ref: MXNetReference, label: Any) -> None:
    """numpy scalars count as numbers, a 0-d array as one label, [] as flag 0 with label 0."""
    header = (3, label, 5, 6)
    packed = mxnet_ref.call("recordio.pack", header, b"")
    assert recordio.pack(header, b"") == packed
    _same_header(recordio.unpack(packed)[0], mxnet_ref.call("recordio.unpack", packed)["header"])


# -- image records -------------------------------------------------------------------


def _cv2_versions_match(mxnet_ref: MXNetReference) -> bool:
    import cv2

    return bool(cv2.__version__ == mxnet_ref.info["cv2"])


def _check_img_round_trip(
    mxnet_ref: MXNetReference, header: tuple, img: np.ndarray, quality: int, fmt: str
) -> None:
    theirs = mxnet_ref.call("recordio.pack_img", header, img, quality, fmt)
    mine = recordio.pack_img(header, img, quality=quality, img_fmt=fmt)
    # The 24-byte header (and labels) must agree; the encoded image too when both sides
    # run the same OpenCV (the reference pins 4.8.1; recio's venv may have a newer one).
    assert mine[:24] == theirs[:24]
    if _cv2_versions_match(mxnet_ref):
        assert mine == theirs
    for iscolor in (-1, 0, 1):
        for packed in (mine, theirs):
            ref = mxnet_ref.call("recordio.unpack_img", packed, iscolor)
            mine_header, mine_img = recordio.unpack_img(packed, iscolor)
            _same_header(mine_header, ref["header"])
            assert mine_img.dtype == ref["img"].dtype == np.uint8
            assert mine_img.shape == ref["img"].shape
            np.testing.assert_array_equal(mine_img, ref["img"])
        if fmt == ".png" and iscolor == -1:
            np.testing.assert_array_equal(recordio.unpack_img(theirs, iscolor)[1], img)


@settings(max_examples=25, deadline=None)
@given(
    img=images(),
    quality=st.sampled_from([1, 10, 50, 75, 90, 95, 100]),
    label=st.one_of(st.floats(width=32, allow_nan=False), labels_multi),
    record_id=uint64,
)
def test_jpeg_image_records(
    mxnet_ref: MXNetReference, img: np.ndarray, quality: int, label: Any, record_id: int
) -> None:
    _check_img_round_trip(mxnet_ref, (0, label, record_id, 0), img, quality, ".jpg")


@settings(max_examples=25, deadline=None)
@given(
    img=images(),
    compression=st.sampled_from([0, 1, 3, 9, 95]),  # 95 is MXNet's default "quality"
    label=st.one_of(st.floats(width=32, allow_nan=False), labels_multi),
    fmt=st.sampled_from([".png", ".PNG"]),
)
def test_png_image_records(
    mxnet_ref: MXNetReference, img: np.ndarray, compression: int, label: Any, fmt: str
) -> None:
    _check_img_round_trip(mxnet_ref, (0, label, 7, 1), img, compression, fmt)


@pytest.mark.parametrize("fmt", [".jpg", ".jpeg", ".JPEG", ".png"])
def test_image_records_in_files_both_ways(
    mxnet_ref: MXNetReference, tmp_path: Path, fmt: str
) -> None:
    """Image records written into .rec/.idx by one side decode identically on the other."""
    rng = np.random.default_rng(1)
    imgs = [rng.integers(0, 256, (9, 13, 3), dtype=np.uint8), np.full((4, 5), 77, np.uint8)]
    packed_m = [
        mxnet_ref.call("recordio.pack_img", (0, float(i), i, 0), im, 90, fmt)
        for i, im in enumerate(imgs)
    ]
    items = list(enumerate(packed_m))
    mxnet_ref.call(
        "recordio.write_indexed", str(tmp_path / "m.idx"), str(tmp_path / "m.rec"), items
    )
    with recordio.MXIndexedRecordIO(str(tmp_path / "m.idx"), str(tmp_path / "m.rec"), "r") as r:
        for key, packed in reversed(items):
            record = r.read_idx(key)
            assert record == packed
            header, img = recordio.unpack_img(record)
            ref = mxnet_ref.call("recordio.unpack_img", packed)
            _same_header(header, ref["header"])
            np.testing.assert_array_equal(img, ref["img"])
    packed_r = [
        recordio.pack_img((0, [1.0, float(i)], i, 0), im, 90, fmt) for i, im in enumerate(imgs)
    ]
    recio_write_indexed(tmp_path / "r.idx", tmp_path / "r.rec", list(enumerate(packed_r)))
    got = mxnet_ref.call("recordio.read_indexed", str(tmp_path / "r.idx"), str(tmp_path / "r.rec"))
    assert [rec for _, rec in got["by_key"]] == packed_r
    for packed in packed_r:
        ref = mxnet_ref.call("recordio.unpack_img", packed, 1)
        np.testing.assert_array_equal(recordio.unpack_img(packed, 1)[1], ref["img"])
