"""The detection label layout of MXNet's .rec/.lst files, and the label rows of a batch.

A detection record carries its objects in the record header's float32 labels
(im2rec ``--pack-label``), one flat vector::

    +---------------+---------------+-----------------+------------------------------+-----
    | header_width  | object_width  | extra header    | object 0                     | ...
    | (>= 2)        | (>= 5)        | values          | cls xmin ymin xmax ymax extra|
    +---------------+---------------+-----------------+------------------------------+-----
    |<------------- header_width values ------------->|<------ object_width -------->|

Coordinates are normalised to [0, 1] of the image (x by its width, y by its
height). MXNet 1.9.1's ``ImageDetRecordIter`` gives each image one label row
of ``label_pad_width + 4`` floats::

    [channels, height, width, n, <the n values of the label after augmentation>, pad...]

where height and width are the augmented image's (smaller than data_shape
with ``resize_mode`` shrink or fit), ``n`` counts the label values that
follow and ``pad`` is ``label_pad_value``. Objects whose box is empty or
inverted (``xmax <= xmin`` or ``ymax <= ymin``, NaN included) are dropped when
the label is read, as MXNet drops them; coordinates outside [0, 1] are kept.

This module has no I/O beyond the .lst parser: the layout checks, the
conversion to and from (header, objects), and the row writer.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

from recio._storage import open_text

__all__ = [
    "ROW_PREFIX",
    "DetLabel",
    "DetLabelError",
    "max_width",
    "parse_det_label",
    "read_det_list",
    "write_label_row",
]

ROW_PREFIX = 4  # channels, height, width, n: MXNet's four values in front of every row
MIN_HEADER_WIDTH = 2  # header_width and object_width themselves
MIN_OBJECT_WIDTH = 5  # cls, xmin, ymin, xmax, ymax

Floats = npt.NDArray[np.float32]


class DetLabelError(ValueError):
    """A detection label that does not follow the layout; the message names the record."""


@dataclasses.dataclass(frozen=True, slots=True)
class DetLabel:
    """One image's detection label: the header values and one row per valid object.

    ``objects`` has shape (n, object_width), float32; ``dropped`` counts the
    degenerate boxes left out when the label was read; ``outside`` counts the
    kept boxes with a coordinate outside [0, 1].
    """

    header: Floats
    objects: Floats
    dropped: int = 0
    outside: int = 0

    @property
    def object_width(self) -> int:
        return int(self.objects.shape[1])

    def to_array(self, objects: Floats | None = None) -> Floats:
        """The flat label (header then objects); `objects` replaces this label's own."""
        rows = self.objects if objects is None else objects
        return np.concatenate([self.header, rows.reshape(-1)]).astype(np.float32, copy=False)


def _whole(value: float, name: str, least: int, raw_len: int) -> int:
    if not math.isfinite(value) or value != int(value) or value < least:
        raise DetLabelError(
            f"{name} is {value!r}, it must be a whole number >= {least} "
            f"(the label holds {raw_len} values: [header_width, object_width, extra header..., "
            "then cls, xmin, ymin, xmax, ymax, extra... per object]); pack the records with "
            "im2rec --pack-label from a detection .lst"
        )
    return int(value)


def parse_det_label(raw: npt.ArrayLike) -> DetLabel:
    """The :class:`DetLabel` of the flat label `raw`.

    Checks what MXNet checks (header_width >= 2, object_width >= 5, the rest a
    whole number of objects) and raises :class:`DetLabelError` saying which rule
    failed (the caller adds which record). Unlike MXNet 1.9.1, a label of a
    header alone (no objects) is valid: an image with nothing to detect.
    """
    values = np.asarray(raw, dtype=np.float32).reshape(-1)
    size = int(values.size)
    if size < MIN_HEADER_WIDTH:
        raise DetLabelError(
            f"the label holds {size} value(s); a detection label holds at least "
            "header_width and object_width (e.g. [2, 5, cls, xmin, ymin, xmax, ymax, ...]); "
            "pack the records with im2rec --pack-label from a detection .lst"
        )
    header_width = _whole(float(values[0]), "header_width", MIN_HEADER_WIDTH, size)
    object_width = _whole(float(values[1]), "object_width", MIN_OBJECT_WIDTH, size)
    body = size - header_width
    if body < 0 or body % object_width:
        raise DetLabelError(
            f"the label holds {size} values, header_width={header_width} and "
            f"object_width={object_width}: {size} - {header_width} is not a whole number of "
            "objects; the header is inconsistent with the label's length"
        )
    objects = values[header_width:].reshape(-1, object_width)
    box = objects[:, 1:5]
    valid = (box[:, 2] > box[:, 0]) & (box[:, 3] > box[:, 1])
    kept = objects[valid]
    kept_box = kept[:, 1:5]
    outside = int(np.count_nonzero(((kept_box < 0) | (kept_box > 1)).any(axis=1)))
    return DetLabel(
        header=values[:header_width].copy(),
        objects=np.ascontiguousarray(kept),
        dropped=int(valid.size - np.count_nonzero(valid)),
        outside=outside,
    )


def write_label_row(
    row: Floats, channels: int, height: int, width: int, label: Floats, pad_value: float
) -> None:
    """Fill one batch label row: ``[channels, height, width, n, label..., pad_value...]``."""
    n = int(label.size)
    if n + ROW_PREFIX > row.size:  # pragma: no cover - the width is checked when reading
        raise AssertionError(f"a label of {n} values does not fit a row of {row.size}")
    row[0] = channels
    row[1] = height
    row[2] = width
    row[3] = n
    row[ROW_PREFIX : ROW_PREFIX + n] = label
    row[ROW_PREFIX + n :] = pad_value


def _fields(line: str) -> list[str]:
    # im2rec writes tab-separated lists (paths may hold spaces); MXNet splits on any space
    return line.strip().split("\t") if "\t" in line else line.split()


def read_det_list(path: str, label_width: int) -> dict[int, Floats]:
    """Image index -> flat detection label, from the .lst at `path`.

    As MXNet's ImageDetRecordIter reads a list: the first field is the image
    index (the record header's ``id``); with ``label_width > 0`` the next
    `label_width` fields are the label, else every field between the index and
    the last one (the image path) is. Raises :class:`DetLabelError` naming the
    line for a line that does not parse.
    """
    labels: dict[int, Floats] = {}
    with open_text(path, "r") as f:
        for lineno, line in enumerate(f, start=1):
            fields = _fields(line)
            if not fields:
                continue
            where = f"{path}: line {lineno}"
            if label_width > 0:
                values = fields[1 : 1 + label_width]
                if len(values) < label_width:
                    raise DetLabelError(
                        f"{where}: expected an index and {label_width} label values "
                        f"(label_width), got {line.rstrip()!r}"
                    )
            else:
                values = fields[1:-1]
                if not values:
                    raise DetLabelError(
                        f"{where}: expected an index, label values and a path, got "
                        f"{line.rstrip()!r}"
                    )
            try:
                index = int(float(fields[0]))
                labels[index] = np.array([float(v) for v in values], np.float32)
            except ValueError as e:
                raise DetLabelError(f"{where}: {e}") from e
    return labels


def max_width(labels: Iterable[Floats]) -> int:
    """The largest label length: MXNet's estimate of ``label_pad_width``."""
    return max((int(v.size) for v in labels), default=0)
