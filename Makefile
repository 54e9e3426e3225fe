# The two commands: `make run` (app on embedded SQLite with demo data) and `make test` (everything CI runs).
# Each does its own set-up on a fresh machine: virtualenv, pinned installs, front-end assets, browser.

PYTHON ?= $(shell command -v python3.11 2>/dev/null || echo python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_CUSTOMERS ?= 1000
DEMO_SEED ?= 42
VENDOR := src/fengkong/web/static/vendor
export OMP_NUM_THREADS ?= 1

.PHONY: run test lint typecheck install install-dev assets browser pdf-tools lock clean

run: install assets pdf-tools
	$(BIN)/fengkong db upgrade
	$(BIN)/fengkong demo --if-empty --customers $(DEMO_CUSTOMERS) --seed $(DEMO_SEED)
	$(BIN)/fengkong serve --host $(HOST) --port $(PORT)

# Bytecode is written even where the environment says not to (PYTHONDONTWRITEBYTECODE, as on
# this project's machines): each pytest worker would otherwise rewrite the asserts of every test
# module (~8 s of collection), and each process the tests start compile the app again.
test: install-dev assets browser pdf-tools lint typecheck
	PYTHONDONTWRITEBYTECODE= $(BIN)/pytest -n 2 --dist loadgroup

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck:
	$(BIN)/mypy

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Fengkong pins Python 3.11"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# Front-end packages come from the npm registry at build time and are served by the app itself.
$(VENDOR)/.built: package.json package-lock.json scripts/build_assets.py $(BIN)/python
	npm ci --no-audit --no-fund --loglevel=error
	$(BIN)/python scripts/build_assets.py
	touch $@

assets: $(VENDOR)/.built

# Debian's Chromium for the browser tests (Playwright drives it; it never downloads a browser).
browser:
	@test -x /usr/bin/chromium || { \
	  apt-get install -y -q chromium fonts-noto-cjk >/dev/null 2>&1 || \
	  { apt-get update -q >/dev/null && apt-get install -y -q chromium fonts-noto-cjk >/dev/null; }; }

# PDF reports: WeasyPrint needs Pango, and Chinese needs CJK fonts; the PDF tests read and picture
# the reports with poppler-utils (pdftotext, pdftoppm, pdffonts). All from Debian's packages.
PDF_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk fonts-wqy-microhei poppler-utils
pdf-tools:
	@{ command -v pdftotext >/dev/null && fc-list | grep -qi "WenQuanYi Micro Hei"; } || { \
	  apt-get install -y -q $(PDF_PACKAGES) >/dev/null 2>&1 || \
	  { apt-get update -q >/dev/null && apt-get install -y -q $(PDF_PACKAGES) >/dev/null; }; }

# Re-pin every installed package after changing pyproject.toml.
lock: install-dev
	$(BIN)/pip freeze --exclude-editable --disable-pip-version-check | sort > constraints.txt

clean:
	rm -rf $(VENV) node_modules $(VENDOR) .mypy_cache .ruff_cache .pytest_cache
