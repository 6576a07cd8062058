"""recio's mx.image augmenters against MXNet 1.9.1's, on JPEG-decoded photos.

* ``dumps()`` of every augmenter and of ``CreateAugmenter``'s list, for many
  argument combinations, is MXNet's string (or list, for the composites).
* Deterministic augmenters give MXNet's pixels: identical for crops, flips and
  casts; within a level for resizes (MXNet bundles another OpenCV build);
  float rounding for the colour maps.
* Random augmenters with ``rng=None`` draw exactly what MXNet draws: after
  ``random.seed(s); np.random.seed(s)`` on both sides, MXNet's crops, flips,
  jitters, PCA noise and random orders come out, call after call.
* The distributions recio draws from a numpy Generator match MXNet's draws
  (two-sample Kolmogorov-Smirnov over a few hundred draws).
"""

from __future__ import annotations

import random
from typing import Any

import cv2
import numpy as np
import pytest

from recio import image as rimage
from recio._image.augmenters import augment

from _reference import MXNetReference, ReferenceCallError

# --------------------------------------------------------------------------- fixtures


def _jpeg_round_trip(rgb: np.ndarray, quality: int = 90) -> np.ndarray:
    ok, buf = cv2.imencode(".jpg", rgb[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return np.ascontiguousarray(cv2.imdecode(buf, cv2.IMREAD_COLOR)[:, :, ::-1])


@pytest.fixture(scope="module")
def photos() -> list[np.ndarray]:
    """Three real photos (landscape, portrait-ish crop, small) decoded from JPEG, RGB uint8."""
    data = pytest.importorskip("skimage.data")
    chelsea = data.chelsea()  # 300 x 451
    rocket = cv2.resize(data.rocket(), (213, 320), interpolation=cv2.INTER_AREA)  # portrait
    small = cv2.resize(data.coffee(), (90, 60), interpolation=cv2.INTER_AREA)
    return [_jpeg_round_trip(p) for p in (chelsea, rocket, small)]


def build(spec: Any) -> Any:
    """recio's augmenter for a spec (the same specs ref/image_aug.py builds MXNet's from)."""
    name, args, kwargs = spec
    cls = getattr(rimage, name)
    if name in ("SequentialAug", "RandomOrderAug"):
        return cls([build(s) for s in args[0]])
    return cls(*args, **kwargs)


def run_here(
    specs: list[Any] | None,
    create_kwargs: dict[str, Any] | None,
    images: list[np.ndarray],
    seed: int,
    calls: int = 1,
    fused: bool = False,
) -> dict[str, Any]:
    """What ref/image_aug.run does, with recio (rng=None: MXNet's global draws)."""
    random.seed(seed)
    np.random.seed(seed)
    augs = rimage.CreateAugmenter(**create_kwargs) if create_kwargs else [build(s) for s in specs]
    outputs, inputs_after = [], []
    for _ in range(calls):
        for img in images:
            src = img.copy()
            if fused:
                x = augment(src, augs)
            else:
                x = src
                for aug in augs:
                    x = aug(x)
            outputs.append(np.asarray(x))
            inputs_after.append(src)
    return {"outputs": outputs, "inputs_after": inputs_after}


CAST = ("CastAug", [], {})
EIGVAL = np.array([55.46, 4.794, 1.148])
EIGVEC = np.array(
    [[-0.5675, 0.7192, 0.4009], [-0.5808, -0.0045, -0.8140], [-0.5836, -0.6948, 0.4203]]
)


def _compare(ours: np.ndarray, theirs: np.ndarray, kind: str) -> None:
    assert ours.shape == theirs.shape
    assert ours.dtype == theirs.dtype
    diff = np.abs(ours.astype(np.float64) - theirs.astype(np.float64))
    if kind == "exact":
        np.testing.assert_array_equal(ours, theirs)
    elif kind == "resize":  # another OpenCV build: within one level on average
        assert diff.mean() <= 1.0, (diff.mean(), diff.max())
    else:  # float colour maps: rounding only (values up to ~255, float32 eps ~3e-5)
        assert diff.max() <= 2e-3 * max(1.0, float(np.abs(theirs).max()) / 255), diff.max()


# --------------------------------------------------------------------------- dumps()

DUMP_SPECS = [
    ("ResizeAug", [256], {}),
    ("ResizeAug", [224, 3], {}),
    ("ForceResizeAug", [(320, 240)], {"interp": 1}),
    ("RandomCropAug", [(224, 224)], {}),
    ("RandomCropAug", [[224, 200], 10], {}),
    ("RandomSizedCropAug", [(224, 224), 0.08, (3 / 4, 4 / 3)], {}),
    ("RandomSizedCropAug", [(224, 224), (0.2, 0.9), (0.5, 2.0), 9], {}),
    ("CenterCropAug", [(100, 50)], {"interp": 0}),
    ("BrightnessJitterAug", [0.3], {}),
    ("ContrastJitterAug", [0.125], {}),
    ("SaturationJitterAug", [1], {}),
    ("HueJitterAug", [0.1], {}),
    ("ColorJitterAug", [0.1, 0.2, 0.3], {}),
    ("ColorJitterAug", [0, 0.2, 0], {}),
    ("LightingAug", [0.1, EIGVAL, EIGVEC], {}),
    ("LightingAug", [0.05, [1.0, 2.0, 3.0], np.eye(3)], {}),
    ("ColorNormalizeAug", [np.array([123.68, 116.28, 103.53]), np.array([58.4, 57.1, 57.4])], {}),
    ("ColorNormalizeAug", [np.array([0.5], dtype=np.float32), None], {}),
    ("ColorNormalizeAug", [None, None], {}),
    ("RandomGrayAug", [0.2], {}),
    ("HorizontalFlipAug", [0.5], {}),
    ("CastAug", [], {}),
    ("CastAug", ["float16"], {}),
    ("SequentialAug", [[("ResizeAug", [10], {}), ("CastAug", [], {})]], {}),
    ("RandomOrderAug", [[("HueJitterAug", [0.1], {}), ("RandomGrayAug", [0.5], {})]], {}),
]


@pytest.mark.parametrize("spec", DUMP_SPECS, ids=lambda s: s[0])
def test_dumps_matches_mxnet(mxnet_ref: MXNetReference, spec: Any) -> None:
    assert build(spec).dumps() == mxnet_ref.call("image_aug.dumps", spec)


CREATE_KWARGS: list[dict[str, Any]] = [
    {"data_shape": (3, 224, 224)},
    {"data_shape": (3, 224, 224), "resize": 256},
    {"data_shape": (3, 200, 300), "resize": 256, "rand_crop": True},
    {"data_shape": (3, 224, 224), "rand_crop": True, "rand_resize": True, "inter_method": 10},
    {"data_shape": (3, 224, 224), "rand_mirror": True, "mean": True},
    {"data_shape": (3, 224, 224), "std": True},
    {"data_shape": (3, 224, 224), "mean": True, "std": True},
    {"data_shape": (3, 32, 32), "mean": np.array([1.0, 2.0, 3.0]), "std": np.array([2.0])},
    {"data_shape": (3, 32, 32), "mean": np.array([120], dtype=np.uint8)},
    {"data_shape": (1, 32, 32), "mean": np.array([0.5], dtype=np.float32), "std": True},
    {"data_shape": (3, 224, 224), "brightness": 0.4},
    {"data_shape": (3, 224, 224), "contrast": 0.4, "saturation": 0.4},
    {"data_shape": (3, 224, 224), "brightness": -0.1},
    {"data_shape": (3, 224, 224), "hue": 0.1},
    {"data_shape": (3, 224, 224), "hue": -0.1},
    {"data_shape": (3, 224, 224), "pca_noise": 0.1},
    {"data_shape": (3, 224, 224), "pca_noise": -0.1, "rand_gray": -1},
    {"data_shape": (3, 224, 224), "rand_gray": 0.05},
    {
        "data_shape": (3, 300, 300),
        "resize": 320,
        "rand_crop": True,
        "rand_resize": True,
        "rand_mirror": True,
        "mean": True,
        "std": True,
        "brightness": 0.125,
        "contrast": 0.125,
        "saturation": 0.125,
        "hue": 0.05,
        "pca_noise": 0.05,
        "rand_gray": 0.05,
        "inter_method": 10,
    },
    {"data_shape": [3, 64, 48], "resize": 0, "inter_method": 1},
]


@pytest.mark.parametrize("kwargs", CREATE_KWARGS)
def test_create_augmenter_matches_mxnet(mxnet_ref: MXNetReference, kwargs: dict[str, Any]) -> None:
    ours = [(type(a).__name__, a.dumps()) for a in rimage.CreateAugmenter(**kwargs)]
    assert ours == mxnet_ref.call("image_aug.create", kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"data_shape": (3, 224, 224), "rand_resize": True},  # needs rand_crop
        {"data_shape": (3, 224, 224), "mean": [1.0, 2.0, 3.0]},  # a list, not an array
        {"data_shape": (3, 224, 224), "mean": 5.0},
        {"data_shape": (3, 224, 224), "mean": False},
        {"data_shape": (3, 224, 224), "std": np.array([1.0, 2.0])},  # two values
    ],
)
def test_create_augmenter_rejects_what_mxnet_rejects(
    mxnet_ref: MXNetReference, kwargs: dict[str, Any]
) -> None:
    with pytest.raises(ReferenceCallError) as theirs:
        mxnet_ref.call("image_aug.create", kwargs)
    assert "AssertionError" in theirs.value.mro
    with pytest.raises(AssertionError):  # recio's error is a ValueError and an AssertionError
        rimage.CreateAugmenter(**kwargs)
    with pytest.raises(ValueError, match="CreateAugmenter"):
        rimage.CreateAugmenter(**kwargs)


