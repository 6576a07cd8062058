"""recio._image.decode: every checked-in test image's documented result, reduced-scale decoding.

The expected results are recio's documented behaviour (docs/notes/image_ops.md);
tests/conformance/test_image_ops_conformance.py checks them against MXNet 1.9.1.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recio._image.decode import (
    ImageDecodeError,
    as_byte_buffer,
    choose_scale,
    decode,
    jpeg_info,
    sniff_format,
)

DATA = Path(__file__).resolve().parent / "data" / "images"


def read(name: str) -> bytes:
    return (DATA / name).read_bytes()


def photo_jpeg(width: int, height: int, *, gray: bool = False, quality: int = 90) -> bytes:
    """A JPEG of a scikit-image sample photo at the given size."""
    from skimage import data

    rgb = cv2.resize(data.astronaut(), (width, height), interpolation=cv2.INTER_AREA)
    img = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY if gray else cv2.COLOR_RGB2BGR)
    ok, enc = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return enc.tobytes()


# -- the checked-in files: (flag 1 shape, flag 0 shape) ---------------------------------------

DECODABLE = {
    "color.jpg": (40, 48),
    "odd.jpg": (37, 29),
    "gray.jpg": (40, 48),
    "progressive.jpg": (40, 48),
    "corrupt.jpg": (40, 48),  # libjpeg warns on stderr and decodes what it can, as MXNet does
    "truncated.jpg": (40, 48),  # decoded with its end-of-image marker restored
    "color.png": (40, 48),
    "alpha.png": (40, 48),  # alpha dropped
    "gray.png": (40, 48),
    "color16.png": (40, 48),  # 16 bits scaled to 8
    "gray16.png": (40, 48),
    "cmyk.jpg": (40, 48),  # converted to RGB
    "exif_jfif.jpg": (32, 24),  # JFIF: EXIF orientation ignored, as MXNet does
    "exif_rotated.jpg": (24, 32),  # not JFIF: EXIF orientation 6 applied, as MXNet does
}

UNDECODABLE = {
    "empty.jpg": "empty",
    "not_image.txt": "unknown format",
    "header_only.jpg": "truncated",
}


@pytest.mark.parametrize(("name", "hw"), DECODABLE.items())
def test_decodable_files(name: str, hw: tuple[int, int]) -> None:
    buf = read(name)
    color = decode(buf)
    assert color.image.shape == (*hw, 3)
    assert color.image.dtype == np.uint8
    assert color.scale == 1
    gray = decode(buf, flag=0)
    assert gray.image.shape == (*hw, 1)
    bgr = decode(buf, to_rgb=False)
    assert np.array_equal(bgr.image, color.image[:, :, ::-1])


@pytest.mark.parametrize(("name", "reason"), UNDECODABLE.items())
def test_undecodable_files(name: str, reason: str) -> None:
    with pytest.raises(ImageDecodeError) as info:
        decode(read(name), source=DATA / name)
    assert info.value.reason == reason
    assert name in str(info.value)
    assert info.value.source == str(DATA / name)
    assert isinstance(info.value, ValueError)


def test_channel_order_is_rgb() -> None:
    """A pure red PNG decodes to (255, 0, 0): RGB, as MXNet's imdecode gives."""
    bgr = np.zeros((4, 4, 3), np.uint8)
    bgr[:, :, 2] = 255
    ok, enc = cv2.imencode(".png", bgr)
    assert ok
    assert decode(enc.tobytes()).image[0, 0].tolist() == [255, 0, 0]
    assert decode(enc.tobytes(), to_rgb=False).image[0, 0].tolist() == [0, 0, 255]


def test_pixels_of_special_files() -> None:
    color = decode(read("color.png")).image.astype(int)
    assert np.array_equal(decode(read("alpha.png")).image, color)  # same pixels plus alpha
    assert np.abs(decode(read("color16.png")).image - color).max() <= 1
    gray = decode(read("gray.png"), flag=0).image.astype(int)
    assert np.abs(decode(read("gray16.png"), flag=0).image - gray).max() <= 1
    gray3 = decode(read("gray.jpg")).image
    assert np.array_equal(gray3[:, :, 0], gray3[:, :, 1])
    assert np.array_equal(gray3[:, :, 0], gray3[:, :, 2])
    jpeg = decode(read("color.jpg")).image.astype(int)
    assert np.abs(decode(read("cmyk.jpg")).image - jpeg).mean() < 6


