"""The one-pass JPEG path (recio._jpegwindow): the same pixels as the general path, bit for bit.

The general fast path decodes with simplejpeg (fast upsampling), resizes with OpenCV's
bilinear resize, crops, mirrors and normalises with recio's Normalizer; the one-pass
kernel must give exactly those values for any geometry, subsampling, progressive or
baseline JPEG, grey or colour, and decline (return False, never hang or crash) whatever
it cannot do, so that the iterators' batches do not depend on which path a row took.
"""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

import cv2
import numpy as np
import pytest
import simplejpeg
from hypothesis import given, settings
from hypothesis import strategies as st

from recio import mx, recordio
from recio._image import jpeg_window
from recio._image.default_aug import AugParams, Crop, Resize
from recio._image.normalize import Normalizer

# The extension is built wherever libjpeg-turbo's headers are (setup.py); where they
# are, a missing module is a build failure, not a reason to skip.
if not jpeg_window.available():
    if os.path.exists("/usr/include/jpeglib.h"):
        raise ImportError("recio._jpegwindow was not built although jpeglib.h is installed")
    pytest.skip("built without libjpeg's headers: no one-pass path", allow_module_level=True)

from recio import _jpegwindow  # only once it is known to exist

SAMPLING = {
    "420": None,  # OpenCV's default
    "422": cv2.IMWRITE_JPEG_SAMPLING_FACTOR_422,
    "444": cv2.IMWRITE_JPEG_SAMPLING_FACTOR_444,
    "411": cv2.IMWRITE_JPEG_SAMPLING_FACTOR_411,
}
NORMALIZER = Normalizer(
    np.array([123.68, 116.28, 103.53, 0], np.float32),
    np.array([58.395, 57.12, 57.375, 1], np.float32),
    1.0,
)


