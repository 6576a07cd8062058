"""MXNet 1.9.1 side of the RecordIO benchmark (run by the harness under the reference python).

Serves the shared handlers of ``_recordio_work`` bound to ``mxnet.recordio``; it is also the
side that writes the data files every side reads, since MXNet defines the format.
"""

import mxnet.recordio as recordio

from _recordio_work import make_handlers
from _worker import serve

if __name__ == "__main__":
    serve(make_handlers(recordio))
