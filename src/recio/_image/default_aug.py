"""MXNet 1.9.1's default augmenter (``aug_default``) of ImageRecordIter: draw, then apply.

What MXNet 1.9.1 does to each decoded image before normalisation, in this order
(read from the compiled ``DefaultImageAugmenter::Process`` of the mxnet 1.9.1
wheel and checked pixel for pixel against it; details and formulas in
docs/notes/default_aug.md):

1. **resize** (``resize != -1``): shorter side to ``resize``, longer side
   ``resize * long // short``.
2. **affine** (rotation, shear, random scale, aspect, min/max_img_size):
   ``cv::warpAffine`` with a float32 2x3 matrix, border ``fill_value``.
3. **pad**: ``pad`` pixels of ``fill_value`` on every side.
4. **crop**, one of: *random resized crop* (up to 10 tries of a random area and
   aspect, then resize to data_shape; falls back to the centre crop); *crop
   size* (a random square side in [min_crop_size, max_crop_size], resized to
   data_shape); the *default crop*: a data_shape window, random with
   ``rand_crop`` else centred, after resizing an image smaller than data_shape
   up (aspect kept) until it fits.
5. **colour jitter** (brightness, contrast, saturation, in a random order).
6. **HSL jitter** (random_h/s/l): integer offsets added in OpenCV's HLS space.
7. **PCA noise** (pca_noise): ImageNet's eigen-colour noise.

:meth:`DefaultAugmenter.draw` makes every random choice for one image, in
MXNet's order and with MXNet's formulas, from a :class:`RandomSource` (a numpy
Generator is wrapped in one); :meth:`DefaultAugmenter.apply` is then a pure
function of (image, :class:`AugParams`) built on the kernels of
``default_aug_ops``. Disabled steps cost nothing; a plain crop is a view.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import NamedTuple, Protocol

import numpy as np
import numpy.typing as npt

from recio._image import default_aug_ops as ops

__all__ = [
    "Affine",
    "AugParams",
    "AugSettings",
    "Crop",
    "DefaultAugOptions",
    "DefaultAugmenter",
    "Jitter",
    "RandomSource",
    "Resize",
]

INTER_METHODS = (0, 1, 2, 3, 4, 9, 10)  # 0-4: OpenCV's methods, 9: auto, 10: random per step
RRC_TRIES = 10  # MXNet's random_resized_crop gives up after 10 samples
_F = np.float32  # MXNet computes its geometry in float32; the same roundings give the same sizes
_FLOAT_FIELDS = ("max_aspect_ratio", "max_shear_ratio", "max_random_scale", "min_random_scale",
                 "max_random_area", "min_random_area", "max_img_size", "min_img_size",
                 "brightness", "contrast", "saturation", "pca_noise")  # fmt: skip


class RandomSource(Protocol):
    """Where :meth:`DefaultAugmenter.draw` takes its randomness from."""

    def uniform(self) -> float:
        """A float uniform in [0, 1)."""

    def randint(self, low: int, high: int) -> int:
        """An int uniform in [low, high], both included."""

    def normal(self, std: float) -> float:
        """A normal draw with mean 0 and standard deviation `std`."""


class _GeneratorSource:
    """A numpy Generator as a :class:`RandomSource`; ints from one float draw (fast)."""

    __slots__ = ("_normal", "_random")

    def __init__(self, rng: np.random.Generator):
        self._random = rng.random
        self._normal = rng.standard_normal

    def uniform(self) -> float:
        return float(self._random())

    def randint(self, low: int, high: int) -> int:
        span = high - low + 1
        k = int(self._random() * span)
        return low + (k if k < span else span - 1)

    def normal(self, std: float) -> float:
        return float(self._normal()) * std


@dataclasses.dataclass(slots=True, kw_only=True, frozen=True)
class AugSettings:
    """The default augmenter's parameters with MXNet 1.9.1's names and defaults, declared
    once for :class:`DefaultAugOptions` and the iterators' options that carry them."""

    resize: int = -1
    rand_crop: bool = False
    random_resized_crop: bool = False
    max_rotate_angle: int = 0
    max_aspect_ratio: float = 0.0
    min_aspect_ratio: float | None = None
    max_shear_ratio: float = 0.0
    max_crop_size: int = -1
    min_crop_size: int = -1
    max_random_scale: float = 1.0
    min_random_scale: float = 1.0
    max_random_area: float = 1.0
    min_random_area: float = 1.0
    max_img_size: float = 1e10
    min_img_size: float = 0.0
    brightness: float = 0.0
    contrast: float = 0.0
    saturation: float = 0.0
    pca_noise: float = 0.0
    random_h: int = 0
    random_s: int = 0
    random_l: int = 0
    rotate: int = -1
    fill_value: int = 255
    inter_method: int = 1
    pad: int = 0


