"""MXNet 1.9.1's ``mx.image`` functions: decoding, resizing, cropping, normalising, padding.

Signatures, defaults, output shapes and dtypes, and the formulas of the random
draws are MXNet's (docs/notes/image_ops.md lists what was verified by running
MXNet and every deliberate difference). Images are ``H x W x C`` arrays; every
function returns a :class:`recio.nd.NDArray` (a numpy array).

Randomness: every random function takes ``rng``. ``rng=None`` draws from
Python's global ``random`` module exactly as MXNet does, so after the same
``random.seed(n)`` recio and MXNet crop the same boxes. A
:class:`numpy.random.Generator` gives callers their own stream (threads, one
generator per image) with the same ranges, drawn in the same order:
``random.randint(a, b)`` (both ends included) becomes ``rng.integers(a, b,
endpoint=True)`` and ``random.uniform(a, b)`` becomes ``a + (b - a) *
rng.random()``.

The pixel work is in :mod:`recio._image.kernels`, decoding in
:mod:`recio._image.decode`.
"""

from __future__ import annotations

import math
import operator
import os
import random
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from recio._image import kernels
from recio._image.decode import ImageDecodeError, decode
from recio.nd import NDArray

__all__ = [
    "ImageDecodeError",
    "center_crop",
    "color_normalize",
    "copyMakeBorder",
    "fixed_crop",
    "imdecode",
    "imread",
    "imresize",
    "random_crop",
    "random_size_crop",
    "resize_short",
    "scale_down",
]

#: MXNet's interpolation codes beyond OpenCV's: 9 picks by the size change, 10 at random.
INTERP_AUTO = 9
INTERP_RANDOM = 10


def _check_rng(rng: Any) -> np.random.Generator | None:
    if rng is not None and not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"rng must be a numpy.random.Generator or None, not {type(rng).__name__}; "
            "make one with numpy.random.default_rng(seed)"
        )
    return rng


def _randint(rng: np.random.Generator | None, a: int, b: int) -> int:
    """An integer in [a, b], both included: Python's ``random.randint`` when `rng` is None."""
    if rng is None:
        return random.randint(a, b)
    return int(rng.integers(a, b, endpoint=True))


def _uniform(rng: np.random.Generator | None, a: float, b: float) -> float:
    """``a + (b - a) * U[0, 1)``: Python's ``random.uniform`` when `rng` is None."""
    if rng is None:
        return random.uniform(a, b)
    return a + (b - a) * float(rng.random())


def _array(src: Any) -> npt.NDArray[Any]:
    """`src` as a plain numpy array (NDArray and other subclasses viewed, nothing copied)."""
    return np.asarray(src)


def _image_hw(src: npt.NDArray[Any]) -> tuple[int, int]:
    if src.ndim not in (2, 3):
        raise ValueError(f"an image must be H x W or H x W x C, not an array of shape {src.shape}")
    return int(src.shape[0]), int(src.shape[1])


def _interp_method(
    interp: int,
    sizes: tuple[int, int, int, int] | None,
    rng: np.random.Generator | None,
    allowed: frozenset[int] = frozenset(range(5)),
) -> int:
    """The cv2 interpolation for MXNet's `interp` code; `sizes` is (old h, old w, new h, new w).

    9 (auto): bicubic when both sides grow, area when both shrink, else
    bilinear; bicubic when the sizes are unknown. 10: one of 0-4 at random.
    """
    if interp == INTERP_AUTO:
        if sizes is None:
            return 2
        oh, ow, nh, nw = sizes
        if nh > oh and nw > ow:
            return 2
        if nh < oh and nw < ow:
            return 3
        return 1
    if interp == INTERP_RANDOM:
        return _randint(_check_rng(rng), 0, 4)
    if interp not in allowed:
        raise ValueError(
            f"unknown interp method {interp}: use 0 (nearest), 1 (bilinear), 2 (bicubic), "
            "3 (area), 4 (Lanczos), 9 (auto) or 10 (random)"
        )
    return interp


def _positive(name: str, value: Any) -> int:
    n = operator.index(value)
    if n < 1:
        raise ValueError(f"{name} must be at least 1, not {n}")
    return n


def _result(image: npt.NDArray[Any], out: Any) -> NDArray:
    """`image` as an NDArray, or copied into `out` (which must have its shape and dtype)."""
    if out is None:
        return image.view(NDArray)
    if not isinstance(out, np.ndarray) or out.shape != image.shape or out.dtype != image.dtype:
        got = (
            f"shape {out.shape} and dtype {out.dtype}"
            if isinstance(out, np.ndarray)
            else type(out).__name__
        )
        raise ValueError(
            f"out must be an array of shape {image.shape} and dtype {image.dtype}, not {got}"
        )
    out[...] = image
    return out if isinstance(out, NDArray) else out.view(NDArray)


# -- decoding ------------------------------------------------------------------------------


