"""The on-disk layout of single records, against the format's own rules."""

from __future__ import annotations

import struct
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recio import _format as fmt
from recio._reader import RecordReader
from recio._storage import ReadSource

MAGIC = fmt.MAGIC_BYTES


def parts(encoded: bytes) -> list[tuple[int, bytes]]:
    """(cflag, data) of each part of an encoded record, checking headers and padding."""
    out = []
    pos = 0
    while pos < len(encoded):
        magic, lrec = struct.unpack_from("<II", encoded, pos)
        assert magic == fmt.MAGIC
        cflag, length = fmt.split_lrecord(lrec)
        out.append((cflag, encoded[pos + 8 : pos + 8 + length]))
        assert encoded[pos + 8 + length : pos + 8 + fmt.padded(length)] == bytes(
            fmt.padded(length) - length
        )
        pos += 8 + fmt.padded(length)
    assert pos == len(encoded)
    return out


# payloads built from chunks that often hold the magic word, at any alignment
payloads = st.lists(
    st.one_of(st.binary(max_size=9), st.just(MAGIC), st.just(MAGIC * 2)), max_size=8
).map(b"".join)


def test_plain_record_layout() -> None:
    assert fmt.encode_record(b"abcde") == MAGIC + struct.pack("<I", 5) + b"abcde\0\0\0"
    assert fmt.encode_record(b"") == MAGIC + b"\0\0\0\0"
    assert fmt.encode_record(b"abcd") == MAGIC + struct.pack("<I", 4) + b"abcd"


def test_aligned_magic_splits_the_record() -> None:
    encoded = fmt.encode_record(b"abcd" + MAGIC + b"xy")
    assert parts(encoded) == [(fmt.CFLAG_FIRST, b"abcd"), (fmt.CFLAG_LAST, b"xy")]


def test_unaligned_magic_stays_in_place() -> None:
    data = b"a" + MAGIC + b"xyz"
    assert parts(fmt.encode_record(data)) == [(fmt.CFLAG_WHOLE, data)]


def test_payload_that_is_only_magic_words() -> None:
    assert parts(fmt.encode_record(MAGIC * 2)) == [
        (fmt.CFLAG_FIRST, b""),
        (fmt.CFLAG_MIDDLE, b""),
        (fmt.CFLAG_LAST, b""),
    ]


def test_record_too_long_for_the_format() -> None:
    class Huge(bytes):
        def __len__(self) -> int:
            return 1 << 29

    with pytest.raises(ValueError, match="at most"):
        fmt.encode_record(Huge())


@given(payloads)
def test_no_aligned_magic_inside_part_data(data: bytes) -> None:
    encoded = fmt.encode_record(data)
    assert len(encoded) % 4 == 0
    magic_at = [i for i in range(0, len(encoded), 4) if encoded[i : i + 4] == MAGIC]
    headers = []
    pos = 0
    for _, piece in parts(encoded):
        headers.append(pos)
        pos += 8 + fmt.padded(len(piece))
    assert magic_at == headers  # a reader scanning for magic words finds only headers


@given(payloads)
def test_parts_join_back_to_the_payload(data: bytes) -> None:
    assert MAGIC.join(piece for _, piece in parts(fmt.encode_record(data))) == data


@given(st.lists(payloads, max_size=6))
def test_reader_decodes_concatenated_records(records: list[bytes]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.rec"
        path.write_bytes(b"".join(fmt.encode_record(r) for r in records))
        reader = RecordReader(ReadSource(str(path)))
        got = []
        while (record := reader.read()) is not None:
            got.append(record)
        reader.source.close()
    assert got == records
