"""viz: pictures of the computation graph (graphviz) and of training (matplotlib).

``to_dot`` needs nothing; ``draw_graph`` imports ``graphviz`` and the plots import
``matplotlib`` only when called, so ``import tinygrad_lite`` never needs either.
"""

from tinygrad_lite.viz.dot import to_dot
from tinygrad_lite.viz.graph import draw_graph
from tinygrad_lite.viz.plots import plot_activations, plot_filters, plot_history, plot_trajectories
from tinygrad_lite.viz.steps import draw_step, draw_steps, step_to_dot

__all__ = [
    "to_dot",
    "draw_graph",
    "step_to_dot",
    "draw_step",
    "draw_steps",
    "plot_history",
    "plot_filters",
    "plot_activations",
    "plot_trajectories",
]
