"""``save`` / ``load``: checkpoints as ``.npz`` archives, written atomically, read without pickle.

What can be saved: a ``Module`` (its ``state_dict``), a ``state_dict``, or any nesting of
``dict`` / ``OrderedDict`` / ``list`` / ``tuple`` holding Tensors, numpy arrays, numpy
scalars, Python numbers, strings, booleans, ``None`` and Modules (stored as their
``state_dict``) -- enough for optimizer ``state_dict()`` s (integer dict keys included) and
whole training checkpoints.  Unlike ``torch.save`` no Python objects are pickled: a Module
comes back as its ``state_dict``, to be loaded into a freshly built model.

Format: every array becomes one archive member (``arr_0``, ``arr_1``, ...); the container
structure is a JSON record stored as a numpy unicode array under ``__structure__``, next to a
``__format__`` marker.  In the record, JSON scalars stand for themselves, a JSON list for a
Python list, and JSON objects are tagged nodes (``{"dict": [[key, value], ...]}``,
``{"tuple": [...]}``, ``{"tensor": "arr_3", "requires_grad": false}``, ...).  Nothing needs
pickle, so :func:`load` uses ``np.load(..., allow_pickle=False)``: loading a file cannot run
code.

Writing goes to a temporary file in the destination folder, which is flushed, ``fsync``-ed and
then ``os.replace``-d over the destination: a crash never leaves a half-written checkpoint
under the real name.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
import zlib
from collections import OrderedDict
from typing import Any

import numpy as np

from tinygrad_lite.nn.modules.module import Module, Parameter
from tinygrad_lite.tensor import Tensor

FORMAT = "tinygrad_lite-checkpoint/1"
_STRUCTURE = "__structure__"
_FORMAT_KEY = "__format__"


class CheckpointError(RuntimeError):
    """A file that is not a readable tinygrad_lite checkpoint (truncated, foreign, corrupt)."""


class _Encoder:
    """Turns a nested object into a JSON-able record plus a dict of arrays."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}

    def _add(self, array: np.ndarray, where: str) -> str:
        if array.dtype.kind in "OV":
            raise TypeError(f"save: cannot store an array of dtype {array.dtype} at {where}")
        key = f"arr_{len(self.arrays)}"
        self.arrays[key] = array
        return key

    def encode(self, obj: Any, where: str) -> Any:
        """The JSON record of ``obj`` (its arrays collected); ``where`` names it in errors."""
        if obj is None or isinstance(obj, (bool, int, float, str)):
            return obj
        if isinstance(obj, Module):  # a model inside a checkpoint: keep its state_dict
            return self.encode(obj.state_dict(), where)
        if isinstance(obj, Tensor):
            kind = "parameter" if isinstance(obj, Parameter) else "tensor"
            return {kind: self._add(obj.data, where), "requires_grad": bool(obj.requires_grad)}
        if isinstance(obj, np.ndarray):
            return {"ndarray": self._add(obj, where)}
        if isinstance(obj, np.generic):
            return {"npscalar": self._add(np.asarray(obj), where)}
        if isinstance(obj, dict):
            tag = "odict" if isinstance(obj, OrderedDict) else "dict"
            items = []
            for key, value in obj.items():
                if key is not None and not isinstance(key, (bool, int, float, str)):
                    raise TypeError(
                        f"save: dict keys must be str, int, float, bool or None; got "
                        f"{type(key).__name__} at {where}"
                    )
                items.append([key, self.encode(value, f"{where}[{key!r}]")])
            return {tag: items}
        if isinstance(obj, list):
            return [self.encode(v, f"{where}[{i}]") for i, v in enumerate(obj)]
        if isinstance(obj, tuple):
            return {"tuple": [self.encode(v, f"{where}[{i}]") for i, v in enumerate(obj)]}
        raise TypeError(
            f"save: cannot store an object of type {type(obj).__name__} at {where} (supported: "
            "Module, Tensor, ndarray, dict, list, tuple, numbers, str, None)"
        )


