"""Builds recio's optional C extensions; all metadata lives in pyproject.toml.

``recio._csvparse`` is CSVIter's fast path for numeric CSV (src/recio/_csvparse.c).
``recio._jpegwindow`` decodes, resizes, crops and normalises a JPEG into a batch row
in one pass for the image iterators (src/recio/_jpegwindow.c); it links the system's
libjpeg-turbo (Debian's libjpeg62-turbo-dev, in the usual Python images).

Both are optional: without a C compiler (or libjpeg's headers) the build goes on
without them and recio takes its Python paths (pyarrow for CSV; simplejpeg, OpenCV
and numpy for images): slower, same results.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "recio._csvparse",
            ["src/recio/_csvparse.c"],
            extra_compile_args=["-O3", "-std=c99", "-Wall", "-Wextra"],
            libraries=["m"],
            optional=True,
        ),
        Extension(
            "recio._jpegwindow",
            ["src/recio/_jpegwindow.c"],
            extra_compile_args=["-O3", "-std=c99", "-Wall", "-Wextra"],
            libraries=["jpeg", "m"],
            optional=True,
        ),
    ]
)
