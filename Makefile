# The two commands of the README's quickstart: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_DATA ?= demo-data

.PHONY: demo test bench fuzz clean

$(BIN)/linkindex: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# Crawl the example web twice (examples/web.py, served on loopback), build the
# index, print the report of the shop it links to, then serve the web
# interface until Ctrl-C. SERVE=0 stops after the report (CI, scripts).
SERVE ?= 1
PORT ?= 8000
demo: $(BIN)/linkindex
	$(BIN)/python -m examples.demo $(DEMO_DATA) --port $(PORT) $(if $(filter 0,$(SERVE)),--no-serve)

test: $(BIN)/linkindex
	$(BIN)/pytest -q

bench: $(BIN)/linkindex
	$(BIN)/python -m bench extract
	$(BIN)/python -m bench crawl
	$(BIN)/python -m bench distributed
	$(BIN)/python -m bench redis-memory
	$(BIN)/python -m bench authority
	$(BIN)/python -m bench export
	$(BIN)/python -m bench worst-case

# A long campaign of the mutation fuzzer over damaged WARC files and pages;
# it prints every finding and, at the end, how many inputs it tried.
FUZZ_SECONDS ?= 1800
FUZZ_SEED ?= 0
fuzz: $(BIN)/linkindex
	$(BIN)/python -m tests.support.fuzz --seconds $(FUZZ_SECONDS) --seed $(FUZZ_SEED) --save fuzz-findings

clean:
	rm -rf $(VENV) $(DEMO_DATA) fuzz-findings
