"""Corrupt files, bad indexes and misuse: what MXNet 1.9.1 does, and what recio does.

Each test first pins what MXNet does (so a reader can see the reference
behaviour, and a changed reference is noticed), then asserts recio's. Where
MXNet is sensible recio must do the same; where MXNet is plainly wrong (silently
returns None for a truncated multi-part record, returns part of a record for an
index into its middle, closes the original when pickled, truncates the file when
a pickled writer is loaded, ...) the difference is written down here and recio's
better behaviour is asserted instead: a RecordIOError naming file and offset.
"""

from __future__ import annotations

import pickle
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from recio import recordio
from recio.recordio import RecordIOError, RecordIOKeyError, RecordIOModeError

from _reference import MXNetReference, ReferenceCallError, local_outcome

pytestmark = pytest.mark.conformance

MAGIC = 0xCED7230A
RECORDS = [b"abc", b"defgh", b"", b"x" * 9]  # offsets 0, 12, 28, 36; file of 56 bytes
OFFSETS = [0, 12, 28, 36]
SIZE = 56
INVALID = "Invalid RecordIO File"


def part(cflag: int, data: bytes) -> bytes:
    """One on-disk part: magic, cflag << 29 | length, data, zero padding."""
    return struct.pack("<II", MAGIC, cflag << 29 | len(data)) + data + b"\0" * (-len(data) % 4)


def whole(data: bytes) -> bytes:
    return part(0, data)


GOOD = b"".join(whole(r) for r in RECORDS)


def recio_steps(path: Path, count: int, **kwargs: Any) -> list[tuple[Any, ...]]:
    """Like ref.recordio.read_steps, for recio: each read() as ("ok", value) or ("raise", ...)."""
    out: list[tuple[Any, ...]] = []
    with recordio.MXRecordIO(str(path), "r", **kwargs) as reader:
        for _ in range(count):
            got = local_outcome(reader.read)
            out.append(("ok", got.value) if got.ok else ("raise", got.error, got.message))
    return out


def write_idx_file(path: Path, lines: dict[Any, int] | str) -> Path:
    text = lines if isinstance(lines, str) else "".join(f"{k}\t{v}\n" for k, v in lines.items())
    path.write_text(text)
    return path


@pytest.fixture
def good_rec(tmp_path: Path) -> Path:
    path = tmp_path / "good.rec"
    path.write_bytes(GOOD)
    return path


def test_reference_layout_of_the_sample_file(mxnet_ref: MXNetReference, tmp_path: Path) -> None:
    wrote = mxnet_ref.call(
        "recordio.write_indexed",
        str(tmp_path / "m.idx"),
        str(tmp_path / "m.rec"),
        list(enumerate(RECORDS)),
    )
    assert (tmp_path / "m.rec").read_bytes() == GOOD
    assert wrote["tells"] == [*OFFSETS, SIZE]


