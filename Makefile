# walletsign: every target sets up .venv itself, from nothing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.DEFAULT_GOAL := help

.PHONY: help
help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-12s %s\n", $$1, $$2}'

INSTALL_LOG := $(VENV)/install.log
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check

$(BIN)/python:
	@$(PYTHON) -m venv $(VENV)

# pip's --quiet does not silence the build backend (setuptools prints an "editable
# installation" warning box): the install's output goes to a log, shown only if it fails.
$(STAMP): $(BIN)/python pyproject.toml
	@echo "setting up $(VENV) (once; its log: $(INSTALL_LOG))" >&2
	@{ $(PIP) --upgrade pip && $(PIP) -e '.[dev]'; } >$(INSTALL_LOG) 2>&1 || \
		{ cat $(INSTALL_LOG) >&2; echo "make: installing into $(VENV) failed" >&2; exit 1; }
	@touch $(STAMP)

.PHONY: venv
venv: $(STAMP) ## create .venv and install the project with its test tools

.PHONY: lint
lint: $(STAMP) ## ruff lint and format check
	$(BIN)/ruff check walletsign_cli tests bench scripts
	$(BIN)/ruff format --check walletsign_cli tests bench scripts

.PHONY: typecheck
typecheck: $(STAMP) ## mypy --strict
	$(BIN)/mypy

.PHONY: pytest
pytest: $(STAMP) ## the test suite only
	$(BIN)/pytest

.PHONY: check
check: lint typecheck pytest ## lint, types and tests

.PHONY: test
test: $(STAMP) ## set up .venv and run make check (what CI runs)
	$(MAKE) check

.PHONY: fmt
fmt: $(STAMP) ## format and auto-fix
	$(BIN)/ruff format walletsign_cli tests bench scripts
	$(BIN)/ruff check --fix walletsign_cli tests bench scripts

.PHONY: demo
demo: $(STAMP) ## run a whole deeplink exchange against the simulated wallet
	@$(BIN)/python -m walletsign_cli.demo

.PHONY: bench
bench: $(STAMP) ## print speed ratios measured in one run
	$(BIN)/python bench/run.py

.PHONY: completions
completions: $(STAMP) ## regenerate the bash, zsh and fish completions in completions/
	$(BIN)/python scripts/generate.py completions

.PHONY: docs
docs: $(STAMP) ## regenerate docs/cli.md from --help
	$(BIN)/python scripts/generate.py docs

.PHONY: properties
properties: $(STAMP) ## the property layer, 2,000 examples a property (PROPERTY_EXAMPLES=N)
	WALLETSIGN_PROPERTY_EXAMPLES=$(PROPERTY_EXAMPLES) $(BIN)/pytest tests/test_properties.py

PROPERTY_EXAMPLES ?= 2000

.PHONY: fuzz
fuzz: properties ## make properties, then atheris on the parsers (installs atheris into .venv)
	@$(BIN)/python -c 'import atheris' 2>/dev/null || \
		$(BIN)/python -m pip install --quiet --disable-pip-version-check atheris
	$(BIN)/python fuzz/fuzz_parsers.py -atheris_runs=$(FUZZ_RUNS)

FUZZ_RUNS ?= 200000

.PHONY: clean
clean: ## remove .venv and caches
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis build *.egg-info
