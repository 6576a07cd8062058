"""Pixel kernels of MXNet's default augmenter (``aug_default``): pure functions of (image, numbers).

Each kernel does what MXNet 1.9.1's ``DefaultImageAugmenter::Process`` does to
the pixels for one step, with the same OpenCV call where there is one, and with
a lookup table where MXNet runs an 8-bit per-value formula (a table of 256
entries computed with MXNet's float32 arithmetic gives the same bytes, and
``cv2.LUT`` is the fastest pass over an image). All of them take and return
uint8 images (HxW or HxWxC, BGR(A) order for colour), release the GIL inside
OpenCV, and never modify their input: a crop passed in is a view of the
caller's image. The random draws that choose the numbers live in
``default_aug.py``; see docs/notes/default_aug.md for the formulas' sources.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

__all__ = [
    "PCA_EIG",
    "border_value",
    "gray_rgb2gray",
    "hsl_shift",
    "jitter",
    "pad",
    "pca_deltas",
    "pca_shift",
    "resize",
    "resize_window",
    "warp_affine",
]

Image = npt.NDArray[np.uint8]
_Out = npt.NDArray[Any]  # what cv2 returns

# ImageNet's RGB colour eigenvectors (rows: R, G, B) times their eigenvalues
# (55.46, 4.794, 1.148), the fixed matrix MXNet's pca_noise uses: the values
# read from the augmenter's memory in MXNet 1.9.1 are eigvec[i][j] * eigval[j].
_EIGVAL = np.array([55.46, 4.794, 1.148], dtype=np.float32)
_EIGVEC = np.array(
    [[-0.5675, 0.7192, 0.4009], [-0.5808, -0.0045, -0.8140], [-0.5836, -0.6948, 0.4203]],
    dtype=np.float32,
)
PCA_EIG = _EIGVEC * _EIGVAL  # float32, as MXNet keeps it
_VALUES = np.arange(256, dtype=np.float32)
_F32 = np.float32


def border_value(fill: int) -> tuple[float, float, float, float]:
    """The constant border MXNet uses, ``cv::Scalar(fill, fill, fill)``: alpha (if any) gets 0."""
    return (float(fill), float(fill), float(fill), 0.0)


def resize(img: Image, width: int, height: int, interpolation: int) -> Image:
    """``cv::resize`` to (width, height); an image already that size is returned as is.

    OpenCV copies an image whose size does not change whatever the method, so
    skipping the call gives the same pixels without the copy.
    """
    if img.shape[0] == height and img.shape[1] == width:
        return img
    out: _Out = cv2.resize(img, (width, height), interpolation=interpolation)
    return out


# Interpolations whose output pixel is a function of nearby source pixels and of the
# scale alone (checked pixel for pixel in tests/test_default_aug.py); OpenCV's cubic is
# not: its vector loop rounds a few pixels differently with the row length.
_WINDOWED = frozenset({cv2.INTER_NEAREST, cv2.INTER_LINEAR})
_REACH = 4  # source pixels past the last one a window's edge samples, kept to be safe


def resize_window(
    img: Image, width: int, height: int, interpolation: int, x: int, y: int, w: int, h: int
) -> Image:
    """``resize(img, width, height, interpolation)[y:y+h, x:x+w]``, computing less of it.

    For nearest and bilinear sampling, OpenCV's output pixel (i, j) reads the
    source around ``((i + 0.5) * sy - 0.5, (j + 0.5) * sx - 0.5)``, with the
    scales ``sx = cols / width``, ``sy = rows / height``. Resizing only the
    top-left part of the source that the window's last row and column reach,
    at the same scales (``fx``/``fy``, which OpenCV uses as given), therefore
    gives the window's very pixels without computing the rows and columns
    below and right of it. Other interpolations resize the whole image.
    """
    rows, cols = img.shape[:2]
    if interpolation in _WINDOWED and (rows, cols) != (height, width):
        need_cols = min(cols, math.ceil((x + w) * cols / width) + _REACH)
        need_rows = min(rows, math.ceil((y + h) * rows / height) + _REACH)
        if need_cols < cols or need_rows < rows:
            part: _Out = cv2.resize(
                img[:need_rows, :need_cols],
                None,
                fx=width / cols,
                fy=height / rows,
                interpolation=interpolation,
            )
            if part.shape[0] >= y + h and part.shape[1] >= x + w:
                return part[y : y + h, x : x + w]
    return resize(img, width, height, interpolation)[y : y + h, x : x + w]


def warp_affine(
    img: Image, matrix: Sequence[float], width: int, height: int, interpolation: int, fill: int
) -> Image:
    """``cv::warpAffine`` with MXNet's float32 2x3 `matrix` (row-major), constant border `fill`."""
    m = np.asarray(matrix, dtype=np.float32).reshape(2, 3)
    out: _Out = cv2.warpAffine(
        img,
        m,
        (width, height),
        flags=interpolation,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=border_value(fill),
    )
    return out


