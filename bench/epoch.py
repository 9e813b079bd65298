"""Wall time per epoch on MNIST / Fashion-MNIST: tinygrad_lite and PyTorch, same net, same recipe.

The network and recipe are ``examples/train_cnn.py``'s for these datasets: two blocks of
conv3x3 (no bias) - BatchNorm - ReLU - maxpool2 (16 then 32 channels), Flatten,
Linear(1568->128) - ReLU - Linear(128->10); Adam 2e-3 with a cosine schedule over all batches,
batch 64, inputs normalised.  PyTorch's copy of the net starts from our initial weights (the
``state_dict`` keys and layouts are the same), and both libraries see the same batches in the
same order (our seeded ``DataLoader``; PyTorch gets each batch with ``torch.from_numpy``), so
their accuracies are comparable run for run.

Prints, per library and epoch: seconds, images/second, test accuracy; then the ratio of epoch
times.  The libraries train one after the other (an epoch is too long to interleave); both use
2 threads and glibc keeps freed memory (``tl.keep_freed_memory()``, as the example does).

Run: ``python bench/epoch.py --data-dir ../shared/data [--dataset fashion-mnist] [--epochs 3]
[--limit N] [--threads N]``.  Without the data files it says where to put them and exits.
"""

from __future__ import annotations

import argparse
import sys

if __name__ == "__main__":  # thread counts must be set before numpy loads its BLAS
    import blas_threads

    blas_threads.set_from_argv()

import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

import tinygrad_lite as tl  # noqa: E402
from tinygrad_lite import optim  # noqa: E402
from tinygrad_lite.data import DataLoader, DatasetFileError, transforms  # noqa: E402
from tinygrad_lite.nn import functional as F  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples"))
from train_cnn import MEAN_STD, PRESETS, build_model, load_data  # noqa: E402


def torch_model(torch: Any, width: int, hidden: int) -> Any:
    """The same architecture as :func:`train_cnn.build_model` (with BatchNorm), in torch.nn."""
    m = torch.nn

    def block(cin: int, cout: int) -> list[Any]:
        return [m.Conv2d(cin, cout, 3, padding=1, bias=False), m.BatchNorm2d(cout), m.ReLU(),
                m.MaxPool2d(2)]  # fmt: skip

    return m.Sequential(*block(1, width), *block(width, 2 * width), m.Flatten(),
                        m.Linear(2 * width * 49, hidden), m.ReLU(), m.Linear(hidden, 10))


def run_ours(model: Any, train: DataLoader, test: DataLoader, epochs: int, lr: float) -> list:
    """Train ``model`` for ``epochs``; per epoch ``(seconds, images/s, test accuracy)``."""
    opt = optim.Adam(model.parameters(), lr=lr)
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs * len(train))
    rows = []
    for _ in range(epochs):
        model.train()
        seen, start = 0, time.perf_counter()
        for images, labels in train:
            loss = F.cross_entropy(model(images), labels)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            seen += labels.shape[0]
        seconds = time.perf_counter() - start
        model.eval()
        correct = total = 0
        with tl.no_grad():
            for images, labels in test:
                correct += int((model(images).data.argmax(1) == labels.data).sum())
                total += labels.shape[0]
        rows.append((seconds, seen / seconds, correct / total))
    return rows


def run_torch(torch: Any, model: Any, train: DataLoader, test: DataLoader, epochs: int,
              lr: float) -> list:
    """The same loop in PyTorch, on the same batches (``torch.from_numpy``)."""
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs * len(train))
    rows = []
    for _ in range(epochs):
        model.train()
        seen, start = 0, time.perf_counter()
        for images, labels in train:
            x, y = torch.from_numpy(images.data), torch.from_numpy(labels.data)
            loss = torch.nn.functional.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            seen += y.shape[0]
        seconds = time.perf_counter() - start
        model.eval()
        correct = total = 0
        with torch.no_grad():
            for images, labels in test:
                logits = model(torch.from_numpy(images.data))
                correct += int((logits.argmax(1).numpy() == labels.data).sum())
                total += labels.shape[0]
        rows.append((seconds, seen / seconds, correct / total))
    return rows


def main() -> None:
    """Parse arguments, train with each library, print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=("mnist", "fashion-mnist"), default="mnist")
    parser.add_argument("--data-dir", help="folder holding mnist/ and fashion-mnist/")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--limit", type=int, help="use only the first N examples of each split")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    try:
        train_set, test_set, _ = load_data(args.dataset, args.data_dir, args.limit)
    except DatasetFileError as e:
        raise SystemExit(f"{e}\n(bench/epoch.py: pass --data-dir DIR)") from e
    preset = PRESETS[args.dataset]
    norm = transforms.Normalize(*MEAN_STD[args.dataset])
    batch, lr = preset["batch_size"], preset["lr"]
    tl.keep_freed_memory()
    tl.manual_seed(0)
    model = build_model(1, 10, preset["width"], preset["hidden"], batch_norm=True)
    initial = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    print(f"{args.dataset}: {len(train_set)} train / {len(test_set)} test images, batch {batch}, "
          f"Adam {lr} + cosine, {args.threads} threads, numpy {np.__version__}")

    def loaders() -> tuple[DataLoader, DataLoader]:
        return (DataLoader(train_set, batch, shuffle=True, seed=0, transform=norm),
                DataLoader(test_set, 500, transform=norm))  # fmt: skip

    results = {"tinygrad_lite": run_ours(model, *loaders(), args.epochs, lr)}
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        torch.set_num_threads(args.threads)
        tmodel = torch_model(torch, preset["width"], preset["hidden"])
        tmodel.load_state_dict({k: torch.from_numpy(v) for k, v in initial.items()})
        results[f"torch {torch.__version__}"] = run_torch(torch, tmodel, *loaders(),
                                                          args.epochs, lr)
    for name, rows in results.items():
        for epoch, (seconds, rate, acc) in enumerate(rows, 1):
            print(f"  {name:18s} epoch {epoch}: {seconds:6.1f} s  {rate:7.0f} images/s  "
                  f"test accuracy {100 * acc:.2f}%")
    if len(results) == 2:
        ours, theirs = (sum(r[0] for r in rows) for rows in results.values())
        print(f"ratio of epoch time ours/torch: {ours / theirs:.2f}")


if __name__ == "__main__":
    main()
