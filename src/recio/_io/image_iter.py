"""MXNet's ``mx.image.ImageIter``: images from .rec files or image files, through augmenters.

MXNet 1.9.1's Python iterator decodes, augments and batches one image at a
time on one thread. recio keeps its surface and semantics — a list of
augmenters (``aug_list``, or ``CreateAugmenter(data_shape, **kwargs)``), RGB
HWC images through them, CHW float32 batches, labels from the records or the
image list, ``last_batch_handle`` 'pad' / 'discard' / 'roll_over', contiguous
integer ``num_parts`` (``len // num_parts`` items each, the remainder unread) —
and runs the per-image work on the batch engine's threads. ``num_parts="auto"``
(recio's) takes the world size and rank from the launcher and reads, every
epoch, an even block of the whole sequence's order (:mod:`recio._distributed`).
Each image's augmentation draws from ``image_rng(seed, epoch, row)``, so a run
is repeatable for a ``seed`` whatever the thread timing (MXNet draws from
Python's global ``random``; recio's ``seed`` defaults to a draw from it, so
``random.seed(...)`` still makes runs repeatable).

Images that cannot be decoded are skipped with a warning (MXNet raises
"Broken image"): the row gets the next good image, and ``skipped`` counts them.
"""

from __future__ import annotations

import os
import random
import threading
import warnings
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from recio._distributed import PartArg, require_shared_seed, resolve_parts
from recio._image.augmenters import (
    CastAug,
    ColorNormalizeAug,
    CreateAugmenter,
    augment,
    image_rng,
)
from recio._image.decode import ImageDecodeError, decode
from recio._image.fastjpeg import decode_jpeg_fast
from recio._image.normalize import Normalizer
from recio._io._record_plan import (
    EpochPlan,
    Sample,
    epoch_order,
    plan_block_epoch,
    plan_last_batch_epoch,
)
from recio._io._record_store import RecordStore, rec_files
from recio._io.base import DataBatch, DataDesc, DataIter
from recio._pipeline import BatchEngine
from recio.nd import NDArray

__all__ = ["ImageIter"]

_LABEL_DTYPES = ("int32", "float32", "int64", "float64")


