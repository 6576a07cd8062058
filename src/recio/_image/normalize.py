"""The last step of the image iterators: one augmented HWC image into one CHW batch row.

OpenCV's BGR(A) becomes RGB(A), the mirror is a reversed view, and MXNet
1.9.1's normalisation is fused into the same write::

    out[k] = (pixel[k] - mean[k]) * contrast * scale / std[k] + illumination * scale / std[k]

with ``contrast`` and ``illumination`` the per-image random draws (1 and 0 when
off) and ``mean`` a per-channel value or a mean image. uint8 output takes the
pixels as they are; int8 output is ``saturate(pixel - round(mean))`` as MXNet's.

uint8 images into C-contiguous uint8 or float32 rows (with a per-channel
mean) take OpenCV's path, which releases the GIL: a mirror (``cv2.flip``), the
pixels split into one plane per channel in the output's order (``cv2.split``,
into per-thread scratch planes), then for float32 ``cv2.LUT`` through a
256-entry float32 table per channel holding the formula's value for every
pixel level, computed with the same float32 operations as the formula itself,
so the values are bit for bit those of the direct computation
(:meth:`Normalizer.write_reference`), in a third of its time; uint8 rows copy
the planes. The scratch planes start at distinct offsets modulo 64 bytes on
purpose: into planes equally aligned, ``cv2.split`` writes with non-temporal
stores (bypassing the cache, so the table pass reads them back from memory)
or, equally misaligned, takes a path ten times slower.
"""

from __future__ import annotations

import dataclasses
import threading
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

__all__ = ["Normalizer"]

_SWAP = {1: [0], 3: [2, 1, 0], 4: [2, 1, 0, 3]}  # output channel k reads input channel
_LEVELS = np.arange(256, dtype=np.float32)