def _decode(node: Any, arrays: Any, path: str) -> Any:
    """Rebuild the Python object described by a structure-record ``node``."""
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    if isinstance(node, list):
        return [_decode(v, arrays, path) for v in node]
    if not isinstance(node, dict) or not node:
        raise CheckpointError(f"load: {path}: malformed structure record")
    if "tensor" in node or "parameter" in node:
        array = arrays[node.get("tensor", node.get("parameter"))]
        if "parameter" in node:
            return Parameter(array, requires_grad=node.get("requires_grad", True))
        t = Tensor._make(array, None)
        return t.requires_grad_(True) if node.get("requires_grad") else t
    if "ndarray" in node:
        return arrays[node["ndarray"]]
    if "npscalar" in node:
        return arrays[node["npscalar"]][()]
    if "tuple" in node:
        return tuple(_decode(v, arrays, path) for v in node["tuple"])
    for tag, cls in (("odict", OrderedDict), ("dict", dict)):
        if tag in node:
            return cls((k, _decode(v, arrays, path)) for k, v in node[tag])
    raise CheckpointError(f"load: {path}: unknown node {sorted(node)} in structure record")


def save(obj: Any, f: str | os.PathLike[str] | Any) -> None:
    """Save a Module's ``state_dict``, a ``state_dict``, or a nested checkpoint to ``f``.

    ``f`` is a path (written atomically: temp file in the same folder, fsync, rename) or a
    writable binary file object.  The file is a ``.npz`` archive; the name is used as given.
    """
    if isinstance(obj, Module):
        obj = obj.state_dict()
    encoder = _Encoder()
    record = encoder.encode(obj, "obj")
    members = dict(encoder.arrays)
    members[_STRUCTURE] = np.array(json.dumps(record))
    members[_FORMAT_KEY] = np.array(FORMAT)
    if hasattr(f, "write"):
        np.savez(f, **members)
        return
    path = os.fspath(f)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            np.savez(handle, **members)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_current_umask())  # mkstemp makes 0600; use the usual mode
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    if hasattr(os, "O_DIRECTORY"):  # make the rename itself durable (POSIX)
        dir_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def load(f: str | os.PathLike[str] | Any) -> Any:
    """Load what :func:`save` wrote: the same nesting, with Tensors, arrays and scalars.

    Uses ``np.load(..., allow_pickle=False)``.  A missing file raises ``FileNotFoundError``;
    a truncated, corrupt or foreign file raises :class:`CheckpointError` naming the file.
    """
    name = repr(os.fspath(f)) if isinstance(f, (str, os.PathLike)) else repr(f)
    try:
        archive = np.load(f, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise CheckpointError(
                f"load: {name} is a single .npy array, not a tinygrad_lite checkpoint"
            )
        with archive:
            files = set(archive.files)
            if _STRUCTURE not in files or _FORMAT_KEY not in files:
                raise CheckpointError(
                    f"load: {name} is an .npz archive but not a tinygrad_lite checkpoint "
                    f"(no {_STRUCTURE!r} record; members: {sorted(files)[:5]})"
                )
            fmt = str(archive[_FORMAT_KEY])
            if fmt != FORMAT:
                raise CheckpointError(f"load: {name} has unsupported format {fmt!r}")
            record = json.loads(str(archive[_STRUCTURE]))
            arrays = {k: archive[k] for k in files if k not in (_STRUCTURE, _FORMAT_KEY)}
    except FileNotFoundError:
        raise
    except CheckpointError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, OSError, KeyError) as e:
        raise CheckpointError(
            f"load: {name} is not a readable tinygrad_lite checkpoint (truncated or not an "
            f".npz archive): {type(e).__name__}: {e}"
        ) from e
    try:
        return _decode(record, arrays, name)
    except KeyError as e:
        raise CheckpointError(f"load: {name}: structure names a missing array {e}") from e


def _current_umask() -> int:
    """The process umask (read by setting it and restoring it at once)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask
