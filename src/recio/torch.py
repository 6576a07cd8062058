"""PyTorch adapters: recio iterators as torch iterables, and a map-style dataset over .rec/.idx.

Two ways in, for two kinds of training code:

* :class:`TorchIterable` (or :func:`to_torch`) wraps any recio iterator (ImageRecordIter,
  NDArrayIter, CSVIter, your own ``DataIter``) and yields :class:`TorchBatch` es whose
  tensors *share memory* with the iterator's numpy batch (``torch.from_numpy``, no copy).
  recio's threads keep decoding and augmenting; torch sees finished batches.
* :class:`RecordDataset` is a picklable ``torch.utils.data.Dataset`` over a .rec/.idx pair
  for code that keeps torch's ``DataLoader`` and its own transforms, shaped like the
  readers face-recognition projects write around ``mx.recordio`` (read a record by key,
  unpack the header, decode the image, return ``(image, label)``).

Buffer reuse, and why holding tensors is safe. The image iterators write batches into a
small pool of reusable buffers (``recio._pipeline``) and refill a buffer only once nothing
outside the engine references it. A tensor made by ``torch.from_numpy`` keeps its numpy
array alive, so while a training loop holds a batch's tensors that buffer is left alone
(the engine makes a fresh one); once the loop drops the batch, the buffer goes back into
rotation and the steady state allocates nothing per batch. With ``pin_memory`` or a CUDA
``device`` the tensors are copies and the numpy buffer is released at once (a copy from
ordinary memory to a CUDA device is complete when ``.to()`` returns).

torch is imported here, at the edge (STYLE 11): ``import recio`` never imports it, and a
missing torch raises an ImportError naming the ``[torch]`` extra.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

try:
    import torch
    import torch.utils.data
except ImportError as e:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "recio.torch needs PyTorch, which is not installed: pip install 'recio[torch]'"
    ) from e

from recio._adapter import BatchIterator, EpochAdapter, trimmed
from recio._header import IRHeader, unpack
from recio._recordio import MXIndexedRecordIO

__all__ = ["BatchIterator", "RecordDataset", "TorchBatch", "TorchIterable", "to_torch"]


@dataclass(frozen=True, slots=True)
class TorchBatch:
    """One batch as tensors, laid out as MXNet's ``DataBatch`` (``data[0]``, ``label[0]``).

    ``pad`` is how many rows at the end of the batch are padding (0 once trimmed);
    ``index`` holds each row's record id or row number (int64), or None when the
    iterator gives none.
    """

    data: list[torch.Tensor]
    label: list[torch.Tensor]
    pad: int
    index: torch.Tensor | None


def _share(array: Any) -> torch.Tensor:
    """A CPU tensor over `array`'s memory; copied only where torch cannot share it."""
    if isinstance(array, torch.Tensor):
        return array
    a = np.asarray(array) if not isinstance(array, np.ndarray) else array
    if not a.flags.writeable:
        # torch tensors are always writable; an in-place op must not reach read-only data
        a = a.copy()
    try:
        return torch.from_numpy(a)
    except (TypeError, ValueError):  # negative strides or a byte order torch lacks
        return torch.from_numpy(np.ascontiguousarray(a, a.dtype.newbyteorder("=")))


def _resolve_device(device: str | torch.device | None) -> torch.device | None:
    """The target device, refusing a CUDA device this machine does not have."""
    if device is None:
        return None
    dev = torch.device(device)
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            built = f"built with CUDA {torch.version.cuda}" if torch.version.cuda else "a CPU build"
            raise RuntimeError(
                f"device={str(device)!r} needs CUDA, but torch.cuda.is_available() is False "
                f"(torch {torch.__version__}, {built}); pass device=None to keep batches on "
                "the CPU, or install a CUDA build of torch on a machine with a GPU"
            )
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise RuntimeError(
                f"device={str(device)!r}: this machine has {torch.cuda.device_count()} CUDA "
                "device(s)"
            )
    return dev


