"""recio: MXNet's data loading (RecordIO, im2rec, mx.io, mx.image) without MXNet.

``from recio import mx`` gives MXNet's module names; ``recio.recordio`` is the
RecordIO format on its own.
"""

from recio import mx, recordio
from recio.recordio import (
    IRHeader,
    MXIndexedRecordIO,
    MXRecordIO,
    RecordIOError,
    RecordIOKeyError,
    RecordIOModeError,
    RecordIOWarning,
    pack,
    pack_img,
    unpack,
    unpack_img,
)

__version__ = "0.1.0"

__all__ = [
    "IRHeader",
    "MXIndexedRecordIO",
    "MXRecordIO",
    "RecordIOError",
    "RecordIOKeyError",
    "RecordIOModeError",
    "RecordIOWarning",
    "__version__",
    "mx",
    "pack",
    "pack_img",
    "recordio",
    "unpack",
    "unpack_img",
]
