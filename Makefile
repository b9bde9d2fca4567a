# Two commands do all the set-up: `make run` and `make test`. Everything lands in .venv/.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
ADVISOR := $(VENV)/bin/advisor
HOST ?= 127.0.0.1
PORT ?= 7860

export HF_HUB_OFFLINE=1
export TRANSFORMERS_OFFLINE=1
export ANONYMIZED_TELEMETRY=False

.PHONY: setup dev run serve index test bench eval clean

$(PY):
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# torch first, pinned to the CPU build that lies on local disk (a resolver left alone would pick CUDA)
$(VENV)/.torch: | $(PY)
	$(PIP) install --quiet torch==2.13.0
	touch $@

$(VENV)/.installed: pyproject.toml $(VENV)/.torch
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

test: dev
	$(PY) -m pytest -q

bench: dev
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

# Quality on the dev sets, then on the reworded sets (benchmarks/data) and the blind set (benchmarks/final).
DEV_SET := ../shared/eval/dev_questions.jsonl
eval: setup
	@for q in $(DEV_SET) benchmarks/data/heldout_questions.jsonl benchmarks/data/fresh_questions.jsonl benchmarks/final/questions.jsonl; do \
	  $(ADVISOR) eval retrieval --set $$q || exit 1; $(ADVISOR) eval answers --set $$q --llm $${LLM:-local} || exit 1; done
	@for p in ../shared/eval/dev_personas.jsonl tests/personas.jsonl benchmarks/data/fresh_personas.jsonl benchmarks/final/personas.jsonl; do \
	  $(ADVISOR) eval fit --set $$p || exit 1; done

clean:
	rm -rf $(VENV) index/chroma index/g* index/current*.json index/encoder
