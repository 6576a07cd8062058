"""recio's default augmenter against MXNet 1.9.1's ``aug_default`` (through ImageRecordIter).

MXNet reseeds its ``std::mt19937`` with ``index + seed_aug + 111`` before each
image. :class:`MXNetRandom` reproduces that engine and libstdc++'s
distributions, so ``draw(MXNetRandom(...))`` makes MXNet's exact choices for
an image and ``apply`` must then give MXNet's exact pixels: one test checks
the draw order, the formulas and the kernels of every step at once, random
options included. Images go through PNG records (lossless). Where the two
OpenCV builds round differently (cubic and Lanczos resampling, HLS, rotation)
the test allows a small mean difference instead of equality: cubic resampling
(~3% of pixels one level off) and warpAffine (OpenCV 5 differs from 3.4 and
4.8 on ~6% of pixels, by 1-3 levels; OpenCV 4.8 matches MXNet exactly).

The statistical tests then run recio with a numpy Generator and compare the
distributions of measurable quantities (crop positions, angles, offsets,
crop areas) with MXNet's over many images.
"""

from __future__ import annotations

import math
from typing import Any

import cv2
import numpy as np
import pytest

from recio._cxx_random import _mt19937_raw
from recio._image.default_aug import DefaultAugmenter, DefaultAugOptions

from _reference import MXNetReference

pytestmark = pytest.mark.conformance

_F = np.float32
SEED_MAGIC = 111  # MXNet's kRandMagic: image i is drawn from mt19937(i + seed_aug + 111)


class MXNetRandom:
    """``std::mt19937`` with libstdc++'s uniform_int, generate_canonical<float>, normal<float>."""

    def __init__(self, seed: int):
        self._gen = _mt19937_raw(seed)
        self._saved: float | None = None  # normal_distribution's second polar value

    def _raw(self) -> int:
        return int(self._gen.random_raw())

    def uniform(self) -> float:
        r = _F(self._raw()) / _F(4294967296.0)
        return float(r) if r < 1 else float(np.nextafter(_F(1), _F(0)))

    def randint(self, low: int, high: int) -> int:
        span = high - low  # the division method of libstdc++ for ranges below 2**32 - 1
        scaling = 0xFFFFFFFF // (span + 1)
        past = (span + 1) * scaling
        while True:
            r = self._raw()
            if r < past:
                return low + r // scaling

    def normal(self, std: float) -> float:
        if self._saved is not None:
            z, self._saved = self._saved, None
        else:
            while True:  # Marsaglia's polar method, in float as normal_distribution<float>
                x = _F(_F(2.0) * _F(self.uniform()) - _F(1.0))
                y = _F(_F(2.0) * _F(self.uniform()) - _F(1.0))
                r2 = x * x + y * y
                if 0 < r2 <= 1:
                    break
            mult = np.sqrt(_F(-2.0) * np.log(r2) / r2)
            self._saved = float(x * mult)
            z = float(y * mult)
        return float(_F(z) * _F(std))


