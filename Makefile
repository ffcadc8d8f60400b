# Two commands on a fresh clone:
#   make run    set up, build the index if it is missing, start the web chat on http://127.0.0.1:7860
#   make test   set up and run the whole test suite (what .ci/run calls)

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

CHROMIUM := /usr/bin/chromium
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test setup index bench clean

run: setup
	$(BIN)/assistant serve

test: setup $(CHROMIUM)
	$(BIN)/python -m pytest

# The browser tests drive Debian's chromium (headless) with Playwright; nothing is downloaded by Playwright.
$(CHROMIUM):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium

setup: $(STAMP)

# torch first, pinned: left to pip, sentence-transformers would pull a multi-GB CUDA build.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

index: setup
	$(BIN)/assistant index

bench: setup
	$(BIN)/pip install --quiet -e '.[test,bench]'
	$(BIN)/python -m eval.bench

clean:
	rm -rf $(VENV) index/CURRENT index/versions index/cache index/.lock
