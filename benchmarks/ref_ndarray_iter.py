"""MXNet 1.9.1 side of the NDArrayIter benchmark (run by the harness under the reference python).

Serves the handlers of ``recio_ndarray_iter.make_handlers`` bound to ``mxnet.io``, so it
times exactly the same loop as the recio side.
"""

import mxnet as mx

from _worker import serve
from recio_ndarray_iter import make_handlers

if __name__ == "__main__":
    serve(make_handlers(mx.io))