# -- (a) a file that is not RecordIO ------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [b"hello world, this is not a RecordIO file", b"\x0a\x23", b"\0" + GOOD[:-1], b"\0" * 8],
    ids=["text", "two-bytes", "shifted-by-one", "zeros"],
)
def test_not_a_recordio_file(mxnet_ref: MXNetReference, tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "junk.rec"
    path.write_bytes(content)
    theirs = mxnet_ref.call("recordio.read_steps", str(path), 1)
    assert theirs[0][:2] == ("raise", "MXNetError")
    assert INVALID in theirs[0][2] or "Inavlid RecordIO File" in theirs[0][2]  # sic: short header
    with recordio.MXRecordIO(str(path), "r") as reader, pytest.raises(RecordIOError) as info:
        reader.read()
    assert info.value.path == str(path)
    assert info.value.offset == 0
    assert str(path) in str(info.value)
    assert "offset 0" in str(info.value)


def test_empty_file_has_no_records(mxnet_ref: MXNetReference, tmp_path: Path) -> None:
    path = tmp_path / "empty.rec"
    path.write_bytes(b"")
    assert mxnet_ref.call("recordio.read_steps", str(path), 2) == [("ok", None)] * 2
    assert recio_steps(path, 2) == [("ok", None)] * 2


def test_missing_file(mxnet_ref: MXNetReference, tmp_path: Path) -> None:
    path = tmp_path / "absent.rec"
    theirs = mxnet_ref.outcome("recordio.read_steps", str(path), 1)
    assert theirs.error == "MXNetError"
    assert "No such file or directory" in theirs.message
    with pytest.raises(OSError, match=r"absent\.rec"):
        recordio.MXRecordIO(str(path), "r")


# -- (b) bad magic in the middle ----------------------------------------------------


def test_bad_magic_mid_file(mxnet_ref: MXNetReference, tmp_path: Path) -> None:
    data = bytearray(GOOD)
    data[OFFSETS[1]] ^= 0xFF
    path = tmp_path / "bad.rec"
    path.write_bytes(bytes(data))
    theirs = mxnet_ref.call("recordio.read_steps", str(path), 3)
    assert theirs[0] == ("ok", b"abc")
    assert [s[:2] for s in theirs[1:]] == [("raise", "MXNetError")] * 2
    assert INVALID in theirs[1][2]
    mine = recio_steps(path, 2)
    assert mine[0] == ("ok", b"abc")
    assert mine[1][:2] == ("raise", "RecordIOError")
    assert f"offset {OFFSETS[1]}" in mine[1][2]
    assert str(path) in mine[1][2]


def test_bad_magic_skipped_on_request(tmp_path: Path) -> None:
    """recio only: on_error="skip" resumes at the next record start, with a warning."""
    data = bytearray(GOOD)
    data[OFFSETS[1]] ^= 0xFF
    path = tmp_path / "bad.rec"
    path.write_bytes(bytes(data))
    with recordio.MXRecordIO(str(path), "r", on_error="skip") as reader:
        with pytest.warns(recordio.RecordIOWarning, match=f"offset {OFFSETS[1]}"):
            records = list(reader)
        assert records == [RECORDS[0], *RECORDS[2:]]
        assert reader.skipped == 1


# -- (c) truncated files --------------------------------------------------------------

MULTI = [
    b"head",
    b"ab" + struct.pack("<I", MAGIC) + b"cd",
    b"1234" + struct.pack("<I", MAGIC) + b"5678",
]


def _multi_file() -> tuple[bytes, list[int]]:
    """A file whose third record is split in two parts by an aligned magic word."""
    parts = [whole(MULTI[0]), whole(MULTI[1]), part(1, b"1234") + part(3, b"5678")]
    starts = [0]
    for p in parts:
        starts.append(starts[-1] + len(p))
    return b"".join(parts), starts


def test_multi_part_layout_matches_mxnet(mxnet_ref: MXNetReference, tmp_path: Path) -> None:
    mxnet_ref.call("recordio.write_records", str(tmp_path / "m.rec"), MULTI)
    assert (tmp_path / "m.rec").read_bytes() == _multi_file()[0]


@pytest.mark.parametrize("which", ["single-parts", "multi-part"])
def test_truncated_files(mxnet_ref: MXNetReference, tmp_path: Path, which: str) -> None:
    """Complete records read back; a cut inside a record raises in recio, never returns None.

    MXNet raises too, except when the cut falls after a complete first part of a
    multi-part record: then it returns None as if the file ended cleanly,
    silently losing the record (documented difference).
    """
    if which == "multi-part":
        data, starts = _multi_file()
        records = MULTI
    else:
        data, starts, records = GOOD, [*OFFSETS, SIZE], RECORDS
    for length in range(len(data) + 1):
        path = tmp_path / f"cut{length}.rec"
        path.write_bytes(data[:length])
        complete = sum(1 for end in starts[1:] if end <= length)
        clean_end = length in starts
        theirs = mxnet_ref.call("recordio.read_steps", str(path), complete + 1)
        mine = recio_steps(path, complete + 1)
        expected_ok = [("ok", r) for r in records[:complete]]
        assert theirs[:complete] == expected_ok, length
        assert mine[:complete] == expected_ok, length
        if clean_end:
            assert theirs[complete] == ("ok", None)
            assert mine[complete] == ("ok", None)
            continue
        lost_part = which == "multi-part" and length == starts[2] + 12  # cut after part 1
        assert theirs[complete][0] == ("ok" if lost_part else "raise"), (length, theirs)
        assert mine[complete][:2] == ("raise", "RecordIOError"), (length, mine)
        assert str(path) in mine[complete][2]


@pytest.mark.parametrize(
    ("name", "data", "mxnet_reads"),
    [
        ("starts-with-middle-part", part(2, b"ab") + whole(b"z"), [("ok", b"ab\n#\xd7\xcez")]),
        ("starts-with-last-part", part(3, b"ab") + whole(b"z"), [("ok", b"ab"), ("ok", b"z")]),
        ("first-part-then-eof", whole(b"z") + part(1, b"abcd"), [("ok", b"z"), ("ok", None)]),
        ("first-then-whole", part(1, b"abcd") + whole(b"z"), [("ok", b"abcd\n#\xd7\xcez")]),
    ],
)
def test_inconsistent_part_flags(
    mxnet_ref: MXNetReference, tmp_path: Path, name: str, data: bytes, mxnet_reads: list[Any]
) -> None:
    """MXNet ignores broken part sequences (drops or invents records); recio raises."""
    path = tmp_path / f"{name}.rec"
    path.write_bytes(data)
    assert mxnet_ref.call("recordio.read_steps", str(path), len(mxnet_reads)) == mxnet_reads
    with recordio.MXRecordIO(str(path), "r") as reader, pytest.raises(RecordIOError) as info:
        list(reader)
    assert str(path) in str(info.value)
    assert info.value.offset is not None


def test_nonzero_padding_is_accepted(mxnet_ref: MXNetReference, tmp_path: Path) -> None:
    path = tmp_path / "pad.rec"
    path.write_bytes(struct.pack("<II", MAGIC, 1) + b"a\x01\x02\x03" + whole(b"b"))
    expected = [("ok", b"a"), ("ok", b"b"), ("ok", None)]
    assert mxnet_ref.call("recordio.read_steps", str(path), 3) == expected
    assert recio_steps(path, 3) == expected


# -- (d) index lines that do not point at a record -------------------------------------


@pytest.mark.parametrize("offset", [4, 13, 14, 16, 20, 26, 30])
def test_index_into_the_middle_of_a_record(
    mxnet_ref: MXNetReference, good_rec: Path, tmp_path: Path, offset: int
) -> None:
    idx = write_idx_file(tmp_path / "mid.idx", {0: 0, 1: offset})
    theirs = mxnet_ref.call("recordio.indexed_steps", str(idx), str(good_rec), [("read_idx", 1)])
    assert theirs[0][:2] == ("raise", "MXNetError")
    assert INVALID in theirs[0][2]
    with recordio.MXIndexedRecordIO(str(idx), str(good_rec), "r") as reader:
        assert reader.read_idx(0) == RECORDS[0]
        with pytest.raises(RecordIOError) as info:
            reader.read_idx(1)
    assert info.value.offset == offset
    assert f"offset {offset}" in str(info.value)
    assert "key 1" in str(info.value)


def test_index_into_a_continuation_part(mxnet_ref: MXNetReference, tmp_path: Path) -> None:
    """MXNet returns the tail of a split record as if it were a record; recio raises."""
    data, starts = _multi_file()
    rec = tmp_path / "multi.rec"
    rec.write_bytes(data)
    second_part = starts[2] + 12
    idx = write_idx_file(tmp_path / "multi.idx", {2: starts[2], 3: second_part})
    theirs = mxnet_ref.call("recordio.indexed_steps", str(idx), str(rec), [("read_idx", 3)])
    assert theirs == [("ok", b"5678")]
    with recordio.MXIndexedRecordIO(str(idx), str(rec), "r") as reader:
        assert reader.read_idx(2) == MULTI[2]
        with pytest.raises(RecordIOError, match=f"offset {second_part}"):
            reader.read_idx(3)


@pytest.mark.parametrize("offset", [SIZE, SIZE + 1, 1000])
def test_index_past_the_end(
    mxnet_ref: MXNetReference, good_rec: Path, tmp_path: Path, offset: int
) -> None:
    """MXNet's read_idx returns None as if the record did not exist; recio raises."""
    idx = write_idx_file(tmp_path / "end.idx", {0: 0, 7: offset})
    theirs = mxnet_ref.call("recordio.indexed_steps", str(idx), str(good_rec), [("read_idx", 7)])
    assert theirs == [("ok", None)]
    with (
        recordio.MXIndexedRecordIO(str(idx), str(good_rec), "r") as reader,
        pytest.raises(RecordIOError, match=f"offset {offset}"),
    ):
        reader.read_idx(7)


@pytest.mark.parametrize(
    "text",
    ["0\t0\t5\n1\t12\n", "0\t0\n1\t12", "0\t0\r\n1\t12\r\n", "0\t 0\n1 \t12\n", " 0\t0\n\t1\t12\n"],
    ids=["extra-field", "no-final-newline", "crlf", "spaces-around-fields", "leading-blanks"],
)
def test_index_text_variants_mxnet_accepts(
    mxnet_ref: MXNetReference, good_rec: Path, tmp_path: Path, text: str
) -> None:
    idx = write_idx_file(tmp_path / "v.idx", text)
    theirs = mxnet_ref.call("recordio.open_indexed", str(idx), str(good_rec))
    assert theirs == {"keys": [0, 1], "idx": {0: 0, 1: 12}}
    with recordio.MXIndexedRecordIO(str(idx), str(good_rec), "r") as reader:
        assert {"keys": reader.keys, "idx": reader.idx} == theirs
        assert reader.read_idx(1) == RECORDS[1]


@pytest.mark.parametrize(
    ("text", "mxnet_error"),
    [
        ("0\t0\nx\t12\n", ("ValueError", "invalid literal for int() with base 10: 'x'")),
        ("0 0\n", ("ValueError", "invalid literal for int() with base 10: '0 0'")),
        ("0\t12abc\n", ("ValueError", "invalid literal for int() with base 10: '12abc'")),
        ("0\t\n", ("IndexError", "list index out of range")),
    ],
    ids=["bad-key", "space-separated", "bad-offset", "no-offset"],
)
def test_malformed_index_lines(
    mxnet_ref: MXNetReference,
    good_rec: Path,
    tmp_path: Path,
    text: str,
    mxnet_error: tuple[str, str],
) -> None:
    """MXNet raises a bare ValueError (IndexError when the offset is missing); recio a
    RecordIOError naming the file and line."""
    idx = write_idx_file(tmp_path / "bad.idx", text)
    theirs = mxnet_ref.outcome("recordio.open_indexed", str(idx), str(good_rec))
    assert (theirs.error, theirs.message) == mxnet_error
    with pytest.raises(RecordIOError, match="line") as info:
        recordio.MXIndexedRecordIO(str(idx), str(good_rec), "r")
    assert str(idx) in str(info.value)


def test_blank_and_negative_index_lines(
    mxnet_ref: MXNetReference, good_rec: Path, tmp_path: Path
) -> None:
    """Documented differences: a blank line (MXNet: ValueError) is skipped by recio; a
    negative offset (MXNet: accepted, then read_idx fails in fseek) is refused by recio."""
    blank = write_idx_file(tmp_path / "blank.idx", "0\t0\n\n1\t12\n")
    theirs = mxnet_ref.outcome("recordio.open_indexed", str(blank), str(good_rec))
    assert (theirs.error, theirs.message) == (
        "ValueError",
        "invalid literal for int() with base 10: ''",
    )
    with recordio.MXIndexedRecordIO(str(blank), str(good_rec), "r") as reader:
        assert (reader.keys, reader.idx) == ([0, 1], {0: 0, 1: 12})
    negative = write_idx_file(tmp_path / "neg.idx", "0\t-4\n")
    got = mxnet_ref.call("recordio.indexed_steps", str(negative), str(good_rec), [("read_idx", 0)])
    assert got[0][:2] == ("raise", "MXNetError")
    assert "fseek" in got[0][2]
    assert mxnet_ref.call("recordio.open_indexed", str(negative), str(good_rec))["idx"] == {0: -4}
    with pytest.raises(RecordIOError, match="-4"):
        recordio.MXIndexedRecordIO(str(negative), str(good_rec), "r")


# -- (e) a key that is not in the index ---------------------------------------------------


@pytest.mark.parametrize("op", ["read_idx", "seek"])
def test_missing_key(mxnet_ref: MXNetReference, good_rec: Path, tmp_path: Path, op: str) -> None:
    idx = write_idx_file(tmp_path / "k.idx", dict(zip(range(4), OFFSETS, strict=True)))
    theirs = mxnet_ref.call(
        "recordio.indexed_steps", str(idx), str(good_rec), [(op, 99), (op, "0")]
    )
    assert theirs == [("raise", "KeyError", "99"), ("raise", "KeyError", "'0'")]
    with recordio.MXIndexedRecordIO(str(idx), str(good_rec), "r") as reader:
        for key in (99, "0"):
            with pytest.raises(KeyError) as info:
                getattr(reader, op)(key)
            assert isinstance(info.value, RecordIOKeyError)
            assert repr(key) in str(info.value)
            assert str(idx) in str(info.value)
        assert reader.read_idx(3) == RECORDS[3]  # still usable


# -- (f) a key written twice ---------------------------------------------------------


def test_duplicate_key(mxnet_ref: MXNetReference, tmp_path: Path) -> None:
    """MXNet writes both lines and later reads the last; recio refuses the second write
    (documented difference) but reads an MXNet file with duplicates as MXNet does."""
    m_idx, m_rec = tmp_path / "m.idx", tmp_path / "m.rec"
    wrote = mxnet_ref.call(
        "recordio.write_indexed", str(m_idx), str(m_rec), [(1, b"a"), (1, b"bb")]
    )
    assert (wrote["keys"], wrote["idx"]) == ([1, 1], {1: 12})
    assert m_idx.read_text() == "1\t0\n1\t12\n"
    theirs = mxnet_ref.call("recordio.read_indexed", str(m_idx), str(m_rec))
    assert theirs["keys"] == [1, 1]
    assert theirs["idx"] == {1: 12}
    assert recio_read(m_idx, m_rec) == theirs

    r_idx, r_rec = tmp_path / "r.idx", tmp_path / "r.rec"
    with recordio.MXIndexedRecordIO(str(r_idx), str(r_rec), "w") as writer:
        writer.write_idx(1, b"a")
        with pytest.raises(RecordIOKeyError, match="already written"):
            writer.write_idx(1, b"bb")
        assert (writer.keys, writer.idx) == ([1], {1: 0})
    assert r_idx.read_text() == "1\t0\n"
    assert r_rec.read_bytes() == whole(b"a")


def recio_read(idx: Path, rec: Path) -> dict[str, Any]:
    with recordio.MXIndexedRecordIO(str(idx), str(rec), "r") as reader:
        keys = list(reader.keys)
        by_key = [(k, reader.read_idx(k)) for k in keys]
        reader.reset()
        return {"keys": keys, "idx": dict(reader.idx), "by_key": by_key, "sequential": list(reader)}


# -- (g) reading a writer, writing a reader, using a closed file ------------------------

MISUSE = """
from mxnet import recordio as R
def step(f, *a):
    try:
        return ("ok", f(*a))
    except Exception as e:
        return ("raise", type(e).__name__, str(e))
w = R.MXRecordIO(rec, "w")
r_on_w = step(w.read)
w.write(b"x")
w.close()
w_closed = step(w.write, b"y")
r = R.MXRecordIO(rec, "r")
w_on_r = step(r.write, b"y")
r.close()
r_closed = step(r.read)
bad_flag = step(R.MXRecordIO, rec, "a")
wi = R.MXIndexedRecordIO(idx, rec2, "w")
ri_on_w = step(wi.read_idx, 0)
seek_on_w = step(wi.seek, 0)
wi.write_idx(0, b"z")
wi.close()
ri = R.MXIndexedRecordIO(idx, rec2, "r")
wi_on_r = step(ri.write_idx, 1, b"q")
tell_on_r = step(ri.tell)
ri.close()
"""


def test_wrong_mode_and_closed_files(mxnet_ref: MXNetReference, tmp_path: Path) -> None:
    names = ("r_on_w", "w_closed", "w_on_r", "r_closed", "bad_flag", "ri_on_w", "seek_on_w")
    names += ("wi_on_r", "tell_on_r")
    rec, rec2, idx = tmp_path / "g.rec", tmp_path / "g2.rec", tmp_path / "g.idx"
    theirs = mxnet_ref.exec(MISUSE, results=names, rec=str(rec), rec2=str(rec2), idx=str(idx))
    forbidden = ("raise", "RuntimeError", "Forbidden operation in multiple processes")
    assert theirs == {
        "r_on_w": ("raise", "AssertionError", ""),
        "w_closed": forbidden,
        "w_on_r": ("raise", "AssertionError", ""),
        "r_closed": forbidden,
        "bad_flag": ("raise", "ValueError", "Invalid flag a"),
        "ri_on_w": ("raise", "AssertionError", ""),
        "seek_on_w": ("raise", "AssertionError", ""),
        "wi_on_r": ("raise", "AssertionError", ""),
        "tell_on_r": ("raise", "AssertionError", ""),
    }
    # recio: RecordIOModeError (also io.UnsupportedOperation) that says what is wrong
    w = recordio.MXRecordIO(str(rec), "w")
    with pytest.raises(RecordIOModeError, match="read"):
        w.read()
    w.write(b"x")
    w.close()
    with pytest.raises(RecordIOModeError, match="closed"):
        w.write(b"y")
    r = recordio.MXRecordIO(str(rec), "r")
    with pytest.raises(RecordIOModeError, match="write"):
        r.write(b"y")
    r.close()
    with pytest.raises(RecordIOModeError, match="closed"):
        r.read()
    with pytest.raises(ValueError, match="flag"):
        recordio.MXRecordIO(str(rec), "a")
    wi = recordio.MXIndexedRecordIO(str(idx), str(rec2), "w")
    with pytest.raises(RecordIOModeError):
        wi.read_idx(0)
    with pytest.raises(RecordIOModeError):
        wi.seek(0)
    wi.write_idx(0, b"z")
    wi.close()
    with recordio.MXIndexedRecordIO(str(idx), str(rec2), "r") as ri:
        with pytest.raises(RecordIOModeError):
            ri.write_idx(1, b"q")
        assert ri.tell() == 0  # recio: tell() reports a reader's position too
    assert rec.read_bytes() == whole(b"x")
    assert rec2.read_bytes() == whole(b"z")


# -- (h) empty records -------------------------------------------------------------------


def test_empty_records_are_empty_bytes_not_none(mxnet_ref: MXNetReference, tmp_path: Path) -> None:
    records = [b"", b"", b"a", b""]
    mxnet_ref.call("recordio.write_records", str(tmp_path / "m.rec"), records)
    expected = [("ok", r) for r in records] + [("ok", None)] * 2
    assert mxnet_ref.call("recordio.read_steps", str(tmp_path / "m.rec"), 6) == expected
    assert recio_steps(tmp_path / "m.rec", 6) == expected


# -- (i) payload types ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        "abc",
        "héllo wörld",
        "\n#\u00d7\u00ce",
        bytearray(b"xy\n#\xd7\xce"),
        memoryview(b"\n#\xd7\xce"),
    ],
    ids=["ascii-str", "unicode-str", "str-whose-utf8-is-not-magic", "bytearray", "memoryview"],
)
def test_payload_types(mxnet_ref: MXNetReference, tmp_path: Path, payload: Any) -> None:
    """MXNet 1.9.1 takes bytes only (TypeError otherwise); recio also takes str (as UTF-8)
    and bytes-like objects, writing exactly what MXNet writes for the equivalent bytes."""
    as_bytes = payload.encode("utf-8") if isinstance(payload, str) else bytes(payload)
    kind = type(payload).__name__
    code = (  # memoryview cannot be pickled: the reference rebuilds the object from bytes
        "import builtins\np = raw if kind == 'str' else getattr(builtins, kind)(raw)\n"
        "w = mx.recordio.MXRecordIO(path, 'w')\ntry:\n    w.write(p)\nfinally:\n    w.close()"
    )
    raw = payload if isinstance(payload, str) else as_bytes
    with pytest.raises(ReferenceCallError) as info:
        mxnet_ref.exec(code, path=str(tmp_path / "x.rec"), raw=raw, kind=kind)
    assert info.value.name == "TypeError"
    assert info.value.message == f"bytes or integer address expected instead of {kind} instance"
    mxnet_ref.exec(code, path=str(tmp_path / "m.rec"), raw=as_bytes, kind="bytes")
    recio_write(tmp_path / "r.rec", [payload])
    assert (tmp_path / "r.rec").read_bytes() == (tmp_path / "m.rec").read_bytes()
    assert mxnet_ref.call("recordio.read_records", str(tmp_path / "r.rec")) == [as_bytes]


