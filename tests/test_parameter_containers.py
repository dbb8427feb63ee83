"""nn.ParameterList and nn.ParameterDict: registration, list/dict behaviour, use in a Module,
errors, and (where torch is installed) the same names, order and error types as PyTorch's."""

from collections import OrderedDict

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn import nn, optim


# -- ParameterList --------------------------------------------------------------------------
def test_list_registers_tensors_as_parameters_sharing_memory():
    kept = nn.Parameter(tg.ones(2), requires_grad=False)
    plain = tg.zeros(3)
    pl = nn.ParameterList([kept, plain])
    assert pl[0] is kept and not pl[0].requires_grad  # a Parameter is kept as it is
    assert type(pl[1]) is nn.Parameter and pl[1] is not plain and pl[1].requires_grad
    assert np.shares_memory(pl[1].data, plain.data)  # wrapped, not copied
    assert [name for name, _ in pl.named_parameters()] == ["0", "1"]
    assert list(pl.state_dict()) == ["0", "1"]
    assert [p.shape for p in pl] == [(2,), (3,)] and len(pl) == 2


def test_list_keeps_other_objects_without_making_them_parameters():
    pl = nn.ParameterList([tg.ones(1), 5, "x", None])
    assert len(pl) == 4 and list(pl)[1:] == [5, "x", None]
    assert list(pl.state_dict()) == ["0"]
    pl[1] = tg.ones(2)  # an object's slot can take a tensor, which then becomes a parameter
    assert isinstance(pl[1], nn.Parameter) and list(pl.state_dict()) == ["0", "1"]
    pl[0] = None  # a parameter's slot takes None (Module's rule) ...
    assert pl[0] is None and list(pl.state_dict()) == ["1"]
    pl[1] = nn.Parameter(tg.zeros(1))
    with pytest.raises(TypeError, match="cannot assign int as parameter '1'"):
        pl[1] = 3  # ... but not a non-parameter


def test_list_indexing_negative_slice_and_assignment():
    pl = nn.ParameterList([tg.ones(i + 1) for i in range(4)])
    assert pl[-1] is pl[3] and pl[-4] is pl[0] and pl[np.int64(2)] is pl[2]
    part = pl[1::2]
    assert isinstance(part, nn.ParameterList) and len(part) == 2
    assert part[0] is pl[1] and part[1] is pl[3]  # the same objects, renumbered
    assert list(part.state_dict()) == ["0", "1"]
    pl[-1] = tg.full((7,), 2.0)
    assert isinstance(pl[3], nn.Parameter) and pl[3].shape == (7,)
    assert [name for name, _ in pl.named_parameters()] == ["0", "1", "2", "3"]
    assert "0" not in dir(pl) and "append" in dir(pl)


def test_list_append_extend_and_iadd_return_the_list():
    pl = nn.ParameterList()
    assert pl.append(tg.ones(1)) is pl
    assert pl.extend(tg.ones(2) for _ in range(2)) is pl
    pl += [tg.ones(3)]
    assert isinstance(pl, nn.ParameterList) and [p.shape for p in pl] == [(1,), (2,), (2,), (3,)]


def test_list_bad_input_errors():
    pl = nn.ParameterList([tg.ones(1), tg.ones(1)])
    with pytest.raises(IndexError, match=r"ParameterList: index: expected an int in \[-2, 2\), got 2"):
        pl[2]
    with pytest.raises(IndexError, match=r"expected an int in \[-2, 2\), got -3"):
        pl[-3] = tg.ones(1)
    with pytest.raises(IndexError, match=r"expected no index \(the list is empty\), got 0"):
        nn.ParameterList()[0]
    with pytest.raises(TypeError, match="ParameterList: index: expected an int or a slice, got str '0'"):
        pl["0"]
    with pytest.raises(TypeError, match="ParameterList: index: expected an int or a slice, got slice"):
        pl[0:1] = [tg.ones(1)]
    with pytest.raises(TypeError, match="ParameterList.extend: values: expected an iterable .* got Tensor"):
        pl.extend(tg.ones(2))
    with pytest.raises(TypeError, match="ParameterList.extend: values: expected an iterable .* got int"):
        nn.ParameterList(5)
    with pytest.raises(TypeError, match="only floating-point tensors can require grad"):
        pl.append(tg.Tensor(np.arange(3)))
    assert len(pl) == 2  # the failed append left no hole


def test_list_repr():
    assert repr(nn.ParameterList()) == "ParameterList()"
    pl = nn.ParameterList([tg.ones(2, 3), tg.tensor(1.0, dtype=np.float64), 7])
    assert repr(pl) == (
        "ParameterList(\n"
        "  (0): Parameter containing: [float32 of size 2x3]\n"
        "  (1): Parameter containing: [float64 of size ]\n"
        "  (2): Object of type: int\n"
        ")")


