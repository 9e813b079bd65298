"""Training pictures: each returns its Figure and writes a PNG when given a path (skipped
without matplotlib)."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import tinygrad_lite as tl
from tinygrad_lite import viz

PNG = b"\x89PNG\r\n\x1a\n"


def png_size(fig, path=None) -> tuple[int, int]:
    """(width, height) from the header of the PNG at ``path`` that returned ``fig`` saved."""
    from matplotlib.figure import Figure

    assert isinstance(fig, Figure)
    head = open(path, "rb").read(24)
    assert head[:8] == PNG
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


@pytest.fixture
def mpl():
    return pytest.importorskip("matplotlib")


def test_plot_history_dict_and_records(mpl, tmp_path):
    history = {
        "epoch": [1, 2, 3],
        "train_loss": [1.2, 0.7, 0.5],
        "test_loss": [1.0, 0.8, 0.6],
        "train_acc": [0.5, 0.8, 0.9],
        "lr": [0.1, 0.05, 0.01],
    }
    path = tmp_path / "sub" / "curves.png"
    w3, _ = png_size(viz.plot_history(history, path, title="run"), path)
    records = [{"epoch": 1, "loss": 1.0}, {"epoch": 2, "loss": 0.5}]
    w1, _ = png_size(viz.plot_history(records, tmp_path / "one.png"), tmp_path / "one.png")
    fig = viz.plot_history(records)  # no path: the Figure only (inline in Jupyter)
    assert len(fig.axes) == 1 and len(list(tmp_path.rglob("*.png"))) == 2
    assert w3 == 3 * w1  # three panels (loss, accuracy, learning rate) vs one
    with pytest.raises(ValueError, match="no numeric series"):
        viz.plot_history({"epoch": [1, 2]}, tmp_path / "x.png")
    with pytest.raises(TypeError, match="dict of lists or a list of dicts"):
        viz.plot_history(3, tmp_path / "x.png")


def test_plot_filters_grid(mpl, tmp_path):
    weight = tl.randn(8, 3, 3, 3)
    small, _ = png_size(viz.plot_filters(weight, tmp_path / "w.png"), tmp_path / "w.png")

    class Conv:  # anything with .weight, like nn.Conv2d
        def __init__(self, w):
            self.weight = w

    wide, _ = png_size(viz.plot_filters(Conv(tl.randn(4, 16, 3, 3)), tmp_path / "c.png"),
                       tmp_path / "c.png")
    assert wide > small  # one column per input channel
    with pytest.raises(ValueError, match=r"plot_filters: expected a weight .* got \(3, 3\)"):
        viz.plot_filters(np.ones((3, 3)), tmp_path / "bad.png")
    with pytest.raises(ValueError, match=r"plot_filters: nothing to draw: weight \(0, 1, 3, 3\)"):
        viz.plot_filters(np.ones((0, 1, 3, 3)), tmp_path / "bad.png")


def test_plot_filters_one_panel_per_layer_and_a_grid_for_one_input_channel(mpl, tmp_path):
    first, second = tl.randn(8, 1, 3, 3), tl.randn(16, 8, 3, 3)
    fig = viz.plot_filters([first, second], tmp_path / "both.png", title=["a", "b"])
    images = [ax for ax in fig.axes if ax.images and ax.get_title()]
    assert [ax.get_title() for ax in images] == ["a", "b"]
    assert len(fig.axes) == 4  # two panels, two colour bars
    grid = images[0].images[0].get_array()
    assert grid.shape == (3 * 4 - 1, 3 * 4 - 1)  # 8 kernels in a 3 x 3 grid, 1-pixel gaps
    assert np.ma.getmaskarray(grid)[3].all() or np.isnan(np.asarray(grid.data)[3]).all()
    assert [t.get_text() for t in images[0].texts] == [str(o) for o in range(8)]
    assert images[1].images[0].get_array().shape == (16 * 4 - 1, 8 * 4 - 1)
    with pytest.raises(ValueError, match="2 layers and 1 titles"):
        viz.plot_filters([first, second], title=["a"])


def test_plot_filters_keeps_the_colorbar_labels_of_a_narrow_grid(mpl, tmp_path):
    """A first layer (one input channel) makes a narrow figure: no tick label may be cut off
    at its edges, so the outermost pixel columns and rows are background."""
    from matplotlib.image import imread

    w = np.linspace(-0.35, 0.35, 8 * 9).reshape(8, 1, 3, 3)
    viz.plot_filters(w, tmp_path / "w.png", title="first-layer 3x3 kernels")
    image = imread(tmp_path / "w.png")
    rgb = image[..., :3]
    for edge in (rgb[:, :3], rgb[:, -3:], rgb[:3], rgb[-3:]):
        assert edge.min() > 0.99  # white


def test_plot_activations(mpl, tmp_path):
    acts = tl.randn(2, 6, 5, 5).relu()
    png_size(viz.plot_activations(acts, tmp_path / "a.png", index=1), tmp_path / "a.png")
    png_size(viz.plot_activations(acts.data[0], tmp_path / "b.png", max_maps=4), tmp_path / "b.png")
    with pytest.raises(ValueError, match=r"expected activations \(C, H, W\)"):
        viz.plot_activations(np.ones((5, 5)), tmp_path / "bad.png")
    with pytest.raises(IndexError, match="index 2 out of range"):
        viz.plot_activations(acts, tmp_path / "bad.png", index=2)
    with pytest.raises(ValueError, match=r"plot_activations: nothing to draw"):
        viz.plot_activations(np.ones((0, 5, 5)), tmp_path / "bad.png")


def test_plot_trajectories(mpl, tmp_path):
    def rosenbrock(x, y):
        return (1 - x) ** 2 + 100 * (y - x * x) ** 2

    paths = {
        "sgd": np.array([[-1.5, 2.0], [-1.0, 1.2], [0.0, 0.3], [0.9, 0.8]]),
        "adam": [tl.tensor([-1.5, 2.0]), tl.tensor([-0.5, 1.0]), tl.tensor([1.0, 1.0])],
    }
    png_size(viz.plot_trajectories(paths, tmp_path / "t.png", f=rosenbrock), tmp_path / "t.png")
    fig = viz.plot_trajectories({"gd": paths["sgd"]}, tmp_path / "u.png", f=lambda x, y: x - y)
    png_size(fig, tmp_path / "u.png")
    with pytest.raises(ValueError, match=r"trajectory 'x' must have shape \(T, 2\)"):
        viz.plot_trajectories({"x": np.ones((3, 3))}, tmp_path / "bad.png")
    with pytest.raises(ValueError, match="plot_trajectories: the trajectories hold no finite"):
        viz.plot_trajectories({"x": np.zeros((0, 2))}, tmp_path / "bad.png")


def test_clear_error_without_matplotlib(monkeypatch, tmp_path):
    for name in ("matplotlib", "matplotlib.figure", "matplotlib.backends.backend_agg"):
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(ImportError, match=r"plot_history needs matplotlib: pip install"):
        viz.plot_history({"loss": [1.0]}, tmp_path / "x.png")