def test_truncated_jpeg() -> None:
    full = photo_jpeg(64, 48)
    for cut in (full[:-2], full[: len(full) * 2 // 3], read("truncated.jpg")):
        image = decode(cut).image
        assert image.shape[2] == 3
        with pytest.raises(ImageDecodeError, match="truncated JPEG") as info:
            decode(cut, allow_truncated=False)
        assert info.value.reason == "truncated"
    # only the end-of-image marker missing: nothing lost
    assert np.array_equal(decode(full[:-2]).image, decode(full).image)
    # trailing bytes after the marker are not truncation
    assert np.array_equal(decode(full + b"\x00" * 10).image, decode(full).image)


def test_png_damage() -> None:
    png = bytearray(read("color.png"))
    with pytest.raises(ImageDecodeError, match="truncated PNG") as info:
        decode(bytes(png[: len(png) // 2]))
    assert info.value.reason == "truncated"
    png[len(png) // 2] ^= 0xFF
    with pytest.raises(ImageDecodeError, match="corrupt PNG") as info:
        decode(bytes(png))
    assert info.value.reason == "corrupt"


def test_image_too_large_for_opencv() -> None:
    jpeg = bytearray(read("color.jpg"))
    sof = jpeg.find(b"\xff\xc0")
    jpeg[sof + 5 : sof + 9] = (60000).to_bytes(2, "big") * 2
    with pytest.raises(ImageDecodeError, match="60000x60000") as info:
        decode(bytes(jpeg))
    assert info.value.reason == "too large"


def test_flags_and_buffer_types() -> None:
    buf = read("odd.jpg")
    ref = decode(buf).image
    arr = np.frombuffer(buf, np.uint8)
    for given_buf in (bytearray(buf), memoryview(buf), arr, arr.reshape(1, -1), arr[::1]):
        assert np.array_equal(decode(given_buf).image, ref)
    assert np.array_equal(decode(buf, flag=3).image, ref)  # any flag but 0 is colour
    with pytest.raises(ValueError, match="flag"):
        decode(buf, flag=-1)
    for bad in ("text", [1, 2], None, 3):
        with pytest.raises(ValueError, match="bytes"):
            decode(bad)


def test_as_byte_buffer_does_not_copy() -> None:
    buf = read("color.jpg")
    assert np.shares_memory(as_byte_buffer(buf), np.frombuffer(buf, np.uint8))
    arr = np.frombuffer(buf, np.uint8)
    assert np.shares_memory(as_byte_buffer(arr), arr)
    wide = np.arange(6, dtype=np.int32)
    assert as_byte_buffer(wide).tobytes() == wide.tobytes()  # raw bytes, as MXNet's frombuffer


def test_sniff_format() -> None:
    assert sniff_format(as_byte_buffer(read("color.jpg"))) == "JPEG"
    assert sniff_format(as_byte_buffer(read("alpha.png"))) == "PNG"
    assert sniff_format(as_byte_buffer(b"GIF89a....")) == "GIF"
    assert sniff_format(as_byte_buffer(b"RIFF\x00\x00\x00\x00WEBPVP8 ")) == "WebP"
    assert sniff_format(as_byte_buffer(b"P6\n1 1\n255\n...")) == "PNM"
    assert sniff_format(as_byte_buffer(read("not_image.txt"))) is None


def test_jpeg_info() -> None:
    for name in ("color.jpg", "odd.jpg", "gray.jpg", "progressive.jpg", "cmyk.jpg"):
        info = jpeg_info(as_byte_buffer(read(name)))
        assert info is not None
        assert (info.height, info.width) == DECODABLE[name]
    assert jpeg_info(as_byte_buffer(read("gray.jpg"))).components == 1  # type: ignore[union-attr]
    assert jpeg_info(as_byte_buffer(read("cmyk.jpg"))).components == 4  # type: ignore[union-attr]
    jfif = jpeg_info(as_byte_buffer(read("exif_jfif.jpg")))
    rotated = jpeg_info(as_byte_buffer(read("exif_rotated.jpg")))
    assert jfif is not None and jfif.jfif and jfif.exif
    assert rotated is not None and not rotated.jfif and rotated.exif
    for name in ("header_only.jpg", "color.png", "not_image.txt", "empty.jpg"):
        assert jpeg_info(as_byte_buffer(read(name))) is None


# -- reduced-scale decoding ------------------------------------------------------------------


@pytest.mark.parametrize(("width", "height"), [(640, 480), (301, 227), (97, 131), (1, 1)])
def test_reduced_decode_sizes_and_pixels(width: int, height: int) -> None:
    """Each scale gives ceil(side/scale) pixels per side, and pictures close to a resize."""
    buf = photo_jpeg(width, height)
    full = decode(buf).image
    for scale in (2, 4, 8):
        h, w = -(-height // scale), -(-width // scale)
        got = decode(buf, min_size=(h, w))
        assert got.scale == (scale if min(width, height) >= scale else got.scale)
        if got.scale != scale:
            continue
        assert got.image.shape == (h, w, 3)
        if width % scale == 0 and height % scale == 0:  # same geometry as an area resize
            shrunk = cv2.resize(full, (w, h), interpolation=cv2.INTER_AREA)
            assert np.abs(got.image.astype(int) - shrunk).mean() < 4
        gray = decode(buf, flag=0, min_size=(h, w))
        assert gray.scale == scale and gray.image.shape == (h, w, 1)


def test_reduced_decode_picks_the_largest_reduction() -> None:
    buf = photo_jpeg(301, 227)
    cases = {None: 1, 1: 8, 29: 8, 30: 4, 57: 4, 58: 2, 114: 2, 115: 1, 1000: 1}
    for short, scale in cases.items():
        got = decode(buf, min_short_side=short)
        assert got.scale == scale, short
        if short is not None and scale > 1:
            assert min(got.image.shape[:2]) >= short
    assert decode(buf, min_size=(100, 150)).scale == 2
    assert decode(buf, min_size=(100, 152)).scale == 1
    assert decode(buf, min_size=(100, 150), min_short_side=115).scale == 1


def test_reduced_decode_only_for_jpeg() -> None:
    got = decode(read("color.png"), min_short_side=1)
    assert got.scale == 1 and got.image.shape == (40, 48, 3)


def test_reduced_decode_with_exif_rotation_is_conservative() -> None:
    """With an EXIF orientation that may swap the sides, min_size must hold both ways round."""
    rotated = read("exif_rotated.jpg")  # stored 32 high x 24 wide, decoded 24 x 32
    got = decode(rotated, min_size=(12, 16))
    assert got.image.shape[0] >= 12 and got.image.shape[1] >= 16
    assert got.scale == 1  # 16x12 stored at 1/2 would decode to 12 x 16 but not 16 x 12
    assert decode(rotated, min_size=(6, 6)).scale == 4


@given(
    height=st.integers(1, 5000),
    width=st.integers(1, 5000),
    need_h=st.integers(1, 3000),
    need_w=st.integers(1, 3000),
)
def test_choose_scale_covers_and_is_largest(
    height: int, width: int, need_h: int, need_w: int
) -> None:
    scale = choose_scale(height, width, min_size=(need_h, need_w))
    assert scale in (1, 2, 4, 8)
    if scale > 1:
        assert -(-height // scale) >= need_h and -(-width // scale) >= need_w
    for bigger in (2, 4, 8):
        if bigger > scale:
            covers = -(-height // bigger) >= need_h and -(-width // bigger) >= need_w
            assert not covers


def test_choose_scale_without_a_need_is_full_size() -> None:
    assert choose_scale(4000, 3000) == 1


def test_decoding_in_threads_gives_the_same_images() -> None:
    """cv2.imdecode releases the GIL; threads must still each get their own correct image."""
    bufs = [photo_jpeg(200 + 7 * i, 150 + 5 * i) for i in range(8)]
    expected = [decode(b).image for b in bufs]
    with ThreadPoolExecutor(4) as pool:
        for _ in range(3):
            got = list(pool.map(lambda b: decode(b).image, bufs))
            assert all(np.array_equal(g, e) for g, e in zip(got, expected, strict=True))


_FUZZ_SOURCES = ("color.jpg", "progressive.jpg", "cmyk.jpg", "exif_rotated.jpg", "color.png")


@settings(max_examples=150, deadline=None)
@given(
    source=st.sampled_from(_FUZZ_SOURCES),
    edits=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), max_size=8),
    keep=st.floats(0, 1),
    flag=st.sampled_from([0, 1]),
    short=st.none() | st.integers(1, 40),
)
def test_damaged_files_decode_or_raise_image_decode_error(
    source: str, edits: list[tuple[float, int]], keep: float, flag: int, short: int | None
) -> None:
    """Bytes changed and cut anywhere: an image or ImageDecodeError, nothing else, no crash."""
    data = bytearray(read(source))
    for where, value in edits:
        data[int(where * len(data))] = value
    data = data[: max(1, round(keep * len(data)))]
    try:
        got = decode(bytes(data), flag, min_short_side=short)
    except ImageDecodeError as exc:
        reason = exc.reason
    else:
        reason = "decoded"
        assert got.image.dtype == np.uint8 and got.image.ndim == 3
        assert got.image.shape[2] == (1 if flag == 0 else 3)
    assert reason in ("decoded", "empty", "unknown format", "truncated", "corrupt", "too large")
