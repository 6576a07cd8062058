"""MXNet 1.9.1's image augmenters (``mx.image.*Aug``) and ``CreateAugmenter``.

Augmenters draw, then apply. Each one splits MXNet's ``__call__`` in two:

* ``draw(rng, shape) -> params`` makes every random choice for an input of
  ``shape`` (HWC) and nothing else (the crop box, the jitter factor, the
  interpolation method when ``interp=10``...);
* ``apply(src, params) -> image`` is a pure function of image and parameters
  (pixel kernels: :mod:`recio._image.kernels`, :mod:`recio._image.color`);
* ``__call__(src, rng=None)`` is ``apply(src, draw(rng, src.shape))``.

Where the randomness comes from:

* ``rng`` a :class:`numpy.random.Generator`: draws come from it alone, so a
  pipeline that hands image ``i`` of epoch ``e`` the generator
  :func:`image_rng` ``(seed, e, i)`` gets the same augmentation for it whatever
  thread runs it and in whatever order.
* ``rng=None`` (MXNet's way): the same draws MXNet makes, from the same
  sources - Python's ``random`` module, and numpy's global state for
  LightingAug - in the same order; ``random.seed(s); np.random.seed(s)`` then
  reproduces MXNet's crops, flips and jitters exactly.

Composite augmenters (SequentialAug, RandomOrderAug, ColorJitterAug) and
:func:`augment` run their children in order and fuse each run of colour
augmenters on a float32 RGB image into one affine pass over the pixels.
"""

from __future__ import annotations

import inspect
import json
import random as _pyrandom
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

import cv2
import numpy as np
import numpy.typing as npt

from recio._image import color, kernels, ops
from recio.nd import NDArray

__all__ = [
    "Augmenter",
    "BrightnessJitterAug",
    "CastAug",
    "CenterCropAug",
    "ColorJitterAug",
    "ColorNormalizeAug",
    "ContrastJitterAug",
    "CreateAugmenter",
    "CropParams",
    "ForceResizeAug",
    "HorizontalFlipAug",
    "HueJitterAug",
    "LightingAug",
    "RandomCropAug",
    "RandomGrayAug",
    "RandomOrderAug",
    "RandomSizedCropAug",
    "ResizeAug",
    "ResizeParams",
    "SaturationJitterAug",
    "SequentialAug",
    "augment",
    "image_rng",
]

Array = npt.NDArray[Any]
Shape = tuple[int, ...]


class AugmenterArgumentError(ValueError, AssertionError):
    """An augmenter argument MXNet rejects (with an ``assert``, hence AssertionError too)."""


# --------------------------------------------------------------------------- random draws


class _Draws(Protocol):
    def uniform(self, a: float, b: float) -> float: ...
    def randint(self, a: int, b: int) -> int: ...
    def random(self) -> float: ...
    def normal(self, scale: float, n: int) -> Array: ...
    def permutation(self, items: list[Any]) -> list[Any]: ...


class _GlobalDraws:
    """MXNet's sources and calls: Python's ``random`` module, numpy's global normal()."""

    @staticmethod
    def uniform(a: float, b: float) -> float:
        return _pyrandom.uniform(a, b)

    @staticmethod
    def randint(a: int, b: int) -> int:
        return _pyrandom.randint(a, b)

    @staticmethod
    def random() -> float:
        return _pyrandom.random()

    @staticmethod
    def normal(scale: float, n: int) -> Array:
        return np.random.normal(0, scale, size=(n,))

    @staticmethod
    def permutation(items: list[Any]) -> list[Any]:
        _pyrandom.shuffle(items)
        return items


class _GeneratorDraws:
    """The same calls answered by one numpy Generator (Python's semantics for the ranges)."""

    __slots__ = ("gen",)

    def __init__(self, gen: np.random.Generator):
        self.gen = gen

    def uniform(self, a: float, b: float) -> float:
        return a + (b - a) * float(self.gen.random())  # as random.uniform, also for a > b

    def randint(self, a: int, b: int) -> int:
        return int(self.gen.integers(a, b, endpoint=True))

    def random(self) -> float:
        return float(self.gen.random())

    def normal(self, scale: float, n: int) -> Array:
        return self.gen.normal(0, scale, size=n)

    def permutation(self, items: list[Any]) -> list[Any]:
        return [items[i] for i in self.gen.permutation(len(items))]


