# The two commands a new machine needs: `make demo` and `make test`.
# Each creates what it uses (.venv for recio, .venv-mxnet for the MXNet 1.9.1 reference).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
REF_VENV := .venv-mxnet
REF_PY := $(REF_VENV)/bin/python
# The reference MXNet 1.9.1 needs numpy < 1.24 (it uses np.bool); pinned as the issue states.
REF_PKGS := numpy==1.23.5 mxnet==1.9.1 opencv-python-headless==4.8.1.78
PIP_QUIET := --quiet --disable-pip-version-check

.PHONY: demo test lint bench reference clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install $(PIP_QUIET) --upgrade pip

# setup.py builds the C extensions (src/recio/*.c); a change to any reinstalls
NATIVE := setup.py $(wildcard src/recio/*.c)

$(VENV)/.core: $(BIN)/python pyproject.toml $(NATIVE)
	$(BIN)/pip install $(PIP_QUIET) -e .
	touch $@

$(VENV)/.dev: $(BIN)/python pyproject.toml $(NATIVE)
	$(BIN)/pip install $(PIP_QUIET) -e '.[dev,torch,jax]'
	touch $(VENV)/.core $@

$(REF_VENV)/.ok:
	$(PYTHON) -m venv $(REF_VENV)
	$(REF_VENV)/bin/pip install $(PIP_QUIET) $(REF_PKGS)
	$(REF_PY) -c "import mxnet, numpy, cv2; assert mxnet.__version__ == '1.9.1'"
	touch $@

reference: $(REF_VENV)/.ok

demo: $(VENV)/.core
	$(BIN)/python -m recio.demo

lint: $(VENV)/.dev
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/ruff format --check src tests benchmarks examples
	$(BIN)/mypy

test: $(VENV)/.dev $(REF_VENV)/.ok lint
	RECIO_MXNET_PYTHON=$(abspath $(REF_PY)) $(BIN)/python -m pytest -q

bench: $(VENV)/.dev $(REF_VENV)/.ok
	RECIO_MXNET_PYTHON=$(abspath $(REF_PY)) $(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) $(REF_VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
