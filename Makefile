# Every target installs what it needs first; each step skips what is already done.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
LAB_PORT ?= 8888
INSTALLED := $(VENV)/.installed

.PHONY: lab test bench doctor notebooks prepare browser rootless clean distclean

lab: prepare
	LAB_PORT=$(LAB_PORT) $(PY) -m setup.lab

# The whole suite in lanes (tests/run_all.sh), on the native engine and on a rootless one (Docker Desktop's topology).
test: prepare browser rootless
	tests/run_all.sh

bench: prepare
	$(PY) -m benchmarks.run

doctor: $(INSTALLED)
	$(PY) -m workshop doctor

# Regenerates the learner notebooks from solutions/ (notebooks/ is never edited by hand).
notebooks: $(INSTALLED)
	$(PY) -m setup.generate_exercises

prepare: $(INSTALLED)
	$(PY) -m setup.prepare

browser: $(INSTALLED)
	$(PY) -m setup.browser

# A second engine whose container networks the host cannot reach, as on Docker Desktop and Colima (Debian/Ubuntu, root).
rootless: prepare
	$(PY) -m setup.rootless_engine --if-possible

$(INSTALLED): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed: set PYTHON=python3.11 (or newer)")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --progress-bar off -e '.[test]'
	touch $@

clean:
	rm -rf build .pytest_cache

distclean: clean
	rm -rf $(VENV)