def recio_write(path: Path, records: list[Any]) -> None:
    with recordio.MXRecordIO(str(path), "w") as writer:
        for record in records:
            writer.write(record)


# -- (j) tell() --------------------------------------------------------------------------------


def test_tell_exists_only_on_indexed_writers_in_mxnet(
    mxnet_ref: MXNetReference, good_rec: Path, tmp_path: Path
) -> None:
    code = (
        "w = mx.recordio.MXRecordIO(out, 'w')\nr = mx.recordio.MXRecordIO(rec, 'r')\n"
        "result = (hasattr(w, 'tell'), hasattr(r, 'tell'))\nw.close()\nr.close()"
    )
    assert mxnet_ref.exec(code, rec=str(good_rec), out=str(tmp_path / "o.rec")) == (False, False)
    with recordio.MXRecordIO(str(good_rec), "r") as reader:
        seen = [reader.tell()]
        for _ in reader:
            seen.append(reader.tell())
        assert seen == [*OFFSETS, SIZE]
        reader.reset()
        assert reader.tell() == 0


# -- (k) pickling ---------------------------------------------------------------------------------


def test_pickling_an_open_reader(mxnet_ref: MXNetReference, good_rec: Path) -> None:
    """MXNet closes the original as a side effect (its next read raises RuntimeError) and
    the copy starts again at record 0. recio leaves the original alone and the copy
    continues where the original was."""
    theirs = mxnet_ref.call("recordio.pickle_reader", str(good_rec), 2, 2)
    assert theirs["before"] == RECORDS[:2]
    assert theirs["original_is_open"] is False
    forbidden = ("raise", "RuntimeError", "Forbidden operation in multiple processes")
    assert theirs["original"] == [forbidden] * 2
    assert theirs["copy"] == [("ok", RECORDS[0]), ("ok", RECORDS[1])]

    reader = recordio.MXRecordIO(str(good_rec), "r")
    assert [reader.read(), reader.read()] == RECORDS[:2]
    copy = pickle.loads(pickle.dumps(reader))
    assert reader.is_open
    assert [reader.read(), reader.read(), reader.read()] == [*RECORDS[2:], None]
    assert [copy.read(), copy.read(), copy.read()] == [*RECORDS[2:], None]
    reader.close()
    copy.close()
    closed = pickle.loads(pickle.dumps(reader))
    assert not closed.is_open


