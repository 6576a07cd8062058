"""The last step of ImageRecordIter: one augmented HWC image into one CHW batch row.

OpenCV's BGR(A) becomes RGB(A), the mirror is a reversed view, and MXNet
1.9.1's normalisation is fused into the same write::

    out[k] = (pixel[k] - mean[k]) * contrast * scale / std[k] + illumination * scale / std[k]

with ``contrast`` and ``illumination`` the per-image random draws (1 and 0 when
off) and ``mean`` a per-channel value or a mean image. uint8 output takes the
pixels as they are; int8 output is ``saturate(pixel - round(mean))`` as MXNet's.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt

__all__ = ["Normalizer"]

_SWAP = {1: [0], 3: [2, 1, 0], 4: [2, 1, 0, 3]}  # output channel k reads input channel


@dataclasses.dataclass(slots=True)
class Normalizer:
    """Per-channel constants of the write; `mean_image` (C, H, W) replaces `mean` when set."""

    mean: npt.NDArray[np.float32]
    std: npt.NDArray[np.float32]
    scale: float
    mean_image: npt.NDArray[np.float32] | None = None
    from_bgr: bool = True  # the image is OpenCV's BGR(A): output channels are RGB(A)

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
        if img.ndim == 2:
            img = img[:, :, None]
        channels = img.shape[2]
        if channels != out.shape[0] or img.shape[:2] != out.shape[1:]:
            raise ValueError(
                f"augmented image of shape {img.shape} does not fit a batch row of shape "
                f"{out.shape} (channels, height, width)"
            )
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
        mult = (contrast * self.scale / self.std[:channels])[:, None, None].astype(np.float32)
        bias = (illumination * self.scale / self.std[:channels])[:, None, None].astype(np.float32)
        if kind == np.float32:
            np.subtract(src, mean, out=out, dtype=np.float32)
            np.multiply(out, mult, out=out)
            if illumination:
                np.add(out, bias, out=out)
        else:
            out[...] = (src.astype(np.float32) - mean) * mult + bias
