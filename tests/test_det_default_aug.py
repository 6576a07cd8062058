"""The detection augmenter (det_aug_default): box kernels, options, draws, pixels and boxes."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from recio._image import det_default_aug_ops as ops
from recio._image.det_default_aug import DetAugmenter, DetAugOptions, DetAugParams
from recio._image.det_default_aug_ops import CropRule, Window

NO_RULE = CropRule(0.0, 1.0, 0.0, 1.0, 0.0, 1.0)
PALETTE = [(0, 0, 255), (0, 255, 0), (255, 0, 0), (0, 255, 255), (255, 0, 255), (255, 255, 0)]


def picture(rng: np.random.Generator, height: int, width: int, count: int):
    """A BGR picture of `count` non-overlapping filled rectangles of distinct classes on a
    noisy gray background; returns (image, objects (n, 5): cls, normalised box)."""
    img = rng.integers(40, 70, (height, width, 1), dtype=np.uint8).repeat(3, axis=2)
    taken: list[tuple[int, int, int, int]] = []
    objects = []
    for cls in rng.permutation(len(PALETTE))[:count]:
        for _ in range(100):
            w, h = (
                int(v) for v in rng.integers([width // 8, height // 8], [width // 2, height // 2])
            )
            x, y = int(rng.integers(0, width - w)), int(rng.integers(0, height - h))
            if all(x + w + 4 <= a or a + c + 4 <= x or y + h + 4 <= b or b + d + 4 <= y
                   for a, b, c, d in taken):  # fmt: skip
                break
        else:
            continue
        taken.append((x, y, w, h))
        img[y : y + h, x : x + w] = PALETTE[cls]
        objects.append([cls, x / width, y / height, (x + w) / width, (y + h) / height])
    return img, np.array(objects, np.float32).reshape(-1, 5)


def assert_frames(img: np.ndarray, objects: np.ndarray, tol: float = 2.0) -> int:
    """Every box of `objects` (normalised to `img`, BGR) frames the pixels of its class's
    colour; returns how many boxes were checked."""
    h, w = img.shape[:2]
    checked = 0
    for cls, x0, y0, x1, y1 in objects[:, :5].tolist():
        box = np.array([x0 * w, y0 * h, x1 * w, y1 * h])
        if box[2] - box[0] < 3 or box[3] - box[1] < 3:
            continue  # a sliver: its pixels are all edge blends
        mask = (np.abs(img.astype(int) - PALETTE[int(cls)]) <= 60).all(axis=2)
        ys, xs = np.nonzero(mask)
        assert xs.size, f"class {cls}: box {box} frames no pixel of its object"
        seen = np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1])
        assert np.abs(seen - box).max() <= tol, f"class {cls}: box {box}, object at {seen}"
        checked += 1
    return checked


def augmenter(fast: bool = True, **kw: object) -> DetAugmenter:
    kw.setdefault("data_shape", (3, 96, 128))
    return DetAugmenter(DetAugOptions(**kw), fast=fast)  # type: ignore[arg-type]


def boxes_of(objects: np.ndarray) -> list[tuple[float, float, float, float]]:
    return [tuple(b) for b in objects[:, 1:5].tolist()]


# -- box kernels ------------------------------------------------------------------------


def test_flip_and_project() -> None:
    assert ops.flip([(0.1, 0.2, 0.4, 0.5)]) == [pytest.approx((0.6, 0.2, 0.9, 0.5))]
    # a crop of the right half: the box is clamped at the crop's left edge
    got = ops.project([(0.25, 0.0, 0.75, 1.0)], (0.5, 0.0, 0.5, 1.0))
    assert got == [pytest.approx((0.0, 0.0, 0.5, 1.0))]
    # padding to twice the size, image in the middle
    got = ops.project([(0.0, 0.0, 1.0, 1.0)], (-0.5, -0.5, 2.0, 2.0))
    assert got == [pytest.approx((0.25, 0.25, 0.75, 0.75))]


def test_emit_center_uses_half_open_rect() -> None:
    boxes = [(0.0, 0.0, 0.2, 0.2), (0.4, 0.4, 0.6, 0.6), (0.5, 0.5, 0.7, 0.7)]
    # centres 0.1, 0.5, 0.6: a crop [0.1, 0.6) keeps the first two only
    assert ops.emit(boxes, (0.1, 0.1, 0.5, 0.5), "center", 0.3) == [0, 1]


def test_emit_overlap_threshold() -> None:
    boxes = [(0.0, 0.0, 1.0, 1.0), (0.0, 0.0, 0.2, 1.0)]
    # the crop holds 50% of the first box and 25% of the second
    assert ops.emit(boxes, (0.15, 0.0, 0.5, 1.0), "overlap", 0.3) == [0]
    assert ops.emit(boxes, (0.15, 0.0, 0.5, 1.0), "overlap", 0.2) == [0, 1]


def test_crop_fits_rules() -> None:
    boxes = [(0.0, 0.0, 0.5, 0.5)]
    crop = (0.0, 0.0, 0.5, 0.5)  # IoU 1, both coverages 1
    assert ops.crop_fits(boxes, crop, NO_RULE)
    assert ops.crop_fits(boxes, crop, CropRule(0.9, 1.0, 0.0, 1.0, 0.0, 1.0))
    assert not ops.crop_fits(boxes, (0.5, 0.5, 0.5, 0.5), CropRule(0.1, 1.0, 0, 1, 0, 1))
    # a crop holding a quarter of the box: object coverage 0.25
    quarter = (0.25, 0.25, 0.5, 0.5)
    assert ops.crop_fits(boxes, quarter, CropRule(0.0, 1.0, 0.0, 1.0, 0.2, 0.3))
    assert not ops.crop_fits(boxes, quarter, CropRule(0.0, 1.0, 0.0, 1.0, 0.3, 1.0))
    # sample coverage: intersection / crop area = 0.25
    assert not ops.crop_fits(boxes, quarter, CropRule(0.0, 1.0, 0.5, 1.0, 0.0, 1.0))
    # an image without objects takes any crop
    assert ops.crop_fits([], quarter, CropRule(0.9, 1.0, 0.9, 1.0, 0.9, 1.0))


# -- options ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"min_crop_scales": (0.1, 0.2)}, "num_crop_sampler is 1"),
        ({"num_crop_sampler": 2, "min_crop_scales": (0.1, 0.2, 0.3)}, "num_crop_sampler is 2"),
        ({"min_crop_scales": (0.5,), "max_crop_scales": (0.5,)}, "must be > min_crop_scales"),
        ({"max_crop_scales": (1.5,)}, "must be <= 1"),
        ({"min_crop_aspect_ratios": (2.0,), "max_crop_aspect_ratios": (1.0,)}, "aspect"),
        ({"min_crop_overlaps": (0.6,), "max_crop_overlaps": (0.5,)}, "max_crop_overlaps"),
        ({"emit_overlap_thresh": -1.0}, "emit_overlap_thresh"),
        ({"inter_method": 5}, "inter_method"),
        ({"data_shape": (1, 8, 8), "random_hue_prob": 0.5}, "3 channels"),
        ({"resize": 0}, "resize"),
        ({"rand_pad_prob": math.nan}, "finite"),
    ],
)
def test_invalid_options(kw: dict[str, object], message: str) -> None:
    kw.setdefault("data_shape", (3, 8, 8))
    with pytest.raises(ValueError, match=message):
        DetAugOptions(**kw)  # type: ignore[arg-type]


def test_sampler_values_broadcast() -> None:
    o = DetAugOptions(data_shape=(3, 8, 8), num_crop_sampler=3,
                      min_crop_overlaps=(0.1, 0.3, 0.5), max_crop_trials=(7,))  # fmt: skip
    assert [s.rule.min_overlap for s in o.samplers] == [0.1, 0.3, 0.5]
    assert [s.max_trials for s in o.samplers] == [7, 7, 7]
    assert DetAugOptions(data_shape=(3, 8, 8), num_crop_sampler=0).samplers == ()


# -- draws ------------------------------------------------------------------------------


def test_no_augmentation_is_a_plain_resize() -> None:
    aug = augmenter()
    p = aug.draw(np.random.default_rng(0), 60, 80, [(0.1, 0.1, 0.5, 0.5)])
    assert p == DetAugParams((60, 80), (60, 80), Window(0, 0, 80, 60), (128, 96), 1)


@pytest.mark.parametrize(
    ("mode", "size", "expected"),
    [
        ("force", (60, 80), (128, 96)),
        ("shrink", (60, 80), (80, 60)),  # small enough: kept
        ("shrink", (200, 100), (48, 96)),
        ("fit", (60, 80), (128, 96)),
        ("fit", (100, 98), (94, 96)),  # float32: 0.96 * 98 = 94.08
    ],
)
def test_resize_modes(mode: str, size: tuple[int, int], expected: tuple[int, int]) -> None:
    aug = augmenter(resize_mode=mode)
    p = aug.draw(np.random.default_rng(0), *size, [])
    assert p.out_size == expected


def test_resize_step_sizes() -> None:
    aug = augmenter(resize=50)
    p = aug.draw(np.random.default_rng(0), 100, 175, [])
    assert p.resize is not None and (p.resize.width, p.resize.height) == (87, 50)
    assert p.base == (50, 87)


def test_crop_scale_and_aspect_stay_in_range() -> None:
    aug = augmenter(rand_crop_prob=1.0, min_crop_scales=(0.3,), max_crop_scales=(0.9,),
                    min_crop_aspect_ratios=(0.5,), max_crop_aspect_ratios=(2.0,))  # fmt: skip
    rng = np.random.default_rng(1)
    scales, aspects = [], []
    for _ in range(2000):
        p = aug.draw(rng, 300, 400, [(0.0, 0.0, 1.0, 1.0)])
        w, h = p.window.width, p.window.height
        scales.append(math.sqrt(w * h / (300 * 400)))
        aspects.append(w / h)
    scales_a, aspects_a = np.array(scales), np.array(aspects)
    assert scales_a.min() >= 0.3 - 0.01 and scales_a.max() <= 0.9 + 0.001
    assert aspects_a.min() >= 0.5 - 0.02 and aspects_a.max() <= 2.0 + 0.02
    # the draws cover the ranges
    assert scales_a.min() < 0.35 and scales_a.max() > 0.85
    assert aspects_a.min() < 0.6 and aspects_a.max() > 1.8


def test_crop_rules_are_met_or_no_crop() -> None:
    aug = augmenter(rand_crop_prob=1.0, min_crop_scales=(0.3,), min_crop_overlaps=(0.5,),
                    max_crop_trials=(50,))  # fmt: skip
    boxes = [(0.1, 0.1, 0.4, 0.5), (0.6, 0.5, 0.9, 0.9)]
    rng = np.random.default_rng(2)
    cropped = 0
    for _ in range(300):
        p = aug.draw(rng, 200, 200, boxes)
        if p.crop_rect is None:
            continue
        cropped += 1
        x, y, w, h = p.crop_rect
        ious = []
        for b in boxes:
            iw = min(b[2], x + w) - max(b[0], x)
            ih = min(b[3], y + h) - max(b[1], y)
            inter = max(iw, 0) * max(ih, 0)
            ious.append(inter / (w * h + (b[2] - b[0]) * (b[3] - b[1]) - inter))
        assert max(ious) >= 0.5
    assert cropped > 100


def test_failed_crops_leave_the_image_whole() -> None:
    # an IoU above 0.99 with a small box cannot be met by a crop of scale >= 0.5
    aug = augmenter(rand_crop_prob=1.0, min_crop_scales=(0.5,), min_crop_overlaps=(0.99,))
    p = aug.draw(np.random.default_rng(3), 100, 100, [(0.1, 0.1, 0.2, 0.2)])
    assert p.crop_rect is None and p.window == Window(0, 0, 100, 100)


def test_pad_geometry() -> None:
    aug = augmenter(rand_pad_prob=1.0, max_pad_scale=3.0)
    rng = np.random.default_rng(4)
    padded = 0
    for _ in range(200):
        p = aug.draw(rng, 50, 80, [])
        if p.pad_rect is None:
            continue
        padded += 1
        w = p.window
        assert w.x <= 0 and w.y <= 0 and w.x + w.width >= 80 and w.y + w.height >= 50
        assert w.width / 80 <= 3.0 + 1e-9 and w.height / 50 <= 3.0 + 1e-9
    assert padded > 150  # scales below 1.05 do not pad


def test_draws_are_a_function_of_the_generator() -> None:
    aug = augmenter(rand_crop_prob=0.7, rand_pad_prob=0.5, max_pad_scale=2.0,
                    rand_mirror_prob=0.5, inter_method=10, random_hue_prob=0.5,
                    max_random_hue=20)  # fmt: skip
    boxes = [(0.2, 0.2, 0.6, 0.7)]
    a = [aug.draw(np.random.default_rng(9), 90, 120, boxes) for _ in range(2)]
    assert a[0] == a[1]


def test_colour_draws_follow_probabilities() -> None:
    aug = augmenter(max_random_hue=18, random_hue_prob=1.0, max_random_contrast=0.5,
                    random_contrast_prob=0.0)  # fmt: skip
    rng = np.random.default_rng(5)
    jitters = [aug.draw(rng, 20, 20, []).jitter for _ in range(300)]
    hues = [j[0] for j in jitters if j is not None]
    assert all(j is None or (j[1], j[2], j[3]) == (0, 0, 0.0) for j in jitters)
    assert min(hues) >= -18 and max(hues) <= 18 and len(set(hues)) > 20


# -- pixels and boxes together -------------------------------------------------------------


@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("mode", ["force", "fit", "shrink"])
def test_boxes_frame_their_objects(fast: bool, mode: str) -> None:
    aug = augmenter(fast=fast, resize_mode=mode, rand_crop_prob=0.8, rand_pad_prob=0.5,
                    max_pad_scale=2.5, rand_mirror_prob=0.5, min_crop_scales=(0.3,),
                    min_crop_aspect_ratios=(0.5,), max_crop_aspect_ratios=(2.0,),
                    min_crop_overlaps=(0.1,), inter_method=1)  # fmt: skip
    rng = np.random.default_rng(6)
    checked = 0
    header = np.array([2, 5], np.float32)
    for _ in range(60):
        img, objects = picture(rng, int(rng.integers(80, 160)), int(rng.integers(80, 160)), 3)
        p = aug.draw(rng, *img.shape[:2], boxes_of(objects))
        out = np.ascontiguousarray(aug.apply(img, p))
        assert out.shape[1::-1] == p.out_size
        flat = aug.transform_label(header, objects, p)
        checked += assert_frames(out, flat[2:].reshape(-1, 5))
    assert checked > 80


def test_reduced_decode_gives_the_same_geometry() -> None:
    aug = augmenter(rand_pad_prob=1.0, max_pad_scale=4.0, data_shape=(3, 60, 60))
    rng = np.random.default_rng(7)
    img, objects = picture(rng, 240, 320, 3)
    for _ in range(20):
        p = aug.draw(rng, 240, 320, boxes_of(objects))
        if aug.decode_scale_hint(p) > 0.5:
            continue
        full = aug.apply(img, p).astype(int)
        small = cv2.resize(img, (160, 120), interpolation=cv2.INTER_AREA)
        half = aug.apply(small, p).astype(int)
        assert np.abs(full - half).mean() < 6
        flat = aug.transform_label(np.array([2, 5], np.float32), objects, p)
        assert_frames(np.ascontiguousarray(half.astype(np.uint8)), flat[2:].reshape(-1, 5))
        return
    pytest.fail("no draw allowed a half-scale decode")


def test_exact_mode_is_mxnet_steps() -> None:
    """Exact mode: crop, copyMakeBorder, resize; mirror flips the result."""
    aug = augmenter(fast=False)
    rng = np.random.default_rng(8)
    img = rng.integers(0, 255, (40, 50, 3), dtype=np.uint8)
    p = DetAugParams((40, 50), (40, 50), Window(-10, 5, 70, 30), (35, 15), 1, mirror=True)
    got = aug.apply(img, p)
    canvas = cv2.copyMakeBorder(img, 0, 0, 10, 10, cv2.BORDER_CONSTANT, value=(127, 127, 127))
    want = cv2.resize(canvas[5:35, 0:70], (35, 15), interpolation=1)[:, ::-1]
    np.testing.assert_array_equal(got, want)


def test_fast_mode_close_to_exact_with_padding() -> None:
    rng = np.random.default_rng(10)
    img = cv2.GaussianBlur(rng.integers(0, 255, (80, 100, 3), dtype=np.uint8), (9, 9), 3)
    p = DetAugParams((80, 100), (80, 100), Window(-50, -40, 200, 160), (100, 80), 1)
    exact = augmenter(fast=False).apply(img, p).astype(int)
    fast = augmenter(fast=True).apply(img, p).astype(int)
    assert np.abs(exact - fast).mean() < 2


def test_window_of_padding_only() -> None:
    img = np.zeros((10, 10, 3), np.uint8)
    p = DetAugParams((10, 10), (10, 10), Window(20, 20, 10, 10), (4, 4), 1)
    for fast in (True, False):
        out = augmenter(fast=fast).apply(img, p)
        assert out.shape == (4, 4, 3) and (out == 127).all()


def test_transform_label_keeps_header_and_extras() -> None:
    aug = augmenter(rand_crop_prob=1.0, min_crop_scales=(0.5,), crop_emit_mode="center")
    header = np.array([3, 6, 42], np.float32)
    objects = np.array([[1, 0.1, 0.1, 0.3, 0.3, 7], [2, 0.6, 0.6, 0.9, 0.9, 8]], np.float32)
    for seed in range(40):
        p = aug.draw(np.random.default_rng(seed), 100, 100, boxes_of(objects))
        flat = aug.transform_label(header, objects, p)
        np.testing.assert_array_equal(flat[:3], header)
        kept = flat[3:].reshape(-1, 6)
        assert 1 <= len(kept) <= 2
        assert set(kept[:, 5].tolist()) <= {7.0, 8.0}
        assert (kept[:, 1:5] >= 0).all() and (kept[:, 1:5] <= 1).all()


def test_colour_kernel() -> None:
    img = np.array([[[10, 100, 200], [0, 128, 255]]], np.uint8)
    got = ops.colour(img, 0, 0, 0, 0.5)
    np.testing.assert_array_equal(got, np.clip(np.rint(img * np.float32(1.5)), 0, 255))
    assert ops.colour(img, 0, 0, 0, 0.0) is not img
    shifted = ops.colour(img, 10, 0, 0, 0.0)
    hls = cv2.cvtColor(img, cv2.COLOR_BGR2HLS).astype(int)
    back = cv2.cvtColor(shifted, cv2.COLOR_BGR2HLS).astype(int)
    assert abs(back[0, 0, 0] - min(hls[0, 0, 0] + 10, 180)) <= 2


def test_gray_and_alpha_images() -> None:
    gray = np.full((30, 40), 200, np.uint8)
    aug = augmenter(data_shape=(1, 16, 16), rand_pad_prob=1.0, max_pad_scale=2.0)
    p = aug.draw(np.random.default_rng(0), 30, 40, [])
    assert aug.apply(gray, p).shape == (16, 16)
    assert aug.apply(gray[:, :, None], p).shape == (16, 16, 1)
    bgra = np.full((30, 40, 4), 200, np.uint8)
    aug4 = augmenter(data_shape=(4, 16, 16), rand_pad_prob=1.0, max_pad_scale=3.0)
    for seed in range(10):
        p = aug4.draw(np.random.default_rng(seed), 30, 40, [])
        out = aug4.apply(bgra, p)
        assert out.shape == (16, 16, 4)
        if p.pad_rect is not None:
            assert out[0, 0, 3] == 0 or out[-1, -1, 3] == 0  # padding is transparent
