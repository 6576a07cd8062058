"""Kernels of the detection augmenter (``det_aug_default``): boxes and pixels, no randomness.

Boxes are ``(left, top, right, bottom)`` tuples of floats normalised to the
image, worked on as plain Python lists: an image has a handful of objects and a
crop search tests up to ``max_crop_trials`` boxes against them, where numpy's
per-call cost would dominate. Rectangles (crop and pad boxes) are
``(x, y, width, height)``, with OpenCV's ``Rect_<float>`` semantics for
intersection and containment, as MXNet 1.9.1's ``ImageDetLabel`` uses.

The pixel kernel :func:`resample` makes the image the augmenter's geometry
describes (a window of the source, possibly reaching into padding, resized
to the output size) in one of two ways: *exact* (MXNet's own steps: crop,
pad, resize, so its pixels) or *fast* (only the visible image is resized, into
its place in a filled output: no padded intermediate, which can be 16 times
the image's area). Colour changes are pointwise, so they run on the window's
pixels only. See docs/notes/image_det_record_iter.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import cv2
import numpy as np
import numpy.typing as npt

from recio._image.default_aug_ops import border_value, hsl_shift

__all__ = [
    "Box",
    "CropRule",
    "Rect",
    "Window",
    "colour",
    "crop_fits",
    "emit",
    "flip",
    "project",
    "resample",
]

Image = npt.NDArray[np.uint8]
Box = tuple[float, float, float, float]  # left, top, right, bottom
Rect = tuple[float, float, float, float]  # x, y, width, height
_VALUES = np.arange(256, dtype=np.float32)


class CropRule(NamedTuple):
    """One crop sampler's constraints on a candidate crop (MXNet's names, one sampler)."""

    min_overlap: float
    max_overlap: float
    min_sample_coverage: float
    max_sample_coverage: float
    min_object_coverage: float
    max_object_coverage: float


def flip(boxes: Sequence[Box]) -> list[Box]:
    """Boxes of the horizontally mirrored image: ``left' = 1 - right, right' = 1 - left``."""
    return [(1.0 - r, t, 1.0 - left, b) for left, t, r, b in boxes]


def project(boxes: Sequence[Box], rect: Rect) -> list[Box]:
    """Boxes in the coordinates of `rect` (x, y, w, h), clamped to [0, 1] as MXNet does.

    MXNet clamps left/top from below only and right/bottom from above only, so a
    box outside `rect` stays inverted (it is emitted before this is called).
    """
    x, y, w, h = rect
    return [
        (max(0.0, (left - x) / w), max(0.0, (t - y) / h),
         min(1.0, (r - x) / w), min(1.0, (b - y) / h))
        for left, t, r, b in boxes
    ]  # fmt: skip


def _intersection(box: Box, rect: Rect) -> float:
    x, y, w, h = rect
    iw = min(box[2], x + w) - max(box[0], x)
    ih = min(box[3], y + h) - max(box[1], y)
    return iw * ih if iw > 0 and ih > 0 else 0.0


def crop_fits(boxes: Sequence[Box], rect: Rect, rule: CropRule) -> bool:
    """Whether crop `rect` meets `rule` for at least one box (every rule set is checked).

    A rule is *set* when it differs from its default (min 0, max 1); a crop with
    no rule set fits, as does any crop of an image without objects (MXNet's
    ``TryCrop``). IoU, sample coverage (intersection / crop area) and object
    coverage (intersection / box area) must each lie in their [min, max].
    """
    if not boxes:
        return True
    check_iou = rule.min_overlap > 0.0 or rule.max_overlap < 1.0
    check_sample = rule.min_sample_coverage > 0.0 or rule.max_sample_coverage < 1.0
    check_object = rule.min_object_coverage > 0.0 or rule.max_object_coverage < 1.0
    if not (check_iou or check_sample or check_object):
        return True
    crop_area = rect[2] * rect[3]
    for box in boxes:
        inter = _intersection(box, rect)
        box_area = (box[2] - box[0]) * (box[3] - box[1])
        if check_iou:
            iou = inter / (crop_area + box_area - inter) if inter > 0 else 0.0
            if iou < rule.min_overlap or iou > rule.max_overlap:
                continue
        if check_sample:
            c = inter / crop_area
            if c < rule.min_sample_coverage or c > rule.max_sample_coverage:
                continue
        if check_object:
            c = inter / box_area
            if c < rule.min_object_coverage or c > rule.max_object_coverage:
                continue
        return True
    return False


def emit(boxes: Sequence[Box], rect: Rect, mode: str, threshold: float) -> list[int]:
    """Indices of the boxes that stay in crop `rect`, by MXNet's emit mode.

    ``center``: the box's centre lies in the crop (left/top edges inclusive,
    right/bottom exclusive, as OpenCV's ``Rect::contains``); ``overlap``: more
    than `threshold` of the box's area lies in the crop.
    """
    x, y, w, h = rect
    kept = []
    for i, box in enumerate(boxes):
        if mode == "center":
            cx = (box[0] + box[2]) * 0.5
            cy = (box[1] + box[3]) * 0.5
            if x <= cx < x + w and y <= cy < y + h:
                kept.append(i)
        else:
            area = (box[2] - box[0]) * (box[3] - box[1])
            if area > 0 and _intersection(box, rect) / area > threshold:
                kept.append(i)
    return kept


def _contrast_lut(factor: float) -> Image:
    """``Mat::convertTo(-1, factor, 0)`` on 8-bit values: float32 ``v * factor``, rounded."""
    lut: Image = np.clip(np.rint(_VALUES * np.float32(factor)), 0, 255).astype(np.uint8)
    return lut


def colour(img: Image, hue: int, saturation: int, lightness: int, contrast: float) -> Image:
    """MXNet's detection colour jitter on a BGR image: HLS offsets, then contrast.

    The offsets are added to OpenCV's H, L and S and clipped to [0, 180],
    [0, 255], [0, 255]; then every value is multiplied by ``1 + contrast``
    (when ``|contrast| > 1e-3``). Returns a new image; `img` is not modified.
    """
    out: Any = img
    if hue or saturation or lightness:
        out = hsl_shift(out, hue, saturation, lightness)
    if abs(contrast) > 1e-3:
        out = cv2.LUT(out, _contrast_lut(1.0 + contrast))
    if out is img:
        out = img.copy()
    return out  # type: ignore[no-any-return]


class Window(NamedTuple):
    """The part of the base image the output shows, in base pixels (may reach past it).

    The base image is ``base_width x base_height`` (after the ``resize`` step,
    unmirrored); the window's parts outside it are padding of ``fill``.
    """

    x: int
    y: int
    width: int
    height: int


def _fill_image(shape: tuple[int, ...], fill: int) -> Image:
    """An image of `shape` holding MXNet's border colour: `fill` (saturated), alpha 0."""
    out = np.full(shape, min(max(fill, 0), 255), np.uint8)  # one memset
    if len(shape) == 3 and shape[2] == 4:
        out[:, :, 3] = 0
    return out