class ImageIter(DataIter):
    """Batches of augmented images from .rec files or image files (MXNet's ``ImageIter``)."""

    def __init__(
        self,
        batch_size: int,
        data_shape: tuple[int, int, int],
        label_width: int = 1,
        path_imgrec: str | None = None,
        path_imglist: str | None = None,
        path_root: str | None = None,
        path_imgidx: str | None = None,
        shuffle: bool = False,
        part_index: PartArg = 0,
        num_parts: PartArg = 1,
        aug_list: list[Any] | None = None,
        imglist: list[Any] | None = None,
        data_name: str = "data",
        label_name: str = "softmax_label",
        dtype: str = "float32",
        last_batch_handle: Literal["pad", "discard", "roll_over"] = "pad",
        *,
        seed: int | None = None,
        preprocess_threads: int = 2,
        fast_decode: bool = True,
        on_error: Literal["skip", "raise"] = "skip",
        **kwargs: Any,
    ):
        super().__init__(batch_size)
        if not (path_imgrec or path_imglist or isinstance(imglist, list)):
            raise ValueError("ImageIter needs path_imgrec, path_imglist or imglist")
        if dtype not in _LABEL_DTYPES:
            raise ValueError(f"ImageIter: label dtype {dtype!r} not supported; use {_LABEL_DTYPES}")
        data_shape = tuple(int(v) for v in data_shape)  # type: ignore[assignment]
        if len(data_shape) != 3 or data_shape[0] != 3:
            raise ValueError(f"ImageIter: data_shape must be (3, height, width), got {data_shape}")
        if last_batch_handle not in ("pad", "discard", "roll_over"):
            raise ValueError(
                f"last_batch_handle must be 'pad', 'discard' or 'roll_over', got "
                f"{last_batch_handle!r}"
            )
        self.data_shape = data_shape
        self.label_width = label_width
        self.shuffle = shuffle
        self.last_batch_handle = last_batch_handle
        self.path_root = path_root
        self.on_error = on_error
        self._parts = resolve_parts(num_parts, part_index, where="ImageIter")
        require_shared_seed("ImageIter", self._parts, shuffle, seed)
        self.seed = random.getrandbits(63) if seed is None else int(seed)
        self._label_dtype = np.dtype(dtype)
        self._data_name, self._label_name = data_name, label_name
        self.auglist = CreateAugmenter(data_shape, **kwargs) if aug_list is None else aug_list
        self.fast_decode = fast_decode
        self._geometry, self._tail = _split_tail(self.auglist)
        self.imglist = _read_imglist(path_imglist, imglist, self._label_dtype)
        self._store = RecordStore(rec_files(path_imgrec)) if path_imgrec else None
        self._seq = self._sequence(path_imgidx)
        parts = self._parts
        if parts.num_parts > 1 and not parts.even:  # MXNet's split: the remainder is unread
            size = len(self._seq) // parts.num_parts
            self._seq = self._seq[parts.part_index * size : (parts.part_index + 1) * size]
        self._lock = threading.Lock()
        self._bad: set[int] = set()
        self.skipped = 0
        self._engine = BatchEngine(
            self._fill,
            self._make_buffers,
            num_threads=max(1, min(preprocess_threads, os.cpu_count() or 1)),
            prefetch=4,
            name="ImageIter",
        )
        self._epoch = 0
        self._carry: list[Sample] = []
        self._begin_epoch(consumed=0)

    # -- what to read -------------------------------------------------------------

    def _sequence(self, path_imgidx: str | None) -> list[Any]:
        """The items of one epoch, in file order: record offsets or image-list keys."""
        if self._store is None:
            assert self.imglist is not None
            return list(self.imglist)
        if path_imgidx:
            keys, idx = self._store.keyed_offsets(path_imgidx)
            return [(key, idx[key]) for key in keys]
        return [(None, int(offset)) for offset in self._store.offsets]

    def _load(self, position: int) -> tuple[Any, npt.NDArray[np.uint8]]:
        """(label, decoded RGB image) of item `position` of the sequence."""
        item = self._seq[position]
        if self._store is not None:
            key, offset = item
            header, payload = self._store.image_record(offset)
            label = header.label
            if self.imglist is not None and key is not None:
                label = self.imglist[key][0]
            source = f"record {header.id}"
        else:
            label, fname = self.imglist[item]  # type: ignore[index]
            path = os.path.join(self.path_root or "", fname)
            with open(path, "rb") as f:
                payload = f.read()
            source = path
        image = None
        if self.fast_decode:
            image = decode_jpeg_fast(np.frombuffer(payload, np.uint8), "RGB")
        if image is None:
            image = decode(payload, 1, True, source=source).image
        return label, image

    # -- per-row work on the engine's threads ----------------------------------------

    def _make_buffers(self) -> tuple[Any, ...]:
        label_shape = self.provide_label[0].shape
        return (
            np.zeros((self.batch_size, *self.data_shape), np.float32),
            np.zeros(label_shape, self._label_dtype),
        )

    def _fill(self, sample: Sample, buffers: tuple[Any, ...], slot: int) -> None:
        data, label = buffers
        assert sample.position is not None
        epoch, row = sample.key
        rng = image_rng(self.seed, epoch, row)
        count = len(self._seq)
        position = sample.position
        for _ in range(count):
            if position not in self._bad:
                try:
                    value, image = self._load(position)
                    break
                except (ImageDecodeError, ValueError, OSError) as e:
                    if self.on_error == "raise":
                        raise
                    self._note_bad(position, e)
            position = (position + 1) % count
        else:
            raise RuntimeError("ImageIter: no image of this part can be decoded")
        out = np.asarray(augment(image, self._geometry, rng=rng))
        if out.shape != (self.data_shape[1], self.data_shape[2], self.data_shape[0]):
            raise ValueError(
                f"the augmenters made an image of shape {out.shape}; the batch needs "
                f"{self.data_shape[1:]} x {self.data_shape[0]} channels (HWC)"
            )
        if self._tail is not None and out.dtype == np.uint8:
            self._tail.write(out, data[slot], mirror=False)
        else:
            data[slot] = out.transpose(2, 0, 1)
        label[slot] = np.asarray(value, label.dtype).reshape(label.shape[1:])

    def _note_bad(self, position: int, error: Exception) -> None:
        with self._lock:
            if position in self._bad:
                return
            self._bad.add(position)
            self.skipped += 1
        warnings.warn(
            f"ImageIter: skipped a broken image ({error}); its rows get the next good image",
            UserWarning,
            stacklevel=2,
        )

    # -- epochs -------------------------------------------------------------------

    def _plan_epoch(self) -> tuple[EpochPlan, list[Sample]]:
        """This epoch's batches and the roll_over carry for the next one."""
        count, parts = len(self._seq), self._parts
        if not parts.even:
            return plan_last_batch_epoch(
                count,
                self.batch_size,
                self._epoch,
                self._carry,
                mode=self.last_batch_handle,
                shuffle=self.shuffle,
                seed=self.seed,
            )
        order = epoch_order(count, self.shuffle, self.seed, self._epoch)
        return plan_block_epoch(
            parts.block(order),
            self.batch_size,
            self._epoch,
            self._carry,
            mode=self.last_batch_handle,
            first_row=parts.first_row(count),
            fresh=parts.fresh(count),
            fill_row=parts.num_parts * parts.size(count) + parts.part_index * self.batch_size,
        )

    def _begin_epoch(self, consumed: int) -> None:
        self._plan: EpochPlan
        self._plan, self._next_carry = self._plan_epoch()
        self._consumed = consumed
        self._engine.start(self._plan.batches[consumed:])

    def reset(self) -> None:
        """The next epoch (reshuffled with ``shuffle``); a roll_over remainder comes first."""
        self._carry = self._next_carry if self.last_batch_handle == "roll_over" else []
        self._epoch += 1
        self._begin_epoch(consumed=0)

    def hard_reset(self) -> None:
        """The next epoch, dropping any roll_over remainder."""
        self._carry = []
        self._next_carry = []
        self._epoch += 1
        self._begin_epoch(consumed=0)

    def next(self) -> DataBatch:
        got = self._engine.next()
        if got is None:
            raise StopIteration
        (data, label), _ = got
        pad = self._plan.pads[self._consumed]
        self._consumed += 1
        return DataBatch([data.view(NDArray)], [label.view(NDArray)], pad=pad)

    @property
    def provide_data(self) -> list[DataDesc]:
        return [DataDesc(self._data_name, (self.batch_size, *self.data_shape))]

    @property
    def provide_label(self) -> list[DataDesc]:
        width = self.label_width
        shape = (self.batch_size, width) if width > 1 else (self.batch_size,)
        return [DataDesc(self._label_name, shape)]

    # -- checkpointing and lifetime -------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        return {
            "epoch": self._epoch,
            "consumed": self._consumed,
            "carry": [(s.position, s.key) for s in self._carry],
            "seed": self.seed,
            "items": len(self._seq),
            "num_parts": self._parts.num_parts,
            "part_index": self._parts.part_index,
            "even_parts": self._parts.even,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if state["items"] != len(self._seq):
            raise ValueError(
                f"ImageIter: the state was saved over {state['items']} images, this iterator "
                f"has {len(self._seq)}"
            )
        for key, mine in (
            ("num_parts", self._parts.num_parts),
            ("part_index", self._parts.part_index),
            ("even_parts", self._parts.even),
        ):
            if key in state and state[key] != mine:  # absent: saved before parts were recorded
                raise ValueError(
                    f"ImageIter: the state was saved with {key}={state[key]!r}, this iterator "
                    f"has {key}={mine!r}; resume with the same parts (world size and rank)"
                )
        self.seed = int(state["seed"])
        self._epoch = int(state["epoch"])
        self._carry = [Sample(p, tuple(k)) for p, k in state["carry"]]
        self._begin_epoch(consumed=int(state["consumed"]))

    def close(self) -> None:
        """Stop the worker threads."""
        self._engine.close()

    def __enter__(self) -> ImageIter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _split_tail(auglist: Any) -> tuple[Any, Normalizer | None]:
    """(augmenters to run, fused final write) for a list ending in a float32 cast and a
    normalisation, as CreateAugmenter makes it: those two then become one pass from the
    uint8 image into the CHW batch row instead of a cast, a normalise and a transpose."""
    if not isinstance(auglist, list) or not auglist:
        return auglist, None
    tail, rest = auglist[-1], auglist[:-1]
    mean = np.zeros(4, np.float32)
    std = np.ones(4, np.float32)
    if type(tail) is ColorNormalizeAug:
        if not rest or not tail.can_fuse():
            return auglist, None
        if tail.mean is not None:
            mean[:3] = np.broadcast_to(np.asarray(tail.mean, np.float32).ravel(), 3)
        if tail.std is not None:
            std[:3] = np.broadcast_to(np.asarray(tail.std, np.float32).ravel(), 3)
        tail, rest = rest[-1], rest[:-1]
    if type(tail) is not CastAug or np.dtype(tail.typ) != np.float32:
        return auglist, None
    return rest, Normalizer(mean, std, 1.0, from_bgr=False)


