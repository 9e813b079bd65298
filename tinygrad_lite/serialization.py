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
under the real name.  A structure that contains itself (a cycle) cannot be saved: ``ValueError``.

Reading trusts nothing in the file.  The archive is read member by member with ``zipfile``;
each ``.npy`` header is checked (numbers or text only, never objects; a size that the member's
bytes really hold -- a header claiming terabytes is refused before anything is allocated, and a
member may not claim to decompress to more than deflate can produce from its compressed size),
the structure record is parsed as JSON and rebuilt with an explicit stack (no recursion, so the
nesting depth of a file cannot exhaust Python's stack).  Every way a file can fail to decode
raises :class:`CheckpointError` naming the file and the problem.
"""

from __future__ import annotations

import json
import math
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


_MAX_HEADER = 10_000  # bytes of one .npy header (numpy's own limit for untrusted files)
_MAX_DEFLATE_RATIO = 1_100  # deflate expands at most ~1032:1; a member claiming more is lying
_MEMBER_KINDS = "biufcUS"  # numbers, bool, and the text of the structure record
_SCALARS = (bool, int, float, str)


class CheckpointError(RuntimeError):
    """A file given to :func:`load` that is not a readable tinygrad_lite checkpoint: truncated,
    random bytes, a foreign archive, a corrupt or hostile header or structure.  The message
    names the file and what is wrong.  (A missing file is ``FileNotFoundError``.)"""


class _Encoder:
    """Turns a nested object into a JSON-able record plus a dict of arrays."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self.open: set[int] = set()  # ids of the containers being encoded (a cycle's witness)

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
        if isinstance(obj, (dict, list, tuple)):
            if id(obj) in self.open:
                raise ValueError(
                    f"save: {where} contains itself (a reference cycle); a checkpoint must be a "
                    "tree of containers"
                )
            self.open.add(id(obj))
            try:
                return self._encode_container(obj, where)
            finally:
                self.open.discard(id(obj))
        raise TypeError(
            f"save: cannot store an object of type {type(obj).__name__} at {where} (supported: "
            "Module, Tensor, ndarray, dict, list, tuple, numbers, str, None)"
        )

    def _encode_container(self, obj: dict | list | tuple, where: str) -> Any:
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
        return {"tuple": [self.encode(v, f"{where}[{i}]") for i, v in enumerate(obj)]}


def _decode(record: Any, arrays: dict[str, np.ndarray], name: str) -> Any:
    """Rebuild the Python object described by the structure ``record``, with an explicit stack
    (a file's nesting depth never reaches Python's recursion limit).

    Work items are ``(node, where, out, slot)``: decode ``node`` into ``out[slot]``.  A container
    first pushes its own completion ``(kind, items, keys, out, slot)``, then its children, so it
    is completed after all of them (tuples are built only then: they are immutable).
    """
    result: list[Any] = [None]
    stack: list[tuple[Any, ...]] = [(record, "obj", result, 0)]
    while stack:
        task = stack.pop()
        if len(task) == 5:  # a container whose children are all decoded
            kind, items, keys, out, slot = task
            if kind == "list":
                out[slot] = items
            elif kind == "tuple":
                out[slot] = tuple(items)
            else:
                out[slot] = (OrderedDict if kind == "odict" else dict)(zip(keys, items))
            continue
        node, where, out, slot = task
        if node is None or isinstance(node, _SCALARS):
            out[slot] = node
            continue
        children, kind, keys = _children(node, where, name)
        if kind is None:  # a leaf: an array, a tensor, a parameter, a numpy scalar
            out[slot] = _leaf(node, arrays, where, name)
            continue
        items: list[Any] = [None] * len(children)
        stack.append((kind, items, keys, out, slot))
        for i in range(len(children) - 1, -1, -1):
            label = repr(keys[i]) if keys is not None else i
            stack.append((children[i], f"{where}[{label}]", items, i))
    return result[0]


def _children(node: Any, where: str, name: str) -> tuple[list[Any], str | None, list | None]:
    """A container node's children, its kind and (for dicts) its keys; ``kind`` None: a leaf."""
    if isinstance(node, list):
        return node, "list", None
    if not isinstance(node, dict) or not node:
        raise CheckpointError(f"load: {name}: malformed structure record at {where}")
    if "tuple" in node:
        if not isinstance(node["tuple"], list):
            raise CheckpointError(f"load: {name}: malformed tuple at {where}")
        return node["tuple"], "tuple", None
    for tag in ("odict", "dict"):
        if tag in node:
            pairs = node[tag]
            if not isinstance(pairs, list) or not all(
                isinstance(p, list) and len(p) == 2 and (p[0] is None or isinstance(p[0], _SCALARS))
                for p in pairs
            ):
                raise CheckpointError(
                    f"load: {name}: malformed dict at {where} (expected [key, value] pairs with "
                    "str, int, float, bool or None keys)"
                )
            return [p[1] for p in pairs], tag, [p[0] for p in pairs]
    return [], None, None


def _leaf(node: dict[str, Any], arrays: dict[str, np.ndarray], where: str, name: str) -> Any:
    """The array, Tensor, Parameter or numpy scalar a leaf node stands for, checked."""
    for tag in ("tensor", "parameter", "ndarray", "npscalar"):
        if tag in node:
            break
    else:
        raise CheckpointError(
            f"load: {name}: unknown node {sorted(map(str, node))[:5]} at {where}"
        )
    key = node[tag]
    if not isinstance(key, str) or key not in arrays:
        raise CheckpointError(f"load: {name}: {where} names a missing array {key!r}")
    array = arrays[key]
    if tag == "ndarray":
        return array
    if tag == "npscalar":
        if array.ndim != 0:
            raise CheckpointError(f"load: {name}: {where} is a scalar with shape {array.shape}")
        return array[()]
    if array.dtype.kind not in "biufc":
        raise CheckpointError(
            f"load: {name}: {where} is a {tag} of dtype {array.dtype}; tensors hold numbers"
        )
    requires_grad = node.get("requires_grad", tag == "parameter")
    if not isinstance(requires_grad, bool):
        raise CheckpointError(f"load: {name}: {where} has a non-bool requires_grad")
    if requires_grad and array.dtype.kind not in "fc":
        raise CheckpointError(
            f"load: {name}: {where} requires grad but has dtype {array.dtype} (floats only)"
        )
    if tag == "parameter":
        return Parameter(array, requires_grad=requires_grad)
    t = Tensor._make(array, None)
    return t.requires_grad_(True) if requires_grad else t


def save(obj: Any, f: str | os.PathLike[str] | Any) -> None:
    """Save a Module's ``state_dict``, a ``state_dict``, or a nested checkpoint to ``f``.

    ``f`` is a path (written atomically: temp file in the same folder, fsync, rename) or a
    writable binary file object.  The file is a ``.npz`` archive; the name is used as given.
    """
    if isinstance(obj, Module):
        obj = obj.state_dict()
    encoder = _Encoder()
    try:
        record = encoder.encode(obj, "obj")
        text = json.dumps(record)
    except RecursionError:
        raise ValueError(
            "save: the structure is nested too deeply to store (more than a few hundred levels "
            "of containers)"
        ) from None
    members = dict(encoder.arrays)
    members[_STRUCTURE] = np.array(text)
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

    A missing file raises ``FileNotFoundError``; anything else that keeps the file from
    decoding -- truncated, random bytes, a single ``.npy``, a foreign ``.npz``, a header
    claiming more data than the file holds, object or structured arrays, a malformed or too
    deeply nested structure record, a tensor of strings -- raises :class:`CheckpointError`
    naming the file and the problem.  No pickle, no code from the file is ever run.
    """
    name = repr(os.fspath(f)) if isinstance(f, (str, os.PathLike)) else repr(f)
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as handle:  # FileNotFoundError / IsADirectoryError pass through
            return _load_from(handle, name)
    return _load_from(f, name)


def _load_from(handle: Any, name: str) -> Any:
    """:func:`load` from an open binary file (``name``: how errors refer to it)."""
    try:
        start = handle.tell()
        magic = handle.read(6)
        handle.seek(start)
    except (AttributeError, OSError, ValueError) as e:
        raise CheckpointError(f"load: {name} is not a readable, seekable binary file: {e}") from e
    if magic == b"\x93NUMPY":
        raise CheckpointError(
            f"load: {name} is a single .npy array, not a tinygrad_lite checkpoint"
        )
    if not magic.startswith(b"PK"):
        what = "the file is empty" if not magic else "not an .npz (zip) archive"
        raise CheckpointError(f"load: {name} is not a readable tinygrad_lite checkpoint: {what}")
    try:
        with zipfile.ZipFile(handle) as archive:
            arrays = {}
            for info in archive.infolist():
                key = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
                arrays[key] = _read_member(archive, info, name)
    except CheckpointError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, OSError, KeyError,
            NotImplementedError, RuntimeError) as e:  # fmt: skip
        raise CheckpointError(
            f"load: {name} is not a readable tinygrad_lite checkpoint (truncated or corrupt "
            f".npz archive): {type(e).__name__}: {e}"
        ) from e
    for key in (_FORMAT_KEY, _STRUCTURE):
        if key not in arrays:
            raise CheckpointError(
                f"load: {name} is an .npz archive but not a tinygrad_lite checkpoint "
                f"(no {key!r} record; members: {sorted(arrays)[:5]})"
            )
        if arrays[key].dtype.kind != "U" or arrays[key].ndim != 0:
            raise CheckpointError(f"load: {name}: the {key!r} record is not a string")
    fmt = str(arrays.pop(_FORMAT_KEY))
    if fmt != FORMAT:
        raise CheckpointError(f"load: {name} has unsupported format {fmt[:100]!r}")
    try:
        record = json.loads(str(arrays.pop(_STRUCTURE)))
    except RecursionError:
        raise CheckpointError(
            f"load: {name}: the structure record is nested too deeply to parse"
        ) from None
    except ValueError as e:
        raise CheckpointError(f"load: {name}: the structure record is not valid JSON: {e}") from e
    return _decode(record, arrays, name)


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> np.ndarray:
    """One ``.npy`` member as an array, checked before anything is allocated: a sane header,
    a dtype of numbers or text (never objects: no pickle), and a data size equal to what the
    member really holds, which itself is at most what its compressed bytes can expand to."""
    where = f"load: {name}: member {info.filename!r}"
    if info.file_size > info.compress_size * _MAX_DEFLATE_RATIO + _MAX_HEADER or (
        info.compress_type == zipfile.ZIP_STORED and info.file_size != info.compress_size
    ):
        raise CheckpointError(
            f"{where} claims {info.file_size} bytes from {info.compress_size} stored bytes"
        )
    with archive.open(info) as member:
        version = np.lib.format.read_magic(member)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(member, _MAX_HEADER)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(member, _MAX_HEADER)
        else:
            raise CheckpointError(f"{where} has unsupported .npy version {version}")
        if dtype.hasobject or dtype.kind not in _MEMBER_KINDS:
            raise CheckpointError(f"{where} holds dtype {dtype}, not numbers (objects are refused)")
        if any(n < 0 for n in shape):
            raise CheckpointError(f"{where} has a negative dimension in shape {shape}")
        nbytes = math.prod(shape) * dtype.itemsize  # Python ints: no overflow
        held = info.file_size - member.tell()
        if nbytes != held:
            raise CheckpointError(
                f"{where}: header says shape {shape} of {dtype} ({nbytes} bytes) but the member "
                f"holds {held} bytes"
            )
        buffer = bytearray(nbytes)
        view, done = memoryview(buffer), 0
        while done < nbytes:
            n = member.readinto(view[done:])
            if not n:
                raise CheckpointError(f"{where} is truncated")
            done += n
    array = np.frombuffer(buffer, dtype=dtype).reshape(shape, order="F" if fortran else "C")
    return array if dtype.isnative else array.astype(dtype.newbyteorder("="))


def _current_umask() -> int:
    """The process umask (read by setting it and restoring it at once)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask
