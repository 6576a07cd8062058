"""MXNet 1.9.1's detection augmenters (``mx.image.Det*Aug``) and ``CreateDetAugmenter``.

A detection augmenter maps ``(image, label)`` to ``(image, label)``. The label
is a float array of shape (objects, width >= 5), one row per object::

    [class id, xmin, ymin, xmax, ymax, extra fields...]   corners in [0, 1] of width/height

Boxes move with every geometric change: a crop re-expresses them in the crop
window (clipped, and objects left with too little of their area ejected), a pad
shrinks them into the larger canvas, a flip mirrors xmin/xmax.

Augmenters draw, then apply, as the classification ones
(:mod:`recio._image.augmenters`):

* ``draw(rng, shape, label) -> params`` makes every random choice (the crop
  window, the pad canvas, whether to flip) and nothing else; the crop's choice
  depends on the boxes, which is why ``label`` is an argument;
* ``apply(src, label, params) -> (image, label)`` is a pure function: it
  returns new arrays and leaves its arguments alone (MXNet's flip rewrites the
  caller's label in place; recio's does not);
* ``__call__(src, label, rng=None)`` is ``apply(src, label, draw(rng, src.shape, label))``.

``rng=None`` makes MXNet's own calls to Python's ``random`` in MXNet's order,
so after ``random.seed(s)`` recio and MXNet pick the same crops, pads and flips
(``DetRandomSelectAug`` also replays MXNet's in-place shuffle of its list). A
:class:`numpy.random.Generator` answers the same calls on its own stream, so an
image's augmentation is a function of its generator alone.

Where MXNet 1.9.1 crashes rather than doing what its code intends, recio raises
a clear error instead: an invalid ``area_range`` / ``aspect_ratio_range`` was
meant to disable the crop or pad with a warning, but MXNet passes the range as
``warnings.warn``'s category and raises ``TypeError``; recio raises
:class:`DetAugmenterArgumentError` (a ``TypeError`` and a ``ValueError``)
naming the rule.
"""

from __future__ import annotations

import json
import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from recio._image import kernels
from recio._image.augmenters import (
    _GLOBAL,
    _RNG_CALLS,
    Augmenter,
    AugmenterArgumentError,
    CastAug,
    ColorJitterAug,
    ColorNormalizeAug,
    ForceResizeAug,
    HueJitterAug,
    LightingAug,
    RandomGrayAug,
    ResizeAug,
    _accepts_rng,
    _draws,
    _jsonable,
    _nd,
    augment,
)
from recio.nd import NDArray

__all__ = [
    "CreateDetAugmenter",
    "CreateMultiRandCropAugmenter",
    "DetAugmenter",
    "DetAugmenterArgumentError",
    "DetBorrowAug",
    "DetHorizontalFlipAug",
    "DetRandomCropAug",
    "DetRandomPadAug",
    "DetRandomSelectAug",
    "augment_detection",
]

Array = npt.NDArray[Any]
Shape = tuple[int, ...]
Rng = np.random.Generator | None


class DetAugmenterArgumentError(TypeError, ValueError):
    """A range argument MXNet cannot use (MXNet 1.9.1 raises TypeError for it, by accident)."""


# --------------------------------------------------------------------------- base classes


class DetAugmenter:
    """Base class: records its constructor arguments for :meth:`dumps`.

    Subclasses implement :meth:`draw` and :meth:`apply`. A subclass that
    overrides ``__call__(self, src, label)`` instead, as MXNet's custom
    augmenters do, keeps working everywhere recio takes one.
    """

    def __init__(self, **kwargs: Any):
        self._kwargs = {k: _jsonable(v) for k, v in kwargs.items()}

    def dumps(self) -> Any:
        """``[lowercased class name, constructor kwargs]`` as a JSON string, as MXNet."""
        return json.dumps([self.__class__.__name__.lower(), self._kwargs])

    def draw(self, rng: Rng, shape: Shape, label: Array) -> Any:
        """The random parameters for an image of ``shape`` (HWC) holding ``label``'s objects."""
        return None

    def apply(self, src: Array, label: Array, params: Any) -> tuple[NDArray, Array]:
        """The augmentation with ``params`` fixed: new (image, label), arguments untouched."""
        raise NotImplementedError("Must override implementation.")

    def __call__(self, src: Array, label: Array, rng: Rng = None) -> tuple[NDArray, Array]:
        label = np.asarray(label)
        return self.apply(src, label, self.draw(rng, tuple(src.shape), label))


