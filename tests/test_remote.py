"""Remote RecordIO files: fsspec's ``memory://`` and ``s3://`` against a real S3 API server.

Remote reads go through a window of a few MiB (``recio._reader._WINDOW``) rather
than one memory map, so these tests use records larger than that window, records
holding the magic word at aligned offsets (written as several parts, some of them
straddling a window), corruption and truncation, and compare every byte written
remotely with the same records written to a local file.
"""

from __future__ import annotations

import pickle
import random
import uuid
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import fsspec
import pytest

from recio import recordio
from recio._format import MAGIC_BYTES
from recio._reader import _WINDOW

from _s3server import ACCESS_KEY, SECRET_KEY, moto_server

MIB = 1 << 20
BUCKET = "recio-test"


# -- records -------------------------------------------------------------------------------


def _magic_records() -> list[bytes]:
    """Records holding the magic word: aligned ones are split into parts, others are not."""
    m = MAGIC_BYTES
    return [
        m,
        m * 3,
        m + b"tail",
        b"head" + m,
        b"abcd" + m + b"efgh" + m + b"ij",
        b"x" + m + b"yyy",  # unaligned: stays one part
        b"ab" + m + b"cd" + m,  # one unaligned, one aligned
        m + m[:3],  # a magic word and a partial one
    ]


def _large_record(rng: random.Random, size: int, magic_at: list[int]) -> bytes:
    data = bytearray(rng.randbytes(size))
    for offset in magic_at:
        data[offset : offset + 4] = MAGIC_BYTES
    return bytes(data)


def _make_records(seed: int, large: list[tuple[int, list[int]]], n_small: int) -> list[bytes]:
    """Small records of random sizes with the magic records and `large` ones mixed in."""
    rng = random.Random(seed)
    records = [
        rng.randbytes(rng.choice([0, 1, 2, 3, 4, rng.randrange(300)])) for _ in range(n_small)
    ]
    specials = _magic_records() + [_large_record(rng, size, at) for size, at in large]
    for special in specials:
        records.insert(rng.randrange(len(records) + 1), special)
    return records


W = _WINDOW
LARGE = [
    (5 * MIB + 3, []),  # one part, larger than the window
    # parts that end right before, at, and after the reader's window boundary
    (9 * MIB - 1, [0, W - 16, W - 12, W - 8, W - 4, W, W + 4, 7 * MIB, 9 * MIB - 8]),
    (6 * MIB + 2, [4, 2 * W - 8, 6 * MIB - 4]),
    (W - 8, []),  # header and data fill one window exactly
    (W, [W - 4]),  # the last 4 bytes are the magic word: an empty last part
]


@pytest.fixture(scope="module")
def records() -> list[bytes]:
    """The records most tests write: made once per module because the large ones cost ~30 MiB."""
    return _make_records(seed=1234, large=LARGE, n_small=150)


