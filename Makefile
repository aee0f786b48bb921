# `make demo` and `make test` work on a fresh clone: each creates the
# virtual environment $(VENV) on first use and installs mmdeit into it.
PYTHON ?= python3
VENV ?= .venv
# timm (a test reference) needs torchvision, which needs a matching torch.
TORCH ?= torch==2.14.1 torchvision==0.29.1
BIN := $(VENV)/bin
STAMP := $(VENV)/.mmdeit-installed

.PHONY: install test demo transfer clean

$(STAMP): setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet $(TORCH)
	$(BIN)/pip install --quiet -e '.[tests]'
	touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest tests

# Finds Fashion-MNIST (a folder given with DEMO_ARGS=--data-dir=DIR, files on
# the machine, the official URLs, else `apt-get install dataset-fashion-mnist`
# when run as root), then trains and tests the teacher and the students.
DEMO_ARGS ?=
demo: $(STAMP)
	$(BIN)/python tools/demo.py $(DEMO_ARGS)

transfer: $(STAMP)
	$(BIN)/python tools/transfer_demo.py

clean:
	rm -rf $(VENV) work_dirs
