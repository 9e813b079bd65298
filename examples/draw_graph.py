"""Draw computation graphs with tinygrad_lite.viz and write them as SVG files.

    python examples/draw_graph.py --out docs/images

writes (the pictures used by README.md and docs/visualization.md):

* ``scalar_expression.svg``: micrograd's neuron ``o = tanh(x1*w1 + x2*w2 + b)``, every value
  named, with data and gradient after ``o.backward()``;
* ``cnn_loss.svg``: a small CNN's cross-entropy loss, parameters boxed per submodule,
  ops numbered in the order backward runs them;
* ``graph_basic.svg``, ``graph_saved.svg``, ``graph_marks.svg``: the option gallery of
  ``docs/visualization.md`` (plain graph; saved values before backward; NaN and dead-gradient
  marks);
* ``backward_step3.svg``: the neuron's backward after its third step (``trace_backward`` and
  ``viz.draw_step``): nodes done in green with the adjoint they received, this step's in red.
* ``cnn_onnx.svg``: the same small CNN exported by ``tl.onnx.export``, drawn from the ONNX file
  as Netron shows it (op nodes with their attributes and weights); needs the ``onnx`` package.

Without the Graphviz ``dot`` program (or the ``graphviz`` Python package) it writes the DOT
text (``.gv``) instead and says how to install Graphviz.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import os
import shutil
from typing import Any

import numpy as np

import tinygrad_lite as tl
import tinygrad_lite.nn.functional as F
from tinygrad_lite import nn, viz


def scalar_expression() -> tuple[Any, dict[str, Any]]:
    """micrograd's neuron: o = tanh(x1*w1 + x2*w2 + b), each value a 0-d float64 tensor."""
    def value(v: float) -> Any:
        return tl.tensor(v, dtype=tl.float64, requires_grad=True)

    x1, x2, w1, w2 = value(2.0), value(0.0), value(-3.0), value(1.0)
    b = value(6.8813735870195432)  # makes o = tanh(0.8814) = 0.7071 (micrograd's choice)
    x1w1 = x1 * w1
    x2w2 = x2 * w2
    x1w1x2w2 = x1w1 + x2w2
    n = x1w1x2w2 + b
    o = n.tanh()
    for t in (x1w1, x2w2, x1w1x2w2, n, o):
        t.retain_grad()  # keep intermediate gradients to show them, as micrograd does
    names = dict(x1=x1, x2=x2, w1=w1, w2=w2, b=b, o=o, n=n)
    names.update({"x1*w1": x1w1, "x2*w2": x2w2, "x1*w1 + x2*w2": x1w1x2w2})
    return o, names


class SmallCNN(nn.Module):
    """conv(1->4) -> relu -> pool -> conv(4->8) -> relu -> pool -> fc(32->16) -> relu -> fc."""

    def __init__(self, classes: int = 3) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.conv2 = nn.Conv2d(4, 8, 3, padding=1)
        self.fc1 = nn.Linear(8 * 2 * 2, 16)
        self.fc2 = nn.Linear(16, classes)

    def forward(self, x: Any) -> Any:
        """Logits ``(N, classes)`` of a batch of 8x8 images ``(N, 1, 8, 8)``."""
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)  # (N, 4, 4, 4)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)  # (N, 8, 2, 2)
        x = x.flatten(1)  # (N, 32)
        return self.fc2(F.relu(self.fc1(x)))  # (N, classes)


def cnn_loss() -> tuple[Any, Any]:
    """The cross-entropy loss of :class:`SmallCNN` on a batch of two 8x8 images."""
    tl.manual_seed(0)
    model = SmallCNN()
    x = tl.randn(2, 1, 8, 8)
    y = tl.tensor([0, 2])
    return F.cross_entropy(model(x), y), model


def gallery_marks() -> tuple[Any, dict[str, Any]]:
    """A loss with a dead ReLU (all-zero gradient) and a sqrt at 0 (infinite gradient)."""
    w_dead = tl.tensor([0.5, 1.5], requires_grad=True)
    w_ok = tl.tensor([0.5, -1.5], requires_grad=True)
    w_nan = tl.tensor([0.0, 4.0], requires_grad=True)
    loss = (w_dead - 3.0).relu().sum() + (w_ok * w_ok).sum() + w_nan.sqrt().sum()
    with np.errstate(divide="ignore"):  # sqrt'(0) = inf, on purpose
        loss.backward()
    return loss, dict(w_dead=w_dead, w_ok=w_ok, w_nan=w_nan, loss=loss)


def _dims(value: Any) -> str:
    """An ONNX value's shape as ``batch×1×8×8``."""
    dims = value.type.tensor_type.shape.dim
    return "×".join(d.dim_param or str(d.dim_value) for d in dims)


