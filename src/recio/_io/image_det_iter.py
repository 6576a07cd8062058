"""MXNet's ``mx.image.ImageDetIter``: detection images and their boxes, through augmenters.

An :class:`~recio._io.image_iter.ImageIter` whose labels are object lists.
A raw label (record header or image-list line) is MXNet's detection layout::

    [header width A, object width B, (A - 2 more header values),
     class, xmin, ymin, xmax, ymax, (B - 5 extras), class, xmin, ...]

with corners as fractions of the image's width and height. Each image's
objects become one (max objects, B) slice of the batch label, the rows past
its own objects filled with -1. The constructor reads every label once, as
MXNet does, to size that slice and to reject bad labels before any worker
starts: a label that is too short, whose length does not fit its object width,
or with no object whose box has xmax > xmin and ymax > ymin raises
:class:`ImageDetLabelError` naming the record (MXNet raises a bare RuntimeError).
Inverted boxes beside valid ones are dropped and images whose objects all have
class < 0 are skipped, as in MXNet; boxes outside [0, 1] pass unchanged (as in
MXNet) with one warning, since they usually mean pixel coordinates.

Augmentation (:mod:`recio._image.det_augmenters`, ``CreateDetAugmenter``)
runs on the batch engine's threads with the generator ``image_rng(seed,
epoch, row)`` per row, so runs repeat for a ``seed`` whatever the threads do;
a row whose augmented objects are all of class < 0 takes the next image, as
MXNet skips such a sample. Broken images are skipped with a warning (MXNet
raises), as in ImageIter.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np
import numpy.typing as npt

from recio._header import IRHeader, pack_img
from recio._image.augmenters import Augmenter, AugmenterArgumentError, augment, image_rng
from recio._image.decode import ImageDecodeError
from recio._image.det_augmenters import CreateDetAugmenter, DetBorrowAug, augment_detection
from recio._image.normalize import Normalizer
from recio._io._det_labels import DetLabelError, parse_det_label
from recio._io._record_plan import Sample
from recio._io.base import DataDesc
from recio._io.image_iter import ImageIter, _split_tail
from recio._pipeline import BatchEngine

__all__ = [
    "ImageDetIter",
    "ImageDetLabelError",
    "detection_demo",
    "draw_boxes",
    "frame_errors",
    "parse_objects",
    "synthetic_detection_set",
]

Array = npt.NDArray[Any]
_IMAGENET_MEAN = (123.68, 116.28, 103.53)
_IMAGENET_STD = (58.395, 57.12, 57.375)


class ImageDetLabelError(DetLabelError, RuntimeError):
    """A label ImageDetIter cannot use; the message names the record and the rule.

    The layout's :class:`DetLabelError` (a ValueError: bad data), and a
    RuntimeError as MXNet's ImageDetIter raises.
    """


def parse_objects(raw: Any, source: str = "label") -> npt.NDArray[np.float32]:
    """The valid objects of a raw detection label: an (objects, width) float32 array.

    The layout rules of :func:`recio._io._det_labels.parse_det_label` (header
    width >= 2, object width >= 5, a length of the header plus whole objects),
    whose inverted or empty boxes are dropped; then MXNet's ImageDetIter rule:
    at least one object must be left. Raises :class:`ImageDetLabelError` naming
    `source`.
    """
    try:
        objects = parse_det_label(raw).objects
    except DetLabelError as e:
        raise ImageDetLabelError(f"{source}: {e}") from e
    if not len(objects):
        raise ImageDetLabelError(
            f"{source}: no valid object (a box needs xmax > xmin and ymax > ymin) in the label "
            f"{np.asarray(raw, np.float32).ravel().tolist()}; MXNet's ImageDetIter refuses "
            "images without objects too, so leave such images out of the .lst/.rec"
        )
    return objects


def _usable(objects: Array) -> bool:
    """MXNet's check after augmentation: some object has class >= 0 and a non-empty box."""
    return bool(
        (
            (objects[:, 0] >= 0) & (objects[:, 3] > objects[:, 1]) & (objects[:, 4] > objects[:, 2])
        ).any()
    )


