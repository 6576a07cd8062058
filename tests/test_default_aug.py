"""recio's version of MXNet's default augmenter: options, geometry, draws and kernels.

These run without MXNet; tests/conformance/test_default_aug_conformance.py
checks the same code pixel for pixel against MXNet 1.9.1.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recio._image import default_aug_ops as ops
from recio._image.default_aug import AugParams, DefaultAugmenter, DefaultAugOptions


def augmenter(**kwargs: Any) -> DefaultAugmenter:
    return DefaultAugmenter(DefaultAugOptions(**kwargs))


def image(h: int, w: int, c: int | None = 3, seed: int = 0) -> np.ndarray:
    shape = (h, w) if c is None else (h, w, c)
    img = np.random.default_rng(seed).integers(0, 256, size=shape, dtype=np.uint8)
    return cv2.GaussianBlur(img, (5, 5), 1.5).reshape(shape)


def ramp(h: int, w: int) -> np.ndarray:
    """B = x, G = y, R = 0: where a crop came from can be read off its pixels."""
    yy, xx = np.mgrid[0:h, 0:w]
    return np.stack([xx, yy, np.zeros_like(xx)], -1).astype(np.uint8)


# --- options ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"data_shape": (3, 0, 10)}, "positive sizes"),
        ({"data_shape": (2, 10, 10)}, "1, 3 or 4 channels"),
        ({"resize": 0}, "resize must be -1"),
        ({"inter_method": 5}, "invalid inter_method 5"),
        ({"pad": -1}, "pad must be >= 0"),
        ({"brightness": -0.1}, "brightness must be >= 0"),
        ({"max_crop_size": 20}, "must both be set"),
        ({"min_crop_size": 30, "max_crop_size": 20}, "min_crop_size <= max_crop_size"),
        ({"random_resized_crop": True, "rand_crop": True}, "conflicts with"),
        ({"random_resized_crop": True, "max_random_scale": 1.2}, "conflicts with"),
        ({"random_resized_crop": True, "min_random_area": 0.5, "max_random_area": 0.3}, "area"),
        ({"random_resized_crop": True, "min_aspect_ratio": 2.0, "max_aspect_ratio": 1.0}, "exceed"),
        ({"random_resized_crop": True, "max_aspect_ratio": 1.5}, "positive aspect ratio"),
        ({"data_shape": (1, 8, 8), "random_l": 5}, "3 channels"),
        ({"data_shape": (4, 8, 8), "saturation": 0.5}, "3 channels"),
        ({"max_shear_ratio": float("nan")}, "finite"),
    ],
)
def test_invalid_options(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DefaultAugOptions(**kwargs)


def test_defaults_are_mxnets() -> None:
    o = DefaultAugOptions()
    assert (o.resize, o.inter_method, o.fill_value, o.rotate, o.max_img_size) == (
        -1,
        1,
        255,
        -1,
        1e10,
    )
    assert o.aspect_range == (1.0, 1.0)
    assert not (o.affine_enabled or o.rrc_attempted or o.color_enabled)


def test_aspect_range_and_affine_condition() -> None:
    o = DefaultAugOptions(max_aspect_ratio=0.25)
    assert o.aspect_range == (0.75, 1.25) and o.affine_enabled
    o = DefaultAugOptions(min_aspect_ratio=0.5, max_aspect_ratio=2.0)
    assert o.aspect_range == (0.5, 2.0) and o.affine_enabled
    # with random_resized_crop the aspect belongs to the crop, not to the affine step
    o = DefaultAugOptions(random_resized_crop=True, max_aspect_ratio=0.25)
    assert o.rrc_attempted and not o.affine_enabled
    assert not DefaultAugOptions(random_resized_crop=True).rrc_attempted
    affine: list[dict[str, Any]] = [
        {"rotate": 1},
        {"max_rotate_angle": 1},
        {"min_random_scale": 0.9},
        {"max_img_size": 500},
        {"min_img_size": 1},
    ]
    for kwargs in affine:
        assert DefaultAugOptions(**kwargs).affine_enabled


# --- geometry --------------------------------------------------------------------------------


def test_resize_sizes_like_mxnet() -> None:
    """Shorter side to resize, longer side resize * long // short (a square is 'landscape')."""
    aug = augmenter(resize=100, data_shape=(3, 50, 50))
    rng = np.random.default_rng(0)
    assert aug.draw(rng, 375, 500).resize == (133, 100, 1)
    assert aug.draw(rng, 500, 375).resize == (100, 133, 1)
    assert aug.draw(rng, 77, 77).resize == (100, 100, 1)
    assert aug.draw(rng, 3, 1000).resize == (33333, 100, 1)


