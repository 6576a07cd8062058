"""Detection augmenters (recio alone): box arithmetic, draw-then-apply, rules, CreateDetAugmenter.

MXNet's own behaviour is pinned in conformance/test_image_det_iter_conformance.py.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from recio._image import det_augmenters as D  # noqa: N812 - short, read as a namespace
from recio._image.augmenters import AugmenterArgumentError, CastAug, ForceResizeAug
from recio._io.image_det_iter import frame_errors, synthetic_detection_set

LABEL = np.array(
    [[0, 0.1, 0.2, 0.5, 0.6], [1, 0.6, 0.1, 0.9, 0.4], [2, 0.3, 0.7, 0.9, 1.0]], np.float32
)


def test_flip_label_mirrors_x() -> None:
    got = D.flip_label(LABEL)
    np.testing.assert_allclose(got[:, 1], 1 - LABEL[:, 3])
    np.testing.assert_allclose(got[:, 3], 1 - LABEL[:, 1])
    np.testing.assert_array_equal(got[:, [0, 2, 4]], LABEL[:, [0, 2, 4]])


def test_pad_label_maps_into_the_canvas() -> None:
    got = D.pad_label(LABEL, (10, 20, 200, 100), (50, 100, 3))
    np.testing.assert_allclose(got[0, 1:5], [(0.1 * 100 + 10) / 200, (0.2 * 50 + 20) / 100,
                                             (0.5 * 100 + 10) / 200, (0.6 * 50 + 20) / 100],
                               rtol=1e-6)  # fmt: skip


def test_crop_label_clips_and_ejects() -> None:
    # window: x 0-50 of 100, y 0-100 of 100: object 0 fully in, 1 out, 2 partly (1/3 kept)
    shape = (100, 100, 3)
    got = D.crop_label(LABEL, (0, 0, 50, 100), shape, min_eject_coverage=0.3)
    assert got is not None
    assert got[:, 0].tolist() == [0, 2]
    np.testing.assert_allclose(got[0, 1:5], [0.2, 0.2, 1.0, 0.6], rtol=1e-6)
    np.testing.assert_allclose(got[1, 1:5], [0.6, 0.7, 1.0, 1.0], rtol=1e-6)
    strict = D.crop_label(LABEL, (0, 0, 50, 100), shape, min_eject_coverage=0.9)
    assert strict is not None and strict[:, 0].tolist() == [0]
    assert D.crop_label(LABEL[1:2], (0, 0, 50, 100), shape, 0.3) is None


def picture(h: int = 40, w: int = 60) -> np.ndarray:
    img = np.zeros((h, w, 3), np.uint8)
    img[..., 0] = np.arange(w, dtype=np.uint8)[None, :]
    img[..., 1] = np.arange(h, dtype=np.uint8)[:, None]
    return img


@pytest.mark.parametrize(
    "aug",
    [
        D.DetHorizontalFlipAug(0.5),
        D.DetRandomCropAug(area_range=(0.1, 1.0), min_object_covered=0.0),
        D.DetRandomPadAug(area_range=(1.0, 4.0)),
        D.DetRandomSelectAug([D.DetRandomCropAug(), D.DetHorizontalFlipAug(1)], skip_prob=0.3),
        D.DetBorrowAug(ForceResizeAug((30, 20))),
    ],
    ids=lambda a: type(a).__name__,
)
def test_draw_then_apply_is_call_and_pure(aug: Any) -> None:
    for seed in range(20):
        src, label = picture(), LABEL.copy()
        params = aug.draw(np.random.default_rng(seed), src.shape, label)
        img1, lab1 = aug.apply(src, label, params)
        img2, lab2 = aug(src, label, rng=np.random.default_rng(seed))
        np.testing.assert_array_equal(img1, img2)
        np.testing.assert_array_equal(lab1, lab2)
        np.testing.assert_array_equal(src, picture())  # inputs untouched
        np.testing.assert_array_equal(label, LABEL)


def test_flip_moves_pixels_and_boxes_together() -> None:
    src = picture()
    img, lab = D.DetHorizontalFlipAug(1)(src, LABEL)
    np.testing.assert_array_equal(img, src[:, ::-1])
    np.testing.assert_allclose(lab, D.flip_label(LABEL))
    same, kept = D.DetHorizontalFlipAug(0)(src, LABEL)
    np.testing.assert_array_equal(same, src)
    assert kept is not None


def test_crop_windows_stay_in_range_and_cover_objects() -> None:
    aug = D.DetRandomCropAug(
        min_object_covered=0.5, aspect_ratio_range=(0.5, 2.0), area_range=(0.2, 0.8)
    )
    shape = (300, 400, 3)
    rng = np.random.default_rng(0)
    found = 0
    for _ in range(300):
        window = aug.draw(rng, shape, LABEL)
        if window is None:
            continue
        found += 1
        area = window.w * window.h / (300 * 400)
        assert 0.2 <= area <= 0.8
        # the ratio is drawn in range, then w is rounded from h: allow one pixel of rounding
        assert 0.5 - 1 / window.h <= window.w / window.h <= 2.0 + 1 / window.h
        assert 0 <= window.x <= 400 - window.w and 0 <= window.y <= 300 - window.h
        boxes = LABEL[:, 1:5] * [400, 300, 400, 300]
        left = np.maximum(boxes[:, 0], window.x)
        right = np.minimum(boxes[:, 2], window.x + window.w)
        top = np.maximum(boxes[:, 1], window.y)
        bottom = np.minimum(boxes[:, 3], window.y + window.h)
        inter = np.clip(right - left, 0, None) * np.clip(bottom - top, 0, None)
        cover = inter / ((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]))
        assert (cover[cover > 1e-5] > 0.5 - 1e-5).all()  # touching edges: float noise
    assert found > 100


def test_crop_gives_up_after_max_attempts() -> None:
    aug = D.DetRandomCropAug(min_object_covered=0.99, area_range=(0.05, 0.06), max_attempts=0)
    assert aug.draw(np.random.default_rng(0), (100, 100, 3), LABEL) is None
    img, lab = aug(picture(), LABEL, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(img, picture())
    assert lab is not None


def test_pad_places_the_image_on_a_filled_canvas() -> None:
    aug = D.DetRandomPadAug(area_range=(1.5, 3.0), pad_val=(1, 2, 3))
    src = picture()
    rng = np.random.default_rng(3)
    for _ in range(30):
        window = aug.draw(rng, src.shape, LABEL)
        assert window is not None
        assert 1.5 * 0.9 <= window.w * window.h / src[..., 0].size <= 3.0 * 1.1
        img, lab = aug.apply(src, LABEL, window)
        assert img.shape == (window.h, window.w, 3)
        np.testing.assert_array_equal(img[window.y : window.y + 40, window.x : window.x + 60], src)
        assert img[0, 0].tolist() == [1, 2, 3] or (window.x == 0 and window.y == 0)
        np.testing.assert_allclose(lab, D.pad_label(LABEL, window.box(), src.shape))


def test_pad_with_one_number_fills_the_first_channel_only() -> None:
    aug = D.DetRandomPadAug(pad_val=5)
    img, _ = aug.apply(picture(), LABEL, D.Window(0, 0, 70, 50))
    assert img[45, 65].tolist() == [5, 0, 0]


def test_select_skips_chooses_and_validates() -> None:
    flip = D.DetHorizontalFlipAug(1)
    src = picture()
    img, _ = D.DetRandomSelectAug([flip], skip_prob=1)(src, LABEL, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(img, src)
    img, _ = D.DetRandomSelectAug([flip], skip_prob=0)(src, LABEL, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(img, src[:, ::-1])
    img, _ = D.DetRandomSelectAug([])(src, LABEL)
    np.testing.assert_array_equal(img, src)
    with pytest.raises(ValueError, match="DetAugmenter in list only"):
        D.DetRandomSelectAug([CastAug()])
    with pytest.raises(TypeError, match="invalid Augmenter"):
        D.DetBorrowAug(lambda x: x)  # type: ignore[arg-type]


def test_select_with_a_generator_picks_every_child() -> None:
    augs = [D.DetHorizontalFlipAug(1), D.DetBorrowAug(ForceResizeAug((7, 5)))]
    select = D.DetRandomSelectAug(augs)
    rng = np.random.default_rng(1)
    shapes = {select(picture(), LABEL, rng=rng)[0].shape for _ in range(40)}
    assert shapes == {(40, 60, 3), (5, 7, 3)}
    assert select.aug_list == augs  # the list keeps its order


def test_invalid_ranges_raise_clear_errors() -> None:
    with pytest.raises(D.DetAugmenterArgumentError, match="area_range"):
        D.DetRandomCropAug(area_range=(0.5, 0.1))
    with pytest.raises(TypeError, match="aspect_ratio_range"):
        D.DetRandomCropAug(aspect_ratio_range=(0, 1))
    with pytest.raises(ValueError, match=r"max > 1\.0"):
        D.DetRandomPadAug(area_range=(1.0, 1.0))
    with pytest.raises(AugmenterArgumentError, match="aspect_ratio_range"):
        D.DetRandomCropAug(aspect_ratio_range=np.array([0.5, 1.0]))
    with pytest.raises(AugmenterArgumentError, match="has 2 values and another argument 3"):
        D.CreateMultiRandCropAugmenter(min_object_covered=[0.1, 0.2], area_range=[(0.1, 1)] * 3)
    with pytest.raises(D.DetAugmenterArgumentError, match="rand_pad"):
        D.CreateDetAugmenter((3, 30, 30), rand_crop=1, rand_pad=1, area_range=[(0.1, 1), (0.2, 2)])
    with pytest.raises(AugmenterArgumentError, match="mean"):
        D.CreateDetAugmenter((3, 30, 30), mean=[1, 2, 3])


def test_scalar_ranges_are_fixed_values() -> None:
    aug = D.DetRandomCropAug(aspect_ratio_range=1.0, area_range=0.25)
    assert aug.aspect_ratio_range == (1.0, 1.0) and aug.area_range == (0.25, 0.25)
    window = aug.draw(np.random.default_rng(0), (100, 100, 3), LABEL)
    assert window is not None and (window.w, window.h) == (50, 50)


def test_create_det_augmenter_lists_mxnets_steps() -> None:
    augs = D.CreateDetAugmenter(
        (3, 300, 300), resize=256, rand_crop=0.5, rand_pad=0.5, rand_mirror=True, mean=True,
        std=True, brightness=0.1, hue=0.1, pca_noise=0.1, rand_gray=0.1,
        min_object_covered=[0.1, 0.5, 0.9],
    )  # fmt: skip
    kinds = [
        a.dumps()[0] if isinstance(a.dumps(), list) else json.loads(a.dumps())[0] for a in augs
    ]
    assert kinds == [
        "detborrowaug", "detrandomselectaug", "dethorizontalflipaug", "detrandomselectaug",
        "detborrowaug", "detborrowaug", "detborrowaug", "detborrowaug", "detborrowaug",
        "detborrowaug", "detborrowaug",
    ]  # fmt: skip
    crops = augs[1]
    assert isinstance(crops, D.DetRandomSelectAug) and len(crops.aug_list) == 3
    assert [c.min_object_covered for c in crops.aug_list] == [0.1, 0.5, 0.9]
    assert crops.skip_prob == 0.5
    pad = augs[3].aug_list[0]
    assert pad.area_range == (1.0, 3.0) and pad.pad_val == (127, 127, 127)


def test_list_arguments_make_one_crop_each() -> None:
    select = D.CreateMultiRandCropAugmenter(aspect_ratio_range=[0.5, 2.0], max_attempts=[5, 9])
    assert [c.aspect_ratio_range for c in select.aug_list] == [(0.5, 0.5), (2.0, 2.0)]
    assert [c.max_attempts for c in select.aug_list] == [5, 9]


class SwapChannels(D.DetAugmenter):
    """An MXNet-style custom augmenter: overrides __call__(src, label) only."""

    def __call__(self, src: Any, label: Any) -> Any:  # type: ignore[override]
        return src[:, :, ::-1], label


def test_augment_detection_is_the_plain_loop() -> None:
    create = dict(rand_crop=1, rand_pad=0.5, rand_mirror=True, brightness=0.2, contrast=0.2)
    augs = [*D.CreateDetAugmenter((3, 32, 48), mean=True, **create), SwapChannels()]
    for seed in range(10):
        src = picture()
        fused = D.augment_detection(src, LABEL, augs, rng=np.random.default_rng(seed))
        rng = np.random.default_rng(seed)
        img, lab = src, LABEL
        for aug in augs:
            img, lab = (
                aug(img, lab, rng=rng) if not isinstance(aug, SwapChannels) else aug(img, lab)
            )
        np.testing.assert_allclose(fused[0], img, rtol=1e-5, atol=1e-4)
        np.testing.assert_array_equal(fused[1], lab)


@pytest.mark.parametrize("seed", range(3))
def test_boxes_frame_their_objects_after_crop_flip_pad(seed: int) -> None:
    geometry = [
        D.CreateMultiRandCropAugmenter(min_object_covered=[0.1, 0.5], area_range=(0.05, 1.0)),
        D.DetHorizontalFlipAug(0.5),
        D.DetRandomSelectAug([D.DetRandomPadAug(area_range=(1.0, 3.0))], 0.5),
    ]
    resize = D.DetBorrowAug(ForceResizeAug((128, 96), interp=1))
    rng = np.random.default_rng(seed)
    for image, label in synthetic_detection_set(40, (96, 128), seed=seed):
        assert frame_errors(image, label) == []
        img, lab = D.augment_detection(image, label, geometry, rng)
        assert frame_errors(img, lab) == [], lab  # exact pixels: half a pixel of slack
        scale = max(128 / img.shape[1], 96 / img.shape[0], 1.0)
        out, lab2 = resize(img, lab)
        assert frame_errors(out, lab2, tolerance=1.5 + scale) == []
