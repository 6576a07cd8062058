"""What the framework adapters (recio.torch, recio.jax) share, free of any framework.

:class:`EpochAdapter` wraps a recio (or any MXNet-style) iterator: each
``for batch in adapter:`` pass runs to the end of the iterator's current epoch
and the next pass resets it first (``auto_reset``); ``state_dict()`` /
``load_state_dict()`` checkpoint the iterator together with the pass; ``close()``
and ``with`` stop its threads. A subclass says how a ``DataBatch`` becomes its
framework's batch in ``convert``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Generic, Protocol, Self, TypeVar

__all__ = ["BatchIterator", "EpochAdapter", "trimmed"]

B = TypeVar("B")


class BatchIterator(Protocol):
    """What the adapters need of an iterator: MXNet's ``next()`` and ``reset()``."""

    def next(self) -> Any: ...

    def reset(self) -> None: ...


def trimmed(batch: Any, trim_pad: bool) -> tuple[int, int | None]:
    """(pad to report, rows to keep or None for all) of `batch` under ``trim_pad``."""
    pad = int(batch.pad or 0)
    if trim_pad and pad:
        return 0, len(batch.data[0]) - pad
    return pad, None


class EpochAdapter(Generic[B]):
    """An iterator seen one epoch per ``for`` pass; see the module docstring."""

    def __init__(self, iterator: BatchIterator, *, auto_reset: bool = True):
        self.iterator = iterator
        self.auto_reset = auto_reset
        self._finished = False

    def convert(self, batch: Any) -> B:
        """One ``DataBatch`` as this framework's batch."""
        raise NotImplementedError

    def __iter__(self) -> Iterator[B]:
        """The batches of the rest of the current epoch (of the next one, after an end)."""
        it = self.iterator
        if self._finished and self.auto_reset:
            it.reset()
        self._finished = False
        while True:
            try:
                batch = it.next()
            except StopIteration:
                self._finished = True
                return
            out = self.convert(batch)
            del batch  # hold nothing of the numpy batch while the loop has the converted one
            yield out
            del out

    # -- checkpointing and lifetime ----------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """The wrapped iterator's state, and whether the current pass has ended."""
        state_dict = getattr(self.iterator, "state_dict", None)
        if state_dict is None:
            raise NotImplementedError(
                f"{type(self.iterator).__name__} has no state_dict(); recio's iterators do"
            )
        return {"iterator": state_dict(), "finished": self._finished}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from a :meth:`state_dict` of an adapter over an identical iterator."""
        load = getattr(self.iterator, "load_state_dict", None)
        if load is None:
            raise NotImplementedError(
                f"{type(self.iterator).__name__} has no load_state_dict(); recio's iterators do"
            )
        load(state["iterator"])
        self._finished = bool(state["finished"])

    def close(self) -> None:
        """Close the wrapped iterator (stops its threads); safe to call twice."""
        close = getattr(self.iterator, "close", None)
        if close is not None:
            close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
