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

# Extract the sample WARC shipped in the repository, build the index, print a report.
demo: $(BIN)/linkindex
	$(BIN)/linkindex extract examples/sample.warc.gz --data $(DEMO_DATA) --crawl-id demo
	$(BIN)/linkindex build --data $(DEMO_DATA)
	$(BIN)/linkindex report example.org --data $(DEMO_DATA)

test: $(BIN)/linkindex
	$(BIN)/pytest -q

bench: $(BIN)/linkindex
	$(BIN)/python -m bench extract
	$(BIN)/python -m bench crawl
	$(BIN)/python -m bench distributed
	$(BIN)/python -m bench redis-memory
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
