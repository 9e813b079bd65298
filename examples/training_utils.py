"""What examples/train_cnn.py does around the training itself: progress bars, checkpoints,
pictures and the ONNX export.  Kept apart so the training script reads as the training.

``progress_bar`` picks ``tqdm`` when it is installed (``pip install 'tinygrad_lite[progress]'``)
and the output is a terminal; otherwise :class:`Progress`, a hand-written bar redrawn in place on
a terminal and written as whole lines into a log file or pipe.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any, TextIO

import tinygrad_lite as tl
import tinygrad_lite.nn.functional as F
from tinygrad_lite import nn
from tinygrad_lite.data import DataLoader
from tinygrad_lite.random import default_generator
from tinygrad_lite.serialization import CheckpointError


class Progress:
    """A one-line text progress bar, redrawn with ``\\r`` at most every ``interval`` seconds."""

    def __init__(self, total: int, prefix: str, stream: TextIO | None = None) -> None:
        self.total, self.prefix = total, prefix
        self.stream = sys.stdout if stream is None else stream
        self.tty = self.stream.isatty()
        self.interval = 0.2 if self.tty else 5.0
        self.last = -float("inf")

    def update(self, done: int, text: str, final: bool = False) -> None:
        """Show ``done`` of ``total`` and ``text``: redrawn in place on a terminal; one line per
        update (no ``\\r``) into a file or pipe, so logs stay readable."""
        now = time.perf_counter()
        if not final and now - self.last < self.interval:
            return
        self.last = now
        filled = int(20 * done / max(self.total, 1))
        bar = "#" * filled + "." * (20 - filled)
        start, end = ("\r", "\n" if final else "") if self.tty else ("", "\n")
        self.stream.write(f"{start}{self.prefix} [{bar}] {done}/{self.total} {text}{end}")
        self.stream.flush()


class TqdmProgress:
    """:class:`Progress`'s interface on a ``tqdm`` bar (counts images; the text is the postfix)."""

    def __init__(self, total: int, prefix: str, stream: TextIO) -> None:
        from tqdm import tqdm

        self.bar = tqdm(total=total, desc=prefix, unit="img", file=stream, leave=True)
        self.done = 0

    def update(self, done: int, text: str, final: bool = False) -> None:
        """Advance to ``done`` and show ``text``; ``final`` closes the bar (its line stays)."""
        self.bar.set_postfix_str(text, refresh=False)
        self.bar.update(done - self.done)
        self.done = done
        if final:
            self.bar.close()


def progress_bar(total: int, prefix: str, stream: TextIO | None = None) -> Any:
    """A ``tqdm`` bar when tqdm is installed and ``stream`` (default stdout) is a terminal,
    else :class:`Progress`.  Both have ``update(done, text, final=False)``."""
    stream = sys.stdout if stream is None else stream
    if stream.isatty():
        try:
            import tqdm  # noqa: F401
        except ImportError:
            pass
        else:
            return TqdmProgress(total, prefix, stream)
    return Progress(total, prefix, stream)