def test_centre_crop_integer_halves() -> None:
    aug = augmenter(data_shape=(3, 10, 20))
    out = aug(ramp(25, 45), np.random.default_rng(0))
    assert out.shape == (10, 20, 3)
    assert (out[0, 0, 0], out[0, 0, 1]) == (12, 7)  # x = (45 - 20) // 2, y = (25 - 10) // 2


def test_plain_crop_is_a_view() -> None:
    img = image(40, 50)
    out = augmenter(data_shape=(3, 30, 30), rand_crop=True)(img, np.random.default_rng(1))
    assert np.shares_memory(out, img)


@settings(max_examples=150, deadline=None)
@given(
    st.integers(8, 300),
    st.integers(8, 300),
    st.sampled_from([None, 1, 3, 4]),
    st.sampled_from([cv2.INTER_NEAREST, cv2.INTER_LINEAR, cv2.INTER_CUBIC, cv2.INTER_AREA]),
    st.integers(0, 2**32 - 1),
)
def test_resize_window_is_the_window_of_the_whole_resize(
    h: int, w: int, channels: int | None, interpolation: int, seed: int
) -> None:
    """Resizing only the part of the source a crop window needs gives that window of the
    whole resize pixel for pixel: shrinking, enlarging, exact halves, any window."""
    rng = np.random.default_rng(seed)
    img = image(h, w, channels, seed=seed % 5)
    if rng.random() < 0.2:
        width, height = max(1, w // 2), max(1, h // 2)
    else:
        width, height = (int(v) for v in rng.integers(4, 400, size=2))
    cw, ch = int(rng.integers(1, width + 1)), int(rng.integers(1, height + 1))
    x, y = int(rng.integers(0, width - cw + 1)), int(rng.integers(0, height - ch + 1))
    want = ops.resize(img, width, height, interpolation)[y : y + ch, x : x + cw]
    got = ops.resize_window(img, width, height, interpolation, x, y, cw, ch)
    np.testing.assert_array_equal(got, want)


def test_rand_crop_covers_every_position_uniformly() -> None:
    aug = augmenter(data_shape=(3, 10, 10), rand_crop=True)
    rng = np.random.default_rng(2)
    xs = np.array([aug.draw(rng, 15, 14).crop.x for _ in range(5000)])
    counts = np.bincount(xs, minlength=5)
    assert len(counts) == 5 and counts.min() > 850  # 1000 expected each


def test_pad_and_fill() -> None:
    img = np.full((6, 8, 3), 9, np.uint8)
    out = augmenter(data_shape=(3, 10, 12), pad=2, fill_value=200)(img, np.random.default_rng(0))
    assert out.shape == (10, 12, 3)
    assert (out[:2] == 200).all() and (out[2:8, 2:10] == 9).all()


def test_small_image_resized_up_keeping_aspect() -> None:
    aug = augmenter(data_shape=(3, 60, 50))
    p = aug.draw(np.random.default_rng(0), 30, 40)
    assert p.upscale == ((80, 60, 1),)  # height to 60, width 60 / 30 * 40
    assert p.crop == (15, 0, 50, 60)
    p = aug.draw(np.random.default_rng(0), 60, 20)  # too narrow: width to 50, height 150
    assert p.upscale == ((50, 150, 1),) and p.crop == (0, 45, 50, 60)
    out = aug(image(30, 40), np.random.default_rng(0))
    assert out.shape == (60, 50, 3)


def test_crop_size_too_big_for_the_image() -> None:
    aug = augmenter(data_shape=(3, 8, 8), min_crop_size=10, max_crop_size=30)
    with pytest.raises(ValueError, match=r"smaller than max_crop_size: the image is 40x20"):
        aug(image(20, 40), np.random.default_rng(0))


def test_crop_size_square_then_resized() -> None:
    aug = augmenter(data_shape=(3, 16, 16), min_crop_size=20, max_crop_size=30, rand_crop=True)
    rng = np.random.default_rng(3)
    for _ in range(200):
        p = aug.draw(rng, 40, 50)
        assert 20 <= p.crop.width == p.crop.height <= 30
        assert p.crop.x + p.crop.width <= 50 and p.crop.y + p.crop.height <= 40
        assert p.crop_resize == (16, 16, 1)


def test_random_resized_crop_in_range() -> None:
    aug = augmenter(data_shape=(3, 32, 32), random_resized_crop=True, min_random_area=0.2,
                    max_random_area=0.8, min_aspect_ratio=0.5, max_aspect_ratio=2.0)  # fmt: skip
    rng = np.random.default_rng(4)
    areas, aspects = [], []
    for _ in range(2000):
        c = aug.draw(rng, 100, 100).crop
        assert c.x + c.width <= 100 and c.y + c.height <= 100
        areas.append(c.width * c.height / 10000)
        aspects.append(c.width / c.height)
    assert min(areas) >= 0.19 and max(areas) <= 0.81
    assert min(aspects) >= 0.45 and max(aspects) <= 2.2
    assert np.mean(np.array(aspects) > 1) == pytest.approx(0.5, abs=0.04)  # the 50% swap


def test_random_resized_crop_falls_back_to_centre() -> None:
    aug = augmenter(data_shape=(3, 20, 20), random_resized_crop=True, min_random_area=1.0,
                    max_random_area=1.0, min_aspect_ratio=3.0, max_aspect_ratio=4.0)  # fmt: skip
    p = aug.draw(np.random.default_rng(0), 30, 40)
    assert p.crop == (10, 5, 20, 20) and p.crop_resize is None


def test_fixed_rotation_matrix() -> None:
    """rotate=30 on a w x h image: M = [[cos, sin, tx], [-sin, cos, ty]], centre kept."""
    p = augmenter(data_shape=(3, 40, 60), rotate=30).draw(np.random.default_rng(0), 50, 80)
    assert p.affine is not None
    m = np.array(p.affine.matrix).reshape(2, 3)
    c, s = np.cos(np.pi / 6), np.sin(np.pi / 6)
    np.testing.assert_allclose(m[:, :2], [[c, s], [-s, c]], atol=1e-6)
    np.testing.assert_allclose(m @ [40, 25, 1], [40, 25], atol=1e-4)
    assert (p.affine.width, p.affine.height) == (80, 50)


def test_rotation_angles_are_integers_in_range() -> None:
    aug = augmenter(data_shape=(3, 20, 20), max_rotate_angle=10)
    rng = np.random.default_rng(5)
    angles = set()
    for _ in range(2000):
        m = aug.draw(rng, 30, 30).affine
        assert m is not None
        angles.add(round(float(np.degrees(np.arctan2(m.matrix[1], m.matrix[0])))))
    assert angles == set(range(-10, 11))


def test_rotate_list() -> None:
    aug = DefaultAugmenter(DefaultAugOptions(data_shape=(3, 20, 20)), rotate_list=(90, -90))
    rng = np.random.default_rng(6)
    sines = {round(aug.draw(rng, 30, 30).affine.matrix[1]) for _ in range(100)}  # type: ignore[union-attr]
    assert sines == {1, -1}


def test_img_size_limits_clamp_the_affine_output() -> None:
    aug = augmenter(data_shape=(3, 20, 20), min_random_scale=0.5, max_random_scale=2.0,
                    min_img_size=40, max_img_size=60)  # fmt: skip
    rng = np.random.default_rng(7)
    for _ in range(100):
        m = aug.draw(rng, 50, 50).affine
        assert m is not None and 40 <= m.width <= 60 and 40 <= m.height <= 60


def test_inter_method_auto_and_random() -> None:
    rng = np.random.default_rng(8)
    auto = augmenter(data_shape=(3, 8, 8), resize=100, inter_method=9)
    assert auto.draw(rng, 50, 60).resize == (120, 100, 2)  # both grow: cubic
    assert auto.draw(rng, 200, 300).resize == (150, 100, 3)  # both shrink: area
    assert auto.draw(rng, 100, 300).resize == (300, 100, 1)  # neither: linear
    rand = augmenter(data_shape=(3, 8, 8), resize=100, inter_method=10)
    methods = [rand.draw(rng, 50, 60).resize.interpolation for _ in range(2000)]  # type: ignore[union-attr]
    assert np.bincount(methods).min() > 320 and len(np.bincount(methods)) == 5


# --- colour --------------------------------------------------------------------------------


def test_jitter_factors_and_order() -> None:
    aug = augmenter(data_shape=(3, 8, 8), brightness=0.3, contrast=0.2, saturation=0.1)
    rng = np.random.default_rng(9)
    orders = set()
    for _ in range(600):
        j = aug.draw(rng, 8, 8).jitter
        assert j is not None
        assert 0.7 <= j.brightness <= 1.3 and 0.8 <= j.contrast <= 1.2
        assert 0.9 <= j.saturation <= 1.1
        orders.add(j.order)
    assert len(orders) == 6


def test_hsl_offsets_range_and_shape() -> None:
    """MXNet's offsets: int((c1 + 4 c2) / 5 * 2r - r), trapezoidal on [-r, r]."""
    aug = augmenter(data_shape=(3, 8, 8), random_h=10, random_s=0, random_l=100)
    rng = np.random.default_rng(10)
    hsl = np.array([aug.draw(rng, 8, 8).hsl for _ in range(20000)])
    assert np.abs(hsl[:, 0]).max() <= 10 and (hsl[:, 1] == 0).all()
    l = hsl[:, 2]  # noqa: E741
    assert l.min() >= -100 and l.max() <= 100
    # u = 0.2 c1 + 0.8 c2 has density 1.25 on [0.2, 0.8]: P(|l| < 50) = P(0.25 < u < 0.75)
    assert np.mean(np.abs(l) < 50) == pytest.approx(0.625, abs=0.02)  # 0.5 if uniform


def test_colour_ops_need_three_channels() -> None:
    aug = augmenter(data_shape=(3, 8, 8), brightness=0.3)
    with pytest.raises(ValueError, match="3-channel"):
        aug(image(8, 8, 4), np.random.default_rng(0))


def test_jitter_identity_and_brightness() -> None:
    img = image(10, 12)
    assert ops.jitter(img, 1.0, 1.0, 1.0, (0, 1, 2)) is img
    out = ops.jitter(img, 1.5, 1.0, 1.0, (2, 0, 1))
    np.testing.assert_array_equal(out, np.clip(np.rint(img * np.float32(1.5)), 0, 255))


def test_contrast_pulls_towards_the_gray_mean() -> None:
    img = image(20, 20)
    out = ops.jitter(img, 1.0, 0.0, 1.0, (1, 0, 2))
    assert np.ptp(out) == 0  # contrast factor 0: every value is the mean
    assert out[0, 0, 0] == round(float(ops.gray_rgb2gray(img).mean()))


def test_gray_is_opencv_34_rgb2gray() -> None:
    img = np.random.default_rng(11).integers(0, 256, (300, 200, 3), dtype=np.uint8)
    c = img.astype(np.int64)
    want = (4899 * c[..., 0] + 9617 * c[..., 1] + 1868 * c[..., 2] + 8192) >> 14
    np.testing.assert_array_equal(ops.gray_rgb2gray(img), want)


def test_hsl_shift_lightness_on_gray() -> None:
    img = np.full((4, 4, 3), 100, np.uint8)
    np.testing.assert_array_equal(ops.hsl_shift(img, 0, 0, 30), 130)
    np.testing.assert_array_equal(ops.hsl_shift(img, 0, 0, 200), 255)


def test_pca_deltas_and_shift() -> None:
    b, g, r = ops.pca_deltas([1.0, 0.0, 0.0])
    np.testing.assert_allclose([r, g, b], np.array([-0.5675, -0.5808, -0.5836]) * 55.46, rtol=1e-6)
    img = np.full((2, 2, 3), 100, np.uint8)
    out = ops.pca_shift(img, (-0.5, 2.7, -200.0))
    assert out[0, 0].tolist() == [99, 102, 0]  # trunc(100 - 0.5) = 99, clipped at 0


# --- the API ---------------------------------------------------------------------------------


OPTION_SETS: list[dict[str, Any]] = [
    {},
    {"resize": 40, "rand_crop": True},
    {"resize": 40, "inter_method": 10, "rand_crop": True},
    {"pad": 3, "fill_value": 0, "rand_crop": True},
    {"min_crop_size": 10, "max_crop_size": 20, "rand_crop": True},
    {"random_resized_crop": True, "min_random_area": 0.1, "max_aspect_ratio": 0.3},
    {
        "max_rotate_angle": 30,
        "max_shear_ratio": 0.2,
        "max_random_scale": 1.5,
        "min_random_scale": 0.5,
        "max_aspect_ratio": 0.3,
        "rand_crop": True,
    },
    {"rotate": 45, "pad": 2},
    {"brightness": 0.5, "contrast": 0.5, "saturation": 0.5, "pca_noise": 0.2},
    {"random_h": 20, "random_s": 20, "random_l": 20},
]


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(OPTION_SETS),
    st.integers(1, 80),
    st.integers(1, 80),
    st.integers(8, 40),
    st.integers(8, 40),
    st.integers(0, 2**32 - 1),
)
def test_output_always_has_data_shape(
    kwargs: dict[str, Any], h: int, w: int, out_h: int, out_w: int, seed: int
) -> None:
    kwargs = {**kwargs, "data_shape": (3, out_h, out_w)}
    if "max_crop_size" in kwargs:
        side = min(h, w) + 2 * kwargs.get("pad", 0)
        kwargs["max_crop_size"] = max(1, min(kwargs["max_crop_size"], side))
        kwargs["min_crop_size"] = min(kwargs["min_crop_size"], kwargs["max_crop_size"])
    aug = augmenter(**kwargs)
    img = image(h, w, seed=seed % 7)
    before = img.copy()
    out = aug(img, np.random.default_rng(seed))
    assert out.shape == (out_h, out_w, 3) and out.dtype == np.uint8
    np.testing.assert_array_equal(img, before)  # the input is never written