def make_images(n: int, shape: tuple[int, ...], seed: int = 0) -> list[np.ndarray]:
    """Smooth random images with some hard edges, so resampling errors show."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        img = rng.integers(0, 256, size=shape, dtype=np.uint8)
        img = cv2.GaussianBlur(img, (7, 7), 2.0).reshape(shape)
        h, w = shape[:2]
        img[h // 3 : h // 2, w // 4 : w // 2] = rng.integers(0, 256, dtype=np.uint8)
        out.append(img)
    return out


def to_chw_rgb(img: np.ndarray) -> np.ndarray:
    """recio's BGR(A) HxWxC (or HxW) as MXNet's float RGB(A) CHW output."""
    if img.ndim == 2:
        img = img[:, :, None]
    if img.shape[2] >= 3:
        img = img[:, :, [2, 1, 0, *range(3, img.shape[2])]]
    return img.transpose(2, 0, 1).astype(np.float32)


def recio_outputs(images: list[np.ndarray], kwargs: dict[str, Any], seed_aug: int) -> np.ndarray:
    """recio's outputs with MXNet's per-image random streams."""
    opts = {k: v for k, v in kwargs.items() if k not in ("seed_aug", "rotate_list")}
    if "data_shape" in opts:
        opts["data_shape"] = tuple(opts["data_shape"])
    rotate_list = [int(v) for v in kwargs.get("rotate_list", "").split(",") if v]  # "10,20,30"
    aug = DefaultAugmenter(DefaultAugOptions(**opts), rotate_list=rotate_list)
    outs = []
    for i, img in enumerate(images):
        params = aug.draw(MXNetRandom(i + seed_aug + SEED_MAGIC), img.shape[0], img.shape[1])
        outs.append(to_chw_rgb(aug.apply(img, params)))
    return np.stack(outs)


def compare(
    mxnet_ref: MXNetReference,
    images: list[np.ndarray],
    kwargs: dict[str, Any],
    *,
    max_mean: float = 0.0,
    seed_aug: int = 7,
) -> None:
    ref = mxnet_ref.call("default_aug.augment", images, {**kwargs, "seed_aug": seed_aug})
    got = recio_outputs(images, kwargs, seed_aug)
    assert got.shape == ref.shape
    diff = np.abs(got - ref)
    per_image = diff.reshape(len(images), -1).mean(axis=1)
    if max_mean == 0.0:
        bad = [i for i in range(len(images)) if per_image[i] > 0]
        assert not bad, f"images {bad} differ: mean abs diff {per_image[bad]}, max {diff.max()}"
    else:
        assert per_image.max() <= max_mean, f"mean abs diff per image {per_image}"


COLOR = make_images(6, (61, 83, 3))
PORTRAIT = make_images(4, (90, 57, 3), seed=1)
GRAY = make_images(4, (61, 83), seed=2)
RGBA = make_images(3, (61, 83, 4), seed=3)


@pytest.mark.parametrize("inter", [0, 1, 3, 4, 9])
def test_resize_centre_crop_exact(mxnet_ref: MXNetReference, inter: int) -> None:
    kwargs = {"data_shape": (3, 40, 44), "resize": 45, "inter_method": inter}
    compare(mxnet_ref, COLOR + PORTRAIT[:0], kwargs)
    compare(mxnet_ref, PORTRAIT, {**kwargs, "data_shape": (3, 44, 40)})


def test_resize_cubic_close(mxnet_ref: MXNetReference) -> None:
    """OpenCV 4/5's cubic resize rounds ~3% of pixels one level off MXNet's OpenCV 3.4.2."""
    kwargs = {"data_shape": (3, 40, 44), "resize": 45, "inter_method": 2}
    compare(mxnet_ref, COLOR, kwargs, max_mean=0.1)


def test_resize_upscale_auto(mxnet_ref: MXNetReference) -> None:
    compare(mxnet_ref, COLOR, {"data_shape": (3, 100, 120), "resize": 110, "inter_method": 9},
            max_mean=0.1)  # fmt: skip


def test_random_inter_method(mxnet_ref: MXNetReference) -> None:
    """inter_method 10: a random method per step (resize and crop each draw one)."""
    compare(mxnet_ref, COLOR * 2, {"data_shape": (3, 30, 30), "resize": 40, "inter_method": 10,
                                   "rand_crop": True}, max_mean=0.1)  # fmt: skip


@pytest.mark.parametrize("rand_crop", [False, True])
def test_window_crop(mxnet_ref: MXNetReference, rand_crop: bool) -> None:
    compare(mxnet_ref, COLOR, {"data_shape": (3, 33, 47), "rand_crop": rand_crop})


def test_small_image_is_resized_up(mxnet_ref: MXNetReference) -> None:
    """MXNet 1.9.1 resizes an image smaller than data_shape up (aspect kept), then crops."""
    compare(mxnet_ref, COLOR, {"data_shape": (3, 70, 90)})
    compare(mxnet_ref, COLOR, {"data_shape": (3, 50, 100), "rand_crop": True})
    compare(mxnet_ref, COLOR, {"data_shape": (3, 80, 60), "inter_method": 0})


@pytest.mark.parametrize("rand_crop", [False, True])
def test_pad_fill(mxnet_ref: MXNetReference, rand_crop: bool) -> None:
    kwargs = {"data_shape": (3, 61, 83), "pad": 4, "fill_value": 17, "rand_crop": rand_crop}
    compare(mxnet_ref, COLOR, kwargs)


@pytest.mark.parametrize("rand_crop", [False, True])
def test_crop_size(mxnet_ref: MXNetReference, rand_crop: bool) -> None:
    kwargs = {"data_shape": (3, 32, 32), "min_crop_size": 30, "max_crop_size": 50,
              "rand_crop": rand_crop}  # fmt: skip
    compare(mxnet_ref, COLOR, kwargs)
    compare(mxnet_ref, COLOR, {**kwargs, "min_crop_size": 40, "max_crop_size": 40})


def test_fixed_rotate(mxnet_ref: MXNetReference) -> None:
    """rotate=30: the deterministic affine (matrix, output size, border fill)."""
    compare(mxnet_ref, COLOR, {"data_shape": (3, 50, 70), "rotate": 30, "fill_value": 40},
            max_mean=0.1)  # fmt: skip
    compare(mxnet_ref, PORTRAIT, {"data_shape": (3, 60, 40), "rotate": 30, "resize": 60},
            max_mean=0.1)  # fmt: skip


def test_random_affine(mxnet_ref: MXNetReference) -> None:
    kwargs = {"data_shape": (3, 40, 40), "max_rotate_angle": 20, "max_shear_ratio": 0.2,
              "min_random_scale": 0.8, "max_random_scale": 1.3, "max_aspect_ratio": 0.3,
              "rand_crop": True, "fill_value": 0}  # fmt: skip
    compare(mxnet_ref, COLOR * 2, kwargs, max_mean=0.1)
    compare(mxnet_ref, COLOR, {**kwargs, "min_aspect_ratio": 0.7, "max_aspect_ratio": 1.2,
                               "rotate_list": "5,-10,15"}, max_mean=0.1)  # fmt: skip


def test_img_size_limits(mxnet_ref: MXNetReference) -> None:
    kwargs = {"data_shape": (3, 40, 40), "max_img_size": 70, "min_img_size": 65,
              "max_random_scale": 1.5, "min_random_scale": 0.5}  # fmt: skip
    compare(mxnet_ref, COLOR, kwargs, max_mean=0.1)


def test_random_resized_crop(mxnet_ref: MXNetReference) -> None:
    kwargs = {"data_shape": (3, 32, 32), "random_resized_crop": True, "min_random_area": 0.2,
              "max_random_area": 0.9, "min_aspect_ratio": 0.75,
              "max_aspect_ratio": 1.33}  # fmt: skip
    compare(mxnet_ref, COLOR * 3, kwargs)
    # impossible samples: every try fails and MXNet falls back to the centre crop
    compare(mxnet_ref, COLOR, {**kwargs, "min_random_area": 1.0, "max_random_area": 1.0,
                               "min_aspect_ratio": 3.0, "max_aspect_ratio": 4.0})  # fmt: skip
    # with random_resized_crop the aspect options stay out of the affine step
    compare(mxnet_ref, COLOR, {**kwargs, "rotate": 10, "resize": 50, "inter_method": 10},
            max_mean=0.2)  # fmt: skip


@pytest.mark.parametrize(
    "color",
    [
        {"brightness": 0.4},
        {"contrast": 0.5},
        {"saturation": 0.6},
        {"brightness": 0.3, "contrast": 0.3, "saturation": 0.3},
    ],
)
def test_color_jitter(mxnet_ref: MXNetReference, color: dict[str, float]) -> None:
    compare(mxnet_ref, COLOR * 3, {"data_shape": (3, 50, 70), **color})


def test_hsl_jitter(mxnet_ref: MXNetReference) -> None:
    kwargs = {"data_shape": (3, 50, 70), "random_h": 20, "random_s": 40, "random_l": 30}
    compare(mxnet_ref, COLOR * 3, kwargs)


def test_pca_noise(mxnet_ref: MXNetReference) -> None:
    compare(mxnet_ref, COLOR * 3, {"data_shape": (3, 50, 70), "pca_noise": 0.5})


def test_everything(mxnet_ref: MXNetReference) -> None:
    kwargs = {"data_shape": (3, 40, 40), "resize": 56, "max_rotate_angle": 15,
              "max_shear_ratio": 0.1, "max_random_scale": 1.2, "min_random_scale": 0.9,
              "max_aspect_ratio": 0.2, "pad": 3, "fill_value": 99, "rand_crop": True,
              "brightness": 0.2, "contrast": 0.2, "saturation": 0.2, "pca_noise": 0.1,
              "random_h": 10, "random_s": 10, "random_l": 10}  # fmt: skip
    compare(mxnet_ref, COLOR * 2 + PORTRAIT, kwargs, max_mean=0.2)


def test_gray(mxnet_ref: MXNetReference) -> None:
    compare(mxnet_ref, GRAY, {"data_shape": (1, 40, 40), "resize": 45, "rand_crop": True})
    compare(mxnet_ref, GRAY, {"data_shape": (1, 40, 40), "pad": 2, "fill_value": 3,
                              "min_crop_size": 30, "max_crop_size": 45})  # fmt: skip
    compare(mxnet_ref, GRAY, {"data_shape": (1, 50, 60), "rotate": 30}, max_mean=0.1)


def test_mxnet_in_place_resize_bug(mxnet_ref: MXNetReference) -> None:
    """MXNet resizes a crop into the image it was cut from (``cv::resize(res(roi), res)``).

    When the image already has data_shape's size OpenCV writes into the buffer
    it reads, and MXNet's output repeats rows (here the bottom rows all equal).
    recio gives the correct resize; with any other size the two agree exactly.
    """
    kwargs = {"data_shape": (3, 120, 150), "random_resized_crop": True, "inter_method": 0,
              "min_random_area": 0.3, "max_random_area": 0.6}  # fmt: skip
    img = _ramp(120, 150)
    ref = mxnet_ref.call("default_aug.augment", [img] * 4, {**kwargs, "seed_aug": 3})
    got = recio_outputs([img] * 4, kwargs, 3)
    repeated = ref[:, 1, -1, 0] == ref[:, 1, -9, 0]  # MXNet: the bottom rows repeat one row
    assert repeated.sum() >= 2
    assert np.all(got[repeated, 1, -1, 0] > ref[repeated, 1, -1, 0])
    assert np.all(np.diff(got[:, 1, :, 0], axis=1) >= 0)  # recio: the crop's y ramp, resized
    compare(mxnet_ref, [img] * 4, {**kwargs, "data_shape": (3, 121, 150)}, seed_aug=3)


def test_four_channels(mxnet_ref: MXNetReference) -> None:
    """BGRA: the border's alpha is 0 (MXNet's Scalar(fill, fill, fill))."""
    compare(mxnet_ref, RGBA, {"data_shape": (4, 61, 83), "pad": 3, "fill_value": 50,
                              "rand_crop": True})  # fmt: skip
    compare(mxnet_ref, RGBA, {"data_shape": (4, 50, 70), "rotate": 30}, max_mean=0.1)


# --- distributions: recio with a numpy Generator against MXNet ------------------------------


def _ramp(h: int, w: int) -> np.ndarray:
    """B = x, G = y: a crop's position can be read off its first pixel."""
    yy, xx = np.mgrid[0:h, 0:w]
    return np.stack([xx, yy, np.zeros_like(xx)], -1).astype(np.uint8)