_GLOBAL = _GlobalDraws()


def _draws(rng: np.random.Generator | None) -> _Draws:
    if rng is None:
        return _GLOBAL
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"rng must be a numpy.random.Generator or None, not {type(rng).__name__}; "
            "make one with numpy.random.default_rng(seed) or recio.image image_rng()"
        )
    return _GeneratorDraws(rng)


def image_rng(seed: int, epoch: int, index: int) -> np.random.Generator:
    """The generator a pipeline gives record ``index`` in ``epoch``: a pure function of the three.

    Independent streams per image (numpy's SeedSequence spawns them from the
    tuple), so threads may augment images in any order and still repeat a run.
    """
    if min(seed, epoch, index) < 0:
        raise ValueError(
            f"image_rng needs non-negative seed, epoch and index, got {(seed, epoch, index)}"
        )
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence((seed, epoch, index))))


# --------------------------------------------------------------------------- helpers


def _nd(a: Array) -> NDArray:
    return a if isinstance(a, NDArray) else a.view(NDArray)


def _jsonable(value: Any) -> Any:
    """A constructor argument as MXNet records it for dumps(): arrays become lists."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):  # MXNet keeps these and json.dumps then fails
        return value.item()
    return value


def _float_image(src: Array) -> Array:
    """The image the float-only colour kernels work on: float input as is, else float32."""
    return src if src.dtype.kind == "f" else src.astype(np.float32)


def _interp(interp: int, sizes: tuple[int, int, int, int], draws: _Draws) -> int:
    """MXNet's interpolation choice: 9 picks by direction, 10 draws one of 0-4."""
    if interp == 9:
        oh, ow, nh, nw = sizes
        if nh > oh and nw > ow:
            return 2
        return 3 if nh < oh and nw < ow else 1
    if interp == 10:
        return draws.randint(0, 4)
    if interp not in (0, 1, 2, 3, 4):
        raise ValueError(f"Unknown interp method {interp}: use 0-4, 9 (auto) or 10 (random)")
    return int(interp)


def _accepts_rng(kind: type) -> bool:
    return _accepts_rng_cached(kind)


@lru_cache(maxsize=256)
def _accepts_rng_cached(kind: type) -> bool:
    try:
        return "rng" in inspect.signature(kind.__call__).parameters
    except (TypeError, ValueError):
        return False


def _call(aug: Callable[..., Array], src: Array, rng: np.random.Generator | None) -> Array:
    """Run any augmenter: recio's with ``rng``; a user's ``__call__(src)`` or a callable as is."""
    if _accepts_rng(type(aug)):
        return aug(src, rng=rng)
    return aug(src)


# --------------------------------------------------------------------------- base classes


class Augmenter:
    """Base class: records its constructor arguments for :meth:`dumps`.

    Subclasses implement :meth:`draw` (random choices only) and :meth:`apply`
    (pixels only). A subclass that overrides ``__call__(self, src)`` instead,
    as MXNet's custom augmenters do, keeps working everywhere recio takes one.
    """

    def __init__(self, **kwargs: Any):
        self._kwargs = {k: _jsonable(v) for k, v in kwargs.items()}

    def dumps(self) -> Any:
        """``[lowercased class name, constructor kwargs]`` as a JSON string, as MXNet."""
        return json.dumps([self.__class__.__name__.lower(), self._kwargs])

    def draw(self, rng: np.random.Generator | None, shape: Shape) -> Any:
        """The random parameters for an image of ``shape``; None for deterministic ones."""
        return None

    def output_shape(self, shape: Shape, params: Any) -> Shape:
        """The shape :meth:`apply` returns for an input of ``shape`` (used to plan draws)."""
        return shape

    def apply(self, src: Array, params: Any) -> NDArray:
        """The augmentation with ``params`` fixed: a pure function of its arguments."""
        raise NotImplementedError("Must override implementation.")

    def __call__(self, src: Array, rng: np.random.Generator | None = None) -> NDArray:
        return self.apply(src, self.draw(rng, tuple(src.shape)))