def save_pictures(
    model: nn.Module, loader: DataLoader, history: dict[str, list], out: Path
) -> list[tuple[Path, str]]:
    """Graph SVG (if ``dot`` exists) and, with matplotlib, per-step curves, the kernels of each
    conv layer and the activations of one test image; never fatal.  Returns ``(path, what)``
    for each file written."""
    from tinygrad_lite import viz

    written = []
    images, labels = next(iter(loader))
    model.eval()
    loss = F.cross_entropy(model(images[:2]), labels[:2])
    try:
        if shutil.which("dot") is None:
            raise ImportError("the Graphviz 'dot' program is not installed")
        graph = viz.draw_graph(loss, params=model, cluster_modules=True)
        (out / "graph.svg").write_bytes(graph.pipe(format="svg"))
        written.append((out / "graph.svg", "the computation graph of the loss of 2 images"))
    except ImportError as e:  # no dot, or no graphviz package: the DOT text needs neither
        (out / "graph.gv").write_text(viz.to_dot(loss, params=model, cluster_modules=True))
        print(f"graph.svg skipped, graph.gv (DOT text) written instead: {e}")
        written.append((out / "graph.gv", "the computation graph (DOT text)"))
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print("history.png, filters.png, activations skipped: matplotlib is not installed")
        return written
    steps = {"step": list(range(1, len(history.get("step_loss", [])) + 1)),
             "train_loss": history.get("step_loss", []),
             "train_acc": history.get("step_acc", [])}  # fmt: skip
    if not steps["step"]:  # no training step ran (--epochs 0): the per-epoch points
        steps = {k: v for k, v in history.items() if k in ("epoch", "train_loss", "test_loss")}
    viz.plot_history(steps, out / "history.png", title="every training step (batch)")
    written.append((out / "history.png", "loss and accuracy of every training batch"))
    convs = [(name, m) for name, m in model.named_modules() if isinstance(m, nn.Conv2d)]
    viz.plot_filters([m for _, m in convs], out / "filters.png",
                     title=[f"layer {n}: {m.kernel_size[0]}x{m.kernel_size[1]} kernels"
                            for n, m in convs])  # fmt: skip
    written.append((out / "filters.png", "the kernels of each conv layer, one panel each"))
    captured: list[tuple[str, Any]] = []
    handles = [m.register_forward_hook(lambda m, a, y, name=name: captured.append((name, y)))
               for name, m in model.named_modules() if isinstance(m, nn.ReLU)]  # fmt: skip
    with tl.no_grad():
        model(images[:1])
    for h in handles:
        h.remove()
    for name, act in captured:
        if act.ndim == 4:  # (1, C, H, W): feature maps of one test image
            path = out / f"activations_{name}.png"
            viz.plot_activations(act, path, title=f"test image 0 after layer {name} (ReLU)")
            written.append((path, f"feature maps of one test image after layer {name}"))
    return written


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, then rename it over ``path``: an
    interrupted write never leaves a truncated file."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def save_checkpoint(
    path: Path, parts: dict[str, Any], epoch: int, history: dict[str, list], config: dict
) -> None:
    """Everything a resumed run needs, in one atomic ``tl.save``: the ``state_dict()`` of each
    of ``parts`` (model, optimizer, loader, scheduler; None is kept as None), the number of
    finished epochs, the default generator's state, the history and the run's options."""
    state = {name: None if part is None else part.state_dict() for name, part in parts.items()}
    state.update(epoch=epoch, rng=default_generator().bit_generator.state, history=history,
                 config=config)  # fmt: skip
    tl.save(state, path)


def restore_checkpoint(
    path: Path, parts: dict[str, Any], config: dict
) -> tuple[dict[str, list], int]:
    """Load what :func:`save_checkpoint` wrote into ``parts`` and the default generator;
    returns ``(history, finished_epochs)``.  Exits with a message if the file is unreadable,
    not this script's checkpoint, or the run's options differ from ``config``."""
    try:
        state = tl.load(path)
    except CheckpointError as e:
        raise SystemExit(f"--resume: {e}\nDelete it to start afresh, or drop --resume.") from e
    keys = set(state) if isinstance(state, dict) else set()
    if missing := sorted({"config", "epoch", "rng", "history", *parts} - keys):
        raise SystemExit(f"--resume: {path} is not this script's checkpoint (lacks {missing})")
    if state["config"] != config:
        diff = {k: (state["config"].get(k), v) for k, v in config.items()
                if state["config"].get(k) != v}  # fmt: skip
        raise SystemExit(f"--resume: options differ from the checkpoint's (saved, now): {diff}")
    for name, part in parts.items():
        if part is not None:
            part.load_state_dict(state[name])
    default_generator().bit_generator.state = state["rng"]
    return state["history"], state["epoch"]


def export_onnx(model: nn.Module, loader: DataLoader, path: Path) -> None:
    """Write ``model`` as ONNX to ``path``, traced on two images of ``loader`` (so its input is
    the normalised image batch the model was trained on, with a free batch dimension)."""
    images, _ = next(iter(loader))
    path.parent.mkdir(parents=True, exist_ok=True)
    tl.onnx.export(model, images[:2], path, input_names=["image"], output_names=["logits"])
    print(f"ONNX model written to {path} (input 'image': normalised (N, 1, 28, 28) float32, "
          "output 'logits')")  # fmt: skip
