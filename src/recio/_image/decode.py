"""Decoding encoded images (JPEG, PNG, ...) into HWC uint8 arrays, the way MXNet's imdecode does.

Decoding goes through OpenCV's ``cv2.imdecode``, which releases the GIL, so
threads decode in parallel. What MXNet 1.9.1 does, and recio reproduces
(docs/notes/image_ops.md has the evidence):

- colour output (any ``flag`` but 0) is 3 channels, RGB unless ``to_rgb`` is
  false; grayscale output (``flag=0``) is ``H x W x 1``. Alpha is dropped,
  16-bit PNGs are scaled to 8 bits, CMYK JPEGs are converted to RGB.
- EXIF orientation is applied *except* to JFIF JPEGs and PNGs: MXNet decodes
  those into a buffer sized from the header with ``IMREAD_IGNORE_ORIENTATION``.
- a truncated JPEG still gives an image (MXNet's libjpeg fills what is missing).
  OpenCV 5 refuses such files, so recio appends the missing end-of-image marker
  and decodes again; ``allow_truncated=False`` raises instead.

Input that cannot be decoded raises :class:`ImageDecodeError` saying why
(empty, not an image format OpenCV reads, truncated, corrupt).

**Reduced-scale decoding.** libjpeg can decode a JPEG at 1/2, 1/4 or 1/8 of its
size by dropping DCT coefficients, which is several times faster than decoding
at full size and shrinking afterwards. A caller that will shrink the image
anyway passes ``min_size=(h, w)`` or ``min_short_side=n``; :func:`decode` then
picks the largest reduction whose output still covers that size, and reports
the scale it used. Only JPEGs are decoded reduced (for other formats OpenCV
would decode at full size and resize, which gains nothing).
"""

from __future__ import annotations

import os
from typing import Any, NamedTuple

import cv2
import numpy as np
import numpy.typing as npt

__all__ = [
    "Decoded",
    "ImageDecodeError",
    "JpegInfo",
    "as_byte_buffer",
    "choose_scale",
    "decode",
    "jpeg_info",
    "sniff_format",
]

#: The DCT reductions libjpeg offers, largest first, with OpenCV's flag bit for each.
_REDUCED_FLAG = {8: 64, 4: 32, 2: 16}
_SCALES = (8, 4, 2)

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_JPEG_SOI = b"\xff\xd8"
_JPEG_EOI = b"\xff\xd9"
#: Start-of-frame markers (baseline, extended, progressive, lossless, arithmetic); C4, C8
#: and CC are DHT, JPG and DAC, which are not frames.
_SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
#: Markers that stand alone, without a length field.
_STANDALONE_MARKERS = frozenset([0x01, *range(0xD0, 0xD8)])

#: Leading bytes of the formats OpenCV reads, for error messages and format checks.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "JPEG"),
    (_PNG_SIGNATURE, "PNG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", "JPEG 2000"),
    (b"\xff\x4f\xff\x51", "JPEG 2000"),
    (b"#?RADIANCE", "HDR"),
    (b"#?RGBE", "HDR"),
    (b"\x76\x2f\x31\x01", "OpenEXR"),
    (b"\x59\xa6\x6a\x95", "Sun raster"),
)


class ImageDecodeError(ValueError):
    """Bytes that are not a decodable image: empty, unknown format, truncated or corrupt.

    ``reason`` is one of ``"empty"``, ``"unknown format"``, ``"truncated"``,
    ``"corrupt"``, ``"too large"``; ``source`` names the file when the bytes came from one.
    """

    def __init__(self, message: str, *, reason: str, source: str | None = None):
        super().__init__(message)
        self.reason = reason
        self.source = source


class Decoded(NamedTuple):
    """What :func:`decode` returns: the image and the DCT reduction it was decoded at.

    ``image`` is ``H x W x 3`` (colour) or ``H x W x 1`` (grayscale) uint8;
    ``scale`` is 1 (full size), 2, 4 or 8 (decoded at 1/scale of each side,
    rounded up).
    """

    image: npt.NDArray[np.uint8]
    scale: int


class JpegInfo(NamedTuple):
    """A JPEG's size from its frame header, and the header facts decoding depends on.

    ``jfif`` is true when the file starts with a JFIF APP0 segment (MXNet then
    ignores EXIF orientation); ``exif`` when it carries an APP1 Exif segment
    (whose orientation may rotate the decoded image by 90 degrees).
    """

    height: int
    width: int
    components: int
    jfif: bool
    exif: bool


