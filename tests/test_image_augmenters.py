"""mx.image augmenters: the draw/apply split, determinism, distributions, dtypes, fusion.

Agreement with MXNet 1.9.1 itself is in
tests/conformance/test_image_augmenters_conformance.py; these tests need no MXNet.
"""

from __future__ import annotations

import json
import pickle
import random
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest

from recio import image as mximg
from recio._image import color
from recio._image.augmenters import (
    AugmenterArgumentError,
    CropParams,
    ResizeParams,
    augment,
    image_rng,
)
from recio.nd import NDArray

EIGVAL = np.array([55.46, 4.794, 1.148])
EIGVEC = np.array(
    [[-0.5675, 0.7192, 0.4009], [-0.5808, -0.0045, -0.8140], [-0.5836, -0.6948, 0.4203]]
)


@pytest.fixture(scope="module")
def img() -> np.ndarray:
    """A smooth but non-trivial 3-channel uint8 image, 60 x 80."""
    y, x = np.mgrid[0:60, 0:80]
    rgb = np.stack([x * 3, y * 4, (x + y) * 2 % 256], axis=2)
    return rgb.astype(np.uint8)


def every_augmenter() -> list[Any]:
    return [
        mximg.ResizeAug(30),
        mximg.ResizeAug(30, 10),
        mximg.ForceResizeAug((50, 20), 9),
        mximg.RandomCropAug((40, 30)),
        mximg.RandomCropAug((100, 30), 1),  # wider than the image: scaled down, then resized
        mximg.RandomSizedCropAug((32, 32), 0.08, (3 / 4, 4 / 3)),
        mximg.RandomSizedCropAug((32, 32), (0.95, 1.0), (3.0, 4.0)),  # always the fallback
        mximg.CenterCropAug((40, 30)),
        mximg.HorizontalFlipAug(0.5),
        mximg.CastAug(),
        mximg.BrightnessJitterAug(0.5),
        mximg.ContrastJitterAug(0.5),
        mximg.SaturationJitterAug(0.5),
        mximg.HueJitterAug(0.5),
        mximg.ColorJitterAug(0.3, 0.3, 0.3),
        mximg.LightingAug(0.1, EIGVAL, EIGVEC),
        mximg.ColorNormalizeAug(np.array([120.0, 110.0, 100.0]), np.array([60.0, 50.0, 40.0])),
        mximg.RandomGrayAug(0.5),
        mximg.SequentialAug([mximg.RandomCropAug((50, 40)), mximg.HorizontalFlipAug(0.5)]),
        mximg.RandomOrderAug([mximg.HueJitterAug(0.2), mximg.RandomGrayAug(0.5)]),
    ]


# --------------------------------------------------------------------------- draw, then apply


@pytest.mark.parametrize("aug", every_augmenter(), ids=lambda a: type(a).__name__)
def test_call_is_apply_of_draw(aug: Any, img: np.ndarray) -> None:
    src = img.astype(np.float32)
    for seed in range(5):
        called = aug(src.copy(), rng=np.random.default_rng(seed))
        params = aug.draw(np.random.default_rng(seed), src.shape)
        applied = aug.apply(src.copy(), params)
        assert isinstance(called, NDArray)
        np.testing.assert_allclose(called, applied, rtol=1e-5, atol=1e-3)
        assert called.shape == aug.output_shape(src.shape, params)


@pytest.mark.parametrize("aug", every_augmenter(), ids=lambda a: type(a).__name__)
def test_apply_is_a_pure_function_of_image_and_params(aug: Any, img: np.ndarray) -> None:
    src = img.astype(np.float32)
    params = aug.draw(np.random.default_rng(3), src.shape)
    first = np.array(aug.apply(src.copy(), params))
    random.seed(99)
    np.random.seed(99)  # no hidden draws from the global state either
    np.testing.assert_array_equal(aug.apply(src.copy(), params), first)


