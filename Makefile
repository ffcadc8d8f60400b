# Two commands on a fresh clone:
#   make run    set up, build the index if it is missing, start the web chat on http://127.0.0.1:7860
#   make test   set up and run the whole test suite (what .ci/run calls)

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

CHROMIUM  := /usr/bin/chromium
TESSERACT := /usr/bin/tesseract
PDFLATEX  := /usr/bin/pdflatex
SOFFICE   := /usr/bin/soffice
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT    := DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends

.PHONY: run test setup index bench clean

run: setup $(TESSERACT)
	$(BIN)/assistant serve

test: setup $(CHROMIUM) $(TESSERACT) $(PDFLATEX) $(SOFFICE)
	$(BIN)/python -m pytest

# Debian's tools, each installed when missing:
# chromium: the browser tests drive it headless with Playwright (which downloads nothing), and the
#   PDF tests print HTML reports to PDF with it;
# tesseract: OCR of PDF pages with no text layer (the assistant itself uses it);
# pdflatex and soffice: the PDF tests typeset reports with LaTeX and LibreOffice Writer.
$(CHROMIUM):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium

$(TESSERACT):
	$(SUDO) apt-get update -qq
	$(APT) tesseract-ocr tesseract-ocr-eng

$(PDFLATEX):
	$(SUDO) apt-get update -qq
	$(APT) texlive-latex-base texlive-latex-recommended texlive-fonts-recommended

$(SOFFICE):
	$(SUDO) apt-get update -qq
	$(APT) libreoffice-writer-nogui

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
	$(BIN)/python -m eval.bench --million

clean:
	rm -rf $(VENV) index/CURRENT index/versions index/cache index/.lock index/milvus.db
