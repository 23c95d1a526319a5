# The two commands of the README: `make run` (the web page) and `make test`.
# `make test-fast` is the inner loop: everything but the real model and the browser.
# Both create .venv and install what they need; torch is pinned to the CPU build
# on local disk *before* anything else can resolve torch (a newer one pulls CUDA).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
TORCH := torch==2.13.0
# Browser tests drive Debian's Chromium (never a downloaded browser); CJK and emoji fonts
# so that screenshots show text, not boxes.
BROWSER_PKGS := chromium fonts-noto-cjk fonts-noto-color-emoji libgl1 libglib2.0-0
# axe-core, the accessibility checker the browser tests inject: the published file, taken
# from the npm registry's tarball (no node needed)
AXE_VERSION := 4.14.1
AXE_JS := .cache/axe-core-$(AXE_VERSION).min.js

.PHONY: run test test-fast install browser-deps lint index eval bench clean

run: $(VENV)/.installed
	$(VENV)/bin/qa serve

test: $(VENV)/.installed browser-deps $(AXE_JS) lint
	$(PY) -m pytest -q -p no:cacheprovider; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "error: pytest collected no tests"; exit 1; fi; exit $$rc

test-fast: $(VENV)/.installed lint
	$(PY) -m pytest -q -p no:cacheprovider -m "not model and not browser"

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(TORCH)
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

browser-deps:
	@dpkg -s $(BROWSER_PKGS) >/dev/null 2>&1 || { \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(BROWSER_PKGS); }

$(AXE_JS): $(VENV)/.installed
	mkdir -p .cache
	$(PY) -c "import io, sys, tarfile, urllib.request as r; \
	data = r.urlopen('https://registry.npmjs.org/axe-core/-/axe-core-$(AXE_VERSION).tgz', timeout=120).read(); \
	js = tarfile.open(fileobj=io.BytesIO(data)).extractfile('package/axe.min.js').read(); \
	open(sys.argv[1], 'wb').write(js)" $@.part && mv $@.part $@

lint: $(VENV)/.installed
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports --no-cache

index: $(VENV)/.installed
	$(VENV)/bin/qa index

eval: $(VENV)/.installed
	$(VENV)/bin/qa eval

bench: $(VENV)/.installed
	$(VENV)/bin/qa bench

clean:
	rm -rf $(VENV) test-artifacts
	find embeddings -mindepth 1 -maxdepth 1 ! -name README.md -exec rm -rf {} +
