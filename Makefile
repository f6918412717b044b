# FovEx: `make run` builds the study (book) on the bundled default; `make test` runs the test suite.
# Both set up the virtual environment first (once; again when pyproject.toml changes).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.fovex-installed

.PHONY: setup browser run test test-portability lint format explain benchmark wheels gpu-check clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[book,dev]"
	touch $(STAMP)

# The study: execute every notebook with papermill (quick profile) and build the Jupyter Book into
# build/book/_build/html. Resumes: chapters whose source and parameters did not change are kept.
run: setup
	$(BIN)/fovex book --profile $(or $(PROFILE),quick)

# Explain four of the labelled ImageNet photos that ship with foolbox (no download needed).
explain: setup
	$(BIN)/fovex explain $$($(BIN)/python -c "import foolbox, pathlib; print(' '.join(sorted(str(p) for p in (pathlib.Path(foolbox.__file__).parent / 'data').glob('imagenet_0[0-3]_*.jpg'))))") --out build/samples

# Headless Chromium for the book's page test (Debian packages; needs root and apt, else the test skips).
browser:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	else echo "note: chromium/chromedriver not installed; the book's browser test will be skipped"; fi

test: setup browser
	$(BIN)/python -m pytest -q

# The tests of the tests: the pinned-number tests re-run under emulated CPU paths (AVX2 kernels, oneDNN
# limited to AVX2 or off, 1 and 2 threads); a bound that holds only on this machine's path fails here.
# FOVEX_PORTABILITY_FULL=1 adds tests/test_reproduce.py. The measured table: benchmarks/portability.py.
test-portability: setup
	FOVEX_PORTABILITY=1 $(BIN)/python -m pytest -q tests/test_portability.py

# Lint and formatting as configured in pyproject.toml (the test suite runs the same checks).
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Apply the formatter and the safe lint fixes.
format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

benchmark: setup
	$(BIN)/python benchmarks/run.py

# Wheels for benchmarks/gpu_check.sh on a bare GPU machine (Python + PyTorch only), into build/wheels
# (not committed). WHEEL_PYTHON=3.12 downloads them for another Python than this one.
wheels: setup
	$(BIN)/python benchmarks/gpu_wheels.py build/wheels $(if $(WHEEL_PYTHON),--python-version $(WHEEL_PYTHON))

# The prepared GPU check (tests, benchmark table, GPU-vs-CPU agreement) into build/gpu-check.
gpu-check:
	benchmarks/gpu_check.sh build/gpu-check

clean:
	rm -rf build _build