@dataclasses.dataclass(slots=True, kw_only=True, frozen=True)
class DefaultAugOptions(AugSettings):
    """ImageRecordIter's augmentation parameters, with MXNet 1.9.1's names and defaults."""

    data_shape: tuple[int, int, int] = (3, 224, 224)

    def __post_init__(self) -> None:
        for name in _FLOAT_FIELDS:
            if not math.isfinite(getattr(self, name)):
                raise ValueError(f"{name} must be a finite number, got {getattr(self, name)!r}")
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
        for name in ("pad", "max_rotate_angle", "random_h", "random_s", "random_l",
                     "brightness", "contrast", "saturation", "pca_noise"):  # fmt: skip
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        crop_size = self.max_crop_size != -1 or self.min_crop_size != -1
        if crop_size and not 1 <= self.min_crop_size <= self.max_crop_size:
            raise ValueError(
                "min_crop_size and max_crop_size must both be set, with "
                f"1 <= min_crop_size <= max_crop_size; got min_crop_size={self.min_crop_size}, "
                f"max_crop_size={self.max_crop_size}"
            )
        if self.random_resized_crop:
            self._check_random_resized_crop()
        if self.color_enabled and self.data_shape[0] != 3:
            raise ValueError(
                "brightness, contrast, saturation, pca_noise and random_h/s/l work on colour "
                f"images: data_shape must have 3 channels, got {self.data_shape!r}"
            )

    def _check_random_resized_crop(self) -> None:
        if (self.min_random_scale != 1.0 or self.max_random_scale != 1.0 or self.rand_crop
                or self.min_crop_size != -1 or self.max_crop_size != -1):  # fmt: skip
            raise ValueError(
                "Setting random_resized_crop to true conflicts with min_random_scale, "
                "max_random_scale, min_crop_size, max_crop_size, and rand_crop: leave those at "
                "their defaults (random_resized_crop draws its own area and aspect ratio)"
            )
        if self.rrc_attempted:
            low, high = self.aspect_range
            if not low > 0.0:
                raise ValueError(
                    f"random_resized_crop needs a positive aspect ratio range, got [{low}, {high}]"
                )
            if not 0.0 < self.min_random_area <= self.max_random_area:
                raise ValueError(
                    "random_resized_crop needs 0 < min_random_area <= max_random_area, got "
                    f"{self.min_random_area} and {self.max_random_area}"
                )
            if not low <= high:
                raise ValueError(
                    f"min_aspect_ratio ({low}) must not exceed max_aspect_ratio ({high})"
                )

    @property
    def aspect_range(self) -> tuple[float, float]:
        """(low, high) aspect ratio: 1 -/+ max_aspect_ratio, or (min, max) when min is set."""
        if self.min_aspect_ratio is None:
            m = _F(self.max_aspect_ratio)
            return float(_F(1.0) - m), float(_F(1.0) + m)
        return float(_F(self.min_aspect_ratio)), float(_F(self.max_aspect_ratio))

    @property
    def affine_enabled(self) -> bool:
        """MXNet's condition for the affine step (aspect is random_resized_crop's when it is on).

        A ``rotate_list`` (an argument of :class:`DefaultAugmenter`) also enables it.
        """
        low, high = self.aspect_range
        return bool(
            self.max_rotate_angle > 0 or self.max_shear_ratio > 0.0 or self.rotate > 0
            or self.max_random_scale != 1.0 or self.min_random_scale != 1.0
            or (not self.random_resized_crop and (high != 1.0 or low != 1.0))
            or self.max_img_size != 1e10 or self.min_img_size != 0.0
        )  # fmt: skip

    @property
    def rrc_attempted(self) -> bool:
        """Whether random_resized_crop samples at all (else it is the centre crop)."""
        low, high = self.aspect_range
        return self.random_resized_crop and (
            self.max_random_area != 1.0 or self.min_random_area != 1.0 or high != 1.0 or low != 1.0
        )

    @property
    def jitter_enabled(self) -> bool:
        return self.brightness > 0.0 or self.contrast > 0.0 or self.saturation > 0.0

    @property
    def hsl_enabled(self) -> bool:
        return self.random_h != 0 or self.random_s != 0 or self.random_l != 0

    @property
    def color_enabled(self) -> bool:
        return self.jitter_enabled or self.hsl_enabled or self.pca_noise > 0.0


