"""The ONNX graph under construction, as plain Python: nodes, initializers, value names.

Nothing here imports ``onnx``; :func:`tinygrad_lite.onnx.export` turns the result into a
``ModelProto``.  Tensors are named by identity: graph inputs and parameters get their names up
front, each node's output tensor is bound to the node's output name, and any other tensor an
op reads (a Python scalar wrapped as a 0-d tensor, a precomputed array) becomes a constant
initializer.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np


class UnsupportedOperatorError(RuntimeError):
    """An op or layer that :func:`tinygrad_lite.onnx.export` cannot express in ONNX."""


class Graph:
    """Nodes ``(op_type, inputs, outputs, attributes)`` and initializers, named by tensor."""

    def __init__(
        self, names: dict[int, str], initializers: dict[str, np.ndarray], batch: int = 0
    ) -> None:
        self.names = dict(names)  # id(tensor) -> value name
        self.batch = batch  # the example's batch size (0: none), to spot data-dependent values
        self.initializers = dict(initializers)
        self.nodes: list[tuple[str, list[str], list[str], dict[str, Any]]] = []
        self.alive: list[Any] = []  # tensors named here stay alive, so ids stay unique
        self._count: Counter[str] = Counter()

    def fresh(self, stem: str) -> str:
        """A new value name ``stem_k``."""
        k = self._count[stem]
        self._count[stem] += 1
        return f"{stem}_{k}"

    def value(self, tensor: Any) -> str:
        """The name of ``tensor``; an unnamed one (not produced by a traced op, not an input
        or parameter) becomes a constant initializer holding its current value."""
        name = self.names.get(id(tensor))
        if name is None:
            shape = tensor.data.shape
            if self.batch > 1 and shape and shape[0] == self.batch:
                raise UnsupportedOperatorError(
                    f"onnx.export: a tensor of shape {shape} that no recorded op produced has "
                    "the example's batch size first: it was most likely computed from the input "
                    "outside the recorded ops (argmax, comparisons, .numpy()/.data, indices), and "
                    "would be frozen as a constant. If it is a true constant, register it as a "
                    "buffer or export with another batch size"
                )
            name = self.const(np.asarray(tensor.data), "const")
            self.bind(tensor, name)
        return name

    def const(self, array: Any, stem: str = "const") -> str:
        """Add ``array`` as an initializer; returns its name."""
        name = self.fresh(stem)
        self.initializers[name] = np.asarray(array)
        return name

    def ints(self, values: Any, stem: str = "ints") -> str:
        """An int64 initializer (shapes and axes are inputs, not attributes, since opset 13)."""
        return self.const(np.asarray(values, dtype=np.int64).reshape(-1), stem)

    def node(self, op_type: str, inputs: list[str], **attributes: Any) -> str:
        """Append a node with one fresh output; returns the output's name.  An empty string in
        ``inputs`` is ONNX's omitted optional input."""
        out = self.fresh(op_type)
        self.nodes.append((op_type, list(inputs), [out], attributes))
        return out

    def bind(self, tensor: Any, name: str) -> None:
        """Name ``tensor`` (a step's output) ``name``."""
        self.names[id(tensor)] = name
        self.alive.append(tensor)