def test_pickling_an_indexed_reader(
    mxnet_ref: MXNetReference, good_rec: Path, tmp_path: Path
) -> None:
    idx = write_idx_file(tmp_path / "p.idx", dict(zip(range(4), OFFSETS, strict=True)))
    reader = recordio.MXIndexedRecordIO(str(idx), str(good_rec), "r")
    assert reader.read_idx(1) == RECORDS[1]
    copy = pickle.loads(pickle.dumps(reader))
    assert copy.keys == [0, 1, 2, 3]
    assert copy.idx == reader.idx
    assert copy.read() == RECORDS[2]
    assert copy.read_idx(3) == RECORDS[3]
    assert reader.read() == RECORDS[2]
    reader.close()
    copy.close()


def test_pickling_an_open_writer(mxnet_ref: MXNetReference, tmp_path: Path) -> None:
    """MXNet's copy reopens with 'w', truncating what was written; recio refuses to pickle."""
    code = (
        "import pickle\nw = mx.recordio.MXRecordIO(path, 'w')\nw.write(b'one')\n"
        "c = pickle.loads(pickle.dumps(w))\nc.write(b'three')\nc.close()\n"
        "result = open(path, 'rb').read()"
    )
    assert mxnet_ref.exec(code, path=str(tmp_path / "m.rec")) == whole(b"three")
    with recordio.MXRecordIO(str(tmp_path / "r.rec"), "w") as writer:
        writer.write(b"one")
        with pytest.raises(TypeError, match="writing"):
            pickle.dumps(writer)
    assert (tmp_path / "r.rec").read_bytes() == whole(b"one")


# -- (l) headers that promise more labels than the record holds --------------------------------


@pytest.mark.parametrize("length", [0, 10, 23, 24, 28, 35])
def test_unpack_too_short(mxnet_ref: MXNetReference, length: int) -> None:
    record = struct.pack("<IfQQ", 3, 0.0, 5, 6) + np.arange(3, dtype="<f4").tobytes() + b"tail"
    theirs = mxnet_ref.outcome("recordio.unpack", record[:length])
    if length < 24:
        assert (theirs.error, theirs.message) == ("error", "unpack requires a buffer of 24 bytes")
    else:
        assert (theirs.error, theirs.message) == (
            "ValueError",
            "buffer is smaller than requested size",
        )
    with pytest.raises(ValueError, match=f"{length} bytes|flag=3"):
        recordio.unpack(record[:length])


def test_unpack_img_of_a_non_image(mxnet_ref: MXNetReference) -> None:
    """MXNet returns (header, None) for a payload OpenCV cannot decode; recio raises."""
    record = recordio.pack((0, 1.0, 9, 0), b"not an image")
    assert mxnet_ref.call("recordio.unpack_img", record)["img"] is None
    with pytest.raises(ValueError, match="record id 9"):
        recordio.unpack_img(record)
