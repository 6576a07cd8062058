"""Make the tiny image folder and the golden outputs of MXNet 1.9.1's tools/im2rec.py.

Run with the reference Python, from the repository root::

    .venv-mxnet/bin/python tests/golden/im2rec/make_golden.py

It rewrites ``images/`` (deterministic: numpy's PCG64 with a fixed seed, encoded by the
reference venv's OpenCV 4.8.1) and then runs MXNet's own ``mxnet/tools/im2rec.py`` (the
copy shipped in the mxnet wheel) as a subprocess for every case in :data:`CASES`, keeping
the .lst/.rec/.idx it writes. ``tests/test_im2rec.py`` checks that recio, given the same
flags, writes the same lists byte for byte and equivalent records. See README.md.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import cv2
import mxnet
import numpy as np

HERE = Path(__file__).resolve().parent
IMAGES = HERE / "images"
TOOL = Path(mxnet.__file__).parent / "tools" / "im2rec.py"

# (case name, im2rec arguments after PREFIX ROOT, input list to pack or None for --list)
CASES: list[tuple[str, list[str], str | None]] = [
    ("list_rec", ["--list", "--recursive"], None),
    ("list_flat", ["--list", "--no-shuffle"], None),
    (
        "split",
        ["--list", "--recursive", "--chunks", "2", "--train-ratio", "0.5", "--test-ratio", "0.25"],
        None,
    ),
    ("pack_jpg", ["--resize", "16", "--quality", "90", "--num-thread", "2"], "list_rec"),
    ("pack_raw", ["--pass-through", "--num-thread", "2"], "images_only"),
    (
        "pack_multi",
        [
            "--pack-label",
            "--center-crop",
            "--resize",
            "12",
            "--encoding",
            ".png",
            "--color",
            "0",
            "--num-thread",
            "2",
        ],
        "multi",
    ),
]


def gradient(h: int, w: int, rng: np.random.Generator, channels: int) -> np.ndarray:
    """A smooth colour gradient with mild noise: compresses like a photo, a few hundred bytes."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    base = [x / w * 255, y / h * 255, (x + y) / (w + h) * 255, np.full_like(x, 200)]
    img = np.stack(base[:channels], -1) + rng.normal(0, 8, (h, w, channels))
    out = np.clip(img, 0, 255).astype(np.uint8)
    return out[..., 0] if channels == 1 else out


def make_images() -> None:
    """images/: 8 images in nested folders, one non-image .jpg, one text file."""
    shutil.rmtree(IMAGES, ignore_errors=True)
    rng = np.random.default_rng(20240611)
    files = {
        "top.jpg": (20, 28, 3),
        "cat/a.jpg": (24, 18, 3),
        "cat/b.png": (16, 22, 4),  # alpha: dropped with --color 1, kept with -1
        "cat/C.JPG": (14, 14, 3),  # upper-case extension: listed (MXNet lower-cases it)
        "dog/d.jpeg": (30, 20, 1),  # grayscale JPEG
        "dog/e.jpg": (12, 26, 3),
        "dog/puppy/f.png": (18, 18, 3),  # nested folder: its own label
        "zebra/g.jpg": (22, 16, 3),
    }
    for rel, (h, w, c) in files.items():
        path = IMAGES / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        img = gradient(h, w, rng, c)
        params = [cv2.IMWRITE_JPEG_QUALITY, 85] if rel.lower().endswith(("jpg", "jpeg")) else []
        ok, buf = cv2.imencode(path.suffix.lower(), img, params)
        assert ok
        path.write_bytes(buf.tobytes())
    (IMAGES / "bad").mkdir()
    (IMAGES / "bad" / "broken.jpg").write_bytes(b"this is not a JPEG file\n")
    (IMAGES / "docs").mkdir()
    (IMAGES / "docs" / "readme.txt").write_text("not an image extension: never listed\n")


def write_inputs() -> None:
    """The lists packed by the pack cases that do not pack a list made by a list case."""
    lines = (HERE / "list_rec.lst").read_text().splitlines(keepends=True)
    (HERE / "images_only.lst").write_text("".join(x for x in lines if "broken" not in x))
    multi = [
        (7, [1.0, 2.5, -3.0], "cat/a.jpg"),
        (3, [4.0], "dog/d.jpeg"),  # one label: flag 0 even with --pack-label
        (11, [0.0, 1.0], "cat/b.png"),
        (5, [2.0, 0.1, 9.0], "dog/e.jpg"),
        (2, [1.0, 1.0], "bad/broken.jpg"),  # not an image: skipped
        (40, [6.0, 7.0], "top.jpg"),
    ]
    text = "".join(
        f"{i}\t" + "".join(f"{v:f}\t" for v in labels) + f"{p}\n" for i, labels, p in multi
    )
    (HERE / "multi.lst").write_text(text)


def run_case(name: str, args: list[str], source: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        if source is not None:
            shutil.copy(HERE / f"{source}.lst", Path(tmp) / f"{name}.lst")
        cmd = [sys.executable, str(TOOL), os.path.join(tmp, name), str(IMAGES), *args]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        for out in sorted(Path(tmp).iterdir()):
            if source is not None and out.suffix == ".lst":
                continue  # the input list, already here as <source>.lst
            shutil.copy(out, HERE / out.name)


def main() -> None:
    for old in HERE.glob("*"):
        if old.suffix in (".lst", ".rec", ".idx"):
            old.unlink()
    make_images()
    for name, args, source in CASES:
        if source is None:
            run_case(name, args, source)
    write_inputs()
    for name, args, source in CASES:
        if source is not None:
            run_case(name, args, source)
    print("\n".join(sorted(p.name for p in HERE.iterdir() if p.is_file())))


if __name__ == "__main__":
    main()