@pytest.mark.parametrize("channels", [None, 1, 4])
def test_channels_are_kept(channels: int | None) -> None:
    c = 1 if channels is None else channels
    for kwargs in OPTION_SETS[:8]:
        aug = augmenter(**{**kwargs, "data_shape": (c, 24, 28)})
        out = aug(image(30, 40, channels), np.random.default_rng(0))
        assert out.shape == ((24, 28) if channels is None else (24, 28, channels))


def test_draw_then_apply_is_repeatable() -> None:
    aug = augmenter(**{**OPTION_SETS[6], "data_shape": (3, 20, 20)}, brightness=0.3)
    img = image(40, 50)
    p = aug.draw(np.random.default_rng(12), 40, 50)
    assert isinstance(p, AugParams)
    np.testing.assert_array_equal(aug.apply(img, p), aug.apply(img, p))
    a = aug(img, np.random.default_rng(13))
    b = aug(img, np.random.default_rng(13))
    np.testing.assert_array_equal(a, b)
    with pytest.raises(AttributeError):
        p.pad = 3  # type: ignore[misc]


def test_apply_checks_the_image_size() -> None:
    aug = augmenter(data_shape=(3, 10, 10))
    p = aug.draw(np.random.default_rng(0), 20, 30)
    with pytest.raises(ValueError, match="drawn for 30x20"):
        aug.apply(image(21, 30), p)


def test_decode_scale_hint() -> None:
    aug = augmenter(resize=256, data_shape=(3, 224, 224), rand_crop=True)
    assert aug.decode_scale_hint(600, 800) == pytest.approx(256 / 600)
    assert aug.decode_scale_hint(200, 300) == 1.0
    assert augmenter(data_shape=(3, 224, 224)).decode_scale_hint(600, 800) == 1.0


def test_reduced_decode_gives_the_same_geometry() -> None:
    """Draw with the full size, apply to an image decoded at half size: same crop, close pixels."""
    aug = augmenter(resize=64, data_shape=(3, 56, 56), rand_crop=True)
    full = image(150, 200)
    half = cv2.resize(full, (100, 75), interpolation=cv2.INTER_AREA)
    assert aug.decode_scale_hint(150, 200) <= 0.5
    p = aug.draw(np.random.default_rng(14), 150, 200)
    a = aug.apply(full, p).astype(float)
    b = aug.apply(half, p).astype(float)
    assert a.shape == b.shape == (56, 56, 3)
    assert np.abs(a - b).mean() < 3
