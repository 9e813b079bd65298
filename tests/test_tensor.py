"""The Tensor API: creation, dtype rules, attributes, conversions and a PyTorch-style repr."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_lite as tl
from tests.helpers import assert_close, torch_or_skip

# ----- creation ----------------------------------------------------------------------------


def test_tensor_from_python_numbers_and_lists():
    assert tl.tensor(1.5).dtype == np.float32 and tl.tensor(1.5).shape == ()
    assert tl.tensor([1.0, 2.0]).dtype == np.float32
    assert tl.tensor([1, 2]).dtype == np.int64
    assert tl.tensor([True, False]).dtype == np.bool_
    assert tl.tensor([[1, 2.5]]).dtype == np.float32  # mixed ints and floats: float
    assert tl.Tensor([1.0, 2.0]).dtype == np.float32
    assert tl.tensor([1, 2], dtype=np.float64).dtype == np.float64


def test_tensor_class_constructor_makes_python_data_float32_like_torch_Tensor():
    # torch.Tensor([1, 2]) is float32 while torch.tensor([1, 2]) is int64; the same here
    for data in ([1, 2], [True, False], 3, [[1, 2], [3, 4]], (1, 2)):
        t = tl.Tensor(data)
        assert t.dtype == np.float32
        np.testing.assert_array_equal(t.numpy(), np.asarray(data, dtype=np.float32))
    assert tl.Tensor([1, 2], dtype=np.int64).dtype == np.int64
    assert tl.Tensor(np.arange(3)).dtype == np.arange(3).dtype  # numpy arrays keep theirs
    assert tl.Tensor([1, 2], requires_grad=True).requires_grad


def test_numpy_arrays_keep_their_dtype_and_tensor_copies():
    for dtype in (np.float64, np.float32, np.int32, np.uint8, np.bool_):
        a = np.zeros(3, dtype=dtype)
        t = tl.tensor(a)
        assert t.dtype == dtype
    a = np.ones(3)
    t = tl.tensor(a)
    a[0] = 5
    assert t.tolist() == [1.0, 1.0, 1.0]  # tensor() copies


def test_from_numpy_shares_memory():
    a = np.ones(3, dtype=np.float64)
    t = tl.from_numpy(a)
    a[0] = 5
    assert t.dtype == np.float64 and t.tolist() == [5.0, 1.0, 1.0]
    with pytest.raises(TypeError, match="from_numpy: expected np.ndarray, got list"):
        tl.from_numpy([1.0])


def test_bad_data_is_rejected():
    with pytest.raises(TypeError, match="cannot convert data of type"):
        tl.tensor({"a": 1})


@pytest.mark.parametrize("fn, value", [(tl.zeros, 0.0), (tl.ones, 1.0), (tl.empty, None)])
def test_zeros_ones_empty(fn, value):
    for t in (fn(2, 3), fn((2, 3)), fn([2, 3])):
        assert t.shape == (2, 3) and t.dtype == np.float32 and not t.requires_grad
        if value is not None:
            assert np.all(t.data == value)
    assert fn(2, dtype=np.float64).dtype == np.float64
    assert fn(2, requires_grad=True).requires_grad


def test_full_dtype_follows_the_value():
    assert tl.full((2, 2), 1.5).dtype == np.float32
    assert tl.full((2,), 3).dtype == np.int64
    assert tl.full((2,), True).dtype == np.bool_
    assert tl.full((2,), 3, dtype=np.float64).tolist() == [3.0, 3.0]


def test_arange_linspace_eye_match_torch():
    torch = torch_or_skip()
    pairs = [
        (tl.arange(5), torch.arange(5)),
        (tl.arange(1, 7, 2), torch.arange(1, 7, 2)),
        (tl.arange(0, 1, 0.25), torch.arange(0, 1, 0.25)),
        (tl.arange(5.0), torch.arange(5.0)),
        (tl.linspace(-1, 1, 5), torch.linspace(-1, 1, 5)),
        (tl.eye(3), torch.eye(3)),
        (tl.eye(2, 3), torch.eye(2, 3)),
    ]
    for ours, theirs in pairs:
        assert str(theirs.dtype).endswith(str(ours.dtype)), (ours, theirs)
        assert_close(ours, theirs)


def test_random_creation_shapes_dtypes_and_ranges():
    r = tl.rand(100, 3)
    assert r.shape == (100, 3) and r.dtype == np.float32
    assert r.data.min() >= 0 and r.data.max() < 1
    n = tl.randn(2000)
    assert n.dtype == np.float32 and abs(float(n.data.mean())) < 0.1
    assert abs(float(n.data.std()) - 1) < 0.1
    i = tl.randint(0, 5, (50,))
    assert i.dtype == np.int64 and i.data.min() >= 0 and i.data.max() < 5
    assert tl.randint(3, (4,)).shape == (4,)  # randint(high, size)
    assert tl.randn(2, 2, dtype=np.float64).dtype == np.float64


def test_manual_seed_reproducibility_and_generator():
    tl.manual_seed(123)
    a = (tl.rand(3), tl.randn(3), tl.randint(0, 100, (3,)))
    tl.manual_seed(123)
    b = (tl.rand(3), tl.randn(3), tl.randint(0, 100, (3,)))
    for x, y in zip(a, b):
        assert x.tolist() == y.tolist()
    assert tl.rand(3).tolist() != a[0].tolist()  # the stream moves on
    g1, g2 = np.random.default_rng(7), np.random.default_rng(7)
    assert tl.randn(4, generator=g1).tolist() == tl.randn(4, generator=g2).tolist()


def test_like_functions():
    x = tl.tensor(np.zeros((2, 3)))
    for fn in (tl.zeros_like, tl.ones_like, tl.empty_like, tl.rand_like, tl.randn_like):
        y = fn(x)
        assert y.shape == (2, 3) and y.dtype == np.float64
    assert tl.full_like(x, 7).tolist() == [[7.0] * 3] * 2
    assert tl.ones_like(x, dtype=np.float32).dtype == np.float32
    assert tl.zeros_like(x, requires_grad=True).requires_grad


# ----- dtype rules -------------------------------------------------------------------------


def test_dtype_promotion_matches_torch():
    torch = torch_or_skip()

    def make(lib):
        return {
            "f32": lib.tensor([1.0, 2.0]),
            "f64": lib.tensor(np.array([1.0, 2.0])),
            "f64_0d": lib.tensor(np.array(2.0)),
            "i64": lib.tensor([1, 2]),
            "i32": lib.tensor(np.array([1, 2], dtype=np.int32)),
            "b": lib.tensor([True, False]),
            "f16": lib.tensor(np.array([1.0, 2.0], dtype=np.float16)),
        }

    exprs = [
        "f32 * 2.5", "f32 + 1", "2.5 * f32", "f32 + f64", "f32 + f64_0d", "f64 * 3",
        "i64 * 2.5", "i64 + 1", "i64 / 2", "i64 / i64", "f32 * i64", "i64 * f64_0d",
        "b + 1", "b * 2.5", "i32 + i64", "f16 * 2.5", "f16 * f32", "i64 ** 2", "i64 ** 0.5",
        "f32.maximum(f64)", "i64.minimum(f32)", "f32 - np.float64(1.5)",
    ]
    ours, theirs = make(tl), make(torch)
    for e in exprs:
        o, t = eval(e, {"np": np}, ours), eval(e, {"np": np}, theirs)
        assert str(t.dtype) == "torch." + str(o.dtype), e
        assert_close(o, t, rtol=1e-6)


def test_float32_tensor_with_python_scalar_stays_float32_through_graph():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 2.0 + 1) / 3.0 - 0.5
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


# ----- attributes and conversions --------------------------------------------------------------


def test_shape_ndim_size_numel_len():
    t = tl.zeros(2, 3, 4)
    assert t.shape == (2, 3, 4) and t.ndim == 3 and t.dim() == 3
    assert t.size() == (2, 3, 4) and t.size(1) == 3 and t.size(-1) == 4
    assert t.numel() == 24 and len(t) == 2
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(tl.tensor(1.0))


def test_numpy_item_tolist():
    t = tl.tensor([[1.0, 2.0]])
    assert isinstance(t.numpy(), np.ndarray) and t.numpy() is t.data
    assert t.tolist() == [[1.0, 2.0]]
    assert tl.tensor([3.5]).item() == 3.5 and isinstance(tl.tensor([3]).item(), int)
    with pytest.raises(RuntimeError, match="item: a Tensor with 2 elements"):
        t.item()
    with pytest.raises(RuntimeError, match="Can't call numpy\\(\\) on Tensor that requires grad"):
        tl.tensor([1.0], requires_grad=True).numpy()
    assert float(tl.tensor(2.5)) == 2.5 and int(tl.tensor(3)) == 3


def test_bool_of_tensor():
    assert bool(tl.tensor([1.0]) > 0)
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with 2 elements is ambiguous"):
        bool(tl.tensor([1.0, 2.0]))


def test_detach_requires_grad_is_leaf_grad_fn():
    x = tl.tensor([1.0, 2.0])
    assert x.is_leaf and x.grad_fn is None and not x.requires_grad
    assert x.requires_grad_() is x and x.requires_grad and x.is_leaf
    y = x * 2
    assert not y.is_leaf and y.grad_fn.name == "MulBackward"
    assert y.grad_fn.next_functions == (x, None)
    d = y.detach()
    assert d.is_leaf and not d.requires_grad and d.data is y.data
    with pytest.raises(RuntimeError, match="only change requires_grad of leaf"):
        y.requires_grad_(False)
    x.requires_grad_(False)
    assert not x.requires_grad


def test_float_double_to():
    x = tl.tensor([1, 2])
    assert x.float().dtype == np.float32 and x.double().dtype == np.float64
    assert x.to(np.float64).dtype == np.float64 and x.to("float32").dtype == np.float32
    f = tl.tensor([1.5])
    assert f.to(np.float32) is f


# ----- repr ------------------------------------------------------------------------------------


def test_repr_simple_cases():
    assert repr(tl.tensor([1.0, 2.0, 3.0], requires_grad=True)) == (
        "tensor([1., 2., 3.], requires_grad=True)"
    )
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    assert repr(x * 2) == "tensor([2., 4.], grad_fn=<MulBackward>)"
    assert repr(tl.tensor([0.5, -1.25])) == "tensor([ 0.5000, -1.2500])"
    assert repr(tl.tensor(np.array([1.0, 2.0]))) == "tensor([1., 2.], dtype=float64)"
    assert repr(tl.tensor(3.0)) == "tensor(3.)"
    assert repr(tl.tensor([1, 2, 3])) == "tensor([1, 2, 3])"
    assert repr(tl.tensor([True, False])) == "tensor([ True, False])"
    assert repr(tl.tensor([[1.0, 2.0], [3.0, 4.0]])) == "tensor([[1., 2.],\n        [3., 4.]])"
    assert repr(tl.zeros(0)) == "tensor([])"


@pytest.mark.parametrize(
    "data",
    [
        [1.0, 2.0, 3.0],
        [0.7616, 0.9993, 1.0],
        [1e-5, 1.0, 1000.0],
        [1e9, 1.0],
        [float("inf"), float("nan"), 1.0],
        [0.0, 0.0],
        0.5,
        [[1.5, -2.0], [3.0, 4.25]],
        np.arange(24.0).reshape(2, 3, 4) / 7,
        np.linspace(-3, 3, 30),  # wraps at 80 columns
        np.arange(2000.0),  # summarised with ...
        np.arange(1600.0).reshape(40, 40),
    ],
    ids=lambda d: str(np.shape(d)),
)
def test_repr_matches_torch_float32(data):
    torch = torch_or_skip()
    a = np.asarray(data, dtype=np.float32)
    assert repr(tl.tensor(a)) == repr(torch.tensor(a))


def test_repr_float64_names_dtype_like_torch():
    torch = torch_or_skip()
    a = np.array([0.25, 1.5])
    assert repr(tl.tensor(a)) == repr(torch.tensor(a)).replace("torch.float64", "float64")


def test_non_numeric_and_ragged_data_raise_clear_errors():
    with pytest.raises(TypeError, match="Tensor: cannot convert data of type str"):
        tl.tensor("abc")
    with pytest.raises(TypeError, match="Tensor: cannot convert data of type NoneType"):
        tl.tensor(None)
    with pytest.raises(ValueError, match="Tensor: cannot convert data to a tensor"):
        tl.tensor([[1, 2], [3]])


def test_size_of_a_bad_dim_names_the_range():
    t = tl.zeros(2, 3)
    assert t.size(-1) == 3
    with pytest.raises(IndexError, match=r"size: dimension out of range.*\[-2, 1\].*got 5"):
        t.size(5)


def test_iteration_yields_rows_and_refuses_0d():
    assert [r.tolist() for r in tl.tensor([[1.0, 2.0], [3.0, 4.0]])] == [[1.0, 2.0], [3.0, 4.0]]
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        list(tl.tensor(1.0))


def test_comparison_with_none_is_identity_like_torch():
    t = tl.tensor([1.0])
    assert (t == None) is False  # noqa: E711 (the operator itself is under test)
    assert (t != None) is True  # noqa: E711


def test_repr_of_empty_tensors_shows_non_float32_dtypes():
    torch = pytest.importorskip("torch")
    for arr in (np.zeros(0, np.int64), np.zeros((2, 0), np.int64), np.zeros(0, bool),
                np.zeros((0, 3), np.float32), np.zeros(0)):
        assert repr(tl.tensor(arr)) == repr(torch.tensor(arr)).replace("torch.", "")


def test_creation_errors_name_the_function():
    with pytest.raises(RuntimeError, match="ones: trying to create a tensor with negative"):
        tl.ones(2, -1)
    with pytest.raises(RuntimeError, match="arange: step must be nonzero"):
        tl.arange(0, 3, 0)
    with pytest.raises(RuntimeError, match="randint: low must be less than high"):
        tl.randint(5, 2, (3,))
    with pytest.raises(TypeError, match="rand: expected a floating point dtype, got int64"):
        tl.rand(2, dtype=tl.int64)
    with pytest.raises(TypeError, match="randn: expected a floating point dtype"):
        tl.randn_like(tl.tensor([1, 2]))


def test_to_accepts_a_dtype_a_tensor_or_cpu():
    t = tl.tensor([1.5, 2.0])
    assert t.to("cpu") is t and t.to(tl.float32) is t
    assert t.to(tl.tensor([1], dtype=tl.int64)).dtype == np.int64
    assert t.to("float64").dtype == np.float64
    with pytest.raises(TypeError, match="to: expected a dtype, a Tensor or 'cpu', got <object"):
        t.to(object())


def test_lists_of_one_element_tensors_convert_like_torch():
    torch = pytest.importorskip("torch")
    cases = [
        lambda m: m.tensor([m.tensor(1.0, dtype=m.float64), m.tensor(2.0)]),
        lambda m: m.tensor([m.tensor(1), m.tensor(2)]),
        lambda m: m.tensor([[m.tensor(1.0), 2.0]]),
    ]
    for make in cases:
        ours, theirs = make(tl), make(torch)
        assert str(theirs.dtype) == f"torch.{ours.dtype}"
        assert ours.tolist() == theirs.tolist()
    with pytest.raises(ValueError, match=r"only one-element tensors.*shape \(2,\)"):
        tl.tensor([tl.tensor([1.0, 2.0])])
    # a tensor that requires grad is read, not refused (numpy's __array__ path refuses it)
    leaf = tl.tensor(1.5, dtype=tl.float64, requires_grad=True)
    assert tl.tensor([leaf, 2.0]).dtype == np.float64 and not tl.tensor([leaf]).requires_grad


def test_manual_seed_accepts_torch_range_and_rejects_others():
    tl.manual_seed(-1)
    a = tl.rand(3).numpy()
    tl.manual_seed(2**64 - 1)  # -1 mod 2**64, as torch.manual_seed
    np.testing.assert_array_equal(tl.rand(3).numpy(), a)
    for bad in ("a", None, 2**64, -(2**63) - 1):
        with pytest.raises(ValueError, match="manual_seed"):
            tl.manual_seed(bad)