def encode(
    height: int,
    width: int,
    *,
    seed: int = 0,
    gray: bool = False,
    sampling: str = "420",
    progressive: bool = False,
    quality: int = 90,
) -> np.ndarray:
    """A JPEG of smooth colour with noise (so every subsampling and DCT path is exercised)."""
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, (height // 8 + 2, width // 8 + 2, 3), dtype=np.uint8)
    img = cv2.resize(base, (width, height), interpolation=cv2.INTER_CUBIC)
    img = cv2.add(img, rng.integers(0, 40, img.shape, dtype=np.uint8))
    params = [cv2.IMWRITE_JPEG_QUALITY, quality]
    if SAMPLING[sampling] is not None:
        params += [cv2.IMWRITE_JPEG_SAMPLING_FACTOR, SAMPLING[sampling]]
    if progressive:
        params += [cv2.IMWRITE_JPEG_PROGRESSIVE, 1]
    ok, buf = cv2.imencode(".jpg", img[:, :, 0] if gray else img, params)
    assert ok
    return np.asarray(buf).ravel()


def params(resize: tuple[int, int], crop: tuple[int, int, int, int]) -> AugParams:
    x, y, w, h = crop
    return AugParams(None, (resize[1], resize[0]), Crop(x, y, w, h), Resize(*resize, 1))


def both_paths(
    data: np.ndarray,
    size: tuple[int, int],
    resize: tuple[int, int],
    crop: tuple[int, int, int, int],
    *,
    channels: int,
    mirror: bool,
    dtype: type,
    contrast: float = 1.0,
    illumination: float = 0.0,
) -> tuple[np.ndarray | None, np.ndarray]:
    """(the one-pass row or None if it declined, the row the iterators' Python fast path
    writes) for this image and geometry."""
    x, y, w, h = crop
    native = np.full((channels, h, w), 7, dtype)
    table = None
    if dtype == np.float32:
        table = NORMALIZER.table(channels, contrast, illumination)
    ok = jpeg_window.decode_window(data, native, table, size, params(resize, crop), mirror=mirror)

    img = simplejpeg.decode_jpeg(data, "GRAY" if channels == 1 else "BGR", fastupsample=True)
    img = cv2.resize(img, resize, interpolation=cv2.INTER_LINEAR)[y : y + h, x : x + w]
    general = np.empty((channels, h, w), dtype)
    NORMALIZER.write(img, general, mirror=mirror, contrast=contrast, illumination=illumination)
    return (native if ok else None), general


@st.composite
def geometry(draw: st.DrawFn) -> tuple[tuple[int, int], tuple[int, int], tuple[int, ...]]:
    """(height, width) of a source, the (width, height) it is resized to, a crop in it."""
    height, width = draw(st.integers(1, 300)), draw(st.integers(1, 300))
    rw, rh = draw(st.integers(1, 400)), draw(st.integers(1, 400))
    cw, ch = draw(st.integers(1, rw)), draw(st.integers(1, rh))
    x, y = draw(st.integers(0, rw - cw)), draw(st.integers(0, rh - ch))
    return (height, width), (rw, rh), (x, y, cw, ch)


@settings(max_examples=150, deadline=None)
@given(
    geo=geometry(),
    sampling=st.sampled_from(sorted(SAMPLING)),
    gray_source=st.booleans(),
    progressive=st.booleans(),
    channels=st.sampled_from([1, 3]),
    mirror=st.booleans(),
    dtype=st.sampled_from([np.float32, np.uint8]),
    seed=st.integers(0, 2**16),
)
def test_any_geometry_gives_the_general_paths_pixels(
    geo: tuple[tuple[int, int], tuple[int, int], tuple[int, int, int, int]],
    sampling: str,
    gray_source: bool,
    progressive: bool,
    channels: int,
    mirror: bool,
    dtype: type,
    seed: int,
) -> None:
    size, resize, crop = geo
    if size == (2 * resize[1], 2 * resize[0]):
        return  # OpenCV's area method: covers() declines it (tested below)
    data = encode(*size, seed=seed, gray=gray_source, sampling=sampling, progressive=progressive)
    got, want = both_paths(data, size, resize, crop, channels=channels, mirror=mirror, dtype=dtype)
    assert got is not None
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("size", [(375, 500), (500, 333), (480, 640), (300, 300)])
@pytest.mark.parametrize("sampling", sorted(SAMPLING))
def test_imagenet_like_pipeline_is_exact(size: tuple[int, int], sampling: str) -> None:
    """Resize the shorter side to 256, random 224 crops, both mirrors, with jitter."""
    height, width = size
    data = encode(height, width, sampling=sampling, seed=height + width)
    short = min(height, width)
    resize = (round(width * 256 / short), round(height * 256 / short))
    rng = np.random.default_rng(0)
    for _ in range(6):
        x = int(rng.integers(0, resize[0] - 224 + 1))
        y = int(rng.integers(0, resize[1] - 224 + 1))
        kw = dict(channels=3, mirror=bool(rng.integers(2)), dtype=np.float32)
        kw.update(contrast=float(rng.uniform(0.7, 1.3)), illumination=float(rng.uniform(-9, 9)))
        got, want = both_paths(data, size, resize, (x, y, 224, 224), **kw)  # type: ignore[arg-type]
        assert got is not None
        np.testing.assert_array_equal(got, want)


def test_bgr_order() -> None:
    data = encode(60, 80)
    out = np.empty((3, 30, 40), np.uint8)
    assert _jpegwindow.decode_window(data, out, None, 60, 80, 80, 60, 5, 7, False, True)
    img = simplejpeg.decode_jpeg(data, "BGR", fastupsample=True)
    np.testing.assert_array_equal(out, img[7:37, 5:45].transpose(2, 0, 1))


def test_what_it_cannot_do_is_declined() -> None:
    data = encode(64, 96)
    out = np.empty((3, 32, 32), np.uint8)

    def decode(blob: object, height: int = 64, width: int = 96) -> bool:
        return bool(_jpegwindow.decode_window(blob, out, None, height, width, 96, 64, 0, 0, 0, 0))

    assert decode(data)
    assert not decode(data, height=65)  # not the size the geometry was drawn for
    assert not decode(data[: len(data) * 2 // 3])  # truncated, even where the window is intact
    assert not decode(data[:-1])
    assert not decode(b"")
    assert not decode(b"\xff\xd8 not really a jpeg \xff\xd9")
    png = np.asarray(cv2.imencode(".png", np.zeros((64, 96, 3), np.uint8))[1]).ravel()
    assert not decode(png)
    cmyk = _cmyk_jpeg(64, 96)
    assert cmyk is None or not decode(cmyk)


def _cmyk_jpeg(height: int, width: int) -> bytes | None:
    """A CMYK JPEG (Pillow writes them; OpenCV does not), or None without Pillow."""
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow comes with the test extras
        return None
    import io

    buf = io.BytesIO()
    Image.new("CMYK", (width, height), (10, 20, 30, 40)).save(buf, format="JPEG")
    return buf.getvalue()


def test_corrupt_data_is_declined_or_decoded_never_hangs(tmp_path: Path) -> None:
    """Flipped bytes, cut files and garbage: each call ends with True or False (a child
    process under a timeout, so a libjpeg loop fails the test instead of hanging it)."""
    script = tmp_path / "fuzz.py"
    script.write_text(
        "import numpy as np, cv2\n"
        "from recio import _jpegwindow\n"
        "rng = np.random.default_rng(1)\n"
        "for i in range(300):\n"
        "    h, w = int(rng.integers(8, 120)), int(rng.integers(8, 120))\n"
        "    img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)\n"
        "    flags = [cv2.IMWRITE_JPEG_PROGRESSIVE, int(i % 3 == 0)]\n"
        "    data = bytearray(cv2.imencode('.jpg', img, flags)[1].tobytes())\n"
        "    for _ in range(int(rng.integers(1, 6))):\n"
        "        data[int(rng.integers(2, len(data) - 2))] = int(rng.integers(256))\n"
        "    out = np.empty((3, min(h, 16), min(w, 16)), np.float32)\n"
        "    table = np.zeros((3, 256), np.float32)\n"
        "    x = int(rng.integers(0, w - out.shape[2] + 1))\n"
        "    y = int(rng.integers(0, h - out.shape[1] + 1))\n"
        "    _jpegwindow.decode_window(bytes(data), out, table, h, w, w, h, x, y, i % 2, 0)\n"
        "print('done')\n"
    )
    run = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=False
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "done"


def test_bad_arguments_name_what_was_expected() -> None:
    data = encode(40, 40)
    table = np.zeros((3, 256), np.float32)
    with pytest.raises(ValueError, match="float32"):
        _jpegwindow.decode_window(
            data, np.empty((3, 8, 8), np.float64), table, 40, 40, 40, 40, 0, 0, 0, 0
        )
    with pytest.raises(ValueError, match="uint8"):
        _jpegwindow.decode_window(
            data, np.empty((2, 8, 8), np.uint8), None, 40, 40, 40, 40, 0, 0, 0, 0
        )
    with pytest.raises(ValueError, match="does not fit"):
        _jpegwindow.decode_window(
            data, np.empty((3, 8, 8), np.uint8), None, 40, 40, 40, 40, 35, 0, 0, 0
        )
    with pytest.raises(ValueError, match="table must be"):
        _jpegwindow.decode_window(
            data, np.empty((3, 8, 8), np.float32), table[:2], 40, 40, 40, 40, 0, 0, 0, 0
        )
    with pytest.raises((ValueError, BufferError)):
        _jpegwindow.decode_window(
            data, np.empty((3, 8, 16), np.uint8)[:, :, ::2], None, 40, 40, 40, 40, 0, 0, 0, 0
        )


def test_covers_only_a_bilinear_resize_and_a_crop() -> None:
    plain = params((64, 48), (0, 0, 32, 32))
    assert jpeg_window.covers(plain, 100, 100)
    assert not jpeg_window.covers(plain, 96, 128)  # exactly 2x: OpenCV's area method
    assert not jpeg_window.covers(plain._replace(resize=Resize(64, 48, 2)), 100, 100)
    assert not jpeg_window.covers(plain._replace(resize=None), 100, 100)
    assert not jpeg_window.covers(plain._replace(pad=2), 100, 100)
    assert not jpeg_window.covers(plain._replace(hsl=(1, 2, 3)), 100, 100)
    assert not jpeg_window.covers(plain._replace(crop_resize=Resize(32, 32, 1)), 100, 100)


# -- through the iterator: the same batches with the one-pass path on and off -----------


def pack_jpegs(path: Path, count: int) -> None:
    rng = np.random.default_rng(5)
    with recordio.MXIndexedRecordIO(str(path.with_suffix(".idx")), str(path), "w") as w:
        for i in range(count):
            h, w_ = int(rng.integers(40, 140)), int(rng.integers(40, 140))
            if i == 3:
                h, w_ = 96, 128  # exactly twice resize's 48 x 64: OpenCV's area method
            if i == 4:
                h, w_ = 200, 260  # resize <= half the shorter side: a reduced-scale decode
            blob = encode(h, w_, seed=i, gray=i % 7 == 0, progressive=i % 5 == 0).tobytes()
            if i == 6:
                blob = cv2.imencode(".png", rng.integers(0, 256, (h, w_, 3), np.uint8))[1].tobytes()
            if i == 8:
                blob = blob[: len(blob) // 2]  # truncated: a bad record, skipped
            w.write_idx(i, recordio.pack(recordio.IRHeader(0, float(i), i, 0), blob))


@pytest.mark.parametrize(
    ("kw", "covered"),
    [
        (dict(resize=48, rand_crop=True, rand_mirror=True, mean_r=120, std_g=50), True),
        (
            dict(resize=48, rand_crop=True, max_random_contrast=0.3, max_random_illumination=20),
            True,
        ),
        (dict(resize=48, data_shape=(1, 32, 32), rand_mirror=True), True),
        (dict(resize=48, dtype="uint8", rand_crop=True), True),
        (dict(resize=48, max_rotate_angle=10, rand_crop=True), False),  # affine: general path
        (dict(rand_crop=True), False),  # no resize: general path
    ],
)
def test_iterator_batches_are_the_same_with_and_without_it(
    tmp_path: Path, kw: dict, covered: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    rec = tmp_path / "a.rec"
    pack_jpegs(rec, 24)
    args: dict[str, object] = dict(
        path_imgrec=str(rec), data_shape=(3, 32, 32), batch_size=8, shuffle=True, seed=3,
        preprocess_threads=2, verbose=False,
    )  # fmt: skip
    args.update(kw)

    rows_done = []
    decode_window = jpeg_window.decode_window

    def counted(*a: object, **k: object) -> bool:
        ok = decode_window(*a, **k)  # type: ignore[arg-type]
        rows_done.append(ok)
        return ok

    monkeypatch.setattr(jpeg_window, "decode_window", counted)

    def epochs(one_pass: bool) -> list[tuple[np.ndarray, np.ndarray]]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the truncated record's warning, both times
            it = mx.io.ImageRecordIter(**args)
            assert it._one_pass == covered  # options that can never be covered: off
            it._one_pass = one_pass
            got = []
            for _ in range(2):
                got += [(b.data[0].copy(), b.label[0].copy()) for b in it]
                it.reset()
            it.close()
        return got

    with_it = epochs(True)
    assert (sum(rows_done) > 24) == covered  # most of 2 x 24 rows took the one-pass path
    without = epochs(False)
    assert len(with_it) == len(without) == 6
    for (d1, l1), (d2, l2) in zip(with_it, without, strict=True):
        np.testing.assert_array_equal(l1, l2)
        np.testing.assert_array_equal(d1, d2)
