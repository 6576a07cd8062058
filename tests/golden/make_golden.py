"""Write the golden RecordIO files with MXNet 1.9.1, and manifest.json describing them.

Run with the reference Python, from the repository root::

    .venv-mxnet/bin/python tests/golden/make_golden.py

The output is deterministic: running it again rewrites identical files (the
manifest records each file's SHA-256, so a change shows in ``git diff``).
tests/test_golden.py reads the files with recio, without MXNet, and checks
every record, header, label and key against manifest.json.
"""

from __future__ import annotations

import hashlib
import json
import struct
import sys
from pathlib import Path
from typing import Any

import cv2
import mxnet as mx
import numpy as np
from mxnet import recordio

HERE = Path(__file__).resolve().parent
MAGIC = struct.pack("<I", 0xCED7230A)  # bytes 0a 23 d7 ce
MAGIC_AS_FLOAT32 = float(np.frombuffer(MAGIC, "<f4")[0])  # a label whose bytes are the magic


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def header_json(header: Any) -> dict[str, Any]:
    """A header as MXNet's unpack returns it: label a float (flag 0) or a float32 list."""
    if isinstance(header.label, np.ndarray):
        label: Any = [float(v) for v in header.label]
        kind = "array"
    else:
        label, kind = float(header.label), "float"
    return {
        "flag": header.flag,
        "label": label,
        "label_kind": kind,
        "id": header.id,
        "id2": header.id2,
    }


def write_indexed(
    name: str, items: list[tuple[Any, bytes]], key_type: type = int
) -> dict[str, Any]:
    """Write items with MXIndexedRecordIO; describe each record as MXNet reads it back."""
    rec, idx = HERE / f"{name}.rec", HERE / f"{name}.idx"
    writer = recordio.MXIndexedRecordIO(str(idx), str(rec), "w", key_type=key_type)
    for key, record in items:
        writer.write_idx(key, record)
    writer.close()
    reader = recordio.MXIndexedRecordIO(str(idx), str(rec), "r", key_type=key_type)
    records = []
    for key in reader.keys:
        record = reader.read_idx(key)
        records.append({"key": key, "offset": reader.idx[key], "record_hex": record.hex()})
    reader.close()
    assert [r["key"] for r in records] == [k for k, _ in items]
    return {
        "rec": rec.name,
        "idx": idx.name,
        "key_type": key_type.__name__,
        "rec_sha256": sha256(rec.read_bytes()),
        "idx_sha256": sha256(idx.read_bytes()),
        "rec_size": rec.stat().st_size,
        "records": records,
    }


def multilabel() -> dict[str, Any]:
    """Image-record headers: multi-label (flag > 0), scalar labels, ids up to 2**64-1."""
    cases = [
        (10, (0, [1.0, 2.5, -3.0], 1, 0), b"three labels"),
        (3, (0, 7.0, 2**64 - 1, 2**64 - 1), b""),
        (7, (5, [0.1, 1e-3, 3.4028234663852886e38, -0.0, 65504.0], 2**32, 12345), b"\x00\x01\x02"),
        (0, (0, [42.0], 3, 0), b"one label, flag 1"),
        (2**40, (0, [1.0, MAGIC_AS_FLOAT32, 2.0], 4, 5), b"label bytes hold the magic word"),
        (1, (9, -0.5, 0, 0), MAGIC + b"payload starts with the magic word"),
    ]
    items = [(key, recordio.pack(recordio.IRHeader(*h), p)) for key, h, p in cases]
    out = write_indexed("multilabel", items)
    for entry, (_, given, payload) in zip(out["records"], cases, strict=True):
        header, rest = recordio.unpack(bytes.fromhex(entry["record_hex"]))
        assert rest == payload
        entry["header"] = header_json(header)
        entry["payload_hex"] = payload.hex()
        entry["packed_from"] = {
            "flag": given[0],
            "label": given[1],
            "id": given[2],
            "id2": given[3],
        }
    return out


