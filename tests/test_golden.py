"""recio against files MXNet 1.9.1 wrote (tests/golden/), without needing MXNet.

tests/golden/make_golden.py wrote each .rec/.idx pair with MXNet and described
every record in manifest.json. Here recio must read every record, key, offset,
header and label the manifest lists, decode the images to the same pixels, and,
writing the same records, produce byte-identical .rec and .idx files.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from recio import recordio

GOLDEN = Path(__file__).resolve().parent / "golden"
MANIFEST = json.loads((GOLDEN / "manifest.json").read_text())
FILES: dict[str, dict[str, Any]] = MANIFEST["files"]
KEY_TYPES = {"int": int, "str": str}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def open_golden(name: str) -> recordio.MXIndexedRecordIO:
    spec = FILES[name]
    return recordio.MXIndexedRecordIO(
        str(GOLDEN / spec["idx"]),
        str(GOLDEN / spec["rec"]),
        "r",
        key_type=KEY_TYPES[spec["key_type"]],
    )


def record_bytes(name: str, entry: dict[str, Any]) -> bytes:
    """The record the manifest describes: its hex, or (images) the bytes read by MXNet's offset."""
    if "record_hex" in entry:
        return bytes.fromhex(entry["record_hex"])
    with recordio.MXRecordIO(str(GOLDEN / FILES[name]["rec"]), "r") as reader:
        while reader.tell() != entry["offset"]:
            assert reader.read() is not None
        record = reader.read()
    assert record is not None
    assert sha256(record) == entry["record_sha256"]
    return record


def assert_header(header: Any, expected: dict[str, Any]) -> None:
    assert (header.flag, header.id, header.id2) == (
        expected["flag"],
        expected["id"],
        expected["id2"],
    )
    if expected["label_kind"] == "array":
        assert isinstance(header.label, np.ndarray)
        assert header.label.dtype == np.float32
        assert header.label.tolist() == expected["label"]
        # -0.0 == 0.0, so compare the sign bits too
        assert np.signbit(header.label).tolist() == [np.signbit(v) for v in expected["label"]]
    else:
        assert type(header.label) is float
        assert header.label == expected["label"]


@pytest.mark.parametrize("name", sorted(FILES))
def test_golden_files_are_intact(name: str) -> None:
    spec = FILES[name]
    assert sha256((GOLDEN / spec["rec"]).read_bytes()) == spec["rec_sha256"]
    assert sha256((GOLDEN / spec["idx"]).read_bytes()) == spec["idx_sha256"]


@pytest.mark.parametrize("name", sorted(FILES))
def test_keys_offsets_and_records(name: str) -> None:
    spec = FILES[name]
    expected = [(e["key"], record_bytes(name, e)) for e in spec["records"]]
    with open_golden(name) as reader:
        assert reader.keys == [key for key, _ in expected]
        assert reader.idx == {e["key"]: e["offset"] for e in spec["records"]}
        for key, record in reversed(expected):  # random access, out of order
            assert reader.read_idx(key) == record
        reader.reset()
        assert list(reader) == [record for _, record in expected]


@pytest.mark.parametrize("name", sorted(FILES))
def test_sequential_reading_and_tell(name: str) -> None:
    spec = FILES[name]
    with recordio.MXRecordIO(str(GOLDEN / spec["rec"]), "r") as reader:
        offsets = []
        while True:
            offsets.append(reader.tell())
            if reader.read() is None:
                break
    assert offsets == [e["offset"] for e in spec["records"]] + [spec["rec_size"]]


@pytest.mark.parametrize("name", ["magic", "strkeys"])
def test_raw_payloads(name: str) -> None:
    with open_golden(name) as reader:
        for entry in FILES[name]["records"]:
            assert reader.read_idx(entry["key"]).hex() == entry["payload_hex"]


def test_str_keys_stay_text() -> None:
    with open_golden("strkeys") as reader:
        assert "007" in reader.keys
        assert "7" in reader.keys
        assert reader.read_idx("007") == b"payload of 007"
        assert reader.read_idx("a b") == b"payload of a b"


def test_multilabel_headers_and_payloads() -> None:
    with open_golden("multilabel") as reader:
        for entry in FILES["multilabel"]["records"]:
            header, payload = recordio.unpack(reader.read_idx(entry["key"]))
            assert_header(header, entry["header"])
            assert payload.hex() == entry["payload_hex"]


def test_pack_reproduces_golden_headers() -> None:
    """recio.pack of the header MXNet was given yields the very record MXNet packed."""
    for entry in FILES["multilabel"]["records"]:
        given = entry["packed_from"]
        header = recordio.IRHeader(given["flag"], given["label"], given["id"], given["id2"])
        packed = recordio.pack(header, bytes.fromhex(entry["payload_hex"]))
        assert packed.hex() == entry["record_hex"]
    for entry in FILES["images"]["records"]:
        record = record_bytes("images", entry)
        header, payload = recordio.unpack(record)
        label = header.label.tolist() if isinstance(header.label, np.ndarray) else header.label
        assert recordio.pack((0, label, header.id, header.id2), payload) == record


@pytest.mark.parametrize("entry", FILES["images"]["records"], ids=lambda e: f"key{e['key']}")
def test_image_records(entry: dict[str, Any]) -> None:
    with open_golden("images") as reader:
        header, img = recordio.unpack_img(reader.read_idx(entry["key"]))
    assert_header(header, entry["header"])
    assert img.dtype == np.dtype(entry["dtype"])
    assert list(img.shape) == entry["shape"]
    expected = np.frombuffer(bytes.fromhex(entry["pixels_hex"]), np.uint8).reshape(img.shape)
    _, payload = recordio.unpack(record_bytes("images", entry))
    assert sha256(payload) == entry["payload_sha256"]
    if entry["format"] == "png":  # lossless: the very pixels, whatever the OpenCV version
        assert sha256(img.tobytes()) == entry["pixel_sha256"]
        np.testing.assert_array_equal(img, expected)
    else:  # JPEG decoders may differ by a unit between libjpeg builds
        assert np.abs(img.astype(int) - expected).max() <= 2
        assert abs(float(img.mean()) - entry["pixel_mean"]) < 0.5


@pytest.mark.parametrize("name", sorted(FILES))
def test_recio_writes_byte_identical_files(name: str, tmp_path: Path) -> None:
    spec = FILES[name]
    rec, idx = tmp_path / spec["rec"], tmp_path / spec["idx"]
    key_type = KEY_TYPES[spec["key_type"]]
    with recordio.MXIndexedRecordIO(str(idx), str(rec), "w", key_type=key_type) as writer:
        for entry in spec["records"]:
            assert writer.tell() == entry["offset"]
            writer.write_idx(entry["key"], record_bytes(name, entry))
    assert rec.read_bytes() == (GOLDEN / spec["rec"]).read_bytes()
    assert idx.read_bytes() == (GOLDEN / spec["idx"]).read_bytes()
    plain = tmp_path / f"plain-{spec['rec']}"
    with recordio.MXRecordIO(str(plain), "w") as writer:
        for entry in spec["records"]:
            writer.write(record_bytes(name, entry))
    assert plain.read_bytes() == (GOLDEN / spec["rec"]).read_bytes()