class Resize(NamedTuple):
    width: int
    height: int
    interpolation: int


class Affine(NamedTuple):
    matrix: tuple[float, float, float, float, float, float]  # row-major 2x3, float32 values
    width: int
    height: int
    interpolation: int


class Crop(NamedTuple):
    x: int
    y: int
    width: int
    height: int


class Jitter(NamedTuple):
    brightness: float  # factors, 1 = unchanged
    contrast: float
    saturation: float
    order: tuple[int, ...]  # 0 brightness, 1 contrast, 2 saturation, in the order applied


class AugParams(NamedTuple):
    """Everything random about one image's augmentation; ``apply`` needs nothing else.

    ``input_size`` is the (height, width) the image must have, or None when the
    first step is a resize (then any size will do: an image decoded at reduced
    scale gives the same geometry). ``crop_source`` is the (height, width) the
    image has just before the crop. (A NamedTuple: immutable and built in a
    fraction of a frozen dataclass's time, once per image.)
    """

    input_size: tuple[int, int] | None
    crop_source: tuple[int, int]
    crop: Crop
    resize: Resize | None = None
    affine: Affine | None = None
    pad: int = 0
    upscale: tuple[Resize, ...] = ()
    crop_resize: Resize | None = None
    jitter: Jitter | None = None
    hsl: tuple[int, int, int] | None = None  # (h, s, l) offsets
    pca: tuple[float, float, float] | None = None  # (B, G, R) offsets