# --------------------------------------------------------------------------- pixels

DETERMINISTIC = [([("ResizeAug", [100, i], {})], "resize") for i in (0, 1, 2, 3, 4, 9)] + [
    ([("ResizeAug", [400], {})], "resize"),  # enlarges
    ([("ForceResizeAug", [(120, 80)], {"interp": 1})], "resize"),
    ([("ForceResizeAug", [(500, 90)], {"interp": 9})], "resize"),  # one side up, one down
    ([("CenterCropAug", [(80, 50)], {})], "exact"),
    ([("CenterCropAug", [(100, 100)], {"interp": 1})], "resize"),  # bigger than the small one
    ([("HorizontalFlipAug", [1.0], {})], "exact"),
    ([("HorizontalFlipAug", [0.0], {})], "exact"),
    ([("CastAug", [], {})], "exact"),
    ([("CastAug", ["float16"], {})], "exact"),
    ([("CastAug", ["float64"], {}), ("HorizontalFlipAug", [1.0], {})], "exact"),
    ([CAST, ("ColorNormalizeAug", [np.array([123.7, 116.3, 103.5]), np.array([58.4])], {})], ""),
    ([CAST, ("ColorNormalizeAug", [None, np.array([2.0, 4.0, 8.0])], {})], ""),
    ([CAST, ("RandomGrayAug", [1.0], {})], ""),
    ([CAST, ("RandomGrayAug", [1.0], {}), ("ColorNormalizeAug", [np.array([9.0]), None], {})], ""),
]


