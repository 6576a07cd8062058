"""Write the golden NDArray files with MXNet 1.9.1, and manifest.json describing them.

Run with the reference Python, from the repository root::

    .venv-mxnet/bin/python tests/golden/ndfile/make_golden.py

The output is deterministic: running it again rewrites identical files (the
manifest records each file's SHA-256). tests/test_ndfile.py reads the files
with recio, without MXNet, and checks every key, dtype, shape and value against
manifest.json; for the dense files it also checks that recio, saving the same
arrays, writes the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import mxnet as mx
import numpy as np

HERE = Path(__file__).resolve().parent
BFLOAT16 = np.dtype([("bfloat16", "<u2")])


def dtype_name(dtype: np.dtype[Any]) -> str:
    return "bfloat16" if dtype == BFLOAT16 else np.dtype(dtype).name


def describe(key: str | None, value: np.ndarray) -> dict[str, Any]:
    """One array as the manifest holds it: its dense C-order little-endian bytes in hex."""
    value = np.array(value, order="C")  # not ascontiguousarray: that makes 0-d arrays 1-d
    entry: dict[str, Any] = {
        "dtype": dtype_name(value.dtype),
        "shape": list(value.shape),
        "hex": value.tobytes().hex(),
    }
    if key is not None:
        entry = {"key": key, **entry}
    return entry


def file_entry(name: str, **info: Any) -> dict[str, Any]:
    data = (HERE / name).read_bytes()
    return {"size": len(data), "sha256": hashlib.sha256(data).hexdigest(), **info}


def loaded(name: str) -> Any:
    """What MXNet's mx.nd.load returns for the file, as (key, dense numpy array) pairs."""
    out = mx.nd.load(str(HERE / name))
    items = out.items() if isinstance(out, dict) else ((None, v) for v in out)
    return [(k, (v if v.stype == "default" else v.tostype("default")).asnumpy()) for k, v in items]


def mean_image() -> dict[str, Any]:
    """ImageRecordIter computing mean_img over 4 PNG images of 4x5 pixels, as MXNet saves it."""
    with tempfile.TemporaryDirectory() as tmp:
        rec = os.path.join(tmp, "tiny.rec")
        writer = mx.recordio.MXRecordIO(rec, "w")
        y, x = np.mgrid[0:4, 0:5]
        for i in range(4):
            img = np.stack([y * 40 + i, x * 30 + 7 * i, (x + y) * 17 + 50 * i], axis=-1)
            header = mx.recordio.IRHeader(0, float(i), i, 0)
            writer.write(mx.recordio.pack_img(header, img.astype(np.uint8), img_fmt=".png"))
        writer.close()
        target = HERE / "mean.bin"
        target.unlink(missing_ok=True)  # ImageRecordIter only computes the mean when it is absent
        mx.io.ImageRecordIter(
            path_imgrec=rec,
            data_shape=(3, 4, 5),
            batch_size=2,
            mean_img=str(target),
            preprocess_threads=1,
        )
    arrays = loaded("mean.bin")
    return file_entry(
        "mean.bin",
        written_by="mx.io.ImageRecordIter(data_shape=(3, 4, 5), mean_img=...)",
        container="dict",
        version="v2",
        mxnet_loads=True,
        byte_exact=True,
        arrays=[describe(k, v) for k, v in arrays],
    )


def dtypes_list() -> dict[str, Any]:
    """A list of every dtype MXNet 1.9.1 saves, with empty shapes among them."""
    values = [
        np.arange(6, dtype=np.float32).reshape(2, 3) - 2.5,
        np.array([1.0 / 3, -0.0, 1e300], dtype=np.float64),
        np.array([[0.5, -65504.0], [6e-8, 1.0]], dtype=np.float16),
        np.array([0, 1, 254, 255], dtype=np.uint8),
        np.array([[-128, -1], [0, 127]], dtype=np.int8),
        np.array([[[-(2**31)], [2**31 - 1]]], dtype=np.int32),
        np.array([-(2**63), 2**63 - 1], dtype=np.int64),
        np.array([True, False, True]),
        np.zeros((0, 3), dtype=np.float32),
        np.zeros((2, 0, 1), dtype=np.int64),
        np.ones((1, 1, 1, 1, 2), dtype=np.uint8),
    ]
    arrays = [mx.nd.array(v, dtype=v.dtype) for v in values]
    # bfloat16: MXNet's own numpy spelling of it; 1.5, -2.0 and 3.25 are exact in bfloat16
    arrays.append(mx.nd.array([1.5, -2.0, 3.25]).astype(BFLOAT16))
    mx.nd.save(str(HERE / "dtypes.nd"), arrays)
    return file_entry(
        "dtypes.nd",
        written_by="mx.nd.save(fname, [NDArray, ...])",
        container="list",
        version="v2",
        mxnet_loads=True,
        byte_exact=True,
        arrays=[describe(k, v) for k, v in loaded("dtypes.nd")],
    )


