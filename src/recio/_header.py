"""The image-record header MXNet puts in front of a payload, and image (de)coding.

::

    offset 0       4         8              16             24
           +-------+---------+--------------+--------------+----------------------+---------+
           | flag  | label   | id           | id2          | flag x f32 labels     | payload |
           | u32   | f32     | u64          | u64          | (only when flag > 0)  |         |
           +-------+---------+--------------+--------------+----------------------+---------+

``flag == 0``: one scalar label in the header. ``flag > 0``: the header's label
field is 0 and `flag` float32 labels follow it. Little-endian throughout.
"""

from __future__ import annotations

import numbers
import struct
from typing import Any, NamedTuple

import numpy as np

__all__ = ["IRHeader", "pack", "pack_img", "unpack", "unpack_img"]

_HEADER = struct.Struct("<IfQQ")


class IRHeader(NamedTuple):
    """Metadata of an image record: `label` is a float, or an array when `flag` > 0."""

    flag: int
    label: Any
    id: int
    id2: int


def _as_bytes(s: bytes | bytearray | memoryview | str) -> bytes:
    return s.encode("utf-8") if isinstance(s, str) else bytes(s)


def pack(header: IRHeader | tuple[Any, ...], s: bytes | bytearray | memoryview | str) -> bytes:
    """A record of `header` followed by payload `s` (a str is encoded as UTF-8).

    A scalar label goes in the header with flag 0; a sequence or array of
    labels sets flag to their count and follows the header as float32, as MXNet
    does whatever flag the caller passed.
    """
    header = IRHeader(*header)
    payload = _as_bytes(s)
    if isinstance(header.label, numbers.Number):
        with np.errstate(over="ignore"):  # beyond float32's range becomes +-inf, as in MXNet
            label = float(np.float32(header.label))  # type: ignore[arg-type]
        return _HEADER.pack(0, label, header.id, header.id2) + payload
    labels = np.asarray(header.label, dtype=np.float32).ravel()
    return _HEADER.pack(labels.size, 0.0, header.id, header.id2) + labels.tobytes() + payload


def unpack(s: bytes | bytearray | memoryview) -> tuple[IRHeader, bytes]:
    """(header, payload) of a record made by :func:`pack`.

    The label is a Python float when flag is 0, else a read-only float32 array
    of `flag` values viewing the record, as MXNet returns it.
    """
    if len(s) < _HEADER.size:
        raise ValueError(
            f"an image record starts with a {_HEADER.size}-byte header; got {len(s)} bytes"
        )
    flag, label, id_, id2 = _HEADER.unpack_from(s)
    payload = bytes(s[_HEADER.size :]) if not isinstance(s, bytes) else s[_HEADER.size :]
    if flag > 0:
        if len(payload) < 4 * flag:
            raise ValueError(
                f"image record header says flag={flag} float32 labels follow it "
                f"({4 * flag} bytes), but only {len(payload)} bytes do"
            )
        labels = np.frombuffer(payload, np.float32, flag)
        return IRHeader(flag, labels, id_, id2), payload[4 * flag :]
    return IRHeader(flag, label, id_, id2), payload


_JPEG = (".JPG", ".JPEG")
_PNG = (".PNG",)


def pack_img(
    header: IRHeader | tuple[Any, ...],
    img: np.ndarray,
    quality: int = 95,
    img_fmt: str = ".jpg",
) -> bytes:
    """Encode `img` (BGR, as OpenCV holds it) with OpenCV and :func:`pack` it.

    `quality` is the JPEG quality (0-100) for .jpg, or the PNG compression
    level (0-9) for .png, as in MXNet.
    """
    import cv2

    params: list[int] = []
    if img_fmt.upper() in _JPEG:
        params = [cv2.IMWRITE_JPEG_QUALITY, quality]
    elif img_fmt.upper() in _PNG:
        params = [cv2.IMWRITE_PNG_COMPRESSION, quality]
    ok, buf = cv2.imencode(img_fmt, img, params)
    if not ok:
        raise ValueError(f"OpenCV could not encode an image of shape {img.shape} as {img_fmt}")
    return pack(header, buf.tobytes())


def unpack_img(s: bytes | bytearray | memoryview, iscolor: int = -1) -> tuple[IRHeader, np.ndarray]:
    """(header, image) of a record made by :func:`pack_img`; the image is BGR.

    `iscolor` is OpenCV's imdecode flag: -1 as stored, 0 grayscale, 1 colour.
    Raises ValueError when the payload is not an image OpenCV can decode.
    """
    import cv2

    header, payload = unpack(s)
    img = cv2.imdecode(np.frombuffer(payload, dtype=np.uint8), iscolor) if payload else None
    if img is None:
        raise ValueError(
            f"record id {header.id}: payload of {len(payload)} bytes is not an image "
            "OpenCV can decode"
        )
    return header, img