def _call(aug: Any, src: Array, label: Array, rng: Rng) -> tuple[Array, Array]:
    """Run any detection augmenter: recio's with ``rng``, a user's ``__call__(src, label)``."""
    if _accepts_rng(type(aug)):
        result: tuple[Array, Array] = aug(src, label, rng=rng)
    else:
        result = aug(src, label)
    return result


class DetBorrowAug(DetAugmenter):
    """A classification augmenter that leaves boxes where they are (resize, colour, cast).

    Params are the borrowed augmenter's own.
    """

    def __init__(self, augmenter: Augmenter):
        if not isinstance(augmenter, Augmenter):
            raise TypeError(
                f"Borrowing from invalid Augmenter: DetBorrowAug takes a recio.image Augmenter "
                f"(ResizeAug, CastAug, ...), not {type(augmenter).__name__}"
            )
        super().__init__(augmenter=augmenter.dumps())
        self.augmenter = augmenter

    def dumps(self) -> Any:
        """``[name, the borrowed augmenter's dumps()]``, a list as MXNet's."""
        return [self.__class__.__name__.lower(), self.augmenter.dumps()]

    def draw(self, rng: Rng, shape: Shape, label: Array) -> Any:
        if type(self.augmenter).__call__ not in _RNG_CALLS:
            raise TypeError(
                f"{type(self.augmenter).__name__} overrides __call__, so its draws cannot be "
                "planned with draw(); call the DetBorrowAug itself instead"
            )
        return self.augmenter.draw(rng, shape)

    def apply(self, src: Array, label: Array, params: Any) -> tuple[NDArray, Array]:
        return _nd(self.augmenter.apply(src, params)), label

    def __call__(self, src: Array, label: Array, rng: Rng = None) -> tuple[NDArray, Array]:
        return _nd(augment(src, [self.augmenter], rng)), label


@dataclass(frozen=True, slots=True)
class SelectParams:
    """Which child of a DetRandomSelectAug runs (None: skipped) and the child's params."""

    child: Any
    params: Any


class DetRandomSelectAug(DetAugmenter):
    """Apply one augmenter of ``aug_list``, chosen at random, or none with ``skip_prob``.

    With ``rng=None`` the choice replays MXNet's: it shuffles its list in place
    on every call and takes the first, so each shuffle starts from the last
    order (recio keeps that order privately; ``aug_list`` and ``dumps()`` keep
    the given one). With a Generator the choice is uniform and independent.
    """

    def __init__(self, aug_list: Any, skip_prob: float = 0):
        super().__init__(skip_prob=skip_prob)
        if not isinstance(aug_list, list | tuple):
            aug_list = [aug_list]
        for aug in aug_list:
            if not isinstance(aug, DetAugmenter):
                raise ValueError(
                    f"Allow DetAugmenter in list only: DetRandomSelectAug got a "
                    f"{type(aug).__name__}; wrap a classification augmenter in DetBorrowAug"
                )
        self.aug_list = list(aug_list)
        self.skip_prob = 1 if not aug_list else skip_prob  # an empty list always skips
        self._mx_order = list(self.aug_list)

    def dumps(self) -> Any:
        """``[name, [each child's dumps()]]``, a list as MXNet's."""
        return [self.__class__.__name__.lower(), [x.dumps() for x in self.aug_list]]

    def choose(self, rng: Rng) -> Any:
        """The child to run, or None to skip: the draws MXNet makes for that."""
        draws = _draws(rng)
        if draws.random() < self.skip_prob:
            return None
        if rng is not None:
            return self.aug_list[draws.randint(0, len(self.aug_list) - 1)]
        order = self._mx_order
        if len(order) != len(self.aug_list) or {id(a) for a in order} != {
            id(a) for a in self.aug_list
        }:
            order = list(self.aug_list)  # aug_list was changed since: start again from it
        self._mx_order = _GLOBAL.permutation(list(order))
        return self._mx_order[0]

    def draw(self, rng: Rng, shape: Shape, label: Array) -> SelectParams:
        child = self.choose(rng)
        if child is None:
            return SelectParams(None, None)
        return SelectParams(child, child.draw(rng, shape, label))

    def apply(self, src: Array, label: Array, params: SelectParams) -> tuple[NDArray, Array]:
        if params.child is None:
            return _nd(src), label
        result: tuple[NDArray, Array] = params.child.apply(src, label, params.params)
        return result

    def __call__(self, src: Array, label: Array, rng: Rng = None) -> tuple[NDArray, Array]:
        child = self.choose(rng)
        if child is None:
            return _nd(src), label
        out, new_label = _call(child, src, label, rng)
        return _nd(out), new_label


