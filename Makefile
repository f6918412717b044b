# FovEx: `make run` builds the study (book) on the bundled default; `make test` runs the test suite.
# Both set up the virtual environment first (once; again when pyproject.toml changes).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.fovex-installed

.PHONY: setup run test explain benchmark clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[book,dev]"
	touch $(STAMP)

run: setup explain

# Explain four of the labelled ImageNet photos that ship with foolbox (no download needed).
explain: setup
	$(BIN)/fovex explain $$($(BIN)/python -c "import foolbox, pathlib; print(' '.join(sorted(str(p) for p in (pathlib.Path(foolbox.__file__).parent / 'data').glob('imagenet_0[0-3]_*.jpg'))))") --out build/samples

test: setup
	$(BIN)/python -m pytest -q

benchmark: setup
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf build _build
