"""DataLoader side of the torch benchmark: torch's DataLoader, 2 worker processes, PIL.

What a PyTorch user who keeps the DataLoader writes around a .rec: a map-style dataset
reading records by key (``recio.torch.RecordDataset`` with ``decode="bytes"``, which
reopens the file in each worker), then torchvision's classic ImageNet training transform.
torchvision is not installed, so :class:`PilTrainTransform` does what
``Compose([Resize(256), RandomCrop(224), RandomHorizontalFlip(), ToTensor(),
Normalize(mean, std)])`` does on a PIL image, step for step: PIL decode and convert to
RGB, PIL bilinear (antialiased) resize of the short side to 256, a random 224 crop and a
random flip drawn with torch's generator (seeded per worker by the DataLoader), then
uint8 HWC -> float CHW / 255 and in-place mean/std. The default collate stacks the batch.

For the ``record/uint8`` case the transform ends with ``PILToTensor()`` instead (uint8
CHW, no normalisation), as recio's ImageRecordUInt8Iter does.

The loader is built once per parameters with ``persistent_workers=True``; the check
(untimed) runs its first epoch, so worker start-up is never timed.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from time import perf_counter
from typing import Any

import numpy as np
import torch
from PIL import Image

from recio.torch import RecordDataset

MEAN = torch.tensor([0.485, 0.456, 0.406]).view(3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(3, 1, 1)


class PilTrainTransform:
    """Encoded JPEG bytes -> normalised float32 CHW tensor (uint8 unnormalised if asked)."""

    def __init__(self, resize: int = 256, crop: int = 224, normalize: bool = True):
        self.resize = resize
        self.crop = crop
        self.normalize = normalize

    def __call__(self, payload: bytes) -> torch.Tensor:
        img = Image.open(io.BytesIO(payload)).convert("RGB")
        w, h = img.size  # Resize(256): the short side to 256, the long side in proportion
        if w <= h:
            size = (self.resize, int(self.resize * h / w))
        else:
            size = (int(self.resize * w / h), self.resize)
        img = img.resize(size, Image.Resampling.BILINEAR)
        w, h = img.size  # RandomCrop(224)
        top = int(torch.randint(0, h - self.crop + 1, (1,)))
        left = int(torch.randint(0, w - self.crop + 1, (1,)))
        img = img.crop((left, top, left + self.crop, top + self.crop))
        if torch.rand(1) < 0.5:  # RandomHorizontalFlip()
            img = img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        pixels = torch.from_numpy(np.array(img, np.uint8, copy=True)).permute(2, 0, 1)
        if not self.normalize:  # PILToTensor(): uint8 CHW, normalised later (on the GPU)
            return pixels.contiguous()
        # ToTensor(): HWC uint8 -> CHW float in [0, 1]; Normalize(): in place
        t = pixels.contiguous().float().div_(255)
        return t.sub_(MEAN).div_(STD)


_loaders: dict[tuple[Any, ...], Any] = {}


def _loader(p: Mapping[str, Any]) -> Any:
    key = (p["rec"], p["idx"], p["batch"], p["workers"], p["kind"])
    if key not in _loaders:
        transform = PilTrainTransform(normalize=p["kind"] != "uint8")
        dataset = RecordDataset(p["rec"], p["idx"], transform, decode="bytes")
        _loaders[key] = torch.utils.data.DataLoader(
            dataset,
            batch_size=p["batch"],
            shuffle=True,
            num_workers=p["workers"],
            persistent_workers=True,
        )
    return _loaders[key]


def _epoch(p: Mapping[str, Any]) -> tuple[float, int, list[int], str]:
    loader = _loader(p)
    t0 = perf_counter()
    images, shape, dtype = 0, [], ""
    for data, _label in loader:
        images += data.shape[0]
        if not shape:
            shape, dtype = list(data.shape), str(data.dtype).removeprefix("torch.")
    return perf_counter() - t0, images, shape, dtype


def iterate(p: Mapping[str, Any]) -> dict[str, Any]:
    seconds, images, _, _ = _epoch(p)
    return {"seconds": seconds, "items": images, "nbytes": p["nbytes"]}


def check(p: Mapping[str, Any]) -> dict[str, Any]:
    _, images, shape, dtype = _epoch(p)
    return {"images": images, "shape": shape, "dtype": dtype}


if __name__ == "__main__":
    from _worker import serve

    serve({"iterate": iterate, "check": check})