class _ColorAug(Augmenter):
    """A colour augmenter: an affine map of each pixel, so runs of them can be fused."""

    def affine(self, params: Any, means: npt.NDArray[np.float64]) -> color.Affine | None:
        """The map ``(m, b)`` for ``params`` given the input's channel means; None: identity."""
        raise NotImplementedError

    def writes_input(self, params: Any) -> bool | None:
        """True if MXNet writes the result into the input, False if into a new array, None if
        the call leaves the image untouched (so the next augmenter decides)."""
        return True

    def can_fuse(self) -> bool:
        """Whether :meth:`affine` describes this augmenter on a 3-channel image."""
        return True


# --------------------------------------------------------------------------- composites


def _run(augs: Iterable[Any], src: Array, rng: np.random.Generator | None) -> Array:
    """Apply ``augs`` in order, drawing each one's parameters just before applying it.

    Consecutive colour augmenters on a float32 RGB image are fused: their
    parameters are drawn in order (so the draws are those of the plain loop),
    their affine maps composed - contrast's mean propagated through them - and
    applied in one pass.
    """
    pending: list[tuple[Any, Any]] = []
    for aug in augs:
        if _fusable(aug) and _fusable_image(src):
            pending.append((aug, aug.draw(rng, tuple(src.shape))))
            continue
        if pending:
            src = _apply_fused(src, pending)
            pending = []
        src = _call(aug, src, rng)
    if pending:
        src = _apply_fused(src, pending)
    return src


def _fusable(aug: Any) -> bool:
    kind = type(aug)
    if kind is ColorJitterAug:
        return all(_fusable(t) for t in aug.ts)
    return kind in _FUSABLE and bool(aug.can_fuse())


def _fusable_image(src: Array) -> bool:
    return src.dtype == np.float32 and src.ndim == 3 and src.shape[2] == 3


def _leaves(pairs: Iterable[tuple[Any, Any]]) -> Iterable[tuple[_ColorAug, Any]]:
    for aug, params in pairs:
        if isinstance(aug, RandomOrderAug):
            yield from _leaves(params)
        else:
            yield aug, params


def _apply_fused(src: Array, pending: list[tuple[Any, Any]]) -> Array:
    leaves = list(_leaves(pending))
    if len(leaves) == 1:
        aug, params = leaves[0]
        return aug.apply(src, params)
    m, b = color.EYE, color.ZERO
    means: npt.NDArray[np.float64] | None = None
    inplace: bool | None = None
    for aug, params in leaves:
        if means is None and isinstance(aug, ContrastJitterAug):
            means = m @ color.channel_means(src) + b
        step = aug.affine(params, color.ZERO if means is None else means)
        if inplace is None:
            inplace = aug.writes_input(params)
        if step is None:
            continue
        sm, sb = step
        m, b = sm @ m, sm @ b + sb
        if means is not None:
            means = sm @ means + sb
    if inplace is None:  # every step was the identity: MXNet returns the input itself
        return src
    return color.affine(src, m, b, out=src if inplace else None)


def _plan(augs: Sequence[Any], rng: np.random.Generator | None, shape: Shape) -> Any:
    """Draw for each augmenter in turn, following the shape each one will produce."""
    plan = []
    for aug in augs:
        if not isinstance(aug, Augmenter) or type(aug).__call__ not in _RNG_CALLS:
            raise TypeError(
                f"{type(aug).__name__} is a callable or overrides __call__, so its draws cannot "
                "be planned ahead with draw(); call the composite augmenter itself instead"
            )
        params = aug.draw(rng, shape)
        plan.append((aug, params))
        shape = aug.output_shape(shape, params)
    return tuple(plan)


class _Composite(Augmenter):
    """A list of augmenters ``ts``; params are ``((augmenter, its params), ...)`` in order."""

    def __init__(self, ts: list[Any]):
        super().__init__()
        self.ts = ts

    def dumps(self) -> Any:
        """MXNet returns a list here (not a string): ``[name, [each child's dumps()]]``."""
        return [self.__class__.__name__.lower(), [x.dumps() for x in self.ts]]

    def output_shape(self, shape: Shape, params: Any) -> Shape:
        for aug, p in params:
            shape = aug.output_shape(shape, p)
        return shape

    def apply(self, src: Array, params: Any) -> NDArray:
        for aug, p in params:
            src = aug.apply(src, p)
        return _nd(src)


