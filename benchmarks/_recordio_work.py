"""The measured RecordIO operations, shared verbatim by the recio side and the MXNet side.

``make_handlers(recordio)`` takes the module under test (``recio.recordio`` or
``mxnet.recordio``, which have the same API) and returns the worker's request handlers.
Because both sides execute this very code, the loops being timed are identical and only
the library calls differ. Setup that is not part of the operation (loading payloads into
``bytes`` objects, loading the key order, parsing an index for random reads) happens
before the clock starts; opening and closing a file for sequential read/write is timed,
because it is part of reading or writing a file.

stdlib only: this module runs under both virtual environments (numpy 1.23 and numpy 2).
"""

from __future__ import annotations

import os
import sys
import zlib
from array import array
from collections.abc import Callable, Mapping
from pathlib import Path
from time import perf_counter
from types import ModuleType
from typing import Any

Handler = Callable[[Mapping[str, Any]], Mapping[str, Any]]


def load_u32(path: str) -> list[int]:
    """A file of little-endian uint32 values, as a list of Python ints."""
    values = array("I")
    assert values.itemsize == 4
    values.frombytes(Path(path).read_bytes())
    if sys.byteorder == "big":
        values.byteswap()
    return values.tolist()


def load_payloads(blob: str, sizes: str) -> list[bytes]:
    """Split the concatenated payload file ``blob`` into records of the given ``sizes``."""
    data = Path(blob).read_bytes()
    out: list[bytes] = []
    pos = 0
    for size in load_u32(sizes):
        out.append(data[pos : pos + size])
        pos += size
    if pos != len(data):
        raise ValueError(f"{blob}: sizes add up to {pos} bytes, file has {len(data)}")
    return out


def make_handlers(recordio: ModuleType) -> dict[str, Handler]:
    """The request handlers of one side, bound to its ``recordio`` module."""
    payload_cache: dict[tuple[str, str], list[bytes]] = {}

    def payloads(p: Mapping[str, Any]) -> list[bytes]:
        key = (p["payload"], p["sizes"])
        if key not in payload_cache:
            payload_cache.clear()
            payload_cache[key] = load_payloads(*key)
        return payload_cache[key]

    def prepare(p: Mapping[str, Any]) -> dict[str, Any]:
        """Write the data file (.rec and .idx, keys 0..n-1) that every side later reads."""
        records = load_payloads(p["payload"], p["sizes"])
        writer = recordio.MXIndexedRecordIO(p["idx"], p["rec"], "w")
        for key, buf in enumerate(records):
            writer.write_idx(key, buf)
        writer.close()
        return {"records": len(records)}

    def seq_read(p: Mapping[str, Any]) -> dict[str, Any]:
        """Timed: open, ``read()`` every record to the end (touching each), close."""
        n = nbytes = 0
        t0 = perf_counter()
        reader = recordio.MXRecordIO(p["rec"], "r")
        read = reader.read
        while (buf := read()) is not None:
            n += 1
            nbytes += len(buf)
        reader.close()
        seconds = perf_counter() - t0
        return {"seconds": seconds, "items": n, "nbytes": nbytes}

    def random_read(p: Mapping[str, Any]) -> dict[str, Any]:
        """Timed: ``read_idx(key)`` for every key of a fixed random permutation."""
        keys = load_u32(p["order"])
        reader = recordio.MXIndexedRecordIO(p["idx"], p["rec"], "r")
        read_idx = reader.read_idx
        n = nbytes = 0
        t0 = perf_counter()
        for key in keys:
            nbytes += len(read_idx(key))
            n += 1
        seconds = perf_counter() - t0
        reader.close()
        return {"seconds": seconds, "items": n, "nbytes": nbytes}

    def write(p: Mapping[str, Any]) -> dict[str, Any]:
        """Timed: open, ``write()`` every payload, close. Reports the file size written."""
        records = payloads(p)
        out = p["out"]
        t0 = perf_counter()
        writer = recordio.MXRecordIO(out, "w")
        write = writer.write
        for buf in records:
            write(buf)
        writer.close()
        seconds = perf_counter() - t0
        nbytes = os.path.getsize(out)
        os.remove(out)
        return {"seconds": seconds, "items": len(records), "nbytes": nbytes}

    def write_idx(p: Mapping[str, Any]) -> dict[str, Any]:
        """Timed: open, ``write_idx(i, payload)`` for i = 0..n-1, close. Reports .rec+.idx size."""
        records = payloads(p)
        out, idx = p["out"], p["out_idx"]
        t0 = perf_counter()
        writer = recordio.MXIndexedRecordIO(idx, out, "w")
        write_idx = writer.write_idx
        for key, buf in enumerate(records):
            write_idx(key, buf)
        writer.close()
        seconds = perf_counter() - t0
        nbytes = os.path.getsize(out) + os.path.getsize(idx)
        os.remove(out)
        os.remove(idx)
        return {"seconds": seconds, "items": len(records), "nbytes": nbytes}

    def crc_read(p: Mapping[str, Any]) -> dict[str, Any]:
        """Untimed check: record count and CRC-32 of everything ``read()`` returns, in order."""
        reader = recordio.MXRecordIO(p["rec"], "r")
        n = crc = 0
        while (buf := reader.read()) is not None:
            n += 1
            crc = zlib.crc32(buf, crc)
        reader.close()
        return {"records": n, "crc32": crc}

    def crc_read_idx(p: Mapping[str, Any]) -> dict[str, Any]:
        """Untimed check: count, CRC-32 of ``read_idx`` over the key order, sorted keys."""
        reader = recordio.MXIndexedRecordIO(p["idx"], p["rec"], "r")
        n = crc = 0
        for key in load_u32(p["order"]):
            crc = zlib.crc32(reader.read_idx(key), crc)
            n += 1
        keys = sorted(int(k) for k in reader.keys)
        reader.close()
        return {"records": n, "crc32": crc, "keys_are_0_to_n": keys == list(range(n))}

    return {
        "prepare": prepare,
        "seq_read": seq_read,
        "random_read": random_read,
        "write": write,
        "write_idx": write_idx,
        "crc_read": crc_read,
        "crc_read_idx": crc_read_idx,
    }