def test_generator_draws_leave_global_state_alone(img: np.ndarray) -> None:
    py_state, np_state = random.getstate(), np.random.get_state()
    augs = mximg.CreateAugmenter(
        (3, 32, 32), resize=40, rand_crop=True, rand_resize=True, rand_mirror=True,
        brightness=0.2, contrast=0.2, saturation=0.2, hue=0.1, pca_noise=0.1, rand_gray=0.3,
        inter_method=10, mean=True, std=True,
    )  # fmt: skip
    augment(img, augs, rng=np.random.default_rng(0))
    assert random.getstate() == py_state
    np.testing.assert_array_equal(np.random.get_state()[1], np_state[1])


def test_global_draws_repeat_after_seeding(img: np.ndarray) -> None:
    """rng=None draws from random / np.random: seeding repeats a run of fresh augmenters.

    (Fresh ones: a RandomOrderAug's order carries over from call to call, as in MXNet.)
    """
    runs = []
    for _ in range(2):
        augs = mximg.CreateAugmenter(
            (3, 32, 32), rand_crop=True, rand_mirror=True, brightness=0.3, contrast=0.3,
            saturation=0.3, pca_noise=0.1, rand_gray=0.5,
        )  # fmt: skip
        random.seed(5)
        np.random.seed(5)
        runs.append([augment(img, augs) for _ in range(4)])
    for a, b in zip(*runs, strict=True):
        np.testing.assert_array_equal(a, b)


def test_image_rng_is_a_pure_function_of_seed_epoch_index(img: np.ndarray) -> None:
    augs = mximg.CreateAugmenter(
        (3, 32, 32), rand_crop=True, rand_resize=True, rand_mirror=True, brightness=0.3,
        contrast=0.3, hue=0.2, pca_noise=0.1,
    )  # fmt: skip
    ref = [augment(img, augs, rng=image_rng(7, 1, i)) for i in range(24)]
    # Threads, shuffled order: the same image gets the same augmentation.
    order = np.random.default_rng(0).permutation(24)
    with ThreadPoolExecutor(4) as pool:
        got = dict(
            zip(
                order,
                pool.map(lambda i: augment(img, augs, image_rng(7, 1, i)), order),
                strict=True,
            )
        )
    for i in range(24):
        np.testing.assert_array_equal(got[i], ref[i])
    assert not np.array_equal(ref[0], ref[1])
    assert not np.array_equal(augment(img, augs, rng=image_rng(7, 2, 0)), ref[0])
    with pytest.raises(ValueError, match="non-negative"):
        image_rng(-1, 0, 0)


def test_rng_must_be_a_generator(img: np.ndarray) -> None:
    with pytest.raises(TypeError, match="default_rng"):
        mximg.HorizontalFlipAug(0.5)(img, rng=3)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- distributions


def _draws(aug: Any, n: int, shape: tuple[int, ...] = (240, 320, 3), seed: int = 0) -> list[Any]:
    gen = np.random.default_rng(seed)
    return [aug.draw(gen, shape) for _ in range(n)]


def _ks_uniform(x: np.ndarray, lo: float, hi: float) -> float:
    u = np.sort((x - lo) / (hi - lo))
    n = len(u)
    return float(max((np.arange(1, n + 1) / n - u).max(), (u - np.arange(n) / n).max()))


def test_flip_and_gray_rates() -> None:
    flips = np.array(_draws(mximg.HorizontalFlipAug(0.5), 2000))
    assert 0.46 < flips.mean() < 0.54
    grays = np.array(_draws(mximg.RandomGrayAug(0.2), 2000))
    assert 0.17 < grays.mean() < 0.23
    assert not any(_draws(mximg.HorizontalFlipAug(0.0), 200))
    assert all(_draws(mximg.RandomGrayAug(1.0), 200))


@pytest.mark.parametrize(
    ("aug", "lo", "hi"),
    [
        (mximg.BrightnessJitterAug(0.4), 0.6, 1.4),
        (mximg.ContrastJitterAug(0.1), 0.9, 1.1),
        (mximg.SaturationJitterAug(1.0), 0.0, 2.0),
        (mximg.HueJitterAug(0.25), -0.25, 0.25),
    ],
    ids=lambda v: type(v).__name__ if not isinstance(v, float) else str(v),
)
def test_jitters_are_uniform_on_their_range(aug: Any, lo: float, hi: float) -> None:
    alphas = np.array(_draws(aug, 1000))
    assert alphas.min() >= lo and alphas.max() <= hi
    assert _ks_uniform(alphas, lo, hi) < 1.95 / np.sqrt(1000)