class SequentialAug(_Composite):
    """Apply a list of augmenters in order."""

    def draw(self, rng: np.random.Generator | None, shape: Shape) -> Any:
        return _plan(self.ts, rng, shape)

    def __call__(self, src: Array, rng: np.random.Generator | None = None) -> NDArray:
        return _nd(_run(self.ts, src, rng))


class RandomOrderAug(_Composite):
    """Apply a list of augmenters in a random order, drawn per call.

    MXNet shuffles ``ts`` in place on every call, so each shuffle starts from
    the previous order. With ``rng=None`` recio repeats that sequence (in a
    private list, so that ``ts`` and ``dumps()`` keep the given order); with a
    Generator the order is a permutation of ``ts`` drawn from it alone.
    """

    def __init__(self, ts: list[Any]):
        super().__init__(ts)
        self._mx_order: list[Any] = list(ts)

    def _order(self, rng: np.random.Generator | None) -> list[Any]:
        if rng is not None:
            return _draws(rng).permutation(list(self.ts))
        order = self._mx_order
        if len(order) != len(self.ts) or {id(t) for t in order} != {id(t) for t in self.ts}:
            order = list(self.ts)  # ts was changed since: start again from it
        order = _GLOBAL.permutation(list(order))
        self._mx_order = order
        return order

    def draw(self, rng: np.random.Generator | None, shape: Shape) -> Any:
        return _plan(self._order(rng), rng, shape)

    def __call__(self, src: Array, rng: np.random.Generator | None = None) -> NDArray:
        if _fusable(self) and _fusable_image(src):
            return _nd(_run([self], src, rng))
        return _nd(_run(self._order(rng), src, rng))


# --------------------------------------------------------------------------- geometry


@dataclass(frozen=True, slots=True)
class ResizeParams:
    """Resize to ``width`` x ``height`` with OpenCV interpolation ``interp`` (0-4)."""

    width: int
    height: int
    interp: int


@dataclass(frozen=True, slots=True)
class CropParams:
    """Crop the box at (x0, y0) of ``width`` x ``height``; resize to ``size`` if it differs."""

    x0: int
    y0: int
    width: int
    height: int
    size: tuple[int, int] | None
    interp: int | None


class _ResizeBase(Augmenter):
    def output_shape(self, shape: Shape, params: ResizeParams) -> Shape:
        return (params.height, params.width, *shape[2:])

    def apply(self, src: Array, params: ResizeParams) -> NDArray:
        return _nd(kernels.resize(src, params.width, params.height, params.interp))


class ResizeAug(_ResizeBase):
    """Resize the shorter edge to ``size`` (longer edge scaled, truncated), as resize_short."""

    def __init__(self, size: int, interp: int = 2):
        super().__init__(size=size, interp=interp)
        self.size = size
        self.interp = interp

    def draw(self, rng: np.random.Generator | None, shape: Shape) -> ResizeParams:
        h, w = shape[0], shape[1]
        if h > w:
            nh, nw = self.size * h // w, self.size
        else:
            nh, nw = self.size, self.size * w // h
        return ResizeParams(nw, nh, _interp(self.interp, (h, w, nh, nw), _draws(rng)))


class ForceResizeAug(_ResizeBase):
    """Resize to ``size`` = (width, height) regardless of aspect ratio."""

    def __init__(self, size: tuple[int, int], interp: int = 2):
        super().__init__(size=size, interp=interp)
        self.size = size
        self.interp = interp

    def draw(self, rng: np.random.Generator | None, shape: Shape) -> ResizeParams:
        w, h = self.size
        interp = _interp(self.interp, (shape[0], shape[1], h, w), _draws(rng))
        return ResizeParams(int(w), int(h), interp)