@dataclasses.dataclass(slots=True)
class Normalizer:
    """Per-channel constants of the write; `mean_image` (C, H, W) replaces `mean` when set."""

    mean: npt.NDArray[np.float32]
    std: npt.NDArray[np.float32]
    scale: float
    mean_image: npt.NDArray[np.float32] | None = None
    from_bgr: bool = True  # the image is OpenCV's BGR(A): output channels are RGB(A)
    _tables: dict[int, npt.NDArray[np.float32]] = dataclasses.field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _local: threading.local = dataclasses.field(
        default_factory=threading.local, init=False, repr=False, compare=False
    )

    def write(
        self,
        img: npt.NDArray[np.uint8],
        out: npt.NDArray[np.generic],
        *,
        mirror: bool,
        contrast: float = 1.0,
        illumination: float = 0.0,
    ) -> None:
        """Write `img` (H, W[, C]) into `out` (C, H, W) with `out`'s dtype."""
        channels = _check(img, out)
        kind = out.dtype
        if (
            (kind == np.float32 or kind == np.uint8)
            and self.mean_image is None
            and img.dtype == np.uint8
            and out.flags.c_contiguous
        ):
            self._write_planes(img, out, channels, mirror, contrast, illumination)
            return
        self.write_reference(img, out, mirror=mirror, contrast=contrast, illumination=illumination)

    def write_reference(
        self,
        img: npt.NDArray[np.uint8],
        out: npt.NDArray[np.generic],
        *,
        mirror: bool,
        contrast: float = 1.0,
        illumination: float = 0.0,
    ) -> None:
        """:meth:`write` computed directly with numpy: any dtype, mean image, layout."""
        channels = _check(img, out)
        if img.ndim == 2:
            img = img[:, :, None]
        if channels > 1 and self.from_bgr:
            img = img[:, :, _SWAP[channels]]
        src = img.transpose(2, 0, 1)
        if mirror:
            src = src[:, :, ::-1]
        kind = out.dtype
        if kind == np.uint8:
            out[...] = src
            return
        mean: npt.NDArray[np.float32] | np.float32
        if self.mean_image is not None:
            mean = self.mean_image[:, :, ::-1] if mirror else self.mean_image
        else:
            mean = self.mean[:channels, None, None]
        if kind == np.int8:
            shifted = src.astype(np.int16) - np.round(mean).astype(np.int16)
            np.clip(shifted, -128, 127, out=shifted)
            out[...] = shifted
            return
        mult, bias = self._factors(channels, contrast, illumination)
        mult, bias = mult[:, None, None], bias[:, None, None]
        if kind == np.float32:
            np.subtract(src, mean, out=out, dtype=np.float32)
            np.multiply(out, mult, out=out)
            if illumination:
                np.add(out, bias, out=out)
        else:
            out[...] = (src.astype(np.float32) - mean) * mult + bias

    def _factors(
        self, channels: int, contrast: float, illumination: float
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        std = self.std[:channels]
        mult = (contrast * self.scale / std).astype(np.float32)
        bias = (illumination * self.scale / std).astype(np.float32)
        return mult, bias

    def table(self, channels: int, contrast: float, illumination: float) -> npt.NDArray[np.float32]:
        """(channels, 256): the float32 output for each pixel level, as write_reference's
        ``(level - mean) * mult (+ bias)`` computes it, element by element."""
        plain = contrast == 1.0 and illumination == 0.0
        if plain and channels in self._tables:
            return self._tables[channels]
        mult, bias = self._factors(channels, contrast, illumination)
        table = (_LEVELS[None, :] - self.mean[:channels, None]) * mult[:, None]
        if illumination:
            table += bias[:, None]
        table = np.ascontiguousarray(table, dtype=np.float32)
        if plain:
            self._tables[channels] = table
        return table

    def _scratch(self, use: str, shape: tuple[int, ...]) -> Any:
        """This thread's reusable uint8 buffer for `use` ("flip" or "planes")."""
        buffers: dict[tuple[Any, ...], Any] | None = getattr(self._local, "buffers", None)
        if buffers is None:
            buffers = self._local.buffers = {}
        key = (use, *shape)
        buf = buffers.get(key)
        if buf is None:
            buf = buffers[key] = np.empty(shape, np.uint8) if use == "flip" else _planes(shape)
        return buf

    def _write_planes(
        self,
        img: npt.NDArray[np.uint8],
        out: npt.NDArray[np.generic],
        channels: int,
        mirror: bool,
        contrast: float,
        illumination: float,
    ) -> None:
        """write() of a uint8 image into a C-contiguous uint8 or float32 row, with OpenCV."""
        src: Any = img[:, :, 0] if img.ndim == 3 and channels == 1 else img
        if not _opencv_layout(src):
            src = np.ascontiguousarray(src)
        if mirror:
            src = cv2.flip(src, 1, dst=self._scratch("flip", src.shape))
        if channels == 1:
            planes = [src]
        else:
            planes = self._scratch("planes", out.shape)
            order = _SWAP[channels] if self.from_bgr else list(range(channels))
            # output plane k holds input channel order[k]; every target is a contiguous
            # (H, W) uint8 array, so split writes into it in place
            cv2.split(src, [planes[order.index(c)] for c in range(channels)])
        if out.dtype == np.uint8:
            for k in range(channels):
                np.copyto(out[k], planes[k])
            return
        table = self.table(channels, contrast, illumination)
        for k in range(channels):
            cv2.LUT(planes[k], table[k], dst=out[k])


def _check(img: npt.NDArray[Any], out: npt.NDArray[Any]) -> int:
    """The number of channels of `img`, after checking it fits the row `out`."""
    channels = 1 if img.ndim == 2 else img.shape[2]
    if channels != out.shape[0] or img.shape[:2] != out.shape[1:]:
        raise ValueError(
            f"augmented image of shape {img.shape} does not fit a batch row of shape "
            f"{out.shape} (channels, height, width)"
        )
    return int(channels)


def _planes(shape: tuple[int, ...]) -> list[npt.NDArray[np.uint8]]:
    """`shape[0]` contiguous uint8 planes of `shape[1:]`, plane k starting k + 1 bytes past
    a 64-byte boundary: each start differs from every other one modulo 16, 32 and 64."""
    count, size = shape[0], int(np.prod(shape[1:]))
    stride = -(-size // 64) * 64 + 64
    raw = np.empty(count * stride + 64, np.uint8)
    base = -raw.ctypes.data % 64
    starts = [base + k * stride + k + 1 for k in range(count)]
    return [raw[i : i + size].reshape(shape[1:]) for i in starts]


def _opencv_layout(img: npt.NDArray[Any]) -> bool:
    """Whether OpenCV reads `img` in place: pixels and channels packed, rows forward."""
    item = img.itemsize
    if img.ndim == 2:
        return bool(img.strides[1] == item and img.strides[0] >= img.shape[1] * item)
    return bool(
        img.strides[2] == item
        and img.strides[1] == img.shape[2] * item
        and img.strides[0] >= img.shape[1] * img.strides[1]
    )
