"""The course notebooks: stored without outputs, in order, listed in the README; 05 is skipped
with a reason where MNIST is missing.  (``make test`` executes them: ``--nbmake``.)"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = [
    "01_autodiff_by_hand.ipynb",
    "02_smooth_vs_nonsmooth.ipynb",
    "03_sgd_to_adam.ipynb",
    "04_convolution.ipynb",
    "05_train_cnn_mnist.ipynb",
]


def test_the_five_notebooks_are_stored_without_outputs():
    assert sorted(p.name for p in (REPO / "notebooks").glob("*.ipynb")) == NOTEBOOKS
    for name in NOTEBOOKS:
        nb = json.loads((REPO / "notebooks" / name).read_text())
        assert nb["metadata"]["kernelspec"]["name"] == "python3"
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        assert code, name
        for cell in code:
            assert cell["outputs"] == [] and cell["execution_count"] is None, name


def test_readme_learn_section_lists_them_in_order():
    readme = (REPO / "README.md").read_text()
    learn = readme[readme.index("## Learn"):]
    positions = [learn.index(f"notebooks/{name}") for name in NOTEBOOKS]
    assert positions == sorted(positions)


def test_mnist_notebook_skips_cleanly_without_data(tmp_path):
    spec = importlib.util.spec_from_file_location("nb_conftest", REPO / "notebooks" / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    repo = tmp_path / "repo"
    repo.mkdir()
    assert module.mnist_dir(None, repo) is None
    assert module.mnist_dir(str(tmp_path / "nowhere"), repo) is None
    (tmp_path / "shared" / "data" / "mnist").mkdir(parents=True)
    assert module.mnist_dir(None, repo) == tmp_path / "shared" / "data" / "mnist"
    (tmp_path / "mine" / "mnist").mkdir(parents=True)
    assert module.mnist_dir(str(tmp_path / "mine"), repo) == tmp_path / "mine" / "mnist"
