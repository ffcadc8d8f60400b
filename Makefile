# Two commands on a fresh clone:
#   make run    set up, build the index if it is missing, start the web chat on http://127.0.0.1:7860
#   make test   set up and run the whole test suite (what .ci/run calls)

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test setup index clean

run: setup
	$(BIN)/assistant serve

test: setup
	$(BIN)/python -m pytest

setup: $(STAMP)

# torch first, pinned: left to pip, sentence-transformers would pull a multi-GB CUDA build.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

index: setup
	$(BIN)/assistant index

clean:
	rm -rf $(VENV) index/CURRENT index/versions index/cache index/.lock