def as_byte_buffer(buf: Any) -> npt.NDArray[np.uint8]:
    """`buf` as a 1-D contiguous uint8 array, without copying where possible.

    Takes bytes, bytearray, memoryview and numpy arrays (whose raw bytes are
    used whatever their dtype, as MXNet's ``np.frombuffer`` does). Raises
    ValueError for anything else, as MXNet does (a ``str`` must be encoded).
    """
    if isinstance(buf, np.ndarray):
        return np.ascontiguousarray(buf).view(np.uint8).reshape(-1)
    if isinstance(buf, (bytes, bytearray, memoryview)):
        return np.frombuffer(buf, dtype=np.uint8)
    hint = " (a str must be encoded to bytes first)" if isinstance(buf, str) else ""
    raise ValueError(
        "an encoded image must be bytes, bytearray, memoryview or a numpy uint8 array, "
        f"not {type(buf).__name__}{hint}"
    )


def sniff_format(data: npt.NDArray[np.uint8]) -> str | None:
    """The image format `data` starts like (``"JPEG"``, ``"PNG"``, ...), or None."""
    head = data[:16].tobytes()
    for signature, name in _SIGNATURES:
        if head.startswith(signature):
            return name
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP"
    if len(head) >= 2 and head[0:1] == b"P" and head[1:2] in b"1234567":
        return "PNM"
    if head[4:12] in (b"ftypavif", b"ftypavis"):
        return "AVIF"
    return None


def jpeg_info(data: npt.NDArray[np.uint8]) -> JpegInfo | None:
    """Size and header facts of the JPEG in `data`, or None when no frame header is found.

    Walks the marker segments up to the first start-of-frame; costs microseconds
    (no pixel is decoded). Returns None for non-JPEG data and for a JPEG cut
    before its frame header.
    """
    mv = data.data  # indexing a memoryview gives ints, far faster than numpy scalars
    n = len(mv)
    if n < 4 or mv[0] != 0xFF or mv[1] != 0xD8:
        return None
    jfif = exif = False
    pos = 2
    first = True
    while pos + 3 < n:
        if mv[pos] != 0xFF:
            return None
        marker = mv[pos + 1]
        if marker == 0xFF:  # fill byte before a marker
            pos += 1
            continue
        if marker in _STANDALONE_MARKERS:
            pos += 2
            continue
        if marker in (0xD9, 0xDA):  # end of image or start of scan before any frame header
            return None
        length = (mv[pos + 2] << 8) | mv[pos + 3]
        if marker in _SOF_MARKERS:
            if pos + 9 >= n:
                return None
            height = (mv[pos + 5] << 8) | mv[pos + 6]
            width = (mv[pos + 7] << 8) | mv[pos + 8]
            return JpegInfo(height, width, mv[pos + 9], jfif, exif)
        if marker == 0xE0 and first:
            jfif = bytes(mv[pos + 4 : pos + 9]) == b"JFIF\x00"
        elif marker == 0xE1:
            exif = exif or bytes(mv[pos + 4 : pos + 10]) == b"Exif\x00\x00"
        first = False
        pos += 2 + length
    return None


