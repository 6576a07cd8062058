"""MXNet's ``mx.recordio``: RecordIO files, their index, and image-record headers.

Files written here are byte-for-byte those MXNet 1.9.1 writes, and MXNet reads them.
"""

from recio._errors import RecordIOError, RecordIOKeyError, RecordIOModeError
from recio._header import IRHeader, pack, pack_img, unpack, unpack_img
from recio._reader import RecordIOWarning
from recio._recordio import MXIndexedRecordIO, MXRecordIO

__all__ = [
    "IRHeader",
    "MXIndexedRecordIO",
    "MXRecordIO",
    "RecordIOError",
    "RecordIOKeyError",
    "RecordIOModeError",
    "RecordIOWarning",
    "pack",
    "pack_img",
    "unpack",
    "unpack_img",
]
