"""Write the tiny test images of tests/data/images (each a few KB), deterministically.

Run from the repository root with recio's venv (it needs Pillow, which
scikit-image brings, for the CMYK JPEG that OpenCV cannot write)::

    .venv/bin/python tests/data/images/make_images.py

The pictures are crops of scikit-image's sample photos, so decoders see real
image statistics. What each file is for is listed in README.md beside it; the
expected result of decoding each is pinned by tests/test_image_decode.py and
its MXNet 1.9.1 behaviour by tests/conformance/test_image_ops_conformance.py.
"""

from __future__ import annotations

import io
from pathlib import Path

import cv2
import numpy as np
from PIL import Image
from skimage import data

HERE = Path(__file__).resolve().parent


def _rgb(height: int, width: int) -> np.ndarray:
    """A `height` x `width` RGB crop of the astronaut photo, shrunk with area averaging."""
    photo = data.astronaut()[:300, 100:400]
    return cv2.resize(photo, (width, height), interpolation=cv2.INTER_AREA)


def _jpeg(bgr_or_gray: np.ndarray, quality: int = 90, **flags: int) -> bytes:
    params = [cv2.IMWRITE_JPEG_QUALITY, quality]
    for name, value in flags.items():
        params += [getattr(cv2, name), value]
    ok, enc = cv2.imencode(".jpg", bgr_or_gray, params)
    assert ok
    return enc.tobytes()


def _png(img: np.ndarray) -> bytes:
    ok, enc = cv2.imencode(".png", img, [cv2.IMWRITE_PNG_COMPRESSION, 9])
    assert ok
    return enc.tobytes()


def build() -> dict[str, bytes]:
    """File name -> bytes of every test image."""
    rgb = _rgb(40, 48)
    bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    color_jpeg = _jpeg(bgr)
    files = {
        # baseline colour JPEG, 48x40 (even sizes), 4:2:0
        "color.jpg": color_jpeg,
        # odd sizes, so chroma subsampling and DCT scaling hit partial blocks
        "odd.jpg": _jpeg(cv2.cvtColor(_rgb(37, 29), cv2.COLOR_RGB2BGR)),
        # one-component (grayscale) JPEG
        "gray.jpg": _jpeg(gray),
        # progressive JPEG
        "progressive.jpg": _jpeg(bgr, IMWRITE_JPEG_PROGRESSIVE=1),
        # the first half of color.jpg: scan data cut off, no EOI marker
        "truncated.jpg": color_jpeg[: len(color_jpeg) // 2],
        # only the SOI marker and the start of the headers
        "header_only.jpg": color_jpeg[:20],
        # colour JPEG whose entropy-coded data is overwritten with garbage mid-scan
        "corrupt.jpg": _corrupt(color_jpeg),
        # 8-bit PNGs: RGB, RGBA (alpha a horizontal ramp), grayscale
        "color.png": _png(bgr),
        "alpha.png": _png(
            np.dstack([bgr, np.tile(np.linspace(0, 255, 48, dtype=np.uint8), (40, 1))])
        ),
        "gray.png": _png(gray),
        # 16-bit PNGs: RGB and grayscale (values spread over the whole 16-bit range)
        "color16.png": _png(bgr.astype(np.uint16) * 257 + 128),
        "gray16.png": _png(gray.astype(np.uint16) * 257 + 3),
        # CMYK JPEG as Photoshop writes them (Adobe marker, inverted CMYK); written by Pillow
        "cmyk.jpg": _cmyk_jpeg(rgb),
        # EXIF orientation 6 (rotate 90 degrees clockwise) on a 32x24 picture: once with a
        # JFIF APP0 segment first (MXNet ignores the orientation), once without (applied)
        "exif_jfif.jpg": _exif_jpeg(rgb[:32, :24], jfif=True),
        "exif_rotated.jpg": _exif_jpeg(rgb[:32, :24], jfif=False),
        # not an image at all
        "not_image.txt": b"This is not an image, just some text that happens to be here.\n",
        # nothing
        "empty.jpg": b"",
    }
    return files


def _corrupt(jpeg: bytes) -> bytes:
    """`jpeg` with 64 bytes of its scan data, two thirds in, replaced by a fixed byte pattern."""
    at = len(jpeg) * 2 // 3
    junk = bytes((i * 37 + 11) % 251 for i in range(64)).replace(b"\xff", b"\x00")
    return jpeg[:at] + junk + jpeg[at + 64 :]


def _cmyk_jpeg(rgb: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(rgb, "RGB").convert("CMYK").save(out, "JPEG", quality=90)
    return out.getvalue()


def _exif_jpeg(rgb: np.ndarray, *, jfif: bool) -> bytes:
    """A JPEG with EXIF orientation 6; without `jfif` its APP0 (JFIF) segment is cut out."""
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: the stored picture must be turned 90 degrees clockwise
    out = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb), "RGB").save(
        out, "JPEG", quality=90, exif=exif.tobytes()
    )
    jpeg = out.getvalue()
    assert jpeg[2:4] == b"\xff\xe0" and jpeg[6:11] == b"JFIF\x00"
    if jfif:
        return jpeg
    app0_end = 4 + int.from_bytes(jpeg[4:6], "big")
    return jpeg[:2] + jpeg[app0_end:]


def main() -> None:
    for name, payload in build().items():
        (HERE / name).write_bytes(payload)
        print(f"{name}: {len(payload)} bytes")


if __name__ == "__main__":
    main()