class TorchIterable(EpochAdapter[TorchBatch]):
    """A recio iterator as a PyTorch iterable of :class:`TorchBatch` es.

    Each ``for batch in loader:`` pass runs to the end of the iterator's current epoch;
    the next pass calls the iterator's ``reset()`` first (``auto_reset``; turn it off if
    your loop resets the iterator itself). ``state_dict()`` / ``load_state_dict()``
    checkpoint the iterator with the pass, so a resumed run yields the same batches.

    Options:

    * ``device``: where tensors go (``"cuda"``, ``"cuda:1"``, a ``torch.device``); None or
      ``"cpu"`` keeps them on the CPU sharing the numpy buffers. A CUDA device raises
      RuntimeError at construction when CUDA is absent. Copies are ``non_blocking``.
    * ``pin_memory``: copy each batch into page-locked memory first, so that the copy to
      the device is asynchronous. Off by default: the extra host copy runs in the loop's
      thread, and on an H200 machine ImageRecordIter batches reached the GPU 10-20%
      faster without it (``docs/notes/torch_jax.md``). Without CUDA it warns and is
      ignored, as torch's DataLoader does.
    * ``label_dtype``: convert labels (e.g. ``torch.long`` for ``cross_entropy``; recio's
      labels are float32 as MXNet's). Labels are small, so this copy is cheap.
    * ``trim_pad``: drop the padding rows of a last batch (a view, no copy), giving a
      shorter batch as torch's DataLoader does; off by default to keep shapes fixed.
    """

    def __init__(
        self,
        iterator: BatchIterator,
        *,
        device: str | torch.device | None = None,
        pin_memory: bool = False,
        label_dtype: torch.dtype | None = None,
        trim_pad: bool = False,
        auto_reset: bool = True,
    ):
        super().__init__(iterator, auto_reset=auto_reset)
        self.device = _resolve_device(device)
        on_accelerator = self.device is not None and self.device.type != "cpu"
        if pin_memory and not torch.cuda.is_available():
            warnings.warn(
                "TorchIterable: pin_memory=True but no CUDA device is available; batches "
                "stay in ordinary memory",
                UserWarning,
                stacklevel=2,
            )
            pin_memory = False
        self.pin_memory = pin_memory
        self.label_dtype = label_dtype
        self.trim_pad = trim_pad
        self._move = on_accelerator or pin_memory

    def convert(self, batch: Any) -> TorchBatch:
        """One ``DataBatch`` as a :class:`TorchBatch` (tensors shared, or moved if asked)."""
        pad, keep = trimmed(batch, self.trim_pad)
        data = [self._tensor(d, keep, None) for d in batch.data]
        label = [self._tensor(lab, keep, self.label_dtype) for lab in batch.label or ()]
        index = None
        if batch.index is not None:
            ids = np.asarray(batch.index)
            index = torch.from_numpy(ids[:keep].astype(np.int64))  # small: always a copy
        return TorchBatch(data, label, pad, index)

    def _tensor(self, array: Any, keep: int | None, dtype: torch.dtype | None) -> torch.Tensor:
        t = _share(array)
        if keep is not None:
            t = t[:keep]
        if dtype is not None:
            t = t.to(dtype)
        if self._move:
            if self.pin_memory:
                t = t.pin_memory()
            if self.device is not None:
                t = t.to(self.device, non_blocking=True)
        return t


def to_torch(iterator: BatchIterator, **options: Any) -> TorchIterable:
    """``TorchIterable(iterator, **options)``: see :class:`TorchIterable` for the options."""
    return TorchIterable(iterator, **options)


# -- map-style: torch's DataLoader over a .rec/.idx ----------------------------------------

Decode = Literal["rgb", "bgr", "gray", "unchanged", "bytes"]
_NONE = object()
_FLAGS = {"bgr": 1, "gray": 0, "unchanged": -1}  # cv2.IMREAD_COLOR, _GRAYSCALE, _UNCHANGED