def test_lighting_noise_is_normal_with_alphastd() -> None:
    aug = mximg.LightingAug(0.1, EIGVAL, np.eye(3))
    offsets = np.array(_draws(aug, 3000))  # eigvec = I: offset_k = alpha_k * eigval_k
    alphas = offsets / EIGVAL
    np.testing.assert_allclose(alphas.std(axis=0), 0.1, rtol=0.08)
    np.testing.assert_allclose(alphas.mean(axis=0), 0.0, atol=0.01)


def test_random_crop_positions_cover_the_image() -> None:
    boxes = _draws(mximg.RandomCropAug((100, 60)), 1000)
    x0 = np.array([b.x0 for b in boxes])
    y0 = np.array([b.y0 for b in boxes])
    assert x0.min() == 0 and x0.max() == 220 and y0.min() == 0 and y0.max() == 180
    assert all((b.width, b.height, b.size) == (100, 60, None) for b in boxes)
    assert _ks_uniform(x0 + 0.5, 0, 221) < 0.06


def test_random_sized_crop_area_and_ratio_ranges() -> None:
    aug = mximg.RandomSizedCropAug((64, 64), (0.1, 0.5), (0.5, 2.0))
    boxes = _draws(aug, 1000)
    area = np.array([b.width * b.height / (240 * 320) for b in boxes])
    ratio = np.array([b.width / b.height for b in boxes])
    assert area.min() > 0.09 and area.max() < 0.52  # rounding of the sides
    assert ratio.min() > 0.45 and ratio.max() < 2.1
    assert all(b.x0 + b.width <= 320 and b.y0 + b.height <= 240 for b in boxes)
    assert all(b.size == (64, 64) for b in boxes)
    # log-uniform ratio: log(ratio) is spread evenly over [log 0.5, log 2]
    assert abs(np.median(np.log(ratio))) < 0.1


def test_random_sized_crop_falls_back_to_the_centre() -> None:
    aug = mximg.RandomSizedCropAug((30, 30), (0.95, 1.0), (3.0, 4.0))  # never fits
    boxes = _draws(aug, 20, shape=(100, 100, 3))
    assert set(boxes) == {CropParams(35, 35, 30, 30, None, None)}  # fits: no resize


def test_random_order_draws_every_order() -> None:
    a, b, c = mximg.HueJitterAug(0.1), mximg.RandomGrayAug(0.5), mximg.HorizontalFlipAug(0.5)
    aug = mximg.RandomOrderAug([a, b, c])
    orders = {tuple(id(x) for x, _ in plan) for plan in _draws(aug, 200)}
    assert len(orders) == 6
    assert aug.ts == [a, b, c]  # the given order is never changed ...
    random.seed(0)
    aug(np.zeros((4, 4, 3), np.float32))
    assert aug.ts == [a, b, c]  # ... not even by MXNet-style global draws


def test_interp_10_draws_all_methods_and_9_picks_by_direction() -> None:
    methods = {p.interp for p in _draws(mximg.ResizeAug(100, 10), 300)}
    assert methods == {0, 1, 2, 3, 4}
    assert mximg.ResizeAug(100, 9).draw(None, (240, 320, 3)).interp == 3  # shrinks
    assert mximg.ResizeAug(480, 9).draw(None, (240, 320, 3)).interp == 2  # grows
    assert mximg.ForceResizeAug((400, 100), 9).draw(None, (240, 320, 3)).interp == 1
    with pytest.raises(ValueError, match="Unknown interp method 7"):
        mximg.ResizeAug(100, 7)(np.zeros((10, 10, 3), np.uint8))
    # A crop that needs no resize never looks at interp (MXNet neither).
    assert mximg.CenterCropAug((5, 5), 7)(np.zeros((10, 10, 3), np.uint8)).shape == (5, 5, 3)


# --------------------------------------------------------------------------- geometry