def _recio_many(images: list[np.ndarray], kwargs: dict[str, Any], repeats: int) -> np.ndarray:
    opts = {**kwargs, "data_shape": tuple(kwargs["data_shape"])}
    aug = DefaultAugmenter(DefaultAugOptions(**opts))
    rng = np.random.default_rng(12345)
    return np.stack([to_chw_rgb(aug(img, rng)) for _ in range(repeats) for img in images])


def _same_distribution(a: np.ndarray, b: np.ndarray, bins: np.ndarray) -> None:
    """Two samples agree: histograms within a chi-square-like bound and the same range."""
    ha, _ = np.histogram(a, bins)
    hb, _ = np.histogram(b, bins)
    pa, pb = ha / len(a), hb / len(b)
    sd = np.sqrt((pa + pb) / 2 * (1 / len(a) + 1 / len(b))) + 1e-9
    assert np.all(np.abs(pa - pb) <= 5 * sd + 0.01), (pa, pb)
    assert a.min() >= b.min() - (bins[1] - bins[0]) and a.max() <= b.max() + (bins[1] - bins[0])


def test_rand_crop_positions_distribution(mxnet_ref: MXNetReference) -> None:
    kwargs = {"data_shape": (3, 20, 30), "rand_crop": True}
    img = _ramp(60, 100)
    ref = mxnet_ref.call("default_aug.augment_many", [img], kwargs, 1000)
    got = _recio_many([img], kwargs, 1000)
    for ch, span in ((2, 70), (1, 40)):  # x in R (from B), y in G
        _same_distribution(got[:, ch, 0, 0], ref[:, ch, 0, 0], np.linspace(0, span + 1, 8))
        assert got[:, ch, 0, 0].max() <= span and ref[:, ch, 0, 0].max() <= span