def choose_scale(
    height: int,
    width: int,
    *,
    min_size: tuple[int, int] | None = None,
    min_short_side: int | None = None,
    may_rotate: bool = False,
) -> int:
    """The largest DCT reduction (8, 4, 2, else 1) whose output still covers what is needed.

    A JPEG of ``height x width`` decodes at scale ``s`` to ``ceil(height/s) x
    ceil(width/s)``. That must be at least ``min_size`` (height, width) and have
    a shorter side of at least ``min_short_side``. With ``may_rotate`` (EXIF
    orientation could swap the sides) ``min_size`` must hold both ways round.
    """
    if min_size is None and min_short_side is None:
        return 1
    for scale in _SCALES:
        h = -(-height // scale)
        w = -(-width // scale)
        if min_short_side is not None and min(h, w) < min_short_side:
            continue
        if min_size is not None:
            need_h, need_w = min_size
            if h < need_h or w < need_w:
                continue
            if may_rotate and (w < need_h or h < need_w):
                continue
        return scale
    return 1


def _ignores_orientation(data: npt.NDArray[np.uint8], info: JpegInfo | None) -> bool:
    """Whether MXNet decodes `data` ignoring EXIF orientation: JFIF JPEGs and PNGs.

    MXNet sizes its output from the header for exactly these (a JPEG starting
    with a JFIF APP0 segment, or a PNG) and decodes them with
    ``IMREAD_IGNORE_ORIENTATION``; everything else goes through plain
    ``cv::imdecode``, which applies the orientation.
    """
    if info is not None:
        return info.jfif
    return data[:4].tobytes() == _PNG_SIGNATURE[:4]


def decode(
    buf: Any,
    flag: int = 1,
    to_rgb: bool = True,
    *,
    min_size: tuple[int, int] | None = None,
    min_short_side: int | None = None,
    allow_truncated: bool = True,
    source: str | os.PathLike[str] | None = None,
) -> Decoded:
    """Decode `buf` to ``H x W x 3`` (RGB; BGR without `to_rgb`), or ``H x W x 1`` for ``flag=0``.

    `min_size` / `min_short_side` allow decoding a JPEG at a reduced DCT scale
    (module docstring); ``Decoded.scale`` says which was used. `source` (a file
    name) only goes into error messages. Raises :class:`ImageDecodeError` for
    data that is not a decodable image, ValueError for a bad `buf` type or flag.
    """
    if flag < 0:
        raise ValueError(f"flag must be 0 (grayscale) or 1 (colour), not {flag}")
    data = as_byte_buffer(buf)
    where = f" in {os.fspath(source)}" if source is not None else ""
    if data.size == 0:
        raise ImageDecodeError(
            f"cannot decode an empty buffer{where}: it holds no image",
            reason="empty",
            source=_name(source),
        )
    info = jpeg_info(data)
    scale = 1
    if info is not None and (min_size is not None or min_short_side is not None):
        may_rotate = info.exif and not info.jfif
        scale = choose_scale(
            info.height,
            info.width,
            min_size=min_size,
            min_short_side=min_short_side,
            may_rotate=may_rotate,
        )
    gray = flag == 0
    if gray:
        flags = cv2.IMREAD_GRAYSCALE
    else:
        flags = cv2.IMREAD_COLOR_RGB if to_rgb else cv2.IMREAD_COLOR_BGR
    if scale > 1:
        flags |= _REDUCED_FLAG[scale]
    if _ignores_orientation(data, info):
        flags |= cv2.IMREAD_IGNORE_ORIENTATION
    image = _imdecode(data, flags, where, source)
    if image is None:
        image = _recover(data, flags, allow_truncated, where, source)
    if gray:
        image = image.reshape(image.shape[0], image.shape[1], 1)
    return Decoded(image, scale)


def _name(source: str | os.PathLike[str] | None) -> str | None:
    return None if source is None else os.fspath(source)


def _imdecode(
    data: npt.NDArray[np.uint8], flags: int, where: str, source: Any
) -> npt.NDArray[np.uint8] | None:
    """cv2.imdecode, with OpenCV's own exceptions (size limits, bad headers) made decode errors."""
    try:
        image = cv2.imdecode(data, flags)
    except cv2.error as exc:
        fmt = sniff_format(data) or "image"
        if "CV_IO_MAX_IMAGE_PIXELS" in str(exc):
            info = jpeg_info(data)
            size = f" of {info.width}x{info.height} pixels" if info is not None else ""
            raise ImageDecodeError(
                f"{fmt}{where} is too large to decode: its header declares an image{size}, over "
                "OpenCV's limit of 2**30 pixels (environment variable CV_IO_MAX_IMAGE_PIXELS)",
                reason="too large",
                source=_name(source),
            ) from exc
        raise ImageDecodeError(
            f"OpenCV cannot decode this {fmt} data{where}: {_cv_reason(exc)}",
            reason="corrupt",
            source=_name(source),
        ) from exc
    return None if image is None else image.view(np.uint8)  # uint8 for every flag decode uses


def _recover(
    data: npt.NDArray[np.uint8], flags: int, allow_truncated: bool, where: str, source: Any
) -> npt.NDArray[np.uint8]:
    """After OpenCV gave nothing: decode a JPEG cut short, or raise saying what is wrong."""
    fmt = sniff_format(data)
    name = _name(source)
    if fmt is None:
        head = data[:8].tobytes()
        raise ImageDecodeError(
            f"cannot decode {data.size} bytes{where}: they start with {head!r}, which is not "
            "the signature of any image format OpenCV reads (JPEG, PNG, BMP, GIF, TIFF, WebP, ...)",
            reason="unknown format",
            source=name,
        )
    if fmt == "JPEG" and not _ends_with_eoi(data):
        if allow_truncated and jpeg_info(data) is not None:
            patched = np.concatenate([data, np.frombuffer(_JPEG_EOI, dtype=np.uint8)])
            image = _imdecode(patched, flags, where, source)
            if image is not None:
                return image
        raise ImageDecodeError(
            f"truncated JPEG{where}: the {data.size} bytes end before the end-of-image marker "
            "(FF D9)" + ("" if allow_truncated else "; pass allow_truncated=True to decode it"),
            reason="truncated",
            source=name,
        )
    if fmt == "PNG" and b"IEND" not in data[-12:].tobytes():
        raise ImageDecodeError(
            f"truncated PNG{where}: the {data.size} bytes end before the IEND chunk",
            reason="truncated",
            source=name,
        )
    raise ImageDecodeError(
        f"corrupt {fmt}{where}: OpenCV could not decode these {data.size} bytes",
        reason="corrupt",
        source=name,
    )


def _cv_reason(exc: cv2.error) -> str:
    """The informative last line of an OpenCV error message."""
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    return lines[-1] if lines else repr(exc)


def _ends_with_eoi(data: npt.NDArray[np.uint8]) -> bool:
    """Whether the JPEG ends with its EOI marker, allowing trailing zero padding after it."""
    tail = data[-64:].tobytes().rstrip(b"\x00")
    return tail.endswith(_JPEG_EOI)
