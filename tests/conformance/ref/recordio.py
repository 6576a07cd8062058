"""MXNet 1.9.1's ``mxnet.recordio``, driven for the RecordIO conformance tests.

Runs in the reference server (numpy 1.23). Functions take paths as str and
payloads as bytes, and return plain values; header namedtuples and label arrays
cross the wire as namedtuples and numpy arrays.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Sequence
from typing import Any

from mxnet import recordio

KEY_TYPES: dict[str, Callable[[Any], Any]] = {"int": int, "str": str}


def _key_type(name: str | type) -> Callable[[Any], Any]:
    return KEY_TYPES[name] if isinstance(name, str) else name


def step(func: Callable[..., Any], *args: Any) -> tuple[Any, ...]:
    """``("ok", value)`` or ``("raise", class name, message)``: lets one call fail and go on."""
    try:
        return ("ok", func(*args))
    except Exception as exc:
        return ("raise", type(exc).__name__, str(exc))


def write_records(rec_path: str, payloads: Sequence[bytes]) -> None:
    """Write `payloads` with MXRecordIO, in order."""
    writer = recordio.MXRecordIO(rec_path, "w")
    for payload in payloads:
        writer.write(payload)
    writer.close()


def read_records(rec_path: str, limit: int = 100_000) -> list[bytes]:
    """Every record MXRecordIO reads before read() returns None (at most `limit`)."""
    reader = recordio.MXRecordIO(rec_path, "r")
    out = []
    for _ in range(limit):
        record = reader.read()
        if record is None:
            break
        out.append(record)
    reader.close()
    return out


def read_steps(rec_path: str, count: int) -> list[tuple[Any, ...]]:
    """`count` successive read() calls on one reader, each as a :func:`step`."""
    reader = recordio.MXRecordIO(rec_path, "r")
    steps = [step(reader.read) for _ in range(count)]
    reader.close()
    return steps


def write_indexed(
    idx_path: str, rec_path: str, items: Sequence[tuple[Any, bytes]], key_type: str = "int"
) -> dict[str, Any]:
    """write_idx every (key, payload); returns tell() before and after each, keys and idx."""
    writer = recordio.MXIndexedRecordIO(idx_path, rec_path, "w", key_type=_key_type(key_type))
    tells = [writer.tell()]
    for key, payload in items:
        writer.write_idx(key, payload)
        tells.append(writer.tell())
    result = {"tells": tells, "keys": list(writer.keys), "idx": dict(writer.idx)}
    writer.close()
    return result


def read_indexed(
    idx_path: str, rec_path: str, key_type: str = "int", order: Sequence[Any] | None = None
) -> dict[str, Any]:
    """keys, idx, read_idx of each key (in `order`, default file order) and a sequential read."""
    reader = recordio.MXIndexedRecordIO(idx_path, rec_path, "r", key_type=_key_type(key_type))
    keys = list(reader.keys)
    by_key = [(key, reader.read_idx(key)) for key in (keys if order is None else order)]
    reader.reset()
    sequential = []
    while True:
        record = reader.read()
        if record is None:
            break
        sequential.append(record)
    reader.close()
    return {"keys": keys, "idx": dict(reader.idx), "by_key": by_key, "sequential": sequential}


def indexed_steps(
    idx_path: str, rec_path: str, ops: Sequence[tuple[Any, ...]], key_type: str = "int"
) -> list[tuple[Any, ...]]:
    """Run ``("read_idx", key)``, ``("seek", key)`` or ``("read",)`` ops on one reader."""
    reader = recordio.MXIndexedRecordIO(idx_path, rec_path, "r", key_type=_key_type(key_type))
    out = [step(getattr(reader, op[0]), *op[1:]) for op in ops]
    reader.close()
    return out


def open_indexed(idx_path: str, rec_path: str, key_type: str = "int") -> dict[str, Any]:
    """keys and idx of an index, read by MXIndexedRecordIO (raises what MXNet raises)."""
    reader = recordio.MXIndexedRecordIO(idx_path, rec_path, "r", key_type=_key_type(key_type))
    result = {"keys": list(reader.keys), "idx": dict(reader.idx)}
    reader.close()
    return result


def pickle_reader(rec_path: str, reads_before: int, reads_after: int) -> dict[str, Any]:
    """Read `reads_before` records, pickle the open reader, then read from original and copy."""
    reader = recordio.MXRecordIO(rec_path, "r")
    before = [reader.read() for _ in range(reads_before)]
    blob = pickle.dumps(reader)
    original_open = reader.is_open
    original = [step(reader.read) for _ in range(reads_after)]
    copy = pickle.loads(blob)
    copied = [step(copy.read) for _ in range(reads_after)]
    copy.close()
    reader.close()
    return {
        "before": before,
        "original_is_open": original_open,
        "original": original,
        "copy": copied,
    }


def header_fields(header: Any) -> dict[str, Any]:
    """A header's fields and the type name of each."""
    return {
        "flag": header.flag,
        "label": header.label,
        "id": header.id,
        "id2": header.id2,
        "types": [type(v).__name__ for v in header],
        "label_dtype": str(getattr(header.label, "dtype", "")),
    }


def pack(header: Sequence[Any], payload: bytes) -> bytes:
    return recordio.pack(recordio.IRHeader(*header), payload)


def unpack(record: bytes) -> dict[str, Any]:
    header, payload = recordio.unpack(record)
    return {"header": header_fields(header), "payload": payload}


def pack_img(header: Sequence[Any], img: Any, quality: int = 95, img_fmt: str = ".jpg") -> bytes:
    return recordio.pack_img(recordio.IRHeader(*header), img, quality=quality, img_fmt=img_fmt)


def unpack_img(record: bytes, iscolor: int = -1) -> dict[str, Any]:
    header, img = recordio.unpack_img(record, iscolor)
    return {"header": header_fields(header), "img": img}
