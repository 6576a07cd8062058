"""MXNet's ``mx.io.NDArrayIter``: batches from arrays in memory, h5py datasets or scipy CSR.

How an epoch is laid out. An epoch reads the rows in an *order* -- the identity, or with
``shuffle`` a permutation that is a pure function of ``(seed, epoch)`` -- and under
``last_batch_handle='roll_over'`` the rows carried over from the previous epoch come
first. This *stream* is cut into batches of ``batch_size`` rows; a short tail is

* ``pad``: filled up with rows from the start of the epoch's order (wrapping around as
  often as needed, so a batch larger than the data repeats it); ``pad`` says how many;
* ``discard``: dropped;
* ``roll_over``: carried to the front of the next epoch by ``reset()`` once every full
  batch of this epoch has been taken (a ``reset()`` earlier in the epoch starts the next
  one clean, as in MXNet).

Beyond MXNet, ``num_parts`` / ``part_index`` (integers or ``"auto"``, the launcher's world
size and rank) give each rank an even block of every epoch's order
(:mod:`recio._distributed`): ``ceil(num_rows / num_parts)`` rows, the last blocks wrapping
to the front of the order; those repeats count in ``pad``. The epoch's stream is then that
block, so every rank has the same number of batches.

The position in the stream is all the state there is, so ``state_dict()`` is small
(seed, epoch, position, carried row numbers) and resuming is exact.

Every batch holds fresh arrays that the caller owns (MXNet's semantics): contiguous rows
are copied, shuffled rows gathered with ``np.take``. The data is never copied whole,
neither per epoch (MXNet re-gathers every array on each shuffle) nor, for float32 numpy
input, at construction. MXNet's differences that recio fixes are listed in
``docs/differences.md``.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Sequence
from typing import Any, Literal, Protocol

import numpy as np
import numpy.typing as npt

from recio._distributed import PartArg, require_shared_seed, resolve_parts
from recio._io.base import DataBatch, DataDesc, DataIter
from recio._params import InvalidParameterError, parse_params
from recio.nd import NDArray

__all__ = ["NDArrayIter", "NDArrayIterOptions", "epoch_order"]

LastBatchHandle = Literal["pad", "discard", "roll_over"]
Rows = slice | npt.NDArray[np.intp]  # a contiguous run, or row numbers in batch order
STATE_VERSION = 1


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class NDArrayIterOptions:
    """NDArrayIter's parameters; defaults are MXNet 1.9.1's (``seed`` is recio's)."""

    batch_size: int = 1
    shuffle: bool = False
    last_batch_handle: LastBatchHandle = "pad"
    data_name: str = "data"
    label_name: str = "softmax_label"
    layout: str = "NCHW"
    # None: draw one from numpy's global RNG at construction (only when shuffling), so
    # np.random.seed(...) makes runs repeatable as it does with MXNet.
    seed: int | None = None
    # recio's: this rank's even part of every epoch (recio._distributed); MXNet has none
    num_parts: PartArg = 1
    part_index: PartArg = 0

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise InvalidParameterError(
                f"NDArrayIter: batch_size must be at least 1, got {self.batch_size}"
            )
        if "N" not in self.layout:
            raise InvalidParameterError(
                f"NDArrayIter: layout must name the batch axis with 'N' (such as 'NCHW' "
                f"or 'TNC'), got {self.layout!r}"
            )
        if self.seed is not None and self.seed < 0:
            raise InvalidParameterError(f"NDArrayIter: seed must be >= 0, got {self.seed}")


def epoch_order(num_rows: int, seed: int, epoch: int) -> npt.NDArray[np.intp]:
    """The shuffled row order of `epoch`: a permutation of ``range(num_rows)``.

    A pure function of its arguments (STYLE 8), which makes shuffled runs repeatable and
    resumable from ``(seed, epoch)`` alone.
    """
    order = np.random.default_rng([seed, epoch]).permutation(num_rows).astype(np.intp)
    order.flags.writeable = False  # slices of it are handed out as batch.index
    return order


# -- sources: one named input each --------------------------------------------------


class _Source(Protocol):
    name: Any
    value: Any  # what the user gave, converted as MXNet converts it
    num_rows: int
    shape: tuple[int, ...]
    dtype: np.dtype[Any]  # the dtype of the batches

    def take(self, rows: Rows) -> npt.NDArray[Any]:
        """A new array holding `rows` (along the batch axis), in that order."""
        ...


class _Dense:
    """A numpy array; rows are copied (slices) or gathered (index arrays)."""

    def __init__(self, name: Any, array: npt.NDArray[Any], axis: int):
        self.name = name
        self.value = array
        self.axis = axis
        self.shape = array.shape
        self.num_rows = array.shape[axis]
        self.dtype = array.dtype

    def take(self, rows: Rows) -> npt.NDArray[Any]:
        if isinstance(rows, slice):
            if self.axis == 0:
                return self.value[rows].copy()
            return self.value[(slice(None),) * self.axis + (rows,)].copy()
        return np.take(self.value, rows, axis=self.axis)


class _H5:
    """An h5py.Dataset, read a batch at a time; h5py wants sorted, distinct row numbers."""

    def __init__(self, name: Any, dataset: Any):
        self.name = name
        self.value = dataset
        self.shape = tuple(dataset.shape)
        self.num_rows = self.shape[0]
        self.dtype = np.dtype(np.float32)  # MXNet converts what it reads to float32

    def take(self, rows: Rows) -> npt.NDArray[Any]:
        if isinstance(rows, slice):
            block = self.value[rows]
        else:
            wanted, inverse = np.unique(rows, return_inverse=True)
            low, high = int(wanted[0]), int(wanted[-1]) + 1
            if high - low <= 4 * len(wanted):  # dense enough: one contiguous read is faster
                block = self.value[low:high][wanted - low][inverse]
            else:
                block = self.value[wanted][inverse]
        return np.asarray(block, dtype=np.float32)


class _CSR:
    """A scipy.sparse CSR matrix; batches are dense rows (as MXNet 1.9.1 hands them out)."""

    def __init__(self, name: Any, matrix: Any):
        self.name = name
        self.value = matrix
        self.shape = tuple(matrix.shape)
        self.num_rows = self.shape[0]
        self.dtype = np.dtype(matrix.dtype)

    def take(self, rows: Rows) -> npt.NDArray[Any]:
        return np.asarray(self.value[rows].toarray())


def _sparse_module() -> Any:
    return sys.modules.get("scipy.sparse")  # only loaded if the caller has scipy arrays


def _is_array(value: Any) -> bool:
    """Whether `value` is one input (not a list or dict of inputs)."""
    if isinstance(value, np.ndarray) or hasattr(value, "__array__"):
        return True
    h5py = sys.modules.get("h5py")
    if h5py is not None and isinstance(value, h5py.Dataset):
        return True
    sparse = _sparse_module()
    return sparse is not None and sparse.issparse(value)


def _make_source(name: Any, value: Any, axis: int) -> _Source:
    """One input converted as MXNet converts it: float32 unless it is an NDArray (or CSR)."""
    h5py = sys.modules.get("h5py")
    sparse = _sparse_module()
    if h5py is not None and isinstance(value, h5py.Dataset):
        source: _Source = _H5(name, value)
    elif sparse is not None and sparse.issparse(value):
        if value.format != "csr":
            raise TypeError(
                f"NDArrayIter: input {name!r} is a scipy.sparse {value.format.upper()} "
                "matrix; only CSR is supported: pass it as matrix.tocsr()"
            )
        source = _CSR(name, value)
    else:
        if isinstance(value, NDArray):
            array = value.view(np.ndarray)  # an NDArray keeps its dtype, as in MXNet
        else:
            try:
                array = np.asarray(value, dtype=np.float32)  # mx.nd.array's default dtype
            except (TypeError, ValueError) as e:
                raise TypeError(
                    f"NDArrayIter: input {name!r} of type {type(value).__name__} is not an "
                    "array: expected a numpy array, a recio NDArray, an h5py.Dataset or a "
                    "scipy.sparse CSR matrix"
                ) from e
        if array.ndim <= axis:
            raise ValueError(
                f"NDArrayIter: input {name!r} has shape {array.shape}, which has no batch "
                f"axis {axis} (the position of 'N' in the layout)"
            )
        return _Dense(name, array, axis)
    if axis != 0:
        raise ValueError(
            f"NDArrayIter: input {name!r} ({type(value).__name__}) can only be batched "
            f"along axis 0; the layout puts 'N' at axis {axis}"
        )
    return source


def _named_inputs(value: Any, default_name: str, what: str) -> list[tuple[Any, Any]]:
    """``(name, input)`` pairs sorted by name, named as MXNet names them.

    One array is `default_name`; a list of one likewise; a longer list gives
    ``_0_<default_name>``, ``_1_<default_name>``, ... (sorted as strings, as MXNet does,
    so ``_10_data`` comes before ``_1_data``); a dict keeps its keys.
    """
    if value is None:
        return []
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list):
        if len(value) == 1:
            items = [(default_name, value[0])]
        else:
            items = [(f"_{i}_{default_name}", v) for i, v in enumerate(value)]
    elif _is_array(value):
        items = [(default_name, value)]
    else:
        raise TypeError(
            f"NDArrayIter: {what} must be an array (numpy, recio NDArray, h5py.Dataset, "
            f"scipy.sparse CSR), a list of them or a dict of name to array; got "
            f"{type(value).__name__}"
        )
    return sorted(items, key=lambda item: item[0])


