r"""Learning-rate schedulers (``torch.optim.lr_scheduler``), with PyTorch's exact sequences.

A scheduler rewrites ``group['lr']`` in its optimizer's param groups each time ``step()`` is
called (once per epoch or per batch, after ``optimizer.step()``).  Construction performs step 0
and stores ``group['initial_lr']``.  Like PyTorch, most schedulers update *recursively* from the
current ``group['lr']`` (so they compose with each other and with manual changes); the formulas
below are the closed forms they follow when used alone.  ``get_last_lr()`` returns the learning
rates set by the latest step; ``state_dict()`` holds everything except the optimizer.
(PyTorch's deprecated ``step(epoch)`` argument is not supported.)

>>> import tinygrad_lite as tl
>>> w = tl.zeros(1, requires_grad=True)
>>> opt = tl.optim.SGD([w], lr=1.0)
>>> sched = tl.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
>>> lrs = []
>>> for epoch in range(5):
...     lrs.append(sched.get_last_lr()[0])
...     opt.step()
...     sched.step()
>>> lrs
[1.0, 1.0, 0.5, 0.5, 0.25]
"""

from tinygrad_lite.optim.lr_scheduler.base import LRScheduler
from tinygrad_lite.optim.lr_scheduler.one_cycle import OneCycleLR
from tinygrad_lite.optim.lr_scheduler.plateau import ReduceLROnPlateau
from tinygrad_lite.optim.lr_scheduler.schedules import (
    CosineAnnealingLR,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    MultiStepLR,
    StepLR,
)

__all__ = [
    "LRScheduler",
    "LambdaLR",
    "StepLR",
    "MultiStepLR",
    "ExponentialLR",
    "CosineAnnealingLR",
    "LinearLR",
    "OneCycleLR",
    "ReduceLROnPlateau",
]
