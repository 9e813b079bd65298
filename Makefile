# The two commands a newcomer needs: `make demo` and `make test`. Both create .venv first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench bench-epoch clean venv notebooks

venv: $(STAMP)

$(STAMP): setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test,viz,plot,lint]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python examples/train_cnn.py --dataset shapes --epochs 3 --out runs/demo

test: $(STAMP)
	$(BIN)/python -m pytest -q

# The course: notebooks/01..05 in Jupyter (installs the `notebooks` extra first).
# `make test` runs them too, top to bottom, without Jupyter's interface (nbmake).
notebooks: $(STAMP)
	$(BIN)/python -m pip install -q -e '.[notebooks]'
	$(BIN)/jupyter notebook notebooks/

lint: $(STAMP)
	$(BIN)/ruff check tinygrad_lite tests examples bench docs notebooks

bench: $(STAMP)
	$(BIN)/python bench/suite.py
	$(BIN)/python bench/elementwise.py
	$(BIN)/python bench/ops.py
	$(BIN)/python bench/cnn.py
	$(BIN)/python bench/conv_gflops.py
	$(BIN)/python bench/memory.py

# Epoch time and accuracy on MNIST next to PyTorch (needs the IDX files: DATA_DIR/mnist/*.gz).
DATA_DIR ?= ../shared/data
bench-epoch: $(STAMP)
	$(BIN)/python bench/epoch.py --data-dir $(DATA_DIR) --epochs 3

clean:
	rm -rf $(VENV) runs build *.egg-info .pytest_cache
