"""The reference server: runs under MXNet 1.9.1's venv and answers calls from the tests.

Started once per test session by ``_reference.MXNetReference``. It reads framed
requests (see ``_wire``) on stdin and writes framed responses on the original
stdout. Before anything else it moves fd 1 to a private descriptor and points
fd 1 and ``sys.stdout`` at stderr, so whatever MXNet, its C++ library or a ref
module prints cannot corrupt the protocol.

Requests are dicts with an ``op``:

- ``call``: ``name`` is ``"module.function"``; the function is looked up in
  ``ref/<module>.py`` (imported as ``ref.<module>``) and called with
  ``args``/``kwargs``.
- ``exec``: ``code`` runs in a fresh namespace holding ``mx``, ``np``, ``cv2``
  and the ``inputs``; the reply is the value of the names in ``results``.
- ``ping``: replies with the versions of Python, numpy, MXNet and OpenCV.

A reply is ``{"ok": True, "value": ...}`` or, when the reference raised,
``{"ok": False, "type": ..., "name": ..., "mro": [...], "message": ...,
"traceback": ...}``. MXNet NDArrays in a value come back as numpy arrays.
The server exits when stdin closes.
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))


def _claim_stdout() -> int:
    """A private duplicate of fd 1 for the protocol; fd 1 and sys.stdout then go to stderr."""
    proto = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return proto


def _read_exact(fd: int, n: int) -> bytes | None:
    chunks = []
    while n:
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def main() -> None:
    proto_out = _claim_stdout()
    sys.path.insert(0, HERE)
    import cv2
    import mxnet as mx
    import numpy as np

    import _wire  # the path above makes it importable

    def to_plain(value: Any) -> Any:
        """MXNet NDArrays cross the wire as numpy arrays."""
        if isinstance(value, mx.nd.NDArray):
            return value.asnumpy()
        return value

    def handle(request: dict[str, Any]) -> Any:
        op = request["op"]
        if op == "ping":
            return {
                "python": sys.version.split()[0],
                "numpy": np.__version__,
                "mxnet": mx.__version__,
                "cv2": cv2.__version__,
                "pid": os.getpid(),
            }
        if op == "call":
            module_name, _, func_name = request["name"].rpartition(".")
            if not module_name:
                raise ValueError(f"call name must be 'module.function', got {request['name']!r}")
            module = importlib.import_module(f"ref.{module_name}")
            func = getattr(module, func_name)
            return func(*request["args"], **request["kwargs"])
        if op == "exec":
            namespace: dict[str, Any] = {"mx": mx, "np": np, "cv2": cv2, "__name__": "__ref_exec__"}
            namespace.update(request["inputs"])
            exec(compile(request["code"], "<mxnet_ref.exec>", "exec"), namespace)
            return {name: namespace.get(name) for name in request["results"]}
        raise ValueError(f"unknown op {op!r}")

    while True:
        head = _read_exact(0, _wire.LENGTH.size)
        if head is None:
            return
        body = _read_exact(0, _wire.LENGTH.unpack(head)[0])
        if body is None:
            return
        try:
            reply: dict[str, Any] = {"ok": True, "value": handle(_wire.loads(body))}
            frame = _wire.dumps(reply, to_plain)
        except BaseException as exc:  # everything goes back to the caller, even SystemExit
            kind = type(exc)
            reply = {
                "ok": False,
                "type": f"{kind.__module__}.{kind.__qualname__}",
                "name": kind.__name__,
                "mro": [k.__name__ for k in kind.__mro__],
                "message": str(exc),
                "traceback": traceback.format_exc(),
            }
            frame = _wire.dumps(reply)
        _write_all(proto_out, frame)


if __name__ == "__main__":
    main()