class DefaultAugmenter:
    """MXNet 1.9.1's ``aug_default`` for images of one data_shape (see the module docstring).

    `rotate_list` is MXNet's undocumented ``rotate_list`` parameter (the string
    "10,20,30" there): when not empty, each image's angle is one of its values,
    chosen uniformly, overriding ``rotate`` and ``max_rotate_angle``.
    """

    __slots__ = ("_affine", "_hsl", "_jitter", "_rrc", "options", "rotate_list")

    def __init__(self, options: DefaultAugOptions, *, rotate_list: Sequence[int] = ()):
        self.options = options
        self.rotate_list = tuple(int(v) for v in rotate_list)
        self._affine = options.affine_enabled or bool(self.rotate_list)
        self._jitter = options.jitter_enabled
        self._hsl = options.hsl_enabled
        self._rrc = options.rrc_attempted

    def __call__(
        self, img: npt.NDArray[np.uint8], rng: np.random.Generator
    ) -> npt.NDArray[np.uint8]:
        """BGR (or gray HxW / HxWx1, or BGRA) uint8 image in, data_shape's H x W out.

        The result may be a view of `img` (a plain crop); channels are unchanged.
        """
        return self.apply(img, self.draw(rng, img.shape[0], img.shape[1]))

    @property
    def resize_then_crop(self) -> bool:
        """Whether every draw can be at most a resize and a crop window (no affine, pad,
        random-resized or random-size crop, colour): what the one-pass JPEG path can do
        (recio._image.jpeg_window.covers still checks each draw: its interpolation, an
        upscale for a small image)."""
        o = self.options
        return (
            o.resize != -1
            and not self._affine
            and o.pad == 0
            and not self._rrc
            and o.max_crop_size == -1
            and not o.color_enabled
        )

    def decode_scale_hint(self, height: int, width: int) -> float:
        """The smallest scale s in (0, 1] the image may be decoded at instead of full size.

        With ``resize`` the first step maps the image to a size fixed by its
        original (height, width), so decoding at any scale that keeps the
        shorter side >= resize changes the result only by resampling error
        (call :meth:`draw` with the original size, then :meth:`apply` on the
        smaller image). Every other pipeline works in source pixels: 1.0.
        """
        resize = self.options.resize
        if resize <= 0:
            return 1.0
        return min(1.0, resize / min(height, width))

    def _inter(self, src: RandomSource, old_w: int, old_h: int, new_w: int, new_h: int) -> int:
        """MXNet's GetInterMethod: 9 picks by direction, 10 draws 0-4, others are themselves."""
        method = self.options.inter_method
        if method == 9:
            if new_w > old_w and new_h > old_h:
                return 2  # cubic to enlarge
            if new_w < old_w and new_h < old_h:
                return 3  # area to shrink
            return 1
        if method == 10:
            return src.randint(0, 4)
        return method

    def draw(self, rng: np.random.Generator | RandomSource, height: int, width: int) -> AugParams:
        """All random choices for an image of `height` x `width` (its full decoded size)."""
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
        affine = None
        if self._affine:
            affine = self._draw_affine(src, rows, cols)
            rows, cols = affine.height, affine.width
        rows, cols = rows + 2 * o.pad, cols + 2 * o.pad
        found = self._draw_rrc(src, rows, cols) if self._rrc else None
        upscale: tuple[Resize, ...] = ()
        if found is not None:
            crop, crop_resize = found
        elif o.max_crop_size != -1:
            crop, crop_resize = self._draw_crop_size(src, rows, cols)
        else:
            upscale, crop = self._draw_window(src, rows, cols)
            crop_resize = None
        jitter = self._draw_jitter(src) if self._jitter else None
        hsl = None
        if self._hsl:
            hsl = (_hsl_offset(src, o.random_h), _hsl_offset(src, o.random_s),
                   _hsl_offset(src, o.random_l))  # fmt: skip
        pca = None
        if o.pca_noise > 0.0:
            pca = ops.pca_deltas([src.normal(o.pca_noise) for _ in range(3)])
        if upscale:
            rows, cols = upscale[-1].height, upscale[-1].width
        return AugParams(
            input_size=None if resize is not None else (height, width),
            resize=resize,
            affine=affine,
            pad=o.pad,
            upscale=upscale,
            crop_source=(rows, cols),
            crop=crop,
            crop_resize=crop_resize,
            jitter=jitter,
            hsl=hsl,
            pca=pca,
        )

    def _draw_affine(self, src: RandomSource, rows: int, cols: int) -> Affine:
        """Shear, angle, scale and aspect, then MXNet's matrix and output size (float32)."""
        o = self.options
        shear = _F(src.uniform()) * _F(o.max_shear_ratio) * _F(2.0) - _F(o.max_shear_ratio)
        angle = src.randint(-o.max_rotate_angle, o.max_rotate_angle)
        if o.rotate > 0:
            angle = o.rotate
        if self.rotate_list:
            angle = self.rotate_list[src.randint(0, len(self.rotate_list) - 1)]
        a = _F(math.cos(angle / 180.0 * math.pi))
        b = _F(math.sin(angle / 180.0 * math.pi))
        scale = ratio = _F(1.0)
        if not o.random_resized_crop:
            lo_s, hi_s = _F(o.min_random_scale), _F(o.max_random_scale)
            scale = _F(src.uniform()) * (hi_s - lo_s) + lo_s
            low, high = (_F(v) for v in o.aspect_range)
            ratio = _F(src.uniform()) * (high - low) + low
        hs = (scale + scale) / (_F(1.0) + ratio)
        ws = ratio * hs
        fcols, frows = _F(cols), _F(rows)
        new_w = max(_F(o.min_img_size), min(_F(o.max_img_size), fcols * scale))
        new_h = max(_F(o.min_img_size), min(_F(o.max_img_size), frows * scale))
        m00 = hs * a - shear * b * ws
        m01 = b * hs + shear * a * ws
        m10 = -b * ws
        m11 = ws * a
        m02 = (new_w - (fcols * m00 + frows * m01)) * _F(0.5)
        m12 = (new_h - (fcols * m10 + frows * m11)) * _F(0.5)
        # at least 1 pixel: MXNet would hand OpenCV an empty size for a tiny image
        width, height = max(1, int(new_w)), max(1, int(new_h))
        inter = self._inter(src, cols, rows, width, height)
        matrix = (float(m00), float(m01), float(m02), float(m10), float(m11), float(m12))
        return Affine(matrix, width, height, inter)

    def _draw_rrc(self, src: RandomSource, rows: int, cols: int) -> tuple[Crop, Resize] | None:
        """Up to 10 (area, aspect, swap) samples; the first that fits is the crop."""
        o = self.options
        _, out_h, out_w = o.data_shape
        low, high = (_F(v) for v in o.aspect_range)
        lo_a, hi_a = _F(o.min_random_area), _F(o.max_random_area)
        area = _F(rows * cols)
        for _ in range(RRC_TRIES):
            target = (_F(src.uniform()) * (hi_a - lo_a) + lo_a) * area
            ratio = _F(src.uniform()) * (high - low) + low
            h = _roundf(np.sqrt(target / ratio))
            w = _roundf(np.sqrt(target * ratio))
            if src.uniform() > 0.5:
                h, w = w, h
            if 1 <= h <= rows and 1 <= w <= cols:
                y = src.randint(0, rows - h)
                x = src.randint(0, cols - w)
                inter = self._inter(src, w, h, out_w, out_h)
                return Crop(x, y, w, h), Resize(out_w, out_h, inter)
        return None

    def _draw_crop_size(self, src: RandomSource, rows: int, cols: int) -> tuple[Crop, Resize]:
        o = self.options
        _, out_h, out_w = o.data_shape
        if cols < o.max_crop_size or rows < o.max_crop_size:
            raise ValueError(
                f"input image size smaller than max_crop_size: the image is {cols}x{rows} "
                f"(width x height) at the crop step and max_crop_size is {o.max_crop_size}; "
                "lower max_crop_size or resize the images up"
            )
        size = src.randint(o.min_crop_size, o.max_crop_size)
        y, x = rows - size, cols - size
        if o.rand_crop:
            y = src.randint(0, y)
            x = src.randint(0, x)
        else:
            y, x = y // 2, x // 2
        inter = self._inter(src, size, size, out_w, out_h)
        return Crop(x, y, size, size), Resize(out_w, out_h, inter)

    def _draw_window(
        self, src: RandomSource, rows: int, cols: int
    ) -> tuple[tuple[Resize, ...], Crop]:
        """The data_shape window; an image smaller than it is first resized up, aspect kept."""
        o = self.options
        _, out_h, out_w = o.data_shape
        inter = self._inter(src, cols, rows, out_w, out_h)
        upscale: list[Resize] = []
        if rows < out_h:
            cols = int(_F(out_h) / _F(rows) * _F(cols))
            rows = out_h
            upscale.append(Resize(cols, rows, inter))
        if cols < out_w:
            rows = int(_F(out_w) / _F(cols) * _F(rows))
            cols = out_w
            upscale.append(Resize(cols, rows, inter))
        if rows < out_h or cols < out_w:  # MXNet's CHECK; its resizing up makes this unreachable
            raise ValueError(
                f"input image size smaller than input shape: {cols}x{rows} < {out_w}x{out_h}"
            )
        y, x = rows - out_h, cols - out_w
        if o.rand_crop:
            y = src.randint(0, y)
            x = src.randint(0, x)
        else:
            y, x = y // 2, x // 2
        return tuple(upscale), Crop(x, y, out_w, out_h)

    def _draw_jitter(self, src: RandomSource) -> Jitter:
        """Three factors ``1 + U(-v, v)``, then MXNet's shuffle of the order (0, 1, 2)."""
        o = self.options
        factors = []
        for v in (_F(o.brightness), _F(o.contrast), _F(o.saturation)):
            factors.append(float((v + v) * _F(src.uniform()) - v + _F(1.0)))
        order = [0, 1, 2]
        for i in (1, 2):
            j = src.randint(0, i)
            order[i], order[j] = order[j], order[i]
        return Jitter(factors[0], factors[1], factors[2], tuple(order))

    def apply(self, img: npt.NDArray[np.uint8], params: AugParams) -> npt.NDArray[np.uint8]:
        """The augmented image for `params` (from :meth:`draw`); a pure function."""
        p = params
        expand = img.ndim == 3 and img.shape[2] == 1
        if expand:
            img = img[:, :, 0]
        if p.input_size is not None and img.shape[:2] != p.input_size:
            raise ValueError(
                f"the image is {img.shape[1]}x{img.shape[0]} but the parameters were drawn for "
                f"{p.input_size[1]}x{p.input_size[0]} (width x height)"
            )
        c = p.crop
        if p.resize is not None and p.affine is None and p.pad == 0 and not p.upscale:
            # the crop is a window of the resized image: resize only the part it needs
            img = ops.resize_window(img, *p.resize, c.x, c.y, c.width, c.height)
        else:
            if p.resize is not None:
                img = ops.resize(img, *p.resize)
            img = self._affine_pad_crop(img, p)
        if p.crop_resize is not None:
            img = ops.resize(img, *p.crop_resize)
        if p.jitter is not None or p.hsl is not None or p.pca is not None:
            if img.ndim != 3 or img.shape[2] != 3:
                raise ValueError(
                    f"colour augmentations need a 3-channel BGR image, got shape {img.shape}"
                )
            if p.jitter is not None:
                j = p.jitter
                img = ops.jitter(img, j.brightness, j.contrast, j.saturation, j.order)
            if p.hsl is not None:
                img = ops.hsl_shift(img, *p.hsl)
            if p.pca is not None:
                img = ops.pca_shift(img, p.pca)
        if expand:
            img = img[:, :, None]
        return img

    def _affine_pad_crop(self, img: npt.NDArray[np.uint8], p: AugParams) -> npt.NDArray[np.uint8]:
        """Steps 2-4 of apply: affine, pad, upscale, then the crop window."""
        o = self.options
        c = p.crop
        if p.affine is not None and p.pad == 0 and not p.upscale:
            # Warp straight into the crop window (the translation moved by the window's
            # corner): the pixels of warp-then-crop, up to a float rounding that changes
            # ~1 pixel in 30,000 by one level, for a fraction of the work.
            m = p.affine
            m00, m01, m02, m10, m11, m12 = m.matrix
            window = (m00, m01, float(_F(m02) - _F(c.x)), m10, m11, float(_F(m12) - _F(c.y)))
            return ops.warp_affine(img, window, c.width, c.height, m.interpolation, o.fill_value)
        if p.affine is not None:
            m = p.affine
            img = ops.warp_affine(img, m.matrix, m.width, m.height, m.interpolation, o.fill_value)
        if p.pad > 0:
            img = ops.pad(img, p.pad, o.fill_value)
        for step in p.upscale:
            img = ops.resize(img, *step)
        if img.shape[:2] != p.crop_source:  # pragma: no cover - draw and apply disagree
            raise AssertionError(f"image {img.shape[:2]} before the crop, not {p.crop_source}")
        return img[c.y : c.y + c.height, c.x : c.x + c.width]


def _hsl_offset(src: RandomSource, limit: int) -> int:
    """MXNet's HSL offset: ``int(u * 2 * limit - limit)`` with ``u = (c1 + 4 * c2) / 5``.

    That is what the compiled 1.9.1 code computes from two uniform draws c1, c2
    (verified against its output): u is not uniform but trapezoidal on [0, 1),
    so offsets near +/-limit are rarer than those in the middle.
    """
    c1 = _F(src.uniform())
    c2 = _F(src.uniform())
    u = (c2 * _F(4.0) + c1) / _F(5.0)
    return int(u * _F(limit) * _F(2.0) - _F(limit))


def _roundf(x: np.float32) -> int:
    """C's roundf: halves away from zero (Python's round() would go to even)."""
    return math.floor(float(x) + 0.5)