class RecordDataset(torch.utils.data.Dataset[tuple[Any, Any]]):
    """The records of a .rec file by position, as ``(image, label)`` for torch's DataLoader.

    ``dataset[i]`` reads the record of the i-th key (the .idx's keys in file order, or
    `keys`), unpacks its header and decodes the image: ``decode="rgb"`` gives an
    ``H x W x 3`` uint8 RGB array (``mx.image.imdecode``'s default), ``"bgr"`` OpenCV's
    order (``recordio.unpack_img``'s), ``"gray"`` ``H x W``, ``"unchanged"`` as stored,
    ``"bytes"`` the encoded payload for your own decoder (PIL, torchvision). The label is
    the header's: a float, or a float32 array for multi-label records. ``transform`` and
    ``target_transform`` then apply, as in torchvision datasets (``target_transform=int``
    gives class ids the default collate turns into a long tensor).

    Picklable, and each process opens its own reader: a DataLoader worker (forked or
    spawned) never shares a file handle with its parent. Reads are thread-safe.

    Face-recognition sets (insightface's ``train.rec``) keep a header record at key 0
    whose labels give the image key range: pass ``keys=range(1, int(label[0]))``.
    """

    def __init__(
        self,
        rec: str | os.PathLike[str],
        idx: str | os.PathLike[str] | None = None,
        transform: Callable[[Any], Any] | None = None,
        target_transform: Callable[[Any], Any] | None = None,
        *,
        decode: Decode = "rgb",
        keys: Iterable[Any] | None = None,
        storage_options: dict[str, Any] | None = None,
    ):
        if decode not in (*_FLAGS, "rgb", "bytes"):
            raise ValueError(
                f"decode must be one of 'rgb', 'bgr', 'gray', 'unchanged', 'bytes'; got {decode!r}"
            )
        self.rec = os.fspath(rec)
        self.idx = os.fspath(idx) if idx is not None else _idx_beside(self.rec)
        self.transform = transform
        self.target_transform = target_transform
        self.decode = decode
        self.storage_options = storage_options
        self._lock = threading.Lock()
        self._reader: MXIndexedRecordIO | None = None
        self._pid = -1
        reader = self._open()
        self.keys: Sequence[Any] = list(keys) if keys is not None else list(reader.keys)
        missing = next((k for k in self.keys if k not in reader.idx), _NONE)
        if missing is not _NONE:
            raise KeyError(
                f"{self.idx}: no key {missing!r} in the index ({len(reader.idx)} keys); "
                "`keys` must name keys of the .idx"
            )

    def _open(self) -> MXIndexedRecordIO:
        """This process's reader, opened on first use in each process."""
        reader = self._reader
        if reader is None or self._pid != os.getpid():
            reader = MXIndexedRecordIO(
                self.idx, self.rec, "r", storage_options=self.storage_options
            )
            self._reader, self._pid = reader, os.getpid()
        return reader

    def __len__(self) -> int:
        return len(self.keys)

    def record(self, i: int) -> tuple[IRHeader, bytes]:
        """(header, encoded payload) of the i-th record, undecoded."""
        key = self.keys[i]
        with self._lock:
            raw = self._open().read_idx(key)
        return unpack(raw)

    def __getitem__(self, i: int) -> tuple[Any, Any]:
        header, payload = self.record(i)
        image: Any = payload if self.decode == "bytes" else self._decode(payload, i)
        label = header.label
        if isinstance(label, np.ndarray):
            label = label.copy()  # a view of the record's bytes is read-only
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            label = self.target_transform(label)
        return image, label

    def _decode(self, payload: bytes, i: int) -> np.ndarray:
        import cv2

        flag = cv2.IMREAD_COLOR_RGB if self.decode == "rgb" else _FLAGS[self.decode]
        img = cv2.imdecode(np.frombuffer(payload, np.uint8), flag) if payload else None
        if img is None:
            raise ValueError(
                f"{self.rec}: record {i} (key {self.keys[i]!r}): {len(payload)} bytes that "
                "OpenCV cannot decode as an image; use decode='bytes' to get the payload"
            )
        return img

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_reader"], state["_pid"], state["_lock"] = None, -1, None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"RecordDataset({self.rec!r}, {len(self)} records, decode={self.decode!r})"


def _idx_beside(rec: str) -> str:
    """``x.rec`` -> ``x.idx``, as im2rec names them."""
    stem = rec[:-4] if rec.endswith(".rec") else rec
    return stem + ".idx"
