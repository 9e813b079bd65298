"""Module, Parameter and the containers: registration, traversal, modes, state_dict, repr.

The same model code is built with ``tinygrad_lite.nn`` and ``torch.nn`` to check that names,
orders, state_dict keys and reprs agree, and that weights move between them both ways.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np
import pytest

import tinygrad_lite as tl
from tests.helpers import assert_close, torch_or_skip
from tinygrad_lite import nn


def build_net(nnlib: Any, zeros: Any) -> Any:
    """A nested model using every container, written once for both libraries."""

    class Block(nnlib.Module):
        def __init__(self, width: int) -> None:
            super().__init__()
            self.fc = nnlib.Linear(width, width)
            self.bn = nnlib.BatchNorm1d(width)
            self.act = nnlib.GELU()
            self.register_buffer("scale", zeros(width) + 1.5)
            self.register_buffer("cache", zeros(2), persistent=False)

        def forward(self, x: Any) -> Any:
            return self.act(self.bn(self.fc(x))) * self.scale

    class Net(nnlib.Module):
        def __init__(self) -> None:
            super().__init__()
            self.stem = nnlib.Sequential(
                OrderedDict([("lin", nnlib.Linear(4, 6)), ("relu", nnlib.ReLU())])
            )
            self.blocks = nnlib.ModuleList([Block(6), Block(6)])
            self.heads = nnlib.ModuleDict({"cls": nnlib.Linear(6, 3), "aux": nnlib.Linear(6, 1)})
            self.norm = nnlib.LayerNorm(6)
            self.drop = nnlib.Dropout(0.25)

        def forward(self, x: Any) -> Any:
            h = self.stem(x)
            for block in self.blocks:
                h = block(h)
            h = self.drop(self.norm(h))
            return self.heads["cls"](h).sum(1) + self.heads["aux"](h).sum(1)

    return Net()


def _pair(torch: Any) -> tuple[Any, Any]:
    ours = build_net(nn, lambda n: tl.zeros(n)).double()
    theirs = build_net(torch.nn, lambda n: torch.zeros(n)).double()
    return ours, theirs


# ----- registration and traversal ------------------------------------------------------------


def test_names_and_orders_match_torch() -> None:
    torch = torch_or_skip()
    ours, theirs = _pair(torch)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert "blocks.0.cache" not in ours.state_dict()  # non-persistent buffer
    assert "blocks.0.bn.num_batches_tracked" in ours.state_dict()
    assert repr(ours) == repr(theirs)


def test_sequential_state_dict_keys_match_torch() -> None:
    torch = torch_or_skip()

    def make(nnlib: Any) -> Any:
        return nnlib.Sequential(
            nnlib.Linear(3, 5), nnlib.BatchNorm1d(5), nnlib.ReLU(), nnlib.Linear(5, 2, bias=False)
        )

    ours, theirs = make(nn), make(torch.nn)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for key, value in theirs.state_dict().items():
        assert ours.state_dict()[key].shape == tuple(value.shape), key
        assert ours.state_dict()[key].dtype == value.numpy().dtype, key
    assert repr(ours) == repr(theirs)


def test_attribute_registration_rules() -> None:
    m = nn.Module()
    m.w = nn.Parameter(tl.ones(2))
    m.child = nn.Linear(2, 2)
    m.register_buffer("buf", tl.zeros(3))
    m.plain = 5
    assert list(m._parameters) == ["w"] and list(m._modules) == ["child"]
    assert list(m._buffers) == ["buf"] and m.plain == 5 and "plain" not in m._parameters
    m.w = None  # declared but absent
    assert m.w is None and list(m.parameters()) == list(m.child.parameters())
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'w'"):
        m.w = tl.ones(2)
    with pytest.raises(TypeError, match="cannot assign 'int' as child module 'child'"):
        m.child = 3
    with pytest.raises(TypeError, match="cannot assign 'str' as buffer 'buf'"):
        m.buf = "x"
    m.buf = tl.ones(3)  # a tensor replaces the buffer
    assert m.buf.data.sum() == 3
    with pytest.raises(KeyError, match="attribute 'plain' already exists"):
        m.register_buffer("plain", tl.zeros(1))
    with pytest.raises(KeyError, match="empty or contain"):
        m.register_parameter("a.b", None)
    with pytest.raises(AttributeError, match="'Module' object has no attribute 'missing'"):
        _ = m.missing
    del m.child
    assert "child" not in m._modules

    class Early(nn.Module):
        def __init__(self) -> None:
            self.w = nn.Parameter(tl.ones(1))

    with pytest.raises(AttributeError, match=r"before Module.__init__\(\) call"):
        Early()


def test_reassignment_keeps_definition_order() -> None:
    torch = torch_or_skip()
    ours, theirs = nn.Linear(2, 3), torch.nn.Linear(2, 3)
    ours.weight = nn.Parameter(tl.zeros(3, 2))
    theirs.weight = torch.nn.Parameter(torch.zeros(3, 2))
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight", "bias"]
    seq = nn.Sequential(nn.ReLU(), nn.Tanh())
    tseq = torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Tanh())
    setattr(seq, "0", nn.Sigmoid())
    setattr(tseq, "0", torch.nn.Sigmoid())
    assert repr(seq) == repr(tseq)


def test_shared_parameters_are_listed_once() -> None:
    lin = nn.Linear(3, 3)
    net = nn.Sequential(lin, nn.ReLU(), lin)
    assert len(list(net.parameters())) == 2
    assert list(net.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert len(list(net.modules())) == 3 and len(list(net.children())) == 2


def test_parameters_recurse_flag_and_get_submodule() -> None:
    ours = build_net(nn, lambda n: tl.zeros(n))
    assert list(ours.parameters(recurse=False)) == []
    assert ours.get_submodule("blocks.1.fc") is ours.blocks[1].fc
    assert ours.get_submodule("") is ours
    with pytest.raises(AttributeError, match="has no attribute `nope`"):
        ours.get_submodule("blocks.nope")


def test_forward_is_required() -> None:
    with pytest.raises(NotImplementedError, match=r'\[Module\] is missing the required "forward"'):
        nn.Module()(tl.ones(1))


# ----- modes, grads, dtype, apply ---------------------------------------------------------------


def test_train_eval_propagate() -> None:
    ours = build_net(nn, lambda n: tl.zeros(n))
    assert ours.eval() is ours
    assert all(not m.training for m in ours.modules())
    ours.train()
    assert all(m.training for m in ours.modules())
    ours.blocks.train(False)
    assert ours.training and not ours.blocks[0].bn.training
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        ours.train("yes")


def test_zero_grad_and_requires_grad_() -> None:
    lin = nn.Linear(3, 2)
    lin(tl.randn(4, 3)).sum().backward()
    assert lin.weight.grad is not None
    lin.zero_grad(set_to_none=False)
    assert np.all(lin.weight.grad.data == 0) and lin.weight.grad.shape == (2, 3)
    lin.zero_grad()
    assert lin.weight.grad is None and lin.bias.grad is None
    lin.requires_grad_(False)
    assert not any(p.requires_grad for p in lin.parameters())


def test_to_double_float_keep_identity() -> None:
    bn = nn.BatchNorm1d(3)
    weight = bn.weight
    bn(tl.randn(4, 3)).sum().backward()
    assert bn.double() is bn
    assert bn.weight is weight and weight.dtype == np.float64 and weight.grad.dtype == np.float64
    assert bn.running_mean.dtype == np.float64
    assert bn.num_batches_tracked.dtype == np.int64  # integer buffers are not cast
    bn.to(tl.float32)
    assert bn.weight is weight and weight.dtype == np.float32
    bn.to("cpu")
    bn.to(dtype="float64")
    assert weight.dtype == np.float64
    bn.float()
    assert weight.dtype == np.float32
    with pytest.raises(TypeError, match="only accepts floating point"):
        bn.to(tl.int64)
    with pytest.raises(RuntimeError, match="CPU only"):
        bn.to(device="cuda")


def test_apply_visits_children_first_like_torch() -> None:
    torch = torch_or_skip()
    ours, theirs = _pair(torch)
    seen_ours: list[str] = []
    seen_theirs: list[str] = []
    ours.apply(lambda m: seen_ours.append(type(m).__name__))
    theirs.apply(lambda m: seen_theirs.append(type(m).__name__))
    assert seen_ours == seen_theirs
    ours.apply(lambda m: nn.init.zeros_(m.bias) if isinstance(m, nn.Linear) else None)
    assert all(np.all(m.bias.data == 0) for m in ours.modules() if isinstance(m, nn.Linear))


# ----- state_dict -------------------------------------------------------------------------------


def _run_both(ours: Any, theirs: Any, x: np.ndarray, torch: Any) -> None:
    out, out_t = ours(tl.tensor(x)), theirs(torch.tensor(x))
    assert_close(out, out_t)
    out.sum().backward()
    out_t.sum().backward()
    grads = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        assert_close(p.grad, grads[name].grad, what=name)


def test_torch_weights_load_into_ours_and_back() -> None:
    torch = torch_or_skip()
    ours, theirs = _pair(torch)
    x = np.random.default_rng(0).standard_normal((5, 4))
    theirs.train()
    theirs(torch.tensor(x))  # move the BatchNorm running stats away from their init
    theirs.eval()
    ours.eval()
    result = ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    assert result.missing_keys == [] and result.unexpected_keys == []
    _run_both(ours, theirs, x, torch)

    # the other way round: train ours a little, export as numpy, load into a fresh torch model
    ours.train()
    ours(tl.tensor(x))
    ours.eval()
    fresh = build_net(torch.nn, lambda n: torch.zeros(n)).double().eval()
    exported = {k: v.numpy().copy() for k, v in ours.state_dict().items()}
    fresh.load_state_dict({k: torch.from_numpy(v) for k, v in exported.items()})
    ours.zero_grad()
    _run_both(ours, fresh, x, torch)


def test_state_dict_values_are_detached_views() -> None:
    lin = nn.Linear(2, 2)
    sd = lin.state_dict()
    assert not sd["weight"].requires_grad and sd["weight"].grad_fn is None
    assert sd["weight"].data is lin.weight.data  # shares memory, as PyTorch's does
    assert lin.state_dict(keep_vars=True)["weight"] is lin.weight
    assert list(lin.state_dict(prefix="head.")) == ["head.weight", "head.bias"]


def test_load_state_dict_copies_in_place_and_casts() -> None:
    lin = nn.Linear(3, 2)
    weight_obj, weight_arr = lin.weight, lin.weight.data
    new = {"weight": np.arange(6.0).reshape(2, 3), "bias": tl.tensor([1.0, 2.0], dtype=tl.float64)}
    lin.load_state_dict(new)
    assert lin.weight is weight_obj and lin.weight.data is weight_arr
    assert lin.weight.dtype == np.float32
    np.testing.assert_array_equal(lin.weight.data, new["weight"])
    new["weight"][0, 0] = 99  # no aliasing with the source
    assert lin.weight.data[0, 0] == 0


def test_load_state_dict_assign_takes_the_arrays_like_torch() -> None:
    lin = nn.Linear(3, 2)
    weight_obj = lin.weight
    new = {"weight": np.arange(6.0).reshape(2, 3), "bias": tl.tensor([1.0, 2.0], dtype=tl.float64)}
    lin.load_state_dict(new, assign=True)
    assert lin.weight is weight_obj and lin.weight.requires_grad  # requires_grad: the module's
    assert lin.weight.dtype == np.float64 and lin.bias.data is new["bias"].data  # dtype: dict's
    new["weight"][0, 0] = 99  # memory shared with the state dict, as torch's assign
    assert lin.weight.data[0, 0] == 99
    lin(tl.ones(4, 3, dtype=tl.float64)).sum().backward()
    assert lin.weight.grad.shape == (2, 3)
    with pytest.raises(RuntimeError, match="weight: assign=True needs a floating point array"):
        nn.Linear(3, 2).load_state_dict({"weight": np.ones((2, 3), np.int64),
                                          "bias": np.ones(2)}, assign=True)  # fmt: skip
    torch = torch_or_skip()
    t = torch.nn.Linear(3, 2)
    t.load_state_dict({k: torch.from_numpy(np.asarray(v.data if isinstance(v, tl.Tensor) else v))
                       for k, v in new.items()}, assign=True)  # fmt: skip
    assert t.weight.dtype == torch.float64 and t.weight.requires_grad


def test_load_state_dict_reports_all_problems() -> None:
    net = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    good = {k: v.data.copy() for k, v in net.state_dict().items()}
    bad = dict(good)
    del bad["1.running_var"]
    bad["2.weight"] = np.zeros(3)
    bad["0.weight"] = np.zeros((4, 5))
    before = net[0].bias.data.copy()
    bad["0.bias"] = np.ones(4)
    with pytest.raises(RuntimeError) as info:
        net.load_state_dict(bad)
    message = str(info.value)
    assert "Error(s) in loading state_dict for Sequential" in message
    assert 'Missing key(s) in state_dict: "1.running_var"' in message
    assert 'Unexpected key(s) in state_dict: "2.weight"' in message
    assert "size mismatch for 0.weight: copying a param with shape (4, 5) from checkpoint, " \
        "the shape in current model is (4, 3)" in message
    np.testing.assert_array_equal(net[0].bias.data, before)  # nothing was copied

    del bad["0.weight"]
    result = net.load_state_dict(bad, strict=False)
    assert result.missing_keys == ["0.weight", "1.running_var"]
    assert result.unexpected_keys == ["2.weight"]
    np.testing.assert_array_equal(net[0].bias.data, np.ones(4))
    with pytest.raises(RuntimeError, match="size mismatch for 0.weight"):
        net.load_state_dict({"0.weight": np.zeros(2)}, strict=False)
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like"):
        net.load_state_dict([1, 2])
    with pytest.raises(RuntimeError, match='parameter named "0.bias": .*expected a Tensor or '
                       "numpy array, got list"):  # RuntimeError, as PyTorch
        net.load_state_dict({**good, "0.bias": [0.0] * 4})


def test_load_state_dict_accepts_torch_tensors_directly() -> None:
    torch = torch_or_skip()
    theirs = torch.nn.Linear(3, 2)
    ours = nn.Linear(3, 2)
    ours.load_state_dict(theirs.state_dict())
    np.testing.assert_array_equal(ours.weight.data, theirs.weight.detach().numpy())


# ----- Parameter and containers -----------------------------------------------------------------


def test_parameter_basics() -> None:
    torch = torch_or_skip()
    t = tl.tensor([1.0, 2.0])
    p = nn.Parameter(t)
    assert p.requires_grad and p.data is t.data and isinstance(p, tl.Tensor)
    assert repr(p) == repr(torch.nn.Parameter(torch.tensor([1.0, 2.0])))
    assert not nn.Parameter(t, requires_grad=False).requires_grad
    assert nn.Parameter().shape == (0,)
    (p * 3).sum().backward()
    np.testing.assert_array_equal(p.grad.data, [3.0, 3.0])


def test_sequential_container() -> None:
    torch = torch_or_skip()
    layers = [nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)]
    seq = nn.Sequential(*layers)
    assert len(seq) == 3 and list(seq) == layers
    assert seq[0] is layers[0] and seq[-1] is layers[2]
    head = seq[:2]
    assert isinstance(head, nn.Sequential) and list(head) == layers[:2]
    x = tl.randn(4, 2)
    np.testing.assert_array_equal(seq(x).data, layers[2](layers[1](layers[0](x))).data)
    seq.append(nn.Sigmoid())
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    del seq[1]
    assert [type(m).__name__ for m in seq] == ["Linear", "Linear", "Sigmoid"]
    assert list(seq._modules) == ["0", "1", "2"]
    seq[2] = nn.Tanh()
    assert isinstance(seq[2], nn.Tanh)
    with pytest.raises(IndexError, match="Sequential: index 3 is out of range"):
        seq[3]
    seq.insert(0, nn.ReLU()).extend([nn.Identity()])
    assert [type(m).__name__ for m in seq] == ["ReLU", "Linear", "Linear", "Tanh", "Identity"]
    assert isinstance(seq.pop(), nn.Identity) and isinstance(seq.pop(0), nn.ReLU) and len(seq) == 3
    named = nn.Sequential(OrderedDict([("a", nn.Linear(1, 1)), ("b", nn.Tanh())]))
    tnn = torch.nn
    t_named = tnn.Sequential(OrderedDict([("a", tnn.Linear(1, 1)), ("b", tnn.Tanh())]))
    assert list(named.state_dict()) == list(t_named.state_dict()) == ["a.weight", "a.bias"]
    assert repr(named) == repr(t_named)
    del named[1]
    del t_named[1]
    assert list(named.state_dict()) == list(t_named.state_dict()) == ["0.weight", "0.bias"]


def test_module_list_container() -> None:
    torch = torch_or_skip()
    ml = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    tml = torch.nn.ModuleList([torch.nn.Linear(2, 2) for _ in range(3)])
    assert repr(ml) == repr(tml)
    ml.append(nn.ReLU())
    tml.append(torch.nn.ReLU())
    ml.extend([nn.Linear(2, 2)])
    tml.extend([torch.nn.Linear(2, 2)])
    ml.insert(0, nn.Tanh())
    tml.insert(0, torch.nn.Tanh())
    assert repr(ml) == repr(tml)
    assert list(ml.state_dict()) == list(tml.state_dict())
    assert len(ml) == 6 and isinstance(ml[-1], nn.Linear) and isinstance(ml[1:3], nn.ModuleList)
    ml += [nn.Sigmoid()]
    del ml[0]
    assert len(ml) == 6 and list(ml._modules) == [str(i) for i in range(6)]
    ml[0] = nn.Identity()
    assert isinstance(ml[0], nn.Identity)
    assert repr(nn.ModuleList()) == "ModuleList()"
    with pytest.raises(TypeError, match="should be called with an iterable"):
        ml.extend(nn.ReLU())
    with pytest.raises(NotImplementedError):
        ml(tl.ones(1))


def test_module_dict_container() -> None:
    md = nn.ModuleDict({"a": nn.Linear(1, 2)})
    md["b"] = nn.ReLU()
    md.update([("c", nn.Tanh())])
    assert list(md) == ["a", "b", "c"] and "b" in md and len(md) == 3
    assert isinstance(md.pop("b"), nn.ReLU) and list(md.keys()) == ["a", "c"]
    assert [type(v).__name__ for v in md.values()] == ["Linear", "Tanh"]
    assert list(md.state_dict()) == ["a.weight", "a.bias"]
    md.clear()
    assert len(md) == 0


def test_deepcopy_gives_an_independent_module() -> None:
    import copy

    net = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    twin = copy.deepcopy(net)
    assert repr(twin) == repr(net) and twin[0].weight is not net[0].weight
    assert isinstance(twin[0].weight, nn.Parameter) and twin[0].weight.requires_grad
    twin[0].weight.data[...] = 0
    assert np.any(net[0].weight.data != 0)


def test_forward_hooks() -> None:
    lin = nn.Linear(2, 2)
    seen: list[Any] = []
    pre = lin.register_forward_pre_hook(lambda m, args: (args[0] * 2,))
    post = lin.register_forward_hook(lambda m, args, out: seen.append((m, out.shape)))
    x = tl.ones(3, 2)
    out = lin(x)
    np.testing.assert_allclose(out.data, _linear_ref(x * 2, lin).data)
    assert seen == [(lin, (3, 2))]
    replace = lin.register_forward_hook(lambda m, args, out: out * 0)
    assert np.all(lin(x).data == 0)
    for handle in (pre, post, replace):
        handle.remove()
    handle.remove()  # removing twice is harmless
    np.testing.assert_allclose(lin(x).data, _linear_ref(x, lin).data)
    assert len(seen) == 2


def _linear_ref(x: Any, lin: Any) -> Any:
    return nn.functional.linear(x, lin.weight, lin.bias)


def test_cnn_weights_move_between_torch_and_ours() -> None:
    torch = torch_or_skip()

    def make(nnlib: Any) -> Any:
        class LeNet(nnlib.Module):
            def __init__(self) -> None:
                super().__init__()
                self.conv1 = nnlib.Conv2d(1, 4, 3, padding=1)
                self.bn = nnlib.BatchNorm2d(4)
                self.pool = nnlib.MaxPool2d(2)
                self.head = nnlib.Sequential(nnlib.Flatten(), nnlib.Linear(4 * 4 * 4, 3))

            def forward(self, x: Any) -> Any:
                return self.head(self.pool(self.bn(self.conv1(x)).relu()))

        return LeNet().double()

    ours, theirs = make(nn), make(torch.nn)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    x = np.random.default_rng(4).standard_normal((2, 1, 8, 8))
    theirs(torch.tensor(x))  # train-mode step: running stats move
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    _run_both(ours, theirs, x, torch)  # train mode: batch statistics
    ours.eval()
    theirs.eval()
    ours.zero_grad()
    theirs.zero_grad()
    _run_both(ours, theirs, x, torch)  # eval mode: the loaded running statistics
    assert repr(ours) == repr(theirs)
