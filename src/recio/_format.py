"""The dmlc RecordIO layout that MXNet 1.9.1 reads and writes: bytes in, bytes out, no I/O.

A .rec file is a sequence of *parts*, each aligned to 4 bytes::

    offset 0        4                8                  8+length      (padded to 4)
           +--------+----------------+------------------+-------------+
           | magic  | lrecord        | data             | zero pad    |
           | u32 LE | u32 LE         | `length` bytes   | 0-3 bytes   |
           +--------+----------------+------------------+-------------+
    magic   = 0xCED7230A (bytes 0a 23 d7 ce)
    lrecord = cflag << 29 | length        (length < 2**29)
    cflag   = 0 whole record, 1 first part, 2 middle part, 3 last part

A record whose data holds the magic word at a 4-byte aligned position is split
there: the magic word is dropped from the data and each piece becomes a part,
so that a reader scanning aligned words for the magic word only ever finds part
headers. Joining the parts of a record puts the magic word back between them.
Pieces before a split point are multiples of 4 long, so only the last part is
padded. Parts of one record are contiguous.
"""

from __future__ import annotations

import struct

__all__ = [
    "CFLAG_FIRST",
    "CFLAG_LAST",
    "CFLAG_MIDDLE",
    "CFLAG_WHOLE",
    "HEAD",
    "HEAD_SIZE",
    "LENGTH_MASK",
    "MAGIC",
    "MAGIC_BYTES",
    "MAX_LENGTH",
    "encode_record",
    "padded",
    "split_lrecord",
]

MAGIC = 0xCED7230A
MAGIC_BYTES = struct.pack("<I", MAGIC)
HEAD = struct.Struct("<II")  # magic, lrecord
HEAD_SIZE = HEAD.size
LENGTH_MASK = (1 << 29) - 1
MAX_LENGTH = LENGTH_MASK  # dmlc refuses records of 2**29 bytes or more

CFLAG_WHOLE = 0
CFLAG_FIRST = 1
CFLAG_MIDDLE = 2
CFLAG_LAST = 3

_PAD = (b"", b"\0\0\0", b"\0\0", b"\0")  # indexed by length % 4


def padded(length: int) -> int:
    """Bytes that `length` bytes of data occupy on disk: rounded up to 4."""
    return (length + 3) & ~3


def split_lrecord(lrecord: int) -> tuple[int, int]:
    """(cflag, length) of a part header's second word."""
    return lrecord >> 29, lrecord & LENGTH_MASK


def _aligned_magic_positions(raw: bytes) -> list[int]:
    """Offsets of the magic word in `raw` that are multiples of 4."""
    found = []
    pos = raw.find(MAGIC_BYTES)
    while pos >= 0:
        if pos & 3 == 0:
            found.append(pos)
            pos = raw.find(MAGIC_BYTES, pos + 4)
        else:
            pos = raw.find(MAGIC_BYTES, pos + 1)
    return found


def encode_record(data: bytes | bytearray | memoryview) -> bytes:
    """The on-disk bytes of one record: its parts, headers and padding included.

    Raises ValueError for data of 2**29 bytes or more, which the format cannot
    describe (MXNet aborts the process on it).
    """
    length = len(data)
    if length > MAX_LENGTH:
        raise ValueError(
            f"a RecordIO record holds at most {MAX_LENGTH} bytes; got {length}. "
            "Split the payload across several records."
        )
    raw = bytes(data)
    if MAGIC_BYTES not in raw:
        return HEAD.pack(MAGIC, length) + raw + _PAD[length & 3]
    splits = _aligned_magic_positions(raw)
    if not splits:
        return HEAD.pack(MAGIC, length) + raw + _PAD[length & 3]
    pieces = []
    start = 0
    for pos in splits:
        cflag = CFLAG_FIRST if start == 0 else CFLAG_MIDDLE
        pieces.append(HEAD.pack(MAGIC, cflag << 29 | (pos - start)))
        pieces.append(raw[start:pos])
        start = pos + 4
    tail = length - start
    pieces.append(HEAD.pack(MAGIC, CFLAG_LAST << 29 | tail))
    pieces.append(raw[start:])
    pieces.append(_PAD[tail & 3])
    return b"".join(pieces)