# -- the iterator ------------------------------------------------------------------------


class NDArrayIter(DataIter):
    """Batches over `data` and `label`, with MXNet 1.9.1's names, shapes and padding.

    `data` and `label` are each an array, a list of arrays or a dict of name to array
    (numpy arrays, recio NDArrays, h5py Datasets, scipy CSR matrices). Numpy input is
    converted to float32 as MXNet does; NDArrays keep their dtype. The row count is the
    first data input's (inputs sorted by name); others may have more rows, which are
    ignored as in MXNet, but not fewer.

    Beyond MXNet: ``seed`` makes shuffling deterministic (each epoch's order is
    :func:`epoch_order` of (seed, epoch), epochs counted by ``reset()``/``hard_reset()``),
    ``batch.index`` holds the row numbers of the batch,
    ``state_dict()``/``load_state_dict()`` resume exactly, and ``num_parts`` /
    ``part_index`` (integers or ``"auto"``) read one rank's even part of each epoch
    (shuffling then needs a ``seed`` shared by the ranks).
    """

    def __init__(
        self,
        data: Any,
        label: Any = None,
        batch_size: int = 1,
        shuffle: bool = False,
        last_batch_handle: str = "pad",
        data_name: str = "data",
        label_name: str = "softmax_label",
        layout: str = "NCHW",
        *,
        seed: int | None = None,
        num_parts: PartArg = 1,
        part_index: PartArg = 0,
    ):
        opts = parse_params(
            NDArrayIterOptions,
            "NDArrayIter",
            {
                "batch_size": batch_size,
                "shuffle": shuffle,
                "last_batch_handle": last_batch_handle,
                "data_name": data_name,
                "label_name": label_name,
                "layout": layout,
                "seed": seed,
                "num_parts": num_parts,
                "part_index": part_index,
            },
        )
        super().__init__(opts.batch_size)
        self.options = opts
        self.shuffle = opts.shuffle
        self.last_batch_handle: LastBatchHandle = opts.last_batch_handle
        self.layout = opts.layout
        axis = opts.layout.find("N")
        self._axis = axis
        data_items = _named_inputs(data, opts.data_name, "data")
        if not data_items:
            raise ValueError("NDArrayIter: data is empty; give at least one array")
        self._data = [_make_source(k, v, axis) for k, v in data_items]
        self._label = [
            _make_source(k, v, axis) for k, v in _named_inputs(label, opts.label_name, "label")
        ]
        self.num_data = self._data[0].num_rows
        for source in self._data + self._label:
            if source.num_rows < self.num_data:
                raise ValueError(
                    f"NDArrayIter: input {source.name!r} has {source.num_rows} rows but "
                    f"{self._data[0].name!r} has {self.num_data}; every input needs at "
                    "least as many rows as the first data input"
                )
        parts = resolve_parts(opts.num_parts, opts.part_index, where="NDArrayIter", even=True)
        require_shared_seed("NDArrayIter", parts, opts.shuffle, opts.seed)
        self._parts = parts
        # One epoch's stream reads `_epoch_len` rows: `_order` (None: rows `_offset`,
        # `_offset + 1`, ... -- copied as slices), of which the first `_fresh` are not
        # repeats made to even out the parts.
        self._epoch_len = parts.size(self.num_data) if parts.even else self.num_data
        self._fresh = parts.fresh(self.num_data) if parts.even else self.num_data
        first = parts.first_row(self.num_data) if parts.even else 0
        self._contiguous = not opts.shuffle and first + self._epoch_len <= self.num_data
        self._offset = first if self._contiguous else 0
        if opts.shuffle and opts.seed is None:
            self.seed: int | None = int(np.random.randint(0, 2**63 - 1, dtype=np.int64))
        else:
            self.seed = opts.seed
        self._epoch = 0
        self._order = self._make_order()
        self._carry: npt.NDArray[np.intp] = np.empty(0, np.intp)
        self._position = 0  # stream position of the next batch's first row
        self._rows: Rows | None = None  # the current batch's rows, set by iter_next()
        self._pad = 0

    # -- MXNet's surface -------------------------------------------------------------

    @staticmethod
    def _pairs(sources: Sequence[_Source]) -> list[tuple[Any, Any]]:
        return [
            (s.name, s.value.view(NDArray) if isinstance(s.value, np.ndarray) else s.value)
            for s in sources
        ]

    @property
    def data(self) -> list[tuple[Any, Any]]:
        """``(name, input)`` pairs of the data, sorted by name (MXNet's attribute).

        Arrays are NDArray views of what the iterator reads (no copy); h5py datasets and
        CSR matrices are given as they are.
        """
        return self._pairs(self._data)

    @property
    def label(self) -> list[tuple[Any, Any]]:
        """``(name, input)`` pairs of the labels, sorted by name (MXNet's attribute)."""
        return self._pairs(self._label)

    def _describe(self, sources: Sequence[_Source]) -> list[DataDesc]:
        descs = []
        for s in sources:
            shape = list(s.shape)
            shape[self._axis] = self.batch_size
            descs.append(DataDesc(s.name, tuple(shape), s.dtype.type, self.layout))
        return descs

    @property
    def provide_data(self) -> list[DataDesc]:
        """Name, batch shape, dtype and layout of each data input."""
        return self._describe(self._data)

    @property
    def provide_label(self) -> list[DataDesc]:
        """Name, batch shape, dtype and layout of each label input (``[]`` without labels)."""
        return self._describe(self._label)

    def reset(self) -> None:
        """Start the next epoch; under roll_over its first batch begins with the carried tail."""
        carry = np.empty(0, np.intp)
        stream_len = len(self._carry) + self._epoch_len
        if self.last_batch_handle == "roll_over" and self._position + self.batch_size > stream_len:
            carry = self._stream_index(self._position, stream_len)  # every full batch taken
        self._start_epoch(self._epoch + 1, carry)

    def hard_reset(self) -> None:
        """Start the next epoch without the rolled-over tail (reshuffled if shuffling)."""
        self._start_epoch(self._epoch + 1, np.empty(0, np.intp))

    def iter_next(self) -> bool:
        """Move to the next batch; False at the end of the epoch (also for a dropped tail)."""
        start = self._position
        stop = start + self.batch_size
        stream_len = len(self._carry) + self._epoch_len
        if start >= stream_len or (stop > stream_len and self.last_batch_handle != "pad"):
            self._rows = None
            return False
        self._rows = self._stream_rows(start, stop)
        # trailing rows that repeat: the fill of a short batch, and a part's evening repeats
        self._pad = min(self.batch_size, max(0, stop - (len(self._carry) + self._fresh)))
        self._position = stop
        return True

    def next(self) -> DataBatch:
        """The next batch; raises StopIteration at the end of the epoch."""
        if not self.iter_next():
            raise StopIteration
        return DataBatch(
            data=self.getdata(), label=self.getlabel(), pad=self._pad, index=self.getindex()
        )

    def _current(self) -> Rows:
        if self._rows is None:
            raise RuntimeError(
                "NDArrayIter: no current batch; call iter_next() (or next()) first, and "
                "reset() after the end of an epoch"
            )
        return self._rows

    def getdata(self) -> list[NDArray]:
        """New arrays holding the current batch of each data input."""
        rows = self._current()
        return [s.take(rows).view(NDArray) for s in self._data]

    def getlabel(self) -> list[NDArray]:
        """New arrays holding the current batch of each label input."""
        rows = self._current()
        return [s.take(rows).view(NDArray) for s in self._label]

    def getpad(self) -> int:
        """How many rows at the end of the current batch repeat the data.

        The fill of a short last batch (pad mode), and with ``num_parts`` the rows a
        part repeats to be as long as the others.
        """
        self._current()
        return self._pad

    def getindex(self) -> npt.NDArray[np.intp]:
        """The row numbers of the current batch (MXNet gives None)."""
        rows = self._current()
        if isinstance(rows, slice):
            return np.arange(rows.start, rows.stop, dtype=np.intp)
        return rows

    # -- the stream ------------------------------------------------------------------

    def _make_order(self) -> npt.NDArray[np.intp] | None:
        """The rows of this epoch's part in order; None when they are a contiguous run."""
        if self._contiguous:
            return None
        if self.shuffle:
            assert self.seed is not None
            order = epoch_order(self.num_data, self.seed, self._epoch)
        else:
            order = np.arange(self.num_data, dtype=np.intp)
        if not self._parts.even:
            return order
        block = self._parts.block(order)
        block.flags.writeable = False  # slices of it are handed out as batch.index
        return block

    def _start_epoch(self, epoch: int, carry: npt.NDArray[np.intp]) -> None:
        self._epoch = epoch
        self._order = self._make_order()
        carry.flags.writeable = False  # slices of it are handed out as batch.index
        self._carry = carry
        self._position = 0
        self._rows = None
        self._pad = 0

    def _stream_rows(self, start: int, stop: int) -> Rows:
        """The rows at stream positions [start, stop): a slice when they are a contiguous
        run of unshuffled rows (copied rather than gathered), else :meth:`_stream_index`."""
        if (
            self._order is None
            and start >= len(self._carry)
            and stop - len(self._carry) <= self._epoch_len
        ):
            return slice(
                self._offset + start - len(self._carry), self._offset + stop - len(self._carry)
            )
        return self._stream_index(start, stop)

    def _stream_index(self, start: int, stop: int) -> npt.NDArray[np.intp]:
        """Row numbers at stream positions [start, stop): carried rows, then the order.

        Positions past the end of the data (pad mode) wrap to the start of the order.
        """
        n_carry = len(self._carry)
        head = self._carry[start:stop] if start < n_carry else self._carry[:0]
        first, last = max(start - n_carry, 0), stop - n_carry  # positions in the order
        if last <= first:
            return head
        if last > self._epoch_len:
            positions = np.arange(first, last, dtype=np.intp) % self._epoch_len
            body = positions + self._offset if self._order is None else self._order[positions]
        elif self._order is not None:
            body = self._order[first:last]  # a read-only view
        else:
            body = np.arange(self._offset + first, self._offset + last, dtype=np.intp)
        return body if not len(head) else np.concatenate((head, body))

    # -- beyond MXNet: checkpointing -------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """Where the iterator is: from this, :meth:`load_state_dict` yields the same batches."""
        return {
            "version": STATE_VERSION,
            "num_data": self.num_data,
            "batch_size": self.batch_size,
            "last_batch_handle": self.last_batch_handle,
            "shuffle": self.shuffle,
            "seed": self.seed,
            "epoch": self._epoch,
            "position": self._position,
            "carry": self._carry.tolist(),
            "num_parts": self._parts.num_parts,
            "part_index": self._parts.part_index,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from `state`, a :meth:`state_dict` of an iterator over the same data.

        The seed is taken from the state, so a run built with ``seed=None`` resumes
        with the order it had.
        """
        if state.get("version") != STATE_VERSION:
            raise ValueError(
                f"NDArrayIter.load_state_dict: state version {state.get('version')!r} "
                f"is not {STATE_VERSION}; was it saved by another iterator?"
            )
        parts = {"num_parts": self._parts.num_parts, "part_index": self._parts.part_index}
        for key in ("num_data", "batch_size", "last_batch_handle", "shuffle", *parts):
            if key in parts and key not in state:
                continue  # saved before recio recorded the parts: a whole-data iterator
            mine = parts[key] if key in parts else getattr(self, key)
            if state[key] != mine:
                raise ValueError(
                    f"NDArrayIter.load_state_dict: the state was saved with {key}="
                    f"{state[key]!r}, this iterator has {key}={mine!r}; build it with the "
                    "same data and arguments"
                )
        self.seed = state["seed"]
        self._start_epoch(int(state["epoch"]), np.asarray(state["carry"], dtype=np.intp))
        self._position = int(state["position"])