def pad(img: Image, size: int, fill: int) -> Image:
    """``cv::copyMakeBorder``: `size` pixels of constant `fill` on every side."""
    out: _Out = cv2.copyMakeBorder(
        img, size, size, size, size, cv2.BORDER_CONSTANT, value=border_value(fill)
    )
    return out


def _affine_lut(alpha: float, beta: float) -> Image:
    """``Mat::convertTo(alpha, beta)`` on 8-bit values: float32 ``v*alpha + beta``, rounded."""
    v = _VALUES * _F32(alpha) + _F32(beta)
    lut: Image = np.clip(np.rint(v), 0, 255).astype(np.uint8)
    return lut


_GRAY_MATRIX = np.array([[4899 / 16384, 9617 / 16384, 1868 / 16384, 2.0**-15]], dtype=np.float32)


def gray_rgb2gray(img: Image) -> Image:
    """OpenCV 3.4's 8-bit ``COLOR_RGB2GRAY`` (MXNet 1.9.1 bundles OpenCV 3.4.2).

    ``(4899 * c0 + 9617 * c1 + 1868 * c2 + 8192) >> 14``, with c0 the first
    channel. OpenCV 4 and 5 round a few pixels differently, so the sum is done
    here: scaled by 2**-14 it is exact in float32, and the offset 2**-15 turns
    the shift's floor into the round-to-nearest of the final conversion.
    """
    total = cv2.transform(img.astype(np.float32), _GRAY_MATRIX)
    out: _Out = cv2.convertScaleAbs(total)
    return out


def jitter(img: Image, brightness: float, contrast: float, saturation: float,
           order: Sequence[int]) -> Image:  # fmt: skip
    """MXNet's colour jitter on a BGR image: the three factors applied in `order`.

    Order values: 0 brightness (``v * b``), 1 contrast (``v * c + (1 - c) * mean``
    where mean is the mean of the image's gray version), 2 saturation
    (``v * s + gray * (1 - s)`` per channel). Each step rounds and clips to
    uint8, as MXNet's ``convertTo`` / ``addWeighted`` calls do. A factor of
    exactly 1 leaves the image unchanged and is skipped. The gray version is
    :func:`gray_rgb2gray` of the BGR image (MXNet passes OpenCV's code 7,
    ``COLOR_RGB2GRAY``, so blue weighs 0.299 and red 0.114).
    """
    out: _Out = img
    for op in order:
        if op == 0:
            if brightness != 1.0:
                out = cv2.LUT(out, _affine_lut(brightness, 0.0))
        elif op == 1:
            if contrast != 1.0:
                mean = _F32(cv2.mean(gray_rgb2gray(out))[0])
                beta = (_F32(1.0) - _F32(contrast)) * mean
                out = cv2.LUT(out, _affine_lut(contrast, float(beta)))
        elif saturation != 1.0:
            gray3 = cv2.cvtColor(gray_rgb2gray(out), cv2.COLOR_GRAY2BGR)
            rest = float(_F32(1.0) - _F32(saturation))
            out = cv2.addWeighted(out, float(_F32(saturation)), gray3, rest, 0.0)
    return out


def hsl_shift(img: Image, h: int, s: int, l: int) -> Image:  # noqa: E741 (MXNet's names)
    """BGR -> HLS, add `h`, `l`, `s`, clip to [0, 180], [0, 255], [0, 255], HLS -> BGR."""
    hls = cv2.cvtColor(img, cv2.COLOR_BGR2HLS)
    idx = np.arange(256, dtype=np.int32)
    lut = np.empty((256, 1, 3), dtype=np.uint8)
    lut[:, 0, 0] = np.clip(idx + h, 0, 180)
    lut[:, 0, 1] = np.clip(idx + l, 0, 255)
    lut[:, 0, 2] = np.clip(idx + s, 0, 255)
    out: _Out = cv2.cvtColor(cv2.LUT(hls, lut), cv2.COLOR_HLS2BGR)
    return out


def pca_deltas(alphas: Sequence[float]) -> tuple[float, float, float]:
    """The per-channel offsets (B, G, R) of MXNet's PCA noise for the three normal draws.

    ``rgb[i] = sum_j eig[i][j] * alpha[j]`` in float32, summed left to right as
    MXNet does; blue gets ``rgb[2]`` and red ``rgb[0]``.
    """
    a = [_F32(x) for x in alphas]
    rgb = [(PCA_EIG[i, 0] * a[0] + PCA_EIG[i, 1] * a[1]) + PCA_EIG[i, 2] * a[2] for i in range(3)]
    return float(rgb[2]), float(rgb[1]), float(rgb[0])


def pca_shift(img: Image, deltas: Sequence[float]) -> Image:
    """Add the (B, G, R) `deltas`: ``clip(trunc(float32(v) + delta), 0, 255)`` per channel."""
    lut = np.empty((256, 1, 3), dtype=np.uint8)
    for c in range(3):
        lut[:, 0, c] = np.clip(np.trunc(_VALUES + _F32(deltas[c])), 0, 255)
    out: _Out = cv2.LUT(img, lut)
    return out