class _CropBase(Augmenter):
    size: Any
    interp: int

    def _params(self, draws: _Draws, x0: int, y0: int, w: int, h: int) -> CropParams:
        size = self.size
        if size is not None and (w, h) != size:  # MXNet's test: a list size always "differs"
            interp = _interp(self.interp, (h, w, size[1], size[0]), draws)
            target = (int(size[0]), int(size[1]))
            return CropParams(x0, y0, w, h, None if target == (w, h) else target, interp)
        return CropParams(x0, y0, w, h, None, None)

    def _center(self, draws: _Draws, shape: Shape) -> CropParams:
        h, w = shape[0], shape[1]
        nw, nh = ops.scale_down((w, h), self.size)
        return self._params(draws, int((w - nw) / 2), int((h - nh) / 2), nw, nh)

    def output_shape(self, shape: Shape, params: CropParams) -> Shape:
        w, h = params.size if params.size is not None else (params.width, params.height)
        return (h, w, *shape[2:])

    def apply(self, src: Array, params: CropParams) -> NDArray:
        p = params
        if p.size is None or p.interp is None:  # a copy, so in-place steps never reach src
            return _nd(kernels.crop(src, p.x0, p.y0, p.width, p.height))
        box = src[p.y0 : p.y0 + p.height, p.x0 : p.x0 + p.width]
        return _nd(kernels.resize(box, p.size[0], p.size[1], p.interp))


class RandomCropAug(_CropBase):
    """Crop ``size`` = (width, height) at a random position (scaled down to fit, then resized)."""

    def __init__(self, size: tuple[int, int], interp: int = 2):
        super().__init__(size=size, interp=interp)
        self.size = size
        self.interp = interp

    def draw(self, rng: np.random.Generator | None, shape: Shape) -> CropParams:
        draws = _draws(rng)
        h, w = shape[0], shape[1]
        nw, nh = ops.scale_down((w, h), self.size)
        x0 = draws.randint(0, w - nw)
        y0 = draws.randint(0, h - nh)
        return self._params(draws, x0, y0, nw, nh)


class RandomSizedCropAug(_CropBase):
    """Inception-style crop: random area fraction and log-uniform aspect ratio, resized to size.

    Ten tries to fit a box in the image, then the centre crop, as MXNet.
    ``area`` is (min, max) or a float min with max 1.0.
    """

    def __init__(
        self,
        size: tuple[int, int],
        area: float | tuple[float, float],
        ratio: tuple[float, float],
        interp: int = 2,
        **kwargs: Any,
    ):
        super().__init__(size=size, area=area, ratio=ratio, interp=interp)
        self.size = size
        if "min_area" in kwargs:
            warnings.warn(
                "`min_area` is deprecated. Please use `area` instead.",
                DeprecationWarning,
                stacklevel=2,
            )
            area = kwargs.pop("min_area")
        if kwargs:
            raise TypeError(
                f"RandomSizedCropAug got unexpected keyword arguments {sorted(kwargs)}; "
                "it takes size, area, ratio and interp"
            )
        self.area = area
        self.ratio = ratio
        self.interp = interp

    def draw(self, rng: np.random.Generator | None, shape: Shape) -> CropParams:
        draws = _draws(rng)
        h, w = shape[0], shape[1]
        area = self.area
        lo, hi = (area, 1.0) if isinstance(area, float | int | np.generic) else area
        log_ratio = (float(np.log(self.ratio[0])), float(np.log(self.ratio[1])))
        for _ in range(10):
            target = draws.uniform(lo, hi) * (h * w)
            aspect = float(np.exp(draws.uniform(*log_ratio)))
            nw = round(float(np.sqrt(target * aspect)))
            nh = round(float(np.sqrt(target / aspect)))
            if nw <= w and nh <= h:
                x0 = draws.randint(0, w - nw)
                y0 = draws.randint(0, h - nh)
                return self._params(draws, x0, y0, nw, nh)
        return self._center(draws, shape)


class CenterCropAug(_CropBase):
    """Crop ``size`` = (width, height) from the centre (scaled down to fit, then resized)."""

    def __init__(self, size: tuple[int, int], interp: int = 2):
        super().__init__(size=size, interp=interp)
        self.size = size
        self.interp = interp

    def draw(self, rng: np.random.Generator | None, shape: Shape) -> CropParams:
        return self._center(_draws(rng), shape)


