"""MXRecordIO and MXIndexedRecordIO: MXNet's surface and what recio adds to it."""

from __future__ import annotations

import io
import pickle
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recio import mx, recordio
from recio._format import MAGIC_BYTES

from _records import write_records


def test_seed_tutorial_sequential(tmp_path: Path) -> None:
    """Seed 001's MXRecordIO snippet with only the import changed."""
    path = str(tmp_path / "tmp.rec")
    record = mx.recordio.MXRecordIO(path, "w")
    for i in range(5):
        record.write("record_%d" % i)
    record.close()
    record = mx.recordio.MXRecordIO(path, "r")
    items = []
    while True:
        item = record.read()
        if not item:
            break
        items.append(item)
    record.close()
    assert items == [b"record_%d" % i for i in range(5)]


def test_seed_tutorial_indexed(tmp_path: Path) -> None:
    """Seed 001's MXIndexedRecordIO snippet, and tell() as SPEC.md records it."""
    idx, rec = str(tmp_path / "tmp.idx"), str(tmp_path / "tmp.rec")
    record = mx.recordio.MXIndexedRecordIO(idx, rec, "w")
    tells = []
    for i in range(5):
        record.write_idx(i, "record_%d" % i)
        tells.append(record.tell())
    record.close()
    assert tells == [16, 32, 48, 64, 80]
    record = mx.recordio.MXIndexedRecordIO(idx, rec, "r")
    assert record.read_idx(3) == b"record_3"
    assert record.keys == [0, 1, 2, 3, 4]
    assert Path(idx).read_text() == "".join(f"{i}\t{16 * i}\n" for i in range(5))


def test_read_returns_none_at_the_end_and_empty_records_as_bytes(rec_path: Path) -> None:
    write_records(rec_path, [b"", b"x", b""])
    with recordio.MXRecordIO(str(rec_path), "r") as r:
        assert [r.read(), r.read(), r.read(), r.read(), r.read()] == [b"", b"x", b"", None, None]


def test_iteration_context_manager_tell_and_reset(rec_path: Path) -> None:
    records = [b"a" * n for n in range(10)]
    offsets = write_records(rec_path, records)
    with recordio.MXRecordIO(rec_path, "r") as r:
        assert r.tell() == 0
        assert r.read() == b""
        assert r.tell() == offsets[1]
        assert list(r) == records[1:]
        r.reset()
        assert list(r) == records
    assert not r.is_open


def test_seek_then_read_continues_sequentially(rec_path: Path) -> None:
    records = [bytes([i]) * i for i in range(20)]
    write_records(rec_path, records)
    r = recordio.MXIndexedRecordIO(str(rec_path.with_suffix(".idx")), str(rec_path), "r")
    r.seek(7)
    assert r.read() == records[7]
    assert r.read() == records[8]
    assert r.read_idx(2) == records[2]
    assert r.read() == records[3]


def test_string_keys(tmp_path: Path) -> None:
    idx, rec = str(tmp_path / "s.idx"), str(tmp_path / "s.rec")
    with recordio.MXIndexedRecordIO(idx, rec, "w", key_type=str) as w:
        for name in ["cat/1.jpg", "dog/2.jpg"]:
            w.write_idx(name, name.encode())
    with recordio.MXIndexedRecordIO(idx, rec, "r", key_type=str) as r:
        assert r.keys == ["cat/1.jpg", "dog/2.jpg"]
        assert r.read_idx("dog/2.jpg") == b"dog/2.jpg"


def test_write_accepts_bytes_like(rec_path: Path) -> None:
    with recordio.MXRecordIO(rec_path, "w") as w:
        w.write(bytearray(b"ab"))
        w.write(memoryview(b"cd"))
        w.write("é")
    with recordio.MXRecordIO(rec_path, "r") as r:
        assert list(r) == [b"ab", b"cd", "é".encode()]


def test_writer_reset_starts_the_file_again(rec_path: Path) -> None:
    w = recordio.MXRecordIO(rec_path, "w")
    w.write(b"first")
    w.reset()
    w.write(b"second")
    w.close()
    assert list(recordio.MXRecordIO(rec_path, "r")) == [b"second"]