def _resize(img: Image, width: int, height: int, interpolation: int) -> Image:
    if img.shape[0] == height and img.shape[1] == width:
        return img
    out: Any = cv2.resize(img, (width, height), interpolation=interpolation)
    return out  # type: ignore[no-any-return]


def resample(
    img: Image,
    base: tuple[int, int],
    window: Window,
    size: tuple[int, int],
    interpolation: int,
    fill: int,
    *,
    fast: bool,
    jitter: tuple[int, int, int, float] | None = None,
) -> Image:
    """The output image (``size`` = (width, height)) showing `window` of the base image.

    `img` is the base image (``base`` = (height, width)) or, in fast mode, the
    same picture decoded at a reduced scale. `jitter` (h, s, l, contrast) is
    applied to the image pixels used, before resampling, as MXNet applies it
    before its geometric steps. Exact mode reproduces MXNet's crop, pad
    (``copyMakeBorder``) and resize; fast mode resizes only the visible part
    into its place, rounded to whole output pixels, in an output filled with
    `fill`.
    """
    base_h, base_w = base
    out_w, out_h = size
    fx = img.shape[1] / base_w
    fy = img.shape[0] / base_h
    x0, y0 = max(window.x, 0), max(window.y, 0)
    x1 = min(window.x + window.width, base_w)
    y1 = min(window.y + window.height, base_h)
    inside = (x0, y0, x1, y1) == (window.x, window.y, window.x + window.width,
                                  window.y + window.height)  # fmt: skip
    if not fast or (inside and fx == 1.0 and fy == 1.0):
        if fx != 1.0 or fy != 1.0:
            raise ValueError(
                f"exact resampling needs the image at its base size {base_w}x{base_h}, "
                f"got {img.shape[1]}x{img.shape[0]}"
            )
        part = img[y0:y1, x0:x1]
        if jitter is not None:
            part = colour(part, *jitter)
        if not inside:
            if x1 <= x0 or y1 <= y0:  # the window shows padding only
                return _fill_image((out_h, out_w, *img.shape[2:]), fill)
            out: Any = cv2.copyMakeBorder(
                part, y0 - window.y, window.y + window.height - y1,
                x0 - window.x, window.x + window.width - x1,
                cv2.BORDER_CONSTANT, value=border_value(fill),
            )  # fmt: skip
            part = out
        return _resize(part, out_w, out_h, interpolation)
    # fast: output pixels per base pixel, the visible part's place in the output
    sx, sy = out_w / window.width, out_h / window.height
    ox0, ox1 = round((x0 - window.x) * sx), round((x1 - window.x) * sx)
    oy0, oy1 = round((y0 - window.y) * sy), round((y1 - window.y) * sy)
    ix0, ix1 = round(x0 * fx), round(x1 * fx)
    iy0, iy1 = round(y0 * fy), round(y1 * fy)
    if ox1 <= ox0 or oy1 <= oy0 or ix1 <= ix0 or iy1 <= iy0:
        return _fill_image((out_h, out_w, *img.shape[2:]), fill)
    part = img[iy0:iy1, ix0:ix1]
    if jitter is not None:
        part = colour(part, *jitter)
    placed = _resize(part, ox1 - ox0, oy1 - oy0, interpolation)
    if (ox0, oy0, ox1, oy1) == (0, 0, out_w, out_h):
        return placed
    canvas = _fill_image((out_h, out_w, *img.shape[2:]), fill)
    canvas[oy0:oy1, ox0:ox1] = placed
    return canvas
