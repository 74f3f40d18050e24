# Two commands for a newcomer: `make demo` and `make test`.
# Both create .venv when it is missing and install kg into it (not editable, so the
# tests exercise what a user's `pip install` gets, bundled files included).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip
OUT ?= out

.PHONY: demo test install install-kg venv docs notebooks bench reference clean

venv: $(BIN)/python

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade "pip>=23.1"

# setuptools builds in ./build: a stale copy there would put deleted modules back into the install.
# `install-kg` is kg alone (what `make demo` needs); `install` adds the test stack (pytest, Playwright, Jupyter...).
install-kg: venv
	rm -rf build
	$(PIP) install --quiet --constraint constraints.txt .

install: venv
	rm -rf build
	$(PIP) install --quiet --constraint constraints.txt ".[test]"

demo: install-kg
	@mkdir -p $(OUT)
	$(BIN)/kg stats
	$(BIN)/kg validate
	$(BIN)/kg conflicts
	$(BIN)/kg export -o $(OUT)/ai-compute.jsonld
	$(BIN)/kg viz -o $(OUT)/graph.html
	@echo "Interactive graph: $(OUT)/graph.html (open it in a browser; it works offline)"

test: install
	$(BIN)/pytest -p no:cacheprovider

# The documentation site, from docs/ (mkdocs.yml): offline, and any warning fails the build.
docs: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet --site-dir $(OUT)/site
	@echo "Documentation: $(OUT)/site/index.html (works offline, from the file system too)"

# Re-run the notebooks and save their (small) outputs.
notebooks: install
	$(BIN)/python notebooks/refresh.py

# Load and conflict times per back-end on synthetic graphs, then kg query's time for every bundled
# and README query, then the ownership data readers' statements per second (minutes; not part of the tests).
# The full run takes about half an hour and ~5 GB of /tmp (10^7 triples); BENCH_SIZES=1e4,1e5 for a quick look.
BENCH_SIZES ?= 1e4,1e5,1e6,1e7
bench: install
	$(BIN)/python bench/conflicts_bench.py --sizes $(BENCH_SIZES)
	$(BIN)/python bench/query_bench.py
	$(BIN)/python bench/readers_bench.py
	$(BIN)/python bench/ftm_bench.py --sizes 1e5,1e6 --modes stream
	$(BIN)/python bench/gleif_bench.py --records 1e6

clean:
	rm -rf $(VENV) $(OUT) build dist *.egg-info

# Regenerate the RDF/XML copy of the ontology after editing ontology/kg.ttl.
ontology/kg.owl: ontology/kg.ttl venv
	$(BIN)/python ontology/make_rdfxml.py

# Rewrite the documentation's generated parts: the command reference, the rule table and catalogue, the
# Python API reference (tests/test_docs_site.py checks they are current).
reference: install
	$(BIN)/python -I -c "from kg.cli.reference import update_reference; update_reference('$(CURDIR)')"