# --------------------------------------------------------------------------- box arithmetic
# Pure functions of float arrays, in the label's dtype as MXNet computes them (float32 for
# labels read from records: the same roundings on both sides).


def _areas(boxes: Array) -> Array:
    """Areas of (xmin, ymin, xmax, ymax) rows, 0 for inverted ones."""
    heights = np.maximum(0, boxes[:, 3] - boxes[:, 1])
    widths = np.maximum(0, boxes[:, 2] - boxes[:, 0])
    areas: Array = heights * widths
    return areas


def _coverage_ok(
    label: Array, box: tuple[int, int, int, int], shape: Shape, minimum: float
) -> bool:
    """Whether a crop window (x, y, w, h) in pixels covers more than ``minimum`` of every
    object it overlaps at all (objects of at most 2 pixels do not count); it must overlap one.
    """
    x, y, w, h = box
    height, width = shape[0], shape[1]
    if w * h < 2:
        return False
    boxes = label[:, 1:5]
    areas = _areas(boxes)
    counted = areas * width * height > 2
    if not counted.any():
        return False
    boxes, areas = boxes[counted], areas[counted]
    left = np.maximum(boxes[:, 0], x / width)
    top = np.maximum(boxes[:, 1], y / height)
    right = np.minimum(boxes[:, 2], (x + w) / width)
    bottom = np.minimum(boxes[:, 3], (y + h) / height)
    inter = np.stack([left, top, right, bottom], axis=1)
    inter[(left >= right) | (top >= bottom)] = 0
    cover = _areas(inter) / areas
    cover = cover[cover > 0]
    return bool(cover.size > 0 and cover.min() > minimum)


def crop_label(
    label: Array, box: tuple[int, int, int, int], shape: Shape, min_eject_coverage: float
) -> Array | None:
    """``label`` seen through the crop window (x, y, w, h) of an image of ``shape``.

    Boxes are re-expressed in the window and clipped to it; objects left empty,
    or keeping no more than ``min_eject_coverage`` of their area, are ejected.
    None when no object stays (the crop is then not taken).
    """
    x, y, w, h = box
    height, width = shape[0], shape[1]
    fw, fh = w / width, h / height
    out = label.copy()
    boxes = out[:, 1:5]  # the four corner columns at once, each value rounded as MXNet's
    boxes -= np.array([x / width, y / height] * 2, out.dtype)
    boxes /= np.array([fw, fh] * 2, out.dtype)
    np.clip(boxes, 0, 1, out=boxes)
    with np.errstate(divide="ignore", invalid="ignore"):  # empty boxes: nan, then ejected
        coverage = _areas(out[:, 1:5]) * fw * fh / _areas(label[:, 1:5])
    keep = (out[:, 3] > out[:, 1]) & (out[:, 4] > out[:, 2]) & (coverage > min_eject_coverage)
    if not keep.any():
        return None
    kept: Array = out[keep]
    return kept


def pad_label(label: Array, box: tuple[int, int, int, int], shape: Shape) -> Array:
    """``label`` of an image of ``shape`` placed at (x, y) on a canvas of w x h pixels."""
    x, y, w, h = box
    height, width = shape[0], shape[1]
    out = label.copy()
    boxes = out[:, 1:5]
    boxes *= np.array([width, height] * 2, out.dtype)
    boxes += np.array([x, y] * 2, out.dtype)
    boxes /= np.array([w, h] * 2, out.dtype)
    return out


def flip_label(label: Array) -> Array:
    """``label`` of a left-right mirrored image: xmin, xmax := 1 - xmax, 1 - xmin."""
    out = label.copy()
    out[:, 1] = 1.0 - label[:, 3]
    out[:, 3] = 1.0 - label[:, 1]
    return out