def _stages(auglist: Any) -> tuple[Any, list[Any], Normalizer | None]:
    """(detection augmenters, trailing borrowed ones, fused cast+normalise write).

    CreateDetAugmenter's list ends in borrowed force-resize, cast and
    normalisation: the cast and normalisation become one pass into the batch.
    """
    if not isinstance(auglist, list):
        return auglist, [], None
    k = len(auglist)
    while k and type(auglist[k - 1]) is DetBorrowAug:
        k -= 1
    rest, norm = _split_tail([aug.augmenter for aug in auglist[k:]])
    return auglist[:k], rest, norm


class ImageDetIter(ImageIter):
    """Batches of augmented detection images and padded object labels (MXNet's ImageDetIter).

    MXNet's arguments; the augmenters are ``aug_list`` or
    ``CreateDetAugmenter(data_shape, **kwargs)``. recio's own keywords are
    ImageIter's: ``seed``, ``preprocess_threads``, ``fast_decode``, ``on_error``.
    """

    def __init__(
        self,
        batch_size: int,
        data_shape: tuple[int, int, int],
        path_imgrec: str | None = None,
        path_imglist: str | None = None,
        path_root: str | None = None,
        path_imgidx: str | None = None,
        shuffle: bool = False,
        part_index: int | Literal["auto"] = 0,
        num_parts: int | Literal["auto"] = 1,
        aug_list: list[Any] | None = None,
        imglist: list[Any] | None = None,
        data_name: str = "data",
        label_name: str = "label",
        last_batch_handle: Literal["pad", "discard", "roll_over"] = "pad",
        *,
        seed: int | None = None,
        preprocess_threads: int = 2,
        fast_decode: bool = True,
        on_error: Literal["skip", "raise"] = "skip",
        **kwargs: Any,
    ):
        self._ready = False
        self._num_threads = preprocess_threads
        super().__init__(
            batch_size, data_shape, 1, path_imgrec, path_imglist, path_root, path_imgidx,
            shuffle, part_index, num_parts, [], imglist, data_name, label_name, "float32",
            last_batch_handle, seed=seed, preprocess_threads=preprocess_threads,
            fast_decode=fast_decode, on_error=on_error,
        )  # fmt: skip
        try:
            self.auglist = (
                CreateDetAugmenter(data_shape, **kwargs) if aug_list is None else aug_list
            )
            self.label_shape = self._estimate_label_shape()
        except BaseException:
            self._engine.close()  # ImageIter's idle workers: no thread outlives a failed build
            raise
        self._new_engine()
        self._ready = True
        self._begin_epoch(consumed=0)

    # -- labels ---------------------------------------------------------------------

    def _source(self, position: int, record_id: int | None = None) -> str:
        """Where item `position` comes from, for error messages."""
        item = self._seq[position]
        if self._store is None:
            return f"image {item!r} ({self.imglist[item][1]})"  # type: ignore[index]
        files = ", ".join(self._store.files)
        number = f" (id {record_id})" if record_id is not None else ""
        return f"record{number} at byte {item[1]} of {files}"

    def _raw_label(self, position: int) -> tuple[Any, str]:
        """(raw label, its source) of item `position`, without decoding the image."""
        item = self._seq[position]
        if self._store is None:
            return self.imglist[item][0], self._source(position)  # type: ignore[index]
        key, offset = item
        if self.imglist is not None and key is not None:
            return self.imglist[key][0], f"image list entry {key}"
        header, _ = self._store.image_record(offset)  # the image is not copied
        return header.label, self._source(position, header.id)

    def _estimate_label_shape(self) -> tuple[int, int]:
        """Parse every label: (max objects, object width); keeps the parsed objects.

        Items whose objects all have class < 0 are dropped from the sequence
        afterwards (MXNet skips them whenever it meets them), but still count
        for the maximum, as in MXNet.
        """
        if not self._seq:
            raise ValueError("ImageDetIter: no images to read (this part of the data is empty)")
        objects: list[Array] = []
        width, width_source, outside, first_outside = 0, "", 0, ""
        for position in range(len(self._seq)):
            raw, source = self._raw_label(position)
            parsed = parse_objects(raw, source)
            if not width:
                width, width_source = parsed.shape[1], source
            elif parsed.shape[1] != width:
                raise ImageDetLabelError(
                    f"{source}: object width {parsed.shape[1]} differs from the "
                    f"{width} of {width_source}; every label of one iterator needs the same"
                )
            boxes = parsed[:, 1:5]
            if ((boxes < 0) | (boxes > 1)).any():
                outside += 1
                first_outside = first_outside or f"{source}: {parsed[0, 1:5].tolist()}"
            objects.append(parsed)
        if outside:
            warnings.warn(
                f"ImageDetIter: {outside} labels have box corners outside [0, 1] (first: "
                f"{first_outside}); corners are fractions of width and height, so these may "
                "be pixels. They are passed on unchanged, as MXNet does.",
                UserWarning,
                stacklevel=3,
            )
        count = max(len(o) for o in objects)
        keep = [i for i, o in enumerate(objects) if (o[:, 0] >= 0).any()]
        if not keep:
            raise ImageDetLabelError("ImageDetIter: no image has an object with class id >= 0")
        self._seq = [self._seq[i] for i in keep]
        self._objects = [objects[i] for i in keep]
        return (count, width)

    def _parse_label(self, label: Any) -> npt.NDArray[np.float32]:
        """MXNet's helper: the valid objects of a raw label (ImageDetLabelError if none)."""
        return parse_objects(label)

    def _check_valid_label(self, label: Any) -> None:
        """MXNet's helper: RuntimeError unless `label` is (n, >= 5) with a usable object."""
        label = np.asarray(label)
        if label.ndim != 2 or label.shape[1] < 5:
            raise ImageDetLabelError(f"Label with shape (1+, 5+) required, {label} received.")
        if not _usable(label):
            raise ImageDetLabelError("Invalid label occurs: no object with class >= 0 and a box.")

    # -- augmenters and shapes --------------------------------------------------------

    @property
    def auglist(self) -> Any:
        """The detection augmenters; assigning a new list takes effect from the next batch."""
        return self._auglist

    @auglist.setter
    def auglist(self, value: Any) -> None:
        for aug in value if isinstance(value, list | tuple) else []:
            if isinstance(aug, Augmenter):
                raise TypeError(
                    f"ImageDetIter's augmenters take (image, label); {type(aug).__name__} is a "
                    "classification augmenter: wrap it as DetBorrowAug(...) if it leaves boxes "
                    "where they are"
                )
        self._auglist = value
        self._head, self._rest, self._norm = _stages(value)
        if getattr(self, "_ready", False):
            self._begin_epoch(self._consumed)  # batches made ahead used the old list

    @property
    def provide_label(self) -> list[DataDesc]:
        return [DataDesc(self._label_name, (self.batch_size, *self.label_shape))]

    def check_data_shape(self, data_shape: Any) -> None:
        """ValueError unless `data_shape` is (3, height, width)."""
        if len(data_shape) != 3:
            raise ValueError("data_shape should have length 3, with dimensions CxHxW")
        if data_shape[0] != 3:
            raise ValueError("This iterator expects inputs to have 3 channels.")

    def check_label_shape(self, label_shape: Any) -> None:
        """ValueError unless `label_shape` is (objects, width) with no fewer objects and the
        same object width as now."""
        if len(label_shape) != 2:
            raise ValueError("label_shape should have length 2")
        if label_shape[0] < self.label_shape[0]:
            raise ValueError(
                f"Attempts to reduce label count from {self.label_shape[0]} to "
                f"{label_shape[0]}, not allowed."
            )
        if label_shape[1] != self.label_shape[1]:
            raise ValueError(
                f"label_shape object width inconsistent: {self.label_shape[1]} vs {label_shape[1]}."
            )

    def reshape(
        self, data_shape: tuple[int, ...] | None = None, label_shape: tuple[int, ...] | None = None
    ) -> None:
        """New data and/or label shape from the next batch on (the augmenters are not
        changed: a new data shape needs augmenters that produce it)."""
        self._set_shapes(data_shape, label_shape)
        self._begin_epoch(self._consumed)

    def _set_shapes(self, data_shape: Any, label_shape: Any) -> None:
        if data_shape is not None:
            self.check_data_shape(data_shape)
            self.data_shape = tuple(int(v) for v in data_shape)  # type: ignore[assignment]
        if label_shape is not None:
            self.check_label_shape(label_shape)
            self.label_shape = (int(label_shape[0]), int(label_shape[1]))
        self._new_engine()  # its buffers have the old shapes

    def sync_label_shape(self, it: ImageDetIter, verbose: bool = False) -> ImageDetIter:
        """Give this iterator and `it` the larger of their object counts; returns `it`."""
        if not isinstance(it, ImageDetIter):
            raise TypeError(f"Synchronize with invalid iterator: {type(it).__name__}")
        if self.label_shape[1] != it.label_shape[1]:
            raise AugmenterArgumentError(
                f"object width mismatch: {self.label_shape[1]} vs {it.label_shape[1]}"
            )
        count = max(self.label_shape[0], it.label_shape[0])
        for iterator in (self, it):
            if iterator.label_shape[0] < count:
                iterator.reshape(None, (count, iterator.label_shape[1]))
        if verbose:
            print(f"Resized label_shape to ({count}, {self.label_shape[1]}).")
        return it

    # -- per-row work on the engine's threads ---------------------------------------

    def _new_engine(self) -> None:
        engine = getattr(self, "_engine", None)
        if engine is not None:
            engine.close()
        self._engine = BatchEngine(
            self._fill,
            self._make_buffers,
            num_threads=max(1, self._num_threads),
            prefetch=4,
            name="ImageDetIter",
        )

    def _begin_epoch(self, consumed: int) -> None:
        if self._ready:  # not while ImageIter's constructor runs: labels are read after it
            super()._begin_epoch(consumed)

    def _make_buffers(self) -> tuple[Any, ...]:
        return (
            np.zeros((self.batch_size, *self.data_shape), np.float32),
            np.full((self.batch_size, *self.label_shape), -1, np.float32),
        )

    def _augmented(self, sample: Sample, full: bool) -> tuple[Array, Array]:
        """(image, objects) for a plan row: its image, or the next usable one.

        `full` runs the whole augmenter list; otherwise the fused cast+normalise
        tail is left to the batch write. Broken images are skipped (a warning),
        as are images whose augmented objects are all of class < 0 (as MXNet).
        """
        assert sample.position is not None
        epoch, row = sample.key
        rng = image_rng(self.seed, epoch, row)
        count = len(self._seq)
        position = sample.position
        for _ in range(count):
            if position not in self._bad:
                try:
                    _, image = self._load(position)
                except (ImageDecodeError, ValueError, OSError) as e:
                    if self.on_error == "raise":
                        raise
                    self._note_bad(position, e)
                else:
                    pixels, objects = augment_detection(
                        image, self._objects[position].copy(), self._head, rng
                    )
                    out = np.asarray(augment(pixels, self._rest, rng) if self._rest else pixels)
                    if full and self._norm is not None and out.dtype == np.uint8:
                        out = self._normalise(out)
                    objects = np.asarray(objects)
                    if objects.ndim == 2 and objects.shape[0] and _usable(objects):
                        return out, objects
            position = (position + 1) % count
        raise RuntimeError("ImageDetIter: no image of this part can be decoded and used")

    def _normalise(self, image: Array) -> Array:
        assert self._norm is not None
        out = np.empty((image.shape[2], image.shape[0], image.shape[1]), np.float32)
        self._norm.write(image, out, mirror=False)
        return out.transpose(1, 2, 0)

    def _fill(self, sample: Sample, buffers: tuple[Any, ...], slot: int) -> None:
        data, label = buffers
        out, objects = self._augmented(sample, full=False)
        want = (self.data_shape[1], self.data_shape[2], self.data_shape[0])
        if out.shape != want:
            raise ValueError(
                f"the augmenters made an image of shape {out.shape}; the batch needs {want} "
                "(HWC): end aug_list with a resize to data_shape, as CreateDetAugmenter does"
            )
        if objects.shape[1] != label.shape[2] or objects.shape[0] > label.shape[1]:
            raise ValueError(
                f"the augmenters made {objects.shape[0]} objects of width {objects.shape[1]}; "
                f"label_shape {self.label_shape} holds fewer: reshape(label_shape=...)"
            )
        if self._norm is not None and out.dtype == np.uint8:
            self._norm.write(out, data[slot], mirror=False)
        else:
            data[slot] = out.transpose(2, 0, 1)
        label[slot, : len(objects)] = objects
        label[slot, len(objects) :] = -1

    # -- looking at it -----------------------------------------------------------------

    def draw_next(
        self,
        color: tuple[int, int, int] | None = None,
        thickness: int = 2,
        mean: Any = None,
        std: Any = None,
        clip: bool = True,
        waitKey: int | None = None,  # noqa: N803 - MXNet's keyword
        window_name: str = "draw_next",
        id2labels: dict[int, str] | None = None,
    ) -> Iterator[npt.NDArray[np.uint8]]:
        """The rest of this epoch's images as BGR uint8 with their boxes drawn, for looking at.

        Each is the augmented image its batch row holds (``mean``/``std``, True
        for ImageNet's, undo a normalisation). Does not move the iterator.
        With ``waitKey`` set each image is also shown with cv2.imshow.
        """
        mean = _stat("mean", mean, _IMAGENET_MEAN)
        std = _stat("std", std, _IMAGENET_STD)
        plan = self._plan
        for index in range(self._consumed, len(plan.batches)):
            batch = plan.batches[index]
            for sample in batch[: len(batch) - plan.pads[index]]:
                image, objects = self._augmented(sample, full=True)
                picture = image.astype(np.float32)
                if std is not None:
                    picture = picture * std
                if mean is not None:
                    picture = picture + mean
                if clip:
                    picture = np.clip(picture, 0, 255)
                bgr = np.ascontiguousarray(picture[:, :, ::-1].astype(np.uint8))
                draw_boxes(bgr, objects, color, thickness, id2labels)
                if waitKey is not None:
                    cv2.imshow(window_name, bgr)
                    cv2.waitKey(waitKey)
                yield bgr

    # -- checkpointing -------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        state["label_shape"] = list(self.label_shape)
        state["data_shape"] = list(self.data_shape)
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        data_shape, label_shape = tuple(state["data_shape"]), tuple(state["label_shape"])
        if data_shape != tuple(self.data_shape) or label_shape != tuple(self.label_shape):
            self._set_shapes(data_shape, label_shape)
        super().load_state_dict(state)