@pytest.fixture(scope="module")
def local_files(records: list[bytes], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """`records` written to a local .rec/.idx (keys 0..n-1): the bytes remote files must equal."""
    tmp = tmp_path_factory.mktemp("local")
    rec, idx = tmp / "data.rec", tmp / "data.idx"
    offsets = []
    with recordio.MXIndexedRecordIO(str(idx), str(rec), "w") as w:
        for i, data in enumerate(records):
            offsets.append(w.tell())
            w.write_idx(i, data)
    return {"rec": rec.read_bytes(), "idx": idx.read_bytes(), "offsets": offsets}


# -- memory:// -------------------------------------------------------------------------------

MEMFS = fsspec.filesystem("memory")


@pytest.fixture
def mem_url() -> Iterator[Callable[[str], str]]:
    """Makes ``memory://`` URLs in a folder of this test's own, removed afterwards.

    fsspec's memory filesystem is one global store per process, so tests must
    neither see each other's files nor leave theirs behind.
    """
    root = f"memory://recio-{uuid.uuid4().hex}"
    yield lambda name: f"{root}/{name}"
    if MEMFS.exists(root):
        MEMFS.rm(root, recursive=True)


def _write_indexed(idx: str, rec: str, records: list[bytes], **kw: Any) -> list[int]:
    offsets = []
    with recordio.MXIndexedRecordIO(idx, rec, "w", **kw) as w:
        for i, data in enumerate(records):
            offsets.append(w.tell())
            w.write_idx(i, data)
    return offsets


def test_memory_sequential_write_read_tell(
    records: list[bytes], local_files: dict[str, Any], mem_url: Callable[[str], str]
) -> None:
    url = mem_url("seq.rec")
    offsets = []
    with recordio.MXRecordIO(url, "w") as w:
        for data in records:
            offsets.append(w.tell())
            assert w.write(data) == offsets[-1]
        end = w.tell()
    assert offsets == local_files["offsets"]
    assert MEMFS.cat_file(url) == local_files["rec"]
    assert end == len(local_files["rec"])

    with recordio.MXRecordIO(url, "r") as r:
        got, tells = [], []
        while True:
            tells.append(r.tell())
            data = r.read()
            if data is None:
                break
            got.append(data)
        assert r.read() is None
        assert r.tell() == end
    assert tells == [*offsets, end]
    assert len(got) == len(records)
    for i, (a, b) in enumerate(zip(got, records, strict=True)):
        assert a == b, f"record {i} ({len(b)} bytes) differs"


def test_memory_iteration_and_reset(records: list[bytes], mem_url: Callable[[str], str]) -> None:
    url = mem_url("it.rec")
    with recordio.MXRecordIO(url, "w") as w:
        for data in records:
            w.write(data)
    with recordio.MXRecordIO(url, "r") as r:
        head = [r.read() for _ in range(40)]
        assert head == records[:40]
        r.reset()
        assert r.tell() == 0
        assert list(r) == records
        r.reset()
        assert r.read() == records[0]


def test_memory_indexed_random_order(
    records: list[bytes], local_files: dict[str, Any], mem_url: Callable[[str], str]
) -> None:
    rec, idx = mem_url("data.rec"), mem_url("data.idx")
    offsets = _write_indexed(idx, rec, records)
    assert offsets == local_files["offsets"]
    assert MEMFS.cat_file(rec) == local_files["rec"]
    assert MEMFS.cat_file(idx) == local_files["idx"]

    order = list(range(len(records)))
    random.Random(7).shuffle(order)
    with recordio.MXIndexedRecordIO(idx, rec, "r") as r:
        assert r.keys == list(range(len(records)))
        assert r.idx == dict(enumerate(offsets))
        for key in order:
            assert r.read_idx(key) == records[key], f"key {key}"
            assert r.tell() == (
                offsets[key + 1] if key + 1 < len(offsets) else len(local_files["rec"])
            )
        for key in order[:20]:
            r.seek(key)
            assert r.tell() == offsets[key]
            assert r.read() == records[key]


def test_memory_seek_backwards_then_read(mem_url: Callable[[str], str]) -> None:
    """seek() to a record before the reader's current window, then read()."""
    records = [bytes([i]) * (MIB - 8) for i in range(8)]  # each takes exactly 1 MiB
    rec, idx = mem_url("back.rec"), mem_url("back.idx")
    _write_indexed(idx, rec, records)
    with recordio.MXIndexedRecordIO(idx, rec, "r") as r:
        assert r.read_idx(4) == records[4]  # the window now starts at record 4
        r.seek(3)
        assert r.read() == records[3]
        assert r.tell() == 4 * MIB
        r.seek(0)
        assert r.read() == records[0]
        r.read_idx(7)
        r.reset()
        assert list(r) == records


def test_memory_pickled_reader_resumes_mid_file(
    records: list[bytes], mem_url: Callable[[str], str]
) -> None:
    rec, idx = mem_url("p.rec"), mem_url("p.idx")
    _write_indexed(idx, rec, records)
    sizes = [len(x) for x in records]
    past_large = sizes.index(max(sizes)) + 1  # the window has moved over a large record
    for stop in (0, 1, past_large, len(records) - 1, len(records)):
        with recordio.MXRecordIO(rec, "r") as r:
            for _ in range(stop):
                r.read()
            position = r.tell()
            clone = pickle.loads(pickle.dumps(r))
            try:
                assert clone.tell() == position
                assert list(clone) == records[stop:]
            finally:
                clone.close()
            assert list(r) == records[stop:], "the original is unaffected by its copy"

    with recordio.MXIndexedRecordIO(idx, rec, "r") as r:
        r.read_idx(past_large - 1)
        clone = pickle.loads(pickle.dumps(r))
        try:
            assert clone.keys == r.keys
            assert clone.read() == records[past_large]
            assert clone.read_idx(3) == records[3]
        finally:
            clone.close()


def _read_until_error(url: str) -> tuple[list[bytes], recordio.RecordIOError | None]:
    """The records read with on_error="raise" before the end or an error, and that error."""
    got: list[bytes] = []
    with recordio.MXRecordIO(url, "r") as r:
        try:
            while (data := r.read()) is not None:
                got.append(data)
        except recordio.RecordIOError as e:
            return got, e
    return got, None


def _read_skipping(url: str) -> tuple[list[bytes], int, list[str]]:
    """The records read with on_error="skip", the reader's skip count, and its warnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with recordio.MXRecordIO(url, "r", on_error="skip") as r:
            got = list(r)
            skipped = r.skipped
    messages = [str(w.message) for w in caught if issubclass(w.category, recordio.RecordIOWarning)]
    return got, skipped, messages


def _corrupt(url: str, offsets: list[int]) -> None:
    data = bytearray(MEMFS.cat_file(url))
    for offset in offsets:
        assert data[offset : offset + 4] == MAGIC_BYTES
        data[offset : offset + 4] = b"\xde\xad\xbe\xef"
    MEMFS.pipe_file(url, bytes(data))


def _part_length(rec: bytes, pos: int) -> int:
    return int.from_bytes(rec[pos + 4 : pos + 8], "little") & ((1 << 29) - 1)


def _part_offsets(rec: bytes, start: int) -> list[int]:
    """Offsets of the part headers of the record starting at `start` in the file bytes `rec`."""
    parts, pos = [], start
    while True:
        parts.append(pos)
        cflag = rec[pos + 7] >> 5
        pos += 8 + (_part_length(rec, pos) + 3) // 4 * 4
        if cflag in (0, 3):
            return parts


@pytest.mark.parametrize(
    "case", ["small", "two-adjacent", "multipart-first", "large-middle-part", "last"]
)
def test_memory_skip_resynchronises(
    case: str,
    records: list[bytes],
    local_files: dict[str, Any],
    mem_url: Callable[[str], str],
) -> None:
    url = mem_url("bad.rec")
    offsets = _write_indexed(mem_url("bad.idx"), url, records)
    sizes = [len(x) for x in records]
    big = sizes.index(9 * MIB - 1)  # the large record written as ten parts
    i = {"small": 60, "two-adjacent": 61, "multipart-first": big, "large-middle-part": big}
    i["last"] = len(records) - 1
    lost = [i[case], i[case] + 1] if case == "two-adjacent" else [i[case]]
    if case == "large-middle-part":
        bad = [_part_offsets(local_files["rec"], offsets[big])[3]]
    else:
        bad = [offsets[k] for k in lost]
    _corrupt(url, bad)
    expected = [x for k, x in enumerate(records) if k not in lost]

    got, error = _read_until_error(url)
    assert got == records[: lost[0]]
    assert isinstance(error, recordio.RecordIOError)
    assert url in str(error)
    assert error.offset == bad[0]
    assert f"offset {bad[0]}" in str(error)

    got, skipped, messages = _read_skipping(url)
    assert got == expected
    assert skipped == 1
    assert len(messages) == 1
    assert url in messages[0]
    assert f"offset {bad[0]}" in messages[0]


def _truncated_cases(rec: bytes, offsets: list[int]) -> dict[str, int]:
    """Where to cut a file whose last record is large and multi-part: name -> new size."""
    last = offsets[-1]
    parts = _part_offsets(rec, last)
    assert len(parts) >= 3
    assert _part_length(rec, parts[-1]) % 4, "the last part must be padded"
    return {
        "in-header": last + 3,
        "after-header": last + 8,
        "in-first-part": last + 8 + 1000,
        "before-second-part": parts[1],
        "in-second-part-header": parts[1] + 5,
        "in-last-part": parts[-1] + 8 + 1,
        "last-data-byte-missing": parts[-1] + 8 + _part_length(rec, parts[-1]) - 1,
        "padding-missing": len(rec) - 1,  # all the data there: MXNet still calls it truncated
    }


@pytest.fixture(scope="module")
def truncatable(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Small records then one 5 MiB record in five parts, written locally once per module."""
    rng = random.Random(99)
    recs = [rng.randbytes(rng.randrange(200)) for _ in range(30)]
    recs.append(_large_record(rng, 5 * MIB + 1, [MIB, 2 * MIB, 3 * MIB, W + 4]))
    path = tmp_path_factory.mktemp("trunc") / "t.rec"
    offsets = []
    with recordio.MXIndexedRecordIO(str(path.with_suffix(".idx")), str(path), "w") as w:
        for i, data in enumerate(recs):
            offsets.append(w.tell())
            w.write_idx(i, data)
    return {
        "records": recs,
        "offsets": offsets,
        "rec": path.read_bytes(),
        "idx": path.with_suffix(".idx").read_bytes(),
    }


@pytest.mark.parametrize(
    "where",
    [
        "in-header",
        "after-header",
        "in-first-part",
        "before-second-part",
        "in-second-part-header",
        "in-last-part",
        "last-data-byte-missing",
        "padding-missing",
    ],
)
def test_memory_truncated_file_raises_naming_the_url(
    where: str, truncatable: dict[str, Any], mem_url: Callable[[str], str]
) -> None:
    recs, offsets, full = truncatable["records"], truncatable["offsets"], truncatable["rec"]
    cut = _truncated_cases(full, offsets)[where]
    rec, idx = mem_url("t.rec"), mem_url("t.idx")
    MEMFS.pipe_file(rec, full[:cut])
    MEMFS.pipe_file(idx, truncatable["idx"])

    got, error = _read_until_error(rec)
    assert got == recs[:-1]
    assert isinstance(error, recordio.RecordIOError)
    assert "truncated" in str(error)
    assert rec in str(error)
    assert error.path == rec

    got, skipped, messages = _read_skipping(rec)
    assert got == recs[:-1]
    assert skipped == 1
    assert len(messages) == 1
    assert "truncated" in messages[0]
    assert rec in messages[0]

    with recordio.MXIndexedRecordIO(idx, rec, "r") as r:
        assert r.read_idx(len(recs) - 2) == recs[-2]
        with pytest.raises(recordio.RecordIOError) as e:
            r.read_idx(len(recs) - 1)
        assert rec in str(e.value)


def test_memory_missing_file_raises_file_not_found(mem_url: Callable[[str], str]) -> None:
    url = mem_url("missing.rec")
    with pytest.raises(FileNotFoundError, match=r"missing\.rec"):
        recordio.MXRecordIO(url, "r")
    MEMFS.pipe_file(url, b"")
    with pytest.raises(FileNotFoundError, match=r"missing\.idx"):
        recordio.MXIndexedRecordIO(mem_url("missing.idx"), url, "r")


# -- s3:// against moto's server ------------------------------------------------------------


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real S3 API (moto server mode, a subprocess on 127.0.0.1) with bucket `BUCKET`.

    Module scoped: the server takes about half a second to start. The AWS_*
    variables make every client (boto3 here, s3fs in recio) use fake credentials
    and never look for real ones; they are restored when the module ends.
    """
    log = tmp_path_factory.mktemp("moto") / "server.log"
    with pytest.MonkeyPatch.context() as mp:
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
            mp.delenv(name, raising=False)
        mp.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        mp.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        mp.setenv("AWS_DEFAULT_REGION", "us-east-1")
        mp.setenv("AWS_EC2_METADATA_DISABLED", "true")
        mp.setenv("NO_PROXY", "127.0.0.1")
        mp.setenv("no_proxy", "127.0.0.1")
        with moto_server(log) as endpoint:
            _s3_client(endpoint).create_bucket(Bucket=BUCKET)
            yield endpoint


def _s3_client(endpoint: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name="us-east-1",
    )


@pytest.fixture
def s3(s3_endpoint: str) -> dict[str, Any]:
    """What a test needs for s3://: storage_options for recio, a boto3 client, a fresh prefix.

    ``skip_instance_cache`` gives every open its own S3FileSystem, so no listing
    cached by one open hides an object another wrote; ``default_block_size`` of
    5 MiB (S3's smallest part) makes files over 5 MiB multipart uploads.
    """
    return {
        "options": {
            "key": ACCESS_KEY,
            "secret": SECRET_KEY,
            "client_kwargs": {"endpoint_url": s3_endpoint, "region_name": "us-east-1"},
            "skip_instance_cache": True,
            "default_block_size": 5 * MIB,
        },
        "client": _s3_client(s3_endpoint),
        "prefix": f"t-{uuid.uuid4().hex}",
    }


@pytest.fixture(scope="module")
def s3_records() -> list[bytes]:
    """Fewer and smaller records than `records`, still one 7 MiB record in parts past the window."""
    return _make_records(seed=4321, large=[(7 * MIB + 1, [W - 4, W, 5 * MIB])], n_small=80)


def _object(s3: dict[str, Any], key: str) -> bytes:
    body: bytes = s3["client"].get_object(Bucket=BUCKET, Key=key)["Body"].read()
    return body


def test_s3_sequential_bytes_equal_local(
    s3: dict[str, Any], s3_records: list[bytes], tmp_path: Path
) -> None:
    key = f"{s3['prefix']}/seq.rec"
    url = f"s3://{BUCKET}/{key}"
    local = tmp_path / "seq.rec"
    for target, options in ((url, s3["options"]), (str(local), None)):
        with recordio.MXRecordIO(target, "w", storage_options=options) as w:
            for data in s3_records:
                w.write(data)
    assert _object(s3, key) == local.read_bytes()

    with recordio.MXRecordIO(url, "r", storage_options=s3["options"]) as r:
        assert list(r) == s3_records
        assert r.tell() == len(local.read_bytes())
        r.reset()
        assert r.read() == s3_records[0]
        clone = pickle.loads(pickle.dumps(r))
        try:
            assert list(clone) == s3_records[1:]
        finally:
            clone.close()


def test_s3_indexed_bytes_equal_local_and_random_reads(
    s3: dict[str, Any], s3_records: list[bytes], tmp_path: Path
) -> None:
    rec_key, idx_key = f"{s3['prefix']}/data.rec", f"{s3['prefix']}/data.idx"
    rec, idx = f"s3://{BUCKET}/{rec_key}", f"s3://{BUCKET}/{idx_key}"
    offsets = _write_indexed(idx, rec, s3_records, storage_options=s3["options"])
    local_offsets = _write_indexed(str(tmp_path / "d.idx"), str(tmp_path / "d.rec"), s3_records)
    assert offsets == local_offsets
    assert _object(s3, rec_key) == (tmp_path / "d.rec").read_bytes()
    assert _object(s3, idx_key) == (tmp_path / "d.idx").read_bytes()

    order = list(range(len(s3_records)))
    random.Random(3).shuffle(order)
    with recordio.MXIndexedRecordIO(idx, rec, "r", storage_options=s3["options"]) as r:
        assert r.keys == list(range(len(s3_records)))
        for key in order:
            assert r.read_idx(key) == s3_records[key], f"key {key}"


def test_s3_missing_key_raises_file_not_found(s3: dict[str, Any]) -> None:
    key = f"{s3['prefix']}/missing.rec"
    with pytest.raises(FileNotFoundError) as e:
        recordio.MXRecordIO(f"s3://{BUCKET}/{key}", "r", storage_options=s3["options"])
    assert f"{BUCKET}/{key}" in str(e.value)

    rec_key = f"{s3['prefix']}/present.rec"
    s3["client"].put_object(Bucket=BUCKET, Key=rec_key, Body=b"")
    idx = f"s3://{BUCKET}/{s3['prefix']}/missing.idx"
    with pytest.raises(FileNotFoundError) as e:
        recordio.MXIndexedRecordIO(
            idx, f"s3://{BUCKET}/{rec_key}", "r", storage_options=s3["options"]
        )
    assert f"{BUCKET}/{s3['prefix']}/missing.idx" in str(e.value)


def test_s3_missing_bucket_raises_naming_the_url(s3: dict[str, Any]) -> None:
    url = "s3://recio-no-such-bucket/x.rec"
    with pytest.raises(FileNotFoundError) as e:
        recordio.MXRecordIO(url, "r", storage_options=s3["options"])
    assert "recio-no-such-bucket/x.rec" in str(e.value)