def params_dict() -> dict[str, Any]:
    """A .params-like dict in insertion order, with a row_sparse and a csr array."""
    weight = np.arange(12, dtype=np.float32).reshape(3, 4) / 8
    rows = mx.nd.sparse.row_sparse_array(
        (np.array([[1, 2], [3, 4]], dtype=np.float32), np.array([1, 3])), shape=(5, 2)
    )
    csr = mx.nd.sparse.csr_matrix(
        (np.array([1.0, 2.0, 3.0], dtype=np.float32), np.array([0, 2, 1]), np.array([0, 2, 2, 3])),
        shape=(3, 4),
    )
    data = {
        "arg:fc1_weight": mx.nd.array(weight),
        "arg:fc1_bias": mx.nd.array([0.25, -0.5, 1.0]),
        "arg:embed_weight": rows,
        "aux:bn_moving_var": mx.nd.array([1, 2, 3], dtype=np.float64),
        "arg:sparse_csr": csr,
    }
    mx.nd.save(str(HERE / "params.params"), data)
    return file_entry(
        "params.params",
        written_by="mx.nd.save(fname, {str: NDArray}) with RowSparseNDArray and CSRNDArray values",
        container="dict",
        version="v2",
        mxnet_loads=True,
        byte_exact=False,
        arrays=[describe(k, v) for k, v in loaded("params.params")],
    )


def scalar_list() -> dict[str, Any]:
    """A 0-d array: MXNet 1.9.1 writes it, and its own mx.nd.load then fails on the file."""
    values = [np.array(3.5, dtype=np.float64), np.array([7], dtype=np.int32)]
    arrays = [mx.nd.array(v, dtype=v.dtype) for v in values]
    assert arrays[0].shape == ()
    mx.nd.save(str(HERE / "scalar.nd"), arrays)
    try:
        mx.nd.load(str(HERE / "scalar.nd"))
        loaded = True
    except mx.base.MXNetError:
        loaded = False
    if loaded:
        raise AssertionError("MXNet 1.9.1 was expected to fail loading a 0-d array it saved")
    return file_entry(
        "scalar.nd",
        written_by="mx.nd.save(fname, [0-d NDArray, NDArray])",
        container="list",
        version="v2",
        mxnet_loads=False,
        byte_exact=True,
        arrays=[describe(None, v) for v in values],
    )


def np_shape_dict() -> dict[str, Any]:
    """Saved under numpy shape semantics (np_shape(True)): MXNet writes the V3 magic."""
    with mx.util.np_shape(True):
        data = {
            "scalar": mx.nd.array(np.array(2.5, dtype=np.float32)),
            "empty": mx.nd.zeros((0, 2)),
            "ints": mx.nd.array([[1, 2, 3]], dtype=np.int64),
        }
        mx.nd.save(str(HERE / "np_shape.nd"), data)
        arrays = loaded("np_shape.nd")
    return file_entry(
        "np_shape.nd",
        written_by="mx.nd.save(fname, {str: NDArray}) inside mx.util.np_shape(True)",
        container="dict",
        version="v3",
        mxnet_loads=True,
        byte_exact=False,
        arrays=[describe(k, v) for k, v in arrays],
    )


def main() -> None:
    files = {
        "mean.bin": mean_image(),
        "dtypes.nd": dtypes_list(),
        "params.params": params_dict(),
        "scalar.nd": scalar_list(),
        "np_shape.nd": np_shape_dict(),
    }
    manifest = {"mxnet": mx.__version__, "numpy": np.__version__, "files": files}
    text = json.dumps(manifest, indent=1, sort_keys=True) + "\n"
    (HERE / "manifest.json").write_text(text, encoding="utf-8")
    print(f"wrote {len(files)} files and manifest.json to {HERE}")


if __name__ == "__main__":
    main()
