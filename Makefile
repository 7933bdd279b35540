# Style Across Cultures: the two commands are `make lab` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
KERNEL := style-across-cultures
STAMP  := $(VENV)/.installed

.PHONY: install lab test test-browser unit notebooks slides site bench clean

# Create .venv, install the pinned requirements and `helpers` (editable), register the kernel.
# Re-runs only when requirements.txt or pyproject.toml change.
install: $(STAMP)
$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "the course needs Python 3.11, found " + sys.version.split()[0]'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip==25.3
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	$(PY) -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Style Across Cultures (Python 3.11)"
	touch $(STAMP)

# Open the course in JupyterLab with the course's kernel (LAB_ARGS="--port 8899" to pass options).
# JupyterLab refuses to run as root unless told; containers and classroom images often are root.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
lab: install
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks $(ROOT_FLAG) $(LAB_ARGS)

# The whole test suite: unit tests + every notebook in fast mode, with the network blocked.
# (The browser test is its own step, `make test-browser`, which .ci/run runs after this one.)
test: install
	COURSE_FAST=1 PYTHONPATH=$(CURDIR)/tests/offline $(PY) -m pytest --ignore=tests/browser $(PYTEST_ARGS)

# The lessons in JupyterLab in a real browser (Debian's chromium at /usr/bin/chromium, driven by
# Playwright; `apt-get install chromium` first, as .ci/run does). Screenshots: test-artifacts/browser/.
test-browser: install
	PYTHONPATH=$(CURDIR)/tests/offline $(PY) -m pytest tests/browser $(PYTEST_ARGS)

# Unit tests and the docstring examples of helpers/ (every `>>>` runs), without the notebooks.
unit: install
	PYTHONPATH=$(CURDIR)/tests/offline $(PY) -m pytest tests helpers --ignore=tests/browser $(PYTEST_ARGS)

# Re-execute notebooks in full mode and save their outputs (what gets committed).
# NB=notebooks/03_gram_matrices.ipynb limits it to one notebook.
NB ?= notebooks/*.ipynb
notebooks: install
	$(PY) tools/execute_notebooks.py $(NB)

# Offline reveal.js slide decks of chosen notebooks (NB=...), written to results/slides.
slides: install
	$(PY) tools/make_slides.py $(NB)

# The whole course as a website that works offline, in results/site (open index.html): every
# lesson and solution with its committed outputs (nothing is executed), docs/*.md, the slides.
site: install
	$(PY) tools/make_site.py

bench: install
	$(PY) bench/vgg16_speed.py
	$(PY) bench/style_transfer.py

clean:
	rm -rf $(VENV) results test-artifacts