def test_resize_short_edge(img: np.ndarray) -> None:
    assert mximg.ResizeAug(30).draw(None, img.shape) == ResizeParams(40, 30, 2)
    assert mximg.ResizeAug(30)(img).shape == (30, 40, 3)
    assert mximg.ResizeAug(50)(img.transpose(1, 0, 2)).shape == (66, 50, 3)  # 50*80//60
    assert mximg.ForceResizeAug((17, 9))(img).shape == (9, 17, 3)


def test_crops_are_copies_with_mxnets_boxes(img: np.ndarray) -> None:
    src = img.astype(np.float32)
    out = mximg.CenterCropAug((41, 31))(src)
    np.testing.assert_array_equal(out, src[14:45, 19:60])  # int((60-31)/2), int((80-41)/2)
    out += 1
    assert src[20, 20, 0] == img[20, 20, 0]  # writing to the crop leaves the source alone
    up = mximg.CenterCropAug((160, 90), 1)(img)  # bigger than the image: scale down, resize up
    assert up.shape == (90, 160, 3) and up.dtype == np.uint8
    assert mximg.CenterCropAug((160, 90)).draw(None, img.shape) == CropParams(
        0, 7, 80, 45, (160, 90), 2
    )


def test_flip(img: np.ndarray) -> None:
    np.testing.assert_array_equal(mximg.HorizontalFlipAug(1)(img), img[:, ::-1])
    np.testing.assert_array_equal(mximg.HorizontalFlipAug(0)(img), img)
    gray = img[:, :, 0]
    np.testing.assert_array_equal(mximg.HorizontalFlipAug(1)(gray), gray[:, ::-1])
    many = np.arange(2 * 3 * 6, dtype=np.int64).reshape(2, 3, 6)  # not for OpenCV: numpy flips
    np.testing.assert_array_equal(mximg.HorizontalFlipAug(1)(many), many[:, ::-1])


# --------------------------------------------------------------------------- colour and dtypes


def test_dtypes(img: np.ndarray) -> None:
    f32 = img.astype(np.float32)
    assert mximg.CastAug()(img).dtype == np.float32
    assert mximg.CastAug("float16")(img).dtype == np.float16
    for aug in every_augmenter()[10:17]:  # the colour augmenters but gray
        assert aug(f32.copy()).dtype == np.float32, aug
        assert aug(img).dtype == np.float32, aug  # integer images are converted, not rejected
    assert mximg.RandomGrayAug(1.0)(img).dtype == np.uint8  # stays integer: rounded, saturated
    assert mximg.HorizontalFlipAug(1.0)(img).dtype == np.uint8
    assert mximg.ResizeAug(20)(f32).dtype == np.float32


def test_colour_maps_against_their_formulas(img: np.ndarray) -> None:
    src = img.astype(np.float32)
    coef = np.array([0.299, 0.587, 0.114])
    luma = (src * coef).sum(axis=2, keepdims=True)
    np.testing.assert_allclose(color.brightness(src.copy(), 1.3), src * 1.3, rtol=1e-6)
    mean_luma = 3.0 * (src * coef).sum() / src.size
    np.testing.assert_allclose(
        color.contrast(src.copy(), 0.7), src * 0.7 + 0.3 * mean_luma, rtol=1e-5, atol=1e-3
    )
    np.testing.assert_allclose(
        color.saturation(src.copy(), 0.4), src * 0.4 + 0.6 * luma, rtol=1e-5, atol=1e-3
    )
    np.testing.assert_allclose(color.hue(src, 0.0), src, atol=1.0)  # MXNet's YIQ pair: ~inverse
    np.testing.assert_allclose(
        color.gray(src), np.repeat(src @ [0.21, 0.72, 0.07], 3).reshape(src.shape), atol=1e-3
    )
    hue = color.hue(src, 0.3)
    assert np.abs(hue - src).mean() > 5  # a real rotation
    np.testing.assert_allclose(
        (hue * coef).sum(axis=2), luma[:, :, 0], atol=0.1
    )  # hue rotation keeps luma (Y)
    off = color.lighting_offset([0.1, -0.2, 0.3], EIGVAL, EIGVEC)
    np.testing.assert_allclose(off, EIGVEC @ (np.array([0.1, -0.2, 0.3]) * EIGVAL))


