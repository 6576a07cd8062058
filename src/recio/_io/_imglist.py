"""Image lists (.lst): ``index<TAB>label...<TAB>path`` lines, as im2rec writes them."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from recio._storage import open_text

__all__ = ["ImageListError", "read_label_map"]


class ImageListError(ValueError):
    """A .lst line that does not hold an index, `label_width` labels and a path."""


def read_label_map(path: str, label_width: int) -> dict[int, npt.NDArray[np.float32]]:
    """Image index -> its `label_width` labels, from the .lst at `path`.

    As MXNet's ImageRecordIter reads a list: the first field is the image index
    (the record header's ``id``), the next `label_width` fields are the labels;
    the path and anything else after them is ignored.
    """
    labels: dict[int, npt.NDArray[np.float32]] = {}
    with open_text(path, "r") as f:
        for lineno, line in enumerate(f, start=1):
            fields = line.strip().split("\t")
            if fields == [""]:
                continue
            if len(fields) < 1 + label_width:
                raise ImageListError(
                    f"{path}: line {lineno}: expected an index and {label_width} label(s) "
                    f"separated by tabs, got {line.rstrip()!r}"
                )
            try:
                index = int(float(fields[0]))
                values = np.array([float(v) for v in fields[1 : 1 + label_width]], np.float32)
            except ValueError as e:
                raise ImageListError(f"{path}: line {lineno}: {e}") from e
            labels[index] = values
    return labels
