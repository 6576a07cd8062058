"""recio side of the RecordIO benchmark (run by the harness under recio's python).

Serves the shared handlers of ``_recordio_work`` bound to ``recio.recordio``, so it times
exactly the same loops as ``ref_recordio.py`` does for MXNet.
"""

from _recordio_work import make_handlers
from _worker import serve
from recio import recordio

if __name__ == "__main__":
    serve(make_handlers(recordio))