# --------------------------------------------------------------------------- geometry


class DetHorizontalFlipAug(DetAugmenter):
    """Mirror image and boxes left-right with probability ``p`` (params: whether to flip)."""

    def __init__(self, p: float):
        super().__init__(p=p)
        self.p = p

    def draw(self, rng: Rng, shape: Shape, label: Array) -> bool:
        return _draws(rng).random() < self.p

    def apply(self, src: Array, label: Array, params: bool) -> tuple[NDArray, Array]:
        if not params:
            return _nd(src), label
        return _nd(_flip(np.asarray(src))), flip_label(label)


def _flip(src: Array) -> Array:
    if src.dtype == np.uint8 or src.dtype == np.float32:
        out: Array = cv2.flip(src, 1)
        return out.reshape(src.shape)
    return np.ascontiguousarray(src[:, ::-1])


def _pair(name: str, value: Any, owner: str) -> tuple[Any, Any]:
    """A (min, max) range argument: a tuple or list as given, a number ``v`` as (v, v)."""
    if isinstance(value, tuple | list):
        return value  # type: ignore[return-value]
    if isinstance(value, numbers.Number):
        return (value, value)
    raise AugmenterArgumentError(
        f"{owner}: {name} must be a (min, max) tuple or list, or one number for a fixed "
        f"value, got {type(value).__name__}"
    )


def _check_range(owner: str, name: str, value: Any, bound: float, which: int) -> None:
    """A (min, max) range must be two numbers with min <= max and its end `which` (0: min,
    1: max) above `bound`."""
    numeric = len(value) == 2 and all(isinstance(v, numbers.Real) for v in value)
    if numeric and value[which] > bound and value[0] <= value[1]:
        return
    rule = f"it needs {('min', 'max')[which]} > {bound} and min <= max"
    raise DetAugmenterArgumentError(
        f"{owner}: invalid {name} {value!r}: {rule} (MXNet 1.9.1 raises TypeError here while "
        "meaning to disable the augmenter; leave the augmenter out instead)"
    )


@dataclass(frozen=True, slots=True)
class Window:
    """A crop window or pad canvas in pixels: origin (x, y), size w x h."""

    x: int
    y: int
    w: int
    h: int

    def box(self) -> tuple[int, int, int, int]:
        return (self.x, self.y, self.w, self.h)


