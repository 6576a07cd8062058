"""The image iterators' one-pass path: JPEG -> resize -> crop -> mirror -> CHW row.

ImageRecordIter's common pipeline (``resize`` then a crop of data_shape, perhaps a
mirror, a per-channel mean/std) costs four passes over each image in Python: decode,
resize, split into planes, normalise. ``recio._jpegwindow`` (src/recio/_jpegwindow.c)
does it in one, decoding only the source rows and columns the crop samples, with the
GIL released. Its pixels are bit for bit those of the fast Python path (simplejpeg's
fast-upsampling decode, OpenCV's bilinear resize, :class:`~recio._image.normalize.
Normalizer`), so whether an image takes it changes nothing but the time.

It is optional (built only where libjpeg-turbo's headers are); :func:`available` says
whether this build has it. :func:`covers` says whether an image's drawn augmentation is
one it can do; everything else, and every JPEG it declines, takes the general path.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from recio._image.default_aug import AugParams

try:
    from recio import _jpegwindow
except ImportError:  # built without libjpeg's headers: the Python path does it all
    _jpegwindow = None  # type: ignore[assignment]

__all__ = ["available", "covers", "decode_window"]


def available() -> bool:
    return _jpegwindow is not None


def covers(params: AugParams, height: int, width: int) -> bool:
    """Whether `params` (drawn for a height x width image) is a bilinear resize then a
    crop and nothing else. OpenCV resizes by exactly 2 in both directions with its area
    method instead of bilinear sampling, so that scale is left to OpenCV."""
    p = params
    if (
        p.resize is None
        or p.resize.interpolation != cv2.INTER_LINEAR
        or p.affine is not None
        or p.pad
        or p.upscale
        or p.crop_resize is not None
        or p.jitter is not None
        or p.hsl is not None
        or p.pca is not None
    ):
        return False
    return not (width == 2 * p.resize.width and height == 2 * p.resize.height)


def decode_window(
    data: Any,
    out: npt.NDArray[Any],
    table: npt.NDArray[np.float32] | None,
    size: tuple[int, int],
    params: AugParams,
    *,
    mirror: bool,
    bgr: bool = False,
) -> bool:
    """Decode the JPEG `data` of `size` (height, width) into the batch row `out` (C, H, W)
    as `params` (see :func:`covers`) and the mirror say: float32 through `table`
    (C x 256, from :meth:`Normalizer.table`) or uint8 when `table` is None; channels RGB
    (BGR with `bgr`). False when it declined: `out` then holds garbage and the caller
    decodes the general way."""
    if _jpegwindow is None:
        return False
    resize, crop = params.resize, params.crop
    if resize is None or (crop.height, crop.width) != out.shape[1:]:
        return False
    ok: bool = _jpegwindow.decode_window(
        data, out, table, size[0], size[1], resize.width, resize.height, crop.x, crop.y,
        mirror, bgr,
    )  # fmt: skip
    return ok