class HorizontalFlipAug(Augmenter):
    """Flip left-right with probability ``p`` (params: whether to flip)."""

    def __init__(self, p: float):
        super().__init__(p=p)
        self.p = p

    def draw(self, rng: np.random.Generator | None, shape: Shape) -> bool:
        return _draws(rng).random() < self.p

    def apply(self, src: Array, params: bool) -> NDArray:
        if not params:
            return _nd(src)
        if src.dtype in _CV_DTYPES and (src.ndim == 2 or src.shape[2] <= 4):
            return _nd(cv2.flip(src, 1))  # one contiguous copy
        return _nd(np.ascontiguousarray(src[:, ::-1]))


_CV_DTYPES = (np.uint8, np.int8, np.uint16, np.int16, np.int32, np.float32, np.float64)


class CastAug(Augmenter):
    """Cast to ``typ`` (recorded as ``type`` in dumps(), as MXNet)."""

    def __init__(self, typ: Any = "float32"):
        super().__init__(type=typ)
        self.typ = typ

    def apply(self, src: Array, params: None) -> NDArray:
        return _nd(src.astype(self.typ))


# --------------------------------------------------------------------------- colour


class _JitterAug(_ColorAug):
    """Draws ``1 + U(-r, r)``; float32 images are changed in place, others converted first."""

    _RANGE = ""

    def draw(self, rng: np.random.Generator | None, shape: Shape) -> float:
        r = getattr(self, self._RANGE)
        return 1.0 + _draws(rng).uniform(-r, r)


class BrightnessJitterAug(_JitterAug):
    """Multiply by ``1 + U(-brightness, brightness)``."""

    _RANGE = "brightness"

    def __init__(self, brightness: float):
        super().__init__(brightness=brightness)
        self.brightness = brightness

    def apply(self, src: Array, params: float) -> NDArray:
        return _nd(color.brightness(_float_image(src), params))

    def affine(self, params: float, means: npt.NDArray[np.float64]) -> color.Affine:
        return color.EYE * params, color.ZERO


class ContrastJitterAug(_JitterAug):
    """Blend with the mean luma: ``alpha * src + (1 - alpha) * gray``."""

    _RANGE = "contrast"

    def __init__(self, contrast: float):
        super().__init__(contrast=contrast)
        self.contrast = contrast

    def apply(self, src: Array, params: float) -> NDArray:
        return _nd(color.contrast(_float_image(src), params))

    def affine(self, params: float, means: npt.NDArray[np.float64]) -> color.Affine:
        return color.contrast_affine(params, means)


class SaturationJitterAug(_JitterAug):
    """Blend each pixel with its own luma by ``alpha``."""

    _RANGE = "saturation"

    def __init__(self, saturation: float):
        super().__init__(saturation=saturation)
        self.saturation = saturation

    def apply(self, src: Array, params: float) -> NDArray:
        return _nd(color.saturation(_float_image(src), params))

    def affine(self, params: float, means: npt.NDArray[np.float64]) -> color.Affine:
        return color.saturation_affine(params)


class HueJitterAug(_ColorAug):
    """Rotate hue by ``U(-hue, hue) * 180`` degrees (YIQ approximation); a new array."""

    def __init__(self, hue: float):
        super().__init__(hue=hue)
        self.hue = hue

    def draw(self, rng: np.random.Generator | None, shape: Shape) -> float:
        return _draws(rng).uniform(-self.hue, self.hue)

    def apply(self, src: Array, params: float) -> NDArray:
        return _nd(color.hue(_float_image(src), params))

    def affine(self, params: float, means: npt.NDArray[np.float64]) -> color.Affine:
        m, b = color.hue_affine(params)
        return m.astype(np.float32).astype(np.float64), b  # MXNet's float32 matrix

    def writes_input(self, params: Any) -> bool | None:
        return False


class ColorJitterAug(RandomOrderAug):
    """Brightness, contrast and saturation jitters (those > 0) in a random order."""

    def __init__(self, brightness: float, contrast: float, saturation: float):
        ts: list[Any] = []
        if brightness > 0:
            ts.append(BrightnessJitterAug(brightness))
        if contrast > 0:
            ts.append(ContrastJitterAug(contrast))
        if saturation > 0:
            ts.append(SaturationJitterAug(saturation))
        super().__init__(ts)


