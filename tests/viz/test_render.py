"""draw_graph: real SVG/PNG/PDF through the Graphviz ``dot`` program, and the error without it."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest

import tinygrad_lite as tl
from tests.viz.graphs import known_graph, mlp_graph
from tinygrad_lite import viz

graphviz = pytest.importorskip("graphviz")
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' not installed")


def svg_of(g) -> str:
    return g.pipe(format="svg", encoding="utf-8")


def texts(svg: str) -> list[str]:
    """Every <text> element's content, unescaped the way a viewer shows it."""
    raw = re.findall(r"<text[^>]*>(.*?)</text>", svg)
    return [t.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace(
        "&#45;", "-").replace("&amp;", "&") for t in raw]


@needs_dot
def test_svg_of_known_graph(tmp_path):
    loss, params = known_graph()
    g = viz.draw_graph(loss, params, backward_order=True)
    assert isinstance(g, graphviz.Digraph)
    assert g.source == viz.to_dot(loss, params, backward_order=True)
    path = g.render(tmp_path / "graph", format="svg")
    svg = open(path).read()
    assert path.endswith("graph.svg") and svg.lstrip().startswith("<?xml")
    assert svg.count('class="node"') == 8
    assert svg.count('class="edge"') == 7
    t = texts(svg)
    for expected in ("a", "b", "c", "(2,) float32", "() float32", "[1] SumBackward",
                     "[2] TanhBackward", "[3] AddBackward", "[4] MulBackward"):
        assert expected in t


@needs_dot
def test_values_grads_and_marks_in_svg():
    dead = tl.tensor([1.0, 2.0], requires_grad=True)
    bad = tl.tensor([0.0, 4.0], requires_grad=True)
    loss = (dead * -1.0).relu().sum() + bad.sqrt().sum()
    with np.errstate(divide="ignore"):
        loss.backward()
    svg = svg_of(viz.draw_graph(loss, dict(dead=dead, bad=bad), show_values=True, show_grads=True))
    t = texts(svg)
    assert "data [1.000, 2.000]" in t and "grad [0.000, 0.000]" in t
    assert "grad [inf, 0.2500]" in t
    assert "! grad has NaN/Inf" in t and "! grad is all zero (dead unit?)" in t
    assert "legend" in t and "grad has NaN/Inf" in t
    assert 'fill="#ff8080"' in svg and 'fill="#ffb347"' in svg
    assert svg.count('class="cluster"') == 1  # the legend box


@needs_dot
def test_clusters_in_svg():
    loss, params = mlp_graph()
    svg = svg_of(viz.draw_graph(loss, params, cluster_modules=True, rankdir="LR"))
    assert svg.count('class="cluster"') == 2
    titles = re.findall(r'<g id="clust\d+" class="cluster">\s*<title>(.*?)</title>', svg)
    assert titles == ["cluster_0", "cluster_1"]
    t = texts(svg)
    assert "fc1" in t and "fc2" in t and "fc1.weight" in t and "(4, 3) float32" in t


@needs_dot
def test_png_pdf_and_escaping(tmp_path):
    w = tl.tensor([1.0], requires_grad=True)
    g = viz.draw_graph(w * 2.0, {'<b>&"w"</b>': w}, show_saved=True)
    assert '<b>&"w"</b>' in texts(svg_of(g))
    png = g.render(outfile=tmp_path / "g.png")
    pdf = g.render(outfile=tmp_path / "g.pdf")
    assert open(png, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    assert open(pdf, "rb").read(5) == b"%PDF-"


@needs_dot
def test_jupyter_display():
    loss, params = known_graph()
    bundle = viz.draw_graph(loss, params)._repr_mimebundle_()
    assert "<svg" in bundle["image/svg+xml"]


def test_clear_error_without_dot(tmp_path, monkeypatch):
    loss, params = known_graph()
    g = viz.draw_graph(loss, params)
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH with no `dot` on it
    with pytest.raises(graphviz.ExecutableNotFound, match="apt-get install graphviz") as info:
        g.render(tmp_path / "graph", format="svg")
    assert "brew install graphviz" in str(info.value) and "conda" in str(info.value)
    with pytest.raises(RuntimeError, match="'dot' program was not found"):
        g.pipe(format="png")
    with pytest.raises(RuntimeError, match="apt-get install graphviz"):
        g._repr_mimebundle_()
    # the DOT text needs no program
    assert viz.to_dot(loss, params) == g.source


def test_clear_error_without_graphviz_package(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "graphviz", None)
    monkeypatch.delitem(sys.modules, "tinygrad_lite.viz.render", raising=False)
    x = tl.tensor([1.0], requires_grad=True)
    with pytest.raises(ImportError, match=r"pip install 'tinygrad_lite\[viz\]'"):
        viz.draw_graph(x * 2.0)
    assert "MulBackward" in viz.to_dot(x * 2.0)