def imdecode(buf: Any, flag: int = 1, to_rgb: bool = True, out: Any = None) -> NDArray:
    """Decode an encoded image (JPEG, PNG, ...) to ``H x W x 3`` uint8, RGB by default.

    ``flag=0`` gives grayscale ``H x W x 1``; ``to_rgb=False`` gives OpenCV's
    BGR. `buf` is bytes, bytearray, memoryview, a numpy array (its raw bytes)
    or a uint8 NDArray. Raises :class:`ImageDecodeError` (a ValueError) naming
    what is wrong with data that is not a decodable image.
    """
    if isinstance(buf, NDArray) and buf.dtype != np.uint8:
        raise ValueError(
            f"an NDArray holding an encoded image must have dtype uint8, not {buf.dtype} "
            "(create it with dtype='uint8')"
        )
    return _result(decode(buf, flag, bool(to_rgb)).image, out)


def imread(
    filename: str | os.PathLike[str], flag: int = 1, to_rgb: bool = True, out: Any = None
) -> NDArray:
    """Read and decode an image file, as :func:`imdecode` does with its bytes.

    A missing file raises FileNotFoundError; undecodable content raises
    :class:`ImageDecodeError` naming the file.
    """
    with open(filename, "rb") as f:
        data = f.read()
    return _result(decode(data, flag, bool(to_rgb), source=filename).image, out)


# -- resizing ------------------------------------------------------------------------------


def imresize(
    src: Any,
    w: int,
    h: int,
    interp: int = 1,
    out: Any = None,
    *,
    rng: np.random.Generator | None = None,
) -> NDArray:
    """`src` resized to ``h x w`` (same dtype and channels) with OpenCV.

    `interp`: 0 nearest, 1 bilinear (default), 2 bicubic, 3 area, 4 Lanczos-4,
    5 OpenCV's exact bilinear, 9 auto (bicubic to enlarge, area to shrink,
    bilinear otherwise), 10 one of 0-4 drawn from `rng`.
    """
    image = _array(src)
    oh, ow = _image_hw(image)
    w = _positive("w", w)
    h = _positive("h", h)
    method = _interp_method(interp, (oh, ow, h, w), rng, kernels.INTERP_METHODS)
    return _result(kernels.resize(image, w, h, method), out)


def resize_short(
    src: Any, size: int, interp: int = 2, *, rng: np.random.Generator | None = None
) -> NDArray:
    """`src` resized so that its shorter side is `size`, the longer ``size * long // short``."""
    image = _array(src)
    h, w = _image_hw(image)
    size = operator.index(size)
    if h > w:
        new_h, new_w = size * h // w, size
    else:
        new_h, new_w = size, size * w // h
    method = _interp_method(interp, (h, w, new_h, new_w), rng)
    return kernels.resize(image, new_w, new_h, method).view(NDArray)


# -- cropping ------------------------------------------------------------------------------


def scale_down(src_size: Sequence[int], size: Sequence[int]) -> tuple[int, int]:
    """The crop size (w, h) shrunk, keeping its aspect ratio, until it fits in `src_size` (w, h)."""
    w: float = size[0]
    h: float = size[1]
    sw, sh = src_size
    if sh < h:
        w, h = float(w * sh) / h, sh
    if sw < w:
        w, h = sw, float(h * sw) / w
    return int(w), int(h)


def fixed_crop(
    src: Any,
    x0: int,
    y0: int,
    w: int,
    h: int,
    size: Sequence[int] | None = None,
    interp: int = 2,
    *,
    rng: np.random.Generator | None = None,
) -> NDArray:
    """The ``w x h`` window of `src` at column `x0`, row `y0`, resized to `size` (w, h) if given.

    The window is a copy (MXNet returns a new array). `rng` is only drawn from
    for ``interp=10``.
    """
    image = _array(src)
    if size is not None and (w, h) != tuple(size):
        new_w, new_h = size
        method = _interp_method(interp, (h, w, new_h, new_w), rng)
        window = image[y0 : y0 + h, x0 : x0 + w]
        new_w, new_h = _positive("size[0]", new_w), _positive("size[1]", new_h)
        return kernels.resize(window, new_w, new_h, method).view(NDArray)
    return kernels.crop(image, x0, y0, w, h).view(NDArray)


def random_crop(
    src: Any,
    size: Sequence[int],
    interp: int = 2,
    *,
    rng: np.random.Generator | None = None,
) -> tuple[NDArray, tuple[int, int, int, int]]:
    """A randomly placed crop of `size` (w, h); returns it and its (x0, y0, w, h) in `src`.

    A crop larger than the image is first shrunk to fit (:func:`scale_down`),
    and the result upsampled to `size`.
    """
    image = _array(src)
    h, w = _image_hw(image)
    new_w, new_h = scale_down((w, h), size)
    gen = _check_rng(rng)
    x0 = _randint(gen, 0, w - new_w)
    y0 = _randint(gen, 0, h - new_h)
    out = fixed_crop(image, x0, y0, new_w, new_h, size, interp, rng=gen)
    return out, (x0, y0, new_w, new_h)


