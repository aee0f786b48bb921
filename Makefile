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

demo: $(STAMP)
	$(BIN)/python tools/demo.py

transfer: $(STAMP)
	$(BIN)/python tools/transfer_demo.py

clean:
	rm -rf $(VENV) work_dirs
