"""Pixel kernels of the colour augmenters: pure functions of (image, parameters).

Every colour augmentation of ``mx.image`` is an affine map of each pixel's
channel vector, ``pixel' = m @ pixel + b``; only contrast's offset depends on
the image (its mean luma). So each kernel here is "build the 3x3 matrix and
offset, then run one pass": :func:`affine` does the pass with
``cv2.transform`` (one vectorised read and write, in place when asked), and the
``*_affine`` builders return the map so that a chain of colour augmenters can
be fused into a single pass (see ``augmenters.augment``). The constants are
those MXNet 1.9.1 uses, so outputs match it to float rounding.

Kernels take floating images (HWC). Those that MXNet runs in place
(brightness, contrast, saturation, lighting) write into ``src`` and return it;
hue and gray return a new array, as MXNet's do.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

__all__ = [
    "EYE",
    "GRAY_COEF",
    "ZERO",
    "add_channels",
    "affine",
    "brightness",
    "channel_means",
    "contrast",
    "contrast_affine",
    "gray",
    "gray_affine",
    "hue",
    "hue_affine",
    "lighting",
    "lighting_offset",
    "normalize",
    "saturation",
    "saturation_affine",
]

Array = npt.NDArray[Any]
Affine = tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]

# Luma weights (ITU-R BT.601) used by MXNet's contrast and saturation jitters.
GRAY_COEF = np.array([0.299, 0.587, 0.114])
# MXNet's RandomGrayAug uses different weights (BT.709-like, rounded): every
# channel becomes 0.21 R + 0.72 G + 0.07 B.
_GRAY_WEIGHTS = np.array([0.21, 0.72, 0.07])
# RGB <-> YIQ, as MXNet's HueJitterAug (approximate hue rotation in YIQ space).
_TYIQ = np.array([[0.299, 0.587, 0.114], [0.596, -0.274, -0.321], [0.211, -0.523, 0.311]])
_ITYIQ = np.array([[1.0, 0.956, 0.621], [1.0, -0.272, -0.647], [1.0, -1.107, 1.705]])
# Constant maps, built once (fusing a chain builds a few small matrices per image).
EYE = np.eye(3)
ZERO = np.zeros(3)
_TO_LUMA = np.outer(np.ones(3), GRAY_COEF)  # every channel := luma
_TO_GRAY = np.outer(np.ones(3), _GRAY_WEIGHTS)
for _const in (GRAY_COEF, _GRAY_WEIGHTS, _TYIQ, _ITYIQ, EYE, ZERO, _TO_LUMA, _TO_GRAY):
    _const.flags.writeable = False


def _check_channels(src: Array, allowed: tuple[int, ...], what: str) -> int:
    channels = src.shape[2] if src.ndim == 3 else 0
    if channels not in allowed:
        raise ValueError(
            f"{what} needs an HWC image with {' or '.join(map(str, allowed))} channels, "
            f"got shape {src.shape}"
        )
    return channels


def channel_means(src: Array) -> npt.NDArray[np.float64]:
    """Per-channel means of an HWC image as float64 (one vectorised pass, no temporaries)."""
    channels = src.shape[2]
    pixels = src.shape[0] * src.shape[1]
    sums: npt.NDArray[np.float64]
    if channels <= 4 and src.dtype != np.float16 and pixels:
        sums = np.asarray(cv2.sumElems(src)[:channels], dtype=np.float64)
    else:  # cv2 handles at most 4 channels and no float16
        sums = src.reshape(-1, channels).sum(axis=0, dtype=np.float64)
    means: npt.NDArray[np.float64] = sums / max(pixels, 1)
    return means


def affine(
    src: Array, m: npt.ArrayLike, b: npt.ArrayLike | None = None, *, out: Array | None = None
) -> Array:
    """``pixel' = m @ pixel + b`` for every pixel of a 3-channel float image, in one pass.

    ``out=src`` runs in place. OpenCV's ``transform`` does the work when it can
    (float32/float64); other dtypes fall back to a numpy matrix product.
    """
    mat = np.asarray(m, dtype=np.float64).reshape(3, 3)
    off = ZERO if b is None else np.asarray(b, dtype=np.float64)
    if off.shape != (3,):
        off = np.broadcast_to(off, (3,))
    if src.dtype in (np.float32, np.float64) and src.ndim == 3 and src.shape[2] == 3:
        m34 = np.empty((3, 4), dtype=src.dtype)
        m34[:, :3] = mat
        m34[:, 3] = off
        if out is None:
            new: Array = cv2.transform(src, m34)
            return new
        if out.flags.c_contiguous or out is src:
            result: Array = cv2.transform(src, m34, dst=out)
            if result is out:
                return out
            out[...] = result  # cv2 had to work on a copy (e.g. negative strides)
            return out
    result = np.matmul(src, mat.T.astype(src.dtype)) + off.astype(src.dtype)
    if out is None:
        return result
    out[...] = result
    return out


def brightness(src: Array, alpha: float) -> Array:
    """Scale every value by ``alpha`` in place (MXNet: ``src *= alpha``)."""
    src *= alpha
    return src


def contrast_affine(alpha: float, means: npt.NDArray[np.float64]) -> Affine:
    """Contrast as an affine map: ``alpha * src + (1 - alpha) * mean luma``.

    MXNet's mean luma is ``3 * sum(src * GRAY_COEF) / src.size``, which for a
    3-channel image is the luma of the per-channel means.
    """
    luma = float(np.dot(GRAY_COEF, means))
    return EYE * alpha, np.full(3, (1.0 - alpha) * luma)


def contrast(src: Array, alpha: float) -> Array:
    """Contrast jitter in place: blend with the image's mean luma by ``alpha``."""
    channels = _check_channels(src, (1, 3), "contrast")
    means = channel_means(src)
    luma = float(np.dot(GRAY_COEF, means)) if channels == 3 else float(means[0])
    src *= alpha
    src += (1.0 - alpha) * luma
    return src