def center_crop(
    src: Any,
    size: Sequence[int],
    interp: int = 2,
    *,
    rng: np.random.Generator | None = None,
) -> tuple[NDArray, tuple[int, int, int, int]]:
    """The centred crop of `size` (w, h); returns it and its (x0, y0, w, h) in `src`.

    A crop larger than the image is shrunk to fit and the result upsampled to `size`.
    """
    image = _array(src)
    h, w = _image_hw(image)
    new_w, new_h = scale_down((w, h), size)
    x0 = int((w - new_w) / 2)
    y0 = int((h - new_h) / 2)
    out = fixed_crop(image, x0, y0, new_w, new_h, size, interp, rng=rng)
    return out, (x0, y0, new_w, new_h)


def random_size_crop(
    src: Any,
    size: Sequence[int],
    area: float | tuple[float, float],
    ratio: tuple[float, float],
    interp: int = 2,
    *,
    rng: np.random.Generator | None = None,
    **kwargs: Any,
) -> tuple[NDArray, tuple[int, int, int, int]]:
    """A crop of random area and aspect ratio, resized to `size` (w, h); returns it and its box.

    Up to 10 tries: the area is ``U(area[0], area[1])`` times the image's (a
    number `area` means ``(area, 1.0)``), the ratio w/h is ``exp(U(log
    ratio[0], log ratio[1]))``; the first crop that fits is placed at random.
    If none fits, the centred crop. ``min_area=`` is the deprecated name of `area`.
    """
    image = _array(src)
    h, w = _image_hw(image)
    src_area = h * w
    if "min_area" in kwargs:
        warnings.warn(
            "`min_area` is deprecated. Please use `area` instead.", DeprecationWarning, stacklevel=2
        )
        area = kwargs.pop("min_area")
    if kwargs:
        raise TypeError(f"random_size_crop() got unexpected keyword arguments {sorted(kwargs)}")
    if isinstance(area, (int, float, np.number)):
        area = (float(area), 1.0)
    lo, hi = area
    log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
    gen = _check_rng(rng)
    for _ in range(10):
        target_area = _uniform(gen, lo, hi) * src_area
        new_ratio = math.exp(_uniform(gen, *log_ratio))
        new_w = round(math.sqrt(target_area * new_ratio))
        new_h = round(math.sqrt(target_area / new_ratio))
        if new_w <= w and new_h <= h:
            x0 = _randint(gen, 0, w - new_w)
            y0 = _randint(gen, 0, h - new_h)
            out = fixed_crop(image, x0, y0, new_w, new_h, size, interp, rng=gen)
            return out, (x0, y0, new_w, new_h)
    return center_crop(image, size, interp, rng=gen)


# -- colour and borders ----------------------------------------------------------------------


def color_normalize(src: Any, mean: Any, std: Any = None) -> NDArray:
    """``(src - mean) / std``, computed in place in `src` as MXNet does; returns `src`.

    `mean` and `std` are scalars or arrays broadcasting against `src` (for an
    ``H x W x 3`` image, 3 values); either may be None. `src` must be a float
    array: an integer image would wrap around, so cast it first (CastAug).
    """
    image = _array(src)
    try:
        kernels.normalize_(image, mean, std)
    except TypeError as exc:  # numpy cannot cast the float result back into an integer image
        raise TypeError(
            f"color_normalize works in place, and a {image.dtype} image cannot hold the "
            f"normalised values: cast the image to float32 first (e.g. with CastAug): {exc}"
        ) from exc
    return src if isinstance(src, NDArray) else image.view(NDArray)


def copyMakeBorder(
    src: Any,
    top: int,
    bot: int,
    left: int,
    right: int,
    type: int = 0,  # MXNet's parameter name, shadowing the builtin
    value: float = 0.0,
    values: Sequence[float] = (),
    out: Any = None,
) -> NDArray:
    """`src` with a border of top/bot/left/right pixels, OpenCV's copyMakeBorder.

    `type`: 0 constant, 1 reflect (``fedcba|abcd``), 2 reflect-101
    (``edcb|abcd``), 3 replicate, 4 wrap. A constant border is `values` (one
    per channel, missing ones 0) or else `value` in the first three channels.
    """
    image = _array(src)
    _image_hw(image)
    border_type = operator.index(type)
    if border_type not in kernels.BORDER_TYPES:
        raise ValueError(
            f"unknown border type {border_type}: use 0 (constant), 1 (reflect), "
            "2 (reflect 101), 3 (replicate) or 4 (wrap)"
        )
    if len(values) > 4:
        raise ValueError(f"values holds at most 4 channel values, not {len(values)}")
    if len(values):
        color = [float(v) for v in values] + [0.0] * (4 - len(values))
    else:
        color = [float(value)] * 3 + [0.0]
    return _result(kernels.make_border(image, top, bot, left, right, border_type, color), out)
