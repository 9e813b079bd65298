"""Train a small CNN of 3x3 convolutions on shapes, MNIST or Fashion-MNIST.

    python examples/train_cnn.py --dataset shapes --epochs 3 --out runs/demo
    python examples/train_cnn.py --dataset mnist --data-dir ../shared/data --out runs/mnist
    python examples/train_cnn.py --dataset mnist ... --out runs/mnist --resume  # continue a run
    python examples/train_cnn.py --dataset mnist --download --export-onnx runs/mnist.onnx

Each epoch prints a progress bar (loss, accuracy, images/second; ``tqdm``'s when installed and
the output is a terminal), then the test-split loss and accuracy; then a line reads
``test accuracy: 99.12%``, and the last lines list the files written.  Into ``--out`` go:

* ``checkpoint.npz``: model, optimizer, epoch, RNG and DataLoader state, history; written
  atomically after every epoch by ``tinygrad_lite.save``.  ``--resume`` continues from it, and
  the result equals that of an uninterrupted run with the same seed (the batch order of epoch
  ``e`` depends only on ``(seed, e)``).
* ``history.json``: per-epoch train/test loss and accuracy, epoch time and images/second, and
  the loss and accuracy of every batch (``step_loss``, ``step_acc``).
* ``graph.svg``: the computation graph of the loss of one small batch (needs the ``graphviz``
  package and the Graphviz ``dot`` program; without them, its DOT text ``graph.gv``).
* ``history.png``: loss and accuracy of every training step; ``filters.png``: the kernels of
  each conv layer, one panel per layer; ``activations_<layer>.png``: the feature maps of one
  test image after each ReLU (all need matplotlib).

``--export-onnx PATH`` writes the trained network as ONNX (needs the ``onnx`` package).

The pieces (``build_model``, ``make_optimizer``, ``load_data``, ``train_epoch``, ``evaluate``,
``main(argv)``) are importable, so tests drive the script in-process; progress bars,
checkpoints, pictures and the export live in ``training_utils.py`` beside it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

import tinygrad_lite as tl
import tinygrad_lite.nn.functional as F
from tinygrad_lite import nn, optim
from tinygrad_lite.data import (
    MNIST,
    SHAPE_CLASSES,
    DataLoader,
    DatasetFileError,
    FashionMNIST,
    Subset,
    shapes,
    transforms,
)

sys.path.insert(0, str(Path(__file__).resolve().parent))  # training_utils.py, beside this file
from training_utils import (  # noqa: E402
    Progress,
    export_onnx,
    progress_bar,
    restore_checkpoint,
    save_checkpoint,
    save_pictures,
    write_atomically,
)

__all__ = ["Progress", "build_model", "evaluate", "load_data", "main", "train_epoch"]

# Per dataset: network width (channels of the first conv; the second has twice as many), hidden
# units of the head (0: a single Linear), default optimizer and learning rate, batch size.
PRESETS: dict[str, dict[str, Any]] = {
    "shapes": {"width": 8, "hidden": 0, "optimizer": "adam", "lr": 3e-3, "batch_size": 32,
               "schedule": "constant"},
    "mnist": {"width": 16, "hidden": 128, "optimizer": "adam", "lr": 2e-3, "batch_size": 64,
              "schedule": "cosine"},
    "fashion-mnist": {"width": 16, "hidden": 128, "optimizer": "adam", "lr": 2e-3,
                      "batch_size": 64, "schedule": "cosine"},
}  # fmt: skip
MEAN_STD = {"mnist": (0.1307, 0.3081), "fashion-mnist": (0.2860, 0.3530), "shapes": (0.1, 0.2)}
OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "adadelta", "rmsprop", "adam", "adamw")
DEFAULT_LR = {"sgd": 0.05, "momentum": 0.02, "nesterov": 0.02, "adagrad": 0.01, "adadelta": 1.0,
              "rmsprop": 1e-3, "adam": 1e-3, "adamw": 1e-3}  # fmt: skip
CHECKPOINT = "checkpoint.npz"
# Arguments that must match between an interrupted run and its --resume.
RESUME_KEYS = ("dataset", "batch_size", "optimizer", "lr", "seed", "width", "hidden",
               "batch_norm", "limit", "augment", "schedule")  # fmt: skip


def build_model(
    in_channels: int = 1,
    num_classes: int = 10,
    width: int = 16,
    hidden: int = 0,
    batch_norm: bool = True,
    image_size: int = 28,
) -> nn.Sequential:
    """conv3x3-[BN]-ReLU-maxpool2, twice (``width`` then ``2*width`` channels), then a head:
    ``Linear`` to the classes, with a ``hidden``-unit ReLU layer in between when ``hidden > 0``."""

    def block(cin: int, cout: int) -> list[nn.Module]:
        norm = [nn.BatchNorm2d(cout)] if batch_norm else []
        return [nn.Conv2d(cin, cout, 3, padding=1, bias=not batch_norm), *norm,
                nn.ReLU(), nn.MaxPool2d(2)]  # fmt: skip

    features = 2 * width * (image_size // 4) ** 2
    head: list[nn.Module] = [nn.Flatten()]
    if hidden:
        head += [nn.Linear(features, hidden), nn.ReLU(), nn.Linear(hidden, num_classes)]
    else:
        head += [nn.Linear(features, num_classes)]
    return nn.Sequential(*block(in_channels, width), *block(width, 2 * width), *head)


def make_optimizer(name: str, params: Any, lr: float | None = None) -> optim.Optimizer:
    """One of :data:`OPTIMIZERS`, with ``lr`` or that optimizer's default from ``DEFAULT_LR``."""
    if name not in DEFAULT_LR:
        raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")
    lr = DEFAULT_LR[name] if lr is None else lr
    params = list(params)
    if name == "sgd":
        return optim.SGD(params, lr=lr)
    if name in ("momentum", "nesterov"):
        return optim.SGD(params, lr=lr, momentum=0.9, nesterov=name == "nesterov")
    if name == "adagrad":
        return optim.Adagrad(params, lr=lr)
    if name == "adadelta":
        return optim.Adadelta(params, lr=lr)
    if name == "rmsprop":
        return optim.RMSprop(params, lr=lr)
    if name == "adam":
        return optim.Adam(params, lr=lr)
    assert name == "adamw"
    return optim.AdamW(params, lr=lr)