def saturation_affine(alpha: float) -> Affine:
    """Saturation as an affine map: blend each pixel with its own luma by ``alpha``."""
    return alpha * EYE + (1.0 - alpha) * _TO_LUMA, ZERO


def saturation(src: Array, alpha: float) -> Array:
    """Saturation jitter in place (a 1-channel image is its own luma: unchanged)."""
    if _check_channels(src, (1, 3), "saturation") == 1:
        return src
    m, _ = saturation_affine(alpha)
    return affine(src, m, out=src)


def hue_affine(alpha: float) -> Affine:
    """Hue rotation by ``alpha * pi`` about the Y axis of YIQ space (MXNet's approximation)."""
    u, w = np.cos(alpha * np.pi), np.sin(alpha * np.pi)
    rot = np.array([[1.0, 0.0, 0.0], [0.0, u, -w], [0.0, w, u]])
    return _ITYIQ @ rot @ _TYIQ, ZERO


def hue(src: Array, alpha: float) -> Array:
    """Hue jitter into a new array (MXNet's ``nd.dot`` returns a new one too)."""
    _check_channels(src, (3,), "hue")
    m, _ = hue_affine(alpha)
    # MXNet rounds the float64 matrix to float32 before the product; so do we.
    return affine(src, m.astype(np.float32))


def lighting_offset(
    alpha: npt.ArrayLike, eigval: npt.ArrayLike, eigvec: npt.ArrayLike
) -> npt.NDArray[np.float64]:
    """AlexNet-style PCA noise: the RGB offset ``(eigvec * alpha) @ eigval``."""
    vec = np.asarray(eigvec, dtype=np.float64)
    return np.asarray(np.dot(vec * np.asarray(alpha, np.float64), np.asarray(eigval, np.float64)))


def add_channels(src: Array, offset: npt.ArrayLike) -> Array:
    """``src += offset`` per channel, in place; the offset is rounded to the image's dtype.

    numpy broadcasting over a trailing axis of 3 runs ~10x slower than one
    OpenCV pass (a per-channel scalar add, bit-identical), used where it can be.
    """
    values = np.broadcast_to(np.asarray(offset).astype(src.dtype), src.shape[-1:])
    fast = src.dtype in (np.float32, np.float64) and src.ndim == 3 and src.shape[2] in (3, 4)
    if fast and src.flags.c_contiguous:
        scalar: Any = (*map(float, values), 0.0)[:4]  # an OpenCV Scalar: one value per channel
        if cv2.add(src, scalar, dst=src) is src:
            return src
    src += values
    return src


def lighting(src: Array, rgb: npt.ArrayLike) -> Array:
    """Add the per-channel offset ``rgb`` in place (rounded to the image's dtype first)."""
    return add_channels(src, rgb)


def normalize(src: Array, mean: npt.ArrayLike | None, std: npt.ArrayLike | None) -> Array:
    """``(src - mean) / std`` in place, per channel; either may be None.

    On a 3-channel float image with a std, one affine pass (multiplying by
    ``1/std``: within an ulp or two of dividing); a mean alone is subtracted
    exactly.
    """
    if std is None:
        if mean is not None:
            add_channels(src, -np.asarray(mean).astype(src.dtype))
        return src
    std_v = np.asarray(std, dtype=np.float64)
    mean_v = np.zeros(1) if mean is None else np.asarray(mean, dtype=np.float64)
    if src.ndim == 3 and src.shape[2] == 3 and std_v.size in (1, 3) and mean_v.size in (1, 3):
        std3 = np.broadcast_to(std_v.reshape(-1), (3,))
        mean3 = np.broadcast_to(mean_v.reshape(-1), (3,))
        return affine(src, np.diag(1.0 / std3), -mean3 / std3, out=src)
    if mean is not None:
        src -= np.asarray(mean).astype(src.dtype)
    src /= np.asarray(std).astype(src.dtype)
    return src


def gray_affine() -> Affine:
    """RandomGrayAug's map: every channel becomes 0.21 R + 0.72 G + 0.07 B."""
    return _TO_GRAY, ZERO


def gray(src: Array) -> Array:
    """Grayscale with three equal channels, into a new array."""
    _check_channels(src, (3,), "gray")
    m, _ = gray_affine()
    return affine(src, m.astype(np.float32))
