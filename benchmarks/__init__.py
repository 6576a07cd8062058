"""recio's benchmarks against MXNet 1.9.1; run ``python -m benchmarks --help``."""