def magic() -> dict[str, Any]:
    """Raw payloads holding the magic word at every alignment, adjacent, at start and end."""
    payloads = [
        MAGIC,
        MAGIC * 2,
        b"a" + MAGIC,
        b"ab" + MAGIC,
        b"abc" + MAGIC,
        b"abcd" + MAGIC,
        MAGIC + b"tail",
        b"abcd" + MAGIC + b"efgh" + MAGIC + b"ij",
        b"",
        MAGIC[:3],
        b"xy" + MAGIC + MAGIC + b"z",
        MAGIC * 3 + b"!",
        b"\0" * 4 + MAGIC[1:] + MAGIC[:1],
    ]
    out = write_indexed("magic", list(enumerate(payloads)))
    for entry, payload in zip(out["records"], payloads, strict=True):
        assert bytes.fromhex(entry["record_hex"]) == payload
        entry["payload_hex"] = payload.hex()
    return out


def gradient(h: int, w: int, channels: int) -> np.ndarray:
    """A deterministic test image (BGR when 3 channels)."""
    y, x = np.mgrid[0:h, 0:w]
    planes = [(x * 31 + y * 7) % 256, (y * 37 + 5) % 256, (x * y * 13 + 100) % 256][:channels]
    img = np.stack(planes, axis=-1).astype(np.uint8)
    return img if channels == 3 else img[:, :, 0]


def images() -> dict[str, Any]:
    """A PNG colour, a JPEG colour and a PNG grayscale image record (pack_img, BGR)."""
    cases = [
        ("png", (0, 3.0, 100, 0), gradient(6, 8, 3), 3, ".png"),
        ("jpeg", (0, [1.0, 2.0], 101, 0), gradient(8, 8, 3), 90, ".jpg"),
        ("png", (0, 0.0, 102, 7), gradient(5, 7, 1), 9, ".png"),
    ]
    items = [
        (i, recordio.pack_img(recordio.IRHeader(*h), img, quality=q, img_fmt=fmt))
        for i, (_, h, img, q, fmt) in enumerate(cases)
    ]
    out = write_indexed("images", items)
    for entry, (kind, _, source, quality, fmt) in zip(out["records"], cases, strict=True):
        header, decoded = recordio.unpack_img(bytes.fromhex(entry["record_hex"]), -1)
        _, payload = recordio.unpack(bytes.fromhex(entry["record_hex"]))
        if kind == "png":
            assert np.array_equal(decoded, source)
        entry["record_sha256"] = sha256(bytes.fromhex(entry.pop("record_hex")))  # bytes: in .rec
        entry.update(
            header=header_json(header),
            format=kind,
            img_fmt=fmt,
            quality=quality,
            payload_sha256=sha256(payload),
            shape=list(decoded.shape),
            dtype=str(decoded.dtype),
            pixel_sha256=sha256(np.ascontiguousarray(decoded).tobytes()),
            pixel_mean=float(decoded.mean()),
            pixels_hex=np.ascontiguousarray(decoded).tobytes().hex(),
        )
    return out


def strkeys() -> dict[str, Any]:
    """An index with key_type=str: keys kept as text (leading zeros, slashes, a space)."""
    keys = ["007", "cat/001.jpg", "dog_2", "a b", "x-y.z", "UPPER", "7"]
    items = [(k, f"payload of {k}".encode()) for k in keys]
    out = write_indexed("strkeys", items, key_type=str)
    for entry, (_, payload) in zip(out["records"], items, strict=True):
        entry["payload_hex"] = payload.hex()
    return out


def main() -> None:
    assert mx.__version__ == "1.9.1", mx.__version__
    manifest = {
        "generator": "tests/golden/make_golden.py (run with .venv-mxnet/bin/python)",
        "versions": {
            "python": sys.version.split()[0],
            "mxnet": mx.__version__,
            "numpy": np.__version__,
            "opencv": cv2.__version__,
        },
        "magic_word_hex": MAGIC.hex(),
        "files": {
            "multilabel": multilabel(),
            "magic": magic(),
            "images": images(),
            "strkeys": strkeys(),
        },
    }
    text = json.dumps(manifest, indent=1, sort_keys=True) + "\n"
    (HERE / "manifest.json").write_text(text)
    total = sum(p.stat().st_size for p in HERE.glob("*.*") if p.suffix in (".rec", ".idx"))
    print(f"wrote {len(manifest['files'])} .rec/.idx pairs ({total} bytes) and manifest.json")


if __name__ == "__main__":
    main()