class LightingAug(_ColorAug):
    """AlexNet PCA noise: add ``eigvec @ (alpha * eigval)``, alpha ~ N(0, alphastd) per axis.

    Params: the RGB offset. Drawn from numpy's global state when ``rng`` is
    None, as MXNet (its other augmenters use Python's ``random``).
    """

    def __init__(self, alphastd: float, eigval: npt.ArrayLike, eigvec: npt.ArrayLike):
        super().__init__(alphastd=alphastd, eigval=eigval, eigvec=eigvec)
        self.alphastd = alphastd
        self.eigval = eigval
        self.eigvec = eigvec

    def draw(self, rng: np.random.Generator | None, shape: Shape) -> npt.NDArray[np.float64]:
        alpha = _draws(rng).normal(self.alphastd, 3)
        return color.lighting_offset(alpha, self.eigval, self.eigvec)

    def apply(self, src: Array, params: npt.NDArray[np.float64]) -> NDArray:
        return _nd(color.lighting(_float_image(src), params))

    def affine(self, params: Any, means: npt.NDArray[np.float64]) -> color.Affine:
        return color.EYE, np.asarray(params, np.float32).astype(np.float64)


class ColorNormalizeAug(_ColorAug):
    """Subtract ``mean`` then divide by ``std`` (either may be None), in place on float32."""

    def __init__(self, mean: Any, std: Any):
        super().__init__(mean=mean, std=std)
        self.mean = None if mean is None else _as_nd(mean)
        self.std = None if std is None else _as_nd(std)

    def apply(self, src: Array, params: None) -> NDArray:
        if self.mean is None and self.std is None:
            return _nd(src)
        return _nd(color.normalize(_float_image(src), self.mean, self.std))

    def affine(self, params: Any, means: npt.NDArray[np.float64]) -> color.Affine | None:
        if self.mean is None and self.std is None:
            return None
        key = (id(self.mean), id(self.std))  # built once per (mean, std) objects
        cached = getattr(self, "_affine_cache", None)
        if cached is None or cached[0] != key:
            mean = color.ZERO if self.mean is None else _rgb(self.mean)
            std = np.ones(3) if self.std is None else _rgb(self.std)
            cached = (key, (np.diag(1.0 / std), -mean / std))
            self._affine_cache = cached
        return cached[1]

    def writes_input(self, params: Any) -> bool | None:
        return None if self.mean is None and self.std is None else True

    def can_fuse(self) -> bool:
        return all(v is None or v.size in (1, 3) for v in (self.mean, self.std))


def _as_nd(value: Any) -> NDArray:
    """MXNet keeps an NDArray as given and makes float32 NDArrays of everything else."""
    if isinstance(value, NDArray):
        return value
    return np.array(value, dtype=np.float32).view(NDArray)  # a copy, as nd.array makes


def _rgb(value: Array) -> npt.NDArray[np.float64]:
    """A per-channel statistic (1 or 3 values) as 3 float64s, rounded to float32 as MXNet's."""
    flat = np.asarray(value, dtype=np.float32).astype(np.float64).reshape(-1)
    return np.repeat(flat, 3) if flat.size == 1 else flat


class RandomGrayAug(_ColorAug):
    """With probability ``p`` set every channel to 0.21 R + 0.72 G + 0.07 B (a new array)."""

    def __init__(self, p: float):
        super().__init__(p=p)
        self.p = p

    def draw(self, rng: np.random.Generator | None, shape: Shape) -> bool:
        return _draws(rng).random() < self.p

    def apply(self, src: Array, params: bool) -> NDArray:
        if not params:
            return _nd(src)
        if src.dtype.kind == "f":
            return _nd(color.gray(src))
        # Integer images stay integer: OpenCV rounds and saturates.
        return _nd(cv2.transform(src, color.gray_affine()[0]))

    def affine(self, params: bool, means: npt.NDArray[np.float64]) -> color.Affine | None:
        if not params:
            return None
        m, b = color.gray_affine()
        return m.astype(np.float32).astype(np.float64), b

    def writes_input(self, params: Any) -> bool | None:
        return False if params else None