def test_unflushed_records_are_written_on_garbage_collection(rec_path: Path) -> None:
    w = recordio.MXRecordIO(rec_path, "w")
    w.write(b"kept")
    del w
    assert list(recordio.MXRecordIO(rec_path, "r")) == [b"kept"]


def test_mode_errors(rec_path: Path) -> None:
    write_records(rec_path, [b"x"])
    r = recordio.MXRecordIO(rec_path, "r")
    with pytest.raises(recordio.RecordIOModeError, match=r"write\(\) needs flag 'w'") as e:
        r.write(b"y")
    assert isinstance(e.value, io.UnsupportedOperation)
    assert str(rec_path) in str(e.value)
    w = recordio.MXRecordIO(rec_path, "w")
    with pytest.raises(recordio.RecordIOModeError, match=r"read\(\) needs flag 'r'"):
        w.read()
    w.close()
    w.close()  # twice is fine
    with pytest.raises(recordio.RecordIOModeError, match="closed"):
        w.write(b"z")
    with pytest.raises(ValueError, match="Invalid flag 'a'"):
        recordio.MXRecordIO(rec_path, "a")
    with pytest.raises(ValueError, match="on_error"):
        recordio.MXRecordIO(rec_path, "r", on_error="ignore")  # type: ignore[arg-type]


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"nope\.rec"):
        recordio.MXRecordIO(tmp_path / "nope.rec", "r")


def test_duplicate_key_on_write(tmp_path: Path) -> None:
    w = recordio.MXIndexedRecordIO(str(tmp_path / "d.idx"), str(tmp_path / "d.rec"), "w")
    w.write_idx(1, b"a")
    with pytest.raises(recordio.RecordIOKeyError, match="key 1 was already written") as e:
        w.write_idx("1", b"b")  # the key is converted by key_type first, as MXNet does
    assert isinstance(e.value, KeyError)
    w.close()
    assert recordio.MXIndexedRecordIO(
        str(tmp_path / "d.idx"), str(tmp_path / "d.rec"), "r"
    ).keys == [1]


def test_missing_key(rec_path: Path) -> None:
    write_records(rec_path, [b"a", b"b"])
    r = recordio.MXIndexedRecordIO(str(rec_path.with_suffix(".idx")), str(rec_path), "r")
    with pytest.raises(KeyError, match=r"no key 5 in the index \(2 keys"):
        r.read_idx(5)


def test_pickled_reader_reopens_at_its_position(rec_path: Path) -> None:
    records = [b"r%d" % i for i in range(6)]
    write_records(rec_path, records)
    r = recordio.MXIndexedRecordIO(str(rec_path.with_suffix(".idx")), str(rec_path), "r")
    r.read_idx(2)
    copy = pickle.loads(pickle.dumps(r))
    assert copy.read() == b"r3"
    assert r.read() == b"r3"  # the original stays open where it was (MXNet closes it)
    assert copy.keys == r.keys and copy.read_idx(0) == b"r0"
    closed = pickle.loads(pickle.dumps(recordio.MXRecordIO(rec_path, "r").__class__))
    assert closed is recordio.MXRecordIO


def test_open_writer_refuses_pickling(rec_path: Path) -> None:
    w = recordio.MXRecordIO(rec_path, "w")
    with pytest.raises(TypeError, match="truncate"):
        pickle.dumps(w)
    w.close()
    copy = pickle.loads(pickle.dumps(w))
    assert not copy.is_open


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.binary(max_size=300),
            st.lists(st.sampled_from([b"a", b"bc", MAGIC_BYTES]), max_size=12).map(b"".join),
        ),
        max_size=25,
    ),
    st.randoms(use_true_random=False),
)
def test_indexed_round_trip(records: list[bytes], rnd: random.Random) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        rec = Path(tmp) / "h.rec"
        write_records(rec, records)
        with recordio.MXIndexedRecordIO(str(rec.with_suffix(".idx")), str(rec), "r") as r:
            assert list(r) == records
            order = list(range(len(records)))
            rnd.shuffle(order)
            assert [r.read_idx(i) for i in order] == [records[i] for i in order]


def test_a_temporary_reader_reads(rec_path: Path) -> None:
    write_records(rec_path, [b"first"])
    assert recordio.MXRecordIO(rec_path, "r").read() == b"first"
