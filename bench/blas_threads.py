"""``--threads N`` (or ``--threads=N``; default 2) for both libraries, read before numpy loads.

numpy's BLAS reads ``OPENBLAS_NUM_THREADS`` (and PyTorch ``OMP_NUM_THREADS``/``MKL_NUM_THREADS``)
once, when it is first imported, so a bench script calls :func:`set_from_argv` before its
``import numpy``; the scripts then also give PyTorch ``torch.set_num_threads(args.threads)``.
"""

from __future__ import annotations

import os
import sys


def set_from_argv(default: str = "2") -> None:
    """Set the BLAS/OpenMP thread variables from ``--threads`` in ``sys.argv``."""
    threads = default
    for i, arg in enumerate(sys.argv):
        if arg == "--threads" and i + 1 < len(sys.argv):
            threads = sys.argv[i + 1]
        elif arg.startswith("--threads="):
            threads = arg.split("=", 1)[1]
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = threads  # both libraries get --threads