def test_one_channel_images() -> None:
    g = np.linspace(0, 255, 48, dtype=np.float32).reshape(6, 8, 1)
    np.testing.assert_allclose(
        color.contrast(g.copy(), 0.5), 0.5 * g + 0.5 * g.mean(), rtol=1e-5, atol=1e-3
    )
    np.testing.assert_array_equal(color.saturation(g.copy(), 0.5), g)
    with pytest.raises(ValueError, match="3 channels"):
        mximg.HueJitterAug(0.1)(g)
    assert mximg.SequentialAug([mximg.ContrastJitterAug(0.5)])(g).shape == (6, 8, 1)


def test_in_place_writes_as_mxnet(img: np.ndarray) -> None:
    """MXNet writes brightness, contrast, saturation, lighting, normalise into a float32 input;
    hue and gray make new arrays."""
    gen = np.random.default_rng(0)
    for aug, writes in [
        (mximg.BrightnessJitterAug(0.5), True),
        (mximg.ContrastJitterAug(0.5), True),
        (mximg.SaturationJitterAug(0.5), True),
        (mximg.LightingAug(0.5, EIGVAL, EIGVEC), True),
        (mximg.ColorNormalizeAug(np.array([1.0, 2.0, 3.0]), None), True),
        (mximg.HueJitterAug(0.5), False),
        (mximg.RandomGrayAug(1.0), False),
    ]:
        src = img.astype(np.float32)
        out = aug(src, rng=gen)
        assert np.shares_memory(out, src) is writes, aug
        before = img.copy()
        aug(img, rng=gen)
        np.testing.assert_array_equal(img, before)  # an integer image is never written to


# --------------------------------------------------------------------------- fusion


def _unfused(augs: list[Any], src: np.ndarray, seed: int) -> np.ndarray:
    """Each leaf's params drawn in order from `seed`, applied one by one."""
    gen = np.random.default_rng(seed)
    x = src
    for aug in augs:
        if isinstance(aug, mximg.RandomOrderAug | mximg.SequentialAug):
            for leaf, p in aug.draw(gen, x.shape):
                x = leaf.apply(x, p)
        else:
            x = aug.apply(x, aug.draw(gen, x.shape))
    return np.asarray(x)


@pytest.mark.parametrize("seed", range(6))
def test_fused_colour_runs_equal_the_step_by_step_result(img: np.ndarray, seed: int) -> None:
    augs = [
        mximg.CastAug(),
        mximg.ColorJitterAug(0.4, 0.4, 0.4),
        mximg.ContrastJitterAug(0.3),
        mximg.HueJitterAug(0.2),
        mximg.LightingAug(0.2, EIGVAL, EIGVEC),
        mximg.RandomGrayAug(0.5),
        mximg.ContrastJitterAug(0.3),  # a mean taken after gray and lighting
        mximg.ColorNormalizeAug(np.array([123.7, 116.3, 103.5]), np.array([58.4, 57.1, 57.4])),
    ]
    fused = augment(img, augs, rng=np.random.default_rng(seed))
    np.testing.assert_allclose(fused, _unfused(augs, img, seed), rtol=1e-4, atol=2e-4)
    seq = mximg.SequentialAug(augs)(img, rng=np.random.default_rng(seed))
    np.testing.assert_array_equal(seq, fused)


def test_fused_run_writes_in_place_only_where_mxnet_would(img: np.ndarray) -> None:
    src = img.astype(np.float32)
    out = augment(src, [mximg.HueJitterAug(0.2), mximg.BrightnessJitterAug(0.2)])
    assert not np.shares_memory(out, src)  # MXNet: hue makes a new array first
    np.testing.assert_array_equal(src, img.astype(np.float32))
    out = augment(src, [mximg.BrightnessJitterAug(0.2), mximg.HueJitterAug(0.2)])
    assert np.shares_memory(out, src)
    nothing = [mximg.RandomGrayAug(0.0), mximg.ColorNormalizeAug(None, None)]
    assert augment(src, nothing) is src or np.shares_memory(augment(src, nothing), src)


# --------------------------------------------------------------------------- user augmenters


