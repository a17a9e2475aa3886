# Two commands: `make demo` and `make test`. Each creates .venv when missing.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/ig-pipeline demo

test: $(STAMP)
	$(VENV)/bin/ruff check ig_pipeline ig_pipeline_tests bench
	$(VENV)/bin/pytest -q -p no:cacheprovider

lint: $(STAMP)
	$(VENV)/bin/ruff check ig_pipeline ig_pipeline_tests bench

bench: $(STAMP)
	for b in bench/*.py; do echo "== $$b"; $(VENV)/bin/python $$b | tail -n 1; done

clean:
	rm -rf $(VENV) .ig_pipeline
