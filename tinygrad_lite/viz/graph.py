"""``draw_graph``: the computation graph as a renderable ``graphviz.Digraph``.

The DOT statements come from :func:`tinygrad_lite.viz.dot.build_lines` (the engine's own
topological order); this module only wraps them for the ``graphviz`` package, imported lazily.
"""

from __future__ import annotations

from typing import Any

from tinygrad_lite.viz.dot import MAX_NODES, build_lines

__all__ = ["draw_graph", "as_digraph"]


def draw_graph(
    root: Any,
    params: Any = None,
    show_values: bool | None = None,
    show_grads: bool | None = None,
    show_saved: bool = False,
    backward_order: bool = False,
    cluster_modules: bool | None = None,
    rankdir: str = "TB",
    max_nodes: int | None = MAX_NODES,
    format: str = "svg",  # noqa: A002 (graphviz's name)
    trace: Any = None,
) -> Any:
    """The graph behind ``root`` as a ``graphviz.Digraph`` (options as :func:`to_dot`).

    ``g.render('graph')`` writes ``graph`` (DOT) and ``graph.svg``;
    ``g.render(outfile='graph.png')`` picks the format from the suffix; ``g.pipe('svg')``
    returns bytes; in Jupyter ``g`` displays inline.  ``g.source == to_dot(root, ...)``.
    Rendering needs the Graphviz ``dot`` program; without it, a clear error says how to
    install it.
    """
    lines = build_lines(
        root, params, show_values, show_grads, show_saved, backward_order, cluster_modules,
        rankdir, max_nodes, "draw_graph", trace,
    )
    return as_digraph(lines, format)


def as_digraph(lines: list[str], format: str = "svg") -> Any:  # noqa: A002
    """Wrap DOT body ``lines`` in a ``graphviz.Digraph`` (a clear error without graphviz)."""
    try:
        from tinygrad_lite.viz.render import Digraph
    except ImportError as e:
        raise ImportError(
            "draw_graph needs the graphviz Python package: pip install 'tinygrad_lite[viz]' "
            "(or pip install graphviz), and the Graphviz 'dot' program (apt-get install "
            "graphviz / brew install graphviz / conda install -c conda-forge graphviz). "
            "viz.to_dot(...) needs neither."
        ) from e
    return Digraph(body=lines, format=format)