@pytest.mark.parametrize(("specs", "kind"), DETERMINISTIC, ids=lambda v: str(v)[:60])
def test_deterministic_augmenters_give_mxnet_pixels(
    mxnet_ref: MXNetReference, photos: list[np.ndarray], specs: list[Any], kind: str
) -> None:
    theirs = mxnet_ref.call("image_aug.run", specs, None, photos, 0)
    ours = run_here(specs, None, photos, 0)
    for o, t in zip(ours["outputs"], theirs["outputs"], strict=True):
        _compare(o, t, kind)


SEEDED = [
    ([("RandomCropAug", [(64, 48)], {})], "exact"),
    ([("RandomCropAug", [(128, 128)], {"interp": 10})], "resize"),  # small photo is upsampled
    ([("RandomSizedCropAug", [(64, 64), 0.08, (3 / 4, 4 / 3)], {})], "resize"),
    ([("RandomSizedCropAug", [(50, 40), (0.9, 1.0), (3.0, 4.0), 10], {})], "resize"),  # fallback
    ([("ResizeAug", [70, 10], {}), ("ForceResizeAug", [(40, 30), 10], {})], "resize"),
    ([("HorizontalFlipAug", [0.5], {})], "exact"),
    ([CAST, ("BrightnessJitterAug", [0.5], {})], ""),
    ([CAST, ("ContrastJitterAug", [0.5], {})], ""),
    ([CAST, ("SaturationJitterAug", [0.5], {})], ""),
    ([CAST, ("HueJitterAug", [0.5], {})], ""),
    ([CAST, ("LightingAug", [0.2, EIGVAL, EIGVEC], {})], ""),
    ([CAST, ("RandomGrayAug", [0.5], {})], ""),
    ([CAST, ("ColorJitterAug", [0.4, 0.4, 0.4], {})], ""),
    (
        [
            CAST,
            (
                "RandomOrderAug",
                [
                    [
                        ("HueJitterAug", [0.2], {}),
                        ("HorizontalFlipAug", [0.5], {}),
                        ("RandomGrayAug", [0.5], {}),
                    ]
                ],
                {},
            ),
        ],
        "",
    ),
    ([("SequentialAug", [[("RandomCropAug", [(40, 40)], {}), CAST]], {})], "exact"),
]