def _stat(name: str, value: Any, default: tuple[float, ...]) -> Any:
    if value is True:
        return np.array(default, np.float32)
    if value is None:
        return None
    value = np.asarray(value, np.float32)
    if value.ndim != 1 or value.shape[0] not in (1, 3):
        raise AugmenterArgumentError(f"draw_next: {name} must be True, None or 1 or 3 values")
    return value


# --------------------------------------------------------------------------- drawing

_PALETTE = (
    (255, 56, 56), (72, 249, 10), (0, 194, 255), (255, 157, 151), (146, 204, 23),
    (255, 178, 29), (207, 210, 49), (26, 147, 52), (0, 212, 187), (52, 69, 147),
)  # fmt: skip


def draw_boxes(
    image: npt.NDArray[np.uint8],
    objects: Array,
    color: tuple[int, int, int] | None = None,
    thickness: int = 2,
    id2labels: dict[int, str] | None = None,
) -> npt.NDArray[np.uint8]:
    """Draw each object's box (rows [class, xmin, ymin, xmax, ymax, ...]) on a BGR image in place.

    ``color`` is RGB; without it each class gets its own colour. Rows with
    xmin < 0 (the -1 padding of a batch label) are skipped. Returns the image.
    """
    height, width = image.shape[:2]
    for row in np.asarray(objects):
        x1 = int(row[1] * width)
        if x1 < 0:
            continue
        y1, x2, y2 = int(row[2] * height), int(row[3] * width), int(row[4] * height)
        rgb = color if color is not None else _PALETTE[int(row[0]) % len(_PALETTE)]
        bgr = (int(rgb[2]), int(rgb[1]), int(rgb[0]))
        cv2.rectangle(image, (x1, y1), (x2, y2), bgr, thickness)
        if id2labels is not None and int(row[0]) in id2labels:
            font = cv2.FONT_HERSHEY_SIMPLEX
            text = str(id2labels[int(row[0])])
            text_height = cv2.getTextSize(text, font, 0.5, 2)[0][1]
            cv2.putText(image, text, (x1 + 5, y1 + text_height + 5), font, 0.5, (255,) * 3, 2)
    return image


