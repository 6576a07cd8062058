"""JAX adapter: recio iterators as iterables of batches of ``jax.Array`` s.

:class:`JaxIterable` (or :func:`to_jax`) wraps any recio iterator and yields
:class:`JaxBatch` es whose data and labels were put on a device with ``jax.device_put``,
or split along the batch axis across the local devices (``sharding="batch"``, or any
``jax.sharding.Sharding`` of your own), so a ``jit``-compiled, data-parallel step takes
them as they are.

Why no copy on the host and no prefetch thread here: ``jax.device_put`` reads the
iterator's numpy batch directly and keeps a reference to it until the transfer is done,
and recio's engine never refills a buffer that is still referenced, so the transfer
needs no staging copy and cannot see half-rewritten data. The transfer is asynchronous
and so is JAX's dispatch of a training step, so the host loop already runs ahead of the
device; decoding and augmentation happen on recio's threads.

``index`` stays a numpy array on the host: record ids are 64-bit, which JAX holds only
with ``jax_enable_x64``, and they are bookkeeping rather than model input.

jax is imported here, at the edge (STYLE 11): ``import recio`` never imports it, and a
missing jax raises an ImportError naming the ``[jax]`` extra.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

try:
    import jax
    from jax.sharding import Mesh, NamedSharding, PartitionSpec, Sharding
except ImportError as e:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "recio.jax needs JAX, which is not installed: pip install 'recio[jax]'"
    ) from e

from recio._adapter import BatchIterator, EpochAdapter, trimmed

__all__ = ["BatchIterator", "JaxBatch", "JaxIterable", "batch_sharding", "to_jax"]

# jax 0.10 leaves PartitionSpec's constructor unannotated; mypy --strict refuses to call it
_partition_spec: Any = PartitionSpec


@dataclass(frozen=True, slots=True)
class JaxBatch:
    """One batch as jax arrays, laid out as MXNet's ``DataBatch`` (``data[0]``, ``label[0]``).

    ``pad`` is how many rows at the end are padding (0 once trimmed); ``index`` holds each
    row's record id or row number as a host numpy int64 array, or None.
    """

    data: list[jax.Array]
    label: list[jax.Array]
    pad: int
    index: npt.NDArray[np.int64] | None


def batch_sharding(devices: Sequence[jax.Device] | None = None, axis: str = "batch") -> Sharding:
    """A sharding that splits axis 0 (the batch) across `devices` (default: the local ones).

    Every array of a batch, whatever its rank, is cut into equal row blocks, one per
    device, the rest of its axes whole: data parallelism. The batch size must be a
    multiple of the number of devices.
    """
    devs = list(devices) if devices is not None else jax.local_devices()
    if not devs:
        raise ValueError("batch_sharding needs at least one device")
    return NamedSharding(Mesh(np.array(devs), (axis,)), _partition_spec(axis))


class JaxIterable(EpochAdapter[JaxBatch]):
    """A recio iterator as an iterable of :class:`JaxBatch` es.

    Each ``for batch in loader:`` pass runs to the end of the iterator's current epoch;
    the next pass calls the iterator's ``reset()`` first (``auto_reset``; turn it off if
    your loop resets the iterator itself). ``state_dict()`` / ``load_state_dict()``
    checkpoint the iterator with the pass.

    Options:

    * ``device``: a ``jax.Device`` to put every array on (default: JAX's default device).
    * ``sharding``: ``"batch"`` splits the batch axis across the local devices
      (:func:`batch_sharding`); or any ``jax.sharding.Sharding``, applied to every array.
      Not with ``device``, nor with ``trim_pad`` (a trimmed batch would not divide).
    * ``label_dtype``: convert labels on the host first (e.g. ``np.int32`` for class
      ids; recio's labels are float32 as MXNet's).
    * ``trim_pad``: drop the padding rows of a last batch (shorter batch; a new shape
      makes ``jit`` compile again, so it is off by default).
    """

    def __init__(
        self,
        iterator: BatchIterator,
        *,
        device: jax.Device | None = None,
        sharding: Sharding | Literal["batch"] | None = None,
        label_dtype: npt.DTypeLike | None = None,
        trim_pad: bool = False,
        auto_reset: bool = True,
    ):
        if device is not None and sharding is not None:
            raise ValueError("give device or sharding, not both: a sharding names its devices")
        if sharding is not None and trim_pad:
            raise ValueError(
                "trim_pad=True gives a short last batch, which a sharding may not divide; "
                "keep the padding (batch.pad says how many rows) or drop the sharding"
            )
        if sharding == "batch":
            sharding = batch_sharding()
        elif sharding is not None and not isinstance(sharding, Sharding):
            raise TypeError(
                f"sharding must be 'batch' or a jax.sharding.Sharding, got {sharding!r}"
            )
        super().__init__(iterator, auto_reset=auto_reset)
        self.target: jax.Device | Sharding | None = sharding if sharding is not None else device
        self.label_dtype = None if label_dtype is None else np.dtype(label_dtype)
        self.trim_pad = trim_pad

    def convert(self, batch: Any) -> JaxBatch:
        """One ``DataBatch`` as a :class:`JaxBatch`."""
        pad, keep = trimmed(batch, self.trim_pad)
        data = [_host(d, keep, None) for d in batch.data]
        label = [_host(lab, keep, self.label_dtype) for lab in batch.label or ()]
        if isinstance(self.target, Sharding):
            _check_divisible(self.target, data + label)
        arrays = jax.device_put(data + label, self.target)
        index = None
        if batch.index is not None:
            index = np.asarray(batch.index)[:keep].astype(np.int64)
        return JaxBatch(arrays[: len(data)], arrays[len(data) :], pad, index)


def to_jax(iterator: BatchIterator, **options: Any) -> JaxIterable:
    """``JaxIterable(iterator, **options)``: see :class:`JaxIterable` for the options."""
    return JaxIterable(iterator, **options)


def _host(array: Any, keep: int | None, dtype: np.dtype[Any] | None) -> npt.NDArray[Any]:
    """`array` as a plain numpy array (a view where possible), trimmed and converted."""
    a = array.view(np.ndarray) if isinstance(array, np.ndarray) else np.asarray(array)
    if keep is not None:
        a = a[:keep]
    if dtype is not None and a.dtype != dtype:
        a = a.astype(dtype)
    return a


def _check_divisible(sharding: Sharding, arrays: Sequence[npt.NDArray[Any]]) -> None:
    for a in arrays:
        try:
            sharding.shard_shape(a.shape)
        except ValueError as e:
            devices = len(sharding.device_set)
            raise ValueError(
                f"a batch of shape {a.shape} cannot be split across {devices} devices by "
                f"{sharding}: make the batch size a multiple of {devices}"
            ) from e
