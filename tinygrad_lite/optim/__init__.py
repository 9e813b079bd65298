"""Optimizers with PyTorch's formulations and defaults, learning-rate schedulers.

The family in teaching order: :class:`SGD` (with momentum and Nesterov), :class:`Adagrad`,
:class:`Adadelta`, :class:`RMSprop`, :class:`Adam`, :class:`AdamW`, :class:`NAdam`; each
class docstring gives its update rule and how it descends from the previous one.
Schedulers live in :mod:`tinygrad_lite.optim.lr_scheduler`.
"""

from tinygrad_lite.optim import lr_scheduler
from tinygrad_lite.optim.adadelta import Adadelta
from tinygrad_lite.optim.adagrad import Adagrad
from tinygrad_lite.optim.adam import Adam, AdamW
from tinygrad_lite.optim.nadam import NAdam
from tinygrad_lite.optim.optimizer import Optimizer
from tinygrad_lite.optim.rmsprop import RMSprop
from tinygrad_lite.optim.sgd import SGD

__all__ = [
    "Optimizer",
    "SGD",
    "Adagrad",
    "Adadelta",
    "RMSprop",
    "Adam",
    "AdamW",
    "NAdam",
    "lr_scheduler",
]