def _read_imglist(
    path_imglist: str | None, imglist: list[Any] | None, dtype: np.dtype[Any]
) -> dict[Any, tuple[npt.NDArray[Any], str]] | None:
    """key -> (label array, file name), from a .lst file or an in-memory list, as MXNet."""
    if path_imglist:
        result: dict[Any, tuple[npt.NDArray[Any], str]] = {}
        with open(path_imglist, encoding="utf-8") as f:
            for lineno, line in enumerate(f, start=1):
                fields = line.strip().split("\t")
                if fields == [""]:
                    continue
                if len(fields) < 2:
                    raise ValueError(
                        f"{path_imglist}: line {lineno}: expected index<TAB>label(s)<TAB>path"
                    )
                result[int(fields[0])] = (np.array(fields[1:-1], dtype=dtype), fields[-1])
        return result
    if isinstance(imglist, list):
        listed: dict[Any, tuple[npt.NDArray[Any], str]] = {}
        for number, entry in enumerate(imglist, start=1):
            if len(entry) > 2:
                label = np.array(entry[:-1], dtype=dtype)
            elif isinstance(entry[0], int | float | np.number):
                label = np.array([entry[0]], dtype=dtype)
            else:
                label = np.array(entry[0], dtype=dtype)
            listed[str(number)] = (label, entry[-1])
        return listed
    return None
