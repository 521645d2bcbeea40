# The two commands of the README. Each sets up .venv on a fresh machine first.
#   make book   build the HTML book from the notebooks' stored outputs (warnings are errors)
#   make test   unit tests of d2lcnn, then every notebook re-executed by nbval (reduced mode)
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check -q
STAMP  := $(VENV)/.installed

.PHONY: book test unit notebooks setup clean bench

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -r requirements.txt
	$(PIP) install --no-deps d2l==1.0.3
	$(PIP) install --no-deps -e .
	@touch $@

book: $(STAMP)
	$(VENV)/bin/jupyter-book build . --warningiserror --keep-going
	@echo "book: _build/html/index.html"

test: unit notebooks

unit: $(STAMP)
	$(PY) -m pytest tests

# Notebooks in reduced mode: the repo's data subset and a few batches per epoch; cells tagged
# for it (shapes, counts) are compared exactly with their stored outputs.
notebooks: $(STAMP)
	D2LCNN_REDUCED=1 $(PY) -m pytest --nbval-lax --nbval-current-env -p no:randomly book

bench: $(STAMP)
	$(PY) benchmarks/bench_data.py
	$(PY) benchmarks/bench_train.py

clean:
	rm -rf _build
