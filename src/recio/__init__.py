"""recio: MXNet's data loading (RecordIO, im2rec, mx.io, mx.image) without MXNet.

``from recio import mx`` gives MXNet's module names; ``recio.recordio`` is the
RecordIO format on its own.
"""

import importlib
from typing import Any

from recio import recordio
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


_SUBMODULES = ("image", "io", "mx", "nd")  # imported on first use: they pull in pyarrow, cv2


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"recio.{name}")
    raise AttributeError(f"module 'recio' has no attribute {name!r}")
