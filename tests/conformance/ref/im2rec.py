"""MXNet 1.9.1's ``tools/im2rec.py`` and readers of its outputs, for the im2rec conformance tests.

Runs in the reference server (numpy 1.23). :func:`run_tool` runs the tool shipped in the
mxnet wheel in this process, as ``__main__`` (MXNet is already imported, so a run costs
milliseconds, not the second a fresh interpreter needs); with ``--num-thread`` > 1 the
tool forks its worker processes from here, as it would from its own interpreter.
"""

from __future__ import annotations

import contextlib
import io
import os
import runpy
import sys
from typing import Any

import cv2
import mxnet as mx
import numpy as np
from mxnet import recordio

TOOL = os.path.join(os.path.dirname(mx.__file__), "tools", "im2rec.py")


def run_tool(argv: list[str], cwd: str) -> dict[str, Any]:
    """Run ``im2rec.py ARGV`` in folder ``cwd``: its exit code and what it printed on stdout."""
    out = io.StringIO()
    old_argv, old_cwd = sys.argv, os.getcwd()
    code: Any = 0
    try:
        os.chdir(cwd)
        sys.argv = [TOOL, *argv]
        with contextlib.redirect_stdout(out):
            try:
                runpy.run_path(TOOL, run_name="__main__")
            except SystemExit as e:
                code = e.code
    finally:
        sys.argv = old_argv
        os.chdir(old_cwd)
    return {"code": code, "stdout": out.getvalue()}


def read_records(rec: str, idx: str) -> list[dict[str, Any]]:
    """Every record of an indexed .rec as MXNet reads it: key, header, payload, image."""
    reader = recordio.MXIndexedRecordIO(idx, rec, "r")
    out = []
    for key in reader.keys:
        header, payload = recordio.unpack(reader.read_idx(key))
        label = [float(v) for v in header.label] if header.flag else float(header.label)
        img = cv2.imdecode(np.frombuffer(payload, np.uint8), cv2.IMREAD_UNCHANGED)
        out.append(
            {
                "key": key,
                "header": (header.flag, label, header.id, header.id2),
                "payload": payload,
                "image": img,
            }
        )
    reader.close()
    return out


def record_iter(
    rec: str, data_shape: list[int], label_width: int, batch_size: int
) -> dict[str, Any]:
    """Read a .rec once with ``mx.io.ImageRecordIter``: labels (padding dropped), images seen."""
    it = mx.io.ImageRecordIter(
        path_imgrec=rec,
        data_shape=tuple(data_shape),
        label_width=label_width,
        batch_size=batch_size,
        shuffle=False,
        preprocess_threads=1,  # round_batch stays on: with it off, 1.9.1 reports pad 0
    )
    labels: list[Any] = []
    means: list[float] = []
    for batch in it:
        n = batch_size - batch.pad
        labels.extend(batch.label[0].asnumpy()[:n].tolist())
        data = batch.data[0].asnumpy()[:n]
        means.extend(float(x) for x in data.reshape(n, -1).mean(axis=1))
    return {"labels": labels, "count": len(labels), "means": means}
