# Two commands do all set-up on a fresh machine:
#   make demo   install into .venv and run `microgradx demo` (the main job)
#   make test   install into .venv and run the whole test suite, notebooks included
# Checks: `make lint` (ruff lint and format), `make typecheck` (mypy on the package).
# Each target installs what it needs and no more (the extras of pyproject.toml), once:
# a stamp file in .venv remembers each install until pyproject.toml changes.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip install --quiet --disable-pip-version-check
CREATED := $(VENV)/.created

.PHONY: test demo install dot browser lint typecheck bench clean test-extras dist docs browser-test
.PRECIOUS: $(VENV)/.with-%

$(CREATED):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' || \
		{ echo "microgradx needs Python 3.10 or newer (found $$($(PYTHON) --version))"; exit 1; }
	@echo "Creating the virtual environment $(VENV)..."
	@$(PYTHON) -m venv $(VENV)
	@$(PIP) --upgrade pip
	@touch $@

# microgradx (editable) with the extras after the dash: .venv/.with-notebook installs
# microgradx[notebook]. One line says what is being installed; pip itself stays quiet.
$(VENV)/.with-%: pyproject.toml $(CREATED)
	@echo "Installing microgradx[$*] into $(VENV) (this can take a few minutes)..."
	@$(PIP) -e ".[$*]"
	@touch $@

# Everything a developer runs: tests, linters, notebooks.
STAMP := $(VENV)/.with-dev,notebook
install: $(STAMP)

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
	@echo "Installing the test extras (PyTorch CPU, build tools, micrograd) into $(VENV)..."
	@$(PIP) "$(TORCH_SPEC)"
	@$(PIP) -e ".[torch,build,bench]"
	@touch $@

test: install dot browser test-extras
	$(BIN)/python -m pytest --nbmake tests notebooks

# The demo needs the package and the notebook extras (plots, progress), nothing else.
demo: $(VENV)/.with-notebook dot
	$(BIN)/microgradx demo

lint: $(VENV)/.with-lint
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.with-typecheck
	$(BIN)/mypy microgradx

# Every benchmark, each in a fresh process; their outputs replace the README's marked blocks.
# PyTorch is pinned to the CPU build this machine has (another spec pulls a CUDA build).
bench: $(VENV)/.with-bench,notebook
	@echo "Installing PyTorch ($(TORCH_SPEC)) into $(VENV)..."
	@$(PIP) "$(TORCH_SPEC)"
	$(BIN)/python benchmarks/run_all.py --readme README.md

# The documentation site in build/site/ (MkDocs; --strict: a warning fails the build).
docs: $(VENV)/.with-docs dot
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

# JupyterLab in headless Chromium (Debian's chromium and chromedriver, driven by Selenium):
# notebooks run, drawings appear, sliders redraw. Screenshots go to build/screenshots/.
browser-test: $(STAMP) $(VENV)/.with-browser dot browser
	MICROGRADX_BROWSER_TESTS=1 timeout 900 $(BIN)/python -m pytest -p no:cacheprovider tests/browser

# Wheel and sdist in dist/: only the build tools (the `build` extra's), not the package.
BUILD_TOOLS := "build>=1.2" "hatchling>=1.26"

$(VENV)/.build-tools: pyproject.toml $(CREATED)
	@echo "Installing the build tools ($(BUILD_TOOLS)) into $(VENV)..."
	@$(PIP) $(BUILD_TOOLS)
	@touch $@

dist: $(VENV)/.build-tools
	$(BIN)/python -m build --no-isolation --outdir dist .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache build dist *.egg-info
