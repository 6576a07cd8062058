"""Functions the reference server runs inside MXNet 1.9.1's venv (numpy 1.23, mxnet, cv2).

``mxnet_ref.call("recordio.write_records", ...)`` runs ``ref/recordio.py``'s
``write_records``. Add a module per area (``ref/image.py``, ``ref/io.py``, ...).
These modules are imported by the reference server only: never import recio here,
and never import them from tests.
"""