class DetRandomCropAug(DetAugmenter):
    """Random crop that keeps the objects (SSD's sampler): params a :class:`Window` or None.

    Up to ``max_attempts`` windows are drawn, each with aspect ratio (w/h) in
    ``aspect_ratio_range`` and area (a fraction of the image) in ``area_range``;
    the first one that covers more than ``min_object_covered`` of every object
    it touches, and keeps at least one object after ejecting those covered by no
    more than ``min_eject_coverage``, is taken. None (no crop) if none is found.
    """

    def __init__(
        self,
        min_object_covered: float = 0.1,
        aspect_ratio_range: Any = (0.75, 1.33),
        area_range: Any = (0.05, 1.0),
        min_eject_coverage: float = 0.3,
        max_attempts: int = 50,
    ):
        owner = type(self).__name__
        aspect_ratio_range = _pair("aspect_ratio_range", aspect_ratio_range, owner)
        area_range = _pair("area_range", area_range, owner)
        super().__init__(
            min_object_covered=min_object_covered,
            aspect_ratio_range=aspect_ratio_range,
            area_range=area_range,
            min_eject_coverage=min_eject_coverage,
            max_attempts=max_attempts,
        )
        _check_range(owner, "area_range", area_range, 0, 1)
        _check_range(owner, "aspect_ratio_range", aspect_ratio_range, 0, 0)
        self.min_object_covered = min_object_covered
        self.min_eject_coverage = min_eject_coverage
        self.max_attempts = max_attempts
        self.aspect_ratio_range = aspect_ratio_range
        self.area_range = area_range
        self.enabled = True

    def draw(self, rng: Rng, shape: Shape, label: Array) -> Window | None:
        height, width = shape[0], shape[1]
        if height <= 0 or width <= 0:
            return None
        draws = _draws(rng)
        min_area = self.area_range[0] * height * width
        max_area = self.area_range[1] * height * width
        for _ in range(self.max_attempts):
            ratio = draws.uniform(*self.aspect_ratio_range)
            if ratio <= 0:
                continue
            h = round(math.sqrt(min_area / ratio))
            max_h = round(math.sqrt(max_area / ratio))
            if round(max_h * ratio) > width:  # the tallest window whose width still fits
                max_h = int((width + 0.4999999) / ratio)
            max_h = min(max_h, height)
            h = min(h, max_h)
            if h < max_h:
                h = draws.randint(h, max_h)
            w = round(h * ratio)
            area = w * h
            if area < min_area:  # rounding took it out of range: one step back in
                h += 1
                w = round(h * ratio)
                area = w * h
            if area > max_area:
                h -= 1
                w = round(h * ratio)
                area = w * h
            if not (min_area <= area <= max_area and 0 <= w <= width and 0 <= h <= height):
                continue
            y = draws.randint(0, max(0, height - h))
            x = draws.randint(0, max(0, width - w))
            if not _coverage_ok(label, (x, y, w, h), shape, self.min_object_covered):
                continue
            if crop_label(label, (x, y, w, h), shape, self.min_eject_coverage) is not None:
                return Window(x, y, w, h)
        return None

    def apply(self, src: Array, label: Array, params: Window | None) -> tuple[NDArray, Array]:
        if params is None:
            return _nd(src), label
        cropped = crop_label(label, params.box(), tuple(src.shape), self.min_eject_coverage)
        if cropped is None:  # a label other than the one the window was drawn for
            cropped = label[:0].copy()
        image = kernels.crop(np.asarray(src), params.x, params.y, params.w, params.h)
        return _nd(image), cropped

    def _random_crop_proposal(self, label: Array, height: int, width: int) -> tuple[Any, ...]:
        """MXNet's helper: (x, y, w, h, new label), or () when no window is found."""
        window = self.draw(None, (height, width), label)
        if window is None:
            return ()
        new = crop_label(label, window.box(), (height, width), self.min_eject_coverage)
        return (*window.box(), new)


class DetRandomPadAug(DetAugmenter):
    """Place the image at a random spot of a larger canvas filled with ``pad_val``.

    Params: the canvas :class:`Window` (x, y: where the image goes) or None.
    Up to ``max_attempts`` canvases with aspect ratio in ``aspect_ratio_range``
    and area (a multiple of the image's) in ``area_range`` are drawn; one that
    is less than 2 pixels larger in either direction is rejected.
    """

    def __init__(
        self,
        aspect_ratio_range: Any = (0.75, 1.33),
        area_range: Any = (1.0, 3.0),
        max_attempts: int = 50,
        pad_val: Any = (128, 128, 128),
    ):
        owner = type(self).__name__
        if not isinstance(pad_val, list | tuple) and not isinstance(pad_val, numbers.Number):
            raise AugmenterArgumentError(
                f"{owner}: pad_val must be a number or one value per channel, got "
                f"{type(pad_val).__name__}"
            )
        aspect_ratio_range = _pair("aspect_ratio_range", aspect_ratio_range, owner)
        area_range = _pair("area_range", area_range, owner)
        super().__init__(
            aspect_ratio_range=aspect_ratio_range,
            area_range=area_range,
            max_attempts=max_attempts,
            pad_val=pad_val,
        )
        _check_range(owner, "area_range", area_range, 1.0, 1)
        _check_range(owner, "aspect_ratio_range", aspect_ratio_range, 0, 0)
        self.pad_val = pad_val
        self.aspect_ratio_range = aspect_ratio_range
        self.area_range = area_range
        self.max_attempts = max_attempts
        self.enabled = True
        # A number fills the first channel only (MXNet passes it as a 1-tuple to OpenCV).
        given: Sequence[Any] = pad_val if isinstance(pad_val, list | tuple) else [pad_val]
        values = [float(v) for v in given]
        if len(values) > 4:
            raise AugmenterArgumentError(f"{owner}: pad_val holds at most 4 channel values")
        self._fill = values + [0.0] * (4 - len(values))

    def draw(self, rng: Rng, shape: Shape, label: Array) -> Window | None:
        height, width = shape[0], shape[1]
        if height <= 0 or width <= 0:
            return None
        draws = _draws(rng)
        min_area = self.area_range[0] * height * width
        max_area = self.area_range[1] * height * width
        for _ in range(self.max_attempts):
            ratio = draws.uniform(*self.aspect_ratio_range)
            if ratio <= 0:
                continue
            h = round(math.sqrt(min_area / ratio))
            max_h = round(math.sqrt(max_area / ratio))
            if round(h * ratio) < width:  # the shortest canvas as wide as the image
                h = int((width + 0.499999) / ratio)
            h = max(h, height)
            h = min(h, max_h)
            if h < max_h:
                h = draws.randint(h, max_h)
            w = round(h * ratio)
            if h - height < 2 or w - width < 2:
                continue  # a margin this thin is no augmentation
            y = draws.randint(0, max(0, h - height))
            x = draws.randint(0, max(0, w - width))
            return Window(x, y, w, h)
        return None

    def apply(self, src: Array, label: Array, params: Window | None) -> tuple[NDArray, Array]:
        if params is None:
            return _nd(src), label
        image = np.asarray(src)
        height, width = image.shape[0], image.shape[1]
        p = params
        out = kernels.make_border(
            image, p.y, p.h - p.y - height, p.x, p.w - p.x - width, 16, self._fill
        )
        return _nd(out), pad_label(label, p.box(), image.shape)

    def _random_pad_proposal(self, label: Array, height: int, width: int) -> tuple[Any, ...]:
        """MXNet's helper: (x, y, w, h, new label), or () when no canvas is found."""
        window = self.draw(None, (height, width), label)
        if window is None:
            return ()
        return (*window.box(), pad_label(label, window.box(), (height, width)))


