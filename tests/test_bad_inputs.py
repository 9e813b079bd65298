"""Fuzz test of the API boundary: generated wrong arguments, two invariants.

Every call below is wrong.  For each one the library must

1. raise a clear exception of the documented type (``docs/errors.md``): ``TypeError`` for an
   argument of the wrong type, ``RuntimeError`` for an impossible size or mismatched shapes,
   ``ValueError``/``IndexError`` where PyTorch uses them -- whose message names the op or the
   argument (never a bare numpy or CPython message from deep inside);
2. change nothing: the tensor, module, optimizer or loader it was called on is bit-for-bit
   what it was before.

Bad values come from generators (each size-like argument of each public entry point crossed
with wrong types and negative values; each binary op crossed with unbroadcastable shapes;
each ``load_state_dict`` crossed with one bad entry at each position); hypothesis adds random
shapes, sizes and byte-level corruptions of a checkpoint.  ``ENUMERATED`` is the count of the
enumerated cases (see the module's end); the suite runs them all in about a second.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_lite as tl
import tinygrad_lite.nn.functional as F
from tinygrad_lite import nn
from tinygrad_lite.data import DataLoader, TensorDataset, default_collate
from tinygrad_lite.serialization import CheckpointError

# ----- the invariants -----------------------------------------------------------------------


def snapshot(obj: Any) -> Any:
    """A comparable picture of everything an API call could change in ``obj``."""
    if isinstance(obj, tl.Tensor):
        grad = None if obj.grad is None else snapshot(obj.grad)
        return ("T", snapshot(obj.data), obj.requires_grad, grad, obj.grad_fn is None)
    if isinstance(obj, np.ndarray):
        return ("A", obj.dtype.str, obj.shape, obj.tobytes())
    if isinstance(obj, nn.Module):
        return ("M", [(k, snapshot(v)) for k, v in obj.state_dict(keep_vars=True).items()],
                obj.training)
    if isinstance(obj, tl.optim.Optimizer):
        state = [(i, snapshot(obj.state.get(p))) for g in obj.param_groups
                 for i, p in enumerate(g["params"])]
        groups = [{k: (snapshot(v) if k != "params" else [id(p) for p in v])
                   for k, v in g.items()} for g in obj.param_groups]
        return ("O", state, groups)
    if isinstance(obj, dict):
        return {k: snapshot(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [snapshot(v) for v in obj]
    if hasattr(obj, "__dict__"):  # schedulers, loaders
        return {k: snapshot(v) for k, v in vars(obj).items() if k != "optimizer"}
    return obj


@dataclass
class Case:
    """One wrong call: ``call()`` must raise ``error`` with ``words`` (a regex) in the message
    and leave ``target`` (when given) unchanged."""

    label: str
    call: Callable[[], Any]
    error: type[BaseException]
    words: str
    target: Any = None


def check(case: Case) -> None:
    """Assert both invariants for ``case``."""
    before = snapshot(case.target)
    with pytest.raises(BaseException) as info:
        case.call()
    got = info.value
    assert isinstance(got, case.error), (
        f"{case.label}: expected {case.error.__name__}, got {type(got).__name__}: {got}"
    )
    assert type(got) not in (AttributeError, KeyError, RecursionError, MemoryError), case.label
    assert re.search(case.words, str(got), re.S), f"{case.label}: {got!r} lacks {case.words!r}"
    assert snapshot(case.target) == before, f"{case.label}: state changed by a failed call"


# ----- generated cases ------------------------------------------------------------------

class _Opaque:
    """An object of no numeric kind (its repr is stable, so test ids are too)."""

    def __repr__(self) -> str:
        return "<opaque>"


NOT_INTS = [2.5, 2.0, float("nan"), float("inf"), "3", None, np.float32(2.0), [2.5], _Opaque()]
NEGATIVE = [-1, -7, np.int64(-2)]


def _size_targets() -> list[tuple[str, Callable[[Any], Any], str, dict[str, type]]]:
    """(label, call with the bad size, words the message must contain, error overrides)."""
    x6 = tl.arange(6.0)
    img = tl.ones(1, 1, 4, 4)
    ds = TensorDataset(np.zeros((4, 2), np.float32))
    value_error = {"negative": ValueError, "type": ValueError}
    return [
        ("zeros", lambda v: tl.zeros(v), "zeros", {}),
        ("zeros(2, v)", lambda v: tl.zeros(2, v), "zeros", {}),
        ("ones", lambda v: tl.ones((v, 2)), "ones", {}),
        ("empty", lambda v: tl.empty(v), "zeros|empty", {}),
        ("rand", lambda v: tl.rand(v), "rand", {}),
        ("randn", lambda v: tl.randn(3, v), "randn", {}),
        ("full", lambda v: tl.full((v,), 1.0), "full", {}),
        ("randint", lambda v: tl.randint(0, 5, (v,)), "randint", {}),
        ("eye n", lambda v: tl.eye(v), "eye", {}),
        ("eye m", lambda v: tl.eye(2, v), "eye", {}),
        ("linspace", lambda v: tl.linspace(0.0, 1.0, v), "linspace", {}),
        ("reshape", lambda v: x6.reshape(v, 3), "reshape", {}),
        ("view", lambda v: x6.view(3, v), "reshape|view", {}),
        ("expand", lambda v: tl.ones(1).expand(v), "expand", {}),
        ("repeat", lambda v: x6.repeat(v), "repeat", {}),
        ("Linear in", lambda v: nn.Linear(v, 2), "Linear.*in_features", {}),
        ("Linear out", lambda v: nn.Linear(2, v), "Linear.*out_features", {}),
        ("Conv2d channels", lambda v: nn.Conv2d(v, 2, 3), "Conv2d.*in_channels", {}),
        ("Conv2d kernel", lambda v: nn.Conv2d(1, 2, v), "Conv2d.*kernel_size", {}),
        ("BatchNorm1d", lambda v: nn.BatchNorm1d(v), "BatchNorm1d.*num_features", {}),
        ("LayerNorm", lambda v: nn.LayerNorm(v), "LayerNorm.*normalized_shape", {}),
        ("max_pool2d kernel", lambda v: F.max_pool2d(img, v), "max_pool2d.*kernel_size", {}),
        ("avg_pool2d padding", lambda v: F.avg_pool2d(img, 2, padding=v),
         "avg_pool2d.*pad", {}),
        ("chunk", lambda v: x6.chunk(v), "chunk", {}),
        ("DataLoader batch_size", lambda v: DataLoader(ds, batch_size=v),
         "DataLoader.*batch_size", value_error),
    ]


def _dim_targets() -> list[tuple[str, Callable[[Any], Any], str]]:
    x = tl.ones(2, 3)
    return [
        ("sum", lambda d: x.sum(d), "sum"),
        ("mean", lambda d: x.mean(d), "mean"),
        ("amax", lambda d: x.amax(d), "amax"),
        ("argmax", lambda d: x.argmax(d), "argmax"),
        ("unsqueeze", lambda d: x.unsqueeze(d), "unsqueeze"),
        ("squeeze", lambda d: x.squeeze(d), "squeeze"),
        ("transpose", lambda d: x.transpose(0, d), "transpose"),
        ("flatten", lambda d: x.flatten(d), "flatten"),
        ("softmax", lambda d: F.softmax(x, d), "softmax"),
        ("cat", lambda d: tl.cat([x, x], d), "cat"),
        ("split", lambda d: x.split(1, d), "split"),
        ("index_select", lambda d: x.index_select(d, tl.tensor([0])), "index_select"),
        ("gather", lambda d: x.gather(d, tl.tensor([[0]])), "gather"),
    ]


def size_cases() -> list[Case]:
    cases = []
    for label, call, words, overrides in _size_targets():
        for v in NOT_INTS:
            if v is None and label == "eye m":
                continue  # eye(n, None) is eye(n, n)
            error = overrides.get("type", TypeError)
            cases.append(Case(f"{label}({v!r})", lambda c=call, v=v: c(v), error, words))
        for v in NEGATIVE:
            if v == -1 and label in ("reshape", "view", "expand"):
                continue  # -1 is "infer" / "keep" there
            error = overrides.get("negative", RuntimeError)
            cases.append(Case(f"{label}({v!r})", lambda c=call, v=v: c(v), error, words))
    return cases


def dim_cases() -> list[Case]:
    cases = []
    for label, call, words in _dim_targets():
        for d in [1.5, "1", None, [0.5]] if label != "sum" else [1.5, "1", [0.5]]:
            if d is None and label in ("mean", "amax", "argmax", "squeeze", "flatten",
                                       "softmax"):
                continue  # None is a valid dim (all dims / implicit) there
            cases.append(Case(f"{label}(dim={d!r})", lambda c=call, d=d: c(d), TypeError, words))
        for d in (5, -9):
            cases.append(Case(f"{label}(dim={d})", lambda c=call, d=d: c(d), IndexError, words))
    return cases


UNBROADCASTABLE = [((2,), (3,)), ((2, 3), (4,)), ((2, 1, 3), (4, 2)), ((5, 4), (4, 5))]
BINARY: list[tuple[str, Callable[[Any, Any], Any]]] = [
    ("add", lambda a, b: a + b), ("sub", lambda a, b: a - b), ("mul", lambda a, b: a * b),
    ("div", lambda a, b: a / b), ("pow", lambda a, b: a**b),
    ("maximum", lambda a, b: a.maximum(b)), ("minimum", lambda a, b: a.minimum(b)),
    ("less", lambda a, b: a < b), ("equal", lambda a, b: a == b),
    ("where", lambda a, b: tl.where(a > 0, a, b)),
    ("clamp", lambda a, b: a.clamp(b, None)),
    ("mse_loss", lambda a, b: F.mse_loss(a, b)),
]


def shape_cases() -> list[Case]:
    cases = []
    for name, op in BINARY:
        for sa, sb in UNBROADCASTABLE:
            a = tl.ones(*sa, requires_grad=True)
            b = tl.ones(*sb)
            shapes = rf"{re.escape(str(sa))}.*{re.escape(str(sb))}"
            cases.append(Case(f"{name}{sa}{sb}", lambda op=op, a=a, b=b: op(a, b), RuntimeError,
                              rf"{name}.*{shapes}", target=[a, b]))
    m = tl.ones(2, 3)
    cases += [
        Case("matmul 0-d", lambda: tl.tensor(1.0) @ tl.tensor(2.0), RuntimeError, "matmul"),
        Case("matmul inner", lambda: m @ m, RuntimeError, r"matmul.*\(2, 3\).*\(2, 3\)"),
        Case("linear", lambda: nn.Linear(2, 2)(tl.ones(3, 3)), RuntimeError, "linear"),
        Case("conv2d channels", lambda: nn.Conv2d(3, 2, 3)(tl.ones(1, 2, 5, 5)), RuntimeError,
             "conv2d.*C=3"),
        Case("conv2d rank", lambda: nn.Conv2d(3, 2, 3)(tl.ones(5, 5)), RuntimeError,
             r"conv2d.*\(5, 5\)"),
        Case("conv2d kernel > input", lambda: nn.Conv2d(3, 2, 3)(tl.ones(1, 3, 2, 2)),
             RuntimeError, "conv2d.*too small"),
        Case("max_pool2d kernel > input", lambda: F.max_pool2d(tl.ones(1, 1, 2, 2), 3),
             RuntimeError, "max_pool2d.*too small"),
        Case("where condition shape", lambda: tl.where(tl.ones(2) > 0, tl.ones(3), tl.ones(3)),
             RuntimeError, r"where.*condition \(2,\)"),
        Case("cat shapes", lambda: tl.cat([m, tl.ones(3, 2)]), RuntimeError, "cat"),
        Case("stack shapes", lambda: tl.stack([tl.ones(2), tl.ones(3)]), RuntimeError, "stack"),
        Case("backward gradient shape",
             lambda: (tl.ones(2, 3, requires_grad=True) * 2).backward(tl.ones(2)), RuntimeError,
             "gradient has shape"),
        Case("layer_norm shape", lambda: F.layer_norm(m, (4,)), RuntimeError, "layer_norm"),
        Case("batch_norm channels", lambda: nn.BatchNorm1d(4)(m), RuntimeError, "BatchNorm1d"),
    ]
    return cases


def value_cases() -> list[Case]:
    """Wrong dtypes, conditions, probabilities, devices, data: one clear error each."""
    w = nn.Linear(2, 2)
    prob = tl.full((3,), 0.5)
    ds = TensorDataset(np.zeros((3, 2), np.float32))
    strings = np.array(["a", "b"])
    objects = np.array([1, "a"], dtype=object)
    records = np.zeros(2, dtype=[("a", "<f4")])
    cases = []
    for what, arr in (("str", strings), ("object", objects), ("record", records)):
        cases += [
            Case(f"tensor({what})", lambda a=arr: tl.tensor(a), TypeError, "Tensor"),
            Case(f"from_numpy({what})", lambda a=arr: tl.from_numpy(a), TypeError, "from_numpy"),
            Case(f"Parameter({what})", lambda a=arr: nn.Parameter(a), TypeError,
                 "Parameter|Tensor"),
            Case(f"collate({what})", lambda a=arr: default_collate([a, a]), TypeError,
                 "collate"),
        ]
    for dt in (tl.float32, tl.int64, tl.float64):
        cond = tl.ones(3, dtype=dt)
        cases.append(Case(f"where({dt.__name__} condition)",
                          lambda c=cond: tl.where(c, tl.ones(3), tl.zeros(3)), RuntimeError,
                          "where.*boolean"))
    for x, y, words in ((float("nan"), 1.0, "input"), (1.5, 1.0, "input"),
                        (-0.5, 1.0, "input"), (0.5, 2.0, "target"), (0.5, -1.0, "target"),
                        (0.5, float("nan"), "target")):
        cases.append(Case(f"bce({x}, {y})",
                          lambda x=x, y=y: F.binary_cross_entropy(tl.full((3,), x),
                                                                  tl.full((3,), y)),
                          RuntimeError, f"binary_cross_entropy.*{words}.*between 0 and 1"))
    for device in ("cuda", "cuda:1", "mps", "xpu"):
        cases += [
            Case(f"Tensor.to({device})", lambda d=device: prob.to(d), RuntimeError,
                 f"to.*{device}", target=prob),
            Case(f"Module.to({device})", lambda d=device: w.to(d), RuntimeError,
                 f"to.*{device}", target=w),
        ]
    cases += [
        Case("Tensor.to('abc')", lambda: prob.to("abc"), RuntimeError, "to.*'abc'"),
        Case("Tensor.to(object)", lambda: prob.to(object()), TypeError, "to"),
        Case("Module.to(int64)", lambda: w.to(tl.int64), TypeError, "floating point", w),
        Case("dataset[1.5]", lambda: ds[1.5], IndexError, "TensorDataset.*index", ds),
        Case("dataset['1']", lambda: ds["1"], IndexError, "TensorDataset.*index", ds),
        Case("dataset[7]", lambda: ds[7], IndexError, "TensorDataset.*out of range", ds),
        Case("shuffle empty", lambda: DataLoader(TensorDataset(np.zeros((0, 2))), shuffle=True),
             ValueError, "DataLoader.*empty"),
        Case("ragged collate", lambda: default_collate([np.ones(2), np.ones(3)]), RuntimeError,
             r"collate.*\(2,\).*\(3,\)"),
        Case("mixed collate", lambda: default_collate([1, "a"]), TypeError, "collate"),
        Case("arange(5, 0, 1)", lambda: tl.arange(5, 0, 1), RuntimeError, "arange.*step sign"),
        Case("arange(0, 5, -1)", lambda: tl.arange(0, 5, -1), RuntimeError, "arange"),
        Case("arange(nan)", lambda: tl.arange(float("nan")), RuntimeError, "arange"),
        Case("arange(inf)", lambda: tl.arange(float("inf")), RuntimeError, "arange"),
        Case("arange('a')", lambda: tl.arange("a"), TypeError, "arange"),
        Case("reshape(-2, 3)", lambda: tl.ones(6).reshape(-2, 3), RuntimeError,
             "reshape.*-2"),
        Case("reshape(-1, -1)", lambda: tl.ones(6).reshape(-1, -1), RuntimeError,
             "reshape.*one dimension"),
        Case("full(fill='a')", lambda: tl.full((2,), "a"), TypeError, "full.*fill_value"),
        Case("zeros_like('a')", lambda: tl.zeros_like("a"), TypeError, "zeros_like"),
        Case("int requires grad", lambda: tl.ones(2, dtype=tl.int64, requires_grad=True),
             RuntimeError, "floating point"),
        Case("backward complex", lambda: (tl.ones(2, requires_grad=True) * 1).to(np.complex64)
             .sum().backward(), RuntimeError, "real scalar"),
        Case("backward('x')", lambda: (prob.detach().requires_grad_() * 2).backward("x"),
             TypeError, "gradients can be either Tensors or None"),
        Case("grad(y, [1.0])", lambda: tl.autograd.grad((tl.ones(2, requires_grad=True) * 2)
                                                       .sum(), [1.0]),
             RuntimeError, "inputs have to be Tensors.*float"),
        Case("grad('y', x)", lambda: tl.autograd.grad("y", [tl.ones(2, requires_grad=True)]),
             TypeError, "Tensor"),
        Case("grad_outputs count", lambda: tl.autograd.grad(
            [(tl.ones(2, requires_grad=True) * 2).sum()], [tl.ones(2, requires_grad=True)],
            grad_outputs=[tl.ones(()), tl.ones(())]), RuntimeError, "gradients"),
        Case("SGD lr='a'", lambda: tl.optim.SGD(w.parameters(), lr="a"), TypeError,
             "learning rate", w),
        Case("SGD lr=-1", lambda: tl.optim.SGD(w.parameters(), lr=-1), ValueError,
             "learning rate", w),
        Case("Adam betas", lambda: tl.optim.Adam(w.parameters(), betas=("a", 0.9)), TypeError,
             "beta", w),
        Case("pad mode", lambda: F.pad(tl.ones(1, 2, 3), (1, 1), mode="wrap"),
             NotImplementedError, "pad.*mode"),
        Case("pad odd", lambda: F.pad(tl.ones(2, 3), (1,)), RuntimeError, "pad"),
    ]
    return cases


# ----- atomic loads ---------------------------------------------------------------------

def _net() -> nn.Module:
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))


BAD_ENTRIES: list[tuple[str, Callable[[np.ndarray], Any]]] = [
    ("strings", lambda a: np.full(a.shape, "x")),
    ("objects", lambda a: np.full(a.shape, None, dtype=object)),
    ("wrong shape", lambda a: np.zeros(a.shape + (2,), a.dtype)),
    ("list", lambda a: a.tolist()),
    ("int", lambda a: 1),
    ("None", lambda a: None),
]


def module_load_cases() -> list[Case]:
    """One bad entry at each position of a state dict, strict and not: the module must not
    change at all, even when the bad entry comes after good ones."""
    cases = []
    keys = list(_net().state_dict())
    for key in keys:
        for what, make in BAD_ENTRIES:
            for strict in (True, False):
                net = _net()
                good = {k: v.data.copy() * 2 + 1 for k, v in _net().state_dict().items()}
                good[key] = make(good[key])
                cases.append(Case(f"load_state_dict[{key}={what}, strict={strict}]",
                                  lambda n=net, g=good, s=strict: n.load_state_dict(g, strict=s),
                                  RuntimeError, rf"loading state_dict.*{re.escape(key)}", net))
    return cases


def _trained_adam() -> tuple[tl.optim.Optimizer, dict[str, Any]]:
    w = tl.randn(3, requires_grad=True)
    b = tl.randn(2, requires_grad=True)
    opt = tl.optim.Adam([w, b], lr=0.1)
    (w.sum() + b.sum()).backward()
    opt.step()
    return opt, opt.state_dict()


def optimizer_load_cases() -> list[Case]:
    cases = []
    mutations: list[tuple[str, Callable[[dict[str, Any]], None]]] = [
        ("moment shape", lambda sd: sd["state"][1].__setitem__(
            "exp_avg", tl.zeros(5))),
        ("moment strings", lambda sd: sd["state"][1].__setitem__(
            "exp_avg_sq", np.array(["a", "b"]))),
        ("unknown index", lambda sd: sd["state"].__setitem__(7, {"step": 1.0})),
        ("lr string", lambda sd: sd["param_groups"][0].__setitem__("lr", "fast")),
        ("betas short", lambda sd: sd["param_groups"][0].__setitem__("betas", (0.9,))),
        ("params not ints", lambda sd: sd["param_groups"][0].__setitem__("params", ["a", "b"])),
        ("no param_groups", lambda sd: sd.pop("param_groups")),
        ("state not dict", lambda sd: sd["state"].__setitem__(0, [1, 2])),
        ("object step", lambda sd: sd["state"][0].__setitem__("step", object())),
    ]
    for what, mutate in mutations:
        opt, sd = _trained_adam()
        sd = {"state": {k: dict(v) for k, v in sd["state"].items()},
              "param_groups": [dict(g) for g in sd["param_groups"]]}
        mutate(sd)
        cases.append(Case(f"Optimizer.load_state_dict[{what}]",
                          lambda o=opt, s=sd: o.load_state_dict(s), ValueError, "load_state_dict",
                          opt))
    opt, _ = _trained_adam()
    sched = tl.optim.lr_scheduler.StepLR(opt, step_size=2)
    good = sched.state_dict()
    for key, value in (("last_epoch", "3"), ("base_lrs", [0.1, 0.2]), ("gamma", None),
                       ("optimizer", 1)):
        cases.append(Case(f"StepLR.load_state_dict[{key}={value!r}]",
                          lambda s=sched, k=key, v=value: s.load_state_dict({**good, k: v}),
                          ValueError, f"StepLR.load_state_dict.*{key}", sched))
    loader = DataLoader(TensorDataset(np.zeros((4, 1), np.float32)), batch_size=2, seed=3)
    for state in ({"seed": 1, "epoch": "x"}, {"seed": -1, "epoch": 0}, {"seed": 1}):
        cases.append(Case(f"DataLoader.load_state_dict[{state}]",
                          lambda s=state: loader.load_state_dict(s), (TypeError, ValueError),
                          "DataLoader.load_state_dict", loader))
    return cases


# ----- hostile checkpoints ----------------------------------------------------------------

def _npy(a: np.ndarray) -> bytes:
    b = io.BytesIO()
    np.save(b, a)
    return b.getvalue()


def _npy_header(shape: tuple[int, ...], descr: str = "<f8", data: bytes = b"") -> bytes:
    header = repr({"descr": descr, "fortran_order": False, "shape": shape}).encode("latin1")
    header += b" " * (63 - (10 + len(header)) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + data


def _zip(members: dict[str, bytes], method: int = 0) -> bytes:
    import zipfile

    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", method) as z:
        for k, v in members.items():
            z.writestr(k, v)
    return b.getvalue()


def _checkpoint(structure: str, **arrays: bytes) -> bytes:
    members = {"__format__.npy": _npy(np.array("tinygrad_lite-checkpoint/1")),
               "__structure__.npy": _npy(np.array(structure))}
    members.update({k + ".npy": v for k, v in arrays.items()})
    return _zip(members)


def _valid_checkpoint() -> bytes:
    b = io.BytesIO()
    tl.save({"model": _net(), "step": 3, "hist": [1.0, (2, "a")]}, b)
    return b.getvalue()


HOSTILE_FILES: dict[str, bytes] = {
    "empty": b"",
    "random bytes": bytes(np.random.default_rng(0).integers(0, 256, 2000, dtype=np.uint8)),
    "zip magic then junk": b"PK\x03\x04" + bytes(300),
    "single .npy": _npy(np.ones(3)),
    "foreign .npz": _zip({"a.npy": _npy(np.ones(2))}),
    "header claims terabytes": _checkpoint('{"tensor": "arr_0"}',
                                           arr_0=_npy_header((10**12,), "<f8", bytes(16))),
    "header claims terabytes, deflated": _zip(
        {"__format__.npy": _npy(np.array("tinygrad_lite-checkpoint/1")),
         "__structure__.npy": _npy(np.array('{"tensor": "arr_0"}')),
         "arr_0.npy": _npy_header((10**12,), "<f8", bytes(16))}, method=8),
    "negative shape": _checkpoint('{"tensor": "arr_0"}', arr_0=_npy_header((-1,))),
    "object array": _checkpoint('{"ndarray": "arr_0"}',
                                arr_0=_npy_header((1,), "|O", bytes(8))),
    "structured array": _checkpoint('{"ndarray": "arr_0"}',
                                    arr_0=_npy(np.zeros(2, dtype=[("a", "<f4")]))),
    "string tensor": _checkpoint('{"tensor": "arr_0"}', arr_0=_npy(np.array(["a"]))),
    "code in header": _checkpoint('{"tensor": "arr_0"}',
                                  arr_0=b"\x93NUMPY\x01\x00\x10\x00__import__('os')"),
    "huge header length": _checkpoint('{"tensor": "arr_0"}',
                                      arr_0=b"\x93NUMPY\x02\x00" + (10**6).to_bytes(4, "little")),
    "deeply nested JSON": _checkpoint("[" * 100_000 + "]" * 100_000),
    "deeply nested tuples": _checkpoint('{"tuple": [' * 3000 + "]}" * 3000),
    "invalid JSON": _checkpoint('{"tensor": '),
    "non-string array name": _checkpoint('{"tensor": 5}'),
    "unhashable array name": _checkpoint('{"tensor": [1]}'),
    "missing array": _checkpoint('{"tensor": "arr_9"}'),
    "unhashable dict key": _checkpoint('{"dict": [[[1], 2]]}'),
    "dict of non-pairs": _checkpoint('{"dict": [1, 2]}'),
    "unknown node": _checkpoint('{"lambda": "print"}'),
    "empty node": _checkpoint("{}"),
    "non-bool requires_grad": _checkpoint('{"tensor": "arr_0", "requires_grad": "yes"}',
                                          arr_0=_npy(np.ones(2))),
    "int tensor requires grad": _checkpoint('{"parameter": "arr_0", "requires_grad": true}',
                                            arr_0=_npy(np.ones(2, np.int64))),
    "scalar of shape (2,)": _checkpoint('{"npscalar": "arr_0"}', arr_0=_npy(np.ones(2))),
    "structure not text": _zip({"__format__.npy": _npy(np.array("tinygrad_lite-checkpoint/1")),
                                "__structure__.npy": _npy(np.ones(2))}),
    "other format": _zip({"__format__.npy": _npy(np.array("pickle/9")),
                          "__structure__.npy": _npy(np.array("1"))}),
}


def checkpoint_cases() -> list[Case]:
    cases = [Case(f"load({what})", lambda d=data: tl.load(io.BytesIO(d)), CheckpointError,
                  "load: .*BytesIO") for what, data in HOSTILE_FILES.items()]
    good = _valid_checkpoint()
    for size in range(0, len(good), max(1, len(good) // 40)):
        cases.append(Case(f"load(truncated to {size})",
                          lambda d=good[:size]: tl.load(io.BytesIO(d)), CheckpointError,
                          "load: "))
    a: list[Any] = [1]
    a.append(a)
    d: dict[str, Any] = {"x": 1}
    d["self"] = {"up": d}
    deep: list[Any] = []
    for _ in range(5000):
        deep = [deep]
    cases += [
        Case("save(cyclic list)", lambda: tl.save(a, io.BytesIO()), ValueError, "cycle"),
        Case("save(cyclic dict)", lambda: tl.save(d, io.BytesIO()), ValueError, "cycle"),
        Case("save(5000-deep list)", lambda: tl.save(deep, io.BytesIO()), ValueError,
             "nested too deeply"),
        Case("save(object)", lambda: tl.save({"f": print}, io.BytesIO()), TypeError, "save"),
    ]
    return cases


ALL_CASES = (size_cases() + dim_cases() + shape_cases() + value_cases() + module_load_cases()
             + optimizer_load_cases() + checkpoint_cases())
ENUMERATED = len(ALL_CASES)


@pytest.mark.parametrize("case", ALL_CASES, ids=[c.label for c in ALL_CASES])
def test_every_enumerated_bad_input_is_refused_cleanly(case: Case) -> None:
    check(case)


# ----- hypothesis: random bad values -------------------------------------------------------

def _broadcastable(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    try:
        np.broadcast_shapes(a, b)
        return True
    except ValueError:
        return False


shapes = st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(BINARY), shapes, shapes)
def test_unbroadcastable_shapes_raise_runtime_error_naming_both(op, sa, sb) -> None:
    if _broadcastable(sa, sb):
        return
    name, fn = op
    a, b = tl.ones(*sa, requires_grad=True), tl.ones(*sb)
    check(Case(f"{name}{sa}{sb}", lambda: fn(a, b), RuntimeError,
               rf"{re.escape(str(sa))}.*{re.escape(str(sb))}", target=[a, b]))


size_targets = _size_targets()
bad_sizes = st.one_of(
    st.floats(allow_nan=True).filter(lambda v: not float(v).is_integer()),
    st.integers(max_value=-1),
    st.text(max_size=3),
)


@settings(max_examples=120, deadline=None)
@given(st.sampled_from(size_targets), bad_sizes)
def test_random_bad_sizes_raise_the_documented_type(target, value) -> None:
    label, call, words, overrides = target
    negative = isinstance(value, int)
    error = overrides.get("negative" if negative else "type",
                          RuntimeError if negative else TypeError)
    check(Case(f"{label}({value!r})", lambda: call(value), error, words))


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_corrupted_checkpoints_load_or_raise_checkpoint_error(data) -> None:
    """Flip, drop or insert bytes anywhere in a valid checkpoint: ``load`` either returns
    something or raises ``CheckpointError`` -- nothing else, whatever the damage."""
    blob = bytearray(_valid_checkpoint())
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, len(blob) - 1))
        kind = data.draw(st.sampled_from(["flip", "drop", "insert", "cut"]))
        if kind == "flip":
            blob[pos] ^= data.draw(st.integers(1, 255))
        elif kind == "drop":
            del blob[pos : pos + data.draw(st.integers(1, 64))]
        elif kind == "insert":
            blob[pos:pos] = data.draw(st.binary(min_size=1, max_size=32))
        else:
            del blob[pos:]
        if not blob:
            break
    try:
        tl.load(io.BytesIO(bytes(blob)))
    except CheckpointError as e:
        assert "load: " in str(e)
