# The README's two commands: `make demo` and `make test`. Both bootstrap .venv/ when missing
# and build the Rust extension in release mode first; `make test` also installs the Debian
# packages its tests need (see system-deps).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
SYS_PYTHON ?= python3
SAMPLE_DEFAULT := $(abspath ../shared/data)
export LFR_SAMPLE_DATA ?= $(if $(wildcard $(SAMPLE_DEFAULT)),$(SAMPLE_DEFAULT),)

.PHONY: venv build system-deps test test-rust test-py stubtest typecheck lint fmt demo bench \
	bench-rust clean

$(VENV)/.deps: pyproject.toml
	test -x $(PY) || $(SYS_PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet "maturin>=1.5,<2"
	touch $@

venv: $(VENV)/.deps

# flock: helpers and parallel shells may build at once; one maturin install at a time.
build: venv
	flock .build.lock $(VENV)/bin/maturin develop --release --extras test --quiet

test: system-deps build lint test-rust stubtest typecheck test-py

# The Debian packages the tests need beyond the venv (GStreamer's RTSP server, Node.js), listed
# once in tests/support/system_deps.py: installed with apt-get (after apt-get update) when
# missing, as root on Debian; elsewhere the tests that need them skip, saying which and why.
# Everything present: one dpkg-query, nothing else.
system-deps:
	$(SYS_PYTHON) tests/support/system_deps.py

test-rust:
	cargo test --workspace

stubtest:
	$(PY) -m mypy.stubtest lfr._native

typecheck:
	$(PY) -m mypy python/lfr

# Lint that cannot be skipped: the same checks run in `make test` and fail it.
PY_SOURCES := python tests benches
lint:
	$(PY) -m ruff check $(PY_SOURCES)
	$(PY) -m ruff format --check $(PY_SOURCES)
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --quiet -- -D warnings

# Rewrites the sources into the checked style.
fmt:
	$(PY) -m ruff check --fix $(PY_SOURCES)
	$(PY) -m ruff format $(PY_SOURCES)
	cargo fmt --all

test-py:
	$(PY) -m pytest

demo: build
	$(VENV)/bin/lfr demo

bench: build
	$(PY) -m pip install --quiet "faiss-cpu>=1.8" "opencv-python-headless>=4.9"
	$(PY) benches/bench_search.py

bench-rust:
	cargo bench --workspace

clean:
	rm -rf target $(VENV)
