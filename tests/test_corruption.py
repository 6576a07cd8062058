"""Bad input: each kind raises RecordIOError naming file and offset, or is skipped on request."""

from __future__ import annotations

import contextlib
import tempfile
import warnings
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recio import recordio
from recio._format import MAGIC_BYTES

from _records import write_records


def read_all(path: Path, on_error: str = "raise") -> list[bytes]:
    with recordio.MXRecordIO(path, "r", on_error=on_error) as r:  # type: ignore[arg-type]
        return list(r)


def test_not_a_recordio_file(rec_path: Path) -> None:
    rec_path.write_bytes(b"GIF89a this is not a record file")
    with pytest.raises(recordio.RecordIOError, match="offset 0: expected the RecordIO magic") as e:
        read_all(rec_path)
    assert isinstance(e.value, OSError)
    assert str(rec_path) in str(e.value) and "not a RecordIO file" in str(e.value)
    assert e.value.offset == 0 and e.value.path == str(rec_path)


def test_empty_file_has_no_records(rec_path: Path) -> None:
    rec_path.write_bytes(b"")
    assert read_all(rec_path) == []


def test_bad_magic_mid_file(rec_path: Path) -> None:
    offsets = write_records(rec_path, [b"a" * 10, b"b" * 10, b"c" * 10])
    raw = bytearray(rec_path.read_bytes())
    raw[offsets[1]] ^= 0xFF
    rec_path.write_bytes(raw)
    with recordio.MXRecordIO(rec_path, "r") as r:
        assert r.read() == b"a" * 10
        with pytest.raises(recordio.RecordIOError, match=f"offset {offsets[1]}: .*corrupt data"):
            r.read()
    r = recordio.MXRecordIO(rec_path, "r", on_error="skip")
    with pytest.warns(recordio.RecordIOWarning, match=f"skipped 20 bytes .* offset {offsets[1]}"):
        records = list(r)
    assert records == [b"a" * 10, b"c" * 10]
    assert r.skipped == 1


def test_truncated_last_record(rec_path: Path) -> None:
    write_records(rec_path, [b"a" * 10, b"b" * 100])
    rec_path.write_bytes(rec_path.read_bytes()[:-30])
    with recordio.MXRecordIO(rec_path, "r") as r:
        assert r.read() == b"a" * 10
        with pytest.raises(recordio.RecordIOError, match="offset 20: truncated record"):
            r.read()
    with pytest.warns(recordio.RecordIOWarning):
        assert read_all(rec_path, "skip") == [b"a" * 10]


def test_truncated_header(rec_path: Path) -> None:
    write_records(rec_path, [b"a" * 4])
    rec_path.write_bytes(rec_path.read_bytes() + MAGIC_BYTES)
    with pytest.raises(recordio.RecordIOError, match="offset 12: truncated record: expected an 8"):
        read_all(rec_path)


def test_multipart_record_missing_its_last_part(rec_path: Path) -> None:
    write_records(rec_path, [b"abcd" + MAGIC_BYTES + b"efgh", b"next"])
    raw = rec_path.read_bytes()
    # drop the second part of the first record (8-byte header + 4 bytes of data)
    rec_path.write_bytes(raw[:12] + raw[24:])
    with pytest.raises(recordio.RecordIOError, match="expected the next part of the record"):
        read_all(rec_path)
    with pytest.warns(recordio.RecordIOWarning):
        assert read_all(rec_path, "skip") == [b"next"]


def _indexed(rec_path: Path, idx_text: str) -> recordio.MXIndexedRecordIO:
    rec_path.with_suffix(".idx").write_text(idx_text)
    return recordio.MXIndexedRecordIO(str(rec_path.with_suffix(".idx")), str(rec_path), "r")


