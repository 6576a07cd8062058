"""MXNet 1.9.1's detection augmenter (``det_aug_default``) of ImageDetRecordIter: draw, then apply.

What MXNet does to each decoded image and its boxes (``DefaultImageDetAugmenter``
in src/io/image_det_aug_default.cc), in this order:

1. **resize** (``resize != -1``): shorter side to ``resize``, longer side
   ``resize * long // short``.
2. **colour** (when any of the hue, saturation, illumination, contrast
   probabilities is > 0): offsets ``int(U(-1, 1) * max_random_*)`` each kept
   with its probability, added in OpenCV's HLS space; contrast multiplies
   every value by ``1 + U(-1, 1) * max_random_contrast``.
3. **mirror** with probability ``rand_mirror_prob``: image and boxes.
4. **pad** with probability ``rand_pad_prob``: a canvas ``s`` times the image
   (``s ~ U(1, max_pad_scale)``, none when ``s < 1.05``) filled with
   ``fill_value``, the image at a random place in it; boxes follow.
5. **crop** with probability ``rand_crop_prob``: the crop samplers in random
   order; each draws up to ``max_crop_trials`` boxes of scale ``U(min, max)``
   (the side's fraction of the image) and pixel aspect ratio in
   [min, max] (ratio drawn uniformly in the square of the normalised
   aspect, as MXNet), until one meets the sampler's IoU and coverage rules and
   keeps at least one object (``crop_emit_mode``); the objects left out are
   dropped and the rest clipped to the crop.
6. **fit to data_shape** by ``resize_mode``: force (stretch), shrink (only
   down, aspect kept) or fit (up or down, aspect kept).

recio's choices (docs/notes/image_det_record_iter.md): the pad and crop
rectangles are snapped to the whole pixels actually cut *before* boxes are
projected and crops tested, so every box frames exactly the pixels it framed
(MXNet projects with the unsnapped rectangle: up to a pixel of the source off).
:meth:`DetAugmenter.draw` makes every random choice from a
:class:`~recio._image.default_aug.RandomSource`; :meth:`DetAugmenter.apply`
(pixels) and :meth:`DetAugmenter.transform_label` (boxes) are then pure
functions of the draw.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Literal, NamedTuple

import numpy as np
import numpy.typing as npt

from recio._image import default_aug_ops
from recio._image import det_default_aug_ops as ops
from recio._image.default_aug import RandomSource, Resize, _GeneratorSource
from recio._image.det_default_aug_ops import Box, CropRule, Rect, Window

__all__ = ["CropSampler", "DetAugOptions", "DetAugParams", "DetAugmenter"]

INTER_METHODS = (0, 1, 2, 3, 4, 9, 10)
PAD_THRESHOLD = 1.05  # MXNet's GeneratePadBox: a drawn scale below this means no padding
_F = np.float32
_FINITE_FIELDS = ("rand_crop_prob", "rand_pad_prob", "max_pad_scale", "rand_mirror_prob",
                  "random_hue_prob", "random_saturation_prob", "random_illumination_prob",
                  "random_contrast_prob", "max_random_contrast", "emit_overlap_thresh")  # fmt: skip
_SAMPLER_FIELDS = ("min_crop_scales", "max_crop_scales", "min_crop_aspect_ratios",
                   "max_crop_aspect_ratios", "min_crop_overlaps", "max_crop_overlaps",
                   "min_crop_sample_coverages", "max_crop_sample_coverages",
                   "min_crop_object_coverages", "max_crop_object_coverages",
                   "max_crop_trials")  # fmt: skip


class CropSampler(NamedTuple):
    """One crop sampler: the box it draws and the rule a drawn box must meet."""

    min_scale: float
    max_scale: float
    min_aspect: float
    max_aspect: float
    rule: CropRule
    max_trials: int


@dataclasses.dataclass(slots=True, kw_only=True, frozen=True)
class DetAugOptions:
    """The detection augmenter's parameters: MXNet 1.9.1's names and defaults.

    The per-sampler tuples hold one value for every sampler or one value for
    all of them (MXNet's rule); :attr:`samplers` is the expanded list.
    """

    data_shape: tuple[int, int, int]
    resize: int = -1
    rand_crop_prob: float = 0.0
    min_crop_scales: tuple[float, ...] = (0.0,)
    max_crop_scales: tuple[float, ...] = (1.0,)
    min_crop_aspect_ratios: tuple[float, ...] = (1.0,)
    max_crop_aspect_ratios: tuple[float, ...] = (1.0,)
    min_crop_overlaps: tuple[float, ...] = (0.0,)
    max_crop_overlaps: tuple[float, ...] = (1.0,)
    min_crop_sample_coverages: tuple[float, ...] = (0.0,)
    max_crop_sample_coverages: tuple[float, ...] = (1.0,)
    min_crop_object_coverages: tuple[float, ...] = (0.0,)
    max_crop_object_coverages: tuple[float, ...] = (1.0,)
    num_crop_sampler: int = 1
    crop_emit_mode: Literal["center", "overlap"] = "center"
    emit_overlap_thresh: float = 0.3
    max_crop_trials: tuple[int, ...] = (25,)
    rand_pad_prob: float = 0.0
    max_pad_scale: float = 1.0
    max_random_hue: int = 0
    random_hue_prob: float = 0.0
    max_random_saturation: int = 0
    random_saturation_prob: float = 0.0
    max_random_illumination: int = 0
    random_illumination_prob: float = 0.0
    max_random_contrast: float = 0.0
    random_contrast_prob: float = 0.0
    rand_mirror_prob: float = 0.0
    fill_value: int = 127
    inter_method: int = 1
    resize_mode: Literal["force", "shrink", "fit"] = "force"
    samplers: tuple[CropSampler, ...] = dataclasses.field(init=False, default=())

    def __post_init__(self) -> None:
        if len(self.data_shape) != 3 or min(self.data_shape) <= 0:
            raise ValueError(
                f"data_shape must be (channels, height, width) with positive sizes, "
                f"got {self.data_shape!r}"
            )
        if self.data_shape[0] not in (1, 3, 4):
            raise ValueError(f"data_shape must have 1, 3 or 4 channels, got {self.data_shape!r}")
        if self.resize != -1 and self.resize <= 0:
            raise ValueError(f"resize must be -1 (off) or positive, got {self.resize}")
        if self.inter_method not in INTER_METHODS:
            raise ValueError(
                f"invalid inter_method {self.inter_method}: use 0 (nearest), 1 (linear), "
                "2 (cubic), 3 (area), 4 (Lanczos4), 9 (auto) or 10 (random)"
            )
        for name in _FINITE_FIELDS:
            if not math.isfinite(getattr(self, name)):
                raise ValueError(f"{name} must be a finite number, got {getattr(self, name)!r}")
        if self.emit_overlap_thresh < 0:
            raise ValueError(f"emit_overlap_thresh must be >= 0, got {self.emit_overlap_thresh}")
        if self.crop_emit_mode not in ("center", "overlap"):
            raise ValueError(f"crop_emit_mode must be 'center' or 'overlap', got "
                             f"{self.crop_emit_mode!r}")  # fmt: skip
        if self.resize_mode not in ("force", "shrink", "fit"):
            raise ValueError(f"resize_mode must be 'force', 'shrink' or 'fit', got "
                             f"{self.resize_mode!r}")  # fmt: skip
        if self.colour_enabled and self.data_shape[0] != 3:
            raise ValueError(
                "the hue, saturation, illumination and contrast jitters work on colour images: "
                f"data_shape must have 3 channels, got {self.data_shape!r}"
            )
        object.__setattr__(self, "samplers", self._expand_samplers())

    def _expand_samplers(self) -> tuple[CropSampler, ...]:
        count = self.num_crop_sampler
        if count <= 0:
            return ()
        columns = []
        for name in _SAMPLER_FIELDS:
            values = tuple(getattr(self, name))
            if len(values) == 1:
                values = values * count
            elif len(values) != count or count == 1:
                raise ValueError(
                    f"{name} has {len(values)} values but num_crop_sampler is {count}: give one "
                    "value per crop sampler, or one value for all of them"
                )
            columns.append(values)
        samplers = []
        for i, v in enumerate(zip(*columns, strict=True)):
            sampler = CropSampler(float(v[0]), float(v[1]), float(v[2]), float(v[3]),
                                  CropRule(*(float(x) for x in v[4:10])), int(v[10]))  # fmt: skip
            _check_sampler(i, sampler)
            samplers.append(sampler)
        return tuple(samplers)

    @property
    def colour_enabled(self) -> bool:
        """MXNet's condition for the colour step: any of the four probabilities is > 0."""
        return (self.random_hue_prob > 0 or self.random_saturation_prob > 0
                or self.random_illumination_prob > 0 or self.random_contrast_prob > 0)  # fmt: skip


def _check_sampler(i: int, s: CropSampler) -> None:
    """MXNet's checks of one sampler's ranges, with the sampler named."""
    r = s.rule
    checks = (
        (s.min_scale >= 0.0, f"min_crop_scales {s.min_scale} must be >= 0"),
        (s.max_scale <= 1.0, f"max_crop_scales {s.max_scale} must be <= 1"),
        (s.max_scale > s.min_scale,
         f"max_crop_scales {s.max_scale} must be > min_crop_scales {s.min_scale}"),
        (s.min_aspect >= 0.0, f"min_crop_aspect_ratios {s.min_aspect} must be >= 0"),
        (s.max_aspect >= s.min_aspect,
         f"max_crop_aspect_ratios {s.max_aspect} must be >= min_crop_aspect_ratios {s.min_aspect}"),
        (r.max_overlap >= r.min_overlap, "max_crop_overlaps must be >= min_crop_overlaps"),
        (r.max_sample_coverage >= r.min_sample_coverage,
         "max_crop_sample_coverages must be >= min_crop_sample_coverages"),
        (r.max_object_coverage >= r.min_object_coverage,
         "max_crop_object_coverages must be >= min_crop_object_coverages"),
        (s.max_trials >= 0, f"max_crop_trials {s.max_trials} must be >= 0"),
    )  # fmt: skip
    for ok, rule in checks:
        if not ok:
            raise ValueError(f"crop sampler {i}: {rule}")


class DetAugParams(NamedTuple):
    """Everything random about one image's augmentation; ``apply`` needs nothing else.

    ``input_size`` is the (height, width) the draw was made for; ``base`` the
    size after the ``resize`` step. ``window`` is the part of the (unmirrored)
    base image the output shows, reaching past it where padding shows;
    ``out_size`` is (width, height) of the output image. ``pad_rect`` and
    ``crop_rect`` are the pad and crop as normalised rectangles (x, y, w, h)
    of the image before that step, snapped to whole pixels: boxes are
    projected with them.
    """

    input_size: tuple[int, int]
    base: tuple[int, int]
    window: Window
    out_size: tuple[int, int]
    out_inter: int
    resize: Resize | None = None
    jitter: tuple[int, int, int, float] | None = None
    mirror: bool = False
    pad_rect: Rect | None = None
    crop_rect: Rect | None = None


def _uniform(src: RandomSource, low: float, high: float) -> float:
    """libstdc++'s ``uniform_real_distribution(low, high)``: ``low + (high - low) * u``."""
    return low + (high - low) * src.uniform()


class DetAugmenter:
    """MXNet 1.9.1's ``det_aug_default`` for one set of options (see the module docstring).

    `fast` (the iterator's ``fast_decode``) lets :meth:`apply` take an image
    decoded at a reduced scale and resample padded outputs without building
    the padded canvas; off, the pixels are MXNet's (see ``ops.resample``).
    """

    __slots__ = ("fast", "options")

    def __init__(self, options: DetAugOptions, *, fast: bool = True):
        self.options = options
        self.fast = fast

    def _inter(self, src: RandomSource, old_w: int, old_h: int, new_w: int, new_h: int) -> int:
        """MXNet's GetInterMethod: 9 picks by direction, 10 draws 0-4, others are themselves."""
        method = self.options.inter_method
        if method == 9:
            if new_w > old_w and new_h > old_h:
                return 2
            if new_w < old_w and new_h < old_h:
                return 3
            return 1
        if method == 10:
            return src.randint(0, 4)
        return method

    def draw(
        self,
        rng: np.random.Generator | RandomSource,
        height: int,
        width: int,
        boxes: Sequence[Box],
    ) -> DetAugParams:
        """All random choices for an image of `height` x `width` whose objects are `boxes`."""
        src: RandomSource = _GeneratorSource(rng) if isinstance(rng, np.random.Generator) else rng
        o = self.options
        rows, cols = height, width
        resize = None
        if o.resize != -1:
            if rows > cols:
                new_h, new_w = o.resize * rows // cols, o.resize
            else:
                new_h, new_w = o.resize, o.resize * cols // rows
            resize = Resize(new_w, new_h, self._inter(src, cols, rows, new_w, new_h))
            rows, cols = new_h, new_w
        base = (rows, cols)
        jitter = self._draw_colour(src) if o.colour_enabled else None
        mirror = o.rand_mirror_prob > 0 and src.uniform() < o.rand_mirror_prob
        if mirror:
            boxes = ops.flip(boxes)
        left = top = 0
        pad_rect = None
        if o.rand_pad_prob > 0 and o.max_pad_scale > 1 and src.uniform() < o.rand_pad_prob:
            pad = self._draw_pad(src, rows, cols)
            if pad is not None:
                left, top, right, bottom = pad
                new_rows, new_cols = rows + top + bottom, cols + left + right
                pad_rect = (-left / cols, -top / rows, new_cols / cols, new_rows / rows)
                boxes = ops.project(boxes, pad_rect)
                rows, cols = new_rows, new_cols
        crop = (0, 0, cols, rows)
        crop_rect = None
        if o.rand_crop_prob > 0 and o.samplers and src.uniform() < o.rand_crop_prob:
            found = self._draw_crop(src, rows, cols, boxes)
            if found is not None:
                crop, crop_rect = found
        x, y, w, h = crop
        x -= left  # the window in the mirrored base image, then unmirrored
        y -= top
        if mirror:
            x = base[1] - (x + w)
        out_w, out_h, inter = self._draw_output(src, h, w)
        return DetAugParams(
            input_size=(height, width),
            base=base,
            window=Window(x, y, w, h),
            out_size=(out_w, out_h),
            out_inter=inter,
            resize=resize,
            jitter=jitter,
            mirror=mirror,
            pad_rect=pad_rect,
            crop_rect=crop_rect,
        )

    def _draw_colour(self, src: RandomSource) -> tuple[int, int, int, float] | None:
        """Four values ``U(-1, 1) * max`` (ints truncated), then four probability draws."""
        o = self.options
        hue = int(_uniform(src, -1.0, 1.0) * o.max_random_hue)
        sat = int(_uniform(src, -1.0, 1.0) * o.max_random_saturation)
        lum = int(_uniform(src, -1.0, 1.0) * o.max_random_illumination)
        con = _uniform(src, -1.0, 1.0) * o.max_random_contrast
        hue = hue if src.uniform() < o.random_hue_prob else 0
        sat = sat if src.uniform() < o.random_saturation_prob else 0
        lum = lum if src.uniform() < o.random_illumination_prob else 0
        con = con if src.uniform() < o.random_contrast_prob else 0.0
        if abs(con) <= 1e-3:
            con = 0.0
        if not (hue or sat or lum or con):
            return None
        return (hue, sat, lum, con)

    def _draw_pad(
        self, src: RandomSource, rows: int, cols: int
    ) -> tuple[int, int, int, int] | None:
        """(left, top, right, bottom) pixels of padding, or None (MXNet's GeneratePadBox)."""
        scale = _uniform(src, 1.0, self.options.max_pad_scale)
        if scale < PAD_THRESHOLD:
            return None
        x0 = _uniform(src, 0.0, scale - 1.0)
        y0 = _uniform(src, 0.0, scale - 1.0)
        return (int(x0 * cols), int(y0 * rows),
                int((scale - x0 - 1.0) * cols), int((scale - y0 - 1.0) * rows))  # fmt: skip

    def _draw_crop(
        self, src: RandomSource, rows: int, cols: int, boxes: Sequence[Box]
    ) -> tuple[tuple[int, int, int, int], Rect] | None:
        """The first crop of the samplers (in random order) that meets its rule, or None."""
        samplers = self.options.samplers
        order = list(range(len(samplers)))
        for i in range(len(order) - 1, 0, -1):  # a uniform shuffle, as std::shuffle
            j = src.randint(0, i)
            order[i], order[j] = order[j], order[i]
        mode, thresh = self.options.crop_emit_mode, self.options.emit_overlap_thresh
        aspect = cols / rows
        for index in order:
            sampler = samplers[index]
            for _ in range(sampler.max_trials):
                x, y, w, h = _crop_box(src, sampler, aspect)
                px, py, pw, ph = int(x * cols), int(y * rows), int(w * cols), int(h * rows)
                if pw < 1 or ph < 1:
                    continue  # less than a pixel: MXNet would hand OpenCV an empty crop
                rect = (px / cols, py / rows, pw / cols, ph / rows)
                if not ops.crop_fits(boxes, rect, sampler.rule):
                    continue
                if boxes and not ops.emit(boxes, rect, mode, thresh):
                    continue  # MXNet: a crop that keeps no object fails
                return (px, py, pw, ph), rect
        return None

    def _draw_output(self, src: RandomSource, rows: int, cols: int) -> tuple[int, int, int]:
        """(width, height, interpolation) of the final resize by ``resize_mode`` (float32)."""
        o = self.options
        _, out_h, out_w = o.data_shape
        if o.resize_mode == "force":
            new_w, new_h = out_w, out_h
        elif o.resize_mode == "shrink" and rows <= out_h and cols <= out_w:
            return cols, rows, 1  # small enough: kept as it is (no interpolation drawn)
        else:
            ratio = min(_F(out_h) / _F(rows), _F(out_w) / _F(cols))
            new_h = max(1, int(ratio * _F(rows)))
            new_w = max(1, int(ratio * _F(cols)))
        return new_w, new_h, self._inter(src, cols, rows, new_w, new_h)

    def decode_scale_hint(self, params: DetAugParams) -> float:
        """The smallest scale in (0, 1] the image may be decoded at for `params`.

        With the ``resize`` step, anything at least the resized size; without,
        a scale that keeps at least one source pixel per output pixel in the
        window. 1.0 unless the augmenter is fast.
        """
        if not self.fast:
            return 1.0
        height, width = params.input_size
        if params.resize is not None:
            return min(1.0, max(params.resize.width / width, params.resize.height / height))
        out_w, out_h = params.out_size
        window = params.window
        return min(1.0, max(out_w / window.width, out_h / window.height))

    def apply(self, img: npt.NDArray[np.uint8], params: DetAugParams) -> npt.NDArray[np.uint8]:
        """The augmented image for `params` (mirrored as a view); a pure function.

        `img` is BGR(A) or gray, of ``params.input_size`` or (fast mode) the same
        picture decoded smaller.
        """
        p = params
        expand = img.ndim == 3 and img.shape[2] == 1
        if expand:
            img = img[:, :, 0]
        if p.resize is not None:
            img = default_aug_ops.resize(img, *p.resize)
        elif not self.fast and img.shape[:2] != p.input_size:
            raise ValueError(
                f"the image is {img.shape[1]}x{img.shape[0]} but the parameters were drawn for "
                f"{p.input_size[1]}x{p.input_size[0]} (width x height)"
            )
        out = ops.resample(img, p.base, p.window, p.out_size, p.out_inter,
                           self.options.fill_value, fast=self.fast, jitter=p.jitter)  # fmt: skip
        if p.mirror:
            out = out[:, ::-1]
        if expand:
            out = out[:, :, None]
        return out

    def transform_label(self, header: npt.NDArray[np.float32], objects: npt.NDArray[np.float32],
                        params: DetAugParams) -> npt.NDArray[np.float32]:  # fmt: skip
        """The flat label after `params`: `header` then the objects kept, boxes moved."""
        p = params
        if not (p.mirror or p.pad_rect or p.crop_rect) or not len(objects):
            return np.concatenate([header, objects.reshape(-1)])
        boxes: list[Box] = [tuple(b) for b in objects[:, 1:5].tolist()]
        if p.mirror:
            boxes = ops.flip(boxes)
        if p.pad_rect is not None:
            boxes = ops.project(boxes, p.pad_rect)
        out = objects
        if p.crop_rect is not None:
            kept = ops.emit(boxes, p.crop_rect, self.options.crop_emit_mode,
                            self.options.emit_overlap_thresh)  # fmt: skip
            boxes = ops.project([boxes[i] for i in kept], p.crop_rect)
            out = objects[kept]
        out = out.copy()
        if len(out):
            out[:, 1:5] = np.asarray(boxes, np.float32)
        return np.concatenate([header, out.reshape(-1)])


def _crop_box(src: RandomSource, s: CropSampler, image_aspect: float) -> Rect:
    """MXNet's GenerateCropBox: a normalised (x, y, w, h) of scale and aspect in range.

    ``scale ~ U(min, max)``; the normalised aspect's square ``r2`` is uniform in
    ``[max(min_aspect / image_aspect, scale^2), min(max_aspect / image_aspect,
    1 / scale^2)]``; ``w = scale * sqrt(r2)``, ``h = scale / sqrt(r2)`` (each at
    most 1), at a uniform position.
    """
    scale = _uniform(src, s.min_scale, s.max_scale) + 1e-12
    low = max(s.min_aspect / image_aspect, scale * scale)
    high = min(s.max_aspect / image_aspect, 1.0 / (scale * scale))
    ratio = max(math.sqrt(_uniform(src, low, high)), 1e-12)
    w = min(1.0, scale * ratio)
    h = min(1.0, scale / ratio)
    return (_uniform(src, 0.0, 1.0 - w), _uniform(src, 0.0, 1.0 - h), w, h)