# -- ParameterDict --------------------------------------------------------------------------
def test_dict_registers_tensors_and_orders_keys_as_pytorch():
    plain = tg.ones(2)
    pd = nn.ParameterDict({"b": plain, "a": nn.Parameter(tg.zeros(1)), "c": 3})
    assert list(pd) == ["a", "b", "c"]  # a plain dict is added in sorted key order
    assert isinstance(pd["b"], nn.Parameter) and np.shares_memory(pd["b"].data, plain.data)
    assert pd["c"] == 3 and pd.b is pd["b"]
    assert list(pd.state_dict()) == ["a", "b"]
    # An OrderedDict, a ParameterDict or pairs keep their order.
    pairs = [("z", tg.ones(1)), ("y", tg.ones(1))]
    assert list(nn.ParameterDict(OrderedDict(pairs))) == ["z", "y"]
    assert list(nn.ParameterDict(pairs)) == ["z", "y"]
    assert list(nn.ParameterDict(nn.ParameterDict(pairs))) == ["z", "y"]


def test_dict_methods():
    pd = nn.ParameterDict([("w", tg.ones(2)), ("b", tg.zeros(2))])
    pd["w"] = tg.ones(5)  # replacing keeps the key's place
    assert list(pd.keys()) == ["w", "b"] and pd["w"].shape == (5,) and len(pd) == 2
    assert [v.shape for v in pd.values()] == [(5,), (2,)]
    assert [k for k, _ in pd.items()] == ["w", "b"] and list(reversed(pd)) == ["b", "w"]
    assert "w" in pd and "q" not in pd and 0 not in pd
    assert pd.get("q") is None and pd.get("q", 1) == 1 and pd.get("w") is pd["w"]
    assert pd.setdefault("w", 9) is pd["w"] and pd.setdefault("n") is None and list(pd) == ["w", "b", "n"]
    del pd["n"]
    assert not hasattr(pd, "n")
    copy = pd.copy()
    assert isinstance(copy, nn.ParameterDict) and list(copy) == ["w", "b"] and copy["w"] is pd["w"]
    key, value = copy.popitem()
    assert key == "b" and value is pd["b"] and list(copy) == ["w"] and list(pd) == ["w", "b"]
    merged = pd | {"c": tg.ones(1)}
    assert list(merged) == ["w", "b", "c"] and list(pd) == ["w", "b"]
    merged |= [("d", tg.ones(1))]
    assert list(merged) == ["w", "b", "c", "d"]
    assert list({"x": 1} | pd) == ["x", "w", "b"]
    fresh = pd.fromkeys(["m", "n"], tg.ones(1))
    assert list(fresh) == ["m", "n"] and list(fresh.state_dict()) == ["m", "n"]
    popped = pd.pop("w")
    assert popped.shape == (5,) and list(pd.state_dict()) == ["b"]
    pd.update({"k": tg.ones(1)})
    pd.clear()
    assert len(pd) == 0 and list(pd.parameters()) == [] and not hasattr(pd, "b")


def test_dict_bad_input_errors():
    pd = nn.ParameterDict({"a": tg.ones(1)})
    with pytest.raises(KeyError, match=r"ParameterDict has no key 'z'; it has \['a'\]"):
        pd["z"]
    for call in (lambda: pd.pop("z"), lambda: pd.__delitem__("z")):
        with pytest.raises(KeyError, match="has no key 'z'"):
            call()
    with pytest.raises(TypeError, match="ParameterDict: key: expected a str, got int 0"):
        pd[0] = tg.ones(1)
    with pytest.raises(TypeError, match="ParameterDict: key: expected a str, got int 0"):
        pd[0]
    for bad in ("", "x.y"):
        with pytest.raises(KeyError, match="expected a non-empty name without dots"):
            pd[bad] = tg.ones(1)
    for taken in ("keys", "training"):  # would shadow a method or Module's state
        with pytest.raises(KeyError, match=f"attribute '{taken}' already exists"):
            pd[taken] = tg.ones(1)
    with pytest.raises(TypeError, match="cannot assign int as parameter 'a'"):
        pd["a"] = 3
    with pytest.raises(TypeError, match=r"update: parameters: expected a mapping or an iterable of \(key, value\) "
                                        r"pairs, got int"):
        nn.ParameterDict(5)
    with pytest.raises(TypeError, match=r"element #1: expected a \(key, value\) pair, got int"):
        pd.update([("b", 1), 2])
    with pytest.raises(ValueError, match=r"element #0: expected a \(key, value\) pair, got 3 items"):
        pd.update([("b", 1, 2)])
    with pytest.raises(KeyError, match="ParameterDict.popitem: the dict is empty"):
        nn.ParameterDict().popitem()
    assert list(pd) == ["a"]  # nothing half-added by the failures


def test_dict_repr():
    assert repr(nn.ParameterDict()) == "ParameterDict()"
    assert repr(nn.ParameterDict({"s": tg.ones(3)})) == "ParameterDict((s): Parameter containing: [float32 of size 3])"
    assert repr(nn.ParameterDict([("w", tg.ones(2, 2)), ("n", None)])) == (
        "ParameterDict(\n"
        "  (w): Parameter containing: [float32 of size 2x2]\n"
        "  (n): Object of type: NoneType\n"
        ")")