@pytest.mark.parametrize(("specs", "kind"), SEEDED, ids=lambda v: str(v)[:60])
def test_seeded_random_augmenters_repeat_mxnet(
    mxnet_ref: MXNetReference, photos: list[np.ndarray], specs: list[Any], kind: str
) -> None:
    """rng=None: after the same seeds, recio draws what MXNet draws, call after call."""
    theirs = mxnet_ref.call("image_aug.run", specs, None, photos, 7, 3)
    ours = run_here(specs, None, photos, 7, 3)
    assert len(ours["outputs"]) == len(theirs["outputs"]) == 9
    for o, t in zip(ours["outputs"], theirs["outputs"], strict=True):
        _compare(o, t, kind)
    for o, t in zip(ours["inputs_after"], theirs["inputs_after"], strict=True):
        np.testing.assert_array_equal(o, t)  # uint8 inputs: neither side writes into them


@pytest.mark.parametrize("fused", [False, True], ids=["per-augmenter", "fused"])
@pytest.mark.parametrize("kwargs", [k for k in CREATE_KWARGS if k["data_shape"][0] == 3][2:])
def test_seeded_create_augmenter_chains_repeat_mxnet(
    mxnet_ref: MXNetReference, photos: list[np.ndarray], kwargs: dict[str, Any], fused: bool
) -> None:
    """Whole CreateAugmenter chains, seeded: resize, crop, mirror, jitters, PCA, gray, normalise."""
    kwargs = {**kwargs, "data_shape": (3, 40, 56)}
    theirs = mxnet_ref.call("image_aug.run", None, kwargs, photos, 3, 2)
    ours = run_here(None, kwargs, photos, 3, 2, fused=fused)
    level = 1 / 57.0 if kwargs.get("std") is True else 1.0  # one level after normalisation
    for o, t in zip(ours["outputs"], theirs["outputs"], strict=True):
        assert o.shape == t.shape == (40, 56, 3)
        assert o.dtype == t.dtype == np.float32
        diff = np.abs(o.astype(np.float64) - t)
        assert diff.mean() <= level, (diff.mean(), diff.max())


def test_in_place_writes_match_mxnet(mxnet_ref: MXNetReference, photos: list[np.ndarray]) -> None:
    """Which augmenters write into a float32 input (MXNet: the jitters, lighting, normalise)."""
    images = [photos[2].astype(np.float32)]
    specs = [
        ("BrightnessJitterAug", [0.3], {}),
        ("ContrastJitterAug", [0.3], {}),
        ("SaturationJitterAug", [0.3], {}),
        ("HueJitterAug", [0.3], {}),
        ("LightingAug", [0.3, EIGVAL, EIGVEC], {}),
        ("ColorNormalizeAug", [np.array([1.0, 2.0, 3.0]), None], {}),
        ("RandomGrayAug", [1.0], {}),
        ("HorizontalFlipAug", [1.0], {}),
    ]
    for spec in specs:
        theirs = mxnet_ref.call("image_aug.run", [spec], None, images, 1)
        ours = run_here([spec], None, images, 1)
        changed_theirs = not np.array_equal(theirs["inputs_after"][0], images[0])
        changed_ours = not np.array_equal(ours["inputs_after"][0], images[0])
        assert changed_ours == changed_theirs, spec[0]
        _compare(ours["outputs"][0], theirs["outputs"][0], "")