def onnx_to_dot(model: Any) -> str:
    """DOT text of an ONNX ``ModelProto``'s graph, drawn as Netron draws it: one box per node
    (op type, attributes, the initializers it reads by name and shape), edges between nodes,
    the graph's inputs and outputs with their shapes."""
    from onnx import helper, numpy_helper

    graph = model.graph
    weights = {}  # initializer -> how it is shown: a weight's shape, a small constant's values
    for t in graph.initializer:
        small = numpy_helper.to_array(t) if np.prod(t.dims) <= 8 else None
        if small is not None and small.dtype.kind == "i":
            weights[t.name] = f"= {small.tolist()}"
        else:
            weights[t.name] = "(" + "×".join(map(str, t.dims)) + ")"
    lines = ["digraph {", "    graph [rankdir=TB fontname=Helvetica fontsize=11]",
             "    node [fontname=Helvetica fontsize=10 shape=box style=\"rounded,filled\"]",
             "    edge [arrowsize=0.7]"]  # fmt: skip
    producer = {}
    for v in [*graph.input, *graph.output]:
        color = "#cfe2f3" if v in graph.input else "#d9ead3"
        lines.append(f'    "{v.name}" [label=<<B>{v.name}</B><BR/>{_dims(v)}> '
                     f'fillcolor="{color}" style=filled]')  # fmt: skip
        producer[v.name] = f'"{v.name}"'
    for i, node in enumerate(graph.node):
        rows = [f"<B>{node.op_type}</B>"]
        for a in node.attribute:
            value = helper.get_attribute_value(a)
            if isinstance(value, list) and value and len(set(value)) == 1 and len(value) > 1:
                value = value[0]  # [1, 1, 1, 1] reads as 1
            rows.append(f"{a.name} = {value}")
        rows += [f"{name} {weights[name]}" for name in node.input if name in weights]
        lines.append(f'    n{i} [label=<{"<BR/>".join(rows)}> fillcolor="#e8e8e8"]')
        for name in node.input:
            if name in producer:
                lines.append(f"    {producer[name]} -> n{i}")
        for name in node.output:
            if any(name == v.name for v in graph.output):
                lines.append(f'    n{i} -> "{name}"')
            producer[name] = f"n{i}"
    return "\n".join(lines + ["}"]) + "\n"


def write(graph: Any, dot_text: str, out: str, name: str, have_dot: bool) -> str:
    """Render ``graph`` to ``out/name.svg``, or write the DOT text when ``dot`` is missing."""
    if have_dot:
        path = os.path.join(out, name + ".svg")
        graph.render(outfile=path, cleanup=True)
    else:
        path = os.path.join(out, name + ".gv")
        with open(path, "w") as f:
            f.write(dot_text)
    print(f"wrote {path}")
    return path


def main(argv: list[str] | None = None) -> None:
    """Build every graph of the gallery and write it into ``--out``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join("docs", "images"), help="output folder")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    have_dot = shutil.which("dot") is not None and importlib.util.find_spec("graphviz") is not None
    if not have_dot:
        print("Graphviz 'dot' or the graphviz Python package not found: writing DOT text (.gv) "
              "instead of SVG. Install them with apt-get install graphviz (or brew/conda) and "
              "pip install 'tinygrad_lite[viz]'.")

    jobs: list[tuple[str, Any, Any, dict[str, Any]]] = []
    o, names = scalar_expression()
    o.backward()
    jobs.append(("scalar_expression", o, names,
                 dict(show_values=True, show_grads=True, rankdir="LR")))
    loss, model = cnn_loss()
    names = {**dict(model.named_parameters()), "loss": loss}
    jobs.append(("cnn_loss", loss, names, dict(cluster_modules=True, backward_order=True)))

    a = tl.tensor([1.0, -2.0], requires_grad=True)
    b = tl.tensor([3.0, 0.5], requires_grad=True)
    c = tl.tensor(0.25, requires_grad=True)
    basic = (a * b + c).tanh().sum()
    jobs.append(("graph_basic", basic, dict(a=a, b=b, c=c), dict(backward_order=True)))
    jobs.append(("graph_saved", basic, dict(a=a, b=b, c=c), dict(show_saved=True)))
    marks, marks_names = gallery_marks()
    jobs.append(("graph_marks", marks, marks_names, dict(show_grads=True, rankdir="LR")))

    for name, root, params, options in jobs:
        dot_text = viz.to_dot(root, params, **options)
        graph = viz.draw_graph(root, params, **options) if have_dot else None
        write(graph, dot_text, args.out, name, have_dot)

    _, names = scalar_expression()
    leaves = {k: names[k] for k in ("x1", "w1", "x2", "w2", "b")}
    with tl.autograd.trace_backward(leaves) as tr:
        (leaves["x1"] * leaves["w1"] + leaves["x2"] * leaves["w2"] + leaves["b"]).tanh().backward()
    frame = viz.draw_step(tr, 3, rankdir="LR") if have_dot else None
    write(frame, viz.step_to_dot(tr, 3, rankdir="LR"), args.out, "backward_step3", have_dot)
    if importlib.util.find_spec("onnx") is None:
        print("cnn_onnx skipped: the onnx package is not installed (pip install onnx)")
        return
    proto = tl.onnx.export(model, tl.randn(2, 1, 8, 8), io.BytesIO(), input_names=["image"],
                           output_names=["logits"])  # fmt: skip
    dot_text = onnx_to_dot(proto)
    graph = None
    if have_dot:
        from tinygrad_lite.viz.render import Digraph

        graph = Digraph(body=dot_text.splitlines()[1:-1], format="svg")
    write(graph, dot_text, args.out, "cnn_onnx", have_dot)


if __name__ == "__main__":
    main()