# --------------------------------------------------------------------------- running a list


def augment_detection(
    src: Array, label: Array, augs: Sequence[Any], rng: Rng = None
) -> tuple[NDArray, Array]:
    """Run a detection augmenter list on one image and its label: the iterators' hot path.

    Same result and draws as calling each in turn; consecutive DetBorrowAugs run
    as one classification list through :func:`recio.image.augment`, which fuses
    their colour steps into one pass over the pixels.
    """
    label = np.asarray(label)
    borrowed: list[Augmenter] = []
    for aug in augs:
        if type(aug) is DetBorrowAug:
            borrowed.append(aug.augmenter)
            continue
        if borrowed:
            src = augment(src, borrowed, rng)
            borrowed = []
        src, label = _call(aug, src, label, rng)
    if borrowed:
        src = augment(src, borrowed, rng)
    return _nd(src), label


# --------------------------------------------------------------------------- factories


def CreateMultiRandCropAugmenter(
    min_object_covered: Any = 0.1,
    aspect_ratio_range: Any = (0.75, 1.33),
    area_range: Any = (0.05, 1.0),
    min_eject_coverage: Any = 0.3,
    max_attempts: Any = 50,
    skip_prob: float = 0,
) -> DetRandomSelectAug:
    """One DetRandomCropAug per setting, behind a DetRandomSelectAug skipping with ``skip_prob``.

    Each argument is one value for all crops, or a *list* of values, one per
    crop (lists must have equal lengths or length 1). As in MXNet only lists
    count as lists: ``(0.75, 1.33)`` is one range, ``[0.75, 1.33]`` two fixed ratios.
    """
    columns = [
        v if isinstance(v, list) else [v]
        for v in (min_object_covered, aspect_ratio_range, area_range, min_eject_coverage,
                  max_attempts)
    ]  # fmt: skip
    count = max(len(c) for c in columns)
    for name, column in zip(
        ("min_object_covered", "aspect_ratio_range", "area_range", "min_eject_coverage",
         "max_attempts"), columns, strict=True,
    ):  # fmt: skip
        if len(column) not in (1, count):
            raise AugmenterArgumentError(
                f"CreateMultiRandCropAugmenter: {name} has {len(column)} values and another "
                f"argument {count}; give each argument one value or {count}"
            )
    augs: list[DetAugmenter] = []
    for i in range(count):
        moc, arr, ar, mec, ma = (c[i] if len(c) > 1 else c[0] for c in columns)
        augs.append(DetRandomCropAug(moc, arr, ar, mec, ma))
    return DetRandomSelectAug(augs, skip_prob=skip_prob)