# --------------------------------------------------------------------------- distributions


def _ks(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sample Kolmogorov-Smirnov statistic."""
    grid = np.sort(np.concatenate([a, b]))
    fa = np.searchsorted(np.sort(a), grid, side="right") / len(a)
    fb = np.searchsorted(np.sort(b), grid, side="right") / len(b)
    return float(np.abs(fa - fb).max())


N = 400
KS_LIMIT = 1.95 * np.sqrt(2 / N)  # alpha = 0.001; the seeds are fixed, so no flakiness


@pytest.mark.parametrize(
    ("kind", "args", "aug"),
    [
        (
            "sized",
            [(64, 64), 0.08, (3 / 4, 4 / 3)],
            ("RandomSizedCropAug", [(64, 64), 0.08, (3 / 4, 4 / 3)], {}),
        ),
        (
            "sized",
            [(64, 64), (0.3, 0.6), (0.5, 2.0)],
            ("RandomSizedCropAug", [(64, 64), (0.3, 0.6), (0.5, 2.0)], {}),
        ),
        ("plain", [(100, 60)], ("RandomCropAug", [(100, 60)], {})),
    ],
)
def test_generator_crop_distributions_match_mxnet(
    mxnet_ref: MXNetReference, kind: str, args: list[Any], aug: Any
) -> None:
    shape = (240, 320)
    theirs = mxnet_ref.call("image_aug.crop_boxes", kind, shape, args, N, 11)
    gen = np.random.default_rng(11)
    a = build(aug)
    ours = np.array(
        [(p.x0, p.y0, p.width, p.height) for p in (a.draw(gen, (*shape, 3)) for _ in range(N))]
    )
    h, w = shape
    for name, f in [
        ("area", lambda r: r[:, 2] * r[:, 3] / (h * w)),
        ("log ratio", lambda r: np.log(r[:, 2] / r[:, 3])),
        ("x centre", lambda r: (r[:, 0] + r[:, 2] / 2) / w),
        ("y centre", lambda r: (r[:, 1] + r[:, 3] / 2) / h),
    ]:
        assert _ks(f(ours).astype(float), f(theirs).astype(float)) < KS_LIMIT, name


@pytest.mark.parametrize(("name", "value"), [("BrightnessJitterAug", 0.4), ("HueJitterAug", 0.1)])
def test_generator_jitter_distributions_match_mxnet(
    mxnet_ref: MXNetReference, name: str, value: float
) -> None:
    theirs = np.asarray(mxnet_ref.call("image_aug.jitter_alphas", name, value, N, 5))
    gen = np.random.default_rng(5)
    a = getattr(rimage, name)(value)
    ours = np.array([a.draw(gen, (2, 2, 3)) for _ in range(N)])
    ours = ours - 1.0 if name != "HueJitterAug" else ours  # MXNet's uniform draw is alpha - 1
    assert ours.min() >= -value and ours.max() <= value
    assert _ks(ours, theirs) < KS_LIMIT


@pytest.mark.parametrize("fused", [False, True], ids=["per-augmenter", "fused"])
def test_seeded_colour_chain_matches_to_float_rounding(
    mxnet_ref: MXNetReference, photos: list[np.ndarray], fused: bool
) -> None:
    """Every colour augmenter in one chain, no resize: only float rounding may differ."""
    kwargs = {
        "data_shape": (3, 40, 56),
        "rand_crop": True,
        "rand_mirror": True,
        "mean": True,
        "std": True,
        "brightness": 0.4,
        "contrast": 0.4,
        "saturation": 0.4,
        "hue": 0.2,
        "pca_noise": 0.2,
        "rand_gray": 0.5,
    }
    theirs = mxnet_ref.call("image_aug.run", None, kwargs, photos, 3, 4)
    ours = run_here(None, kwargs, photos, 3, 4, fused=fused)
    for o, t in zip(ours["outputs"], theirs["outputs"], strict=True):
        np.testing.assert_allclose(o, t, rtol=0, atol=1e-4)  # values ~ +-2.5 after std