def test_index_pointing_into_a_record(rec_path: Path) -> None:
    write_records(rec_path, [b"x" * 40, b"abcd" + MAGIC_BYTES + b"efgh"])
    r = _indexed(rec_path, "0\t0\n1\t16\n2\t61\n3\t60\n")
    with pytest.raises(recordio.RecordIOError, match="key 1 points to offset 16") as e:
        r.read_idx(1)
    assert e.value.offset == 16
    with pytest.raises(recordio.RecordIOError, match="multiple of 4"):
        r.read_idx(2)
    with pytest.raises(recordio.RecordIOError, match="continuation part"):
        r.read_idx(3)  # the second part of a split record is no record start


def test_index_pointing_past_the_end(rec_path: Path) -> None:
    write_records(rec_path, [b"x"])
    r = _indexed(rec_path, "0\t0\n1\t4096\n")
    with pytest.raises(recordio.RecordIOError, match="past the end of the file"):
        r.read_idx(1)


def test_read_idx_raises_even_when_told_to_skip(rec_path: Path) -> None:
    write_records(rec_path, [b"x" * 40])
    rec_path.with_suffix(".idx").write_text("0\t8\n")
    r = recordio.MXIndexedRecordIO(
        str(rec_path.with_suffix(".idx")), str(rec_path), "r", on_error="skip"
    )
    with pytest.raises(recordio.RecordIOError, match="key 0 points to offset 8"):
        r.read_idx(0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0\t0\n1\n", "line 2: expected 'key<TAB>offset', got '1'"),
        ("0\t0\nx\t16\n", "line 2: key 'x' is not a valid int"),
        ("0\t0\n1\t-16\n", "line 2: offset '-16' of key '1' is not a non-negative integer"),
        ("0\tzero\n", "line 1: offset 'zero'"),
    ],
)
def test_malformed_index_lines(rec_path: Path, text: str, message: str) -> None:
    write_records(rec_path, [b"x"])
    with pytest.raises(recordio.RecordIOError, match=message) as e:
        _indexed(rec_path, text)
    assert str(rec_path.with_suffix(".idx")) in str(e.value)


def test_blank_lines_and_crlf_in_index_are_accepted(rec_path: Path) -> None:
    write_records(rec_path, [b"a", b"b"])
    r = _indexed(rec_path, "0\t0\r\n\n1\t12\r\n")
    assert r.keys == [0, 1] and r.read_idx(1) == b"b"


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.binary(max_size=40), min_size=1, max_size=8),
    st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=6),
    st.integers(0, 64),
)
def test_any_damage_ends_in_records_or_a_clean_error(
    records: list[bytes], flips: list[tuple[int, int]], cut: int
) -> None:
    """Never a hang and never another exception, whatever the bytes; skip mode never raises."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "d.rec"
        write_records(path, records)
        raw = bytearray(path.read_bytes())
        for at, value in flips:
            raw[at % len(raw)] = value
        path.write_bytes(bytes(raw[: max(0, len(raw) - cut)]))
        with contextlib.suppress(recordio.RecordIOError):
            read_all(path)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", recordio.RecordIOWarning)
            got = read_all(path, "skip")
        assert len(got) <= len(raw) // 8


def test_record_starts_walks_headers_and_honours_on_error(rec_path: Path) -> None:
    from recio._reader import RecordReader
    from recio._storage import ReadSource

    offsets = write_records(rec_path, [b"a" * 10, b"ab" + MAGIC_BYTES + b"cd" * 5, b"", b"z"])
    assert RecordReader(ReadSource(str(rec_path))).record_starts() == offsets
    raw = bytearray(rec_path.read_bytes())
    raw[offsets[2]] ^= 1
    rec_path.write_bytes(raw)
    with pytest.raises(recordio.RecordIOError, match=f"offset {offsets[2]}"):
        RecordReader(ReadSource(str(rec_path))).record_starts()
    reader = RecordReader(ReadSource(str(rec_path)), on_error="skip")
    with pytest.warns(recordio.RecordIOWarning):
        assert reader.record_starts() == [offsets[0], offsets[1], offsets[3]]