# ImageNet statistics, as MXNet's CreateDetAugmenter spells them (float64 arrays here).
_MEAN = (123.68, 116.28, 103.53)
_STD = (58.395, 57.12, 57.375)
_PCA_EIGVAL = (55.46, 4.794, 1.148)
_PCA_EIGVEC = (
    (-0.5675, 0.7192, 0.4009),
    (-0.5808, -0.0045, -0.8140),
    (-0.5836, -0.6948, 0.4203),
)


def _stat(name: str, value: Any, default: tuple[float, ...]) -> Any:
    if value is True:
        return np.array(default)
    if value is not None and not (
        isinstance(value, np.ndarray) and value.ndim >= 1 and value.shape[0] in (1, 3)
    ):
        raise AugmenterArgumentError(
            f"CreateDetAugmenter's {name} must be True, None or a numpy array of 1 or 3 values "
            f"(one per channel), got {type(value).__name__}"
        )
    return value


def CreateDetAugmenter(
    data_shape: Sequence[int],
    resize: int = 0,
    rand_crop: float = 0,
    rand_pad: float = 0,
    rand_gray: float = 0,
    rand_mirror: bool = False,
    mean: Any = None,
    std: Any = None,
    brightness: float = 0,
    contrast: float = 0,
    saturation: float = 0,
    pca_noise: float = 0,
    hue: float = 0,
    inter_method: int = 2,
    min_object_covered: Any = 0.1,
    aspect_ratio_range: Any = (0.75, 1.33),
    area_range: Any = (0.05, 3.0),
    min_eject_coverage: Any = 0.3,
    max_attempts: Any = 50,
    pad_val: Any = (127, 127, 127),
) -> list[DetAugmenter]:
    """MXNet's standard detection augmenter list for ``data_shape`` = (channels, height, width).

    In order: shorter-edge resize; random crops (one per setting of the crop
    arguments, chosen with probability ``rand_crop``); mirror; random pad (with
    probability ``rand_pad``, area up to ``area_range[1]`` times the image's, as
    late as possible because it enlarges the image); force resize to
    ``data_shape``; cast to float32; colour jitter; hue; PCA lighting; random
    gray; normalisation (``mean``/``std`` True: ImageNet's statistics).
    """
    auglist: list[DetAugmenter] = []
    if resize > 0:
        auglist.append(DetBorrowAug(ResizeAug(resize, inter_method)))
    if rand_crop > 0:
        auglist.append(
            CreateMultiRandCropAugmenter(
                min_object_covered,
                aspect_ratio_range,
                area_range,
                min_eject_coverage,
                max_attempts,
                skip_prob=(1 - rand_crop),
            )
        )
    if rand_mirror > 0:
        auglist.append(DetHorizontalFlipAug(0.5))
    if rand_pad > 0:
        if not isinstance(area_range[1], numbers.Real):
            raise DetAugmenterArgumentError(
                "CreateDetAugmenter: rand_pad takes its largest area from area_range[1], which "
                f"must be a number, got {area_range!r}; per-crop lists of (min, max) ranges "
                "only work without rand_pad (MXNet raises TypeError)"
            )
        pad = DetRandomPadAug(aspect_ratio_range, (1.0, area_range[1]), max_attempts, pad_val)
        auglist.append(DetRandomSelectAug([pad], 1 - rand_pad))
    auglist.append(DetBorrowAug(ForceResizeAug((data_shape[2], data_shape[1]), inter_method)))
    auglist.append(DetBorrowAug(CastAug()))
    if brightness or contrast or saturation:
        auglist.append(DetBorrowAug(ColorJitterAug(brightness, contrast, saturation)))
    if hue:
        auglist.append(DetBorrowAug(HueJitterAug(hue)))
    if pca_noise > 0:
        eigval, eigvec = np.array(_PCA_EIGVAL), np.array(_PCA_EIGVEC)
        auglist.append(DetBorrowAug(LightingAug(pca_noise, eigval, eigvec)))
    if rand_gray > 0:
        auglist.append(DetBorrowAug(RandomGrayAug(rand_gray)))
    mean, std = _stat("mean", mean, _MEAN), _stat("std", std, _STD)
    if mean is not None or std is not None:
        auglist.append(DetBorrowAug(ColorNormalizeAug(mean, std)))
    return auglist
