"""Pure pixel kernels: array in, array out, no randomness, no MXNet API conventions.

The public functions in ``ops`` (MXNet's signatures, NDArray results, random
draws) and the augmenters call these. Each kernel is one OpenCV or numpy call
on an ``H x W`` or ``H x W x C`` array: OpenCV releases the GIL and runs
vectorised, so threads scale and no Python code touches single pixels.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

__all__ = ["BORDER_TYPES", "INTERP_METHODS", "crop", "make_border", "normalize_", "resize"]

#: Interpolation codes passed straight to cv2.resize: MXNet's 0-4 (nearest, bilinear,
#: bicubic, area, Lanczos-4) and 5 (OpenCV's exact bilinear, which MXNet's C++ op accepts).
INTERP_METHODS = frozenset(range(6))
#: OpenCV border types MXNet's copyMakeBorder accepts: constant, reflect, reflect-101,
#: replicate, wrap; each may carry OpenCV's BORDER_ISOLATED bit (16), which does nothing here.
BORDER_TYPES = frozenset([*range(5), *range(16, 21)])


def resize(src: npt.NDArray[Any], w: int, h: int, interp: int) -> npt.NDArray[Any]:
    """`src` (``H x W`` or ``H x W x C``) resized to ``h x w`` with cv2 interpolation `interp`.

    Keeps the dtype and the number of dimensions (cv2 drops a trailing channel
    axis of 1; it is put back as a view). Views with row strides are read in place.
    """
    try:
        out: npt.NDArray[Any] = cv2.resize(src, (w, h), interpolation=interp)
    except cv2.error as exc:
        raise ValueError(
            f"OpenCV cannot resize an array of shape {src.shape} and dtype {src.dtype} "
            f"to {w}x{h} with interpolation {interp}: {_cv_reason(exc)}"
        ) from exc
    if out.ndim < src.ndim:
        out = out.reshape(h, w, 1)
    return out


def crop(src: npt.NDArray[Any], x0: int, y0: int, w: int, h: int) -> npt.NDArray[Any]:
    """A contiguous copy of rows ``y0:y0+h`` and columns ``x0:x0+w`` of `src` (clipped at its edge).

    A copy, not a view, because MXNet's crop is a new array: writing to it (an
    in-place colour_normalize, say) must not change the source image.
    """
    return np.ascontiguousarray(src[y0 : y0 + h, x0 : x0 + w])


def make_border(
    src: npt.NDArray[Any],
    top: int,
    bot: int,
    left: int,
    right: int,
    border_type: int,
    color: Sequence[float],
) -> npt.NDArray[Any]:
    """`src` padded by cv2.copyMakeBorder; constant borders take `color` (one value per channel)."""
    try:
        out: npt.NDArray[Any] = cv2.copyMakeBorder(
            src, top, bot, left, right, border_type, value=tuple(color)
        )
    except cv2.error as exc:
        raise ValueError(
            f"OpenCV cannot pad an array of shape {src.shape} and dtype {src.dtype} by "
            f"({top}, {bot}, {left}, {right}) with border type {border_type}: {_cv_reason(exc)}"
        ) from exc
    if out.ndim < src.ndim:
        out = out.reshape(out.shape[0], out.shape[1], 1)
    return out


def normalize_(src: npt.NDArray[Any], mean: Any, std: Any) -> npt.NDArray[Any]:
    """Subtract `mean` from `src` and divide by `std` in place (either may be None); returns `src`.

    numpy's in-place rules apply: a float image takes any mean; an integer
    image with a float mean raises numpy's casting TypeError, which the caller
    turns into advice.
    """
    if mean is not None:
        np.subtract(src, mean, out=src)
    if std is not None:
        np.divide(src, std, out=src)
    return src


def _cv_reason(exc: cv2.error) -> str:
    """The informative last line of an OpenCV error message."""
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    return lines[-1] if lines else repr(exc)
