# Two commands do all set-up on a fresh machine:
#   make demo   install into .venv and run `microgradx demo` (the main job)
#   make test   install into .venv and run the whole test suite, notebooks included
# Checks: `make lint` (ruff lint and format), `make typecheck` (mypy on the package).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: test demo install dot browser lint typecheck bench clean test-extras dist docs browser-test

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' || \
		{ echo "microgradx needs Python 3.10 or newer (found $$($(PYTHON) --version))"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,notebook]"
	@touch $(STAMP)

# Rendering needs Graphviz's `dot` program: install Debian's package when we can,
# otherwise say exactly what to install (the DOT-text features work without it).
dot:
	@command -v dot >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "Installing Graphviz (Debian package graphviz) for the dot program..."; \
			apt-get update -qq && apt-get install -y -qq graphviz >/dev/null; \
		else \
			echo "Graphviz's dot program is missing: install it with"; \
			echo "  sudo apt-get install graphviz   (Debian/Ubuntu)"; \
			echo "  brew install graphviz           (macOS)"; \
			echo "  conda install -c conda-forge graphviz"; \
		fi; }

# The stepper's browser test needs Chromium and its WebDriver: install Debian's packages
# when we can (root with apt-get); otherwise say what to install (the test then skips,
# except under CI=true where it fails).
browser:
	@{ command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; } && \
		command -v chromedriver >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "Installing Chromium and its driver (Debian packages chromium, chromium-driver)..."; \
			apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null; \
		else \
			echo "Chromium or chromedriver is missing: the browser test will skip; install with"; \
			echo "  sudo apt-get install chromium chromium-driver   (Debian/Ubuntu)"; \
		fi; }

# Test extras: PyTorch for the bridge tests, pinned to the CPU build this project tests
# against (the `torch` extra's range, torch>=2.0, is then already satisfied, so nothing
# more is downloaded), the build tools for the packaging test and the benchmarks' peer.
TORCH_SPEC  ?= torch==2.13.0
EXTRAS_STAMP := $(VENV)/.test-extras-installed

test-extras: $(EXTRAS_STAMP)

$(EXTRAS_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet "$(TORCH_SPEC)"
	$(BIN)/python -m pip install --quiet -e ".[torch,build,bench]"
	@touch $@

test: install dot browser test-extras
	$(BIN)/python -m pytest --nbmake tests notebooks

demo: install dot
	$(BIN)/microgradx demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy microgradx

# PyTorch is pinned to the CPU build this machine has (another spec pulls a CUDA build).
bench: install
	$(BIN)/python -m pip install --quiet -e ".[bench]" torch==2.13.0
	$(BIN)/python benchmarks/bench_engine.py
	$(BIN)/python benchmarks/bench_floor.py --compiled
	$(BIN)/python benchmarks/bench_tape.py
	$(BIN)/python benchmarks/bench_mlp.py
	$(BIN)/python benchmarks/bench_stepper.py
	$(BIN)/python benchmarks/bench_refusals.py
	$(BIN)/python benchmarks/bench_import.py
	$(BIN)/python benchmarks/bench_blas.py

# The documentation site in build/site/ (MkDocs; --strict: a warning fails the build).
DOCS_STAMP := $(VENV)/.docs-installed

$(DOCS_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[docs]"
	@touch $@

docs: $(DOCS_STAMP) dot
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

# JupyterLab in headless Chromium (Debian's chromium and chromedriver, driven by Selenium):
# notebooks run, drawings appear, sliders redraw. Screenshots go to build/screenshots/.
BROWSER_STAMP := $(VENV)/.browser-installed

$(BROWSER_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[browser]"
	@touch $@

browser-test: $(BROWSER_STAMP) dot browser
	MICROGRADX_BROWSER_TESTS=1 timeout 900 $(BIN)/python -m pytest -p no:cacheprovider tests/browser

# Wheel and sdist in dist/.
dist: $(EXTRAS_STAMP)
	$(BIN)/python -m build --no-isolation --outdir dist .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache build dist *.egg-info