# Exactly these classes (not subclasses, which may override apply) are fused.
_FUSABLE: frozenset[type] = frozenset(
    {
        BrightnessJitterAug,
        ContrastJitterAug,
        SaturationJitterAug,
        HueJitterAug,
        LightingAug,
        ColorNormalizeAug,
        RandomGrayAug,
    }
)
# __call__ implementations that draw through draw(): their classes can be planned ahead.
_RNG_CALLS = frozenset({Augmenter.__call__, SequentialAug.__call__, RandomOrderAug.__call__})


def augment(src: Array, augs: Iterable[Any], rng: np.random.Generator | None = None) -> NDArray:
    """Run an augmenter list (as CreateAugmenter returns) on one image: the pipeline's hot path.

    Same result as applying each in turn, with colour runs fused into one pass.
    """
    return _nd(_run(augs, src, rng))


# --------------------------------------------------------------------------- CreateAugmenter

# ImageNet statistics MXNet uses for mean=True / std=True and for PCA noise.
_IMAGENET_MEAN = (123.68, 116.28, 103.53)
_IMAGENET_STD = (58.395, 57.12, 57.375)
_PCA_EIGVAL = (55.46, 4.794, 1.148)
_PCA_EIGVEC = (
    (-0.5675, 0.7192, 0.4009),
    (-0.5808, -0.0045, -0.8140),
    (-0.5836, -0.6948, 0.4203),
)


def _check_stat(name: str, value: Any) -> Any:
    if value is True:
        return None
    if value is None:
        return None
    if not isinstance(value, np.ndarray) or value.ndim == 0 or value.shape[0] not in (1, 3):
        shape = getattr(value, "shape", None)
        raise AugmenterArgumentError(
            f"CreateAugmenter's {name} must be True, None or an array of 1 or 3 values "
            f"(one per channel), got {type(value).__name__} with shape {shape}"
        )
    return value


def CreateAugmenter(
    data_shape: Sequence[int],
    resize: int = 0,
    rand_crop: bool = False,
    rand_resize: bool = False,
    rand_mirror: bool = False,
    mean: Any = None,
    std: Any = None,
    brightness: float = 0,
    contrast: float = 0,
    saturation: float = 0,
    hue: float = 0,
    pca_noise: float = 0,
    rand_gray: float = 0,
    inter_method: int = 2,
) -> list[Augmenter]:
    """MXNet's standard augmenter list for ``data_shape`` = (channels, height, width).

    In order: shorter-edge resize; random-sized, random or centre crop; mirror;
    cast to float32; colour jitter; hue; PCA lighting; random gray;
    normalisation (``mean``/``std`` True means ImageNet's statistics).
    """
    auglist: list[Augmenter] = []
    if resize > 0:
        auglist.append(ResizeAug(resize, inter_method))

    crop_size = (data_shape[2], data_shape[1])
    if rand_resize:
        if not rand_crop:
            raise AugmenterArgumentError(
                "CreateAugmenter: rand_resize=True needs rand_crop=True as well"
            )
        auglist.append(RandomSizedCropAug(crop_size, 0.08, (3.0 / 4.0, 4.0 / 3.0), inter_method))
    elif rand_crop:
        auglist.append(RandomCropAug(crop_size, inter_method))
    else:
        auglist.append(CenterCropAug(crop_size, inter_method))

    if rand_mirror:
        auglist.append(HorizontalFlipAug(0.5))
    auglist.append(CastAug())
    if brightness or contrast or saturation:
        auglist.append(ColorJitterAug(brightness, contrast, saturation))
    if hue:
        auglist.append(HueJitterAug(hue))
    if pca_noise > 0:
        auglist.append(LightingAug(pca_noise, np.array(_PCA_EIGVAL), np.array(_PCA_EIGVEC)))
    if rand_gray > 0:
        auglist.append(RandomGrayAug(rand_gray))

    mean_given, std_given = mean is True, std is True
    mean, std = _check_stat("mean", mean), _check_stat("std", std)
    if mean_given:
        mean = np.array(_IMAGENET_MEAN, dtype=np.float32).view(NDArray)
    if std_given:
        std = np.array(_IMAGENET_STD, dtype=np.float32).view(NDArray)
    if mean is not None or std is not None:
        auglist.append(ColorNormalizeAug(mean, std))
    return auglist
