# Tagstory: `make run` serves the demo, `make check` runs the fast tests, `make test` runs every test
# and the lint. See README.md.
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 5000
PYTHON ?= python3
# pytest rewrites the asserts of the tests and of its plugins (all of schemathesis, hypothesis)
# and caches the result as bytecode; with PYTHONDONTWRITEBYTECODE set it redoes that on every
# run, which costs more than most of the fast tier itself.
PYTEST := env -u PYTHONDONTWRITEBYTECODE $(PY) -m pytest
# The fast loop keeps its test databases in memory where there is a tmpfs (no fsync on each
# test's close), and keeps only the folders of the tests that failed.
FAST_TMP := $(if $(wildcard /dev/shm/.),TMPDIR=/dev/shm)

.PHONY: run check test lint format bench setup clean

run: $(VENV)/.runtime static/vendor/.installed  ## serve the demo on http://127.0.0.1:$(PORT)
	PORT=$(PORT) $(PY) app.py

check: $(VENV)/.dev static/vendor/.installed  ## the fast loop: the unit tier less `slow`, on two workers
	$(FAST_TMP) $(PYTEST) -n 2 -m "not process and not browser and not slow" --hypothesis-profile=check \
	  -o tmp_path_retention_policy=failed

test: $(VENV)/.dev static/vendor/.installed system-packages lint  ## install what the tests need, lint, run them all
	$(PYTEST)

lint: $(VENV)/.dev  ## ruff check and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: $(VENV)/.dev static/vendor/.installed system-packages  ## Tagstory beside bare references (docs/benchmarks.md)
	if command -v node >/dev/null; then npm ci --prefix bench/node --no-audit --no-fund --loglevel=error; fi
	$(PY) -m bench.fanout
	$(PY) -m bench.mirror
	$(PY) -m bench.insight --posts 100000 --runs 9

setup: $(VENV)/.dev static/vendor/.installed system-packages

$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

# Browser libraries come from the npm registry, pinned by package-lock.json; only their
# built files are served, from the git-ignored static/vendor/.
static/vendor/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p static/vendor
	cp node_modules/socket.io-client/dist/socket.io.min.js node_modules/socket.io-client/dist/socket.io.min.js.map \
	   node_modules/sortablejs/Sortable.min.js node_modules/qrcode-generator/dist/qrcode.js \
	   node_modules/chart.js/dist/chart.umd.min.js static/vendor/
	touch $@

system-packages:  ## Debian chromium (browser tests) and redis-server (message-queue tests)
	scripts/install-system-packages.sh

clean:
	rm -rf $(VENV) node_modules static/vendor .pytest_cache
