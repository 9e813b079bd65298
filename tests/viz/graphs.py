"""Small graphs shared by the viz tests."""

from __future__ import annotations

import tinygrad_lite as tl


def known_graph():
    """``(a * b + c).tanh().sum()``: 4 ops, 3 leaves, 1 output, 7 edges."""
    a = tl.tensor([1.0, -2.0], requires_grad=True)
    b = tl.tensor([3.0, 0.5], requires_grad=True)
    c = tl.tensor(0.25, requires_grad=True)
    loss = (a * b + c).tanh().sum()
    return loss, dict(a=a, b=b, c=c)


def mlp_graph():
    """A two-layer MLP's loss with parameters named like a Module's (``fc1.weight``)."""
    tl.manual_seed(1)
    params = {
        "fc1.weight": tl.randn(4, 3, requires_grad=True),
        "fc1.bias": tl.randn(4, requires_grad=True),
        "fc2.weight": tl.randn(2, 4, requires_grad=True),
        "fc2.bias": tl.randn(2, requires_grad=True),
    }
    x = tl.randn(5, 3)
    h = (x @ params["fc1.weight"].T + params["fc1.bias"]).relu()
    out = h @ params["fc2.weight"].T + params["fc2.bias"]
    return (out * out).mean(), params
