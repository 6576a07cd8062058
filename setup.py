"""Builds recio's one optional C extension; all metadata lives in pyproject.toml.

``recio._csvparse`` is CSVIter's fast path for numeric CSV (src/recio/_csvparse.c).
It is optional: without a C compiler the build goes on without it and CSVIter
parses everything with pyarrow (recio._io._csv_parse), slower but the same.
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
        )
    ]
)