class OldStyle(mximg.Augmenter):
    """A custom augmenter written for MXNet: overrides __call__(src) only."""

    def __init__(self) -> None:
        super().__init__(k=1)

    def __call__(self, src: Any) -> Any:  # type: ignore[override]
        return src + 1


def test_custom_augmenters_and_callables_run_in_lists(img: np.ndarray) -> None:
    augs = [mximg.CastAug(), OldStyle(), lambda x: x * 2, mximg.BrightnessJitterAug(0.0)]
    expected = (img.astype(np.float32) + 1) * 2
    np.testing.assert_array_equal(augment(img, augs, rng=np.random.default_rng(0)), expected)
    np.testing.assert_array_equal(mximg.SequentialAug(augs)(img), expected)
    assert OldStyle().dumps() == '["oldstyle", {"k": 1}]'
    with pytest.raises(TypeError, match="overrides __call__"):
        mximg.SequentialAug(augs).draw(None, img.shape)


def test_base_augmenter_must_be_subclassed(img: np.ndarray) -> None:
    with pytest.raises(NotImplementedError, match="Must override"):
        mximg.Augmenter()(img)


# --------------------------------------------------------------------------- dumps and arguments


def test_dumps_format() -> None:
    assert mximg.ResizeAug(224).dumps() == '["resizeaug", {"size": 224, "interp": 2}]'
    assert mximg.CastAug().dumps() == '["castaug", {"type": "float32"}]'
    jitter = mximg.ColorJitterAug(0.1, 0, 0.2)
    assert jitter.dumps() == [
        "colorjitteraug",
        [
            '["brightnessjitteraug", {"brightness": 0.1}]',
            '["saturationjitteraug", {"saturation": 0.2}]',
        ],
    ]
    light = json.loads(mximg.LightingAug(np.float32(0.5), EIGVAL, EIGVEC).dumps())
    assert light[1]["eigvec"][0] == [-0.5675, 0.7192, 0.4009]
    assert light[1]["alphastd"] == 0.5  # a numpy scalar is written as a number (MXNet fails)


def test_random_sized_crop_arguments() -> None:
    with pytest.warns(DeprecationWarning, match="min_area"):
        aug = mximg.RandomSizedCropAug((10, 10), None, (1.0, 1.0), min_area=0.5)
    assert aug.area == 0.5
    with pytest.raises(TypeError, match="unexpected keyword"):
        mximg.RandomSizedCropAug((10, 10), 0.1, (1.0, 1.0), bogus=1)


def test_create_augmenter_order_and_errors() -> None:
    augs = mximg.CreateAugmenter(
        (3, 8, 8), resize=10, rand_crop=True, rand_resize=True, rand_mirror=True, mean=True,
        std=True, brightness=0.1, hue=0.1, pca_noise=0.1, rand_gray=0.1,
    )  # fmt: skip
    names = [type(a).__name__ for a in augs]
    assert names == [
        "ResizeAug", "RandomSizedCropAug", "HorizontalFlipAug", "CastAug", "ColorJitterAug",
        "HueJitterAug", "LightingAug", "RandomGrayAug", "ColorNormalizeAug",
    ]  # fmt: skip
    with pytest.raises(AugmenterArgumentError, match="rand_crop"):
        mximg.CreateAugmenter((3, 8, 8), rand_resize=True)
    with pytest.raises(AugmenterArgumentError, match=r"mean must be True, None or an array"):
        mximg.CreateAugmenter((3, 8, 8), mean=[1, 2, 3])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(mximg.CreateAugmenter((3, 8, 8))) == 2


def test_augmenters_pickle(img: np.ndarray) -> None:
    """Worker processes get the augmenter list by pickle; the copy augments identically."""

    augs = mximg.CreateAugmenter(
        (3, 32, 32), resize=40, rand_crop=True, rand_mirror=True, brightness=0.2, contrast=0.2,
        hue=0.1, pca_noise=0.1, mean=True, std=True,
    )  # fmt: skip
    copy = pickle.loads(pickle.dumps(augs))
    assert [a.dumps() for a in copy] == [a.dumps() for a in augs]
    np.testing.assert_array_equal(
        augment(img, copy, rng=image_rng(1, 0, 0)), augment(img, augs, rng=image_rng(1, 0, 0))
    )
