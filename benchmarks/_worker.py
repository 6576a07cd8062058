"""Request loop shared by the side processes of every benchmark (stdlib only).

Each implementation under test (recio, MXNet) runs in its own long-lived subprocess, so
both sides pay the same interpreter start-up once, keep their caches equally warm between
rounds, and can live in different virtual environments (MXNet needs numpy 1.23, recio
numpy 2). The harness writes one JSON request per line on the worker's stdin::

    {"op": "small_read", "params": {...}}

and the worker answers on stdout with one line, prefixed by ``RESULT_PREFIX`` so that
anything a library prints on stdout cannot be mistaken for a result::

    @@bench {"ok": true, "result": {...}}

This module runs under both virtual environments, hence the stdlib-only rule.
"""

from __future__ import annotations

import json
import sys
import traceback
from collections.abc import Callable, Mapping
from typing import Any

RESULT_PREFIX = "@@bench "

Handler = Callable[[Mapping[str, Any]], Mapping[str, Any]]


def serve(handlers: Mapping[str, Handler]) -> None:
    """Answer requests from stdin until it closes; one handler call per request line.

    A failing handler does not kill the worker: the traceback goes back to the harness,
    which reports it against the case that failed.
    """
    out = sys.stdout
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            request = json.loads(line)
            op = request["op"]
            if op == "ping":
                reply: dict[str, Any] = {"ok": True, "result": {}}
            else:
                handler = handlers[op]
                reply = {"ok": True, "result": dict(handler(request.get("params", {})))}
        except Exception:
            reply = {"ok": False, "error": traceback.format_exc()}
        out.write(RESULT_PREFIX + json.dumps(reply) + "\n")
        out.flush()
