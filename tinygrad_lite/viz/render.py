"""A ``graphviz.Digraph`` whose rendering errors say how to install the ``dot`` program.

Imported only by :func:`tinygrad_lite.viz.graph.draw_graph`, so that ``import tinygrad_lite``
never needs the ``graphviz`` Python package.
"""

from __future__ import annotations

from typing import Any

import graphviz

INSTALL_HINT = (
    "the Graphviz 'dot' program was not found on PATH, and draw_graph(...).render / .pipe / "
    "Jupyter display need it. Install Graphviz: 'apt-get install graphviz' (Debian/Ubuntu), "
    "'brew install graphviz' (macOS), 'conda install -c conda-forge graphviz' (conda), or see "
    "https://graphviz.org/download/. viz.to_dot(...) works without it: it returns the DOT text."
)


class DotNotFoundError(graphviz.ExecutableNotFound):
    """``dot`` is missing: a ``graphviz.ExecutableNotFound`` whose message says how to install."""

    def __init__(self, cause: Exception) -> None:
        RuntimeError.__init__(self, f"{INSTALL_HINT} (graphviz said: {cause})")


class Digraph(graphviz.Digraph):
    """``graphviz.Digraph`` with a clear error when ``dot`` is missing.

    Everything else is graphviz's: ``.source``, ``.render(path, format='svg'|'png'|'pdf')``,
    ``.pipe(format=...)``, and inline display in Jupyter (``_repr_mimebundle_`` pipes through
    :meth:`pipe`).
    """

    def render(self, *args: Any, **kwargs: Any) -> str:
        """Save the DOT source and render it with ``dot`` (see ``graphviz.Digraph.render``)."""
        try:
            return super().render(*args, **kwargs)
        except graphviz.ExecutableNotFound as e:
            if isinstance(e, DotNotFoundError):
                raise
            raise DotNotFoundError(e) from e

    def pipe(self, *args: Any, **kwargs: Any) -> Any:
        """Return the rendered bytes (or text with ``encoding=``) from ``dot``."""
        try:
            return super().pipe(*args, **kwargs)
        except graphviz.ExecutableNotFound as e:
            if isinstance(e, DotNotFoundError):
                raise
            raise DotNotFoundError(e) from e