# --------------------------------------------------------------------------- demo data

#: RGB colour of each class of the synthetic set; even classes are rectangles, odd ones discs.
CLASS_COLOURS = (
    (230, 30, 30), (30, 210, 30), (40, 60, 240), (235, 225, 40), (220, 40, 220), (40, 215, 215),
)  # fmt: skip


def synthetic_detection_set(
    count: int, size: tuple[int, int] = (240, 320), seed: int = 0, max_objects: int = 4
) -> list[tuple[npt.NDArray[np.uint8], npt.NDArray[np.float32]]]:
    """`count` RGB images (height, width = `size`) of coloured shapes on grey noise, with labels.

    Each image holds 1 to `max_objects` non-overlapping objects of distinct
    classes (:data:`CLASS_COLOURS`): filled rectangles for even classes, filled
    ellipses for odd ones, each exactly framed by its box. Labels are
    (objects, 5) float32 rows [class, xmin, ymin, xmax, ymax].
    """
    rng = np.random.default_rng(seed)
    height, width = size
    out = []
    for _ in range(count):
        image = rng.integers(70, 130, (height, width, 1), dtype=np.uint8).repeat(3, axis=2)
        rows: list[list[float]] = []
        taken: list[tuple[int, int, int, int]] = []
        classes = rng.permutation(len(CLASS_COLOURS))[: int(rng.integers(1, max_objects + 1))]
        for cls in classes:
            for _ in range(50):
                w = int(rng.integers(width // 8, width // 2))
                h = int(rng.integers(height // 8, height // 2))
                x, y = int(rng.integers(0, width - w)), int(rng.integers(0, height - h))
                box = (x - 3, y - 3, x + w + 3, y + h + 3)
                if all(box[2] <= t[0] or t[2] <= box[0] or box[3] <= t[1] or t[3] <= box[1]
                       for t in taken):  # fmt: skip
                    break
            else:
                continue
            taken.append(box)
            colour = CLASS_COLOURS[int(cls)]
            if cls % 2 == 0:
                image[y : y + h, x : x + w] = colour
            else:  # the disc of pixel centres inside the ellipse: its extent is the box
                dy = (np.arange(h) + 0.5 - h / 2) / (h / 2)
                dx = (np.arange(w) + 0.5 - w / 2) / (w / 2)
                inside = dy[:, None] ** 2 + dx[None, :] ** 2 <= 1
                image[y : y + h, x : x + w][inside] = colour
            rows.append([float(cls), x / width, y / height, (x + w) / width, (y + h) / height])
        out.append((image, np.array(rows, np.float32)))
    return out


def frame_errors(
    image: Array, objects: Array, tolerance: float = 0.5, colour_tolerance: float = 40
) -> list[str]:
    """How `objects`' boxes fail to frame the shapes of an augmented synthetic image.

    For every object of class >= 0, the pixels of its class colour (within
    `colour_tolerance` per channel) must lie inside its box widened by
    `tolerance` pixels; for rectangles (even classes) the box must also be the
    tight frame of those pixels within `tolerance`. Empty list: all framed.
    `image` is RGB HWC, uint8 or float without normalisation.
    """
    pixels = np.asarray(image, np.float32)
    height, width = pixels.shape[:2]
    problems = []
    for row in np.asarray(objects):
        if row[0] < 0:
            continue
        cls = int(row[0])
        mask = (np.abs(pixels - CLASS_COLOURS[cls]) <= colour_tolerance).all(axis=2)
        ys, xs = np.nonzero(mask)
        x0, y0, x1, y1 = row[1] * width, row[2] * height, row[3] * width, row[4] * height
        box = f"class {cls} box ({x0:.1f}, {y0:.1f}, {x1:.1f}, {y1:.1f})"
        if not len(xs):
            problems.append(f"{box}: no pixel of its colour in the image")
            continue
        found = (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)  # pixel i spans [i, i + 1)
        if (
            found[0] < x0 - tolerance or found[1] < y0 - tolerance
            or found[2] > x1 + tolerance or found[3] > y1 + tolerance
        ):  # fmt: skip
            problems.append(f"{box}: its pixels reach {found}, outside the box")
        elif cls % 2 == 0 and np.abs(np.subtract(found, (x0, y0, x1, y1))).max() > tolerance:
            problems.append(f"{box}: the rectangle spans {found}, the box is not its frame")
    return problems


def write_detection_rec(
    path: Path,
    samples: list[tuple[Array, Array]],
    img_fmt: str = ".jpg",
    quality: int | None = None,
) -> None:
    """Pack (RGB image, objects) pairs into `path` (.rec) and its .idx, labels in MXNet's
    detection layout [2, width, objects...]."""
    from recio._recordio import MXIndexedRecordIO

    with MXIndexedRecordIO(str(path.with_suffix(".idx")), str(path), "w") as writer:
        for i, (image, objects) in enumerate(samples):
            label = np.concatenate([[2, objects.shape[1]], objects.ravel()]).astype(np.float32)
            bgr = np.ascontiguousarray(image[:, :, ::-1])
            level = quality if quality is not None else (95 if img_fmt == ".jpg" else 3)
            record = pack_img(IRHeader(0, label, i, 0), bgr, quality=level, img_fmt=img_fmt)
            writer.write_idx(i, record)


def detection_demo(out_dir: Path | str, count: int = 64, columns: int = 4, seed: int = 0) -> Path:
    """Write ``out_dir/det_batch.png``: augmented detection images with their boxes drawn.

    Generates :func:`synthetic_detection_set`, packs it into ``out_dir/det.rec``,
    reads it back through ``ImageDetIter`` with random crop, pad and mirror,
    and tiles the first ``columns ** 2`` images of :meth:`ImageDetIter.draw_next`.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rec = out / "det.rec"
    write_detection_rec(rec, synthetic_detection_set(count, seed=seed))
    names = {i: f"class {i}" for i in range(len(CLASS_COLOURS))}
    tiles = []
    it = ImageDetIter(
        columns * columns, (3, 256, 256), path_imgrec=str(rec),
        path_imgidx=str(rec.with_suffix(".idx")), shuffle=True, seed=seed, rand_crop=0.7,
        rand_pad=0.5, rand_mirror=True, area_range=(0.3, 2.5),
    )  # fmt: skip
    with it:
        for image in it.draw_next(id2labels=names):
            tiles.append(
                cv2.copyMakeBorder(image, 2, 2, 2, 2, cv2.BORDER_CONSTANT, value=(255,) * 3)
            )
            if len(tiles) == columns * columns:
                break
    rows = [np.hstack(tiles[i : i + columns]) for i in range(0, len(tiles), columns)]
    target = out / "det_batch.png"
    cv2.imwrite(str(target), np.vstack(rows))
    return target