# -- inside a Module --------------------------------------------------------------------------
class Mixture(nn.Module):
    def __init__(self):
        super().__init__()
        self.scales = nn.ParameterList([tg.ones(3), tg.full((3,), 2.0)])
        self.shifts = nn.ParameterDict({"b": tg.zeros(3), "a": tg.ones(3)})

    def forward(self, x):
        return sum(s * x for s in self.scales) + self.shifts["a"] + self.shifts["b"]


def test_module_sees_trains_saves_and_casts_the_containers():
    model = Mixture()
    names = ["scales.0", "scales.1", "shifts.a", "shifts.b"]
    assert [n for n, _ in model.named_parameters()] == names and list(model.state_dict()) == names
    assert "(scales): ParameterList(\n    (0): Parameter containing: [float32 of size 3]" in repr(model)

    x = tg.Tensor(np.array([1.0, 2.0, 3.0], dtype=np.float32))
    model(x).sum().backward()
    assert model.scales[1].grad.tolist() == [1.0, 2.0, 3.0] and model.shifts["b"].grad.tolist() == [1.0] * 3
    opt = optim.SGD(model.parameters(), lr=0.5)
    opt.step()
    assert model.scales[0].tolist() == [0.5, 0.0, -0.5]
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())

    before = list(model.parameters())
    saved = {k: v.numpy() * 3 for k, v in model.state_dict().items()}
    assert model.load_state_dict(saved) == ([], [])
    assert all(a is b for a, b in zip(before, model.parameters()))  # loaded in place
    assert model.shifts["a"].tolist() == [1.5] * 3  # (1 - 0.5 * 1) * 3

    model.to(np.float64)
    assert all(p.dtype == np.float64 for p in model.parameters())
    assert model.scales[0] is before[0] and isinstance(model.shifts["a"], nn.Parameter)


# -- against PyTorch --------------------------------------------------------------------------
def test_names_order_and_lengths_match_pytorch():
    torch = pytest.importorskip("torch")
    ours_list = nn.ParameterList([tg.ones(2), 5, None, nn.Parameter(tg.ones(1))])
    theirs_list = torch.nn.ParameterList([torch.ones(2), 5, None, torch.nn.Parameter(torch.ones(1))])
    assert len(ours_list) == len(theirs_list)
    assert list(ours_list.state_dict()) == list(theirs_list.state_dict())
    assert [type(v).__name__ for v in ours_list] == [type(v).__name__ for v in theirs_list]
    assert len(ours_list[1:]) == len(theirs_list[1:])
    for build in (dict, OrderedDict, list):
        pairs = [("w", 1.0), ("b", 2.0), ("a", 3.0)]
        ours, theirs = nn.ParameterDict(build(pairs)), torch.nn.ParameterDict(build(pairs))
        assert list(ours) == list(theirs), build
    ours = nn.ParameterDict({"w": tg.ones(1), "b": tg.ones(2)})
    theirs = torch.nn.ParameterDict({"w": torch.ones(1), "b": torch.ones(2)})
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert list(ours | {"c": tg.ones(1)}) == list(theirs | {"c": torch.ones(1)})
    assert ours.popitem()[0] == theirs.popitem()[0]


def test_public_methods_cover_pytorchs():
    torch = pytest.importorskip("torch")
    for ours, theirs in ((nn.ParameterList, torch.nn.ParameterList), (nn.ParameterDict, torch.nn.ParameterDict)):
        wanted = {name for name in vars(theirs) if not name.startswith("_") or name in ("__iadd__", "__or__")}
        assert wanted <= set(dir(ours)), wanted - set(dir(ours))


def test_error_types_match_pytorch():
    torch = pytest.importorskip("torch")
    cases = [
        (lambda m, t: m.ParameterList([t.ones(1)])[1], IndexError),
        (lambda m, t: m.ParameterList([t.ones(1)]).__setitem__(-2, t.ones(1)), IndexError),
        (lambda m, t: m.ParameterList([t.ones(1)])["0"], TypeError),
        (lambda m, t: m.ParameterList().extend(t.ones(2)), TypeError),
        (lambda m, t: m.ParameterDict()[0], TypeError),
        (lambda m, t: m.ParameterDict().__setitem__("a.b", t.ones(1)), KeyError),
        (lambda m, t: m.ParameterDict({"a": t.ones(1)}).__setitem__("a", 3), TypeError),
        (lambda m, t: m.ParameterDict(5), TypeError),
        (lambda m, t: m.ParameterDict([("a", 1, 2)]), ValueError),
        (lambda m, t: m.ParameterDict().popitem(), KeyError),
    ]
    for call, error in cases:
        with pytest.raises(error):
            call(torch.nn, torch)
        with pytest.raises(error):
            call(nn, tg)


def test_loads_a_pytorch_state_dict():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = torch.nn.Module()
    theirs.scales = torch.nn.ParameterList([torch.randn(3), torch.randn(3)])
    theirs.shifts = torch.nn.ParameterDict({"b": torch.randn(3), "a": torch.randn(3)})
    model = Mixture()
    model.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    for (name, p), (their_name, q) in zip(model.named_parameters(), theirs.named_parameters()):
        assert name == their_name
        np.testing.assert_array_equal(p.numpy(), q.detach().numpy())