def load_data(
    dataset: str, data_dir: str | None = None, limit: int | None = None, download: bool = False
) -> tuple[Any, Any, list[str]]:
    """``(train, test, class_names)``; ``limit`` keeps the first ``limit`` examples of each."""
    if dataset == "shapes":
        n = limit or 4000
        train, test = shapes(n=n, n_test=min(1000, n), seed=0)
        return train, test, list(SHAPE_CLASSES)
    cls = {"mnist": MNIST, "fashion-mnist": FashionMNIST}[dataset]
    train = cls(data_dir, train=True, download=download)
    test = cls(data_dir, train=False, download=download)
    classes = list(train.classes)
    if limit:
        train = Subset(train, np.arange(min(limit, len(train))))
        test = Subset(test, np.arange(min(limit, len(test))))
    return train, test, classes


def train_epoch(
    model: nn.Module,
    loader: DataLoader,
    optimizer: optim.Optimizer,
    progress: Progress | None = None,
    scheduler: Any = None,
) -> dict[str, float]:
    """One pass over ``loader`` (``scheduler.step()`` after every batch, if given); returns
    mean loss, accuracy, seconds, images/second, and each batch's loss and accuracy."""
    model.train()
    total_loss, correct, seen = 0.0, 0, 0
    step_loss, step_acc = [], []
    start = time.perf_counter()
    for images, labels in loader:
        logits = model(images)  # (B, classes)
        loss = F.cross_entropy(logits, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        n = labels.shape[0]
        hits = int((logits.data.argmax(axis=1) == labels.data).sum())
        step_loss.append(loss.item())
        step_acc.append(hits / n)
        total_loss += step_loss[-1] * n
        correct += hits
        seen += n
        if progress is not None:
            rate = seen / max(time.perf_counter() - start, 1e-9)
            text = f"loss {total_loss / seen:.4f} acc {100 * correct / seen:.2f}% {rate:.0f} img/s"
            progress.update(seen, text, final=seen == progress.total)
    seconds = time.perf_counter() - start
    return {"loss": total_loss / max(seen, 1), "accuracy": correct / max(seen, 1),
            "seconds": seconds, "images_per_s": seen / max(seconds, 1e-9),
            "step_loss": step_loss, "step_acc": step_acc}  # fmt: skip


def evaluate(model: nn.Module, loader: DataLoader) -> dict[str, float]:
    """Mean loss and accuracy over ``loader`` in eval mode, without building a graph."""
    model.eval()
    total_loss, correct, seen = 0.0, 0, 0
    with tl.no_grad():
        for images, labels in loader:
            logits = model(images)
            total_loss += F.cross_entropy(logits, labels, reduction="sum").item()
            correct += int((logits.data.argmax(axis=1) == labels.data).sum())
            seen += labels.shape[0]
    return {"loss": total_loss / max(seen, 1), "accuracy": correct / max(seen, 1)}


def _bounded(kind: type, low: float, strict: bool) -> Any:
    """An argparse ``type`` accepting ``kind`` values above ``low`` (or at it, unless strict)."""

    def convert(text: str) -> Any:
        value = kind(text)  # ValueError: argparse reports "invalid ... value"
        if value < low or (strict and value == low):
            relation = ">" if strict else ">="
            raise argparse.ArgumentTypeError(f"must be {relation} {low}, got {text}")
        return value

    convert.__name__ = kind.__name__  # argparse names the type in its message
    return convert


POSITIVE_INT, NON_NEGATIVE_INT = _bounded(int, 0, True), _bounded(int, 0, False)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options; unset ones take the dataset's preset from :data:`PRESETS`."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--dataset", choices=sorted(PRESETS), default="shapes")
    p.add_argument("--data-dir", default=None, help="folder holding mnist/ and fashion-mnist/")
    p.add_argument("--download", action="store_true", help="fetch missing MNIST files")
    p.add_argument("--epochs", type=NON_NEGATIVE_INT, default=3)
    p.add_argument("--batch-size", type=POSITIVE_INT, default=None)
    p.add_argument("--optimizer", choices=OPTIMIZERS, default=None)
    p.add_argument("--lr", type=_bounded(float, 0.0, True), default=None)
    p.add_argument("--schedule", choices=("constant", "cosine"), default=None,
                   help="cosine: anneal the lr to 0 over all batches of --epochs")  # fmt: skip
    p.add_argument("--seed", type=NON_NEGATIVE_INT, default=0)
    p.add_argument("--width", type=POSITIVE_INT, default=None,
                   help="channels of the first conv layer")  # fmt: skip
    p.add_argument("--hidden", type=NON_NEGATIVE_INT, default=None,
                   help="hidden units of the head (0: none)")  # fmt: skip
    p.add_argument("--no-batch-norm", dest="batch_norm", action="store_false")
    p.add_argument("--augment", action="store_true", help="random shifts of up to 2 pixels")
    p.add_argument("--limit", type=POSITIVE_INT, default=None,
                   help="use only the first N examples")  # fmt: skip
    p.add_argument("--out", default=None, help="folder for checkpoint, history and pictures")
    p.add_argument("--resume", action="store_true", help="continue from --out/checkpoint.npz")
    p.add_argument("--no-pictures", dest="pictures", action="store_false")
    p.add_argument("--export-onnx", metavar="PATH", default=None,
                   help="write the trained network as ONNX (needs the onnx package)")  # fmt: skip
    args = p.parse_args(argv)
    if args.export_onnx:
        try:
            import onnx  # noqa: F401 (checked before training, not after)
        except ImportError:
            p.error("--export-onnx needs the onnx package: pip install 'tinygrad_lite[onnx]'")
    preset = PRESETS[args.dataset]
    for key in ("width", "hidden", "batch_size", "optimizer", "schedule"):
        if getattr(args, key) is None:
            setattr(args, key, preset[key])
    if args.lr is None:
        same = args.optimizer == preset["optimizer"]
        args.lr = preset["lr"] if same else DEFAULT_LR[args.optimizer]
    if args.resume and not args.out:
        p.error("--resume needs --out (the folder holding checkpoint.npz)")
    return args


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the training described by ``argv``; returns the history and the trained model."""
    args = parse_args(argv)
    tl.keep_freed_memory()  # reuse freed activations' memory: ~25% less time per step
    out = Path(args.out) if args.out else None
    tl.manual_seed(args.seed)
    try:
        train_set, test_set, classes = load_data(args.dataset, args.data_dir, args.limit,
                                                 args.download)  # fmt: skip
    except DatasetFileError as e:  # a message, not a traceback: the user has files to fetch
        raise SystemExit(f"{e}\n(with this script: --data-dir DIR or --download)") from e
    mean, std = MEAN_STD[args.dataset]
    steps = [transforms.RandomShift(2)] if args.augment else []
    augment = transforms.Compose([*steps, transforms.Normalize(mean, std)])
    train_loader = DataLoader(train_set, args.batch_size, shuffle=True, seed=args.seed,
                              transform=augment)  # fmt: skip
    test_loader = DataLoader(test_set, 500, transform=transforms.Normalize(mean, std))
    model = build_model(1, len(classes), args.width, args.hidden, args.batch_norm)
    optimizer = make_optimizer(args.optimizer, model.parameters(), args.lr)
    scheduler = None
    if args.schedule == "cosine":
        total_steps = max(args.epochs * len(train_loader), 1)
        scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total_steps)
    # A cosine schedule is laid out over --epochs: resuming needs the same number.
    keys = RESUME_KEYS + (("epochs",) if scheduler is not None else ())
    config = {k: getattr(args, k) for k in keys}
    history: dict[str, list] = {k: [] for k in ("epoch", "train_loss", "train_acc", "test_loss",
                                                "test_acc", "seconds", "images_per_s")}  # fmt: skip
    start_epoch = 0
    if args.resume and out is not None and (out / CHECKPOINT).exists():
        parts = {"model": model, "optimizer": optimizer, "loader": train_loader,
                 "scheduler": scheduler}  # fmt: skip
        history, start_epoch = restore_checkpoint(out / CHECKPOINT, parts, config)
        print(f"resumed from {out / CHECKPOINT} after epoch {start_epoch}")
    elif args.resume:
        print(f"--resume: no checkpoint in {out}, starting from scratch")
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"{args.dataset}: {len(train_set)} train / {len(test_set)} test images, "
          f"{n_params} parameters, {args.optimizer} lr={args.lr}, "
          f"batch {args.batch_size}")  # fmt: skip
    for epoch in range(start_epoch, args.epochs):
        train_loader.set_epoch(epoch)
        bar = progress_bar(len(train_set), f"epoch {epoch + 1}/{args.epochs}")
        stats = train_epoch(model, train_loader, optimizer, bar, scheduler)
        test = evaluate(model, test_loader)
        for key in ("step_loss", "step_acc"):  # per batch (a checkpoint of before may lack it)
            history.setdefault(key, []).extend(stats[key])
        for key, value in (("epoch", epoch + 1), ("train_loss", stats["loss"]),
                           ("train_acc", stats["accuracy"]), ("test_loss", test["loss"]),
                           ("test_acc", test["accuracy"]), ("seconds", stats["seconds"]),
                           ("images_per_s", stats["images_per_s"])):  # fmt: skip
            history[key].append(value)
        print(f"epoch {epoch + 1}: test loss {test['loss']:.4f}, test accuracy "
              f"{100 * test['accuracy']:.2f}%, {stats['seconds']:.1f} s, "
              f"{stats['images_per_s']:.0f} img/s")  # fmt: skip
        if out is not None:
            parts = {"model": model, "optimizer": optimizer, "loader": train_loader,
                     "scheduler": scheduler}  # fmt: skip
            save_checkpoint(out / CHECKPOINT, parts, epoch + 1, history, config)
            write_atomically(out / "history.json", json.dumps(history, indent=1) + "\n")
    written = []
    if out is not None and (out / CHECKPOINT).exists():
        written += [(out / CHECKPOINT, "model, optimizer and data order (--resume continues)"),
                    (out / "history.json", "per-epoch and per-step loss and accuracy")]
    if out is not None and args.pictures:
        written += save_pictures(model, test_loader, history, out)
    if args.export_onnx:
        export_onnx(model, test_loader, Path(args.export_onnx))
    if history["test_acc"]:
        final = history["test_acc"][-1]
    else:  # --epochs 0, or resumed after the last epoch
        final = evaluate(model, test_loader)["accuracy"]
    print(f"test accuracy: {100 * final:.2f}%")
    if written:
        print(f"wrote {len(written)} files into {out}/:")
        for path, what in written:
            print(f"  {path.name:<28} {what}")
    return {"history": history, "model": model, "optimizer": optimizer, "test_accuracy": final}


if __name__ == "__main__":
    main()