def test_random_resized_crop_distribution(mxnet_ref: MXNetReference) -> None:
    kwargs = {"data_shape": (3, 128, 160), "random_resized_crop": True, "inter_method": 0,
              "min_random_area": 0.3, "max_random_area": 1.0, "max_aspect_ratio": 0.4}  # fmt: skip
    img = _ramp(120, 150)
    ref = mxnet_ref.call("default_aug.augment_many", [img], kwargs, 800)
    got = _recio_many([img], kwargs, 800)

    def sizes(out: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x, y = out[:, 2], out[:, 1]
        w = x.max(axis=(1, 2)) - x.min(axis=(1, 2)) + 1
        h = y.max(axis=(1, 2)) - y.min(axis=(1, 2)) + 1
        return w * h / (120 * 150), w / h

    area_g, aspect_g = sizes(got)
    area_r, aspect_r = sizes(ref)
    _same_distribution(area_g, area_r, np.linspace(0.2, 1.01, 9))
    _same_distribution(aspect_g, aspect_r, np.linspace(0.4, 2.0, 9))


def test_hsl_offsets_distribution(mxnet_ref: MXNetReference) -> None:
    """MXNet's L offset is int(u * 2r - r) with u = (c1 + 4 c2) / 5: trapezoidal, not uniform."""
    kwargs = {"data_shape": (3, 8, 8), "random_l": 100}
    img = np.full((8, 8, 3), 128, np.uint8)
    ref = mxnet_ref.call("default_aug.augment_many", [img], kwargs, 1500)[:, 0, 0, 0] - 128
    got = _recio_many([img], kwargs, 1500)[:, 0, 0, 0] - 128
    _same_distribution(got, ref, np.linspace(-100, 101, 11))
    assert np.abs(ref).max() <= 100 and np.abs(got).max() <= 100


def test_rotation_angle_distribution(mxnet_ref: MXNetReference) -> None:
    """The angle is an integer uniform in [-max_rotate_angle, max_rotate_angle]."""
    kwargs = {"data_shape": (3, 64, 64), "max_rotate_angle": 30, "fill_value": 0}
    img = np.zeros((64, 64, 3), np.uint8)
    img[30:34, 8:56] = 255  # a horizontal bar; its angle after rotation is measured

    def angles(out: np.ndarray) -> np.ndarray:
        res = []
        for o in out:
            ys, xs = np.nonzero(o[0] > 128)
            res.append(math.degrees(math.atan2(*np.polyfit(xs, ys, 1)[:1], 1)))
        return np.array(res)

    ref = angles(mxnet_ref.call("default_aug.augment_many", [img], kwargs, 400))
    got = angles(_recio_many([img], kwargs, 400))
    _same_distribution(got, ref, np.linspace(-31, 31, 7))
    assert np.abs(got).max() <= 31 and np.abs(ref).max() <= 31


def test_brightness_factor_distribution(mxnet_ref: MXNetReference) -> None:
    kwargs = {"data_shape": (3, 8, 8), "brightness": 0.5}
    img = np.full((8, 8, 3), 100, np.uint8)
    ref = mxnet_ref.call("default_aug.augment_many", [img], kwargs, 1000)[:, 0, 0, 0] / 100
    got = _recio_many([img], kwargs, 1000)[:, 0, 0, 0] / 100
    _same_distribution(got, ref, np.linspace(0.5, 1.51, 9))
