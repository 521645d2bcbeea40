# The two commands of the README. Each sets up .venv on a fresh machine first.
#   make book         build the HTML book from the notebooks' stored outputs (warnings are errors)
#   make test         unit tests of d2lcnn, then every notebook re-executed by nbval (reduced mode),
#                     then LeNet and ResNet with their GPU recipe forced (on the CPU)
# and around them:
#   make check-site   the built book in headless Chromium (tools/check_site.py)
#   make sync         copy _config.yml's repository and the version where they are needed
#   make lock         re-pin constraints/py3.X.txt for $(PYTHON) (newest versions that fit)
# Python 3.11, 3.12 and 3.13 are supported; PYTHON=python3.12 VENV=.venv312 picks another one.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check -q
STAMP  := $(VENV)/.installed
# pytest's arguments for the unit tests, and the notebooks nbval re-executes
UNIT_ARGS ?=
NOTEBOOKS ?= book
# extra arguments of jupyter-book build (check-site rebuilds with --all: Sphinx does not see a
# change of the book's extension or CSS)
BOOK_ARGS ?=

# 3.X of $(PYTHON): it picks the pins, constraints/py3.X.txt
PYVER := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
LOCK  := constraints/py$(or $(PYVER),-missing).txt

.PHONY: book test unit notebooks notebooks-gpu-recipe setup clean bench check-site lock sync check-python FORCE

setup: $(STAMP)

$(STAMP): requirements.txt requirements-nodeps.txt $(LOCK) pyproject.toml d2lcnn/_version.py \
          | check-python
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -r requirements.txt -c $(LOCK)
	$(PIP) install --no-deps -r requirements-nodeps.txt -c $(LOCK)
	$(PIP) install --no-deps -e .
	@touch $@

# No pins for this Python: say what to do instead of a resolver's error.
constraints/py%.txt:
	@if [ "$*" = "-missing" ]; then \
	  echo "make: no Python at PYTHON=$(PYTHON): install Python 3.11, 3.12 or 3.13 (see README)"; \
	else \
	  echo "make: Python $* ($(PYTHON)) is not supported: the book is tested on 3.11, 3.12 and 3.13."; \
	  echo "      Install one of them and run, e.g., make test PYTHON=python3.12 (see README)."; \
	fi; exit 2

# A .venv made by another Python would mix two sets of pins.
check-python:
	@if [ -x $(PY) ] && [ "$$($(PY) -c 'import sys; print("%d.%d" % sys.version_info[:2])')" != "$(PYVER)" ]; then \
	  echo "make: $(VENV) was made with another Python than $(PYTHON) ($(PYVER)): remove it"; \
	  echo "      (rm -rf $(VENV)) or name a new one, e.g. VENV=.venv$(subst .,,$(PYVER))"; exit 2; fi

book: $(STAMP) _build/commit
	$(VENV)/bin/jupyter-book build . --warningiserror --keep-going $(BOOK_ARGS)
	@echo "book: _build/html/index.html"

test: unit notebooks notebooks-gpu-recipe

unit: $(STAMP)
	$(PY) -m pytest tests $(UNIT_ARGS)

# Notebooks in reduced mode: the repo's data subset and a few batches per epoch; cells tagged
# for it (shapes, counts) are compared exactly with their stored outputs.
notebooks: $(STAMP)
	D2LCNN_REDUCED=1 $(PY) -m pytest --nbval-lax --nbval-current-env -p no:randomly $(NOTEBOOKS)

# The GPU recipe's branch of two chapters, the branch a Colab reader runs first: forced on the CPU
# (D2LCNN_RECIPE=gpu) at the recipe's real input size, one batch per epoch.
GPU_RECIPE_NOTEBOOKS ?= book/lenet.ipynb book/resnet.ipynb
notebooks-gpu-recipe: $(STAMP)
	D2LCNN_REDUCED=1 D2LCNN_REDUCED_BATCHES=1 D2LCNN_RECIPE=gpu $(PY) -m pytest --nbval-lax \
	  --nbval-current-env -p no:randomly $(GPU_RECIPE_NOTEBOOKS)

# The site as a reader sees it: builds the book when a source (or the commit, which its footer
# names) changed, then opens every page in headless Chromium. When it cannot run here (no
# Chromium) it says why in one line and fails, or succeeds with SKIP_OK=1 (as .ci/run sets).
BOOK_SOURCES := _config.yml _toc.yml d2lcnn/_version.py \
	$(wildcard book/*.ipynb book/*.md book/*.bib book/_ext/*.py book/_static/* book/_templates/*)
SITE_STAMP := $(VENV)/.installed-site

_build/commit: FORCE
	@mkdir -p _build
	@c="$$(git rev-parse HEAD 2>/dev/null || echo none)"; \
	  [ "$$(cat $@ 2>/dev/null)" = "$$c" ] || echo "$$c" > $@

_build/html/index.html: $(STAMP) $(BOOK_SOURCES) _build/commit
	$(MAKE) --no-print-directory book BOOK_ARGS=--all

$(SITE_STAMP): requirements-site.txt $(STAMP)
	$(PIP) install -r requirements-site.txt -c $(LOCK)
	@touch $@

check-site: _build/html/index.html $(SITE_STAMP)
	$(PY) -m pytest -q -p no:randomly tests/test_check_site.py   # the checker catches faults
	@$(PY) tools/check_site.py _build/html; rc=$$?; \
	  if [ $$rc -eq 77 ] && [ "$(SKIP_OK)" = 1 ]; then exit 0; fi; exit $$rc

# _config.yml's repository URL and d2lcnn/_version.py's version, copied to the files that cannot
# read them (d2lcnn/colab.py, every chapter's first cell, the README): tools/sync_site.py.
sync: $(STAMP)
	$(PY) tools/sync_site.py write

# Re-resolve the pins of $(PYTHON) in a scratch environment (needs the package index).
lock: | check-python
	@test -n "$(PYVER)" || { echo "make: no Python at PYTHON=$(PYTHON)"; exit 2; }
	rm -rf $(VENV)-lock && $(PYTHON) -m venv $(VENV)-lock
	$(VENV)-lock/bin/python -m pip install -q -r requirements.txt -r requirements-site.txt
	$(VENV)-lock/bin/python -m pip install -q --no-deps -r requirements-nodeps.txt
	@{ echo "# Every package of .venv on Python $(PYVER), pinned: \`make setup\` installs requirements.txt with these"; \
	   echo "# constraints. Written by \`make lock PYTHON=python$(PYVER)\` (newest versions that fit requirements*.txt);"; \
	   echo "# edit requirements.txt, not this file. d2lcnn itself is installed editable, so it is not listed."; \
	   $(VENV)-lock/bin/python -m pip freeze --all --exclude-editable | grep -v '^pip=='; } > constraints/py$(PYVER).txt
	rm -rf $(VENV)-lock
	@echo "lock: constraints/py$(PYVER).txt"

bench: $(STAMP)
	$(PY) benchmarks/bench_data.py
	$(PY) benchmarks/bench_train.py

clean:
	rm -rf _build
